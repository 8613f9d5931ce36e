"""Remote service fixtures: a remote-first policy, catalogue codes, a request's photo, staff
users and technicians who are experts, a technician's task to ask help on."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.models import ProductCategory
from app.attachments.models import Attachment, AttachmentKind, Blob
from app.core.auth import Principal, Role
from app.inventory.models import Part
from app.remote_service.models import (
    AssistEscalationStep,
    ExpertProfile,
    RemoteFirstPolicy,
    RemoteResolutionCode,
)
from app.service_requests.models import RequestCategory
from app.technicians.models import Skill
from app.users.models import User
from app.work_orders.models import Task, TaskCreate, TaskStatus
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from tests.work_orders import factories as wf

_serial = itertools.count(1)
AGENT = Principal(subject="test:agent", role=Role.AGENT, name="Test Agent")


async def remote_first(
    session: AsyncSession,
    category: RequestCategory | None = RequestCategory.REPAIR,
    product: ProductCategory | None = None,
    on: bool = True,
) -> RemoteFirstPolicy:
    row = RemoteFirstPolicy(request_category=category, product_category=product, remote_first=on)
    session.add(row)
    await session.flush()
    return row


async def code(session: AsyncSession, key: str = "GUIDED_RESET") -> RemoteResolutionCode:
    row = RemoteResolutionCode(code=f"{key}{next(_serial)}", name=key.replace("_", " ").title())
    session.add(row)
    await session.flush()
    return row


async def part(session: AsyncSession, name: str = "Drain pump") -> Part:
    row = Part(sku=f"RS-{next(_serial)}", name=name, unit_cost=Decimal(100))
    session.add(row)
    await session.flush()
    return row


async def photo(
    session: AsyncSession, *, service_request_id: int | None = None, task_id: int | None = None
) -> int:
    content = f"remote photo {next(_serial)}".encode()
    sha = hashlib.sha256(content).hexdigest()
    session.add(
        Blob(
            sha256=sha,
            size_bytes=len(content),
            content_type="image/jpeg",
            kind=AttachmentKind.PHOTO,
            storage_key=f"test/{sha}",
        )
    )
    await session.flush()
    row = Attachment(
        filename="symptom.jpg",
        blob_sha256=sha,
        service_request_id=service_request_id,
        task_id=task_id,
        kind=AttachmentKind.PHOTO,
        content_type="image/jpeg",
        size_bytes=len(content),
        uploaded_by="test:customer",
        uploaded_by_role="CUSTOMER",
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


async def staff_user(session: AsyncSession, role: Role = Role.AGENT) -> User:
    n = next(_serial)
    row = User(email=f"expert{n}@example.test", name=f"Expert {n}", role=role, password_hash="x")
    session.add(row)
    await session.flush()
    return row


async def expert(
    session: AsyncSession,
    skill: Skill,
    level: int,
    *,
    user: User | None = None,
    technician_id: int | None = None,
) -> ExpertProfile:
    row = ExpertProfile(
        user_id=user.id if user else None,
        technician_id=technician_id,
        name=user.name if user else "Technician expert",
        skill_id=skill.id or 0,
        level=level,
    )
    session.add(row)
    await session.flush()
    return row


async def steps(session: AsyncSession, *plan: tuple[int, int, Role]) -> None:
    session.add_all(
        AssistEscalationStep(level=level, after_minutes=minutes, audience_role=role)
        for level, minutes, role in plan
    )
    await session.flush()


@dataclass
class Site:
    world: wf.World
    task: Task


async def field_task(session: AsyncSession, w: wf.World | None = None) -> Site:
    """A task at the world's site, offered to (held by) the world's technician."""
    w = w or await wf.world(session)
    task = await create_task(
        session,
        Actor.of(AGENT),
        TaskCreate.model_validate(
            {
                "type": "REPAIR",
                "customer_id": w.customer.id,
                "site_id": w.site.id,
                "asset_id": w.asset.id,
            }
        ),
    )
    task.technician_id = w.technician.id
    task.status = TaskStatus.ON_SITE
    await session.flush()
    return Site(w, task)
