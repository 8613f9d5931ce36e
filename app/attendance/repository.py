"""Who may read which technician's attendance: staff all, a partner its own technicians, a
technician themselves; customers nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.attendance.models import AttendanceEntry
from app.core.auth import Principal, Role
from app.core.errors import NotFound
from app.technicians.models import Technician
from app.technicians.repository import visible


def may_read(principal: Principal | None) -> bool:
    return principal is not None and principal.role is not Role.CUSTOMER


async def readable_technician(
    session: AsyncSession, principal: Principal | None, technician_id: int
) -> Technician:
    """The technician, if the caller may read their attendance; NOT_FOUND otherwise."""
    row = None
    if may_read(principal):
        row = await session.scalar(
            select(Technician).where(col(Technician.id) == technician_id, visible(principal))
        )
    if row is None:
        raise NotFound("technician", ["technicianId"])
    return row


async def get_readable(
    session: AsyncSession, principal: Principal | None, entry_id: int
) -> AttendanceEntry | None:
    if not may_read(principal):
        return None
    return await session.scalar(
        select(AttendanceEntry)
        .join(Technician, col(Technician.id) == col(AttendanceEntry.technician_id))
        .where(col(AttendanceEntry.id) == entry_id, visible(principal))
    )
