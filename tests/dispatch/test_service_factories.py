"""Factories for the dispatch service tests (no tests here): a territory day with skilled
technicians and tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.geo import point_value
from app.customers.models import Customer, Site
from app.technicians.models import Skill, Technician
from app.territories.models import Territory
from app.work_orders.models import Task, TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from tests.work_orders import factories

DISPATCHER = Principal(subject="test:dispatcher", role=Role.DISPATCHER, name="Dispatcher")
DESK = Actor.of(DISPATCHER)
ZONE = ZoneInfo("Asia/Kolkata")


def tomorrow_at(hour: float) -> datetime:
    day = (datetime.now(ZONE) + timedelta(days=1)).date()
    return datetime.combine(day, datetime.min.time(), ZONE) + timedelta(hours=hour)


@dataclass
class Day:
    territory: Territory
    customer: Customer
    site: Site
    hvac: Skill
    plumbing: Skill
    technicians: list[Technician]


async def day(session: AsyncSession, technicians: int = 2) -> Day:
    area = await factories.territory(session)
    owner = await factories.customer(session)
    place = await factories.site(session, owner)
    hvac = await factories.skill(session, f"hvac_{area.id}")
    plumbing = await factories.skill(session, f"plumbing_{area.id}")
    techs = [
        await factories.technician(session, skills=[(hvac, 3)], area=area)
        for _ in range(technicians)
    ]
    return Day(area, owner, place, hvac, plumbing, techs)


async def site_at(session: AsyncSession, d: Day, lat: float, lng: float) -> Site:
    return await factories.site(session, d.customer, lat=lat, lng=lng)


async def task(
    session: AsyncSession,
    d: Day,
    *,
    start: float = 9,
    end: float = 17,
    skill: Skill | None = None,
    duration: int = 60,
    priority: int = 3,
    site: Site | None = None,
) -> Task:
    data = TaskCreate.model_validate(
        {
            "type": TaskType.REPAIR,
            "customer_id": d.customer.id,
            "site_id": (site or d.site).id,
            "duration_minutes": duration,
            "priority": priority,
            "window_start": tomorrow_at(start),
            "window_end": tomorrow_at(end),
            "required_skills": [{"code": (skill or d.hvac).code, "min_level": 1}],
        }
    )
    return await create_task(session, DESK, data)


def moved_point(lat: float, lng: float) -> object:
    return point_value(lat, lng)
