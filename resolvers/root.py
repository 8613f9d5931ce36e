"""The root Query and Mutation types, composed from one class per domain."""

from __future__ import annotations

import strawberry

from resolvers.assets import AssetsMutation, AssetsQuery
from resolvers.contracts import ContractsMutation, ContractsQuery
from resolvers.customers import CustomersMutation, CustomersQuery
from resolvers.identity import IdentityMutation, IdentityQuery
from resolvers.partners import PartnerMutation, PartnerQuery
from resolvers.technicians import TechniciansMutation, TechniciansQuery
from resolvers.territories import TerritoriesMutation, TerritoriesQuery
from resolvers.work_orders import WorkOrdersMutation, WorkOrdersQuery


@strawberry.type
class Query(
    IdentityQuery,
    PartnerQuery,
    CustomersQuery,
    AssetsQuery,
    ContractsQuery,
    TerritoriesQuery,
    TechniciansQuery,
    WorkOrdersQuery,
):
    pass


@strawberry.type
class Mutation(
    IdentityMutation,
    PartnerMutation,
    CustomersMutation,
    AssetsMutation,
    ContractsMutation,
    TerritoriesMutation,
    TechniciansMutation,
    WorkOrdersMutation,
):
    pass
