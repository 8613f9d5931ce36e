"""Remote service in the demo city: a resolution code catalogue; repairs of appliances and
electronics tried remotely first (air conditioners go straight to the field); requests of the
last two weeks resolved remotely, escalated to the field with their diagnosis, and a few still
in triage; experts (the demo agent and manager, and a senior technician per skill) and the
assist escalation steps; technicians' assist requests open in the queue and answered.

Deterministic: customers, assets and tasks are taken by id.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset, ProductCategory, ProductModel
from app.core.auth import Principal, Role
from app.core.errors import DomainError
from app.remote_service import assist, policy, service
from app.remote_service.models import (
    AssistCreate,
    Diagnosis,
    RemoteCase,
    RemoteStage,
    SkillNeed,
)
from app.service_requests.models import (
    RequestCategory,
    RequestChannel,
    ServiceRequest,
    ServiceRequestCreate,
)
from app.service_requests.service import create_service_request
from app.sla.sweeper import sweep_once
from app.technicians.models import (
    Skill,
    Technician,
    TechnicianSkill,
    TechnicianStatus,
    TerritoryMembership,
)
from app.users.models import User
from app.work_orders.models import OPEN_STATUSES, Task, TaskEvent, TaskStatus

CODES = (
    ("GUIDED_RESET", "Guided reset or power cycle", "The customer reset the unit on the phone."),
    ("SETTINGS_CORRECTED", "Settings corrected", "A mode, timer or setting was wrong."),
    ("USER_GUIDANCE", "Usage explained", "The unit works; the customer was shown how to use it."),
    ("FIRMWARE_UPDATE", "Firmware updated remotely", "An update fixed the fault."),
    ("CUSTOMER_CLEANED", "Cleaned by the customer", "Filter or drain cleared with guidance."),
    ("NEEDS_VISIT", "Needs a visit", "A part or a technician's hands are needed."),
)  # fmt: skip
POLICIES = (
    (RequestCategory.REPAIR, None, True),
    (RequestCategory.REPAIR, ProductCategory.HVAC, False),
    (RequestCategory.INSPECTION, ProductCategory.ELECTRONICS, True),
)
STEPS = ((1, 10, Role.DISPATCHER), (2, 30, Role.MANAGER))

SYMPTOMS = {
    ProductCategory.APPLIANCE: (
        "washing_machine",
        "Washing machine stops mid-cycle showing an error code",
        "Error points at the drain; customer cleared the filter on a video call",
    ),
    ProductCategory.ELECTRONICS: (
        "tv_electronics",
        "TV has sound but no picture",
        "Backlight test on the phone: panel stays dark; likely the LED strip",
    ),
}
OUTCOMES = (
    RemoteStage.RESOLVED,
    RemoteStage.RESOLVED,
    RemoteStage.ESCALATED,
    RemoteStage.RESOLVED,
    RemoteStage.ESCALATED,
    RemoteStage.RESOLVED,
    RemoteStage.TRIAGE,
    RemoteStage.TRIAGE,
)
"""What became of each demo request, oldest first (one every other day)."""

ON_SITE = (TaskStatus.ON_SITE, TaskStatus.IN_PROGRESS)
AGENT = Principal("user:3", Role.AGENT, "Ananya Iyer (service desk)", user_id=3)
QUESTIONS = (
    "Inverter board shows E6 after replacing the sensor; which connector is the feedback line?",
    "Customer's model is not in my manual: what gas charge for this unit?",
    "Drum bearing noise only at spin: bearing or shock absorber first?",
    "Panel flickers only on HDMI 2; firmware or board?",
)


async def seed_remote_service(session: AsyncSession, now: datetime) -> dict[str, int]:
    for code, name, text in CODES:
        await policy.set_code(session, code, name, text, True, None)
    for category, product, on in POLICIES:
        await policy.set_policy(session, category, product, on, None)
    for level, minutes, role in STEPS:
        await policy.set_step(session, level, minutes, role, True, None)
    cases = await _remote_requests(session, now)
    experts = await _experts(session)
    assists = await _assists(session, now)
    await sweep_once(session, now)  # the SLA states and escalations of the new requests, as of now
    return {"remote_cases": cases, "expert_profiles": experts, "assist_requests": assists}


async def _remote_requests(session: AsyncSession, now: datetime) -> int:
    """One repair request every other day over two weeks, on appliances and electronics."""
    assets = (
        await session.execute(
            select(Asset, ProductModel.category)
            .join(ProductModel, col(ProductModel.id) == col(Asset.product_model_id))
            .where(
                col(ProductModel.category).in_(list(SYMPTOMS)),
                col(Asset.archived_at).is_(None),
            )
            .order_by(col(Asset.id))
            .limit(len(OUTCOMES) * 3)
        )
    ).all()
    done = 0
    for (asset, category), outcome in zip(assets[::3], OUTCOMES, strict=False):
        try:
            async with session.begin_nested():
                days = 2 * (len(OUTCOMES) - done) - 1
                at = now - timedelta(days=days)
                await _story(session, asset, ProductCategory(category), outcome, at)
        except DomainError:
            continue
        done += 1
    return done


async def _story(
    session: AsyncSession,
    asset: Asset,
    category: ProductCategory,
    outcome: RemoteStage,
    at: datetime,
) -> None:
    skill, symptom, diagnosis = SYMPTOMS[category]
    request = await create_service_request(
        session,
        AGENT,
        ServiceRequestCreate(
            customer_id=asset.customer_id,
            site_id=asset.site_id,
            asset_id=asset.id,
            channel=RequestChannel.PHONE,
            category=RequestCategory.REPAIR,
            description=symptom,
        ),
    )
    assert request.id is not None
    _backdate(request, at)
    case = await session.scalar(
        select(RemoteCase).where(col(RemoteCase.service_request_id) == request.id)
    )
    if case is None:
        return
    case.created_at = case.updated_at = at
    if outcome is RemoteStage.TRIAGE:
        return
    code = "CUSTOMER_CLEANED" if outcome is RemoteStage.RESOLVED else "NEEDS_VISIT"
    level = await _level_held(session, case.territory_id, skill, at.date())
    if level is None and outcome is RemoteStage.ESCALATED:
        raise DomainError("no technician of the territory could take the visit")
    level = level or 2
    needs = [SkillNeed(code=skill, min_level=min(level, 2))]
    await service.diagnose(
        session,
        AGENT,
        request.id,
        Diagnosis(notes=diagnosis, resolution_code=code, required_skills=needs),
        None,
    )
    if outcome is RemoteStage.RESOLVED:
        await service.resolve(
            session, AGENT, request.id, diagnosis, None, None, at + timedelta(minutes=35)
        )
    else:
        escalated_at = at + timedelta(minutes=50)
        _, task = await service.escalate(session, AGENT, request.id, None, 60, escalated_at)
        task.created_at = task.updated_at = escalated_at
        await session.execute(
            sa.update(TaskEvent).where(col(TaskEvent.task_id) == task.id).values(at=escalated_at)
        )
    case.updated_at = request.updated_at = at + timedelta(minutes=50)


async def _level_held(
    session: AsyncSession, territory_id: int | None, skill: str, day: date
) -> int | None:
    """The best level of the skill among the territory's active technicians (so an escalated
    visit is one somebody there can do)."""
    if territory_id is None:
        return None
    level: int | None = await session.scalar(
        select(sa.func.max(TechnicianSkill.level))
        .join(Skill, col(Skill.id) == col(TechnicianSkill.skill_id))
        .join(Technician, col(Technician.id) == col(TechnicianSkill.technician_id))
        .join(
            TerritoryMembership,
            col(TerritoryMembership.technician_id) == col(TechnicianSkill.technician_id),
        )
        .where(
            col(Skill.code) == skill,
            col(Technician.status) == TechnicianStatus.ACTIVE,
            col(TerritoryMembership.territory_id) == territory_id,
            col(TerritoryMembership.valid_from) <= day,
            sa.or_(
                col(TerritoryMembership.valid_to).is_(None),
                col(TerritoryMembership.valid_to) >= day,
            ),
        )
    )
    return level


def _backdate(request: ServiceRequest, at: datetime) -> None:
    shift = request.created_at - at
    request.created_at = request.updated_at = at
    if request.response_due_at is not None:
        request.response_due_at -= shift
    if request.resolution_due_at is not None:
        request.resolution_due_at -= shift


async def _experts(session: AsyncSession) -> int:
    """The demo agent and manager answer AC and washing machine questions; the most skilled
    technician in each demo skill answers that skill's."""
    made = 0
    staff = (
        await session.scalars(
            select(User)
            .where(col(User.role).in_([Role.AGENT, Role.MANAGER]))
            .order_by(col(User.id))
        )
    ).all()
    for user in staff:
        for skill in ("ac_repair", "washing_machine"):
            await policy.set_expert(
                session,
                user_id=user.id,
                technician_id=None,
                skill_code=skill,
                level=4 if user.role is Role.MANAGER else 3,
                active=True,
                expected_version=None,
            )
            made += 1
    catalogue = (await session.scalars(select(Skill).order_by(col(Skill.id)))).all()
    for held in catalogue:
        best = await session.scalar(
            select(TechnicianSkill)
            .where(col(TechnicianSkill.skill_id) == held.id)
            .order_by(col(TechnicianSkill.level).desc(), col(TechnicianSkill.technician_id))
            .limit(1)
        )
        if best is None or best.level < 4:
            continue
        await policy.set_expert(
            session,
            user_id=None,
            technician_id=best.technician_id,
            skill_code=held.code,
            level=5,
            active=True,
            expected_version=None,
        )
        made += 1
    return made


