"""Field-level access: what a customer and a partner may read of every type they can reach.

Two kinds of test. The schema walk starts from every root field a role may call and follows
every field the role is not refused, and asserts that each field it meets is on that role's
allow-list below or carries a rule that refuses it (or, for a partner, one that admits only its
own rows). A new field on a reachable type fails the walk until someone decides. The matrix
tests then run real operations, per role, and check the refusals happen.

`node(id:)` is left out of the walk: it reaches every type, and each type's node fetcher
applies that domain's row scoping (a customer's `node` for a dispatch run is null).
Connections, edges and payloads only carry other types, whose fields are walked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.contracts.models import ContractKind
from app.core.auth import Principal, Role
from app.core.config import Settings
from app.core.geo import point_value
from app.main import build_schema
from app.work_orders.models import Task, TaskStatus
from schema.permissions import Allow, own_partner
from tests.support import GraphQLClient
from tests.work_orders import factories
from tests.work_orders.test_task_graphql import dispatched

# --- what each role may read -----------------------------------------------------------------

# The same for a customer and a partner. A technician is a name to both; a partner reads more
# of its own technicians (rules that depend on the row, not listed here). No cost price, margin,
# internal note, audit actor or storage key is on these lists.
COMMON = {
    # published CUSTOMER knowledge base articles, without who wrote them or their versions
    "KnowledgeArticle": (
        "id title bodyMarkdown bodyHtml language audience status tags faultCodes symptoms media "
        "revision publishedAt version createdAt updatedAt productModels helpfulCount "
        "notHelpfulCount"
    ),
    "KnowledgeMedium": "url kind caption",
    "KnowledgeSearchHit": "article rank titleHighlight highlight",
    "Asset": (
        "id serialNumber soldOn installedOn warrantyExpiresOn ewarrantyCertificate "
        "ewarrantyRegisteredOn notes version createdAt updatedAt archivedAt productModel site "
        "customer underWarranty coverage"
    ),
    "Attachment": (
        "id kind filename caption contentType sizeBytes sha256 uploadedByName uploadedByRole "
        "createdAt url contentBase64 serviceRequest task"
    ),
    "BillingLine": (
        "position kind description partId quantity unitPrice amount coverage chargeable "
        "taxCategory taxRatePercent tax total"
    ),
    "Contract": (
        "id number kind startsOn endsOn coversLabour coversParts slaResponseHours "
        "slaResolutionHours visitsPerYear price version createdAt updatedAt archivedAt customer "
        "coveredAssets coveredSites isActive renewedFrom renewedBy"
    ),
    # inspections of the caller's own visits, with the checklist they were filled against
    "ChecklistItem": "key kind label required unit minValue maxValue options followUp",
    "ChecklistSection": "title items",
    "ChecklistTemplate": (
        "id name description taskType productCategory isDefault publishedVersion versions "
        "version archivedAt"
    ),
    "ChecklistTemplateVersion": "number status publishedAt sections",
    "FollowUpRule": "taskType priority",
    "Inspection": (
        "id status startedAt submittedAt version task asset template templateVersion answers "
        "followUps report reportUrl"
    ),
    "InspectionAnswerType": "itemKey yes number text choices attachmentIds failed answeredAt",
    "InspectionFollowUpType": "itemKey reason task",
    "ReadingPoint": "inspectionId at value outOfRange",
    # a contract's planned work, as its customer (or the partner doing a visit) sees it
    "ContractEntitlement": "included planned done missed cancelled remaining contract",
    "PlannedVisit": (
        "id dueOn visitOn windowStart windowEnd status cancelReason createdAt closedAt plan "
        "contract site asset task"
    ),
    "PlanSkill": "code minLevel",
    "ServicePlan": (
        "id name visitType target frequency interval byMonths monthDay weekday weekOfMonth "
        "startsOn endsOn toleranceBeforeDays toleranceAfterDays durationMinutes requiredSkills "
        "checklistTemplateId holidayPolicy nonWorkingWeekdays version createdAt updatedAt "
        "archivedAt contract checklistTemplate site assets"
    ),
    "Coverage": (
        "status contractKind labourCovered partsCovered slaResponseHours slaResolutionHours "
        "contract"
    ),
    "Customer": (
        "id name type email phone whatsapp language externalRef contactName preferredChannels "
        "version createdAt updatedAt archivedAt sites assets contracts"
    ),
    # depots are public: where to bring an item, when they are open, what they charge
    "Depot": (
        "id code name address phone point timeZone openingHours turnaroundHours diagnosisFee "
        "storageFreeDays storageFee version"
    ),
    "OpeningHours": "weekday opens closes",
    # the public status lookup: the status and its dates, nothing about the customer or item
    "RepairTracking": (
        "trackingCode status statusLabel receivedAt promisedBy readyAt deliveredAt depotName "
        "depotPhone"
    ),
    "DocumentTotals": "subtotal covered net tax total",
    "Eligibility": "status coverage",
    "Estimate": (
        "id status currency totals notes requiresAcceptance sentAt decidedAt decisionReason "
        "version taskId customer lines"
    ),
    "GeoPoint": "lat lng",
    "Holiday": "day name",
    "Invoice": (
        "id kind number status amountPaid amountCredited balance issuedAt dueOn reason version "
        "taskId creditedInvoiceId customer currency totals lines payments"
    ),
    "LineCoverage": "source covered contractId contractNumber capApplied note",
    "Money": "amount currency",
    "PageInfo": "hasNextPage endCursor",
    "PartUsed": "partCode quantity description createdAt",
    "Partner": "id name code contactEmail phone version createdAt archivedAt",
    "Payment": "id method amount reference receiptNumber receivedAt invoiceId",
    "Prerequisite": "text done",
    "ProductModel": (
        "id code name brand category warrantyMonths description serviceMinutes version "
        "createdAt archivedAt"
    ),
    "RequestCoverage": "kind labour parts validUntil contract",
    "Signature": "imageRef signerName signedAt",
    "Site": (
        "id name addressLine addressLine2 city region postalCode country accessNotes "
        "contactName contactPhone location version createdAt updatedAt archivedAt customer "
        "assets"
    ),
    "Skill": "id code name description version archivedAt",
    "SkillRequirement": "minLevel code skill",
    "TaskEvent": "action fromStatus toStatus at actorRole reason task",
    "TaskPhotoEntry": "reference caption createdAt",
    "Technician": "id name rating ratingCount",
    "Territory": (
        "id name code timeZone description area version createdAt archivedAt holidays technicians"
    ),
    "TimelineEntry": "at kind status reason actorRole task",
    "UpsellOffer": (
        "id status quantity unitPrice paidAt stockShortAt deliveredAt partId taskId invoiceId"
    ),
    "User": "id email name role version createdAt lastLoginAt archivedAt",
    "UserError": "field message code",
    "Viewer": "role name id technician customer partner",
}

# A customer sees their appointment, the work done and its money; not how the organisation
# dispatches it (offers, rejections, geofence checks, preferred or excluded technicians, work
# orders), not internal notes, not where the technician checked in, not the triage.
CUSTOMER_TASK = (
    "id status version type description priority durationMinutes crewSize location "
    "earliestStart latestStart windowStart windowEnd deadline scheduledStart scheduledEnd "
    "prerequisites confirmedAt startedAt finishedAt resolutionCode resolutionNotes "
    "incompleteReason cancelReason rating feedbackComment responseDueAt resolutionDueAt "
    "slaState createdAt updatedAt requiredSkills technician serviceRequest site customer "
    "asset territory followUpOf events photos partsUsed signature"
)
CUSTOMER_REQUEST = (
    "id number channel category description contactName contactPhone externalRef status "
    "priority eligibility isDuplicate responseDueAt resolutionDueAt slaState resolvedAt "
    "version createdAt customer site asset tasks timeline"
)
CUSTOMER_MAY_READ = COMMON | {
    "AppointmentSlot": "start end technicianCount",
    # their own offers, without how the price was found or the staff's notes
    "ContractOffer": (
        "id reference kind stage revision contractKind startsOn endsOn price coversLabour "
        "coversParts visitsPerYear slaResponseHours slaResolutionHours validUntil sentAt "
        "answeredAt answeredVia lostReason version createdAt updatedAt customer contract "
        "newContract supersedes"
    ),
    "CustomerBalance": "customerId outstanding credit",
    "CustomerCredit": (
        "id customerId invoiceId amount reason receiptNumber receivedAt refundedAt refundReference"
    ),
    "Notification": (
        "id event channel status subject body language address attempts nextAttemptAt createdAt "
        "sentAt deliveredAt readAt read task customer"
    ),
    "NotificationPreferences": (
        "customerId channelOrder language quietStart quietEnd mutedEvents version"
    ),
    "PaymentLink": "token url amount status expiresAt",
    "SuggestedArticle": "article score reasons",
    # their warranty replacements: the outcome and evidence, not the cost, approver or depot
    "ReplacementRequest": (
        "id reference source status productCategory diagnosis decidedAt decisionReason "
        "newSerialNumber warrantyMode newWarrantyExpiresOn version createdAt updatedAt task "
        "customer asset newAsset replacementModel evidence repairOrder"
    ),
    # their own repair orders, without the bench's priority, QC failures or cost prices
    "RepairOrder": (
        "id number trackingCode status reportedFault faultCode accessories damageNotes coverage "
        "diagnosis receivedAt dueAt readyAt closedAt handoverSigner onAccount version createdAt "
        "ageMinutes overdue depot customer asset technician estimate invoices partsUsed events "
        "photos"
    ),
    "RepairAccessory": "name received",
    "RepairOrderEvent": "action fromStatus toStatus at actorRole reason",
    "RepairOrderUpdate": "action fromStatus toStatus at actorRole reason repairOrder",
    "RepairPartUsed": "partSku partName quantity usedAt",
    "ServiceRequest": CUSTOMER_REQUEST,
    "SlotHold": "id start end durationMinutes status expiresAt",
    "Task": CUSTOMER_TASK,
    "TaskStatusChange": "action fromStatus toStatus at actorRole reason",
    "TaskTracking": "taskId status tracking location recordedAt etaMinutes etaAt",
    # what they bought at the counter, its invoice and payment, and the visit planned from it
    "WalkInOrder": (
        "id number settlement description version createdAt updatedAt customer site asset "
        "invoice payment fieldVisit"
    ),
    "Conversation": (
        "id subjectKind title lastActivityAt createdAt unreadCount participants lastMessage "
        "messages task serviceRequest repairOrder"
    ),
    "ConversationParticipant": "name role joinedAt lastReadMessageId lastReadAt",
    "ConversationMessage": (
        "id kind via body senderName senderRole clientMessageId createdAt editedAt deletedAt "
        "deletedBy version mine conversationId attachments"
    ),
    "ConversationMessageEvent": "action message",
}

# A partner does the work: it reads the dispatch side of its tasks, their notes, its own
# technicians' calendars and positions, parts at sale price and stock, its webhooks.
PARTNER_MAY_READ = COMMON | {
    # its own technicians' attendance (app/attendance/repository.py)
    "AttendanceBreak": "kind startedAt endedAt",
    "AttendanceCorrection": "actorRole reason changes correctedAt",
    "AttendanceDay": (
        "technicianId date timeZone status shiftStart shiftEnd plannedMinutes clockInAt "
        "clockInLocation clockInSource clockOutAt clockOutLocation breaks workedMinutes "
        "breakMinutes lateMinutes overtimeMinutes dailyOvertimeMinutes timeOffReason version "
        "technician corrections"
    ),
    "Contract": COMMON["Contract"].replace(" price ", " "),  # what the customer pays
    "ExpenseClaim": (
        "id category amount incurredOn description receiptRef status approverRole decidedAt "
        "decisionReason version technicianId"
    ),
    # a partner reads KPIs held to its own partner dimension (app/kpis/query.py)
    "KpiRow": (
        "bucket territoryId partnerId technicianId productCategory channel priority taskType values"
    ),
    "KpiValue": "metric value numerator denominator",
    "ScoreboardEntry": "rank technicianId value expected score volume",
    "Part": (
        "id sku name description unit unitPrice isAccessory reorderLevel category version "
        "createdAt updatedAt archivedAt compatibleModels"
    ),
    "Requisition": (
        "id status taskId requestedBy neededBy notes approverRole decidedAt decisionReason "
        "version createdAt updatedAt technician warehouse lines"
    ),
    "RequisitionLine": "quantityRequested quantityFulfilled quantityOutstanding part",
    "ServiceRequest": CUSTOMER_REQUEST + " priorityReason priorityOverridden",
    "Shift": "weekday start end",
    "SkillLevel": "skill level",
    "StockAvailability": "location quantity onHand reserved distanceMeters",
    "StockLevel": "id onHand reserved available updatedAt part location",
    "StockLocation": "id kind code name address version createdAt archivedAt point technician",
    "StockMovement": (
        "id kind quantity onHandDelta reservedDelta at reason reference operationKey taskId "
        "part location counterpart requisition"
    ),
    "Task": CUSTOMER_TASK
    + (
        " offerExpiresAt rejectionCount outsideGeofence offSchedule checkInDistanceMeters "
        "preferredTechnicians excludedTechnicians workOrder notes releasedForExecution "
        "travelRelease travelRequest"
    ),
    "TaskRelease": "required released reason distanceKm",
    "TaskNoteEntry": "body author createdAt",
    "TaskStatusChange": "action fromStatus toStatus at actorRole reason location",
    "TechnicianDistance": "technician distanceMeters measuredFrom",
    # a partner reads its technicians' travel and advances (their payout and settlement)
    "TravelRequest": (
        "id reference status mode origin destination departsOn returnsOn lodgingNights "
        "estimatedCost advance notes approverRole decidedAt decisionReason settlementStatus "
        "advancePaidAt settledAt claimed balance version createdAt updatedAt task technician "
        "release"
    ),
    "TechnicianLocation": "technicianId location recordedAt accuracyMeters speedMps heading",
    "TerritoryMembership": "id validFrom validTo isPrimary territory",
    "TimeOff": "id start end reason",
    "Trail": "technicianId path distanceMeters pingCount stops",
    "TrailStop": (
        "location arrivedAt leftAt durationMinutes pingCount checkedInAt taskId siteId task"
    ),
    "WebhookDelivery": (
        "id deliveryId eventType payload status attempts nextAttemptAt responseStatus lastError "
        "createdAt deliveredAt subscription"
    ),
    "WebhookSubscription": "id name url eventTypes active version createdAt updatedAt partner",
    "WorkOrder": "id status version createdAt tasks",
    "Conversation": (
        "id subjectKind title lastActivityAt createdAt unreadCount participants lastMessage "
        "messages task serviceRequest"
    ),
    "ConversationParticipant": "name role joinedAt lastReadMessageId lastReadAt",
    "ConversationMessage": (
        "id kind via body senderName senderRole clientMessageId createdAt editedAt deletedAt "
        "deletedBy version mine conversationId attachments"
    ),
    "ConversationMessageEvent": "action message",
}

ALLOW_LISTS = {Role.CUSTOMER: CUSTOMER_MAY_READ, Role.PARTNER: PARTNER_MAY_READ}
STRUCTURAL = ("Connection", "Edge", "Payload")


# --- the schema walk -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema(Settings())._schema


def rule_of(field: GraphQLField) -> Allow | None:
    definition = field.extensions.get("strawberry-definition")
    rules = [e for e in getattr(definition, "extensions", []) if isinstance(e, Allow)]
    return rules[0] if rules else None


def readable_fields(role: Role, type_: GraphQLObjectType) -> Iterator[tuple[str, Any]]:
    """(name, permits) of each field `role` is not refused outright."""
    for name, field in type_.fields.items():
        rule = rule_of(field)
        permits = True if rule is None else rule.permits(role)
        if permits is not False:
            yield name, permits


def reachable(schema: GraphQLSchema, role: Role) -> dict[str, GraphQLObjectType]:
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    queue: list[GraphQLNamedType] = [
        get_named_type(field.type)
        for root in roots
        if root is not None
        for name, field in root.fields.items()
        if name not in ("node", "nodes")
        and (rule_of(field) is None or rule_of(field).permits(role))  # type: ignore[union-attr]
    ]
    found: dict[str, GraphQLObjectType] = {}
    seen: set[str] = set()
    while queue:
        type_ = queue.pop()
        if type_.name in seen:
            continue
        seen.add(type_.name)
        if isinstance(type_, GraphQLUnionType | GraphQLInterfaceType):
            queue.extend(schema.get_possible_types(type_))
        elif isinstance(type_, GraphQLObjectType):
            found[type_.name] = type_
            queue.extend(
                get_named_type(type_.fields[name].type) for name, _ in readable_fields(role, type_)
            )
    return found


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.PARTNER])
def test_every_field_a_role_can_reach_is_allowed_by_name_or_refused(
    graphql_schema: GraphQLSchema, role: Role
) -> None:
    allowed = {name: set(fields.split()) for name, fields in ALLOW_LISTS[role].items()}
    undecided, stale = [], []
    types = reachable(graphql_schema, role)
    for name, type_ in types.items():
        if name.endswith(STRUCTURAL):
            continue
        open_fields = {field for field, permits in readable_fields(role, type_) if permits is True}
        undecided += [f"{name}.{f}" for f in sorted(open_fields - allowed.get(name, set()))]
        stale += [f"{name}.{f}" for f in sorted(allowed.get(name, set()) - open_fields)]
    stale += [f"{name} (unreachable)" for name in allowed if name not in types]
    assert undecided == [], f"{role} reads these without a decision: allow-list or refuse them"
    assert stale == [], f"{role}'s allow-list names fields it cannot read"


def test_the_walk_sees_the_leaks_it_guards_against(graphql_schema: GraphQLSchema) -> None:
    """The customer's walk reaches the technician type and its refused fields."""
    technician = reachable(graphql_schema, Role.CUSTOMER)["Technician"]
    readable = dict(readable_fields(Role.CUSTOMER, technician))
    assert set(readable) == {"id", "name", "rating", "ratingCount"}
    partner_view = dict(readable_fields(Role.PARTNER, technician))
    assert partner_view["costPerHour"] is None and partner_view["name"] is True


