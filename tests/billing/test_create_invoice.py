"""A desk-made invoice for a task is that task's invoice: it keeps its taskId, is found by
`invoices(taskId:)`, and names a task of the same customer that has ended and has no invoice
yet (a task under way gets its draft when it is completed)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.work_orders.models import TaskStatus
from schema.ids import encode_id
from tests.billing import factories
from tests.support import GraphQLClient
from tests.work_orders import factories as wf

CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  invoice { id taskId status } userErrors { field code message } } }"""
BY_TASK = """query($taskId: ID!) {
  invoices(taskId: $taskId) { totalCount edges { node { id } } } }"""
FEE = {"kind": "FEE", "description": "Site survey", "quantity": "1", "unitPrice": "500.00"}


def _input(customer_id: int | None, task_id: int | None) -> dict[str, object]:
    return {
        "customerId": encode_id("Customer", customer_id),  # type: ignore[arg-type]
        "taskId": encode_id("Task", task_id),  # type: ignore[arg-type]
        "lines": [FEE],
    }


async def test_an_invoice_made_for_a_task_keeps_it_and_is_found_by_it(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await factories.price_list(session)
    world = await wf.world(session)
    task = await factories.task(session, world, status=TaskStatus.INCOMPLETE)
    made = await gql.mutate(CREATE, _input(world.customer.id, task.id))
    assert made["userErrors"] == []
    assert made["invoice"]["taskId"] == encode_id("Task", task.id)  # type: ignore[arg-type]
    found = await gql(BY_TASK, {"taskId": encode_id("Task", task.id)})  # type: ignore[arg-type]
    assert [e["node"]["id"] for e in found["invoices"]["edges"]] == [made["invoice"]["id"]]
    # a second invoice for the same task is refused (void the draft to replace it)
    again = await gql.mutate(CREATE, _input(world.customer.id, task.id))
    assert again["invoice"] is None
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(["taskId"], "CONFLICT")]


async def test_an_invoice_names_a_task_of_its_own_customer(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await factories.price_list(session)
    world = await wf.world(session)
    other = await wf.world(session)
    task = await factories.task(session, other, status=TaskStatus.INCOMPLETE)
    theirs = await gql.mutate(CREATE, _input(world.customer.id, task.id))
    assert theirs["invoice"] is None
    assert [(e["field"], e["code"]) for e in theirs["userErrors"]] == [(["taskId"], "INVALID")]
    missing = await gql.mutate(CREATE, _input(world.customer.id, 10**9))
    assert [(e["field"], e["code"]) for e in missing["userErrors"]] == [(["taskId"], "NOT_FOUND")]


async def test_a_task_under_way_is_invoiced_when_it_is_completed_not_before(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await factories.price_list(session)
    world = await wf.world(session)
    task = await factories.task(session, world, status=TaskStatus.ON_SITE)

    early = await gql.mutate(CREATE, _input(world.customer.id, task.id))

    assert early["invoice"] is None
    assert [(e["field"], e["code"]) for e in early["userErrors"]] == [
        (["taskId"], "INVALID_TRANSITION")
    ]
