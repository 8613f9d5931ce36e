"""The API: a task's predicted duration, the model in use, and retraining, with their roles."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.durations import service
from tests.durations.factories import completed, open_task
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders.factories import World, world

pytestmark = pytest.mark.asyncio

MODEL = """{ durationModel { version samples holdoutSamples holdoutMae staticMae
  holdoutPinball50 holdoutPinball80 staticPinball80 holdoutCoverage80 trainedAt kind } }"""
RETRAIN = """mutation {
  retrainDurationModel {
    model { version samples } userErrors { code message field }
  }
}"""
TASKS = """query($first: Int!) {
  tasks(first: $first) { edges { node { id durationMinutes predictedDuration {
    medianMinutes p80Minutes basisLevel basisKey samples modelVersion confident
    planningMinutes promiseMinutes } } } }
}"""


async def _history(session: AsyncSession, w: World, n: int = 12) -> None:
    for i in range(n):
        await completed(session, w, 90 + (i % 3) * 10, day=i)


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_retrain_then_read_the_model(gql: GraphQLClient, session: AsyncSession) -> None:
    # given completed work and no model yet
    w = await world(session)
    await _history(session, w)
    assert (await gql(MODEL))["durationModel"] is None
    # when a manager retrains
    payload = (await gql.as_role(Role.MANAGER)(RETRAIN))["retrainDurationModel"]
    # then version 1 is trained on the 12 tasks and is the model in use
    assert payload["userErrors"] == []
    assert payload["model"] == {"version": 1, "samples": 12}
    model = (await gql.as_role(Role.DISPATCHER)(MODEL))["durationModel"]
    assert model["version"] == 1 and model["kind"] == "SHRINKAGE"
    assert model["holdoutSamples"] == 2
    assert model["holdoutMae"] < model["staticMae"]
    # and retraining again makes version 2 the one in use
    again = (await gql(RETRAIN))["retrainDurationModel"]
    assert again["model"] == {"version": 2, "samples": 12}
    assert (await gql(MODEL))["durationModel"]["version"] == 2


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (None, False),
        (Role.CUSTOMER, False),
        (Role.PARTNER, False),
        (Role.TECHNICIAN, False),
        (Role.AGENT, False),
        (Role.DISPATCHER, False),
        (Role.MANAGER, True),
        (Role.ADMIN, True),
    ],
)
async def test_who_may_retrain(gql: GraphQLClient, role: Role | None, allowed: bool) -> None:
    body = await gql.as_role(role).raw(RETRAIN)
    payload = body["data"]["retrainDurationModel"]
    if allowed:
        assert payload["userErrors"] == [] and payload["model"]["version"] >= 1
    else:
        assert error_codes(payload) in (["FORBIDDEN"], ["UNAUTHENTICATED"])


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.CUSTOMER, False),
        (Role.PARTNER, False),
        (Role.TECHNICIAN, False),
        (Role.AGENT, False),
        (Role.DISPATCHER, True),
        (Role.MANAGER, True),
        (Role.ADMIN, True),
    ],
)
async def test_who_may_read_the_model(gql: GraphQLClient, role: Role, allowed: bool) -> None:
    body = await gql.as_role(role).raw(MODEL)
    if allowed:
        assert "errors" not in body
    else:
        assert _code(body) == "FORBIDDEN"


async def test_task_shows_its_prediction_and_basis(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await world(session)
    await _history(session, w)
    waiting = await open_task(session, w, static=45)
    await service.retrain(session)
    edges = (await gql(TASKS, {"first": 50}))["tasks"]["edges"]
    (node,) = [e["node"] for e in edges if e["node"]["durationMinutes"] == 45]
    p = node["predictedDuration"]
    assert p["basisLevel"] == "FAULT"
    assert p["basisKey"] == f"REPAIR|HVAC|{w.asset.product_model_id}|no cooling"
    assert p["samples"] == 12 and p["modelVersion"] == 1 and p["confident"] is True
    assert 95 <= p["medianMinutes"] <= 105 and p["p80Minutes"] >= p["medianMinutes"]
    assert p["planningMinutes"] >= 95 and p["promiseMinutes"] >= p["planningMinutes"]
    assert waiting.id is not None
    # customers do not see it
    forbidden = await gql.as_role(Role.CUSTOMER, customer_id=w.customer.id).raw(TASKS, {"first": 5})
    assert _code(forbidden) == "FORBIDDEN"


async def test_predicted_duration_costs_the_same_statements_for_2_and_20_tasks(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    w = await world(session)
    await _history(session, w)
    for _ in range(20):
        await open_task(session, w)
    await service.retrain(session)
    counts = []
    for first in (2, 20):
        statements.reset()
        edges = (await gql(TASKS, {"first": first}))["tasks"]["edges"]
        assert len(edges) == first
        assert all(e["node"]["predictedDuration"]["modelVersion"] == 1 for e in edges)
        counts.append(statements.total)
    assert counts[0] == counts[1]
