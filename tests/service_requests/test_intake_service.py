"""Service-level intake rules: eligibility, priority, SLA and duplicates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.contracts.models import ContractKind
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode
from app.core.events import pending_events
from app.customers.models import CustomerType
from app.service_requests.models import (
    CoverageKind,
    EligibilityStatus,
    PriorityOverride,
    RequestCategory,
    RequestChannel,
    ServiceRequestCreate,
)
from app.service_requests.service import create_service_request, override_priority
from tests.work_orders import factories

AGENT = Principal(subject="test:agent", role=Role.AGENT, name="Agent")


def _data(w: factories.World, **extra: object) -> ServiceRequestCreate:
    values: dict[str, object] = {
        "channel": RequestChannel.PHONE,
        "category": RequestCategory.MAINTENANCE,
        "description": "Routine service",
        "customer_id": w.customer.id,
        "site_id": w.site.id,
        "asset_id": w.asset.id,
    }
    return ServiceRequestCreate.model_validate(values | extra)


async def test_an_asset_without_cover_is_chargeable(session: AsyncSession) -> None:
    w = await factories.world(session)
    request = await create_service_request(session, AGENT, _data(w))

    assert request.eligibility_status is EligibilityStatus.CHARGEABLE
    assert request.coverage_kind is CoverageKind.NONE
    assert (request.covers_labour, request.covers_parts) == (False, False)


async def test_an_asset_under_warranty_is_covered_for_labour_and_parts(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    w.asset.warranty_expires_on = date.today() + timedelta(days=90)
    request = await create_service_request(session, AGENT, _data(w))

    assert request.eligibility_status is EligibilityStatus.WARRANTY
    assert (request.covers_labour, request.covers_parts) == (True, True)
    assert request.coverage_valid_until == w.asset.warranty_expires_on


@pytest.mark.parametrize(("kind", "parts"), [(ContractKind.AMC, False), (ContractKind.CMC, True)])
async def test_a_contract_on_the_site_covers_by_its_kind(
    session: AsyncSession, kind: ContractKind, parts: bool
) -> None:
    w = await factories.world(session)
    contract = await factories.contract(session, w.customer, kind, site=w.site)
    request = await create_service_request(session, AGENT, _data(w))

    assert request.eligibility_status is EligibilityStatus.CONTRACT
    assert request.coverage_kind is CoverageKind(kind.value)
    assert (request.covers_labour, request.covers_parts) == (True, parts)
    assert request.contract_id == contract.id


async def test_a_fire_keyword_makes_the_request_most_urgent(session: AsyncSession) -> None:
    w = await factories.world(session)
    request = await create_service_request(
        session, AGENT, _data(w, description="Smoke and FIRE from the outdoor unit")
    )
    assert request.priority == 1
    assert "keyword 'fire'" in request.priority_reason
    assert request.response_due_at == request.created_at + timedelta(minutes=60)


async def test_a_vip_customer_and_a_tight_contract_sla_raise_the_priority(
    session: AsyncSession,
) -> None:
    w = await factories.world(session, type=CustomerType.VIP)
    plain = await create_service_request(session, AGENT, _data(w))
    assert plain.priority == 2

    other = await factories.world(session)
    await factories.contract(
        session, other.customer, ContractKind.CMC, asset=other.asset, sla_response_hours=2
    )
    covered = await create_service_request(session, AGENT, _data(other))
    assert covered.priority == 2
    assert covered.response_due_at == covered.created_at + timedelta(hours=2)


async def test_a_second_open_request_for_the_same_asset_is_flagged(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    first = await create_service_request(session, AGENT, _data(w))
    second = await create_service_request(session, AGENT, _data(w, description="Again"))

    assert first.duplicate_of_id is None
    assert second.duplicate_of_id == first.id


async def test_a_customer_cannot_ask_for_another_customer(session: AsyncSession) -> None:
    w = await factories.world(session)
    stranger = Principal(subject="test:c", role=Role.CUSTOMER, customer_id=w.customer.id + 999)

    with pytest.raises(DomainError) as refused:
        await create_service_request(session, stranger, _data(w))
    assert refused.value.code is ErrorCode.FORBIDDEN


async def test_the_site_must_be_the_customers(session: AsyncSession) -> None:
    w = await factories.world(session)
    other = await factories.world(session)

    with pytest.raises(DomainError) as refused:
        await create_service_request(session, AGENT, _data(w, site_id=other.site.id, asset_id=None))
    assert [(p.code, p.field) for p in refused.value.problems] == [(ErrorCode.INVALID, ["siteId"])]


async def test_an_agent_override_keeps_the_reason_and_moves_the_sla(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    request = await create_service_request(session, AGENT, _data(w))
    changed = await override_priority(
        session, request.id, PriorityOverride(priority=1, reason="hospital"), request.version
    )

    assert (changed.priority, changed.priority_reason, changed.priority_overridden) == (
        1,
        "hospital",
        True,
    )
    assert changed.response_due_at == changed.created_at + timedelta(minutes=60)


async def test_a_new_request_is_announced_once_on_its_customers_channel(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)

    request = await create_service_request(session, AGENT, _data(w))

    created = [e for e in pending_events(session) if e.kind == "SERVICE_REQUEST_CREATED"]
    channels = [e.channel for e in created]
    assert channels == [f"customer:{w.customer.id}:service_requests", "service_requests"]
    assert created[0].data["service_request_id"] == request.id
    assert created[0].data["customer_id"] == w.customer.id


async def test_a_refused_request_is_not_announced(session: AsyncSession) -> None:
    w = await factories.world(session)
    other = await factories.world(session)

    with pytest.raises(DomainError):
        await create_service_request(session, AGENT, _data(w, site_id=other.site.id))

    assert not [e for e in pending_events(session) if e.kind == "SERVICE_REQUEST_CREATED"]
