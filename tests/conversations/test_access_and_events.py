"""Who may read, post in and open which thread (the scoping matrix, with real tokens), and
task status changes posted into the threads of the task and its request."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations import service
from app.conversations.models import ParticipantRole
from app.core.auth import Principal, Role
from schema.ids import encode_id
from tests.conversations.factories import Case, case
from tests.support import GraphQLClient, error_codes

OPEN = """
mutation($input: OpenConversationInput!) { openConversation(input: $input) {
  conversation { id } userErrors { field code } } }
"""
SEND = """
mutation($input: SendConversationMessageInput!) { sendConversationMessage(input: $input) {
  message { id } userErrors { field code } } }
"""
THREAD = "query($id: ID!) { conversation(id: $id) { id messages { totalCount } } }"
MINE = "{ myConversations { totalCount } }"
CANCEL = """
mutation($input: CancelTaskInput!) { cancelTask(input: $input) {
  task { status } userErrors { code } } }
"""
MESSAGES = """
query($id: ID!) { conversation(id: $id) { messages(first: 5) { edges { node {
  kind senderRole body } } } } }
"""


@pytest.fixture
async def c(session: AsyncSession) -> Case:
    return await case(session)


def callers(gql: GraphQLClient, c: Case) -> dict[str, tuple[GraphQLClient, bool]]:
    """Each caller and whether they may read the request's thread."""
    return {
        "customer": (gql.as_role(Role.CUSTOMER, customer_id=c.world.customer.id), True),
        "other customer": (gql.as_role(Role.CUSTOMER, customer_id=c.other.customer.id), False),
        "technician": (gql.as_role(Role.TECHNICIAN, technician_id=c.world.technician.id), True),
        "other technician": (
            gql.as_role(Role.TECHNICIAN, technician_id=c.other.technician.id),
            False,
        ),
        "partner": (gql.as_role(Role.PARTNER, partner_id=c.partner_id), True),
        "other partner": (gql.as_role(Role.PARTNER, partner_id=c.partner_id + 1000), False),
        "dispatcher": (gql.as_role(Role.DISPATCHER), True),
        "agent": (gql.as_role(Role.AGENT), True),
        "admin": (gql.as_role(Role.ADMIN), True),
    }


async def test_the_scoping_matrix(gql: GraphQLClient, c: Case, session: AsyncSession) -> None:
    thread = await service.open_thread(
        session, subject=service.Subject.service_request(c.request.id or 0)
    )
    thread_id = encode_id("Conversation", thread.id or 0)
    request_id = encode_id("ServiceRequest", c.request.id or 0)
    outcome: dict[str, Any] = {}
    for name, (client, allowed) in callers(gql, c).items():
        read = (await client(THREAD, {"id": thread_id}))["conversation"]
        posted = await client.mutate(SEND, {"conversationId": thread_id, "body": f"hi {name}"})
        opened = await client.mutate(OPEN, {"serviceRequestId": request_id})
        mine = (await client(MINE))["myConversations"]["totalCount"]
        outcome[name] = (
            read is not None,
            error_codes(posted) or "sent",
            error_codes(opened) or "opened",
            mine > 0,
        )
        expected = (
            (True, "sent", "opened", True)
            if allowed
            else (False, ["NOT_FOUND"], ["NOT_FOUND"], False)
        )
        assert outcome[name] == expected, name
    anonymous = await gql.as_role(None).raw(THREAD, {"id": thread_id})
    assert anonymous["data"] is None or anonymous["data"]["conversation"] is None


async def test_a_customer_opens_their_direct_thread_only(gql: GraphQLClient, c: Case) -> None:
    mine = gql.as_role(Role.CUSTOMER, customer_id=c.world.customer.id)
    own = await mine.mutate(OPEN, {})
    assert own["userErrors"] == []
    other = await mine.mutate(OPEN, {"customerId": encode_id("Customer", c.other.customer.id or 0)})
    assert error_codes(other) == ["NOT_FOUND"]
    desk = await gql.as_role(Role.AGENT).mutate(
        OPEN, {"customerId": encode_id("Customer", c.world.customer.id or 0)}
    )
    assert desk["conversation"]["id"] == own["conversation"]["id"]


