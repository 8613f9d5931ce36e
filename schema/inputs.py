"""Turning strawberry inputs into plain dicts for the domain's validated models."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry import UNSET


def provided(input_obj: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields the client actually sent (an explicit null included, an omitted field not)."""
    return {
        f.name: getattr(input_obj, f.name)
        for f in dataclasses.fields(input_obj)
        if f.name not in exclude and getattr(input_obj, f.name) is not UNSET
    }


@strawberry.input(description="Archive an object; archived objects leave lists but keep history.")
class ArchiveInput:
    id: strawberry.ID
    expected_version: int | None = None
