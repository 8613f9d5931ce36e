"""Stored users who log in; each has one role and may stand for a technician, customer, partner."""

from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr
from sqlmodel import Field, SQLModel

from app.core.auth import Role
from app.core.models import Audited, enum_type, fk, id_field, timestamp


class UserBase(SQLModel):
    email: str = Field(max_length=320, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role, 16))


class User(UserBase, Audited, table=True):
    __tablename__ = "users"

    id: int | None = id_field()
    password_hash: str = Field(max_length=200)
    technician_id: int | None = fk("technicians.id", nullable=True, ondelete="SET NULL")
    customer_id: int | None = fk("customers.id", nullable=True, ondelete="SET NULL")
    partner_id: int | None = fk("partners.id", nullable=True, ondelete="SET NULL")
    last_login_at: datetime | None = timestamp(nullable=True, default_now=False)


class UserCreate(UserBase):
    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=8, max_length=200)
    technician_id: int | None = None
    customer_id: int | None = None
    partner_id: int | None = None


class UserUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)
    technician_id: int | None = None
    customer_id: int | None = None
    partner_id: int | None = None
