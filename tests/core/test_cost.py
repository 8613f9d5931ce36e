"""Query cost: estimated before execution, refused over the caller's role budget; nested lists
are capped; a response over the size limit is refused whole."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type, is_leaf_type
from graphql import parse as parse_document
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from app.core.auth import Role
from app.core.config import Environment, Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import build_schema, create_app
from app.technicians.models import TerritoryMembership
from schema.cost import OFFLOAD_COST, CostEstimator, budget_for, encode_capped
from tests.support import GraphQLClient, StatementCounter, serving, token
from tests.technicians import factories

NESTED_LISTS = """
{ technicians(first: 100) { edges { node { territories { technicians { territories {
    technicians { territories { technicians { id } } } } } } } } } }
"""

# 2 (the connection) + 3 x (2 (an edge) + 2 (a node) + 1 (id)) = 17
THREE_TECHNICIANS = "{ technicians(first: 3) { edges { node { id } } } }"

# Every role, anonymous too, is costed for `node` (it has no role rule): 2 + 1 = 3
NODE = '{ node(id: "VGFzazox") { id } }'

# Dispatch runs are for dispatchers and managers: 100 x 100 x 100 stops for anyone else is
# refused as FORBIDDEN, and costs them nothing.
ALL_STOPS = """
{ dispatchRuns(first: 100) { edges { node { routes(first: 100) { stops(first: 100) {
    taskId } } } } } }
"""

TERRITORY_TECHNICIANS = """
query ($first: Int!) { territories { code technicians(first: $first) { name } } }
"""

TECHNICIAN_TERRITORIES = """
query ($first: Int!) { technicians(first: 5) { edges { node { name
    territories(first: $first) { code } } } } }
