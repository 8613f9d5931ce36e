"""Per-operation DataLoaders: relations load in one query per level, never one per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import SQLModel
from strawberry.dataloader import DataLoader

M = TypeVar("M", bound=SQLModel)


class Loaders:
    """Loaders are created on first use and live as long as one GraphQL operation."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._loaders: dict[Any, DataLoader[Any, Any]] = {}

    def by_id(self, model: type[M]) -> DataLoader[int, M | None]:
        key = ("id", model)
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=lambda ids: self._load_by_id(model, ids))
        return self._loaders[key]

    def children(self, model: type[M], parent_key: Any) -> DataLoader[int, list[M]]:
        """Rows of `model` grouped by the foreign key column `parent_key` (ordered by id)."""
        key = ("children", model, parent_key)
        if key not in self._loaders:
            self._loaders[key] = DataLoader(
                load_fn=lambda ids: self._load_children(model, parent_key, ids)
            )
        return self._loaders[key]

    def custom(self, name: str, load_fn: Any) -> DataLoader[Any, Any]:
        """A loader with its own batch function, shared by name within the operation."""
        if name not in self._loaders:
            self._loaders[name] = DataLoader(load_fn=load_fn)
        return self._loaders[name]

    async def _load_by_id(self, model: type[M], ids: Sequence[int]) -> list[M | None]:
        id_column: Any = model.id  # type: ignore[attr-defined]
        rows = (await self._session.scalars(select(model).where(id_column.in_(ids)))).all()
        found = {row.id: row for row in rows}  # type: ignore[attr-defined]
        return [found.get(i) for i in ids]

    async def _load_children(
        self, model: type[M], parent_key: InstrumentedAttribute[Any], ids: Sequence[int]
    ) -> list[list[M]]:
        id_column: Any = model.id  # type: ignore[attr-defined]
        stmt = select(model).where(parent_key.in_(ids)).order_by(id_column)
        grouped: dict[int, list[M]] = defaultdict(list)
        for row in (await self._session.scalars(stmt)).all():
            grouped[getattr(row, parent_key.key)].append(row)
        return [grouped.get(i, []) for i in ids]
