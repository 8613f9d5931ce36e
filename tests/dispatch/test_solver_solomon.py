"""A small Solomon-derived instance, solved and checked by the independent checker."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import plan_to_dict
from bench.solomon import bench_data_dir
from bench.vrplib import VrptwInstance, read_instance, read_solution_routes, to_problem
from bench.vrptw_check import check_plan, check_routes

DATA = bench_data_dir() / "solomon"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="benchmark data not available")


def first_customers(instance: VrptwInstance, count: int) -> VrptwInstance:
    keep = count + 1
    return replace(
        instance,
        vehicles=10,
        coords=instance.coords[:keep],
        demands=instance.demands[:keep],
        windows=instance.windows[:keep],
        service=instance.service[:keep],
    )


def test_checker_reproduces_the_best_known_distance() -> None:
    instance = read_instance(DATA / "R201.vrp")
    result = check_routes(instance, read_solution_routes(DATA / "R201.sol"))
    assert result.feasible
    assert result.distance == pytest.approx(1143.2)


def test_checker_finds_a_late_visit() -> None:
    instance = read_instance(DATA / "R201.vrp")
    routes = read_solution_routes(DATA / "R201.sol")
    routes[0].reverse()
    result = check_routes(instance, routes)
    assert any("too late" in error for error in result.errors)


@pytest.mark.parametrize("name", ["R101", "C201"])
def test_small_solomon_instance_is_solved_feasibly(name: str) -> None:
    instance = first_customers(read_instance(DATA / f"{name}.vrp"), 25)
    plan = solve(to_problem(instance), SolveOptions(time_limit=2.0, workers=1))
    result = check_plan(instance, plan_to_dict(plan))
    assert result.errors == []
    assert result.unassigned == 0
    assert result.distance == pytest.approx(plan.stats.distance, abs=0.05)
