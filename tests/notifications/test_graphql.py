"""Customer communication over GraphQL: the inbox, preferences, templates, providers and the
outbox view for support."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.notifications.models import NotificationStatus
from schema.ids import encode_id
from tests.notifications.graphql_support import (
    ROLES,
    as_role,
    notification,
    refused_mutation,
    refused_query,
)
from tests.notifications.support import task_for
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories

MY_NOTIFICATIONS = """
query($first: Int, $unread: Boolean) {
  myNotifications(first: $first, unreadOnly: $unread) {
    totalCount
    edges { node { id event status body read task { id status } customer { id name } } }
  }
}
"""
OUTBOX = """
query($status: NotificationStatus, $customer: ID, $first: Int) {
  notifications(status: $status, customerId: $customer, first: $first) {
    totalCount
    edges { node { id status attempts lastError task { id } customer { id name } } }
  }
}
"""
PREFERENCES = """
query($customer: ID) {
  notificationPreferences(customerId: $customer) {
    customerId channelOrder language quietStart quietEnd mutedEvents version
  }
}
"""
TEMPLATES = """
query { notificationTemplates(first: 50) { totalCount edges { node { id event language } } } }
"""
PROVIDERS = "query { notificationProviders { channel active config } }"
MARK_READ = """
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) {
    notifications { id status read }
    userErrors { field message code }
  }
}
"""
UPDATE_PREFERENCES = """
mutation($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) {
    preferences { customerId channelOrder language quietStart quietEnd mutedEvents version }
    userErrors { field message code }
  }
}
"""
CREATE_TEMPLATE = """
mutation($input: CreateNotificationTemplateInput!) {
  createNotificationTemplate(input: $input) {
    template { id event channel language subject body version }
    userErrors { field message code }
  }
}
"""
UPDATE_TEMPLATE = """
mutation($input: UpdateNotificationTemplateInput!) {
  updateNotificationTemplate(input: $input) {
    template { id body version }
    userErrors { field message code }
  }
}
"""
CONFIGURE_PROVIDER = """
mutation($input: ConfigureNotificationProviderInput!) {
  configureNotificationProvider(input: $input) {
    provider { channel active config }
    userErrors { field message code }
  }
}
"""
REQUEUE = """
mutation($input: RequeueNotificationInput!) {
  requeueNotification(input: $input) {
    notification { id status attempts }
    userErrors { field message code }
  }
}
"""

SUPPORT = {Role.AGENT, Role.ADMIN, Role.MANAGER}
INBOX = {Role.CUSTOMER, Role.TECHNICIAN}
PREFERENCE_READERS = {Role.CUSTOMER, Role.AGENT, Role.ADMIN, Role.MANAGER, Role.DISPATCHER}


@pytest.mark.parametrize("role", ROLES)
async def test_permission_matrix(
    role: Role | None, gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a customer and one dead notification of theirs
    customer = await factories.customer(session)
    technician = await factories.technician(session)
    assert customer.id is not None and technician.id is not None
    dead = await notification(session, customer.id, status=NotificationStatus.DEAD)
    client = as_role(gql, role, customer_id=customer.id, technician_id=technician.id)
    customer_gid = encode_id("Customer", customer.id)
    queries: list[tuple[str, dict[str, Any], set[Role]]] = [
        (MY_NOTIFICATIONS, {}, INBOX),
        (OUTBOX, {}, SUPPORT),
        (PREFERENCES, {"customer": customer_gid}, PREFERENCE_READERS),
        (TEMPLATES, {}, {Role.ADMIN}),
        (PROVIDERS, {}, {Role.ADMIN}),
    ]
    mutations: list[tuple[str, dict[str, Any], set[Role]]] = [
        (MARK_READ, {"ids": []}, INBOX),
        (UPDATE_PREFERENCES, {"customerId": customer_gid, "language": "hi"}, PREFERENCE_READERS),
        (CREATE_TEMPLATE, {"event": "REMINDER", "body": "Hi ${task_ref}"}, {Role.ADMIN}),
        (
            CONFIGURE_PROVIDER,
            {"channel": "SMS", "config": {"url": "http://127.0.0.1:9/send"}},
            {Role.ADMIN},
        ),
        (REQUEUE, {"id": encode_id("Notification", dead.id or 0)}, SUPPORT),
    ]
    # when each is called as this role, then exactly the allowed roles get through
    for query, variables, allowed in queries:
        assert await refused_query(client, query, variables) is (role not in allowed), query
    for query, input, allowed in mutations:
        refused = await refused_mutation(client, query, {"input": input})
        assert refused is (role not in allowed), query


async def test_a_customer_reads_only_their_own_inbox_and_marks_it_read(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two customers with notifications, one of them dead (not shown in an inbox)
    w = await factories.world(session)
    other = await factories.customer(session)
    assert w.customer.id is not None and other.id is not None
    mine = await notification(session, w.customer.id)
    await notification(session, w.customer.id, status=NotificationStatus.DEAD)
    theirs = await notification(session, other.id)
    client = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)
    # when the customer reads their inbox
    data = await client(MY_NOTIFICATIONS, {"unread": True})
    # then only their delivered notification is there, unread
    nodes = [e["node"] for e in data["myNotifications"]["edges"]]
    assert [n["id"] for n in nodes] == [encode_id("Notification", mine.id or 0)]
    assert nodes[0]["read"] is False and nodes[0]["customer"]["name"] == w.customer.name
    # when they mark another customer's notification read, nothing changes
    payload = await client.mutate(MARK_READ, {"ids": [encode_id("Notification", theirs.id or 0)]})
    assert error_codes(payload) == ["NOT_FOUND"]
    # when they mark their own read, it leaves the unread list
    payload = await client.mutate(MARK_READ, {"ids": [encode_id("Notification", mine.id or 0)]})
    assert payload["notifications"][0]["status"] == "READ"
    data = await client(MY_NOTIFICATIONS, {"unread": True})
    assert data["myNotifications"]["totalCount"] == 0


async def test_a_technician_sees_their_own_notifications(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    tech = await factories.technician(session)
    other = await factories.technician(session)
    customer = await factories.customer(session)
    own = await notification(session, customer.id, technician_id=tech.id)
    await notification(session, customer.id, technician_id=other.id)
    data = await gql.as_role(Role.TECHNICIAN, technician_id=tech.id)(MY_NOTIFICATIONS, {})
    ids = [e["node"]["id"] for e in data["myNotifications"]["edges"]]
    assert ids == [encode_id("Notification", own.id or 0)]


@pytest.mark.parametrize("query", [MY_NOTIFICATIONS, OUTBOX])
async def test_lists_take_the_same_statements_for_2_and_20_rows(
    query: str, gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    # given 20 notifications of one customer, each about a task of its own
    w = await factories.world(session)
    assert w.customer.id is not None
    for _ in range(20):
        task = await task_for(session, w)
        await notification(session, w.customer.id, task_id=task.id)
    client = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)
    if query is OUTBOX:
        client = gql.as_role(Role.AGENT)
    counts = []
    for first in (2, 20):
        statements.reset()
        data = await client(query, {"first": first})
        (connection,) = data.values()
        assert len(connection["edges"]) == first
        assert all(e["node"]["task"] is not None for e in connection["edges"])
        counts.append(statements.total)
    # then tasks and customers load once per page, not once per row
    assert counts[0] == counts[1]


async def test_preferences_a_customer_for_themselves_an_agent_for_anyone(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    customer = await factories.customer(session)
    other = await factories.customer(session)
    assert customer.id is not None and other.id is not None
    me = gql.as_role(Role.CUSTOMER, customer_id=customer.id)
    # given no preferences yet: the defaults, unversioned
    data = await me(PREFERENCES, {})
    assert data["notificationPreferences"]["version"] is None
    # when the customer sets channel order and quiet hours
    payload = await me.mutate(
        UPDATE_PREFERENCES,
        {"channelOrder": ["WHATSAPP", "EMAIL"], "quietStart": "22:00:00", "quietEnd": "07:00:00"},
    )
    prefs = payload["preferences"]
    assert prefs["channelOrder"] == ["WHATSAPP", "EMAIL"]
    assert (prefs["quietStart"], prefs["quietEnd"]) == ("22:00:00", "07:00:00")
    # then an agent updates them with a stale version and is refused
    agent = gql.as_role(Role.AGENT)
    gid = encode_id("Customer", customer.id)
    stale = await agent.mutate(
        UPDATE_PREFERENCES, {"customerId": gid, "expectedVersion": 99, "language": "hi"}
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    fresh = await agent.mutate(
        UPDATE_PREFERENCES,
        {"customerId": gid, "expectedVersion": prefs["version"], "mutedEvents": ["REMINDER"]},
    )
    assert fresh["preferences"]["mutedEvents"] == ["REMINDER"]
    # and a customer may not touch someone else's
    theirs = await me.mutate(UPDATE_PREFERENCES, {"customerId": encode_id("Customer", other.id)})
    assert error_codes(theirs) == ["FORBIDDEN"]
    # and an agent must say whose
    assert error_codes(await agent.mutate(UPDATE_PREFERENCES, {"language": "hi"})) == ["INVALID"]


async def test_admins_manage_templates_and_providers(gql: GraphQLClient) -> None:
    # when an admin adds a template
    created = await gql.mutate(
        CREATE_TEMPLATE,
        {"event": "REMINDER", "channel": "SMS", "language": "HI", "body": "Kal ${task_ref}"},
    )
    template = created["template"]
    assert (template["language"], template["version"]) == ("hi", 1)
    # then the same event, channel and language again is a duplicate
    again = await gql.mutate(
        CREATE_TEMPLATE, {"event": "REMINDER", "channel": "SMS", "language": "hi", "body": "x"}
    )
    assert error_codes(again) == ["DUPLICATE"]
    # and an edit with a stale version is refused, a fresh one applies
    stale = await gql.mutate(
        UPDATE_TEMPLATE, {"id": template["id"], "expectedVersion": 7, "body": "y"}
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    updated = await gql.mutate(
        UPDATE_TEMPLATE, {"id": template["id"], "expectedVersion": 1, "body": "Aaj ${task_ref}"}
    )
    assert updated["template"] == {"id": template["id"], "body": "Aaj ${task_ref}", "version": 2}
    # when a provider is configured with a secret, the secret is never shown back
    config = {"url": "https://sms.example/send", "auth_header": "X-Key", "auth_value": "s3cret"}
    provider = await gql.mutate(CONFIGURE_PROVIDER, {"channel": "SMS", "config": config})
    assert provider["provider"]["config"]["auth_value"] == "********"
    listed = await gql(PROVIDERS)
    assert "s3cret" not in str(listed)
    # and a provider without a URL is invalid
    bad = await gql.mutate(CONFIGURE_PROVIDER, {"channel": "WHATSAPP", "config": {"url": "ftp:"}})
    assert bad["userErrors"][0]["field"] == ["config", "url"]


async def test_support_sees_the_outbox_and_requeues_a_dead_notification(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    customer = await factories.customer(session)
    assert customer.id is not None
    dead = await notification(session, customer.id, status=NotificationStatus.DEAD)
    dead.attempts, dead.last_error = 5, "provider answered 503"
    sent = await notification(session, customer.id)
    await session.flush()
    agent = gql.as_role(Role.AGENT)
    # when support filters the outbox by status and customer
    data = await agent(OUTBOX, {"status": "DEAD", "customer": encode_id("Customer", customer.id)})
    (edge,) = data["notifications"]["edges"]
    assert (edge["node"]["attempts"], edge["node"]["lastError"]) == (5, "provider answered 503")
    # then requeueing the dead one sends it again from the first attempt
    payload = await agent.mutate(REQUEUE, {"id": edge["node"]["id"]})
    assert (payload["notification"]["status"], payload["notification"]["attempts"]) == (
        "PENDING",
        0,
    )
    # and a delivered one is not requeued
    refused = await agent.mutate(REQUEUE, {"id": encode_id("Notification", sent.id or 0)})
    assert error_codes(refused) == ["INVALID_TRANSITION"]
    assert dead.id is not None
