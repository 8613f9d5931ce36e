from __future__ import annotations

from typing import Any

import pytest

from app.core.auth import Role
from tests.support import GraphQLClient, error_codes

CREATE = """
mutation($input: CreateTerritoryInput!) {
  createTerritory(input: $input) {
    territory { id name code timeZone area version }
    userErrors { field message code }
  }
}
"""
UPDATE = """
mutation($input: UpdateTerritoryInput!) {
  updateTerritory(input: $input) {
    territory { id name timeZone area version } userErrors { field message code }
  }
}
"""
ARCHIVE = """
mutation($input: ArchiveInput!) {
  archiveTerritory(input: $input) { territory { id archivedAt } userErrors { field code } }
}
"""
ADD_HOLIDAY = """
mutation($input: AddHolidayInput!) {
  addTerritoryHoliday(input: $input) {
    territory { version holidays { day name } } userErrors { field message code }
  }
}
"""
REMOVE_HOLIDAY = """
mutation($input: RemoveHolidayInput!) {
  removeTerritoryHoliday(input: $input) {
    territory { holidays { day } } userErrors { field code }
  }
}
"""
LIST = "query { territories { code } }"
AT = "query($lat: Float!, $lng: Float!) { territoryAt(point: {lat: $lat, lng: $lng}) { code } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Territory { code timeZone } } }"


def square(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


NORTH = square(77.50, 13.00, 77.70, 13.10)
SOUTH = square(77.50, 12.85, 77.70, 13.00)
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[77.5, 12.9], [77.7, 13.1], [77.7, 12.9], [77.5, 13.1], [77.5, 12.9]]],
}


async def create(gql: GraphQLClient, code: str, area: dict[str, Any] = NORTH, **extra: Any) -> dict:
    payload = await gql.mutate(
        CREATE,
        {"name": f"Bengaluru {code}", "code": code, "timeZone": "Asia/Kolkata", "area": area}
        | extra,
    )
    assert payload["userErrors"] == []
    return payload["territory"]


async def test_admin_creates_a_territory_stored_as_a_multipolygon(gql: GraphQLClient) -> None:
    territory = await create(gql, "NORTH")

    assert territory["area"]["type"] == "MultiPolygon"
    assert territory["timeZone"] == "Asia/Kolkata"
    assert territory["version"] == 1
    assert (await gql(NODE, {"id": territory["id"]}))["node"]["code"] == "NORTH"


async def test_a_multipolygon_area_is_accepted(gql: GraphQLClient) -> None:
    area = {
        "type": "MultiPolygon",
        "coordinates": [NORTH["coordinates"], square(77.8, 13.0, 77.9, 13.1)["coordinates"]],
    }
    territory = await create(gql, "SPLIT", area)

    assert len(territory["area"]["coordinates"]) == 2


