"""The ladder for agents over GraphQL: the call queue, call outcomes, retention cases and the
per-sales-channel confirmation report; and the ladder's job with a clock the test controls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.confirmations.jobs import run_ladder
from app.confirmations.ladder import record_answer
from app.confirmations.models import (
    Answer,
    Confirmation,
    ConfirmationCall,
    ConfirmationStatus,
    RetentionCase,
)
from app.core.auth import Role
from app.core.db import SessionFactory
from app.core.models import utcnow
from app.service_requests.models import (
    CoverageKind,
    EligibilityStatus,
    RequestCategory,
    RequestChannel,
    ServiceRequest,
)
from app.work_orders.models import Task
from schema.ids import encode_id
from tests.notifications.graphql_support import ROLES, as_role, refused_mutation, refused_query
from tests.notifications.support import scheduled_task
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories

CALL_QUEUE = """
query($first: Int) {
  callQueue(first: $first) {
    totalCount
    edges { node { id purpose mode status confirmationStatus task { id status } } }
  }
}
"""
RETENTION = """
query($status: RetentionStatus, $first: Int) {
  retentionCases(status: $status, first: $first) {
    totalCount
    edges { node { id salesChannel reasonKind reason status task { id } customer { id } } }
  }
}
"""
REPORT = """
query($from: DateTime!, $to: DateTime!) {
  confirmationReport(from: $from, to: $to) {
    salesChannel requested confirmed rejected silent recovered pending
  }
}
"""
RECORD_OUTCOME = """
mutation($input: RecordCallOutcomeInput!) {
  recordCallOutcome(input: $input) {
    call { id status outcome notes confirmationStatus }
    userErrors { field message code }
  }
}
"""
RESOLVE = """
mutation($input: ResolveRetentionCaseInput!) {
  resolveRetentionCase(input: $input) {
    retentionCase { id status notes }
    userErrors { field message code }
  }
}
"""
AGENTS = {Role.AGENT, Role.DISPATCHER, Role.MANAGER, Role.ADMIN}
REPORT_READERS = {Role.AGENT, Role.MANAGER, Role.ADMIN}


async def _confirmation(session: AsyncSession, task_id: int | None) -> Confirmation:
    row = await session.scalar(select(Confirmation).where(col(Confirmation.task_id) == task_id))
    assert row is not None
    return row


async def _queued_call(session: AsyncSession, sessions: SessionFactory) -> ConfirmationCall:
    """A scheduled appointment whose message went unanswered past the reply threshold."""
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    confirmation = await _confirmation(session, task.id)
    await run_ladder(sessions, None, confirmation.requested_at + timedelta(minutes=121))
    call = await session.scalar(
        select(ConfirmationCall).where(col(ConfirmationCall.task_id) == task.id)
    )
    assert call is not None
    return call


@pytest.mark.parametrize("role", ROLES)
async def test_permission_matrix(
    role: Role | None, gql: GraphQLClient, session: AsyncSession
) -> None:
    client = as_role(gql, role, customer_id=1, technician_id=1, partner_id=1)
    window = {"from": "2024-01-01T00:00:00+00:00", "to": "2024-02-01T00:00:00+00:00"}
    for query, variables, allowed in (
        (CALL_QUEUE, {}, AGENTS),
        (RETENTION, {}, AGENTS),
        (REPORT, window, REPORT_READERS),
    ):
        assert await refused_query(client, query, variables) is (role not in allowed), query
    for query, input in (
        (RECORD_OUTCOME, {"callId": encode_id("ConfirmationCall", 1), "outcome": "CONFIRM"}),
        (RESOLVE, {"caseId": encode_id("RetentionCase", 1), "status": "LOST"}),
    ):
        assert await refused_mutation(client, query, {"input": input}) is (role not in AGENTS)


async def test_the_ladder_job_queues_a_call_and_an_agent_confirms_it(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    # given the ladder job ran past the reply threshold
    call = await _queued_call(session, sessions)
    agent = gql.as_role(Role.AGENT)
    # then the call is in the agents' queue
    data = await agent(CALL_QUEUE, {})
    (edge,) = data["callQueue"]["edges"]
    assert (edge["node"]["status"], edge["node"]["confirmationStatus"]) == (
        "QUEUED",
        "CALL_QUEUED",
    )
    # when the agent reaches the customer, who confirms
    payload = await agent.mutate(
        RECORD_OUTCOME, {"callId": edge["node"]["id"], "outcome": "CONFIRM", "notes": "ok"}
    )
    # then the call is closed and the appointment confirmed, as recovered
    assert payload["call"]["status"] == "ANSWERED"
    assert payload["call"]["confirmationStatus"] == "CONFIRMED"
    confirmation = await session.get(Confirmation, call.confirmation_id, populate_existing=True)
    assert confirmation is not None and confirmation.recovered
    task = await session.get(Task, call.task_id, populate_existing=True)
    assert task is not None and task.confirmed_at is not None
    # and a closed call takes no second outcome
    again = await agent.mutate(RECORD_OUTCOME, {"callId": edge["node"]["id"], "outcome": "REJECT"})
    assert error_codes(again) == ["INVALID_TRANSITION"]
    assert (await agent(CALL_QUEUE, {}))["callQueue"]["totalCount"] == 0


async def test_no_answer_returns_the_order_to_sales_with_a_retention_case(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    call = await _queued_call(session, sessions)
    agent = gql.as_role(Role.AGENT)
    gid = encode_id("ConfirmationCall", call.id or 0)
    # when the agent gets no answer
    payload = await agent.mutate(RECORD_OUTCOME, {"callId": gid, "outcome": "NO_ANSWER"})
    assert payload["call"]["confirmationStatus"] == "RETURNED_TO_SALES"
    # then a silent retention case waits for the retention team
    data = await agent(RETENTION, {"status": "OPEN"})
    (edge,) = data["retentionCases"]["edges"]
    assert (edge["node"]["reasonKind"], edge["node"]["salesChannel"]) == ("SILENT", "DIRECT")
    # when they win the customer back, the case closes once
    won = await agent.mutate(
        RESOLVE, {"caseId": edge["node"]["id"], "status": "WON_BACK", "notes": "new slot"}
    )
    assert won["retentionCase"]["status"] == "WON_BACK"
    twice = await agent.mutate(RESOLVE, {"caseId": edge["node"]["id"], "status": "LOST"})
    assert error_codes(twice) == ["INVALID_TRANSITION"]
    still_open = await agent.mutate(RESOLVE, {"caseId": edge["node"]["id"], "status": "OPEN"})
    assert error_codes(still_open) == ["INVALID"]


async def test_the_ladder_job_with_a_controlled_clock(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    confirmation = await _confirmation(session, task.id)
    start = confirmation.requested_at
    # before the reply threshold nothing moves; after it a call; after the call wait, sales
    assert (await run_ladder(sessions, None, start + timedelta(minutes=60)))["calls"] == 0
    assert (await run_ladder(sessions, None, start + timedelta(minutes=121)))["calls"] == 1
    assert (await run_ladder(sessions, None, start + timedelta(minutes=122)))["returned"] == 0
    moved = await run_ladder(sessions, None, start + timedelta(minutes=121 + 241))
    assert moved["returned"] == 1
    refreshed = await session.get(Confirmation, confirmation.id, populate_existing=True)
    assert refreshed is not None and refreshed.status is ConfirmationStatus.RETURNED_TO_SALES
    assert await session.scalar(select(RetentionCase.id)) is not None


async def _from_channel(session: AsyncSession, w: factories.World, channel: RequestChannel) -> Task:
    request = ServiceRequest(
        channel=channel,
        category=RequestCategory.REPAIR,
        description="AC not cooling",
        customer_id=w.customer.id or 0,
        site_id=w.site.id or 0,
        eligibility_status=EligibilityStatus.CHARGEABLE,
        coverage_kind=CoverageKind.NONE,
        reported_by="test",
    )
    session.add(request)
    await session.flush()
    task = await scheduled_task(session, w)
    task.service_request_id = request.id
    await session.flush()
    return task


async def test_the_report_counts_per_sales_channel(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    # given WhatsApp orders: one confirmed at once, one rejected, one silent then recovered,
    # one silent for good, one still waiting; and one direct order confirmed
    now = utcnow()
    tasks = [
        await _from_channel(session, await factories.world(session), RequestChannel.WHATSAPP)
        for _ in range(5)
    ]
    rows = [await _confirmation(session, t.id) for t in tasks]
    await record_answer(session, rows[0], Answer.CONFIRM, via="WHATSAPP", now=now)
    await record_answer(session, rows[1], Answer.REJECT, via="WHATSAPP", now=now)
    for row in rows[2:4]:
        row.stage_at = now - timedelta(hours=10)
    await session.flush()
    await run_ladder(sessions, None, now)  # both to the call queue
    for row in rows[2:4]:
        await session.refresh(row)
        row.stage_at = now - timedelta(hours=10)
    await session.flush()
    await run_ladder(sessions, None, now)  # both back to sales
    await session.refresh(rows[2])
    await record_answer(session, rows[2], Answer.CONFIRM, via="SALES", now=now)
    direct = await scheduled_task(session, await factories.world(session))
    await record_answer(
        session, await _confirmation(session, direct.id), Answer.CONFIRM, via="SMS", now=now
    )
    # when a manager asks for the period
    window = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    data = await gql.as_role(Role.MANAGER)(REPORT, window)
    # then each channel is counted
    assert data["confirmationReport"] == [
        {
            "salesChannel": "DIRECT",
            "requested": 1,
            "confirmed": 1,
            "rejected": 0,
            "silent": 0,
            "recovered": 0,
            "pending": 0,
        },
        {
            "salesChannel": "WHATSAPP",
            "requested": 5,
            "confirmed": 2,
            "rejected": 1,
            "silent": 2,
            "recovered": 1,
            "pending": 1,
        },
    ]
    # and a period that ends before it starts is refused
    backwards = await gql.raw(REPORT, {"from": window["to"], "to": window["from"]})
    assert backwards["errors"][0]["extensions"]["code"] == "INVALID"


@pytest.mark.parametrize("query", [CALL_QUEUE, RETENTION])
async def test_agent_lists_take_the_same_statements_for_2_and_20_rows(
    query: str, gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    for _ in range(20):
        w = await factories.world(session)
        task = await scheduled_task(session, w)
        confirmation = await _confirmation(session, task.id)
        session.add(ConfirmationCall(confirmation_id=confirmation.id or 0, task_id=task.id or 0))
        session.add(
            RetentionCase(
                confirmation_id=confirmation.id or 0,
                task_id=task.id or 0,
                customer_id=w.customer.id or 0,
                sales_channel="DIRECT",
                reason_kind="SILENT",  # type: ignore[arg-type]
            )
        )
    await session.flush()
    counts = []
    for first in (2, 20):
        statements.reset()
        data = await gql.as_role(Role.AGENT)(query, {"first": first})
        (connection,) = data.values()
        assert len(connection["edges"]) == first
        assert all(e["node"]["task"] for e in connection["edges"])
        counts.append(statements.total)
    assert counts[0] == counts[1]
