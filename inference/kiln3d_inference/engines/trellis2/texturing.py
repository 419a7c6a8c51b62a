"""What a trellis2 texturing job hands TRELLIS.2's texturing pipeline, and what it undoes afterwards.

Upstream (microsoft/TRELLIS.2 @ 5565d240c4a494caaf9ece7a554542b76ffa36d3,
trellis2/pipelines/trellis2_texturing.py):
- `run(mesh, image, seed, tex_slat_sampler_params, preprocess_image, resolution, texture_size)`
  (lines 375-408) calls `preprocess_mesh` (lines 106-120): the vertices are moved so the centre of
  their bounding box is the origin, scaled by 0.99999 / (the box's largest side), and turned
  (x, y, z) -> (x, -z, y); `postprocess_mesh` (lines 287-371) turns them back ((x, y, z) ->
  (x, z, -y), line 359) but never undoes the move or the scale: the textured mesh comes back
  centred, its largest side just under 1. `MeshPlacement` records the move and the scale from the
  mesh we hand in and puts the result back where the mesh was, in its own units. The turn takes
  +Y as up, glTF's convention, which the api's intake keeps (its canonical GLB), so the mesh's
  up should be the picture's up.
- `resolution` picks the texture flow model and the grid the shape is encoded on: 512 uses
  tex_slat_flow_model_512 and the 512 conditioning, anything else the 1024 ones (lines 399-401).
  The proto allows 512 and 1024 (GenerateRequest.texture_resolution); upstream's app also offers
  1536 (app_texturing.py:101), which we refuse like any other value (INVALID_INPUT): the api
  validates the option first, so only a client of the sidecar's own sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import trimesh

from kiln3d_inference.engines.base import InvalidInput

TEXTURE_RESOLUTIONS = (512, 1024)
# What run() uses when not told (trellis2_texturing.py:382) and what a request's 0 means here.
DEFAULT_TEXTURE_RESOLUTION = 1024
# preprocess_mesh's scale numerator (trellis2_texturing.py:114): the largest side becomes this.
UPSTREAM_EXTENT = 0.99999


def texture_resolution(asked: int) -> int:
    """The `resolution` for run(): `asked` when it is 512 or 1024, DEFAULT_TEXTURE_RESOLUTION for 0.
    Raises InvalidInput for any other value (proto GenerateRequest.texture_resolution)."""
    if asked == 0:
        return DEFAULT_TEXTURE_RESOLUTION
    if asked not in TEXTURE_RESOLUTIONS:
        raise InvalidInput(
            f"texture resolution {asked} is not one TRELLIS.2 can texture at "
            f"({' or '.join(map(str, TEXTURE_RESOLUTIONS))})"
        )
    return asked


@dataclass(frozen=True)
class MeshPlacement:
    """Where the mesh we hand upstream sits: `centre` (3,) of its bounding box and `scale`, the
    factor preprocess_mesh multiplies by (UPSTREAM_EXTENT / the largest side), in the mesh's units."""

    centre: npt.NDArray[np.float64]
    scale: float

    @classmethod
    def of(cls, mesh: trimesh.Trimesh) -> MeshPlacement:
        """The placement of `mesh` (finite vertices, as the api's intake guarantees). Raises
        InvalidInput for a mesh whose bounding box has no extent (every vertex at one point):
        upstream would divide by zero."""
        vertices = np.asarray(mesh.vertices, dtype=np.float64)
        if len(vertices) == 0 or not np.all(np.isfinite(vertices)):
            raise InvalidInput("the mesh has no finite vertices")
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        extent = float((high - low).max())
        if not extent > 0:
            raise InvalidInput("the mesh has no extent: every vertex is at one point")
        return cls(centre=(low + high) / 2, scale=UPSTREAM_EXTENT / extent)

    def restore(self, textured: Any) -> trimesh.Trimesh:
        """`textured` (the trimesh.Trimesh run() returned: normalised frame, the input's axes) moved
        back to the mesh's own scale and position: a new Trimesh with the same faces, UVs, material
        and vertex normals (a uniform scale and a move leave the normals' directions as they are)."""
        vertices = np.asarray(textured.vertices, dtype=np.float64) / self.scale + self.centre
        normals = np.asarray(textured.vertex_normals, dtype=np.float64)
        return trimesh.Trimesh(
            vertices=vertices,
            faces=np.asarray(textured.faces),
            vertex_normals=normals,
            visual=textured.visual,
            process=False,
        )
