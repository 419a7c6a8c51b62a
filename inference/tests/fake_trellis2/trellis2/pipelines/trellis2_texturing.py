"""Fake `Trellis2TexturingPipeline`: upstream's methods, signatures and control flow, no networks.

Mirrors trellis2/pipelines/trellis2_texturing.py @ 5565d24 (../../upstream_signatures.json records
upstream's signatures and tests/test_trellis2_fake_signatures.py compares them):
- from_pretrained(path, config_file) loads model_names_to_load (lines 32-37) from the config, then
  the texture sampler, both normalisations, the DINOv3 encoder and the background remover (69-96);
- to(device) only records the device in low_vram mode (98-104), so models wait on the CPU;
- preprocess_mesh (106-120) centres the bounding box, scales the largest extent to 0.99999, turns
  (x, y, z) into (x, -z, y) and asserts every vertex lies in [-0.5, 0.5], as upstream does;
- preprocess_image is upstream's crop (122-157, the same code as the image-to-3D pipeline's);
- get_cond / encode_shape_slat / sample_tex_slat ("Sampling texture SLat") / decode_tex_slat move
  each model to the device for its own step only (159-285);
- postprocess_mesh (287-371) needs CUDA, unwraps UVs as CuMesh does (here: every triangle its own
  three corners, so the vertex count grows and the triangles stay), paints a base-colour texture
  (the picture, stretched over texture_size x texture_size) and a metallic-roughness texture, turns
  the axes back ((x, y, z) -> (x, z, -y)) and returns a trimesh.Trimesh still in the normalised
  frame (centred, largest extent 0.99999): upstream never restores the input's scale or position;
- run (374-408) in upstream's order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

from trellis2.fake_control import CONTROL
from trellis2.models.fake_networks import tensor_on
from trellis2.modules import image_feature_extractor
from trellis2.modules.sparse import SparseTensor
from trellis2.pipelines import rembg, samplers
from trellis2.pipelines.base import Pipeline
from trellis2.pipelines.trellis2_image_to_3d import Trellis2ImageTo3DPipeline

PBR_CHANNELS = 6  # base colour 3, metallic, roughness, alpha (pbr_attr_layout)


class Trellis2TexturingPipeline(Pipeline):
    model_names_to_load = [  # noqa: RUF012 (upstream's class attribute)
        "shape_slat_encoder",
        "tex_slat_decoder",
        "tex_slat_flow_model_512",
        "tex_slat_flow_model_1024",
    ]

    def __init__(  # noqa: PLR0917 (upstream's signature)
        self,
        models: dict[str, Any] | None = None,
        tex_slat_sampler: Any = None,
        tex_slat_sampler_params: dict[str, Any] | None = None,
        shape_slat_normalization: dict[str, Any] | None = None,
        tex_slat_normalization: dict[str, Any] | None = None,
        image_cond_model: Any = None,
        rembg_model: Any = None,
        low_vram: bool = True,
    ) -> None:
        if models is None:
            return
        super().__init__(models)
        self.tex_slat_sampler = tex_slat_sampler
        self.tex_slat_sampler_params = tex_slat_sampler_params
        self.shape_slat_normalization = shape_slat_normalization
        self.tex_slat_normalization = tex_slat_normalization
        self.image_cond_model = image_cond_model
        self.rembg_model = rembg_model
        self.low_vram = low_vram
        self.pbr_attr_layout = {
            "base_color": slice(0, 3),
            "metallic": slice(3, 4),
            "roughness": slice(4, 5),
            "alpha": slice(5, 6),
        }
        self._device: Any = "cpu"

    @classmethod
    def from_pretrained(cls, path: str, config_file: str = "pipeline.json") -> Trellis2TexturingPipeline:
        pipeline: Trellis2TexturingPipeline = super().from_pretrained(path, config_file)
        args = pipeline._pretrained_args
        sampler = args["tex_slat_sampler"]
        pipeline.tex_slat_sampler = getattr(samplers, sampler["name"])(**sampler["args"])
        pipeline.tex_slat_sampler_params = sampler["params"]
        pipeline.shape_slat_normalization = args["shape_slat_normalization"]
        pipeline.tex_slat_normalization = args["tex_slat_normalization"]
        image_cond = args["image_cond_model"]
        pipeline.image_cond_model = getattr(image_feature_extractor, image_cond["name"])(**image_cond["args"])
        pipeline.rembg_model = getattr(rembg, args["rembg_model"]["name"])(**args["rembg_model"]["args"])
        pipeline.low_vram = args.get("low_vram", True)
        pipeline.pbr_attr_layout = {
            "base_color": slice(0, 3),
            "metallic": slice(3, 4),
            "roughness": slice(4, 5),
            "alpha": slice(5, 6),
        }
        pipeline._device = "cpu"
        CONTROL.models.update(
            {
                **{f"texturing.{name}": model for name, model in pipeline.models.items()},
                "texturing.image_cond_model": pipeline.image_cond_model.model,
                "texturing.rembg_model": pipeline.rembg_model.model,
            }
        )
        CONTROL.texturing_pipeline = pipeline
        return pipeline

    def to(self, device: Any) -> None:
        self._device = device
        if not self.low_vram:
            super().to(device)
            self.image_cond_model.to(device)
            if self.rembg_model is not None:
                self.rembg_model.to(device)

    def preprocess_mesh(self, mesh: trimesh.Trimesh) -> trimesh.Trimesh:
        low = mesh.vertices.min(axis=0)
        high = mesh.vertices.max(axis=0)
        normalised = (mesh.vertices - (low + high) / 2) * (0.99999 / (high - low).max())
        turned = np.stack([normalised[:, 0], -normalised[:, 2], normalised[:, 1]], axis=1)
        # Upstream asserts both bounds in one statement (line 119).
        assert np.all(turned >= -0.5) and np.all(turned <= 0.5), "vertices out of range"  # noqa: PT018
        return trimesh.Trimesh(vertices=turned, faces=mesh.faces, process=False)

    def preprocess_image(self, input: Image.Image) -> Image.Image:
        # Upstream's two pipelines carry the same code (trellis2_image_to_3d.py:127-162).
        return Trellis2ImageTo3DPipeline.preprocess_image(self, input)  # type: ignore[arg-type]

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

    def encode_shape_slat(self, mesh: trimesh.Trimesh, resolution: int = 1024) -> Any:
        # Upstream voxelises on the CPU (o_voxel.convert.mesh_to_flexible_dual_grid), then encodes
        # on the device; here the voxels are the cells the vertices fall in.
        cells = np.unique(
            np.clip(np.floor((np.asarray(mesh.vertices) + 0.5) * resolution), 0, resolution - 1).astype(
                np.int32
            ),
            axis=0,
        )
        coords = np.hstack([np.zeros((len(cells), 1), dtype=np.int32), cells])
        features = SparseTensor(
            torch.from_numpy(np.zeros((len(cells), 3), dtype=np.float32)), torch.from_numpy(coords)
        ).to(self.device)
        intersected = SparseTensor(
            torch.from_numpy(np.ones((len(cells), 3), dtype=np.float32)), torch.from_numpy(coords)
        ).to(self.device)
        encoder = self.models["shape_slat_encoder"]
        if self.low_vram:
            encoder.to(self.device)
        shape_slat = encoder(features, intersected)
        if self.low_vram:
            encoder.cpu()
        return shape_slat

    def sample_tex_slat(
        self,
        cond: dict[str, Any],
        flow_model: Any,
        shape_slat: Any,
        sampler_params: dict[str, Any] = {},  # noqa: B006
    ) -> Any:
        noise = SparseTensor(
            torch.randn(shape_slat.shape[0], flow_model.in_channels).to(self.device), shape_slat.coords
        )
        sampler_params = {**self.tex_slat_sampler_params, **sampler_params}
        if self.low_vram:
            flow_model.to(self.device)
        slat = self.tex_slat_sampler.sample(
            flow_model,
            noise.feats,
            concat_cond=shape_slat,
            **cond,
            **sampler_params,
            verbose=True,
            tqdm_desc="Sampling texture SLat",
        ).samples
        if self.low_vram:
            flow_model.cpu()
        return SparseTensor(slat, shape_slat.coords)

    def decode_tex_slat(self, slat: Any) -> Any:
        decoder = self.models["tex_slat_decoder"]
        if self.low_vram:
            decoder.to(self.device)
        decoder(slat.feats)
        if self.low_vram:
            decoder.cpu()
        feats = np.full((slat.shape[0], PBR_CHANNELS), 0.5, dtype=np.float32)
        return SparseTensor(tensor_on(self.device, feats), slat.coords)

    def postprocess_mesh(
        self,
        mesh: trimesh.Trimesh,
        pbr_voxel: Any,
        resolution: int = 1024,
        texture_size: int = 1024,
    ) -> trimesh.Trimesh:
        CONTROL.record("postprocess_mesh", resolution=resolution, texture_size=texture_size)
        if CONTROL.texture_hook is not None:
            CONTROL.texture_hook(texture_size)
        normals = np.asarray(mesh.vertex_normals)
        # Upstream hands CuMesh and nvdiffrast CUDA tensors (a CPU-only torch refuses .cuda()).
        vertices_torch = torch.from_numpy(np.asarray(mesh.vertices)).float().cuda()
        faces_torch = torch.from_numpy(np.asarray(mesh.faces)).int().cuda()
        # The UV unwrap: a seam along every edge, each triangle in its own cell of a grid.
        vmap = faces_torch.cpu().numpy().reshape(-1)
        vertices = vertices_torch.cpu().numpy()[vmap]
        faces = np.arange(len(vmap), dtype=np.int64).reshape(-1, 3)
        normals = normals[vmap]
        cells = max(1, math.ceil(math.sqrt(len(faces))))
        index = np.arange(len(faces))
        corner = np.stack([index % cells, index // cells], axis=1).astype(np.float64) / cells
        shape = np.array([[0.1, 0.1], [0.9, 0.1], [0.1, 0.9]]) / cells
        uvs = (corner[:, None, :] + shape[None, :, :]).reshape(-1, 2)
        picture = getattr(self, "_fake_picture", None) or Image.new("RGB", (8, 8), (128, 128, 128))
        base_color = picture.convert("RGB").resize((texture_size, texture_size)).convert("RGBA")
        metallic_roughness = Image.new("RGB", (texture_size, texture_size), (0, 128, 0))
        material = PBRMaterial(  # type: ignore[no-untyped-call]
            baseColorTexture=base_color,
            baseColorFactor=np.array([255, 255, 255, 255], dtype=np.uint8),
            metallicRoughnessTexture=metallic_roughness,
            metallicFactor=1.0,
            roughnessFactor=1.0,
            alphaMode="OPAQUE",
            doubleSided=True,
        )
        # Back from the pipeline's frame: (x, y, z) -> (x, z, -y); V flipped as upstream does.
        vertices = np.stack([vertices[:, 0], vertices[:, 2], -vertices[:, 1]], axis=1)
        normals = np.stack([normals[:, 0], normals[:, 2], -normals[:, 1]], axis=1)
        uvs[:, 1] = 1 - uvs[:, 1]
        return trimesh.Trimesh(
            vertices=vertices,
            faces=faces,
            vertex_normals=normals,
            process=False,
            visual=TextureVisuals(uv=uvs, material=material),  # type: ignore[no-untyped-call]
        )

    def run(  # noqa: PLR0917 (upstream's signature, positional parameters included)
        self,
        mesh: trimesh.Trimesh,
        image: Image.Image,
        seed: int = 42,
        tex_slat_sampler_params: dict[str, Any] = {},  # noqa: B006
        preprocess_image: bool = True,
        resolution: int = 1024,
        texture_size: int = 2048,
    ) -> trimesh.Trimesh:
        CONTROL.record(
            "texturing_run",
            image_mode=image.mode,
            vertices=len(mesh.vertices),
            faces=len(mesh.faces),
            seed=seed,
            tex_slat_sampler_params=tex_slat_sampler_params,
            preprocess_image=preprocess_image,
            resolution=resolution,
            texture_size=texture_size,
        )
        if preprocess_image:
            image = self.preprocess_image(image)
        mesh = self.preprocess_mesh(mesh)
        torch.manual_seed(seed)
        cond = self.get_cond([image], 512) if resolution == 512 else self.get_cond([image], 1024)
        shape_slat = self.encode_shape_slat(mesh, resolution)
        tex_model = (
            self.models["tex_slat_flow_model_512"]
            if resolution == 512
            else self.models["tex_slat_flow_model_1024"]
        )
        tex_slat = self.sample_tex_slat(cond, tex_model, shape_slat, tex_slat_sampler_params)
        pbr_voxel = self.decode_tex_slat(tex_slat)
        self._fake_picture = image
        try:
            return self.postprocess_mesh(mesh, pbr_voxel, resolution, texture_size)
        finally:
            del self._fake_picture
