"""Demo checklists: a default preventive-maintenance checklist per product category, and the
past visits' inspections with readings that drift over the visits of each asset; where the
latest reading has drifted out of range, the corrective task it opened waits to be planned."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset, ProductCategory, ProductModel
from app.inspections import templates
from app.inspections.models import (
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplateVersion,
    FollowUpRule,
    Inspection,
    InspectionAnswer,
    InspectionStatus,
    ItemKind,
    VersionStatus,
)
from app.inspections.service import open_follow_up
from app.work_orders.models import Task, TaskStatus, TaskType
from app.work_orders.transitions import SYSTEM_ACTOR


@dataclass(frozen=True, slots=True)
class Gauge:
    key: str
    label: str
    unit: str
    low: Decimal
    high: Decimal


GAUGES: dict[ProductCategory, Gauge] = {
    ProductCategory.HVAC: Gauge(
        "suction_pressure", "Suction pressure", "psi", Decimal(60), Decimal(80)
    ),
    ProductCategory.APPLIANCE: Gauge(
        "cabinet_temperature", "Cabinet temperature", "°C", Decimal(2), Decimal(6)
    ),
    ProductCategory.ENERGY: Gauge(
        "output_voltage", "Inverter output voltage", "V", Decimal(220), Decimal(240)
    ),
    ProductCategory.FACILITIES: Gauge(
        "motor_vibration", "Motor vibration", "mm/s", Decimal(0), Decimal("4.5")
    ),
    ProductCategory.ELECTRONICS: Gauge(
        "insulation_resistance", "Insulation resistance", "MΩ", Decimal(1), Decimal(500)
    ),
    ProductCategory.TELECOM: Gauge(
        "signal_level", "Signal level", "dBm", Decimal(-70), Decimal(-30)
    ),
    ProductCategory.OTHER: Gauge(
        "supply_voltage", "Supply voltage", "V", Decimal(210), Decimal(250)
    ),
}
MAX_INSPECTIONS = 1500


def _sections(gauge: Gauge) -> list[ChecklistSection]:
    items = [
        ChecklistItem(
            key=gauge.key, label=gauge.label, kind=ItemKind.NUMBER, unit=gauge.unit, required=True,
            min_value=gauge.low, max_value=gauge.high,
            follow_up=FollowUpRule(task_type=TaskType.REPAIR, priority=2),
        ),
        ChecklistItem(
            key="safe_to_operate", label="Safe to operate", kind=ItemKind.YES_NO, required=True,
            follow_up=FollowUpRule(task_type=TaskType.REPAIR, priority=1),
        ),
        ChecklistItem(
            key="condition", label="General condition", kind=ItemKind.SINGLE_CHOICE, required=True,
            options=["GOOD", "FAIR", "POOR"],
        ),
        ChecklistItem(key="remarks", label="Remarks", kind=ItemKind.TEXT),
    ]  # fmt: skip
    return [ChecklistSection.model_validate({"title": "Preventive maintenance", "items": items})]


async def _templates(session: AsyncSession, now: datetime) -> dict[ProductCategory, int]:
    versions: dict[ProductCategory, int] = {}
    for category, gauge in GAUGES.items():
        data = templates.TemplateCreate(
            name=f"{category.value.title()} preventive maintenance",
            task_type=TaskType.MAINTENANCE,
            product_category=category,
            is_default=True,
            sections=_sections(gauge),
        )
        _, draft = await templates.create_template(session, data)
        draft.status, draft.published_at = VersionStatus.PUBLISHED, now
        assert draft.id is not None
        versions[category] = draft.id
    await session.flush()
    return versions


async def _visits(session: AsyncSession) -> list[tuple[Task, ProductCategory]]:
    rows = await session.execute(
        select(Task, ProductModel.category)
        .join(Asset, col(Asset.id) == col(Task.asset_id))
        .join(ProductModel, col(ProductModel.id) == col(Asset.product_model_id))
        .where(
            col(Task.status) == TaskStatus.COMPLETED,
            col(Task.type).in_([TaskType.MAINTENANCE, TaskType.INSPECTION]),
            col(Task.finished_at).is_not(None),
        )
        .order_by(col(Task.finished_at), col(Task.id))
        .limit(MAX_INSPECTIONS)
    )
    return [(task, ProductCategory(category)) for task, category in rows.all()]


def _reading(gauge: Gauge, visit: int, visits: int, drift: float, rng: random.Random) -> Decimal:
    """In range and drifting towards an edge; the latest visit of a drifting asset crosses it."""
    span = float(gauge.high - gauge.low)
    middle = float(gauge.low) + span / 2
    share = (visit + 1) / visits
    value = middle + drift * span * 0.45 * share + rng.uniform(-0.04, 0.04) * span
    if visit == visits - 1 and abs(drift) > 1.0:
        value = float(gauge.high if drift > 0 else gauge.low) + drift * 0.05 * span
    low, high = float(gauge.low), float(gauge.high)
    if visit < visits - 1:
        value = min(max(value, low), high)
    return Decimal(f"{value:.1f}")


async def seed_inspections(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Write the demo checklists and the past visits' inspections; counts of what was written."""
    versions = await _templates(session, now)
    visits = await _visits(session)
    by_asset: dict[int, list[tuple[Task, ProductCategory]]] = defaultdict(list)
    for task, category in visits:
        by_asset[task.asset_id or 0].append((task, category))
    rng = random.Random(13)
    written = follow_ups = 0
    for asset_visits in by_asset.values():
        drift = rng.choice([-0.6, 0.2, 0.5, 0.8, 1.3, -1.3]) if len(asset_visits) > 1 else 0.2
        for n, (task, category) in enumerate(asset_visits):
            gauge = GAUGES[category]
            value = _reading(gauge, n, len(asset_visits), drift, rng)
            follow_ups += await _inspection(session, task, versions[category], gauge, value, rng)
            written += 1
    return {"checklist templates": len(versions), "inspections": written, "follow-ups": follow_ups}


async def _inspection(
    session: AsyncSession,
    task: Task,
    version_id: int,
    gauge: Gauge,
    value: Decimal,
    rng: random.Random,
) -> int:
    assert task.finished_at is not None and task.id is not None
    inspection = Inspection(
        task_id=task.id, template_version_id=version_id, customer_id=task.customer_id,
        asset_id=task.asset_id, technician_id=task.technician_id, started_by="demo",
        status=InspectionStatus.SUBMITTED, started_at=task.started_at or task.finished_at,
        submitted_at=task.finished_at,
    )  # fmt: skip
    session.add(inspection)
    await session.flush()
    assert inspection.id is not None
    out = not (gauge.low <= value <= gauge.high)
    answers: list[tuple[str, Any, Decimal | None, bool]] = [
        (gauge.key, str(value), value, out),
        ("safe_to_operate", True, None, False),
        ("condition", ["POOR" if out else rng.choice(["GOOD", "GOOD", "FAIR"])], None, False),
    ]
    session.add_all(
        InspectionAnswer(
            inspection_id=inspection.id, item_key=key, value=v, number=number, failed=failed,
            answered_at=task.finished_at,
        )
        for key, v, number, failed in answers
    )  # fmt: skip
    if not out:
        return 0
    version = await session.get(ChecklistTemplateVersion, version_id)
    assert version is not None
    item = next(i for i in version.items() if i.key == gauge.key)
    answer = InspectionAnswer(item_key=gauge.key, value=str(value), number=value, failed=True)
    await open_follow_up(session, SYSTEM_ACTOR, inspection, task, item, answer)
    return 1
