"""Provider delivery reports (signed) and the survey page a link opens."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.core.db import unit_of_work
from app.core.errors import DomainError, ErrorCode
from app.core.models import utcnow
from app.notifications.http import error_response, services
from app.notifications.policies import load_policy
from app.notifications.service import apply_status, remember_receipt
from app.notifications.settings import get_notification_settings
from app.notifications.surveys import answer_survey, read_token
from app.webhooks.signing import HEADER, verify


async def signed_json(request: Request, source: str) -> dict[str, Any]:
    """The body of a request signed with our callback secret, within the communication
    policy's tolerance; refuses replays."""
    body = await request.body()
    sessions, _ = services(request)
    async with sessions() as session:
        tolerance = (await load_policy(session)).webhook_tolerance_seconds
    secret = get_notification_settings().callback_secret
    key = verify(secret, request.headers.get(HEADER), body, tolerance=tolerance)
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise DomainError("the body is not JSON", ErrorCode.INVALID) from exc
    if not isinstance(payload, dict):
        raise DomainError("the body must be a JSON object", ErrorCode.INVALID)
    request.state.receipt = (source, key)
    return payload


async def delivery_status(request: Request) -> Response:
    """`{"reference": <idempotency key or provider id>, "status": delivered|read|failed,
    "error": ..., "at": ISO time}` from a provider."""
    sessions, broker = services(request)
    try:
        payload = await signed_json(request, "provider-status")
        at = datetime.fromisoformat(payload["at"]) if payload.get("at") else utcnow()
        async with unit_of_work(sessions, broker) as session:
            await remember_receipt(session, *request.state.receipt)
            row = await apply_status(
                session,
                str(payload.get("reference") or payload.get("idempotency_key") or ""),
                str(payload.get("status", "")),
                payload.get("error"),
                at,
            )
    except DomainError as exc:
        return error_response(exc)
    return JSONResponse({"status": row.status.value})


async def survey(request: Request) -> Response:
    """GET: what the survey is about; POST `{"rating": 1-5, "comment": ...}`: the answer."""
    token = request.path_params["token"]
    sessions, broker = services(request)
    try:
        task_id = read_token(token)
        if request.method == "GET":
            return JSONResponse({"task": f"T-{task_id}", "question": "How did we do? (1-5)"})
        payload = json.loads(await request.body() or b"{}")
        rating = payload.get("rating")
        if not isinstance(rating, int):
            raise DomainError("rating must be a whole number 1 to 5", ErrorCode.INVALID, ["rating"])
        async with unit_of_work(sessions, broker) as session:
            task = await answer_survey(session, token, rating, payload.get("comment"))
    except DomainError as exc:
        return error_response(exc)
    except ValueError:
        return error_response(DomainError("the body is not JSON", ErrorCode.INVALID))
    return JSONResponse({"task": f"T-{task.id}", "rating": task.rating})


def _routes() -> list[BaseRoute]:
    """The endpoints, once the secrets they verify and sign with are known: the app is built
    with its routes, so in production a development secret stops it there, at startup."""
    get_notification_settings()
    return [
        Route("/hooks/notifications/status", delivery_status, methods=["POST"]),
        Route("/surveys/{token}", survey, methods=["GET", "POST"]),
    ]


ROUTES: list[BaseRoute] = _routes()
