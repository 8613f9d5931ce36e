"""The public report link answers 404 to a token with non-ASCII characters, like any forged
one, instead of failing on it."""

from __future__ import annotations

import pytest

from tests.support import GraphQLClient


@pytest.mark.parametrize(
    "token", ["1.4102444800.s\u00efgnature", "\u0661.\u0664\u0661\u0660\u0662.x"]
)
async def test_a_report_link_with_non_ascii_characters_is_not_found(
    gql: GraphQLClient, token: str
) -> None:
    response = await gql.http.get(f"/inspections/report/{token}")
    assert response.status_code == 404
