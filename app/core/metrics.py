"""What a running instance does, for Prometheus: counters and histograms the code updates as it
works (process-wide, like the process they describe), and gauges read from an app's own state
(broker, database pool) when `/metrics` is scraped.

Label values a client chooses (operation names, fields) are bounded: a name outside the first
`MAX_OPERATION_NAMES` seen, or not a field of the schema, is counted as `other`, so no client can
grow the series without limit.
"""

from __future__ import annotations

import contextlib
import hmac
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

MAX_OPERATION_NAMES = 200
OTHER = "other"
ANONYMOUS = "anonymous"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)
SOLVE_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

OPERATIONS = Counter(
    "fieldgraph_graphql_operations",
    "GraphQL operations by type, name and outcome (ok, or the first error's code).",
    ("type", "operation", "outcome"),
)
OPERATION_SECONDS = Histogram(
    "fieldgraph_graphql_operation_seconds",
    "Wall time of GraphQL queries and mutations, from parse to result.",
    ("type", "operation"),
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter(
    "fieldgraph_graphql_errors", "GraphQL errors by code (INTERNAL: unexpected).", ("code",)
)
WEBSOCKETS = Gauge("fieldgraph_websocket_connections", "Open GraphQL WebSocket connections.")
SUBSCRIPTIONS = Gauge(
    "fieldgraph_subscriptions_active", "Running subscriptions by root field.", ("field",)
)
PINGS = Counter("fieldgraph_pings", "Technician location pings by outcome.", ("outcome",))
JOB_RUNS = Counter(
    "fieldgraph_job_runs", "Periodic job rounds by job and outcome.", ("job", "outcome")
)
JOB_SECONDS = Histogram(
    "fieldgraph_job_seconds", "Duration of a periodic job round.", ("job",), buckets=JOB_BUCKETS
)
SOLVE_SECONDS = Histogram(
    "fieldgraph_dispatch_solve_seconds", "Solver time of a dispatch run.", buckets=SOLVE_BUCKETS
)
DISPATCH_TASKS = Counter(
    "fieldgraph_dispatch_tasks",
    "Tasks of finished dispatch runs by result (assigned, unassigned, pinned).",
    ("result",),
)
DISPATCH_TRAVEL = Counter(
    "fieldgraph_dispatch_travel_minutes", "Travel minutes planned by finished dispatch runs."
)

_names_lock = threading.Lock()
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """The label for a client's operation name: bounded in count and length."""
    if not name:
        return ANONYMOUS
    if name in _operation_names:
        return name
    if len(name) > 64:
        return OTHER
    with _names_lock:
        if len(_operation_names) >= MAX_OPERATION_NAMES:
            return OTHER
        _operation_names.add(name)
    return name


@contextlib.contextmanager
def timed_job(name: str) -> Iterator[None]:
    """Counts one round of a job and its duration; the outcome is `failed` when it raises."""
    with JOB_SECONDS.labels(name).time():
        try:
            yield
        except Exception:
            JOB_RUNS.labels(name, "failed").inc()
            raise
        JOB_RUNS.labels(name, "ok").inc()


@contextlib.contextmanager
def open_subscription(field: str) -> Iterator[None]:
    gauge = SUBSCRIPTIONS.labels(field)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def dispatch_run_finished(
    solve_seconds: float, assigned: int, unassigned: int, pinned: int, travel_minutes: float
) -> None:
    SOLVE_SECONDS.observe(solve_seconds)
    DISPATCH_TASKS.labels("assigned").inc(assigned)
    DISPATCH_TASKS.labels("unassigned").inc(unassigned)
    DISPATCH_TASKS.labels("pinned").inc(pinned)
    DISPATCH_TRAVEL.inc(travel_minutes)


class StateCollector(Collector):
    """Gauges read from one app's broker and database pool at scrape time."""

    def __init__(self, broker_stats: Callable[[], dict[str, int]], pool: Any | None) -> None:
        self.broker_stats = broker_stats
        self.pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self.broker_stats()
        fanout = GaugeMetricFamily(
            "fieldgraph_fanout", "Realtime fan-out counters of this instance.", labels=["stat"]
        )
        for stat, value in sorted(stats.items()):
            fanout.add_metric([stat], value)
        yield fanout
        if self.pool is None:
            return
        pool = GaugeMetricFamily(
            "fieldgraph_db_pool", "Database connection pool of this instance.", labels=["state"]
        )
        for state, read in (
            ("size", self.pool.size),
            ("checked_out", self.pool.checkedout),
            ("idle", self.pool.checkedin),
        ):
            pool.add_metric([state], float(read()))
        yield pool


def metrics_endpoint(
    state: StateCollector, token: str | None, open_without_token: bool
) -> Callable[[Request], Any]:
    """`/metrics`: open outside production; in production only with `METRICS_TOKEN` as a bearer
    token, and absent (404) when no token is set."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(state)

    async def metrics(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return PlainTextResponse("a valid metrics token is required", status_code=401)
        elif not open_without_token:
            return PlainTextResponse("Not Found", status_code=404)
        body = generate_latest(REGISTRY) + generate_latest(registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics
