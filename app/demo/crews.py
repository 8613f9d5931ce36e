"""Crews in the demo city: a commercial air-conditioning install at a business customer that
needs two technicians over two days, offered to a lead skilled in installation and a second
technician of the same territory from 09:00 on the next day.

Deterministic: the customer, site and technicians are taken by id.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.crews import service
from app.customers.models import Customer, CustomerType, Site
from app.demo.generator import LOCAL
from app.technicians.models import (
    Skill,
    Technician,
    TechnicianSkill,
    TechnicianStatus,
    TerritoryMembership,
)
from app.work_orders.models import SkillRequirement, TaskCreate, TaskType
from app.work_orders.service import create_task, territory_of_site
from app.work_orders.transitions import Actor

DISPATCHER = Principal("user:2", Role.DISPATCHER, "Dinesh Gowda (dispatcher)")
SKILL = "ac_install"
DURATION_MINUTES = 14 * 60
"""Two working days' worth: a day shift and most of the next one."""


async def seed_crews(session: AsyncSession, now: datetime) -> dict[str, int]:
    found = await _site_and_crew(session)
    if found is None:
        return {"crew_tasks": 0}
    site, lead, member = found
    data = TaskCreate(
        type=TaskType.INSTALLATION,
        customer_id=site.customer_id,
        site_id=site.id,
        description="Commercial HVAC install: four cassette units, piping and commissioning",
        duration_minutes=DURATION_MINUTES,
        crew_size=2,
        priority=2,
        required_skills=[SkillRequirement(code=SKILL, min_level=2)],
    )
    task = await create_task(session, Actor.of(DISPATCHER), data)
    assert task.id is not None
    await service.set_requirements(session, DISPATCHER, task.id, 2, [(SKILL, 3)], None)
    start_day = now.astimezone(LOCAL).date() + timedelta(days=1)
    start = datetime.combine(start_day, time(9), LOCAL)
    await service.assign_crew(
        session,
        DISPATCHER,
        task.id,
        lead,
        [member],
        start,
        reason="commercial install booked with the customer's facilities team",
    )
    return {"crew_tasks": 1}


async def _site_and_crew(session: AsyncSession) -> tuple[Site, int, int] | None:
    """A business customer's site and two active technicians of its territory, the first
    (the lead) holding the installation skill at level 3 or more."""
    sites = (
        await session.scalars(
            select(Site)
            .join(Customer, col(Customer.id) == col(Site.customer_id))
            .where(col(Customer.type) == CustomerType.BUSINESS)
            .order_by(col(Site.id))
            .limit(20)
        )
    ).all()
    for site in sites:
        assert site.id is not None
        territory = await territory_of_site(session, site.id)
        if territory is None:
            continue
        members = select(TerritoryMembership.technician_id).where(
            col(TerritoryMembership.territory_id) == territory
        )
        skilled = (
            select(TechnicianSkill.technician_id)
            .join(Skill, col(Skill.id) == col(TechnicianSkill.skill_id))
            .where(col(Skill.code) == SKILL, col(TechnicianSkill.level) >= 3)
        )
        technicians = (
            await session.scalars(
                select(Technician.id)
                .where(
                    col(Technician.id).in_(members),
                    col(Technician.status) == TechnicianStatus.ACTIVE,
                    col(Technician.archived_at).is_(None),
                )
                .order_by(col(Technician.id).in_(skilled).desc(), col(Technician.id))
                .limit(2)
            )
        ).all()
        lead_skilled = technicians and await session.scalar(
            select(TechnicianSkill.technician_id).where(
                col(TechnicianSkill.technician_id) == technicians[0],
                col(TechnicianSkill.technician_id).in_(skilled),
            )
        )
        if len(technicians) == 2 and lead_skilled:
            return site, technicians[0], technicians[1]
    return None
