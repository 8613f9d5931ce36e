"""The root Query and Mutation types, composed from one class per domain."""

from __future__ import annotations

import strawberry

from resolvers.identity import IdentityMutation, IdentityQuery
from resolvers.partners import PartnerMutation, PartnerQuery


@strawberry.type
class Query(IdentityQuery, PartnerQuery):
    pass


@strawberry.type
class Mutation(IdentityMutation, PartnerMutation):
    pass
