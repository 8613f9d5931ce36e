"""Shared givens for the inspection tests: a task checked in on site and a published checklist."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.geo import LatLng
from app.core.models import utcnow
from app.inspections import templates
from app.inspections.models import ChecklistSection, ChecklistTemplate
from app.work_orders import field, offers
from app.work_orders.models import Task, TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Action, Actor
from tests.work_orders import factories

DISPATCHER = Principal(subject="test:dispatcher", role=Role.DISPATCHER, name="Dispatcher")
AT_SITE = LatLng(factories.SITE_LAT, factories.SITE_LNG)

SECTIONS: list[dict[str, Any]] = [
    {
        "title": "Refrigerant circuit",
        "items": [
            {
                "key": "suction_pressure",
                "label": "Suction pressure",
                "kind": "NUMBER",
                "unit": "psi",
                "min_value": Decimal(60),
                "max_value": Decimal(80),
                "required": True,
                "follow_up": {"task_type": "REPAIR", "priority": 1},
            },
            {
                "key": "filter_clean",
                "label": "Filter clean",
                "kind": "YES_NO",
                "required": True,
                "follow_up": {"task_type": "MAINTENANCE", "priority": 3},
            },
            {
                "key": "noise",
                "label": "Noise",
                "kind": "SINGLE_CHOICE",
                "options": ["NONE", "LOW", "HIGH"],
            },
        ],
    },
    {
        "title": "Close-out",
        "items": [
            {
                "key": "defects",
                "label": "Defects seen",
                "kind": "MULTIPLE_CHOICE",
                "options": ["RUST", "LEAK", "DENT"],
            },
            {"key": "remarks", "label": "Remarks", "kind": "TEXT"},
            {"key": "unit_photo", "label": "Unit photo", "kind": "PHOTO"},
            {"key": "customer_sign", "label": "Customer signature", "kind": "SIGNATURE"},
        ],
    },
]


def sections(raw: list[dict[str, Any]] | None = None) -> list[ChecklistSection]:
    return [ChecklistSection.model_validate(s) for s in raw or SECTIONS]


async def published(
    session: AsyncSession, *, default_for: TaskType | None = None
) -> ChecklistTemplate:
    data = templates.TemplateCreate(
        name="Split AC service",
        task_type=default_for,
        is_default=default_for is not None,
        sections=sections(),
    )
    template, _ = await templates.create_template(session, data)
    assert template.id is not None
    await templates.publish_template(session, template.id, None)
    return template


def technician(w: factories.World) -> Principal:
    return Principal(
        subject=f"test:t{w.technician.id}", role=Role.TECHNICIAN, technician_id=w.technician.id
    )


async def task(
    session: AsyncSession, w: factories.World, type: TaskType = TaskType.MAINTENANCE
) -> Task:
    data = TaskCreate.model_validate(
        {
            "type": type,
            "customer_id": w.customer.id,
            "site_id": w.site.id,
            "asset_id": w.asset.id,
            "duration_minutes": 60,
            "required_skills": [{"code": w.skill.code, "min_level": 1}],
        }
    )
    return await create_task(session, Actor.of(DISPATCHER), data)


async def assigned(
    session: AsyncSession, w: factories.World, type: TaskType = TaskType.MAINTENANCE
) -> Task:
    created = await task(session, w, type)
    assert created.id is not None and w.technician.id is not None
    start = utcnow() + timedelta(hours=1)
    await offers.assign_task(
        session, DISPATCHER, created.id, w.technician.id, start, reason="back-to-back visits"
    )
    await offers.accept_task(session, technician(w), created.id)
    return created


async def on_site(
    session: AsyncSession, w: factories.World, type: TaskType = TaskType.MAINTENANCE
) -> Task:
    created = await assigned(session, w, type)
    assert created.id is not None
    me = technician(w)
    await field.move(session, me, Action.START_TRAVEL, field.Step(created.id))
    checked_in, _ = await field.check_in(session, me, field.Step(created.id, location=AT_SITE))
    return checked_in
