"""Parts-aware dispatch through the API: a task's part needs, a plan's pickup at a warehouse
with its units reserved in the inventory ledger, and the release when a re-plan drops it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Role
from app.core.db import SessionFactory
from app.core.models import utcnow
from app.dispatch import part_needs, service
from app.dispatch.models import DispatchRun, DispatchRunCreate, PickupReservation, RunStatus
from app.dispatch.problem_builder import load_facts
from app.inventory import stock
from app.inventory.ledger import Stamp
from app.inventory.models import MovementKind, MovementLine, StockLevel, StockMovement
from tests.dispatch import test_service_factories as f
from tests.dispatch.test_service import gid
from tests.inventory import factories as inventory
from tests.support import GraphQLClient, StatementCounter
from tests.work_orders.factories import SITE_LAT, SITE_LNG

SET_NEEDS = """
mutation Set($input: SetTaskPartNeedsInput!) {
  setTaskPartNeeds(input: $input) {
    partNeeds { taskId needs { partId quantity source } explanation }
    taskVersion
    userErrors { field code message }
  }
}
"""

PICKUPS = """
query Run($id: ID!) {
  dispatchRun(id: $id) {
    routes(first: 5) {
      stops(first: 5) { taskId start }
      pickups(first: 5) {
        taskId locationId location { name } parts(first: 5) { partId quantity } start end
      }
    }
    unassigned { taskId reason }
  }
}
"""

NEEDS = """
query Needs($taskId: ID!) {
  taskPartNeeds(taskId: $taskId) {
    needs { quantity source part { sku } }
    reservations { quantity location { name } }
    explanation
  }
}
"""


async def _run(session: AsyncSession, sessions: SessionFactory, territory_id: int) -> DispatchRun:
    data = DispatchRunCreate(
        territory_id=territory_id,
        horizon_start=f.tomorrow_at(0),
        horizon_end=f.tomorrow_at(24),
        time_limit_seconds=1,
        publish=True,
    )
    run = await service.request_run(session, f.DISPATCHER, data)
    await session.commit()
    done = await service.execute_run(sessions, None, run.id or 0, now=utcnow())
    assert done is not None and done.status is RunStatus.SUCCEEDED, done and done.error
    return done


async def _level(session: AsyncSession, location_id: int, part_id: int) -> tuple[int, int]:
    session.expire_all()
    row = await session.scalar(
        select(StockLevel).where(
            col(StockLevel.location_id) == location_id, col(StockLevel.part_id) == part_id
        )
    )
    assert row is not None
    return row.on_hand, row.reserved


async def test_a_plan_picks_parts_up_at_a_warehouse_reserves_them_and_a_replan_releases_them(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    # given a task, a part no van holds, and a warehouse near the site stocking 5 units
    d = await f.day(session)
    job = await f.task(session, d)
    pump = await inventory.part(session, f"PUMP-{d.territory.id}")
    depot = await inventory.warehouse(session, at=(SITE_LAT + 0.02, SITE_LNG))
    assert pump.id and depot.id and job.id
    job_id, depot_name, pump_id, depot_id = job.id, depot.name, pump.id, depot.id
    territory_id = d.territory.id or 0
    stamp = Stamp(actor="test")
    await stock.receive(session, depot.id, [MovementLine(part_id=pump.id, quantity=5)], stamp)
    await session.commit()
    # when a dispatcher says the task needs 2 of them
    dispatcher = gql.as_role(Role.DISPATCHER)
    needs = [{"partId": gid("Part", pump.id), "quantity": 2}]
    payload = await dispatcher.mutate(
        SET_NEEDS, {"taskId": gid("Task", job.id), "parts": needs, "expectedVersion": job.version}
    )
    assert payload["userErrors"] == []
    assert payload["partNeeds"]["needs"] == [
        {"partId": gid("Part", pump.id), "quantity": 2, "source": "DISPATCHER"}
    ]
    assert any("warehouse" in line for line in payload["partNeeds"]["explanation"])
    # and a published plan runs
    run = await _run(session, sessions, territory_id)
    # then its route stops at the warehouse for the parts right before the visit
    data = await dispatcher(PICKUPS, {"id": gid("DispatchRun", run.id)})
    (route,) = [r for r in data["dispatchRun"]["routes"] if r["stops"]]
    (pickup,) = route["pickups"]
    assert pickup["taskId"] == gid("Task", job.id)
    assert pickup["locationId"] == gid("StockLocation", depot.id)
    assert pickup["parts"] == [{"partId": gid("Part", pump.id), "quantity": 2}]
    assert pickup["end"] <= route["stops"][0]["start"]
    # and the 2 units are reserved at the warehouse through the ledger, for the task
    assert await _level(session, depot.id, pump.id) == (5, 2)
    reserve = await session.scalar(
        select(StockMovement).where(
            col(StockMovement.task_id) == job_id, col(StockMovement.kind) == MovementKind.RESERVE
        )
    )
    assert reserve is not None and reserve.reserved_delta == 2
    seen = await dispatcher(NEEDS, {"taskId": gid("Task", job_id)})
    assert seen["taskPartNeeds"]["reservations"] == [
        {"quantity": 2, "location": {"name": depot_name}}
    ]
    # when the need is dropped and the territory is re-planned
    payload = await dispatcher.mutate(
        SET_NEEDS,
        {"taskId": gid("Task", job_id), "parts": [{"partId": gid("Part", pump_id), "quantity": 0}]},
    )
    assert payload["userErrors"] == [] and payload["partNeeds"]["needs"] == []
    await _run(session, sessions, territory_id)
    # then the reservation is released through the ledger
    assert await _level(session, depot_id, pump_id) == (5, 0)
    held = (await session.execute(select(PickupReservation))).scalars().all()
    assert [r.released_at is not None for r in held if r.task_id == job_id] == [True]


async def test_a_task_whose_parts_are_nowhere_is_left_out_for_parts(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    d = await f.day(session)
    job = await f.task(session, d)
    rare = await inventory.part(session, f"RARE-{d.territory.id}")
    await session.commit()
    assert job.id and rare.id
    dispatcher = gql.as_role(Role.DISPATCHER)
    needs = [{"partId": gid("Part", rare.id), "quantity": 1}]
    payload = await dispatcher.mutate(SET_NEEDS, {"taskId": gid("Task", job.id), "parts": needs})
    assert payload["partNeeds"]["explanation"] == [f"no stock of {rare.name}"]
    run = await _run(session, sessions, d.territory.id or 0)
    data = await dispatcher(PICKUPS, {"id": gid("DispatchRun", run.id)})
    assert data["dispatchRun"]["unassigned"] == [{"taskId": gid("Task", job.id), "reason": "PARTS"}]


async def test_part_needs_are_validated_and_set_by_dispatchers_only(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await f.day(session)
    job = await f.task(session, d)
    pump = await inventory.part(session)
    await session.commit()
    assert job.id and pump.id
    line = {"partId": gid("Part", pump.id), "quantity": 1}
    task_id = gid("Task", job.id)
    twice = await gql.as_role(Role.DISPATCHER).mutate(
        SET_NEEDS, {"taskId": task_id, "parts": [line, line]}
    )
    assert [(e["code"], e["field"]) for e in twice["userErrors"]] == [
        ("INVALID", ["parts", "1", "partId"])
    ]
    stale = await gql.as_role(Role.DISPATCHER).mutate(
        SET_NEEDS, {"taskId": task_id, "parts": [line], "expectedVersion": job.version + 5}
    )
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]
    body = await gql.as_role(Role.TECHNICIAN).raw(
        SET_NEEDS, {"input": {"taskId": task_id, "parts": [line]}}
    )
    assert "FORBIDDEN" in str(body)


async def test_the_technician_whose_van_holds_the_part_gets_the_visit_without_a_pickup(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    # given two technicians, the second with the part in their van (the warehouse keeps none)
    d = await f.day(session)
    job = await f.task(session, d)
    board = await inventory.part(session, f"PCB-{d.territory.id}")
    depot = await inventory.warehouse(session, at=(SITE_LAT + 0.02, SITE_LNG))
    holder = d.technicians[1]
    assert board.id and depot.id and job.id and holder.id
    job_id, holder_id, territory_id = job.id, holder.id, d.territory.id or 0
    lines = [MovementLine(part_id=board.id, quantity=1)]
    await stock.receive(session, depot.id, lines, Stamp(actor="test"))
    await stock.issue_to_van(session, depot.id, holder.id, lines, Stamp(actor="test"))
    await session.commit()
    needs = [{"partId": gid("Part", board.id), "quantity": 1}]
    await gql.as_role(Role.DISPATCHER).mutate(
        SET_NEEDS, {"taskId": gid("Task", job.id), "parts": needs}
    )
    # when a plan runs
    run = await _run(session, sessions, territory_id)
    # then the holder takes the visit, with no pickup
    assert [r["technician_id"] for r in run.routes] == [holder_id]
    assert "pickups" not in run.routes[0]
    assert [s["task_id"] for s in run.routes[0]["stops"]] == [job_id]


async def _tasks_needing_parts(session: AsyncSession, d: f.Day, depot: int, n: int) -> list[int]:
    """Tasks each needing 2 of their own part, 3 stocked at the warehouse, 1 in a van."""
    ids = []
    for _ in range(n):
        job = await f.task(session, d)
        part = await inventory.part(session)
        assert job.id and part.id
        lines = [MovementLine(part_id=part.id, quantity=3)]
        await stock.receive(session, depot, lines, Stamp(actor="test"))
        one = [MovementLine(part_id=part.id, quantity=1)]
        await stock.issue_to_van(session, depot, d.technicians[0].id or 0, one, Stamp(actor="t"))
        await part_needs.set_part_needs(session, f.DISPATCHER, job.id, [(part.id, 2)], None)
        ids.append(part.id)
    return ids


async def test_facts_read_needs_vans_and_warehouses_in_the_same_statements_for_1_and_5_tasks(
    session: AsyncSession, statements: StatementCounter
) -> None:
    d = await f.day(session)
    warehouse = await inventory.warehouse(session)
    territory_id, holder_id = d.territory.id or 0, d.technicians[0].id
    part_ids: list[int] = []
    counts = []
    for n in (1, 4):
        part_ids += await _tasks_needing_parts(session, d, warehouse.id or 0, n)
        await session.commit()
        statements.reset()
        facts = await load_facts(
            session, territory_id, f.tomorrow_at(0), f.tomorrow_at(24), utcnow()
        )
        counts.append(statements.total)
        assert sorted(p for t in facts.tasks for p in t.parts) == sorted(part_ids)
        assert all(t.parts[p] == 2 for t in facts.tasks for p in t.parts)
        van = next(t for t in facts.technicians if t.id == holder_id)
        assert van.stock == dict.fromkeys(part_ids, 1)
        assert any(depot.stock == dict.fromkeys(part_ids, 2) for depot in facts.depots)
    assert counts[0] == counts[1]


async def test_a_diagnosis_suspects_parts_and_a_dispatcher_overrides_them(
    session: AsyncSession,
) -> None:
    from app.remote_service.models import RemoteCase
    from tests.conversations.factories import request
    from tests.work_orders import factories as wf

    world = await wf.world(session)
    ticket = await request(session, world)
    pump, valve = await inventory.part(session), await inventory.part(session)
    assert ticket.id and pump.id and valve.id and world.customer.id
    session.add(
        RemoteCase(
            service_request_id=ticket.id,
            customer_id=world.customer.id,
            suspected_part_ids=[pump.id, valve.id],
        )
    )
    job = await f.task(session, await f.day(session))
    job.service_request_id = ticket.id
    await session.flush()
    assert job.id is not None
    needs = await part_needs.needs_of(session, [job.id])
    assert [(n.part_id, n.quantity, n.source) for n in needs[job.id]] == [
        (pump.id, 1, part_needs.NeedSource.DIAGNOSIS),
        (valve.id, 1, part_needs.NeedSource.DIAGNOSIS),
    ]
    await part_needs.set_part_needs(
        session, f.DISPATCHER, job.id, [(pump.id, 3), (valve.id, 0)], None
    )
    needs = await part_needs.needs_of(session, [job.id])
    assert [(n.part_id, n.quantity, n.source) for n in needs[job.id]] == [
        (pump.id, 3, part_needs.NeedSource.DISPATCHER)
    ]
