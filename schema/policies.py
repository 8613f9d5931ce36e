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
    offer_response_minutes: int = strawberry.field(
        description="Minutes a technician has to accept or reject an offered task."
    )
    rejections_before_alert: int = strawberry.field(
        description="Rejections and expired offers of one task that raise an alert to dispatch."
    )
    geofence_radius_meters: float = strawberry.field(
        description="How far from the site, in meters, a check-in may be (default 250)."
    )
    geofence_mode: GeofenceMode = strawberry.field(  # type: ignore[valid-type]
        description="Whether a check-in outside the geofence radius is refused or flagged."
    )
    signature_required: bool = strawberry.field(
        description="Completing a task needs the customer's signature."
    )
    check_in_window_mode: ScheduleMode = strawberry.field(  # type: ignore[valid-type]
        description="What happens to a start of travel or a check-in outside the scheduled "
        "window (widened by the minutes below), the day read in the territory's time zone."
    )
    check_in_early_minutes: int = strawberry.field(
        description="How long before the scheduled start a check-in may be, in minutes."
    )
    check_in_late_minutes: int = strawberry.field(
        description="How long after the scheduled end travel or a check-in may still start."
    )
    start_travel_early_minutes: int = strawberry.field(
        description="How long before the scheduled start travel may start, in minutes."
    )
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
    max_attempts: int = strawberry.field(
        description="Delivery attempts of one notification before it is given up as dead."
    )
    backoff_base_seconds: int = strawberry.field(
        description="Seconds before the first retry; each later retry waits twice as long."
    )
    backoff_cap_seconds: int = strawberry.field(
        description="The longest wait between two delivery retries, in seconds."
    )
    lease_seconds: int = strawberry.field(
        description="Seconds a sender holds a notification before another may pick it up again."
    )
    reminder_hours_before: int = strawberry.field(
        description="Clock hours before a scheduled visit that the customer's reminder is sent."
    )
    confirmation_reply_minutes: int = strawberry.field(
        description="Minutes to wait for a reply to a confirmation message before a call is queued."
    )
    confirmation_call_minutes: int = strawberry.field(
        description="Minutes without an answer after which the order returns to its sales queue."
    )
    confirmation_call_mode: CallMode = strawberry.field(  # type: ignore[valid-type]
        description="Who makes confirmation calls: an agent or an AI voice provider."
    )
    survey_link_days: int = strawberry.field(
        description="Days a satisfaction survey link stays valid after it is sent."
    )
    webhook_max_attempts: int = strawberry.field(
        description="Delivery attempts of one outgoing webhook before it is given up."
    )
    webhook_tolerance_seconds: int = strawberry.field(
        description=(
            "How far a signed delivery report or reply may be from now, in seconds, before it "
            "is refused."
        )
    )

    @classmethod
    def of(cls, current: Versioned[Communication]) -> CommunicationPolicy:
        p = current.values
        values = {name: getattr(p, name) for name in Communication.__dataclass_fields__}
        values["confirmation_call_mode"] = CallMode(p.confirmation_call_mode)
        return cls(version=current.version, updated_at=current.updated_at, **values)


@strawberry.type(description="The SLA targets of one priority.")
class SlaTarget:
    priority: int = strawberry.field(description="The priority, 1 (most urgent) to 5.")
    response_minutes: int = strawberry.field(
        description="Minutes from creation until a technician must be on site."
    )
    resolution_minutes: int = strawberry.field(
        description="Minutes from creation until the work must be completed."
    )
    at_risk_percent: int = strawberry.field(
        description="Share of the time to a due time (1-100) after which the work is AT_RISK."
    )

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
    targets: list[SlaTarget] = strawberry.field(description="One target per priority.")


@strawberry.type(
    name="PriorityRule", description="A rule that gives matching new requests a priority."
)
class PriorityRuleType(Node):
    kind: PriorityRuleKind = strawberry.field(  # type: ignore[valid-type]
        description="What the rule looks at in a new request."
    )
    value: str = strawberry.field(
        description="The keyword, customer type, category or contract SLA hours to match."
    )
    priority: int = strawberry.field(
        description="The priority a match gives, 1 (most urgent) to 5."
    )
    active: bool = strawberry.field(description="Inactive rules are kept but never match.")

    @classmethod
    def from_model(cls, row: PriorityRule) -> PriorityRuleType:
        assert row.id is not None
        return cls(
            db_id=row.id, kind=row.kind, value=row.value, priority=row.priority, active=row.active
        )


@strawberry.type(description="The rules that set a new request's priority; most urgent wins.")
class PriorityRules:
    version: int
    rules: list[PriorityRuleType] = strawberry.field(description="Every rule, active or not.")


