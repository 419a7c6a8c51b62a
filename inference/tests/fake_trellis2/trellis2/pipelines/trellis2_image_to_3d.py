"""Fake `Trellis2ImageTo3DPipeline`: upstream's methods, signatures and control flow, no networks.

Mirrors trellis2/pipelines/trellis2_image_to_3d.py @ 5565d24 (../../upstream_signatures.json
records upstream's signatures and tests/test_trellis2_fake_signatures.py compares them):
from_pretrained builds the samplers, the DINOv3 image encoder and the background remover from the
config (each loading its folder, or failing offline); `low_vram` moves each model
to the device only around its own step (the shape decoder's own `low_vram` flag on around
upsample and decode); get_cond per resolution; the cascade lowers 1536 by 128 until the tokens fit
`max_num_tokens` (never below 1024); preprocess_image crops a square around the alpha mask like
upstream; what run() returns holds tensors on the pipeline's device.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image

from trellis2.fake_control import CONTROL
from trellis2.models.fake_networks import tensor_on
from trellis2.modules import image_feature_extractor
from trellis2.modules.sparse import SparseTensor
from trellis2.pipelines import rembg, samplers
from trellis2.pipelines.base import Pipeline
from trellis2.representations import MeshWithVoxel

PIPELINE_TYPES = ("512", "1024", "1024_cascade", "1536_cascade")


def dome_coords(resolution: int) -> np.ndarray[Any, Any]:
    """[batch, x, y, z] int32 of the fake's structure: the shell of the upper half of a ball
    (radius 0.4 * resolution, z up as in the pipeline's frame), so a test can tell the axes apart."""
    centre = (resolution - 1) / 2.0
    x, y, z = np.meshgrid(*[np.arange(resolution)] * 3, indexing="ij")
    distance = np.sqrt((x - centre) ** 2 + (y - centre) ** 2 + (z - centre) ** 2)
    found = np.argwhere((np.abs(distance - 0.4 * resolution) < 0.75) & (z >= centre))
    batch = np.zeros((found.shape[0], 1), dtype=np.int64)
    return np.ascontiguousarray(np.hstack([batch, found]).astype(np.int32))


class Trellis2ImageTo3DPipeline(Pipeline):
    model_names_to_load = [  # noqa: RUF012 (upstream's class attribute)
        "sparse_structure_flow_model",
        "sparse_structure_decoder",
        "shape_slat_flow_model_512",
        "shape_slat_flow_model_1024",
        "shape_slat_decoder",
        "tex_slat_flow_model_512",
        "tex_slat_flow_model_1024",
        "tex_slat_decoder",
    ]

    def __init__(  # noqa: PLR0917 (upstream's signature)
        self,
        models: dict[str, Any] | None = None,
        sparse_structure_sampler: Any = None,
        shape_slat_sampler: Any = None,
        tex_slat_sampler: Any = None,
        sparse_structure_sampler_params: dict[str, Any] | None = None,
        shape_slat_sampler_params: dict[str, Any] | None = None,
        tex_slat_sampler_params: dict[str, Any] | None = None,
        shape_slat_normalization: dict[str, Any] | None = None,
        tex_slat_normalization: dict[str, Any] | None = None,
        image_cond_model: Any = None,
        rembg_model: Any = None,
        low_vram: bool = True,
        default_pipeline_type: str = "1024_cascade",
    ) -> None:
        if models is None:
            return
        super().__init__(models)
        self.sparse_structure_sampler = sparse_structure_sampler
        self.shape_slat_sampler = shape_slat_sampler
        self.tex_slat_sampler = tex_slat_sampler
        self.sparse_structure_sampler_params = sparse_structure_sampler_params
        self.shape_slat_sampler_params = shape_slat_sampler_params
        self.tex_slat_sampler_params = tex_slat_sampler_params
        self.shape_slat_normalization = shape_slat_normalization
        self.tex_slat_normalization = tex_slat_normalization
        self.image_cond_model = image_cond_model
        self.rembg_model = rembg_model
        self.low_vram = low_vram
        self.default_pipeline_type = default_pipeline_type
        self.pbr_attr_layout = {
            "base_color": slice(0, 3),
            "metallic": slice(3, 4),
            "roughness": slice(4, 5),
            "alpha": slice(5, 6),
        }
        self._device: Any = "cpu"

    @classmethod
    def from_pretrained(cls, path: str, config_file: str = "pipeline.json") -> Trellis2ImageTo3DPipeline:
        pipeline: Trellis2ImageTo3DPipeline = super().from_pretrained(path, config_file)
        args = pipeline._pretrained_args
        for key in ("sparse_structure_sampler", "shape_slat_sampler", "tex_slat_sampler"):
            setattr(pipeline, key, getattr(samplers, args[key]["name"])(**args[key]["args"]))
            setattr(pipeline, key + "_params", args[key]["params"])
        pipeline.shape_slat_normalization = args["shape_slat_normalization"]
        pipeline.tex_slat_normalization = args["tex_slat_normalization"]
        image_cond = args["image_cond_model"]
        pipeline.image_cond_model = getattr(image_feature_extractor, image_cond["name"])(**image_cond["args"])
        pipeline.rembg_model = getattr(rembg, args["rembg_model"]["name"])(**args["rembg_model"]["args"])
        pipeline.low_vram = args.get("low_vram", True)
        pipeline.default_pipeline_type = args.get("default_pipeline_type", "1024_cascade")
        pipeline.pbr_attr_layout = {
            "base_color": slice(0, 3),
            "metallic": slice(3, 4),
            "roughness": slice(4, 5),
            "alpha": slice(5, 6),
        }
        pipeline._device = "cpu"
        CONTROL.models = {
            **pipeline.models,
            "image_cond_model": pipeline.image_cond_model.model,
            "rembg_model": pipeline.rembg_model.model,
        }
        CONTROL.pipeline = pipeline
        return pipeline

    def to(self, device: Any) -> None:
        self._device = device
        if not self.low_vram:
            super().to(device)
            self.image_cond_model.to(device)
            if self.rembg_model is not None:
                self.rembg_model.to(device)

    def preprocess_image(self, input: Image.Image) -> Image.Image:
        CONTROL.record("preprocess_image", mode=input.mode, size=input.size)
        has_alpha = input.mode == "RGBA" and not bool(np.all(np.asarray(input)[:, :, 3] == 255))
        longest = max(input.size)
        if longest > 1024:  # upstream scales the longest side down to 1024
            factor = 1024 / longest
            input = input.resize(
                (int(input.width * factor), int(input.height * factor)), Image.Resampling.LANCZOS
            )
        if has_alpha:
            output = input
        else:
            input = input.convert("RGB")
            if self.low_vram:
                self.rembg_model.to(self.device)
            output = self.rembg_model(input)
            if self.low_vram:
                self.rembg_model.cpu()
        found = np.argwhere(np.asarray(output)[:, :, 3] > 0.8 * 255)
        # An empty mask raises ValueError here, as upstream's np.min of nothing does.
        left, top = np.min(found[:, 1]), np.min(found[:, 0])
        right, bottom = np.max(found[:, 1]), np.max(found[:, 0])
        # A square of the larger side, centred on the subject (it may reach past the image).
        centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
        half = int(max(right - left, bottom - top)) // 2
        square = output.crop((centre_x - half, centre_y - half, centre_x + half, centre_y + half))
        pixels = np.asarray(square).astype(np.float32) / 255
        return Image.fromarray((pixels[:, :, :3] * pixels[:, :, 3:4] * 255).astype(np.uint8))

    def get_cond(self, image: Any, resolution: int, include_neg_cond: bool = True) -> dict[str, Any]:
        self.image_cond_model.image_size = resolution
        if self.low_vram:
            self.image_cond_model.to(self.device)
        cond = self.image_cond_model(image)
        if self.low_vram:
            self.image_cond_model.cpu()
        if not include_neg_cond:
            return {"cond": cond}
        return {"cond": cond, "neg_cond": torch.zeros_like(cond)}

    def sample_sparse_structure(
        self,
        cond: dict[str, Any],
        resolution: int,
        num_samples: int = 1,
        sampler_params: dict[str, Any] = {},  # noqa: B006
    ) -> Any:
        flow_model = self.models["sparse_structure_flow_model"]
        reso = flow_model.resolution
        noise = torch.randn(num_samples, flow_model.in_channels, reso, reso, reso).to(self.device)
        sampler_params = {**self.sparse_structure_sampler_params, **sampler_params}
        if self.low_vram:
            flow_model.to(self.device)
        z_s = self.sparse_structure_sampler.sample(
            flow_model, noise, **cond, **sampler_params, verbose=True, tqdm_desc="Sampling sparse structure"
        ).samples
        if self.low_vram:
            flow_model.cpu()
        decoder = self.models["sparse_structure_decoder"]
        if self.low_vram:
            decoder.to(self.device)
        decoder(z_s)
        if self.low_vram:
            decoder.cpu()
        return tensor_on(self.device, dome_coords(resolution))

    def _sample_slat(  # noqa: PLR0917 (a helper of the fake)
        self,
        sampler: Any,
        flow_model: Any,
        noise: Any,
        cond: dict[str, Any],
        params: dict[str, Any],
        desc: str,
        **extra: Any,
    ) -> Any:
        if self.low_vram:
            flow_model.to(self.device)
        slat = sampler.sample(
            flow_model, noise, **extra, **cond, **params, verbose=True, tqdm_desc=desc
        ).samples
        if self.low_vram:
            flow_model.cpu()
        return slat

    def _noise(self, tokens: int, channels: int) -> Any:
        return torch.randn(tokens, channels).to(self.device)

    def sample_shape_slat(
        self,
        cond: dict[str, Any],
        flow_model: Any,
        coords: Any,
        sampler_params: dict[str, Any] = {},  # noqa: B006
    ) -> Any:
        params = {**self.shape_slat_sampler_params, **sampler_params}
        noise = self._noise(coords.shape[0], flow_model.in_channels)
        feats = self._sample_slat(
            self.shape_slat_sampler, flow_model, noise, cond, params, "Sampling shape SLat"
        )
        # Upstream's latent is a SparseTensor at the structure's coordinates.
        return SparseTensor(feats, coords)

    def sample_shape_slat_cascade(  # noqa: PLR0917 (upstream's signature)
        self,
        lr_cond: dict[str, Any],
        cond: dict[str, Any],
        flow_model_lr: Any,
        flow_model: Any,
        lr_resolution: int,
        resolution: int,
        coords: Any,
        sampler_params: dict[str, Any] = {},  # noqa: B006
        max_num_tokens: int = 49152,
    ) -> Any:
        params = {**self.shape_slat_sampler_params, **sampler_params}
        noise = self._noise(coords.shape[0], flow_model_lr.in_channels)
        slat = self._sample_slat(
            self.shape_slat_sampler, flow_model_lr, noise, lr_cond, params, "Sampling shape SLat"
        )
        decoder = self.models["shape_slat_decoder"]
        if self.low_vram:
            decoder.to(self.device)
            decoder.low_vram = True
        decoder.upsample(slat, upsample_times=4)
        if self.low_vram:
            decoder.cpu()
            decoder.low_vram = False
        hr_resolution = resolution
        while True:
            num_tokens = CONTROL.tokens_at(hr_resolution)
            if num_tokens < max_num_tokens or hr_resolution == 1024:
                if hr_resolution != resolution:
                    print(
                        f"Due to the limited number of tokens, the resolution is reduced to {hr_resolution}."
                    )
                break
            hr_resolution -= 128
        CONTROL.cascade_resolutions.append((resolution, hr_resolution))
        noise = self._noise(num_tokens, flow_model.in_channels)
        feats = self._sample_slat(
            self.shape_slat_sampler, flow_model, noise, cond, params, "Sampling shape SLat"
        )
        # Upstream's latent sits at the upsampled coordinates, quantised to hr_resolution // 16.
        return SparseTensor(feats, tensor_on(self.device, dome_coords(hr_resolution // 16))), hr_resolution

    def decode_shape_slat(self, slat: Any, resolution: int) -> Any:
        decoder = self.models["shape_slat_decoder"]
        decoder.set_resolution(resolution)
        if self.low_vram:
            decoder.to(self.device)
            decoder.low_vram = True
        decoder(slat, return_subs=True)
        if self.low_vram:
            decoder.cpu()
            decoder.low_vram = False
        vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32) * 0.4 - 0.2
        faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], dtype=np.int32)
        return [(tensor_on(self.device, vertices), tensor_on(self.device, faces))], []

    def sample_tex_slat(
        self,
        cond: dict[str, Any],
        flow_model: Any,
        shape_slat: Any,
        sampler_params: dict[str, Any] = {},  # noqa: B006
    ) -> Any:
        params = {**self.tex_slat_sampler_params, **sampler_params}
        noise = self._noise(shape_slat.shape[0], flow_model.in_channels)
        return self._sample_slat(
            self.tex_slat_sampler,
            flow_model,
            noise,
            cond,
            params,
            "Sampling texture SLat",
            concat_cond=shape_slat,
        )

    def decode_tex_slat(self, slat: Any, subs: list[Any]) -> Any:
        decoder = self.models["tex_slat_decoder"]
        if self.low_vram:
            decoder.to(self.device)
        decoder(slat, guide_subs=subs)
        if self.low_vram:
            decoder.cpu()
        return tensor_on(self.device, np.full((4, 6), 0.5, dtype=np.float32))

    def decode_latent(self, shape_slat: Any, tex_slat: Any, resolution: int) -> list[MeshWithVoxel]:
        meshes, subs = self.decode_shape_slat(shape_slat, resolution)
        attrs = self.decode_tex_slat(tex_slat, subs)
        return [
            MeshWithVoxel(
                vertices,
                faces,
                origin=[-0.5, -0.5, -0.5],
                voxel_size=1 / resolution,
                coords=tensor_on(self.device, np.zeros((4, 3), dtype=np.int32)),
                attrs=attrs,
                voxel_shape=(1, 6, resolution, resolution, resolution),
                layout=self.pbr_attr_layout,
            )
            for vertices, faces in meshes
        ]

    def run(  # noqa: PLR0917 (upstream's signature, positional parameters included)
        self,
        image: Image.Image,
        num_samples: int = 1,
        seed: int = 42,
        sparse_structure_sampler_params: dict[str, Any] = {},  # noqa: B006
        shape_slat_sampler_params: dict[str, Any] = {},  # noqa: B006
        tex_slat_sampler_params: dict[str, Any] = {},  # noqa: B006
        preprocess_image: bool = True,
        return_latent: bool = False,
        pipeline_type: str | None = None,
        max_num_tokens: int = 49152,
    ) -> Any:
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
        cond_512 = self.get_cond([image], 512)
        cond_1024 = self.get_cond([image], 1024) if pipeline_type != "512" else None
        ss_res = {"512": 32, "1024": 64, "1024_cascade": 32, "1536_cascade": 32}[pipeline_type]
        coords = self.sample_sparse_structure(cond_512, ss_res, num_samples, sparse_structure_sampler_params)
        m = self.models
        if pipeline_type in ("512", "1024"):
            cond = cond_512 if pipeline_type == "512" else cond_1024
            assert cond is not None
            shape_slat = self.sample_shape_slat(
                cond, m[f"shape_slat_flow_model_{pipeline_type}"], coords, shape_slat_sampler_params
            )
            tex_slat = self.sample_tex_slat(
                cond, m[f"tex_slat_flow_model_{pipeline_type}"], shape_slat, tex_slat_sampler_params
            )
            res = int(pipeline_type)
        else:
            assert cond_1024 is not None
            shape_slat, res = self.sample_shape_slat_cascade(
                cond_512,
                cond_1024,
                m["shape_slat_flow_model_512"],
                m["shape_slat_flow_model_1024"],
                512,
                1024 if pipeline_type == "1024_cascade" else 1536,
                coords,
                shape_slat_sampler_params,
                max_num_tokens,
            )
            tex_slat = self.sample_tex_slat(
                cond_1024, m["tex_slat_flow_model_1024"], shape_slat, tex_slat_sampler_params
            )
        torch.cuda.empty_cache()
        out_mesh = self.decode_latent(shape_slat, tex_slat, res)
        if return_latent:
            return out_mesh, (shape_slat, tex_slat, res)
        return out_mesh
