from __future__ import annotations

from app.core.auth import Role
from tests.support import GraphQLClient, error_codes

CREATE = """
mutation($input: CreatePartnerInput!) {
  createPartner(input: $input) {
    partner { id name code contactEmail version }
    userErrors { field message code }
  }
}
"""
UPDATE = """
mutation($input: UpdatePartnerInput!) {
  updatePartner(input: $input) { partner { id name phone version } userErrors { field code } }
}
"""
ARCHIVE = """
mutation($input: ArchiveInput!) {
  archivePartner(input: $input) { partner { id archivedAt version } userErrors { field code } }
}
"""
LIST = """
query($first: Int, $after: String, $archived: Boolean! = false) {
  partners(first: $first, after: $after, includeArchived: $archived) {
    totalCount edges { cursor node { id code } } pageInfo { hasNextPage endCursor }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Partner { code } } }"


async def create(gql: GraphQLClient, code: str, **extra: object) -> dict:
    payload = await gql.mutate(CREATE, {"name": f"Partner {code}", "code": code, **extra})
    assert payload["userErrors"] == []
    return payload["partner"]


async def test_admin_creates_a_partner_and_fetches_it_by_node_id(gql: GraphQLClient) -> None:
    partner = await create(gql, "COOLFIX", contactEmail="ops@coolfix.example")

    assert partner["name"] == "Partner COOLFIX"
    assert partner["version"] == 1
    assert (await gql(NODE, {"id": partner["id"]}))["node"] == {
        "id": partner["id"],
        "code": "COOLFIX",
    }


async def test_invalid_input_returns_every_problem_and_writes_nothing(gql: GraphQLClient) -> None:
    payload = await gql.mutate(CREATE, {"name": "", "code": "bad code!", "contactEmail": "nope"})

    assert payload["partner"] is None
    assert sorted(e["field"][0] for e in payload["userErrors"]) == ["code", "contactEmail", "name"]
    assert set(error_codes(payload)) == {"INVALID"}
    assert (await gql(LIST))["partners"]["totalCount"] == 0


async def test_duplicate_code_is_refused(gql: GraphQLClient) -> None:
    await create(gql, "DUP")
    payload = await gql.mutate(CREATE, {"name": "Again", "code": "DUP"})
    assert error_codes(payload) == ["DUPLICATE"]
    assert payload["userErrors"][0]["field"] == ["code"]


async def test_update_with_a_stale_version_is_refused(gql: GraphQLClient) -> None:
    partner = await create(gql, "VER")
    ok = await gql.mutate(
        UPDATE, {"id": partner["id"], "expectedVersion": 1, "phone": "+91 80 1234"}
    )
    stale = await gql.mutate(UPDATE, {"id": partner["id"], "expectedVersion": 1, "name": "Late"})

    assert ok["partner"]["version"] == 2 and ok["partner"]["phone"] == "+91 80 1234"
    assert error_codes(stale) == ["STALE_VERSION"]
    assert ok["partner"]["name"] == "Partner VER"


async def test_archived_partners_leave_the_list(gql: GraphQLClient) -> None:
    partner = await create(gql, "OLD")
    await create(gql, "NEW")
    archived = await gql.mutate(ARCHIVE, {"id": partner["id"]})

    assert archived["partner"]["archivedAt"] is not None
    assert [e["node"]["code"] for e in (await gql(LIST))["partners"]["edges"]] == ["NEW"]
    assert (await gql(LIST, {"archived": True}))["partners"]["totalCount"] == 2


async def test_pages_follow_cursors_to_the_end(gql: GraphQLClient) -> None:
    for n in range(5):
        await create(gql, f"P{n}")
    first = (await gql(LIST, {"first": 2}))["partners"]
    rest = (await gql(LIST, {"first": 10, "after": first["pageInfo"]["endCursor"]}))["partners"]

    assert first["pageInfo"]["hasNextPage"] is True and first["totalCount"] == 5
    assert [e["node"]["code"] for e in rest["edges"]] == ["P2", "P3", "P4"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_idempotent_create_returns_the_first_result(gql: GraphQLClient) -> None:
    first = await gql.mutate(CREATE, {"name": "Once", "code": "ONCE", "idempotencyKey": "k-1"})
    again = await gql.mutate(CREATE, {"name": "Once", "code": "ONCE", "idempotencyKey": "k-1"})

    assert again["userErrors"] == []
    assert again["partner"]["id"] == first["partner"]["id"]
    assert (await gql(LIST))["partners"]["totalCount"] == 1


async def test_a_partner_user_sees_only_its_own_company(gql: GraphQLClient) -> None:
    mine = await create(gql, "MINE")
    other = await create(gql, "OTHER")
    from schema.ids import split_id

    partner_view = gql.as_role(Role.PARTNER, partner_id=split_id(mine["id"])[1])  # type: ignore[index]
    codes = [e["node"]["code"] for e in (await partner_view(LIST))["partners"]["edges"]]

    assert codes == ["MINE"]
    assert (await partner_view(NODE, {"id": other["id"]}))["node"] is None