@strawberry.type(name="PolicyChange", description="One policy value changed, by whom and when.")
class PolicyChangeType(Node):
    kind: PolicyKind = strawberry.field(  # type: ignore[valid-type]
        description="The policy family changed."
    )
    version: int = strawberry.field(description="The family's version this change produced.")
    item: str | None = strawberry.field(description="The row changed: `priority 2`, `rule 7`.")
    setting: str = strawberry.field(description="The setting changed, in snake_case.")
    old_value: JSON | None = strawberry.field(
        description="The value before the change; null when the row was created."
    )
    new_value: JSON | None = strawberry.field(
        description="The value after the change; null when the row was removed."
    )
    actor: str = strawberry.field(description="The identifier of the user who made the change.")
    actor_role: str = strawberry.field(description="The role of that user at the time.")
    actor_name: str = strawberry.field(description="The display name of that user.")
    changed_at: datetime = strawberry.field(description="When the change was made (UTC).")

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
    offer_response_minutes: int | None = strawberry.field(
        default=None, description="Minutes to answer an offer, 1 to 1440."
    )
    rejections_before_alert: int | None = strawberry.field(
        default=None, description="Rejections and expiries that raise an alert, 1 to 100."
    )
    geofence_radius_meters: float | None = strawberry.field(
        default=None, description="Geofence radius in meters, above 0 and at most 50000."
    )
    geofence_mode: GeofenceMode | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Refuse or flag a check-in outside the radius."
    )
    signature_required: bool | None = strawberry.field(
        default=None, description="Whether completing a task needs the customer's signature."
    )
    check_in_window_mode: ScheduleMode | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Refuse, flag or allow travel and check-ins outside the window."
    )
    check_in_early_minutes: int | None = strawberry.field(
        default=None,
        description="Minutes a check-in may precede the start, 0 to startTravelEarlyMinutes.",
    )
    check_in_late_minutes: int | None = strawberry.field(
        default=None,
        description="Minutes after the scheduled end travel or a check-in may start, 0 to 10080.",
    )
    start_travel_early_minutes: int | None = strawberry.field(
        default=None, description="Minutes travel may precede the scheduled start, 0 to 10080."
    )
    check_in_same_day: bool | None = strawberry.field(
        default=None, description="Whether travel and check-ins must fall on the scheduled day(s)."
    )


@strawberry.input(description="Change the values given; omitted or null values are kept.")
class UpdateCommunicationPolicyInput:
    expected_version: int | None = None
    max_attempts: int | None = strawberry.field(
        default=None, description="Notification delivery attempts, 1 to 50."
    )
    backoff_base_seconds: int | None = strawberry.field(
        default=None,
        description="Seconds before the first retry, 1 to 86400; at most backoffCapSeconds.",
    )
    backoff_cap_seconds: int | None = strawberry.field(
        default=None, description="Longest wait between retries in seconds, 1 to 604800."
    )
    lease_seconds: int | None = strawberry.field(
        default=None, description="Seconds a sender holds a notification, 10 to 86400."
    )
    reminder_hours_before: int | None = strawberry.field(
        default=None, description="Clock hours before a visit to send the reminder, 0 to 336."
    )
    confirmation_reply_minutes: int | None = strawberry.field(
        default=None,
        description="Minutes to wait for a reply, 1 to 10080; at most confirmationCallMinutes.",
    )
    confirmation_call_minutes: int | None = strawberry.field(
        default=None,
        description="Minutes to wait for an answer before returning the order, 1 to 20160.",
    )
    confirmation_call_mode: CallMode | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Who makes confirmation calls from now on."
    )
    survey_link_days: int | None = strawberry.field(
        default=None, description="Days a survey link stays valid after it is sent, 1 to 365."
    )
    webhook_max_attempts: int | None = strawberry.field(
        default=None, description="Outgoing webhook delivery attempts, 1 to 50."
    )
    webhook_tolerance_seconds: int | None = strawberry.field(
        default=None,
        description=(
            "How far a signed delivery report or reply may be from now, in seconds, 10 to 3600."
        ),
    )


@strawberry.input(description="The targets to set for one priority.")
class SlaTargetInput:
    priority: int = strawberry.field(description="The priority, 1 (most urgent) to 5.")
    response_minutes: int = strawberry.field(
        description="Minutes from creation until a technician must be on site; above 0."
    )
    resolution_minutes: int = strawberry.field(
        description="Minutes from creation until the work must be completed; above 0."
    )
    at_risk_percent: int = strawberry.field(
        default=80,
        description="Share of the time to a due time (1-100) after which work is AT_RISK.",
    )


@strawberry.input(description="Set the targets of the priorities given; the others are kept.")
class UpdateSlaPolicyInput:
    targets: list[SlaTargetInput] = strawberry.field(
        description="The targets to set, one per priority."
    )
    expected_version: int | None = None


@strawberry.input(description="A new priority rule; its kind and value must be unique.")
class CreatePriorityRuleInput:
    kind: PriorityRuleKind = strawberry.field(  # type: ignore[valid-type]
        description="What the rule looks at in a new request."
    )
    value: str = strawberry.field(
        description="The keyword, customer type, category or SLA hours; up to 100 characters."
    )
    priority: int = strawberry.field(
        description="The priority a match gives, 1 (most urgent) to 5."
    )
    active: bool = strawberry.field(
        default=True, description="Whether the rule applies to new requests at once."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The rule set's version (see `priorityRules.version`)."
    )


@strawberry.input(description="Change a rule; omitted or null values are kept.")
class UpdatePriorityRuleInput:
    id: strawberry.ID
    value: str | None = strawberry.field(
        default=None, description="The new value to match; up to 100 characters."
    )
    priority: int | None = strawberry.field(
        default=None, description="The new priority, 1 (most urgent) to 5."
    )
    active: bool | None = strawberry.field(
        default=None, description="False to stop the rule matching new requests, true to resume."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The rule set's version (see `priorityRules.version`)."
    )


@strawberry.type
class WorkPolicyPayload(Payload):
    work_policy: WorkPolicy | None = strawberry.field(
        default=None, description="The work policy after the change; null on errors."
    )


@strawberry.type
class CommunicationPolicyPayload(Payload):
    communication_policy: CommunicationPolicy | None = strawberry.field(
        default=None, description="The communication policy after the change; null on errors."
    )


@strawberry.type
class SlaPolicyPayload(Payload):
    sla_policy: SlaPolicy | None = strawberry.field(
        default=None, description="The SLA targets after the change; null on errors."
    )


@strawberry.type
class PriorityRulePayload(Payload):
    priority_rule: PriorityRuleType | None = strawberry.field(
        default=None, description="The rule created or changed; null on errors."
    )
    version: int | None = strawberry.field(default=None, description="The rule set's version.")
