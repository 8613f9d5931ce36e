"""Operator policies through GraphQL: who may read and change them, validation, stale versions,
the audit of changes, and the next operation obeying a change (no restart, no stale cache)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.confirmations.ladder import advance
from app.confirmations.models import CallMode, Confirmation, ConfirmationCall
from app.core.auth import Role
from app.notifications.policies import load_policy
from app.work_orders.models import TaskCreate, TaskType
from app.work_orders.service import create_task
from tests.notifications.graphql_support import ROLES, as_role, refused_mutation, refused_query
from tests.notifications.support import scheduled_task
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories
from tests.work_orders.test_lifecycle_service import DESK
from tests.work_orders.test_task_graphql import (
    ACCEPT,
    ASSIGN,
    AT_SITE,
    CHECK_IN,
    CREATE_REQUEST,
    Roles,
    gid,
    ok,
    requested_task,
)

WORK_FIELDS = """version geofenceMode geofenceRadiusMeters checkInWindowMode
  checkInEarlyMinutes checkInLateMinutes startTravelEarlyMinutes offerResponseMinutes"""
WORK_POLICY = f"query {{ workPolicy {{ {WORK_FIELDS} }} }}"
UPDATE_WORK = f"""
mutation($input: UpdateWorkPolicyInput!) {{
  updateWorkPolicy(input: $input) {{
    workPolicy {{ {WORK_FIELDS} }} userErrors {{ field message code }}
  }}
}}
"""
COMMUNICATION_POLICY = """
query { communicationPolicy { version confirmationReplyMinutes confirmationCallMinutes
  confirmationCallMode maxAttempts } }
"""
UPDATE_COMMUNICATION = """
mutation($input: UpdateCommunicationPolicyInput!) {
  updateCommunicationPolicy(input: $input) {
    communicationPolicy { version confirmationReplyMinutes confirmationCallMode }
    userErrors { field message code }
  }
}
"""
SLA_POLICY = (
    "query { slaPolicy { version targets { priority responseMinutes resolutionMinutes } } }"
)
UPDATE_SLA = """
mutation($input: UpdateSlaPolicyInput!) {
  updateSlaPolicy(input: $input) {
    slaPolicy { version targets { priority responseMinutes resolutionMinutes atRiskPercent } }
    userErrors { field message code }
  }
}
"""
PRIORITY_RULES = "query { priorityRules { version rules { id kind value priority active } } }"
CREATE_RULE = """
mutation($input: CreatePriorityRuleInput!) {
  createPriorityRule(input: $input) {
    priorityRule { id kind value priority active } version userErrors { field message code }
  }
}
"""
UPDATE_RULE = """
mutation($input: UpdatePriorityRuleInput!) {
  updatePriorityRule(input: $input) {
    priorityRule { id active priority } version userErrors { field message code }
  }
}
"""
CHANGES = """
query($kind: PolicyKind, $first: Int) { policyChanges(kind: $kind, first: $first) {
  totalCount edges { node { kind version item setting oldValue newValue actor actorRole } } } }
