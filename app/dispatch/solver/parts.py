"""Parts-aware planning: a visit that needs parts is served by a van that holds them, or after
a pickup at the nearest depot holding them, or is left out with the reason PARTS.

The search engines know nothing of parts. Before the search, each such visit is decided:
- no van and no depot holds its parts: left out (PARTS);
- vans hold them but no depot does: only those technicians may take it;
- a depot holds them: the visit becomes a *pickup visit*, travelled to as if it were at the
  depot and left from its own place, its service lengthened by the pickup and the drive from
  the depot (its windows moved earlier by as much). That is an asymmetric travel matrix, which
  every engine (OR-Tools and PyVRP alike) models exactly: the pickup always comes right before
  its visit, on the same route. Technicians whose van holds the parts are preferred.
After the search, a holder's pickup is dropped (its van serves the visit; its day only gets
shorter) and the others get a pickup stop. Units are counted along the plan, vans per route
and depots across routes: a visit whose units an earlier stop took is left out with PARTS.
Pinned visits and crew work are planned as they are (their parts are already arranged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.dispatch.solver.problem import (
    Depot,
    Location,
    Plan,
    PlanStats,
    Problem,
    Route,
    Stop,
    Task,
    Unassigned,
    UnassignedReason,
)
from app.dispatch.solver.travel import TravelProvider, TravelTable

Solve = Callable[[Problem, Any, TravelProvider], Plan]


def covers(stock: Mapping[str, int], needs: Mapping[str, int]) -> bool:
    """Whether `stock` holds every unit of `needs`."""
    return all(stock.get(part, 0) >= units for part, units in needs.items())


def plans_parts(task: Task) -> bool:
    """Whether the parts planner decides this task (others are planned as they are)."""
    return bool(task.parts) and task.pinned is None and not task.is_crew_work


def applies(problem: Problem) -> bool:
    return any(plans_parts(task) for task in problem.tasks)


@dataclass(frozen=True)
class Decision:
    """How a task's parts are planned: `holders` are the technicians whose van holds them;
    `depot` (with `lead`, the pickup plus the drive to the visit, in minutes) the nearest depot
    holding them; neither: the task is left out with PARTS."""

    task: Task
    holders: tuple[str, ...]
    depot: Depot | None = None
    lead: float = 0.0
    marker: Location | None = None


def decide(problem: Problem, travel: TravelProvider) -> dict[str, Decision]:
    """Each parts-planned task's decision, by task id."""
    tasks = [t for t in problem.tasks if plans_parts(t)]
    depots = list(problem.depots)
    table = None
    if depots and tasks:
        table = travel.table([d.location for d in depots], [t.location for t in tasks])
    decisions = {}
    for k, task in enumerate(tasks):
        holders = tuple(t.id for t in problem.technicians if covers(t.stock, task.parts))
        stocked = [i for i, d in enumerate(depots) if covers(d.stock, task.parts)]
        if table is None or not stocked:
            decisions[task.id] = Decision(task, holders)
            continue
        nearest = min(stocked, key=lambda i: float(table.durations[i, k]))
        depot = depots[nearest]
        lead = depot.pickup_minutes + float(table.durations[nearest, k])
        decisions[task.id] = Decision(task, holders, depot, lead, _marker(task.location, k))
    return decisions


def _marker(location: Location, k: int) -> Location:
    """A place no real location has (a negative row), keeping the visit's coordinates for the
    geographic split of large problems."""
    return replace(location, index=-1 - k)


@dataclass(frozen=True)
class PickupTravel:
    """Travel where a pickup visit is arrived at from its depot's place and left from its own."""

    inner: TravelProvider
    arrive_at: Mapping[Location, Location]
    leave_from: Mapping[Location, Location]

    def table(self, origins: Sequence[Location], destinations: Sequence[Location]) -> TravelTable:
        return self.inner.table(
            [self.leave_from.get(o, o) for o in origins],
            [self.arrive_at.get(d, d) for d in destinations],
        )


def solve_with_parts(problem: Problem, options: Any, travel: TravelProvider, solve: Solve) -> Plan:
    """Plan `problem` with `solve` (the orchestrator) on the parts-free problem this makes."""
    decisions = decide(problem, travel)
    tasks, left_out = [], []
    for task in problem.tasks:
        decision = decisions.get(task.id)
        if decision is None:
            tasks.append(task)
            continue
        planned = _planned_task(problem, decision)
        if planned is None:
            left_out.append(Unassigned(task.id, UnassignedReason.PARTS))
        else:
            tasks.append(planned)
    pickups = [d for d in decisions.values() if d.marker is not None]
    wrapped = PickupTravel(
        travel,
        arrive_at={d.marker: d.depot.location for d in pickups if d.marker and d.depot},
        leave_from={d.marker: d.task.location for d in pickups if d.marker},
    )
    plan = solve(replace(problem, tasks=tuple(tasks), depots=()), options, wrapped)
    return _expand(problem, decisions, plan, left_out, travel)


