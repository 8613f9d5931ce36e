"""Where attachment content lives: a local directory by default, or an S3-compatible bucket.

Keys are derived from the content's SHA-256, so a put of the same content is idempotent and
an object never changes once written.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from app.attachments.settings import AttachmentSettings, Backend, get_attachment_settings


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    def url(self, key: str, expires_in: int) -> str | None:
        """A URL the client may fetch the object from for `expires_in` seconds, if any."""
        ...


def key_for(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class StorageError(Exception):
    pass


class LocalStorage:
    """Files under one directory; writes are atomic (temporary file, then rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError("key escapes the storage directory")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError as exc:
            raise StorageError(f"no object {key}") from exc

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    def url(self, key: str, expires_in: int) -> str | None:
        return None  # served by the application, not by the storage


# --- AWS Signature Version 4 ----------------------------------------------------------------

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key: str
    secret_key: str
    region: str
    service: str = "s3"

    def scope(self, day: str) -> str:
        return f"{day}/{self.region}/{self.service}/aws4_request"

    def signing_key(self, day: str) -> bytes:
        key = _hmac(f"AWS4{self.secret_key}".encode(), day)
        for part in (self.region, self.service, "aws4_request"):
            key = _hmac(key, part)
        return key


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _encode(value: str, safe: str = "") -> str:
    return quote(value, safe="-_.~" + safe)


def _canonical_query(params: dict[str, str]) -> str:
    pairs = sorted((_encode(k), _encode(v)) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def _signature(
    credentials: Credentials,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    payload_hash: str,
    at: datetime,
) -> tuple[str, str]:
    """(signed header names, signature) of one request; `path` is already URI-encoded."""
    canonical_headers = {k.lower(): " ".join(v.strip().split()) for k, v in headers.items()}
    names = sorted(canonical_headers)
    signed = ";".join(names)
    canonical = "\n".join(
        [
            method,
            path or "/",
            _canonical_query(query),
            "".join(f"{name}:{canonical_headers[name]}\n" for name in names),
            signed,
            payload_hash,
        ]
    )
    stamp, day = at.strftime("%Y%m%dT%H%M%SZ"), at.strftime("%Y%m%d")
    to_sign = "\n".join(
        [ALGORITHM, stamp, credentials.scope(day), hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signature = hmac.new(credentials.signing_key(day), to_sign.encode(), hashlib.sha256)
    return signed, signature.hexdigest()


def sign_request(
    credentials: Credentials,
    method: str,
    url: str,
    headers: dict[str, str],
    payload_hash: str,
    at: datetime,
) -> dict[str, str]:
    """`headers` plus host, x-amz-date, x-amz-content-sha256 and the Authorization header."""
    parts = urlsplit(url)
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    signed_headers = {
        **headers,
        "host": parts.netloc,
        "x-amz-date": stamp,
        "x-amz-content-sha256": payload_hash,
    }
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    names, signature = _signature(
        credentials, method, parts.path, query, signed_headers, payload_hash, at
    )
    credential = f"{credentials.access_key}/{credentials.scope(at.strftime('%Y%m%d'))}"
    authorization = (
        f"{ALGORITHM} Credential={credential},SignedHeaders={names},Signature={signature}"
    )
    return {**signed_headers, "Authorization": authorization}


def presign(credentials: Credentials, method: str, url: str, expires_in: int, at: datetime) -> str:
    """A URL carrying its own signature (query-string authentication), valid `expires_in` s."""
    parts = urlsplit(url)
    query = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{credentials.access_key}/{credentials.scope(at.strftime('%Y%m%d'))}",
        "X-Amz-Date": at.strftime("%Y%m%dT%H%M%SZ"),
        "X-Amz-Expires": str(expires_in),
        "X-Amz-SignedHeaders": "host",
    }
    _, signature = _signature(
        credentials, method, parts.path, query, {"host": parts.netloc}, UNSIGNED, at
    )
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{_canonical_query(query)}&X-Amz-Signature={signature}"


class S3Storage:
    """An S3-compatible bucket (AWS, MinIO, Ceph, R2...) over plain HTTPS with SigV4."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        credentials: Credentials,
        *,
        virtual_hosted: bool = False,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.credentials = credentials
        self.virtual_hosted = virtual_hosted
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))

    def object_url(self, key: str) -> str:
        path = _encode(key, safe="/")
        if self.virtual_hosted:
            scheme, _, host = self.endpoint.partition("://")
            return f"{scheme}://{self.bucket}.{host}/{path}"
        return f"{self.endpoint}/{_encode(self.bucket)}/{path}"

    async def _send(
        self, method: str, key: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        url = self.object_url(key)
        payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        signed = sign_request(
            self.credentials, method, url, headers or {}, payload_hash, datetime.now(UTC)
        )
        try:
            return await self.client.request(method, url, content=body or None, headers=signed)
        except httpx.HTTPError as exc:
            raise StorageError(f"{method} {key}: {exc}") from exc

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        response = await self._send("PUT", key, data, {"content-type": content_type})
        if response.status_code >= 300:
            raise StorageError(f"PUT {key}: HTTP {response.status_code}")

    async def get(self, key: str) -> bytes:
        response = await self._send("GET", key)
        if response.status_code != 200:
            raise StorageError(f"GET {key}: HTTP {response.status_code}")
        return response.content

    async def delete(self, key: str) -> None:
        response = await self._send("DELETE", key)
        if response.status_code not in (200, 204, 404):
            raise StorageError(f"DELETE {key}: HTTP {response.status_code}")

    def url(self, key: str, expires_in: int) -> str | None:
        return presign(self.credentials, "GET", self.object_url(key), expires_in, datetime.now(UTC))


def storage_from(settings: AttachmentSettings) -> Storage:
    if settings.backend is Backend.S3:
        assert settings.s3_endpoint and settings.s3_bucket
        assert settings.s3_access_key and settings.s3_secret_key
        credentials = Credentials(
            settings.s3_access_key, settings.s3_secret_key, settings.s3_region
        )
        return S3Storage(
            settings.s3_endpoint,
            settings.s3_bucket,
            credentials,
            virtual_hosted=settings.s3_virtual_hosted,
        )
    return LocalStorage(Path.cwd() / settings.dir)


_current: Storage | None = None


def current_storage() -> Storage:
    """The process's storage, built from the settings on first use."""
    global _current
    if _current is None:
        _current = storage_from(get_attachment_settings())
    return _current


def use_storage(storage: Storage | None) -> None:
    """Replace the process's storage (tests; None rebuilds it from the settings)."""
    global _current
    _current = storage
