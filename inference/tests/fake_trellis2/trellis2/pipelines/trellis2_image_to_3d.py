"""Fake `Trellis2ImageTo3DPipeline`: upstream's interface and control flow, no networks.

Mirrors trellis2/pipelines/trellis2_image_to_3d.py @ 5565d24: from_pretrained reads
<path>/<config_file>, low_vram moves each model to the device only around its own step, the
sampler passes per pipeline type come in upstream's order with upstream's tqdm descriptions, through
upstream's stage methods (sample_sparse_structure, sample_shape_slat, sample_shape_slat_cascade,
sample_tex_slat, with upstream's parameters and return values: structure coords (N, 4) as
[batch, x, y, z] int32 in the Z-up pipeline frame, a sparse latent with `.coords` at res // 16), and
preprocess_image uses the alpha channel when any alpha is below 255, else the background remover.
The structure is a dome (the upper half of a ball, z up), so a test can tell the axes apart.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import torch
from PIL import Image

from trellis2.fake_control import CONTROL
from trellis2.pipelines import samplers

PIPELINE_TYPES = ("512", "1024", "1024_cascade", "1536_cascade")


class FakeModel:
    """A flow model or decoder: knows where it lives; holds real weights if the control makes them."""

    def __init__(self, name: str, in_channels: int = 8, resolution: int = 16) -> None:
        self.name = name
        self.in_channels = in_channels
        self.resolution = resolution
        self.device = "cpu"
        self.low_vram = False
        self.weight: Any = CONTROL.make_weight(name) if CONTROL.make_weight is not None else None

    def to(self, device: Any) -> FakeModel:
        self.device = str(device)
        if self.weight is not None:
            self.weight = self.weight.to(self.device)
        return self

    def cuda(self) -> FakeModel:
        return self.to("cuda")

    def cpu(self) -> FakeModel:
        return self.to("cpu")

    def eval(self) -> FakeModel:
        return self


class FakeImageCondModel(FakeModel):
    """Stands for DinoV3FeatureExtractor(model_name)."""

    def __init__(self, model_name: str) -> None:
        super().__init__("image_cond_model")
        self.model_name = model_name
        self.image_size = 512


class BiRefNet(FakeModel):
    """Stands for trellis2.pipelines.rembg.BiRefNet: a mask of what differs from the corner colour."""

    def __init__(self, model_name: str = "ZhengPeng7/BiRefNet") -> None:
        super().__init__("rembg_model")
        self.model_name = model_name

    def __call__(self, image: Image.Image) -> Image.Image:
        CONTROL.rembg_calls += 1
        rgb = np.asarray(image.convert("RGB")).astype(np.int16)
        distance = np.abs(rgb - rgb[0, 0]).sum(axis=2)
        mask = Image.fromarray(np.where(distance > 30, 255, 0).astype(np.uint8))
        image.putalpha(mask)
        return image


class FakeMeshWithVoxel:
    """What run() returns: a mesh plus the attribute voxels to_glb bakes from."""

    def __init__(self, resolution: int, layout: dict[str, slice]) -> None:
        self.vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32) * 0.4 - 0.2
        self.faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], dtype=np.int32)
        self.coords = np.zeros((4, 3), dtype=np.int32)
        self.attrs = np.full((4, 6), 0.5, dtype=np.float32)
        self.layout = layout
        self.voxel_size = 1 / resolution
        self.simplified_to: int | None = None

    def simplify(self, target: int = 1000000, verbose: bool = False) -> None:
        self.simplified_to = target


class SparseTensor:
    """Stands for trellis2.modules.sparse.SparseTensor: feats (N, C) and coords (N, 4) [batch, x, y, z]."""

    def __init__(self, feats: Any, coords: Any) -> None:
        self.feats = feats
        self.coords = coords


def dome_coords(resolution: int) -> Any:
    """[batch, x, y, z] int32 of a dome's shell: the ball of radius 0.4 * resolution, z >= centre."""
    centre = (resolution - 1) / 2.0
    x, y, z = np.meshgrid(*[np.arange(resolution)] * 3, indexing="ij")
    distance = np.sqrt((x - centre) ** 2 + (y - centre) ** 2 + (z - centre) ** 2)
    radius = 0.4 * resolution
    found = np.argwhere((np.abs(distance - radius) < 0.75) & (z >= centre))
    batch = np.zeros((found.shape[0], 1), dtype=np.int64)
    return torch.from_numpy(np.ascontiguousarray(np.hstack([batch, found]).astype(np.int32)))


