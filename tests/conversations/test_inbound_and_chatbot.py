"""Messages from outside the API: a WhatsApp reply on the confirmations webhook lands in the
customer's request thread; the signed chatbot webhook creates and qualifies a request, reads
its status and hands over to an agent, refusing a wrong signature, a replay and oversize
input."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.attachments.models import Attachment
from app.attachments.settings import get_attachment_settings
from app.attachments.storage import LocalStorage, use_storage
from app.conversations.models import Message, MessageKind, MessageVia
from app.conversations.settings import get_chatbot_settings
from app.core.auth import Role
from app.notifications.settings import get_notification_settings
from app.service_requests.models import RequestChannel, ServiceRequest
from app.webhooks.signing import HEADER, sign
from tests.conversations.factories import Case, case
from tests.support import GraphQLClient
from tests.work_orders import factories as wf

REPLIES = "/hooks/confirmations/replies"
MINE = """
{ myConversations { edges { node { title unreadCount serviceRequest { id }
  lastMessage { body via senderRole } } } } }
"""
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))
PHONE = "+91 98450 12345"


@pytest.fixture(autouse=True)
def storage(tmp_path: Path) -> Iterator[LocalStorage]:
    local = LocalStorage(tmp_path / "attachments")
    use_storage(local)
    get_attachment_settings.cache_clear()
    yield local
    use_storage(None)
    get_attachment_settings.cache_clear()


@pytest.fixture
async def c(session: AsyncSession) -> Case:
    found = await case(session)
    found.world.customer.whatsapp = "+919845012345"
    found.world.customer.email = "asha@example.com"
    found.world.asset.serial_number = "AC-SN-777"
    await session.flush()
    return found


async def post(
    gql: GraphQLClient, path: str, payload: dict[str, Any], secret: str, **sign_kw: Any
) -> tuple[int, dict[str, Any]]:
    body = json.dumps(payload).encode()
    response = await gql.http.post(
        path, content=body, headers={HEADER: sign(secret, body, **sign_kw)}
    )
    answer: dict[str, Any] = response.json()
    return response.status_code, answer


def bot(gql: GraphQLClient, path: str, payload: dict[str, Any], **kw: Any) -> Any:
    return post(gql, path, payload, get_chatbot_settings().secret, **kw)


async def test_a_whatsapp_reply_that_answers_nothing_lands_in_the_request_thread(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    secret = get_notification_settings().callback_secret
    status, answer = await post(
        gql,
        REPLIES,
        {"from": PHONE, "text": "Is the technician coming today?", "channel": "WHATSAPP"},
        secret,
    )
    assert status == 200 and answer["understood"] is False
    message = await session.scalar(select(Message).where(col(Message.id) > 0))
    assert message is not None
    assert (message.via, message.kind, message.sender_role) == (
        MessageVia.WHATSAPP,
        MessageKind.TEXT,
        "CUSTOMER",
    )
    agent_view = await gql.as_role(Role.AGENT)(MINE)
    (edge,) = agent_view["myConversations"]["edges"]
    assert edge["node"]["title"] == f"Request SR-{c.request.id}"
    assert edge["node"]["unreadCount"] == 1
    assert edge["node"]["lastMessage"] == {
        "body": "Is the technician coming today?",
        "via": "WHATSAPP",
        "senderRole": "CUSTOMER",
    }
    customer_view = await gql.as_role(Role.CUSTOMER, customer_id=c.world.customer.id)(MINE)
    assert len(customer_view["myConversations"]["edges"]) == 1


async def test_a_reply_from_an_unknown_number_is_still_not_found(
    gql: GraphQLClient, c: Case
) -> None:
    secret = get_notification_settings().callback_secret
    status, answer = await post(gql, REPLIES, {"from": "+1 555 0100", "text": "hello"}, secret)
    assert (status, answer["error"]) == (404, "NOT_FOUND")


def request_body(**changes: Any) -> dict[str, Any]:
    return {
        "customer": {"phone": PHONE},
        "assetSerial": "ac-sn-777",
        "symptoms": ["not cooling", "loud noise"],
        "description": "Started yesterday",
        "photos": [
            {"url": "https://images.example.com/ac.jpg"},
            {"base64": base64.b64encode(PNG).decode(), "filename": "unit.png"},
        ],
        "externalRef": "bot-conv-1",
    } | changes


async def test_the_chatbot_creates_a_qualified_request_reads_it_and_hands_over(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    status, created = await bot(gql, "/hooks/chatbot/requests", request_body())
    assert status == 201, created
    assert created["status"] == "OPEN" and created["visits"] == []
    request = await session.get(ServiceRequest, created["serviceRequestId"])
    assert request is not None
    assert request.channel is RequestChannel.CHATBOT and request.asset_id == c.world.asset.id
    assert request.description.startswith("Symptoms: not cooling; loud noise\nStarted yesterday")
    assert "https://images.example.com/ac.jpg" in request.description
    photos = (
        await session.scalars(
            select(Attachment).where(col(Attachment.service_request_id) == request.id)
        )
    ).all()
    assert [p.filename for p in photos] == ["unit.png"]

    who = {"phone": PHONE}
    status, read = await bot(
        gql,
        "/hooks/chatbot/requests/status",
        {"customer": who, "serviceRequestId": request.id},
    )
    assert (status, read["reference"], read["status"]) == (200, f"SR-{request.id}", "OPEN")

    transcript = [
        {"from": "customer", "text": "My AC is broken"},
        {"from": "bot", "text": "I have booked request SR for you"},
        {"from": "customer", "text": "I want to talk to a person"},
    ]
    status, handed = await bot(
        gql,
        "/hooks/chatbot/handover",
        {"customer": who, "serviceRequestId": request.id, "transcript": transcript},
    )
    assert status == 200, handed
    rows = (
        await session.scalars(
            select(Message)
            .where(col(Message.conversation_id) == handed["conversationId"])
            .order_by(col(Message.id))
        )
    ).all()
    assert [(m.kind, m.via, m.body) for m in rows] == [
        (MessageKind.TEXT, MessageVia.CHATBOT, "My AC is broken"),
        (MessageKind.SYSTEM, MessageVia.SYSTEM, "Chatbot: I have booked request SR for you"),
        (MessageKind.TEXT, MessageVia.CHATBOT, "I want to talk to a person"),
        (
            MessageKind.SYSTEM,
            MessageVia.SYSTEM,
            "The customer asked for a person: an agent will answer here.",
        ),
    ]


async def test_the_chatbot_webhook_refuses_a_wrong_signature_and_a_replay(
    gql: GraphQLClient, c: Case
) -> None:
    status, answer = await post(gql, "/hooks/chatbot/requests", request_body(), "not-the-secret")
    assert (status, answer["error"]) == (401, "UNAUTHENTICATED")
    stale = await bot(gql, "/hooks/chatbot/requests", request_body(), timestamp=1_000_000)
    assert stale[0] == 401

    body = json.dumps(request_body()).encode()
    header = sign(get_chatbot_settings().secret, body)
    first = await gql.http.post("/hooks/chatbot/requests", content=body, headers={HEADER: header})
    again = await gql.http.post("/hooks/chatbot/requests", content=body, headers={HEADER: header})
    assert (first.status_code, again.status_code) == (201, 409)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"symptoms": []}, ["symptoms"]),
        ({"symptoms": ["x" * 201]}, ["symptoms", "0"]),
        ({"photos": [{"url": "https://e.example/p.jpg"}] * 6}, ["photos"]),
        ({"photos": [{"base64": "!!!not base64!!!"}]}, ["photos", "0"]),
        ({"photos": [{"url": "ftp://e.example/p.jpg"}]}, ["photos", "0", "url"]),
        ({"customer": {"phone": "+1 555 0100"}}, ["customer"]),
        ({"assetSerial": "NOPE"}, ["assetSerial"]),
    ],
)
async def test_the_chatbot_webhook_bounds(
    gql: GraphQLClient, c: Case, changes: dict[str, Any], field: list[str]
) -> None:
    status, answer = await bot(gql, "/hooks/chatbot/requests", request_body(**changes))
    assert status in (400, 404), answer
    assert answer["field"] == field


async def test_the_chatbot_reaches_only_the_requests_of_the_customer_it_names(
    gql: GraphQLClient, c: Case, session: AsyncSession
) -> None:
    # given a request of the customer in the dialogue, and another customer with a phone
    status, created = await bot(gql, "/hooks/chatbot/requests", request_body())
    assert status == 201, created
    stranger = await wf.customer(session)
    stranger.email = "stranger@example.com"
    await session.flush()
    asked: dict[str, Any] = {"customer": {"email": "stranger@example.com"}}
    asked["serviceRequestId"] = created["serviceRequestId"]
    before = await session.scalar(select(func.count()).select_from(Message))
    # when the bot asks about it, or hands it over, for the other customer
    status, read = await bot(gql, "/hooks/chatbot/requests/status", asked)
    handed_status, handed = await bot(
        gql, "/hooks/chatbot/handover", asked | {"transcript": [{"from": "customer", "text": "x"}]}
    )
    # then neither finds it, and nothing is posted
    assert (status, handed_status) == (404, 404), (read, handed)
    assert await session.scalar(select(func.count()).select_from(Message)) == before
