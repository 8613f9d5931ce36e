"""The row policy families: SLA targets per priority (`sla_policies`) and the priority rules
(`priority_rules`), read and changed by admins, versioned as a family and audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, field_validator
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from app.core.auth import Principal
from app.core.errors import ErrorCode, FieldProblem, NotFound, collect
from app.core.repository import flush_unique
from app.policies.audit import Diff, lock, record
from app.policies.models import PolicyKind
from app.service_requests.models import PriorityRule, PriorityRuleKind, SlaPolicy

LONGEST_MINUTES = 90 * 24 * 60
PRIORITY_COUNT = 5
"""Priorities run from 1 (most urgent) to 5: one SLA target each."""
SLA_FIELDS = ("response_minutes", "resolution_minutes", "at_risk_percent")
RULE_FIELDS = ("kind", "value", "priority", "active")


class SlaTarget(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    priority: int = Field(ge=1, le=PRIORITY_COUNT)
    response_minutes: int = Field(gt=0, le=LONGEST_MINUTES)
    resolution_minutes: int = Field(gt=0, le=LONGEST_MINUTES)
    at_risk_percent: int = Field(default=80, ge=1, le=100)


async def sla_targets(session: AsyncSession) -> Sequence[SlaPolicy]:
    return (await session.scalars(select(SlaPolicy).order_by(col(SlaPolicy.priority)))).all()


def _sla_problems(targets: Sequence[SlaTarget]) -> list[FieldProblem]:
    problems, seen = [], set()
    for i, target in enumerate(targets):
        if target.priority in seen:
            problems.append(
                FieldProblem(
                    f"priority {target.priority} is given twice",
                    ErrorCode.INVALID,
                    ["targets", str(i), "priority"],
                )
            )
        seen.add(target.priority)
        if target.resolution_minutes < target.response_minutes:
            problems.append(
                FieldProblem(
                    "resolution may not be due before the response",
                    ErrorCode.INVALID,
                    ["targets", str(i), "resolutionMinutes"],
                )
            )
    return problems


async def update_sla_targets(
    session: AsyncSession,
    principal: Principal,
    targets: Sequence[SlaTarget],
    expected_version: int | None,
) -> Sequence[SlaPolicy]:
    """Set the targets of the priorities given; the others keep theirs."""
    collect(_sla_problems(targets))
    family = await lock(session, PolicyKind.SLA, expected_version)
    diffs: list[Diff] = []
    for target in targets:
        row = await session.get(SlaPolicy, target.priority)
        if row is None:
            row = SlaPolicy(**target.model_dump())
            session.add(row)
            diffs += [
                Diff(f, None, getattr(target, f), f"priority {target.priority}") for f in SLA_FIELDS
            ]
            continue
        values = target.model_dump(include=set(SLA_FIELDS))
        diffs += _changed(row, values, f"priority {row.priority}")
    record(session, family, principal, diffs)
    await session.flush()
    return await sla_targets(session)


def _changed(row: Any, values: dict[str, Any], item: str) -> list[Diff]:
    diffs = [
        Diff(name, getattr(row, name), value, item)
        for name, value in values.items()
        if getattr(row, name) != value
    ]
    for diff in diffs:
        setattr(row, diff.setting, diff.new)
    return diffs


class PriorityRuleSet(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    kind: PriorityRuleKind | None = None
    value: str | None = Field(default=None, min_length=1, max_length=100)
    priority: int | None = Field(default=None, ge=1, le=5)
    active: bool | None = None

    @field_validator("value")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("a rule needs a value")
        return None if value is None else value.strip()


async def priority_rules(session: AsyncSession) -> Sequence[PriorityRule]:
    statement = select(PriorityRule).order_by(col(PriorityRule.priority), col(PriorityRule.id))
    return (await session.scalars(statement)).all()


def _check_rule(rule: PriorityRule) -> None:
    if rule.kind is PriorityRuleKind.CONTRACT_SLA_HOURS and not _whole_hours(rule.value):
        collect(
            [
                FieldProblem(
                    "a CONTRACT_SLA_HOURS rule's value is a whole number of hours, at most 87600",
                    ErrorCode.INVALID,
                    ["value"],
                )
            ]
        )


async def create_priority_rule(
    session: AsyncSession, principal: Principal, data: PriorityRuleSet, expected: int | None
) -> PriorityRule:
    missing = [name for name in ("kind", "value", "priority") if getattr(data, name) is None]
    collect([FieldProblem(f"{n} is required", ErrorCode.INVALID, [n]) for n in missing])
    family = await lock(session, PolicyKind.PRIORITY_RULES, expected)
    values = data.model_dump(exclude_none=True)
    rule = PriorityRule(**values)
    _check_rule(rule)
    session.add(rule)
    await flush_unique(session, "value", "a rule of this kind already has this value")
    item = f"rule {rule.id}"
    record(session, family, principal, [Diff(n, None, getattr(rule, n), item) for n in RULE_FIELDS])
    await session.flush()
    return rule


async def update_priority_rule(
    session: AsyncSession,
    principal: Principal,
    rule_id: int,
    data: PriorityRuleSet,
    expected: int | None,
) -> PriorityRule:
    family = await lock(session, PolicyKind.PRIORITY_RULES, expected)
    rule = await session.get(PriorityRule, rule_id, with_for_update=True)
    if rule is None:
        raise NotFound("priority rule", ["id"])
    diffs = _changed(rule, data.model_dump(exclude_none=True), f"rule {rule_id}")
    _check_rule(rule)
    await flush_unique(session, "value", "a rule of this kind already has this value")
    record(session, family, principal, diffs)
    await session.flush()
    return rule


def _whole_hours(value: str) -> bool:
    """A whole number of hours up to ten years (`str.isdigit` also admits "²")."""
    return value.isascii() and value.isdigit() and int(value) <= 87_600
