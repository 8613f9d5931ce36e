"""Which searches to run on a part, by its size and the time available."""

from __future__ import annotations

from app.dispatch.solver_data import RoutingData
from app.dispatch.solver_search import SearchConfig

RUIN_AND_RECREATE_MAX_TASKS = 300
"""Above this, one local search round takes too long for ruin and recreate to pay off."""


def portfolio_for(data: RoutingData, seconds: float, workers: int) -> list[SearchConfig]:
    """Diverse searches for one part, best first; the best result wins."""
    improve_share = 0.7 if data.task_count <= RUIN_AND_RECREATE_MAX_TASKS else 0.0
    configs = [
        SearchConfig(
            time_limit=seconds,
            first_solution="SAVINGS",
            guided_lambda=0.3,
            improve_share=improve_share,
            seed=1,
        ),
        SearchConfig(
            time_limit=seconds,
            first_solution="PARALLEL_CHEAPEST_INSERTION",
            guided_lambda=0.6,
            improve_share=improve_share,
            seed=2,
        ),
    ]
    return configs[: max(1, min(workers, len(configs)))]
