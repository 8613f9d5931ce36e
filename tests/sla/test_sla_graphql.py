"""The SLA board, escalations and escalation policies through GraphQL, with who may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from app.sla.sweeper import sweep_once
from schema.ids import encode_id
from tests.sla.support import late_task
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories

BOARD = """
query($territoryId: ID, $first: Int) { slaBoard(territoryId: $territoryId, first: $first) {
  territories { territory { id name } onTrack atRisk breached total }
  items { state priority dueAt minutesLeft escalationLevel
          task { id status site { name } } serviceRequest { id status } }
} }
"""
ESCALATIONS = """
query($taskId: ID) { slaEscalations(taskId: $taskId) {
  totalCount edges { node { id trigger level audienceRole message task { id } territory { id } } }
} }
"""
POLICIES = "query { escalationPolicies { id trigger level thresholdMinutes audienceRole active } }"
UPDATE_POLICY = """
mutation($input: UpdateEscalationPolicyInput!) { updateEscalationPolicy(input: $input) {
  escalationPolicy { id thresholdMinutes active audienceRole } userErrors { field code } } }
"""
ROLES = [None, Role.CUSTOMER, Role.TECHNICIAN, Role.PARTNER, Role.AGENT, Role.DISPATCHER]
ROLES += [Role.MANAGER, Role.ADMIN]


async def _late_work(session: AsyncSession, count: int) -> factories.World:
    """`count` tasks created a day ago with due times in the past, swept once."""
    w = await factories.world(session)
    for _ in range(count):
        await late_task(session, w, created=utcnow() - timedelta(days=1))
    await sweep_once(session, utcnow())
    return w


async def test_the_board_counts_by_territory_and_lists_breached_work(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given three overdue tasks in one territory, swept
    w = await _late_work(session, 3)

    # when a dispatcher opens the board for that territory
    data = await gql.as_role(Role.DISPATCHER)(
        BOARD, {"territoryId": encode_id("Territory", w.territory.id or 0)}
    )

    # then the territory has three breached tasks, listed with their escalation level
    board = data["slaBoard"]
    assert board["territories"] == [
        {
            "territory": {
                "id": encode_id("Territory", w.territory.id or 0),
                "name": w.territory.name,
            },
            "onTrack": 0,
            "atRisk": 0,
            "breached": 3,
            "total": 3,
        }
    ]
    assert [item["state"] for item in board["items"]] == ["BREACHED"] * 3
    assert {item["escalationLevel"] for item in board["items"]} == {3}
    assert all(item["minutesLeft"] < 0 for item in board["items"])
    assert all(item["task"]["site"]["name"] == "Home" for item in board["items"])
    assert all(item["serviceRequest"]["status"] == "IN_PROGRESS" for item in board["items"])


async def test_the_board_does_not_grow_its_queries_with_its_items(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    # given two overdue tasks; the board is read; then eighteen more, and it is read again
    counts = []
    w = await factories.world(session)
    for added in (2, 18):
        for _ in range(added):
            await late_task(session, w, created=utcnow() - timedelta(days=1))
        await sweep_once(session, utcnow())
        statements.reset()
        data = await gql.as_role(Role.MANAGER)(BOARD, {"first": 50})
        counts.append((len(data["slaBoard"]["items"]), statements.total))

    # then both reads take the same number of statements
    assert [n for n, _ in counts] == [2, 20]
    assert counts[0][1] == counts[1][1]


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_read_the_board(gql: GraphQLClient, role: Role | None) -> None:
    # when each role asks for the board
    body = await gql.as_role(role).raw(BOARD)

    # then dispatchers, managers and admins see it; everyone else is refused
    if role in (Role.DISPATCHER, Role.MANAGER, Role.ADMIN):
        assert "errors" not in body
    else:
        expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
        assert [e["extensions"]["code"] for e in body["errors"]] == [expected]


async def test_escalations_are_listed_per_task(gql: GraphQLClient, session: AsyncSession) -> None:
    # given an overdue task, swept
    w = await factories.world(session)
    task = await late_task(session, w, created=utcnow() - timedelta(minutes=45), response=30)
    await sweep_once(session, utcnow())
    task_gid = encode_id("Task", task.id or 0)

    # when its escalations are listed
    data = await gql.as_role(Role.DISPATCHER)(ESCALATIONS, {"taskId": task_gid})

    # then the two level-1 escalations are there, for the dispatchers of its territory
    nodes = [edge["node"] for edge in data["slaEscalations"]["edges"]]
    assert sorted((n["trigger"], n["level"], n["audienceRole"]) for n in nodes) == [
        ("RESPONSE_OVERDUE", 1, "DISPATCHER"),
        ("UNASSIGNED", 1, "DISPATCHER"),
    ]
    assert {n["task"]["id"] for n in nodes} == {task_gid}
    assert {n["territory"]["id"] for n in nodes} == {encode_id("Territory", w.territory.id or 0)}


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_read_escalations_and_policies(gql: GraphQLClient, role: Role | None) -> None:
    # when each role lists escalations and policies
    bodies = [await gql.as_role(role).raw(doc) for doc in (ESCALATIONS, POLICIES)]

    # then staff may; others are refused
    for body in bodies:
        if role in (Role.AGENT, Role.DISPATCHER, Role.MANAGER, Role.ADMIN):
            assert "errors" not in body
        else:
            expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
            assert [e["extensions"]["code"] for e in body["errors"]] == [expected]


async def test_an_admin_tunes_a_policy(gql: GraphQLClient) -> None:
    # given the seeded policies
    policies = (await gql(POLICIES))["escalationPolicies"]
    first = next(p for p in policies if p["trigger"] == "UNASSIGNED" and p["level"] == 1)

    # when an admin changes the threshold and switches it off
    payload = await gql.mutate(
        UPDATE_POLICY, {"id": first["id"], "thresholdMinutes": 15, "active": False}
    )

    # then the policy is changed; the audience is kept
    assert payload == {
        "escalationPolicy": {
            "id": first["id"],
            "thresholdMinutes": 15,
            "active": False,
            "audienceRole": "DISPATCHER",
        },
        "userErrors": [],
    }
    assert len(policies) == 9


async def test_a_policy_change_is_validated(gql: GraphQLClient) -> None:
    # given a seeded policy
    policy = (await gql(POLICIES))["escalationPolicies"][0]

    # when the threshold is negative, or the policy is unknown
    bad = await gql.mutate(UPDATE_POLICY, {"id": policy["id"], "thresholdMinutes": -5})
    unknown = await gql.mutate(
        UPDATE_POLICY, {"id": encode_id("EscalationPolicy", 99999), "active": True}
    )

    # then each is refused with its code
    assert bad["userErrors"] == [{"field": ["thresholdMinutes"], "code": "INVALID"}]
    assert error_codes(unknown) == ["NOT_FOUND"]


@pytest.mark.parametrize("role", [None, Role.CUSTOMER, Role.TECHNICIAN, Role.DISPATCHER])
async def test_only_admins_change_policies(gql: GraphQLClient, role: Role | None) -> None:
    # given a seeded policy
    policy = (await gql(POLICIES))["escalationPolicies"][0]

    # when another role tries to change it
    payload = await gql.as_role(role).mutate(UPDATE_POLICY, {"id": policy["id"], "active": False})

    # then it is refused
    assert error_codes(payload) == ["UNAUTHENTICATED" if role is None else "FORBIDDEN"]