# --- the matrix, on real operations ----------------------------------------------------------

TASK_TECHNICIAN = "query($id: ID!) { task(id: $id) { technician { name %s } } }"
TECHNICIAN_FIELDS = {
    "phone": "phone",
    "email": "email",
    "costPerHour": "costPerHour { amount }",
    "costPerKm": "costPerKm { amount }",
    "homeBase": "homeBase { lat }",
    "lastKnownLocation": "lastKnownLocation { lat }",
    "lastSeenAt": "lastSeenAt",
    "notes": "notes",
    "skills": "skills { level }",
    "partner": "partner { code }",
}
COSTS_AND_NOTES = {"costPerHour", "costPerKm", "notes"}
# role -> the technician fields it may read on a task it can see (besides the name)
MAY_READ_OF_THE_TECHNICIAN = {
    Role.CUSTOMER: set(),
    Role.TECHNICIAN: set(TECHNICIAN_FIELDS) - COSTS_AND_NOTES,
    Role.PARTNER: set(TECHNICIAN_FIELDS),  # its own technician
    Role.DISPATCHER: set(TECHNICIAN_FIELDS),
    Role.ADMIN: set(TECHNICIAN_FIELDS),
}


def refused(body: dict[str, Any], field: str) -> str | None:
    """The code of the error at a path ending in `field`, if any."""
    codes = [e["extensions"]["code"] for e in body.get("errors", []) if e["path"][-1] == field]
    return codes[0] if codes else None


