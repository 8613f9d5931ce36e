"""Opaque global IDs: base64 of `TypeName:databaseId`."""

from __future__ import annotations

import base64
import binascii

from app.core.errors import DomainError, ErrorCode


def encode_id(type_name: str, db_id: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{db_id}".encode()).decode().rstrip("=")


MAX_DB_ID = 2**63 - 1
"""Every id column is a PostgreSQL bigint: a larger number names no row, and sent to the
database it would fail the whole statement instead."""


def parse_db_id(raw: str) -> int | None:
    """A database id written in plain ASCII digits, within bigint, or None. (`int` alone
    also takes signs, spaces, underscores and other scripts' digits.)"""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return value if value <= MAX_DB_ID else None


def split_id(global_id: str) -> tuple[str, int] | None:
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        type_name, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    db_id = parse_db_id(raw)
    return (type_name, db_id) if type_name and db_id is not None else None


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
