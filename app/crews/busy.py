"""When technicians are taken: the tasks they lead and the crew tasks they are members of, each
over its daily segments when it has them (a multi-day task does not hold its nights and days
off), else over its scheduled times.

Manual assignment's overlap and travel checks and the dispatch board read these, so a member
of another crew is neither double-booked nor shown idle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func

from app.crews.models import CrewMember, TaskSegment
from app.work_orders.models import Task, TaskStatus


def involvement(technician_ids: Sequence[int]) -> Any:
    """(task_id, technician_id, member): each task whose technician (lead) is one of them,
    and each crew task one of them is a non-lead member of (`member` true)."""
    led: Any = sa.select(
        col(Task.id).label("task_id"),
        col(Task.technician_id).label("technician_id"),
        sa.false().label("member"),
    ).where(col(Task.technician_id).in_(technician_ids))
    joined: Any = sa.select(
        col(CrewMember.task_id).label("task_id"),
        col(CrewMember.technician_id).label("technician_id"),
        sa.true().label("member"),
    ).where(col(CrewMember.technician_id).in_(technician_ids), sa.not_(col(CrewMember.is_lead)))
    return sa.union_all(led, joined).subquery("involvement")


def taken_spans(technician_ids: Sequence[int], statuses: Sequence[TaskStatus]) -> Any:
    """(task_id, technician_id, member, starts_at, ends_at): one row per task and segment (or
    one per task without segments) that holds one of the technicians, for tasks in `statuses`."""
    who = involvement(technician_ids)
    return (
        sa.select(
            who.c.task_id,
            who.c.technician_id,
            who.c.member,
            func.coalesce(col(TaskSegment.starts_at), col(Task.scheduled_start)).label("starts_at"),
            func.coalesce(col(TaskSegment.ends_at), col(Task.scheduled_end)).label("ends_at"),
        )
        .select_from(who)
        .join(Task, col(Task.id) == who.c.task_id)
        .outerjoin(TaskSegment, col(TaskSegment.task_id) == col(Task.id))
        .where(col(Task.status).in_(statuses), col(Task.scheduled_start).is_not(None))
        .subquery("taken")
    )
