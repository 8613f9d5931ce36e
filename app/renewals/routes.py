"""The offer link's public HTTP side: the customer opens, accepts or declines an offer.

GET  /offers/{token}          the offer (JSON)
POST /offers/{token}/accept   accept it; again: the same answer, nothing new
POST /offers/{token}/decline  {"reason": "..."} decline it, the reason kept as the lost reason

A forged or altered token is 400 INVALID; an expired link, a replaced offer or an answer that
contradicts the first is 409.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.contracts.models import Contract
from app.core.db import unit_of_work
from app.core.errors import DomainError, ErrorCode, from_validation
from app.core.models import utcnow
from app.notifications.http import error_response, services
from app.renewals import service
from app.renewals.models import Offer

CONFLICTS = (ErrorCode.CONFLICT, ErrorCode.INVALID_TRANSITION)


def _refused(error: DomainError) -> JSONResponse:
    response = error_response(error)
    if error.code in CONFLICTS:
        response.status_code = 409
    return response


async def _view(session: Any, offer: Offer) -> dict[str, Any]:
    contract = await session.get(Contract, offer.new_contract_id) if offer.new_contract_id else None
    return {
        "offer": service.offer_ref(offer),
        "kind": offer.kind.value,
        "stage": offer.stage.value,
        "contractKind": offer.contract_kind.value,
        "startsOn": offer.starts_on.isoformat() if offer.starts_on else None,
        "endsOn": offer.ends_on.isoformat() if offer.ends_on else None,
        "price": str(offer.price) if offer.price is not None else None,
        "currency": offer.currency,
        "validUntil": offer.valid_until.isoformat() if offer.valid_until else None,
        "contractNumber": contract.number if contract else None,
    }


async def show_offer(request: Request) -> JSONResponse:
    sessions, broker = services(request)
    try:
        async with unit_of_work(sessions, broker) as session:
            offer = await service.offer_by_link(session, request.path_params["token"], utcnow())
            view = await _view(session, offer)
    except DomainError as error:
        return _refused(error)
    return JSONResponse(view)


async def _answer(request: Request, accept: bool) -> JSONResponse:
    sessions, broker = services(request)
    reason = None
    if not accept:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = {}
        reason = str(body.get("reason") or "") if isinstance(body, dict) else None
    try:
        async with unit_of_work(sessions, broker) as session:
            offer = await service.answer_by_link(
                session, request.path_params["token"], accept=accept, now=utcnow(), reason=reason
            )
            view = await _view(session, offer)
    except DomainError as error:
        return _refused(error)
    except ValidationError as error:
        return _refused(from_validation(error))
    return JSONResponse(view)


async def accept_offer(request: Request) -> JSONResponse:
    return await _answer(request, accept=True)


async def decline_offer(request: Request) -> JSONResponse:
    return await _answer(request, accept=False)


ROUTES: list[BaseRoute] = [
    Route("/offers/{token}", show_offer, methods=["GET"]),
    Route("/offers/{token}/accept", accept_offer, methods=["POST"]),
    Route("/offers/{token}/decline", decline_offer, methods=["POST"]),
]
