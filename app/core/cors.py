"""Which browser origins may call the API: one policy for HTTP (CORS) and WebSocket handshakes.

Browsers apply CORS to `fetch` but not to WebSocket handshakes, so the same list and pattern
also decide which cross-origin pages may open a subscription socket (see `app.main`). Clients
that send no `Origin` (native apps, scripts) are not browsers and are never refused here.
"""

from __future__ import annotations

import re

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from app.core.config import Settings

ALLOWED_HEADERS = ["authorization", "content-type", "x-request-id"]
EXPOSED_HEADERS = ["x-request-id"]


def cors_middleware(settings: Settings) -> Middleware:
    return Middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_origin_regex=settings.cors_origin_regex,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=["GET", "POST"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )


def origin_allowed(settings: Settings, origin: str) -> bool:
    """The rule of Starlette's CORSMiddleware: `*`, a listed origin, or the pattern."""
    origin = origin.strip().rstrip("/")
    if "*" in settings.cors_origins or origin in settings.cors_origins:
        return True
    pattern = settings.cors_origin_regex
    return pattern is not None and re.fullmatch(pattern, origin) is not None
