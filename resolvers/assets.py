"""assets queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class AssetsQuery:
    pass


@strawberry.type
class AssetsMutation:
    pass
