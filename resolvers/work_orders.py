"""work orders queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class WorkOrdersQuery:
    pass


@strawberry.type
class WorkOrdersMutation:
    pass
