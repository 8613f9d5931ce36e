"""Remote triage at intake: a request of a remote-first category starts as a remote case, and
no field task may be created for it until an agent escalates it (or it was resolved)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset, ProductCategory, ProductModel
from app.core.errors import DomainError, ErrorCode
from app.remote_service import policy
from app.remote_service.models import RemoteCase, RemoteStage
from app.service_requests.models import ServiceRequest


async def enter_if_remote_first(
    session: AsyncSession, request: ServiceRequest
) -> RemoteCase | None:
    """Open the request's remote case when the remote-first policy says so."""
    from app.work_orders.service import territory_of_site

    product: ProductCategory | None = None
    if request.asset_id is not None:
        product = await session.scalar(
            select(ProductModel.category)
            .join(Asset, col(Asset.product_model_id) == col(ProductModel.id))
            .where(col(Asset.id) == request.asset_id)
        )
    if not await policy.remote_first(session, request.category, product):
        return None
    assert request.id is not None
    case = RemoteCase(
        service_request_id=request.id,
        customer_id=request.customer_id,
        territory_id=await territory_of_site(session, request.site_id),
        created_at=request.created_at,
        updated_at=request.created_at,
    )
    session.add(case)
    await session.flush()
    return case


async def refuse_field_task_in_triage(session: AsyncSession, request_id: int) -> None:
    """A request still in remote triage gets no field task: escalate it instead."""
    stage = await session.scalar(
        select(RemoteCase.stage).where(col(RemoteCase.service_request_id) == request_id)
    )
    if stage is RemoteStage.TRIAGE or stage == RemoteStage.TRIAGE.value:
        raise DomainError(
            "the request is in remote triage: escalate it to the field (escalateRemoteCase)",
            ErrorCode.INVALID_TRANSITION,
            ["serviceRequestId"],
        )
    if stage is RemoteStage.RESOLVED or stage == RemoteStage.RESOLVED.value:
        raise DomainError(
            "the request was resolved remotely", ErrorCode.INVALID_TRANSITION, ["serviceRequestId"]
        )
