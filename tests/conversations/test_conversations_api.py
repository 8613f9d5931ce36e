"""Conversations through GraphQL: a thread on a service request with a customer, an agent and
a technician; idempotent sending, unread counts and read receipts, edits and deletions kept
for audit, bounds and rate limits, and the desk's answer going out through the outbox."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.conversations import service
from app.conversations.models import Message, MessageKind
from app.core.auth import Role
from app.core.models import utcnow
from app.notifications.delivery import prepare
from app.notifications.models import Notification, NotificationEvent, NotificationStatus
from schema.ids import encode_id
from tests.billing import factories as billing
from tests.conversations.factories import Case, case
from tests.replacements.factories import photo
from tests.support import GraphQLClient, error_codes

OPEN = """
mutation($input: OpenConversationInput!) { openConversation(input: $input) {
  conversation { id subjectKind title participants { name role } }
  userErrors { field message code } } }
"""
SEND = """
mutation($input: SendConversationMessageInput!) { sendConversationMessage(input: $input) {
  message { id body kind senderRole mine clientMessageId version attachments { id } }
  userErrors { field message code } } }
"""
EDIT = """
mutation($input: EditConversationMessageInput!) { editConversationMessage(input: $input) {
  message { id body editedAt version edits { previousBody editedBy } }
  userErrors { field message code } } }
"""
DELETE = """
mutation($input: DeleteConversationMessageInput!) { deleteConversationMessage(input: $input) {
  message { id body deletedAt deletedBy edits { previousBody editedBy } }
  userErrors { field message code } } }
"""
READ = """
mutation($input: MarkConversationReadInput!) { markConversationRead(input: $input) {
  conversation { id unreadCount participants { role lastReadMessageId } }
  userErrors { field message code } } }
"""
MINE = """
{ myConversations(first: 10) { totalCount edges { cursor node { id title unreadCount
  lastMessage { body } } } } }
"""
THREAD = """
query($id: ID!) { conversation(id: $id) { id title unreadCount
  messages(first: 20) { totalCount edges { node { body kind senderRole } } } } }
