"""Our dispatch solver against VROOM on generated field-service days.

    python -m bench.field_day                          # 20x150, 30x300, 60x800; 10 days; 10 s
    python -m bench.field_day --sizes 30x300 --days 3 --seconds 10
    python -m bench.field_day --quick                  # one small day, a smoke run

A day (`field_day(technicians, tasks, seed)`) is a city of 40 x 40 km with a few busy
neighbourhoods; technicians start and end at their own homes spread over it, on shifts of 8 or
9 hours starting between 7:00 and 9:00; each has one to three skills at levels 1 to 3, and a
task needs one skill at a level. Most tasks have a two-hour appointment window (service starts
inside it), the others may be done any time of the day; service takes 20 to 120 minutes;
priorities are 1 to 3 with a few urgent ones (4). There is more work than hands, so both
solvers leave tasks out and the priority of what they serve decides.

Both solvers get the same integer travel matrix (seconds, a multiple of 3 so that minutes in
hundredths are exact for ours), the same skills (VROOM's skill ids are one per skill and level,
a technician holding every level up to his own), and the same worth of each task: VROOM's
priority is our weight of the task's priority (1, 4, 16, 64), which both maximise first.
Every plan is re-timed by `bench.plan_check` (windows, shifts, skills, travel) and its figures
are computed here from its routes, not taken from the solver.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.data import PRIORITY_WEIGHTS
from app.dispatch.solver.problem import (
    Location,
    Plan,
    Problem,
    Task,
    Technician,
    TravelSpec,
    problem_to_dict,
)
from bench.plan_check import check_plan

CITY_KM = 40.0
SPEED_KMH = 35.0
DETOUR = 1.3
PARKING_SECONDS = 180
"""Added to every trip between two different places: parking and walking in."""
SKILLS = ("hvac", "electrical", "plumbing", "appliances")
WINDOW_STARTS = tuple(range(8 * 60, 17 * 60, 60))
"""Two-hour appointment windows open on the hour from 8:00 to 16:00."""
ALL_DAY_SHARE = 0.25
PRIORITIES = ((1, 0.30), (2, 0.37), (3, 0.26), (4, 0.07))
DURATIONS = (20, 30, 30, 45, 45, 45, 60, 60, 60, 75, 90, 90, 120)
DEFAULT_SIZES = "20x150,30x300,60x800"


# --- the day -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDay:
    """One generated day: our problem (travel as a matrix of minutes) and its matrix in whole
    seconds; rows and columns: technicians' starts, their ends, then tasks."""

    problem: Problem
    seconds: np.ndarray

    @property
    def technician_count(self) -> int:
        return len(self.problem.technicians)


