"""The pure dispatch solver: problem in, plan out.

Nothing here reads the database or knows about the API. The service (`app.dispatch.service`,
`problem_builder`, `runner`, `plans`) builds a `Problem`, calls `solve` and reads the plan back;
imports go from the service into this package, never out of it.

Modules, by what they do:
- `problem`: the problem file and plan format (`fieldgraph solve`), pure dataclasses
- `travel`: travel-time models (haversine, planar, matrix files)
- `orchestrate`: `solve`, picks a strategy, splits large days and merges the parts
- `data`, `screen`: compile a problem into integer routing data and screen who can take what
- `model`, `search`, `strategy`: the OR-Tools routing model and its search portfolio
- `pyvrp_bridge`: the same problem through PyVRP where it models everything exactly
- `greedy`, `improve`, `schedule`: construction, ruin-and-recreate, and timing of routes
- `decompose`, `large`, `parallel`: sectors and route parts for large days, solved in processes
- `crews`: the planner for crews and multi-day tasks
"""

from app.dispatch.solver.orchestrate import SINGLE_PART_MAX_TASKS, SolveOptions, solve

__all__ = ["SINGLE_PART_MAX_TASKS", "SolveOptions", "solve"]
