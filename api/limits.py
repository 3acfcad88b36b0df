"""What a request may be: the body's size, checked before anything parses it, and the counts a
match request may ask for. Each number is named here with the reason for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

import orjson

#: A request body's largest size. A match request of the most queries (`MAX_QUERIES`) with a
#: few names and identifiers each is some tens of KiB; a MiB leaves room and keeps one request
#: from holding a worker's memory.
MAX_BODY_BYTES: Final = 1024 * 1024
#: Queries in one match request; yente's own default batch limit (YENTE_MAX_BATCH).
MAX_QUERIES: Final = 100
#: Names (name, alias, previousName values) screened for one query: each is screened apart.
MAX_NAMES: Final = 20
#: Most results per query (yente's YENTE_MAX_MATCHES).
MAX_LIMIT: Final = 500

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_error(send: Send, status: int, detail: str) -> None:
    """An error answer in the API's one error shape, `{"detail": "..."}`, from ASGI level."""
    body = orjson.dumps({"detail": detail})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses a request body over `max_bytes` with 413 before the application reads it: by its
    Content-Length when it states one, else (a chunked body) as soon as the bytes received pass
    the limit. The body is read here and handed on whole, so nothing after this counts again."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_big = f"request body over {self.max_bytes:,} bytes"
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    stated = int(value)
                except ValueError:
                    await send_error(send, 400, "Content-Length is not a number")
                    return
                if stated > self.max_bytes:
                    await send_error(send, 413, too_big)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_error(send, 413, too_big)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


__all__ = ["MAX_BODY_BYTES", "MAX_LIMIT", "MAX_NAMES", "MAX_QUERIES", "BodyLimit"]