"""


@pytest.fixture
async def c(session: AsyncSession) -> Case:
    return await case(session)


def customer(gql: GraphQLClient, c: Case) -> GraphQLClient:
    return gql.as_role(Role.CUSTOMER, customer_id=c.world.customer.id)


def technician(gql: GraphQLClient, c: Case) -> GraphQLClient:
    return gql.as_role(Role.TECHNICIAN, technician_id=c.world.technician.id)


def agent(gql: GraphQLClient) -> GraphQLClient:
    return gql.as_role(Role.AGENT)


async def opened(gql: GraphQLClient, c: Case) -> str:
    payload = await customer(gql, c).mutate(
        OPEN, {"serviceRequestId": encode_id("ServiceRequest", c.request.id or 0)}
    )
    assert payload["userErrors"] == []
    thread_id: str = payload["conversation"]["id"]
    return thread_id


async def send(client: GraphQLClient, thread: str, body: str, **extra: Any) -> dict[str, Any]:
    payload = await client.mutate(SEND, {"conversationId": thread, "body": body, **extra})
    return payload


async def test_a_thread_with_a_customer_an_agent_and_a_technician(
    gql: GraphQLClient, c: Case
) -> None:
    thread = await opened(gql, c)
    again = await customer(gql, c).mutate(
        OPEN, {"serviceRequestId": encode_id("ServiceRequest", c.request.id or 0)}
    )
    assert again["conversation"]["id"] == thread

    first = await send(customer(gql, c), thread, "My AC is still warm")
    second = await send(agent(gql), thread, "A technician is booked for tomorrow")
    third = await send(technician(gql, c), thread, "I will bring a new capacitor")
    assert [p["userErrors"] for p in (first, second, third)] == [[], [], []]
    assert first["message"]["mine"] is True and first["message"]["senderRole"] == "CUSTOMER"

    data = await customer(gql, c)(THREAD, {"id": thread})
    bodies = [e["node"]["body"] for e in data["conversation"]["messages"]["edges"]]
    assert bodies == [
        "I will bring a new capacitor",
        "A technician is booked for tomorrow",
        "My AC is still warm",
    ]
    roles = (
        await agent(gql)(
            THREAD.replace("messages", "participants { role } messages"), {"id": thread}
        )
    )["conversation"]["participants"]
    assert [p["role"] for p in roles] == ["CUSTOMER", "AGENT", "TECHNICIAN"]


async def test_unread_counts_and_read_receipts(gql: GraphQLClient, c: Case) -> None:
    thread = await opened(gql, c)
    await send(agent(gql), thread, "Hello")
    await send(technician(gql, c), thread, "On my way soon")
    last = await send(agent(gql), thread, "Anything else?")

    mine = await customer(gql, c)(MINE)
    (edge,) = mine["myConversations"]["edges"]
    assert edge["node"]["unreadCount"] == 3
    assert edge["node"]["lastMessage"]["body"] == "Anything else?"

    middle = await customer(gql, c).mutate(
        READ, {"conversationId": thread, "messageId": last["message"]["id"]}
    )
    assert middle["userErrors"] == []
    assert middle["conversation"]["unreadCount"] == 0
    receipts = {p["role"]: p["lastReadMessageId"] for p in middle["conversation"]["participants"]}
    assert receipts["CUSTOMER"] == last["message"]["id"]
    # Sending reads the thread up to one's own message.
    agent_view = (await agent(gql)(MINE))["myConversations"]["edges"][0]["node"]
    assert agent_view["unreadCount"] == 0
    technician_view = (await technician(gql, c)(MINE))["myConversations"]["edges"][0]["node"]
    assert technician_view["unreadCount"] == 1


async def test_newest_activity_first(gql: GraphQLClient, c: Case, session: AsyncSession) -> None:
    thread = await opened(gql, c)
    task_thread = await customer(gql, c).mutate(OPEN, {"taskId": encode_id("Task", c.task.id or 0)})
    await send(agent(gql), task_thread["conversation"]["id"], "Task news")
    await send(agent(gql), thread, "Request news")
    edges = (await customer(gql, c)(MINE))["myConversations"]["edges"]
    assert [e["node"]["id"] for e in edges] == [thread, task_thread["conversation"]["id"]]
    page = await customer(gql, c)(
        "query($after: String) { myConversations(first: 1, after: $after) { edges { node { id } }"
        " pageInfo { hasNextPage } } }",
        {"after": edges[0]["cursor"]},
    )
    assert [e["node"]["id"] for e in page["myConversations"]["edges"]] == [
        task_thread["conversation"]["id"]
    ]


async def test_sending_again_with_the_client_message_id_returns_the_first(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    thread = await opened(gql, c)
    first = await send(customer(gql, c), thread, "Hello", clientMessageId="phone-1")
    again = await send(customer(gql, c), thread, "Hello", clientMessageId="phone-1")
    assert again["message"]["id"] == first["message"]["id"]
    other = await send(agent(gql), thread, "Hi", clientMessageId="phone-1")
    assert other["message"]["id"] != first["message"]["id"]
    count = len((await session.scalars(select(Message.id))).all())
    assert count == 2


async def test_edits_and_deletions_are_kept_for_audit(gql: GraphQLClient, c: Case) -> None:
    thread = await opened(gql, c)
    sent = (await send(technician(gql, c), thread, "Arriving at 10"))["message"]
    edited = await technician(gql, c).mutate(
        EDIT, {"messageId": sent["id"], "body": "Arriving at 11", "expectedVersion": 1}
    )
    assert edited["userErrors"] == []
    assert edited["message"]["body"] == "Arriving at 11" and edited["message"]["editedAt"]
    assert edited["message"]["edits"] == [
        {"previousBody": "Arriving at 10", "editedBy": "test:technician"}
    ]

    stale = await technician(gql, c).mutate(
        EDIT, {"messageId": sent["id"], "body": "Arriving at 12", "expectedVersion": 1}
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    not_theirs = await customer(gql, c).mutate(
        "mutation($input: EditConversationMessageInput!) { editConversationMessage(input: "
        "$input) { message { id } userErrors { code } } }",
        {"messageId": sent["id"], "body": "x"},
    )
    assert error_codes(not_theirs) == ["FORBIDDEN"]

    deleted = await technician(gql, c).mutate(DELETE, {"messageId": sent["id"]})
    assert deleted["userErrors"] == []
    message = deleted["message"]
    assert message["body"] == "" and message["deletedBy"] == "test:technician"
    assert [e["previousBody"] for e in message["edits"]] == ["Arriving at 10", "Arriving at 11"]
    again = await technician(gql, c).mutate(DELETE, {"messageId": sent["id"]})
    assert error_codes(again) == ["INVALID_TRANSITION"]
    seen = await customer(gql, c)(
        "query($id: ID!) { node(id: $id) { ... on ConversationMessage { body deletedAt } } }",
        {"id": sent["id"]},
    )
    assert seen["node"]["body"] == "" and seen["node"]["deletedAt"]


async def test_bounds(gql: GraphQLClient, c: Case) -> None:
    thread = await opened(gql, c)
    too_long = await send(customer(gql, c), thread, "x" * 4001)
    assert error_codes(too_long) == ["INVALID"] and too_long["userErrors"][0]["field"] == ["body"]
    empty = await send(customer(gql, c), thread, "   ")
    assert error_codes(empty) == ["INVALID"]
    files = await send(
        customer(gql, c),
        thread,
        "x",
        attachmentIds=[encode_id("Attachment", i) for i in range(1, 12)],
    )
    assert "INVALID" in error_codes(files)
    stranger = await send(
        customer(gql, c), thread, "x", attachmentIds=[encode_id("Attachment", 999999)]
    )
    assert error_codes(stranger) == ["NOT_FOUND"]
    long_id = await send(customer(gql, c), thread, "x", clientMessageId="i" * 101)
    assert error_codes(long_id) == ["INVALID"]


async def test_a_user_sending_too_fast_is_rate_limited(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    thread = await opened(gql, c)
    found = await service.find_thread(session, service.Subject.service_request(c.request.id or 0))
    assert found is not None and found.id is not None
    thread_id = found.id
    now = utcnow()
    for n in range(service.RATE_LIMIT):
        session.add(
            Message(
                conversation_id=thread_id,
                kind=MessageKind.TEXT,
                body=f"spam {n}",
                sender_subject="test:customer",
                sender_role="CUSTOMER",
                created_at=now,
            )
        )
    await session.flush()
    refused = await send(customer(gql, c), thread, "one more")
    assert error_codes(refused) == ["RATE_LIMITED"]
    assert (await send(agent(gql), thread, "the desk still talks"))["userErrors"] == []


async def test_the_desk_answer_goes_to_the_customer_through_the_outbox(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    thread = await opened(gql, c)
    await send(customer(gql, c), thread, "Any news?")
    await send(technician(gql, c), thread, "Parts ordered")
    answer = await send(agent(gql), thread, "Your visit is tomorrow at 10")
    rows = (
        await session.scalars(
            select(Notification).where(
                col(Notification.event) == NotificationEvent.CONVERSATION_MESSAGE
            )
        )
    ).all()
    assert len(rows) == 1
    (row,) = rows
    assert row.customer_id == c.world.customer.id and row.channel is None
    assert row.data["body"] == "Your visit is tomorrow at 10"
    assert row.idempotency_key == f"conversation_message:{row.data['message_id']}"
    assert answer["message"]["id"] == encode_id("ConversationMessage", row.data["message_id"])
    # the worker renders it with the customer's channel and the template
    outcome = await prepare(session, row, utcnow(), {})
    assert not isinstance(outcome, NotificationStatus), row.last_error
    assert row.body == "Test Agent: Your visit is tomorrow at 10"
    assert row.subject == f"Request SR-{c.request.id}: a new message"


async def test_a_message_shows_attachments_its_sender_may_read(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    thread = await opened(gql, c)
    picture = await photo(session, c.task.id or 0)
    other_task = await billing.task(session, c.other)
    hidden = await photo(session, other_task.id or 0)
    refused = await send(
        technician(gql, c), thread, "see", attachmentIds=[encode_id("Attachment", hidden)]
    )
    assert error_codes(refused) == ["NOT_FOUND"]
    sent = await send(
        technician(gql, c),
        thread,
        "The burnt board",
        attachmentIds=[encode_id("Attachment", picture)],
    )
    assert sent["userErrors"] == []
    assert sent["message"]["attachments"] == [{"id": encode_id("Attachment", picture)}]
    seen = await customer(gql, c)(
        "query($id: ID!) { node(id: $id) { ... on ConversationMessage { attachments { id } } } }",
        {"id": sent["message"]["id"]},
    )
    assert seen["node"]["attachments"] == [{"id": encode_id("Attachment", picture)}]
