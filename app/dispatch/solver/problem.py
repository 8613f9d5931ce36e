"""The dispatch problem and plan: plain, picklable dataclasses and their JSON form.

The JSON form is the one of `DISPATCH.md`. Times are minutes from the horizon's start.
Parsing validates the input and raises `ProblemError` with the path of the faulty field.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]
MIN_PRIORITY = 1
MAX_PRIORITY = 5
MAX_SKILL_LEVEL = 5
MAX_CREW = 10
TRAVEL_KINDS = ("euclidean", "haversine", "matrix")


class ProblemError(ValueError):
    """The problem file is not valid; the message names the faulty field."""


class UnassignedReason(StrEnum):
    """Why the planner left a task out of the plan."""

    NO_SKILLED_TECHNICIAN = "NO_SKILLED_TECHNICIAN"
    """No technician in the problem has the skills at the levels it needs."""
    NO_ALLOWED_TECHNICIAN = "NO_ALLOWED_TECHNICIAN"
    """Its allowed technicians are excluded or absent."""
    NO_TIME_WINDOW_FIT = "NO_TIME_WINDOW_FIT"
    """No technician's shift can reach it inside its time windows."""
    NO_CAPACITY = "NO_CAPACITY"
    """The technicians who could do it have no time or capacity left."""
    NOT_WORTH_IT = "NOT_WORTH_IT"
    """Serving it would cost more than leaving it (lower priority, far away)."""
    PINNED_INFEASIBLE = "PINNED_INFEASIBLE"
    """Work pinned to a technician that their day cannot hold any more."""
    NO_TECHNICIAN = "NO_TECHNICIAN"
    """Nobody works in the horizon (no technician on shift in the territory)."""
    PARTS = "PARTS"
    """The parts it needs are in no technician's van and in no depot's stock (see
    `solver.parts`)."""


@dataclass(frozen=True)
class Location:
    """A place: planar `x, y`, geographic `lat, lng`, or a row `index` of a travel matrix."""

    x: float | None = None
    y: float | None = None
    lat: float | None = None
    lng: float | None = None
    index: int | None = None


@dataclass(frozen=True)
class Pin:
    """Work already accepted or under way: it stays with `technician`.

    The pinned tasks of one technician are visited in increasing `sequence`; the solver may
    insert other work between them when their windows allow it.
    """

    technician: str
    sequence: int


@dataclass(frozen=True)
class Current:
    """Where a re-planned task stands in the plan in force: its technician and start.

    Moving it (another technician, or a start away from `start`) costs: a `committed` visit
    (confirmed by the customer) as much as any saving a plan could make, so it moves only when
    keeping it is impossible; other planned work a little (see `stability`).
    """

    technician: str
    start: float
    committed: bool = False


@dataclass(frozen=True)
class Technician:
    id: str
    start: Location
    end: Location
    shift: tuple[float, float]
    skills: Mapping[str, int] = field(default_factory=dict)
    capacity: float | None = None
    max_tasks: int | None = None
    cost_per_minute: float = 1.0
    stock: Mapping[str, int] = field(default_factory=dict)
    """Units of each part in the technician's van (part id -> units available)."""


@dataclass(frozen=True)
class Segment:
    """One day's part of a multi-day task: its duration and the windows it may start in."""

    duration: float
    windows: tuple[tuple[float, float], ...] = ()


DAY_MINUTES = 1440.0
"""Segments of a multi-day task fall on different days of this length, from time 0."""


