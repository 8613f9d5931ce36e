"""Service requests through GraphQL: intake by channel, validation, overrides, replays."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories
from tests.work_orders.test_task_graphql import CREATE_REQUEST, gid

OVERRIDE = """
mutation($input: OverrideRequestPriorityInput!) {
  overrideRequestPriority(input: $input) {
    serviceRequest { priority priorityReason priorityOverridden version } userErrors { field code }
  }
}
"""
LIST = """
query($status: [ServiceRequestStatus!]) { serviceRequests(status: $status) {
  totalCount edges { node { number channel isDuplicate duplicateOf { id } customer { id } } } } }
"""


def _input(w: factories.World, **extra: object) -> dict[str, object]:
    return {
        "customerId": gid("Customer", w.customer.id),
        "siteId": gid("Site", w.site.id),
        "assetId": gid("Asset", w.asset.id),
        "channel": "PHONE",
        "category": "MAINTENANCE",
        "description": "Annual service",
    } | extra


async def test_an_agent_records_a_phone_request_and_a_duplicate_is_flagged(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    agent = gql.as_role(Role.AGENT)
    first = await agent.mutate(CREATE_REQUEST, _input(w))
    await agent.mutate(CREATE_REQUEST, _input(w, channel="EMAIL"))
    edges = (await agent(LIST, {"status": ["OPEN"]}))["serviceRequests"]["edges"]

    assert first["userErrors"] == [] and first["serviceRequest"]["priority"] == 4
    assert [e["node"]["isDuplicate"] for e in edges] == [False, True]
    assert edges[1]["node"]["duplicateOf"] == {"id": first["serviceRequest"]["id"]}
    assert edges[0]["node"]["customer"] == {"id": gid("Customer", w.customer.id)}


async def test_unknown_ids_and_empty_text_are_refused_and_nothing_is_written(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    payload = await gql.mutate(CREATE_REQUEST, _input(w, siteId=gid("Site", 10**9), assetId=None))
    blank = await gql.mutate(CREATE_REQUEST, _input(w, description=""))

    assert payload["userErrors"] == [{"field": ["siteId"], "code": "NOT_FOUND"}]
    assert error_codes(blank) == ["INVALID"] and blank["userErrors"][0]["field"] == ["description"]
    assert (await gql(LIST))["serviceRequests"]["totalCount"] == 0


async def test_an_override_needs_a_reason_and_the_current_version(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    request = (await gql.mutate(CREATE_REQUEST, _input(w)))["serviceRequest"]
    agent = gql.as_role(Role.AGENT)
    done = await agent.mutate(
        OVERRIDE, {"id": request["id"], "priority": 1, "reason": "medical equipment",
                   "expectedVersion": 1},
    )  # fmt: skip
    stale = await agent.mutate(
        OVERRIDE, {"id": request["id"], "priority": 2, "reason": "later", "expectedVersion": 1}
    )
    customer = await gql.as_role(Role.CUSTOMER, customer_id=w.customer.id).mutate(
        OVERRIDE, {"id": request["id"], "priority": 1, "reason": "urgent please"}
    )

    assert done["serviceRequest"] == {
        "priority": 1, "priorityReason": "medical equipment", "priorityOverridden": True,
        "version": 2,
    }  # fmt: skip
    assert error_codes(stale) == ["STALE_VERSION"]
    assert error_codes(customer) == ["FORBIDDEN"]


async def test_a_replayed_request_is_created_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    customer = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)
    body = _input(w, customerId=None, channel="CHATBOT", idempotencyKey="bot-42")
    first = await customer.mutate(CREATE_REQUEST, body)
    again = await customer.mutate(CREATE_REQUEST, body)

    assert again["serviceRequest"]["id"] == first["serviceRequest"]["id"]
    assert (await gql(LIST))["serviceRequests"]["totalCount"] == 1
