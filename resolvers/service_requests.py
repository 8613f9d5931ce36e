"""Service request queries and mutations: intake from any channel, priority overrides."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.core.auth import STAFF_ROLES, Role
from app.service_requests import booking, repository, service
from app.service_requests.models import PriorityOverride, ServiceRequest, ServiceRequestCreate
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.inputs import provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, staff
from schema.service_requests import (
    BookVisitInput,
    BookVisitPayload,
    CreateServiceRequestInput,
    OverrideRequestPriorityInput,
    RequestOrder,
    ServiceRequestConnection,
    ServiceRequestPayload,
    ServiceRequestStatus,
    ServiceRequestType,
)

register_node(ServiceRequestType, repository.get_readable, ServiceRequestType.from_model)

READERS = (*sorted(STAFF_ROLES), Role.CUSTOMER, Role.TECHNICIAN, Role.PARTNER)
INTAKE = (*sorted(STAFF_ROLES), Role.CUSTOMER)


async def _page(
    info: Info,
    first: int | None,
    after: str | None,
    status: list[ServiceRequestStatus] | None,  # type: ignore[valid-type]
    order: RequestOrder = RequestOrder.OLDEST_FIRST,
) -> ServiceRequestConnection:
    return await paginate(
        info.context.session,
        repository.listed(info.context.principal, status),
        ServiceRequest.id,
        settings=info.context.settings,
        first=first,
        after=after,
        to_node=ServiceRequestType.from_model,
        newest_first=order is RequestOrder.NEWEST_FIRST,
    )


@strawberry.type
class ServiceRequestsQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "Requests the caller may see, oldest first: all for staff, their own for a customer, "
            "those of their tasks for a technician or partner."
        ),
    )
    async def service_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[ServiceRequestStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only requests in any of these statuses; null: all."),
        ] = None,
    ) -> ServiceRequestConnection:
        return await _page(info, first, after, status)

    @strawberry.field(
        extensions=[allow(Role.CUSTOMER)],
        description="The caller's own requests, each with its timeline.",
    )
    async def my_service_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[ServiceRequestStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only requests in any of these statuses."),
        ] = None,
        order: Annotated[
            RequestOrder, strawberry.argument(description="Newest first unless asked otherwise.")
        ] = RequestOrder.NEWEST_FIRST,
    ) -> ServiceRequestConnection:
        return await _page(info, first, after, status, order)

    @strawberry.field(
        extensions=[allow(*READERS)],
        description="One request by id; null when it does not exist or the caller may not see it.",
    )
    async def service_request(self, info: Info, id: strawberry.ID) -> ServiceRequestType | None:
        row = await repository.get_readable(
            info.context.session, info.context.principal, decode_id(id, "ServiceRequest")
        )
        return ServiceRequestType.from_model(row) if row else None


def _create_data(
    info: Info, input: CreateServiceRequestInput | BookVisitInput
) -> ServiceRequestCreate:
    values = provided(input, exclude=("idempotency_key", "hold_id"))
    principal = info.context.require_principal()
    values["site_id"] = decode_id(input.site_id, "Site", "siteId")
    values["asset_id"] = decode_optional_id(input.asset_id, "Asset", "assetId")
    values["customer_id"] = decode_optional_id(input.customer_id, "Customer", "customerId")
    if values["customer_id"] is None and principal.role is Role.CUSTOMER:
        values["customer_id"] = principal.customer_id
    return ServiceRequestCreate.model_validate(values)


@strawberry.type
class ServiceRequestsMutation:
    @strawberry.mutation(
        extensions=[allow(*INTAKE)],
        description=(
            "Book a visit in a held slot: from 'my fridge is broken' to an agreed appointment "
            "in one step (availableSlots, holdSlot, bookVisit)."
        ),
    )
    async def book_visit(self, info: Info, input: BookVisitInput) -> BookVisitPayload:
        async def action() -> BookVisitPayload:
            from schema.work_orders import TaskType

            principal = info.context.require_principal()
            booked = await booking.book_visit(
                info.context.session,
                principal,
                _create_data(info, input),
                decode_id(input.hold_id, "SlotHold", "holdId"),
            )
            return BookVisitPayload(
                service_request=ServiceRequestType.from_model(booked.request),
                task=TaskType.from_model(booked.task),
            )

        return await execute(info, BookVisitPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*INTAKE)],
        description=(
            "Record a request (staff, or a customer for itself): decides eligibility, priority, "
            "SLA due times and the duplicate flag, and notifies the customer and subscribers."
        ),
    )
    async def create_service_request(
        self, info: Info, input: CreateServiceRequestInput
    ) -> ServiceRequestPayload:
        async def action() -> ServiceRequestPayload:
            request = await service.create_service_request(
                info.context.session, info.context.require_principal(), _create_data(info, input)
            )
            return ServiceRequestPayload(service_request=ServiceRequestType.from_model(request))

        return await execute(
            info, ServiceRequestPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[staff()],
        description=(
            "Set a request's priority by hand (staff only); its SLA due times are recomputed "
            "from its creation time."
        ),
    )
    async def override_request_priority(
        self, info: Info, input: OverrideRequestPriorityInput
    ) -> ServiceRequestPayload:
        async def action() -> ServiceRequestPayload:
            change = PriorityOverride.model_validate(
                {"priority": input.priority, "reason": input.reason}
            )
            request = await service.override_priority(
                info.context.session,
                decode_id(input.id, "ServiceRequest"),
                change,
                input.expected_version,
            )
            return ServiceRequestPayload(service_request=ServiceRequestType.from_model(request))

        return await execute(info, ServiceRequestPayload, action)
