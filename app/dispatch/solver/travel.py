"""Travel providers: durations (minutes) and distances between locations.

Every provider answers `table(origins, destinations)`, the shape of a road-network table API
(OSRM `/table`, Valhalla `sources_to_targets`), so a routing service can be plugged in by
implementing `RoadNetworkTravel.fetch_table`; `CachedTravel` keeps recent tables.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.dispatch.solver.problem import FloatMatrix, Location, TravelSpec

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class TravelTable:
    """`durations[i, j]` minutes and `distances[i, j]` from origin i to destination j."""

    durations: FloatMatrix
    distances: FloatMatrix


class TravelProvider(Protocol):
    def table(self, origins: Sequence[Location], destinations: Sequence[Location]) -> TravelTable:
        """Travel from every origin to every destination."""
        ...


def _planar(locations: Sequence[Location]) -> FloatMatrix:
    return np.array([(loc.x, loc.y) for loc in locations], dtype=np.float64).reshape(-1, 2)


def _geographic_radians(locations: Sequence[Location]) -> FloatMatrix:
    degrees = np.array([(loc.lat, loc.lng) for loc in locations], dtype=np.float64)
    return np.radians(degrees.reshape(-1, 2))


@dataclass(frozen=True)
class EuclideanTravel:
    """Straight lines on a plane; travel time = distance / speed."""

    speed: float = 1.0

    def table(self, origins: Sequence[Location], destinations: Sequence[Location]) -> TravelTable:
        a, b = _planar(origins), _planar(destinations)
        distances = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        return TravelTable(durations=distances / self.speed, distances=distances)


@dataclass(frozen=True)
class HaversineTravel:
    """Great-circle distance (km) times a detour factor, driven at `speed_kmh`."""

    speed_kmh: float = 50.0
    detour: float = 1.3

    def table(self, origins: Sequence[Location], destinations: Sequence[Location]) -> TravelTable:
        a, b = _geographic_radians(origins), _geographic_radians(destinations)
        dlat = b[None, :, 0] - a[:, None, 0]
        dlng = b[None, :, 1] - a[:, None, 1]
        h = (
            np.sin(dlat / 2) ** 2
            + np.cos(a[:, None, 0]) * np.cos(b[None, :, 0]) * np.sin(dlng / 2) ** 2
        )
        kilometres = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))) * self.detour
        return TravelTable(durations=kilometres / self.speed_kmh * 60.0, distances=kilometres)


@dataclass(frozen=True)
class MatrixTravel:
    """A given matrix; locations carry their row `index`. Distances default to durations."""

    durations: FloatMatrix
    distances: FloatMatrix

    @classmethod
    def from_matrices(cls, durations: FloatMatrix, distances: FloatMatrix | None) -> MatrixTravel:
        return cls(durations=durations, distances=durations if distances is None else distances)

    def table(self, origins: Sequence[Location], destinations: Sequence[Location]) -> TravelTable:
        rows = np.array([loc.index for loc in origins], dtype=np.int64)
        cols = np.array([loc.index for loc in destinations], dtype=np.int64)
        selector = np.ix_(rows, cols)
        return TravelTable(durations=self.durations[selector], distances=self.distances[selector])


class RoadNetworkTravel(ABC):
    """Base for a road-network table service; subclasses call the service in `fetch_table`.

    Wrap an instance in `CachedTravel` so repeated plans over the same places reuse tables.
    """

    def table(self, origins: Sequence[Location], destinations: Sequence[Location]) -> TravelTable:
        return self.fetch_table(origins, destinations)

    @abstractmethod
    def fetch_table(
        self, origins: Sequence[Location], destinations: Sequence[Location]
    ) -> TravelTable:
        """Durations in minutes and distances in km from the service."""


def _locations_key(origins: Sequence[Location], destinations: Sequence[Location]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for group in (origins, destinations):
        digest.update(repr([(loc.x, loc.y, loc.lat, loc.lng, loc.index) for loc in group]).encode())
        digest.update(b"|")
    return digest.hexdigest()


class CachedTravel:
    """Keeps the last `max_tables` tables of a provider, keyed by the exact locations."""

    def __init__(self, provider: TravelProvider, max_tables: int = 64) -> None:
        self.provider = provider
        self.max_tables = max_tables
        self._tables: OrderedDict[str, TravelTable] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def table(self, origins: Sequence[Location], destinations: Sequence[Location]) -> TravelTable:
        key = _locations_key(origins, destinations)
        cached = self._tables.get(key)
        if cached is not None:
            self.hits += 1
            self._tables.move_to_end(key)
            return cached
        self.misses += 1
        table = self.provider.table(origins, destinations)
        self._tables[key] = table
        if len(self._tables) > self.max_tables:
            self._tables.popitem(last=False)
        return table


def make_travel(spec: TravelSpec) -> TravelProvider:
    """The provider for a problem's `travel` section."""
    if spec.kind == "haversine":
        return HaversineTravel(speed_kmh=spec.speed_kmh, detour=spec.detour)
    if spec.kind == "matrix":
        assert spec.durations is not None, "validated: matrix travel has durations"
        return MatrixTravel.from_matrices(spec.durations, spec.distances)
    return EuclideanTravel(speed=spec.speed)


def planar_coordinates(locations: Sequence[Location]) -> FloatMatrix | None:
    """Coordinates for geographic clustering, or None when only a matrix is known."""
    if all(loc.x is not None for loc in locations):
        return _planar(locations)
    if all(loc.lat is not None for loc in locations):
        radians = _geographic_radians(locations)
        mean_lat = float(np.mean(radians[:, 0])) if len(radians) else 0.0
        return np.column_stack((radians[:, 1] * np.cos(mean_lat), radians[:, 0])) * EARTH_RADIUS_KM
    return None
