from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.auth import Role
from tests.customers import factories as f
from tests.support import GraphQLClient, StatementCounter, error_codes

UPDATE_CUSTOMER = """
mutation($input: UpdateCustomerInput!) {
  updateCustomer(input: $input) {
    customer { id name phone notes preferredChannels version }
    userErrors { field message code }
  }
}
"""
ARCHIVE_CUSTOMER = """
mutation($input: ArchiveInput!) {
  archiveCustomer(input: $input) {
    customer { id archivedAt version sites(includeArchived: true) { archivedAt } }
    userErrors { field code }
  }
}
"""
LIST = """
query($search: String, $first: Int, $after: String, $archived: Boolean! = false) {
  customers(search: $search, first: $first, after: $after, includeArchived: $archived) {
    totalCount edges { node { id name } } pageInfo { hasNextPage endCursor }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Customer { name } ... on Site { name } } }"
NESTED = """
query {
  customers(first: 50) {
    edges { node {
      name
      sites { name location { lat lng } customer { name } }
      assets { serialNumber productModel { code warrantyMonths } site { name } }
      contracts { number }
    } }
  }
}
"""


async def test_staff_create_a_customer_and_fetch_it_by_node_id(gql: GraphQLClient) -> None:
    created = await f.customer(
        gql.as_role(Role.AGENT),
        "Asha Rao",
        email="asha@example.in",
        phone="+91 98450 12345",
        externalRef="CRM-1",
        preferredChannels=["WHATSAPP", "SMS"],
    )

    assert created["type"] == "CONSUMER" and created["language"] == "en"
    assert created["preferredChannels"] == ["WHATSAPP", "SMS"]
    assert created["version"] == 1
    assert (await gql(NODE, {"id": created["id"]}))["node"] == {
        "id": created["id"],
        "name": "Asha Rao",
    }


async def test_invalid_customer_input_reports_every_field_and_writes_nothing(
    gql: GraphQLClient,
) -> None:
    payload = await gql.mutate(
        f.CREATE_CUSTOMER,
        {"name": " ", "email": "not-an-email", "phone": "call me", "language": "English"},
    )

    assert payload["customer"] is None
    assert sorted(e["field"][0] for e in payload["userErrors"]) == [
        "email",
        "language",
        "name",
        "phone",
    ]
    assert set(error_codes(payload)) == {"INVALID"}
    assert (await gql(LIST))["customers"]["totalCount"] == 0


async def test_an_external_reference_belongs_to_one_customer(gql: GraphQLClient) -> None:
    await f.customer(gql, "First", externalRef="ERP-7")
    payload = await gql.mutate(f.CREATE_CUSTOMER, {"name": "Second", "externalRef": "ERP-7"})

    assert error_codes(payload) == ["DUPLICATE"]
    assert payload["userErrors"][0]["field"] == ["externalRef"]


async def test_update_changes_fields_and_refuses_a_stale_version(gql: GraphQLClient) -> None:
    created = await f.customer(gql)
    ok = await gql.mutate(
        UPDATE_CUSTOMER,
        {"id": created["id"], "expectedVersion": 1, "phone": "080 2222 3333", "notes": "VIP gate"},
    )
    stale = await gql.mutate(
        UPDATE_CUSTOMER, {"id": created["id"], "expectedVersion": 1, "name": "X"}
    )

    assert ok["customer"]["version"] == 2 and ok["customer"]["notes"] == "VIP gate"
    assert error_codes(stale) == ["STALE_VERSION"]
    assert stale["userErrors"][0]["field"] == ["expectedVersion"]


async def test_update_cannot_clear_a_required_field(gql: GraphQLClient) -> None:
    created = await f.customer(gql)
    payload = await gql.mutate(UPDATE_CUSTOMER, {"id": created["id"], "name": None})

    assert payload["userErrors"] == [
        {"field": ["name"], "message": "name cannot be cleared", "code": "INVALID"}
    ]


async def test_update_of_an_unknown_customer_is_not_found(gql: GraphQLClient) -> None:
    from schema.ids import encode_id

    payload = await gql.mutate(UPDATE_CUSTOMER, {"id": encode_id("Customer", 999999), "notes": "x"})
    assert error_codes(payload) == ["NOT_FOUND"]


async def test_archiving_a_customer_archives_their_sites_and_hides_them(
    gql: GraphQLClient,
) -> None:
    home = await f.household(gql)
    kept = await f.customer(gql, "Kept")
    archived = await gql.mutate(
        ARCHIVE_CUSTOMER, {"id": home["customer"]["id"], "expectedVersion": 1}
    )

    assert archived["customer"]["archivedAt"] is not None
    assert [s["archivedAt"] is not None for s in archived["customer"]["sites"]] == [True]
    listed = (await gql(LIST))["customers"]["edges"]
    assert [e["node"]["id"] for e in listed] == [kept["id"]]
    assert (await gql(LIST, {"archived": True}))["customers"]["totalCount"] == 2


async def test_idempotent_create_returns_the_first_customer(gql: GraphQLClient) -> None:
    first = await gql.mutate(f.CREATE_CUSTOMER, {"name": "Once", "idempotencyKey": "c-1"})
    again = await gql.mutate(f.CREATE_CUSTOMER, {"name": "Once", "idempotencyKey": "c-1"})

    assert again["userErrors"] == []
    assert again["customer"]["id"] == first["customer"]["id"]
    assert (await gql(LIST))["customers"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("asha", ["Asha Rao"]),
        ("RAO", ["Asha Rao"]),
        ("@acme.example", ["Acme Cooling"]),
        ("98450", ["Asha Rao"]),
        ("crm-42", ["Acme Cooling"]),
        ("a", ["Asha Rao", "Acme Cooling"]),
        ("100%", []),
        ("   ", ["Asha Rao", "Acme Cooling"]),
    ],
)
async def test_search_matches_name_email_phone_and_external_reference(
    gql: GraphQLClient, search: str, expected: list[str]
) -> None:
    await f.customer(gql, "Asha Rao", phone="+91 98450 12345")
    await f.customer(gql, "Acme Cooling", email="ops@acme.example", externalRef="CRM-42")

    edges = (await gql(LIST, {"search": search}))["customers"]["edges"]
    assert [e["node"]["name"] for e in edges] == expected


async def test_search_can_use_the_trigram_index(session: object) -> None:
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.auth import Principal
    from app.customers.repository import listed

    assert isinstance(session, AsyncSession)
    admin = Principal(subject="test:admin", role=Role.ADMIN)
    statement = listed(admin, search="rao").compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join((await session.execute(text(f"EXPLAIN {statement}"))).scalars())

    assert "ix_customers_search_trgm" in plan


async def test_pages_follow_cursors(gql: GraphQLClient) -> None:
    for n in range(5):
        await f.customer(gql, f"Customer {n}")
    first = (await gql(LIST, {"first": 2}))["customers"]
    rest = (await gql(LIST, {"first": 10, "after": first["pageInfo"]["endCursor"]}))["customers"]

    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in rest["edges"]] == ["Customer 2", "Customer 3", "Customer 4"]


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        (None, None),
        (Role.CUSTOMER, ["Mine"]),
        (Role.TECHNICIAN, []),
        (Role.PARTNER, []),
        (Role.DISPATCHER, ["Mine", "Theirs"]),
        (Role.ADMIN, ["Mine", "Theirs"]),
    ],
)
async def test_who_sees_which_customers(
    gql: GraphQLClient, role: Role | None, visible: list[str] | None
) -> None:
    mine = await f.customer(gql, "Mine")
    await f.customer(gql, "Theirs")
    caller = gql.as_role(role, customer_id=f.db_id(mine["id"]))

    body = await caller.raw(LIST)
    if visible is None:
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    else:
        assert [e["node"]["name"] for e in body["data"]["customers"]["edges"]] == visible


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.MANAGER, "FORBIDDEN"),
        (Role.DISPATCHER, None),
        (Role.AGENT, None),
        (Role.ADMIN, None),
    ],
)
async def test_who_may_create_customers(
    gql: GraphQLClient, role: Role | None, code: str | None
) -> None:
    payload = await gql.as_role(role, customer_id=1).mutate(f.CREATE_CUSTOMER, {"name": "New"})

    assert error_codes(payload) == ([code] if code else [])
    assert (payload["customer"] is None) == (code is not None)


async def test_a_customer_never_sees_another_customer_by_node_id(gql: GraphQLClient) -> None:
    mine = await f.customer(gql, "Mine")
    theirs = await f.customer(gql, "Theirs")
    caller = gql.as_role(Role.CUSTOMER, customer_id=f.db_id(mine["id"]))

    assert (await caller(NODE, {"id": mine["id"]}))["node"]["name"] == "Mine"
    assert (await caller(NODE, {"id": theirs["id"]}))["node"] is None
    assert (await gql.as_role(Role.TECHNICIAN)(NODE, {"id": mine["id"]}))["node"] is None


async def _seed_households(gql: GraphQLClient, count: int) -> None:
    model = await f.product_model(gql, code=f"BULK-{count}")
    for n in range(count):
        owner = await f.customer(gql, f"Customer {n}")
        home = await f.site(gql, owner["id"])
        await f.asset(gql, home["id"], model["id"], f"S-{count}-{n}")


async def test_nested_customer_lists_cost_the_same_for_2_and_20_customers(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    await _seed_households(gql, 2)
    statements.reset()
    small = await gql(NESTED)
    small_count = statements.total

    await _seed_households(gql, 18)
    statements.reset()
    large = await gql(NESTED)

    assert len(small["customers"]["edges"]) == 2 and len(large["customers"]["edges"]) == 20
    assert large["customers"]["edges"][19]["node"]["assets"][0]["productModel"]["code"] == "BULK-18"
    assert statements.total == small_count
    # the page (no count: totalCount is not asked), then one per relation: sites,
    # site.customer, assets, asset.productModel, asset.site, contracts
    assert small_count == 7