"""

ROLES: list[Role | None] = [None, *Role]


@pytest.fixture
def client_with(settings: Settings, sessions: SessionFactory, broker: Broker) -> Callable[..., Any]:
    """A client of an app built with some settings changed."""

    @asynccontextmanager
    async def build(role: Role | None = Role.ADMIN, **changes: Any) -> AsyncIterator[GraphQLClient]:
        changed = settings.model_copy(update=changes)
        app = create_app(changed, sessions=sessions, broker=broker)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield GraphQLClient(http, changed, role)

    return build


@pytest.fixture(scope="module")
def estimator() -> CostEstimator:
    settings = Settings()
    return CostEstimator(build_schema(settings)._schema, settings)


def cost_of(estimator: CostEstimator, query: str, variables: dict[str, Any] | None = None) -> int:
    return estimator.cost(parse_document(query), None, variables, Role.ADMIN)


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


# Per-role budgets -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "ANONYMOUS")
async def test_a_query_at_the_role_budget_runs_and_one_over_it_is_refused(
    client_with: Callable[..., Any], role: Role | None
) -> None:
    setting = f"cost_limit_{role.value.lower() if role else 'anonymous'}"

    async with client_with(role, env=Environment.DEV, **{setting: 3}) as at_budget:
        body = await at_budget.raw(NODE)
    assert "QUERY_TOO_COSTLY" not in codes(body)
    assert body["extensions"]["cost"] == {"requested": 3, "budget": 3}

    async with client_with(role, **{setting: 2}) as over_budget:
        body = await over_budget.raw(NODE)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 3, "budget": 2}
    assert "3" in error["message"] and "2" in error["message"]


def test_budgets_rise_from_anonymous_to_the_roles_that_plan_work() -> None:
    settings = Settings()

    def budget(role: Role | None) -> int:
        return budget_for(settings, role)

    assert budget(None) < budget(Role.CUSTOMER) <= budget(Role.TECHNICIAN)
    assert budget(Role.TECHNICIAN) < budget(Role.PARTNER) < budget(Role.AGENT)
    assert budget(Role.AGENT) <= budget(Role.MANAGER) < budget(Role.DISPATCHER)
    assert budget(Role.DISPATCHER) <= budget(Role.ADMIN)


async def test_the_nested_list_query_is_refused_before_any_database_work(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    statements.reset()

    body = await gql.raw(NESTED_LISTS)

    assert codes(body) == ["QUERY_TOO_COSTLY"]
    assert body["errors"][0]["extensions"]["budget"] == Settings().cost_limit_admin
    assert statements.total == 0


async def test_the_cost_is_not_reported_in_production(client_with: Callable[..., Any]) -> None:
    async with client_with(
        env=Environment.PROD, jwt_secret="a-production-secret-of-enough-length"
    ) as prod:
        body = await prod.raw(THREE_TECHNICIANS)
    assert "cost" not in body.get("extensions", {})


# The estimate -----------------------------------------------------------------------------


def test_a_connection_multiplies_its_edges_by_first(estimator: CostEstimator) -> None:
    assert cost_of(estimator, THREE_TECHNICIANS) == 17
    assert cost_of(estimator, "{ technicians(first: 10) { edges { node { id } } } }") == 52


def test_without_first_a_connection_counts_a_default_page_and_first_is_capped(
    estimator: CostEstimator,
) -> None:
    assert cost_of(estimator, "{ technicians { edges { node { id } } } }") == 2 + 20 * 5
    assert cost_of(estimator, "{ technicians(first: 5000) { edges { node { id } } } }") == 502


def test_a_nested_list_counts_its_default_or_its_first(estimator: CostEstimator) -> None:
    one = "{ technicians(first: 1) { edges { node { territories%s { id } } } } }"
    # 2 + 1 x (2 + 2 + n x (2 + 1))
    assert cost_of(estimator, one % "") == 6 + 20 * 3
    assert cost_of(estimator, one % "(first: 4)") == 6 + 4 * 3


def test_named_and_inline_fragments_cost_what_their_fields_cost(estimator: CostEstimator) -> None:
    named = """
      query { technicians(first: 3) { edges { node { ...Who } } } }
      fragment Who on Technician { id }
    """
    inline = "{ technicians(first: 3) { edges { node { ... on Technician { id } } } } }"
    assert cost_of(estimator, named) == cost_of(estimator, inline) == 17


def test_first_given_by_a_variable_or_its_default_counts(estimator: CostEstimator) -> None:
    query = "query ($n: Int = 3) { technicians(first: $n) { edges { node { id } } } }"
    assert cost_of(estimator, query) == 17
    assert cost_of(estimator, query, {"n": 10}) == 52
    assert cost_of(estimator, query, {"n": None}) == 2 + 20 * 5


def test_a_fragment_nested_in_a_fragment_counts_with_its_variables(
    estimator: CostEstimator,
) -> None:
    query = """
      query ($n: Int!, $m: Int!) { technicians(first: $n) { edges { ...Edge } } }
      fragment Edge on TechnicianEdge { node { ...Places } }
      fragment Places on Technician { territories(first: $m) { id } }
    """
    # 2 + n x (2 + 2 + m x 3)
    assert cost_of(estimator, query, {"n": 2, "m": 5}) == 2 + 2 * (4 + 15)


def test_a_list_without_a_size_counts_the_ids_it_was_given(estimator: CostEstimator) -> None:
    query = "query ($ids: [ID!]!) { taskCosting(taskIds: $ids) { taskId } }"
    assert cost_of(estimator, query, {"ids": ["a", "b", "c"]}) == 3 * (2 + 1)
    assert cost_of(estimator, query, {"ids": ["a"] * 250}) == 250 * (2 + 1)


def test_introspection_costs_nothing(estimator: CostEstimator) -> None:
    assert cost_of(estimator, "{ __schema { types { name fields { name } } } }") == 0


def test_estimates_are_cached_by_text_and_the_integer_variables(estimator: CostEstimator) -> None:
    query = "query ($n: Int!) { technicians(first: $n) { edges { node { id } } } }"
    document = parse_document(query)

    assert estimator.estimate(query, document, None, {"n": 3, "other": "x"}, Role.ADMIN) == 17
    assert estimator.estimate(query, document, None, {"n": 10}, Role.ADMIN) == 52
    assert estimator.estimate(query, document, None, {"n": 3, "other": "y"}, Role.ADMIN) == 17

    by_ids = "query ($ids: [ID!]!) { taskCosting(taskIds: $ids) { taskId } }"
    ids_document = parse_document(by_ids)
    assert estimator.estimate(by_ids, ids_document, None, {"ids": ["a"]}, Role.ADMIN) == 3
    assert estimator.estimate(by_ids, ids_document, None, {"ids": ["a", "b", "c"]}, Role.ADMIN) == 9


# Nested lists are capped ------------------------------------------------------------------


async def test_territory_technicians_returns_first_of_them(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    place = await factories.territory(session, "CAP")
    for name in ("Asha", "Bala", "Chitra"):
        await factories.technician(session, name, territory_id=place.id)

    data = await gql(TERRITORY_TECHNICIANS, {"first": 2})

    (territory,) = [t for t in data["territories"] if t["code"] == "CAP"]
    assert len(territory["technicians"]) == 2


async def test_technician_territories_returns_first_of_them(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    places = [await factories.territory(session, code) for code in ("T1", "T2", "T3")]
    tech = await factories.technician(session, "Devi", territory_id=places[0].id)
    for place in places[1:]:
        assert tech.id is not None and place.id is not None
        session.add(
            TerritoryMembership(
                technician_id=tech.id, territory_id=place.id, valid_from=date(2020, 1, 1)
            )
        )
    await session.flush()

    data = await gql(TECHNICIAN_TERRITORIES, {"first": 1})

    (node,) = [e["node"] for e in data["technicians"]["edges"] if e["node"]["name"] == "Devi"]
    assert len(node["territories"]) == 1


async def test_a_nested_first_above_the_page_limit_is_capped_and_a_negative_one_refused(
    client_with: Callable[..., Any], session: AsyncSession
) -> None:
    place = await factories.territory(session, "CAP")
    for name in ("Asha", "Bala", "Chitra"):
        await factories.technician(session, name, territory_id=place.id)

    async with client_with(page_size_max=2) as capped:
        data = await capped(TERRITORY_TECHNICIANS, {"first": 1000})
        negative = await capped.raw(TERRITORY_TECHNICIANS, {"first": -1})

    (territory,) = [t for t in data["territories"] if t["code"] == "CAP"]
    assert len(territory["technicians"]) == 2
    assert "INVALID" in codes(negative)


# Every list that is not a connection is capped, or bounded by what the caller sent ---------

# Lists bounded without a `first`: by the mutation's own input (payloads), by configuration
# kept small (policies, providers, buckets, channels), or by the ids the caller passes.
BOUNDED_LISTS = {
    "Query.trackingPolicies",
    "Query.requisitionApprovalThresholds",
    "Query.escalationPolicies",
    "Query.notificationProviders",
    "Query.collectionBuckets",
    "Query.confirmationReport",
    "Query.availableSlots",
    "Query.customerBalances",
    "Query.taskCosting",
    "SlaPolicy.targets",
    "PriorityRules.rules",
    # by the range the caller gives, itself capped: a sheet's days (62), a board's one
    # territory over at most 7 days (its technicians, their day parts and the waiting work)
    "Query.attendanceSheet",
    "DispatchBoard.rows",
    "DispatchBoard.unassigned",
    "BoardRow.shifts",
    "BoardRow.breaks",
    "BoardRow.timeOff",
    "BoardRow.assignments",
    "BoardRow.travel",
    "BoardRow.idle",
    "BoardRow.attendance",
    "BoardAssignment.crew",
    "BoardAssignment.segments",
    # by what was written, bounded when written: a diagnosis's skills, an article's media,
    # a crew's members and a task's daily segments, one day's breaks and corrections
    "RemoteCase.requiredSkills",
    "KnowledgeArticle.media",
    "CrewType.members",
    "CrewType.segments",
    "AttendanceDay.breaks",
    "AttendanceDay.corrections",
}


def test_every_list_of_objects_that_is_not_a_connection_takes_first(settings: Settings) -> None:
    schema = build_schema(settings)._schema
    unbounded = []
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(named, GraphQLObjectType):
            continue
        if type_name.endswith(("Payload", "Connection")):
            continue
        for field_name, field in named.fields.items():
            outer = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if not isinstance(outer, GraphQLList) or is_leaf_type(get_named_type(outer)):
                continue
            name = f"{type_name}.{field_name}"
            if "first" not in field.args and name not in BOUNDED_LISTS:
                unbounded.append(name)
    assert unbounded == []


# The response size cap --------------------------------------------------------------------


async def test_a_response_over_the_size_limit_is_refused_with_a_clear_error(
    client_with: Callable[..., Any], session: AsyncSession
) -> None:
    place = await factories.territory(session, "BIG")
    for index in range(30):
        await factories.technician(session, f"Technician {index:02d}", territory_id=place.id)

    async with client_with(max_response_bytes=1_000) as small:
        response = await small.http.post(
            "/graphql",
            json={"query": "{ technicians(first: 30) { edges { node { id name } } } }"},
            headers=small.headers(),
        )
        fits = await small.raw(THREE_TECHNICIANS)

    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RESPONSE_TOO_LARGE"
    assert error["extensions"]["limit"] == 1_000 and error["extensions"]["bytes"] > 1_000
    assert len(response.content) < 1_000
    assert len(fits["data"]["technicians"]["edges"]) == 3


COSTLY_PAGE = "{ technicians(first: 100) { edges { node { id name territories { code } } } } }"


def test_the_off_loop_encoder_writes_what_json_dumps_writes_and_stops_at_the_limit() -> None:
    data = {"data": {"list": [{"id": i, "name": f"Ré {i}", "ok": i % 2 == 0} for i in range(50)]}}
    expected = json.dumps(data, separators=(",", ":"))

    assert encode_capped(data, len(expected)) == expected
    assert encode_capped(data, len(expected) - 1) is None


async def test_a_costly_result_is_encoded_apart_and_still_capped(
    client_with: Callable[..., Any], session: AsyncSession
) -> None:
    place = await factories.territory(session, "OFF")
    for index in range(30):
        await factories.technician(session, f"Technician {index:02d}", territory_id=place.id)
    async with client_with(env=Environment.DEV) as roomy:
        body = await roomy.raw(COSTLY_PAGE)
    assert body["extensions"]["cost"]["requested"] > OFFLOAD_COST

    async with client_with(max_response_bytes=1_000) as small:
        refused = await small.raw(COSTLY_PAGE)

    assert len(body["data"]["technicians"]["edges"]) == 30
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"] == {
        "code": "RESPONSE_TOO_LARGE",
        "bytes": None,
        "limit": 1_000,
    }


COSTLY_SUBSCRIPTION = """
subscription { taskUpdates { task { preferredTechnicians(first: 100) {
    territories(first: 100) { technicians(first: 100) { id } } } } } }
