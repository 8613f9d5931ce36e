"""Votes on whether an article helped (one per person, article and job, changeable,
idempotent), technicians' proposals accepted into a new version or rejected, and the
suggestions for a task ranked by model, fault code, symptoms and what helped before."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.service_requests.models import (
    CoverageKind,
    EligibilityStatus,
    RequestCategory,
    RequestChannel,
    ServiceRequest,
)
from app.work_orders.models import Task, TaskStatus
from schema.ids import encode_id
from tests.billing import factories as billing
from tests.knowledge_base.factories import create, published
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories as wf

VOTE = """
mutation($input: VoteOnArticleInput!) { voteOnArticle(input: $input) {
  helpful article { id helpfulCount notHelpfulCount } userErrors { field code } } }
"""
PROPOSE = """
mutation($input: ProposeArticleUpdateInput!) { proposeArticleUpdate(input: $input) {
  proposal { id status version baseRevision title bodyHtml proposedBy } userErrors { code } } }
"""
ACCEPT = """
mutation($input: AcceptArticleProposalInput!) { acceptArticleProposal(input: $input) {
  proposal { id status resultingRevision decidedBy }
  article { id revision title bodyMarkdown versions { number author reviewer } }
  userErrors { field code } } }
"""
REJECT = """
mutation($input: RejectArticleProposalInput!) { rejectArticleProposal(input: $input) {
  proposal { id status decisionNote } userErrors { field code } } }
"""
SUGGEST = """
query($task: ID) { suggestedArticles(taskId: $task, first: 5) {
  score reasons article { title } } }
