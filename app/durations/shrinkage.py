"""The duration model: hierarchical shrinkage of medians and 80th percentiles (pure, no database).

Completed work is grouped along one path per task, from the general to the particular:

    GLOBAL -> TYPE (task type) -> CATEGORY (type + product category) -> MODEL (type + product
    model) -> FAULT (type + product model + reported fault)

At each level the group's raw median (and p80) is shrunk towards its parent's shrunk value with
weight n / (n + k): a group of n = k samples counts half, a large group speaks for itself, a
small one stays near its parent. A fault's parent is its product model scaled by the fault's
factor across all models (median ratio to the model's median, shrunk towards 1), so a fault
seen often on other models informs a model that has seen it rarely; the same factor adjusts a
prediction that stands on the model or category level. Two adjustments then apply as factors,
each the median ratio of actual to the base estimate in its group, shrunk towards 1 the same
way: the technician's level in the task's skill (1-5) and first visit vs follow-up.

A prediction uses the deepest level whose group holds at least `min_samples` completed tasks; it
is confident when that level is TYPE or deeper (the global figure alone is no basis for a
promise).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Level(StrEnum):
    """Where in the hierarchy a figure comes from, from the general to the particular."""

    GLOBAL = "GLOBAL"
    """All completed work, whatever its kind."""
    TYPE = "TYPE"
    """Completed work of the same task type."""
    CATEGORY = "CATEGORY"
    """The same task type on products of the same category."""
    MODEL = "MODEL"
    """The same task type on the same product model."""
    FAULT = "FAULT"
    """The same task type on the same product model for the same reported fault."""


HIERARCHY = (Level.GLOBAL, Level.TYPE, Level.CATEGORY, Level.MODEL, Level.FAULT)
PARENT = {Level.CATEGORY: Level.TYPE, Level.MODEL: Level.CATEGORY, Level.FAULT: Level.MODEL}
TECH_LEVEL = "TECH_LEVEL"
VISIT = "VISIT"
FAULT_FACTOR = "FAULT_FACTOR"
FIRST_VISIT, FOLLOW_UP = "FIRST", "FOLLOW_UP"


@dataclass(frozen=True, slots=True)
class Features:
    """What is known of a task before it is done (None: not known)."""

    task_type: str
    category: str | None = None
    product_model_id: int | None = None
    fault: str | None = None
    technician_level: int | None = None
    follow_up: bool = False

    @property
    def fault_key(self) -> str | None:
        """The fault across product models: task type and fault."""
        return f"{self.task_type}|{self.fault.replace('|', '/')}" if self.fault else None

    def path(self) -> list[tuple[Level, str]]:
        """The (level, key) path of the task, as deep as its features go."""
        path = [(Level.GLOBAL, ""), (Level.TYPE, self.task_type)]
        if self.category is None:
            return path
        path.append((Level.CATEGORY, f"{self.task_type}|{self.category}"))
        if self.product_model_id is None:
            return path
        model = f"{self.task_type}|{self.category}|{self.product_model_id}"
        path.append((Level.MODEL, model))
        if self.fault:
            path.append((Level.FAULT, f"{model}|{self.fault.replace('|', '/')}"))
        return path


@dataclass(frozen=True, slots=True)
class Sample:
    """One completed task: its features, the minutes worked and the static planned minutes."""

    features: Features
    minutes: float
    static_minutes: int
    finished_at: datetime
    task_id: int = 0
    technician_id: int | None = None


@dataclass(frozen=True, slots=True)
class Stat:
    samples: int
    median: float
    p80: float


@dataclass(frozen=True, slots=True)
class Prediction:
    median: float
    p80: float
    level: Level
    key: str
    samples: int
    confident: bool
    model_version: int | None


@dataclass
class Fitted:
    """A trained model: the shrunk figures per (level, key) and the adjustment factors."""

    stats: dict[tuple[str, str], Stat]
    k: float
    min_samples: int
    version: int | None = None

    def predict(self, features: Features) -> Prediction | None:
        """None when the model knows nothing (no history at all)."""
        used: tuple[Level, str, Stat] | None = None
        for level, key in features.path():
            stat = self.stats.get((level.value, key))
            if stat is None:
                break
            if stat.samples >= self.min_samples or used is None:
                used = (level, key, stat)
        if used is None:
            return None
        level, key, stat = used
        factor = self.factor_of(features)
        if level in (Level.CATEGORY, Level.MODEL) and features.fault_key:
            fault = self.stats.get((FAULT_FACTOR, features.fault_key))
            factor *= fault.median if fault else 1.0
        return Prediction(
            median=stat.median * factor,
            p80=stat.p80 * factor,
            level=level,
            key=key,
            samples=stat.samples,
            confident=level is not Level.GLOBAL and stat.samples >= self.min_samples,
            model_version=self.version,
        )

    def factor_of(self, features: Features) -> float:
        """The technician-level and visit adjustments multiplied (1 where unknown)."""
        visit = FOLLOW_UP if features.follow_up else FIRST_VISIT
        return self._factor(TECH_LEVEL, features.technician_level) * self._factor(VISIT, visit)

    def _factor(self, group: str, key: object) -> float:
        if key is None:
            return 1.0
        stat = self.stats.get((group, str(key)))
        return stat.median if stat else 1.0


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    at = q * (len(ordered) - 1)
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def _shrink(raw: float, n: int, parent: float, k: float) -> float:
    return (n * raw + k * parent) / (n + k)


def fit(samples: Iterable[Sample], *, k: float = 10.0, min_samples: int = 5) -> Fitted:
    """Train on completed work (any order), in two passes: the hierarchy on raw minutes gives
    the factors; the hierarchy is then refitted on minutes with the factors divided out, so
    that a group's spread is not widened by the mix of technicians who happened to do it."""
    rows = list(samples)
    first = Fitted(_hierarchy(rows, lambda s: s.minutes, k), k, min_samples)
    factors = _factors(first, rows)
    fitted = Fitted({}, k, min_samples)
    fitted.stats = factors

    def normalized(sample: Sample) -> float:
        return sample.minutes / fitted.factor_of(sample.features)

    fitted.stats = _hierarchy(rows, normalized, k) | factors
    return fitted


