from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.technicians import factories as make
from tests.technicians.factories import gid

CREATE_SKILL = """
mutation($input: CreateSkillInput!) {
  createSkill(input: $input) { skill { id code name version } userErrors { field message code } }
}
"""
UPDATE_SKILL = """
mutation($input: UpdateSkillInput!) {
  updateSkill(input: $input) { skill { name version } userErrors { field code } }
}
"""
ARCHIVE_SKILL = """
mutation($input: ArchiveInput!) {
  archiveSkill(input: $input) { skill { archivedAt } userErrors { field code } }
}
"""
SKILLS = "query($all: Boolean! = false) { skills(includeArchived: $all) { code } }"
TECHNICIAN_FIELDS = """
  id name employment status version externalRef
  homeBase { lat lng } lastKnownLocation { lat lng } lastSeenAt
  costPerHour { amount currency } costPerKm { amount currency }
  skills { skill { code } level } partner { code } territories { code }
"""
CREATE = f"""
mutation($input: CreateTechnicianInput!) {{
  createTechnician(input: $input) {{
    technician {{ {TECHNICIAN_FIELDS} }} userErrors {{ field message code }}
  }}
}}
"""
UPDATE = f"""
mutation($input: UpdateTechnicianInput!) {{
  updateTechnician(input: $input) {{
    technician {{ {TECHNICIAN_FIELDS} }} userErrors {{ field message code }}
  }}
}}
"""
ARCHIVE = """
mutation($input: ArchiveInput!) {
  archiveTechnician(input: $input) { technician { status archivedAt } userErrors { field code } }
}
"""
LIST = """
query($first: Int, $territoryId: ID, $skill: String, $minLevel: Int! = 1, $search: String) {
  technicians(first: $first, territoryId: $territoryId, skill: $skill, minLevel: $minLevel,
              search: $search) {
    totalCount edges { node { name } } pageInfo { hasNextPage }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Technician { name } } }"
ADD_MEMBERSHIP = """
mutation($input: AddTerritoryMembershipInput!) {
  addTerritoryMembership(input: $input) {
    membership { id validFrom validTo isPrimary territory { code } }
    technician { version territories { code } memberships { validFrom validTo } }
    userErrors { field message code }
  }
}
"""
END_MEMBERSHIP = """
mutation($input: EndTerritoryMembershipInput!) {
  endTerritoryMembership(input: $input) {
    membership { validTo } technician { territories { code } } userErrors { field message code }
  }
}
"""
SET_HOURS = """
mutation($input: SetWorkingHoursInput!) {
  setWorkingHours(input: $input) {
    technician { version workingHours { weekday start end } } userErrors { field message code }
  }
}
"""
ADD_TIME_OFF = """
mutation($input: AddTimeOffInput!) {
  addTimeOff(input: $input) {
    timeOff { id start end reason } technician { timeOff { reason } }
    userErrors { field message code }
  }
}
"""
REMOVE_TIME_OFF = """
mutation($input: RemoveTimeOffInput!) {
  removeTimeOff(input: $input) { technician { timeOff { id } } userErrors { field code } }
}
"""
TERRITORY_MEMBERS = "query { territories { code technicians { name } } }"


def new_technician(**extra: Any) -> dict[str, Any]:
    return {"name": "Asha Rao", "homeBase": {"lat": 12.9716, "lng": 77.5946}} | extra


# --- skills -------------------------------------------------------------------------------


async def test_admin_manages_the_skill_catalogue(gql: GraphQLClient) -> None:
    created = await gql.mutate(CREATE_SKILL, {"code": "ac_repair", "name": "AC repair"})
    skill_id = created["skill"]["id"]
    renamed = await gql.mutate(
        UPDATE_SKILL, {"id": skill_id, "expectedVersion": 1, "name": "Air-conditioner repair"}
    )
    stale = await gql.mutate(UPDATE_SKILL, {"id": skill_id, "expectedVersion": 1, "name": "X"})
    duplicate = await gql.mutate(CREATE_SKILL, {"code": "ac_repair", "name": "Again"})
    await gql.mutate(CREATE_SKILL, {"code": "plumbing", "name": "Plumbing"})
    archived = await gql.mutate(ARCHIVE_SKILL, {"id": skill_id})

    assert renamed["skill"] == {"name": "Air-conditioner repair", "version": 2}
    assert error_codes(stale) == ["STALE_VERSION"]
    assert error_codes(duplicate) == ["DUPLICATE"]
    assert archived["skill"]["archivedAt"] is not None
    assert (await gql(SKILLS))["skills"] == [{"code": "plumbing"}]
    assert len((await gql(SKILLS, {"all": True}))["skills"]) == 2


async def test_a_skill_code_must_be_a_code(gql: GraphQLClient) -> None:
    payload = await gql.mutate(CREATE_SKILL, {"code": "ac repair!", "name": "AC"})

    assert error_codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["code"]


# --- technicians --------------------------------------------------------------------------


async def test_admin_creates_a_technician_with_skills_costs_and_territory(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    ac = await make.skill(session, "ac_repair")
    await make.skill(session, "electrical")
    blr = await make.territory(session)

    payload = await gql.mutate(
        CREATE,
        new_technician(
            externalRef="HR-001",
            skills=[{"skill": "electrical", "level": 2}, {"skill": gid("Skill", ac), "level": 5}],
            costPerHour={"amount": "450.00", "currency": "INR"},
            costPerKm={"amount": "12.50", "currency": "INR"},
            territoryId=gid("Territory", blr),
        ),
    )

    assert payload["userErrors"] == []
    technician = payload["technician"]
    assert technician["homeBase"] == {"lat": 12.9716, "lng": 77.5946}
    assert technician["skills"] == [
        {"skill": {"code": "ac_repair"}, "level": 5},
        {"skill": {"code": "electrical"}, "level": 2},
    ]
    assert technician["costPerHour"] == {"amount": "450.00", "currency": "INR"}
    assert technician["costPerKm"] == {"amount": "12.50", "currency": "INR"}
    assert technician["territories"] == [{"code": "BLR"}]
    assert (technician["employment"], technician["status"]) == ("EMPLOYEE", "ACTIVE")
    assert technician["partner"] is None and technician["lastKnownLocation"] is None


async def test_an_unknown_skill_and_a_level_out_of_range_are_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await make.skill(session, "ac_repair")

    unknown = await gql.mutate(
        CREATE,
        new_technician(
            skills=[{"skill": "ac_repair", "level": 3}, {"skill": "juggling", "level": 1}]
        ),
    )
    too_high = await gql.mutate(CREATE, new_technician(skills=[{"skill": "ac_repair", "level": 6}]))
    twice = await gql.mutate(
        CREATE,
        new_technician(
            skills=[{"skill": "ac_repair", "level": 1}, {"skill": "ac_repair", "level": 2}]
        ),
    )

    assert error_codes(unknown) == ["INVALID"]
    assert unknown["userErrors"][0]["field"] == ["skills", "1", "skill"]
    assert "juggling" in unknown["userErrors"][0]["message"]
    assert error_codes(too_high) == ["INVALID"]
    assert too_high["userErrors"][0]["field"] == ["skills", "0", "level"]
    assert twice["userErrors"][0]["field"] == ["skills", "1", "skill"]
    assert (await gql(LIST))["technicians"]["totalCount"] == 0


async def test_coordinates_out_of_range_are_refused(gql: GraphQLClient) -> None:
    payload = await gql.mutate(CREATE, new_technician(homeBase={"lat": 95.0, "lng": 190.0}))

    assert sorted(e["field"] for e in payload["userErrors"]) == [
        ["homeBase", "lat"],
        ["homeBase", "lng"],
    ]
    assert set(error_codes(payload)) == {"INVALID"}


async def test_partner_is_required_exactly_for_partner_employment(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    coolfix = await make.partner(session, "COOLFIX")

    missing = await gql.mutate(CREATE, new_technician(employment="PARTNER"))
    extra = await gql.mutate(CREATE, new_technician(partnerId=gid("Partner", coolfix)))
    unknown = await gql.mutate(
        CREATE, new_technician(employment="PARTNER", partnerId=gid("Partner", coolfix)[:-2] + "xx")
    )
    ok = await gql.mutate(
        CREATE, new_technician(employment="PARTNER", partnerId=gid("Partner", coolfix))
    )

    assert missing["userErrors"][0] == {
        "field": ["partnerId"],
        "message": "a partner technician needs partnerId",
        "code": "INVALID",
    }
    assert error_codes(extra) == ["INVALID"] and extra["userErrors"][0]["field"] == ["partnerId"]
    assert error_codes(unknown) == ["INVALID"]
    assert ok["technician"]["partner"] == {"code": "COOLFIX"}


async def test_costs_must_share_one_currency(gql: GraphQLClient) -> None:
    payload = await gql.mutate(
        CREATE,
        new_technician(
            costPerHour={"amount": "10", "currency": "USD"},
            costPerKm={"amount": "1", "currency": "INR"},
        ),
    )

    assert error_codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["costPerKm", "currency"]


async def test_update_replaces_skills_and_checks_the_version(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    ac = await make.skill(session, "ac_repair")
    await make.skill(session, "plumbing")
    technician = await make.technician(session, "Ravi", skills=[(ac, 2)])
    tid = gid("Technician", technician)

    updated = await gql.mutate(
        UPDATE,
        {
            "id": tid,
            "expectedVersion": 1,
            "skills": [{"skill": "plumbing", "level": 4}],
            "homeBase": {"lat": 13.0, "lng": 77.6},
            "status": "ON_LEAVE",
        },
    )
    stale = await gql.mutate(UPDATE, {"id": tid, "expectedVersion": 1, "name": "Late"})

    assert updated["userErrors"] == []
    assert updated["technician"]["skills"] == [{"skill": {"code": "plumbing"}, "level": 4}]
    assert updated["technician"]["homeBase"] == {"lat": 13.0, "lng": 77.6}
    assert (updated["technician"]["status"], updated["technician"]["version"]) == ("ON_LEAVE", 2)
    assert error_codes(stale) == ["STALE_VERSION"]


async def test_archived_technicians_leave_the_list(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    gone = await make.technician(session, "Gone")
    await make.technician(session, "Stays")

    archived = await gql.mutate(ARCHIVE, {"id": gid("Technician", gone), "expectedVersion": 1})

    assert archived["technician"]["status"] == "INACTIVE"
    assert archived["technician"]["archivedAt"] is not None
    assert [e["node"]["name"] for e in (await gql(LIST))["technicians"]["edges"]] == ["Stays"]


async def test_the_list_filters_by_skill_level_territory_and_search(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    ac = await make.skill(session, "ac_repair")
    north, south = await make.territory(session, "N"), await make.territory(session, "S")
    await make.technician(session, "Asha", skills=[(ac, 5)], territory_id=north.id)
    await make.technician(session, "Bala", skills=[(ac, 2)], territory_id=south.id)
    await make.technician(session, "Chitra", territory_id=north.id)

    async def names(**variables: Any) -> list[str]:
        edges = (await gql(LIST, variables))["technicians"]["edges"]
        return [e["node"]["name"] for e in edges]

    assert await names(skill="ac_repair") == ["Asha", "Bala"]
    assert await names(skill="ac_repair", minLevel=3) == ["Asha"]
    assert await names(territoryId=gid("Territory", north)) == ["Asha", "Chitra"]
    assert await names(search="bal") == ["Bala"]


async def test_idempotent_create_returns_the_first_result(gql: GraphQLClient) -> None:
    first = await gql.mutate(CREATE, new_technician(idempotencyKey="tech-1"))
    again = await gql.mutate(CREATE, new_technician(idempotencyKey="tech-1"))

    assert again["technician"]["id"] == first["technician"]["id"]
    assert (await gql(LIST))["technicians"]["totalCount"] == 1


async def test_duplicate_external_ref_is_refused(gql: GraphQLClient) -> None:
    await gql.mutate(CREATE, new_technician(externalRef="HR-7"))
    payload = await gql.mutate(CREATE, new_technician(externalRef="HR-7"))

    assert error_codes(payload) == ["DUPLICATE"]
    assert payload["userErrors"][0]["field"] == ["externalRef"]


# --- memberships --------------------------------------------------------------------------


async def test_memberships_refuse_overlaps_in_one_territory(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await make.technician(session, "Asha")
    north, south = await make.territory(session, "N"), await make.territory(session, "S")
    tid, nid = gid("Technician", technician), gid("Territory", north)

    first = await gql.mutate(
        ADD_MEMBERSHIP, {"technicianId": tid, "territoryId": nid, "validFrom": "2024-01-01"}
    )
    overlap = await gql.mutate(
        ADD_MEMBERSHIP,
        {
            "technicianId": tid,
            "territoryId": nid,
            "validFrom": "2023-06-01",
            "validTo": "2024-01-01",
        },
    )
    second_primary = await gql.mutate(
        ADD_MEMBERSHIP,
        {"technicianId": tid, "territoryId": gid("Territory", south), "validFrom": "2024-02-01"},
    )
    secondary = await gql.mutate(
        ADD_MEMBERSHIP,
        {
            "technicianId": tid,
            "territoryId": gid("Territory", south),
            "validFrom": "2024-02-01",
            "isPrimary": False,
        },
    )
    backwards = await gql.mutate(
        ADD_MEMBERSHIP,
        {
            "technicianId": tid,
            "territoryId": nid,
            "validFrom": "2020-02-01",
            "validTo": "2020-01-01",
        },
    )

    assert first["membership"]["territory"] == {"code": "N"}
    assert first["technician"]["territories"] == [{"code": "N"}]
    assert error_codes(overlap) == ["CONFLICT"]
    assert error_codes(second_primary) == ["CONFLICT"]
    assert second_primary["userErrors"][0]["field"] == ["isPrimary"]
    assert secondary["technician"]["territories"] == [{"code": "N"}, {"code": "S"}]
    assert error_codes(backwards) == ["INVALID"] and backwards["userErrors"][0]["field"] == [
        "validTo"
    ]


async def test_ending_a_membership_removes_the_technician_from_the_territory(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await make.technician(session, "Asha")
    blr = await make.territory(session)
    added = await gql.mutate(
        ADD_MEMBERSHIP,
        {
            "technicianId": gid("Technician", technician),
            "territoryId": gid("Territory", blr),
            "validFrom": "2024-01-01",
        },
    )
    members_before = (await gql(TERRITORY_MEMBERS))["territories"][0]["technicians"]

    ended = await gql.mutate(
        END_MEMBERSHIP, {"id": added["membership"]["id"], "validTo": "2024-06-30"}
    )
    too_early = await gql.mutate(
        END_MEMBERSHIP, {"id": added["membership"]["id"], "validTo": "2023-12-31"}
    )

    assert members_before == [{"name": "Asha"}]
    assert ended["membership"]["validTo"] == "2024-06-30"
    assert ended["technician"]["territories"] == []
    assert (await gql(TERRITORY_MEMBERS))["territories"][0]["technicians"] == []
    assert error_codes(too_early) == ["INVALID"]


# --- weekly hours -------------------------------------------------------------------------


async def test_working_hours_replace_the_weekly_pattern(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await make.technician(session, "Asha")
    shifts = [
        {"weekday": "TUESDAY", "start": "09:00:00", "end": "13:00:00"},
        {"weekday": "MONDAY", "start": "09:00:00", "end": "18:00:00"},
        {"weekday": "TUESDAY", "start": "13:00:00", "end": "17:00:00"},
        {"weekday": "FRIDAY", "start": "22:00:00", "end": "00:00:00"},
    ]

    payload = await gql.mutate(
        SET_HOURS,
        {"technicianId": gid("Technician", technician), "expectedVersion": 1, "shifts": shifts},
    )

    assert payload["userErrors"] == []
    assert payload["technician"]["workingHours"] == [
        {"weekday": "MONDAY", "start": "09:00:00", "end": "18:00:00"},
        {"weekday": "TUESDAY", "start": "09:00:00", "end": "13:00:00"},
        {"weekday": "TUESDAY", "start": "13:00:00", "end": "17:00:00"},
        {"weekday": "FRIDAY", "start": "22:00:00", "end": "00:00:00"},
    ]
    assert payload["technician"]["version"] == 2


async def test_overlapping_backwards_and_midnight_crossing_shifts_are_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await make.technician(session, "Asha")
    tid = gid("Technician", technician)
    await gql.mutate(
        SET_HOURS,
        {"technicianId": tid, "shifts": [{"weekday": "MONDAY", "start": "08:00", "end": "12:00"}]},
    )

    payload = await gql.mutate(
        SET_HOURS,
        {
            "technicianId": tid,
            "shifts": [
                {"weekday": "MONDAY", "start": "09:00", "end": "13:00"},
                {"weekday": "MONDAY", "start": "12:00", "end": "18:00"},
                {"weekday": "WEDNESDAY", "start": "17:00", "end": "09:00"},
            ],
        },
    )
    hours = await gql(
        "query($id: ID!) { node(id: $id) { ... on Technician { workingHours { start } } } }",
        {"id": tid},
    )

    assert sorted((e["field"], e["code"]) for e in payload["userErrors"]) == [
        (["shifts", "1"], "INVALID"),
        (["shifts", "2", "end"], "INVALID"),
    ]
    assert "cannot cross midnight" in next(
        e["message"] for e in payload["userErrors"] if e["field"][-1] == "end"
    )
    assert hours["node"]["workingHours"] == [{"start": "08:00:00"}]


# --- time off -----------------------------------------------------------------------------


async def test_time_off_is_added_listed_while_upcoming_and_removed(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await make.technician(session, "Asha")
    tid = gid("Technician", technician)

    added = await gql.mutate(
        ADD_TIME_OFF,
        {
            "technicianId": tid,
            "start": "2099-03-02T09:00:00+05:30",
            "end": "2099-03-04T18:00:00+05:30",
            "reason": "Family wedding",
        },
    )
    past = await gql.mutate(
        ADD_TIME_OFF,
        {"technicianId": tid, "start": "2001-01-01T00:00:00Z", "end": "2001-01-02T00:00:00Z"},
    )
    removed = await gql.mutate(REMOVE_TIME_OFF, {"id": added["timeOff"]["id"]})

    assert added["timeOff"]["start"] == "2099-03-02T03:30:00+00:00"
    assert added["technician"]["timeOff"] == [{"reason": "Family wedding"}]
    assert past["userErrors"] == [] and past["technician"]["timeOff"] == [
        {"reason": "Family wedding"}
    ]
    assert removed["technician"]["timeOff"] == []


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2099-03-02T18:00:00+05:30", "2099-03-02T09:00:00+05:30", ["end"]),
        ("2099-03-02T09:00:00+05:30", "2099-03-02T09:00:00+05:30", ["end"]),
        ("2099-03-02T09:00:00", "2099-03-02T18:00:00+05:30", ["start"]),
    ],
)
async def test_time_off_needs_an_aware_start_before_its_end(
    gql: GraphQLClient, session: AsyncSession, start: str, end: str, field: list[str]
) -> None:
    technician = await make.technician(session, "Asha")

    payload = await gql.mutate(
        ADD_TIME_OFF, {"technicianId": gid("Technician", technician), "start": start, "end": end}
    )

    assert error_codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == field


# --- scoping and permissions --------------------------------------------------------------


async def test_a_partner_sees_and_manages_only_its_own_technicians(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    mine, other = await make.partner(session, "MINE"), await make.partner(session, "OTHER")
    own = await make.technician(session, "Own", partner_id=mine.id)
    theirs = await make.technician(session, "Theirs", partner_id=other.id)
    await make.technician(session, "Employee")
    partner = gql.as_role(Role.PARTNER, partner_id=mine.id)

    listed = (await partner(LIST))["technicians"]
    hidden = await partner(NODE, {"id": gid("Technician", theirs)})
    created = await partner.mutate(CREATE, new_technician(name="New hire"))
    foreign = await partner.mutate(
        CREATE, new_technician(employment="PARTNER", partnerId=gid("Partner", other))
    )
    update_theirs = await partner.mutate(UPDATE, {"id": gid("Technician", theirs), "name": "X"})
    update_own = await partner.mutate(UPDATE, {"id": gid("Technician", own), "phone": "+91 1"})
    make_employee = await partner.mutate(
        UPDATE, {"id": gid("Technician", own), "employment": "EMPLOYEE"}
    )

    assert [e["node"]["name"] for e in listed["edges"]] == ["Own"]
    assert hidden["node"] is None
    assert created["technician"]["employment"] == "PARTNER"
    assert created["technician"]["partner"] == {"code": "MINE"}
    assert error_codes(foreign) == ["FORBIDDEN"]
    assert error_codes(update_theirs) == ["NOT_FOUND"]
    assert update_own["userErrors"] == []
    assert error_codes(make_employee) == ["FORBIDDEN"]


async def test_a_technician_sees_only_themselves_and_a_customer_nobody(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    me = await make.technician(session, "Me")
    colleague = await make.technician(session, "Colleague")
    technician = gql.as_role(Role.TECHNICIAN, technician_id=me.id)
    customer = gql.as_role(Role.CUSTOMER, customer_id=1)

    assert [e["node"]["name"] for e in (await technician(LIST))["technicians"]["edges"]] == ["Me"]
    assert (await technician(NODE, {"id": gid("Technician", colleague)}))["node"] is None
    assert (await technician(NODE, {"id": gid("Technician", me)}))["node"]["name"] == "Me"
    assert (await customer(LIST))["technicians"]["totalCount"] == 0
    assert (await customer(NODE, {"id": gid("Technician", me)}))["node"] is None


async def test_territory_members_follow_the_callers_scope(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    blr = await make.territory(session)
    mine = await make.partner(session, "MINE")
    await make.technician(session, "Own", partner_id=mine.id, territory_id=blr.id)
    await make.technician(session, "Employee", territory_id=blr.id)

    staff_view = (await gql(TERRITORY_MEMBERS))["territories"][0]["technicians"]
    partner_view = (await gql.as_role(Role.PARTNER, partner_id=mine.id)(TERRITORY_MEMBERS))[
        "territories"
    ][0]["technicians"]

    assert staff_view == [{"name": "Employee"}, {"name": "Own"}]
    assert partner_view == [{"name": "Own"}]


ROLES = [
    (None, {}),
    (Role.CUSTOMER, {"customer_id": 1}),
    (Role.TECHNICIAN, {"technician_id": 1}),
    (Role.PARTNER, {"partner_id": 1}),
    (Role.DISPATCHER, {}),
    (Role.ADMIN, {}),
]
WRITES_TECHNICIANS = {Role.ADMIN, Role.DISPATCHER, Role.PARTNER}


@pytest.mark.parametrize(("role", "links"), ROLES)
async def test_permission_matrix(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, links: dict
) -> None:
    partner = await make.partner(session, "P1")
    target = await make.technician(session, "Target")
    caller = gql.as_role(
        role, **(links | ({"partner_id": partner.id} if "partner_id" in links else {}))
    )

    skill = await caller.mutate(CREATE_SKILL, {"code": "x", "name": "X"})
    technician = await caller.mutate(CREATE, new_technician())
    hours = await caller.mutate(
        SET_HOURS, {"technicianId": gid("Technician", target), "shifts": []}
    )
    archive = await caller.mutate(ARCHIVE, {"id": gid("Technician", target)})
    skills = await caller.raw(SKILLS)

    if role is None:
        for payload in (skill, technician, hours, archive):
            assert error_codes(payload) == ["UNAUTHENTICATED"]
        assert skills["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return
    assert error_codes(skill) == ([] if role is Role.ADMIN else ["FORBIDDEN"])
    assert error_codes(technician) == ([] if role in WRITES_TECHNICIANS else ["FORBIDDEN"])
    expected_hours = {Role.ADMIN: [], Role.DISPATCHER: [], Role.PARTNER: ["NOT_FOUND"]}
    assert error_codes(hours) == expected_hours.get(role, ["FORBIDDEN"])
    assert error_codes(archive) == ([] if role in {Role.ADMIN, Role.DISPATCHER} else ["FORBIDDEN"])
    assert "errors" not in skills


# --- statement counts ---------------------------------------------------------------------

DEEP_LIST = """
query($first: Int) {
  technicians(first: $first) {
    edges { node { skills { skill { code } level } partner { name } territories { name } } }
  }
}
"""


async def test_the_list_runs_the_same_statements_for_2_and_20_technicians(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    ac, wm = await make.skill(session, "ac_repair"), await make.skill(session, "washing_machine")
    partner = await make.partner(session, "P")
    blr = await make.territory(session)
    for n in range(20):
        await make.technician(
            session,
            f"T{n:02}",
            partner_id=partner.id if n % 3 == 0 else None,
            skills=[(ac, 1 + n % 5), (wm, 2)],
            territory_id=blr.id,
        )

    counts = {}
    for first in (2, 20):
        statements.reset()
        data = await gql(DEEP_LIST, {"first": first})
        counts[first] = statements.total
        assert len(data["technicians"]["edges"]) == first

    assert data["technicians"]["edges"][0]["node"]["territories"] == [{"name": "Territory BLR"}]
    assert counts[2] == counts[20]
    assert counts[20] <= 6
