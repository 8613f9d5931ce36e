"""Manual dispatch: can the technician get to the task from their previous stop, and on to
the next one, in time? The lifecycle's `assignTask` adds these to its own warnings."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy import cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func

from app.core.geo import LatLng, to_lat_lng
from app.crews.busy import taken_spans
from app.dispatch.settings import dispatch_settings
from app.dispatch.slots import BUSY
from app.dispatch.solver.problem import Location
from app.dispatch.solver.travel import HaversineTravel
from app.technicians.models import Technician
from app.work_orders.assignment import Warning
from app.work_orders.models import Task

SAME_DAY = timedelta(hours=16)


async def _neighbour(
    session: AsyncSession,
    task: Task,
    technician: Technician,
    start: datetime,
    end: datetime,
    before: bool,
) -> tuple[int, LatLng, datetime] | None:
    assert technician.id is not None
    geometry = cast(Task.location, Geometry)
    taken = taken_spans([technician.id], BUSY)  # led tasks and crews, by segment
    statement = (
        sa.select(
            col(Task.id),
            func.ST_Y(geometry),
            func.ST_X(geometry),
            taken.c.ends_at if before else taken.c.starts_at,
        )
        .join(taken, taken.c.task_id == col(Task.id))
        .where(col(Task.id) != task.id)
    )
    if before:
        statement = statement.where(
            taken.c.ends_at <= start, taken.c.ends_at > start - SAME_DAY
        ).order_by(taken.c.ends_at.desc())
    else:
        statement = statement.where(
            taken.c.starts_at >= end, taken.c.starts_at < end + SAME_DAY
        ).order_by(taken.c.starts_at)
    row = (await session.execute(statement.limit(1))).first()
    return None if row is None else (row[0], LatLng(float(row[1]), float(row[2])), row[3])


def _minutes(a: LatLng, b: LatLng) -> float:
    config = dispatch_settings()
    travel = HaversineTravel(speed_kmh=config.speed_kmh, detour=config.detour)
    table = travel.table([Location(lat=a.lat, lng=a.lng)], [Location(lat=b.lat, lng=b.lng)])
    return float(table.durations[0, 0])


def _gap(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


async def travel_warnings(
    session: AsyncSession, task: Task, technician: Technician, start: datetime
) -> list[Warning]:
    """TRAVEL_TOO_TIGHT when the drive from the previous stop or on to the next one does not
    fit between them (haversine with the configured detour and speed)."""
    here = to_lat_lng(task.location)
    assert here is not None
    end = start + timedelta(minutes=task.duration_minutes)
    found = []
    previous = await _neighbour(session, task, technician, start, end, before=True)
    if previous is not None:
        other, there, finished = previous
        needed = _minutes(there, here)
        if finished + timedelta(minutes=needed) > start:
            found.append(
                Warning(
                    "TRAVEL_TOO_TIGHT",
                    f"needs {needed:.0f} min from task {other}, has {_gap(finished, start):.0f}",
                )
            )
    following = await _neighbour(session, task, technician, start, end, before=False)
    if following is not None:
        other, there, begins = following
        needed = _minutes(here, there)
        if end + timedelta(minutes=needed) > begins:
            found.append(
                Warning(
                    "TRAVEL_TOO_TIGHT",
                    f"needs {needed:.0f} min to task {other}, has {_gap(end, begins):.0f}",
                )
            )
    return found
