"""Service-level task lifecycle: transitions, versions, offers, geofence, follow-ups, events."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.channels import ALERTS
from app.core.db import SessionFactory
from app.core.errors import DomainError, ErrorCode
from app.core.events import Broker, pending_events
from app.core.geo import LatLng
from app.core.models import utcnow
from app.work_orders import customer, field, offers
from app.work_orders.channels import task_channel
from app.work_orders.jobs import expire_overdue_offers
from app.work_orders.models import Task, TaskCreate, TaskStatus, TaskType, WorkPolicy
from app.work_orders.service import create_task
from app.work_orders.transitions import Action, Actor
from tests.work_orders import factories

DISPATCHER = Principal(subject="test:dispatcher", role=Role.DISPATCHER, name="Dispatcher")
DESK = Actor.of(DISPATCHER)
AT_SITE = LatLng(factories.SITE_LAT, factories.SITE_LNG)
FAR_AWAY = LatLng(factories.SITE_LAT + 0.05, factories.SITE_LNG)


def tech(technician_id: int | None) -> Principal:
    return Principal(
        subject=f"test:t{technician_id}", role=Role.TECHNICIAN, technician_id=technician_id
    )


async def _task(session: AsyncSession, w: factories.World, **extra: object) -> Task:
    data = TaskCreate.model_validate(
        {
            "type": TaskType.REPAIR,
            "customer_id": w.customer.id,
            "site_id": w.site.id,
            "asset_id": w.asset.id,
            "duration_minutes": 90,
            "required_skills": [{"code": w.skill.code, "min_level": 2}],
        }
        | extra
    )
    return await create_task(session, DESK, data)


async def _assigned(session: AsyncSession, w: factories.World) -> Task:
    task = await _task(session, w)
    start = utcnow() + timedelta(hours=2)
    task, warnings = await offers.assign_task(session, DISPATCHER, task.id, w.technician.id, start)
    assert warnings == []
    return task


async def _on_site(session: AsyncSession, w: factories.World) -> Task:
    task = await _assigned(session, w)
    me = tech(w.technician.id)
    await offers.accept_task(session, me, task.id)
    await field.move(session, me, Action.START_TRAVEL, field.Step(task.id))
    task, _ = await field.check_in(session, me, field.Step(task.id, location=AT_SITE))
    return task


async def _policy(session: AsyncSession, key: str, value: object) -> None:
    await session.execute(
        sa.update(WorkPolicy).where(WorkPolicy.key == key).values(value=value)  # type: ignore[arg-type]
    )


async def test_a_standalone_task_takes_the_sites_point_territory_and_sla(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    task = await _task(session, w, priority=1)

    assert task.status is TaskStatus.UNSCHEDULED and task.version == 1
    assert task.territory_id == w.territory.id
    assert task.response_due_at is not None and task.resolution_due_at is not None
    assert (task.resolution_due_at - task.response_due_at) == timedelta(minutes=180)


async def test_an_unknown_skill_is_refused_on_its_field(session: AsyncSession) -> None:
    w = await factories.world(session)
    with pytest.raises(DomainError) as refused:
        await _task(session, w, required_skills=[{"code": "NOPE"}])
    assert [(p.code, p.field) for p in refused.value.problems] == [
        (ErrorCode.INVALID, ["requiredSkills", "0"])
    ]


async def test_the_whole_path_writes_one_audit_event_per_transition(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    task = await _on_site(session, w)
    me = tech(w.technician.id)
    await field.move(session, me, Action.START_WORK, field.Step(task.id))
    done = field.Completion("FIXED", "cleaned coil", "sig://1", "R. Customer")
    task = await field.complete(session, me, field.Step(task.id), done)

    events = (await session.execute(sa.text(
        "SELECT action, from_status, to_status FROM task_events WHERE task_id = :t ORDER BY id"
    ), {"t": task.id})).all()  # fmt: skip
    assert [tuple(e) for e in events] == [
        ("CREATE", None, "UNSCHEDULED"),
        ("ASSIGN", "UNSCHEDULED", "DISPATCHED"),
        ("ACCEPT", "DISPATCHED", "ACCEPTED"),
        ("START_TRAVEL", "ACCEPTED", "EN_ROUTE"),
        ("CHECK_IN", "EN_ROUTE", "ON_SITE"),
        ("START_WORK", "ON_SITE", "IN_PROGRESS"),
        ("COMPLETE", "IN_PROGRESS", "COMPLETED"),
    ]
    assert task.version == 7 and task.signer_name == "R. Customer"


async def test_an_illegal_transition_and_a_stale_version_are_refused(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    task = await _assigned(session, w)
    me = tech(w.technician.id)

    with pytest.raises(DomainError) as illegal:
        await field.move(session, me, Action.START_WORK, field.Step(task.id))
    with pytest.raises(DomainError) as stale:
        await offers.accept_task(session, me, task.id, expected_version=1)
    assert illegal.value.code is ErrorCode.INVALID_TRANSITION
    assert stale.value.code is ErrorCode.STALE_VERSION


async def test_another_technician_cannot_touch_the_task(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await _assigned(session, w)
    with pytest.raises(DomainError) as refused:
        await offers.accept_task(session, tech(w.technician.id + 1000), task.id)
    assert refused.value.code is ErrorCode.NOT_FOUND


async def test_a_rejection_unschedules_and_excludes_and_alerts_after_n(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    await _policy(session, "rejections_before_alert", 1)
    task = await _assigned(session, w)
    task = await offers.reject_task(session, tech(w.technician.id), task.id, "too far")

    assert task.status is TaskStatus.UNSCHEDULED and task.technician_id is None
    assert task.excluded_technician_ids == [w.technician.id]
    alerts = [e for e in pending_events(session) if e.channel == ALERTS]
    assert [a.data["task_id"] for a in alerts] == [task.id]


async def test_assigning_an_excluded_or_unskilled_technician_needs_a_reason(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    novice = await factories.technician(session, area=w.territory)
    task = await _task(session, w, excluded_technician_ids=[novice.id])
    start = utcnow() + timedelta(hours=1)

    with pytest.raises(DomainError) as refused:
        await offers.assign_task(session, DISPATCHER, task.id, novice.id, start)
    codes = {p.message.split()[0] for p in refused.value.problems}
    assert refused.value.code is ErrorCode.CONFLICT and len(refused.value.problems) == 2
    assert codes  # both warnings are listed
    task, warnings = await offers.assign_task(
        session, DISPATCHER, task.id, novice.id, start, reason="only one free"
    )
    assert sorted(w.code for w in warnings) == ["EXCLUDED_TECHNICIAN", "SKILL_MISMATCH"]
    assert task.status is TaskStatus.DISPATCHED and task.excluded_technician_ids == []


async def test_expired_offers_go_back_to_unscheduled(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await _assigned(session, w)
    expired = await offers.expire_offers(session, utcnow() + timedelta(hours=1))

    assert task.id in expired
    await session.refresh(task)
    assert task.status is TaskStatus.UNSCHEDULED
    assert task.excluded_technician_ids == [w.technician.id]


async def test_a_check_in_far_from_the_site_is_refused_or_flagged(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    task = await _assigned(session, w)
    me = tech(w.technician.id)
    await offers.accept_task(session, me, task.id)

    with pytest.raises(DomainError) as refused:
        await field.check_in(session, me, field.Step(task.id, location=FAR_AWAY))
    assert (refused.value.code, refused.value.problems[0].field) == (
        ErrorCode.INVALID,
        ["location"],
    )
    await _policy(session, "geofence_mode", "FLAG")
    task, warnings = await field.check_in(session, me, field.Step(task.id, location=FAR_AWAY))
    assert task.status is TaskStatus.ON_SITE and task.outside_geofence is True
    assert len(warnings) == 1


async def test_incomplete_opens_a_follow_up_task(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await _on_site(session, w)
    step = field.Step(task.id, reason="compressor part missing")
    done, follow_up = await field.mark_incomplete(session, tech(w.technician.id), step)

    assert done.status is TaskStatus.INCOMPLETE
    assert follow_up.status is TaskStatus.UNSCHEDULED
    assert follow_up.follow_up_of_id == done.id
    assert (follow_up.site_id, follow_up.duration_minutes) == (done.site_id, 90)
    # the visit met the response; the follow-up keeps the resolution due time
    assert done.response_due_at is not None
    assert (follow_up.response_due_at, follow_up.resolution_due_at) == (
        None,
        done.resolution_due_at,
    )


async def test_a_customer_reschedule_puts_the_task_back_to_unscheduled(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    task = await _assigned(session, w)
    me = Principal(subject="test:c", role=Role.CUSTOMER, customer_id=w.customer.id)
    start = utcnow() + timedelta(days=2)
    task = await customer.reschedule_task(session, me, task.id, (start, start + timedelta(hours=2)))

    assert task.status is TaskStatus.UNSCHEDULED and task.technician_id is None
    assert task.window_start == start


async def test_status_events_go_to_the_task_technician_and_territory_channels(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    task = await _assigned(session, w)
    assign = [e for e in pending_events(session) if e.data.get("to") == "DISPATCHED"]

    assert sorted(e.channel for e in assign) == sorted(
        [
            f"task:{task.id}",
            f"technician:{w.technician.id}:tasks",
            f"territory:{w.territory.id}:tasks",
        ]
    )
    assert {k: assign[0].data[k] for k in ("from", "to", "technician_id", "territory_id")} == {
        "from": "UNSCHEDULED",
        "to": "DISPATCHED",
        "technician_id": w.technician.id,
        "territory_id": w.territory.id,
    }


async def test_the_offer_expiry_job_takes_back_overdue_offers_and_publishes(
    session: AsyncSession, sessions: SessionFactory, broker: Broker
) -> None:
    w = await factories.world(session)
    task = await _assigned(session, w)
    task.offer_expires_at = utcnow() - timedelta(minutes=1)
    await session.flush()

    async with broker.subscribe(task_channel(task.id)) as events:
        await expire_overdue_offers(sessions, broker)
        published = await asyncio.wait_for(anext(events), timeout=2)

    await session.refresh(task)
    assert task.status is TaskStatus.UNSCHEDULED
    assert published["data"]["to"] == "UNSCHEDULED"


async def test_work_waits_for_the_customer_to_accept_a_pending_estimate(
    session: AsyncSession,
) -> None:
    from app.billing.models import Estimate, EstimateStatus

    w = await factories.world(session)
    task = await _on_site(session, w)
    estimate = Estimate(
        task_id=task.id, customer_id=w.customer.id, status=EstimateStatus.SENT, created_by="t"
    )
    session.add(estimate)
    await session.flush()
    me = tech(w.technician.id)

    with pytest.raises(DomainError) as refused:
        await field.move(session, me, Action.START_WORK, field.Step(task.id))
    estimate.status = EstimateStatus.ACCEPTED
    await session.flush()
    started = await field.move(session, me, Action.START_WORK, field.Step(task.id))

    assert refused.value.code is ErrorCode.INVALID_TRANSITION
    assert started.status is TaskStatus.IN_PROGRESS
