"""Console configuration, read from the environment (`CONSOLE_...`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", env_file=".env", extra="ignore")

    tile_url: str | None = None
    """A raster tile template ({z}/{x}/{y}) drawn under the map where one is reachable;
    without it the map draws territories and points on a blank style and needs no network."""
    dist: Path | None = None
    """Where the built console is; unset: `console/dist` of the checkout (the image sets it)."""


@lru_cache(maxsize=1)
def get_console_settings() -> ConsoleSettings:
    return ConsoleSettings()
