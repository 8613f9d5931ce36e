"""Depot repair clocks: orders waiting for parts resume when their requisition is fulfilled;
items left uncollected past the free days get the storage fee."""

from __future__ import annotations

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.depot_repair.service import charge_storage, resume_fulfilled


async def run_resume(sessions: SessionFactory, broker: Broker | None) -> int:
    async with unit_of_work(sessions, broker) as session:
        return await resume_fulfilled(session)


async def run_storage(sessions: SessionFactory, broker: Broker | None) -> int:
    async with unit_of_work(sessions, broker) as session:
        return await charge_storage(session)


JOBS: list[Job] = [
    Job("depot_repair.resume_fulfilled", 30, run_resume),
    Job("depot_repair.storage_fees", 3600, run_storage),
]
