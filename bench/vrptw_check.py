"""An independent feasibility checker for VRPTW plans, written from the instance alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.vrplib import VrptwInstance, dimacs_distances

EPSILON = 1e-6


@dataclass
class CheckResult:
    distance: float = 0.0
    vehicles: int = 0
    unassigned: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.errors


def check_routes(
    instance: VrptwInstance, routes: Sequence[Sequence[int]], unassigned: Sequence[int] = ()
) -> CheckResult:
    """Routes are lists of customer numbers (1..n). Every customer once, or unassigned."""
    result = CheckResult(vehicles=sum(1 for r in routes if r), unassigned=len(unassigned))
    if result.vehicles > instance.vehicles:
        result.errors.append(f"{result.vehicles} routes but only {instance.vehicles} vehicles")
    _check_coverage(instance, routes, unassigned, result)
    for number, route in enumerate(routes, start=1):
        if route:
            result.distance += _check_route(instance, route, number, result.errors)
    result.distance = round(result.distance, 6)
    return result


def _check_coverage(
    instance: VrptwInstance,
    routes: Sequence[Sequence[int]],
    unassigned: Sequence[int],
    result: CheckResult,
) -> None:
    seen: dict[int, int] = {}
    for customer in [c for route in routes for c in route] + list(unassigned):
        seen[customer] = seen.get(customer, 0) + 1
    for customer in range(1, instance.customers + 1):
        count = seen.pop(customer, 0)
        if count != 1:
            result.errors.append(f"customer {customer} appears {count} times")
    for customer in seen:
        result.errors.append(f"unknown customer {customer}")


def _distance(instance: VrptwInstance, a: int, b: int) -> float:
    return float(dimacs_distances(instance.coords[[a, b]])[0, 1])


def _check_route(
    instance: VrptwInstance, route: Sequence[int], number: int, errors: list[str]
) -> float:
    clock, length, load, previous = float(instance.windows[0][0]), 0.0, 0, 0
    for customer in route:
        leg = _distance(instance, previous, customer)
        length += leg
        clock = max(clock + leg, instance.windows[customer][0])
        if clock > instance.windows[customer][1] + EPSILON:
            errors.append(f"route {number}: customer {customer} starts at {clock:g}, too late")
        clock += instance.service[customer]
        load += instance.demands[customer]
        previous = customer
    leg = _distance(instance, previous, 0)
    length += leg
    if clock + leg > instance.windows[0][1] + EPSILON:
        errors.append(f"route {number}: back at the depot at {clock + leg:g}, too late")
    if load > instance.capacity:
        errors.append(f"route {number}: load {load} over capacity {instance.capacity}")
    return length


def check_plan(instance: VrptwInstance, plan: Mapping[str, Any]) -> CheckResult:
    """Check a plan in the JSON form of DISPATCH.md (task ids are customer numbers)."""
    routes = [[int(stop["task"]) for stop in route["stops"]] for route in plan["routes"]]
    unassigned = [int(item["task"]) for item in plan["unassigned"]]
    return check_routes(instance, routes, unassigned)
