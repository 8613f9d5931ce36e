"""The payment link's public HTTP side: the customer opens it; the provider calls back.

GET  /pay/{token}           the amount due and the link's status (JSON)
POST /pay/{token}/callback  the provider's signed notice (X-Provider-Signature: hex
                            HMAC-SHA256 of the raw body); {"providerRef", "amount",
                            "status": "SUCCEEDED"}. Idempotent on providerRef. Money taken
                            is always recorded: the invoice takes what is due now, the rest
                            (a link paid after the invoice was paid or credited) is held as
                            the customer's credit with an alert to refund it ("status":
                            "OVERPAID", "credited"). The payment commits first; an
                            accessory's part is then consumed from the van in its own
                            transaction (a short van leaves the upsell PAID_PENDING_STOCK
                            and alerts the dispatcher).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.billing import links, payments
from app.core.db import SessionFactory, unit_of_work
from app.core.errors import DomainError, ErrorCode
from app.core.events import Broker

log = structlog.get_logger("fieldgraph.billing")

_STATUS = {ErrorCode.INVALID: 400, ErrorCode.NOT_FOUND: 404, ErrorCode.CONFLICT: 409}


def _services(request: Request) -> tuple[SessionFactory, Broker | None]:
    """The app's session factory and broker, held by its GraphQL endpoint (routes are
    mounted without them; see the report on app.state)."""
    state = getattr(request.app.state, "sessions", None)
    if state is not None:
        return state, getattr(request.app.state, "broker", None)
    for route in request.app.router.routes:
        endpoint: Any = getattr(route, "app", None) or getattr(route, "endpoint", None)
        if hasattr(endpoint, "sessions"):
            return endpoint.sessions, getattr(endpoint, "broker", None)
    raise RuntimeError("no session factory mounted")


def _refused(error: DomainError) -> JSONResponse:
    problem = error.problems[0]
    return JSONResponse(
        {"error": problem.code.value, "message": problem.message},
        status_code=_STATUS.get(problem.code, 400),
    )


async def show_link(request: Request) -> JSONResponse:
    sessions, broker = _services(request)
    try:
        async with unit_of_work(sessions, broker) as session:
            view = await payments.view_link(session, request.path_params["token"])
    except DomainError as error:
        return _refused(error)
    return JSONResponse(
        {
            "invoiceNumber": view.invoice.number,
            "amount": str(view.amount),
            "currency": view.link.currency,
            "status": view.status.value,
            "expiresAt": view.link.expires_at.isoformat(),
        }
    )


async def provider_callback(request: Request) -> JSONResponse:
    body = await request.body()
    if not links.provider_signature_ok(body, request.headers.get("x-provider-signature")):
        return JSONResponse({"error": "FORBIDDEN", "message": "bad signature"}, status_code=403)
    try:
        notice = json.loads(body)
        amount = Decimal(str(notice["amount"]))
        reference = str(notice["providerRef"])
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return JSONResponse({"error": "INVALID", "message": "malformed notice"}, status_code=400)
    if notice.get("status") != "SUCCEEDED":
        return JSONResponse({"status": "IGNORED"})
    sessions, broker = _services(request)
    try:
        async with unit_of_work(sessions, broker) as session:
            paid = await payments.pay_by_link(
                session, request.path_params["token"], reference, amount
            )
    except DomainError as error:
        return _refused(error)
    # the money is committed; an accessory's part leaves the van in a transaction of its own
    delivered = await _deliver(sessions, broker, paid.invoice_id) if paid.payment else None
    answer: dict[str, Any] = {
        "status": "PAID" if paid.credit is None else "OVERPAID",
        "receiptNumber": paid.receipt_number,
        "duplicate": not paid.new,
    }
    if paid.credit is not None:
        answer["credited"] = str(paid.credit.amount)
    if delivered is not None:
        answer["upsellStatus"] = delivered
    return JSONResponse(answer)


async def _deliver(sessions: SessionFactory, broker: Broker | None, invoice_id: int) -> str | None:
    """Consume a paid accessory's part (or flag the short van). A failure here never turns
    the provider's notice into an error: the payment stands and the retry job delivers."""
    try:
        async with unit_of_work(sessions, broker) as session:
            offer = await payments.deliver_paid_upsell(session, invoice_id)
            return None if offer is None else offer.status.value
    except Exception:
        log.exception("upsell delivery after payment failed", invoice_id=invoice_id)
        return None


ROUTES: list[BaseRoute] = [
    Route("/pay/{token}", show_link, methods=["GET"]),
    Route("/pay/{token}/callback", provider_callback, methods=["POST"]),
]
