"""Remote service queries scoped to the caller, the expert queue, and the figures: remote
resolution rate, assists per task and time to first answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.remote_service.models import (
    AssistRequest,
    AssistStatus,
    ExpertProfile,
    RemoteCase,
    RemoteStage,
)


def readable_cases(principal: Principal | None) -> SelectOfScalar[RemoteCase]:
    """Remote cases carry internal diagnosis notes: staff only."""
    statement = select(RemoteCase)
    if principal is None or not principal.is_staff:
        return statement.where(false())
    return statement


def listed_cases(
    principal: Principal | None,
    stages: list[RemoteStage] | None = None,
    territory_id: int | None = None,
) -> SelectOfScalar[RemoteCase]:
    statement = readable_cases(principal)
    if stages:
        statement = statement.where(col(RemoteCase.stage).in_(stages))
    if territory_id is not None:
        statement = statement.where(col(RemoteCase.territory_id) == territory_id)
    return statement


async def get_case(
    session: AsyncSession, principal: Principal | None, case_id: int
) -> RemoteCase | None:
    return await session.scalar(readable_cases(principal).where(col(RemoteCase.id) == case_id))


# --- assist requests ----------------------------------------------------------------------


def expert_of(principal: Principal) -> Any:
    """SQL: the profile rows that are the caller's (a staff user's or a technician's)."""
    if principal.technician_id is not None and principal.role is Role.TECHNICIAN:
        return col(ExpertProfile.technician_id) == principal.technician_id
    if principal.user_id is not None and principal.is_staff:
        return col(ExpertProfile.user_id) == principal.user_id
    return false()


def qualifies(principal: Principal) -> Any:
    """SQL: the caller holds an active expert profile for the request's skill and level."""
    return (
        sa.exists()
        .where(expert_of(principal))
        .where(col(ExpertProfile.archived_at).is_(None))
        .where(col(ExpertProfile.skill_id) == col(AssistRequest.skill_id))
        .where(col(ExpertProfile.level) >= col(AssistRequest.min_level))
    )


def readable_assists(principal: Principal | None) -> SelectOfScalar[AssistRequest]:
    """Admins and managers see every assist request; an expert (staff or technician) those
    they qualify for and those they took; a technician their own; customers and partners
    none (the notes are internal)."""
    statement = select(AssistRequest)
    if principal is None:
        return statement.where(false())
    if principal.role in (Role.ADMIN, Role.MANAGER):
        return statement
    mine: Any = false()
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        mine = col(AssistRequest.technician_id) == principal.technician_id
    elif principal.role not in (Role.DISPATCHER, Role.AGENT):
        return statement.where(false())
    return statement.where(mine | taken_by(principal) | qualifies(principal))


def taken_by(principal: Principal) -> Any:
    """SQL: the request was accepted by the caller (through one of their expert profiles)."""
    return (
        sa.exists()
        .where(expert_of(principal))
        .where(col(ExpertProfile.id) == col(AssistRequest.expert_profile_id))
    )


def listed_assists(
    principal: Principal | None,
    *,
    statuses: list[AssistStatus] | None = None,
    task_id: int | None = None,
) -> SelectOfScalar[AssistRequest]:
    statement = readable_assists(principal)
    if statuses:
        statement = statement.where(col(AssistRequest.status).in_(statuses))
    if task_id is not None:
        statement = statement.where(col(AssistRequest.task_id) == task_id)
    return statement


def queue(principal: Principal) -> SelectOfScalar[AssistRequest]:
    """The expert queue: open requests the caller qualifies for (not their own)."""
    statement = select(AssistRequest).where(
        col(AssistRequest.status) == AssistStatus.OPEN, qualifies(principal)
    )
    if principal.technician_id is not None:
        statement = statement.where(col(AssistRequest.technician_id) != principal.technician_id)
    return statement


async def get_assist(
    session: AsyncSession, principal: Principal | None, assist_id: int
) -> AssistRequest | None:
    return await session.scalar(
        readable_assists(principal).where(col(AssistRequest.id) == assist_id)
    )


# --- figures ------------------------------------------------------------------------------


class Period(StrEnum):
    """The length of a report period."""

    DAY = "DAY"
    """UTC days."""
    WEEK = "WEEK"
    """Weeks from Monday."""
    MONTH = "MONTH"
    """Calendar months."""


@dataclass(frozen=True, slots=True)
class RateRow:
    period_start: date
    territory_id: int | None
    triaged: int
    resolved: int
    escalated: int

    @property
    def rate(self) -> float | None:
        """Resolved remotely over triaged remotely; None when nothing was triaged."""
        return round(self.resolved / self.triaged, 4) if self.triaged else None


def bounds(since: date, until: date) -> tuple[datetime, datetime]:
    start = datetime.combine(since, time(0), tzinfo=UTC)
    return start, datetime.combine(until + timedelta(days=1), time(0), tzinfo=UTC)


async def resolution_rate(
    session: AsyncSession,
    since: date,
    until: date,
    period: Period,
    territory_id: int | None = None,
) -> list[RateRow]:
    """Per period (of triage, UTC) and territory: requests triaged remotely, resolved
    remotely and escalated; ordered by period, then territory."""
    start, end = bounds(since, until)
    bucket = func.date_trunc(period.value.lower(), func.timezone("UTC", col(RemoteCase.created_at)))
    stage = col(RemoteCase.stage)
    statement = (
        sa.select(
            bucket,
            col(RemoteCase.territory_id),
            func.count(),
            func.count().filter(stage == RemoteStage.RESOLVED),
            func.count().filter(stage == RemoteStage.ESCALATED),
        )
        .where(col(RemoteCase.created_at) >= start, col(RemoteCase.created_at) < end)
        .group_by(bucket, col(RemoteCase.territory_id))
        .order_by(bucket, col(RemoteCase.territory_id))
    )
    if territory_id is not None:
        statement = statement.where(col(RemoteCase.territory_id) == territory_id)
    return [
        RateRow(at.date(), territory, triaged, resolved, escalated)
        for at, territory, triaged, resolved, escalated in (await session.execute(statement)).all()
    ]


@dataclass(frozen=True, slots=True)
class AssistFigures:
    requests: int
    tasks: int
    accepted: int
    answered: int
    average_minutes_to_accept: float | None
    average_minutes_to_answer: float | None

    @property
    def per_task(self) -> float | None:
        return round(self.requests / self.tasks, 4) if self.tasks else None


async def assist_figures(
    session: AsyncSession, since: date, until: date, territory_id: int | None = None
) -> AssistFigures:
    """Assist requests raised in the days: how many, over how many tasks, and the average
    minutes from asking to an expert accepting and to the first answer."""
    start, end = bounds(since, until)
    created = col(AssistRequest.created_at)

    def minutes(to: Any) -> Any:
        return func.avg(func.extract("epoch", to - created) / 60.0)

    statement = sa.select(
        func.count(),
        func.count(sa.distinct(col(AssistRequest.task_id))),
        func.count(col(AssistRequest.accepted_at)),
        func.count(col(AssistRequest.answered_at)),
        minutes(col(AssistRequest.accepted_at)),
        minutes(col(AssistRequest.answered_at)),
    ).where(created >= start, created < end)
    if territory_id is not None:
        statement = statement.where(col(AssistRequest.territory_id) == territory_id)
    count, tasks, accepted, answered, to_accept, to_answer = (
        await session.execute(statement)
    ).one()
    return AssistFigures(
        count,
        tasks,
        accepted,
        answered,
        None if to_accept is None else round(float(to_accept), 1),
        None if to_answer is None else round(float(to_answer), 1),
    )
