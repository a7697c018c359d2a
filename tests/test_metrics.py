"""Metrics against scikit-learn on random data, with and without sample weights."""
import numpy as np
import pytest
from sklearn.metrics import (accuracy_score, log_loss, mean_absolute_error, mean_squared_error,
                             roc_auc_score)

from gbt.metrics import METRICS, Metric, get_metric

N = 500


def weights(rng, weighted):
    return rng.uniform(0.1, 4.0, size=N) if weighted else None


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics(weighted):
    rng = np.random.default_rng(0)
    y = rng.normal(size=N)
    p = y + rng.normal(0, 0.5, size=N)
    w = weights(rng, weighted)
    assert get_metric("rmse")(y, p, w) == pytest.approx(
        np.sqrt(mean_squared_error(y, p, sample_weight=w)), rel=1e-12)
    assert get_metric("mae")(y, p, w) == pytest.approx(
        mean_absolute_error(y, p, sample_weight=w), rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_metrics(weighted):
    rng = np.random.default_rng(1)
    y = (rng.random(N) < 0.35).astype(np.float64)
    p = np.clip(0.3 * y + rng.random(N) * 0.7, 0.0, 1.0)
    p[:5] = [0.0, 1.0, 0.5, 0.5, 1e-20]  # edges: clipped log, threshold exactly 0.5
    w = weights(rng, weighted)
    assert get_metric("logloss")(y, p, w) == pytest.approx(
        log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), sample_weight=w, labels=[0, 1]), rel=1e-10)
    assert get_metric("error")(y, p, w) == pytest.approx(
        1.0 - accuracy_score(y, p > 0.5, sample_weight=w), rel=1e-12, abs=1e-15)
    assert get_metric("auc")(y, p, w) == pytest.approx(
        roc_auc_score(y, p, sample_weight=w), rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("levels", [3, 10, 50])
def test_auc_with_ties(weighted, levels):
    rng = np.random.default_rng(levels)
    y = (rng.random(N) < 0.5).astype(np.float64)
    p = np.round((rng.random(N) + 0.3 * y) * levels) / levels  # many tied scores
    assert np.unique(p).size < N // 4
    w = weights(rng, weighted)
    got = get_metric("auc")(y, p, w)
    assert got == pytest.approx(roc_auc_score(y, p, sample_weight=w), rel=1e-12)
    # All scores tied: exactly one half.
    assert get_metric("auc")(y, np.full(N, 0.3), w) == pytest.approx(0.5)


def test_auc_perfect_inverted_and_single_class():
    y = np.array([0.0, 0.0, 1.0, 1.0])
    assert get_metric("auc")(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert get_metric("auc")(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert np.isnan(get_metric("auc")(np.ones(4), np.array([0.1, 0.2, 0.3, 0.4])))
    # A zero weight removes a row entirely.
    y = np.array([0.0, 1.0, 0.0, 1.0])
    p = np.array([0.1, 0.9, 0.95, 0.8])
    assert get_metric("auc")(y, p, np.array([1.0, 1.0, 0.0, 1.0])) == 1.0


@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_metrics(weighted):
    rng = np.random.default_rng(2)
    k = 4
    y = rng.integers(0, k, size=N).astype(np.float64)
    logits = rng.normal(size=(N, k))
    logits[np.arange(N), y.astype(int)] += 1.0
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    w = weights(rng, weighted)
    assert get_metric("mlogloss")(y, p, w) == pytest.approx(
        log_loss(y, p, sample_weight=w, labels=list(range(k))), rel=1e-10)
    assert get_metric("merror")(y, p, w) == pytest.approx(
        1.0 - accuracy_score(y, np.argmax(p, axis=1), sample_weight=w), rel=1e-12)


def test_metric_registry():
    assert set(METRICS) == {"rmse", "mae", "logloss", "error", "auc", "mlogloss", "merror",
                            "poisson-nloglik", "gamma-nloglik", "gamma-deviance", "rmsle",
                            "mape"}
    assert get_metric("auc").higher_is_better
    for name in ("rmse", "mae", "logloss", "error", "mlogloss", "merror"):
        assert not get_metric(name).higher_is_better
    m = get_metric("rmse")
    assert get_metric(m) is m
    with pytest.raises(ValueError, match="Unknown metric 'r2'"):
        get_metric("r2")


def test_custom_metric_callable():
    def max_err(y, p, w):
        return float(np.max(np.abs(y - p)))

    m = get_metric(max_err)
    assert isinstance(m, Metric) and m.name == "max_err" and not m.higher_is_better
    assert m([1.0, 2.0], np.array([1.5, 0.0])) == 2.0
    # Lists are accepted and converted.
    assert get_metric("rmse")([0, 0], [3, 4]) == pytest.approx(np.sqrt(12.5))
