"""Shared helpers of the plain HTTP endpoints of customer communication."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.core.db import SessionFactory
from app.core.errors import DomainError, ErrorCode
from app.core.events import Broker

STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.DUPLICATE: 409,
    ErrorCode.INVALID_TRANSITION: 409,
}


def services(request: Request) -> tuple[SessionFactory, Broker]:
    """The session factory and broker of this app (held by its GraphQL endpoint, until the app
    factory exposes them on `app.state`)."""
    state = request.app.state
    if hasattr(state, "sessions") and hasattr(state, "broker"):
        return state.sessions, state.broker
    for route in request.app.routes:
        endpoint: Any = getattr(route, "endpoint", None)
        if getattr(route, "path", None) == "/graphql" and hasattr(endpoint, "sessions"):
            return endpoint.sessions, endpoint.broker
    raise RuntimeError("no GraphQL endpoint to take the database sessions from")


def error_response(error: DomainError) -> JSONResponse:
    problem = error.problems[0]
    return JSONResponse(
        {"error": problem.code.value, "message": problem.message, "field": problem.field},
        status_code=STATUS.get(problem.code, 400),
    )
