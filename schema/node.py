"""The Node interface and the registry behind `node(id: ID!)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from schema.ids import encode_id


@strawberry.interface(description="An object with an opaque global ID.")
class Node:
    db_id: strawberry.Private[int]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return self.global_id()

    def global_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self.graphql_type_name(), self.db_id))

    @classmethod
    def graphql_type_name(cls) -> str:
        return cls.__strawberry_definition__.name  # type: ignore[attr-defined]


Fetch = Callable[[AsyncSession, Principal | None, int], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class NodeSpec:
    fetch: Fetch
    """Loads one row by id as the caller may see it (None when absent or hidden)."""
    to_node: Callable[[Any], Node]


NODE_TYPES: dict[str, NodeSpec] = {}


def register_node(node_type: type[Node], fetch: Fetch, to_node: Callable[[Any], Node]) -> None:
    NODE_TYPES[node_type.graphql_type_name()] = NodeSpec(fetch=fetch, to_node=to_node)


async def resolve_node(
    session: AsyncSession, principal: Principal | None, type_name: str, db_id: int
) -> Node | None:
    spec = NODE_TYPES.get(type_name)
    if spec is None:
        return None
    row = await spec.fetch(session, principal, db_id)
    return None if row is None else spec.to_node(row)
