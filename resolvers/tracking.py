"""tracking queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class TrackingQuery:
    pass


@strawberry.type
class TrackingMutation:
    pass
