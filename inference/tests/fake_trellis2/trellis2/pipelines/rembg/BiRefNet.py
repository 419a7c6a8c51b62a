"""Fake `BiRefNet` (trellis2/pipelines/rembg/BiRefNet.py @ 5565d24).

Construction loads like `AutoModelForImageSegmentation.from_pretrained(model_name,
trust_remote_code=True)`: a local folder needs its config.json and a name that is a Python module
name (transformers imports the folder's own code under it; releases before the fix break on
"RMBG-2.0"); a hub id needs the hub, which the fake does not have. A call needs the model on CUDA
(upstream puts the input there) and sets the alpha to a mask of what differs from the corner
colour.
"""

# ruff: noqa: N999 (upstream's module name)
from __future__ import annotations

import numpy as np
from PIL import Image

from trellis2.fake_control import CONTROL, load_pretrained_folder
from trellis2.models.fake_networks import FakeModel


class BiRefNet:
    def __init__(self, model_name: str = "ZhengPeng7/BiRefNet") -> None:
        self.model_name = model_name
        load_pretrained_folder(model_name, trust_remote_code=True)
        self.model = FakeModel("rembg_model")
        self.model.eval()

    def to(self, device: str) -> None:
        self.model.to(device)

    def cuda(self) -> None:
        self.model.cuda()

    def cpu(self) -> None:
        self.model.cpu()

    @property
    def device(self) -> str:
        return self.model.device

    def __call__(self, image: Image.Image) -> Image.Image:
        if self.model.device != "cuda":
            raise RuntimeError(
                "Input type (torch.cuda.FloatTensor) and weight type (torch.FloatTensor) differ"
            )
        CONTROL.rembg_calls += 1
        rgb = np.asarray(image.convert("RGB")).astype(np.int16)
        distance = np.abs(rgb - rgb[0, 0]).sum(axis=2)
        mask = Image.fromarray(np.where(distance > 30, 255, 0).astype(np.uint8))
        image.putalpha(mask)
        return image
