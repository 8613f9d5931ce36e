"""Priority by rules stored as data: keywords, customer type, category, contract SLA."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.service_requests.models import PriorityRule, PriorityRuleKind

DEFAULT_PRIORITY = 3


@dataclass(frozen=True, slots=True)
class Facts:
    description: str
    category: str
    customer_type: str
    contract_sla_hours: int | None


def _matches(rule: PriorityRule, facts: Facts) -> bool:
    match rule.kind:
        case PriorityRuleKind.KEYWORD:
            pattern = r"\b" + r"\s+".join(map(re.escape, rule.value.split())) + r"\b"
            return re.search(pattern, facts.description, re.IGNORECASE) is not None
        case PriorityRuleKind.CUSTOMER_TYPE:
            return rule.value.upper() == facts.customer_type.upper()
        case PriorityRuleKind.CATEGORY:
            return rule.value.upper() == facts.category.upper()
        case PriorityRuleKind.CONTRACT_SLA_HOURS:
            hours = facts.contract_sla_hours
            limit = rule.value
            return hours is not None and limit.isascii() and limit.isdigit() and hours <= int(limit)
    return False


async def active_rules(session: AsyncSession) -> list[PriorityRule]:
    """The active rules, most urgent first (the order `choose` expects)."""
    rules = await session.scalars(
        select(PriorityRule)
        .where(col(PriorityRule.active).is_(True))
        .order_by(col(PriorityRule.priority), col(PriorityRule.id))
    )
    return list(rules.all())


async def classify(session: AsyncSession, facts: Facts) -> tuple[int, str]:
    """The most urgent priority among the matching rules (1 is most urgent) and why."""
    return choose(await active_rules(session), facts)


def choose(rules: Sequence[PriorityRule], facts: Facts) -> tuple[int, str]:
    """`classify` over rules already loaded (most urgent first), without the database."""
    matched = [rule for rule in rules if _matches(rule, facts)]
    if not matched:
        return DEFAULT_PRIORITY, "default priority"
    best = matched[0].priority
    reasons = [f"{r.kind.lower()} {r.value!r}" for r in matched if r.priority == best]
    return best, "matched " + ", ".join(reasons)
