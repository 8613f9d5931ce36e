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
    row: int
    column: str | None
    code: ErrorCode  # type: ignore[valid-type]
    message: str

    @classmethod
    def from_problem(cls, problem: RowProblem) -> RequestImportProblem:
        return cls(
            row=problem.row, column=problem.column, code=problem.code, message=problem.message
        )


@strawberry.type(description="What one row became (or would become, on a dry run).")
class RequestImportRow:
    row: int
    priority: int
    eligibility: str
    duplicate: bool
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


@strawberry.input
class ImportServiceRequestsInput:
    source: ImportSource
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
    dry_run: bool | None = None
    row_count: int | None = None
    created_count: int | None = None
    service_requests: list[RequestRef] | None = None
    rows: list[RequestImportRow] | None = None
    errors: list[RequestImportProblem] | None = strawberry.field(
        default=None, description="Every problem found; when there is one, nothing was imported."
    )
