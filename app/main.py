"""The application factory: the one place that wires the domain core to the GraphQL API."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import strawberry
from cross_web import HTTPException
from graphql.validation import NoSchemaIntrospectionCustomRule
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
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
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from app.core.auth import (
    WEBSOCKET_FORBIDDEN,
    InvalidToken,
    principal_from_header,
    unauthenticated_body,
)
from app.core.config import Settings, get_settings
from app.core.cors import cors_middleware, origin_allowed
from app.core.db import (
    SessionFactory,
    create_engine,
    create_read_engine,
    create_session_factory,
)
from app.core.discovery import domain_modules, load_domain_settings
from app.core.events import Broker
from app.core.http import BodySizeLimit, JSONTooDeep, RequestContext, check_json_depth
from app.core.logging import configure_logging, get_logger
from app.core.metrics import WEBSOCKETS, StateCollector, metrics_endpoint
from app.core.ratelimit import Limiter, LoginAttempts, RateLimit, RedisLimiter, limiter_for
from app.core.telemetry import instrument as instrument_tracing
from app.core.telemetry import middleware as tracing_middleware
from app.core.worker import embedded_worker
from app.static import graphiql_assets, graphiql_html
from resolvers.root import Mutation, Query
from schema.coercion import register as register_coercion
from schema.context import Context
from schema.cost import (
    OFFLOAD_COST,
    CostEstimator,
    QueryCostLimit,
    encode_capped,
    response_too_large,
)
from schema.descriptions import describe
from schema.extensions import InputTextCheck, MaskUnexpectedErrors, ParserCache, Schema
from schema.fast_fields import shortcut_plain_resolvers
from schema.metrics import OperationMetrics
from schema.scalars import SCALARS
from schema.tracing import tracing_extensions
from schema.transaction import OperationTransaction
from subscriptions.root import Subscription

log = get_logger("fieldgraph")


class Encoded(dict[str, Any]):
    """A response already encoded as JSON (`body`), still readable as the response dict."""

    def __init__(self, data: Any, *, body: str) -> None:
        super().__init__(data)
        self.body = body


def build_schema(settings: Settings) -> strawberry.Schema:
    # The limiters' rule classes are made once: the validation cache is keyed by the rules,
    # so rules made afresh per request would miss it and re-validate every document.
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if settings.is_prod:
        rules.append(NoSchemaIntrospectionCustomRule)
    estimator: CostEstimator  # needs the built schema; made once below, used per request
    extensions: list[Any] = [
        *tracing_extensions(settings),  # outermost: its span encloses the others' work
        OperationMetrics,
        OperationTransaction,
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        # Both caches are shared module-wide by strawberry, so a fresh extension per request
        # still hits them; they cut parse and validation CPU for repeated documents.
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        # After the validation cache: it estimates only documents that passed validation.
        lambda: QueryCostLimit(estimator, settings),
        InputTextCheck,
        MaskUnexpectedErrors,
    ]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.is_prod, scalar_map=SCALARS),
    )
    estimator = CostEstimator(schema._schema, settings)
    describe(schema)
    register_coercion(schema._schema, "ReportLocationsInput")  # hundreds of pings a call
    shortcut_plain_resolvers(schema)  # Node.id and other plain computed fields
    return schema


class _Unauthenticated(HTTPException):
    def __init__(self, reason: str) -> None:
        super().__init__(401, reason)


class WebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's, except that a message nested too deeply closes the socket (4400) on
    both protocols (graphql-ws would ignore it as it ignores any message that is not JSON),
    and a refused socket is told why: the protocol handler's own close reason is a bare
    "Forbidden", which leaves a newcomer guessing where the token goes."""

    async def close(self, code: int, reason: str) -> None:
        await super().close(code, WEBSOCKET_FORBIDDEN if code == 4403 else reason)

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

    websocket_adapter_class = WebSocketAdapter
    read_sessions: SessionFactory | None = None
    """The read pool for query operations; None: they use `sessions` too (as under tests)."""

    def __init__(
        self,
        schema: strawberry.Schema,
        settings: Settings,
        sessions: SessionFactory,
        broker: Broker,
        limiter: Limiter | None = None,
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
        self.login_attempts = LoginAttempts(limiter or limiter_for(settings), settings)
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

    async def process_result(
        self, request: Request, result: StrawberryExecutionResult
    ) -> GraphQLHTTPResponse:
        """A result estimated to be large is encoded here, in a worker thread and within
        `max_response_bytes`, so encoding it never holds the event loop."""
        data = await super().process_result(request, result)
        if getattr(request.state, "query_cost", 0) <= OFFLOAD_COST:
            return data
        limit = self.settings.max_response_bytes
        body = await asyncio.to_thread(encode_capped, data, limit)
        if body is None:
            log.warning("response too large", limit=limit)
            body = json.dumps(response_too_large(None, limit))
        return cast(GraphQLHTTPResponse, Encoded(data, body=body))

    def encode_json(self, data: object) -> str | bytes:
        if isinstance(data, Encoded):
            return data.body
        return super().encode_json(data)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """The HTTP response, refused whole when its body exceeds `max_response_bytes`: a second
        line of defence behind the cost limit, so a client gets a clear error, not megabytes."""
        response = super().create_response(response_data, sub_response)
        size, limit = len(response.body), self.settings.max_response_bytes
        if size <= limit:
            return response
        log.warning("response too large", bytes=size, limit=limit)
        return JSONResponse(response_too_large(size, limit), headers=dict(sub_response.headers))

    async def get_context(self, request: Any, response: Any = None) -> Context:
        principal = None
        if request.scope["type"] == "http":
            try:
                principal = principal_from_header(
                    self.settings, request.headers.get("authorization")
                )
            except InvalidToken as exc:
                raise _Unauthenticated(str(exc)) from exc
        return Context(
            settings=self.settings,
            sessions=self.sessions,
            broker=self.broker,
            principal=principal,
            request=request,
            response=response,
            login_attempts=self.login_attempts,
            read_sessions=self.read_sessions,
        )

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        try:
            context.principal = principal_from_header(self.settings, header)
        except InvalidToken as exc:
            raise ConnectionRejectionError({"message": WEBSOCKET_FORBIDDEN}) from exc
        return await super().on_ws_connect(context)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            WEBSOCKETS.inc()
            try:
                return await super().__call__(scope, receive, send)
            finally:
                WEBSOCKETS.dec()
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        try:
            response = await self.run(Request(scope, receive))
        except _Unauthenticated as exc:
            # A GraphQL client shows a GraphQL error body; plain text leaves it with a parse error.
            response = JSONResponse(
                unauthenticated_body(exc.reason),
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        except HTTPException as exc:
            response = PlainTextResponse(exc.reason, status_code=exc.status_code)
        await response(scope, receive, send)
        return None

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html())

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        """Cross-origin sockets follow the CORS policy (same-origin and Origin-less ones are
        let through by strawberry before this is asked)."""
        return origin_allowed(self.settings, origin)


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
    load_domain_settings()
    engine = read_engine = None
    if sessions is None:
        engine = create_engine(settings)
        sessions = create_session_factory(engine)
        read_engine = create_read_engine(settings)
    instrument_tracing(settings, sessions)
    own_broker = broker is None
    broker = broker or Broker(settings.redis_url)
    limiter = limiter_for(settings)
    graphql = GraphQLApp(build_schema(settings), settings, sessions, broker, limiter)
    if read_engine is not None:
        graphql.read_sessions = create_session_factory(read_engine)
        instrument_tracing(settings, graphql.read_sessions)
    state = StateCollector(broker.stats, _pool_of(engine, sessions))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tune_collector_for_serving()
        if own_broker:
            await broker.connect()
        worker = await embedded_worker(settings, sessions, broker)
        log.info("started", env=settings.env.value, broker=broker.url.split("@")[-1])
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            if isinstance(limiter, RedisLimiter):
                await limiter.redis.aclose()
            if own_broker:
                await broker.disconnect()
            if engine is not None:
                await engine.dispose()
            if read_engine is not None:
                await read_engine.dispose()

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
            Route(
                "/metrics", metrics_endpoint(state, settings.metrics_token, not settings.is_prod)
            ),
            *([] if settings.is_prod else [graphiql_assets()]),
            *discover_routes(),
        ],
        middleware=[
            *tracing_middleware(settings),
            cors_middleware(settings),
            Middleware(RequestContext),
            Middleware(RateLimit, limiter=limiter, settings=settings),
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


def _pool_of(engine: Any, sessions: SessionFactory) -> Any | None:
    engine = engine or sessions.kw.get("bind")
    return getattr(getattr(engine, "sync_engine", None), "pool", None)


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
