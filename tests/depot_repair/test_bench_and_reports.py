"""The bench queue and calendar, the storage rule, depots through the API, the depot
reports (with the replacements hook), and two real transactions racing for one step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.depot_repair import reports, service
from app.depot_repair.models import RepairOrder
from app.replacements.models import ReplacementRequest, ReplacementSource, ReplacementStatus
from schema.ids import decode_id
from tests.depot_repair.helpers import (
    APPROVE,
    CANCEL,
    CHECK_QC,
    CONSUME,
    DECLINE,
    DELIVER,
    RECEIVE,
    START_DIAGNOSIS,
    START_REPAIR,
    SUBMIT_QC,
    DepotWorld,
    as_tech,
    depot_world,
    diagnosed,
    intake,
    ok,
)
from tests.support import GraphQLClient, error_codes

QUEUE = "query($depot: ID!) { benchQueue(depotId: $depot) { number priority dueAt } }"
MINE = "query { myBenchQueue { number } }"
CALENDAR = """
query($from: DateTime!, $to: DateTime!, $depot: ID) {
  repairCalendar(from: $from, to: $to, depotId: $depot) { number dueAt } }
"""


async def test_the_bench_queue_puts_priority_then_due_time_first(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    normal = await ok(gql, RECEIVE, intake(world, priority=3))
    urgent = await ok(gql, RECEIVE, intake(world, priority=1))
    later = await ok(gql, RECEIVE, intake(world, priority=3))
    row = await session.get(RepairOrder, decode_id(later["id"], "RepairOrder"))
    assert row is not None
    row.due_at -= timedelta(hours=10)  # promised earlier than `normal`
    await session.flush()
    queue = (await gql(QUEUE, {"depot": world.depot_gid}))["benchQueue"]
    assert [o["number"] for o in queue] == [urgent["number"], later["number"], normal["number"]]

    await ok(as_tech(gql, world.tech_b), START_DIAGNOSIS, {"repairOrderId": normal["id"]})
    mine = (await as_tech(gql, world.tech_b)(MINE))["myBenchQueue"]
    assert [o["number"] for o in mine] == [normal["number"]]

    start = datetime.now(UTC)
    window = {"from": start.isoformat(), "to": (start + timedelta(days=3, hours=1)).isoformat()}
    calendar = (await gql(CALENDAR, {**window, "depot": world.depot_gid}))["repairCalendar"]
    assert [o["number"] for o in calendar] == [later["number"], normal["number"], urgent["number"]]
    backwards = await gql.raw(CALENDAR, {"from": window["to"], "to": window["from"]})
    assert backwards["errors"][0]["extensions"]["code"] == "INVALID"


async def test_an_uncollected_item_gets_the_storage_fee_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await diagnosed(gql, world)
    declined = await ok(gql, DECLINE, {"repairOrderId": order["id"]})
    row = await session.get(RepairOrder, decode_id(order["id"], "RepairOrder"))
    assert row is not None and row.collect_from is not None
    now = row.collect_from + timedelta(days=29)
    assert await service.charge_storage(session, now) == 0  # still within the free days
    now = row.collect_from + timedelta(days=31)
    assert await service.charge_storage(session, now) == 1
    assert await service.charge_storage(session, now + timedelta(days=5)) == 0
    invoices = await service.invoices_of(session, row)
    assert sorted(i.total for i in invoices) == [Decimal("413.00"), Decimal("590.00")]
    assert declined["status"] == "DECLINED"
    handover = await gql.as_role(Role.AGENT).mutate(
        DELIVER, {"repairOrderId": order["id"], "signerName": "Meera"}
    )
    assert error_codes(handover) == ["CONFLICT"]


DEPOTS = """
query { depots(first: 10) { totalCount edges { node { code name turnaroundHours } } } }
"""
CREATE_DEPOT = """
mutation($input: CreateDepotInput!) { createDepot(input: $input) {
  depot { id code name version openingHours { weekday opens closes } diagnosisFee { amount } }
  userErrors { field code message } } }
"""
UPDATE_DEPOT = """
mutation($input: UpdateDepotInput!) { updateDepot(input: $input) {
  depot { version turnaroundHours storageFee { amount } } userErrors { field code } } }
"""
SET_BENCH = """
mutation($input: SetBenchTechnicianInput!) { setBenchTechnician(input: $input) {
  depot { benchTechnicians { name } } userErrors { field code } } }
