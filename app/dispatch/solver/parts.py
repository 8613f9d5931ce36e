"""Parts-aware planning: a visit that needs parts is served by a van that holds them, or after
a pickup at the nearest depot holding them, or is left out with the reason PARTS.

The search engines know nothing of parts. Before the search, each such visit is decided:
- no van and no depot holds its parts: left out (PARTS);
- vans hold them: only those technicians may take it (exact, no detour);
- no van holds them but a depot does: the visit becomes a *pickup visit*, reached by way of
  the nearest depot holding them (the drive there and on to the visit is its arrival leg,
  costed as travel), its service lengthened by the pickup minutes (its windows moved earlier
  by as much). That is an asymmetric travel matrix, which every engine (OR-Tools and PyVRP
  alike) models exactly: the pickup always comes right before its visit, on the same route.
A holder-only visit left out (its holders are full) while a depot holds its parts is offered
to everyone as a pickup visit in a second pass from the first plan; the better plan wins.
After the search, units are counted along the plan (vans per route, depots across routes): a
pickup visit whose van has the units left drops its pickup, and a visit whose units an
earlier stop took is left out with PARTS.
Pinned visits and crew work are planned as they are (their parts are already arranged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

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
    `depot` the nearest depot holding them (`drive`: minutes from it to the visit); neither:
    the task is left out with PARTS."""

    task: Task
    holders: tuple[str, ...]
    depot: Depot | None = None
    drive: float = 0.0
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
        drive = float(table.durations[nearest, k])
        decisions[task.id] = Decision(task, holders, depot, drive, _marker(task.location, k))
    return decisions


def _marker(location: Location, k: int) -> Location:
    """A place no real location has (a negative row), keeping the visit's coordinates for the
    geographic split of large problems."""
    return replace(location, index=-1 - k)


@dataclass(frozen=True)
class PickupTravel:
    """Travel where a pickup visit (its marker: depot and place) is reached by way of its
    depot and left from its own place."""

    inner: TravelProvider
    detours: Mapping[Location, tuple[Location, Location]]

    def table(self, origins: Sequence[Location], destinations: Sequence[Location]) -> TravelTable:
        leave = [self.detours[o][1] if o in self.detours else o for o in origins]
        via = [self.detours[d][0] if d in self.detours else d for d in destinations]
        table = self.inner.table(leave, via)
        marked = [j for j, d in enumerate(destinations) if d in self.detours]
        if not marked:
            return table
        legs = self.inner.table(
            [self.detours[destinations[j]][0] for j in marked],
            [self.detours[destinations[j]][1] for j in marked],
        )
        durations, distances = table.durations.copy(), table.distances.copy()
        durations[:, marked] += np.diag(legs.durations)[None, :]
        distances[:, marked] += np.diag(legs.distances)[None, :]
        return TravelTable(durations=durations, distances=distances)


FIRST_PASS_SHARE = 0.6
"""Of the time limit, what the first pass (holders only) gets when a second may follow."""


def solve_with_parts(problem: Problem, options: Any, travel: TravelProvider, solve: Solve) -> Plan:
    """Plan `problem` with `solve` (the orchestrator) on the parts-free problems this makes.

    A task whose parts some vans hold goes to one of them (modelled exactly, no detour). When
    such a task is left out and a depot holds its parts, a second pass, from the first plan,
    lets anyone take it with a pickup; the better plan (more visits, then less travel) wins."""
    decisions = decide(problem, travel)
    either = {d.task.id for d in decisions.values() if d.holders and d.marker is not None}
    limit = options.time_limit
    first_options = replace(options, time_limit=limit * FIRST_PASS_SHARE) if either else options
    plan = _pass(problem, decisions, set(), first_options, travel, solve)
    retry = either & {u.task for u in plan.unassigned}
    if not retry:
        return plan
    routes = {r.technician: [s.task for s in r.stops if s.kind == "task"] for r in plan.routes}
    second_options = replace(options, time_limit=limit * (1 - FIRST_PASS_SHARE), start_from=routes)
    second = _pass(problem, decisions, retry, second_options, travel, solve)
    return min((plan, second), key=_worse)


def _worse(plan: Plan) -> tuple[int, float]:
    return (-plan.stats.assigned, plan.stats.travel_time)


