"""The key/value policy families: the task lifecycle (`work_policies`) and customer
communication (`communication_policies`), read with their defaults and changed by admins."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from app.confirmations.models import CallMode
from app.core.auth import Principal
from app.core.errors import ErrorCode, FieldProblem, collect
from app.notifications.models import CommunicationPolicy
from app.notifications.policies import Policy as Communication
from app.notifications.policies import load_policy
from app.policies.audit import Diff, current, lock, plain, record
from app.policies.models import PolicyKind
from app.work_orders.models import WorkPolicy
from app.work_orders.policies import DESCRIPTIONS, GeofenceMode, Policies, ScheduleMode
from app.work_orders.policies import load_policies as load_work

T = TypeVar("T")
WEEK_MINUTES = 7 * 24 * 60


@dataclass(frozen=True, slots=True)
class Versioned(Generic[T]):
    values: T
    version: int
    updated_at: datetime


class WorkPolicyUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    offer_response_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    rejections_before_alert: int | None = Field(default=None, ge=1, le=100)
    geofence_radius_meters: float | None = Field(default=None, gt=0, le=50_000)
    geofence_mode: GeofenceMode | None = None
    signature_required: bool | None = None
    check_in_window_mode: ScheduleMode | None = None
    check_in_early_minutes: int | None = Field(default=None, ge=0, le=WEEK_MINUTES)
    check_in_late_minutes: int | None = Field(default=None, ge=0, le=WEEK_MINUTES)
    start_travel_early_minutes: int | None = Field(default=None, ge=0, le=WEEK_MINUTES)
    check_in_same_day: bool | None = None


class CommunicationPolicyUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    max_attempts: int | None = Field(default=None, ge=1, le=50)
    backoff_base_seconds: int | None = Field(default=None, ge=1, le=24 * 3600)
    backoff_cap_seconds: int | None = Field(default=None, ge=1, le=7 * 24 * 3600)
    lease_seconds: int | None = Field(default=None, ge=10, le=24 * 3600)
    reminder_hours_before: int | None = Field(default=None, ge=0, le=14 * 24)
    confirmation_reply_minutes: int | None = Field(default=None, ge=1, le=WEEK_MINUTES)
    confirmation_call_minutes: int | None = Field(default=None, ge=1, le=2 * WEEK_MINUTES)
    confirmation_call_mode: CallMode | None = None
    survey_link_days: int | None = Field(default=None, ge=1, le=365)
    webhook_max_attempts: int | None = Field(default=None, ge=1, le=50)
    webhook_tolerance_seconds: int | None = Field(default=None, ge=10, le=3600)


def _sent(update: SQLModel) -> dict[str, Any]:
    """The values the caller set; a null means "keep the current value"."""
    return {k: v for k, v in update.model_dump(exclude_unset=True).items() if v is not None}


def _must_not_exceed(values: Any, low: str, high: str, message: str) -> list[FieldProblem]:
    if getattr(values, low) <= getattr(values, high):
        return []
    return [FieldProblem(message, ErrorCode.INVALID, [_camel(low)])]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def work_policy(session: AsyncSession) -> Versioned[Policies]:
    family = await current(session, PolicyKind.WORK)
    return Versioned(await load_work(session), family.version, family.updated_at)


async def communication_policy(session: AsyncSession) -> Versioned[Communication]:
    family = await current(session, PolicyKind.COMMUNICATION)
    return Versioned(await load_policy(session), family.version, family.updated_at)


async def update_work_policy(
    session: AsyncSession,
    principal: Principal,
    update: WorkPolicyUpdate,
    expected_version: int | None,
) -> Versioned[Policies]:
    family = await lock(session, PolicyKind.WORK, expected_version)
    before = await load_work(session)
    after = replace(before, **_sent(update))
    collect(
        _must_not_exceed(
            after,
            "check_in_early_minutes",
            "start_travel_early_minutes",
            "a check-in may not start earlier than travel (startTravelEarlyMinutes)",
        )
    )
    diffs = _diffs(before, after, _sent(update))
    await _write(session, WorkPolicy, diffs, DESCRIPTIONS)
    record(session, family, principal, diffs)
    await session.flush()
    return Versioned(after, family.version, family.updated_at)


async def update_communication_policy(
    session: AsyncSession,
    principal: Principal,
    update: CommunicationPolicyUpdate,
    expected_version: int | None,
) -> Versioned[Communication]:
    family = await lock(session, PolicyKind.COMMUNICATION, expected_version)
    before = await load_policy(session)
    changes = {k: plain(v) for k, v in _sent(update).items()}
    after = replace(before, **changes)
    collect(
        _must_not_exceed(
            after,
            "backoff_base_seconds",
            "backoff_cap_seconds",
            "the first retry delay may not exceed the longest (backoffCapSeconds)",
        )
        + _must_not_exceed(
            after,
            "confirmation_reply_minutes",
            "confirmation_call_minutes",
            "the wait for a reply must end before the wait for the call (confirmationCallMinutes)",
        )
    )
    diffs = _diffs(before, after, changes)
    await _write(session, CommunicationPolicy, diffs, {})
    record(session, family, principal, diffs)
    await session.flush()
    return Versioned(after, family.version, family.updated_at)


def _diffs(before: Any, after: Any, changes: dict[str, Any]) -> list[Diff]:
    return [
        Diff(name, getattr(before, name), getattr(after, name))
        for name in sorted(changes)
        if plain(getattr(before, name)) != plain(getattr(after, name))
    ]


async def _write(
    session: AsyncSession,
    table: type[WorkPolicy] | type[CommunicationPolicy],
    diffs: list[Diff],
    descriptions: dict[str, str],
) -> None:
    for diff in diffs:
        row = await session.get(table, diff.setting)
        if row is None:
            session.add(
                table(
                    key=diff.setting,
                    value=plain(diff.new),
                    description=descriptions.get(diff.setting, ""),
                )
            )
        else:
            row.value = plain(diff.new)
