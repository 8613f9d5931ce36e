"""Relay connections with keyset pagination on the primary key."""

from __future__ import annotations

import base64
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions import FieldExtension
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField

from app.core.config import Settings
from app.core.db import core_rows
from app.core.errors import DomainError, ErrorCode
from schema.ids import parse_db_id

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")

_CURSOR_PREFIX = "cursor:"


@strawberry.type(description="Where a page of a list ends, and whether another follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total: strawberry.Private[int | Callable[[], Awaitable[int]]]
    """The count, or how to count: a page whose client does not ask for totalCount is not
    counted (the count was a second query on every page)."""

    @strawberry.field
    async def total_count(self) -> int:
        if not isinstance(self.total, int):
            self.total = await self.total()
        return self.total


def encode_cursor(db_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{db_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except ValueError:
        raw = ""
    prefix, _, number = raw.partition(":")
    db_id = parse_db_id(number) if f"{prefix}:" == _CURSOR_PREFIX else None
    if db_id is not None:
        return db_id
    raise DomainError("not a cursor from this API", ErrorCode.INVALID, ["after"])


def page_size(settings: Settings, first: int | None) -> int:
    if first is None:
        return settings.page_size_default
    if first < 0:
        raise DomainError("first must not be negative", ErrorCode.INVALID, ["first"])
    return min(first, settings.page_size_max)


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    id_column: Any,
    *,
    settings: Settings,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], NodeT],
    newest_first: bool = False,
    plain_rows: bool = False,
) -> Connection[NodeT]:
    """One page of `statement` (rows of one entity) ordered by `id_column` (descending when
    `newest_first`: ids grow with creation), plus the total. With `plain_rows`, `to_node`
    gets the entity's columns as a plain row instead of a model instance (for hot lists
    whose `to_node` reads columns only)."""
    limit = page_size(settings, first)

    async def count() -> int:
        total = await session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )
        return total or 0

    page = statement.order_by(id_column.desc() if newest_first else id_column)
    if after is not None:
        cursor = decode_cursor(after)
        page = page.where(id_column < cursor if newest_first else id_column > cursor)
    if plain_rows:
        # The entity's columns as plain rows: no identity map, no instance state, the same
        # attributes for `to_node` to read.
        entity = statement.column_descriptions[0]["entity"]
        page = page.with_only_columns(*entity.__table__.columns)
        rows: Sequence[Any] = await core_rows(session, page.limit(limit + 1))
    else:
        rows = (await session.scalars(page.limit(limit + 1))).all()
    return build_connection(
        list(rows[:limit]), has_next=len(rows) > limit, total=count, to_node=to_node
    )


def build_connection(
    rows: list[RowT],
    *,
    has_next: bool,
    total: int | Callable[[], Awaitable[int]],
    to_node: Callable[[RowT], NodeT],
) -> Connection[NodeT]:
    edges = [Edge(cursor=encode_cursor(row.id), node=to_node(row)) for row in rows]  # type: ignore[attr-defined]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        total=total,
    )


class FirstItems(FieldExtension):
    """Gives a plain list field a `first` argument: at most that many items, `default` when the
    client does not say, never more than `page_size_max`. For nested lists that are not worth a
    connection, so no query can multiply unbounded lists into each other. The items keep the
    order the resolver gives them."""

    def __init__(self, default: int) -> None:
        self.default = default

    def apply(self, field: StrawberryField) -> None:
        field.arguments = [
            *field.arguments,
            StrawberryArgument(
                python_name="first",
                graphql_name=None,
                type_annotation=StrawberryAnnotation(int),
                description=f"At most this many items (default {self.default}, at most one page).",
                default=self.default,
            ),
        ]

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        first = kwargs.pop("first", self.default)
        return _first_items(info, next_(source, info, **kwargs), first)

    async def resolve_async(
        self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        first = kwargs.pop("first", self.default)
        result = next_(source, info, **kwargs)
        return _first_items(info, await result if inspect.isawaitable(result) else result, first)


def _first_items(info: strawberry.Info, items: Sequence[Any], first: int) -> Sequence[Any]:
    return items[: page_size(info.context.settings, first)]
