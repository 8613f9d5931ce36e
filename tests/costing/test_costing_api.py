"""Job costing over GraphQL: managers only."""

from __future__ import annotations

import pytest

from app.core.auth import Role
from tests.support import GraphQLClient

MARGINS = """query { marginsByTerritory(from: "2031-01-01T00:00:00Z", to: "2031-02-01T00:00:00Z")
  { keyId tasks margin { amount } } }"""


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.DISPATCHER, "FORBIDDEN"),
        (Role.MANAGER, None),
        (Role.ADMIN, None),
    ],
)
async def test_only_managers_read_margins(
    gql: GraphQLClient, role: Role | None, code: str | None
) -> None:
    body = await gql.as_role(role).raw(MARGINS)
    if code is None:
        assert body["data"]["marginsByTerritory"] == []
    else:
        assert body["errors"][0]["extensions"]["code"] == code
