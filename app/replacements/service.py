"""Replacement requests: raised from a field task or a depot repair order with evidence,
approved or rejected by the role the policy requires; an approval issues the unit through the
ledger exactly once, retires the old serial, registers the new asset with its warranty and
tells the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset, ProductModel
from app.assets.service import warranty_expiry
from app.attachments.models import Attachment
from app.contracts.service import CoverageStatus, coverage_for
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, Forbidden, NotFound, collect
from app.core.models import utcnow
from app.core.repository import check_version, flush_unique, get_for_update
from app.depot_repair import repository as repair_orders
from app.depot_repair.models import RepairStatus
from app.inventory.ledger import Leg, Stamp, post
from app.inventory.models import MovementKind, Part, StockLocationKind
from app.inventory.stock import active_location
from app.notifications.models import NotificationEvent
from app.notifications.outbox import enqueue
from app.replacements import policy
from app.replacements.models import (
    ReplacementApproval,
    ReplacementEvidence,
    ReplacementRequest,
    ReplacementRequestCreate,
    ReplacementSource,
    ReplacementStatus,
    WarrantyMode,
)
from app.work_orders import repository as tasks
from app.work_orders.models import TaskStatus


def reference(request: ReplacementRequest) -> str:
    return f"RR-{request.id}"


def operation_key(request_id: int) -> str:
    """The ledger operation of a request's issue: a second post with it is not applied."""
    return f"replacement:{request_id}:issue"


# --- raising a request --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """Where the unit was diagnosed: a field task or a depot repair order."""

    kind: ReplacementSource
    customer_id: int
    asset_id: int | None
    task_id: int | None = None
    repair_order_id: int | None = None
    service_request_id: int | None = None
    """A repair order's photos are its service request's attachments."""


async def _source(
    session: AsyncSession, principal: Principal, data: ReplacementRequestCreate
) -> Source:
    """The one source named, readable by the caller (a technician: their own task, or an
    order of their depot) and not ended."""
    if (data.task_id is None) == (data.repair_order_id is None):
        raise DomainError(
            "give exactly one of taskId and repairOrderId", ErrorCode.INVALID, ["taskId"]
        )
    if data.task_id is not None:
        task = await tasks.get_readable(session, principal, data.task_id)
        if task is None:
            raise NotFound("task", ["taskId"])
        if task.status is TaskStatus.CANCELLED:
            raise DomainError("the task was cancelled", ErrorCode.INVALID_TRANSITION, ["taskId"])
        return Source(ReplacementSource.FIELD_TASK, task.customer_id, task.asset_id, task.id)
    order = await repair_orders.get_readable(session, principal, data.repair_order_id or 0)
    if order is None:
        raise NotFound("repair order", ["repairOrderId"])
    if order.status in (RepairStatus.DELIVERED, RepairStatus.CANCELLED):
        raise DomainError(
            f"the repair order is {order.status.value.lower()}",
            ErrorCode.INVALID_TRANSITION,
            ["repairOrderId"],
        )
    return Source(
        ReplacementSource.REPAIR_ORDER,
        order.customer_id,
        order.asset_id,
        repair_order_id=order.id,
        service_request_id=order.service_request_id,
    )


async def request_replacement(
    session: AsyncSession,
    principal: Principal,
    data: ReplacementRequestCreate,
    today: date | None = None,
) -> ReplacementRequest:
    """A request from a field task or a depot repair order the caller may read, for an asset
    of its customer that is under warranty (or a contract covering parts)."""
    today = today or utcnow().date()
    source = await _source(session, principal, data)
    asset = await _asset(session, data.asset_id or source.asset_id, source.customer_id)
    old_model = await session.get(ProductModel, asset.product_model_id)
    assert old_model is not None and asset.id is not None
    await _covered(session, asset, today)
    part = await _part(session, data.replacement_part_id)
    new_model = await _model(session, data.replacement_model_id, old_model)
    assert new_model.id is not None
    await active_location(
        session, data.stock_location_id, "stockLocationId", StockLocationKind.WAREHOUSE
    )
    attachments = await _evidence(session, source, data.evidence_attachment_ids)
    row = await policy.policy_for(session, old_model.category)
    request = ReplacementRequest(
        source=source.kind,
        task_id=source.task_id,
        repair_order_id=source.repair_order_id,
        customer_id=source.customer_id,
        asset_id=asset.id,
        product_category=old_model.category,
        replacement_part_id=data.replacement_part_id,
        replacement_model_id=new_model.id,
        stock_location_id=data.stock_location_id,
        value=part.unit_cost,
        currency=part.currency,
        approver_role=policy.approver_for(row, part.unit_cost, part.currency).value,
        diagnosis=data.diagnosis.strip(),
        requested_by=principal.subject,
        requested_by_role=principal.role.value,
    )
    session.add(request)
    await flush_unique(
        session, "assetId", "the asset already has a replacement request waiting for approval"
    )
    assert request.id is not None
    session.add_all(
        ReplacementEvidence(request_id=request.id, attachment_id=a, position=i)
        for i, a in enumerate(attachments)
    )
    await session.flush()
    return request


