"""The repair order state machine, in the work-order style: a rule table of which action
moves an order from which states and who may take it, and one `apply` that checks version,
role and source state, writes the audit event, bumps the version, queues the realtime event
and, at customer-facing steps, the customer's notification (all in the caller's
transaction: a refused or rolled-back step leaves nothing behind)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode, Forbidden
from app.core.events import queue_event
from app.core.models import utcnow
from app.core.repository import check_version
from app.depot_repair import channels
from app.depot_repair.models import RepairOrder, RepairOrderEvent
from app.depot_repair.models import RepairStatus as S
from app.notifications.models import NotificationEvent
from app.notifications.outbox import enqueue
from app.work_orders.transitions import SYSTEM, SYSTEM_ACTOR, Actor


class Action(StrEnum):
    RECEIVE = "RECEIVE"
    START_DIAGNOSIS = "START_DIAGNOSIS"
    SEND_ESTIMATE = "SEND_ESTIMATE"
    APPROVE = "APPROVE"
    DECLINE = "DECLINE"
    REQUEST_PARTS = "REQUEST_PARTS"
    RESUME = "RESUME"
    START_REPAIR = "START_REPAIR"
    SUBMIT_QC = "SUBMIT_QC"
    PASS_QC = "PASS_QC"
    FAIL_QC = "FAIL_QC"
    DELIVER = "DELIVER"
    CANCEL = "CANCEL"


STEP_NAMES = {
    Action.RECEIVE: "receiveRepairOrder",
    Action.START_DIAGNOSIS: "startRepairDiagnosis",
    Action.SEND_ESTIMATE: "sendRepairEstimate",
    Action.APPROVE: "approveRepairEstimate",
    Action.DECLINE: "declineRepairEstimate",
    Action.REQUEST_PARTS: "requestRepairParts",
    Action.RESUME: "resumeRepair",
    Action.START_REPAIR: "startRepair",
    Action.SUBMIT_QC: "submitRepairForQc",
    Action.PASS_QC: "passRepairQc",
    Action.FAIL_QC: "failRepairQc",
    Action.DELIVER: "deliverRepairOrder",
    Action.CANCEL: "cancelRepairOrder",
}
"""How errors name each step: as the client calls it."""


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[S]
    target: S
    roles: frozenset[str]
    notify: bool = False
    """A customer-facing step: the customer hears of it through the outbox."""


DESK = frozenset({Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.MANAGER})
LEADS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.MANAGER})
BENCH = frozenset({Role.TECHNICIAN})
QC_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.TECHNICIAN})
CUSTOMER = frozenset({Role.CUSTOMER})

RULES: dict[Action, Rule] = {
    Action.RECEIVE: Rule(frozenset(), S.RECEIVED, DESK, notify=True),
    Action.START_DIAGNOSIS: Rule(frozenset({S.RECEIVED}), S.DIAGNOSING, LEADS | BENCH),
    Action.SEND_ESTIMATE: Rule(frozenset({S.DIAGNOSING}), S.ESTIMATE_SENT, DESK | BENCH, True),
    Action.APPROVE: Rule(frozenset({S.ESTIMATE_SENT}), S.APPROVED, DESK | CUSTOMER, True),
    Action.DECLINE: Rule(frozenset({S.ESTIMATE_SENT}), S.DECLINED, DESK | CUSTOMER, True),
    Action.REQUEST_PARTS: Rule(
        frozenset({S.APPROVED, S.IN_REPAIR}), S.WAITING_PARTS, LEADS | BENCH, True
    ),
    Action.RESUME: Rule(frozenset({S.WAITING_PARTS}), S.IN_REPAIR, LEADS | {SYSTEM}),
    Action.START_REPAIR: Rule(frozenset({S.APPROVED}), S.IN_REPAIR, LEADS | BENCH),
    Action.SUBMIT_QC: Rule(frozenset({S.IN_REPAIR}), S.QC, BENCH | {Role.ADMIN}),
    Action.PASS_QC: Rule(frozenset({S.QC}), S.READY, QC_ROLES, notify=True),
    Action.FAIL_QC: Rule(frozenset({S.QC}), S.IN_REPAIR, QC_ROLES),
    Action.DELIVER: Rule(frozenset({S.READY, S.DECLINED}), S.DELIVERED, DESK, notify=True),
    Action.CANCEL: Rule(
        frozenset({S.RECEIVED, S.DIAGNOSING, S.ESTIMATE_SENT, S.APPROVED, S.WAITING_PARTS}),
        S.CANCELLED,
        DESK,
        notify=True,
    ),
}

STATUS_LABELS = {
    S.RECEIVED: "received at the service centre",
    S.DIAGNOSING: "being diagnosed",
    S.ESTIMATE_SENT: "estimate waiting for your approval",
    S.APPROVED: "repair approved",
    S.DECLINED: "estimate declined; ready to collect unrepaired",
    S.WAITING_PARTS: "waiting for parts",
    S.IN_REPAIR: "being repaired",
    S.QC: "in quality check",
    S.READY: "ready for collection",
    S.DELIVERED: "collected",
    S.CANCELLED: "cancelled",
}
"""How the customer reads each status (notifications, the public tracking page)."""


def roles_for(action: Action) -> tuple[Role, ...]:
    return tuple(Role(r) for r in sorted(RULES[action].roles) if r != SYSTEM)


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    actor: Actor
    reason: str | None = None
    expected_version: int | None = None


def check_allowed(order: RepairOrder, change: Change) -> S:
    """The status the change leads to, or the error that refuses it (nothing written)."""
    rule = RULES[change.action]
    step = STEP_NAMES[change.action]
    if change.actor.role not in rule.roles:
        allowed = ", ".join(sorted(r for r in rule.roles if r != SYSTEM))
        raise Forbidden(f"the {change.actor.role} role may not {step}; roles that may: {allowed}")
    check_version(order, change.expected_version)
    if order.status not in rule.sources:
        raise DomainError(
            f"{step} is not possible while the repair order is {order.status}; it is possible "
            f"from {', '.join(sorted(rule.sources))}",
            ErrorCode.INVALID_TRANSITION,
            ["repairOrderId"],
        )
    return rule.target


def apply(session: AsyncSession, order: RepairOrder, change: Change) -> RepairOrderEvent:
    """Move the order, audit it and queue its events (call `check_allowed` first where other
    checks must see the target before anything changes; it is checked again here)."""
    source = order.status
    order.status = check_allowed(order, change)
    now = utcnow()
    if order.status is S.READY:
        order.ready_at = now
    if order.status in (S.DELIVERED, S.CANCELLED):
        order.closed_at = now
    order.touch()
    event = _record(session, order, change, source)
    if RULES[change.action].notify:
        notify_customer(session, order)
    return event


def record_creation(session: AsyncSession, order: RepairOrder, actor: Actor) -> RepairOrderEvent:
    event = _record(session, order, Change(Action.RECEIVE, actor), None)
    notify_customer(session, order)
    return event


def _record(
    session: AsyncSession, order: RepairOrder, change: Change, source: S | None
) -> RepairOrderEvent:
    assert order.id is not None
    event = RepairOrderEvent(
        repair_order_id=order.id,
        action=change.action.value,
        from_status=source,
        to_status=order.status,
        at=utcnow(),
        actor=change.actor.subject,
        actor_role=change.actor.role,
        actor_name=change.actor.name,
        reason=change.reason,
        technician_id=order.technician_id,
    )
    session.add(event)
    queue_event(
        session, channels_of(order), channels.REPAIR_ORDER_CHANGED, event_data(order, event)
    )
    return event


def channels_of(order: RepairOrder) -> list[str]:
    assert order.id is not None
    found = [channels.order_channel(order.id), channels.depot_channel(order.depot_id)]
    if order.technician_id is not None:
        found.append(channels.technician_channel(order.technician_id))
    found += [channels.customer_channel(order.customer_id), channels.ALL]
    return found


def event_data(order: RepairOrder, event: RepairOrderEvent) -> dict[str, Any]:
    return {
        "repair_order_id": order.id,
        "depot_id": order.depot_id,
        "customer_id": order.customer_id,
        "technician_id": order.technician_id,
        "action": event.action,
        "from": event.from_status.value if event.from_status else None,
        "to": event.to_status.value,
        "at": event.at.isoformat(),
        "actor_role": event.actor_role,
        "reason": event.reason,
        "version": order.version,
    }


def notify_customer(session: AsyncSession, order: RepairOrder) -> None:
    enqueue(
        session,
        NotificationEvent.REPAIR_UPDATE,
        customer_id=order.customer_id,
        data={
            "repair_order_id": order.id,
            "repair_number": order.number,
            "tracking_code": order.tracking_code,
            "status": order.status.value,
            "status_label": STATUS_LABELS[order.status],
        },
    )


__all__ = ["SYSTEM_ACTOR", "Action", "Actor", "Change", "apply", "check_allowed"]
