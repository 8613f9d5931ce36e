"""Fan-out without re-running the selection for every subscriber.

graphql-core executes a subscription's selection once per event *per subscriber*; at a
thousand sockets that is a thousand identical executions of the same small object. Payloads
that are shared by every subscriber of an event (the same `TechnicianLocation` object, built
once per event, goes to every map that may see it) carry a `shared_results` dict; the executor
below renders such a payload once per distinct (document, variables) and hands the same result
to every other subscriber with that selection. Payloads without it (a `TaskEvent` read for its
subscriber) execute as usual. Results with errors are never shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
)
from graphql.execution.executor import Executor
from starlette.websockets import WebSocketDisconnect
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from app.core import metrics

T = TypeVar("T")


def _variables_key(values: dict[str, Any] | None) -> str:
    return json.dumps(values or {}, sort_keys=True, default=repr)


def _operation_key(operation: Any) -> Hashable:
    """The document's text and the operation's name: the same selection for everyone."""
    loc = operation.loc
    name = operation.name.value if operation.name else None
    return (loc.source.body, name) if loc is not None else id(operation)


def shared_event_executor(base: type[Executor]) -> type[Executor]:
    """`base` with per-event results shared between subscribers of the same selection."""

    class SharedEventExecutor(base):  # type: ignore[valid-type, misc]
        def execute_operation(self, serially: bool | None = None) -> Any:
            shared: dict[Hashable, Any] | None = getattr(self.root_value, "shared_results", None)
            if shared is None:
                return super().execute_operation(serially)
            # The payload (hence this dict) lives only as long as its event.
            key = (_operation_key(self.operation), _variables_key(self.variable_values))
            found = shared.get(key)
            if found is not None:
                return found
            result = super().execute_operation(serially)
            if inspect.isawaitable(result):
                result = asyncio.ensure_future(_shared_result(result, shared, key))
                shared[key] = result
                return result
            if isinstance(result, ExecutionResult) and not result.errors:
                shared[key] = result
            return result

    SharedEventExecutor.__name__ = f"Shared{base.__name__}"
    return SharedEventExecutor


async def _shared_result(
    pending: Any, shared: dict[Hashable, Any], key: Hashable
) -> ExecutionResult:
    result: ExecutionResult = await pending
    if result.errors:
        shared.pop(key, None)
    return result


# --- Pre-rendered delivery: the hot streams bypass per-event execution ----------------------
#
# Even with the rendering shared, each event still went through graphql-core's per-event
# iterator (two tasks per event per socket), strawberry's result handling (every schema
# extension's hooks) and a JSON encoding per socket. For the hot streams the WebSocket
# handlers below hand the subscription a `Direct` sink instead: the stream's generator renders
# each payload once per (event, selection) to the JSON text of the `next` message's payload
# and writes the same text to every socket. Subscribe-time work (validation, the field's
# `allow(...)`, the resolver's own access checks) and per-event access checks in the generators
# run exactly as before; only the path from "this subscriber may see this payload" to the
# socket is shortened. A payload that fails to render (an error in its result) goes back to
# the usual path instead, so its errors are logged with the request id and masked per the
# settings exactly as for any other subscription.

FAST_FIELDS = frozenset({"technicianLocations", "taskTracking"})
"""Root subscription fields whose payloads go to sockets pre-rendered."""


@lru_cache(maxsize=512)
def _document(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLError:
        return None


@lru_cache(maxsize=512)
def _subscription(query: str, operation_name: str | None) -> OperationDefinitionNode | None:
    """The document's operation (by name when given) if it is a subscription."""
    document = _document(query)
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
        return None
    return operations[0]


@lru_cache(maxsize=512)
def fast_document(query: str, operation_name: str | None) -> DocumentNode | None:
    """The parsed document when its operation is a subscription to one fast-path field."""
    operation = _subscription(query, operation_name)
    if operation is None:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    field = selections[0]
    if field.directives or field.name.value not in FAST_FIELDS:
        return None
    return _document(query)


def subscription_field(schema: GraphQLSchema, query: str, operation_name: str | None) -> str | None:
    """The root field a subscription operation asks for, as a metrics label: `other` when the
    schema has no such field; None when the operation is not a subscription."""
    operation = _subscription(query, operation_name)
    if operation is None:
        return None
    first = operation.selection_set.selections[0]
    known = schema.subscription_type.fields if schema.subscription_type else {}
    if isinstance(first, FieldNode) and first.name.value in known:
        return first.name.value
    return metrics.OTHER


