"""Read VRPLIB VRPTW instances (Solomon, Gehring-Homberger) and turn them into problems.

Travel follows the DIMACS convention of `bks_dimacs.csv`: time = distance =
floor(10 x Euclidean distance) / 10, given to the solver as a matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from app.dispatch.solver.problem import Location, Problem, Task, Technician, TravelSpec


@dataclass(frozen=True)
class VrptwInstance:
    name: str
    vehicles: int
    capacity: int
    coords: npt.NDArray[np.float64]
    demands: tuple[int, ...]
    windows: tuple[tuple[int, int], ...]
    service: tuple[int, ...]
    """Per node; node 0 is the depot."""

    @property
    def customers(self) -> int:
        return len(self.demands) - 1


def read_instance(path: Path) -> VrptwInstance:
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if line.endswith("SECTION"):
            current = line
            sections[current] = []
        elif ":" in line and current is None:
            key, value = line.split(":", 1)
            header[key.strip()] = value.strip()
        elif current is not None:
            sections[current].append(line.split())
    return _instance(path.stem, header, sections)


def _column(rows: list[list[str]], *columns: int) -> list[tuple[float, ...]]:
    ordered = sorted(rows, key=lambda row: int(row[0]))
    return [tuple(float(row[c]) for c in columns) for row in ordered]


def _instance(
    name: str, header: dict[str, str], sections: dict[str, list[list[str]]]
) -> VrptwInstance:
    coords = np.array(_column(sections["NODE_COORD_SECTION"], 1, 2), dtype=np.float64)
    size = len(coords)
    if "SERVICE_TIME_SECTION" in sections:
        service = [int(v[0]) for v in _column(sections["SERVICE_TIME_SECTION"], 1)]
    else:
        service = [0] + [int(float(header.get("SERVICE_TIME", "0")))] * (size - 1)
    return VrptwInstance(
        name=name,
        vehicles=int(header.get("VEHICLES", size)),
        capacity=int(float(header["CAPACITY"])),
        coords=coords,
        demands=tuple(int(v[0]) for v in _column(sections["DEMAND_SECTION"], 1)),
        windows=tuple((int(a), int(b)) for a, b in _column(sections["TIME_WINDOW_SECTION"], 1, 2)),
        service=tuple(service),
    )


def dimacs_distances(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """floor(10 x Euclidean) / 10, the convention of the distance-only best-known solutions."""
    dx = coords[:, None, 0] - coords[None, :, 0]
    dy = coords[:, None, 1] - coords[None, :, 1]
    return np.floor(10.0 * np.sqrt(dx * dx + dy * dy) + 1e-9) / 10.0


def to_problem(instance: VrptwInstance, euclidean: bool = False) -> Problem:
    """One technician per vehicle at the depot, one task per customer. Travel is the DIMACS
    matrix, or plain Euclidean (for instances too large for a matrix)."""
    fleet = instance.vehicles
    customers = instance.customers
    depot_open, depot_close = instance.windows[0]
    x, y = instance.coords[:, 0].tolist(), instance.coords[:, 1].tolist()
    if euclidean:
        travel = TravelSpec(kind="euclidean", speed=1.0)
    else:
        base = dimacs_distances(instance.coords)
        node_of = np.array([0] * (2 * fleet) + list(range(1, customers + 1)))
        matrix = base[np.ix_(node_of, node_of)]
        travel = TravelSpec(kind="matrix", durations=matrix, distances=matrix)
    index = (lambda i: None) if euclidean else (lambda i: i)
    technicians = tuple(
        Technician(
            id=f"v{k + 1}",
            start=Location(index=index(k), x=x[0], y=y[0]),
            end=Location(index=index(fleet + k), x=x[0], y=y[0]),
            shift=(float(depot_open), float(depot_close)),
            capacity=float(instance.capacity),
        )
        for k in range(fleet)
    )
    tasks = tuple(
        Task(
            id=str(c),
            location=Location(index=index(2 * fleet + c - 1), x=x[c], y=y[c]),
            duration=float(instance.service[c]),
            windows=((float(instance.windows[c][0]), float(instance.windows[c][1])),),
            demand=float(instance.demands[c]),
        )
        for c in range(1, customers + 1)
    )
    return Problem(
        travel=travel,
        technicians=technicians,
        tasks=tasks,
    )


def read_solution_routes(path: Path) -> list[list[int]]:
    """Customer numbers (1-based, as in the `.sol` files) of each route."""
    return [
        [int(token) for token in line.split(":", 1)[1].split()]
        for line in path.read_text().splitlines()
        if line.startswith("Route")
    ]


def synthetic_instance(customers: int, vehicles: int, seed: int = 1) -> VrptwInstance:
    """A random Gehring-Homberger-like instance (type R2: scattered customers, wide windows)
    on a square around a central depot, for scale runs."""
    rng = np.random.default_rng(seed)
    side = 1000.0
    horizon = 3000
    coords = np.vstack(([side / 2, side / 2], rng.uniform(0, side, size=(customers, 2))))
    coords = np.round(coords)
    service = 10
    reach = np.hypot(coords[1:, 0] - side / 2, coords[1:, 1] - side / 2)
    width = rng.integers(100, 400, size=customers)
    earliest = np.ceil(reach).astype(np.int64)
    latest = horizon - service - np.ceil(reach).astype(np.int64) - width
    opens = rng.integers(earliest, np.maximum(earliest + 1, latest))
    windows = [(0, horizon)] + [(int(a), int(a + w)) for a, w in zip(opens, width, strict=True)]
    return VrptwInstance(
        name=f"SYN{customers}",
        vehicles=vehicles,
        capacity=200,
        coords=coords,
        demands=(0, *(int(d) for d in rng.integers(1, 21, size=customers))),
        windows=tuple(windows),
        service=(0, *([service] * customers)),
    )