"""


async def test_depots_are_opened_and_kept_through_the_api(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    data = {
        "code": "DEPOT-WF",
        "name": "Whitefield Service Centre",
        "address": "ITPL Main Road, Whitefield",
        "point": {"lat": 12.9698, "lng": 77.75},
        "openingHours": [{"weekday": 0, "opens": "09:30", "closes": "19:00"}],
        "diagnosisFee": "299.00",
    }
    refused = await gql.as_role(Role.DISPATCHER).mutate(CREATE_DEPOT, data)
    assert error_codes(refused) == ["FORBIDDEN"]
    bad_hours = await gql.mutate(
        CREATE_DEPOT,
        {**data, "openingHours": [{"weekday": 0, "opens": "19:00", "closes": "09:00"}]},
    )
    assert error_codes(bad_hours) == ["INVALID"]
    created = await gql.mutate(CREATE_DEPOT, data)
    assert created["userErrors"] == []
    depot = created["depot"]
    assert depot["openingHours"] == [{"weekday": 0, "opens": "09:30", "closes": "19:00"}]

    stale = await gql.mutate(
        UPDATE_DEPOT, {"depotId": depot["id"], "expectedVersion": 9, "turnaroundHours": 48}
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    updated = await gql.mutate(
        UPDATE_DEPOT,
        {"depotId": depot["id"], "expectedVersion": 1, "turnaroundHours": 48, "storageFee": "250"},
    )
    assert updated["userErrors"] == []
    assert updated["depot"] == {
        "version": 2,
        "turnaroundHours": 48,
        "storageFee": {"amount": "250.00"},
    }

    moved = await gql.mutate(
        SET_BENCH,
        {"depotId": depot["id"], "technicianId": world.gid("Technician", world.tech_b.id)},
    )
    assert moved["depot"]["benchTechnicians"] == [{"name": "Bala"}]
    listed = (await gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)(DEPOTS))["depots"]
    assert listed["totalCount"] == 3


REPORT = """
query($depot: ID!) { depotRepairReports(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z",
  depotId: $depot) {
  received repaired declined cancelled delivered averageTurnaroundHours onTime repairYield
  qcChecks qcFailures qcFailureRate replacementCount replacementValue replacementRate
  parts { productModelCode faultCode partSku quantity orders cost } depot { code } } }
