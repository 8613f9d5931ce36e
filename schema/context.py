"""The typed GraphQL context: settings, the caller, and per-operation session and loaders."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.errors import DomainError, ErrorCode
from app.core.events import Broker
from app.core.ratelimit import LoginAttempts
from schema.loaders import Loaders


@dataclass(slots=True)
class OperationState:
    session: AsyncSession
    loaders: Loaders


_operation: ContextVar[OperationState | None] = ContextVar("fieldgraph_operation", default=None)


@dataclass
class Context:
    settings: Settings
    sessions: SessionFactory
    broker: Broker
    principal: Principal | None = None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    login_attempts: LoginAttempts | None = None
    read_sessions: SessionFactory | None = None
    """Where query operations read, when the app has a read pool (see create_read_engine)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def session(self) -> AsyncSession:
        return self._state().session

    @property
    def loaders(self) -> Loaders:
        return self._state().loaders

    @property
    def subject(self) -> str:
        return self.principal.subject if self.principal else "anonymous"

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise DomainError("authentication required", ErrorCode.UNAUTHENTICATED)
        return self.principal

    def begin_operation(self, *, read_only: bool = False) -> OperationState:
        factory = self.read_sessions if read_only and self.read_sessions else self.sessions
        session = factory()
        state = OperationState(session=session, loaders=Loaders(session))
        _operation.set(state)
        return state

    @staticmethod
    def end_operation() -> None:
        _operation.set(None)

    @staticmethod
    def _state() -> OperationState:
        state = _operation.get()
        if state is None:
            raise RuntimeError("no database session outside a query or mutation operation")
        return state


Info = strawberry.Info[Context, None]
