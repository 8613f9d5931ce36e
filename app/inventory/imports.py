"""Spreadsheet intake (CSV or XLSX) of the parts catalogue and of stock counts.

All or nothing: every row is checked first and the report names each bad cell (row number
as the spreadsheet shows it, header = row 1; column; message). Only a file without errors is
written, and then in one savepoint, so a failure while writing leaves nothing behind either.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import ProductModel
from app.core.errors import DomainError, ErrorCode
from app.inventory import catalogue
from app.inventory.ledger import Leg, Stamp, post
from app.inventory.models import (
    MovementKind,
    Part,
    PartCreate,
    PartUpdate,
    StockLevel,
    StockLocation,
)

MAX_ROWS = 5_000


class SheetFormat(StrEnum):
    """The file format of an uploaded sheet."""

    CSV = "CSV"
    """Comma-separated values, UTF-8, with a header row."""
    XLSX = "XLSX"
    """An Excel workbook; the first sheet is read."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str | None
    message: str


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    movements: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


Row = tuple[int, dict[str, str]]


# --- reading ------------------------------------------------------------------------------


def detect_format(
    content: bytes, filename: str | None, declared: SheetFormat | None
) -> SheetFormat:
    if declared is not None:
        return declared
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return SheetFormat.XLSX
    return SheetFormat.CSV


def read_rows(content: bytes, sheet_format: SheetFormat) -> list[Row]:
    """Rows as {normalised header: text}, numbered as the spreadsheet shows them."""
    if not content:
        raise DomainError("the file is empty", ErrorCode.INVALID, ["file"])
    try:
        table = _xlsx(content) if sheet_format is SheetFormat.XLSX else _csv(content)
    except (ValueError, KeyError, OSError, csv.Error) as exc:
        raise DomainError(
            f"not a readable {sheet_format.value} file: {exc}", ErrorCode.INVALID, ["file"]
        ) from exc
    header, *body = table or [[]]
    names = [_header(cell) for cell in header]
    if not any(names):
        raise DomainError("the first row must name the columns", ErrorCode.INVALID, ["file"])
    rows = [
        (number, {name: value.strip() for name, value in zip(names, cells, strict=False) if name})
        for number, cells in enumerate(body, start=2)
        if any(value.strip() for value in cells)
    ]
    if len(rows) > MAX_ROWS:
        raise DomainError(f"at most {MAX_ROWS} rows per file", ErrorCode.INVALID, ["file"])
    return rows