async def partner_world(session: AsyncSession) -> tuple[factories.World, Any]:
    """A world whose technician works for a partner, with every private detail filled in."""
    w = await factories.world(session)
    employer = await factories.partner(session)
    tech = w.technician
    tech.partner_id, tech.employment = employer.id, "PARTNER"
    tech.phone, tech.email, tech.notes = "+91 98450 00000", "tech@partner.example", "on notice"
    tech.cost_per_hour, tech.cost_per_km = Decimal("450.00"), Decimal("12.00")
    tech.last_location, tech.last_seen_at = point_value(12.98, 77.6), datetime.now(UTC)
    await session.flush()
    return w, employer


def client_for(
    gql: GraphQLClient, role: Role | None, w: factories.World, partner_id: int | None
) -> GraphQLClient:
    links = {
        Role.CUSTOMER: {"customer_id": w.customer.id},
        Role.TECHNICIAN: {"technician_id": w.technician.id},
        Role.PARTNER: {"partner_id": partner_id},
    }
    return gql.as_role(role, **links.get(role, {}))  # type: ignore[arg-type]


async def completed_two_weeks_ago(
    gql: GraphQLClient, session: AsyncSession, w: factories.World
) -> str:
    task_id: str = (await dispatched(gql, w))["id"]
    finished = datetime.now(UTC) - timedelta(days=14)
    await session.execute(
        update(Task)
        .where(Task.technician_id == w.technician.id)  # type: ignore[arg-type]
        .values(status=TaskStatus.COMPLETED, started_at=finished, finished_at=finished, rating=4)
    )
    return task_id


