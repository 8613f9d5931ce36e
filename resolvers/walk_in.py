"""Walk-in order queries and mutations: taking an order at the counter, planning its visit."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.core.auth import Role
from app.walk_in import repository, service
from app.walk_in.models import FieldVisitPlan, WalkInOrder, WalkInOrderCreate
from resolvers.base import execute
from schema.billing import LineInput
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.inputs import provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow
from schema.walk_in import (
    CreateWalkInOrderInput,
    FieldVisitInput,
    PlanWalkInFieldVisitInput,
    Settlement,
    WalkInOrderConnection,
    WalkInOrderPayload,
    WalkInOrderType,
)

register_node(WalkInOrderType, repository.get_readable, WalkInOrderType.from_model)

COUNTER = (Role.ADMIN, Role.MANAGER, Role.AGENT, Role.DISPATCHER)
"""Staff who serve at the counter (and plan the visit it may need)."""
READERS = (*COUNTER, Role.CUSTOMER)


def _lines(lines: list[LineInput]) -> list[dict[str, Any]]:
    return [
        provided(line, exclude=("part_id",))
        | {"part_id": decode_optional_id(line.part_id, "Part", ["lines", str(i), "partId"])}
        for i, line in enumerate(lines)
    ]


def _visit(visit: FieldVisitInput, at: str) -> dict[str, Any]:
    values: dict[str, Any] = provided(visit, exclude=("site_id", "required_skills"))
    values["site_id"] = decode_optional_id(visit.site_id, "Site", [at, "siteId"])
    values["required_skills"] = [
        {"code": s.code, "min_level": s.min_level} for s in visit.required_skills
    ]
    return values


def _order(input: CreateWalkInOrderInput) -> WalkInOrderCreate:
    payment = input.payment
    return WalkInOrderCreate.model_validate(
        {
            "customer_id": decode_id(input.customer_id, "Customer", "customerId"),
            "site_id": decode_optional_id(input.site_id, "Site", "siteId"),
            "asset_id": decode_optional_id(input.asset_id, "Asset", "assetId"),
            "description": input.description,
            "lines": _lines(input.lines),
            "settlement": input.settlement,
            "payment": None if payment is None else vars(payment),
            "field_visit": None
            if input.field_visit is None
            else _visit(input.field_visit, "fieldVisit"),
            "stock_location_id": decode_optional_id(
                input.stock_location_id, "StockLocation", "stockLocationId"
            ),
        }
    )


@strawberry.type
class WalkInQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description="Walk-in orders, newest first: every order for staff, their own for customers.",
    )
    async def walk_in_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        customer_id: strawberry.ID | None = None,
        settlement: Annotated[
            Settlement | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only orders paid this way."),
        ] = None,
    ) -> WalkInOrderConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                customer_id=decode_optional_id(customer_id, "Customer", "customerId"),
                settlement=settlement,
            ),
            WalkInOrder.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=WalkInOrderType.from_model,
            newest_first=True,
        )


@strawberry.type
class WalkInMutation:
    @strawberry.mutation(
        extensions=[allow(*COUNTER)],
        description=(
            "Take a walk-in order at the counter: its lines are priced from the price list and "
            "invoiced at once; PAY_NOW takes the total in cash or by card (receipted), "
            "ON_ACCOUNT leaves it due. Optionally plans a field visit. Counter staff."
        ),
    )
    async def create_walk_in_order(
        self, info: Info, input: CreateWalkInOrderInput
    ) -> WalkInOrderPayload:
        async def action() -> WalkInOrderPayload:
            order = await service.create_order(
                info.context.session, info.context.require_principal(), _order(input)
            )
            return WalkInOrderPayload(order=WalkInOrderType.from_model(order))

        return await execute(
            info, WalkInOrderPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*COUNTER)],
        description="Plan the field visit of a walk-in order taken earlier (one per order).",
    )
    async def plan_walk_in_field_visit(
        self, info: Info, input: PlanWalkInFieldVisitInput
    ) -> WalkInOrderPayload:
        async def action() -> WalkInOrderPayload:
            order = await service.plan_field_visit(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.order_id, "WalkInOrder", "orderId"),
                FieldVisitPlan.model_validate(_visit(input.visit, "visit")),
                input.expected_version,
            )
            return WalkInOrderPayload(order=WalkInOrderType.from_model(order))

        return await execute(
            info, WalkInOrderPayload, action, idempotency_key=input.idempotency_key
        )
