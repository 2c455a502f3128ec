"""Refusing an upload before its body is read: no Content-Length (411) or too large (413).

FastAPI reads a whole multipart body before a route runs, so this is ASGI middleware."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class UploadLimit:
    def __init__(self, app: ASGIApp, path: str, max_bytes: int):
        self.app, self.path, self.max_bytes = app, path, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path:
            refusal = self.refusal(dict(scope["headers"]).get(b"content-length"))
            if refusal:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, length: bytes | None) -> JSONResponse | None:
        if length is None:
            return _error(411, "the upload needs a Content-Length header (no chunked uploads)")
        if not length.isdigit():
            return _error(400, f"Content-Length {length.decode(errors='replace')!r} is no number")
        if int(length) > self.max_bytes:
            return _error(
                413,
                f"the upload is {int(length):,} bytes; at most {self.max_bytes:,} are accepted",
            )
        return None


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers={"Connection": "close"})