@contextlib.contextmanager
def counted(handler: Any, query: str, operation_name: str | None) -> Iterator[None]:
    """Counts a subscription among the running ones while the handler runs it."""
    field = subscription_field(handler.schema._schema, query, operation_name)
    if field is None:
        yield
        return
    with metrics.open_subscription(field):
        yield


@dataclass(slots=True, eq=False)
class Direct:
    """Where one subscription's payloads go, already rendered, instead of back to strawberry."""

    schema: GraphQLSchema
    document: DocumentNode
    operation_name: str | None
    variables: dict[str, Any] | None
    context: Any
    write: Callable[[str], Awaitable[None]]
    """Sends the JSON text of one `next`/`data` payload ({"data": ...}) on the socket."""
    key: Hashable = None

    def __post_init__(self) -> None:
        self.key = (
            "direct",
            id(self.document),
            self.operation_name,
            _variables_key(self.variables),
        )

    async def render(self, payload: Any) -> str | None:
        """The JSON text of the payload's message, or None when its result has errors."""
        shared: dict[Hashable, Any] | None = getattr(payload, "shared_results", None)
        if shared is not None:
            if self.key in shared:
                found = shared[self.key]
                return await found if isinstance(found, asyncio.Future) else found
            pending = asyncio.ensure_future(self._render(payload))
            shared[self.key] = pending
            text = await pending
            shared[self.key] = text
            return text
        return await self._render(payload)

    async def _render(self, payload: Any) -> str | None:
        result = execute(
            self.schema,
            self.document,
            root_value=payload,
            context_value=self.context,
            variable_values=self.variables,
            operation_name=self.operation_name,
        )
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.errors:
            return None
        return json.dumps({"data": result.data}, separators=(",", ":"))


_direct: ContextVar[Direct | None] = ContextVar("fieldgraph_direct", default=None)


async def deliver(source: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    """The payloads of `source`: yielded to strawberry as usual, or, under a fast-path
    WebSocket operation, rendered once per (event, selection) and written straight to the
    socket. Only a payload that fails to render is yielded then, for strawberry to execute,
    report and mask its errors as it does everywhere; the stream still ends, or fails, the
    usual way."""
    direct = _direct.get()
    try:
        if direct is None:
            async for item in source:
                yield item
            return
        async for item in source:
            text = await direct.render(item)
            if text is None:
                yield item
            else:
                await direct.write(text)
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()


async def _write_text(websocket: Any, text: str) -> None:
    try:
        await websocket.ws.send_text(text)
    except (WebSocketDisconnect, RuntimeError):
        # The socket is gone; the handler notices and cancels this operation.
        await asyncio.Event().wait()


def _direct_for(
    handler: Any,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    prefix: str,
    still_open: Callable[[], bool],
) -> Direct | None:
    """A sink writing `prefix + payload + "}"` on the handler's socket, for fast-path
    subscriptions on our ASGI adapter; None for everything else."""
    document = fast_document(query, operation_name)
    websocket = handler.websocket
    if document is None or not hasattr(websocket, "ws"):
        return None

    async def write(text: str) -> None:
        if still_open():
            await _write_text(websocket, prefix + text + "}")

    return Direct(
        schema=handler.schema._schema,
        document=document,
        operation_name=operation_name,
        variables=variables,
        context=handler.context,
        write=write,
    )


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws with pre-rendered `next` messages for the fast-path fields."""

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        direct = _direct_for(
            self,
            operation.query,
            operation.operation_name,
            operation.variables,
            '{"id":' + json.dumps(operation.id) + ',"type":"next","payload":',
            lambda: not operation.completed,
        )
        if direct is not None:
            _direct.set(direct)  # this operation's own task: no other operation sees it
        with counted(self, operation.query, operation.operation_name):
            await super().run_operation(operation)


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """graphql-ws (subscriptions-transport-ws) with pre-rendered `data` messages."""

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        direct = _direct_for(
            self,
            query,
            operation_name,
            variables,
            '{"type":"data","id":' + json.dumps(operation_id) + ',"payload":',
            lambda: operation_id in self.tasks,
        )
        if direct is not None:
            _direct.set(direct)
        with counted(self, query, operation_name):
            await super().handle_async_results(operation_id, query, operation_name, variables)
