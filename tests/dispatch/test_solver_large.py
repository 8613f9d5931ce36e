"""Planning by parts: the splits, and a problem large enough to be planned by parts."""

from __future__ import annotations

import numpy as np

from app.dispatch.solver import SINGLE_PART_MAX_TASKS, SolveOptions, solve
from app.dispatch.solver.decompose import route_parts, sector_parts
from app.dispatch.solver.problem import plan_to_dict
from app.dispatch.solver.travel import CachedTravel, EuclideanTravel, make_travel
from bench.vrplib import synthetic_instance, to_problem
from bench.vrptw_check import check_plan


def test_sectors_cover_every_task_once_and_share_out_every_technician() -> None:
    problem = to_problem(synthetic_instance(400, 40), euclidean=True)
    travel = make_travel(problem.travel)
    tasks = list(range(len(problem.tasks)))
    parts = sector_parts(problem, travel, tasks, part_size=100)
    assert len(parts) == 4
    assert sorted(t for p in parts for t in p.tasks) == tasks
    assert sorted(j for p in parts for j in p.technicians) == list(range(40))
    assert all(len(p.tasks) <= 100 and p.technicians for p in parts)


def test_route_groups_keep_routes_whole_and_place_unassigned_tasks() -> None:
    problem = to_problem(synthetic_instance(60, 10), euclidean=True)
    travel = make_travel(problem.travel)
    routes = {j: list(range(6 * j, 6 * j + 6)) for j in range(9)}
    parts = route_parts(problem, travel, routes, unassigned=[54, 55], part_size=20, round_number=1)
    assert sorted(t for p in parts for t in p.tasks) == list(range(56))
    assert 9 in {j for p in parts for j in p.technicians}
    for part in parts:
        assert part.routes is not None
        for j, local in zip(part.technicians, part.routes, strict=True):
            assert [part.tasks[p] for p in local] == routes.get(j, [])


def test_a_problem_above_the_single_part_size_is_planned_feasibly() -> None:
    instance = synthetic_instance(SINGLE_PART_MAX_TASKS + 50, 40)
    plan = solve(to_problem(instance, euclidean=True), SolveOptions(time_limit=3.0, workers=1))
    result = check_plan(instance, plan_to_dict(plan))
    assert result.errors == []
    assert plan.stats.assigned + plan.stats.unassigned == instance.customers
    assert plan.stats.assigned >= 0.95 * instance.customers


def test_cached_travel_reuses_a_table() -> None:
    problem = to_problem(synthetic_instance(5, 1), euclidean=True)
    places = [task.location for task in problem.tasks]
    cached = CachedTravel(EuclideanTravel(speed=2.0))
    first = cached.table(places, places)
    again = cached.table(places, places)
    assert (cached.hits, cached.misses) == (1, 1)
    assert again is first
    assert np.allclose(first.durations * 2.0, first.distances)
