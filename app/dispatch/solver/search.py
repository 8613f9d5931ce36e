"""Search one compiled part with OR-Tools and read the routes back."""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, replace

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from app.dispatch.solver import pyvrp_bridge
from app.dispatch.solver.data import RoutingData
from app.dispatch.solver.exchange import exchange_left_out
from app.dispatch.solver.greedy import greedy_routes, objective
from app.dispatch.solver.improve import Routes, idle_vehicles_trimmed, ruin_and_recreate
from app.dispatch.solver.model import RoutingModel, build_model, read_routes
from app.dispatch.solver.schedule import servable_routes

logger = logging.getLogger(__name__)

MIN_FIRST_PHASE_SECONDS = 0.2
"""A first solution needs this long even when ruin and recreate takes the rest."""

HEAVY_OPERATORS = (
    "use_cross",
    "use_lin_kernighan",
    "use_make_chain_inactive",
    "use_swap_active",
    "use_relocate_pair",
    "use_exchange_pair",
    "use_light_relocate_pair",
    "use_relocate_expensive_chain",
    "use_relocate_subtrip",
    "use_exchange_subtrip",
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_shortest_path_swap_active",
    "use_swap_active_chain",
    "use_shortest_path_two_opt",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)
FirstSolution = routing_enums_pb2.FirstSolutionStrategy
Metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic


@dataclass(frozen=True)
class SearchConfig:
    """How to search. `first_solution` and `metaheuristic` name OR-Tools enum members."""

    time_limit: float
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    neighbors_ratio: float = 1.0
    min_neighbors: int = 1
    guided_lambda: float = 0.1
    improve_share: float = 0.0
    """Share of the time spent in ruin and recreate after the metaheuristic."""
    pyvrp_share: float = 0.0
    """Share of the time PyVRP plans first (when it models the part); OR-Tools goes on from
    its routes under the full model."""
    seed: int = 1
    log: bool = False
    light_operators: bool = False
    """Moves of single visits only (relocate, exchange, 2-opt, or-opt, insert, remove): the
    heavier neighbourhoods can run far past the time limit on a short clock."""


@dataclass(frozen=True)
class PartResult:
    """Vehicle positions' task positions, in visiting order; `cost` is the model objective."""

    routes: Routes
    cost: int
    handover_failures: int = 0
    """Hand-overs between engines that failed unexpectedly (logged with their cause)."""


def search_parameters(config: SearchConfig) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FirstSolution.Value.Value(config.first_solution)
    params.local_search_metaheuristic = Metaheuristic.Value.Value(config.metaheuristic)
    params.guided_local_search_lambda_coefficient = config.guided_lambda
    params.ls_operator_neighbors_ratio = config.neighbors_ratio
    params.ls_operator_min_neighbors = config.min_neighbors
    params.time_limit.FromMilliseconds(max(1, round(config.time_limit * 1000)))
    params.log_search = config.log
    if config.light_operators:
        for name in HEAVY_OPERATORS:
            setattr(params.local_search_operators, name, optional_boolean_pb2.BOOL_FALSE)
    return params


def solve_part(
    data: RoutingData,
    config: SearchConfig,
    initial_routes: Routes | None = None,
    *,
    only_from_start: bool = False,
) -> PartResult:
    """Solve one part; `initial_routes` (vehicle -> task positions) seed the search.

    The greedy plan, then PyVRP's routes, are kept as the incumbent: whatever happens later
    (a search that finds nothing in its time, a hand-over OR-Tools refuses), the best plan
    found is returned, never a worse one. With `only_from_start` (re-plans), the routes given
    are the incumbent and the only start: a plan built afresh may serve a task more, but it
    would move most of the day."""
    if data.vehicle_count == 0 or data.task_count == 0:
        # Nothing to plan, and OR-Tools crashes on a model without vehicles.
        return PartResult(routes=tuple(() for _ in range(data.vehicle_count)), cost=0)
    if only_from_start and initial_routes is not None:
        return _improve_start(data, config, initial_routes)
    deadline = time.perf_counter() + config.time_limit
    greedy = greedy_routes(data)
    incumbent = PartResult(routes=greedy, cost=objective(data, greedy))
    if initial_routes is not None:
        given = servable_routes(data, initial_routes)
        incumbent = _better(incumbent, PartResult(routes=given, cost=objective(data, given)))
    failures = 0
    if config.pyvrp_share > 0 and pyvrp_bridge.supports(data):
        found = _pyvrp_rounds(data, _pyvrp_seconds(data, config), config.seed, initial_routes)
        if found is not None:
            start = found
            incumbent = _better(incumbent, PartResult(routes=start, cost=objective(data, start)))
            causes: list[str] = []
            polish = _polish_config(data, config, deadline)
            polished = _ortools_search(data, polish, start, True, causes)
            if polished is not None:
                polished = _exchanged(data, polished.routes, make_room=True)
                return replace(_better(incumbent, polished), handover_failures=failures)
            failures += 1
            logger.warning(
                "hand-over from PyVRP to OR-Tools failed (%s); keeping PyVRP's routes",
                "; ".join(causes) or "no solution from the start",
            )
            return replace(incumbent, handover_failures=failures)
        left = max(MIN_FIRST_PHASE_SECONDS, deadline - time.perf_counter())
        config = replace(config, time_limit=left, pyvrp_share=0.0)
    # The exchange pass after the search gets its time from the search's.
    exchange = EXCHANGE_SECONDS_PER_TASK * data.task_count
    config = replace(config, time_limit=max(MIN_FIRST_PHASE_SECONDS, config.time_limit - exchange))
    result = _ortools_search(data, config, initial_routes, False)
    if result is None:
        logger.warning("OR-Tools found no plan in %.2fs; keeping the greedy one", config.time_limit)
        return replace(incumbent, handover_failures=failures)
    return replace(_better(incumbent, _exchanged(data, result.routes)), handover_failures=failures)


