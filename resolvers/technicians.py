"""technicians queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class TechniciansQuery:
    pass


@strawberry.type
class TechniciansMutation:
    pass
