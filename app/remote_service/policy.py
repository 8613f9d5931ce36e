"""Remote service data managed by admins: the resolution code catalogue, which categories try
remote first, who experts are, and the assist escalation steps."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import ProductCategory
from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode, NotFound
from app.core.models import utcnow
from app.core.repository import check_version, flush_unique
from app.remote_service.models import (
    AssistEscalationStep,
    ExpertProfile,
    RemoteFirstPolicy,
    RemoteResolutionCode,
)
from app.service_requests.models import RequestCategory
from app.technicians.models import Skill, Technician
from app.users.models import User

# --- resolution codes ---------------------------------------------------------------------


async def codes(
    session: AsyncSession, *, include_archived: bool = False
) -> list[RemoteResolutionCode]:
    statement = select(RemoteResolutionCode).order_by(col(RemoteResolutionCode.code))
    if not include_archived:
        statement = statement.where(col(RemoteResolutionCode.archived_at).is_(None))
    return list((await session.scalars(statement)).all())


async def code_named(session: AsyncSession, code: str) -> RemoteResolutionCode:
    row = await session.scalar(
        select(RemoteResolutionCode).where(
            col(RemoteResolutionCode.code) == code.strip().upper(),
            col(RemoteResolutionCode.archived_at).is_(None),
        )
    )
    if row is None:
        raise NotFound("resolution code", ["resolutionCode"])
    return row


async def set_code(
    session: AsyncSession,
    code: str,
    name: str,
    description: str,
    active: bool,
    expected_version: int | None,
) -> RemoteResolutionCode:
    """Create or change one code of the catalogue; an inactive code is archived (cases that
    used it keep it)."""
    key = code.strip().upper()
    row = await session.scalar(
        select(RemoteResolutionCode).where(col(RemoteResolutionCode.code) == key).with_for_update()
    )
    if row is None:
        if expected_version is not None:
            raise NotFound("resolution code", ["code"])
        row = RemoteResolutionCode(code=key, name=name.strip(), description=description.strip())
        session.add(row)
    else:
        check_version(row, expected_version)
        row.name, row.description = name.strip(), description.strip()
        row.touch()
    row.archived_at = None if active else (row.archived_at or utcnow())
    await flush_unique(session, "code", f"resolution code {key} exists")
    return row


# --- remote-first policies ----------------------------------------------------------------


async def policies(session: AsyncSession) -> list[RemoteFirstPolicy]:
    rows = (
        await session.scalars(
            select(RemoteFirstPolicy).where(col(RemoteFirstPolicy.archived_at).is_(None))
        )
    ).all()
    return sorted(rows, key=lambda r: (r.request_category or "", r.product_category or ""))


def _specificity(row: RemoteFirstPolicy) -> int:
    return (2 if row.request_category else 0) + (1 if row.product_category else 0)


async def remote_first(
    session: AsyncSession, category: RequestCategory, product: ProductCategory | None
) -> bool:
    """Whether a request of this category (and product category) starts in remote triage:
    the most specific matching row decides; no row: no."""
    matching = [
        row
        for row in await policies(session)
        if row.request_category in (None, category) and row.product_category in (None, product)
    ]
    if not matching:
        return False
    return max(matching, key=_specificity).remote_first


async def set_policy(
    session: AsyncSession,
    request_category: RequestCategory | None,
    product_category: ProductCategory | None,
    remote_first: bool,
    expected_version: int | None,
) -> RemoteFirstPolicy:
    """Create or change the row of one scope; requests already received keep their stage."""
    request_column = col(RemoteFirstPolicy.request_category)
    product_column = col(RemoteFirstPolicy.product_category)
    row = await session.scalar(
        select(RemoteFirstPolicy)
        .where(
            request_column.is_(None)
            if request_category is None
            else request_column == request_category,
            product_column.is_(None)
            if product_category is None
            else product_column == product_category,
        )
        .with_for_update()
    )
    if row is None:
        if expected_version is not None:
            raise NotFound("remote-first policy", ["requestCategory"])
        row = RemoteFirstPolicy(
            request_category=request_category, product_category=product_category
        )
        session.add(row)
    else:
        check_version(row, expected_version)
        row.touch()
    row.remote_first = remote_first
    row.archived_at = None
    await flush_unique(session, "requestCategory", "a policy of this scope exists")
    return row


# --- experts ------------------------------------------------------------------------------


async def set_expert(
    session: AsyncSession,
    *,
    user_id: int | None,
    technician_id: int | None,
    skill_code: str,
    level: int,
    active: bool,
    expected_version: int | None,
) -> ExpertProfile:
    """Create or change one person's expertise in one skill (a staff user or a technician)."""
    if (user_id is None) == (technician_id is None):
        raise DomainError("give exactly one of userId and technicianId", field=["userId"])
    if not 1 <= level <= 5:
        raise DomainError("level is 1 to 5", field=["level"])
    skill = await session.scalar(select(Skill).where(col(Skill.code) == skill_code))
    if skill is None or skill.id is None:
        raise NotFound("skill", ["skillCode"])
    name = await _person(session, user_id, technician_id)
    person = (
        col(ExpertProfile.user_id) == user_id
        if user_id is not None
        else col(ExpertProfile.technician_id) == technician_id
    )
    row = await session.scalar(
        select(ExpertProfile)
        .where(person, col(ExpertProfile.skill_id) == skill.id)
        .with_for_update()
    )
    if row is None:
        if expected_version is not None:
            raise NotFound("expert profile", ["skillCode"])
        row = ExpertProfile(
            user_id=user_id, technician_id=technician_id, name=name, skill_id=skill.id
        )
        session.add(row)
    else:
        check_version(row, expected_version)
        row.touch()
    row.level = level
    row.name = name
    row.archived_at = None if active else (row.archived_at or utcnow())
    await flush_unique(session, "skillCode", "this person already has a profile for the skill")
    return row


