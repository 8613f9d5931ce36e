"""territories queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class TerritoriesQuery:
    pass


@strawberry.type
class TerritoriesMutation:
    pass
