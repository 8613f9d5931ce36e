"""Approvers racing on one request in real parallel transactions: the unit leaves stock once."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, func, select

from app.assets.models import Asset
from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.inventory.models import StockLevel, StockMovement
from app.replacements import service
from app.replacements.models import ReplacementApproval, ReplacementRequestCreate
from tests.replacements.factories import case

DISPATCHER = Principal(subject="test:dispatcher", role=Role.DISPATCHER, name="Dispatcher")


@pytest.mark.parametrize(
    ("expected_version", "loser"), [(None, "INVALID_TRANSITION"), (1, "STALE_VERSION")]
)
async def test_parallel_approvals_issue_the_unit_exactly_once(
    committed_sessions: SessionFactory, expected_version: int | None, loser: str
) -> None:
    # given a pending request for a unit the depot holds 3 of
    async with committed_sessions() as session, session.begin():
        c = await case(session)
        technician = Principal(
            subject="test:technician",
            role=Role.TECHNICIAN,
            technician_id=c.world.technician.id,
        )
        assert c.task.id and c.unit.id and c.depot.id
        request = await service.request_replacement(
            session,
            technician,
            ReplacementRequestCreate(
                task_id=c.task.id,
                replacement_part_id=c.unit.id,
                stock_location_id=c.depot.id,
                diagnosis="Compressor seized",
            ),
        )
        request_id, depot_id, part_id = request.id, c.depot.id, c.unit.id
    assert request_id is not None
    contenders = 6
    barrier = asyncio.Barrier(contenders)

    async def approve(n: int) -> str:
        async with committed_sessions() as session:
            async with session.begin():
                await session.execute(select(1))  # hold a connection before the start line
                await barrier.wait()
                try:
                    async with session.begin_nested():
                        await service.approve(
                            session,
                            DISPATCHER,
                            request_id,
                            ReplacementApproval(new_serial_number=f"RACE-{request_id}-{n}"),
                            expected_version,
                        )
                except DomainError as refused:
                    return refused.code.value
            return "OK"

    # when six approvers approve it at once, each in their own transaction
    outcomes = await asyncio.gather(*(approve(n) for n in range(contenders)))

    # then one approval wins, the others are refused, and one unit left the depot
    assert sorted(outcomes, key=lambda o: o != "OK") == ["OK"] + [loser] * (contenders - 1)
    async with committed_sessions() as session:
        level = await session.scalar(
            select(StockLevel).where(
                col(StockLevel.location_id) == depot_id, col(StockLevel.part_id) == part_id
            )
        )
        assert level is not None and level.on_hand == 2
        issued = await session.scalar(
            select(func.count())
            .select_from(StockMovement)
            .where(col(StockMovement.operation_key) == service.operation_key(request_id))
        )
        assert issued == 1
        new_assets = await session.scalar(
            select(func.count())
            .select_from(Asset)
            .where(col(Asset.serial_number).like(f"RACE-{request_id}-%"))
        )
        assert new_assets == 1
