"""The SLA sweeper runs every minute on the job engine; an advisory lock lets one sweep at a
time, and the unique escalation record keeps any level from being raised twice."""

from __future__ import annotations

from app.core.jobs import Job
from app.sla.sweeper import sweep_and_publish

JOBS = [Job("sla-sweep", every_seconds=60, run=sweep_and_publish)]
