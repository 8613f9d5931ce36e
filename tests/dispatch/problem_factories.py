"""Dispatch problems in the problem-file format (DISPATCH.md), for the solver's tests."""

from __future__ import annotations

from typing import Any

from app.dispatch.solver.data import RoutingData, compile_part
from app.dispatch.solver.problem import parse_problem
from app.dispatch.solver.screen import screen
from app.dispatch.solver.travel import make_travel


def technician(id: str, x: float = 0, y: float = 0, **fields: Any) -> dict[str, Any]:
    return {
        "id": id,
        "start": {"x": x, "y": y},
        "end": {"x": x, "y": y},
        "shift": [0, 480],
    } | fields


def task(id: str, x: float, y: float, **fields: Any) -> dict[str, Any]:
    return {"id": id, "location": {"x": x, "y": y}, "duration": 10} | fields


def compiled(technicians: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> RoutingData:
    """The whole problem as one part, as the solver compiles it for a search."""
    problem = parse_problem(
        {"travel": {"kind": "euclidean"}, "technicians": technicians, "tasks": tasks}
    )
    travel = make_travel(problem.travel)
    return compile_part(
        problem,
        travel,
        screen(problem, travel),
        range(len(problem.technicians)),
        range(len(problem.tasks)),
    )
