"""The API's opaque global IDs (base64 of `TypeName:databaseId`), for messages that name an
object the way a client knows it."""

from __future__ import annotations

import base64


def global_id(type_name: str, db_id: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{db_id}".encode()).decode().rstrip("=")