"""


def gid(kind: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(kind, db_id)


async def test_a_vote_is_one_per_person_article_and_task_and_can_change(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await wf.world(session)
    task = await billing.task(session, world)
    other = await billing.task(session, world)
    article = await published(gql, title="Relay test", audience="INTERNAL")
    tech = gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id)
    vote = {"articleId": article["id"], "taskId": gid("Task", task.id), "helpful": True}
    # the same vote twice counts once
    for _ in range(2):
        payload = await tech.mutate(VOTE, vote)
        assert payload["userErrors"] == []
        assert payload["helpful"] is True
        assert (payload["article"]["helpfulCount"], payload["article"]["notHelpfulCount"]) == (1, 0)
    # changing it moves the vote, not adds one
    payload = await tech.mutate(VOTE, vote | {"helpful": False})
    assert (payload["article"]["helpfulCount"], payload["article"]["notHelpfulCount"]) == (0, 1)
    # another task is another vote
    payload = await tech.mutate(VOTE, vote | {"taskId": gid("Task", other.id)})
    assert (payload["article"]["helpfulCount"], payload["article"]["notHelpfulCount"]) == (1, 1)
    # and the customer votes on their own task
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    public = await published(gql, title="Resetting the AC", audience="CUSTOMER")
    mine = await customer.mutate(VOTE, vote | {"articleId": public["id"]})
    assert mine["userErrors"] == [] and mine["article"]["helpfulCount"] == 1


async def test_votes_are_refused_where_the_voter_has_no_business(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await wf.world(session)
    task = await billing.task(session, world)
    internal = await published(gql, title="Internal wiring", audience="INTERNAL")
    draft = await create(gql, title="Draft", audience="CUSTOMER")
    stranger = gql.as_role(Role.TECHNICIAN, technician_id=(world.technician.id or 0) + 999)
    on_task = {"articleId": internal["id"], "taskId": gid("Task", task.id), "helpful": True}
    assert error_codes(await stranger.mutate(VOTE, on_task)) == ["NOT_FOUND"]
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    assert error_codes(await customer.mutate(VOTE, on_task)) == ["NOT_FOUND"]  # internal article
    tech = gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id)
    assert error_codes(await tech.mutate(VOTE, on_task | {"articleId": draft["id"]})) == [
        "NOT_FOUND"
    ]
    assert error_codes(await tech.mutate(VOTE, {"articleId": internal["id"], "helpful": True})) == [
        "INVALID"
    ]
    assert error_codes(await gql.mutate(VOTE, on_task)) == ["FORBIDDEN"]  # staff do not vote


async def test_a_proposal_accepted_becomes_a_new_version_by_its_proposer(
    gql: GraphQLClient,
) -> None:
    article = await published(gql, title="Drain pump check", body="Look at the filter.")
    tech = gql.as_role(Role.TECHNICIAN, technician_id=1)
    proposed = await tech.mutate(
        PROPOSE,
        {"articleId": article["id"], "body": "Look at the filter; coins jam the **impeller**."},
    )
    assert proposed["userErrors"] == []
    proposal = proposed["proposal"]
    assert (proposal["status"], proposal["baseRevision"]) == ("PENDING", 1)
    assert "<strong>impeller</strong>" in proposal["bodyHtml"]
    # a technician cannot accept
    refused = await tech.mutate(ACCEPT, {"proposalId": proposal["id"]})
    assert error_codes(refused) == ["FORBIDDEN"]
    # a stale proposal version is refused
    stale = await gql.mutate(ACCEPT, {"proposalId": proposal["id"], "expectedVersion": 7})
    assert error_codes(stale) == ["STALE_VERSION"]
    accepted = await gql.as_role(Role.MANAGER).mutate(
        ACCEPT, {"proposalId": proposal["id"], "expectedVersion": proposal["version"]}
    )
    assert accepted["userErrors"] == []
    assert accepted["proposal"] == {
        "id": proposal["id"],
        "status": "ACCEPTED",
        "resultingRevision": 2,
        "decidedBy": "test:manager",
    }
    assert accepted["article"]["revision"] == 2
    assert accepted["article"]["bodyMarkdown"].endswith("**impeller**.")
    assert accepted["article"]["versions"] == [
        {"number": 2, "author": "test:technician", "reviewer": "test:manager"},
        {"number": 1, "author": "test:admin", "reviewer": "test:manager"},
    ]
    # deciding twice is refused
    again = await gql.mutate(ACCEPT, {"proposalId": proposal["id"]})
    assert error_codes(again) == ["INVALID_TRANSITION"]


async def test_a_proposal_on_an_article_that_moved_on_is_rejected_not_merged(
    gql: GraphQLClient,
) -> None:
    article = await published(gql, title="Gas leak check", body="Use soap water.")
    tech = gql.as_role(Role.TECHNICIAN, technician_id=1)
    first = (await tech.mutate(PROPOSE, {"articleId": article["id"], "body": "One"}))["proposal"]
    second = (await tech.mutate(PROPOSE, {"articleId": article["id"], "body": "Two"}))["proposal"]
    assert (await gql.mutate(ACCEPT, {"proposalId": first["id"]}))["userErrors"] == []
    conflict = await gql.mutate(ACCEPT, {"proposalId": second["id"]})
    assert error_codes(conflict) == ["CONFLICT"]
    rejected = await gql.mutate(
        REJECT, {"proposalId": second["id"], "reason": "Superseded by version 2"}
    )
    assert rejected["proposal"]["status"] == "REJECTED"
    assert rejected["proposal"]["decisionNote"] == "Superseded by version 2"
    # customers do not propose
    customer = gql.as_role(Role.CUSTOMER, customer_id=1)
    body = await customer.mutate(PROPOSE, {"articleId": article["id"], "body": "Mine"})
    assert error_codes(body) == ["FORBIDDEN"]


async def _completed_task(session: AsyncSession, world: wf.World, **fields: Any) -> Task:
    task = await billing.task(session, world, status=TaskStatus.COMPLETED)
    for name, value in fields.items():
        setattr(task, name, value)
    await session.flush()
    return task


async def test_suggestions_rank_model_fault_code_symptoms_and_what_helped(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await wf.world(session)
    model = gid("ProductModel", world.asset.product_model_id)
    task = await billing.task(session, world)
    task.description = "Display blinks E5 and the remote does nothing; unit not cooling"
    await session.flush()
    generic = await published(gql, title="Split AC not cooling", body="Clean the filters.")
    on_model = await published(gql, title="Model wiring diagram", productModelIds=[model])
    on_code = await published(
        gql, title="What E5 means", faultCodes=["E5"], productModelIds=[model]
    )
    await published(gql, title="Geyser element", body="Unrelated.")
    hidden = await create(gql, title="Draft about E5", faultCodes=["E5"])
    helped = await published(gql, title="Reset the indoor board", body="Hold the button.")
    # a technician marked "reset" helpful on a completed task of the same model
    done = await _completed_task(session, world)
    tech = gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id)
    for article in (helped,):
        vote = {"articleId": article["id"], "taskId": gid("Task", done.id), "helpful": True}
        assert (await tech.mutate(VOTE, vote))["userErrors"] == []

    data = await tech(SUGGEST, {"task": gid("Task", task.id)})
    found = [(s["article"]["title"], s["reasons"]) for s in data["suggestedArticles"]]
    assert found[0] == (on_code["title"], ["PRODUCT_MODEL", "FAULT_CODE"])
    assert found[1] == (on_model["title"], ["PRODUCT_MODEL"])
    titles = [t for t, _ in found]
    assert generic["title"] in titles and helped["title"] in titles
    assert dict(found)[generic["title"]] == ["SYMPTOMS"]
    assert dict(found)[helped["title"]] == ["HELPED_BEFORE"]
    assert hidden["title"] not in titles and "Geyser element" not in titles
    # the customer sees only customer articles; a stranger sees nothing of the task
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    assert (await customer(SUGGEST, {"task": gid("Task", task.id)}))["suggestedArticles"] == []
    stranger = gql.as_role(Role.TECHNICIAN, technician_id=(world.technician.id or 0) + 999)
    body = await stranger.raw(SUGGEST, {"task": gid("Task", task.id)})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_customer_gets_suggestions_and_votes_on_their_service_request(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await wf.world(session)
    request = ServiceRequest(
        customer_id=world.customer.id or 0,
        site_id=world.site.id or 0,
        asset_id=world.asset.id,
        channel=RequestChannel.WEB,
        category=RequestCategory.REPAIR,
        description="The washing machine shows OE and the water stays in the drum",
        eligibility_status=EligibilityStatus.CHARGEABLE,
        coverage_kind=CoverageKind.NONE,
        reported_by="customer",
    )
    session.add(request)
    await session.flush()
    article = await published(
        gql,
        title="Clean the drain filter",
        faultCodes=["OE"],
        symptoms=["water stays in the drum"],
        audience="CUSTOMER",
    )
    await published(gql, title="Drain pump wiring", faultCodes=["OE"], audience="INTERNAL")
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    data = await customer(
        "query($r: ID) { suggestedArticles(serviceRequestId: $r) { reasons article { title } } }",
        {"r": gid("ServiceRequest", request.id)},
    )
    assert data["suggestedArticles"] == [
        {"reasons": ["FAULT_CODE", "SYMPTOMS"], "article": {"title": "Clean the drain filter"}}
    ]
    vote = {
        "articleId": article["id"],
        "serviceRequestId": gid("ServiceRequest", request.id),
        "helpful": True,
    }
    assert (await customer.mutate(VOTE, vote))["article"]["helpfulCount"] == 1
    assert (await customer.mutate(VOTE, vote))["article"]["helpfulCount"] == 1
    other = gql.as_role(Role.CUSTOMER, customer_id=(world.customer.id or 0) + 999)
    assert error_codes(await other.mutate(VOTE, vote)) == ["NOT_FOUND"]


async def test_creating_an_article_again_with_the_same_key_makes_one(gql: GraphQLClient) -> None:
    create = (
        "mutation($input: CreateArticleInput!) { createArticle(input: $input) {"
        " article { id } userErrors { code } } }"
    )
    data = {"title": "Idempotent", "body": "Once.", "idempotencyKey": "kb-create-1"}
    first = await gql.mutate(create, data)
    again = await gql.mutate(create, data)
    assert first["article"]["id"] == again["article"]["id"]
    listed = await gql("{ knowledgeArticles(first: 10) { totalCount } }")
    assert listed["knowledgeArticles"]["totalCount"] == 1


async def test_a_proposal_with_a_long_note_can_still_be_accepted(gql: GraphQLClient) -> None:
    # a proposal's note takes 1,000 characters, a version's change note 500
    article = await published(gql, title="Door seal check", body="Look at the seal.")
    tech = gql.as_role(Role.TECHNICIAN, technician_id=1)
    proposed = await tech.mutate(
        PROPOSE, {"articleId": article["id"], "body": "Clean the seal first.", "note": "n" * 900}
    )
    assert proposed["userErrors"] == []
    accepted = await gql.as_role(Role.MANAGER).mutate(
        ACCEPT, {"proposalId": proposed["proposal"]["id"]}
    )
    assert accepted["userErrors"] == []
    assert accepted["article"]["revision"] == 2
