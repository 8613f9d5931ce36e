"""Service requests: what a customer asked for, from which channel, and what it is entitled to."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp


class RequestChannel(StrEnum):
    """Where a request came from."""

    PHONE = "PHONE"
    """A call to the call centre."""
    WHATSAPP = "WHATSAPP"
    """A WhatsApp message."""
    WECHAT = "WECHAT"
    """A WeChat message."""
    WEB = "WEB"
    """The website or the customer app."""
    EMAIL = "EMAIL"
    """An email."""
    CHATBOT = "CHATBOT"
    """The chat assistant."""
    API = "API"
    """A partner's or a retailer's system, through the API."""
    CRM_IMPORT = "CRM_IMPORT"
    """Imported from a CRM export."""
    SPREADSHEET_IMPORT = "SPREADSHEET_IMPORT"
    """Imported from a spreadsheet."""
    MANUAL = "MANUAL"
    """Entered by hand at the desk."""


class RequestCategory(StrEnum):
    """The kind of work a customer asks for."""

    INSTALLATION = "INSTALLATION"
    """Install a new product."""
    REPAIR = "REPAIR"
    """Fix something that does not work."""
    MAINTENANCE = "MAINTENANCE"
    """Planned upkeep: servicing, cleaning, checks."""
    INSPECTION = "INSPECTION"
    """Look at and report on equipment."""
    REPLACEMENT = "REPLACEMENT"
    """Swap a unit for a new one."""


class ServiceRequestStatus(StrEnum):
    """Where a customer's request stands, from the state of its tasks."""

    OPEN = "OPEN"
    """Received; no visit under way yet."""
    IN_PROGRESS = "IN_PROGRESS"
    """A visit is planned or under way."""
    RESOLVED = "RESOLVED"
    """The work is done."""
    CANCELLED = "CANCELLED"
    """Called off."""


OPEN_REQUEST_STATUSES = (ServiceRequestStatus.OPEN, ServiceRequestStatus.IN_PROGRESS)


class EligibilityStatus(StrEnum):
    """Who pays for a request's work, decided at intake."""

    WARRANTY = "WARRANTY"
    """The manufacturer's warranty covers it."""
    CONTRACT = "CONTRACT"
    """A service contract covers it."""
    CHARGEABLE = "CHARGEABLE"
    """The customer pays."""


class CoverageKind(StrEnum):
    """What covers a request's work."""

    WARRANTY = "WARRANTY"
    """The manufacturer's warranty."""
    AMC = "AMC"
    """An annual maintenance contract."""
    CMC = "CMC"
    """A comprehensive maintenance contract."""
    EXTENDED_WARRANTY = "EXTENDED_WARRANTY"
    """An extended warranty."""
    NONE = "NONE"
    """Nothing: chargeable."""


class SlaState(StrEnum):
    """How a request or task stands against its service-level due times."""

    ON_TRACK = "ON_TRACK"
    """Well within its due times."""
    AT_RISK = "AT_RISK"
    """Most of the allowed time has gone (the policy's at-risk percentage)."""
    BREACHED = "BREACHED"
    """A due time has passed."""
    MET = "MET"
    """Done within its due times."""


class ServiceRequestBase(SQLModel):
    channel: RequestChannel = Field(sa_type=enum_type(RequestChannel, 24))
    category: RequestCategory = Field(sa_type=enum_type(RequestCategory, 16))
    description: str = Field(min_length=1, max_length=4000, sa_type=sa.Text)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=40)
    external_ref: str | None = Field(default=None, max_length=100, index=True)


class ServiceRequest(ServiceRequestBase, Audited, table=True):
    __tablename__ = "service_requests"
    __table_args__ = (sa.CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),)

    id: int | None = id_field()
    customer_id: int = fk("customers.id")
    site_id: int = fk("sites.id")
    asset_id: int | None = fk("assets.id", nullable=True)
    status: ServiceRequestStatus = Field(
        default=ServiceRequestStatus.OPEN, sa_type=enum_type(ServiceRequestStatus, 16), index=True
    )
    priority: int = 3
    priority_reason: str = Field(default="", max_length=500)
    priority_overridden: bool = False
    eligibility_status: EligibilityStatus = Field(sa_type=enum_type(EligibilityStatus, 16))
    coverage_kind: CoverageKind = Field(sa_type=enum_type(CoverageKind, 24))
    covers_labour: bool = False
    covers_parts: bool = False
    contract_id: int | None = fk("contracts.id", nullable=True)
    coverage_valid_until: date | None = None
    duplicate_of_id: int | None = fk("service_requests.id", nullable=True)
    reported_by: str = Field(max_length=200)
    response_due_at: datetime | None = timestamp(nullable=True, default_now=False)
    resolution_due_at: datetime | None = timestamp(nullable=True, default_now=False)
    sla_state: SlaState = Field(default=SlaState.ON_TRACK, sa_type=enum_type(SlaState, 16))
    resolved_at: datetime | None = timestamp(nullable=True, default_now=False)
    cancelled_reason: str | None = Field(default=None, max_length=500)


class ServiceRequestCreate(ServiceRequestBase):
    customer_id: int
    site_id: int
    asset_id: int | None = None


class PriorityOverride(SQLModel):
    priority: int = Field(ge=1, le=5)
    reason: str = Field(min_length=3, max_length=500)


class PriorityRuleKind(StrEnum):
    """What a priority rule looks at in a new request."""

    KEYWORD = "KEYWORD"
    """Words in the description (whole words, any case), e.g. "gas leak"."""
    CUSTOMER_TYPE = "CUSTOMER_TYPE"
    """The customer's kind (CONSUMER, BUSINESS, VIP)."""
    CATEGORY = "CATEGORY"
    """The request's category (REPAIR, INSTALLATION...)."""
    CONTRACT_SLA_HOURS = "CONTRACT_SLA_HOURS"
    """A covering contract whose SLA is at most this many hours."""


class PriorityRule(SQLModel, table=True):
    """A data-driven priority rule; the most urgent matching rule wins (1 is most urgent).

    KEYWORD matches a word or phrase in the description, CUSTOMER_TYPE and CATEGORY match the
    value exactly, CONTRACT_SLA_HOURS matches a covering contract whose response SLA is at most
    `value` hours."""

    __tablename__ = "priority_rules"
    __table_args__ = (
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        sa.UniqueConstraint("kind", "value"),
    )

    id: int | None = id_field()
    kind: PriorityRuleKind = Field(sa_type=enum_type(PriorityRuleKind, 24))
    value: str = Field(max_length=100)
    priority: int
    active: bool = True


class SlaPolicy(SQLModel, table=True):
    """Response and resolution targets per priority; a contract's SLA tightens them."""

    __tablename__ = "sla_policies"
    __table_args__ = (sa.CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),)

    priority: int = Field(primary_key=True, sa_type=sa.Integer)
    response_minutes: int = Field(gt=0)
    resolution_minutes: int = Field(gt=0)
    at_risk_percent: int = Field(default=80, ge=1, le=100)
