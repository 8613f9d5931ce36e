"""Dispatch at city scale: plan days of 1,000 x 100 and 10,000 x 1,000, re-plan latency and
churn for 100 technicians x 400 tasks, and appointment-slot query latency (p50/p95).

    python -m bench.dispatch_scale [--quick] [--seed N]

Days are generated around a demo city (Bengaluru) and go through the service's own problem
builder (`build_problem`), plan reader (`planned_stops`, `moved`) and slot evaluator, so the
figures are those of the code the API runs; only the database reads are left out.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from app.core.geo import LatLng
from app.dispatch import plans, slots
from app.dispatch.problem_builder import (
    BuildOptions,
    Built,
    Facts,
    TaskFacts,
    TechnicianFacts,
    build_problem,
)
from app.dispatch.settings import dispatch_settings
from app.dispatch.solver import SolveOptions, solve
from app.work_orders.models import TaskStatus

CENTRE = LatLng(12.9716, 77.5946)
DAY = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)  # 08:00 in Bengaluru
CONFIRMED_EVERY = 3
"""Every third planned visit is confirmed by its customer (committed) in the re-plan days."""
SHIFT_MINUTES = 15
"""A start shifted by more than this counts as moved (the solver's free shift)."""


def _near(rng: random.Random, km: float) -> LatLng:
    return LatLng(
        CENTRE.lat + rng.uniform(-km, km) / 111.0, CENTRE.lng + rng.uniform(-km, km) / 108.0
    )


def city_day(tasks: int, technicians: int, seed: int) -> Facts:
    rng = random.Random(seed)
    km = 12 + 8 * (technicians / 100) ** 0.5
    skills = ["hvac", "plumbing", "electrical"]
    techs = [
        TechnicianFacts(
            id=i + 1,
            home=_near(rng, km),
            last=None,
            last_seen_at=None,
            skills={s: rng.randint(1, 3) for s in rng.sample(skills, 2)},
            windows=[(DAY, DAY + timedelta(hours=9))],
        )
        for i in range(technicians)
    ]
    work = []
    for i in range(tasks):
        slot = rng.choice([0, 2, 4, 6, None])
        window = (
            (None, None)
            if slot is None
            else (DAY + timedelta(hours=slot), DAY + timedelta(hours=slot + 2))
        )
        work.append(
            TaskFacts(
                id=i + 1,
                version=1,
                status=TaskStatus.UNSCHEDULED,
                priority=rng.choice([1, 2, 3, 3, 3, 4, 5]),
                duration=rng.choice([30, 45, 60, 90]),
                point=_near(rng, km),
                technician_id=None,
                scheduled_start=None,
                scheduled_end=None,
                window=window,
                deadline=None,
                skills={rng.choice(skills): 1},
                preferred=(),
                excluded=(),
            )
        )
    return Facts(1, "Asia/Kolkata", DAY, DAY + timedelta(hours=10), techs, work)


def plan_day(tasks: int, technicians: int, limit: float, seed: int) -> None:
    facts = city_day(tasks, technicians, seed)
    built = build_problem(facts, BuildOptions(now=DAY))
    started = time.perf_counter()
    plan = solve(built.problem, SolveOptions(time_limit=limit))
    seconds = time.perf_counter() - started
    print(
        f"plan {tasks:>6} tasks x {technicians:>5} technicians  limit {limit:>4.0f}s  "
        f"took {seconds:6.1f}s  assigned {plan.stats.assigned:>6}  "
        f"unassigned {plan.stats.unassigned:>5}  travel {plan.stats.travel_time / 60:8.1f} h"
    )


def _as_assigned(facts: Facts, stops: list[plans.PlannedStop]) -> Facts:
    placed = {s.task_id: s for s in stops}
    tasks = []
    for task in facts.tasks:
        stop = placed.get(task.id)
        if stop is None:
            tasks.append(task)
            continue
        tasks.append(
            replace(
                task,
                status=TaskStatus.DISPATCHED,
                technician_id=stop.technician_id,
                scheduled_start=stop.start,
                scheduled_end=stop.end,
                confirmed=task.id % CONFIRMED_EVERY == 0,
            )
        )
    return replace(facts, tasks=tasks)


def _progressed(day: Facts, now: datetime) -> Facts:
    """The day as it stands at `now`: work that ended is done (gone from the facts), work under
    way is in progress (pinned), and each technician was last seen at their latest job."""
    tasks, seen_at = [], {}
    for task in day.tasks:
        start, end = task.scheduled_start, task.scheduled_end
        if start is None or end is None or task.technician_id is None or start > now:
            tasks.append(task)
            continue
        latest = seen_at.get(task.technician_id)
        if latest is None or start > latest[0]:
            seen_at[task.technician_id] = (start, task.point)
        if end > now:
            tasks.append(replace(task, status=TaskStatus.IN_PROGRESS))
    technicians = [
        replace(tech, last=seen_at[tech.id][1], last_seen_at=now) if tech.id in seen_at else tech
        for tech in day.technicians
    ]
    return replace(day, tasks=tasks, technicians=technicians)


@dataclass
class Churn:
    """Among the other assignments of the plan in force (offered, scheduled or confirmed):
    `reassigned` went to another technician or out of the plan, `shifted` kept their
    technician but start more than `SHIFT_MINUTES` away; moved = both."""

    others: int = 0
    reassigned: int = 0
    shifted: int = 0
    committed_moved: int = 0

    def share(self, count: int) -> float:
        return 100.0 * count / max(1, self.others)


def _churn(built: Built, stops: list[plans.PlannedStop], rejected: int) -> Churn:
    placed = {stop.task_id: stop for stop in stops}
    churn = Churn()
    for task_id, current in built.current.items():
        if task_id == rejected:
            continue
        churn.others += 1
        stop = placed.get(task_id)
        moved = True
        if stop is None or stop.technician_id != current.technician_id:
            churn.reassigned += 1
        elif abs(stop.start - current.start) > timedelta(minutes=SHIFT_MINUTES):
            churn.shifted += 1
        else:
            moved = False
        churn.committed_moved += moved and built.tasks[str(task_id)].confirmed
    return churn


def replan_day(seed: int, rounds: int) -> None:
    """A technician rejects a later task at some moment of the morning; the rest of the day
    is planned again from the plan in force (a third of it confirmed by customers). Moved =
    another technician (or left out), or a start more than `SHIFT_MINUTES` away, among the
    other assignments of the plan in force."""
    facts = city_day(400, 100, seed)
    built = build_problem(facts, BuildOptions(now=DAY))
    stops = plans.planned_stops(built, solve(built.problem, SolveOptions(time_limit=10)))
    day = _as_assigned(facts, stops)
    rng = random.Random(seed)
    config = dispatch_settings()
    latencies, churns = [], []
    for _ in range(rounds):
        now = DAY + timedelta(minutes=rng.randint(0, 120))
        later = [t for t in day.tasks if t.scheduled_start is not None and t.scheduled_start > now]
        rejected = rng.choice(later)
        tasks = [
            replace(
                t,
                status=TaskStatus.UNSCHEDULED,
                technician_id=None,
                scheduled_start=None,
                excluded=(t.technician_id or 0,),
            )
            if t.id == rejected.id
            else t
            for t in day.tasks
        ]
        changed = _progressed(replace(day, tasks=tasks), now)
        started = time.perf_counter()
        again = build_problem(
            changed, BuildOptions(now=now, keep_minutes=config.replan_move_minutes)
        )
        options = SolveOptions(
            time_limit=config.replan_time_limit_seconds,
            workers=1,
            start_from=again.current_routes(),
        )
        plan = solve(again.problem, options)
        new_stops = plans.planned_stops(again, plan)
        latencies.append(time.perf_counter() - started)
        churns.append(_churn(again, new_stops, rejected.id))
    moved = [c.share(c.reassigned + c.shifted) for c in churns]
    print(
        f"re-plan 400 tasks x 100 technicians  rounds {rounds}  latency p50 "
        f"{statistics.median(latencies):.2f}s max {max(latencies):.2f}s  "
        f"moved mean {statistics.mean(moved):.1f}% max {max(moved):.1f}% "
        f"(another technician {statistics.mean(c.share(c.reassigned) for c in churns):.1f}%, "
        f"start > {SHIFT_MINUTES} min {statistics.mean(c.share(c.shifted) for c in churns):.1f}%; "
        f"confirmed visits moved {sum(c.committed_moved for c in churns)})"
    )


def slot_queries(seed: int, queries: int) -> None:
    facts = city_day(1000, 100, seed)
    built = build_problem(facts, BuildOptions(now=DAY))
    stops = plans.planned_stops(built, solve(built.problem, SolveOptions(time_limit=10)))
    config = dispatch_settings()
    lines = [line for tech in facts.technicians for line in slots._lines(tech, DAY, config)]
    by_tech: dict[int, list[slots.Visit]] = {}
    points = {t.id: t.point for t in facts.tasks}
    for stop in sorted(stops, key=lambda s: s.start):
        start, end = slots._epoch_minutes(stop.start), slots._epoch_minutes(stop.end)
        by_tech.setdefault(stop.technician_id, []).append(
            slots.Visit(points[stop.task_id], start, end, start + config.pin_slack_minutes)
        )
    for line in lines:
        line.visits = by_tech.get(line.technician_id, [])
    rng = random.Random(seed)
    timings, offered = [], []
    for _ in range(queries):
        point = _near(rng, 15)
        started = time.perf_counter()
        evaluator = slots.Evaluator(slots._with_holds(lines, [], {}), point, config)
        count = 0
        for k in range(5):
            low = slots._epoch_minutes(DAY + timedelta(hours=2 * k))
            count += bool(evaluator.insertions({"hvac": 1}, 60, low, low + 120))
        timings.append((time.perf_counter() - started) * 1000)
        offered.append(count)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(
        f"slots 100 technicians, 1,000 planned visits, 5 two-hour slots  queries {queries}  "
        f"p50 {statistics.median(timings):.1f} ms  p95 {p95:.1f} ms  "
        f"(in-memory part; slots offered mean {statistics.mean(offered):.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short limits")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    plan_day(1000, 100, 10 if args.quick else 30, args.seed)
    if not args.quick:
        plan_day(10000, 1000, 60, args.seed)
    replan_day(args.seed, 3 if args.quick else 10)
    slot_queries(args.seed, 30 if args.quick else 200)


if __name__ == "__main__":
    main()
