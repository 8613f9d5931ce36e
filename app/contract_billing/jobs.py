"""Contract invoices on their billing day: hourly, one instance at a time (advisory lock)."""

from __future__ import annotations

from datetime import datetime

from app.contract_billing.service import BillingRun, bill_due
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.core.models import utcnow


async def run_contract_billing(
    sessions: SessionFactory, broker: Broker | None, now: datetime | None = None
) -> BillingRun:
    now = now or utcnow()
    async with unit_of_work(sessions, broker) as session:
        return await bill_due(session, now.date(), now)


JOBS: list[Job] = [Job("contract_billing.bill_due", 3600, run_contract_billing)]
