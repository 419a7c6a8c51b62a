"""Download formats of a completed model (issue 23): the engine's GLB converted to OBJ (zip), STL,
3MF, PLY and USDZ by well-kept libraries (trimesh, lib3mf, usd-core).

- source.py: the GLB read into a normalised Model (scene graph flattened, textures kept encoded);
- geometry.py: the printing frame, watertightness, vertex colours from the base colour;
- obj.py, stl.py, threemf.py, ply.py, usdz.py: one writer per format;
- cli.py: the command line the api runs (python -m kiln3d_inference.formats).
"""
