"""Every type, field, argument and enum value a client can use explains itself."""

from __future__ import annotations

from typing import Any

from app.core.config import Settings
from app.main import build_schema
from schema.descriptions import describe, undescribed

NODE_ID = "The object's global ID: opaque, stable, and accepted by `node(id:)`."


def named(schema: Any, name: str) -> Any:
    return schema._schema.type_map[name]


def test_every_schema_element_has_a_description(settings: Settings) -> None:
    missing = sorted(undescribed(build_schema(settings)))

    assert missing == [], "describe these where they are declared"


def test_conventions_fill_only_what_a_field_does_not_say_itself(settings: Settings) -> None:
    schema = build_schema(settings)
    policy, task = named(schema, "TrackingPolicy").fields, named(schema, "Task").fields

    assert task["version"].description.startswith("Bumped by every change")
    assert task["id"].description == NODE_ID
    assert policy["territoryId"].description == "The territory's global ID."
    describe(schema)  # describing again changes nothing
    assert policy["territoryId"].description == "The territory's global ID."


def test_enum_values_carry_their_domain_docstrings(settings: Settings) -> None:
    status = named(build_schema(settings), "TaskStatus")

    assert status.values["DISPATCHED"].description == (
        "Offered to a technician, waiting for them to accept."
    )
