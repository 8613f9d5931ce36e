"""Job costing: labour, parts at cost and travel against invoiced net revenue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing import invoices
from app.billing.models import Invoice
from app.core.auth import Principal, Role
from app.core.geo import point_value
from app.costing import service
from app.work_orders.models import TaskPart, TaskStatus
from tests.billing import factories
from tests.work_orders import factories as wf

ADMIN = Principal("a", Role.ADMIN)


async def test_margin_of_a_task_from_time_parts_travel_and_invoiced_net(
    session: AsyncSession,
) -> None:
    # given a technician costing 300/h and 10/km, 5.56 km (straight line) from the site
    await factories.price_list(session)
    world = await wf.world(session)
    world.asset.warranty_expires_on = datetime(2001, 1, 1).date()
    world.technician.cost_per_hour = Decimal("300.00")
    world.technician.cost_per_km = Decimal("10.00")
    part = await factories.part(session, cost="120.00")
    end = datetime(2031, 5, 5, 12, tzinfo=UTC)
    task = await factories.task(
        session, world, status=TaskStatus.COMPLETED, minutes=90, finished_at=end
    )
    session.add(TaskPart(task_id=task.id, part_code=part.sku, quantity=2, author="t"))  # type: ignore[arg-type]
    draft = Invoice(customer_id=world.customer.id, task_id=task.id)
    session.add(draft)
    await session.flush()
    assert draft.id is not None and task.id is not None
    issued = await invoices.issue_invoice(session, ADMIN, draft.id)
    # when
    (job,) = await service.job_costs(session, [task.id])
    # then
    assert job.labour_cost == Decimal("450.00")
    assert job.parts_cost == Decimal("240.00")
    assert Decimal("5.5") < job.travel_km < Decimal("5.6")
    assert job.travel_cost == (job.travel_km * 10).quantize(Decimal("0.01"))
    assert job.revenue == issued.net_amount
    assert job.margin == issued.net_amount - job.cost
    # and rolled up per technician and territory
    (per_tech,) = service.roll_up([job], "technician_id")
    (per_area,) = service.roll_up([job], "territory_id")
    assert (per_tech.key, per_tech.tasks, per_tech.margin) == (world.technician.id, 1, job.margin)
    assert per_area.key == world.territory.id
    assert await service.completed_between(
        session, end - timedelta(hours=1), end + timedelta(hours=1)
    ) == [task.id]


async def test_travel_follows_the_pings_between_starting_travel_and_checking_in(
    session: AsyncSession,
) -> None:
    from app.tracking.models import LocationPing
    from app.work_orders.models import TaskEvent

    world = await wf.world(session)
    end = datetime.now(UTC)
    task = await factories.task(session, world, status=TaskStatus.COMPLETED, finished_at=end)
    start = end - timedelta(minutes=90)
    for action, at in (("START_TRAVEL", start), ("CHECK_IN", start + timedelta(minutes=30))):
        session.add(
            TaskEvent(
                task_id=task.id,  # type: ignore[arg-type]
                action=action,
                to_status=TaskStatus.ON_SITE,
                at=at,
                actor="t",
                actor_role="TECHNICIAN",
            )
        )
    # three pings due north, 0.01 degree (about 1.11 km) apart
    for i in range(3):
        session.add(
            LocationPing(
                technician_id=world.technician.id,  # type: ignore[arg-type]
                recorded_at=start + timedelta(minutes=10 * i + 1),
                location=point_value(12.90 + 0.01 * i, 77.59),
            )
        )
    await session.flush()
    assert task.id is not None
    (job,) = await service.job_costs(session, [task.id])
    assert Decimal("2.2") < job.travel_km < Decimal("2.23")