@pytest.mark.parametrize(
    "role", [None, Role.CUSTOMER, Role.TECHNICIAN, Role.PARTNER, Role.DISPATCHER, Role.ADMIN]
)
async def test_what_each_role_reads_of_the_technician_of_a_visit(
    gql: GraphQLClient, session: AsyncSession, role: Role | None
) -> None:
    w, employer = await partner_world(session)
    task_id = await completed_two_weeks_ago(gql, session, w)
    client = client_for(gql, role, w, employer.id)

    for field, selection in TECHNICIAN_FIELDS.items():
        body = await client.raw(TASK_TECHNICIAN % selection, {"id": task_id})
        if role is None:
            assert refused(body, "task") == "UNAUTHENTICATED"
            continue
        if field in MAY_READ_OF_THE_TECHNICIAN[role]:
            assert "errors" not in body, (role, field, body)
            assert body["data"]["task"]["technician"][field] is not None, (role, field)
        else:
            assert refused(body, field) == "FORBIDDEN", (role, field, body)
        if body["data"]["task"]["technician"] is not None:
            assert body["data"]["task"]["technician"]["name"] == w.technician.name


PREFERRED = """
query($id: ID!) { task(id: $id) { preferredTechnicians { name %s } } }
"""


@pytest.mark.parametrize("field", ["phone", "costPerHour { amount }", "lastKnownLocation { lat }"])
async def test_a_partner_reads_only_the_name_of_another_partners_technician(
    gql: GraphQLClient, session: AsyncSession, field: str
) -> None:
    w, employer = await partner_world(session)
    rival = await factories.technician(session, partner_id=(await factories.partner(session)).id)
    rival.phone, rival.cost_per_hour = "+91 90000 11111", Decimal("300.00")
    rival.last_location = point_value(12.9, 77.5)
    task_id = await completed_two_weeks_ago(gql, session, w)
    await session.execute(
        update(Task)
        .where(Task.technician_id == w.technician.id)
        .values(  # type: ignore[arg-type]
            preferred_technician_ids=[rival.id, w.technician.id]
        )
    )
    partner = client_for(gql, Role.PARTNER, w, employer.id)

    body = await partner.raw(PREFERRED % field, {"id": task_id})

    name = field.split()[0]
    paths = sorted(e["path"][-2] for e in body["errors"] if e["path"][-1] == name)
    assert paths == [0], body  # the rival's detail is refused; its own technician's is read
    assert {"code": "FORBIDDEN"}.items() <= body["errors"][0]["extensions"].items()
    preferred = body["data"]["task"]["preferredTechnicians"]
    assert [t["name"] for t in preferred] == [rival.name, w.technician.name]
    assert preferred[0][name] is None and preferred[1][name] is not None


