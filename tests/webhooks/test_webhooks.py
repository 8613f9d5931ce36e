"""Outbound webhooks: subscriptions over GraphQL, signed deliveries to a loopback receiver,
retries with backoff, dead letters, redelivery, test pings and partner scoping."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.core.models import utcnow
from app.service_requests.models import ServiceRequestCreate
from app.service_requests.service import create_service_request
from app.webhooks.delivery import DELIVERY_HEADER, EVENT_HEADER, deliver_due
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.webhooks.signing import HEADER, verify
from schema.ids import encode_id
from tests.notifications.graphql_support import ROLES, as_role, refused_mutation, refused_query
from tests.notifications.support import scheduled_task
from tests.support import GraphQLClient, StatementCounter, error_codes, serving
from tests.work_orders import factories

AGENT = Principal(subject="test:agent", role=Role.AGENT, name="Agent")
CREATE = """
mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    subscription { id name url eventTypes active version partner { id } }
    secret
    userErrors { field message code }
  }
}
"""
UPDATE = """
mutation($input: UpdateWebhookSubscriptionInput!) {
  updateWebhookSubscription(input: $input) {
    subscription { id active eventTypes version } secret
    userErrors { field message code }
  }
}
"""
DELETE = """
mutation($input: WebhookSubscriptionRefInput!) {
  deleteWebhookSubscription(input: $input) {
    subscription { id active } userErrors { field message code }
  }
}
"""
SUBSCRIPTIONS = "query { webhookSubscriptions { totalCount edges { node { id name } } } }"
DELIVERIES = """
query($subscription: ID, $status: WebhookDeliveryStatus, $first: Int) {
  webhookDeliveries(subscriptionId: $subscription, status: $status, first: $first) {
    totalCount
    edges { node { id deliveryId eventType status attempts responseStatus lastError
                   payload subscription { id name } } }
  }
}
"""
REDELIVER = """
mutation($input: RedeliverWebhookInput!) {
  redeliverWebhook(input: $input) {
    delivery { id status attempts } userErrors { field message code }
  }
}
"""
TEST = """
mutation($input: TestWebhookInput!) {
  testWebhook(input: $input) {
    delivery { eventType status responseStatus } userErrors { field message code }
  }
}
"""


@dataclass
class Receiver:
    """A subscriber on loopback: checks signatures with the secret it was given, refuses
    replays by delivery id, and fails the first `failures` calls with 503."""

    secret: str = ""
    failures: int = 0
    address: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    bad_signatures: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.address}/hook"

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.body()
        try:
            verify(self.secret, request.headers.get(HEADER), body)
        except DomainError:
            self.bad_signatures += 1
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if self.failures > 0:
            self.failures -= 1
            return JSONResponse({"error": "busy"}, status_code=503)
        delivery = request.headers[DELIVERY_HEADER]
        if delivery in self.seen:
            return JSONResponse({"duplicate": True})
        self.seen.add(delivery)
        self.received.append(
            {"event": request.headers[EVENT_HEADER], "delivery": delivery, **json.loads(body)}
        )
        return JSONResponse({"ok": True})


@asynccontextmanager
async def receiver(**kw: Any) -> AsyncIterator[Receiver]:
    hook = Receiver(**kw)
    async with serving(Starlette(routes=[Route("/hook", hook.handle, methods=["POST"])])) as at:
        hook.address = at
        yield hook


async def subscribe(
    session: AsyncSession, url: str, types: list[str], partner_id: int | None = None
) -> WebhookSubscription:
    row = WebhookSubscription(
        name="CRM", url=url, event_types=types, partner_id=partner_id, secret="whsec_test"
    )
    session.add(row)
    await session.flush()
    return row


async def deliveries(session: AsyncSession) -> list[WebhookDelivery]:
    rows = await session.scalars(
        select(WebhookDelivery)
        .order_by(col(WebhookDelivery.id))
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


@pytest.mark.parametrize("role", ROLES)
async def test_permission_matrix(
    role: Role | None, gql: GraphQLClient, session: AsyncSession
) -> None:
    partner = await factories.partner(session)
    assert partner.id is not None
    sub = await subscribe(session, "http://127.0.0.1:9/hook", ["ping"], partner.id)
    gid = encode_id("WebhookSubscription", sub.id or 0)
    client = as_role(gql, role, partner_id=partner.id, customer_id=1, technician_id=1)
    owners = {Role.ADMIN, Role.PARTNER}
    for query in (SUBSCRIPTIONS, DELIVERIES):
        assert await refused_query(client, query, {}) is (role not in owners)
    create = {"name": "x", "url": "http://127.0.0.1:9/x", "eventTypes": ["ping"]}
    for query, input in (
        (CREATE, create),
        (UPDATE, {"id": gid, "name": "y"}),
        (REDELIVER, {"deliveryId": encode_id("WebhookDelivery", 1)}),
        (DELETE, {"id": gid}),
    ):
        refused = await refused_mutation(client, query, {"input": input})
        assert refused is (role not in owners), query


async def test_a_partner_subscribes_for_itself_and_sees_only_its_own(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    mine, other = await factories.partner(session), await factories.partner(session)
    assert mine.id is not None and other.id is not None
    theirs = await subscribe(session, "http://127.0.0.1:9/x", ["ping"], other.id)
    partner = gql.as_role(Role.PARTNER, partner_id=mine.id)
    # when the partner subscribes (even naming another partner is refused)
    forged = await partner.mutate(
        CREATE,
        {
            "name": "Ops",
            "url": "https://partner.example/hook",
            "eventTypes": ["task.completed"],
            "partnerId": encode_id("Partner", other.id),
        },
    )
    assert error_codes(forged) == ["FORBIDDEN"]
    created = await partner.mutate(
        CREATE,
        {"name": "Ops", "url": "https://partner.example/hook", "eventTypes": ["task.completed"]},
    )
    # then the secret is shown once, and the subscription is theirs
    assert created["secret"].startswith("whsec_")
    assert created["subscription"]["partner"]["id"] == encode_id("Partner", mine.id)
    listed = await partner(SUBSCRIPTIONS)
    assert [e["node"]["name"] for e in listed["webhookSubscriptions"]["edges"]] == ["Ops"]
    # and another partner's subscription cannot be changed
    other_gid = encode_id("WebhookSubscription", theirs.id or 0)
    assert error_codes(await partner.mutate(UPDATE, {"id": other_gid, "active": False})) == [
        "NOT_FOUND"
    ]
    # and unknown event types or a non-HTTP URL are invalid
    bad = await partner.mutate(
        CREATE, {"name": "x", "url": "ftp://partner.example", "eventTypes": ["task.exploded"]}
    )
    assert sorted(e["field"][-1] for e in bad["userErrors"]) == ["eventTypes", "url"]
    # and pausing does not show the secret again; deleting archives
    sub_id = created["subscription"]["id"]
    paused = await partner.mutate(UPDATE, {"id": sub_id, "active": False, "expectedVersion": 1})
    assert (paused["subscription"]["active"], paused["secret"]) == (False, None)
    deleted = await partner.mutate(DELETE, {"id": sub_id})
    assert deleted["subscription"]["active"] is False
    assert (await partner(SUBSCRIPTIONS))["webhookSubscriptions"]["totalCount"] == 0


async def test_task_events_are_delivered_signed_and_retried_with_backoff(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with receiver(secret="whsec_test", failures=1) as hook:
        # given a CRM subscribed to every task change, and one to completions only
        sub = await subscribe(session, hook.url, ["task.status_changed"])
        await subscribe(session, hook.url, ["task.completed"])
        # when a task is created and scheduled (events recorded in those transactions)
        w = await factories.world(session)
        await scheduled_task(session, w)
        now = utcnow()
        # then the first round fans out to the matching subscription and the first send fails
        first = await deliver_due(sessions, None, now=now)
        assert (first.claimed, first.retrying) == (2, 1)
        rows = await deliveries(session)
        assert [r.subscription_id for r in rows] == [sub.id, sub.id]
        assert {r.event_type for r in rows} == {"task.created", "task.dispatched"}
        retrying = [r for r in rows if r.status is DeliveryStatus.RETRYING]
        (retry,) = retrying
        assert retry.response_status == 503
        assert retry.next_attempt_at == now + timedelta(seconds=30)
        # when the backoff has passed, the retry is delivered with the same delivery id
        assert (await deliver_due(sessions, None, now=now + timedelta(seconds=10))).claimed == 0
        again = await deliver_due(sessions, None, now=now + timedelta(seconds=31))
        assert again.delivered == 1
    assert hook.bad_signatures == 0
    assert sorted(r["event"] for r in hook.received) == ["task.created", "task.dispatched"]
    assert {r["delivery"] for r in hook.received} == {r.delivery_id for r in rows}
    scheduled = next(r for r in hook.received if r["event"] == "task.dispatched")
    assert scheduled["data"]["to"] == "DISPATCHED" and scheduled["id"] == scheduled["delivery"]


async def test_a_failing_subscriber_ends_dead_and_can_be_redelivered(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    async with receiver(secret="whsec_test", failures=100) as hook:
        await subscribe(session, hook.url, ["task.created"])
        w = await factories.world(session)
        from tests.notifications.support import task_for

        await task_for(session, w)
        at = utcnow()
        # when every attempt fails (policy: 8 attempts), the delivery goes dead
        for _ in range(8):
            await deliver_due(sessions, None, now=at)
            at += timedelta(hours=2)
        (row,) = await deliveries(session)
        assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 8)
        assert (await deliver_due(sessions, None, now=at)).claimed == 0
        # then an admin sees it in the log and redelivers it once the subscriber is fixed
        data = await gql(DELIVERIES, {"status": "DEAD"})
        (edge,) = data["webhookDeliveries"]["edges"]
        assert edge["node"]["lastError"] == "subscriber answered 503"
        hook.failures = 0
        payload = await gql.mutate(REDELIVER, {"deliveryId": edge["node"]["id"]})
        assert payload["delivery"]["status"] == "PENDING"
        assert (await deliver_due(sessions, None, now=at)).delivered == 1
    assert [r["event"] for r in hook.received] == ["task.created"]


async def test_a_partner_receives_only_events_about_its_own_technicians(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with receiver(secret="whsec_test") as hook:
        ours, theirs = await factories.partner(session), await factories.partner(session)
        await subscribe(session, hook.url, ["task.dispatched"], ours.id)
        await subscribe(session, hook.url, ["task.dispatched"], theirs.id)
        # given a task scheduled for one of our technicians
        w = await factories.world(session)
        w.technician.partner_id = ours.id
        w.technician.employment = "PARTNER"  # type: ignore[assignment]
        await session.flush()
        await scheduled_task(session, w)
        # when the job runs, only our subscription gets it
        await deliver_due(sessions, None, now=utcnow())
    (delivery,) = await deliveries(session)
    sub = await session.get(WebhookSubscription, delivery.subscription_id)
    assert sub is not None and sub.partner_id == ours.id
    assert len(hook.received) == 1


async def test_a_new_service_request_reaches_the_crm_and_no_partner(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with receiver(secret="whsec_test") as hook:
        # given the organisation's CRM and a partner, both subscribed to new requests
        partner = await factories.partner(session)
        await subscribe(session, hook.url, ["service_request.created"])
        await subscribe(session, hook.url, ["service_request.created"], partner.id)
        # when a customer asks for service
        w = await factories.world(session)
        data = ServiceRequestCreate.model_validate(
            {
                "channel": "WEB",
                "category": "REPAIR",
                "description": "Fridge not cooling",
                "customer_id": w.customer.id,
                "site_id": w.site.id,
            }
        )
        request = await create_service_request(session, AGENT, data)
        await session.flush()  # as its commit would
        await deliver_due(sessions, None, now=utcnow())
    # then only the CRM hears of it, with the request's ids and terms
    (event,) = hook.received
    assert event["event"] == "service_request.created"
    assert event["data"]["service_request_id"] == request.id
    assert event["data"]["customer_id"] == w.customer.id
    assert (event["data"]["category"], event["data"]["channel"]) == ("REPAIR", "WEB")
    assert "reported_by" not in event["data"]


async def test_a_test_ping_is_signed_and_a_wrong_secret_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    async with receiver(secret="whsec_test") as hook:
        good = await subscribe(session, hook.url, ["ping"])
        wrong = await subscribe(session, hook.url, ["ping"])
        wrong.secret = "whsec_other"
        await session.flush()
        ok = await gql.mutate(
            TEST, {"subscriptionId": encode_id("WebhookSubscription", good.id or 0)}
        )
        assert ok["delivery"] == {"eventType": "ping", "status": "DELIVERED", "responseStatus": 200}
        bad = await gql.mutate(
            TEST, {"subscriptionId": encode_id("WebhookSubscription", wrong.id or 0)}
        )
        assert (bad["delivery"]["status"], bad["delivery"]["responseStatus"]) == ("DEAD", 401)
    assert hook.bad_signatures == 1
    assert hook.received[0]["data"]["subscriptionId"] == good.id


async def test_the_delivery_log_takes_the_same_statements_for_2_and_20_rows(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    subs = [await subscribe(session, "http://127.0.0.1:9/x", ["ping"]) for _ in range(20)]
    for i, sub in enumerate(subs):
        session.add(
            WebhookDelivery(
                subscription_id=sub.id or 0,
                delivery_id=f"whd_test_{i}",
                event_type="ping",
                payload={"type": "ping"},
            )
        )
    await session.flush()
    counts = []
    for first in (2, 20):
        statements.reset()
        data = await gql(DELIVERIES, {"first": first})
        edges = data["webhookDeliveries"]["edges"]
        assert len(edges) == first and all(e["node"]["subscription"] for e in edges)
        counts.append(statements.total)
    assert counts[0] == counts[1]
