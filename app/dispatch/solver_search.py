"""Search one compiled part with OR-Tools and read the routes back."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from app.dispatch.solver_data import RoutingData
from app.dispatch.solver_model import RoutingModel, build_model

FirstSolution = routing_enums_pb2.FirstSolutionStrategy
Metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic


@dataclass(frozen=True)
class SearchConfig:
    """How to search. `first_solution` and `metaheuristic` name OR-Tools enum members;
    `iterated` switches to OR-Tools' iterated local search (ruin and recreate)."""

    time_limit: float
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    iterated: bool = False
    neighbors_ratio: float = 1.0
    min_neighbors: int = 1
    guided_lambda: float = 0.1
    log: bool = False


@dataclass(frozen=True)
class PartResult:
    """Vehicle positions' task positions, in visiting order; `cost` is the model objective."""

    routes: tuple[tuple[int, ...], ...]
    cost: int


def search_parameters(config: SearchConfig) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FirstSolution.Value.Value(config.first_solution)
    params.local_search_metaheuristic = Metaheuristic.Value.Value(config.metaheuristic)
    params.guided_local_search_lambda_coefficient = config.guided_lambda
    params.ls_operator_neighbors_ratio = config.neighbors_ratio
    params.ls_operator_min_neighbors = config.min_neighbors
    params.use_iterated_local_search = config.iterated
    params.time_limit.FromMilliseconds(max(1, round(config.time_limit * 1000)))
    params.log_search = config.log
    return params


def solve_part(
    data: RoutingData,
    config: SearchConfig,
    initial_routes: tuple[tuple[int, ...], ...] | None = None,
) -> PartResult:
    """Solve one part; `initial_routes` (vehicle -> task positions) seed the search."""
    model = build_model(data)
    params = search_parameters(config)
    solution = None
    if initial_routes is not None:
        start = _assignment_from_routes(model, initial_routes, params)
        if start is not None:
            solution = model.routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        solution = model.routing.SolveWithParameters(params)
    if solution is None:
        return PartResult(routes=tuple(() for _ in range(data.vehicle_count)), cost=-1)
    return PartResult(routes=read_routes(model, solution), cost=solution.ObjectiveValue())


def _assignment_from_routes(
    model: RoutingModel,
    routes: tuple[tuple[int, ...], ...],
    params: pywrapcp.DefaultRoutingSearchParameters,
) -> pywrapcp.Assignment | None:
    node_routes = [[model.data.task_node(p) for p in route] for route in routes]
    index_routes = [[model.manager.NodeToIndex(n) for n in route] for route in node_routes]
    model.routing.CloseModelWithParameters(params)
    return model.routing.ReadAssignmentFromRoutes(index_routes, True)


def read_routes(model: RoutingModel, solution: pywrapcp.Assignment) -> tuple[tuple[int, ...], ...]:
    routing, manager, data = model.routing, model.manager, model.data
    first_task_node = 2 * data.vehicle_count
    routes = []
    for vehicle in range(data.vehicle_count):
        index = solution.Value(routing.NextVar(routing.Start(vehicle)))
        route = []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index) - first_task_node)
            index = solution.Value(routing.NextVar(index))
        routes.append(tuple(route))
    return tuple(routes)
