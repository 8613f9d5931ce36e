"""How `fieldgraph serve` runs uvicorn: one process or several, and a graceful stop.

On SIGTERM (or Ctrl-C) a server process stops accepting connections, closes each WebSocket
with code 1012 (service restart: graphql-ws and Apollo clients reconnect on it, through the
proxy to an instance still up), lets every request under way finish and send its whole
response (with `Connection: close`), then runs the app's shutdown: the embedded job worker
(`RUN_JOBS=true`) lets its running jobs finish in what is left of the grace period (a job cut
off is taken over by another worker, see app/core/worker.py), and the broker and the database
pool are closed. Draining may take most of `SHUTDOWN_GRACE_SECONDS`; a request still running
then is cancelled and its transaction rolled back, nothing half-written. The whole stop keeps
within the grace period, and the process exits 0.

With `--workers N` uvicorn's supervisor binds the socket once and starts N processes sharing
it; SIGTERM to the supervisor stops each of them the same way and it exits when all have.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import Callable, Generator
from typing import Any

import structlog
import uvicorn
from uvicorn.supervisors import Multiprocess

from app.core.config import Settings

log = structlog.get_logger("fieldgraph")

CLEANUP_SHARE = 0.2
"""Of the grace period, what is kept for the app's own shutdown after draining."""


def drain_seconds(settings: Settings) -> int:
    """How long requests under way may take to finish once a stop is asked for."""
    return max(1, math.floor(settings.shutdown_grace_seconds * (1 - CLEANUP_SHARE)))


class GracefulServer(uvicorn.Server):
    """uvicorn's server, stopping within the grace period and exiting 0 after a stop that a
    signal asked for (uvicorn re-raises the signal once it has stopped, which would end the
    process as killed by it)."""

    def __init__(self, config: uvicorn.Config, grace_seconds: float) -> None:
        super().__init__(config)
        self.grace_seconds = grace_seconds

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()  # the stop it asked for is done

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        state = self.server_state
        log.info(
            "stopping",
            pid=os.getpid(),
            requests=len(state.tasks),
            connections=len(state.connections),
            grace_seconds=self.grace_seconds,
        )
        try:
            await asyncio.wait_for(super().shutdown(sockets), timeout=self.grace_seconds)
        except TimeoutError:
            log.error("stop outran the grace period; exiting", grace_seconds=self.grace_seconds)
            return
        log.info("stopped", pid=os.getpid())


def serve_workers(config: uvicorn.Config, announce: Callable[[str, int], None]) -> int:
    """`config.workers` processes on one socket under uvicorn's supervisor (which restarts a
    worker that dies); `announce` is told the address once it is bound."""
    sock = config.bind_socket()
    announce(*sock.getsockname()[:2])
    Multiprocess(config, sockets=[sock]).run()
    return 0
