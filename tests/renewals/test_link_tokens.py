"""The public offer link refuses a token with non-ASCII characters like any forged one,
instead of failing on it."""

from __future__ import annotations

import pytest

from tests.support import GraphQLClient

ARABIC_DIGITS = "\u0661.\u0664\u0661\u0660\u0662"


@pytest.mark.parametrize(
    "token",
    [
        "1.4102444800.nonce.s\u00efgnature",
        "1.4102444800.\u00f1once.signature",
        ARABIC_DIGITS + ".x.y",
    ],
)
async def test_an_offer_link_with_non_ascii_characters_is_refused(
    gql: GraphQLClient, token: str
) -> None:
    for response in (
        await gql.http.get(f"/offers/{token}"),
        await gql.http.post(f"/offers/{token}/accept"),
    ):
        assert (response.status_code, response.json()["error"]) == (400, "INVALID")
