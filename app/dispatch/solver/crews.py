"""The planner of problems with crew or multi-day work: synchronised crews, daily segments.

A problem whose tasks all need one technician for one visit never comes here (the routing
engines plan those). Here every visit is placed by regret-free cheapest insertion at fixed
times: a crew visit needs `crew` technicians free at one common start time (each with the
travel to and from their neighbouring stops), the lead meeting `lead_skills` and the crew
together `skills`; a multi-day task places its segments in order, each on a later day than
the one before, with the crew chosen for its first segment. Stops never move once placed, so
no technician is ever in two places at once. Hard tasks go first: pinned work, then by
priority, crew size and number of segments.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.dispatch.solver.data import PREFERENCE_BONUS_MINUTES
from app.dispatch.solver.problem import (
    DAY_MINUTES,
    Location,
    Plan,
    PlanStats,
    Problem,
    Route,
    Stop,
    Task,
    Technician,
    Unassigned,
    UnassignedReason,
)
from app.dispatch.solver.travel import TravelProvider

EPSILON = 1e-6
CANDIDATE_TIMES = 400
"""Start times tried per visit (the earliest of every free gap of every technician)."""
FIRST_SEGMENT_TRIES = 25
"""Placements of a multi-day task's first segment tried before it is left out."""
EARLINESS_WEIGHT = 1e-3
"""Between equally cheap placements, the earlier start wins."""

Window = tuple[float, float]
OPEN: tuple[Window, ...] = ((-math.inf, math.inf),)


def needs_crew_planner(problem: Problem) -> bool:
    return any(task.is_crew_work for task in problem.tasks)


@dataclass
class _Visit:
    node: int
    start: float
    end: float
    task: int
    segment: int | None
    lead: bool


@dataclass
class _Route:
    technician: int
    start_node: int
    end_node: int
    shift: Window
    visits: list[_Visit] = field(default_factory=list)
    load: float = 0.0
    tasks: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Slot:
    """A technician can start a visit at any time in [earliest, latest] in gap `position`."""

    technician: int
    position: int
    earliest: float
    latest: float
    extra_travel: float


