"""The shrinkage model on synthetic history whose true medians are known."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from app.durations.service import Accuracy, evaluate
from app.durations.shrinkage import Features, Level, Sample, fit, quantile

START = datetime(2026, 1, 1, tzinfo=UTC)
TRUE_MINUTES = {(1, "no cooling"): 100.0, (1, "noise"): 40.0, (2, "no cooling"): 160.0}
LEVEL_FACTOR = {1: 1.3, 3: 1.0, 5: 0.8}


def synthetic(n: int, seed: int = 7) -> list[Sample]:
    """Repairs whose minutes are model x fault x technician level, with multiplicative noise."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        (model, fault), base = rng.choice(list(TRUE_MINUTES.items()))
        level = rng.choice(list(LEVEL_FACTOR))
        minutes = base * LEVEL_FACTOR[level] * rng.lognormvariate(0, 0.1)
        features = Features("REPAIR", "HVAC", model, fault, level)
        rows.append(Sample(features, minutes, 60, START + timedelta(hours=i)))
    return rows


def test_recovers_the_medians_of_each_model_and_fault() -> None:
    # given a long history
    fitted = fit(synthetic(3000))
    # when predicting for an average technician, each fault's median comes back within 6 %
    for (model, fault), truth in TRUE_MINUTES.items():
        p = fitted.predict(Features("REPAIR", "HVAC", model, fault, 3))
        assert p is not None
        assert p.level is Level.FAULT and p.confident
        assert abs(p.median - truth) / truth < 0.06, (model, fault, p.median)
        assert p.p80 > p.median


def test_technician_level_scales_the_prediction() -> None:
    fitted = fit(synthetic(3000))
    junior = fitted.predict(Features("REPAIR", "HVAC", 1, "noise", 1))
    senior = fitted.predict(Features("REPAIR", "HVAC", 1, "noise", 5))
    assert junior is not None and senior is not None
    assert 1.4 < junior.median / senior.median < 1.9  # truly 1.3 / 0.8 = 1.625


def test_a_small_group_is_shrunk_towards_its_parent() -> None:
    # given many repairs of model 1 around 100 minutes and five of model 2 at 300
    rows = [
        Sample(Features("REPAIR", "HVAC", 1, None), 100.0, 60, START + timedelta(hours=i))
        for i in range(200)
    ]
    rows += [Sample(Features("REPAIR", "HVAC", 2, None), 300.0, 60, START) for _ in range(5)]
    p = fit(rows, k=10, min_samples=5).predict(Features("REPAIR", "HVAC", 2, None))
    assert p is not None and p.level is Level.MODEL and p.samples == 5
    # then its median lies between the parent's and its own, with weight 5 / (5 + 10)
    parent = fit(rows, k=10).stats[("CATEGORY", "REPAIR|HVAC")].median
    assert abs(p.median - (5 * 300 + 10 * parent) / 15) < 1e-6


def test_unknown_detail_falls_back_to_a_coarser_level_and_global_is_not_confident() -> None:
    fitted = fit(synthetic(300))
    unknown_model = fitted.predict(Features("REPAIR", "HVAC", 99, "no cooling"))
    assert unknown_model is not None and unknown_model.level is Level.CATEGORY
    assert unknown_model.confident
    other_type = fitted.predict(Features("INSTALLATION"))
    assert other_type is not None and other_type.level is Level.GLOBAL
    assert not other_type.confident
    assert fit([]).predict(Features("REPAIR")) is None


def test_held_out_accuracy_beats_the_static_default() -> None:
    accuracy = evaluate(synthetic(1000))
    assert isinstance(accuracy, Accuracy)
    assert accuracy.samples == 200
    assert accuracy.mae < accuracy.static_mae
    assert accuracy.pinball_80 < accuracy.static_pinball_80
    assert 0.65 < accuracy.coverage_80 < 0.95


def test_quantile_interpolates() -> None:
    assert quantile([10, 20, 30, 40, 50], 0.8) == 42.0
    assert quantile([7], 0.8) == 7


def test_a_fault_seen_on_other_models_informs_a_model_that_has_not_seen_it() -> None:
    # given model 1: "no cooling" 100 min, "noise" 40 min; model 2 only "no cooling" at 160
    rows = [s for s in synthetic(3000) if s.features.technician_level == 3]
    rows = [s for s in rows if (s.features.product_model_id, s.features.fault) != (2, "noise")]
    fitted = fit(rows)
    # when predicting "noise" on model 2 (no history of that pair)
    p = fitted.predict(Features("REPAIR", "HVAC", 2, "noise", 3))
    # then it stands on model 2, scaled by the fault's ratio on model 1 (40 / 100 of ~160)
    assert p is not None and p.level is Level.MODEL
    assert 45 < p.median < 85
