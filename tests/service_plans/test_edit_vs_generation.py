"""Plan edits and the generation round exclude each other (separate connections, really
committing): a round does not read a plan while an edit withdraws its visits, and an edit
waits for a running round instead of deleting visits under it."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select

from app.core.db import SessionFactory
from app.service_plans import service
from app.service_plans.generation import LOCK_KEY
from app.service_plans.jobs import run_plans
from app.service_plans.models import ServicePlanFields
from app.work_orders.transitions import SYSTEM_ACTOR
from tests.service_plans.test_concurrent_generation import TODAY, _plan


async def test_no_round_starts_while_a_plan_edit_is_uncommitted(
    committed_sessions: SessionFactory,
) -> None:
    plan_id = await _plan(committed_sessions)
    async with committed_sessions() as editing:
        await service.update_plan(
            editing, SYSTEM_ACTOR, plan_id, ServicePlanFields(interval=2), None, TODAY, 30
        )

        # while the edit is not committed, a round cannot start (it would skip)
        async with committed_sessions() as round_:
            assert not await round_.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY)))
        await editing.commit()
    assert await run_plans(committed_sessions, None, horizon_days=30) != {"skipped": 1}


async def test_an_edit_waits_for_a_running_round(committed_sessions: SessionFactory) -> None:
    plan_id = await _plan(committed_sessions)
    async with committed_sessions() as round_:
        assert await round_.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY)))

        async def archive() -> date:
            async with committed_sessions() as editing:
                plan = await service.archive_plan(editing, SYSTEM_ACTOR, plan_id, None, TODAY)
                await editing.commit()
                assert plan.archived_at is not None
                return plan.archived_at.date()

        edit = asyncio.create_task(archive())
        done, _ = await asyncio.wait({edit}, timeout=0.5)
        assert done == set()  # blocked behind the round's lock

        await round_.commit()
        assert isinstance(await asyncio.wait_for(edit, timeout=5), date)
