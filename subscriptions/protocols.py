"""The two WebSocket protocols as the API speaks them: a malformed message or a document that
fails to parse gets an `error` for that operation, and graphql-ws clients may send queries and
mutations too (a `data` message, then `complete`), as subscriptions-transport-ws clients do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError
from strawberry.types.graphql import OperationType

from subscriptions.fanout import LegacyWSHandler, TransportWSHandler

ANY_OPERATION = (OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION)


def operation_problem(message: Any, start_type: str) -> str | None:
    """What is wrong with a client message's shape, or None. Only an operation's start
    (`subscribe`, `start`) carries a document, and it must carry one."""
    if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
        return "a message must be an object with a type"
    if message["type"] not in (start_type, "stop", "complete"):
        return None
    if not isinstance(message.get("id"), str):
        return "an operation message needs a string id"
    if message["type"] != start_type:
        return None
    payload = message.get("payload")
    if not isinstance(payload, Mapping) or not isinstance(payload.get("query"), str):
        return "an operation needs a payload with a query"
    if not isinstance(payload.get("variables") or {}, Mapping):
        return "variables must be an object"
    if not isinstance(payload.get("operationName") or "", str):
        return "operationName must be a string"
    return None


class TransportHandler(TransportWSHandler):
    """graphql-transport-ws: a document that fails to parse (syntax, token limit) is an
    `error` for its operation, not the end of the socket and the other operations on it."""

    async def handle_message(self, message: Any) -> None:
        problem = operation_problem(message, "subscribe")
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        return None


class LegacyHandler(LegacyWSHandler):
    """graphql-ws (subscriptions-transport-ws): queries and mutations are answered with one
    `data` message and `complete`; a malformed message gets an `error`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _AnyOperation(self.schema)  # type: ignore[assignment]

    async def handle_message(self, message: Any) -> None:
        problem = operation_problem(message, "start")
        if problem is None:
            await super().handle_message(message)
            return
        error: dict[str, Any] = {"type": "error", "payload": {"message": problem}}
        if isinstance(message, Mapping) and isinstance(message.get("id"), str):
            error["id"] = message["id"]
        await self.send_message(error)  # type: ignore[arg-type]


class _AnyOperation:
    """The schema as the graphql-ws handler sees it: its `subscribe` runs any operation."""

    def __init__(self, schema: Any) -> None:
        self._wrapped = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    async def subscribe(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> Any:
        return await self._wrapped.stream(
            query=query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=ANY_OPERATION,
        )
