"""Durations learned from history against the static default, on the demo city's history.

    python -m bench.durations [--scale N] [--reuse]

Seeds the demo city into its own database (`<DATABASE_URL's name>_bench_durations`, recreated
unless --reuse finds it seeded), reads the completed tasks with their worked minutes from the
audit trail, and splits them by completion time: the first 80 % train, the last 20 % are held
out. Prints, on the held-out tasks:

- MAE of the median, and pinball loss at q = 0.5 and q = 0.8, for the static `duration_minutes`,
  the shrinkage model (what the app uses) and, when scikit-learn can be imported, a
  HistGradientBoostingRegressor with quantile loss on the same features, and the paired
  difference of the two models' errors with a bootstrap interval;
- the effect on plans: every held-out technician-day replayed with the actual durations against
  a plan built with the static durations, the learned median and the learned p80 (promised
  arrival = previous promised arrival + planned minutes + the observed gap to the next visit;
  real arrival = previous real arrival + actual minutes + the same gap). A visit is late when it
  is reached more than 15 minutes after its promise; also shown: the planned day's length
  against the real one.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core import bootstrap
from app.demo.command import seed_database
from app.durations import repository
from app.durations.service import MIN_SAMPLES, SHRINK_K, Accuracy, evaluate, split
from app.durations.shrinkage import Sample, fit

TODAY = date(2026, 3, 4)
LATE_MINUTES = 15
Predictor = Callable[[Sample], tuple[float, float] | None]

STARTS = sa.text(
    "SELECT task_id, min(at) AS started FROM task_events "
    "WHERE action = 'START_WORK' AND task_id = ANY(:ids) GROUP BY task_id"
)


async def _recreate(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await bootstrap.prepare_database(url)


def static_fitter(train: Sequence[Sample]) -> Predictor:
    return lambda s: (float(s.static_minutes), float(s.static_minutes))


def shrinkage_fitter(train: Sequence[Sample]) -> Predictor:
    fitted = fit(train, k=SHRINK_K, min_samples=MIN_SAMPLES)

    def predict(sample: Sample) -> tuple[float, float] | None:
        p = fitted.predict(sample.features)
        if p is None or not p.confident:
            return float(sample.static_minutes), float(sample.static_minutes)
        return p.median, p.p80

    return predict


def boosting_fitter(train: Sequence[Sample]) -> Predictor | None:
    """HistGradientBoostingRegressor (quantile loss) on the same features; None without
    scikit-learn."""
    try:
        import numpy as np
        from sklearn.ensemble import HistGradientBoostingRegressor
    except ImportError:
        return None
    codes: list[dict[object, int]] = [{}, {}, {}, {}]

    def row(s: Sample, grow: bool) -> list[float]:
        f = s.features
        values: list[object] = [f.task_type, f.category, f.product_model_id, f.fault]
        out: list[float] = []
        for table, value in zip(codes, values, strict=True):
            if value not in table and grow and len(table) < 250:
                table[value] = len(table)
            out.append(float(table[value]) if value in table else float("nan"))
        level = f.technician_level
        return [*out, float(level) if level is not None else float("nan"), float(f.follow_up)]

    x = np.array([row(s, True) for s in train])
    y = np.array([s.minutes for s in train])
    categorical = [True, True, True, True, False, False]
    models = [
        HistGradientBoostingRegressor(
            loss="quantile", quantile=q, categorical_features=categorical, random_state=0
        ).fit(x, y)
        for q in (0.5, 0.8)
    ]

    def predict(sample: Sample) -> tuple[float, float] | None:
        features = np.array([row(sample, False)])
        return float(models[0].predict(features)[0]), float(models[1].predict(features)[0])

    return predict


def replay(
    test: Sequence[Sample], started: dict[int, datetime], predict: Predictor
) -> tuple[int, int, float, float]:
    """(late visits, visits, mean planned day minutes, mean real day minutes)."""
    days: dict[tuple[int | None, date], list[Sample]] = defaultdict(list)
    for s in test:
        if s.task_id in started:
            days[(s.technician_id, started[s.task_id].date())].append(s)
    late = visits = 0
    planned_days: list[float] = []
    real_days: list[float] = []
    for route in days.values():
        route.sort(key=lambda s: started[s.task_id])
        promised = real = 0.0
        for i, s in enumerate(route):
            visits += 1
            late += real > promised + LATE_MINUTES
            planned = (predict(s) or (s.static_minutes, s.static_minutes))[0]
            gap = 0.0
            if i + 1 < len(route):
                following = started[route[i + 1].task_id]
                gap = max(0.0, (following - started[s.task_id]).total_seconds() / 60 - s.minutes)
            promised += planned + gap
            real += s.minutes + gap
        planned_days.append(promised)
        real_days.append(real)
    return late, visits, statistics.fmean(planned_days), statistics.fmean(real_days)


def _row(name: str, a: Accuracy) -> str:
    return (
        f"  {name:<22}{a.mae:>8.1f}{a.pinball_50:>10.1f}{a.pinball_80:>10.1f}{a.coverage_80:>10.0%}"
    )


async def run(scale: int, reuse: bool) -> int:
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph")
    )
    url = base.set(database=f"{base.database}_bench_durations").render_as_string(
        hide_password=False
    )
    engine = None
    try:
        if not reuse:
            await _recreate(url)
            await asyncio.to_thread(bootstrap.upgrade, url)
        engine = create_async_engine(url)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        began = time.perf_counter()
        await seed_database(sessions, scale=scale, today=TODAY, if_empty=True, out=io.StringIO())
        seeded = time.perf_counter() - began
        async with sessions() as session:
            began = time.perf_counter()
            samples = await repository.history(session)
            read = time.perf_counter() - began
            _, test = split(samples)
            rows = await session.execute(STARTS, {"ids": [s.task_id for s in test]})
            started = {r.task_id: r.started for r in rows}
    finally:
        if engine is not None:
            await engine.dispose()
    print(
        f"demo city scale {scale} (seeded in {seeded:.1f} s): {len(samples):,} completed tasks "
        f"read in {read * 1000:.0f} ms; held out: the last {len(test):,} by completion time"
    )
    began = time.perf_counter()
    fit(samples, k=SHRINK_K, min_samples=MIN_SAMPLES)
    print(
        f"shrinkage model trained on all of them in {(time.perf_counter() - began) * 1000:.0f} ms"
    )
    fitters: list[tuple[str, Callable[[Sequence[Sample]], Predictor | None]]] = [
        ("static duration", static_fitter),
        ("shrinkage (app)", shrinkage_fitter),
        ("gradient boosting", boosting_fitter),
    ]
    print(f"\n  {'held-out accuracy':<22}{'MAE':>8}{'pin 0.5':>10}{'pin 0.8':>10}{'<= p80':>10}")
    train, _ = split(samples)
    predictors: dict[str, Predictor] = {}
    for name, fitter in fitters:
        predictor = fitter(train)
        if predictor is None:
            print(f"  {name:<22}  (scikit-learn not installed: not evaluated)")
            continue
        predictors[name] = predictor
        accuracy = evaluate(samples, lambda _train, p=predictor: p)
        assert accuracy is not None
        print(_row(name, accuracy))
    if "gradient boosting" in predictors:
        low, mid, high = _paired_gap(
            test, predictors["shrinkage (app)"], predictors["gradient boosting"]
        )
        print(
            f"  MAE shrinkage - boosting: {mid:+.1f} min (95 % bootstrap interval "
            f"{low:+.1f} .. {high:+.1f})"
        )
    print(
        f"\n  {'plans replayed':<22}{'late':>8}{'visits':>8}{'late %':>8}"
        f"{'plan/day':>10}{'real/day':>10}"
    )
    plans: list[tuple[str, Predictor]] = [
        ("static duration", predictors["static duration"]),
        ("learned median", predictors["shrinkage (app)"]),
        ("learned p80", lambda s, p=predictors["shrinkage (app)"]: _p80(p(s))),
    ]
    for name, predictor in plans:
        late, visits, planned, real = replay(test, started, predictor)
        print(
            f"  {name:<22}{late:>8,}{visits:>8,}{late / max(visits, 1):>8.0%}"
            f"{planned:>10.0f}{real:>10.0f}"
        )
    return 0


def _paired_gap(
    test: Sequence[Sample], first: Predictor, second: Predictor, rounds: int = 2000
) -> tuple[float, float, float]:
    """The held-out MAE of `first` minus that of `second`, with a paired bootstrap interval."""
    gaps = []
    for s in test:
        a = (first(s) or (s.static_minutes, 0))[0]
        b = (second(s) or (s.static_minutes, 0))[0]
        gaps.append(abs(s.minutes - a) - abs(s.minutes - b))
    rng = random.Random(0)
    means = sorted(statistics.fmean(rng.choices(gaps, k=len(gaps))) for _ in range(rounds))
    return means[int(rounds * 0.025)], statistics.fmean(gaps), means[int(rounds * 0.975)]


def _p80(figures: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if figures is None else (figures[1], figures[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = parser.parse_args()
    return asyncio.run(run(args.scale, args.reuse))


if __name__ == "__main__":
    sys.exit(main())