async def _asset(session: AsyncSession, asset_id: int | None, customer_id: int) -> Asset:
    if asset_id is None:
        raise DomainError("the source names no asset: give assetId", ErrorCode.INVALID, ["assetId"])
    asset = await session.get(Asset, asset_id)
    if asset is None or asset.customer_id != customer_id:
        raise NotFound("asset", ["assetId"])
    if asset.archived_at is not None:
        raise DomainError(
            "the asset is retired (already replaced?)", ErrorCode.INVALID, ["assetId"]
        )
    return asset


async def _covered(session: AsyncSession, asset: Asset, today: date) -> None:
    coverage = await coverage_for(session, asset.id, None, today)
    if coverage.status is CoverageStatus.WARRANTY:
        return
    if coverage.status is CoverageStatus.CONTRACT and coverage.parts_covered:
        return
    raise DomainError(
        "the asset is not under warranty (nor under a contract that covers parts)",
        ErrorCode.INVALID,
        ["assetId"],
    )


async def _part(session: AsyncSession, part_id: int) -> Part:
    part = await session.get(Part, part_id)
    if part is None or part.archived_at is not None:
        raise NotFound("part", ["replacementPartId"])
    return part


async def _model(
    session: AsyncSession, model_id: int | None, old_model: ProductModel
) -> ProductModel:
    if model_id is None or model_id == old_model.id:
        return old_model
    model = await session.get(ProductModel, model_id)
    if model is None or model.archived_at is not None:
        raise NotFound("product model", ["replacementModelId"])
    if model.category is not old_model.category:
        raise DomainError(
            "the replacement must be a model of the same product category",
            ErrorCode.INVALID,
            ["replacementModelId"],
        )
    return model


async def _evidence(session: AsyncSession, source: Source, ids: list[int]) -> list[int]:
    """The attachments offered as evidence: photos and documents of the source task, or of
    the repair order (its own and its service request's)."""
    if not ids:
        return []
    owner = (
        col(Attachment.task_id) == source.task_id
        if source.task_id is not None
        else col(Attachment.repair_order_id) == source.repair_order_id
    )
    if source.service_request_id is not None:  # a repair order booked against a request
        owner = owner | (col(Attachment.service_request_id) == source.service_request_id)
    found = set(
        (
            await session.scalars(select(Attachment.id).where(col(Attachment.id).in_(ids), owner))
        ).all()
    )
    problems: list[FieldProblem] = []
    seen: set[int] = set()
    for i, attachment_id in enumerate(ids):
        at = ["evidenceAttachmentIds", str(i)]
        if attachment_id not in found:
            problems.append(
                FieldProblem("not an attachment of the source", ErrorCode.NOT_FOUND, at)
            )
        elif attachment_id in seen:
            problems.append(FieldProblem("listed twice", ErrorCode.INVALID, at))
        seen.add(attachment_id)
    collect(problems)
    return ids


# --- deciding -----------------------------------------------------------------------------


async def _pending(
    session: AsyncSession, request_id: int, expected_version: int | None, to: str
) -> ReplacementRequest:
    """The request locked for this transaction: concurrent decisions queue here, and the
    later one finds it decided (INVALID_TRANSITION) or moved on (STALE_VERSION)."""
    request = await get_for_update(
        session, ReplacementRequest, request_id, what="replacement request", field="requestId"
    )
    check_version(request, expected_version)
    if request.status is not ReplacementStatus.PENDING_APPROVAL:
        raise DomainError(
            f"a {request.status.value} replacement request cannot be {to}",
            ErrorCode.INVALID_TRANSITION,
            ["requestId"],
        )
    return request


def _decide(
    request: ReplacementRequest,
    principal: Principal,
    status: ReplacementStatus,
    reason: str | None,
    now: datetime,
) -> None:
    request.status = status
    request.decided_by = principal.subject
    request.decided_at = now
    request.decision_reason = reason
    request.touch()


async def approve(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    data: ReplacementApproval,
    expected_version: int | None,
    now: datetime | None = None,
) -> ReplacementRequest:
    """Approve and carry out the replacement in one transaction: the unit leaves the depot
    (one ledger operation keyed by the request), the old asset is retired, the new one is
    registered at the same site with the policy's warranty, and the customer is told."""
    now = now or utcnow()
    request = await _pending(session, request_id, expected_version, "approved")
    required = Role(request.approver_role)
    if not policy.may_approve(principal.role, required):
        raise Forbidden(
            f"a replacement worth {request.value} {request.currency} needs a {required.value} "
            "to approve it"
        )
    old = await get_for_update(session, Asset, request.asset_id, what="asset", field="requestId")
    if old.archived_at is not None:
        raise DomainError("the asset is already retired", ErrorCode.CONFLICT, ["requestId"])
    await _issue(session, principal, request)
    new = await _register(session, request, old, data.new_serial_number, now.date())
    old.archived_at = now
    old.notes = _retired_note(old.notes, new.serial_number, reference(request), now.date())
    old.touch()
    _decide(request, principal, ReplacementStatus.APPROVED, None, now)
    request.new_asset_id = new.id
    request.new_serial_number = new.serial_number
    request.new_warranty_expires_on = new.warranty_expires_on
    await session.flush()
    await _tell(session, request, old, NotificationEvent.REPLACEMENT_APPROVED)
    return request


