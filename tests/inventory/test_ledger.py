"""The ledger invariant: levels equal the ledger's sums and never go negative."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import DomainError, ErrorCode
from app.core.events import pending_events
from app.inventory import ledger, stock
from app.inventory.catalogue import ensure_van
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine, StockLevel, TaskPartLine
from tests.inventory import factories

ACTOR = Stamp(actor="test:manager", reason="test")


async def levels(session: AsyncSession) -> dict[tuple[int, int], tuple[int, int]]:
    from sqlmodel import select

    rows = (
        await session.scalars(select(StockLevel).execution_options(populate_existing=True))
    ).all()
    return {(r.location_id, r.part_id): (r.on_hand, r.reserved) for r in rows}


operations = st.lists(
    st.tuples(
        st.sampled_from(
            ["receive", "issue", "return", "transfer", "consume", "adjust", "reserve", "release"]
        ),
        st.integers(min_value=0, max_value=1),  # which part
        st.integers(min_value=1, max_value=6),  # quantity
        st.booleans(),  # direction for adjust / transfer
    ),
    min_size=1,
    max_size=25,
)


@settings(
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
async def test_random_movement_sequences_keep_levels_equal_to_the_ledger(
    session: AsyncSession, ops: list[tuple[str, int, int, bool]]
) -> None:
    # given two warehouses, a technician's van and two parts
    async with session.begin_nested() as outer:
        await _run_sequence(session, ops)
        await outer.rollback()


async def _run_sequence(session: AsyncSession, ops: list[tuple[str, int, int, bool]]) -> None:
    main, spare = await factories.warehouse(session), await factories.warehouse(session)
    tech = await factories.technician(session)
    van = await ensure_van(session, tech.id)  # type: ignore[arg-type]
    parts = [await factories.part(session), await factories.part(session)]
    [task_id] = await factories.task_ids(session)
    assert van.id and main.id and spare.id and tech.id
    for kind, which, quantity, flag in ops:
        part_id = parts[which].id
        assert part_id is not None
        lines = [MovementLine(part_id=part_id, quantity=quantity)]
        before = await levels(session)
        events_before = len(pending_events(session))
        call: Any
        if kind == "receive":
            call = stock.receive(session, main.id, lines, ACTOR)
        elif kind == "issue":
            call = stock.issue_to_van(session, main.id, tech.id, lines, ACTOR)
        elif kind == "return":
            call = stock.return_to_warehouse(session, tech.id, spare.id, lines, ACTOR)
        elif kind == "transfer":
            source, target = (main.id, spare.id) if flag else (spare.id, main.id)
            call = stock.transfer(session, source, target, lines, ACTOR)
        elif kind == "consume":
            call = stock.consume_on_task(
                session, tech.id, task_id, [TaskPartLine(part_id=part_id, quantity=quantity)], "t"
            )
        elif kind == "adjust":
            call = stock.adjust(session, main.id, part_id, quantity if flag else -quantity, ACTOR)
        elif kind == "reserve":
            call = stock.reserve(session, main.id, part_id, quantity, ACTOR)
        else:
            call = stock.release(session, main.id, part_id, quantity, ACTOR)
        try:
            await call
        except DomainError as refused:
            # then a refused movement changes nothing and announces nothing
            assert refused.code is ErrorCode.INSUFFICIENT_STOCK
            assert await levels(session) == before
            assert len(pending_events(session)) == events_before
        # then after every step the levels equal the ledger and nothing is negative
        assert await ledger.drift(session) == []
        assert all(on >= res >= 0 for on, res in (await levels(session)).values())


async def test_the_database_refuses_negative_stock_whatever_the_code_does(
    session: AsyncSession,
) -> None:
    # given a level of 2 units
    place, item = await factories.warehouse(session), await factories.part(session)
    await stock.receive(session, place.id, [MovementLine(part_id=item.id, quantity=2)], ACTOR)  # type: ignore[arg-type]

    # when a raw statement tries to take 3 or reserve more than on hand
    for statement in (
        "UPDATE stock_levels SET on_hand = on_hand - 3",
        "UPDATE stock_levels SET reserved = on_hand + 1",
    ):
        with pytest.raises(DBAPIError, match="check constraint"):
            async with session.begin_nested():
                await session.execute(text(statement))


async def test_the_ledger_refuses_updates_and_deletes(session: AsyncSession) -> None:
    place, item = await factories.warehouse(session), await factories.part(session)
    await stock.receive(session, place.id, [MovementLine(part_id=item.id, quantity=2)], ACTOR)  # type: ignore[arg-type]

    for statement in (
        "UPDATE stock_movements SET quantity = 99",
        "DELETE FROM stock_movements",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(text(statement))


async def test_a_retried_operation_with_the_same_key_is_applied_once(
    session: AsyncSession,
) -> None:
    place, item = await factories.warehouse(session), await factories.part(session)
    stamp = Stamp(actor="test", operation_key="po-17")
    lines = [MovementLine(part_id=item.id, quantity=4)]  # type: ignore[arg-type]

    first = await stock.receive(session, place.id, lines, stamp)  # type: ignore[arg-type]
    again = await stock.receive(session, place.id, lines, stamp)  # type: ignore[arg-type]

    assert again.replayed and [m.id for m in again.movements] == [m.id for m in first.movements]
    assert (await levels(session))[(place.id, item.id)] == (4, 0)


async def test_consumption_takes_the_tasks_reservation_first(session: AsyncSession) -> None:
    # given a van with 5 units, 2 of them reserved for a task
    main, item = await factories.warehouse(session), await factories.part(session)
    tech = await factories.technician(session)
    assert main.id and item.id and tech.id
    await stock.receive(session, main.id, [MovementLine(part_id=item.id, quantity=5)], ACTOR)
    posted = await stock.issue_to_van(
        session, main.id, tech.id, [MovementLine(part_id=item.id, quantity=5)], ACTOR
    )
    van_id = posted.movements[1].location_id
    [task_id] = await factories.task_ids(session)
    await stock.reserve(session, van_id, item.id, 2, Stamp(actor="t", task_id=task_id))

    # when the technician uses 3 on that task
    lines = [TaskPartLine(sku=item.sku, quantity=3)]
    await stock.consume_on_task(session, tech.id, task_id, lines, "t")

    # then 2 on hand remain, none reserved
    assert (await levels(session))[(van_id, item.id)] == (2, 0)


async def test_consumption_reports_every_short_line_with_its_path(session: AsyncSession) -> None:
    main, tech = await factories.warehouse(session), await factories.technician(session)
    ok, short = await factories.part(session), await factories.part(session)
    assert main.id and tech.id and ok.id and short.id
    await stock.receive(session, main.id, [MovementLine(part_id=ok.id, quantity=3)], ACTOR)
    await stock.issue_to_van(
        session, main.id, tech.id, [MovementLine(part_id=ok.id, quantity=3)], ACTOR
    )
    [task_id] = await factories.task_ids(session)

    with pytest.raises(DomainError) as refused:
        await stock.consume_on_task(
            session,
            tech.id,
            task_id,
            [
                TaskPartLine(part_id=ok.id, quantity=1),
                TaskPartLine(part_id=short.id, quantity=1),
                TaskPartLine(sku="NO-SUCH", quantity=1),
            ],
            "t",
        )

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (ErrorCode.NOT_FOUND, ["lines", "2", "sku"])
    ]
    with pytest.raises(DomainError) as short_line:
        await stock.consume_on_task(
            session,
            tech.id,
            task_id,
            [TaskPartLine(part_id=ok.id, quantity=1), TaskPartLine(part_id=short.id, quantity=2)],
            "t",
        )
    assert [(p.code, p.field) for p in short_line.value.problems] == [
        (ErrorCode.INSUFFICIENT_STOCK, ["lines", "1", "quantity"])
    ]


async def test_a_movement_names_a_real_task(session: AsyncSession) -> None:
    # given a van holding a part
    main, item = await factories.warehouse(session), await factories.part(session)
    tech = await factories.technician(session)
    assert main.id and item.id and tech.id
    lines = [MovementLine(part_id=item.id, quantity=2)]
    await stock.receive(session, main.id, lines, ACTOR)
    await stock.issue_to_van(session, main.id, tech.id, lines, ACTOR)
    before = await levels(session)
    # when a use is recorded on a task that does not exist
    with pytest.raises(DomainError) as refused:
        await stock.consume_on_task(
            session, tech.id, 987_654_321, [TaskPartLine(part_id=item.id, quantity=1)], "t"
        )
    # then it is NOT_FOUND on taskId and nothing moves
    assert [(p.code, p.field) for p in refused.value.problems] == [
        (ErrorCode.NOT_FOUND, ["taskId"])
    ]
    assert await levels(session) == before
    # and the database itself refuses a movement naming a missing task
    with pytest.raises(DBAPIError, match="stock_movements_task_id_fkey"):
        async with session.begin_nested():
            await session.execute(
                text(
                    "INSERT INTO stock_movements (operation_key, leg, kind, location_id, part_id,"
                    " quantity, on_hand_delta, reserved_delta, actor, at, task_id)"
                    " VALUES ('fk-test', 0, 'ADJUST', :loc, :part, 1, 1, 0, 't', now(), 987654321)"
                ),
                {"loc": main.id, "part": item.id},
            )
