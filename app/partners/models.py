"""Partner companies: subcontractors whose technicians work for the organisation."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import EmailStr
from sqlmodel import Field, SQLModel

from app.core.models import Audited, Code, id_field


class PartnerBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    contact_email: EmailStr | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, sa_type=sa.Text)


class Partner(PartnerBase, Audited, table=True):
    __tablename__ = "partners"

    id: int | None = id_field()
    code: str = Field(max_length=40, sa_column_kwargs={"unique": True})


class PartnerCreate(PartnerBase):
    code: Code


class PartnerUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    contact_email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    notes: str | None = None
