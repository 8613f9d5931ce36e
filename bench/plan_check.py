"""An independent feasibility checker for plans of problem files (DISPATCH.md and its crew
extension in docs/crews.md), written from the problem alone: it computes travel itself and
shares no code with the solver.

    errors = check_plan(problem_dict, plan_dict)   # [] when the plan is feasible

It checks every technician's day (travel between stops, windows, shift, no two stops at once,
skills, allowed technicians, max_tasks, capacity), that every task is served whole or listed
unassigned, and for crew and multi-day work: each part served by `crew` different technicians
starting together, one lead meeting `lead_skills`, the crew meeting `skills` together,
segments in order on later days, the same crew on every day; and for parts
(docs/dispatch_parts.md): a task needing parts is served by a van holding them (counted along
its route) or right after a pickup of them, on the same route, at a depot holding them
(counted across the plan).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

EPSILON = 0.01
"""Plans give times to the hundredth of a minute."""
DAY = 1440.0
EARTH_KM = 6371.0088


class _Travel:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.kind = spec.get("kind", "euclidean")
        self.speed = float(spec.get("speed", 1.0))
        self.speed_kmh = float(spec.get("speed_kmh", 50.0))
        self.detour = float(spec.get("detour", 1.3))
        self.matrix = spec.get("durations")

    def minutes(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
        if self.kind == "matrix":
            return float(self.matrix[a["index"]][b["index"]])  # type: ignore[index]
        if self.kind == "haversine":
            lat1, lng1, lat2, lng2 = map(math.radians, (a["lat"], a["lng"], b["lat"], b["lng"]))
            h = (
                math.sin((lat2 - lat1) / 2) ** 2
                + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
            )
            km = 2 * EARTH_KM * math.asin(math.sqrt(min(max(h, 0.0), 1.0))) * self.detour
            return km / self.speed_kmh * 60.0
        return math.hypot(a["x"] - b["x"], a["y"] - b["y"]) / self.speed


def _parts(task: Mapping[str, Any]) -> list[tuple[float, list[list[float]]]]:
    segments = task.get("segments") or []
    if segments:
        return [(float(s.get("duration", 0)), s.get("windows") or []) for s in segments]
    return [(float(task.get("duration", 0)), task.get("windows") or [])]


def _inside(start: float, windows: Sequence[Sequence[float]]) -> bool:
    return not windows or any(low - EPSILON <= start <= high + EPSILON for low, high in windows)


def _meets(held: Mapping[str, int], needs: Mapping[str, int]) -> bool:
    return all(held.get(name, 0) >= level for name, level in needs.items())


def check_plan(problem: Mapping[str, Any], plan: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    travel = _Travel(problem.get("travel", {"kind": "euclidean"}))
    technicians = {t["id"]: t for t in problem["technicians"]}
    tasks = {t["id"]: t for t in problem["tasks"]}
    depots = {d["id"]: d for d in problem.get("depots") or []}
    depot_units = {d["id"]: dict(d.get("stock") or {}) for d in depots.values()}
    served: dict[tuple[str, int], list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
    for route in plan["routes"]:
        technician = technicians.get(route["technician"])
        if technician is None:
            errors.append(f"unknown technician {route['technician']}")
            continue
        errors += _check_parts(technician, tasks, depot_units, route["stops"])
        errors += _check_day(travel, technician, tasks, depots, route["stops"])
        for stop in route["stops"]:
            if stop.get("kind") == "pickup":
                continue
            served[(stop["task"], int(stop.get("segment") or 1))].append((technician["id"], stop))
    unassigned = [item["task"] for item in plan["unassigned"]]
    for task_id in unassigned:
        if task_id not in tasks:
            errors.append(f"unknown unassigned task {task_id}")
        if any(key[0] == task_id for key in served):
            errors.append(f"task {task_id} is both served and unassigned")
    for task_id, task in tasks.items():
        if task_id in unassigned:
            continue
        errors += _check_task(task, technicians, served)
    if len(set(unassigned)) != len(unassigned):
        errors.append("a task is listed unassigned twice")
    return errors


def _check_day(
    travel: _Travel,
    technician: Mapping[str, Any],
    tasks: Mapping[str, Mapping[str, Any]],
    depots: Mapping[str, Mapping[str, Any]],
    stops: Sequence[Mapping[str, Any]],
) -> list[str]:
    errors = []
    who = technician["id"]
    shift = technician.get("shift", [0, 1440])
    clock, here = float(shift[0]), technician["start"]
    load, seen = 0.0, set()
    for stop in stops:
        if stop.get("kind") == "pickup":
            depot = depots.get(stop.get("depot", ""))
            if depot is None:
                errors.append(f"{who}: pickup at unknown depot {stop.get('depot')}")
                continue
            ready = clock + travel.minutes(here, depot["location"])
            if float(stop["start"]) < ready - EPSILON:
                errors.append(f"{who}: pickup for {stop['task']} at {stop['start']:g}, too early")
            clock, here = float(stop["end"]), depot["location"]
            continue
        task = tasks.get(stop["task"])
        if task is None:
            errors.append(f"{who}: unknown task {stop['task']}")
            continue
        parts = _parts(task)
        number = int(stop.get("segment") or 1)
        if not 1 <= number <= len(parts):
            errors.append(f"{who}: task {task['id']} has no segment {number}")
            continue
        duration, windows = parts[number - 1]
        start, end = float(stop["start"]), float(stop["end"])
        ready = clock + travel.minutes(here, task["location"])
        if start < ready - EPSILON:
            errors.append(
                f"{who}: {task['id']} starts at {start:g} but can be there at {ready:g} at the "
                "earliest (double-booked or no time to travel)"
            )
        if not _inside(start, windows):
            errors.append(f"{who}: {task['id']} starts at {start:g}, outside its windows")
        if abs(end - start - duration) > EPSILON:
            errors.append(f"{who}: {task['id']} lasts {end - start:g}, not {duration:g}")
        allowed = task.get("technicians")
        if allowed is not None and who not in allowed:
            errors.append(f"{who}: not allowed on {task['id']}")
        crew = int(task.get("crew", 1))
        if (
            crew == 1
            and not task.get("lead_skills")
            and not _meets(technician.get("skills") or {}, task.get("skills") or {})
        ):
            errors.append(f"{who}: lacks the skills of {task['id']}")
        if task["id"] not in seen:
            seen.add(task["id"])
            load += float(task.get("demand", 0))
        clock, here = end, task["location"]
    back = clock + travel.minutes(here, technician.get("end") or technician["start"])
    if stops and back > float(shift[1]) + EPSILON:
        errors.append(f"{who}: back at {back:g}, after the shift's end {shift[1]:g}")
    if technician.get("max_tasks") is not None and len(seen) > technician["max_tasks"]:
        errors.append(f"{who}: {len(seen)} tasks over max_tasks {technician['max_tasks']}")
    if technician.get("capacity") is not None and load > technician["capacity"] + EPSILON:
        errors.append(f"{who}: load {load:g} over capacity {technician['capacity']:g}")
    return errors


def _check_parts(
    technician: Mapping[str, Any],
    tasks: Mapping[str, Mapping[str, Any]],
    depot_units: dict[str, dict[str, int]],
    stops: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Each visit needing parts: from the van's units, or right after a pickup of them."""
    errors = []
    van = dict(technician.get("stock") or {})
    picked: Mapping[str, Any] | None = None
    for stop in stops:
        task = tasks.get(stop["task"]) or {}
        needs = task.get("parts") or {}
        if stop.get("kind") == "pickup":
            units = depot_units.get(stop.get("depot", ""), {})
            if not _meets(units, needs):
                errors.append(f"{stop['task']}: depot {stop.get('depot')} lacks its parts")
            for part, count in needs.items():
                units[part] = units.get(part, 0) - count
            picked = stop
            continue
        if needs and task.get("pinned") is None and int(task.get("crew", 1)) == 1:
            if picked is not None and picked["task"] == stop["task"]:
                pass
            elif _meets(van, needs):
                for part, count in needs.items():
                    van[part] = van.get(part, 0) - count
            else:
                errors.append(f"{technician['id']}: serves {stop['task']} without its parts")
        picked = None
    return errors


