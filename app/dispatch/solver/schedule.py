"""Timing of a route: arrival, service start and end at each stop, in ticks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.dispatch.solver.data import RoutingData


@dataclass(frozen=True)
class TimedStop:
    position: int
    arrival: int
    start: int
    end: int


@dataclass(frozen=True)
class RouteTiming:
    stops: tuple[TimedStop, ...]
    back_at_end: int
    feasible: bool


def earliest_start(arrival: int, windows: Sequence[tuple[int, int]]) -> int | None:
    """The first moment at or after `arrival` inside a window, or None when all have closed."""
    if not windows:
        return arrival
    for opens, closes in windows:
        if arrival <= closes:
            return max(arrival, opens)
    return None


def time_route(data: RoutingData, vehicle: int, route: Sequence[int]) -> RouteTiming:
    """Serve each stop as early as possible; leave the start no earlier than needed."""
    shift_start, shift_end = data.shifts[vehicle]
    node, clock, feasible = vehicle, shift_start, True
    stops = []
    for position in route:
        target = data.task_node(position)
        arrival = clock + int(data.travel[node, target])
        start = earliest_start(arrival, data.windows[position])
        if start is None:
            feasible, start = False, arrival
        end = start + data.service[target]
        stops.append(TimedStop(position=position, arrival=arrival, start=start, end=end))
        node, clock = target, end
    back = clock + int(data.travel[node, data.vehicle_count + vehicle])
    feasible = feasible and back <= shift_end and _within_load(data, vehicle, route)
    return RouteTiming(stops=_leave_late(data, vehicle, stops), back_at_end=back, feasible=feasible)


def _leave_late(data: RoutingData, vehicle: int, stops: list[TimedStop]) -> tuple[TimedStop, ...]:
    """Arrive at the first stop when its service can start, rather than wait there."""
    if not stops:
        return ()
    first = stops[0]
    return (TimedStop(first.position, first.start, first.start, first.end), *stops[1:])


def _within_load(data: RoutingData, vehicle: int, route: Sequence[int]) -> bool:
    if data.max_tasks is not None and len(route) > data.max_tasks[vehicle]:
        return False
    if data.demands is None or data.capacities is None:
        return True
    return sum(data.demands[p] for p in route) <= data.capacities[vehicle]


def servable_routes(
    data: RoutingData, routes: Sequence[Sequence[int]]
) -> tuple[tuple[int, ...], ...]:
    """`routes` without the stops the model would refuse: a task its vehicle may not take,
    a window already missed, a load or count over the limit, or work that keeps the vehicle
    from getting back in time (dropped from the end). The rest keep their order."""
    kept = []
    for vehicle, route in enumerate(routes):
        takeable = [p for p in route if _may_take(data, vehicle, p)]
        served = _in_time(data, vehicle, takeable)
        while served and not time_route(data, vehicle, served).feasible:
            served.pop()
        kept.append(tuple(served))
    return tuple(kept)


def _may_take(data: RoutingData, vehicle: int, position: int) -> bool:
    allowed = data.allowed[position]
    return allowed is None or vehicle in allowed


def _in_time(data: RoutingData, vehicle: int, route: Sequence[int]) -> list[int]:
    node, clock = vehicle, data.shifts[vehicle][0]
    served = []
    for position in route:
        target = data.task_node(position)
        start = earliest_start(clock + int(data.travel[node, target]), data.windows[position])
        if start is None:
            continue
        served.append(position)
        node, clock = target, start + data.service[target]
    return served
