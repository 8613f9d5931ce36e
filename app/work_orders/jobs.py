"""Periodic lifecycle work: offers past their response deadline go back to the pool."""

from __future__ import annotations

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.work_orders.offers import expire_offers


async def expire_overdue_offers(sessions: SessionFactory, broker: Broker) -> None:
    async with unit_of_work(sessions, broker) as session:
        await expire_offers(session)


JOBS = [Job("expire-offers", every_seconds=30, run=expire_overdue_offers)]
