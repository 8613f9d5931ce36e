"""Several server instances sweeping one committed database never raise an alert twice.

These tests commit, so they use a database of their own rather than the rolled-back one.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import col, select

from app.core import bootstrap
from app.core.channels import ALERTS
from app.core.config import Settings
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker, take_pending
from app.core.models import utcnow
from app.core.worker import Worker, WorkerSettings
from app.sla.jobs import JOBS
from app.sla.models import SlaEscalation, SubjectKind
from app.sla.sweeper import sweep_once
from app.work_orders.models import Task
from tests.sla.support import T0, late_task
from tests.work_orders import factories


def _own_url(settings: Settings) -> str:
    url = make_url(settings.database_url)
    return url.set(database=f"{url.database}_sweeps").render_as_string(hide_password=False)


async def _drop(url: str) -> None:
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def committed_database(settings: Settings) -> Iterator[str]:
    url = _own_url(settings)
    asyncio.run(_drop(url))
    asyncio.run(bootstrap.prepare_database(url))
    bootstrap.upgrade(url)
    yield url
    asyncio.run(_drop(url))


@pytest.fixture
async def own_engine(committed_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committed_database, pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture
def factory(own_engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(own_engine, expire_on_commit=False, autoflush=False)


async def _committed_task(factory: SessionFactory, created: object = T0) -> int:
    async with factory() as session:
        w = await factories.world(session)
        task = await late_task(session, w, created=created)  # type: ignore[arg-type]
        await session.commit()
        assert task.id is not None
        return task.id


async def _escalations(factory: SessionFactory, task_id: int) -> int:
    async with factory() as session:
        count = await session.scalar(
            select(func.count()).where(
                col(SlaEscalation.subject_kind) == SubjectKind.TASK,
                col(SlaEscalation.subject_id) == task_id,
            )
        )
        return int(count or 0)


def _alerts(session: AsyncSession, task_id: int) -> list[tuple[str, int]]:
    return [
        (e.kind, e.data["level"])
        for e in take_pending(session)
        if e.channel == ALERTS and e.data["task_id"] == task_id
    ]


async def test_a_second_instance_skips_while_the_first_is_sweeping(
    factory: SessionFactory,
) -> None:
    # given an overdue task in a committed database
    task_id = await _committed_task(factory)
    now = T0 + timedelta(minutes=61)

    # when instance A sweeps and has not committed yet, and instance B sweeps meanwhile
    async with factory() as first, factory() as second:
        a = await sweep_once(first, now)
        b = await sweep_once(second, now)
        a_alerts = _alerts(first, task_id)
        await first.commit()
        await second.rollback()

    # then B skipped; after A committed a new sweep finds nothing left to raise
    async with factory() as third:
        c = await sweep_once(third, now)
        await third.commit()
    assert not a.skipped and b.skipped
    assert sorted(a_alerts) == [("SLA_RESPONSE_OVERDUE", 1), ("SLA_UNASSIGNED", 1)]
    assert not c.skipped and [r for r in c.escalations if r.subject_id == task_id] == []
    assert await _escalations(factory, task_id) == 2


async def test_concurrent_sweeps_raise_each_level_once(factory: SessionFactory) -> None:
    # given an overdue task in a committed database
    task_id = await _committed_task(factory)
    now = T0 + timedelta(days=3)

    # when four instances sweep at the same moment, each in its own transaction
    async def instance() -> list[tuple[str, int]]:
        async with factory() as session:
            await sweep_once(session, now)
            raised = _alerts(session, task_id)
            await session.commit()
            return raised

    raised = await asyncio.gather(*(instance() for _ in range(4)))

    # then all nine escalations were raised exactly once in total
    flat = [alert for alerts in raised for alert in alerts]
    assert len(flat) == len(set(flat)) == 9
    assert await _escalations(factory, task_id) == 9


async def test_the_background_worker_publishes_alerts_after_commit(
    factory: SessionFactory, settings: Settings, committed_database: str
) -> None:
    # given an unassigned task created a day ago, and a subscriber to the alerts channel
    task_id = await _committed_task(factory, created=utcnow() - timedelta(days=1))
    broker = Broker(None)
    await broker.connect()
    sweep = [dataclasses.replace(job, every_seconds=1) for job in JOBS]
    worker = Worker(
        settings.model_copy(update={"database_url": committed_database}),
        factory,
        broker,
        config=WorkerSettings(heartbeat_seconds=1),
        jobs=sweep,
        tasks=[],
    )
    try:
        async with broker.subscribe(ALERTS) as events:
            # when the sweeper runs on a job engine worker
            await worker.start()
            received = []
            async with asyncio.timeout(20):
                async for event in events:
                    if event["data"]["task_id"] == task_id:
                        received.append(event)
                    if len(received) == 9:
                        break
            await asyncio.wait_for(worker.stop(), timeout=10)
    finally:
        await broker.disconnect()

    # then every level of every trigger reached the subscribers, and the worker stopped on request
    assert sorted((e["kind"], e["data"]["level"]) for e in received) == sorted(
        (f"SLA_{t}", level)
        for t in ("UNASSIGNED", "RESPONSE_OVERDUE", "RESOLUTION_OVERDUE")
        for level in (1, 2, 3)
    )
    assert worker._task is None
    async with unit_of_work(factory, None) as session:
        task = await session.get(Task, task_id)
        assert task is not None and task.sla_state == "BREACHED"
