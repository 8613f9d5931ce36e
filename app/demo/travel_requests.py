"""Travel and advance requests in the demo city: the policies (out-of-town jobs beyond 60 km
from a technician's home base need approval; small trips approve themselves), and three
requests the desk raised for technicians on demo tasks: one waiting for a manager, one
approved with its advance paid out, and one from a completed job settled against the
technician's approved expense claims.

Deterministic: tasks are taken by id. No rule blocks a job inside the city, so the demo day
runs as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.expenses.models import ExpenseCategory, ExpenseClaim, ExpenseStatus
from app.travel_requests import policy, service
from app.travel_requests.models import (
    SettlementStatus,
    TravelMode,
    TravelPolicySet,
    TravelRequest,
    TravelRequestCreate,
    TravelStatus,
)
from app.work_orders.models import Task, TaskStatus, TaskType

DISPATCHER = Principal("user:2", Role.DISPATCHER, "Dinesh Gowda (dispatcher)")
MANAGER = Principal("user:4", Role.MANAGER, "Mahesh Kulkarni (service manager)")
POLICIES = (
    TravelPolicySet(
        approval_beyond_km=Decimal(60),
        auto_approve_below=Decimal(500),
        dispatcher_limit=Decimal(5000),
        manager_limit=Decimal(25000),
    ),
    TravelPolicySet(
        task_type=TaskType.INSTALLATION,
        approval_beyond_km=Decimal(60),
        auto_approve_below=Decimal(0),
        dispatcher_limit=Decimal(3000),
        manager_limit=Decimal(15000),
    ),
)
OPEN = (TaskStatus.SCHEDULED, TaskStatus.DISPATCHED, TaskStatus.ACCEPTED)


def _trip(task: Task, now: datetime, cost: str, advance: str, to: str) -> TravelRequestCreate:
    day = (task.scheduled_start or now).date()
    assert task.id is not None
    return TravelRequestCreate(
        task_id=task.id,
        mode=TravelMode.TRAIN,
        origin="Bengaluru City",
        destination=to,
        departs_on=day - timedelta(days=1),
        returns_on=day + timedelta(days=1),
        estimated_cost=Decimal(cost),
        lodging_nights=2,
        advance_amount=Decimal(advance),
        notes="Customer's second plant: spares carried by hand",
    )


async def _tasks(session: AsyncSession, statuses: tuple[TaskStatus, ...], n: int) -> list[Task]:
    return list(
        (
            await session.scalars(
                select(Task)
                .where(col(Task.status).in_(statuses), col(Task.technician_id).is_not(None))
                .order_by(col(Task.id))
                .limit(n)
            )
        ).all()
    )


async def seed_travel_requests(session: AsyncSession, now: datetime) -> dict[str, int]:
    for data in POLICIES:
        await policy.set_policy(session, data, None)
    open_tasks = await _tasks(session, OPEN, 2)
    done = await _tasks(session, (TaskStatus.COMPLETED,), 1)
    if len(open_tasks) < 2 or not done:
        return {"travel_policies": len(POLICIES), "travel_requests": 0}
    waiting, approved = open_tasks
    # waiting for a manager: 9,800 is above a dispatcher's 5,000
    trip = _trip(waiting, now, "9800.00", "5000.00", "Hosur plant")
    await service.request_travel(session, DISPATCHER, trip, now)
    # approved and its advance paid out by the manager
    trip = _trip(approved, now, "4200.00", "3000.00", "Mysuru warehouse")
    request = await service.request_travel(session, DISPATCHER, trip, now)
    assert request.id is not None
    await service.approve(session, MANAGER, request.id, None, now)
    await service.record_payout(session, MANAGER, request.id, None, now)
    # a finished job: raised and paid out before it, settled against the claims: 650 owed
    (finished,) = done
    assert finished.id is not None and finished.technician_id is not None
    before = (finished.started_at or now) - timedelta(days=2)
    trip = _trip(finished, before, "4500.00", "4000.00", "Tumakuru site")
    session.add(
        TravelRequest(
            **trip.model_dump(exclude={"technician_id"}),
            technician_id=finished.technician_id,
            status=TravelStatus.APPROVED,
            approver_role=Role.DISPATCHER.value,
            requested_by=DISPATCHER.subject,
            decided_by=DISPATCHER.subject,
            decided_at=before,
            advance_paid_at=before,
            advance_paid_by=MANAGER.subject,
            settlement_status=SettlementStatus.PAID_OUT,
            created_at=before,
            updated_at=before,
        )
    )
    for category, amount in ((ExpenseCategory.PUBLIC_TRANSPORT, "1850.00"),
                             (ExpenseCategory.LODGING, "2800.00")):  # fmt: skip
        session.add(
            ExpenseClaim(
                technician_id=finished.technician_id,
                task_id=finished.id,
                category=category,
                amount=Decimal(amount),
                incurred_on=trip.departs_on,
                status=ExpenseStatus.APPROVED,
                approver_role=Role.DISPATCHER.value,
                submitted_by=f"technician:{finished.technician_id}",
                decided_by=MANAGER.subject,
                decided_at=now,
            )
        )
    await session.flush()
    await service.settle_after_claims(session, finished.technician_id, finished.id, now)
    return {"travel_policies": len(POLICIES), "travel_requests": 3}