PYVRP_ROUND_SECONDS = 1.0
PYVRP_ROUND_SECONDS_PER_TASK = 0.004
"""PyVRP's search stalls on a day with more work than hands: it runs in rounds of about this
long, each from the best plan so far after `exchange_left_out`, with a new seed."""


def _pyvrp_rounds(
    data: RoutingData, seconds: float, seed: int, initial: Routes | None
) -> Routes | None:
    """The best routes of PyVRP's rounds in `seconds`, servable by the full model (PyVRP's
    time arithmetic may round a stop differently), or None when it finds none. Once every
    task is served, the rest of the time goes to one last round."""
    ends = time.perf_counter() + seconds
    length = max(PYVRP_ROUND_SECONDS, PYVRP_ROUND_SECONDS_PER_TASK * data.task_count)
    best: PartResult | None = None
    start = initial
    for round_number in itertools.count():
        left = ends - time.perf_counter()
        if round_number > 0 and left < MIN_PYVRP_ROUND_SECONDS:
            break
        found = pyvrp_bridge.solve(
            data, left if left < 2 * length else length, seed + 1000 * round_number, start
        )
        if found is None:
            break
        result = _exchanged(data, servable_routes(data, found))
        best = result if best is None else _better(best, result)
        start = best.routes
        if sum(map(len, start)) == data.task_count:
            # Nothing left out: one search in the rest of the time does better than rounds.
            length = seconds
    return None if best is None else best.routes


MIN_PYVRP_ROUND_SECONDS = 0.1


def _exchanged(data: RoutingData, routes: Routes, make_room: bool = False) -> PartResult:
    """`routes` with left-out work served in place of cheaper work where that pays; with
    `make_room` (the last pass, given longer), also after moving a task to another route."""
    seconds = (FINAL_EXCHANGE_SECONDS_PER_TASK if make_room else EXCHANGE_SECONDS_PER_TASK) * (
        data.task_count
    )
    exchanged = exchange_left_out(data, routes, time.perf_counter() + seconds, make_room)
    return PartResult(routes=exchanged, cost=objective(data, exchanged))


EXCHANGE_SECONDS_PER_TASK = 0.001
FINAL_EXCHANGE_SECONDS_PER_TASK = 0.002
"""Time allowed for serving left-out work in place of cheaper work (it ends far sooner when
the plan serves everything it can)."""


def _improve_start(data: RoutingData, config: SearchConfig, routes: Routes) -> PartResult:
    given = servable_routes(data, routes)
    incumbent = PartResult(routes=given, cost=objective(data, given))
    result = _ortools_search(data, config, given, True)
    if result is None:
        logger.warning("OR-Tools improved nothing from the plan in force; keeping it")
        return incumbent
    return _better(incumbent, result)


def _better(incumbent: PartResult, challenger: PartResult) -> PartResult:
    """The cheaper of two results under the model's objective (the incumbent on a tie)."""
    return challenger if challenger.cost < incumbent.cost else incumbent


def _pyvrp_seconds(data: RoutingData, config: SearchConfig) -> float:
    """PyVRP's share of the time: all but the reserve for OR-Tools when PyVRP sees the whole
    objective, else `pyvrp_share`; the reserve never takes more than half the time."""
    limit = config.time_limit
    per_task = POLISH_RESERVE_PER_TASK + FINAL_EXCHANGE_SECONDS_PER_TASK
    reserve = min(0.5 * limit, POLISH_RESERVE + per_task * data.task_count)
    if pyvrp_bridge.models_everything(data):
        return limit - reserve
    return min(limit * config.pyvrp_share, limit - reserve)


