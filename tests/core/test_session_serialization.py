"""The operation's session runs one call at a time, and cancelling a caller (graphql-core
cancels the siblings of a failed field) neither cuts a statement off nor strands a call."""

from __future__ import annotations

import asyncio
import gc

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_a_caller_cancelled_mid_statement_lets_it_finish(session: AsyncSession) -> None:
    slow = asyncio.ensure_future(session.execute(text("SELECT pg_sleep(0.2)")))
    await asyncio.sleep(0.05)

    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow

    assert (await session.execute(text("SELECT 2"))).scalar() == 2


async def test_a_call_cancelled_before_its_turn_never_runs(session: AsyncSession) -> None:
    slow = asyncio.ensure_future(session.execute(text("SELECT pg_sleep(0.2)")))
    await asyncio.sleep(0.05)
    waiting = asyncio.ensure_future(session.execute(text("SELECT 1")))
    await asyncio.sleep(0.01)

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await slow
    gc.collect()  # a call left unawaited would warn here, failing the test

    assert (await session.execute(text("SELECT 3"))).scalar() == 3
