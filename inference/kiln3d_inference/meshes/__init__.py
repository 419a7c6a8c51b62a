"""The mesh intake (POST /api/texture): an uploaded GLB, OBJ or PLY judged by its content and
rewritten as the canonical GLB the engines read (one triangle mesh: POSITION, NORMAL and indices).
The api runs it as `python -m kiln3d_inference.meshes` (cli.py); the sidecar reads its output with
`load_intake_glb` (intake.py)."""
