"""Crew tasks through GraphQL: crew assignment with its warnings, every member's myTasks, each
member's check-in and completion, and the task's state following the lead or all members."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.technicians.models import Employment, Technician, WorkingHours
from app.work_orders.models import SkillRequirement, TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from schema.ids import encode_id
from tests.notifications.support import DISPATCHER
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories

KOLKATA = ZoneInfo("Asia/Kolkata")
AT_SITE = {"lat": factories.SITE_LAT, "lng": factories.SITE_LNG}
CREW = """crew { crewSize members { isLead technician { id } checkedInAt completedAt
  minutesWorked } segments { sequence startsAt endsAt } task { id status version } }"""
ASSIGN_CREW = f"""mutation($input: AssignCrewInput!) {{ assignCrew(input: $input) {{ {CREW}
  warnings {{ code message }} userErrors {{ field message code }} }} }}"""
REQUIREMENTS = f"""mutation($input: SetCrewRequirementsInput!) {{
  setCrewRequirements(input: $input) {{ {CREW} userErrors {{ field message code }} }} }}"""
CHECK_IN_MEMBER = f"""mutation($input: CheckInCrewMemberInput!) {{
  checkInCrewMember(input: $input) {{ {CREW} userErrors {{ field message code }} }} }}"""
COMPLETE_MEMBER = f"""mutation($input: CompleteCrewMemberInput!) {{
  completeCrewMember(input: $input) {{ {CREW} userErrors {{ field message code }} }} }}"""
POLICY = """mutation($input: SetCrewStatePolicyInput!) {
  setCrewStatePolicy(input: $input) { stateFollows userErrors { code } } }"""
ACCEPT = """mutation($input: TaskStepInput!) { acceptTask(input: $input) {
  task { status } userErrors { code } } }"""
START = """mutation($input: TaskStepInput!) { startWork(input: $input) {
  task { status } userErrors { code } } }"""
CHECK_IN = """mutation($input: CheckInInput!) { checkIn(input: $input) {
  task { status } userErrors { code message } } }"""
COMPLETE = """mutation($input: CompleteTaskInput!) { completeTask(input: $input) {
  task { status } userErrors { code message } } }"""
DONE = {"resolutionCode": "INSTALLED", "signature": {"imageRef": "sig-1", "signerName": "R. Rao"}}
ASSIGN = """mutation($input: AssignTaskInput!) { assignTask(input: $input) {
  task { id } userErrors { field message code } } }"""
MY_TASKS = "query($date: Date!) { myTasks(date: $date) { id } }"
CREW_QUERY = f"query($id: ID!) {{ crew(taskId: $id) {CREW.removeprefix('crew ')} }}"


def gid(type_name: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(type_name, db_id)


def tomorrow_at(hour: int) -> datetime:
    day = datetime.now(KOLKATA).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), KOLKATA)


def soon() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=20)


async def ok(client: GraphQLClient, doc: str, input: dict[str, Any]) -> dict[str, Any]:
    payload = await client.mutate(doc, input)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


class Setup:
    def __init__(self, gql: GraphQLClient, w: factories.World, crew: list[Technician]) -> None:
        self.w = w
        self.lead, self.member = crew
        self.dispatcher = gql.as_role(Role.DISPATCHER)
        self.admin = gql.as_role(Role.ADMIN)
        self.as_lead = gql.as_role(Role.TECHNICIAN, technician_id=self.lead.id)
        self.as_member = gql.as_role(Role.TECHNICIAN, technician_id=self.member.id)
        self.task_id = ""


async def setup(
    gql: GraphQLClient, session: AsyncSession, *, duration: int = 120, shift: bool = False
) -> Setup:
    w = await factories.world(session)
    crew = [
        await factories.technician(
            session, skills=[(w.skill, 3)], area=w.territory, all_day=not shift
        ),
        await factories.technician(session, area=w.territory, all_day=not shift),
    ]
    if shift:
        session.add_all(
            WorkingHours(technician_id=t.id or 0, weekday=d, starts_at=time(9), ends_at=time(17))
            for t in crew
            for d in range(7)
        )
    data = TaskCreate(
        type=TaskType.INSTALLATION, customer_id=w.customer.id, site_id=w.site.id,
        duration_minutes=duration, crew_size=2,
        required_skills=[SkillRequirement(code=w.skill.code, min_level=2)],
    )  # fmt: skip
    task = await create_task(session, Actor.of(DISPATCHER), data)
    await session.flush()
    s = Setup(gql, w, crew)
    s.task_id = gid("Task", task.id)
    return s


def assignment(s: Setup, start: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "taskId": s.task_id, "leadId": gid("Technician", s.lead.id),
        "memberIds": [gid("Technician", s.member.id)], "start": start.isoformat(),
    } | extra  # fmt: skip


async def assigned(s: Setup, start: datetime | None = None) -> dict[str, Any]:
    payload = await ok(s.dispatcher, ASSIGN_CREW, assignment(s, start or tomorrow_at(10)))
    return payload["crew"]


async def test_a_crew_is_offered_to_its_lead_and_every_member_sees_it(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await setup(gql, session)
    crew = await assigned(s)
    assert crew["task"]["status"] == "DISPATCHED"
    assert [m["isLead"] for m in crew["members"]] == [True, False]
    assert crew["members"][1]["technician"]["id"] == gid("Technician", s.member.id)
    day = tomorrow_at(10).date().isoformat()
    for client in (s.as_lead, s.as_member):
        mine = await client(MY_TASKS, {"date": day})
        assert [t["id"] for t in mine["myTasks"]] == [s.task_id]
        seen = await client(CREW_QUERY, {"id": s.task_id})
        assert seen["crew"]["crewSize"] == 2
    stranger = await factories.technician(session, area=s.w.territory)
    other = s.dispatcher.as_role(Role.TECHNICIAN, technician_id=stranger.id)
    assert (await other(MY_TASKS, {"date": day}))["myTasks"] == []
    assert (await other(CREW_QUERY, {"id": s.task_id}))["crew"] is None


async def test_crew_warnings_refuse_until_a_reason_is_given(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await setup(gql, session)
    await ok(s.dispatcher, REQUIREMENTS, {
        "taskId": s.task_id, "crewSize": 3, "leadSkills": [{"code": s.w.skill.code, "minLevel": 5}],
    })  # fmt: skip
    refused = await s.dispatcher.mutate(ASSIGN_CREW, assignment(s, tomorrow_at(10)))
    assert set(error_codes(refused)) == {"CONFLICT"}
    messages = " ".join(e["message"] for e in refused["userErrors"])
    assert "crew of 3" in messages and "lead" in messages
    forced = await ok(s.dispatcher, ASSIGN_CREW, assignment(s, tomorrow_at(10), reason="short"))
    codes = {w["code"] for w in forced["warnings"]}
    assert codes == {"CREW_SIZE_MISMATCH", "LEAD_SKILL_MISMATCH"}


async def test_a_member_double_booked_on_another_crew_is_warned(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await setup(gql, session)
    await assigned(s)
    second = await setup(gql, session)
    second.member = s.member
    refused = await second.dispatcher.mutate(ASSIGN_CREW, assignment(second, tomorrow_at(11)))
    assert any("overlaps crew task" in e["message"] for e in refused["userErrors"])


async def test_the_lead_policy_moves_the_task_with_the_lead(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await setup(gql, session)
    await assigned(s, soon())
    key = {"taskId": s.task_id}
    await ok(s.as_lead, ACCEPT, key)
    # a member's plain checkIn is refused: members change a crew task through its crew steps
    plain = await s.as_member.mutate(CHECK_IN, key | {"location": AT_SITE})
    assert error_codes(plain) == ["NOT_FOUND"]
    member_in = await ok(s.as_member, CHECK_IN_MEMBER, key | {"location": AT_SITE})
    assert member_in["crew"]["task"]["status"] == "ACCEPTED"
    assert member_in["crew"]["members"][1]["checkedInAt"] is not None
    lead_in = await ok(s.as_lead, CHECK_IN_MEMBER, key | {"location": AT_SITE})
    assert lead_in["crew"]["task"]["status"] == "ON_SITE"
    await ok(s.as_lead, START, key)
    member_done = await ok(s.as_member, COMPLETE_MEMBER, key)
    assert member_done["crew"]["task"]["status"] == "IN_PROGRESS"
    assert member_done["crew"]["members"][1]["minutesWorked"] is not None
    lead_done = await s.as_lead.mutate(COMPLETE_MEMBER, key)
    assert error_codes(lead_done) == ["INVALID"]
    closed = await ok(s.as_lead, COMPLETE_MEMBER, key | DONE)
    assert closed["crew"]["task"]["status"] == "COMPLETED"
    assert all(m["completedAt"] for m in closed["crew"]["members"])


async def test_the_all_policy_waits_for_every_member(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await setup(gql, session)
    await ok(s.admin, POLICY, {"stateFollows": "ALL"})
    await assigned(s, soon())
    key = {"taskId": s.task_id}
    await ok(s.as_lead, ACCEPT, key)
    early = await s.as_lead.mutate(CHECK_IN, key | {"location": AT_SITE})
    assert error_codes(early) == ["INVALID_TRANSITION"]
    lead_in = await ok(s.as_lead, CHECK_IN_MEMBER, key | {"location": AT_SITE})
    assert lead_in["crew"]["task"]["status"] == "ACCEPTED"
    last_in = await ok(s.as_member, CHECK_IN_MEMBER, key | {"location": AT_SITE})
    assert last_in["crew"]["task"]["status"] == "ON_SITE"
    await ok(s.as_lead, START, key)
    refused = await s.as_lead.mutate(COMPLETE, key | DONE)
    assert error_codes(refused) == ["INVALID_TRANSITION"]
    await ok(s.as_lead, COMPLETE_MEMBER, key)
    closed = await ok(s.as_member, COMPLETE_MEMBER, key | DONE)
    assert closed["crew"]["task"]["status"] == "COMPLETED"


async def test_only_an_admin_sets_the_policy(gql: GraphQLClient, session: AsyncSession) -> None:
    refused = await gql.as_role(Role.DISPATCHER).mutate(POLICY, {"stateFollows": "ALL"})
    assert error_codes(refused) == ["FORBIDDEN"]


async def test_a_task_longer_than_a_shift_is_split_over_the_next_working_days(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a crew working 09:00-17:00 and a 12-hour install starting at 13:00
    s = await setup(gql, session, duration=720, shift=True)
    crew = await assigned(s, tomorrow_at(13))
    segments = crew["segments"]
    # then it runs 13:00-17:00 and 09:00-17:00 the next day, in order
    assert [seg["sequence"] for seg in segments] == [1, 2]
    first = [datetime.fromisoformat(segments[0][k]) for k in ("startsAt", "endsAt")]
    second = [datetime.fromisoformat(segments[1][k]) for k in ("startsAt", "endsAt")]
    assert first == [tomorrow_at(13), tomorrow_at(17)]
    assert second == [tomorrow_at(9) + timedelta(days=1), tomorrow_at(17) + timedelta(days=1)]
    # and each member sees it on both days
    for day in (first[0], second[0]):
        mine = await s.as_member(MY_TASKS, {"date": day.astimezone(KOLKATA).date().isoformat()})
        assert [t["id"] for t in mine["myTasks"]] == [s.task_id]


async def test_a_stale_crew_assignment_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await setup(gql, session)
    first = await assigned(s)
    version = first["task"]["version"]
    again = await s.dispatcher.mutate(
        ASSIGN_CREW, assignment(s, tomorrow_at(11), expectedVersion=version - 1)
    )
    assert error_codes(again) == ["STALE_VERSION"]


async def test_a_partner_sees_the_crew_tasks_of_its_technicians(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await setup(gql, session)
    partner = await factories.partner(session)
    s.member.partner_id = partner.id
    s.member.employment = Employment.PARTNER
    await session.flush()
    await assigned(s)
    partner_client = s.dispatcher.as_role(Role.PARTNER, partner_id=partner.id)
    seen = await partner_client("query($id: ID!) { task(id: $id) { id } }", {"id": s.task_id})
    assert seen["task"] == {"id": s.task_id}
    customer = s.dispatcher.as_role(Role.CUSTOMER, customer_id=s.w.customer.id)
    body = await customer.raw(CREW_QUERY, {"id": s.task_id})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_members_lose_the_task_once_it_leaves_their_lead(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await setup(gql, session)
    await assigned(s)
    day = tomorrow_at(10).date().isoformat()
    # when the dispatcher gives the task to someone else alone
    other = await factories.technician(session, skills=[(s.w.skill, 3)], area=s.w.territory)
    await ok(s.dispatcher, ASSIGN, {
        "taskId": s.task_id, "technicianId": gid("Technician", other.id),
        "start": tomorrow_at(10).isoformat(), "reason": "the crew is off sick",
    })  # fmt: skip
    # then the old crew no longer sees it
    for client in (s.as_lead, s.as_member):
        assert (await client(MY_TASKS, {"date": day}))["myTasks"] == []
    # and when it goes back to the old lead alone, the old crew does not come back with it
    await ok(s.dispatcher, ASSIGN, {
        "taskId": s.task_id, "technicianId": gid("Technician", s.lead.id),
        "start": tomorrow_at(10).isoformat(), "reason": "the lead is back, alone",
    })  # fmt: skip
    assert (await s.as_member(MY_TASKS, {"date": day}))["myTasks"] == []
    assert len((await s.as_lead(MY_TASKS, {"date": day}))["myTasks"]) == 1