class _Planner:
    def __init__(self, problem: Problem, travel: TravelProvider) -> None:
        self.problem = problem
        technicians = problem.technicians
        count = len(technicians)
        locations: list[Location] = [t.start for t in technicians] + [t.end for t in technicians]
        locations += [task.location for task in problem.tasks]
        table = travel.table(locations, locations)
        self.durations = np.asarray(table.durations, dtype=np.float64)
        self.distances = np.asarray(table.distances, dtype=np.float64)
        self.routes = [
            _Route(i, i, count + i, technician.shift) for i, technician in enumerate(technicians)
        ]
        self.task_node = [2 * count + i for i in range(len(problem.tasks))]
        self.index = {t.id: i for i, t in enumerate(technicians)}

    # --- who may do what ---------------------------------------------------------------

    def allowed(self, task: Task) -> list[int]:
        if task.technicians is None:
            return list(range(len(self.problem.technicians)))
        return [self.index[t] for t in task.technicians]

    def may_lead(self, task: Task, technician: Technician) -> bool:
        needs: dict[str, int] = dict(task.lead_skills)
        if task.crew == 1:
            for name, level in task.skills.items():
                needs[name] = max(level, needs.get(name, 0))
        if task.pinned is not None and technician.id != task.pinned.technician:
            return False
        return _meets(technician.skills, needs)

    def why_impossible(self, task: Task) -> UnassignedReason | None:
        allowed = self.allowed(task)
        if len(allowed) < task.crew:
            return UnassignedReason.NO_ALLOWED_TECHNICIAN
        technicians = self.problem.technicians
        if not any(self.may_lead(task, technicians[i]) for i in allowed):
            return UnassignedReason.NO_SKILLED_TECHNICIAN
        for name, level in task.skills.items():
            if not any(technicians[i].skills.get(name, 0) >= level for i in allowed):
                return UnassignedReason.NO_SKILLED_TECHNICIAN
        return None

    # --- free time -----------------------------------------------------------------------

    def slots(self, route: _Route, node: int, duration: float, demand: float) -> list[_Slot]:
        technician = self.problem.technicians[route.technician]
        if technician.capacity is not None and route.load + demand > technician.capacity + EPSILON:
            return []
        found = []
        stops = route.visits
        d = self.durations
        for position in range(len(stops) + 1):
            before, free_from = (
                (stops[position - 1].node, stops[position - 1].end)
                if position
                else (route.start_node, route.shift[0])
            )
            after, busy_from = (
                (stops[position].node, stops[position].start)
                if position < len(stops)
                else (route.end_node, route.shift[1])
            )
            earliest = free_from + d[before, node]
            latest = busy_from - duration - d[node, after]
            if earliest <= latest + EPSILON:
                extra = d[before, node] + d[node, after] - d[before, after]
                found.append(_Slot(route.technician, position, earliest, latest, float(extra)))
        return found

    def max_tasks_reached(self, route: _Route, task: int) -> bool:
        limit = self.problem.technicians[route.technician].max_tasks
        return limit is not None and task not in route.tasks and len(route.tasks) >= limit

    # --- placing -------------------------------------------------------------------------

    def place(self, position: int) -> bool:
        task = self.problem.tasks[position]
        parts = task.segments or ()
        pieces = [(s.duration, s.windows or OPEN) for s in parts] or [
            (task.duration, task.windows or OPEN)
        ]
        # A crew that cannot go on with the job on its next working day fails at every start
        # of the first day: its members are left out of the next crews tried.
        left_out: set[int] = set()
        tries = 0
        while tries < FIRST_SEGMENT_TRIES:
            options = self.first_options(position, pieces[0], left_out)
            if not options:
                return False
            for _, start, crew in options[: FIRST_SEGMENT_TRIES - tries]:
                tries += 1
                outcome = self.try_crew(position, pieces, crew, start, segmented=bool(parts))
                if outcome == "placed":
                    return True
                if outcome == "stuck":
                    left_out.update(crew)
                    break
            else:
                return False
        return False

    def try_crew(
        self,
        position: int,
        pieces: Sequence[tuple[float, tuple[Window, ...]]],
        crew: list[int],
        start: float,
        segmented: bool,
    ) -> str:
        """Places every piece with `crew` from `start` ("placed"), or undoes what it placed
        when a later piece cannot go on the crew's next working day ("stuck")."""
        placed = [self.commit(position, crew, start, pieces[0][0], 1 if segmented else None)]
        for number, (duration, windows) in enumerate(pieces[1:], start=2):
            previous = placed[-1][0]
            day_after = (math.floor(previous.start / DAY_MINUTES) + 1) * DAY_MINUTES
            begin = max(day_after, previous.end)
            later = self.common_start(position, crew, duration, windows, begin)
            # The job goes on the next day its windows open, or with another crew: a gap of
            # days in the middle of a job is not a plan a customer accepts.
            if later is None or math.floor(later / DAY_MINUTES) != next_working_day(windows, begin):
                for visits in placed:
                    self.undo(position, crew, visits)
                return "stuck"
            placed.append(self.commit(position, crew, later, duration, number))
        return "placed"

    def first_options(
        self,
        position: int,
        piece: tuple[float, tuple[Window, ...]],
        left_out: set[int] | frozenset[int] = frozenset(),
    ) -> list[tuple[float, float, list[int]]]:
        """(cost, start, crew lead first) of every start time a crew is free at, cheapest
        first."""
        task = self.problem.tasks[position]
        duration, windows = piece
        node = self.task_node[position]
        by_technician: dict[int, list[_Slot]] = {}
        for i in self.allowed(task):
            route = self.routes[i]
            if i in left_out or self.max_tasks_reached(route, position):
                continue
            by_technician[i] = self.slots(route, node, duration, task.demand)
        times = sorted(
            {
                _up(max(slot.earliest, low))
                for slots in by_technician.values()
                for slot in slots
                for low, high in windows
                if _up(max(slot.earliest, low)) <= min(slot.latest, high) + EPSILON
            }
        )[:CANDIDATE_TIMES]
        options = []
        for start in times:
            free = {
                i: min(s.extra_travel for s in slots if _fits(s, start))
                for i, slots in by_technician.items()
                if any(_fits(s, start) for s in slots)
            }
            crew = self.choose_crew(task, free)
            if crew is not None:
                cost = sum(free[i] for i in crew) + EARLINESS_WEIGHT * max(start, 0.0)
                preferred = task.preferred_technicians
                if preferred and self.problem.technicians[crew[0]].id in preferred:
                    cost -= PREFERENCE_BONUS_MINUTES
                options.append((cost, start, crew))
        options.sort(key=lambda option: (option[0], option[1]))
        return options

    def choose_crew(self, task: Task, free: Mapping[int, float]) -> list[int] | None:
        """The cheapest lead who may lead, then members covering the crew's skills, then the
        cheapest others; None when no such crew is free."""
        if len(free) < task.crew:
            return None
        technicians = self.problem.technicians
        cheapest = sorted(free, key=lambda i: (free[i], i))
        for lead in (i for i in cheapest if self.may_lead(task, technicians[i])):
            crew = [lead]
            for name, level in sorted(task.skills.items()):
                if any(technicians[i].skills.get(name, 0) >= level for i in crew):
                    continue
                holder = next(
                    (
                        i
                        for i in cheapest
                        if i not in crew and technicians[i].skills.get(name, 0) >= level
                    ),
                    None,
                )
                if holder is None or len(crew) == task.crew:
                    crew = []
                    break
                crew.append(holder)
            if not crew:
                continue
            crew += [i for i in cheapest if i not in crew][: task.crew - len(crew)]
            if len(crew) == task.crew:
                return crew
        return None

    def common_start(
        self,
        position: int,
        crew: Sequence[int],
        duration: float,
        windows: tuple[Window, ...],
        begin: float,
    ) -> float | None:
        """The earliest time from `begin` inside `windows` at which the whole crew is free."""
        node = self.task_node[position]
        slots = {i: self.slots(self.routes[i], node, duration, 0.0) for i in crew}
        times = sorted(
            {
                _up(max(slot.earliest, low, begin))
                for member in slots.values()
                for slot in member
                for low, high in windows
                if _up(max(slot.earliest, low, begin)) <= min(slot.latest, high) + EPSILON
            }
        )
        for start in times:
            if all(any(_fits(s, start) for s in slots[i]) for i in crew):
                return start
        return None

    def commit(
        self, position: int, crew: Sequence[int], start: float, duration: float, segment: int | None
    ) -> list[_Visit]:
        task = self.problem.tasks[position]
        node = self.task_node[position]
        visits = []
        for number, i in enumerate(crew):
            route = self.routes[i]
            lead = number == 0 and (task.crew > 1 or bool(task.lead_skills))
            visit = _Visit(node, start, start + duration, position, segment, lead)
            route.visits.append(visit)
            route.visits.sort(key=lambda v: v.start)
            if position not in route.tasks:
                route.tasks.add(position)
                route.load += task.demand
            visits.append(visit)
        return visits

    def undo(self, position: int, crew: Sequence[int], visits: Sequence[_Visit]) -> None:
        task = self.problem.tasks[position]
        for i, visit in zip(crew, visits, strict=True):
            route = self.routes[i]
            route.visits.remove(visit)
            if not any(v.task == position for v in route.visits):
                route.tasks.discard(position)
                route.load -= task.demand

    # --- the plan ------------------------------------------------------------------------

    def plan(self, unassigned: list[Unassigned], seconds: float) -> Plan:
        routes = []
        travel = distance = 0.0
        assigned: set[int] = set()
        for route in self.routes:
            if not route.visits:
                continue
            stops = []
            previous, clock = route.start_node, route.shift[0]
            for visit in route.visits:
                leg = self.durations[previous, visit.node]
                travel += float(leg)
                distance += float(self.distances[previous, visit.node])
                stops.append(
                    Stop(
                        task=self.problem.tasks[visit.task].id,
                        arrival=max(clock + float(leg), route.shift[0]),
                        start=visit.start,
                        end=visit.end,
                        segment=visit.segment,
                        lead=visit.lead,
                    )
                )
                assigned.add(visit.task)
                previous, clock = visit.node, visit.end
            travel += float(self.durations[previous, route.end_node])
            distance += float(self.distances[previous, route.end_node])
            technician = self.problem.technicians[route.technician].id
            routes.append(Route(technician=technician, stops=tuple(stops)))
        order = {t.id: i for i, t in enumerate(self.problem.tasks)}
        unassigned.sort(key=lambda u: order[u.task])
        stats = PlanStats(
            assigned=len(assigned),
            unassigned=len(unassigned),
            travel_time=round(travel, 6),
            distance=round(distance, 6),
            solve_seconds=seconds,
        )
        return Plan(routes=tuple(routes), unassigned=tuple(unassigned), stats=stats)


