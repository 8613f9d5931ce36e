"""Column helpers shared by every domain's SQLModel tables."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import sqlalchemy as sa
from geoalchemy2 import Geography, Geometry
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
]
"""A short business code (partner code, skill code, territory code...): letters, digits, _ . -"""


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_type(enum: type[Enum], length: int = 32) -> sa.Enum:
    """A VARCHAR-backed enum: adding a member needs no ALTER TYPE migration."""
    return sa.Enum(enum, native_enum=False, length=length, validate_strings=True)


def id_field() -> Any:
    return Field(default=None, primary_key=True, sa_type=sa.BigInteger)


def fk(target: str, *, nullable: bool = False, ondelete: str | None = None) -> Any:
    return Field(  # type: ignore[call-overload]
        default=None,
        sa_column_kwargs={"nullable": nullable},
        sa_type=sa.BigInteger,
        foreign_key=target,
        ondelete=ondelete,
        index=True,
    )


def timestamp(*, nullable: bool = False, default_now: bool = True, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow if default_now else lambda: None,
        sa_type=sa.DateTime(timezone=True),
        nullable=nullable,
        index=index,
    )


def point_column(*, nullable: bool = True) -> sa.Column[Any]:
    """A WGS84 point on the geography type: metres and great-circle distances, GiST-indexed."""
    return sa.Column(Geography("POINT", srid=4326, spatial_index=True), nullable=nullable)


def area_column(*, nullable: bool = False) -> sa.Column[Any]:
    """A WGS84 multipolygon on the geometry type (containment tests are cheaper there)."""
    return sa.Column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=nullable)


def money_column() -> Any:
    return Field(default=None, sa_type=sa.Numeric(12, 2), nullable=True)


class Audited(SQLModel):
    """Creation/update times, archival and an optimistic-concurrency version."""

    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    archived_at: datetime | None = timestamp(nullable=True, default_now=False)
    version: int = Field(default=1, nullable=False)

    def touch(self) -> None:
        self.updated_at = utcnow()
        self.version += 1
