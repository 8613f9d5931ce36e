"""How long the demo city's work really takes, and the duration model trained on it at the end
of the seed.

A visit's time at work is its kind's base time x its product model's factor x its reported
fault's factor x the technician's level factor x noise:

- base: repair 70, maintenance 50, installation 130, inspection 35, replacement 80 minutes;
- product model: 0.75 to 1.34, fixed per model (a stable hash of its name);
- fault (repairs): 0.70 to 1.59, fixed per fault description, x 1.15 when the fix needs a part;
- technician level in the task's skill: 1 -> 1.35, 2 -> 1.15, 3 -> 1.0, 4 -> 0.9, 5 -> 0.8;
- noise: log-normal with sigma 0.18 (about +-18 %), from an RNG seeded by technician and time.

The desk still types the usual static duration (`workday.DURATIONS`), so the planner's default
is wrong in the ways a learned model can correct."""

from __future__ import annotations

import random
import zlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.demo import faults as fx
from app.durations.models import DurationModel
from app.durations.service import retrain

BASE_MINUTES = {
    "REPAIR": 70.0,
    "MAINTENANCE": 50.0,
    "INSTALLATION": 130.0,
    "INSPECTION": 35.0,
    "REPLACEMENT": 80.0,
}
LEVEL_FACTOR = {1: 1.35, 2: 1.15, 3: 1.0, 4: 0.9, 5: 0.8}
NOISE_SIGMA = 0.18


def _stable(text: str, spread: int) -> int:
    return zlib.crc32(text.encode()) % spread


def model_factor(model_name: str) -> float:
    return 0.75 + _stable(model_name, 60) / 100


def fault_factor(fault: fx.Fault | None) -> float:
    if fault is None:
        return 1.0
    return (0.7 + _stable(fault.description, 90) / 100) * (1.15 if fault.parts else 1.0)


def worked_minutes(
    kind: str, model_name: str, fault: fx.Fault | None, level: int, noise: random.Random
) -> int:
    """Minutes at work on one visit (see the module's docstring)."""
    minutes = BASE_MINUTES[kind] * model_factor(model_name) * fault_factor(fault)
    minutes *= LEVEL_FACTOR.get(level, 1.0) * noise.lognormvariate(0, NOISE_SIGMA)
    return max(15, min(360, round(minutes)))


async def train_model(session: AsyncSession, now: datetime) -> DurationModel | None:
    """The first version of the duration model, trained on the seeded history."""
    return await retrain(session, now=now)
