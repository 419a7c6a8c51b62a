"""A model of tens of MB over real gRPC (TCP, with the secret): the Sidecar servicer in this process,
an engine that writes a TRELLIS.2-sized GLB (a 3000 px noise texture, PNG: ~27 MB, incompressible),
and a client that joins the chunks; the bytes equal what the engine wrote and glTF-Validator passes."""

from __future__ import annotations

import io
from pathlib import Path

import grpc
import numpy as np
from PIL import Image

from kiln3d_inference.engines.base import Engine, GenerateResult, JobContext, Stage
from kiln3d_inference.engines.output import atomic_write_bytes
from kiln3d_inference.proto import inference_pb2 as pb
from kiln3d_inference.proto import inference_pb2_grpc as pb_grpc
from kiln3d_inference.server import MODEL_CHUNK_BYTES, ExitRequest, Sidecar, start_server
from kiln3d_inference.settings import Settings
from kiln3d_inference.textured_glb import textured_glb
from tests.helpers import sample_images, streamed_model, validate_glbs

TOKEN = "model-stream-test-secret-0123456789"


def _large_glb(side: int) -> bytes:
    """One textured quad whose texture is `side`² pixels of noise (PNG does not shrink it)."""
    noise = np.random.default_rng(7).integers(0, 256, (side, side, 3), dtype=np.uint8)
    texture = io.BytesIO()
    Image.fromarray(noise, mode="RGB").save(texture, format="PNG", compress_level=1)
    positions = np.array([[-0.5, -0.5, 0], [0.5, -0.5, 0], [0.5, 0.5, 0], [-0.5, 0.5, 0]], dtype=np.float32)
    normals = np.tile(np.array([0, 0, 1], dtype=np.float32), (4, 1))
    uvs = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], dtype=np.float32)
    indices = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32)
    return textured_glb(positions, normals, uvs, indices, texture.getvalue(), generator="Kiln3D test")


class LargeModelEngine(Engine):
    """Writes one large, valid GLB per job (keeps its bytes to compare with what arrived)."""

    name = "large"

    def __init__(self) -> None:
        self.model = _large_glb(3000)

    def load(self) -> None:
        """Nothing to load."""

    def warm_up(self) -> None:
        """Nothing to warm."""

    def generate(self, image: Image.Image, output_path: Path, seed: int, ctx: JobContext) -> GenerateResult:
        """The large GLB at output_path (inside the sidecar's private job folder)."""
        ctx.progress(Stage.EXPORT, 50.0, "writing")
        atomic_write_bytes(output_path, self.model)
        return GenerateResult(output_path, triangles=2, bytes=len(self.model), seconds=0.1, engine=self.name)


def test_a_model_of_tens_of_megabytes_crosses_the_stream_intact(tmp_path: Path) -> None:
    sidecar = Sidecar(Settings(listen="127.0.0.1:0", inference_token=TOKEN), ExitRequest())
    engine = LargeModelEngine()
    assert len(engine.model) > 20 * 1024 * 1024
    sidecar.engine, sidecar.engine_name, sidecar.state = engine, engine.name, pb.READY
    server, address = start_server(sidecar.settings, sidecar)
    try:
        with grpc.insecure_channel(address) as channel:
            stub = pb_grpc.InferenceStub(channel)
            request = pb.GenerateRequest(task_id="big", image=sample_images()[0].read_bytes(), timeout_s=60)
            events = list(
                stub.Generate(request, timeout=60, metadata=(("authorization", f"Bearer {TOKEN}"),))
            )
    finally:
        server.stop(grace=None)
    model = streamed_model(events)
    assert model == engine.model
    chunks = sum(1 for e in events if e.WhichOneof("event") == "model_chunk")
    assert chunks == -(-len(model) // MODEL_CHUNK_BYTES)
    received = tmp_path / "received.glb"
    received.write_bytes(model)
    assert validate_glbs([received])[str(received)]["errors"] == 0