"""


async def test_a_costly_subscription_is_refused_over_the_socket(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> None:
    app = create_app(settings, sessions=sessions, broker=broker)
    protocols = [Subprotocol("graphql-transport-ws")]
    auth = f"Bearer {token(settings, Role.DISPATCHER)}"
    async with (
        serving(app) as address,
        connect(f"ws://{address}/graphql", subprotocols=protocols, open_timeout=5) as socket,
    ):
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": auth}})
        )
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
        start = {"id": "1", "type": "subscribe", "payload": {"query": COSTLY_SUBSCRIPTION}}
        await socket.send(json.dumps(start))
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))

    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_a_field_the_role_may_not_read_costs_nothing(estimator: CostEstimator) -> None:
    document = parse_document(ALL_STOPS)
    assert estimator.cost(document) == 0  # anonymous
    assert estimator.cost(document, role=Role.CUSTOMER) == 0
    assert estimator.cost(document, role=Role.DISPATCHER) > 1_000_000


async def test_a_caller_refused_the_field_hears_forbidden_not_too_costly(
    client_with: Callable[..., Any],
) -> None:
    async with client_with(Role.CUSTOMER, cost_limit_customer=1) as customer:
        body = await customer.raw(ALL_STOPS)
    assert codes(body) == ["FORBIDDEN"]
