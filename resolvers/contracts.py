"""contracts queries and mutations."""

from __future__ import annotations

import strawberry


@strawberry.type
class ContractsQuery:
    pass


@strawberry.type
class ContractsMutation:
    pass
