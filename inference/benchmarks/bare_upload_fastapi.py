"""The admission benchmark's other baseline: the same upload in the seed's own stack, FastAPI +
uvicorn + Pillow, doing what the api's image-normaliser does (format by content, at most
8192x8192, at least 64 px a side, EXIF orientation, at most 2048 px a side, a PNG for the engine,
422 for one flat colour) and nothing else: no queue, no store.

Run: inference/.venv/bin/python -m uvicorn bare_upload_fastapi:app --app-dir inference/benchmarks --port PORT
(FastAPI, uvicorn and python-multipart come with the `bench` extra of inference/pyproject.toml.)
"""

from __future__ import annotations

import io
import uuid
from typing import Annotated

from fastapi import FastAPI, File, UploadFile
from fastapi.responses import JSONResponse
from PIL import Image, ImageOps, ImageStat

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 8192 * 8192
MIN_SIDE = 64
MAX_SIDE = 2048
FLAT_STDEV = 1.0
FORMATS = {"JPEG", "PNG", "WEBP"}

app = FastAPI()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=status)


@app.post("/api/generate", status_code=202)
async def generate(image: Annotated[UploadFile, File()]) -> JSONResponse:
    """Validates and normalises one picture; answers 202 as the api does, or its error."""
    data = await image.read()
    if len(data) > MAX_BYTES:
        return _error(413, "File too large, max 10MB")
    try:
        opened = Image.open(io.BytesIO(data))
        if opened.format not in FORMATS or opened.width * opened.height > MAX_PIXELS:
            return _error(400, "Unsupported image format")
        if opened.width < MIN_SIDE or opened.height < MIN_SIDE:
            return _error(422, "Image too small, min 64x64")
        picture = ImageOps.exif_transpose(opened)
        picture.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        picture.save(out, format="PNG")
    except (OSError, ValueError):
        return _error(400, "Unsupported image format")
    if all(s < FLAT_STDEV for s in ImageStat.Stat(picture).stddev):
        return _error(422, "No object found in the image")
    task_id = str(uuid.uuid4())
    return JSONResponse(
        {"success": True, "task_id": task_id, "status_url": f"/api/status/{task_id}", "queue_position": 1},
        status_code=202,
    )