"""
READERS = {Role.ADMIN, Role.DISPATCHER, Role.MANAGER}


async def _work(gql: GraphQLClient) -> dict[str, Any]:
    data = await gql(WORK_POLICY)
    policy: dict[str, Any] = data["workPolicy"]
    return policy


@pytest.mark.parametrize("role", ROLES)
async def test_admins_change_policies_and_staff_who_plan_read_them(
    gql: GraphQLClient, role: Role | None
) -> None:
    client = as_role(gql, role, technician_id=1, customer_id=1, partner_id=1)
    for query in (WORK_POLICY, COMMUNICATION_POLICY, SLA_POLICY, PRIORITY_RULES, CHANGES):
        assert await refused_query(client, query, {}) is (role not in READERS), query
    writes = [
        (UPDATE_WORK, {"input": {"offerResponseMinutes": 45}}),
        (UPDATE_COMMUNICATION, {"input": {"maxAttempts": 4}}),
        (UPDATE_SLA, {"input": {"targets": []}}),
        (CREATE_RULE, {"input": {"kind": "KEYWORD", "value": "smoke", "priority": 1}}),
    ]
    for mutation, variables in writes:
        assert await refused_mutation(client, mutation, variables) is (role != Role.ADMIN)


async def test_a_work_policy_change_is_versioned_validated_and_audited(gql: GraphQLClient) -> None:
    before = await _work(gql)
    changed = await gql.mutate(UPDATE_WORK, {
        "expectedVersion": before["version"], "geofenceMode": "FLAG", "checkInLateMinutes": 60,
    })  # fmt: skip
    assert changed["userErrors"] == []
    policy = changed["workPolicy"]
    assert (policy["version"], policy["geofenceMode"], policy["checkInLateMinutes"]) == (
        before["version"] + 1,
        "FLAG",
        60,
    )
    assert await _work(gql) == policy

    stale = await gql.mutate(
        UPDATE_WORK, {"expectedVersion": before["version"], "geofenceMode": "REFUSE"}
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    assert stale["userErrors"][0]["field"] == ["expectedVersion"]

    bad = await gql.mutate(UPDATE_WORK, {"checkInEarlyMinutes": -5, "geofenceRadiusMeters": 0})
    assert sorted(tuple(e["field"]) for e in bad["userErrors"]) == [
        ("checkInEarlyMinutes",),
        ("geofenceRadiusMeters",),
    ]
    assert set(error_codes(bad)) == {"INVALID"}
    crossed = await gql.mutate(UPDATE_WORK, {"checkInEarlyMinutes": 600})
    assert crossed["userErrors"][0]["field"] == ["checkInEarlyMinutes"]
    assert await _work(gql) == policy

    changes = (await gql(CHANGES, {"kind": "WORK"}))["policyChanges"]
    assert changes["totalCount"] == 2
    nodes = [edge["node"] for edge in changes["edges"]]
    assert [(n["setting"], n["oldValue"], n["newValue"]) for n in nodes] == [
        ("check_in_late_minutes", 240, 60),
        ("geofence_mode", "REFUSE", "FLAG"),
    ]
    assert {(n["actor"], n["actorRole"], n["version"]) for n in nodes} == {
        ("test:admin", "ADMIN", policy["version"])
    }


async def test_an_unchanged_value_neither_bumps_the_version_nor_writes_an_audit_row(
    gql: GraphQLClient,
) -> None:
    before = await _work(gql)
    same = await gql.mutate(UPDATE_WORK, {"geofenceMode": before["geofenceMode"]})
    assert same["workPolicy"]["version"] == before["version"]
    assert (await gql(CHANGES, {"kind": "WORK"}))["policyChanges"]["totalCount"] == 0


async def test_the_next_check_in_obeys_a_policy_changed_through_the_api(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    roles = Roles(gql, w)
    task = await requested_task(gql, w)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    await ok(roles.dispatcher, ASSIGN, {
        "taskId": task["id"], "technicianId": gid("Technician", w.technician.id),
        "start": tomorrow, "reason": "booked for tomorrow",
    })  # fmt: skip
    await ok(roles.tech, ACCEPT, {"taskId": task["id"]})
    check_in = {"taskId": task["id"], "location": AT_SITE}

    refused = await roles.tech.mutate(CHECK_IN, check_in)
    assert error_codes(refused) == ["INVALID_TRANSITION"]
    assert "ask the dispatcher to reschedule" in refused["userErrors"][0]["message"]

    await ok(gql, UPDATE_WORK, {"checkInWindowMode": "FLAG"})
    no_reason = await roles.tech.mutate(CHECK_IN, check_in)
    assert [(e["code"], e["field"]) for e in no_reason["userErrors"]] == [("INVALID", ["reason"])]

    flagged = await ok(roles.tech, CHECK_IN, check_in | {"reason": "customer called me in"})
    assert flagged["task"]["status"] == "ON_SITE" and len(flagged["warnings"]) == 1
    assert flagged["task"]["events"][-1]["reason"] == "customer called me in"


async def test_communication_policy_changes_are_checked_and_read_by_the_next_operation(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    before = (await gql(COMMUNICATION_POLICY))["communicationPolicy"]
    crossed = await gql.mutate(UPDATE_COMMUNICATION, {"confirmationReplyMinutes": 10_000})
    assert [(e["code"], e["field"]) for e in crossed["userErrors"]] == [
        ("INVALID", ["confirmationReplyMinutes"])
    ]
    changed = await ok(gql, UPDATE_COMMUNICATION, {
        "expectedVersion": before["version"], "confirmationReplyMinutes": 30,
        "confirmationCallMode": "AI_VOICE",
    })  # fmt: skip
    assert changed["communicationPolicy"] == {
        "version": before["version"] + 1,
        "confirmationReplyMinutes": 30,
        "confirmationCallMode": "AI_VOICE",
    }
    policy = await load_policy(session)
    assert (policy.confirmation_reply_minutes, policy.confirmation_call_mode) == (30, "AI_VOICE")


async def test_sla_targets_are_validated_and_the_next_task_gets_them(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    before = (await gql(SLA_POLICY))["slaPolicy"]
    assert [t["priority"] for t in before["targets"]] == [1, 2, 3, 4, 5]
    bad = await gql.mutate(UPDATE_SLA, {"targets": [
        {"priority": 1, "responseMinutes": 90, "resolutionMinutes": 30},
        {"priority": 1, "responseMinutes": 10, "resolutionMinutes": 20},
    ]})  # fmt: skip
    assert [e["field"] for e in bad["userErrors"]] == [
        ["targets", "0", "resolutionMinutes"],
        ["targets", "1", "priority"],
    ]
    out_of_range = await gql.mutate(UPDATE_SLA, {"targets": [
        {"priority": 7, "responseMinutes": 10, "resolutionMinutes": 20},
    ]})  # fmt: skip
    assert error_codes(out_of_range) == ["INVALID"]
    target = {"priority": 1, "responseMinutes": 10, "resolutionMinutes": 20}
    flood = await gql.mutate(UPDATE_SLA, {"targets": [target] * 10_000})
    assert [(e["field"], e["code"]) for e in flood["userErrors"]] == [(["targets"], "INVALID")]

    changed = await ok(gql, UPDATE_SLA, {"expectedVersion": before["version"], "targets": [
        {"priority": 1, "responseMinutes": 30, "resolutionMinutes": 100, "atRiskPercent": 70},
    ]})  # fmt: skip
    assert changed["slaPolicy"]["version"] == before["version"] + 1
    assert changed["slaPolicy"]["targets"][0] == {
        "priority": 1, "responseMinutes": 30, "resolutionMinutes": 100, "atRiskPercent": 70,
    }  # fmt: skip
    stale = await gql.mutate(UPDATE_SLA, {"expectedVersion": before["version"], "targets": []})
    assert error_codes(stale) == ["STALE_VERSION"]

    w = await factories.world(session)
    data = TaskCreate(
        type=TaskType.REPAIR, customer_id=w.customer.id, site_id=w.site.id, priority=1
    )
    task = await create_task(session, DESK, data)
    assert task.response_due_at is not None and task.resolution_due_at is not None
    assert task.resolution_due_at - task.response_due_at == timedelta(minutes=70)
    items = (await gql(CHANGES, {"kind": "SLA"}))["policyChanges"]["edges"]
    assert {(e["node"]["item"], e["node"]["setting"]) for e in items} == {
        ("priority 1", "response_minutes"),
        ("priority 1", "resolution_minutes"),
        ("priority 1", "at_risk_percent"),
    }


async def test_priority_rules_are_created_changed_and_obeyed_by_the_next_request(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    customer = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)
    request = {
        "siteId": gid("Site", w.site.id), "channel": "WEB", "category": "INSPECTION",
        "description": "a faint burnt-toast smell near the unit",
    }  # fmt: skip
    version = (await gql(PRIORITY_RULES))["priorityRules"]["version"]

    for value in ("soon", "²", "99999999999999999999"):
        bad = await gql.mutate(CREATE_RULE, {"kind": "CONTRACT_SLA_HOURS", "value": value,
                                             "priority": 1})  # fmt: skip
        assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [("INVALID", ["value"])]
    created = await ok(gql, CREATE_RULE, {
        "kind": "KEYWORD", "value": "burnt-toast smell", "priority": 1, "expectedVersion": version,
    })  # fmt: skip
    assert created["version"] == version + 1
    duplicate = await gql.mutate(
        CREATE_RULE, {"kind": "KEYWORD", "value": "burnt-toast smell", "priority": 2}
    )
    assert error_codes(duplicate) == ["DUPLICATE"]

    first = await ok(customer, CREATE_REQUEST, request)
    assert first["serviceRequest"]["priority"] == 1

    rule_id = created["priorityRule"]["id"]
    stale = await gql.mutate(UPDATE_RULE, {"id": rule_id, "active": False,
                                           "expectedVersion": version})  # fmt: skip
    assert error_codes(stale) == ["STALE_VERSION"]
    off = await ok(gql, UPDATE_RULE, {"id": rule_id, "active": False})
    assert off["priorityRule"]["active"] is False and off["version"] == version + 2
    second = await ok(customer, CREATE_REQUEST, request)
    assert second["serviceRequest"]["priority"] != 1

    missing = await gql.mutate(UPDATE_RULE, {"id": gid("PriorityRule", 10**9), "active": True})
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_the_confirmation_ladder_obeys_waits_and_call_mode_changed_through_the_api(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    confirmation = await session.scalar(
        select(Confirmation).where(col(Confirmation.task_id) == task.id)
    )
    assert confirmation is not None
    start = confirmation.requested_at
    assert (await advance(session, start + timedelta(minutes=31)))["calls"] == 0

    await ok(gql, UPDATE_COMMUNICATION, {
        "confirmationReplyMinutes": 30, "confirmationCallMode": "AI_VOICE",
    })  # fmt: skip

    assert (await advance(session, start + timedelta(minutes=31)))["calls"] == 1
    call = await session.scalar(
        select(ConfirmationCall).where(col(ConfirmationCall.task_id) == task.id)
    )
    assert call is not None and call.mode is CallMode.AI_VOICE
