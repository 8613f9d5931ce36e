"""Which searches to run on a part, by its size and the time available."""

from __future__ import annotations

from app.dispatch.solver import pyvrp_bridge
from app.dispatch.solver.data import RoutingData
from app.dispatch.solver.search import SearchConfig

RUIN_AND_RECREATE_MAX_TASKS = 300
"""Above this, one local search round takes too long for ruin and recreate to pay off."""
PYVRP_SHARE = 0.9
"""PyVRP plans first; OR-Tools polishes under the full model in the rest."""
RUIN_AND_RECREATE_MIN_SECONDS = 1.0
"""Below this, the guided local search alone makes better use of the time."""


def portfolio_for(data: RoutingData, seconds: float, workers: int) -> list[SearchConfig]:
    """Diverse searches for one part, the most robust first; the best result wins.

    Cheapest insertion always serves what it can; savings often starts closer to the best
    distance on homogeneous fleets but may serve nothing on a short clock.
    """
    improve = (
        data.task_count <= RUIN_AND_RECREATE_MAX_TASKS and seconds >= RUIN_AND_RECREATE_MIN_SECONDS
    )
    improve_share = 0.7 if improve else 0.0
    if pyvrp_bridge.supports(data) and data.task_count > 1:
        return [
            SearchConfig(time_limit=seconds, pyvrp_share=PYVRP_SHARE, guided_lambda=0.1, seed=seed)
            for seed in range(1, 1 + max(1, min(workers, 2)))
        ]
    configs = [
        SearchConfig(
            time_limit=seconds,
            first_solution="PARALLEL_CHEAPEST_INSERTION",
            guided_lambda=0.6,
            improve_share=improve_share,
            seed=2,
        ),
        SearchConfig(
            time_limit=seconds,
            first_solution="SAVINGS",
            guided_lambda=0.3,
            improve_share=improve_share,
            seed=1,
        ),
    ]
    return configs[: max(1, min(workers, len(configs)))]
