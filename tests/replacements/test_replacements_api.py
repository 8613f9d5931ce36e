"""Warranty replacements end to end through GraphQL: a technician's request with evidence, the
approver the policy requires, approval carried out (ledger, assets, customer told), rejection
with a reason, retries and stale versions, and who may do what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.assets.service import add_months
from app.core.auth import Role
from app.core.models import utcnow
from app.inventory.models import StockLevel, StockMovement
from app.notifications.models import Notification, NotificationEvent
from schema.ids import encode_id
from tests.replacements.factories import Case, case
from tests.support import GraphQLClient, error_codes

REQUEST = """
mutation($input: RequestReplacementInput!) { requestReplacement(input: $input) {
  request { id reference status source approverRole value { amount currency } diagnosis version
    productCategory asset { id } evidence { id filename } task { id } }
  userErrors { field message code } } }
"""
APPROVE = """
mutation($input: ApproveReplacementInput!) { approveReplacement(input: $input) {
  request { id status version newSerialNumber warrantyMode newWarrantyExpiresOn decidedAt
    newAsset { id serialNumber warrantyExpiresOn underWarranty } asset { id archivedAt } }
  userErrors { field message code } } }
"""
REJECT = """
mutation($input: RejectReplacementInput!) { rejectReplacement(input: $input) {
  request { id status decisionReason } userErrors { field message code } } }
"""
SET_POLICY = """
mutation($input: SetReplacementPolicyInput!) { setReplacementPolicy(input: $input) {
  policy { productCategory dispatcherLimit { amount } managerLimit { amount } warrantyMode
    version }
  userErrors { field message code } } }
