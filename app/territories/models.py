"""Territories: service areas with a time zone and a holiday calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import Audited, area_column, fk, id_field


class TerritoryBase(SQLModel):
    name: str = Field(max_length=120)
    code: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    time_zone: str = Field(max_length=64)


class Territory(TerritoryBase, Audited, table=True):
    __tablename__ = "territories"

    id: int | None = id_field()
    area: Any = Field(default=None, sa_column=area_column())


class TerritoryHoliday(SQLModel, table=True):
    __tablename__ = "territory_holidays"
    __table_args__ = (sa.UniqueConstraint("territory_id", "day"),)

    id: int | None = id_field()
    territory_id: int = fk("territories.id", ondelete="CASCADE")
    day: date
    name: str = Field(max_length=120)
