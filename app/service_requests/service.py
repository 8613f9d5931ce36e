"""Service request rules: intake with eligibility, priority, SLA and duplicate flagging."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.core.auth import Principal, Role
from app.core.errors import ErrorCode, FieldProblem, Forbidden, NotFound, collect
from app.core.events import queue_event
from app.core.models import utcnow
from app.core.repository import check_version, get_for_update
from app.customers.models import Customer, Site
from app.remote_service import triage
from app.service_requests import repository
from app.service_requests.channels import (
    SERVICE_REQUEST_CREATED,
    SERVICE_REQUESTS,
    customer_channel,
)
from app.service_requests.eligibility import Eligibility, eligibility_for
from app.service_requests.models import (
    PriorityOverride,
    ServiceRequest,
    ServiceRequestCreate,
    ServiceRequestStatus,
)
from app.service_requests.priority import Facts, classify
from app.service_requests.sla import due_times
from app.work_orders.models import CLOSED_STATUSES, Task, TaskStatus


async def _load_parties(
    session: AsyncSession, data: ServiceRequestCreate
) -> tuple[Customer, Site, Asset | None]:
    customer = await session.get(Customer, data.customer_id)
    site = await session.get(Site, data.site_id)
    asset = await session.get(Asset, data.asset_id) if data.asset_id is not None else None
    problems = []
    if customer is None or customer.archived_at is not None:
        problems.append(FieldProblem("customer not found", ErrorCode.NOT_FOUND, ["customerId"]))
    if site is None or site.archived_at is not None:
        problems.append(FieldProblem("site not found", ErrorCode.NOT_FOUND, ["siteId"]))
    elif site.customer_id != data.customer_id:
        problems.append(
            FieldProblem("the site is not the customer's", ErrorCode.INVALID, ["siteId"])
        )
    if data.asset_id is not None and asset is None:
        problems.append(FieldProblem("asset not found", ErrorCode.NOT_FOUND, ["assetId"]))
    elif asset is not None and asset.site_id != data.site_id:
        problems.append(
            FieldProblem("the asset is not at this site", ErrorCode.INVALID, ["assetId"])
        )
    collect(problems)
    assert customer is not None and site is not None
    return customer, site, asset


def _check_caller(principal: Principal, data: ServiceRequestCreate) -> None:
    if principal.role is Role.CUSTOMER and data.customer_id != principal.customer_id:
        raise Forbidden("a customer may only ask for service for itself", ["customerId"])


def _apply_eligibility(request: ServiceRequest, eligibility: Eligibility) -> None:
    request.eligibility_status = eligibility.status
    request.coverage_kind = eligibility.coverage
    request.covers_labour = eligibility.labour
    request.covers_parts = eligibility.parts
    request.contract_id = eligibility.contract_id
    request.coverage_valid_until = eligibility.valid_until


async def create_service_request(
    session: AsyncSession,
    principal: Principal,
    data: ServiceRequestCreate,
    *,
    remote_triage: bool = True,
) -> ServiceRequest:
    """Record the request with its eligibility, priority, SLA due times and duplicate flag; a
    request of a remote-first category starts in remote triage unless `remote_triage` is off
    (a visit booked in a held slot goes to the field)."""
    _check_caller(principal, data)
    customer, site, asset = await _load_parties(session, data)
    now = utcnow()
    eligibility = await eligibility_for(session, asset, site.id or 0, now.date())
    facts = Facts(data.description, data.category, customer.type, eligibility.sla_response_hours)
    priority, reason = await classify(session, facts)
    request = ServiceRequest.model_validate(
        data,
        update={
            "priority": priority,
            "priority_reason": reason,
            "reported_by": principal.subject,
            "created_at": now,
            "updated_at": now,
            "eligibility_status": eligibility.status,
            "coverage_kind": eligibility.coverage,
        },
    )
    _apply_eligibility(request, eligibility)
    request.response_due_at, request.resolution_due_at = await due_times(
        session, priority, now, eligibility.sla_response_hours, eligibility.sla_resolution_hours
    )
    if asset is not None and asset.id is not None:
        duplicate = await repository.find_open_for_asset(session, asset.id)
        request.duplicate_of_id = duplicate.id if duplicate else None
    session.add(request)
    await session.flush()
    if remote_triage:
        await triage.enter_if_remote_first(session, request)
    _announce(session, request)
    return request


def _announce(session: AsyncSession, request: ServiceRequest) -> None:
    """SERVICE_REQUEST_CREATED, after commit: the customer's acknowledgement and the partners'
    and CRMs' webhooks are written by their listeners in this transaction."""
    assert request.id is not None
    data = {
        "service_request_id": request.id,
        "customer_id": request.customer_id,
        "site_id": request.site_id,
        "asset_id": request.asset_id,
        "channel": request.channel.value,
        "category": request.category.value,
        "priority": request.priority,
        "status": request.status.value,
        "eligibility": request.eligibility_status.value,
        "duplicate_of_id": request.duplicate_of_id,
        "created_at": request.created_at.isoformat(),
    }
    channels = [customer_channel(request.customer_id), SERVICE_REQUESTS]
    queue_event(session, channels, SERVICE_REQUEST_CREATED, data)


async def override_priority(
    session: AsyncSession, request_id: int, change: PriorityOverride, expected_version: int | None
) -> ServiceRequest:
    """An agent's priority, with the reason; the SLA due times follow the new priority."""
    request = await get_for_update(session, ServiceRequest, request_id, what="service request")
    check_version(request, expected_version)
    request.priority = change.priority
    request.priority_reason = change.reason
    request.priority_overridden = True
    hours = await _contract_sla(session, request)
    request.response_due_at, request.resolution_due_at = await due_times(
        session, change.priority, request.created_at, *hours
    )
    request.touch()
    await session.flush()
    return request


async def _contract_sla(
    session: AsyncSession, request: ServiceRequest
) -> tuple[int | None, int | None]:
    from app.contracts.models import Contract

    contract = await session.get(Contract, request.contract_id) if request.contract_id else None
    if contract is None:
        return None, None
    return contract.sla_response_hours, contract.sla_resolution_hours


async def get_request(session: AsyncSession, request_id: int) -> ServiceRequest:
    request = await session.get(ServiceRequest, request_id)
    if request is None:
        raise NotFound("service request", ["serviceRequestId"])
    return request


def status_from(statuses: Sequence[TaskStatus]) -> ServiceRequestStatus:
    """A request's status from its tasks' statuses."""
    if not statuses:
        return ServiceRequestStatus.OPEN
    if any(s not in CLOSED_STATUSES for s in statuses):
        return ServiceRequestStatus.IN_PROGRESS
    if TaskStatus.COMPLETED in statuses:
        return ServiceRequestStatus.RESOLVED
    if all(s is TaskStatus.CANCELLED for s in statuses):
        return ServiceRequestStatus.CANCELLED
    return ServiceRequestStatus.IN_PROGRESS


async def refresh_status(session: AsyncSession, request_id: int) -> None:
    """Derive the request's status from its tasks (after a task changed)."""
    await session.flush()
    rows = await session.scalars(
        select(Task.status).where(col(Task.service_request_id) == request_id)
    )
    statuses = [TaskStatus(s) for s in rows.all()]
    request = await get_request(session, request_id)
    status = status_from(statuses)
    if status != request.status:
        request.status = status
        request.resolved_at = utcnow() if status is ServiceRequestStatus.RESOLVED else None
        request.touch()