def _next_open_day(windows: Sequence[Sequence[float]], previous_start: float) -> int | None:
    """The first day after `previous_start`'s on which one of `windows` is open (None: open
    windows, any later day)."""
    begin = (math.floor(previous_start / DAY) + 1) * DAY
    days = [
        math.floor(max(float(w[0]), begin) / DAY)
        for w in windows
        if max(float(w[0]), begin) <= float(w[1])
    ]
    return min(days, default=None)


def _check_task(
    task: Mapping[str, Any],
    technicians: Mapping[str, Mapping[str, Any]],
    served: Mapping[tuple[str, int], list[tuple[str, Mapping[str, Any]]]],
) -> list[str]:
    errors = []
    name = task["id"]
    crew_size = int(task.get("crew", 1))
    parts = _parts(task)
    crews = []
    previous: Mapping[str, Any] | None = None
    for number in range(1, len(parts) + 1):
        visits = served.get((name, number), [])
        members = [who for who, _ in visits]
        if len(visits) == 0:
            errors.append(f"{name}: part {number} is neither served nor unassigned")
            continue
        if len(members) != crew_size or len(set(members)) != crew_size:
            errors.append(f"{name}: part {number} served by {members}, needs {crew_size} people")
        starts = {round(float(stop["start"]), 3) for _, stop in visits}
        if len(starts) > 1:
            errors.append(f"{name}: part {number}'s crew starts at different times {starts}")
        crews.append(frozenset(members))
        if crew_size > 1 or task.get("lead_skills"):
            leads = [who for who, stop in visits if stop.get("lead")]
            if len(leads) != 1:
                errors.append(f"{name}: part {number} has {len(leads)} leads")
            elif not _meets(
                technicians[leads[0]].get("skills") or {}, task.get("lead_skills") or {}
            ):
                errors.append(f"{name}: lead {leads[0]} lacks the lead's skills")
            together: dict[str, int] = {}
            for who in members:
                for skill, level in (technicians[who].get("skills") or {}).items():
                    together[skill] = max(level, together.get(skill, 0))
            if not _meets(together, task.get("skills") or {}):
                errors.append(f"{name}: the crew lacks the task's skills")
        stop = visits[0][1]
        if previous is not None:
            if float(stop["start"]) < float(previous["end"]) - EPSILON:
                errors.append(f"{name}: part {number} starts before part {number - 1} ends")
            day = math.floor(float(stop["start"]) / DAY)
            if day <= math.floor(float(previous["start"]) / DAY):
                errors.append(f"{name}: part {number} is not on a later day than part {number - 1}")
            else:
                expected = _next_open_day(parts[number - 1][1], float(previous["start"]))
                if expected is not None and day != expected:
                    errors.append(
                        f"{name}: part {number} is on day {day}, not on day {expected}, "
                        f"the next day its windows open after part {number - 1}"
                    )
        previous = stop
    if len(set(crews)) > 1:
        errors.append(f"{name}: a different crew on different days")
    return errors