def _hierarchy(
    rows: list[Sample], minutes: Callable[[Sample], float], k: float
) -> dict[tuple[str, str], Stat]:
    groups: dict[tuple[Level, str], list[float]] = defaultdict(list)
    for sample in rows:
        value = minutes(sample)
        for level, key in sample.features.path():
            groups[(level, key)].append(value)
    stats: dict[tuple[str, str], Stat] = {}
    for level in HIERARCHY:  # parents before children
        if level is Level.FAULT:
            stats |= _fault_factors(rows, minutes, stats, k)
        for (at, key), values in groups.items():
            if at is not level:
                continue
            median, p80 = statistics.median(values), quantile(values, 0.8)
            parent = _parent_stat(stats, level, key)
            if level is Level.FAULT and parent is not None:
                fault = stats.get((FAULT_FACTOR, key.split("|", 1)[0] + "|" + key.split("|", 3)[3]))
                ratio = fault.median if fault else 1.0
                parent = Stat(parent.samples, parent.median * ratio, parent.p80 * ratio)
            if parent is not None:
                median = _shrink(median, len(values), parent.median, k)
                p80 = _shrink(p80, len(values), parent.p80, k)
            stats[(level.value, key)] = Stat(len(values), median, p80)
    return stats


def _fault_factors(
    rows: list[Sample],
    minutes: Callable[[Sample], float],
    stats: dict[tuple[str, str], Stat],
    k: float,
) -> dict[tuple[str, str], Stat]:
    """How much longer or shorter a fault makes the work than its product model's median,
    across every model (median ratio, shrunk towards 1): the prior of a model's fault group
    with little history of its own, and the adjustment when it has none."""
    ratios: dict[str, list[float]] = defaultdict(list)
    for sample in rows:
        path = sample.features.path()
        if len(path) <= HIERARCHY.index(Level.FAULT) or sample.features.fault_key is None:
            continue
        model = stats.get((Level.MODEL.value, path[HIERARCHY.index(Level.MODEL)][1]))
        if model is not None and model.median > 0:
            ratios[sample.features.fault_key].append(minutes(sample) / model.median)
    found = {}
    for key, values in ratios.items():
        factor = _shrink(statistics.median(values), len(values), 1.0, k)
        found[(FAULT_FACTOR, key)] = Stat(len(values), factor, factor)
    return found


def _parent_stat(stats: dict[tuple[str, str], Stat], level: Level, key: str) -> Stat | None:
    if level is Level.GLOBAL:
        return None
    if level is Level.TYPE:
        return stats.get((Level.GLOBAL.value, ""))
    parent = PARENT[level]
    depth = HIERARCHY.index(parent)  # TYPE keys have 1 part, CATEGORY 2, MODEL 3
    return stats.get((parent.value, "|".join(key.split("|", 3)[:depth])))


def _factors(base: Fitted, rows: list[Sample]) -> dict[tuple[str, str], Stat]:
    """The technician-level and visit factors: median ratio actual / base, shrunk towards 1."""
    ratios: dict[tuple[str, str], list[float]] = defaultdict(list)
    for sample in rows:
        p = base.predict(sample.features)
        if p is None or p.median <= 0:
            continue
        ratio = sample.minutes / p.median
        if sample.features.technician_level is not None:
            ratios[(TECH_LEVEL, str(sample.features.technician_level))].append(ratio)
        visit = FOLLOW_UP if sample.features.follow_up else FIRST_VISIT
        ratios[(VISIT, visit)].append(ratio)
    factors = {}
    for key, values in ratios.items():
        factor = _shrink(statistics.median(values), len(values), 1.0, base.k)
        factors[key] = Stat(len(values), factor, factor)
    return factors


def pinball(actual: float, predicted: float, q: float) -> float:
    """The quantile (pinball) loss of one prediction."""
    diff = actual - predicted
    return max(q * diff, (q - 1) * diff)