def _pass(
    problem: Problem,
    decisions: Mapping[str, Decision],
    via_depot: set[str],
    options: Any,
    travel: TravelProvider,
    solve: Solve,
) -> Plan:
    """One search; `via_depot`: tasks vans hold the parts of that anyone may take with a
    pickup (the others go to their holders)."""
    tasks, left_out, detoured = [], [], set()
    for task in problem.tasks:
        decision = decisions.get(task.id)
        if decision is None:
            tasks.append(task)
            continue
        planned = _planned_task(decision, task.id in via_depot)
        if planned is None:
            left_out.append(Unassigned(task.id, UnassignedReason.PARTS))
            continue
        tasks.append(planned)
        if planned.location != task.location:
            detoured.add(task.id)
    wrapped = PickupTravel(
        travel,
        {
            d.marker: (d.depot.location, d.task.location)
            for d in decisions.values()
            if d.marker and d.depot and d.task.id in detoured
        },
    )
    plan = solve(replace(problem, tasks=tuple(tasks), depots=()), options, wrapped)
    return _expand(problem, decisions, detoured, plan, left_out, travel)


def _planned_task(decision: Decision, via_depot: bool) -> Task | None:
    """The task the engines see, or None when nobody can get its parts."""
    task = decision.task
    bare = replace(task, parts={})
    allowed = task.technicians
    holders = tuple(h for h in decision.holders if allowed is None or h in allowed)
    pickup = decision.depot is not None and decision.marker is not None
    if holders and not (pickup and via_depot):
        return replace(bare, technicians=holders)
    if decision.depot is None or decision.marker is None:
        return None
    lead = decision.depot.pickup_minutes
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
    detoured: set[str],
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
        stops = _route_stops(
            route, technician.start, van, places, decisions, detoured, counts, travel
        )
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
    detoured: set[str],
    counts: _Counts,
    travel: TravelProvider,
) -> list[Stop | Unassigned]:
    """The route's stops in the problem's terms. Visits planned for the van (no detour) take
    its units first, in route order; pickup visits then take what is left, else pick up."""
    from_van: set[int] = set()
    for k, stop in enumerate(route.stops):
        decision = decisions.get(stop.task)
        if decision is not None and stop.task not in detoured and covers(van, decision.task.parts):
            _take(van, decision.task.parts)
            from_van.add(k)
    found: list[Stop | Unassigned] = []
    here = start
    for k, stop in enumerate(route.stops):
        decision = decisions.get(stop.task)
        if decision is None:
            found.append(stop)
            here = places[stop.task]
            continue
        needs = decision.task.parts
        depot = decision.depot
        if k in from_van:
            found.append(replace(stop, parts=_units(needs)))
        elif stop.task not in detoured:
            found.append(Unassigned(stop.task, UnassignedReason.PARTS))
            continue
        elif covers(van, needs):
            _take(van, needs)
            found.append(_from_van(stop, decision, here, counts, travel))
        elif depot is not None and covers(counts.depots[depot.id], needs):
            _take(counts.depots[depot.id], needs)
            found += _with_pickup(stop, decision)
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
    """A pickup visit served from the van after all: no pickup; it starts when planned (the
    van gets there sooner, straight from its last place)."""
    depot = decision.depot
    assert depot is not None
    start = stop.start + depot.pickup_minutes
    table = travel.table([here, depot.location], [depot.location, decision.task.location])
    via_depot = float(table.durations[0, 0] + table.durations[1, 1])
    direct = float(table.durations[0, 1])
    counts.travel += direct - via_depot
    counts.distance += float(table.distances[0, 1] - table.distances[0, 0] - table.distances[1, 1])
    arrival = min(start, stop.arrival - via_depot + direct)
    return replace(stop, arrival=arrival, start=start, parts=_units(decision.task.parts))


def _with_pickup(stop: Stop, decision: Decision) -> list[Stop]:
    """The engines' stop arrives at the visit by way of the depot: the pickup is on the way,
    a drive before that arrival; the visit starts after the pickup minutes."""
    depot = decision.depot
    assert depot is not None
    at_depot = stop.arrival - decision.drive
    pickup = Stop(
        task=stop.task,
        arrival=at_depot,
        start=at_depot,
        end=at_depot + depot.pickup_minutes,
        kind="pickup",
        depot=depot.id,
        parts=_units(decision.task.parts),
    )
    minutes = depot.pickup_minutes
    visit = replace(stop, arrival=stop.arrival + minutes, start=stop.start + minutes)
    return [pickup, visit]