@dataclass(frozen=True)
class Task:
    """A visit. Service starts inside one of `windows` (none: any time in the shift).

    `deadline` is a soft bound on the service's end (lateness is costed);
    `preferred_technicians` earn a bonus when one of them serves the task.
    `crew` technicians serve it together, starting at the same time; the first of them, the
    lead, meets `lead_skills` and the crew as a whole meets `skills`. A task with `segments` is
    served in those parts, in order, each on a later day than the one before, by the same crew
    (its own `duration` and `windows` are then unused).
    """

    id: str
    location: Location
    duration: float = 0.0
    windows: tuple[tuple[float, float], ...] = ()
    skills: Mapping[str, int] = field(default_factory=dict)
    priority: int = 3
    demand: float = 0.0
    technicians: tuple[str, ...] | None = None
    pinned: Pin | None = None
    preferred_technicians: tuple[str, ...] | None = None
    deadline: float | None = None
    crew: int = 1
    lead_skills: Mapping[str, int] = field(default_factory=dict)
    segments: tuple[Segment, ...] = ()
    current: Current | None = None
    """Its place in the plan in force, when it is re-planned."""
    parts: Mapping[str, int] = field(default_factory=dict)
    """Units of each part the visit needs: from the van, or picked up at a depot on the way."""

    @property
    def is_crew_work(self) -> bool:
        """Needs the crew planner: several technicians at once, or several days."""
        return self.crew > 1 or bool(self.segments) or bool(self.lead_skills)


@dataclass(frozen=True, eq=False)
class TravelSpec:
    kind: str = "euclidean"
    speed: float = 1.0
    speed_kmh: float = 50.0
    detour: float = 1.3
    durations: FloatMatrix | None = None
    distances: FloatMatrix | None = None


@dataclass(frozen=True)
class Depot:
    """A stock location where technicians pick parts up on their way to a visit."""

    id: str
    location: Location
    stock: Mapping[str, int] = field(default_factory=dict)
    pickup_minutes: float = 10.0


@dataclass(frozen=True, eq=False)
class Problem:
    travel: TravelSpec
    technicians: tuple[Technician, ...]
    tasks: tuple[Task, ...]
    depots: tuple[Depot, ...] = ()


@dataclass(frozen=True)
class Stop:
    task: str
    arrival: float
    start: float
    end: float
    segment: int | None = None
    """The part (from 1) of a multi-day task this stop serves; None for a plain visit."""
    lead: bool = False
    """This technician leads the crew of a crew task."""
    kind: str = "task"
    """"task" (a visit) or "pickup" (parts collected at `depot` for the visit `task`)."""
    depot: str | None = None
    parts: tuple[tuple[str, int], ...] = ()
    """A pickup's parts; on a visit, the parts taken from the technician's van."""


@dataclass(frozen=True)
class Route:
    technician: str
    stops: tuple[Stop, ...]


@dataclass(frozen=True)
class Unassigned:
    task: str
    reason: UnassignedReason


@dataclass(frozen=True)
class PlanStats:
    assigned: int
    unassigned: int
    travel_time: float
    distance: float
    solve_seconds: float
    handover_failures: int = 0
    """Unexpected failures handing a plan from one engine to the next (each logged with its
    cause); the plan is then the best one found before the failure."""


@dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    stats: PlanStats


# --- parsing -------------------------------------------------------------------------------


def load_problem(path: str) -> Problem:
    with open(path, encoding="utf-8") as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as error:
            raise ProblemError(f"{path}: not valid JSON ({error})") from error
    return parse_problem(data)


