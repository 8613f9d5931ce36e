"""Shared helpers of the plain HTTP endpoints of customer communication."""

from __future__ import annotations

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
    """The session factory and broker the app factory put on `app.state`."""
    return request.app.state.sessions, request.app.state.broker


def error_response(error: DomainError) -> JSONResponse:
    problem = error.problems[0]
    return JSONResponse(
        {"error": problem.code.value, "message": problem.message, "field": problem.field},
        status_code=STATUS.get(problem.code, 400),
    )