async def _assists(session: AsyncSession, now: datetime) -> int:
    """Technicians on site ask for help: the first two questions wait in the queue (one past
    its first escalation step), the others were answered by the demo manager earlier."""
    tasks = (
        await session.scalars(
            select(Task)
            .where(
                col(Task.status).in_(sorted(OPEN_STATUSES)), col(Task.technician_id).is_not(None)
            )
            .order_by(  # on site first, the demo technician login's first among them
                col(Task.status).not_in(ON_SITE),
                col(Task.technician_id) != 1,
                col(Task.id),
            )
            .limit(len(QUESTIONS))
        )
    ).all()
    manager = await session.scalar(
        select(User).where(col(User.role) == Role.MANAGER).order_by(col(User.id)).limit(1)
    )
    made = 0
    for i, (task, question) in enumerate(zip(tasks, QUESTIONS, strict=False)):
        technician = Principal(
            f"technician:{task.technician_id}", Role.TECHNICIAN, technician_id=task.technician_id
        )
        skill = "ac_repair" if i % 2 == 0 else "washing_machine"
        asked_at = now - timedelta(minutes=12 if i == 0 else 4 if i == 1 else 90 + 30 * i)
        row = await assist.ask(
            session,
            technician,
            AssistCreate(task_id=task.id or 0, skill_code=skill, min_level=3, question=question),
            asked_at,
        )
        made += 1
        if i < 2 or manager is None or row.id is None:
            continue
        expert = Principal(f"user:{manager.id}", Role.MANAGER, manager.name, user_id=manager.id)
        await assist.accept(session, expert, row.id, None, asked_at + timedelta(minutes=6))
        await assist.answer(
            session,
            expert,
            row.id,
            "Checked with the service bulletin: follow step 4 of the board test, then reseat",
            None,
            asked_at + timedelta(minutes=21),
        )
    await assist.escalate_waiting(session, now)
    return made