def parse_problem(data: Any) -> Problem:
    if not isinstance(data, dict):
        raise ProblemError("the problem must be a JSON object")
    travel = _parse_travel(data.get("travel", {"kind": "euclidean"}))
    technicians = tuple(
        _parse_technician(item, f"technicians[{i}]")
        for i, item in enumerate(_list(data, "technicians", ""))
    )
    tasks = tuple(
        _parse_task(item, f"tasks[{i}]") for i, item in enumerate(_list(data, "tasks", ""))
    )
    depots = tuple(
        _parse_depot(item, f"depots[{i}]") for i, item in enumerate(_list(data, "depots", ""))
    )
    problem = Problem(travel=travel, technicians=technicians, tasks=tasks, depots=depots)
    validate_problem(problem)
    return problem


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ProblemError(f"{where}{key}: expected a list")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProblemError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _optional_number(value: Any, where: str) -> float | None:
    return None if value is None else _number(value, where)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(f"{where}: expected an integer, got {value!r}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProblemError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _interval(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ProblemError(f"{where}: expected [start, end]")
    start, end = _number(value[0], f"{where}[0]"), _number(value[1], f"{where}[1]")
    if start > end:
        raise ProblemError(f"{where}: start {start:g} is after end {end:g}")
    return start, end


def _skills(value: Any, where: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected an object of skill levels")
    skills = {}
    for name, level in value.items():
        level = _integer(level, f"{where}.{name}")
        if not 1 <= level <= MAX_SKILL_LEVEL:
            raise ProblemError(f"{where}.{name}: level must be 1..{MAX_SKILL_LEVEL}, got {level}")
        skills[name] = level
    return skills


def _id_list(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ProblemError(f"{where}: expected a list of technician ids")
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(value))


def _parse_location(value: Any, where: str) -> Location:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected a location object")
    if "index" in value:
        x, y = value.get("x"), value.get("y")
        return Location(
            index=_integer(value["index"], f"{where}.index"),
            x=_optional_number(x, f"{where}.x"),
            y=_optional_number(y, f"{where}.y"),
        )
    if "lat" in value or "lng" in value:
        lat = _number(value.get("lat"), f"{where}.lat")
        lng = _number(value.get("lng"), f"{where}.lng")
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ProblemError(f"{where}: latitude/longitude out of range")
        return Location(lat=lat, lng=lng)
    return Location(
        x=_number(value.get("x"), f"{where}.x"), y=_number(value.get("y"), f"{where}.y")
    )


def _matrix(value: Any, where: str) -> FloatMatrix | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ProblemError(f"{where}: expected a square matrix (list of rows)")
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != len(value):
            raise ProblemError(f"{where}[{i}]: expected a row of {len(value)} numbers")
    try:
        matrix = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ProblemError(f"{where}: expected numbers only ({error})") from error
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise ProblemError(f"{where}: entries must be finite and not negative")
    return matrix


def _parse_travel(value: Any) -> TravelSpec:
    if not isinstance(value, dict):
        raise ProblemError("travel: expected an object")
    kind = value.get("kind", "euclidean")
    if kind not in TRAVEL_KINDS:
        raise ProblemError(f"travel.kind: expected one of {', '.join(TRAVEL_KINDS)}, got {kind!r}")
    spec = TravelSpec(
        kind=kind,
        speed=_number(value.get("speed", 1.0), "travel.speed"),
        speed_kmh=_number(value.get("speed_kmh", 50.0), "travel.speed_kmh"),
        detour=_number(value.get("detour", 1.3), "travel.detour"),
        durations=_matrix(value.get("durations"), "travel.durations"),
        distances=_matrix(value.get("distances"), "travel.distances"),
    )
    if spec.speed <= 0 or spec.speed_kmh <= 0 or spec.detour <= 0:
        raise ProblemError("travel: speed, speed_kmh and detour must be positive")
    return spec


def _parse_technician(value: Any, where: str) -> Technician:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected an object")
    start = _parse_location(value.get("start"), f"{where}.start")
    end_value = value.get("end")
    max_tasks = value.get("max_tasks")
    return Technician(
        id=_text(value.get("id"), f"{where}.id"),
        start=start,
        end=start if end_value is None else _parse_location(end_value, f"{where}.end"),
        shift=_interval(value.get("shift", [0, 1440]), f"{where}.shift"),
        skills=_skills(value.get("skills"), f"{where}.skills"),
        capacity=_optional_number(value.get("capacity"), f"{where}.capacity"),
        max_tasks=None if max_tasks is None else _integer(max_tasks, f"{where}.max_tasks"),
        cost_per_minute=_number(value.get("cost_per_minute", 1.0), f"{where}.cost_per_minute"),
        stock=_units(value.get("stock"), f"{where}.stock"),
    )


def _units(value: Any, where: str) -> dict[str, int]:
    """Part id -> units, each a positive integer."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected an object of part units")
    units = {}
    for part, count in value.items():
        count = _integer(count, f"{where}.{part}")
        if count < 1:
            raise ProblemError(f"{where}.{part}: units must be positive, got {count}")
        units[_text(part, f"{where}")] = count
    return units


def _parse_depot(value: Any, where: str) -> Depot:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected an object")
    minutes = _number(value.get("pickup_minutes", 10.0), f"{where}.pickup_minutes")
    if minutes < 0:
        raise ProblemError(f"{where}.pickup_minutes: must not be negative")
    return Depot(
        id=_text(value.get("id"), f"{where}.id"),
        location=_parse_location(value.get("location"), f"{where}.location"),
        stock=_units(value.get("stock"), f"{where}.stock"),
        pickup_minutes=minutes,
    )


def _parse_windows(value: Any, where: str) -> tuple[tuple[float, float], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProblemError(f"{where}: expected a list of [start, end] windows")
    windows = sorted(_interval(item, f"{where}[{i}]") for i, item in enumerate(value))
    for (_, previous_end), (start, _) in itertools.pairwise(windows):
        if start <= previous_end:
            raise ProblemError(f"{where}: windows overlap or touch at {start:g}")
    return tuple(windows)


def _parse_pin(value: Any, where: str) -> Pin | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected {{technician, sequence}}")
    return Pin(
        technician=_text(value.get("technician"), f"{where}.technician"),
        sequence=_integer(value.get("sequence", 0), f"{where}.sequence"),
    )


def _parse_task(value: Any, where: str) -> Task:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected an object")
    return Task(
        id=_text(value.get("id"), f"{where}.id"),
        location=_parse_location(value.get("location"), f"{where}.location"),
        duration=_number(value.get("duration", 0), f"{where}.duration"),
        windows=_parse_windows(value.get("windows"), f"{where}.windows"),
        skills=_skills(value.get("skills"), f"{where}.skills"),
        priority=_integer(value.get("priority", 3), f"{where}.priority"),
        demand=_number(value.get("demand", 0), f"{where}.demand"),
        technicians=_id_list(value.get("technicians"), f"{where}.technicians"),
        pinned=_parse_pin(value.get("pinned"), f"{where}.pinned"),
        preferred_technicians=_id_list(
            value.get("preferred_technicians"), f"{where}.preferred_technicians"
        ),
        deadline=_optional_number(value.get("deadline"), f"{where}.deadline"),
        crew=_integer(value.get("crew", 1), f"{where}.crew"),
        lead_skills=_skills(value.get("lead_skills"), f"{where}.lead_skills"),
        segments=_parse_segments(value.get("segments"), f"{where}.segments"),
        current=_parse_current(value.get("current"), f"{where}.current"),
        parts=_units(value.get("parts"), f"{where}.parts"),
    )


def _parse_current(value: Any, where: str) -> Current | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected {{technician, start, committed}}")
    committed = value.get("committed", False)
    if not isinstance(committed, bool):
        raise ProblemError(f"{where}.committed: expected true or false")
    return Current(
        technician=_text(value.get("technician"), f"{where}.technician"),
        start=_number(value.get("start"), f"{where}.start"),
        committed=committed,
    )


def _parse_segments(value: Any, where: str) -> tuple[Segment, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProblemError(f"{where}: expected a list of {{duration, windows}}")
    segments = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ProblemError(f"{where}[{i}]: expected {{duration, windows}}")
        segments.append(
            Segment(
                duration=_number(item.get("duration", 0), f"{where}[{i}].duration"),
                windows=_parse_windows(item.get("windows"), f"{where}[{i}].windows"),
            )
        )
    return tuple(segments)


# --- validation ----------------------------------------------------------------------------


def validate_problem(problem: Problem) -> None:
    """Check cross-references and value ranges; raise `ProblemError` on the first fault."""
    technician_ids = _unique_ids([t.id for t in problem.technicians], "technicians")
    _unique_ids([t.id for t in problem.tasks], "tasks")
    _unique_ids([d.id for d in problem.depots], "depots")
    for i, technician in enumerate(problem.technicians):
        _validate_technician(technician, f"technicians[{i}]")
    for i, task in enumerate(problem.tasks):
        _validate_task(task, technician_ids, f"tasks[{i}]")
    _validate_locations(problem)


def _unique_ids(ids: Sequence[str], where: str) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise ProblemError(f"{where}[{i}].id: duplicate id {item!r}")
        seen.add(item)
    return seen


def _validate_technician(technician: Technician, where: str) -> None:
    if technician.capacity is not None and technician.capacity < 0:
        raise ProblemError(f"{where}.capacity: must not be negative")
    if technician.max_tasks is not None and technician.max_tasks < 0:
        raise ProblemError(f"{where}.max_tasks: must not be negative")
    if technician.cost_per_minute < 0:
        raise ProblemError(f"{where}.cost_per_minute: must not be negative")


def _validate_task(task: Task, technician_ids: set[str], where: str) -> None:
    if task.duration < 0:
        raise ProblemError(f"{where}.duration: must not be negative")
    if task.demand < 0:
        raise ProblemError(f"{where}.demand: must not be negative")
    if not MIN_PRIORITY <= task.priority <= MAX_PRIORITY:
        raise ProblemError(f"{where}.priority: must be {MIN_PRIORITY}..{MAX_PRIORITY}")
    for key, ids in (
        ("technicians", task.technicians),
        ("preferred_technicians", task.preferred_technicians),
    ):
        for technician in ids or ():
            if technician not in technician_ids:
                raise ProblemError(f"{where}.{key}: unknown technician {technician!r}")
    if task.pinned is not None and task.pinned.technician not in technician_ids:
        raise ProblemError(
            f"{where}.pinned.technician: unknown technician {task.pinned.technician!r}"
        )
    if task.current is not None and task.current.technician not in technician_ids:
        raise ProblemError(
            f"{where}.current.technician: unknown technician {task.current.technician!r}"
        )
    if not 1 <= task.crew <= MAX_CREW:
        raise ProblemError(f"{where}.crew: must be 1..{MAX_CREW}")
    for i, segment in enumerate(task.segments):
        if segment.duration < 0:
            raise ProblemError(f"{where}.segments[{i}].duration: must not be negative")


def _validate_locations(problem: Problem) -> None:
    kind = problem.travel.kind
    located = [
        *((f"technicians[{i}].start", t.start) for i, t in enumerate(problem.technicians)),
        *((f"technicians[{i}].end", t.end) for i, t in enumerate(problem.technicians)),
        *((f"tasks[{i}].location", t.location) for i, t in enumerate(problem.tasks)),
        *((f"depots[{i}].location", d.location) for i, d in enumerate(problem.depots)),
    ]
    durations = problem.travel.durations
    size = 0 if durations is None else len(durations)
    for where, location in located:
        if kind == "matrix" and location.index is None:
            raise ProblemError(f"{where}: matrix travel needs {{'index': i}}")
        if kind == "matrix" and not 0 <= (location.index or 0) < size:
            raise ProblemError(
                f"{where}.index: {location.index} is outside the {size}x{size} matrix"
            )
        if kind == "euclidean" and location.x is None:
            raise ProblemError(f"{where}: euclidean travel needs {{'x', 'y'}}")
        if kind == "haversine" and location.lat is None:
            raise ProblemError(f"{where}: haversine travel needs {{'lat', 'lng'}}")
    if kind == "matrix" and problem.travel.durations is None:
        raise ProblemError("travel.durations: required for matrix travel")
    distances = problem.travel.distances
    if kind == "matrix" and distances is not None and len(distances) != size:
        raise ProblemError("travel.distances: must have the size of travel.durations")


# --- serialisation -------------------------------------------------------------------------


def _minutes(value: float) -> float:
    return round(value, 2)


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "routes": [
            {
                "technician": route.technician,
                "stops": [_stop_to_dict(stop) for stop in route.stops],
            }
            for route in plan.routes
        ],
        "unassigned": [{"task": item.task, "reason": str(item.reason)} for item in plan.unassigned],
        "stats": {
            "assigned": plan.stats.assigned,
            "unassigned": plan.stats.unassigned,
            "travel_time": _minutes(plan.stats.travel_time),
            "distance": _minutes(plan.stats.distance),
            "solve_seconds": _minutes(plan.stats.solve_seconds),
            "handover_failures": plan.stats.handover_failures,
        },
    }


def _stop_to_dict(stop: Stop) -> dict[str, Any]:
    row: dict[str, Any] = {
        "task": stop.task,
        "arrival": _minutes(stop.arrival),
        "start": _minutes(stop.start),
        "end": _minutes(stop.end),
    }
    if stop.segment is not None:
        row["segment"] = stop.segment
    if stop.lead:
        row["lead"] = True
    if stop.kind != "task":
        row["kind"] = stop.kind
    if stop.depot is not None:
        row["depot"] = stop.depot
    if stop.parts:
        row["parts"] = dict(stop.parts)
    return row


def plan_to_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2)


def _location_to_dict(location: Location) -> dict[str, Any]:
    if location.index is not None and location.x is not None:
        return {"index": location.index, "x": location.x, "y": location.y}
    if location.index is not None:
        return {"index": location.index}
    if location.lat is not None:
        return {"lat": location.lat, "lng": location.lng}
    return {"x": location.x, "y": location.y}


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The JSON form of a problem (used to write benchmark and bug-report files)."""
    travel: dict[str, Any] = {"kind": problem.travel.kind}
    if problem.travel.kind == "euclidean":
        travel["speed"] = problem.travel.speed
    elif problem.travel.kind == "haversine":
        travel |= {"speed_kmh": problem.travel.speed_kmh, "detour": problem.travel.detour}
    else:
        if problem.travel.durations is not None:
            travel["durations"] = problem.travel.durations.tolist()
        if problem.travel.distances is not None:
            travel["distances"] = problem.travel.distances.tolist()
    found: dict[str, Any] = {
        "travel": travel,
        "technicians": [_technician_to_dict(t) for t in problem.technicians],
        "tasks": [_task_to_dict(t) for t in problem.tasks],
    }
    if problem.depots:
        found["depots"] = [
            {
                "id": d.id,
                "location": _location_to_dict(d.location),
                "stock": dict(d.stock),
                "pickup_minutes": d.pickup_minutes,
            }
            for d in problem.depots
        ]
    return found


def _technician_to_dict(technician: Technician) -> dict[str, Any]:
    stock = {"stock": dict(technician.stock)} if technician.stock else {}
    return stock | {
        "id": technician.id,
        "start": _location_to_dict(technician.start),
        "end": _location_to_dict(technician.end),
        "shift": list(technician.shift),
        "skills": dict(technician.skills),
        "capacity": technician.capacity,
        "max_tasks": technician.max_tasks,
        "cost_per_minute": technician.cost_per_minute,
    }


def _task_to_dict(task: Task) -> dict[str, Any]:
    pinned = task.pinned
    return (
        {
            "id": task.id,
            "location": _location_to_dict(task.location),
            "duration": task.duration,
            "windows": [list(window) for window in task.windows],
            "skills": dict(task.skills),
            "priority": task.priority,
            "demand": task.demand,
            "technicians": None if task.technicians is None else list(task.technicians),
            "pinned": None
            if pinned is None
            else {"technician": pinned.technician, "sequence": pinned.sequence},
            "preferred_technicians": None
            if task.preferred_technicians is None
            else list(task.preferred_technicians),
            "deadline": task.deadline,
        }
        | _crew_to_dict(task)
        | _current_to_dict(task)
    )


def _current_to_dict(task: Task) -> dict[str, Any]:
    """Only on re-planned tasks: other problems' files stay as they were."""
    current = task.current
    if current is None:
        return {}
    return {
        "current": {
            "technician": current.technician,
            "start": current.start,
            "committed": current.committed,
        }
    }


def _crew_to_dict(task: Task) -> dict[str, Any]:
    """The crew fields, only where a task has them: other problems' files stay as they were."""
    extra: dict[str, Any] = {}
    if task.crew != 1:
        extra["crew"] = task.crew
    if task.lead_skills:
        extra["lead_skills"] = dict(task.lead_skills)
    if task.parts:
        extra["parts"] = dict(task.parts)
    if task.segments:
        extra["segments"] = [
            {"duration": s.duration, "windows": [list(w) for w in s.windows]} for s in task.segments
        ]
    return extra
