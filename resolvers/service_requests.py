"""service requests queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class ServiceRequestsQuery:
    pass


@strawberry.type
class ServiceRequestsMutation:
    pass
