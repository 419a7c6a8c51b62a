"""The gRPC sidecar: one engine, loaded and warmed once, one job at a time.

Out of memory: an engine frees its cache and retries once itself (it knows what a retry may change),
then raises OutOfMemory; an unmapped CUDA/host OOM that escapes an engine is reported as OOM too.

Concurrency policy: a Generate that arrives while a job runs waits up to KILN_BUSY_WAIT_S for it (the
previous job's Done is streamed before its clean-up ends, so a client that starts the next job at
once must not be refused), then is answered with an INTERNAL error "busy: ..." (the api runs one
job per sidecar, so a real overlap only comes from misuse).
A job whose engine does not stop after cancellation keeps the sidecar BUSY (health says so) until
the supervisor kills it; past its deadline plus STOP_GRACE_S the stream ends with TIMEOUT anyway.

Files: each job's engine writes into a private temporary folder of its own (mkdtemp: mode 0700,
under TMPDIR), which is removed when the call ends; the model goes back to the api on the stream
(ModelChunk events, then Done with its length and SHA-256), so the sidecar writes nothing anywhere
else and needs no folder shared with the api. A killed sidecar's folders are swept at the next start.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import trimesh
from PIL import Image

from kiln3d_inference import __version__
from kiln3d_inference.auth import TokenCheck
from kiln3d_inference.engines.base import (
    MAX_IMAGE_SIDE,
    RECYCLE_EXIT_CODE,
    Engine,
    EngineError,
    ErrorCode,
    GenerateResult,
    InvalidInput,
    JobContext,
    JobOptions,
    OutOfMemory,
    Stage,
)
from kiln3d_inference.engines.factory import build_engine, select_engine
from kiln3d_inference.engines.preview import VoxelPreview
from kiln3d_inference.meshes.intake import MeshRefused, load_intake_glb
from kiln3d_inference.proto import inference_pb2 as pb
from kiln3d_inference.proto import inference_pb2_grpc as pb_grpc
from kiln3d_inference.settings import Settings

log = logging.getLogger("kiln3d_inference")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
STOP_GRACE_S = 5.0  # how long a cancelled or overdue engine gets to stop before it is called stuck
POLL_S = 0.1
# One ModelChunk's data at most: well under gRPC's default 4 MiB message limit on either side.
MODEL_CHUNK_BYTES = 1024 * 1024
WORK_DIR_PREFIX = "kiln3d-job-"
_WORK_DIR_PATTERN = re.compile(rf"^{WORK_DIR_PREFIX}(\d+)-")
MODEL_FILE_NAME = "model.glb"


def _is_oom(exc: BaseException) -> bool:
    """OutOfMemory from an engine, or a CUDA/host OOM that an engine let through unmapped."""
    if isinstance(exc, OutOfMemory | MemoryError):
        return True
    return type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(exc)


def _error_event(code: ErrorCode, message: str) -> pb.GenerateEvent:
    return pb.GenerateEvent(error=pb.Error(code=pb.ErrorCode.ValueType(int(code)), message=message))


def decode_image(data: bytes) -> Image.Image:
    """Pillow-decode the request image fully; anything undecodable is INVALID_INPUT."""
    if not data:
        raise InvalidInput("image is empty")
    try:
        image = Image.open(io.BytesIO(data))
        if max(image.size) > MAX_IMAGE_SIDE:  # judged from the header, before pixels are decoded
            raise InvalidInput(f"image too large: {image.width}x{image.height}, max {MAX_IMAGE_SIDE} a side")
        image.load()
    except InvalidInput:
        raise
    except Image.DecompressionBombError as exc:
        raise InvalidInput("image has too many pixels") from exc
    except Exception as exc:  # Pillow raises many types for corrupt data
        raise InvalidInput("image could not be decoded") from exc
    return image


def decode_mesh(data: bytes) -> trimesh.Trimesh:
    """The mesh of a texturing job (GenerateRequest.mesh: the intake's canonical GLB); bytes that
    are not a readable GLB of finite triangles are INVALID_INPUT."""
    try:
        return load_intake_glb(data)
    except MeshRefused as refused:
        raise InvalidInput(f"mesh could not be read: {refused.message}") from refused


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def sweep_stale_work_dirs(root: Path | None = None) -> int:
    """Remove job folders (WORK_DIR_PREFIX<pid>-*) left in `root` (default: the temporary folder)
    by a sidecar that was killed mid-job; a live process's folders are kept. Returns how many went."""
    folder = root if root is not None else Path(tempfile.gettempdir())
    removed = 0
    for entry in folder.glob(f"{WORK_DIR_PREFIX}*"):
        match = _WORK_DIR_PATTERN.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def model_events(result: GenerateResult, chunk_bytes: int = MODEL_CHUNK_BYTES) -> Iterator[pb.GenerateEvent]:
    """The finished model as the stream's tail: ModelChunk events of at most `chunk_bytes` each, in
    order, then Done with the byte length and SHA-256 of exactly what was sent (proto ModelChunk, Done).
    Raises OSError when the engine's file cannot be read."""
    digest = hashlib.sha256()
    offset = 0
    with result.output_path.open("rb") as model:
        while data := model.read(chunk_bytes):
            digest.update(data)
            yield pb.GenerateEvent(model_chunk=pb.ModelChunk(offset=offset, data=data))
            offset += len(data)
    yield pb.GenerateEvent(
        done=pb.Done(
            triangles=result.triangles,
            bytes=offset,
            seconds=result.seconds,
            engine=result.engine,
            seed=result.seed,
            ignored=list(result.ignored),
            sha256=digest.digest(),
        )
    )


@dataclass
class RunningJob:
    """The one job in progress: its context (cancel, deadline), thread and stop bookkeeping."""

    task_id: str
    ctx: JobContext
    started: float
    work_dir: Path
    thread: threading.Thread | None = None
    stop_requested_at: float | None = None
    outcome_ready: bool = False  # the terminal event is queued: the call ending now cancels nothing

    def remove_work_dir(self) -> None:
        """Remove the job's private folder and whatever the engine left in it (idempotent)."""
        shutil.rmtree(self.work_dir, ignore_errors=True)


class Sidecar(pb_grpc.InferenceServicer):
    """Holds the engine and its state; the gRPC methods are thin shells around it."""

    def __init__(self, settings: Settings, exit_request: ExitRequest) -> None:
        self.settings = settings
        self.exit_request = exit_request
        self.engine: Engine | None = None
        self.engine_name = ""
        self.state: pb.ServingState.ValueType = pb.LOADING
        self.message = "starting"
        self.jobs_done = 0
        self.shutting_down = False
        self._job_lock = threading.Lock()  # held from job start until the engine returns
        self._state_lock = threading.Lock()
        self.job: RunningJob | None = None
        self.auth = TokenCheck(settings.inference_token)

    # ---- lifecycle -------------------------------------------------------------------------

    def load(self) -> None:
        """Select, load and warm up the engine (runs in a background thread at start)."""
        try:
            swept = sweep_stale_work_dirs()
            if swept:
                log.info("removed %d job folder(s) left by a killed sidecar", swept)
            selection = select_engine(self.settings)
            self.engine_name = selection.name
            log.info("engine %s chosen: %s", selection.name, selection.reason)
            self.message = f"loading {selection.name} ({selection.reason})"
            engine = build_engine(selection.name, self.settings)
            started = time.monotonic()
            engine.load()
            log.info("engine %s loaded in %.2f s", selection.name, time.monotonic() - started)
            started = time.monotonic()
            engine.warm_up()
            engine.clear_cache()
            log.info("warm-up done in %.2f s", time.monotonic() - started)
            with self._state_lock:
                self.engine = engine
                self.state = pb.READY
                self.message = selection.reason
            log.info("ready: engine %s on %s", selection.name, engine.device())
        except Exception as exc:
            log.error("engine failed to load: %s\n%s", exc, traceback.format_exc())
            with self._state_lock:
                self.state = pb.FAILED
                self.message = f"engine {self.engine_name or '?'} failed to load: {exc}"

    def begin_shutdown(self) -> None:
        """Refuse new jobs and cancel the running one (SIGTERM, SIGINT, parent gone)."""
        self.shutting_down = True
        job = self.job
        if job is not None:
            log.info("shutting down: cancelling task %s", job.task_id)
            job.stop_requested_at = job.stop_requested_at or time.monotonic()
            job.ctx.cancelled.set()

    # ---- gRPC ------------------------------------------------------------------------------

    def Health(self, request: pb.HealthRequest, context: grpc.ServicerContext) -> pb.HealthResponse:
        """The state, engine, device, VRAM, job count and whether the caller's secret matches,
        answered at once in every state and to every caller (it names no task)."""
        engine = self.engine
        vram = engine.vram() if engine is not None else None
        message = self.message
        job = self.job
        if job is not None and job.stop_requested_at is not None:
            # No task id: Health is open, and the api shows this message on its public /api/health.
            waited = time.monotonic() - job.stop_requested_at
            message = f"the running job was asked to stop {waited:.0f} s ago"
        return pb.HealthResponse(
            state=self.state,
            engine=self.engine_name,
            device=engine.device() if engine is not None else "",
            vram_used_bytes=vram.used_bytes if vram else 0,
            vram_total_bytes=vram.total_bytes if vram else 0,
            jobs_done=self.jobs_done,
            message=message,
            pid=os.getpid(),
            version=__version__,
            auth=self.auth.state(context.invocation_metadata()),
            texturing=engine.texturing if engine is not None else "",
            unused_generation_options=engine.unused_generation_options if engine is not None else (),
            unused_texture_options=engine.unused_texture_options if engine is not None else (),
        )

    def Generate(
        self, request: pb.GenerateRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.GenerateEvent]:
        task_id = request.task_id or "-"
        auth = self.auth.state(context.invocation_metadata())
        if auth != pb.AUTH_OK:
            self.auth.note_refusal(auth, context.peer())
            what = "inference token missing" if auth == pb.AUTH_MISSING else "wrong inference token"
            context.abort(grpc.StatusCode.UNAUTHENTICATED, f"{what} (INFERENCE_TOKEN)")
        refusal = self._refusal()
        if refusal is not None:
            log.warning("task %s refused: %s", task_id, refusal)
            yield _error_event(ErrorCode.INTERNAL, refusal)
            return
        if not self._job_lock.acquire(timeout=self.settings.busy_wait_s):
            log.warning("task %s refused: busy", task_id)
            yield _error_event(ErrorCode.INTERNAL, "busy: another job is running")
            return
        events: queue.Queue[pb.GenerateEvent | GenerateResult] = queue.Queue()
        thread_started = False
        job: RunningJob | None = None
        try:
            try:
                image = decode_image(request.image)
                # A texturing job (POST /api/texture) carries the mesh to paint.
                mesh = decode_mesh(request.mesh) if request.mesh else None
            except EngineError as exc:
                log.warning("task %s: refused: %s", task_id, exc.message)
                yield _error_event(exc.code, exc.message)
                return

            def on_progress(stage: Stage, percent: float, message: str) -> None:
                events.put(
                    pb.GenerateEvent(
                        progress=pb.Progress(
                            stage=pb.Stage.ValueType(int(stage)), percent=percent, message=message
                        )
                    )
                )

            def on_preview(preview: VoxelPreview) -> None:
                events.put(
                    pb.GenerateEvent(
                        preview=pb.Preview(
                            stage=pb.Stage.ValueType(int(preview.stage)),
                            resolution=preview.resolution,
                            count=preview.count,
                            coords=preview.coords,
                        )
                    )
                )

            deadline = time.monotonic() + request.timeout_s if request.timeout_s > 0 else None
            ctx = JobContext(
                task_id=task_id,
                on_progress=on_progress,
                deadline=deadline,
                on_preview=on_preview,
                options=JobOptions(
                    pipeline_type=request.pipeline_type,
                    texture_size=request.texture_size,
                    faces=request.faces,
                    texture_resolution=request.texture_resolution,
                ),
            )
            work_dir = Path(tempfile.mkdtemp(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-"))
            job = RunningJob(task_id=task_id, ctx=ctx, started=time.monotonic(), work_dir=work_dir)
            running = job
            if not context.add_callback(lambda: self._on_call_end(running)):
                ctx.cancelled.set()  # the call already ended: the job starts cancelled and stops at once
            with self._state_lock:
                self.job = job
                self.state = pb.BUSY
            thread = threading.Thread(
                target=self._run_job,
                args=(job, image, mesh, request.seed, events),
                name=f"job-{task_id}",
                daemon=True,
            )
            job.thread = thread
            thread.start()
            thread_started = True
            yield from self._stream(job, events, context)
        finally:
            if job is not None:
                job.remove_work_dir()
            if not thread_started:
                self._job_lock.release()

    # ---- internals -------------------------------------------------------------------------

    def _refusal(self) -> str | None:
        if self.shutting_down:
            return "shutting down"
        if self.state == pb.LOADING:
            return "not ready: the engine is still loading"
        if self.state == pb.FAILED:
            return f"not ready: {self.message}"
        return None

    def _on_call_end(self, job: RunningJob) -> None:
        """gRPC calls this when the call ends for any reason: a cancelled call cancels the job, and
        the job's folder goes (an engine still writing there then fails: nothing is left behind)."""
        job.remove_work_dir()
        if not job.outcome_ready and not job.ctx.cancelled.is_set():
            log.info("task %s: call ended by the client, cancelling the job", job.task_id)
            job.stop_requested_at = time.monotonic()
            job.ctx.cancelled.set()

    def _stream(
        self,
        job: RunningJob,
        events: queue.Queue[pb.GenerateEvent | GenerateResult],
        context: grpc.ServicerContext,
    ) -> Iterator[pb.GenerateEvent]:
        while True:
            try:
                event = events.get(timeout=POLL_S)
            except queue.Empty:
                if not context.is_active():
                    return  # the job thread sees ctx.cancelled via the call-end callback
                deadline = job.ctx.deadline
                if deadline is not None and time.monotonic() > deadline + STOP_GRACE_S:
                    assert job.thread is not None
                    if job.thread.is_alive():
                        job.stop_requested_at = job.stop_requested_at or deadline
                        job.ctx.cancelled.set()
                        log.error("task %s: engine did not stop at its deadline; sidecar stuck", job.task_id)
                        yield _error_event(
                            ErrorCode.TIMEOUT, "job exceeded its time limit and the engine did not stop"
                        )
                        return
                continue
            if isinstance(event, GenerateResult):
                yield from self._deliver(job, event)
                return
            yield event
            if event.WhichOneof("event") == "error":
                return

    def _deliver(self, job: RunningJob, result: GenerateResult) -> Iterator[pb.GenerateEvent]:
        """The model's chunks and Done; an unreadable model file becomes an INTERNAL error event."""
        try:
            yield from model_events(result)
        except OSError as exc:
            log.error("task %s: the model could not be read back: %s", job.task_id, exc)
            yield _error_event(ErrorCode.INTERNAL, f"internal error: the model could not be read: {exc}")

    def _run_job(
        self,
        job: RunningJob,
        image: Image.Image,
        mesh: trimesh.Trimesh | None,
        seed: int,
        events: queue.Queue[pb.GenerateEvent | GenerateResult],
    ) -> None:
        engine = self.engine
        assert engine is not None
        ctx = job.ctx
        what = "" if mesh is None else f", texturing {len(mesh.faces)} triangles"
        log.info(
            "task %s: start (engine %s, %dx%d%s)",
            job.task_id,
            self.engine_name,
            image.width,
            image.height,
            what,
        )
        outcome = "failed"
        try:
            output_path = job.work_dir / MODEL_FILE_NAME
            if mesh is None:
                result = engine.generate(image, output_path, seed, ctx)
            else:
                result = engine.texture(image, mesh, output_path, seed, ctx)
            job.outcome_ready = True
            # The stream reads the file back and sends it (model_events); the folder goes with the call.
            events.put(result)
            outcome = f"done: {result.triangles} triangles, {result.bytes} bytes"
        except EngineError as exc:
            if exc.code is ErrorCode.INTERNAL:
                log.error("task %s: %s\n%s", job.task_id, exc.message, traceback.format_exc())
            message = exc.message
            if exc.code is ErrorCode.CANCELLED and self.shutting_down:
                message = "cancelled: the sidecar is shutting down"
            outcome = f"{exc.code.name}: {message}"
            job.outcome_ready = True
            events.put(_error_event(exc.code, message))
        except Exception as exc:
            job.outcome_ready = True
            if _is_oom(exc):
                outcome = f"OOM: {exc}"
                events.put(_error_event(ErrorCode.OOM, f"out of memory: {exc}"))
            else:
                log.error("task %s: internal error: %s\n%s", job.task_id, exc, traceback.format_exc())
                outcome = f"INTERNAL: {type(exc).__name__}: {exc}"
                events.put(_error_event(ErrorCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}"))
        finally:
            self._finish_job(engine, job, outcome)

    def _finish_job(self, engine: Engine, job: RunningJob, outcome: str) -> None:
        try:
            engine.clear_cache()
        except Exception:
            log.exception("clear_cache failed")
        with self._state_lock:
            self.jobs_done += 1
            self.job = None
            if self.state == pb.BUSY:
                self.state = pb.READY
        log.info(
            "task %s: end after %.2f s (engine %s) %s",
            job.task_id,
            time.monotonic() - job.started,
            self.engine_name,
            outcome,
        )
        job_limit = self.settings.recycle_after_jobs
        recycle = engine.should_recycle() or (job_limit > 0 and self.jobs_done >= job_limit)
        self._job_lock.release()
        if recycle:
            log.info("recycling: exiting with code %d after this job", RECYCLE_EXIT_CODE)
            self.shutting_down = True
            self.exit_request.request(RECYCLE_EXIT_CODE, "recycle")


class ExitRequest:
    """Set once by a signal handler or a recycling job; the main thread waits on it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.code = 0
        self.reason = ""

    def request(self, code: int, reason: str) -> None:
        """Ask the process to exit with `code`; the first request wins."""
        if not self.event.is_set():
            self.code, self.reason = code, reason
            self.event.set()


def start_server(settings: Settings, sidecar: Sidecar) -> tuple[grpc.Server, str]:
    """Bind and start serving (Health answers LOADING at once); returns the bound address."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    pb_grpc.add_InferenceServicer_to_server(sidecar, server)
    address = settings.listen
    if address.startswith("unix:"):
        socket_path = Path(address.removeprefix("unix://").removeprefix("unix:"))
        socket_path.parent.mkdir(parents=True, exist_ok=True)
        if socket_path.is_socket():
            socket_path.unlink()  # stale socket of a killed predecessor
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    bound = address
    if not address.startswith("unix:") and address.rsplit(":", 1)[-1] == "0":
        bound = f"{address.rsplit(':', 1)[0]}:{port}"
    server.start()
    return server, bound
