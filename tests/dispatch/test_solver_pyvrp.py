"""PyVRP as the first engine: what it is handed, and that its routes keep the hard rules."""

from __future__ import annotations

from app.dispatch.solver import pyvrp_bridge
from tests.dispatch.problem_factories import compiled, task, technician


def served(routes: tuple[tuple[int, ...], ...]) -> dict[int, int]:
    """Task position -> vehicle position."""
    return {p: v for v, route in enumerate(routes) for p in route}


def test_pinned_work_and_several_windows_stay_with_or_tools() -> None:
    plain = compiled([technician("t1")], [task("j1", 1, 1), task("j2", 2, 2)])
    pinned = compiled(
        [technician("t1")], [task("j1", 1, 1, pinned={"technician": "t1", "sequence": 1})]
    )
    two_windows = compiled([technician("t1")], [task("j1", 1, 1, windows=[[0, 20], [100, 120]])])
    assert pyvrp_bridge.supports(plain)
    assert not pyvrp_bridge.supports(pinned)
    assert not pyvrp_bridge.supports(two_windows)


def test_preferences_and_deadlines_are_left_for_or_tools_to_weigh() -> None:
    plain = compiled([technician("t1")], [task("j1", 1, 1)])
    preferring = compiled([technician("t1")], [task("j1", 1, 1, preferred_technicians=["t1"])])
    with_deadline = compiled([technician("t1")], [task("j1", 1, 1, deadline=200)])
    assert pyvrp_bridge.models_everything(plain)
    assert not pyvrp_bridge.models_everything(preferring)
    assert not pyvrp_bridge.models_everything(with_deadline)


def test_technicians_at_one_place_with_one_shift_share_a_vehicle_type() -> None:
    data = compiled(
        [technician("a"), technician("b"), technician("c", 50, 50)],
        [task("j1", 1, 1), task("j2", 40, 40)],
    )
    model = pyvrp_bridge._compile(data)
    assert model.problem.num_depots == 2
    assert model.vehicles_of_type == ((0, 1), (2,))


def test_a_skilled_task_goes_only_to_a_technician_allowed_to_take_it() -> None:
    data = compiled(
        [
            technician("novice", skills={"hvac": 1}),
            technician("expert", 60, 60, skills={"hvac": 4}),
        ],
        [task("repair", 1, 1, skills={"hvac": 3}), task("filter", 2, 2)],
    )
    routes = pyvrp_bridge.solve(data, 0.5, seed=1)
    assert routes is not None
    assert served(routes)[0] == 1
    assert set(served(routes)) == {0, 1}


def test_unreachable_work_is_left_out_and_the_rest_is_served() -> None:
    data = compiled(
        [technician("t1")],
        [task("late", 300, 0, windows=[[0, 50]]), task("near", 5, 0), task("next", 10, 0)],
    )
    routes = pyvrp_bridge.solve(data, 0.5, seed=1)
    assert routes is not None
    assert set(served(routes)) == {1, 2}


def test_capacity_and_task_counts_bound_every_route() -> None:
    data = compiled(
        [
            technician("small", capacity=2, max_tasks=3),
            technician("big", capacity=10, max_tasks=2),
        ],
        [task(f"j{i}", i, 0, demand=1) for i in range(1, 6)],
    )
    routes = pyvrp_bridge.solve(data, 0.5, seed=1)
    assert routes is not None
    assert len(routes[0]) <= 2
    assert len(routes[1]) <= 2
    assert len(served(routes)) == 4


def test_routes_survive_the_round_trip_through_a_pyvrp_solution() -> None:
    data = compiled(
        [technician("a"), technician("b"), technician("c", 50, 50)],
        [task("j1", 1, 1), task("j2", 2, 2), task("j3", 49, 49)],
    )
    model = pyvrp_bridge._compile(data)
    routes = ((1, 0), (), (2,))
    assert model.routes(model.solution(routes)) == routes


def test_a_route_goes_to_the_interchangeable_technician_its_tasks_prefer() -> None:
    data = compiled(
        [technician("a"), technician("b")],
        [task("j1", 5, 0, preferred_technicians=["b"]), task("j2", 6, 0)],
    )
    model = pyvrp_bridge._compile(data)
    assert model.vehicles_of_type == ((0, 1),)
    routes = pyvrp_bridge.solve(data, 0.3, seed=1)
    assert routes is not None
    assert served(routes) == {0: 1, 1: 1}


def test_a_window_that_closed_before_the_day_began_is_still_a_valid_client() -> None:
    data = compiled(
        [technician("t1") | {"shift": [-100, 480]}],
        [task("old", 1, 0, windows=[[-90, -50]]), task("now", 2, 0)],
    )
    routes = pyvrp_bridge.solve(data, 0.3, seed=1)
    assert routes is not None
    assert 1 in served(routes)