def next_working_day(windows: Sequence[Window], begin: float) -> int | None:
    """The first day, from `begin` on, on which one of a segment's windows is open."""
    days = [
        math.floor(max(low, begin) / DAY_MINUTES)
        for low, high in windows
        if max(low, begin) <= high and math.isfinite(max(low, begin))
    ]
    return min(days, default=None)


def _fits(slot: _Slot, start: float) -> bool:
    return slot.earliest - EPSILON <= start <= slot.latest + EPSILON


def _up(minutes: float) -> float:
    """Times are written to the hundredth of a minute: never round a start before arrival."""
    return math.ceil(minutes * 100 - 1e-7) / 100


def _meets(held: Mapping[str, int], needs: Mapping[str, int]) -> bool:
    return all(held.get(name, 0) >= level for name, level in needs.items())


def _difficulty(task: Task) -> tuple[int, int, int, int, float]:
    windows = [w for s in task.segments for w in s.windows] or list(task.windows)
    closes = min((high for _, high in windows), default=math.inf)
    return (
        0 if task.pinned is not None else 1,
        -task.priority,
        -task.crew,
        -len(task.segments),
        closes,
    )


def solve_crews(problem: Problem, travel: TravelProvider) -> Plan:
    """Plan a problem with crew or multi-day work (see the module's docstring)."""
    started = time.perf_counter()
    planner = _Planner(problem, travel)
    unassigned: list[Unassigned] = []
    for position in sorted(range(len(problem.tasks)), key=lambda i: _difficulty(problem.tasks[i])):
        task = problem.tasks[position]
        reason = planner.why_impossible(task)
        if reason is None and not planner.place(position):
            reason = UnassignedReason.NO_CAPACITY
        if reason is not None:
            unassigned.append(Unassigned(task.id, reason))
    return planner.plan(unassigned, time.perf_counter() - started)
