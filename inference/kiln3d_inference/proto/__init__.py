"""Generated gRPC stubs for proto/inference.proto: regenerate with `python inference/scripts/codegen.py`."""
