"""Running a mutation: a savepoint (none for the operation's first database work), idempotent
replays, and domain errors as userErrors."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import idempotency
from app.core.errors import DomainError
from app.core.events import discard_events_after, pending_events
from schema.context import Info
from schema.errors import Payload, camel, from_domain_error, from_validation_error
from schema.ids import split_id
from schema.node import Node, resolve_node

P = TypeVar("P", bound=Payload)
NOT_NULL_VIOLATION = "23502"


async def execute(
    info: Info,
    payload_type: type[P],
    action: Callable[[], Awaitable[P]],
    *,
    idempotency_key: str | None = None,
) -> P:
    """Run `action` so that a domain or validation error rolls back what it wrote, drops the
    events it queued and comes back as the payload's userErrors. It runs in a savepoint, or,
    while the operation has not touched the database yet (its first mutation, nearly always),
    in the operation's transaction, which such an error then rolls back whole: the same
    outcome without the SAVEPOINT and RELEASE round trips."""
    session = info.context.session
    mark = len(pending_events(session))
    untouched = not session.in_transaction()
    try:
        if untouched:
            payload = await _run(info, payload_type, action, idempotency_key)
            await session.flush()  # write errors surface here, as at a savepoint's release
            return payload
        async with session.begin_nested():
            return await _run(info, payload_type, action, idempotency_key)
    except DomainError as error:
        await _undo(session, mark, untouched)
        return payload_type(user_errors=from_domain_error(error))
    except ValidationError as error:
        await _undo(session, mark, untouched)
        return payload_type(user_errors=from_validation_error(error))
    except DBAPIError as error:
        refusal = _input_refused(error)
        if refusal is None:
            raise
        await _undo(session, mark, untouched)
        return payload_type(user_errors=from_domain_error(refusal))


def _input_refused(error: DBAPIError) -> DomainError | None:
    """The database refused a value the client sent, which no check caught before: an
    explicit null for a column that needs a value ("no change" is leaving the field out), or
    data that does not fit its column (text too long, a number out of range; SQLSTATE class
    22). The client's mistake, whichever input let it through; anything else is ours."""
    state = getattr(error.orig, "sqlstate", None) or ""
    if state == NOT_NULL_VIOLATION:
        column = getattr(error.orig.__cause__, "column_name", None) if error.orig else None
        field = [camel(column)] if column else None
        return DomainError(f"{camel(column or 'a field')} may not be null", field=field)
    if state.startswith("22"):
        return DomainError("a value does not fit its field (too long or out of range)")
    return None


async def _run(
    info: Info, payload_type: type[P], action: Callable[[], Awaitable[P]], key: str | None
) -> P:
    if key is None:
        return await action()
    return await _run_once(info, payload_type, action, key)


async def _undo(session: AsyncSession, mark: int, whole: bool) -> None:
    if whole:
        await session.rollback()
    discard_events_after(session, mark)


async def _run_once(
    info: Info, payload_type: type[P], action: Callable[[], Awaitable[P]], key: str
) -> P:
    session = info.context.session
    first = await idempotency.claim(session, info.context.subject, key, info.field_name)
    if first is not None:
        return await replay(info, payload_type, first)
    payload = await action()
    if not payload.user_errors:
        await idempotency.record(session, info.context.subject, key, snapshot(payload))
    return payload


def snapshot(payload: Payload) -> dict[str, Any]:
    """What a replay needs to rebuild the payload: node IDs and plain values."""
    recorded: dict[str, Any] = {}
    for name, value in vars(payload).items():
        if name == "user_errors":
            continue
        if isinstance(value, Node):
            recorded[name] = {"node": str(value.global_id())}
        elif isinstance(value, list) and all(isinstance(v, Node) for v in value):
            recorded[name] = {"nodes": [str(v.global_id()) for v in value]}
        elif isinstance(value, list) and all(_is_plain_record(v) for v in value):
            recorded[name] = {"records": _records(value)}
        elif _is_plain(value):
            recorded[name] = {"value": value}
    return recorded


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_plain_record(value: Any) -> bool:
    """A small strawberry object of plain values (a warning, a count by reason)."""
    return (
        dataclasses.is_dataclass(value)
        and hasattr(value, "__strawberry_definition__")
        and all(_is_plain(v) or isinstance(v, Enum) for v in vars(value).values())
    )


def _records(values: list[Any]) -> dict[str, Any]:
    kind = type(values[0]) if values else None
    return {
        "type": f"{kind.__module__}:{kind.__qualname__}" if kind else None,
        "items": [{k: _plain_value(v) for k, v in vars(item).items()} for item in values],
    }


def _plain_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _rebuild_records(recorded: dict[str, Any]) -> list[Any]:
    if not recorded["type"]:
        return []
    module_name, _, qualname = recorded["type"].partition(":")
    kind = getattr(importlib.import_module(module_name), qualname)
    hints = {f.name: f.type for f in dataclasses.fields(kind)}
    return [
        kind(**{k: _typed(hints.get(k), v) for k, v in item.items()}) for item in recorded["items"]
    ]


def _typed(hint: Any, value: Any) -> Any:
    return hint(value) if isinstance(hint, type) and issubclass(hint, Enum) else value


async def replay(info: Info, payload_type: type[P], recorded: dict[str, Any]) -> P:
    values = {name: await _restore(info, entry) for name, entry in recorded.items()}
    return payload_type(**values)


async def _restore(info: Info, entry: dict[str, Any]) -> Any:
    if "node" in entry:
        return await _load_node(info, entry["node"])
    if "nodes" in entry:
        return [await _load_node(info, gid) for gid in entry["nodes"]]
    if "records" in entry:
        return _rebuild_records(entry["records"])
    return entry.get("value")


async def _load_node(info: Info, global_id: str) -> Node | None:
    parts = split_id(global_id)
    if parts is None:
        return None
    return await resolve_node(info.context.session, info.context.principal, *parts)