@pytest.mark.parametrize(
    ("field", "nullable"),
    [
        ("homeBase { lat }", False),
        ("lastKnownLocation { lat }", True),
        ("lastSeenAt", True),
        ("timeOff { id }", False),
    ],
)
async def test_a_technician_reads_their_own_whereabouts_not_a_colleagues(
    gql: GraphQLClient, session: AsyncSession, field: str, nullable: bool
) -> None:
    w, _ = await partner_world(session)
    colleague = await factories.technician(session)
    colleague.last_location, colleague.last_seen_at = point_value(12.9, 77.5), datetime.now(UTC)
    task_id = await completed_two_weeks_ago(gql, session, w)
    await session.execute(
        update(Task)
        .where(Task.technician_id == w.technician.id)
        .values(  # type: ignore[arg-type]
            preferred_technician_ids=[colleague.id, w.technician.id]
        )
    )
    technician = client_for(gql, Role.TECHNICIAN, w, None)

    body = await technician.raw(PREFERRED % field, {"id": task_id})

    name = field.split()[0]
    refusals = [(e["path"][-2:], e["extensions"]["code"]) for e in body["errors"]]
    assert refusals == [([0, name], "FORBIDDEN")]  # the colleague's, not their own
    if nullable:  # else the refusal nulls the task, as a refused non-null field does
        colleague_seen, own = body["data"]["task"]["preferredTechnicians"]
        assert colleague_seen["name"] == colleague.name and colleague_seen[name] is None
        assert own[name] is not None


