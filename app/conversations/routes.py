"""The signed chatbot webhook: create and qualify a service request, read its status, hand
the customer over to a live agent. Documented in docs/conversations.md.

Every call is a POST with a JSON body signed like our outbound webhooks
(`Fieldgraph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`) with the
`CHATBOT_SECRET`; a signature outside the tolerance or seen before (a replay) is refused.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.conversations import chatbot
from app.conversations.settings import get_chatbot_settings
from app.core.db import unit_of_work
from app.core.errors import DomainError, ErrorCode, from_validation
from app.notifications.http import error_response, services
from app.notifications.service import remember_receipt
from app.webhooks.signing import HEADER, verify

SOURCE = "chatbot"
M = TypeVar("M", bound=BaseModel)


async def _signed(request: Request) -> tuple[dict[str, Any], str]:
    settings = get_chatbot_settings()
    declared = int(request.headers.get("content-length") or 0)
    if declared > settings.max_body_bytes:
        raise DomainError("the body is too large", ErrorCode.INVALID)
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        raise DomainError("the body is too large", ErrorCode.INVALID)
    key = verify(
        settings.secret, request.headers.get(HEADER), body, tolerance=settings.tolerance_seconds
    )
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise DomainError("the body is not JSON", ErrorCode.INVALID) from exc
    if not isinstance(payload, dict):
        raise DomainError("the body must be a JSON object", ErrorCode.INVALID)
    return payload, key


def _parsed(model: type[M], payload: dict[str, Any]) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise from_validation(exc) from exc


async def create_request(request: Request) -> Response:
    """`{"customer": {"phone"|"email"}, "assetSerial", "symptoms": [...], "description",
    "category", "photos": [{"url"} | {"base64", "filename"}], "externalRef"}`."""
    sessions, broker = services(request)
    try:
        payload, key = await _signed(request)
        data = _parsed(chatbot.RequestIn, payload)
        async with unit_of_work(sessions, broker) as session:
            await remember_receipt(session, SOURCE, key)
            row = await chatbot.create_request(session, data)
            answer = await chatbot.status_of(session, row.id or 0)
    except DomainError as exc:
        return error_response(exc)
    return JSONResponse(answer, status_code=201)


async def request_status(request: Request) -> Response:
    """`{"customer": {"phone"|"email"}, "serviceRequestId": 42}`: its status and visits, when
    it is that customer's."""
    sessions, broker = services(request)
    try:
        payload, key = await _signed(request)
        data = _parsed(chatbot.StatusIn, payload)
        async with unit_of_work(sessions, broker) as session:
            await remember_receipt(session, SOURCE, key)
            found = await chatbot.request_of(session, data.customer, data.service_request_id)
            answer = await chatbot.status_of(session, found.id or 0)
    except DomainError as exc:
        return error_response(exc)
    return JSONResponse(answer)


async def hand_over(request: Request) -> Response:
    """`{"customer": {"phone"|"email"}, "serviceRequestId": 42, "transcript": [{"from":
    "bot"|"customer", "text"}]}`, for that customer's request."""
    sessions, broker = services(request)
    try:
        payload, key = await _signed(request)
        data = _parsed(chatbot.HandoverIn, payload)
        async with unit_of_work(sessions, broker) as session:
            await remember_receipt(session, SOURCE, key)
            thread = await chatbot.hand_over(session, data)
    except DomainError as exc:
        return error_response(exc)
    return JSONResponse({"conversationId": thread.id, "serviceRequestId": data.service_request_id})


def _routes() -> list[BaseRoute]:
    get_chatbot_settings()  # a development secret in production stops the app at startup
    return [
        Route("/hooks/chatbot/requests", create_request, methods=["POST"]),
        Route("/hooks/chatbot/requests/status", request_status, methods=["POST"]),
        Route("/hooks/chatbot/handover", hand_over, methods=["POST"]),
    ]


ROUTES: list[BaseRoute] = _routes()
