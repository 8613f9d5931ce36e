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
import inspect
import json
from collections.abc import Hashable
from typing import Any

from graphql import ExecutionResult
from graphql.execution.executor import Executor


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
