"""The planner never hands back less than a plain greedy plan: drop penalties dominate route
costs at any scale, and a failed hand-over between engines keeps the best plan found so far."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver import search as solver_search
from app.dispatch.solver.data import (
    MAX_OBJECTIVE,
    PIN_WEIGHT,
    RoutingData,
    compile_part,
    cost_bound,
)
from app.dispatch.solver.greedy import greedy_routes, objective
from app.dispatch.solver.problem import Problem, plan_to_dict
from app.dispatch.solver.screen import screen
from app.dispatch.solver.travel import make_travel
from bench.solomon import bench_data_dir
from bench.vrplib import VrptwInstance, dimacs_distances, read_instance, to_problem
from bench.vrptw_check import check_plan
from tests.dispatch.problem_factories import compiled, task, technician

DATA = bench_data_dir()
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="benchmark data not available")


def scaled(instance: VrptwInstance, factor: float) -> VrptwInstance:
    """The same instance on a map `factor` times larger, with times to match."""
    return replace(
        instance,
        coords=instance.coords * factor,
        windows=tuple((round(a * factor), round(b * factor)) for a, b in instance.windows),
        service=tuple(round(s * factor) for s in instance.service),
    )


def greedy_insertion_served(instance: VrptwInstance) -> int:
    """Customers a plain cheapest-insertion heuristic serves (by due time, each inserted where
    it adds the least distance without breaking a window, the capacity or the depot's close)."""
    distance = dimacs_distances(instance.coords)
    close = instance.windows[0][1]

    def feasible(route: list[int]) -> bool:
        clock, here, load = float(instance.windows[0][0]), 0, 0
        for customer in route:
            opens, due = instance.windows[customer]
            clock = max(clock + distance[here, customer], opens)
            if clock > due:
                return False
            clock += instance.service[customer]
            load += instance.demands[customer]
            here = customer
        return load <= instance.capacity and clock + distance[here, 0] <= close

    routes: list[list[int]] = [[] for _ in range(instance.vehicles)]
    served = 0
    for customer in sorted(range(1, instance.customers + 1), key=lambda c: instance.windows[c][1]):
        best: tuple[float, int, int] | None = None
        for r, route in enumerate(routes):
            path = [0, *route, 0]
            for at in range(len(route) + 1):
                added = (
                    distance[path[at], customer]
                    + distance[customer, path[at + 1]]
                    - distance[path[at], path[at + 1]]
                )
                if (best is None or added < best[0]) and feasible(
                    [*route[:at], customer, *route[at:]]
                ):
                    best = (added, r, at)
            if not route:
                break  # empty routes are all alike
        if best is not None:
            routes[best[1]].insert(best[2], customer)
            served += 1
    return served


@needs_data
@pytest.mark.parametrize(
    ("set_name", "name", "seconds"),
    [("solomon", "RC101", 1.5), ("gh200", "R1_2_1", 1.5), ("gh1000", "C1_10_1", 3.0)],
)
def test_a_feasible_instance_is_served_at_least_as_well_as_greedy_insertion(
    set_name: str, name: str, seconds: float
) -> None:
    # given a benchmark instance on a map a thousand times larger, and a short clock
    instance = scaled(read_instance(DATA / set_name / f"{name}.vrp"), 1000)
    greedy = greedy_insertion_served(instance)
    # when planned
    plan = solve(to_problem(instance), SolveOptions(time_limit=seconds, workers=1))
    # then the plan is feasible and serves at least what greedy insertion serves
    check = check_plan(instance, plan_to_dict(plan))
    assert check.errors == []
    assert plan.stats.assigned >= greedy > 0


def _compiled(problem: Problem) -> RoutingData:
    travel = make_travel(problem.travel)
    return compile_part(
        problem,
        travel,
        screen(problem, travel),
        range(len(problem.technicians)),
        range(len(problem.tasks)),
    )


def test_drop_penalties_dominate_route_costs_at_any_scale() -> None:
    # given tasks far apart on a huge map, with deadlines, preferences and every priority
    far = 10**7
    techs = [technician("t1", shift=[0, 10**9]), technician("t2", far, far, shift=[0, 10**9])]
    tasks = [
        task(
            f"j{p}",
            far * (p % 2),
            far * (p % 3),
            priority=p,
            deadline=100,
            preferred_technicians=["t1"],
        )
        for p in range(1, 6)
    ]
    data = compiled(techs, tasks)
    # then leaving out even the least urgent task costs more than any plan's other costs...
    assert min(data.penalties) > data.travel.max() * len(data.travel)
    served_all = greedy_routes(data)
    assert sum(map(len, served_all)) == 5
    assert min(data.penalties) > objective(data, served_all)
    # ...priorities stay ordered, and the sum of all penalties fits OR-Tools' int64
    assert list(data.penalties) == sorted(data.penalties)
    assert len(set(data.penalties)) == 5
    assert sum(data.penalties) * PIN_WEIGHT <= 2 * MAX_OBJECTIVE


@needs_data
def test_penalties_bound_the_cost_of_a_thousand_task_instance_on_a_large_map() -> None:
    problem = to_problem(scaled(read_instance(DATA / "gh1000" / "R2_10_1.vrp"), 1000))
    data = _compiled(problem)
    bound = cost_bound(problem, range(len(problem.tasks)), data.travel)
    assert min(data.penalties) > bound
    assert sum(data.penalties) <= MAX_OBJECTIVE
    routes = greedy_routes(data)
    dropped = [p for p in range(data.task_count) if p not in {q for r in routes for q in r}]
    assert objective(data, routes) - sum(data.penalties[p] for p in dropped) <= bound


@needs_data
def test_a_failed_hand_over_keeps_pyvrp_routes_and_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given OR-Tools that refuses every start (as it did under load on a large part)
    monkeypatch.setattr(solver_search, "_assignment_from_routes", lambda model, routes: None)
    instance = read_instance(DATA / "solomon" / "R201.vrp")
    # when planned
    plan = solve(to_problem(instance), SolveOptions(time_limit=2.0, workers=1))
    # then PyVRP's plan is answered (everything served, feasible), and the failure counted
    check = check_plan(instance, plan_to_dict(plan))
    assert check.errors == [] and plan.stats.unassigned == 0
    assert plan.stats.handover_failures >= 1
    assert plan_to_dict(plan)["stats"]["handover_failures"] == plan.stats.handover_failures


def test_greedy_plan_respects_windows_and_shifts() -> None:
    data = compiled(
        [technician("t1", shift=[0, 100])],
        [task("a", 10, 0, windows=[[0, 20]]), task("b", 30, 0, windows=[[500, 600]])],
    )
    assert greedy_routes(data) == ((0,),)
    assert np.all(np.asarray(data.penalties) > 0)
