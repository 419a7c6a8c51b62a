"""Fake `DinoV3FeatureExtractor` (trellis2/modules/image_feature_extractor.py:59-125 @ 5565d24).

Construction loads like `DINOv3ViTModel.from_pretrained(model_name)`: a local folder needs its
config.json; anything else is a hub id, which the fake cannot download (OSError). A call puts the
images on CUDA, so the model must be there (low_vram moves it up for get_cond only); it returns a
(batch, patches, 1024) CUDA tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from trellis2.fake_control import CONTROL, load_pretrained_folder
from trellis2.models.fake_networks import FakeModel, tensor_on

PATCH = 16
REGISTER_TOKENS = 5  # CLS + 4 registers
FEATURES = 1024


class DinoV3FeatureExtractor:
    def __init__(self, model_name: str, image_size: int = 512) -> None:
        self.model_name = model_name
        load_pretrained_folder(model_name, trust_remote_code=False)
        self.model = FakeModel("image_cond_model")
        self.model.eval()
        self.image_size = image_size

    def to(self, device: Any) -> None:
        self.model.to(device)

    def cuda(self) -> None:
        self.model.cuda()

    def cpu(self) -> None:
        self.model.cpu()

    @property
    def device(self) -> str:
        return self.model.device

    def __call__(self, image: Any) -> Any:
        if not isinstance(image, list) or not all(isinstance(i, Image.Image) for i in image):
            raise ValueError(f"Unsupported type of image: {type(image)}")
        if self.model.device != "cuda":
            raise RuntimeError("Expected all tensors to be on the same device, but found cpu and cuda:0!")
        CONTROL.record("image_cond", image_size=self.image_size, count=len(image))
        patches = (self.image_size // PATCH) ** 2 + REGISTER_TOKENS
        return tensor_on("cuda", np.zeros((len(image), patches, FEATURES), dtype=np.float32))
