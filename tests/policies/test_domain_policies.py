"""The policies that other domains already exposed (escalation, tracking, requisition approval)
are versioned and leave the same audit trail as the rest."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.sla.models import EscalationPolicy
from tests.support import GraphQLClient, error_codes
from tests.work_orders.test_task_graphql import gid, ok

UPDATE_ESCALATION = """
mutation($input: UpdateEscalationPolicyInput!) { updateEscalationPolicy(input: $input) {
  escalationPolicy { id thresholdMinutes active version } userErrors { field code } } }
"""
SET_TRACKING = """
mutation($input: SetTrackingPolicyInput!) { setTrackingPolicy(input: $input) {
  policy { mode maxAgeHours version } userErrors { field code } } }
"""
SET_THRESHOLD = """
mutation($input: SetRequisitionApprovalThresholdInput!) {
  setRequisitionApprovalThreshold(input: $input) { threshold { currency version }
  userErrors { field code } } }
"""
REMOVE_THRESHOLD = """
mutation($input: RemoveRequisitionApprovalThresholdInput!) {
  removeRequisitionApprovalThreshold(input: $input) { threshold { currency }
  userErrors { field code } } }
"""
CHANGES = """
query($kind: PolicyKind) { policyChanges(kind: $kind, first: 50) {
  edges { node { kind item setting oldValue newValue actorRole } } } }
"""


async def _changes(gql: GraphQLClient, kind: str) -> list[tuple[Any, ...]]:
    edges = (await gql(CHANGES, {"kind": kind}))["policyChanges"]["edges"]
    return [
        (e["node"]["item"], e["node"]["setting"], e["node"]["oldValue"], e["node"]["newValue"])
        for e in edges
    ]


async def test_an_escalation_policy_refuses_a_stale_version_and_audits_its_changes(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    policy = await session.scalar(select(EscalationPolicy).order_by(col(EscalationPolicy.id)))
    assert policy is not None and policy.id is not None
    policy_id, version, threshold = (
        gid("EscalationPolicy", policy.id),
        policy.version,
        policy.threshold_minutes,
    )
    item = f"{policy.trigger.value} level {policy.level}"

    changed = await ok(gql, UPDATE_ESCALATION, {
        "id": policy_id, "thresholdMinutes": threshold + 15, "expectedVersion": version,
    })  # fmt: skip
    assert changed["escalationPolicy"]["version"] == version + 1
    stale = await gql.mutate(
        UPDATE_ESCALATION, {"id": policy_id, "active": False, "expectedVersion": version}
    )
    assert error_codes(stale) == ["STALE_VERSION"]

    assert await _changes(gql, "ESCALATION") == [
        (item, "threshold_minutes", threshold, threshold + 15)
    ]


async def test_tracking_and_approval_policy_changes_are_audited(gql: GraphQLClient) -> None:
    await ok(gql, SET_TRACKING, {"mode": "ALWAYS", "maxAgeHours": 24})
    assert ("default", "max_age_hours", 72, 24) in await _changes(gql, "TRACKING")
    assert ("default", "mode", "SHIFT_ONLY", "ALWAYS") in await _changes(gql, "TRACKING")

    limits = {"currency": "XTS", "dispatcherLimit": "100", "managerLimit": "900"}
    await ok(gql, SET_THRESHOLD, limits)
    await ok(gql, SET_THRESHOLD, limits | {"dispatcherLimit": "150"})
    await ok(gql, REMOVE_THRESHOLD, {"currency": "XTS"})
    audit = await _changes(gql, "REQUISITION_APPROVAL")
    assert audit[-2:] == [
        ("XTS", "dispatcher_limit", "100.00", "150.00"),
        ("XTS", "removed", False, True),
    ]
    assert ("XTS", "manager_limit", None, "900.00") in audit
