"""Fake `o_voxel.postprocess.to_glb`: upstream's signature and progress bar (postprocess.py:14-330).

Takes CUDA tensors (CuMesh and nvdiffrast refuse others) and returns a mesh object shaped like the
trimesh.Trimesh upstream returns: `.faces` and `.export(file_obj, file_type=None, **kwargs)`, which
writes a small valid GLB (trimesh's exporter, through the sidecar's textured_glb) and, like trimesh,
cannot guess the format of a name without a known extension. STALL_EXPORT_ENV (fake_control.py) makes it hang.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from trellis2.fake_control import CONTROL

from kiln3d_inference.textured_glb import textured_glb

STAGES = (
    "Building BVH",
    "Cleaning mesh",
    "Parameterizing new mesh",
    "Sampling attributes",
    "Finalizing mesh",
)


# Keyword arguments of trimesh.exchange.gltf.export_glb (trimesh 4.x) that Trimesh.export passes on.
GLB_EXPORT_OPTIONS = frozenset(
    {
        "extras",
        "include_normals",
        "unitize_normals",
        "tree_postprocessor",
        "buffer_postprocessor",
        "extension_webp",
    }
)


class _Bar:
    """Upstream uses tqdm.tqdm; a silent stand-in is enough here."""

    def __init__(
        self, iterable: Iterable[Any] | None = None, desc: str | None = None, total: int | None = None
    ) -> None:
        self.total = total
        self.desc = desc

    def update(self, n: int = 1) -> None:
        pass

    def set_description(self, desc: str) -> None:
        self.desc = desc

    def close(self) -> None:
        pass


def tqdm(iterable: Iterable[Any] | None = None, desc: str | None = None, total: int | None = None) -> Any:
    """Upstream calls tqdm(total=6, desc="Extracting GLB")."""
    return _Bar(iterable, desc=desc, total=total)


class FakeTrimesh:
    def __init__(self, vertices: np.ndarray[Any, Any], faces: np.ndarray[Any, Any]) -> None:
        self.vertices = vertices
        self.faces = faces

    def export(self, file_obj: str | None = None, file_type: str | None = None, **kwargs: Any) -> bytes:
        """trimesh.Trimesh.export's signature; the keywords go to trimesh's GLB exporter, which
        refuses names it does not have."""
        unknown = set(kwargs) - GLB_EXPORT_OPTIONS
        if unknown:
            raise TypeError(f"export_glb() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        CONTROL.record("export", file_obj=file_obj, file_type=file_type, **kwargs)
        if file_type is None and file_obj is not None:
            file_type = Path(file_obj).suffix.lstrip(".").lower()
        if file_type != "glb":
            raise ValueError(f"{file_type} exporter not available")
        texture = io.BytesIO()
        Image.new("RGB", (4, 4), (128, 128, 128)).save(texture, format="PNG")
        positions = self.vertices[self.faces.reshape(-1)].astype(np.float32)
        normals = np.tile(np.array([[0.0, 0.0, 1.0]], dtype=np.float32), (len(positions), 1))
        data = textured_glb(
            positions,
            normals,
            np.zeros((len(positions), 2), dtype=np.float32),
            np.arange(len(positions), dtype=np.uint32).reshape(-1, 3),
            texture.getvalue(),
            generator="fake o_voxel",
        )
        if file_obj is not None:
            Path(file_obj).write_bytes(data)
        return data


def to_glb(  # noqa: PLR0917 (upstream's signature, positional parameters included)
    vertices: Any,
    faces: Any,
    attr_volume: Any,
    coords: Any,
    attr_layout: dict[str, slice],
    aabb: Any,
    voxel_size: Any = None,
    grid_size: Any = None,
    decimation_target: int = 1000000,
    texture_size: int = 2048,
    remesh: bool = False,
    remesh_band: float = 1,
    remesh_project: float = 0.9,
    mesh_cluster_threshold_cone_half_angle_rad: float = np.radians(90.0),
    mesh_cluster_refine_iterations: int = 0,
    mesh_cluster_global_iterations: int = 1,
    mesh_cluster_smooth_strength: float = 1,
    verbose: bool = False,
    use_tqdm: bool = False,
) -> FakeTrimesh:
    CONTROL.record(
        "to_glb",
        attr_layout=attr_layout,
        aabb=aabb,
        voxel_size=voxel_size,
        grid_size=grid_size,
        decimation_target=decimation_target,
        texture_size=texture_size,
        remesh=remesh,
        remesh_band=remesh_band,
        remesh_project=remesh_project,
        verbose=verbose,
        use_tqdm=use_tqdm,
    )
    CONTROL.stall_export_if_asked()
    assert np.asarray(aabb).shape == (2, 3), f"aabb must be a (2, 3) array, but got {aabb}"
    assert voxel_size is not None or grid_size is not None, "Either voxel_size or grid_size must be provided"
    for name, tensor in (
        ("vertices", vertices),
        ("faces", faces),
        ("attr_volume", attr_volume),
        ("coords", coords),
    ):
        if str(tensor.device).split(":")[0] != "cuda":  # CuMesh, FlexGEMM and nvdiffrast work on CUDA only
            raise RuntimeError(f"{name} must be a CUDA tensor")
    pbar = tqdm(total=6, desc="Extracting GLB") if use_tqdm else None
    if CONTROL.export_hook is not None:
        CONTROL.export_hook("Extracting GLB")
    if pbar is not None:
        pbar.update(1)
    for stage in STAGES:
        if pbar is not None:
            pbar.set_description(stage)
        if CONTROL.export_hook is not None:
            CONTROL.export_hook(stage)
        if pbar is not None:
            pbar.update(1)
    if pbar is not None:
        pbar.close()
    return FakeTrimesh(vertices.cpu().numpy().astype(np.float32), faces.cpu().numpy().astype(np.int64))
