"""Condition photos attached to a repair order itself: who may attach and read them, and their
use as evidence for a warranty replacement."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.attachments.settings import get_attachment_settings
from app.attachments.storage import LocalStorage, use_storage
from tests.depot_repair.helpers import (
    ORDER,
    RECEIVE,
    DepotWorld,
    as_customer,
    as_tech,
    depot_world,
    intake,
    ok,
)
from tests.support import GraphQLClient

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))
ATTACH = """
mutation($input: AttachToRepairOrderInput!) { attachToRepairOrder(input: $input) {
  attachment { id filename kind } userErrors { field code } } }
"""
PHOTOS = "query($id: ID!) { repairOrder(id: $id) { photos { id filename } } }"
REQUEST = """
mutation($input: RequestReplacementInput!) { requestReplacement(input: $input) {
  request { id evidence { id } } userErrors { field code } } }
"""


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[LocalStorage]:
    local = LocalStorage(tmp_path / "attachments")
    use_storage(local)
    get_attachment_settings.cache_clear()
    yield local
    use_storage(None)
    get_attachment_settings.cache_clear()


def photo(order: dict[str, Any], name: str = "front.png") -> dict[str, Any]:
    content = base64.b64encode(PNG).decode()
    return {"repairOrderId": order["id"], "contentBase64": content, "filename": name}


async def received(gql: GraphQLClient, world: DepotWorld) -> dict[str, Any]:
    order = intake(world)
    order["newAsset"] |= {"soldOn": (date.today() - timedelta(days=30)).isoformat()}
    return await ok(gql, RECEIVE, order)


async def test_the_counter_photographs_the_item_and_the_photos_follow_the_order(
    gql: GraphQLClient, session: AsyncSession, storage: LocalStorage
) -> None:
    # Given an order received at the counter, with no service request behind it
    world = await depot_world(session)
    order = await received(gql, world)

    # When the counter attaches a condition photo to the order, twice (a retry)
    first = await gql.mutate(ATTACH, photo(order))
    again = await gql.mutate(ATTACH, photo(order))

    # Then it is stored once and the order shows it
    assert first["userErrors"] == [] and first["attachment"]["kind"] == "PHOTO"
    assert again["attachment"]["id"] == first["attachment"]["id"]
    shown = (await gql(PHOTOS, {"id": order["id"]}))["repairOrder"]["photos"]
    assert shown == [{"id": first["attachment"]["id"], "filename": "front.png"}]

    # and the customer and the depot's bench read it, a technician of another depot cannot
    mine = await as_customer(gql, world.customer)(PHOTOS, {"id": order["id"]})
    assert [p["id"] for p in mine["repairOrder"]["photos"]] == [first["attachment"]["id"]]
    bench = await as_tech(gql, world.tech_a)(PHOTOS, {"id": order["id"]})
    assert len(bench["repairOrder"]["photos"]) == 1
    stranger = as_tech(gql, world.other_tech)
    assert (await stranger(ORDER, {"id": order["id"]}))["repairOrder"] is None
    refused = await stranger.mutate(ATTACH, photo(order, "sneaky.png"))
    assert [(e["field"][-1], e["code"]) for e in refused["userErrors"]] == [
        ("repairOrderId", "NOT_FOUND")
    ]

    # and the order's photo is evidence for a replacement raised from the order
    request = {
        "repairOrderId": order["id"],
        "replacementPartId": world.gid("Part", world.part.id),
        "stockLocationId": world.gid("StockLocation", world.location_id),
        "diagnosis": "Panel cracked inside; not repairable",
        "evidenceAttachmentIds": [first["attachment"]["id"]],
    }
    raised = await as_tech(gql, world.tech_a).mutate(REQUEST, request)
    assert raised["userErrors"] == []
    assert raised["request"]["evidence"] == [{"id": first["attachment"]["id"]}]
