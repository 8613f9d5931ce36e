"""CSV export of a KPI query: `GET /kpis.csv` with the caller's bearer token, streamed.

Query parameters mirror the `kpis` query: `metrics` and `dimensions` (comma-separated enum
names), `from` and `to` (local days, ISO), and optional filters as comma-separated database ids
or values: `territoryIds`, `partnerIds`, `technicianIds`, `productCategories`, `channels`,
`priorities`, `taskTypes`. The same roles, scoping and bounds apply; a refusal is JSON with
the error code (401, 403 or 400). Columns: the bucket, each dimension asked for, then one
column per metric (exact decimals; empty for a rate with nothing to divide by).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from app.core.auth import InvalidToken, principal_from_header
from app.core.errors import DomainError, ErrorCode
from app.kpis.query import COLUMNS, Dimension, Filters, Metric, Row, kpis
from app.notifications.http import error_response

E = TypeVar("E", Metric, Dimension)


def _list(request: Request, name: str) -> list[str]:
    raw = request.query_params.get(name, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def _ints(request: Request, name: str) -> list[int]:
    try:
        return [int(v) for v in _list(request, name)]
    except ValueError:
        raise DomainError(f"{name} takes whole numbers", ErrorCode.INVALID, [name]) from None


def _enums(request: Request, name: str, kind: type[E]) -> list[E]:
    try:
        return [kind(v.upper()) for v in _list(request, name)]
    except ValueError:
        raise DomainError(f"unknown value in {name}", ErrorCode.INVALID, [name]) from None


def _day(request: Request, name: str) -> date:
    try:
        return date.fromisoformat(request.query_params.get(name, ""))
    except ValueError:
        raise DomainError(f"{name} is a day, YYYY-MM-DD", ErrorCode.INVALID, [name]) from None


def _filters(request: Request) -> Filters:
    return Filters(
        territory_ids=_ints(request, "territoryIds"),
        partner_ids=_ints(request, "partnerIds"),
        technician_ids=_ints(request, "technicianIds"),
        product_categories=[v.upper() for v in _list(request, "productCategories")],
        channels=[v.upper() for v in _list(request, "channels")],
        priorities=_ints(request, "priorities"),
        task_types=[v.upper() for v in _list(request, "taskTypes")],
    )


def _line(values: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["" if v is None else v for v in values])
    return out.getvalue()


async def _lines(
    rows: list[Row], metrics: list[Metric], slicers: list[Dimension]
) -> AsyncIterator[str]:
    yield _line(
        ["bucket", *(d.value.lower() for d in slicers), *(m.value.lower() for m in metrics)]
    )
    for row in rows:
        yield _line(
            [row.bucket, *(row.keys.get(d) for d in slicers), *(f.value for f in row.figures)]
        )


async def export_csv(request: Request) -> Response:
    try:
        principal = principal_from_header(
            request.app.state.settings, request.headers.get("authorization")
        )
    except InvalidToken:
        principal = None
    if principal is None:
        return JSONResponse({"error": "UNAUTHENTICATED"}, status_code=401)
    try:
        metrics = list(dict.fromkeys(_enums(request, "metrics", Metric)))
        dimensions = _enums(request, "dimensions", Dimension)
        first, last = _day(request, "from"), _day(request, "to")
        async with request.app.state.sessions() as session:
            rows = await kpis(
                session, principal, metrics, dimensions, first, last, _filters(request)
            )
    except DomainError as error:
        return error_response(error)
    slicers = [d for d in dict.fromkeys(dimensions) if d in COLUMNS]
    return StreamingResponse(
        _lines(rows, metrics, slicers),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="kpis-{first}-{last}.csv"',
            "Cache-Control": "no-store",
        },
    )


ROUTES: list[BaseRoute] = [Route("/kpis.csv", export_csv, methods=["GET"])]
