"""The storage backends: SigV4 against AWS's published examples, S3 over HTTP, local files."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.attachments.storage import (
    EMPTY_SHA256,
    Credentials,
    LocalStorage,
    S3Storage,
    StorageError,
    presign,
    sign_request,
)

AWS_EXAMPLE = Credentials(
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"
)
AWS_EXAMPLE_TIME = datetime(2013, 5, 24, tzinfo=UTC)
AWS_EXAMPLE_URL = "https://examplebucket.s3.amazonaws.com/test.txt"


def test_a_signed_get_matches_the_aws_example() -> None:
    # when the documented GET Object request (with a Range header) is signed
    headers = sign_request(
        AWS_EXAMPLE, "GET", AWS_EXAMPLE_URL, {"Range": "bytes=0-9"}, EMPTY_SHA256, AWS_EXAMPLE_TIME
    )

    # then the signature is the one AWS publishes
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_a_presigned_url_matches_the_aws_example() -> None:
    # when the documented presigned GET (valid 24 hours) is built
    url = presign(AWS_EXAMPLE, "GET", AWS_EXAMPLE_URL, 86400, AWS_EXAMPLE_TIME)

    # then its signature is the one AWS publishes
    assert url.endswith(
        "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
    assert "X-Amz-Expires=86400" in url


async def test_s3_storage_puts_gets_and_deletes_signed_objects() -> None:
    # given an S3-compatible endpoint that keeps objects in memory
    objects: dict[str, bytes] = {}
    seen: list[httpx.Request] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if request.method == "PUT":
            objects[path] = request.content
            return httpx.Response(200)
        if request.method == "GET":
            return (
                httpx.Response(200, content=objects[path])
                if path in objects
                else httpx.Response(404)
            )
        objects.pop(path, None)
        return httpx.Response(204)

    client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    s3 = S3Storage("https://minio.local:9000", "fieldgraph", AWS_EXAMPLE, client=client)

    # when an object is written, read, deleted and read again
    await s3.put("sha256/ab/cd/abcd", b"photo", "image/png")
    content = await s3.get("sha256/ab/cd/abcd")
    await s3.delete("sha256/ab/cd/abcd")
    with pytest.raises(StorageError):
        await s3.get("sha256/ab/cd/abcd")
    await client.aclose()

    # then each call went to the bucket's path, signed, with the payload's hash
    assert content == b"photo"
    assert [r.method for r in seen] == ["PUT", "GET", "DELETE", "GET"]
    assert {r.url.path for r in seen} == {"/fieldgraph/sha256/ab/cd/abcd"}
    put = seen[0]
    assert put.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIA")
    assert put.headers["x-amz-content-sha256"] == hashlib.sha256(b"photo").hexdigest()
    assert put.headers["content-type"] == "image/png"
    assert s3.url("sha256/ab/cd/abcd", 60) is not None


def files_in(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.is_file()]


async def test_local_storage_is_idempotent_and_stays_in_its_directory(tmp_path: Path) -> None:
    # given a local storage
    local = LocalStorage(tmp_path)

    # when the same key is written twice and a key tries to leave the directory
    await local.put("sha256/aa/bb/aabb", b"one", "image/png")
    await local.put("sha256/aa/bb/aabb", b"one", "image/png")

    # then the object is there once, and escaping is refused
    assert await local.get("sha256/aa/bb/aabb") == b"one"
    assert files_in(tmp_path) == ["aabb"]
    with pytest.raises(StorageError):
        await local.put("../outside", b"x", "image/png")
    assert local.url("sha256/aa/bb/aabb", 60) is None
