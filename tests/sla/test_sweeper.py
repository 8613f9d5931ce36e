"""The SLA sweeper with a clock the tests control: states, settlement and escalation levels."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.core.channels import ALERTS
from app.core.events import pending_events, take_pending
from app.service_requests.models import SlaState
from app.sla.models import EscalationPolicy, EscalationTrigger, SlaEscalation, SubjectKind
from app.sla.sweeper import sweep_once
from app.work_orders.field import Step, mark_incomplete
from app.work_orders.models import Task, TaskStatus
from tests.sla.support import RESOLUTION_MINUTES, T0, late_request, late_task
from tests.work_orders import factories

UNASSIGNED = EscalationTrigger.UNASSIGNED
RESPONSE = EscalationTrigger.RESPONSE_OVERDUE
RESOLUTION = EscalationTrigger.RESOLUTION_OVERDUE


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def alerts(session: AsyncSession) -> list[tuple[str, int, int | None]]:
    return [
        (e.kind, e.data["level"], e.data["task_id"])
        for e in take_pending(session)
        if e.channel == ALERTS
    ]


async def state_of(session: AsyncSession, task: Task) -> SlaState:
    value = await session.scalar(select(Task.sla_state).where(col(Task.id) == task.id))
    return SlaState(value)


async def test_a_task_goes_at_risk_then_breached_as_time_passes(session: AsyncSession) -> None:
    # given a task due for response 60 minutes after creation (at risk at 80 % elapsed)
    w = await factories.world(session)
    task = await late_task(session, w)

    # when the sweeper runs before, at and after the at-risk share, then after the due time
    early = await sweep_once(session, T0 + minutes(20))
    at_risk = await sweep_once(session, T0 + minutes(49))
    breached = await sweep_once(session, T0 + minutes(61))

    # then the task moves ON_TRACK -> AT_RISK -> BREACHED, and its request with it
    assert task.id not in early.tasks.get(SlaState.AT_RISK, [])
    assert at_risk.tasks[SlaState.AT_RISK] == [task.id]
    assert breached.tasks[SlaState.BREACHED] == [task.id]
    assert await state_of(session, task) is SlaState.BREACHED
    assert breached.requests[SlaState.BREACHED] == [task.service_request_id]


async def test_a_breach_stays_a_breach_and_a_responded_task_only_watches_resolution(
    session: AsyncSession,
) -> None:
    # given two tasks: one breached on response, one checked in before its response was due
    w = await factories.world(session)
    breached, on_site = await late_task(session, w), await late_task(session, w)
    await sweep_once(session, T0 + minutes(61))
    on_site_state = await state_of(session, on_site)
    await session.execute(
        sa.update(Task).where(col(Task.id) == on_site.id).values(status=TaskStatus.ON_SITE)
    )
    await session.execute(
        sa.update(Task).where(col(Task.id) == on_site.id).values(sla_state=SlaState.AT_RISK)
    )

    # when the breached one is checked in too and the sweeper runs again well before resolution
    await session.execute(
        sa.update(Task).where(col(Task.id) == breached.id).values(status=TaskStatus.ON_SITE)
    )
    result = await sweep_once(session, T0 + minutes(90))

    # then the breach is kept; the on-site task is back on track (90 of 240 minutes elapsed)
    assert on_site_state is SlaState.BREACHED  # both were breached on response at first
    assert await state_of(session, breached) is SlaState.BREACHED
    assert result.tasks[SlaState.ON_TRACK] == [on_site.id]


async def test_closed_work_is_settled_met_or_breached(session: AsyncSession) -> None:
    # given one task completed in time and one completed after its resolution due time
    w = await factories.world(session)
    in_time, late = await late_task(session, w), await late_task(session, w)
    for task, finished in ((in_time, T0 + minutes(30)), (late, T0 + minutes(300))):
        await session.execute(
            sa.update(Task)
            .where(col(Task.id) == task.id)
            .values(status=TaskStatus.COMPLETED, finished_at=finished)
        )

    # when the sweeper runs
    result = await sweep_once(session, T0 + minutes(20))

    # then the first met its SLA and the second breached it
    assert result.tasks[SlaState.MET] == [in_time.id]
    assert result.tasks[SlaState.BREACHED] == [late.id]


async def test_each_escalation_level_is_raised_once(session: AsyncSession) -> None:
    # given an unassigned task due in 60 (response) and 240 (resolution) minutes
    w = await factories.world(session)
    task = await late_task(session, w)
    take_pending(session)

    # when the sweeper runs at 61 minutes, twice
    first = await sweep_once(session, T0 + minutes(61))
    first_alerts = alerts(session)
    again = await sweep_once(session, T0 + minutes(61))

    # then level 1 is raised for "unassigned" (30 min) and "response overdue" (0 min), once
    assert sorted((r.trigger, r.level) for r in first.escalations) == [
        (RESPONSE, 1),
        (UNASSIGNED, 1),
    ]
    assert sorted(first_alerts) == [
        ("SLA_RESPONSE_OVERDUE", 1, task.id),
        ("SLA_UNASSIGNED", 1, task.id),
    ]
    assert again.escalations == [] and alerts(session) == []

    # when the sweeper runs at 3 hours, then two days later, then again
    later = await sweep_once(session, T0 + minutes(180))
    much_later = await sweep_once(session, T0 + timedelta(days=2))
    last = await sweep_once(session, T0 + timedelta(days=2))

    # then levels 2 come at 3 hours, the rest by two days, and nothing is raised twice
    assert sorted((r.trigger, r.level) for r in later.escalations) == [
        (RESPONSE, 2),
        (UNASSIGNED, 2),
    ]
    assert last.escalations == []
    raised = (
        await session.execute(
            select(SlaEscalation.trigger, SlaEscalation.level, SlaEscalation.audience_role).where(
                col(SlaEscalation.subject_kind) == SubjectKind.TASK,
                col(SlaEscalation.subject_id) == task.id,
            )
        )
    ).all()
    assert Counter((t, lvl) for t, lvl, _ in raised) == Counter(
        {(trigger, level): 1 for trigger in EscalationTrigger for level in (1, 2, 3)}
    )
    assert {(lvl, role) for _, lvl, role in raised} == {
        (1, "DISPATCHER"),
        (2, "MANAGER"),
        (3, "ADMIN"),
    }
    assert len(much_later.escalations) == 9 - 4


async def test_alert_data_names_level_territory_task_and_kind(session: AsyncSession) -> None:
    # given an unassigned task in a territory, 31 minutes old
    w = await factories.world(session)
    task = await late_task(session, w)
    take_pending(session)

    # when the sweeper runs
    await sweep_once(session, T0 + minutes(31))

    # then one level-1 alert goes to the dispatchers of that territory
    (event,) = [e for e in pending_events(session) if e.channel == ALERTS]
    assert event.kind == "SLA_UNASSIGNED"
    assert event.data["level"] == 1
    assert event.data["audience_role"] == "DISPATCHER"
    assert event.data["territory_id"] == w.territory.id
    assert event.data["task_id"] == task.id
    assert event.data["kind"] == "SLA_UNASSIGNED"
    assert event.data["service_request_id"] == task.service_request_id
    assert "escalated to dispatcher" in event.data["message"]


async def test_a_request_nobody_turned_into_a_task_is_escalated(session: AsyncSession) -> None:
    # given a request without a task, created 45 minutes ago
    w = await factories.world(session)
    request_id = (await late_request(session, w)).id
    take_pending(session)

    # when the sweeper runs
    result = await sweep_once(session, T0 + minutes(45))

    # then the request (not a task) is escalated, in the site's territory
    assert [(r.subject_kind, r.subject_id, r.trigger, r.level) for r in result.escalations] == [
        (SubjectKind.SERVICE_REQUEST, request_id, UNASSIGNED, 1)
    ]
    (event,) = [e for e in take_pending(session) if e.channel == ALERTS]
    assert event.data["task_id"] is None
    assert event.data["territory_id"] == w.territory.id


async def test_policies_are_data(session: AsyncSession) -> None:
    # given the unassigned level-1 policy switched off and level 2 brought down to 10 minutes
    await session.execute(
        sa.update(EscalationPolicy)
        .where(col(EscalationPolicy.trigger) == UNASSIGNED, col(EscalationPolicy.level) == 1)
        .values(active=False)
    )
    await session.execute(
        sa.update(EscalationPolicy)
        .where(col(EscalationPolicy.trigger) == UNASSIGNED, col(EscalationPolicy.level) == 2)
        .values(threshold_minutes=10)
    )
    w = await factories.world(session)
    await late_task(session, w)

    # when the sweeper runs 15 minutes after creation
    result = await sweep_once(session, T0 + minutes(15))

    # then only the level-2 escalation is raised
    assert [(r.trigger, r.level) for r in result.escalations] == [(UNASSIGNED, 2)]


async def test_assigned_and_closed_tasks_are_not_escalated_as_unassigned(
    session: AsyncSession,
) -> None:
    # given a task offered to a technician and a cancelled task, both old
    w = await factories.world(session)
    offered, cancelled = await late_task(session, w), await late_task(session, w)
    await session.execute(
        sa.update(Task)
        .where(col(Task.id) == offered.id)
        .values(status=TaskStatus.DISPATCHED, technician_id=w.technician.id)
    )
    await session.execute(
        sa.update(Task).where(col(Task.id) == cancelled.id).values(status=TaskStatus.CANCELLED)
    )

    # when the sweeper runs 45 minutes after creation
    result = await sweep_once(session, T0 + minutes(45))

    # then neither is escalated
    assert result.escalations == []


async def test_a_follow_up_owes_no_response_and_runs_on_to_the_resolution_due_time(
    session: AsyncSession,
) -> None:
    # given a task due 60 (response) and 240 (resolution) minutes after T0, checked in on time,
    # whose visit ends incomplete at 90 minutes: the follow-up is opened then
    w = await factories.world(session)
    task = await late_task(session, w)
    await session.execute(
        sa.update(Task)
        .where(col(Task.id) == task.id)
        .values(status=TaskStatus.IN_PROGRESS, technician_id=w.technician.id)
    )
    technician = Principal(subject="t", role=Role.TECHNICIAN, technician_id=w.technician.id)
    _, follow_up = await mark_incomplete(
        session, technician, Step(task.id or 0, reason="compressor on order")
    )
    follow_up.created_at = T0 + minutes(90)
    await session.flush()
    take_pending(session)

    # when the sweeper runs past the response due time, then past the resolution due time
    after_response = await sweep_once(session, T0 + minutes(100))
    after_resolution = await sweep_once(session, T0 + minutes(241))

    # then the follow-up is on track and nobody is alerted until its resolution falls due
    assert (follow_up.response_due_at, follow_up.resolution_due_at) == (
        None,
        T0 + minutes(RESOLUTION_MINUTES),
    )
    assert after_response.escalations == []
    assert follow_up.id not in after_response.tasks.get(SlaState.BREACHED, [])
    assert after_resolution.tasks[SlaState.BREACHED] == [follow_up.id]
    assert sorted((r.subject_id, r.trigger, r.level) for r in after_resolution.escalations) == [
        (follow_up.id, RESOLUTION, 1),
        (follow_up.id, UNASSIGNED, 1),
        (follow_up.id, UNASSIGNED, 2),
    ]