def _header(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _csv(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _missing(rows: Sequence[Row], required: Iterable[str]) -> list[RowError]:
    present = set().union(*(set(values) for _, values in rows)) if rows else set()
    return [
        RowError(1, name, "required column is missing") for name in required if name not in present
    ]


# --- parts --------------------------------------------------------------------------------

PART_COLUMNS = ("sku", "name", "unit_cost", "unit_price")
_TRUE = {"1", "true", "yes", "y", "x"}
_FALSE = {"", "0", "false", "no", "n"}


async def import_parts(session: AsyncSession, rows: Sequence[Row]) -> ImportReport:
    """Create parts by SKU, or update the ones that exist; nothing when any row is wrong."""
    report = ImportReport(rows=len(rows), errors=_missing(rows, PART_COLUMNS))
    if report.errors:
        return report
    skus = [values.get("sku", "") for _, values in rows]
    existing = {
        p.sku: p for p in (await session.scalars(select(Part).where(col(Part.sku).in_(skus)))).all()
    }
    models = await _model_codes(session, rows)
    checked: list[tuple[PartCreate, Part | None]] = []
    seen: set[str] = set()
    for number, values in rows:
        data = _part_row(number, values, models, report.errors)
        if data is None:
            continue
        if data.sku in seen:
            report.errors.append(RowError(number, "sku", "the SKU appears twice in the file"))
            continue
        seen.add(data.sku)
        current = existing.get(data.sku)
        if current is not None and current.currency != data.unit_cost.currency:
            report.errors.append(
                RowError(number, "currency", f"the part is priced in {current.currency}")
            )
            continue
        checked.append((data, current))
    if report.errors:
        return report
    for data, current in checked:
        await _write_part(session, data, current, report)
    return report


async def _model_codes(session: AsyncSession, rows: Sequence[Row]) -> dict[str, int]:
    codes = {code for _, values in rows for code in _codes(values.get("compatible_models", ""))}
    if not codes:
        return {}
    found = await session.execute(
        select(col(ProductModel.code), col(ProductModel.id)).where(
            col(ProductModel.code).in_(codes)
        )
    )
    return {code: model_id for code, model_id in found.all() if model_id is not None}


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace("|", ";").replace(",", ";").split(";") if c.strip()]


def _part_row(
    number: int, values: dict[str, str], models: dict[str, int], errors: list[RowError]
) -> PartCreate | None:
    before = len(errors)
    accessory = values.get("accessory", values.get("is_accessory", "")).lower()
    if accessory not in _TRUE | _FALSE:
        errors.append(RowError(number, "accessory", "expected yes or no"))
    codes = _codes(values.get("compatible_models", ""))
    for code in codes:
        if code not in models:
            errors.append(RowError(number, "compatible_models", f"unknown product model {code}"))
    currency = values.get("currency") or "INR"
    raw = {
        "sku": values.get("sku", ""),
        "name": values.get("name", ""),
        "description": values.get("description") or None,
        "unit": values.get("unit") or "EA",
        "unit_cost": {"amount": _decimal(values.get("unit_cost", "")), "currency": currency},
        "unit_price": {"amount": _decimal(values.get("unit_price", "")), "currency": currency},
        "is_accessory": accessory in _TRUE,
        "reorder_level": values.get("reorder_level") or None,
        "compatible_model_ids": [models[c] for c in codes if c in models],
    }
    if "category" in values:  # a sheet without the column leaves categories alone
        raw["category"] = values["category"] or None
    try:
        data = PartCreate.model_validate(raw)
    except ValidationError as exc:
        errors.extend(_validation_errors(number, exc))
        return None
    return data if len(errors) == before else None


def _decimal(text: str) -> Any:
    try:
        return Decimal(text.replace(",", "")) if text else text
    except InvalidOperation:
        return text


_COLUMN_OF = {"unit_cost": "unit_cost", "unit_price": "unit_price", "is_accessory": "accessory"}


def _validation_errors(number: int, exc: ValidationError) -> list[RowError]:
    found = []
    for issue in exc.errors():
        head = str(issue["loc"][0]) if issue["loc"] else None
        column = _COLUMN_OF.get(head or "", head)
        if head in ("unit_cost", "unit_price") and len(issue["loc"]) > 1:
            column = "currency" if issue["loc"][1] == "currency" else head
        found.append(RowError(number, column, str(issue["msg"]).removeprefix("Value error, ")))
    return found


async def _write_part(
    session: AsyncSession, data: PartCreate, current: Part | None, report: ImportReport
) -> None:
    if current is None:
        await catalogue.create_part(session, data)
        report.created += 1
        return
    changes = PartUpdate.model_validate(data.model_dump(exclude={"sku"}, exclude_unset=True))
    if _same(current, data):
        report.unchanged += 1
        return
    assert current.id is not None
    await catalogue.update_part(session, current.id, changes, None)
    report.updated += 1


def _same(current: Part, data: PartCreate) -> bool:
    return (
        current.name == data.name
        and current.description == data.description
        and current.unit == data.unit
        and current.unit_cost == data.unit_cost.amount
        and current.unit_price == data.unit_price.amount
        and current.is_accessory == data.is_accessory
        and current.reorder_level == data.reorder_level
        and ("category" not in data.model_fields_set or current.category == data.category)
        and not data.compatible_model_ids
    )


# --- stock counts -------------------------------------------------------------------------

STOCK_COLUMNS = ("location", "sku", "quantity")


class StockMode(StrEnum):
    COUNT = "COUNT"
    """The quantity is what was counted: the level is set to it (opening stock or ADJUST)."""
    RECEIVE = "RECEIVE"
    """The quantity arrived: it is added."""


@dataclass(frozen=True, slots=True)
class _StockRow:
    number: int
    location_id: int
    part_id: int
    mode: StockMode
    quantity: int


async def import_stock(
    session: AsyncSession, rows: Sequence[Row], actor: str, reference: str | None = None
) -> ImportReport:
    """Counts become RECEIVE (no stock there yet) or ADJUST movements; receipts RECEIVE."""
    report = ImportReport(rows=len(rows), errors=_missing(rows, STOCK_COLUMNS))
    if report.errors:
        return report
    locations, parts = await _stock_refs(session, rows)
    checked: list[_StockRow] = []
    seen: set[tuple[int, int]] = set()
    for number, values in rows:
        row = _stock_row(number, values, locations, parts, report.errors)
        if row is None:
            continue
        if (row.location_id, row.part_id) in seen:
            report.errors.append(
                RowError(number, "sku", "this part appears twice for the location")
            )
            continue
        seen.add((row.location_id, row.part_id))
        checked.append(row)
    levels = await _levels(session, checked)
    receipts, adjustments = _legs(checked, levels, report.errors)
    if report.errors:
        return report
    for kind, legs in ((MovementKind.RECEIVE, receipts), (MovementKind.ADJUST, adjustments)):
        if legs:
            reason = "stock count import" if kind is MovementKind.ADJUST else "stock import"
            stamp = Stamp(actor=actor, reason=reason, reference=reference)
            report.movements += len((await post(session, kind, legs, stamp)).movements)
    report.updated = len(receipts) + len(adjustments)
    report.unchanged = len(checked) - report.updated
    return report


async def _stock_refs(
    session: AsyncSession, rows: Sequence[Row]
) -> tuple[dict[str, int], dict[str, int]]:
    codes = {values.get("location", "") for _, values in rows}
    skus = {values.get("sku", "") for _, values in rows}
    locations = await session.execute(
        select(col(StockLocation.code), col(StockLocation.id)).where(
            col(StockLocation.code).in_(codes), col(StockLocation.archived_at).is_(None)
        )
    )
    parts = await session.execute(
        select(col(Part.sku), col(Part.id)).where(col(Part.sku).in_(skus))
    )
    return (
        {code: i for code, i in locations.all() if i is not None},
        {sku: i for sku, i in parts.all() if i is not None},
    )


def _stock_row(
    number: int,
    values: dict[str, str],
    locations: dict[str, int],
    parts: dict[str, int],
    errors: list[RowError],
) -> _StockRow | None:
    before = len(errors)
    location_id = locations.get(values.get("location", ""))
    if location_id is None:
        errors.append(RowError(number, "location", "unknown stock location code"))
    part_id = parts.get(values.get("sku", ""))
    if part_id is None:
        errors.append(RowError(number, "sku", "unknown SKU"))
    try:
        mode = StockMode((values.get("mode") or "COUNT").upper())
    except ValueError:
        errors.append(RowError(number, "mode", "expected COUNT or RECEIVE"))
        mode = StockMode.COUNT
    text = values.get("quantity", "")
    quantity = int(text) if text.lstrip("-").isdigit() else None
    if quantity is None or quantity < 0 or quantity > 1_000_000:
        errors.append(RowError(number, "quantity", "expected a whole number of units, 0 or more"))
    elif mode is StockMode.RECEIVE and quantity == 0:
        errors.append(RowError(number, "quantity", "a receipt must be at least 1 unit"))
    if len(errors) > before:
        return None
    assert location_id is not None and part_id is not None and quantity is not None
    return _StockRow(number, location_id, part_id, mode, quantity)


async def _levels(
    session: AsyncSession, rows: Sequence[_StockRow]
) -> dict[tuple[int, int], StockLevel]:
    if not rows:
        return {}
    found = await session.scalars(
        select(StockLevel).where(
            col(StockLevel.location_id).in_({r.location_id for r in rows}),
            col(StockLevel.part_id).in_({r.part_id for r in rows}),
        )
    )
    return {(lv.location_id, lv.part_id): lv for lv in found.all()}


def _legs(
    rows: Sequence[_StockRow],
    levels: dict[tuple[int, int], StockLevel],
    errors: list[RowError],
) -> tuple[list[Leg], list[Leg]]:
    receipts: list[Leg] = []
    adjustments: list[Leg] = []
    for row in rows:
        level = levels.get((row.location_id, row.part_id))
        on_hand, reserved = (level.on_hand, level.reserved) if level else (0, 0)
        at = ("rows", str(row.number), "quantity")
        if row.mode is StockMode.RECEIVE:
            receipts.append(Leg(row.location_id, row.part_id, row.quantity, field=at))
        elif row.quantity < reserved:
            errors.append(RowError(row.number, "quantity", f"{reserved} units are reserved there"))
        elif on_hand == 0 and row.quantity > 0:
            receipts.append(Leg(row.location_id, row.part_id, row.quantity, field=at))
        elif row.quantity != on_hand:
            adjustments.append(Leg(row.location_id, row.part_id, row.quantity - on_hand, field=at))
    return receipts, adjustments
