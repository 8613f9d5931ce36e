"""Dispatch configuration, read from the environment (`DISPATCH_...`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DispatchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", env_file=".env", extra="ignore")

    workers: int = Field(default=2, ge=1, le=64)
    """Solver processes of this server (territories are planned in parallel up to this)."""
    speed_kmh: float = Field(default=30.0, gt=0)
    """Average driving speed for haversine travel."""
    detour: float = Field(default=1.35, gt=0)
    """Road distance over great-circle distance."""
    location_fresh_minutes: int = Field(default=30, ge=0)
    """A technician's last reported position counts as their start when this recent."""
    pin_slack_minutes: int = Field(default=30, ge=0)
    """How far accepted work may slide later in a plan."""
    replan_debounce_seconds: float = Field(default=20.0, ge=0)
    """Triggers are collected this long after the last one before a territory is re-planned."""
    replan_time_limit_seconds: float = Field(default=1.0, gt=0)
    replan_move_minutes: int = Field(default=30, ge=0)
    """A re-plan keeps existing assignments within this many minutes of their start."""
    hold_minutes: int = Field(default=10, ge=1)
    """How long a held appointment slot stays reserved."""
    timeline_ttl_seconds: float = Field(default=15.0, ge=0)
    """Cached route timelines for slot queries live at most this long."""


@lru_cache(maxsize=1)
def dispatch_settings() -> DispatchSettings:
    return DispatchSettings()
