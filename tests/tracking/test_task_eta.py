"""ETA of en-route tasks from each new position, the running-late alert and customer event,
the vicinity event (each once per task), and TASK_ONLY tracking windows."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.channels import ALERTS
from app.core.events import Event, take_pending
from app.core.models import utcnow
from app.tracking import channels
from app.tracking.models import PingRejection, TrackingMode
from app.work_orders.channels import task_channel
from app.work_orders.transitions import Action
from tests.tracking.journeys import check_in, drive, en_route_task, north_of_site, step


def of_kind(events: list[Event], kind: str) -> list[Event]:
    return [event for event in events if event.kind == kind]


async def test_a_ping_on_the_way_gives_the_customer_position_and_eta(
    session: AsyncSession,
) -> None:
    journey = await en_route_task(session)

    await drive(session, journey, north_of_site(10.0))

    (tracking,) = of_kind(take_pending(session), channels.TASK_TRACKING)
    assert tracking.channel == channels.task_tracking(journey.task_id)
    # 10 km x 1.3 detour at 40 km/h = 19.5 min, rounded up
    assert tracking.data["eta_minutes"] == 20
    assert tracking.data["customer_id"] == journey.customer_id
    assert tracking.data["status"] == "EN_ROUTE"
    stored = (
        await session.execute(
            sa.text("SELECT eta_minutes FROM task_tracking_states WHERE task_id = :t"),
            {"t": journey.task_id},
        )
    ).scalar_one()
    assert stored == 20


async def test_running_late_alerts_dispatch_and_tells_the_customer_once(
    session: AsyncSession,
) -> None:
    journey = await en_route_task(session, window_end=utcnow() + timedelta(minutes=10))

    await drive(session, journey, north_of_site(20.0))
    first = take_pending(session)
    await drive(session, journey, north_of_site(19.5), at=utcnow() + timedelta(seconds=30))
    second = take_pending(session)

    (alert,) = [e for e in first if e.channel == ALERTS]
    assert alert.kind == channels.TECHNICIAN_RUNNING_LATE
    assert alert.data["task_id"] == journey.task_id
    assert alert.data["kind"] == channels.TECHNICIAN_RUNNING_LATE
    assert alert.data["level"] == 2
    assert alert.data["territory_id"] == journey.world.territory.id
    (late,) = of_kind(first, channels.TASK_RUNNING_LATE)
    assert late.channel == task_channel(journey.task_id)
    assert late.data["customer_id"] == journey.customer_id
    assert of_kind(second, channels.TASK_RUNNING_LATE) == []
    assert [e for e in second if e.channel == ALERTS] == []


async def test_an_eta_inside_the_window_is_not_late(session: AsyncSession) -> None:
    journey = await en_route_task(session, window_end=utcnow() + timedelta(hours=2))

    await drive(session, journey, north_of_site(20.0))

    assert of_kind(take_pending(session), channels.TASK_RUNNING_LATE) == []


async def test_the_customer_hears_once_that_the_technician_is_nearby(
    session: AsyncSession,
) -> None:
    journey = await en_route_task(session)

    await drive(session, journey, north_of_site(12.0))
    far = take_pending(session)
    await drive(session, journey, north_of_site(3.0), at=utcnow() + timedelta(minutes=15))
    near = take_pending(session)
    await drive(session, journey, north_of_site(0.3), at=utcnow() + timedelta(minutes=25))
    closer = take_pending(session)

    assert of_kind(far, channels.TASK_VICINITY) == []
    (vicinity,) = of_kind(near, channels.TASK_VICINITY)  # 3 km: 6 min <= 10 min
    assert vicinity.data["task_id"] == journey.task_id
    assert vicinity.data["customer_id"] == journey.customer_id
    assert of_kind(closer, channels.TASK_VICINITY) == []


async def test_on_site_the_customer_sees_the_technician_arrived(session: AsyncSession) -> None:
    journey = await en_route_task(session)
    await check_in(session, journey)
    take_pending(session)

    await drive(session, journey, north_of_site(0.05), at=utcnow() + timedelta(seconds=5))

    (tracking,) = of_kind(take_pending(session), channels.TASK_TRACKING)
    assert tracking.data["status"] == "ON_SITE"
    assert tracking.data["eta_minutes"] == 0


async def test_task_only_keeps_pings_while_travelling_or_working(
    session: AsyncSession,
) -> None:
    journey = await en_route_task(session, mode=TrackingMode.TASK_ONLY)
    started = utcnow()

    before = await drive(session, journey, north_of_site(5.0), at=started - timedelta(hours=1))
    during = await drive(session, journey, north_of_site(4.0), at=started + timedelta(seconds=5))
    await check_in(session, journey)
    await step(session, journey, Action.START_WORK)
    working = await drive(session, journey, north_of_site(0.0), at=utcnow() + timedelta(minutes=10))

    assert before.accepted == 0
    assert before.rejections[PingRejection.OUTSIDE_TRACKING_WINDOW] == 1
    assert during.accepted == 1
    assert working.accepted == 1