def _ortools_search(
    data: RoutingData,
    config: SearchConfig,
    initial_routes: Routes | None,
    only_from_them: bool,
    causes: list[str] | None = None,
) -> PartResult | None:
    """OR-Tools from `initial_routes` when it accepts them, else (unless `only_from_them`)
    from its own first solution; then ruin and recreate for `config.improve_share`. Why the
    routes were refused is appended to `causes`."""
    started = time.perf_counter()
    deadline = started + config.time_limit
    model = build_model(data)
    first_seconds = max(MIN_FIRST_PHASE_SECONDS, config.time_limit * (1 - config.improve_share))
    first_phase = replace(config, time_limit=min(config.time_limit, first_seconds))
    params = search_parameters(first_phase)
    # The limit given when closing also bounds reading the routes to start from: on a large
    # part under load that alone can take longer than a short search, and a refusal there
    # threw the start away. The search itself gets its own limit below.
    closing = search_parameters(replace(first_phase, time_limit=READ_ROUTES_SECONDS))
    model.routing.CloseModelWithParameters(closing)
    # Building and closing a large model takes a while: the search gets what is left.
    left = started + first_phase.time_limit - time.perf_counter()
    if only_from_them:
        # Restoring a start and finalizing its times takes a moment on a large part: with
        # less, OR-Tools answers nothing and the hand-over fails.
        left = max(left, MIN_POLISH_SEARCH_SECONDS)
    params.time_limit.FromMilliseconds(max(1, round(left * 1000)))
    solution = start = None
    if initial_routes is not None:
        read_started = time.perf_counter()
        start = _assignment_from_routes(model, initial_routes)
        if start is None:
            cause = (
                f"OR-Tools refused the routes to start from: status "
                f"{_status_name(model.routing.status())} after "
                f"{time.perf_counter() - read_started:.2f} s"
            )
            logger.warning(cause)
            if causes is not None:
                causes.append(cause)
        else:
            solution = model.routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None and not only_from_them:
        solution = model.routing.SolveWithParameters(params)
    if solution is None:
        if causes is not None and start is not None:
            status = _status_name(model.routing.status())
            causes.append(f"no solution from the routes: status {status}")
        return None
    routes, cost = read_routes(model, solution), solution.ObjectiveValue()
    if config.improve_share > 0:
        routes, cost = _improve(model, routes, cost, deadline, config)
    return PartResult(routes=routes, cost=cost)


MIN_POLISH_SEARCH_SECONDS = 0.5
"""The check of PyVRP's routes gets at least this long after its model is built."""
READ_ROUTES_SECONDS = 30.0
"""Limit for reading a start into a closed model (milliseconds on any realistic part)."""


def _status_name(status: int) -> str:
    try:
        return str(routing_enums_pb2.RoutingSearchStatus.Value.Name(status))
    except ValueError:
        return str(status)


POLISH_SECONDS = 0.3
"""OR-Tools' check of routes PyVRP planned under the whole objective..."""
POLISH_RESERVE = POLISH_SECONDS + 0.4
POLISH_RESERVE_PER_TASK = 0.004
"""...and the time kept for it, with building the model and assembling the plan."""


def _polish_config(data: RoutingData, config: SearchConfig, deadline: float) -> SearchConfig:
    """After PyVRP: the rest of the time in guided local search when the part has soft goals
    PyVRP did not see, else a short descent that checks the routes under the full model."""
    last_exchange = FINAL_EXCHANGE_SECONDS_PER_TASK * data.task_count
    remaining = max(0.05, deadline - time.perf_counter() - last_exchange)
    if pyvrp_bridge.models_everything(data):
        # All the time left: building the model comes out of it (about a second for a
        # thousand tasks), and the descent ends by itself at its local optimum.
        return replace(
            config,
            time_limit=max(remaining, POLISH_SECONDS),
            metaheuristic="GREEDY_DESCENT",
            improve_share=0.0,
        )
    share = config.time_limit * (1 - config.pyvrp_share)
    return replace(config, time_limit=min(remaining, max(share, POLISH_SECONDS)), improve_share=0.0)


def _improve(
    model: RoutingModel, routes: Routes, cost: int, deadline: float, config: SearchConfig
) -> tuple[Routes, int]:
    """Ruin and recreate, on a model without most idle vehicles when they are interchangeable
    (each local search round is faster with fewer empty routes to try)."""
    local_search = search_parameters(replace(config, metaheuristic="GREEDY_DESCENT"))
    trimmed = idle_vehicles_trimmed(model.data, routes)
    if trimmed is None:
        return ruin_and_recreate(model, routes, cost, deadline, local_search, config.seed)
    data, kept = trimmed
    small = build_model(data)
    small.routing.CloseModelWithParameters(local_search)
    kept_routes = tuple(routes[v] for v in kept)
    found, cost = ruin_and_recreate(small, kept_routes, cost, deadline, local_search, config.seed)
    full: list[tuple[int, ...]] = [() for _ in routes]
    for position, vehicle in enumerate(kept):
        full[vehicle] = found[position]
    return tuple(full), cost


def _assignment_from_routes(model: RoutingModel, routes: Routes) -> pywrapcp.Assignment | None:
    node_routes = [[model.data.task_node(p) for p in route] for route in routes]
    index_routes = [[model.manager.NodeToIndex(n) for n in route] for route in node_routes]
    return model.routing.ReadAssignmentFromRoutes(index_routes, True)