class Trellis2ImageTo3DPipeline:
    model_names_to_load = (
        "sparse_structure_flow_model",
        "sparse_structure_decoder",
        "shape_slat_flow_model_512",
        "shape_slat_flow_model_1024",
        "shape_slat_decoder",
        "tex_slat_flow_model_512",
        "tex_slat_flow_model_1024",
        "tex_slat_decoder",
    )

    def __init__(self, models: dict[str, FakeModel]) -> None:
        self.models = models
        self.low_vram = True
        self.default_pipeline_type = "1024_cascade"
        self._device = "cpu"
        self.pbr_attr_layout = {
            "base_color": slice(0, 3),
            "metallic": slice(3, 4),
            "roughness": slice(4, 5),
            "alpha": slice(5, 6),
        }
        self.sparse_structure_sampler: Any = None
        self.shape_slat_sampler: Any = None
        self.tex_slat_sampler: Any = None
        self.sparse_structure_sampler_params: dict[str, Any] = {}
        self.shape_slat_sampler_params: dict[str, Any] = {}
        self.tex_slat_sampler_params: dict[str, Any] = {}
        self.image_cond_model: FakeImageCondModel | None = None
        self.rembg_model: BiRefNet | None = None

    @classmethod
    def from_pretrained(cls, path: str, config_file: str = "pipeline.json") -> Trellis2ImageTo3DPipeline:
        CONTROL.record("from_pretrained", path=path, config_file=config_file)
        config_path = f"{path}/{config_file}"
        if not os.path.exists(config_path):
            raise OSError(f"{path}: not a local model folder, and the fake has no hub to download from")
        with open(config_path, encoding="utf-8") as file:
            args = json.load(file)["args"]
        models = {name: FakeModel(name) for name in args["models"] if name in cls.model_names_to_load}
        pipeline = cls(models)
        for key in ("sparse_structure_sampler", "shape_slat_sampler", "tex_slat_sampler"):
            sampler_class = getattr(samplers, args[key]["name"])
            setattr(pipeline, key, sampler_class(**args[key]["args"]))
            setattr(pipeline, key + "_params", args[key]["params"])
        pipeline.image_cond_model = FakeImageCondModel(**args["image_cond_model"]["args"])
        pipeline.rembg_model = BiRefNet(**args["rembg_model"]["args"])
        pipeline.low_vram = args.get("low_vram", True)
        pipeline.default_pipeline_type = args.get("default_pipeline_type", "1024_cascade")
        CONTROL.models = {
            **models,
            "image_cond_model": pipeline.image_cond_model,
            "rembg_model": pipeline.rembg_model,
        }
        return pipeline

    @property
    def device(self) -> str:
        return self._device

    def to(self, device: Any) -> None:
        self._device = str(device)
        if not self.low_vram:
            for model in CONTROL.models.values():
                model.to(device)

    def cuda(self) -> None:
        CONTROL.record("cuda", low_vram=self.low_vram)
        self.to("cuda")

    def preprocess_image(self, input: Image.Image) -> Image.Image:
        CONTROL.record("preprocess_image", mode=input.mode, size=input.size)
        has_alpha = input.mode == "RGBA" and not bool(np.all(np.asarray(input)[:, :, 3] == 255))
        if has_alpha:
            output = input
        else:
            assert self.rembg_model is not None
            if self.low_vram:
                self.rembg_model.to(self.device)
            output = self.rembg_model(input.convert("RGB"))
            if self.low_vram:
                self.rembg_model.cpu()
        alpha = np.asarray(output)[:, :, 3]
        found = np.argwhere(alpha > 0.8 * 255)
        # Raises ValueError on an empty mask, exactly like upstream's np.min of nothing.
        left, top, right, bottom = (
            np.min(found[:, 1]),
            np.min(found[:, 0]),
            np.max(found[:, 1]),
            np.max(found[:, 0]),
        )
        cropped = np.asarray(output.crop((int(left), int(top), int(right) + 1, int(bottom) + 1))).astype(
            np.float32
        )
        premultiplied = cropped[:, :, :3] * cropped[:, :, 3:4] / 255
        return Image.fromarray(premultiplied.astype(np.uint8))

    def _sample(
        self, model_name: str, sampler: Any, defaults: dict[str, Any], params: dict[str, Any], desc: str
    ) -> None:
        self._sample_with(self.models[model_name], sampler, defaults, params, desc)

    def _sample_with(
        self, model: FakeModel, sampler: Any, defaults: dict[str, Any], params: dict[str, Any], desc: str
    ) -> None:
        if self.low_vram:
            model.to(self.device)
        sampler.sample(
            model, None, cond=None, neg_cond=None, **{**defaults, **params}, verbose=True, tqdm_desc=desc
        )
        if self.low_vram:
            model.cpu()

    def sample_sparse_structure(
        self,
        cond: dict[str, Any],
        resolution: int,
        num_samples: int = 1,
        sampler_params: dict[str, Any] | None = None,
    ) -> Any:
        self._sample(
            "sparse_structure_flow_model",
            self.sparse_structure_sampler,
            self.sparse_structure_sampler_params,
            sampler_params or {},
            "Sampling sparse structure",
        )
        for name in ("sparse_structure_decoder",):
            if self.low_vram:
                self.models[name].to(self.device)
                self.models[name].cpu()
        return dome_coords(resolution)

    def sample_shape_slat(
        self,
        cond: dict[str, Any],
        flow_model: FakeModel,
        coords: Any,
        sampler_params: dict[str, Any] | None = None,
    ) -> SparseTensor:
        self._sample_with(
            flow_model,
            self.shape_slat_sampler,
            self.shape_slat_sampler_params,
            sampler_params or {},
            "Sampling shape SLat",
        )
        return SparseTensor(feats=None, coords=coords)

    def sample_shape_slat_cascade(  # noqa: PLR0917 (upstream's signature)
        self,
        lr_cond: dict[str, Any],
        cond: dict[str, Any],
        flow_model_lr: FakeModel,
        flow_model: FakeModel,
        lr_resolution: int,
        resolution: int,
        coords: Any,
        sampler_params: dict[str, Any] | None = None,
        max_num_tokens: int = 49152,
    ) -> tuple[SparseTensor, int]:
        params = sampler_params or {}
        self._sample_with(
            flow_model_lr,
            self.shape_slat_sampler,
            self.shape_slat_sampler_params,
            params,
            "Sampling shape SLat",
        )
        self._sample_with(
            flow_model, self.shape_slat_sampler, self.shape_slat_sampler_params, params, "Sampling shape SLat"
        )
        return SparseTensor(feats=None, coords=dome_coords(resolution // 16)), resolution

    def sample_tex_slat(
        self,
        cond: dict[str, Any],
        flow_model: FakeModel,
        shape_slat: SparseTensor,
        sampler_params: dict[str, Any] | None = None,
    ) -> SparseTensor:
        self._sample_with(
            flow_model,
            self.tex_slat_sampler,
            self.tex_slat_sampler_params,
            sampler_params or {},
            "Sampling texture SLat",
        )
        return SparseTensor(feats=None, coords=shape_slat.coords)

    def _decode(self) -> None:
        for name in ("shape_slat_decoder", "tex_slat_decoder"):
            decoder = self.models[name]
            if self.low_vram:
                decoder.to(self.device)
                decoder.cpu()

    def run(  # noqa: PLR0917 (upstream's signature, positional parameters included)
        self,
        image: Image.Image,
        num_samples: int = 1,
        seed: int = 42,
        sparse_structure_sampler_params: dict[str, Any] | None = None,
        shape_slat_sampler_params: dict[str, Any] | None = None,
        tex_slat_sampler_params: dict[str, Any] | None = None,
        preprocess_image: bool = True,
        return_latent: bool = False,
        pipeline_type: str | None = None,
        max_num_tokens: int = 49152,
    ) -> list[FakeMeshWithVoxel]:
        CONTROL.record(
            "run",
            image_mode=image.mode,
            seed=seed,
            sparse_structure_sampler_params=sparse_structure_sampler_params,
            shape_slat_sampler_params=shape_slat_sampler_params,
            tex_slat_sampler_params=tex_slat_sampler_params,
            preprocess_image=preprocess_image,
            pipeline_type=pipeline_type,
            max_num_tokens=max_num_tokens,
        )
        pipeline_type = pipeline_type or self.default_pipeline_type
        if pipeline_type not in PIPELINE_TYPES:
            raise ValueError(f"Invalid pipeline type: {pipeline_type}")
        if preprocess_image:
            image = self.preprocess_image(image)
        torch.manual_seed(seed)
        ss_params = sparse_structure_sampler_params or {}
        shape_params = shape_slat_sampler_params or {}
        tex_params = tex_slat_sampler_params or {}
        cond_512: dict[str, Any] = {"cond": None, "neg_cond": None}
        cond_1024 = dict(cond_512) if pipeline_type != "512" else None
        ss_res = {"512": 32, "1024": 64, "1024_cascade": 32, "1536_cascade": 32}[pipeline_type]
        coords = self.sample_sparse_structure(cond_512, ss_res, num_samples, ss_params)
        if pipeline_type == "512":
            shape_slat = self.sample_shape_slat(
                cond_512, self.models["shape_slat_flow_model_512"], coords, shape_params
            )
            self.sample_tex_slat(cond_512, self.models["tex_slat_flow_model_512"], shape_slat, tex_params)
            resolution = 512
        elif pipeline_type == "1024":
            assert cond_1024 is not None
            shape_slat = self.sample_shape_slat(
                cond_1024, self.models["shape_slat_flow_model_1024"], coords, shape_params
            )
            self.sample_tex_slat(cond_1024, self.models["tex_slat_flow_model_1024"], shape_slat, tex_params)
            resolution = 1024
        else:
            assert cond_1024 is not None
            shape_slat, resolution = self.sample_shape_slat_cascade(
                cond_512,
                cond_1024,
                self.models["shape_slat_flow_model_512"],
                self.models["shape_slat_flow_model_1024"],
                512,
                1024 if pipeline_type == "1024_cascade" else 1536,
                coords,
                shape_params,
                max_num_tokens,
            )
            self.sample_tex_slat(cond_1024, self.models["tex_slat_flow_model_1024"], shape_slat, tex_params)
        torch.cuda.empty_cache()
        self._decode()
        return [FakeMeshWithVoxel(resolution, self.pbr_attr_layout)]
