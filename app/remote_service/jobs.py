"""Assist requests left unaccepted are escalated every minute on the job engine."""

from app.core.jobs import Job
from app.remote_service.assist import escalate_and_publish

JOBS = [Job("assist-escalation", every_seconds=60, run=escalate_and_publish)]
