"""Depot, repair order, bench queue, tracking and report queries and mutations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import LineIn
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, collect, invalid
from app.core.ratelimit import MemoryLimiter
from app.depot_repair import reports, repository, service, tracking
from app.depot_repair.models import Depot, RepairOrder
from app.depot_repair.models import RepairStatus as RepairStatusEnum
from app.depot_repair.transitions import Action, roles_for
from app.inventory.models import MovementLine, Position, WarehouseCreate
from resolvers.base import execute
from schema.billing import LineInput
from schema.context import Info
from schema.depot_repair import (
    CheckRepairQualityInput,
    ConsumeRepairPartsInput,
    CreateDepotInput,
    DeliverRepairOrderInput,
    DepotConnection,
    DepotPayload,
    DepotRepairReport,
    DepotType,
    OpeningHoursInput,
    ReceiveRepairOrderInput,
    RepairOrderConnection,
    RepairOrderPayload,
    RepairOrderType,
    RepairStatus,
    RepairStepInput,
    RepairTracking,
    RequestRepairPartsInput,
    SendRepairEstimateInput,
    SetBenchTechnicianInput,
    StartRepairDiagnosisInput,
    UpdateDepotInput,
)
from schema.ids import decode_id, decode_optional_id
from schema.inputs import provided
from schema.inventory import StockLineInput
from schema.node import register_node
from schema.pagination import FirstItems, page_size, paginate
from schema.permissions import STAFF, allow, authenticated, staff

READERS = (*STAFF, Role.TECHNICIAN, Role.CUSTOMER)
BENCH = (*STAFF, Role.TECHNICIAN)
DEPOT_ADMINS = (Role.ADMIN, Role.MANAGER)
_fallback_limiter = MemoryLimiter()


register_node(RepairOrderType, repository.get_readable, RepairOrderType.from_model)
register_node(DepotType, repository.get_depot, DepotType.from_model)


def _order_id(raw: strawberry.ID) -> int:
    return decode_id(raw, "RepairOrder", "repairOrderId")


def _hours(rows: list[OpeningHoursInput]) -> list[service.OpeningHours]:
    problems: list[FieldProblem] = []
    found = []
    for i, row in enumerate(rows):
        try:
            found.append(
                service.OpeningHours(
                    weekday=row.weekday,
                    opens=time.fromisoformat(row.opens),
                    closes=time.fromisoformat(row.closes),
                )
            )
        except ValueError as error:
            problems.append(
                FieldProblem(
                    f"give 0-6 and HH:MM times, closing after opening ({str(error)[:80]})",
                    ErrorCode.INVALID,
                    ["openingHours", str(i)],
                )
            )
    collect(problems)
    return found


def _stock_lines(lines: list[StockLineInput], field: str = "lines") -> list[MovementLine]:
    if not 1 <= len(lines) <= 100:
        raise invalid("give 1 to 100 lines", field)
    return [
        MovementLine(
            part_id=decode_id(line.part_id, "Part", [field, str(i), "partId"]),
            quantity=line.quantity,
        )
        for i, line in enumerate(lines)
    ]


def _billing_lines(lines: list[LineInput]) -> list[LineIn]:
    if not 1 <= len(lines) <= 50:
        raise invalid("give 1 to 50 lines", "lines")
    return [
        LineIn.model_validate(
            {
                **provided(line, exclude=("part_id",)),
                "part_id": decode_optional_id(line.part_id, "Part", ["lines", str(i), "partId"]),
            }
        )
        for i, line in enumerate(lines)
    ]


def _period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise DomainError("`to` must be after `from`", ErrorCode.INVALID, ["to"])


Step = Callable[[AsyncSession, Principal, int, int | None], Awaitable[RepairOrder]]


async def _step(info: Info, input: RepairStepInput, step: Step) -> RepairOrderPayload:
    """A plain step: the order and the version the caller saw, nothing more."""
    return await _order_payload(
        info,
        lambda: step(
            info.context.session,
            info.context.require_principal(),
            _order_id(input.repair_order_id),
            input.expected_version,
        ),
        input.idempotency_key,
    )


@strawberry.type
class DepotRepairQuery:
    @strawberry.field(
        extensions=[authenticated()], description="Depots (service centres), by creation."
    )
    async def depots(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> DepotConnection:
        return await paginate(
            info.context.session,
            repository.depots_listed(),
            Depot.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=DepotType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*READERS)],
        description="Repair orders the caller may read (staff all, a bench technician their "
        "depot's, a customer their own), newest first.",
    )
    async def repair_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        depot_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        status: Annotated[
            list[RepairStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only orders in these statuses."),
        ] = None,
    ) -> RepairOrderConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                depot_id=decode_optional_id(depot_id, "Depot", "depotId"),
                customer_id=decode_optional_id(customer_id, "Customer", "customerId"),
                status=list(status) if status else None,
            ),
            RepairOrder.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=RepairOrderType.from_model,
            newest_first=True,
        )

    @strawberry.field(extensions=[allow(*READERS)], description="One repair order, if readable.")
    async def repair_order(self, info: Info, id: strawberry.ID) -> RepairOrderType | None:
        row = await repository.get_readable(
            info.context.session, info.context.principal, decode_id(id, "RepairOrder")
        )
        return RepairOrderType.from_model(row) if row else None

    @strawberry.field(
        extensions=[allow(*BENCH)],
        description="A depot's bench queue: orders needing the bench, highest priority first, "
        "then earliest due, then oldest.",
    )
    async def bench_queue(
        self,
        info: Info,
        depot_id: strawberry.ID,
        first: Annotated[
            int, strawberry.argument(description="At most this many (at most one page).")
        ] = 50,
    ) -> list[RepairOrderType]:
        statement = repository.bench_queue(
            info.context.principal, depot_id=decode_id(depot_id, "Depot", "depotId")
        ).limit(page_size(info.context.settings, first))
        rows = await info.context.session.scalars(statement)
        return [RepairOrderType.from_model(r) for r in rows.all()]

    @strawberry.field(
        extensions=[allow(Role.TECHNICIAN)],
        description="The calling bench technician's own queue, in bench order.",
    )
    async def my_bench_queue(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description="At most this many (at most one page).")
        ] = 50,
    ) -> list[RepairOrderType]:
        principal = info.context.require_principal()
        statement = repository.bench_queue(
            principal, technician_id=principal.technician_id or 0
        ).limit(page_size(info.context.settings, first))
        rows = await info.context.session.scalars(statement)
        return [RepairOrderType.from_model(r) for r in rows.all()]

    @strawberry.field(
        extensions=[allow(*BENCH)],
        description="The repair calendar: open orders due in [from, to), by due time.",
    )
    async def repair_calendar(
        self,
        info: Info,
        from_: Annotated[
            datetime, strawberry.argument(name="from", description="Start (inclusive).")
        ],
        to: Annotated[datetime, strawberry.argument(description="End (exclusive).")],
        depot_id: strawberry.ID | None = None,
        first: Annotated[
            int, strawberry.argument(description="At most this many (at most one page).")
        ] = 100,
    ) -> list[RepairOrderType]:
        _period(from_, to)
        statement = repository.calendar(
            info.context.principal, decode_optional_id(depot_id, "Depot", "depotId"), from_, to
        ).limit(page_size(info.context.settings, first))
        rows = await info.context.session.scalars(statement)
        return [RepairOrderType.from_model(r) for r in rows.all()]

    @strawberry.field(
        extensions=[staff(), FirstItems(20)],
        description="Repair figures per depot over [from, to): turnaround, yield, QC failure "
        "rate, parts per model and fault, replacements.",
    )
    async def depot_repair_reports(
        self,
        info: Info,
        from_: Annotated[
            datetime, strawberry.argument(name="from", description="Start (inclusive).")
        ],
        to: Annotated[datetime, strawberry.argument(description="End (exclusive).")],
        depot_id: strawberry.ID | None = None,
    ) -> list[DepotRepairReport]:
        _period(from_, to)
        wanted = decode_optional_id(depot_id, "Depot", "depotId")
        if wanted is None:
            ids = [d.id for d in (await info.context.session.scalars(repository.depots_listed()))]
        else:
            ids = [wanted]
        found = await reports.depot_reports(
            info.context.session, [i for i in ids if i is not None], from_, to
        )
        return [DepotRepairReport.of(r) for r in found]

    @strawberry.field(
        description="The public status lookup, without logging in: the tracking code on the "
        "receipt and the customer's phone number. Null when they do not match (an unknown "
        "code and a wrong phone answer alike); rate-limited per address and per code "
        "(RATE_LIMITED). Shows the status and its dates only."
    )
    async def repair_order_status(
        self,
        info: Info,
        tracking_code: Annotated[str, strawberry.argument(description="Code on the receipt.")],
        phone: Annotated[str, strawberry.argument(description="The customer's phone number.")],
    ) -> RepairTracking | None:
        limiter = (
            info.context.login_attempts.limiter
            if info.context.login_attempts is not None
            else _fallback_limiter
        )
        request = info.context.request
        address = request.client.host if request is not None and request.client else "unknown"
        wait = await tracking.LookupLimits(limiter).retry_after(address, tracking_code)
        if wait:
            raise DomainError(
                f"too many lookups: try again in {wait} seconds", ErrorCode.RATE_LIMITED
            )
        view = await tracking.lookup(info.context.session, tracking_code, phone)
        return RepairTracking.of(view) if view else None


async def _order_payload(
    info: Info, run: Callable[[], Awaitable[RepairOrder]], key: str | None = None
) -> RepairOrderPayload:
    async def action() -> RepairOrderPayload:
        return RepairOrderPayload(repair_order=RepairOrderType.from_model(await run()))

    return await execute(info, RepairOrderPayload, action, idempotency_key=key)


def _roles(action: Action) -> tuple[Role, ...]:
    return roles_for(action)


@strawberry.type
class DepotRepairMutation:
    @strawberry.mutation(
        extensions=[allow(*DEPOT_ADMINS)],
        description="Open a depot: a new warehouse stock location with hours and repair policy.",
    )
    async def create_depot(self, info: Info, input: CreateDepotInput) -> DepotPayload:
        async def action() -> DepotPayload:
            data = service.DepotCreate(
                warehouse=WarehouseCreate(
                    code=input.code,
                    name=input.name,
                    address=input.address,
                    point=Position(lat=input.point.lat, lng=input.point.lng),
                ),
                phone=input.phone,
                time_zone=input.time_zone,
                opening_hours=_hours(input.opening_hours),
                turnaround_hours=input.turnaround_hours,
                diagnosis_fee=input.diagnosis_fee,
                storage_free_days=input.storage_free_days,
                storage_fee=input.storage_fee,
            )
            depot = await service.create_depot(info.context.session, data)
            return DepotPayload(depot=DepotType.from_model(depot))

        return await execute(info, DepotPayload, action)

    @strawberry.mutation(
        extensions=[allow(*DEPOT_ADMINS)],
        description="Change a depot's phone, hours or repair policy (turnaround, fees).",
    )
    async def update_depot(self, info: Info, input: UpdateDepotInput) -> DepotPayload:
        async def action() -> DepotPayload:
            values = provided(input, exclude=("depot_id", "expected_version", "opening_hours"))
            if input.opening_hours is not strawberry.UNSET:
                values["opening_hours"] = _hours(input.opening_hours or [])
            depot = await service.update_depot(
                info.context.session,
                decode_id(input.depot_id, "Depot", "depotId"),
                service.DepotUpdate.model_validate(values),
                input.expected_version,
            )
            return DepotPayload(depot=DepotType.from_model(depot))

        return await execute(info, DepotPayload, action)

    @strawberry.mutation(
        extensions=[allow(*DEPOT_ADMINS, Role.DISPATCHER)],
        description="Put a technician on a depot's bench (leaving any other depot), or off it.",
    )
    async def set_bench_technician(
        self, info: Info, input: SetBenchTechnicianInput
    ) -> DepotPayload:
        async def action() -> DepotPayload:
            depot_id = decode_id(input.depot_id, "Depot", "depotId")
            await service.set_bench_technician(
                info.context.session,
                depot_id,
                decode_id(input.technician_id, "Technician", "technicianId"),
                input.member,
            )
            depot = await info.context.session.get(Depot, depot_id)
            assert depot is not None
            return DepotPayload(depot=DepotType.from_model(depot))

        return await execute(info, DepotPayload, action)

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.RECEIVE))],
        description="Book an item in at a depot counter: customer (new or existing), item "
        "(registered if unknown, serial checked), fault, accessories, damage, coverage. The "
        "customer is notified with the tracking code.",
    )
    async def receive_repair_order(
        self, info: Info, input: ReceiveRepairOrderInput
    ) -> RepairOrderPayload:
        def run() -> Awaitable[RepairOrder]:
            values = provided(
                input,
                exclude=(
                    "depot_id",
                    "customer_id",
                    "asset_id",
                    "service_request_id",
                    "idempotency_key",
                    "new_asset",
                    "new_customer",
                    "accessories",
                ),
            )
            values["accessories"] = [strawberry.asdict(a) for a in input.accessories]
            if input.new_customer is not None:
                values["new_customer"] = strawberry.asdict(input.new_customer)
            if input.new_asset is not None:
                values["new_asset"] = {
                    **provided(input.new_asset, exclude=("product_model_id",)),
                    "product_model_id": decode_id(
                        input.new_asset.product_model_id,
                        "ProductModel",
                        ["newAsset", "productModelId"],
                    ),
                }
            data = service.Intake.model_validate(
                values
                | {
                    "depot_id": decode_id(input.depot_id, "Depot", "depotId"),
                    "customer_id": decode_optional_id(input.customer_id, "Customer", "customerId"),
                    "asset_id": decode_optional_id(input.asset_id, "Asset", "assetId"),
                    "service_request_id": decode_optional_id(
                        input.service_request_id, "ServiceRequest", "serviceRequestId"
                    ),
                }
            )
            return service.receive_order(
                info.context.session, info.context.require_principal(), data
            )

        return await _order_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.START_DIAGNOSIS))],
        description="Assign the bench technician (a technician takes it themselves) and start "
        "diagnosis: RECEIVED -> DIAGNOSING.",
    )
    async def start_repair_diagnosis(
        self, info: Info, input: StartRepairDiagnosisInput
    ) -> RepairOrderPayload:
        return await _order_payload(
            info,
            lambda: service.start_diagnosis(
                info.context.session,
                info.context.require_principal(),
                _order_id(input.repair_order_id),
                decode_optional_id(input.technician_id, "Technician", "technicianId"),
                input.expected_version,
            ),
            input.idempotency_key,
        )

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.SEND_ESTIMATE))],
        description="Price the repair with coverage per line and send it for the customer's "
        "approval: DIAGNOSING -> ESTIMATE_SENT.",
    )
    async def send_repair_estimate(
        self, info: Info, input: SendRepairEstimateInput
    ) -> RepairOrderPayload:
        return await _order_payload(
            info,
            lambda: service.send_estimate(
                info.context.session,
                info.context.require_principal(),
                _order_id(input.repair_order_id),
                _billing_lines(input.lines),
                input.diagnosis,
                input.expected_version,
            ),
            input.idempotency_key,
        )

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.APPROVE))],
        description="The customer approves the estimate (the desk may, taken by phone): "
        "ESTIMATE_SENT -> APPROVED.",
    )
    async def approve_repair_estimate(
        self, info: Info, input: RepairStepInput
    ) -> RepairOrderPayload:
        return await _decide(info, input, approve=True)

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.DECLINE))],
        description="The customer declines: the item is returned unrepaired and the depot's "
        "diagnosis fee is invoiced (covered like any line): ESTIMATE_SENT -> DECLINED.",
    )
    async def decline_repair_estimate(
        self, info: Info, input: RepairStepInput
    ) -> RepairOrderPayload:
        return await _decide(info, input, approve=False)

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.START_REPAIR))],
        description="Start the approved repair: APPROVED -> IN_REPAIR.",
    )
    async def start_repair(self, info: Info, input: RepairStepInput) -> RepairOrderPayload:
        return await _step(info, input, service.start_repair)

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.REQUEST_PARTS))],
        description="Requisition parts through inventory: APPROVED or IN_REPAIR -> "
        "WAITING_PARTS; the order resumes when the requisition is fulfilled.",
    )
    async def request_repair_parts(
        self, info: Info, input: RequestRepairPartsInput
    ) -> RepairOrderPayload:
        return await _order_payload(
            info,
            lambda: service.request_parts(
                info.context.session,
                info.context.require_principal(),
                _order_id(input.repair_order_id),
                decode_id(input.warehouse_id, "StockLocation", "warehouseId"),
                _stock_lines(input.lines),
                input.expected_version,
                input.notes,
            ),
            input.idempotency_key,
        )

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.RESUME))],
        description="Resume by hand (parts came another way): WAITING_PARTS -> IN_REPAIR. A "
        "fulfilled requisition resumes the order by itself.",
    )
    async def resume_repair(self, info: Info, input: RepairStepInput) -> RepairOrderPayload:
        return await _step(info, input, service.resume)

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN, Role.ADMIN, Role.MANAGER)],
        description="Record parts fitted: they leave the depot's stock through the ledger "
        "(INSUFFICIENT_STOCK when short; nothing is taken then).",
    )
    async def consume_repair_parts(
        self, info: Info, input: ConsumeRepairPartsInput
    ) -> RepairOrderPayload:
        async def run() -> RepairOrder:
            order_id = _order_id(input.repair_order_id)
            await service.consume_parts(
                info.context.session,
                info.context.require_principal(),
                order_id,
                _stock_lines(input.lines),
                input.idempotency_key,
            )
            order = await info.context.session.get(RepairOrder, order_id)
            assert order is not None
            return order

        return await _order_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.SUBMIT_QC))],
        description="The repair is done: IN_REPAIR -> QC.",
    )
    async def submit_repair_for_qc(self, info: Info, input: RepairStepInput) -> RepairOrderPayload:
        return await _step(info, input, service.submit_for_qc)

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.PASS_QC))],
        description="The quality check, by someone other than the repairer: passed -> READY "
        "(the invoice is issued, the customer told); failed -> back to IN_REPAIR.",
    )
    async def check_repair_quality(
        self, info: Info, input: CheckRepairQualityInput
    ) -> RepairOrderPayload:
        return await _order_payload(
            info,
            lambda: service.check_quality(
                info.context.session,
                info.context.require_principal(),
                _order_id(input.repair_order_id),
                input.passed,
                input.reason,
                input.expected_version,
            ),
            input.idempotency_key,
        )

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.DELIVER))],
        description="Hand the item back against the collector's signature: READY or DECLINED "
        "-> DELIVERED; every invoice paid, or on account (managers and admins).",
    )
    async def deliver_repair_order(
        self, info: Info, input: DeliverRepairOrderInput
    ) -> RepairOrderPayload:
        return await _order_payload(
            info,
            lambda: service.deliver(
                info.context.session,
                info.context.require_principal(),
                _order_id(input.repair_order_id),
                service.Handover(
                    signer_name=input.signer_name,
                    signature_ref=input.signature_ref,
                    on_account=input.on_account,
                    notes=input.notes,
                ),
                input.expected_version,
            ),
            input.idempotency_key,
        )

    @strawberry.mutation(
        extensions=[allow(*_roles(Action.CANCEL))],
        description="Cancel an order before the repair (the reason is required).",
    )
    async def cancel_repair_order(self, info: Info, input: RepairStepInput) -> RepairOrderPayload:
        return await _order_payload(
            info,
            lambda: service.cancel(
                info.context.session,
                info.context.require_principal(),
                _order_id(input.repair_order_id),
                input.reason or "",
                input.expected_version,
            ),
            input.idempotency_key,
        )


async def _decide(info: Info, input: RepairStepInput, *, approve: bool) -> RepairOrderPayload:
    return await _order_payload(
        info,
        lambda: service.decide_estimate(
            info.context.session,
            info.context.require_principal(),
            _order_id(input.repair_order_id),
            approve,
            input.reason,
            input.expected_version,
        ),
        input.idempotency_key,
    )


__all__ = ["RepairStatusEnum"]