"""


async def _repaired(gql: GraphQLClient, world: DepotWorld, *, fail_first: bool) -> None:
    tech_a, tech_b = as_tech(gql, world.tech_a), as_tech(gql, world.tech_b)
    order = await diagnosed(gql, world)
    await ok(gql, APPROVE, {"repairOrderId": order["id"]})
    await ok(tech_a, START_REPAIR, {"repairOrderId": order["id"]})
    part = world.gid("Part", world.part.id)
    await ok(
        tech_a, CONSUME, {"repairOrderId": order["id"], "lines": [{"partId": part, "quantity": 1}]}
    )
    await ok(tech_a, SUBMIT_QC, {"repairOrderId": order["id"]})
    if fail_first:
        failed = {"repairOrderId": order["id"], "passed": False, "reason": "Still flickers"}
        await ok(tech_b, CHECK_QC, failed)
        await ok(tech_a, SUBMIT_QC, {"repairOrderId": order["id"]})
    await ok(tech_b, CHECK_QC, {"repairOrderId": order["id"], "passed": True})


async def test_depot_report_figures(gql: GraphQLClient, session: AsyncSession) -> None:
    world = await depot_world(session)
    await _repaired(gql, world, fail_first=False)
    await _repaired(gql, world, fail_first=True)
    declined = await diagnosed(gql, world)
    await ok(gql, DECLINE, {"repairOrderId": declined["id"]})
    cancelled = await ok(gql, RECEIVE, intake(world))
    await ok(gql, CANCEL, {"repairOrderId": cancelled["id"], "reason": "Changed their mind"})

    (report,) = (await gql(REPORT, {"depot": world.depot_gid}))["depotRepairReports"]
    assert {k: report[k] for k in ("received", "repaired", "declined", "cancelled")} == {
        "received": 4, "repaired": 2, "declined": 1, "cancelled": 1,
    }  # fmt: skip
    assert report["repairYield"] == 0.5 and report["onTime"] == 2
    assert report["qcChecks"] == 3 and report["qcFailures"] == 1
    assert report["qcFailureRate"] == pytest.approx(0.3333)
    assert report["averageTurnaroundHours"] is not None and report["averageTurnaroundHours"] < 1
    assert report["parts"] == [
        {
            "productModelCode": world.model.code,
            "faultCode": "NO_PICTURE",
            "partSku": world.part.sku,
            "quantity": 2,
            "orders": 2,
            "cost": "1600.00",
        }
    ]
    assert report["replacementCount"] == 0 and report["replacementRate"] == 0.0


async def test_replacements_approved_from_the_depot_feed_its_report(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # Given a depot with one repair done, and replacement requests for its customer's unit:
    # two approved from the depot's stock in the period, one approved before it, one rejected,
    # and one approved from another warehouse
    world = await depot_world(session)
    await _repaired(gql, world, fail_first=False)
    asset = await session.scalar(select(Asset).where(col(Asset.customer_id) == world.customer.id))
    assert asset is not None and asset.id is not None
    order_id = await session.scalar(
        select(RepairOrder.id).where(col(RepairOrder.depot_id) == world.depot.id)
    )
    now = datetime.now(UTC)

    def request(status: ReplacementStatus, location: int, decided: datetime, value: str) -> None:
        session.add(
            ReplacementRequest(
                source=ReplacementSource.REPAIR_ORDER,
                repair_order_id=order_id,
                customer_id=world.customer.id or 0,
                asset_id=asset.id or 0,
                product_category=world.model.category,
                replacement_part_id=world.part.id or 0,
                replacement_model_id=world.model.id or 0,
                stock_location_id=location,
                value=Decimal(value),
                currency="INR",
                approver_role="DISPATCHER",
                diagnosis="Board burnt",
                status=status,
                requested_by="test",
                requested_by_role="DISPATCHER",
                decided_at=decided,
            )
        )

    approved, rejected = ReplacementStatus.APPROVED, ReplacementStatus.REJECTED
    request(approved, world.location_id, now - timedelta(hours=1), "12000.00")
    request(approved, world.location_id, now - timedelta(hours=2), "8000.50")
    request(approved, world.location_id, now - timedelta(days=40), "5000.00")
    request(rejected, world.location_id, now - timedelta(hours=3), "7000.00")
    request(approved, world.central_id, now - timedelta(hours=1), "9000.00")
    await session.flush()

    # When the depot's report for the last month is read
    report = await reports.depot_report(
        session, world.depot.id or 0, now - timedelta(days=30), now + timedelta(days=1)
    )

    # Then it counts the two approved from its stock in the period, their value, and the rate
    assert report is not None
    assert report.replacements == reports.ReplacementFigures(2, Decimal("20000.50"))
    assert report.repaired == 1 and report.replacement_rate == pytest.approx(0.6667)


async def test_two_transactions_racing_for_one_step_leave_one_winner(
    committed_sessions: SessionFactory,
) -> None:
    async with committed_sessions() as session, session.begin():
        world = await depot_world(session)
        order = await service.receive_order(
            session,
            Principal("test:desk", Role.AGENT),
            service.Intake(
                depot_id=world.depot.id or 0,
                customer_id=world.customer.id,
                new_asset=service.NewAsset(
                    product_model_id=world.model.id or 0, serial_number="RACE-1"
                ),
                reported_fault="Dead",
            ),
        )
        order_id, version = order.id or 0, order.version
    leads = [Principal(f"test:lead{n}", Role.DISPATCHER) for n in range(2)]
    techs = [world.tech_a.id, world.tech_b.id]

    async def take(n: int) -> str:
        try:
            async with committed_sessions() as session, session.begin():
                await service.start_diagnosis(session, leads[n], order_id, techs[n], version)
                await asyncio.sleep(0.2)  # hold the row while the other waits
            return "ok"
        except DomainError as error:
            return error.code.value

    outcomes = sorted(await asyncio.gather(take(0), take(1)))
    assert outcomes == ["STALE_VERSION", "ok"]
    async with committed_sessions() as session:
        row = await session.get(RepairOrder, order_id)
        assert row is not None and row.version == version + 1
        events = await session.scalar(
            sa.text("SELECT count(*) FROM repair_order_events WHERE repair_order_id = :id"),
            {"id": order_id},
        )
        assert events == 2  # the intake and the one diagnosis that won