async def test_a_task_status_change_is_posted_into_its_threads(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    task_thread = await service.open_thread(session, subject=service.Subject.task(c.task.id or 0))
    request_thread = await service.open_thread(
        session, subject=service.Subject.service_request(c.request.id or 0)
    )
    other = await service.open_thread(
        session, subject=service.Subject.direct(c.world.customer.id or 0)
    )
    await session.flush()
    cancelled = await gql.as_role(Role.DISPATCHER).mutate(
        CANCEL, {"taskId": encode_id("Task", c.task.id or 0), "reason": "Customer fixed it"}
    )
    assert cancelled["userErrors"] == []
    for thread, count in ((task_thread, 1), (request_thread, 1), (other, 0)):
        data = await gql(MESSAGES, {"id": encode_id("Conversation", thread.id or 0)})
        edges = data["conversation"]["messages"]["edges"]
        assert len(edges) == count
        if count:
            node = edges[0]["node"]
            assert node["kind"] == "SYSTEM" and node["senderRole"] == "SYSTEM"
            assert node["body"] == f"Visit T-{c.task.id} is now cancelled: Customer fixed it"


async def test_a_refused_change_posts_nothing(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    thread = await service.open_thread(session, subject=service.Subject.task(c.task.id or 0))
    await session.flush()
    refused = await gql.as_role(Role.DISPATCHER).mutate(
        CANCEL,
        {"taskId": encode_id("Task", c.task.id or 0), "reason": "x", "expectedVersion": 99},
    )
    assert error_codes(refused) == ["STALE_VERSION"]
    data = await gql(MESSAGES, {"id": encode_id("Conversation", thread.id or 0)})
    assert data["conversation"]["messages"]["edges"] == []


async def test_an_expert_added_to_a_task_thread_reads_it(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    thread = await service.open_thread(session, subject=service.Subject.task(c.task.id or 0))
    thread_id = encode_id("Conversation", thread.id or 0)
    expert = gql.as_role(Role.TECHNICIAN, technician_id=c.other.technician.id)
    assert (await expert(THREAD, {"id": thread_id}))["conversation"] is None

    await service.add_participant(
        session,
        thread,
        Principal(
            "test:technician", Role.TECHNICIAN, "Expert", technician_id=c.other.technician.id
        ),
        ParticipantRole.EXPERT,
    )
    await service.post_system_event(
        session, service.Subject.task(c.task.id or 0), "An expert joined"
    )
    await session.flush()

    read = (await expert(THREAD, {"id": thread_id}))["conversation"]
    assert read == {"id": thread_id, "messages": {"totalCount": 1}}
    posted = await expert.mutate(SEND, {"conversationId": thread_id, "body": "Check the fuse"})
    assert posted["userErrors"] == []


async def test_a_technician_who_wrote_in_a_task_thread_loses_it_with_the_task(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    # given the task's technician writing in its thread
    thread = await service.open_thread(session, subject=service.Subject.task(c.task.id or 0))
    thread_id = encode_id("Conversation", thread.id or 0)
    mine = gql.as_role(Role.TECHNICIAN, technician_id=c.world.technician.id)
    posted = await mine.mutate(SEND, {"conversationId": thread_id, "body": "On my way"})
    assert posted["userErrors"] == []
    # when the task goes to another technician
    c.task.technician_id = c.other.technician.id
    await session.flush()
    # then the first no longer reads the thread; the new one does
    assert (await mine(THREAD, {"id": thread_id}))["conversation"] is None
    theirs = gql.as_role(Role.TECHNICIAN, technician_id=c.other.technician.id)
    assert (await theirs(THREAD, {"id": thread_id}))["conversation"] is not None
