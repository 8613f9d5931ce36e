"""HMAC-SHA256 signatures over `timestamp.body`, as `t=<unix seconds>,v1=<hex>`.

Used both ways: outbound webhooks are signed with the subscriber's secret; inbound provider
callbacks and replies are verified with ours. A signature older or newer than the tolerance is
refused, so a captured request cannot be replayed later; receivers also remember delivery ids.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from app.core.errors import DomainError, ErrorCode

HEADER = "Fieldgraph-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    at = int(time.time()) if timestamp is None else timestamp
    return f"t={at},v1={signature(secret, at, body)}"


def parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise DomainError("malformed signature header", ErrorCode.UNAUTHENTICATED)
    return timestamp, signatures


def verify(
    secret: str, header: str | None, body: bytes, *, tolerance: int = 300, now: float | None = None
) -> str:
    """The verified v1 signature (a replay key), or UNAUTHENTICATED."""
    if not header:
        raise DomainError("missing signature", ErrorCode.UNAUTHENTICATED)
    timestamp, candidates = parse(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise DomainError("signature timestamp outside the tolerance", ErrorCode.UNAUTHENTICATED)
    expected = signature(secret, timestamp, body)
    for candidate in candidates:
        if hmac.compare_digest(expected, candidate):
            return candidate
    raise DomainError("signature mismatch", ErrorCode.UNAUTHENTICATED)
