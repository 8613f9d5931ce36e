"""Broker channels for technician positions: everyone's, a territory's, one technician's."""

from __future__ import annotations

TECHNICIAN_LOCATION = "TECHNICIAN_LOCATION"

ALL_LOCATIONS = "locations"


def territory_locations(territory_id: int) -> str:
    return f"locations:territory:{territory_id}"


def technician_locations(technician_id: int) -> str:
    return f"locations:technician:{technician_id}"
