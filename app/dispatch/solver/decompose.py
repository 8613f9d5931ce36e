"""Split a large problem into parts that can be searched independently, in parallel.

Two splits are used. `sector_parts` cuts the tasks into compact geographic clusters and gives
each cluster a share of the technicians (nearest first) to build a first plan. `route_parts`
then groups whole routes of the current plan by direction around the fleet's centre, so each
part holds neighbouring routes with their technicians and can be re-optimised from its
current routes; rotating the cut from round to round lets work move across old borders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.dispatch.solver.problem import Location, Problem
from app.dispatch.solver.travel import TravelProvider, planar_coordinates

Points = npt.NDArray[np.float64]
LANDMARKS = 8
KMEANS_ROUNDS = 12


@dataclass(frozen=True)
class Part:
    """Technician and task indices of the problem; `routes` (optional) gives each technician's
    current visits as positions in `tasks`."""

    technicians: tuple[int, ...]
    tasks: tuple[int, ...]
    routes: tuple[tuple[int, ...], ...] | None = None


def task_points(problem: Problem, travel: TravelProvider) -> Points:
    """Planar points of the tasks; from travel times to a few landmarks when only a matrix is
    known (close places have similar times to every landmark)."""
    places = [task.location for task in problem.tasks]
    points = planar_coordinates(places)
    if points is not None:
        return points
    return _landmark_embedding(places, travel)


def technician_points(problem: Problem, travel: TravelProvider) -> Points:
    starts = [technician.start for technician in problem.technicians]
    points = planar_coordinates(starts)
    if points is not None:
        return points
    return _landmark_embedding(starts, travel, [task.location for task in problem.tasks])


def _landmark_embedding(
    places: Sequence[Location], travel: TravelProvider, pool: Sequence[Location] | None = None
) -> Points:
    candidates = list(pool if pool is not None else places)
    step = max(1, len(candidates) // LANDMARKS)
    landmarks = candidates[::step][:LANDMARKS]
    return np.asarray(travel.table(places, landmarks).durations, dtype=np.float64)


def sector_parts(
    problem: Problem,
    travel: TravelProvider,
    tasks: Sequence[int],
    part_size: int,
) -> list[Part]:
    """Compact clusters of about `part_size` tasks, each with a proportional technician share."""
    count = max(1, math.ceil(len(tasks) / part_size))
    points = task_points(problem, travel)[list(tasks)]
    labels = _balanced_kmeans(points, count)
    clusters = [[tasks[int(i)] for i in np.flatnonzero(labels == k)] for k in range(count)]
    clusters = [c for c in clusters if c]
    centres = np.array(
        [points[labels == k].mean(axis=0) for k in range(count) if (labels == k).any()]
    )
    shares = _technician_shares(problem, travel, centres, [len(c) for c in clusters])
    return [
        Part(technicians=tuple(shares[k]), tasks=tuple(cluster))
        for k, cluster in enumerate(clusters)
        if shares[k]
    ]


def _balanced_kmeans(points: Points, count: int) -> npt.NDArray[np.int64]:
    """k-means whose clusters are capped at ceil(n / count) points (greedy capped assignment)."""
    n = len(points)
    if count <= 1 or n <= count:
        return np.zeros(n, dtype=np.int64) if count <= 1 else np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(7)
    centres = points[rng.choice(n, size=count, replace=False)]
    labels = np.zeros(n, dtype=np.int64)
    cap = math.ceil(n / count)
    for _ in range(KMEANS_ROUNDS):
        distance = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)
        labels = _capped_assignment(distance, cap)
        centres = np.array(
            [
                points[labels == k].mean(axis=0) if (labels == k).any() else centres[k]
                for k in range(count)
            ]
        )
    return labels


def _capped_assignment(distance: Points, cap: int) -> npt.NDArray[np.int64]:
    """Assign points to their nearest centre with room, most decided points first."""
    n, count = distance.shape
    order = np.argsort(distance, axis=1)
    regret = np.take_along_axis(distance, order[:, 1:2], axis=1)[:, 0] - distance.min(axis=1)
    labels = np.full(n, -1, dtype=np.int64)
    load = np.zeros(count, dtype=np.int64)
    for i in np.argsort(-regret):
        for k in order[i]:
            if load[k] < cap:
                labels[i], load[k] = k, load[k] + 1
                break
    return labels


def _technician_shares(
    problem: Problem, travel: TravelProvider, centres: Points, sizes: Sequence[int]
) -> list[list[int]]:
    """Give each cluster technicians in proportion to its tasks, nearest technicians first."""
    technicians = len(problem.technicians)
    total = max(1, sum(sizes))
    quota = [max(1, round(technicians * size / total)) for size in sizes]
    starts = technician_points(problem, travel)
    if starts.shape[1] != centres.shape[1]:
        starts = np.zeros((technicians, centres.shape[1]))
    distance = np.linalg.norm(starts[:, None, :] - centres[None, :, :], axis=2)
    shares: list[list[int]] = [[] for _ in sizes]
    pairs = sorted((distance[j, k], j, k) for j in range(technicians) for k in range(len(sizes)))
    taken: set[int] = set()
    for _, j, k in pairs:
        if j not in taken and len(shares[k]) < quota[k]:
            shares[k].append(j)
            taken.add(j)
    for j in range(technicians):
        if j not in taken:
            shares[int(np.argmin(distance[j]))].append(j)
    return shares


def route_parts(
    problem: Problem,
    travel: TravelProvider,
    routes: Mapping[int, Sequence[int]],
    unassigned: Sequence[int],
    part_size: int,
    round_number: int,
) -> list[Part]:
    """Groups of neighbouring routes (by direction from the fleet's centre) of about
    `part_size` tasks. Unassigned tasks join the nearest group; idle technicians are shared
    out, a few per group (the others stay idle this round)."""
    points = task_points(problem, travel)
    centre = points.mean(axis=0) if len(points) else np.zeros(2)
    used = [j for j in sorted(routes) if routes[j]]
    if not used:
        return []
    angle = {j: _direction(points[list(routes[j])].mean(axis=0) - centre) for j in used}
    offset = (round_number * 0.618034) % 1.0 * 2 * math.pi
    ordered = sorted(used, key=lambda j: (angle[j] - offset) % (2 * math.pi))
    groups = _chunks(ordered, [len(routes[j]) for j in ordered], part_size)
    spare = [j for j in range(len(problem.technicians)) if j not in routes or not routes[j]]
    return _parts_from_groups(problem, points, routes, groups, spare, unassigned)


def _direction(vector: Points) -> float:
    return math.atan2(float(vector[1]), float(vector[0])) if len(vector) >= 2 else 0.0


def _chunks(items: list[int], weights: list[int], target: int) -> list[list[int]]:
    total = sum(weights)
    count = max(1, round(total / target))
    per_chunk = total / count
    chunks: list[list[int]] = [[]]
    load = 0
    for item, weight in zip(items, weights, strict=True):
        if load >= per_chunk * len(chunks) and len(chunks) < count:
            chunks.append([])
        chunks[-1].append(item)
        load += weight
    return chunks


def _spare_allowance(routes: int) -> int:
    """Idle technicians offered to a group: enough to open new routes, few enough that the
    search does not spend its time on empty ones."""
    return max(2, routes // 4)


def _parts_from_groups(
    problem: Problem,
    points: Points,
    routes: Mapping[int, Sequence[int]],
    groups: list[list[int]],
    spare: list[int],
    unassigned: Sequence[int],
) -> list[Part]:
    centres = np.array([points[[t for j in g for t in routes[j]]].mean(axis=0) for g in groups])
    extra_technicians: list[list[int]] = [[] for _ in groups]
    for n, j in enumerate(spare):
        k = n % len(groups)
        if len(extra_technicians[k]) < _spare_allowance(len(groups[k])):
            extra_technicians[k].append(j)
    extra_tasks: list[list[int]] = [[] for _ in groups]
    for i in unassigned:
        extra_tasks[int(np.argmin(np.linalg.norm(centres - points[i], axis=1)))].append(i)
    parts = []
    for k, group in enumerate(groups):
        technicians = group + extra_technicians[k]
        tasks = [t for j in group for t in routes[j]] + extra_tasks[k]
        position = {t: p for p, t in enumerate(tasks)}
        local_routes = tuple(tuple(position[t] for t in routes.get(j, ())) for j in technicians)
        parts.append(Part(technicians=tuple(technicians), tasks=tuple(tasks), routes=local_routes))
    return parts
