"""The application factory: the one place that wires the domain core to the GraphQL API."""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from cross_web import HTTPException
from graphql.validation import NoSchemaIntrospectionCustomRule
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.schema.config import StrawberryConfig

from app.core.auth import InvalidToken, principal_from_header
from app.core.config import Settings, get_settings
from app.core.db import SessionFactory, create_engine, create_session_factory
from app.core.discovery import domain_modules
from app.core.events import Broker
from app.core.http import BodySizeLimit, JSONTooDeep, RequestContext, check_json_depth
from app.core.jobs import JobRunner, discover_jobs
from app.core.logging import configure_logging, get_logger
from resolvers.root import Mutation, Query
from schema.context import Context
from schema.extensions import InputTextCheck, MaskUnexpectedErrors, ParserCache, Schema
from schema.scalars import SCALARS
from schema.transaction import OperationTransaction
from subscriptions.root import Subscription

log = get_logger("fieldgraph")


def build_schema(settings: Settings) -> strawberry.Schema:
    # The limiters' rule classes are made once: the validation cache is keyed by the rules,
    # so rules made afresh per request would miss it and re-validate every document.
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if settings.is_prod:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list[Any] = [
        OperationTransaction,
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        # Both caches are shared module-wide by strawberry, so a fresh extension per request
        # still hits them; they cut parse and validation CPU for repeated documents.
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        InputTextCheck,
        MaskUnexpectedErrors,
    ]
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.is_prod, scalar_map=SCALARS),
    )


class WebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's, except that a message nested too deeply closes the socket (4400) on
    both protocols (graphql-ws would ignore it as it ignores any message that is not JSON)."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                try:
                    message = self.view.decode_json(text)
                except JSONTooDeep as exc:
                    await self.close(4400, exc.msg)
                    return
                except json.JSONDecodeError as exc:
                    if ignore_parsing_errors:
                        continue
                    raise NonJsonMessageReceived from exc
                yield message
        except KeyError as exc:
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with our typed context and bearer-token authentication."""

    def __init__(
        self,
        schema: strawberry.Schema,
        settings: Settings,
        sessions: SessionFactory,
        broker: Broker,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_prod else "graphiql",
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=15,
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.sessions = sessions
        self.broker = broker
        from subscriptions.fanout import shared_event_executor
        from subscriptions.protocols import LegacyHandler, TransportHandler

        # Subscription payloads shared by every subscriber of an event render once per
        # selection instead of once per socket (see subscriptions/fanout.py).
        schema.execution_context_class = shared_event_executor(schema.execution_context_class)
        # The hot streams (technicianLocations, taskTracking) skip per-event execution and go
        # to the sockets pre-rendered, both protocols.
        # (Both also report malformed messages and unparsable documents as errors.)
        self.graphql_transport_ws_handler_class = TransportHandler
        self.graphql_ws_handler_class = LegacyHandler

    websocket_adapter_class = WebSocketAdapter

    def decode_json(self, data: str | bytes) -> object:
        check_json_depth(data)
        return super().decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except JSONTooDeep as exc:
            raise HTTPException(400, exc.msg) from exc
        except json.JSONDecodeError as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc

    async def get_context(self, request: Any, response: Any = None) -> Context:
        principal = None
        if request.scope["type"] == "http":
            try:
                principal = principal_from_header(
                    self.settings, request.headers.get("authorization")
                )
            except InvalidToken as exc:
                raise HTTPException(401, "invalid bearer token") from exc
        return Context(
            settings=self.settings,
            sessions=self.sessions,
            broker=self.broker,
            principal=principal,
            request=request,
            response=response,
        )

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        try:
            context.principal = principal_from_header(self.settings, header)
        except InvalidToken as exc:
            raise ConnectionRejectionError({"message": "invalid bearer token"}) from exc
        return await super().on_ws_connect(context)


_collector_tuned = False


def tune_collector_for_serving() -> None:
    """Once per serving process. Modules and the schema (~500k objects) live as long as the
    process, and each subscription holds a few hundred long-lived objects more: full
    collections of the cyclic GC over them paused the loop 0.4-0.6 s under fan-out, the whole
    p99 at 1,000 subscribers. Freeze what exists now (never scanned again) and make full
    collections rare; young cycles are still collected by generations 0 and 1. (Not for
    processes that build many apps without serving them, such as the test suite: their
    garbage would pile up for the rare full collections.)"""
    global _collector_tuned
    if _collector_tuned:
        return
    _collector_tuned = True
    gc.freeze()
    gc.set_threshold(700, 10, 1000)


def create_app(
    settings: Settings | None = None,
    sessions: SessionFactory | None = None,
    broker: Broker | None = None,
) -> Starlette:
    """Build the ASGI app. Tests pass their own session factory and broker."""
    settings = settings or get_settings()
    configure_logging(settings)
    engine = None
    if sessions is None:
        engine = create_engine(settings)
        sessions = create_session_factory(engine)
    own_broker = broker is None
    broker = broker or Broker(settings.redis_url)
    graphql = GraphQLApp(build_schema(settings), settings, sessions, broker)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tune_collector_for_serving()
        if own_broker:
            await broker.connect()
        jobs = JobRunner(discover_jobs() if settings.run_jobs else [], sessions, broker)
        jobs.start()
        log.info("started", env=settings.env.value, broker=broker.url.split("@")[-1])
        try:
            yield
        finally:
            await jobs.stop()
            if own_broker:
                await broker.disconnect()
            if engine is not None:
                await engine.dispose()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        checks = {
            "database": await _database_ready(sessions),
            "broker": await _broker_ready(broker),
        }
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", **checks},
            status_code=200 if ready else 503,
        )

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *discover_routes(),
        ],
        middleware=[
            Middleware(RequestContext),
            Middleware(
                BodySizeLimit,
                max_bytes=settings.max_body_bytes,
                max_upload_bytes=settings.max_upload_bytes,
            ),
        ],
        lifespan=lifespan,
    )
    # Plain HTTP endpoints of the domains (routes.py) reach the database and broker here.
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.broker = broker
    return app


def discover_routes() -> list[BaseRoute]:
    """Plain HTTP endpoints a domain needs besides GraphQL (webhook receivers, payment links,
    downloads): the `ROUTES` list of each `app/<domain>/routes.py`."""
    return [route for module in domain_modules("routes") for route in module.ROUTES]


async def _database_ready(sessions: SessionFactory) -> bool:
    try:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
        return True
    except Exception:  # readiness reports, it does not raise
        log.warning("database not ready", exc_info=True)
        return False


async def _broker_ready(broker: Broker) -> bool:
    try:
        return await broker.ping()
    except Exception:
        log.warning("broker not ready", exc_info=True)
        return False
