"""Bulk intake: service requests from a CSV or XLSX file (CRM exports, spreadsheets).

Columns are found by their header names. Every row goes through the same intake as a single
request (eligibility, priority rules, duplicate flagging). The whole file is one savepoint:
if any row has a problem nothing is kept, and the report names every problem by row and column.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.assets.models import Asset
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, FieldProblem
from app.core.events import discard_events_after, pending_events
from app.customers.models import Customer, Site
from app.service_requests import service
from app.service_requests.models import (
    PriorityOverride,
    RequestCategory,
    RequestChannel,
    ServiceRequest,
    ServiceRequestCreate,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000


class ImportFormat(StrEnum):
    """The file format of a request import."""

    CSV = "CSV"
    """Comma-separated values, UTF-8, with a header row."""
    XLSX = "XLSX"
    """An Excel workbook; the first sheet is read."""


IMPORT_SOURCES = (RequestChannel.CRM_IMPORT, RequestChannel.SPREADSHEET_IMPORT)

COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_ref": (
        "customer_ref",
        "customer_external_ref",
        "customer_id",
        "account",
        "account_id",
    ),
    "customer_email": ("customer_email", "email"),
    "customer_phone": ("customer_phone", "phone", "mobile"),
    "site_address": ("site_address", "address", "address_line"),
    "site_name": ("site_name", "site"),
    "asset_serial": ("asset_serial", "serial", "serial_number"),
    "category": ("category", "type", "service_type"),
    "description": ("description", "problem", "issue", "complaint"),
    "priority": ("priority", "priority_override"),
    "priority_reason": ("priority_reason", "override_reason"),
    "contact_name": ("contact_name",),
    "contact_phone": ("contact_phone",),
    "external_ref": ("external_ref", "ticket", "ticket_id", "case_number", "reference"),
}
"""Our column -> the header names (normalised: lower case, words joined by _) that mean it."""

CUSTOMER_COLUMNS = ("customer_ref", "customer_email", "customer_phone")
_FIELD_COLUMNS = {
    "customerId": "customer_ref",
    "siteId": "site_address",
    "assetId": "asset_serial",
    "description": "description",
    "category": "category",
    "contactName": "contact_name",
    "contactPhone": "contact_phone",
    "externalRef": "external_ref",
    "priority": "priority",
    "reason": "priority_reason",
}


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    """The spreadsheet row number (the header is row 1)."""
    column: str | None
    code: ErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: int
    request_id: int | None
    """None on a dry run (nothing was kept)."""
    priority: int
    eligibility: str
    duplicate: bool


@dataclass(slots=True)
class ImportReport:
    dry_run: bool
    row_count: int = 0
    outcomes: list[RowOutcome] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    created: list[ServiceRequest] = field(default_factory=list)


class RowError(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems


def _normalise(header: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(header or "").strip().lower()).strip("_")


def _header_map(headers: list[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    names = [_normalise(h) for h in headers]
    for column, aliases in COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases and column not in found:
                found[column] = index
    return found


def _cells(content: bytes, fmt: ImportFormat) -> Iterator[list[object]]:
    if fmt is ImportFormat.CSV:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError("the CSV file is not UTF-8", ErrorCode.INVALID, ["file"]) from exc
        yield from csv.reader(io.StringIO(text))
        return
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DomainError("not an XLSX workbook", ErrorCode.INVALID, ["file"]) from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def read_rows(content: bytes, fmt: ImportFormat) -> tuple[dict[str, int], list[dict[str, str]]]:
    """The header map and the non-empty rows as {column: text}; refuses oversized files."""
    if len(content) > MAX_BYTES:
        raise DomainError(
            f"the file may be at most {MAX_BYTES // (1024 * 1024)} MB", ErrorCode.INVALID, ["file"]
        )
    rows = _cells(content, fmt)
    headers = _header_map(next(rows, []))
    records: list[dict[str, str]] = []
    for cells in rows:
        record = {
            column: str(cells[index]).strip()
            for column, index in headers.items()
            if index < len(cells) and cells[index] is not None and str(cells[index]).strip()
        }
        records.append(record)
        if len(records) > MAX_ROWS:
            raise DomainError(
                f"the file may have at most {MAX_ROWS} rows", ErrorCode.INVALID, ["file"]
            )
    while records and not records[-1]:
        records.pop()
    return headers, records


def _missing_headers(headers: dict[str, int]) -> list[RowProblem]:
    problems = [
        RowProblem(1, column, ErrorCode.INVALID, f"no {column} column")
        for column in ("description", "category")
        if column not in headers
    ]
    if not any(c in headers for c in CUSTOMER_COLUMNS):
        problems.append(
            RowProblem(
                1,
                "customer_ref",
                ErrorCode.INVALID,
                "a customer_ref, customer_email or customer_phone column is needed",
            )
        )
    return problems


def _problem(
    row: int, column: str | None, message: str, code: ErrorCode = ErrorCode.INVALID
) -> RowError:
    return RowError([RowProblem(row, column, code, message)])


async def _one(session: AsyncSession, statement: Any, row: int, column: str, what: str) -> Any:
    found = (await session.scalars(statement.limit(2))).all()
    if not found:
        raise _problem(row, column, f"no {what} matches", ErrorCode.NOT_FOUND)
    if len(found) > 1:
        raise _problem(row, column, f"more than one {what} matches")
    return found[0]


async def _customer(session: AsyncSession, record: dict[str, str], row: int) -> Customer:
    statement = select(Customer).where(col(Customer.archived_at).is_(None))
    if "customer_ref" in record:
        column = "customer_ref"
        statement = statement.where(col(Customer.external_ref) == record[column])
    elif "customer_email" in record:
        column = "customer_email"
        statement = statement.where(func.lower(col(Customer.email)) == record[column].lower())
    elif "customer_phone" in record:
        column = "customer_phone"
        statement = statement.where(col(Customer.phone) == record[column])
    else:
        raise _problem(row, "customer_ref", "the customer is missing")
    customer: Customer = await _one(session, statement, row, column, "customer")
    return customer


async def _site(
    session: AsyncSession, record: dict[str, str], customer: Customer, asset: Asset | None, row: int
) -> Site:
    statement = select(Site).where(
        col(Site.customer_id) == customer.id, col(Site.archived_at).is_(None)
    )
    if "site_address" in record:
        column = "site_address"
        address = record[column].lower()
        statement = statement.where(func.lower(col(Site.address_line)) == address)
    elif "site_name" in record:
        column = "site_name"
        statement = statement.where(func.lower(col(Site.name)) == record[column].lower())
    elif asset is not None:
        column = "asset_serial"
        statement = statement.where(col(Site.id) == asset.site_id)
    else:
        column = "site_address"  # the customer's only site, if it has one
    site: Site = await _one(session, statement, row, column, "site of the customer")
    return site


async def _asset(
    session: AsyncSession, record: dict[str, str], customer: Customer, row: int
) -> Asset | None:
    if "asset_serial" not in record:
        return None
    statement = select(Asset).where(
        col(Asset.customer_id) == customer.id,
        func.lower(col(Asset.serial_number)) == record["asset_serial"].lower(),
    )
    asset: Asset = await _one(session, statement, row, "asset_serial", "asset of the customer")
    return asset


def _category(record: dict[str, str], row: int) -> RequestCategory:
    value = _normalise(record.get("category", "")).upper()
    try:
        return RequestCategory(value)
    except ValueError:
        allowed = ", ".join(c.value.lower() for c in RequestCategory)
        raise _problem(row, "category", f"category must be one of {allowed}") from None


def _override(record: dict[str, str], source: RequestChannel, row: int) -> PriorityOverride | None:
    if "priority" not in record:
        return None
    raw = record["priority"].upper().removeprefix("P")
    if not raw.isdigit():
        raise _problem(row, "priority", "priority must be a number from 1 to 5")
    reason = record.get("priority_reason") or f"set in the {source.value.lower()} file"
    return PriorityOverride.model_validate({"priority": int(raw), "reason": reason})


async def _request_data(
    session: AsyncSession, record: dict[str, str], source: RequestChannel, row: int
) -> ServiceRequestCreate:
    customer = await _customer(session, record, row)
    asset = await _asset(session, record, customer, row)
    site = await _site(session, record, customer, asset, row)
    return ServiceRequestCreate.model_validate(
        {
            "customer_id": customer.id,
            "site_id": site.id,
            "asset_id": asset.id if asset else None,
            "channel": source,
            "category": _category(record, row),
            "description": record.get("description", ""),
            "contact_name": record.get("contact_name"),
            "contact_phone": record.get("contact_phone"),
            "external_ref": record.get("external_ref"),
        }
    )


def _as_problems(error: DomainError | ValidationError, row: int) -> list[RowProblem]:
    if isinstance(error, DomainError):
        return [_from_field(p, row) for p in error.problems]
    return [
        RowProblem(
            row,
            _FIELD_COLUMNS.get(_camel(str(issue["loc"][0])) if issue["loc"] else ""),
            ErrorCode.INVALID,
            str(issue["msg"]).removeprefix("Value error, "),
        )
        for issue in error.errors()
    ]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _from_field(problem: FieldProblem, row: int) -> RowProblem:
    column = _FIELD_COLUMNS.get(problem.field[0]) if problem.field else None
    return RowProblem(row, column, problem.code, problem.message)


async def _import_row(
    session: AsyncSession,
    principal: Principal,
    record: dict[str, str],
    source: RequestChannel,
    row: int,
) -> ServiceRequest:
    override = _override(record, source, row)
    data = await _request_data(session, record, source, row)
    request = await service.create_service_request(session, principal, data)
    if override is not None and request.id is not None:
        request = await service.override_priority(session, request.id, override, None)
    return request


async def import_service_requests(
    session: AsyncSession,
    principal: Principal,
    content: bytes,
    fmt: ImportFormat,
    source: RequestChannel,
    *,
    dry_run: bool = False,
) -> ImportReport:
    """Validate and create every row, or nothing: the report lists each row's outcome and
    every problem. A dry run validates the same way and keeps nothing."""
    if source not in IMPORT_SOURCES:
        raise DomainError("source must be CRM_IMPORT or SPREADSHEET_IMPORT", field=["source"])
    headers, records = read_rows(content, fmt)
    report = ImportReport(dry_run=dry_run, row_count=len(records))
    report.problems = _missing_headers(headers)
    if report.problems:
        return report
    if not records:
        raise DomainError("the file has no rows", ErrorCode.INVALID, ["file"])
    mark = len(pending_events(session))
    whole = await session.begin_nested()
    for row, record in enumerate(records, start=2):
        if not record:
            continue
        try:
            async with session.begin_nested():
                request = await _import_row(session, principal, record, source, row)
        except RowError as error:
            report.problems += error.problems
            continue
        except (DomainError, ValidationError) as error:
            report.problems += _as_problems(error, row)
            continue
        report.created.append(request)
        report.outcomes.append(
            RowOutcome(
                row,
                request.id,
                request.priority,
                request.eligibility_status.value,
                request.duplicate_of_id is not None,
            )
        )
    if report.problems or dry_run:
        await whole.rollback()
        discard_events_after(session, mark)
        report.created = []
        report.outcomes = [
            RowOutcome(o.row, None, o.priority, o.eligibility, o.duplicate) for o in report.outcomes
        ]
    else:
        await whole.commit()
    return report
