"""Signed report links: `<inspection id>.<expiry, unix seconds>.<signature>`, the signature an
HMAC-SHA256 of the first two parts keyed with the app's secret under a purpose of its own, so
a report link is never a token for anything else (and the reverse)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from app.core.config import Settings

PURPOSE = b"fieldgraph.inspection-report:"
LIFETIME = timedelta(days=30)


def _mac(settings: Settings, body: str) -> str:
    key = hashlib.sha256(PURPOSE + settings.jwt_secret.encode()).digest()
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(settings: Settings, inspection_id: int, now: datetime) -> str:
    body = f"{inspection_id}.{int((now + LIFETIME).timestamp())}"
    return f"{body}.{_mac(settings, body)}"


def verify(settings: Settings, token: str, now: datetime) -> int | None:
    """The inspection a token names, or None when forged, altered or expired."""
    if not token.isascii():  # compare_digest takes ASCII strings only
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_mac(settings, body), parts[2]):
        return None
    if not (parts[0].isdigit() and parts[1].isdigit()) or int(parts[1]) < now.timestamp():
        return None
    return int(parts[0])


def report_path(settings: Settings, inspection_id: int, now: datetime) -> str:
    return f"/inspections/report/{sign(settings, inspection_id, now)}"
