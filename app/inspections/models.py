"""Checklist templates (versioned), inspections filled on site, and their readings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.assets.models import ProductCategory
from app.core.models import Audited, enum_type, fk, id_field, timestamp
from app.work_orders.models import TaskType


class ItemKind(StrEnum):
    """What an answer to a checklist item looks like."""

    YES_NO = "YES_NO"
    """Yes or no; "no" is a failed item."""
    NUMBER = "NUMBER"
    """A reading in a unit, with an optional acceptable range."""
    TEXT = "TEXT"
    """Free text."""
    SINGLE_CHOICE = "SINGLE_CHOICE"
    """One of the item's options."""
    MULTIPLE_CHOICE = "MULTIPLE_CHOICE"
    """Any of the item's options."""
    PHOTO = "PHOTO"
    """One or more attachment references (photos taken on site)."""
    SIGNATURE = "SIGNATURE"
    """An attachment reference to a signature image, with the signer's name."""


class VersionStatus(StrEnum):
    """A template version is edited as a draft, then published and never changed again."""

    DRAFT = "DRAFT"
    """Being edited; inspections cannot use it yet."""
    PUBLISHED = "PUBLISHED"
    """Immutable; new inspections use the latest published version."""


class InspectionStatus(StrEnum):
    """Where an inspection stands."""

    IN_PROGRESS = "IN_PROGRESS"
    """Started on site; answers may still change."""
    SUBMITTED = "SUBMITTED"
    """Complete and final; follow-ups were created."""


class FollowUpRule(SQLModel):
    """What a failed item or an out-of-range reading opens: a task of this type and priority."""

    task_type: TaskType = TaskType.REPAIR
    priority: int = Field(default=2, ge=1, le=5)


class ChecklistItem(SQLModel):
    key: str = Field(min_length=1, max_length=60, regex=r"^[A-Za-z0-9_.-]+$")
    label: str = Field(min_length=1, max_length=300)
    kind: ItemKind
    required: bool = False
    unit: str | None = Field(default=None, max_length=20)
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    options: list[str] = Field(default_factory=list)
    follow_up: FollowUpRule | None = None


class ChecklistSection(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    items: list[ChecklistItem] = Field(min_length=1, max_length=200)


class ChecklistTemplate(Audited, table=True):
    """A named checklist; its content lives in its versions. With `is_default`, it is the one
    tasks of its task type (and product category, when set) use unless told otherwise."""

    __tablename__ = "checklist_templates"

    id: int | None = id_field()
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=sa.Text)
    task_type: TaskType | None = Field(default=None, sa_type=enum_type(TaskType, 16))
    product_category: ProductCategory | None = Field(
        default=None, sa_type=enum_type(ProductCategory, 16)
    )
    is_default: bool = False


class ChecklistTemplateVersion(SQLModel, table=True):
    __tablename__ = "checklist_template_versions"
    __table_args__ = (sa.UniqueConstraint("template_id", "number"),)

    id: int | None = id_field()
    template_id: int = fk("checklist_templates.id", ondelete="CASCADE")
    number: int
    status: VersionStatus = Field(default=VersionStatus.DRAFT, sa_type=enum_type(VersionStatus, 16))
    sections: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    created_at: datetime = timestamp()
    published_at: datetime | None = timestamp(nullable=True, default_now=False)

    def items(self) -> list[ChecklistItem]:
        return [
            ChecklistItem.model_validate(item)
            for section in self.sections
            for item in section["items"]
        ]


class CheckInRule(SQLModel, table=True):
    """Whether a task type needs the technician checked in before any inspection record."""

    __tablename__ = "inspection_check_in_rules"

    task_type: TaskType = Field(sa_type=enum_type(TaskType, 16), primary_key=True)
    requires_check_in: bool = True
    updated_at: datetime = timestamp()


DEFAULT_CHECK_IN_TYPES = frozenset(
    t for t in TaskType if t.value in ("PREVENTIVE", "MAINTENANCE", "INSPECTION")
)
"""Task types that need a check-in when no rule row says otherwise: preventive (planned
maintenance, and PREVENTIVE where that type exists) and inspection visits."""


class Inspection(SQLModel, table=True):
    __tablename__ = "inspections"
    __table_args__ = (
        sa.Index(
            "uq_inspections_open_per_task",
            "task_id",
            unique=True,
            postgresql_where=sa.text("status = 'IN_PROGRESS'"),
        ),
    )

    id: int | None = id_field()
    task_id: int = fk("tasks.id")
    template_version_id: int = fk("checklist_template_versions.id")
    customer_id: int = fk("customers.id")
    asset_id: int | None = fk("assets.id", nullable=True)
    technician_id: int | None = fk("technicians.id", nullable=True)
    status: InspectionStatus = Field(
        default=InspectionStatus.IN_PROGRESS, sa_type=enum_type(InspectionStatus, 16)
    )
    started_by: str = Field(max_length=200)
    started_at: datetime = timestamp()
    submitted_at: datetime | None = timestamp(nullable=True, default_now=False)
    version: int = 1


class InspectionAnswer(SQLModel, table=True):
    """One item's answer; a number is kept as `number` too, for the readings history."""

    __tablename__ = "inspection_answers"
    __table_args__ = (sa.UniqueConstraint("inspection_id", "item_key"),)

    id: int | None = id_field()
    inspection_id: int = fk("inspections.id", ondelete="CASCADE")
    item_key: str = Field(max_length=60)
    value: Any = Field(default=None, sa_type=JSONB)
    number: Decimal | None = Field(default=None, sa_type=sa.Numeric(14, 4))
    failed: bool = False
    answered_at: datetime = timestamp()


class InspectionFollowUp(SQLModel, table=True):
    """The corrective task an answer opened."""

    __tablename__ = "inspection_follow_ups"
    __table_args__ = (sa.UniqueConstraint("inspection_id", "item_key"),)

    id: int | None = id_field()
    inspection_id: int = fk("inspections.id", ondelete="CASCADE")
    item_key: str = Field(max_length=60)
    task_id: int = fk("tasks.id")
    reason: str = Field(max_length=500)