async def test_a_customer_reads_the_name_of_their_technician_and_no_more_through_the_list(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w, _ = await partner_world(session)
    await completed_two_weeks_ago(gql, session, w)
    customer = client_for(gql, Role.CUSTOMER, w, None)

    names = await customer("{ technicians { edges { node { id name rating ratingCount } } } }")
    phones = await customer.raw("{ technicians { edges { node { name phone } } } }")
    near = await customer.raw(
        "{ techniciansNear(point: {lat: 12.97, lng: 77.59}, radiusMeters: 50000) "
        "{ distanceMeters } }"
    )

    (only,) = [e["node"] for e in names["technicians"]["edges"]]
    assert (only["name"], only["rating"], only["ratingCount"]) == (w.technician.name, 4.0, 1)
    assert refused(phones, "phone") == "FORBIDDEN"
    # distances from points of the caller's choosing would place the technician
    assert refused(near, "techniciansNear") == "FORBIDDEN"


TASK_INSIDE = "query($id: ID!) { task(id: $id) { %s } }"
# task field selection -> the roles (of those that can see the task) refused it
TASK_INTERNALS = [
    # (selection, the refused field, the roles, of those that can see the task, refused it)
    ("rejectionCount", "rejectionCount", {Role.CUSTOMER}),
    ("outsideGeofence", "outsideGeofence", {Role.CUSTOMER}),
    ("notes { body author }", "notes", {Role.CUSTOMER}),
    ("workOrder { id }", "workOrder", {Role.CUSTOMER}),
    ("excludedTechnicians { name }", "excludedTechnicians", {Role.CUSTOMER}),
    ("events { actor }", "actor", {Role.CUSTOMER, Role.PARTNER}),
    ("events { location { lat } }", "location", {Role.CUSTOMER}),
    ("customer { notes }", "notes", {Role.CUSTOMER, Role.PARTNER}),
    ("serviceRequest { priorityReason }", "priorityReason", {Role.CUSTOMER}),
    ("serviceRequest { duplicateOf { id } }", "duplicateOf", {Role.CUSTOMER, Role.PARTNER}),
    ("customer { contracts { price { amount } } }", "price", {Role.PARTNER}),
]


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.TECHNICIAN, Role.PARTNER, Role.DISPATCHER])
async def test_the_internal_side_of_a_task_is_refused_to_customers_and_partners(
    gql: GraphQLClient, session: AsyncSession, role: Role
) -> None:
    w, employer = await partner_world(session)
    task_id = await completed_two_weeks_ago(gql, session, w)
    await factories.contract(session, w.customer, ContractKind.AMC, asset=w.asset)
    client = client_for(gql, role, w, employer.id)

    for selection, field, refused_to in TASK_INTERNALS:
        body = await client.raw(TASK_INSIDE % selection, {"id": task_id})
        expected = "FORBIDDEN" if role in refused_to else None
        assert refused(body, field) == expected, (role, selection, body)
        if expected is None:
            assert "errors" not in body, (role, selection, body)


async def test_a_partner_reads_parts_at_sale_price_not_at_cost(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w, employer = await partner_world(session)
    await factories.stocked_van(session, w.technician, "CAP-35UF", 1)
    partner = client_for(gql, Role.PARTNER, w, employer.id)

    prices = await partner("{ parts { edges { node { sku unitPrice { amount } } } } }")
    costs = await partner.raw("{ parts { edges { node { sku unitCost { amount } } } } }")

    assert prices["parts"]["edges"][0]["node"]["unitPrice"] == {"amount": "9.00"}
    assert refused(costs, "unitCost") == "FORBIDDEN"


def test_a_partner_token_without_a_partner_reads_no_costs() -> None:
    rule = own_partner()
    stranger = Principal(subject="x", role=Role.PARTNER, partner_id=None)
    row = type("Row", (), {"partner_db_id": None})()
    assert rule.refusal(stranger, row) is not None
    assert rule.refusal(Principal(subject="y", role=Role.DISPATCHER), row) is None
