"""Generated gRPC stubs for proto/inference.proto: regenerate with `python -m kiln3d_inference.codegen`."""