async def _person(session: AsyncSession, user_id: int | None, technician_id: int | None) -> str:
    if user_id is not None:
        user = await session.get(User, user_id)
        if user is None or user.archived_at is not None:
            raise NotFound("user", ["userId"])
        if Role(user.role) not in (Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.AGENT):
            raise DomainError(
                "an expert user is staff; name a technician by technicianId",
                field=["userId"],
            )
        return user.name
    technician = await session.get(Technician, technician_id)
    if technician is None or technician.archived_at is not None:
        raise NotFound("technician", ["technicianId"])
    return technician.name


async def experts(session: AsyncSession) -> list[ExpertProfile]:
    return list(
        (
            await session.scalars(
                select(ExpertProfile)
                .where(col(ExpertProfile.archived_at).is_(None))
                .order_by(col(ExpertProfile.name), col(ExpertProfile.id))
                .limit(500)
            )
        ).all()
    )


# --- assist escalation steps --------------------------------------------------------------


async def steps(session: AsyncSession) -> list[AssistEscalationStep]:
    return list(
        (
            await session.scalars(
                select(AssistEscalationStep)
                .where(col(AssistEscalationStep.archived_at).is_(None))
                .order_by(col(AssistEscalationStep.level))
            )
        ).all()
    )


async def set_step(
    session: AsyncSession,
    level: int,
    after_minutes: int,
    audience_role: Role,
    active: bool,
    expected_version: int | None,
) -> AssistEscalationStep:
    """Create or change the escalation step of one level (1 to 3)."""
    if not 1 <= level <= 3:
        raise DomainError("level is 1 to 3", field=["level"])
    if not 1 <= after_minutes <= 1440:
        raise DomainError("afterMinutes is 1 to 1,440", field=["afterMinutes"])
    if audience_role in (Role.CUSTOMER, Role.PARTNER):
        raise DomainError("escalations go to staff or technicians", field=["audienceRole"])
    row = await session.scalar(
        select(AssistEscalationStep)
        .where(col(AssistEscalationStep.level) == level)
        .with_for_update()
    )
    if row is None:
        if expected_version is not None:
            raise NotFound("assist escalation step", ["level"])
        row = AssistEscalationStep(
            level=level, after_minutes=after_minutes, audience_role=audience_role
        )
        session.add(row)
    else:
        check_version(row, expected_version)
        row.touch()
    row.after_minutes, row.audience_role = after_minutes, audience_role
    row.archived_at = None if active else (row.archived_at or utcnow())
    steps_in_order = sorted(
        [s for s in await steps(session) if s.level != level] + ([row] if active else []),
        key=lambda s: s.level,
    )
    minutes = [s.after_minutes for s in steps_in_order]
    if minutes != sorted(minutes):
        raise DomainError(
            "a higher level must wait at least as long as a lower one",
            ErrorCode.INVALID,
            ["afterMinutes"],
        )
    await session.flush()
    return row
