"""Broker channels for stock changes: one per location, one per part, one for everything."""

from __future__ import annotations

ALL = "inventory"


def location(location_id: int) -> str:
    return f"inventory.location.{location_id}"


def part(part_id: int) -> str:
    return f"inventory.part.{part_id}"


def for_change(location_id: int, part_id: int) -> tuple[str, ...]:
    return (ALL, location(location_id), part(part_id))
