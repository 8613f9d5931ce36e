"""ASGI middleware: request ids in logs and responses, and a request body size limit; the
nesting limit for JSON bodies and messages."""

from __future__ import annotations

import json
import re
import time
import uuid
from itertools import accumulate

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("fieldgraph.http")


class RequestContext:
    """Binds a request id (taken from `X-Request-ID` or made up) and logs each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http" and scope.get("path") not in ("/healthz", "/readyz"):
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
            structlog.contextvars.unbind_contextvars("request_id")


class BodySizeLimit:
    """Refuses request bodies over the limit with 413, by header and while streaming.

    Multipart requests (GraphQL file uploads) get their own, larger limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.max_upload_bytes if is_upload else self.max_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._too_large(send)

    @staticmethod
    async def _too_large(send: Send) -> None:
        body = b'{"errors":[{"message":"request body too large","extensions":{"code":"INVALID"}}]}'
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


MAX_JSON_DEPTH = 64
"""Deeper JSON is refused before it is decoded: the standard decoder recurses once per level
and fails with RecursionError near 1,000, and GraphQL variables never need more."""

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class JSONTooDeep(json.JSONDecodeError):
    def __init__(self, document: str | bytes) -> None:
        text = document if isinstance(document, str) else document.decode("utf-8", "replace")
        super().__init__(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", text[:64], 0)


def json_depth(document: str | bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """The deepest nesting of arrays and objects in a JSON document, or any number up to it
    when the document cannot reach `limit` (too few brackets). Malformed JSON gets a number
    too; the decoder refuses it afterwards. Linear, in C but for one step per bracket."""
    raw = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return 0
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(_DEPTH_STEP[b] for b in brackets), default=0)


def check_json_depth(document: str | bytes) -> None:
    if json_depth(document) > MAX_JSON_DEPTH:
        raise JSONTooDeep(document)
