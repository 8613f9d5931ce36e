"""The service's problem builder on facts in memory: what a plan of the day in force keeps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app.core.geo import LatLng
from app.dispatch import plans
from app.dispatch.problem_builder import (
    BuildOptions,
    Facts,
    TaskFacts,
    TechnicianFacts,
    build_problem,
)
from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import Current
from app.work_orders.models import TaskStatus

DAY = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
SITE = LatLng(12.9716, 77.5946)
NOW = DAY + timedelta(hours=2)


def work(id: int, status: TaskStatus, start: datetime | None, point: LatLng = SITE) -> TaskFacts:
    return TaskFacts(
        id=id,
        version=1,
        status=status,
        priority=3,
        duration=60,
        point=point,
        technician_id=1 if start else None,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=60) if start else None,
        window=(None, None),
        deadline=None,
        skills={},
        preferred=(),
        excluded=(),
    )


def day_with(tasks: list[TaskFacts]) -> Facts:
    technician = TechnicianFacts(
        id=1,
        home=LatLng(12.93, 77.62),
        # A phone on site reports a spot a few metres from the site's pin.
        last=LatLng(SITE.lat + 0.00008, SITE.lng - 0.00006),
        last_seen_at=NOW - timedelta(minutes=2),
        skills={},
        windows=[(DAY, DAY + timedelta(hours=9))],
    )
    return Facts(1, "Asia/Kolkata", DAY, DAY + timedelta(hours=10), [technician], tasks)


def test_work_under_way_stays_with_its_technician_despite_gps_noise() -> None:
    later = LatLng(12.95, 77.60)
    facts = day_with(
        [
            work(1, TaskStatus.IN_PROGRESS, NOW - timedelta(minutes=20)),
            work(2, TaskStatus.DISPATCHED, NOW + timedelta(minutes=90), later),
        ]
    )
    built = build_problem(facts, BuildOptions(now=NOW, keep_minutes=30))
    plan = solve(
        built.problem,
        SolveOptions(time_limit=1.0, workers=1, start_from=built.current_routes()),
    )
    assert plan.unassigned == ()
    stops = sorted(plans.planned_stops(built, plan), key=lambda s: s.start)
    assert [(s.task_id, s.technician_id) for s in stops] == [(1, 1), (2, 1)]
    assert stops[0].start - NOW < timedelta(minutes=5)
    assert plans.moved(built, stops, timedelta(minutes=30)) == set()


def test_the_plan_in_force_lists_each_window_s_work_in_order_of_start() -> None:
    facts = day_with(
        [
            work(3, TaskStatus.DISPATCHED, NOW + timedelta(hours=3)),
            work(1, TaskStatus.IN_PROGRESS, NOW - timedelta(minutes=20)),
            work(2, TaskStatus.SCHEDULED, NOW + timedelta(hours=1)),
            work(4, TaskStatus.UNSCHEDULED, None),
        ]
    )
    built = build_problem(facts, BuildOptions(now=NOW, keep_minutes=30))
    assert built.current_routes() == {"1#0": ("1", "2", "3")}


def test_overdue_accepted_work_follows_the_work_under_way_in_the_plan() -> None:
    # Both start "now" in the plan; ids in the other order than the work must not matter.
    facts = day_with(
        [
            work(99, TaskStatus.ACCEPTED, NOW - timedelta(minutes=10)),
            work(100, TaskStatus.IN_PROGRESS, NOW - timedelta(minutes=30)),
        ]
    )
    built = build_problem(facts, BuildOptions(now=NOW, keep_minutes=30))
    assert built.current_routes() == {"1#0": ("100", "99")}
    plan = solve(
        built.problem,
        SolveOptions(time_limit=1.0, workers=1, start_from=built.current_routes()),
    )
    assert plan.unassigned == ()
    assert [s.task for s in plan.routes[0].stops] == ["100", "99"]


def test_a_replan_gives_the_solver_each_planned_visit_s_place_and_commitment() -> None:
    confirmed = work(1, TaskStatus.DISPATCHED, NOW + timedelta(hours=1))
    offered = work(2, TaskStatus.DISPATCHED, NOW + timedelta(hours=3))
    facts = day_with([replace(confirmed, confirmed=True), offered])

    replan = build_problem(facts, BuildOptions(now=NOW, keep_minutes=30)).problem
    fresh = build_problem(facts, BuildOptions(now=NOW)).problem

    assert [(t.id, t.current) for t in replan.tasks] == [
        ("1", Current(technician="1#0", start=180.0, committed=True)),
        ("2", Current(technician="1#0", start=300.0, committed=False)),
    ]
    assert all(t.current is None for t in fresh.tasks)
