"""Territories: service areas with a time zone and a holiday calendar."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from app.core.models import Audited, Code, area_column, fk, id_field


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(value: str) -> str:
    """An IANA time zone name such as Asia/Kolkata (the tz database the system ships)."""
    if value not in _zones():
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Kolkata")
    return value


class TerritoryBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    code: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    time_zone: str = Field(max_length=64)
    description: str | None = Field(default=None, sa_type=sa.Text)


class Territory(TerritoryBase, Audited, table=True):
    __tablename__ = "territories"

    id: int | None = id_field()
    area: Any = Field(default=None, sa_column=area_column())


class TerritoryCreate(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    code: Code
    time_zone: str = Field(max_length=64)
    description: str | None = None
    area: dict[str, Any]
    """A GeoJSON Polygon or MultiPolygon; validated and converted by the service."""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_time_zone(value)


class TerritoryUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    time_zone: str | None = Field(default=None, max_length=64)
    description: str | None = None
    area: dict[str, Any] | None = None

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_time_zone(value)


class TerritoryHolidayBase(SQLModel):
    day: date
    name: str = Field(min_length=1, max_length=120)


class TerritoryHoliday(TerritoryHolidayBase, table=True):
    """A day without regular work in the territory (its local calendar day)."""

    __tablename__ = "territory_holidays"
    __table_args__ = (sa.UniqueConstraint("territory_id", "day"),)

    id: int | None = id_field()
    territory_id: int = fk("territories.id", ondelete="CASCADE")


class TerritoryHolidayCreate(TerritoryHolidayBase):
    pass