@pytest.mark.parametrize(
    ("area", "reason"),
    [
        (BOWTIE, "Self-intersection"),
        ({"type": "Point", "coordinates": [77.5, 12.9]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": "nope"}, "not a GeoJSON geometry"),
    ],
)
async def test_an_invalid_area_is_refused_with_the_reason(
    gql: GraphQLClient, area: dict[str, Any], reason: str
) -> None:
    payload = await gql.mutate(
        CREATE, {"name": "Bad", "code": "BAD", "timeZone": "Asia/Kolkata", "area": area}
    )

    assert error_codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["area"]
    assert reason in payload["userErrors"][0]["message"]
    assert (await gql(LIST))["territories"] == []


async def test_an_unknown_time_zone_is_refused(gql: GraphQLClient) -> None:
    payload = await gql.mutate(
        CREATE, {"name": "X", "code": "X", "timeZone": "Asia/Bangalore", "area": NORTH}
    )

    assert error_codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["timeZone"]
    assert "Asia/Bangalore" in payload["userErrors"][0]["message"]


async def test_duplicate_code_is_refused(gql: GraphQLClient) -> None:
    await create(gql, "DUP")
    payload = await gql.mutate(
        CREATE, {"name": "Again", "code": "DUP", "timeZone": "UTC", "area": SOUTH}
    )

    assert error_codes(payload) == ["DUPLICATE"]
    assert payload["userErrors"][0]["field"] == ["code"]


async def test_update_moves_the_area_and_checks_the_version(gql: GraphQLClient) -> None:
    territory = await create(gql, "MOVE")
    moved = await gql.mutate(
        UPDATE, {"id": territory["id"], "expectedVersion": 1, "area": SOUTH, "timeZone": "UTC"}
    )
    stale = await gql.mutate(UPDATE, {"id": territory["id"], "expectedVersion": 1, "name": "Late"})

    assert moved["userErrors"] == [] and moved["territory"]["version"] == 2
    assert moved["territory"]["timeZone"] == "UTC"
    assert (await gql(AT, {"lat": 12.95, "lng": 77.6}))["territoryAt"] == {"code": "MOVE"}
    assert error_codes(stale) == ["STALE_VERSION"]


async def test_update_refuses_an_invalid_area_and_keeps_the_old_one(gql: GraphQLClient) -> None:
    territory = await create(gql, "KEEP")
    payload = await gql.mutate(UPDATE, {"id": territory["id"], "area": BOWTIE})

    assert error_codes(payload) == ["INVALID"]
    assert (await gql(AT, {"lat": 13.05, "lng": 77.6}))["territoryAt"] == {"code": "KEEP"}


async def test_territory_at_finds_the_containing_territory(gql: GraphQLClient) -> None:
    await create(gql, "NORTH", NORTH)
    await create(gql, "SOUTH", SOUTH)

    assert (await gql(AT, {"lat": 13.05, "lng": 77.6}))["territoryAt"] == {"code": "NORTH"}
    assert (await gql(AT, {"lat": 12.90, "lng": 77.6}))["territoryAt"] == {"code": "SOUTH"}
    assert (await gql(AT, {"lat": 12.50, "lng": 77.6}))["territoryAt"] is None


async def test_territory_at_prefers_the_smallest_overlapping_territory(gql: GraphQLClient) -> None:
    await create(gql, "CITY", square(77.4, 12.8, 77.8, 13.2))
    await create(gql, "CORE", square(77.58, 12.96, 77.62, 13.0))

    assert (await gql(AT, {"lat": 12.98, "lng": 77.6}))["territoryAt"] == {"code": "CORE"}
    assert (await gql(AT, {"lat": 13.10, "lng": 77.5}))["territoryAt"] == {"code": "CITY"}


async def test_territory_at_ignores_archived_territories(gql: GraphQLClient) -> None:
    territory = await create(gql, "GONE")
    archived = await gql.mutate(ARCHIVE, {"id": territory["id"]})

    assert archived["territory"]["archivedAt"] is not None
    assert (await gql(AT, {"lat": 13.05, "lng": 77.6}))["territoryAt"] is None
    assert (await gql(LIST))["territories"] == []


async def test_territory_at_refuses_coordinates_out_of_range(gql: GraphQLClient) -> None:
    body = await gql.raw(AT, {"lat": 91.0, "lng": 77.6})

    assert body["data"] == {"territoryAt": None}
    assert "latitude" in body["errors"][0]["message"]


async def test_territory_at_uses_the_gist_index(gql: GraphQLClient, session: Any) -> None:
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from app.core.auth import Principal
    from app.core.geo import LatLng
    from app.territories import repository

    captured: list[Any] = []

    class Capture:
        async def scalar(self, statement: Any) -> None:
            captured.append(statement)

    await repository.containing(
        Capture(),  # type: ignore[arg-type]
        Principal(subject="t", role=Role.ADMIN),
        LatLng(13.0, 77.6),
    )
    sql = captured[0].compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in await session.execute(text(f"EXPLAIN {sql}")))

    assert "idx_territories_area" in plan


async def test_holidays_are_added_listed_by_date_and_removed(gql: GraphQLClient) -> None:
    territory = await create(gql, "CAL")
    await gql.mutate(
        ADD_HOLIDAY, {"territoryId": territory["id"], "day": "2030-11-01", "name": "Rajyotsava"}
    )
    added = await gql.mutate(
        ADD_HOLIDAY, {"territoryId": territory["id"], "day": "2030-01-26", "name": "Republic Day"}
    )
    again = await gql.mutate(
        ADD_HOLIDAY, {"territoryId": territory["id"], "day": "2030-01-26", "name": "Twice"}
    )
    removed = await gql.mutate(
        REMOVE_HOLIDAY, {"territoryId": territory["id"], "day": "2030-11-01"}
    )
    missing = await gql.mutate(
        REMOVE_HOLIDAY, {"territoryId": territory["id"], "day": "2030-11-01"}
    )

    assert added["territory"]["holidays"] == [
        {"day": "2030-01-26", "name": "Republic Day"},
        {"day": "2030-11-01", "name": "Rajyotsava"},
    ]
    assert added["territory"]["version"] == 3
    assert error_codes(again) == ["DUPLICATE"] and again["userErrors"][0]["field"] == ["day"]
    assert removed["territory"]["holidays"] == [{"day": "2030-01-26"}]
    assert error_codes(missing) == ["NOT_FOUND"]


ROLES = [
    (None, {}),
    (Role.CUSTOMER, {"customer_id": 1}),
    (Role.TECHNICIAN, {"technician_id": 1}),
    (Role.PARTNER, {"partner_id": 1}),
    (Role.DISPATCHER, {}),
    (Role.ADMIN, {}),
]


@pytest.mark.parametrize(("role", "links"), ROLES)
async def test_permission_matrix(gql: GraphQLClient, role: Role | None, links: dict) -> None:
    await create(gql, "SEEN")
    caller = gql.as_role(role, **links)

    listed = await caller.raw(LIST)
    at = await caller.raw(AT, {"lat": 13.05, "lng": 77.6})
    created = await caller.mutate(
        CREATE, {"name": "New", "code": "NEW", "timeZone": "UTC", "area": SOUTH}
    )

    if role is None:
        assert listed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert at["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert error_codes(created) == ["UNAUTHENTICATED"]
        return
    assert [t["code"] for t in listed["data"]["territories"]] == ["SEEN"]
    assert at["data"]["territoryAt"] == {"code": "SEEN"}
    assert error_codes(created) == ([] if role is Role.ADMIN else ["FORBIDDEN"])
