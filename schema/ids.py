"""Opaque global IDs: base64 of `TypeName:databaseId`."""

from __future__ import annotations

import base64
import binascii

from app.core.errors import DomainError, ErrorCode


def encode_id(type_name: str, db_id: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{db_id}".encode()).decode().rstrip("=")


def split_id(global_id: str) -> tuple[str, int] | None:
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        type_name, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        return (type_name, int(raw)) if type_name and raw.isdigit() else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def decode_id(global_id: str, type_name: str, field: str | list[str] = "id") -> int:
    """The database id behind a global ID of the expected type, or an INVALID error on `field`."""
    parts = split_id(global_id)
    if parts is None or parts[0] != type_name:
        path = [field] if isinstance(field, str) else field
        raise DomainError(f"not a {type_name} ID", ErrorCode.INVALID, path)
    return parts[1]


def decode_optional_id(
    global_id: str | None, type_name: str, field: str | list[str] = "id"
) -> int | None:
    return None if global_id is None else decode_id(global_id, type_name, field)


def decode_ids(global_ids: list[str], type_name: str, field: str) -> list[int]:
    return [decode_id(gid, type_name, [field, str(i)]) for i, gid in enumerate(global_ids)]
