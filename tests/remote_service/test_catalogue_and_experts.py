"""The data admins and managers keep: resolution codes, expert profiles and assist
escalation steps, with who may change them and their bounds."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from schema.ids import encode_id
from tests.remote_service import factories as rf
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories as wf

SET_CODE = """
mutation($input: SetRemoteResolutionCodeInput!) { setRemoteResolutionCode(input: $input) {
  resolutionCode { code name description active version } userErrors { field message code } } }
"""
CODES = "query($all: Boolean!) { remoteResolutionCodes(includeInactive: $all) { code active } }"
SET_EXPERT = """
mutation($input: SetExpertProfileInput!) { setExpertProfile(input: $input) {
  expert { id name level active skill { code } technician { id } userId version }
  userErrors { field message code } } }
"""
SET_STEP = """
mutation($input: SetAssistEscalationStepInput!) { setAssistEscalationStep(input: $input) {
  step { level afterMinutes audienceRole active version } userErrors { field message code } } }
"""
ROLES = [None, Role.CUSTOMER, Role.PARTNER, Role.TECHNICIAN, Role.AGENT, Role.DISPATCHER]
ROLES += [Role.MANAGER, Role.ADMIN]


async def test_an_admin_keeps_the_resolution_code_catalogue(gql: GraphQLClient) -> None:
    admin = gql.as_role(Role.ADMIN)
    made = await admin.mutate(
        SET_CODE, {"code": "firmware_update", "name": "Firmware updated remotely"}
    )
    assert made["userErrors"] == []
    assert made["resolutionCode"] == {
        "code": "FIRMWARE_UPDATE",
        "name": "Firmware updated remotely",
        "description": "",
        "active": True,
        "version": 1,
    }
    # a stale change is refused; retiring a code keeps it listed only when asked
    stale = {"code": "FIRMWARE_UPDATE", "name": "x", "active": False, "expectedVersion": 7}
    assert error_codes(await admin.mutate(SET_CODE, stale)) == ["STALE_VERSION"]
    retired = await admin.mutate(SET_CODE, stale | {"expectedVersion": 1, "name": "Firmware"})
    assert retired["resolutionCode"]["active"] is False
    assert (await admin(CODES, {"all": False}))["remoteResolutionCodes"] == []
    listed = (await admin(CODES, {"all": True}))["remoteResolutionCodes"]
    assert listed == [{"code": "FIRMWARE_UPDATE", "active": False}]
    # bounds
    assert error_codes(await admin.mutate(SET_CODE, {"code": "a b", "name": "x"})) == ["INVALID"]
    assert error_codes(await admin.mutate(SET_CODE, {"code": "A" * 41, "name": "x"})) == ["INVALID"]
    assert error_codes(await admin.mutate(SET_CODE, {"code": "OK", "name": ""})) == ["INVALID"]


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_change_codes_experts_and_steps(
    gql: GraphQLClient, session: AsyncSession, role: Role | None
) -> None:
    w = await wf.world(session)
    client = gql.as_role(role)
    code = await client.mutate(SET_CODE, {"code": "CALL_BACK", "name": "Called back"})
    expert = await client.mutate(
        SET_EXPERT,
        {"technicianId": encode_id("Technician", w.technician.id or 0), "skillCode": w.skill.code},
    )
    step = await client.mutate(
        SET_STEP, {"level": 1, "afterMinutes": 15, "audienceRole": "DISPATCHER"}
    )
    refused = ["UNAUTHENTICATED"] if role is None else ["FORBIDDEN"]
    assert error_codes(code) == ([] if role is Role.ADMIN else refused)
    managers = (Role.ADMIN, Role.MANAGER)
    assert error_codes(expert) == ([] if role in managers else refused)
    assert error_codes(step) == ([] if role in managers else refused)


async def test_a_manager_makes_experts_and_orders_escalation_steps(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    user = await rf.staff_user(session, Role.AGENT)
    customer_user = await rf.staff_user(session, Role.CUSTOMER)
    manager = gql.as_role(Role.MANAGER)
    made = await manager.mutate(
        SET_EXPERT,
        {"userId": encode_id("User", user.id or 0), "skillCode": w.skill.code, "level": 4},
    )
    assert made["userErrors"] == []
    assert made["expert"]["level"] == 4 and made["expert"]["name"] == user.name
    # the same person and skill again changes the one profile
    again = await manager.mutate(
        SET_EXPERT,
        {
            "userId": encode_id("User", user.id or 0),
            "skillCode": w.skill.code,
            "level": 5,
            "expectedVersion": 1,
        },
    )
    assert again["expert"]["id"] == made["expert"]["id"] and again["expert"]["level"] == 5
    # bounds and typed errors
    tech = encode_id("Technician", w.technician.id or 0)
    both = {"userId": encode_id("User", user.id or 0), "technicianId": tech, "skillCode": "x"}
    assert error_codes(await manager.mutate(SET_EXPERT, both)) == ["INVALID"]
    unknown = {"technicianId": tech, "skillCode": "NO-SUCH"}
    assert error_codes(await manager.mutate(SET_EXPERT, unknown)) == ["NOT_FOUND"]
    level = {"technicianId": tech, "skillCode": w.skill.code, "level": 9}
    assert error_codes(await manager.mutate(SET_EXPERT, level)) == ["INVALID"]
    not_staff = {"userId": encode_id("User", customer_user.id or 0), "skillCode": w.skill.code}
    assert error_codes(await manager.mutate(SET_EXPERT, not_staff)) == ["INVALID"]
    listed = await manager("{ expertProfiles { name level } }")
    assert listed["expertProfiles"] == [{"name": user.name, "level": 5}]

    # escalation steps: a higher level waits at least as long as a lower one
    first = {"level": 1, "afterMinutes": 15, "audienceRole": "DISPATCHER"}
    assert (await manager.mutate(SET_STEP, first))["userErrors"] == []
    early = {"level": 2, "afterMinutes": 10, "audienceRole": "MANAGER"}
    assert error_codes(await manager.mutate(SET_STEP, early)) == ["INVALID"]
    assert (await manager.mutate(SET_STEP, early | {"afterMinutes": 45}))["userErrors"] == []
    outside = {"level": 3, "afterMinutes": 90, "audienceRole": "CUSTOMER"}
    assert error_codes(await manager.mutate(SET_STEP, outside)) == ["INVALID"]
    assert error_codes(await manager.mutate(SET_STEP, first | {"level": 4})) == ["INVALID"]
    assert error_codes(await manager.mutate(SET_STEP, first | {"afterMinutes": 0})) == ["INVALID"]
    steps = await manager("{ assistEscalationSteps { level afterMinutes audienceRole } }")
    assert steps["assistEscalationSteps"] == [
        {"level": 1, "afterMinutes": 15, "audienceRole": "DISPATCHER"},
        {"level": 2, "afterMinutes": 45, "audienceRole": "MANAGER"},
    ]