def field_day(technicians: int, tasks: int, seed: int) -> FieldDay:
    rng = random.Random(seed)
    homes = [_uniform_point(rng) for _ in range(technicians)]
    centres = [_uniform_point(rng) for _ in range(max(2, tasks // 60))]
    places = [_task_point(rng, centres) for _ in range(tasks)]
    points = homes + homes + places
    seconds = _travel_seconds(points)
    crew = [_technician(rng, j, technicians) for j in range(technicians)]
    work = [_task(rng, i, technicians, crew) for i in range(tasks)]
    problem = Problem(
        travel=TravelSpec(kind="matrix", durations=seconds / 60.0),
        technicians=tuple(crew),
        tasks=tuple(work),
    )
    return FieldDay(problem=problem, seconds=seconds)


def _uniform_point(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(0, CITY_KM), rng.uniform(0, CITY_KM)


def _task_point(rng: random.Random, centres: Sequence[tuple[float, float]]) -> tuple[float, float]:
    if rng.random() < 0.35:
        return _uniform_point(rng)
    x, y = rng.choice(centres)
    return (
        min(CITY_KM, max(0.0, rng.gauss(x, 3.0))),
        min(CITY_KM, max(0.0, rng.gauss(y, 3.0))),
    )


def _travel_seconds(points: Sequence[tuple[float, float]]) -> np.ndarray:
    xy = np.array(points, dtype=np.float64)
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) * DETOUR
    seconds = km / SPEED_KMH * 3600 + PARKING_SECONDS
    seconds = (np.rint(seconds / 3) * 3).astype(np.int64)
    seconds[km == 0] = 0
    return seconds


def _technician(rng: random.Random, j: int, count: int) -> Technician:
    start = rng.choice(range(7 * 60, 9 * 60 + 1, 30))
    length = rng.choice((8 * 60, 8 * 60, 9 * 60))
    held = rng.sample(SKILLS, rng.choice((1, 2, 2, 3)))
    return Technician(
        id=f"tech-{j}",
        start=Location(index=j),
        end=Location(index=count + j),
        shift=(float(start), float(start + length)),
        skills={name: rng.choice((1, 1, 2, 2, 3)) for name in held},
    )


def _task(rng: random.Random, i: int, technicians: int, crew: Sequence[Technician]) -> Task:
    skill = rng.choice(SKILLS)
    level = rng.choices((1, 2, 3), weights=(0.6, 0.3, 0.1))[0]
    best = max((t.skills.get(skill, 0) for t in crew), default=0)
    if best == 0:
        skills: dict[str, int] = {}
    else:
        skills = {skill: min(level, best)}
    windows: tuple[tuple[float, float], ...] = ()
    if rng.random() >= ALL_DAY_SHARE:
        opens = float(rng.choice(WINDOW_STARTS))
        windows = ((opens, opens + 120.0),)
    priority = rng.choices([p for p, _ in PRIORITIES], weights=[w for _, w in PRIORITIES])[0]
    return Task(
        id=f"task-{i}",
        location=Location(index=2 * technicians + i),
        duration=float(rng.choice(DURATIONS)),
        windows=windows,
        skills=skills,
        priority=priority,
    )


# --- plans as the checker reads them -------------------------------------------------------


def our_plan(plan: Plan) -> dict[str, Any]:
    """Our plan in the JSON form, times unrounded (the checker allows a hundredth)."""
    return {
        "routes": [
            {
                "technician": route.technician,
                "stops": [
                    {"task": s.task, "arrival": s.arrival, "start": s.start, "end": s.end}
                    for s in route.stops
                ],
            }
            for route in plan.routes
        ],
        "unassigned": [{"task": u.task} for u in plan.unassigned],
    }


def vroom_plan(day: FieldDay, seconds: float) -> dict[str, Any]:
    """VROOM's plan of the day in our plan's JSON form (times in minutes)."""
    import vroom

    problem = day.problem
    count = day.technician_count
    instance = vroom.Input()
    instance.set_durations_matrix(profile="car", matrix_input=day.seconds)
    skill_ids = _skill_ids(problem)
    for j, technician in enumerate(problem.technicians):
        held = {
            skill_ids[(name, level)]
            for name, top in technician.skills.items()
            for level in range(1, top + 1)
            if (name, level) in skill_ids
        }
        instance.add_vehicle(
            vroom.Vehicle(
                id=j,
                start=j,
                end=count + j,
                skills=held,
                time_window=vroom.TimeWindow(
                    round(technician.shift[0] * 60), round(technician.shift[1] * 60)
                ),
            )
        )
    for i, task in enumerate(problem.tasks):
        instance.add_job(
            vroom.Job(
                id=i,
                location=2 * count + i,
                default_service=round(task.duration * 60),
                skills={skill_ids[(name, level)] for name, level in task.skills.items()},
                priority=PRIORITY_WEIGHTS[task.priority],
                time_windows=[
                    vroom.TimeWindow(round(a * 60), round(b * 60)) for a, b in task.windows
                ],
            )
        )
    solution = instance.solve(exploration_level=5, nb_threads=2, timeout=timedelta(seconds=seconds))
    return _vroom_to_plan(problem, solution)


def _skill_ids(problem: Problem) -> dict[tuple[str, int], int]:
    pairs = sorted(
        {
            (name, level)
            for t in problem.technicians
            for name, top in t.skills.items()
            for level in range(1, top + 1)
        }
        | {pair for task in problem.tasks for pair in task.skills.items()}
    )
    return {pair: k for k, pair in enumerate(pairs)}


def _vroom_to_plan(problem: Problem, solution: Any) -> dict[str, Any]:
    frame = solution.routes
    routes: dict[int, list[dict[str, Any]]] = {}
    served: set[int] = set()
    for row in frame.itertuples():
        if row.type != "job":
            continue
        job = int(row.id)
        served.add(job)
        task = problem.tasks[job]
        start = (int(row.arrival) + int(row.waiting_time)) / 60.0
        routes.setdefault(int(row.vehicle_id), []).append(
            {
                "task": task.id,
                "arrival": int(row.arrival) / 60.0,
                "start": start,
                "end": start + task.duration,
            }
        )
    return {
        "routes": [
            {"technician": problem.technicians[v].id, "stops": stops}
            for v, stops in sorted(routes.items())
        ],
        "unassigned": [{"task": t.id} for i, t in enumerate(problem.tasks) if i not in served],
    }


# --- figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    served_weight: int
    served: int
    travel_minutes: float
    seconds: float
    errors: tuple[str, ...]


def figures(day: FieldDay, plan: Mapping[str, Any], seconds: float) -> Figures:
    """What a plan serves and drives, from its routes and the day's matrix; and what the
    independent checker finds wrong with it."""
    problem = day.problem
    task_of = {t.id: i for i, t in enumerate(problem.tasks)}
    vehicle_of = {t.id: j for j, t in enumerate(problem.technicians)}
    count = day.technician_count
    weight = served = travel = 0
    for route in plan["routes"]:
        if not route["stops"]:
            continue
        vehicle = vehicle_of[route["technician"]]
        nodes = [
            vehicle,
            *(2 * count + task_of[s["task"]] for s in route["stops"]),
            count + vehicle,
        ]
        travel += sum(int(day.seconds[a, b]) for a, b in itertools.pairwise(nodes))
        for stop in route["stops"]:
            served += 1
            weight += PRIORITY_WEIGHTS[problem.tasks[task_of[stop["task"]]].priority]
    errors = tuple(check_plan(problem_to_dict(problem), plan))
    return Figures(weight, served, travel / 60.0, seconds, errors)


def run_day(day: FieldDay, seconds: float) -> tuple[Figures, Figures]:
    started = time.perf_counter()
    plan = solve(day.problem, SolveOptions(time_limit=seconds))
    ours = figures(day, our_plan(plan), time.perf_counter() - started)
    started = time.perf_counter()
    theirs_plan = vroom_plan(day, seconds)
    theirs = figures(day, theirs_plan, time.perf_counter() - started)
    return ours, theirs


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def run_size(technicians: int, tasks: int, days: int, seconds: float) -> None:
    print(f"\n{technicians} technicians x {tasks} tasks, {days} days, {seconds:g} s")
    print(
        f"{'day':>4} {'ours weight':>11} {'vroom':>7} {'ratio':>6}  {'ours n':>6} {'vroom':>6}"
        f"  {'ours travel':>11} {'vroom':>8} {'ratio':>6}  {'ours s':>6} {'vroom s':>7}"
    )
    rows = []
    for seed in range(1, days + 1):
        day = field_day(technicians, tasks, seed)
        ours, theirs = run_day(day, seconds)
        rows.append((ours, theirs))
        for name, result in (("ours", ours), ("vroom", theirs)):
            for error in result.errors[:5]:
                print(f"     {name} INVALID: {error}")
        print(
            f"{seed:>4} {ours.served_weight:>11} {theirs.served_weight:>7} "
            f"{_ratio(ours.served_weight, theirs.served_weight):>6.3f}  {ours.served:>6} "
            f"{theirs.served:>6}  {ours.travel_minutes:>11.0f} {theirs.travel_minutes:>8.0f} "
            f"{_ratio(ours.travel_minutes, theirs.travel_minutes):>6.3f}  {ours.seconds:>6.1f} "
            f"{theirs.seconds:>7.1f}"
        )
    mean = statistics.fmean
    weight_ratio = mean(_ratio(o.served_weight, t.served_weight) for o, t in rows)
    travel_ratio = mean(_ratio(o.travel_minutes, t.travel_minutes) for o, t in rows)
    print(
        f"mean {mean(o.served_weight for o, _ in rows):>11.1f} "
        f"{mean(t.served_weight for _, t in rows):>7.1f} {weight_ratio:>6.3f}  "
        f"{mean(o.served for o, _ in rows):>6.1f} {mean(t.served for _, t in rows):>6.1f}  "
        f"{mean(o.travel_minutes for o, _ in rows):>11.0f} "
        f"{mean(t.travel_minutes for _, t in rows):>8.0f} {travel_ratio:>6.3f}"
    )
    invalid = sum(1 for o, t in rows for r in (o, t) if r.errors)
    offered = _offered(technicians, tasks, days)
    print(f"invalid plans: {invalid}; weight offered per day: {offered:.1f}")


def _offered(technicians: int, tasks: int, days: int) -> float:
    return statistics.fmean(
        sum(PRIORITY_WEIGHTS[t.priority] for t in field_day(technicians, tasks, s).problem.tasks)
        for s in range(1, days + 1)
    )


def _sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        technicians, tasks = item.lower().split("x")
        sizes.append((int(technicians), int(tasks)))
    return sizes


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help="technicians x tasks, comma-separated"
    )
    parser.add_argument("--days", type=int, default=10, help="days (seeds 1..N) per size")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit of each solver")
    parser.add_argument("--quick", action="store_true", help="one 8x40 day at 2 s (smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        run_size(8, 40, 1, 2.0)
        return
    for technicians, tasks in _sizes(args.sizes):
        run_size(technicians, tasks, args.days, args.seconds)


if __name__ == "__main__":
    main()
