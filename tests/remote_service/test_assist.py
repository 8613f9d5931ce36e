"""Remote assistance through GraphQL: a technician asks for help on their task, experts who
qualify see it in their queue, the first to accept gets it, sets a call link and answers;
unaccepted requests escalate on a controlled clock; who sees what; the figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.events import pending_events
from app.core.models import utcnow
from app.remote_service.assist import escalate_waiting
from app.remote_service.channels import ASSIST_UNACCEPTED
from schema.ids import encode_id
from tests.remote_service import factories as rf
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories as wf

ASK = """
mutation($input: RequestAssistInput!) { requestAssist(input: $input) {
  assistRequest { id status question minLevel version skill { code } productModel { id }
    attachments { id } task { id } technician { id } escalationLevel }
  userErrors { field message code } } }
"""
QUEUE = "{ assistQueue(first: 10) { totalCount edges { node { id question } } } }"
LIST = "{ assistRequests(first: 10) { totalCount edges { node { id status } } } }"
ACCEPT = """
mutation($input: AcceptAssistInput!) { acceptAssist(input: $input) {
  assistRequest { id status expertName acceptedAt version } userErrors { field message code } } }
"""
CALL_LINK = """
mutation($input: SetAssistCallLinkInput!) { setAssistCallLink(input: $input) {
  assistRequest { id callLink version } userErrors { field message code } } }
"""
ANSWER = """
mutation($input: AnswerAssistInput!) { answerAssist(input: $input) {
  assistRequest { id status resolutionNote answeredAt version }
  userErrors { field message code } } }
"""
CANCEL = """
mutation($input: CancelAssistInput!) { cancelAssist(input: $input) {
  assistRequest { id status } userErrors { field message code } } }
"""
THREADS = """
{ myConversations(first: 5) { edges { node { task { id } participants { name role }
  lastMessage { body } } } } }
"""
FIGURES = """
{ assistFigures { requests tasks assistsPerTask accepted answered averageMinutesToAccept
  averageMinutesToAnswer } }
"""


def gid(kind: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(kind, db_id)


class Scene:
    """A technician on site, two staff experts in the task's skill (levels 4 and 2)."""

    def __init__(self, gql: GraphQLClient, site: rf.Site, senior: int, junior: int) -> None:
        self.gql, self.site = gql, site
        self.technician = gql.as_role(Role.TECHNICIAN, technician_id=site.world.technician.id)
        self.senior = gql.as_role(Role.AGENT, user_id=senior)
        self.junior = gql.as_role(Role.DISPATCHER, user_id=junior)

    def ask_input(self, **changes: Any) -> dict[str, Any]:
        return {
            "taskId": gid("Task", self.site.task.id),
            "skillCode": self.site.world.skill.code,
            "minLevel": 3,
            "question": "Compressor trips after 2 minutes; which capacitor value?",
        } | changes

    async def ask(self, **changes: Any) -> dict[str, Any]:
        payload = await self.technician.mutate(ASK, self.ask_input(**changes))
        assert payload["userErrors"] == []
        request: dict[str, Any] = payload["assistRequest"]
        return request


async def scene(gql: GraphQLClient, session: AsyncSession) -> Scene:
    site = await rf.field_task(session)
    senior = await rf.staff_user(session, Role.AGENT)
    junior = await rf.staff_user(session, Role.DISPATCHER)
    await rf.expert(session, site.world.skill, 4, user=senior)
    await rf.expert(session, site.world.skill, 2, user=junior)
    assert senior.id is not None and junior.id is not None
    return Scene(gql, site, senior.id, junior.id)


