"""Bulk intake of service requests from CRM exports and spreadsheets."""

from __future__ import annotations

import base64
import binascii
from typing import Any, cast

import strawberry

from app.core.errors import DomainError, ErrorCode
from app.service_requests.bulk_intake import (
    MAX_BYTES,
    ImportFormat,
    ImportReport,
    import_service_requests,
)
from app.service_requests.models import RequestChannel
from resolvers.base import execute
from schema.bulk_intake import (
    ImportServiceRequestsInput,
    ImportServiceRequestsPayload,
    RequestImportProblem,
    RequestImportRow,
)
from schema.context import Info
from schema.errors import UserError
from schema.permissions import staff


async def _content(input: ImportServiceRequestsInput) -> tuple[bytes, ImportFormat]:
    if (input.file is None) == (input.content_base64 is None):
        raise DomainError("send either file or contentBase64", ErrorCode.INVALID, ["file"])
    if input.content_base64 is not None:
        if len(input.content_base64) > MAX_BYTES * 4 // 3 + 4:
            raise DomainError("the file is too large", ErrorCode.INVALID, ["file"])
        try:
            data = base64.b64decode(input.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError("not base64", ErrorCode.INVALID, ["contentBase64"]) from exc
        return data, ImportFormat(input.format or ImportFormat.CSV)
    upload: Any = input.file
    data = await upload.read(MAX_BYTES + 1)
    guessed = ImportFormat.XLSX if str(upload.filename).lower().endswith(".xlsx") else None
    return data, ImportFormat(input.format or guessed or ImportFormat.CSV)


def _payload(report: ImportReport) -> ImportServiceRequestsPayload:
    from schema.service_requests import ServiceRequestType

    user_errors = []
    if report.problems:
        rows = len({p.row for p in report.problems})
        user_errors.append(
            UserError(
                field=["file"],
                message=f"{len(report.problems)} problems in {rows} rows; nothing was imported",
                code=ErrorCode.INVALID,
            )
        )
    return ImportServiceRequestsPayload(
        dry_run=report.dry_run,
        row_count=report.row_count,
        created_count=len(report.created),
        service_requests=[ServiceRequestType.from_model(r) for r in report.created],
        rows=[RequestImportRow.from_outcome(o) for o in report.outcomes],
        errors=[RequestImportProblem.from_problem(p) for p in report.problems],
        user_errors=user_errors,
    )


@strawberry.type
class BulkIntakeMutation:
    @strawberry.mutation(
        extensions=[staff()],
        description="Service requests from a CSV or XLSX file: all rows or none, with a report "
        "of every problem by row and column.",
    )
    async def import_service_requests(
        self, info: Info, input: ImportServiceRequestsInput
    ) -> ImportServiceRequestsPayload:
        async def action() -> ImportServiceRequestsPayload:
            content, fmt = await _content(input)
            report = await import_service_requests(
                info.context.session,
                info.context.require_principal(),
                content,
                fmt,
                RequestChannel(
                    input.source.value if hasattr(input.source, "value") else input.source
                ),
                dry_run=input.dry_run,
            )
            return _payload(report)

        try:
            return await execute(
                info,
                ImportServiceRequestsPayload,
                action,
                idempotency_key=input.idempotency_key,
            )
        finally:
            if input.file is not None:
                await cast(Any, input.file).close()
