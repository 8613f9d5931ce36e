"""Realtime delivery: bounded subscriber queues, resilient broker backends, a local fan-out hub."""
