"""After-visit surveys: a signed link per task (on site or by message); the answer lands in
the task's feedback through the lifecycle's feedback rule."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode
from app.core.models import utcnow
from app.notifications.settings import get_notification_settings
from app.work_orders.customer import submit_feedback
from app.work_orders.models import Task


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def survey_token(task_id: int, *, days: int = 14, now: datetime | None = None) -> str:
    expires = int(((now or utcnow()) + timedelta(days=days)).timestamp())
    payload = f"{task_id}.{expires}"
    return f"{payload}.{_mac(get_notification_settings().link_secret, payload)}"


def survey_link(task_id: int, *, days: int = 14) -> str:
    base = get_notification_settings().public_url.rstrip("/")
    return f"{base}/surveys/{survey_token(task_id, days=days)}"


def read_token(token: str, now: datetime | None = None) -> int:
    """The task id of a valid, unexpired token, or FORBIDDEN."""
    task, _, rest = token.partition(".")
    expires, _, mac = rest.partition(".")
    if not (task.isdigit() and expires.isdigit() and mac):
        raise DomainError("not a survey link", ErrorCode.FORBIDDEN)
    expected = _mac(get_notification_settings().link_secret, f"{task}.{expires}")
    if not hmac.compare_digest(expected, mac):
        raise DomainError("not a survey link", ErrorCode.FORBIDDEN)
    if int(expires) < (now or utcnow()).timestamp():
        raise DomainError("this survey link has expired", ErrorCode.FORBIDDEN)
    return int(task)


async def answer_survey(
    session: AsyncSession, token: str, rating: int, comment: str | None
) -> Task:
    task_id = read_token(token)
    task = await session.get(Task, task_id)
    if task is None:
        raise DomainError("task not found", ErrorCode.NOT_FOUND)
    customer = Principal(
        subject=f"survey:{task_id}",
        role=Role.CUSTOMER,
        name="Survey",
        customer_id=task.customer_id,
    )
    return await submit_feedback(session, customer, task_id, rating, comment)
