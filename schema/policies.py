"""GraphQL types for the operator policies: the work and communication settings, the SLA
targets, the priority rules, each family with its version, and the audit of their changes."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from app.notifications.policies import Policy as Communication
from app.policies import models
from app.policies.models import PolicyChange
from app.policies.settings import Versioned
from app.service_requests.models import PriorityRule
from app.service_requests.models import PriorityRuleKind as PriorityRuleKindValue
from app.service_requests.models import SlaPolicy as SlaPolicyRow
from app.work_orders import policies as work
from schema.confirmations import CallMode
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection

PolicyKind = strawberry.enum(models.PolicyKind, name="PolicyKind")
GeofenceMode = strawberry.enum(work.GeofenceMode, name="GeofenceMode")
ScheduleMode = strawberry.enum(work.ScheduleMode, name="ScheduleMode")
PriorityRuleKind = strawberry.enum(PriorityRuleKindValue, name="PriorityRuleKind")


@strawberry.type(description="The task lifecycle's tunables (one set for the whole operation).")
class WorkPolicy:
    version: int
    updated_at: datetime
    offer_response_minutes: int
    rejections_before_alert: int
    geofence_radius_meters: float
    geofence_mode: GeofenceMode  # type: ignore[valid-type]
    signature_required: bool
    check_in_window_mode: ScheduleMode = strawberry.field(  # type: ignore[valid-type]
        description="What happens to a start of travel or a check-in outside the scheduled "
        "window (widened by the minutes below), the day read in the territory's time zone."
    )
    check_in_early_minutes: int
    check_in_late_minutes: int = strawberry.field(
        description="How long after the scheduled end travel or a check-in may still start."
    )
    start_travel_early_minutes: int
    check_in_same_day: bool = strawberry.field(
        description="Travel and check-ins must also fall on the scheduled day(s) in the "
        "territory's time zone, whatever the tolerances."
    )

    @classmethod
    def of(cls, current: Versioned[work.Policies]) -> WorkPolicy:
        p = current.values
        return cls(
            version=current.version,
            updated_at=current.updated_at,
            offer_response_minutes=p.offer_response_minutes,
            rejections_before_alert=p.rejections_before_alert,
            geofence_radius_meters=p.geofence_radius_meters,
            geofence_mode=p.geofence_mode,
            signature_required=p.signature_required,
            check_in_window_mode=p.check_in_window_mode,
            check_in_early_minutes=p.check_in_early_minutes,
            check_in_late_minutes=p.check_in_late_minutes,
            start_travel_early_minutes=p.start_travel_early_minutes,
            check_in_same_day=p.check_in_same_day,
        )


@strawberry.type(description="Customer communication: delivery retries, reminders, the ladder.")
class CommunicationPolicy:
    version: int
    updated_at: datetime
    max_attempts: int
    backoff_base_seconds: int
    backoff_cap_seconds: int
    lease_seconds: int
    reminder_hours_before: int
    confirmation_reply_minutes: int
    confirmation_call_minutes: int
    confirmation_call_mode: CallMode  # type: ignore[valid-type]
    survey_link_days: int
    webhook_max_attempts: int
    webhook_tolerance_seconds: int

    @classmethod
    def of(cls, current: Versioned[Communication]) -> CommunicationPolicy:
        p = current.values
        values = {name: getattr(p, name) for name in Communication.__dataclass_fields__}
        values["confirmation_call_mode"] = CallMode(p.confirmation_call_mode)
        return cls(version=current.version, updated_at=current.updated_at, **values)


@strawberry.type
class SlaTarget:
    priority: int
    response_minutes: int
    resolution_minutes: int
    at_risk_percent: int

    @classmethod
    def from_model(cls, row: SlaPolicyRow) -> SlaTarget:
        return cls(
            priority=row.priority,
            response_minutes=row.response_minutes,
            resolution_minutes=row.resolution_minutes,
            at_risk_percent=row.at_risk_percent,
        )


@strawberry.type(description="Response and resolution targets per priority (1 most urgent).")
class SlaPolicy:
    version: int
    targets: list[SlaTarget]


@strawberry.type(name="PriorityRule")
class PriorityRuleType(Node):
    kind: PriorityRuleKind  # type: ignore[valid-type]
    value: str
    priority: int
    active: bool

    @classmethod
    def from_model(cls, row: PriorityRule) -> PriorityRuleType:
        assert row.id is not None
        return cls(
            db_id=row.id, kind=row.kind, value=row.value, priority=row.priority, active=row.active
        )


@strawberry.type(description="The rules that set a new request's priority; most urgent wins.")
class PriorityRules:
    version: int
    rules: list[PriorityRuleType]


@strawberry.type(name="PolicyChange", description="One policy value changed, by whom and when.")
class PolicyChangeType(Node):
    kind: PolicyKind  # type: ignore[valid-type]
    version: int = strawberry.field(description="The family's version this change produced.")
    item: str | None = strawberry.field(description="The row changed: `priority 2`, `rule 7`.")
    setting: str
    old_value: JSON | None
    new_value: JSON | None
    actor: str
    actor_role: str
    actor_name: str
    changed_at: datetime

    @classmethod
    def from_model(cls, row: PolicyChange) -> PolicyChangeType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            kind=row.kind,
            version=row.version,
            item=row.item or None,
            setting=row.setting,
            old_value=row.old_value,
            new_value=row.new_value,
            actor=row.actor,
            actor_role=row.actor_role,
            actor_name=row.actor_name,
            changed_at=row.changed_at,
        )


PolicyChangeConnection = Connection[PolicyChangeType]


@strawberry.input(description="Change the values given; omitted or null values are kept.")
class UpdateWorkPolicyInput:
    expected_version: int | None = None
    offer_response_minutes: int | None = None
    rejections_before_alert: int | None = None
    geofence_radius_meters: float | None = None
    geofence_mode: GeofenceMode | None = None  # type: ignore[valid-type]
    signature_required: bool | None = None
    check_in_window_mode: ScheduleMode | None = None  # type: ignore[valid-type]
    check_in_early_minutes: int | None = None
    check_in_late_minutes: int | None = None
    start_travel_early_minutes: int | None = None
    check_in_same_day: bool | None = None


@strawberry.input(description="Change the values given; omitted or null values are kept.")
class UpdateCommunicationPolicyInput:
    expected_version: int | None = None
    max_attempts: int | None = None
    backoff_base_seconds: int | None = None
    backoff_cap_seconds: int | None = None
    lease_seconds: int | None = None
    reminder_hours_before: int | None = None
    confirmation_reply_minutes: int | None = None
    confirmation_call_minutes: int | None = None
    confirmation_call_mode: CallMode | None = None  # type: ignore[valid-type]
    survey_link_days: int | None = None
    webhook_max_attempts: int | None = None
    webhook_tolerance_seconds: int | None = None


@strawberry.input
class SlaTargetInput:
    priority: int
    response_minutes: int
    resolution_minutes: int
    at_risk_percent: int = 80


@strawberry.input(description="Set the targets of the priorities given; the others are kept.")
class UpdateSlaPolicyInput:
    targets: list[SlaTargetInput]
    expected_version: int | None = None


@strawberry.input
class CreatePriorityRuleInput:
    kind: PriorityRuleKind  # type: ignore[valid-type]
    value: str
    priority: int
    active: bool = True
    expected_version: int | None = strawberry.field(
        default=None, description="The rule set's version (see `priorityRules.version`)."
    )


@strawberry.input(description="Change a rule; omitted or null values are kept.")
class UpdatePriorityRuleInput:
    id: strawberry.ID
    value: str | None = None
    priority: int | None = None
    active: bool | None = None
    expected_version: int | None = strawberry.field(
        default=None, description="The rule set's version (see `priorityRules.version`)."
    )


@strawberry.type
class WorkPolicyPayload(Payload):
    work_policy: WorkPolicy | None = None


@strawberry.type
class CommunicationPolicyPayload(Payload):
    communication_policy: CommunicationPolicy | None = None


@strawberry.type
class SlaPolicyPayload(Payload):
    sla_policy: SlaPolicy | None = None


@strawberry.type
class PriorityRulePayload(Payload):
    priority_rule: PriorityRuleType | None = None
    version: int | None = strawberry.field(default=None, description="The rule set's version.")
