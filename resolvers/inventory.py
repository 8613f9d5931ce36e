"""inventory queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class InventoryQuery:
    pass


@strawberry.type
class InventoryMutation:
    pass
