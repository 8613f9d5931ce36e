"""The root Query and Mutation types, composed from one class per domain."""

from __future__ import annotations

import strawberry

from resolvers.assets import AssetsMutation, AssetsQuery
from resolvers.attachments import AttachmentsMutation, AttachmentsQuery
from resolvers.attendance import AttendanceMutation, AttendanceQuery
from resolvers.billing import BillingMutation, BillingQuery
from resolvers.bulk_intake import BulkIntakeMutation
from resolvers.confirmations import ConfirmationsMutation, ConfirmationsQuery
from resolvers.contract_billing import ContractBillingMutation, ContractBillingQuery
from resolvers.contracts import ContractsMutation, ContractsQuery
from resolvers.conversations import ConversationsMutation, ConversationsQuery
from resolvers.costing import CostingQuery
from resolvers.crews import CrewsMutation, CrewsQuery
from resolvers.customers import CustomersMutation, CustomersQuery
from resolvers.depot_repair import DepotRepairMutation, DepotRepairQuery
from resolvers.dispatch import DispatchMutation, DispatchQuery
from resolvers.dispatch_board import DispatchBoardMutation, DispatchBoardQuery
from resolvers.dispatch_parts import DispatchPartsMutation, DispatchPartsQuery
from resolvers.durations import DurationsMutation, DurationsQuery
from resolvers.expenses import ExpensesMutation, ExpensesQuery
from resolvers.identity import IdentityMutation, IdentityQuery
from resolvers.inspections import InspectionsMutation, InspectionsQuery
from resolvers.inventory import InventoryMutation, InventoryQuery
from resolvers.knowledge_base import KnowledgeBaseMutation, KnowledgeBaseQuery
from resolvers.kpis import KpisQuery
from resolvers.notifications import NotificationsMutation, NotificationsQuery
from resolvers.partners import PartnerMutation, PartnerQuery
from resolvers.policies import PoliciesMutation, PoliciesQuery
from resolvers.remote_service import RemoteServiceMutation, RemoteServiceQuery
from resolvers.renewals import RenewalsMutation, RenewalsQuery
from resolvers.replacements import ReplacementsMutation, ReplacementsQuery
from resolvers.service_plans import ServicePlansMutation, ServicePlansQuery
from resolvers.service_requests import ServiceRequestsMutation, ServiceRequestsQuery
from resolvers.sla import SlaMutation, SlaQuery
from resolvers.technicians import TechniciansMutation, TechniciansQuery
from resolvers.territories import TerritoriesMutation, TerritoriesQuery
from resolvers.tracking import TrackingMutation, TrackingQuery
from resolvers.travel_requests import TravelRequestsMutation, TravelRequestsQuery
from resolvers.walk_in import WalkInMutation, WalkInQuery
from resolvers.webhooks import WebhooksMutation, WebhooksQuery
from resolvers.work_orders import WorkOrdersMutation, WorkOrdersQuery


@strawberry.type(
    description=(
        "Everything a client can read. Every DateTime is UTC; local days are in the "
        "territory's time zone."
    )
)
class Query(
    IdentityQuery,
    PartnerQuery,
    CustomersQuery,
    AssetsQuery,
    ContractsQuery,
    ContractBillingQuery,
    TerritoriesQuery,
    TechniciansQuery,
    ServiceRequestsQuery,
    WorkOrdersQuery,
    TrackingQuery,
    InventoryQuery,
    KpisQuery,
    SlaQuery,
    AttachmentsQuery,
    DispatchQuery,
    DurationsQuery,
    BillingQuery,
    ExpensesQuery,
    CostingQuery,
    NotificationsQuery,
    ConfirmationsQuery,
    WebhooksQuery,
    PoliciesQuery,
    RenewalsQuery,
    ServicePlansQuery,
    InspectionsQuery,
    WalkInQuery,
    ReplacementsQuery,
    DepotRepairQuery,
    DispatchBoardQuery,
    RemoteServiceQuery,
    TravelRequestsQuery,
    KnowledgeBaseQuery,
    CrewsQuery,
    DispatchPartsQuery,
    AttendanceQuery,
    ConversationsQuery,
):
    pass


@strawberry.type(
    description=(
        "Everything a client can change. A refused mutation writes nothing and explains why "
        "in its payload's userErrors."
    )
)
class Mutation(
    IdentityMutation,
    PartnerMutation,
    CustomersMutation,
    AssetsMutation,
    ContractsMutation,
    ContractBillingMutation,
    TerritoriesMutation,
    TechniciansMutation,
    ServiceRequestsMutation,
    WorkOrdersMutation,
    TrackingMutation,
    InventoryMutation,
    SlaMutation,
    AttachmentsMutation,
    BulkIntakeMutation,
    DispatchMutation,
    DurationsMutation,
    BillingMutation,
    ExpensesMutation,
    NotificationsMutation,
    ConfirmationsMutation,
    WebhooksMutation,
    PoliciesMutation,
    RenewalsMutation,
    ServicePlansMutation,
    InspectionsMutation,
    WalkInMutation,
    ReplacementsMutation,
    DepotRepairMutation,
    DispatchBoardMutation,
    RemoteServiceMutation,
    TravelRequestsMutation,
    KnowledgeBaseMutation,
    CrewsMutation,
    DispatchPartsMutation,
    AttendanceMutation,
    ConversationsMutation,
):
    pass
