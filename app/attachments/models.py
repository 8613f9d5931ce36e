"""Attachments: photos, videos and documents on service requests and tasks.

Content is addressed by its SHA-256: a blob is stored once however often it is attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import enum_type, fk, id_field, timestamp


class AttachmentKind(StrEnum):
    """What an uploaded file is; each kind has its own size limit and accepted types."""

    PHOTO = "PHOTO"
    """An image (JPEG, PNG, WebP, HEIC)."""
    VIDEO = "VIDEO"
    """A video clip."""
    DOCUMENT = "DOCUMENT"
    """A document: PDF, spreadsheet or text."""


class Blob(SQLModel, table=True):
    """Stored content, once per distinct SHA-256."""

    __tablename__ = "attachment_blobs"

    sha256: str = Field(primary_key=True, min_length=64, max_length=64)
    size_bytes: int = Field(sa_type=sa.BigInteger)
    content_type: str = Field(max_length=120)
    kind: AttachmentKind = Field(sa_type=enum_type(AttachmentKind, 16))
    storage_key: str = Field(max_length=300)
    created_at: datetime = timestamp()


class AttachmentBase(SQLModel):
    filename: str = Field(min_length=1, max_length=255)
    caption: str | None = Field(default=None, max_length=300)


class Attachment(AttachmentBase, table=True):
    """A blob attached to exactly one service request, task or depot repair order."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(service_request_id, task_id, repair_order_id) = 1", name="one_parent"
        ),
    )

    id: int | None = id_field()
    blob_sha256: str = Field(
        sa_type=sa.String(64), foreign_key="attachment_blobs.sha256", index=True
    )
    service_request_id: int | None = fk("service_requests.id", nullable=True, ondelete="CASCADE")
    task_id: int | None = fk("tasks.id", nullable=True, ondelete="CASCADE")
    repair_order_id: int | None = fk("repair_orders.id", nullable=True, ondelete="CASCADE")
    kind: AttachmentKind = Field(sa_type=enum_type(AttachmentKind, 16))
    content_type: str = Field(max_length=120)
    size_bytes: int = Field(sa_type=sa.BigInteger)
    uploaded_by: str = Field(max_length=200)
    uploaded_by_role: str = Field(max_length=16)
    uploaded_by_name: str = Field(default="", max_length=200)
    created_at: datetime = timestamp()


class AttachmentCreate(AttachmentBase):
    """What the caller sends with the content (the parent is given by the mutation)."""

    declared_content_type: str | None = Field(default=None, max_length=120)


@dataclass(frozen=True, slots=True)
class Parent:
    """Exactly one of the three."""

    service_request_id: int | None = None
    task_id: int | None = None
    repair_order_id: int | None = None