async def _issue(session: AsyncSession, principal: Principal, request: ReplacementRequest) -> None:
    assert request.id is not None
    leg = Leg(request.stock_location_id, request.replacement_part_id, -1, field=("requestId",))
    stamp = Stamp(
        actor=principal.subject,
        reason=f"warranty replacement {reference(request)}",
        reference=reference(request),
        task_id=request.task_id,
        operation_key=operation_key(request.id),
    )
    posted = await post(session, MovementKind.CONSUME, [leg], stamp)
    if posted.replayed:  # the row lock makes this unreachable; the ledger key is the backstop
        raise DomainError("the unit was already issued", ErrorCode.CONFLICT, ["requestId"])


async def _register(
    session: AsyncSession, request: ReplacementRequest, old: Asset, serial: str, today: date
) -> Asset:
    model = await session.get(ProductModel, request.replacement_model_id)
    assert model is not None
    mode = policy.warranty_mode(await policy.policy_for(session, request.product_category))
    request.warranty_mode = mode
    if mode is WarrantyMode.CONTINUE:
        sold_on, expires = old.sold_on or old.installed_on, old.warranty_expires_on
    else:
        sold_on, expires = today, warranty_expiry(model, today, today)
    new = Asset(
        product_model_id=model.id,  # type: ignore[arg-type]
        site_id=old.site_id,
        customer_id=old.customer_id,
        serial_number=serial,
        sold_on=sold_on,
        installed_on=today,
        warranty_expires_on=expires,
        notes=f"Replacement under warranty for serial {old.serial_number} ({reference(request)})",
    )
    session.add(new)
    await flush_unique(
        session, "newSerialNumber", f"serial {serial} is already registered for the model"
    )
    return new


def _retired_note(notes: str | None, new_serial: str, ref: str, today: date) -> str:
    line = f"Retired {today.isoformat()}: replaced under warranty by serial {new_serial} ({ref})"
    return f"{notes}\n{line}" if notes else line


async def reject(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    reason: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> ReplacementRequest:
    """Any approver role may refuse (a refusal spends nothing); the reason reaches the
    customer."""
    if not reason.strip():
        raise DomainError("say why the replacement is rejected", ErrorCode.INVALID, ["reason"])
    request = await _pending(session, request_id, expected_version, "rejected")
    _decide(request, principal, ReplacementStatus.REJECTED, reason.strip(), now or utcnow())
    await session.flush()
    old = await session.get(Asset, request.asset_id)
    assert old is not None
    await _tell(session, request, old, NotificationEvent.REPLACEMENT_REJECTED)
    return request


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    expected_version: int | None,
) -> ReplacementRequest:
    """Staff, or the technician of the source (their task, or an order of their depot), take
    a pending request back."""
    request = await _pending(session, request_id, expected_version, "withdrawn")
    if not principal.is_staff and not (
        principal.role is Role.TECHNICIAN and await _own_source(session, principal, request)
    ):
        raise Forbidden("only staff or the source's technician may withdraw a replacement request")
    request.status = ReplacementStatus.WITHDRAWN
    request.touch()
    await session.flush()
    return request


async def _own_source(
    session: AsyncSession, principal: Principal, request: ReplacementRequest
) -> bool:
    if request.task_id is not None:
        return await tasks.get_readable(session, principal, request.task_id) is not None
    if request.repair_order_id is not None:
        order = await repair_orders.get_readable(session, principal, request.repair_order_id)
        return order is not None
    return False


async def _tell(
    session: AsyncSession, request: ReplacementRequest, old: Asset, event: NotificationEvent
) -> None:
    model = await session.get(ProductModel, old.product_model_id)
    data: dict[str, Any] = {
        "replacement_request_id": request.id,
        "request_ref": reference(request),
        "product_name": model.name if model else "unit",
        "old_serial": old.serial_number,
        "status": request.status.value,
    }
    if event is NotificationEvent.REPLACEMENT_APPROVED:
        data |= {
            "new_serial": request.new_serial_number,
            "warranty_expires_on": (
                request.new_warranty_expires_on.isoformat()
                if request.new_warranty_expires_on
                else "the end of the original warranty"
            ),
        }
    else:
        data["reason"] = request.decision_reason
    enqueue(
        session,
        event,
        customer_id=request.customer_id,
        task_id=request.task_id,
        data=data,
        key=f"{event.value.lower()}:{request.id}",
    )
