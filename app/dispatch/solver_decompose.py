"""Split a large problem into parts that can be searched independently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.dispatch.problem import Problem
from app.dispatch.solver_screen import Screening
from app.dispatch.travel import TravelProvider


@dataclass(frozen=True)
class Part:
    technicians: tuple[int, ...]
    tasks: tuple[int, ...]


def split_into_parts(
    problem: Problem, travel: TravelProvider, screening: Screening, tasks: Sequence[int]
) -> list[Part]:
    return [Part(technicians=tuple(range(len(problem.technicians))), tasks=tuple(tasks))]