"""
LIST = "{ replacementRequests(first: 10) { totalCount edges { node { id status } } } }"


def gid(kind: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(kind, db_id)


def request_input(c: Case, **changes: Any) -> dict[str, Any]:
    return {
        "taskId": gid("Task", c.task.id),
        "replacementPartId": gid("Part", c.unit.id),
        "stockLocationId": gid("StockLocation", c.depot.id),
        "diagnosis": "Compressor seized; winding shorted to ground",
        "evidenceAttachmentIds": [gid("Attachment", p) for p in c.photos],
    } | changes


def technician(gql: GraphQLClient, c: Case) -> GraphQLClient:
    return gql.as_role(Role.TECHNICIAN, technician_id=c.world.technician.id)


async def requested(gql: GraphQLClient, c: Case) -> dict[str, Any]:
    payload = await technician(gql, c).mutate(REQUEST, request_input(c))
    assert payload["userErrors"] == []
    request: dict[str, Any] = payload["request"]
    return request


async def on_hand(session: AsyncSession, c: Case) -> int:
    level = await session.scalar(
        select(StockLevel)
        .where(col(StockLevel.location_id) == c.depot.id, col(StockLevel.part_id) == c.unit.id)
        .execution_options(populate_existing=True)
    )
    return level.on_hand if level else 0


async def told(session: AsyncSession, c: Case, event: NotificationEvent) -> list[Notification]:
    return list(
        (
            await session.scalars(
                select(Notification).where(
                    col(Notification.customer_id) == c.world.customer.id,
                    col(Notification.event) == event,
                )
            )
        ).all()
    )


async def test_a_technician_requests_and_a_dispatcher_approves_and_it_is_carried_out(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a unit under warranty diagnosed on the technician's own task, 3 units at the depot
    c = await case(session, cost="4000.00")

    # when the technician requests a replacement with two photos of the fault
    request = await requested(gql, c)

    # then it waits for a dispatcher (4,000 is within the default 5,000 dispatcher limit)
    assert request["status"] == "PENDING_APPROVAL" and request["source"] == "FIELD_TASK"
    assert request["approverRole"] == "DISPATCHER"
    assert request["value"] == {"amount": "4000.00", "currency": "INR"}
    assert [e["id"] for e in request["evidence"]] == [gid("Attachment", p) for p in c.photos]
    assert request["productCategory"] == "HVAC"

    # when a dispatcher approves it with the serial of the unit taken from stock
    approve = {"requestId": request["id"], "newSerialNumber": "NEW-0001", "expectedVersion": 1}
    payload = await gql.as_role(Role.DISPATCHER).mutate(APPROVE, approve)

    # then the unit left the depot once, through the ledger, for the task
    assert payload["userErrors"] == []
    done = payload["request"]
    assert done["status"] == "APPROVED" and done["newSerialNumber"] == "NEW-0001"
    assert await on_hand(session, c) == 2
    movements = (
        await session.scalars(
            select(StockMovement).where(col(StockMovement.operation_key).like("replacement:%"))
        )
    ).all()
    assert [(m.kind.value, m.on_hand_delta, m.task_id) for m in movements] == [
        ("CONSUME", -1, c.task.id)
    ]
    # the old serial is retired, the new asset continues the old warranty (the default policy)
    assert done["asset"]["archivedAt"] is not None
    assert done["warrantyMode"] == "CONTINUE"
    assert done["newAsset"]["serialNumber"] == "NEW-0001"
    assert done["newAsset"]["warrantyExpiresOn"] == c.asset.warranty_expires_on.isoformat()  # type: ignore[union-attr]
    assert done["newAsset"]["underWarranty"] is True
    # and the customer is told, with the new serial
    (notice,) = await told(session, c, NotificationEvent.REPLACEMENT_APPROVED)
    assert notice.data["new_serial"] == "NEW-0001" and notice.data["request_ref"].startswith("RR-")


async def test_a_restart_policy_gives_the_new_unit_a_fresh_warranty(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    c = await case(session)
    c.model.warranty_months = 24
    await session.flush()
    policy = {
        "productCategory": "HVAC",
        "dispatcherLimit": "10000.00",
        "managerLimit": "50000.00",
        "warrantyMode": "RESTART",
    }
    assert (await gql.mutate(SET_POLICY, policy))["userErrors"] == []
    request = await requested(gql, c)
    approve = {"requestId": request["id"], "newSerialNumber": "NEW-0002"}
    done = (await gql.as_role(Role.DISPATCHER).mutate(APPROVE, approve))["request"]
    today = utcnow().date()
    assert done["warrantyMode"] == "RESTART"
    assert done["newWarrantyExpiresOn"] == (add_months(today, 24) - timedelta(days=1)).isoformat()
    assert done["newAsset"]["warrantyExpiresOn"] == done["newWarrantyExpiresOn"]


@pytest.mark.parametrize(
    ("cost", "required", "refused", "allowed"),
    [
        ("5000.00", "DISPATCHER", None, Role.DISPATCHER),
        ("5000.01", "MANAGER", Role.DISPATCHER, Role.MANAGER),
        ("75000.01", "ADMIN", Role.MANAGER, Role.ADMIN),
    ],
)
async def test_the_approver_follows_the_value_thresholds(
    gql: GraphQLClient,
    session: AsyncSession,
    cost: str,
    required: str,
    refused: Role | None,
    allowed: Role,
) -> None:
    c = await case(session, cost=cost)
    request = await requested(gql, c)
    assert request["approverRole"] == required
    approve = {"requestId": request["id"], "newSerialNumber": f"NEW-{cost}"}
    if refused is not None:
        payload = await gql.as_role(refused).mutate(APPROVE, approve)
        assert error_codes(payload) == ["FORBIDDEN"]
        assert await on_hand(session, c) == 3
    payload = await gql.as_role(allowed).mutate(APPROVE, approve)
    assert payload["userErrors"] == [] and payload["request"]["status"] == "APPROVED"


async def test_a_category_policy_overrides_the_default_thresholds(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given HVAC replacements up to 20,000 may be approved by a dispatcher
    c = await case(session, cost="15000.00")
    policy = {"productCategory": "HVAC", "dispatcherLimit": "20000", "managerLimit": None}
    saved = await gql.mutate(SET_POLICY, policy)
    assert saved["policy"]["dispatcherLimit"] == {"amount": "20000.00"}
    # then a 15,000 HVAC unit needs only a dispatcher (the default would want a manager)
    assert (await requested(gql, c))["approverRole"] == "DISPATCHER"
    # and a stale policy version is refused
    stale = await gql.mutate(SET_POLICY, policy | {"expectedVersion": 7})
    assert error_codes(stale) == ["STALE_VERSION"]


async def test_a_rejection_needs_a_reason_tells_the_customer_and_ends_the_request(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    c = await case(session)
    request = await requested(gql, c)
    manager = gql.as_role(Role.MANAGER)

    blank = await manager.mutate(REJECT, {"requestId": request["id"], "reason": "  "})
    assert error_codes(blank) == ["INVALID"] and blank["userErrors"][0]["field"] == ["reason"]

    reason = "Damage from a power surge is not covered by the warranty"
    payload = await manager.mutate(REJECT, {"requestId": request["id"], "reason": reason})
    assert payload["request"] == {
        "id": request["id"],
        "status": "REJECTED",
        "decisionReason": reason,
    }
    (notice,) = await told(session, c, NotificationEvent.REPLACEMENT_REJECTED)
    assert notice.data["reason"] == reason

    approve = {"requestId": request["id"], "newSerialNumber": "NEW-9"}
    late = await gql.as_role(Role.ADMIN).mutate(APPROVE, approve)
    assert error_codes(late) == ["INVALID_TRANSITION"]
    assert await on_hand(session, c) == 3
    asset = await session.get(Asset, c.asset.id, populate_existing=True)
    assert asset is not None and asset.archived_at is None


async def test_a_retried_approval_issues_once_and_a_stale_one_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    c = await case(session)
    request = await requested(gql, c)
    dispatcher = gql.as_role(Role.DISPATCHER)
    approve = {
        "requestId": request["id"],
        "newSerialNumber": "NEW-R1",
        "expectedVersion": 1,
        "idempotencyKey": "approve-once",
    }

    first = await dispatcher.mutate(APPROVE, approve)
    again = await dispatcher.mutate(APPROVE, approve)

    assert first["userErrors"] == [] and again == first
    assert await on_hand(session, c) == 2
    stale = await dispatcher.mutate(
        APPROVE, approve | {"idempotencyKey": "another", "expectedVersion": 1}
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    assert await on_hand(session, c) == 2


async def test_an_approval_without_stock_writes_nothing(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    c = await case(session, units=0)
    request = await requested(gql, c)
    approve = {"requestId": request["id"], "newSerialNumber": "NEW-X"}
    payload = await gql.as_role(Role.DISPATCHER).mutate(APPROVE, approve)
    assert error_codes(payload) == ["INSUFFICIENT_STOCK"]
    data = await gql(LIST)
    assert data["replacementRequests"]["edges"][0]["node"]["status"] == "PENDING_APPROVAL"
    asset = await session.get(Asset, c.asset.id, populate_existing=True)
    assert asset is not None and asset.archived_at is None


async def test_requests_are_refused_without_warranty_twice_or_with_foreign_evidence(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    expired = await case(session, warranty_days=0)
    payload = await technician(gql, expired).mutate(REQUEST, request_input(expired))
    assert error_codes(payload) == ["INVALID"] and payload["userErrors"][0]["field"] == ["assetId"]

    c = await case(session)
    other = await case(session)
    foreign = request_input(c, evidenceAttachmentIds=[gid("Attachment", other.photos[0])])
    payload = await technician(gql, c).mutate(REQUEST, foreign)
    assert error_codes(payload) == ["NOT_FOUND"]
    assert payload["userErrors"][0]["field"] == ["evidenceAttachmentIds", "0"]

    await requested(gql, c)
    twice = await technician(gql, c).mutate(REQUEST, request_input(c))
    assert error_codes(twice) == ["DUPLICATE"]


async def test_who_may_request_decide_and_read(gql: GraphQLClient, session: AsyncSession) -> None:
    c = await case(session)
    # a technician of another task does not see the task; customers and partners may not ask
    stranger = gql.as_role(Role.TECHNICIAN, technician_id=c.world.technician.id + 10_000)
    assert error_codes(await stranger.mutate(REQUEST, request_input(c))) == ["NOT_FOUND"]
    for role in (Role.CUSTOMER, Role.PARTNER):
        refused = await gql.as_role(role).mutate(REQUEST, request_input(c))
        assert error_codes(refused) == ["FORBIDDEN"]
    assert error_codes(await gql.as_role(None).mutate(REQUEST, request_input(c))) == [
        "UNAUTHENTICATED"
    ]
    request = await requested(gql, c)
    # technicians and agents may not decide
    approve = {"requestId": request["id"], "newSerialNumber": "NEW-P"}
    for role in (Role.TECHNICIAN, Role.AGENT, Role.CUSTOMER):
        refused = await gql.as_role(role).mutate(APPROVE, approve)
        assert error_codes(refused) == ["FORBIDDEN"]
    # the customer reads their own request (without its cost), another customer nothing
    own = gql.as_role(Role.CUSTOMER, customer_id=c.world.customer.id)
    assert (await own(LIST))["replacementRequests"]["totalCount"] == 1
    other = gql.as_role(Role.CUSTOMER, customer_id=c.world.customer.id + 10_000)
    assert (await other(LIST))["replacementRequests"]["totalCount"] == 0
    body = await own.raw(
        "{ replacementRequests(first: 1) { edges { node { value { amount } } } } }"
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    partner = await gql.as_role(Role.PARTNER).raw(LIST)
    assert partner["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # only admins change the policy
    policy = {"dispatcherLimit": "1.00"}
    assert error_codes(await gql.as_role(Role.MANAGER).mutate(SET_POLICY, policy)) == ["FORBIDDEN"]
