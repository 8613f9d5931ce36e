"""GraphQL types for bulk intake of service requests from CSV or XLSX files."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.file_uploads import Upload

from app.service_requests import bulk_intake
from app.service_requests.bulk_intake import RowOutcome, RowProblem
from schema.errors import ErrorCode, Payload

if TYPE_CHECKING:
    from schema.service_requests import ServiceRequestType

RequestRef = Annotated["ServiceRequestType", strawberry.lazy("schema.service_requests")]

ImportFormat = strawberry.enum(bulk_intake.ImportFormat, name="ImportFormat")


@strawberry.enum(name="ImportSource")
class ImportSource(StrEnum):
    """Where imported requests come from (recorded as their channel)."""

    CRM_IMPORT = "CRM_IMPORT"
    """A CRM export."""
    SPREADSHEET_IMPORT = "SPREADSHEET_IMPORT"
    """A spreadsheet."""


@strawberry.type(description="One problem in the file: the row (the header is row 1) and column.")
class RequestImportProblem:
    row: int = strawberry.field(description="Spreadsheet row number; the header is row 1.")
    column: str | None = strawberry.field(
        description="Our name of the column at fault, e.g. customer_ref; null for the whole row."
    )
    code: ErrorCode = strawberry.field(  # type: ignore[valid-type]
        description="Kind of problem, e.g. INVALID or NOT_FOUND."
    )
    message: str = strawberry.field(description="What is wrong, readable by the uploader.")

    @classmethod
    def from_problem(cls, problem: RowProblem) -> RequestImportProblem:
        return cls(
            row=problem.row, column=problem.column, code=problem.code, message=problem.message
        )


@strawberry.type(description="What one row became (or would become, on a dry run).")
class RequestImportRow:
    row: int = strawberry.field(description="Spreadsheet row number; the header is row 1.")
    priority: int = strawberry.field(
        description="Priority the request got, 1 (most urgent) to 5, after rules and any override."
    )
    eligibility: str = strawberry.field(
        description="Who pays, as decided at intake: WARRANTY, CONTRACT or CHARGEABLE."
    )
    duplicate: bool = strawberry.field(
        description="Whether the request was flagged as a duplicate of an open one."
    )
    service_request_id: strawberry.ID | None

    @classmethod
    def from_outcome(cls, outcome: RowOutcome) -> RequestImportRow:
        from schema.ids import encode_id

        request_id = outcome.request_id
        return cls(
            row=outcome.row,
            priority=outcome.priority,
            eligibility=outcome.eligibility,
            duplicate=outcome.duplicate,
            service_request_id=(
                strawberry.ID(encode_id("ServiceRequest", request_id)) if request_id else None
            ),
        )


@strawberry.input(
    description="A CSV or XLSX file of service requests (at most 5 MB and 5,000 rows): "
    "send exactly one of file and contentBase64."
)
class ImportServiceRequestsInput:
    source: ImportSource = strawberry.field(
        description="Where the file comes from; recorded as each request's channel."
    )
    file: Upload | None = strawberry.field(default=None, description="A multipart upload.")
    content_base64: str | None = strawberry.field(
        default=None, description="Or the file's content, base64-encoded."
    )
    format: ImportFormat | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Defaults to the uploaded file's extension (CSV otherwise)."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Validate and report every row; keep nothing."
    )
    idempotency_key: str | None = None


@strawberry.type
class ImportServiceRequestsPayload(Payload):
    dry_run: bool | None = strawberry.field(
        default=None, description="Whether this was a dry run (nothing kept)."
    )
    row_count: int | None = strawberry.field(
        default=None, description="Number of data rows read, header excluded."
    )
    created_count: int | None = strawberry.field(
        default=None, description="Number of requests created; 0 on a dry run or any problem."
    )
    service_requests: list[RequestRef] | None = strawberry.field(
        default=None, description="The requests created; empty on a dry run or any problem."
    )
    rows: list[RequestImportRow] | None = strawberry.field(
        default=None,
        description="Outcome of every row that passed validation, in file order.",
    )
    errors: list[RequestImportProblem] | None = strawberry.field(
        default=None, description="Every problem found; when there is one, nothing was imported."
    )
