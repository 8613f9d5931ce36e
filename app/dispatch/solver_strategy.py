"""Which searches to run on a part, by its size and the time available."""

from __future__ import annotations

from app.dispatch.solver_data import RoutingData
from app.dispatch.solver_search import SearchConfig


def portfolio_for(data: RoutingData, seconds: float, workers: int) -> list[SearchConfig]:
    """Diverse searches for one part; the best result wins."""
    configs = [
        SearchConfig(time_limit=seconds, first_solution="PARALLEL_CHEAPEST_INSERTION"),
        SearchConfig(time_limit=seconds, first_solution="SAVINGS"),
    ]
    return configs[: max(1, min(workers, len(configs)))]
