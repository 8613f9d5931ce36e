"""Tasks on their way through the lifecycle, for tracking and realtime tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.events import take_pending
from app.core.geo import LatLng
from app.core.models import utcnow
from app.tracking.models import PingIn, TrackingMode
from app.tracking.service import IngestResult, report_locations
from app.work_orders import field, offers
from app.work_orders.models import Task, TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Action, Actor
from tests.tracking import factories as tracking_factories
from tests.work_orders import factories

DISPATCHER = Principal(subject="test:dispatcher", role=Role.DISPATCHER, name="Dispatcher")
SITE = LatLng(factories.SITE_LAT, factories.SITE_LNG)


def technician_principal(technician_id: int | None) -> Principal:
    return Principal(
        subject=f"test:t{technician_id}", role=Role.TECHNICIAN, technician_id=technician_id
    )


@dataclass
class Journey:
    world: factories.World
    task: Task

    @property
    def technician(self) -> Principal:
        return technician_principal(self.world.technician.id)

    @property
    def customer_id(self) -> int:
        assert self.world.customer.id is not None
        return self.world.customer.id

    @property
    def task_id(self) -> int:
        assert self.task.id is not None
        return self.task.id


async def accepted_task(
    session: AsyncSession,
    *,
    window_end: datetime | None = None,
    mode: TrackingMode = TrackingMode.ALWAYS,
) -> Journey:
    """A task assigned to and accepted by the world's technician; events already taken."""
    w = await factories.world(session)
    await tracking_factories.policy(session, w.territory.id, mode)
    extra: dict[str, object] = {}
    if window_end is not None:
        extra = {"window_start": window_end - timedelta(hours=2), "window_end": window_end}
    data = TaskCreate.model_validate(
        {"type": TaskType.REPAIR, "customer_id": w.customer.id, "site_id": w.site.id} | extra
    )
    task = await create_task(session, Actor.of(DISPATCHER), data)
    task_id, technician_id = task.id, w.technician.id
    assert task_id is not None and technician_id is not None
    start = utcnow() + timedelta(minutes=1 if window_end is not None else 30)
    task, _ = await offers.assign_task(session, DISPATCHER, task_id, technician_id, start)
    await offers.accept_task(session, technician_principal(technician_id), task_id)
    take_pending(session)
    return Journey(w, task)


async def en_route_task(
    session: AsyncSession,
    *,
    window_end: datetime | None = None,
    mode: TrackingMode = TrackingMode.ALWAYS,
) -> Journey:
    journey = await accepted_task(session, window_end=window_end, mode=mode)
    await step(session, journey, Action.START_TRAVEL)
    take_pending(session)
    return journey


async def step(session: AsyncSession, journey: Journey, action: Action) -> Task:
    journey.task = await field.move(
        session, journey.technician, action, field.Step(journey.task_id)
    )
    return journey.task


async def check_in(session: AsyncSession, journey: Journey) -> Task:
    journey.task, _ = await field.check_in(
        session, journey.technician, field.Step(journey.task_id, location=SITE)
    )
    return journey.task


def north_of_site(km: float) -> LatLng:
    return LatLng(SITE.lat + km / 111.2, SITE.lng)


async def drive(
    session: AsyncSession, journey: Journey, where: LatLng, at: datetime | None = None
) -> IngestResult:
    """One ping from the technician's phone at `where`."""
    at = at or utcnow()
    ping = PingIn(lat=where.lat, lng=where.lng, recorded_at=at, accuracy_meters=5.0)
    return await report_locations(session, journey.technician, [ping], now=at)
