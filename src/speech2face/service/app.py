"""The web service: `GET /` (the page), `POST /v1/faces`, `GET /healthz`, `GET /evaluation`.

Routes stay thin: the model is loaded and warmed once at start (`app.state.served`), admission
is bounded (`admission.py`), oversize or length-less uploads are refused before their body is
read (`limits.py`), and every refusal is one line of JSON `{"detail": ...}`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from speech2face.avatar.pyfunc import example_voice
from speech2face.avatar.voice_input import VoiceRejected, voice_from_bytes
from speech2face.service.admission import Admission, Overloaded
from speech2face.service.limits import UploadLimit
from speech2face.service.loading import ServedModel, load
from speech2face.service.page import render_page
from speech2face.service.settings import Settings

FACES = "/v1/faces"
# The part types an audio file arrives as (browsers label WebM/MP4 recordings as video too).
AUDIO_TYPES = ("audio/", "video/webm", "video/mp4", "video/ogg", "application/ogg")
UNLABELLED = "application/octet-stream"
log = logging.getLogger("speech2face.service")


def create_app(settings: Settings, loader=load) -> FastAPI:
    """The service for `settings`; `loader(settings.model)` gives the ServedModel."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        served = await run_in_threadpool(loader, settings.model)
        warm = voice_from_bytes(
            example_voice(served.avatar.sample_rate),
            served.avatar.sample_rate,
            settings.limits,
            "warm-up",
        )
        await run_in_threadpool(served.avatar.face, warm)
        app.state.served = served
        log.info("serving %s", served.version)
        yield

    app = FastAPI(title="speech2face", lifespan=lifespan, docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    app.state.served = None
    app.state.admission = Admission(settings.inference_slots, settings.max_waiting)
    app.add_middleware(UploadLimit, path=FACES, max_bytes=settings.max_upload_bytes)
    app.add_exception_handler(StarletteHTTPException, _one_line_error)
    app.add_exception_handler(Exception, _internal_error)
    _routes(app)
    return app


def served_model(request: Request) -> ServedModel:
    served = request.app.state.served
    if served is None:
        raise HTTPException(503, "the model is still loading", {"Retry-After": "5"})
    return served


Served = Annotated[ServedModel, Depends(served_model)]


def _routes(app: FastAPI) -> None:
    settings: Settings = app.state.settings

    @app.get("/", response_class=HTMLResponse)
    def page(served: Served) -> str:
        return render_page(served.version, served.avatar.identity, settings)

    @app.get("/healthz")
    def healthz(served: Served) -> dict:
        return {"status": "ok", "model": {"version": served.version, "source": served.source}}

    @app.get("/evaluation", response_class=PlainTextResponse)
    def evaluation() -> PlainTextResponse:
        report = settings.reports / "evaluation.md"
        if not report.is_file():
            raise HTTPException(404, "no evaluation report beside this service's models")
        return PlainTextResponse(report.read_text(), media_type="text/markdown; charset=utf-8")

    @app.post(FACES)
    async def faces(request: Request, served: Served, format: str = "json") -> Response:
        """Multipart field `audio` (any common audio format) -> the face (JSON, or PNG with
        `?format=png` or `Accept: image/png`), the readings, the model version, timings."""
        started = time.perf_counter()
        if format not in ("json", "png"):
            raise HTTPException(422, f"format {format!r}: json or png")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise HTTPException(415, "send the audio as multipart/form-data, field 'audio'")
        admission: Admission = request.app.state.admission
        try:
            async with admission.admit():
                data = await _upload(request)
                async with admission.slot():
                    waited = time.perf_counter()
                    rate = served.avatar.sample_rate
                    samples = await run_in_threadpool(
                        voice_from_bytes, data, rate, settings.limits, "the upload"
                    )
                    decoded = time.perf_counter()
                    prediction = await run_in_threadpool(served.avatar.face, samples)
                    done = time.perf_counter()
        except Overloaded:
            raise HTTPException(
                503,
                "the service is busy; try again shortly",
                {"Retry-After": str(settings.retry_after_seconds)},
            ) from None
        except VoiceRejected as error:
            raise HTTPException(413 if error.reason == "too_long" else 422, str(error)) from None
        timing = {
            "queue": (waited - started) * 1000,
            "decode": (decoded - waited) * 1000,
            "inference": (done - decoded) * 1000,
            "total": (time.perf_counter() - started) * 1000,
        }
        headers = {
            "X-Model-Version": served.version,
            "X-Inference-Ms": f"{timing['inference']:.1f}",
        }
        if format == "png" or _wants_png(request.headers.get("accept", "")):
            return Response(
                prediction.png(settings.face_size), media_type="image/png", headers=headers
            )
        body = {
            "face": prediction.png_data_url(settings.face_size),
            "attributes": {
                name: {"label": label, "probability": round(probability, 4)}
                for name, (label, probability) in prediction.attributes.items()
            },
            "age": round(prediction.age, 1),
            "audio_seconds": round(len(samples) / rate, 2),
            "model": {"version": served.version, "source": served.source},
            "timing_ms": {k: round(v, 1) for k, v in timing.items()},
        }
        return JSONResponse(body, headers=headers)


def _wants_png(accept: str) -> bool:
    """Whether an Accept header lists image/png before any JSON (`Accept: image/png`, or a
    browser's `image/png, */*`); case and parameters such as `;q=0.9` do not matter."""
    for item in accept.split(","):
        media = item.split(";")[0].strip().lower()
        if media == "image/png":
            return True
        if media == "application/json":
            return False
    return False


async def _upload(request: Request) -> bytes:
    """The bytes of the multipart field `audio`, after checking that it is one audio file."""
    try:
        form = await request.form(max_files=1, max_fields=8)
    except StarletteHTTPException as error:  # Starlette's 400 for its parser's MultiPartException
        raise HTTPException(400, f"the multipart body is malformed: {error.detail}") from None
    upload = form.get("audio")
    if not isinstance(upload, UploadFile):
        raise HTTPException(422, "the form has no file in its field 'audio'")
    kind = (upload.content_type or UNLABELLED).split(";")[0].strip().lower()
    if kind != UNLABELLED and not kind.startswith(AUDIO_TYPES):
        raise HTTPException(415, f"the upload is {kind}, not audio (WAV, WebM, MP3, M4A, ...)")
    return await upload.read()


async def _one_line_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    detail = " ".join(str(error.detail).split())
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=error.headers)


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("failed: %s %s", request.method, request.url.path)
    return JSONResponse({"detail": f"internal error ({type(error).__name__})"}, status_code=500)