def _planned_task(problem: Problem, decision: Decision) -> Task | None:
    """The task the engines see, or None when nobody can get its parts."""
    task = decision.task
    bare = replace(task, parts={})
    if decision.depot is None or decision.marker is None:
        allowed = set(decision.holders) & set(task.technicians or decision.holders)
        if not allowed:
            return None
        order = [t.id for t in problem.technicians if t.id in allowed]
        return replace(bare, technicians=tuple(order))
    lead = decision.lead
    preferred = task.preferred_technicians
    if decision.holders:
        preferred = tuple(dict.fromkeys([*(preferred or ()), *decision.holders]))
    return replace(
        bare,
        location=decision.marker,
        duration=task.duration + lead,
        windows=tuple((a - lead, b - lead) for a, b in task.windows),
        preferred_technicians=preferred,
    )


# --- the plan ------------------------------------------------------------------------------


@dataclass
class _Counts:
    depots: dict[str, dict[str, int]]
    travel: float = 0.0
    distance: float = 0.0


def _expand(
    problem: Problem,
    decisions: Mapping[str, Decision],
    plan: Plan,
    left_out: list[Unassigned],
    travel: TravelProvider,
) -> Plan:
    """The engines' plan in the problem's terms: pickup stops, units counted."""
    counts = _Counts(depots={d.id: dict(d.stock) for d in problem.depots})
    technicians = {t.id: t for t in problem.technicians}
    places = {t.id: t.location for t in problem.tasks}
    routes, dropped = [], list(left_out)
    for route in plan.routes:
        technician = technicians[route.technician]
        van = dict(technician.stock)
        stops = _route_stops(route, technician.start, van, places, decisions, counts, travel)
        kept = [s for s in stops if isinstance(s, Stop)]
        dropped += [s for s in stops if isinstance(s, Unassigned)]
        if kept:
            routes.append(Route(technician=route.technician, stops=tuple(kept)))
    order = {t.id: i for i, t in enumerate(problem.tasks)}
    unassigned = sorted([*plan.unassigned, *dropped], key=lambda u: order[u.task])
    stats = replace(
        plan.stats,
        assigned=plan.stats.assigned - (len(dropped) - len(left_out)),
        unassigned=len(unassigned),
        travel_time=plan.stats.travel_time + counts.travel,
        distance=plan.stats.distance + counts.distance,
    )
    return Plan(routes=tuple(routes), unassigned=tuple(unassigned), stats=_stats(stats))


def _stats(stats: PlanStats) -> PlanStats:
    return replace(
        stats, travel_time=max(0.0, stats.travel_time), distance=max(0.0, stats.distance)
    )


def _route_stops(
    route: Route,
    start: Location,
    van: dict[str, int],
    places: Mapping[str, Location],
    decisions: Mapping[str, Decision],
    counts: _Counts,
    travel: TravelProvider,
) -> list[Stop | Unassigned]:
    found: list[Stop | Unassigned] = []
    here = start
    for stop in route.stops:
        decision = decisions.get(stop.task)
        if decision is None:
            found.append(stop)
            here = places[stop.task]
            continue
        needs = decision.task.parts
        if covers(van, needs):
            _take(van, needs)
            found.append(_from_van(stop, decision, here, counts, travel))
        elif decision.depot is not None and covers(counts.depots[decision.depot.id], needs):
            _take(counts.depots[decision.depot.id], needs)
            found += _with_pickup(stop, decision, counts, travel)
        else:
            found.append(Unassigned(stop.task, UnassignedReason.PARTS))
            continue
        here = decision.task.location
    return found


def _take(stock: dict[str, int], needs: Mapping[str, int]) -> None:
    for part, units in needs.items():
        stock[part] = stock.get(part, 0) - units


def _units(needs: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(needs.items()))


def _from_van(
    stop: Stop, decision: Decision, here: Location, counts: _Counts, travel: TravelProvider
) -> Stop:
    """The visit served from the van: no pickup; it starts when planned (the van gets there
    sooner, straight from its last place)."""
    start = stop.start + decision.lead
    if decision.depot is None:
        return replace(stop, parts=_units(decision.task.parts))
    table = travel.table([here], [decision.depot.location, decision.task.location])
    via_depot, direct = float(table.durations[0, 0]), float(table.durations[0, 1])
    counts.travel += direct - via_depot
    counts.distance += float(table.distances[0, 1] - table.distances[0, 0])
    arrival = min(start, stop.arrival - via_depot + direct)
    return replace(stop, arrival=arrival, start=start, parts=_units(decision.task.parts))


def _with_pickup(
    stop: Stop, decision: Decision, counts: _Counts, travel: TravelProvider
) -> list[Stop]:
    depot = decision.depot
    assert depot is not None
    picked = stop.start + depot.pickup_minutes
    to_visit = travel.table([depot.location], [decision.task.location])
    counts.travel += float(to_visit.durations[0, 0])
    counts.distance += float(to_visit.distances[0, 0])
    pickup = Stop(
        task=stop.task,
        arrival=stop.arrival,
        start=stop.start,
        end=picked,
        kind="pickup",
        depot=depot.id,
        parts=_units(decision.task.parts),
    )
    visit = replace(stop, arrival=stop.start + decision.lead, start=stop.start + decision.lead)
    return [pickup, visit]