async def test_a_technician_asks_an_expert_takes_it_sets_a_call_link_and_answers(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a technician on site with a photo of the fault
    s = await scene(gql, session)
    photo = await rf.photo(session, task_id=s.site.task.id)

    # when they ask for help at level 3 with the photo
    asked = await s.ask(attachmentIds=[gid("Attachment", photo)])

    # then the request is open, on the task's product model, with the photo
    assert asked["status"] == "OPEN" and asked["minLevel"] == 3
    assert asked["attachments"] == [{"id": gid("Attachment", photo)}]
    assert asked["productModel"] == {"id": gid("ProductModel", s.site.world.asset.product_model_id)}

    # and only the expert qualified at level 3 or above sees it in their queue
    assert (await s.senior(QUEUE))["assistQueue"]["totalCount"] == 1
    assert (await s.junior(QUEUE))["assistQueue"]["totalCount"] == 0
    assert (await s.technician(QUEUE))["assistQueue"]["totalCount"] == 0

    # when the junior tries to accept it, then it is refused; the senior accepts it
    take = {"assistRequestId": asked["id"], "expectedVersion": asked["version"]}
    assert error_codes(await s.junior.mutate(ACCEPT, take)) == ["FORBIDDEN"]
    accepted = await s.senior.mutate(ACCEPT, take)
    assert accepted["userErrors"] == []
    assert accepted["assistRequest"]["status"] == "ACCEPTED"
    assert accepted["assistRequest"]["expertName"].startswith("Expert ")
    assert (await s.senior(QUEUE))["assistQueue"]["totalCount"] == 0
    # and the expert joined the task's thread, which says who is helping
    for side in (s.technician, s.senior):
        threads = (await side(THREADS))["myConversations"]["edges"]
        assert [t["node"]["task"] for t in threads] == [{"id": gid("Task", s.site.task.id)}]
        thread = threads[0]["node"]
        assert [p["role"] for p in thread["participants"]] == ["EXPERT"]
        assert "accepted the request for expert help" in thread["lastMessage"]["body"]

    # when the expert sets a call link: http or junk is refused, https is kept
    link = {"assistRequestId": asked["id"], "callLink": "http://meet.example.test/abc"}
    assert error_codes(await s.senior.mutate(CALL_LINK, link)) == ["INVALID"]
    bad = link | {"callLink": "javascript:alert(1)"}
    assert error_codes(await s.senior.mutate(CALL_LINK, bad)) == ["INVALID"]
    good = link | {"callLink": "https://meet.example.test/abc-def"}
    linked = await s.senior.mutate(CALL_LINK, good)
    assert linked["assistRequest"]["callLink"] == "https://meet.example.test/abc-def"
    # and nobody else may set it
    assert error_codes(await s.junior.mutate(CALL_LINK, good)) == ["FORBIDDEN"]

    # when the expert answers it
    answer = {
        "assistRequestId": asked["id"],
        "resolutionNote": "Fit a 35+5 uF run capacitor; check the contactor",
        "idempotencyKey": "answer-1",
    }
    answered = await s.senior.mutate(ANSWER, answer)
    assert answered["userErrors"] == []
    assert answered["assistRequest"]["status"] == "ANSWERED"
    assert await s.senior.mutate(ANSWER, answer) == answered  # a retry changes nothing
    again = answer | {"idempotencyKey": "answer-2"}
    assert error_codes(await s.senior.mutate(ANSWER, again)) == ["INVALID_TRANSITION"]

    # then the technician sees it answered, and a manager's figures count it
    mine = (await s.technician(LIST))["assistRequests"]
    assert mine["edges"] == [{"node": {"id": asked["id"], "status": "ANSWERED"}}]
    figures = (await gql.as_role(Role.MANAGER)(FIGURES))["assistFigures"]
    assert figures["requests"] == 1 and figures["tasks"] == 1 and figures["answered"] == 1
    assert figures["assistsPerTask"] == 1.0
    assert figures["averageMinutesToAnswer"] is not None


async def test_the_second_expert_to_accept_gets_a_typed_conflict(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two qualified experts and one open request
    s = await scene(gql, session)
    other = await rf.staff_user(session, Role.MANAGER)
    await rf.expert(session, s.site.world.skill, 5, user=other)
    second = gql.as_role(Role.MANAGER, user_id=other.id)
    asked = await s.ask()

    # when both accept it, then the first gets it and the second a CONFLICT naming who has it
    take = {"assistRequestId": asked["id"]}
    assert (await s.senior.mutate(ACCEPT, take))["userErrors"] == []
    refused = await second.mutate(ACCEPT, take)
    assert error_codes(refused) == ["CONFLICT"]
    assert "already accepted by Expert" in refused["userErrors"][0]["message"]


async def test_unaccepted_requests_escalate_by_the_steps_on_a_controlled_clock(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given steps: after 10 minutes the dispatchers, after 30 the managers
    s = await scene(gql, session)
    await rf.steps(session, (1, 10, Role.DISPATCHER), (2, 30, Role.MANAGER))
    waiting = await s.ask()
    taken = await s.ask(question="Second question, taken at once")
    assert (await s.senior.mutate(ACCEPT, {"assistRequestId": taken["id"]}))["userErrors"] == []
    t0 = utcnow()

    def alerts() -> list[dict[str, Any]]:
        return [e.data for e in pending_events(session) if e.kind == ASSIST_UNACCEPTED]

    # when the job runs 5 minutes on, then nothing is raised yet
    assert await escalate_waiting(session, t0 + timedelta(minutes=5)) == []

    # when it runs past 10 minutes, then the waiting request goes to the dispatchers, once
    raised = await escalate_waiting(session, t0 + timedelta(minutes=11))
    waiting_id = await _db_id(waiting["id"])
    assert raised == [(waiting_id, 1)]
    assert await escalate_waiting(session, t0 + timedelta(minutes=12)) == []
    assert [(a["level"], a["audience_role"]) for a in alerts()] == [(1, "DISPATCHER")]
    assert alerts()[0]["task_id"] == s.site.task.id

    # when it runs past 30 minutes, then it goes to the managers
    assert await escalate_waiting(session, t0 + timedelta(minutes=31)) == [(waiting_id, 2)]
    assert [(a["level"], a["audience_role"]) for a in alerts()] == [
        (1, "DISPATCHER"),
        (2, "MANAGER"),
    ]
    # and the request shows its escalation level; the accepted one never escalated
    node = "query($id: ID!) { node(id: $id) { ... on AssistRequest { escalationLevel } } }"
    manager = gql.as_role(Role.MANAGER)
    assert (await manager(node, {"id": waiting["id"]}))["node"] == {"escalationLevel": 2}
    assert (await manager(node, {"id": taken["id"]}))["node"] == {"escalationLevel": 0}


async def _db_id(global_id: str) -> int:
    from schema.ids import split_id

    parts = split_id(global_id)
    assert parts is not None
    return int(parts[1])


async def test_a_technician_sees_only_their_own_requests_and_asks_only_on_their_tasks(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    s = await scene(gql, session)
    asked = await s.ask()
    stranger_tech = await wf.technician(session, area=s.site.world.territory)
    stranger = gql.as_role(Role.TECHNICIAN, technician_id=stranger_tech.id)

    # a technician who is neither the asker nor an expert sees nothing, and cannot ask on it
    assert (await stranger(LIST))["assistRequests"]["totalCount"] == 0
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await stranger(node, {"id": asked["id"]}))["node"] is None
    assert error_codes(await stranger.mutate(ASK, s.ask_input())) == ["NOT_FOUND"]
    # nor cancel it; the asker can
    cancel = {"assistRequestId": asked["id"]}
    assert error_codes(await stranger.mutate(CANCEL, cancel)) == ["FORBIDDEN"]
    assert (await s.technician.mutate(CANCEL, cancel))["assistRequest"]["status"] == "CANCELLED"

    # a technician who is an expert in the skill sees others' requests in their queue
    await rf.expert(session, s.site.world.skill, 5, technician_id=stranger_tech.id)
    await s.ask(question="Another one")
    assert (await stranger(QUEUE))["assistQueue"]["totalCount"] == 1


@pytest.mark.parametrize("role", [None, Role.CUSTOMER, Role.PARTNER])
async def test_customers_and_partners_see_no_assist_requests(
    gql: GraphQLClient, session: AsyncSession, role: Role | None
) -> None:
    s = await scene(gql, session)
    asked = await s.ask()
    links: dict[str, int | None] = {}
    if role is Role.CUSTOMER:
        links = {"customer_id": s.site.world.customer.id}
    client = gql.as_role(role, **links)
    for query in (LIST, QUEUE, FIGURES):
        body = await client.raw(query)
        assert body.get("data") is None
        assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    node = await client.raw("query($id: ID!) { node(id: $id) { id } }", {"id": asked["id"]})
    assert (node.get("data") or {}).get("node") is None
    # and the task read by its customer shows nothing of it
    if role is Role.CUSTOMER:
        body = await client.raw(
            "query($id: ID!) { assistRequests(taskId: $id) { totalCount } }",
            {"id": gid("Task", s.site.task.id)},
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_bounds_and_typed_errors(gql: GraphQLClient, session: AsyncSession) -> None:
    s = await scene(gql, session)
    other_task = await rf.field_task(session)
    foreign = await rf.photo(session, task_id=other_task.task.id)

    async def codes(**changes: Any) -> list[str]:
        return error_codes(await s.technician.mutate(ASK, s.ask_input(**changes)))

    assert await codes(question="") == ["INVALID"]
    assert await codes(question="x" * 4001) == ["INVALID"]
    assert await codes(minLevel=6) == ["INVALID"]
    assert await codes(skillCode="NO-SUCH-SKILL") == ["NOT_FOUND"]
    assert await codes(attachmentIds=[gid("Attachment", foreign)]) == ["NOT_FOUND"]
    assert await codes(attachmentIds=[gid("Attachment", foreign)] * 11) == ["INVALID"]
    assert await codes(taskId=gid("Customer", 1)) == ["INVALID"]
    asked = await s.ask()
    stale = {"assistRequestId": asked["id"], "expectedVersion": asked["version"] + 1}
    assert error_codes(await s.senior.mutate(ACCEPT, stale)) == ["STALE_VERSION"]
    answer = {"assistRequestId": asked["id"], "resolutionNote": "early"}
    assert error_codes(await s.senior.mutate(ANSWER, answer)) == ["FORBIDDEN"]
    assert (await s.senior.mutate(ACCEPT, {"assistRequestId": asked["id"]}))["userErrors"] == []
    empty = answer | {"resolutionNote": "  "}
    assert error_codes(await s.senior.mutate(ANSWER, empty)) == ["INVALID"]
    long_link = {"assistRequestId": asked["id"], "callLink": "https://x.test/" + "a" * 500}
    assert error_codes(await s.senior.mutate(CALL_LINK, long_link)) == ["INVALID"]


def test_the_escalation_runs_every_minute_on_the_job_engine() -> None:
    from app.core.jobs import discover_jobs

    jobs = {job.name: job for job in discover_jobs()}
    assert jobs["assist-escalation"].every_seconds == 60
