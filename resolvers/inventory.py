"""Inventory queries and mutations: catalogue, locations, stock movements, requisitions,
nearest stock and spreadsheet imports."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Any

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, collect
from app.core.models import utcnow
from app.inventory import catalogue, imports, repository, requisitions, stock
from app.inventory.ledger import Posted, Stamp
from app.inventory.models import (
    ApprovalThresholdSet,
    MovementLine,
    Part,
    PartCreate,
    PartUpdate,
    Requisition,
    RequisitionCreate,
    StockLevel,
    StockLocation,
    StockMovement,
    WarehouseCreate,
    WarehouseUpdate,
)
from app.inventory.models import StockLocationKind as DomainKind
from app.policies import domains as policy_changes
from resolvers.base import execute
from schema.common import GeoPointInput
from schema.context import Info
from schema.errors import UserError
from schema.ids import decode_id, decode_ids, decode_optional_id
from schema.inputs import ArchiveInput, provided
from schema.inventory import (
    LIVE_POSITION_MAX_AGE,
    AdjustStockInput,
    CreatePartInput,
    CreateRequisitionInput,
    CreateWarehouseInput,
    EnsureVanInput,
    FulfilRequisitionInput,
    ImportPayload,
    ImportSheetInput,
    IssueToVanInput,
    PartConnection,
    PartPayload,
    PartType,
    ReceiveStockInput,
    RejectRequisitionInput,
    RemoveRequisitionApprovalThresholdInput,
    RequisitionApprovalThresholdPayload,
    RequisitionApprovalThresholdType,
    RequisitionConnection,
    RequisitionDecisionInput,
    RequisitionPayload,
    RequisitionStatus,
    RequisitionType,
    ReserveStockInput,
    ReturnToWarehouseInput,
    SetRequisitionApprovalThresholdInput,
    StockAvailability,
    StockLevelConnection,
    StockLevelType,
    StockLineInput,
    StockLocationConnection,
    StockLocationKind,
    StockLocationPayload,
    StockLocationType,
    StockMovementConnection,
    StockMovementPayload,
    StockMovementType,
    TransferStockInput,
    UpdatePartInput,
    UpdateWarehouseInput,
)
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import STAFF, allow

register_node(PartType, repository.get_readable_part, PartType.from_model)
register_node(StockLocationType, repository.get_readable_location, StockLocationType.from_model)
register_node(StockLevelType, repository.get_readable_level, StockLevelType.from_model)
register_node(StockMovementType, repository.get_readable_movement, StockMovementType.from_model)
register_node(RequisitionType, repository.get_readable_requisition, RequisitionType.from_model)

CATALOGUE = (Role.ADMIN, Role.MANAGER)
STOREKEEPERS = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER)
READERS = (*STAFF, Role.TECHNICIAN, Role.PARTNER)
VAN_USERS = (*STOREKEEPERS, Role.TECHNICIAN)


def _lines(lines: list[StockLineInput]) -> list[MovementLine]:
    problems = [
        FieldProblem("quantity must be 1 or more", ErrorCode.INVALID, ["lines", str(i), "quantity"])
        for i, line in enumerate(lines)
        if not 0 < line.quantity <= 1_000_000
    ]
    if not lines:
        problems.append(FieldProblem("give at least one line", ErrorCode.INVALID, ["lines"]))
    collect(problems)
    return [
        MovementLine(
            part_id=decode_id(line.part_id, "Part", ["lines", str(i), "partId"]),
            quantity=line.quantity,
        )
        for i, line in enumerate(lines)
    ]


def _stamp(
    info: Info,
    *,
    reason: str | None = None,
    reference: str | None = None,
    task_id: strawberry.ID | None = None,
    key: str | None = None,
) -> Stamp:
    operation = None
    if key is not None:
        raw = f"{info.field_name}:{info.context.subject}:{key}"
        operation = raw if len(raw) <= 200 else hashlib.sha256(raw.encode()).hexdigest()
    return Stamp(
        actor=info.context.subject,
        reason=reason,
        reference=reference,
        task_id=decode_optional_id(task_id, "Task", "taskId"),
        operation_key=operation,
    )


def _moved(posted: Posted) -> StockMovementPayload:
    return StockMovementPayload(
        movements=[StockMovementType.from_model(m) for m in posted.movements],
        levels=[StockLevelType.from_model(level) for level in posted.levels],
    )


@strawberry.type
class InventoryQuery:
    @strawberry.field(
        extensions=[allow(*STAFF)],
        description="Who approves a requisition by value, per currency.",
    )
    async def requisition_approval_thresholds(
        self, info: Info
    ) -> list[RequisitionApprovalThresholdType]:
        rows = await requisitions.list_thresholds(info.context.session)
        return [RequisitionApprovalThresholdType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=("Catalogue parts; archived ones only with includeArchived."),
    )
    async def parts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Case-insensitive text within the SKU or name."),
        ] = None,
        include_archived: Annotated[
            bool, strawberry.argument(description="Also list archived parts.")
        ] = False,
    ) -> PartConnection:
        statement = repository.listed_parts(
            info.context.principal, search=search, include_archived=include_archived
        )
        return await paginate(
            info.context.session,
            statement,
            Part.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=PartType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "Warehouses and vans the caller may see (partners: warehouses and their own vans)."
        ),
    )
    async def stock_locations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: Annotated[
            StockLocationKind | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only warehouses or only vans; null: both."),
        ] = None,
        include_archived: Annotated[
            bool, strawberry.argument(description="Also list archived locations.")
        ] = False,
    ) -> StockLocationConnection:
        statement = repository.listed_locations(
            info.context.principal, kind=kind, include_archived=include_archived
        )
        return await paginate(
            info.context.session,
            statement,
            StockLocation.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=StockLocationType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "Stock of parts at locations the caller may see, filtered by location and/or part."
        ),
    )
    async def stock_levels(
        self,
        info: Info,
        location_id: strawberry.ID | None = None,
        part_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        include_empty: Annotated[
            bool, strawberry.argument(description="Also list levels with nothing on hand.")
        ] = False,
    ) -> StockLevelConnection:
        statement = repository.listed_levels(
            info.context.principal,
            location_id=decode_optional_id(location_id, "StockLocation", "locationId"),
            part_id=decode_optional_id(part_id, "Part", "partId"),
            include_empty=include_empty,
        )
        return await paginate(
            info.context.session,
            statement,
            StockLevel.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=StockLevelType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=("The stock ledger: staff see every location, others only their own vans."),
    )
    async def movements(
        self,
        info: Info,
        location_id: strawberry.ID | None = None,
        part_id: strawberry.ID | None = None,
        task_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> StockMovementConnection:
        statement = repository.listed_movements(
            info.context.principal,
            location_id=decode_optional_id(location_id, "StockLocation", "locationId"),
            part_id=decode_optional_id(part_id, "Part", "partId"),
            task_id=decode_optional_id(task_id, "Task", "taskId"),
        )
        return await paginate(
            info.context.session,
            statement,
            StockMovement.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=StockMovementType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "Requisitions: staff see all, technicians their own, partners their technicians'."
        ),
    )
    async def requisitions(
        self,
        info: Info,
        status: Annotated[
            list[RequisitionStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these statuses; null or empty: all."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RequisitionConnection:
        statement = repository.readable_requisitions(info.context.principal)
        if status:
            statement = statement.where(Requisition.status.in_(status))  # type: ignore[attr-defined]
        return await paginate(
            info.context.session,
            statement,
            Requisition.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=RequisitionType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "Warehouses and vans holding at least minQuantity available, nearest first (10 "
            "unless first says); vans are placed at their live or home position."
        ),
    )
    async def nearest_stock(
        self,
        info: Info,
        part_id: strawberry.ID,
        point: Annotated[
            GeoPointInput, strawberry.argument(description="Where the part is needed.")
        ],
        min_quantity: Annotated[
            int, strawberry.argument(description="Least units available there, 1 or more.")
        ],
        first: int | None = None,
    ) -> list[StockAvailability]:
        problems = point.problems()
        if min_quantity < 1:
            problems.append(FieldProblem("must be 1 or more", ErrorCode.INVALID, ["minQuantity"]))
        if first is not None and not 1 <= first <= info.context.settings.page_size_max:
            problems.append(FieldProblem("must be within 1..100", ErrorCode.INVALID, ["first"]))
        collect(problems)
        found = await repository.nearest_stock(
            info.context.session,
            info.context.principal,
            decode_id(part_id, "Part", "partId"),
            point.to_lat_lng(),
            min_quantity=min_quantity,
            first=first or 10,
            seen_since=utcnow() - LIVE_POSITION_MAX_AGE,
        )
        return [StockAvailability.from_found(f) for f in found]


@strawberry.type
class InventoryMutation:
    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Admin only: create or replace a currency's approval limits; applies to requisitions "
            "created afterwards."
        ),
    )
    async def set_requisition_approval_threshold(
        self, info: Info, input: SetRequisitionApprovalThresholdInput
    ) -> RequisitionApprovalThresholdPayload:
        async def action() -> RequisitionApprovalThresholdPayload:
            data = ApprovalThresholdSet.model_validate(
                provided(input, exclude=("expected_version",))
            )
            row = await policy_changes.set_approval_threshold(
                info.context.session, info.context.require_principal(), data, input.expected_version
            )
            return RequisitionApprovalThresholdPayload(
                threshold=RequisitionApprovalThresholdType.from_model(row)
            )

        return await execute(info, RequisitionApprovalThresholdPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Admin only: remove a currency's limits; its new requisitions then need a manager."
        ),
    )
    async def remove_requisition_approval_threshold(
        self, info: Info, input: RemoveRequisitionApprovalThresholdInput
    ) -> RequisitionApprovalThresholdPayload:
        async def action() -> RequisitionApprovalThresholdPayload:
            row = await policy_changes.remove_approval_threshold(
                info.context.session,
                info.context.require_principal(),
                input.currency,
                input.expected_version,
            )
            return RequisitionApprovalThresholdPayload(
                threshold=RequisitionApprovalThresholdType.from_model(row)
            )

        return await execute(info, RequisitionApprovalThresholdPayload, action)

    # --- catalogue ------------------------------------------------------------------------

    @strawberry.mutation(
        extensions=[allow(*CATALOGUE)],
        description=("Managers and admins: add a part to the catalogue."),
    )
    async def create_part(self, info: Info, input: CreatePartInput) -> PartPayload:
        async def action() -> PartPayload:
            values = provided(input, exclude=("idempotency_key",))
            values["compatible_model_ids"] = decode_ids(
                [str(i) for i in input.compatible_model_ids], "ProductModel", "compatibleModelIds"
            )
            values["unit_cost"] = vars(input.unit_cost)
            values["unit_price"] = vars(input.unit_price)
            part = await catalogue.create_part(
                info.context.session, PartCreate.model_validate(values)
            )
            return PartPayload(part=PartType.from_model(part))

        return await execute(info, PartPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*CATALOGUE)],
        description=("Managers and admins: change a part; omitted fields stay as they are."),
    )
    async def update_part(self, info: Info, input: UpdatePartInput) -> PartPayload:
        async def action() -> PartPayload:
            values = provided(input, exclude=("id", "expected_version"))
            if values.get("compatible_model_ids") is not None:
                values["compatible_model_ids"] = decode_ids(
                    values["compatible_model_ids"], "ProductModel", "compatibleModelIds"
                )
            for money in ("unit_cost", "unit_price"):
                if values.get(money) is not None:
                    values[money] = vars(values[money])
            part = await catalogue.update_part(
                info.context.session,
                decode_id(input.id, "Part"),
                PartUpdate.model_validate(values),
                input.expected_version,
            )
            return PartPayload(part=PartType.from_model(part))

        return await execute(info, PartPayload, action)

    @strawberry.mutation(
        extensions=[allow(*CATALOGUE)],
        description=(
            "Managers and admins: retire a part; it can no longer be received or requested."
        ),
    )
    async def archive_part(self, info: Info, input: ArchiveInput) -> PartPayload:
        async def action() -> PartPayload:
            part = await catalogue.archive_part(
                info.context.session, decode_id(input.id, "Part"), input.expected_version
            )
            return PartPayload(part=PartType.from_model(part))

        return await execute(info, PartPayload, action)

    @strawberry.mutation(
        extensions=[allow(*CATALOGUE)],
        description=("Managers and admins: add a warehouse."),
    )
    async def create_warehouse(
        self, info: Info, input: CreateWarehouseInput
    ) -> StockLocationPayload:
        async def action() -> StockLocationPayload:
            collect(input.point.problems())
            values = provided(input, exclude=("idempotency_key",))
            values["point"] = vars(input.point)
            location = await catalogue.create_warehouse(
                info.context.session, WarehouseCreate.model_validate(values)
            )
            return StockLocationPayload(location=StockLocationType.from_model(location))

        return await execute(
            info, StockLocationPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*CATALOGUE)],
        description=("Managers and admins: change a warehouse; omitted fields stay as they are."),
    )
    async def update_warehouse(
        self, info: Info, input: UpdateWarehouseInput
    ) -> StockLocationPayload:
        async def action() -> StockLocationPayload:
            values = provided(input, exclude=("id", "expected_version"))
            if isinstance(input.point, GeoPointInput):
                collect(input.point.problems())
                values["point"] = vars(input.point)
            location = await catalogue.update_warehouse(
                info.context.session,
                decode_id(input.id, "StockLocation"),
                WarehouseUpdate.model_validate(values),
                input.expected_version,
            )
            return StockLocationPayload(location=StockLocationType.from_model(location))

        return await execute(info, StockLocationPayload, action)

    @strawberry.mutation(
        extensions=[allow(*CATALOGUE)],
        description=("Managers and admins: retire a warehouse."),
    )
    async def archive_warehouse(self, info: Info, input: ArchiveInput) -> StockLocationPayload:
        async def action() -> StockLocationPayload:
            location = await catalogue.archive_warehouse(
                info.context.session, decode_id(input.id, "StockLocation"), input.expected_version
            )
            return StockLocationPayload(location=StockLocationType.from_model(location))

        return await execute(info, StockLocationPayload, action)

    @strawberry.mutation(
        extensions=[allow(*STOREKEEPERS)],
        description=(
            "Dispatchers, managers, admins: the technician's van, created if it does not exist yet."
        ),
    )
    async def ensure_van(self, info: Info, input: EnsureVanInput) -> StockLocationPayload:
        async def action() -> StockLocationPayload:
            technician_id = decode_id(input.technician_id, "Technician", "technicianId")
            van = await catalogue.ensure_van(info.context.session, technician_id)
            return StockLocationPayload(location=StockLocationType.from_model(van))

        return await execute(info, StockLocationPayload, action)

    # --- movements ------------------------------------------------------------------------

    @strawberry.mutation(
        extensions=[allow(*STOREKEEPERS)],
        description=(
            "Dispatchers, managers, admins: book goods in at a warehouse (RECEIVE movements)."
        ),
    )
    async def receive_stock(self, info: Info, input: ReceiveStockInput) -> StockMovementPayload:
        async def action() -> StockMovementPayload:
            stamp = _stamp(
                info, reason=input.reason, reference=input.reference, key=input.idempotency_key
            )
            location_id = decode_id(input.location_id, "StockLocation", "locationId")
            posted = await stock.receive(
                info.context.session, location_id, _lines(input.lines), stamp
            )
            return _moved(posted)

        return await execute(
            info, StockMovementPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*STOREKEEPERS)],
        description=(
            "Dispatchers, managers, admins: move available units from a warehouse to a "
            "technician's van."
        ),
    )
    async def issue_to_van(self, info: Info, input: IssueToVanInput) -> StockMovementPayload:
        async def action() -> StockMovementPayload:
            stamp = _stamp(
                info, reason=input.reason, task_id=input.task_id, key=input.idempotency_key
            )
            posted = await stock.issue_to_van(
                info.context.session,
                decode_id(input.warehouse_id, "StockLocation", "warehouseId"),
                decode_id(input.technician_id, "Technician", "technicianId"),
                _lines(input.lines),
                stamp,
            )
            return _moved(posted)

        return await execute(
            info, StockMovementPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*STOREKEEPERS)],
        description=("Dispatchers, managers, admins: move available units between two locations."),
    )
    async def transfer_stock(self, info: Info, input: TransferStockInput) -> StockMovementPayload:
        async def action() -> StockMovementPayload:
            stamp = _stamp(info, reason=input.reason, key=input.idempotency_key)
            posted = await stock.transfer(
                info.context.session,
                decode_id(input.from_location_id, "StockLocation", "fromLocationId"),
                decode_id(input.to_location_id, "StockLocation", "toLocationId"),
                _lines(input.lines),
                stamp,
            )
            return _moved(posted)

        return await execute(
            info, StockMovementPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(Role.MANAGER, Role.ADMIN)],
        description=(
            "Managers and admins: correct a count after a stocktake, damage or loss (ADJUST)."
        ),
    )
    async def adjust_stock(self, info: Info, input: AdjustStockInput) -> StockMovementPayload:
        async def action() -> StockMovementPayload:
            stamp = _stamp(info, reason=input.reason, key=input.idempotency_key)
            posted = await stock.adjust(
                info.context.session,
                decode_id(input.location_id, "StockLocation", "locationId"),
                decode_id(input.part_id, "Part", "partId"),
                input.delta,
                stamp,
            )
            return _moved(posted)

        return await execute(
            info, StockMovementPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*VAN_USERS)],
        description=(
            "Set units aside (for a task): they stay on hand but are no longer available; "
            "technicians at their own van only."
        ),
    )
    async def reserve_stock(self, info: Info, input: ReserveStockInput) -> StockMovementPayload:
        return await _reservation(info, input, release=False)

    @strawberry.mutation(
        extensions=[allow(*VAN_USERS)],
        description=("Give reserved units back to available; technicians at their own van only."),
    )
    async def release_stock(self, info: Info, input: ReserveStockInput) -> StockMovementPayload:
        return await _reservation(info, input, release=True)

    @strawberry.mutation(
        extensions=[allow(*VAN_USERS)],
        description=(
            "Move unused parts from a technician's van back to a warehouse; technicians for their "
            "own van only."
        ),
    )
    async def return_to_warehouse(
        self, info: Info, input: ReturnToWarehouseInput
    ) -> StockMovementPayload:
        async def action() -> StockMovementPayload:
            posted = await requisitions.return_unused(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.technician_id, "Technician", "technicianId"),
                decode_id(input.warehouse_id, "StockLocation", "warehouseId"),
                _lines(input.lines),
                reason=input.reason,
                task_id=decode_optional_id(input.task_id, "Task", "taskId"),
                requisition_id=decode_optional_id(
                    input.requisition_id, "Requisition", "requisitionId"
                ),
            )
            return _moved(posted)

        return await execute(
            info, StockMovementPayload, action, idempotency_key=input.idempotency_key
        )

    # --- requisitions ---------------------------------------------------------------------

    @strawberry.mutation(
        extensions=[allow(*VAN_USERS)],
        description=(
            "Ask for parts for a technician's van (technicians: their own); starts "
            "PENDING_APPROVAL, approver set by value."
        ),
    )
    async def create_requisition(
        self, info: Info, input: CreateRequisitionInput
    ) -> RequisitionPayload:
        async def action() -> RequisitionPayload:
            data = RequisitionCreate(
                technician_id=decode_id(input.technician_id, "Technician", "technicianId"),
                warehouse_id=decode_id(input.warehouse_id, "StockLocation", "warehouseId"),
                task_id=decode_optional_id(input.task_id, "Task", "taskId"),
                needed_by=input.needed_by,
                notes=input.notes,
                lines=_lines(input.lines),
            )
            row = await requisitions.create_requisition(
                info.context.session, info.context.require_principal(), data
            )
            return RequisitionPayload(requisition=RequisitionType.from_model(row))

        return await execute(
            info, RequisitionPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*STOREKEEPERS)],
        description=(
            "Dispatchers, managers, admins: approve a PENDING_APPROVAL requisition if their role "
            "reaches its approverRole."
        ),
    )
    async def approve_requisition(
        self, info: Info, input: RequisitionDecisionInput
    ) -> RequisitionPayload:
        async def action() -> RequisitionPayload:
            row = await requisitions.approve_requisition(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Requisition"),
                input.expected_version,
            )
            return RequisitionPayload(requisition=RequisitionType.from_model(row))

        return await execute(info, RequisitionPayload, action)

    @strawberry.mutation(
        extensions=[allow(*STOREKEEPERS)],
        description=(
            "Dispatchers, managers, admins: reject a PENDING_APPROVAL requisition, with a reason."
        ),
    )
    async def reject_requisition(
        self, info: Info, input: RejectRequisitionInput
    ) -> RequisitionPayload:
        async def action() -> RequisitionPayload:
            row = await requisitions.reject_requisition(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Requisition"),
                input.reason,
                input.expected_version,
            )
            return RequisitionPayload(requisition=RequisitionType.from_model(row))

        return await execute(info, RequisitionPayload, action)

    @strawberry.mutation(
        extensions=[allow(*VAN_USERS)],
        description=(
            "Withdraw a PENDING_APPROVAL or APPROVED requisition (technicians: their own)."
        ),
    )
    async def cancel_requisition(
        self, info: Info, input: RequisitionDecisionInput
    ) -> RequisitionPayload:
        async def action() -> RequisitionPayload:
            row = await requisitions.cancel_requisition(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Requisition"),
                input.expected_version,
            )
            return RequisitionPayload(requisition=RequisitionType.from_model(row))

        return await execute(info, RequisitionPayload, action)

    @strawberry.mutation(
        extensions=[allow(*STOREKEEPERS)],
        description=(
            "Issue an APPROVED or PARTIALLY_FULFILLED requisition's parts from its warehouse to "
            "the van."
        ),
    )
    async def fulfil_requisition(
        self, info: Info, input: FulfilRequisitionInput
    ) -> RequisitionPayload:
        async def action() -> RequisitionPayload:
            quantities = None
            if input.lines is not None:
                quantities = {line.part_id: line.quantity for line in _lines(input.lines)}
            row, posted = await requisitions.fulfil_requisition(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Requisition"),
                quantities,
                input.expected_version,
            )
            return RequisitionPayload(
                requisition=RequisitionType.from_model(row),
                movements=[StockMovementType.from_model(m) for m in posted.movements],
            )

        return await execute(
            info, RequisitionPayload, action, idempotency_key=input.idempotency_key
        )

    # --- imports --------------------------------------------------------------------------

    @strawberry.mutation(
        extensions=[allow(*CATALOGUE)],
        description=(
            "Managers and admins: create or update parts by SKU from a sheet; all or nothing."
        ),
    )
    async def import_parts(self, info: Info, input: ImportSheetInput) -> ImportPayload:
        async def action() -> ImportPayload:
            rows = await _read_sheet(input)
            report = await imports.import_parts(info.context.session, rows)
            return _imported(report)

        return await execute(info, ImportPayload, action)

    @strawberry.mutation(
        extensions=[allow(*CATALOGUE)],
        description=(
            "Managers and admins: stock counts (mode COUNT, default) or receipts (RECEIVE) from a "
            "sheet; all or nothing."
        ),
    )
    async def import_stock(self, info: Info, input: ImportSheetInput) -> ImportPayload:
        async def action() -> ImportPayload:
            rows = await _read_sheet(input)
            report = await imports.import_stock(
                info.context.session, rows, info.context.subject, input.reference
            )
            return _imported(report)

        return await execute(info, ImportPayload, action)


async def _reservation(
    info: Info, input: ReserveStockInput, *, release: bool
) -> StockMovementPayload:
    async def action() -> StockMovementPayload:
        if input.quantity < 1:
            raise DomainError("quantity must be 1 or more", ErrorCode.INVALID, ["quantity"])
        location_id = decode_id(input.location_id, "StockLocation", "locationId")
        await _may_touch(info, location_id)
        operation = stock.release if release else stock.reserve
        stamp = _stamp(info, reason=input.reason, task_id=input.task_id, key=input.idempotency_key)
        posted = await operation(
            info.context.session,
            location_id,
            decode_id(input.part_id, "Part", "partId"),
            input.quantity,
            stamp,
        )
        return _moved(posted)

    return await execute(info, StockMovementPayload, action, idempotency_key=input.idempotency_key)


async def _may_touch(info: Info, location_id: int) -> None:
    """A technician reserves and releases at their own van only."""
    principal = info.context.require_principal()
    if principal.role is not Role.TECHNICIAN:
        return
    location = await info.context.session.get(StockLocation, location_id)
    if location is None or location.kind is not DomainKind.VAN:
        raise DomainError(
            "a technician may only use their own van", ErrorCode.FORBIDDEN, ["locationId"]
        )
    stock.may_use_van(principal, location.technician_id or 0)


async def _read_sheet(input: ImportSheetInput) -> list[imports.Row]:
    if (input.file is None) == (input.content_base64 is None):
        raise DomainError("send either file or contentBase64", ErrorCode.INVALID, ["file"])
    filename = input.filename
    if input.file is not None:
        upload: Any = input.file
        try:
            content = await upload.read()
        finally:
            await upload.close()
        filename = filename or getattr(upload, "filename", None)
    else:
        try:
            content = base64.b64decode(input.content_base64 or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError("not valid base64", ErrorCode.INVALID, ["contentBase64"]) from exc
    sheet_format = imports.detect_format(content, filename, input.format)
    return imports.read_rows(content, sheet_format)


def _imported(report: imports.ImportReport) -> ImportPayload:
    if report.ok:
        return ImportPayload.from_report(report)
    summary = UserError(
        field=["file"],
        message=f"{len(report.errors)} problem(s) in the file; nothing was imported",
        code=ErrorCode.INVALID,
    )
    return ImportPayload.from_report(report, user_errors=[summary])
