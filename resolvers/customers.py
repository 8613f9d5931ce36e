"""customers queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class CustomersQuery:
    pass


@strawberry.type
class CustomersMutation:
    pass
