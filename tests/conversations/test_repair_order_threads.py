"""A depot repair order's thread: the customer and the bench technician talk there, and the
order's steps are posted into it as they commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tests.depot_repair.helpers import (
    RECEIVE,
    START_DIAGNOSIS,
    as_customer,
    as_tech,
    depot_world,
    intake,
    ok,
)
from tests.support import GraphQLClient

OPEN = """
mutation($input: OpenConversationInput!) { openConversation(input: $input) {
  conversation { id title } userErrors { field code } } }
"""
SEND = """
mutation($input: SendConversationMessageInput!) { sendConversationMessage(input: $input) {
  message { id } userErrors { code } } }
"""
MESSAGES = """
query($id: ID!) { conversation(id: $id) { repairOrder { status } messages(first: 5) {
  edges { node { kind senderRole body } } } } }
"""


async def test_a_repair_order_thread_carries_its_steps(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await ok(gql, RECEIVE, intake(world))
    opened = await as_customer(gql, world.customer).mutate(OPEN, {"repairOrderId": order["id"]})
    assert opened["userErrors"] == []
    thread = opened["conversation"]["id"]
    asked = await as_customer(gql, world.customer).mutate(
        SEND, {"conversationId": thread, "body": "When will it be ready?"}
    )
    assert asked["userErrors"] == []

    await ok(
        gql,
        START_DIAGNOSIS,
        {"repairOrderId": order["id"], "technicianId": world.gid("Technician", world.tech_a.id)},
    )
    answered = await as_tech(gql, world.tech_a).mutate(
        SEND, {"conversationId": thread, "body": "Diagnosing it now"}
    )
    assert answered["userErrors"] == []

    data = await as_customer(gql, world.customer)(MESSAGES, {"id": thread})
    nodes = [e["node"] for e in data["conversation"]["messages"]["edges"]]
    assert [(n["kind"], n["senderRole"]) for n in nodes] == [
        ("TEXT", "TECHNICIAN"),
        ("SYSTEM", "SYSTEM"),
        ("TEXT", "CUSTOMER"),
    ]
    assert nodes[1]["body"].endswith("is now diagnosing")
