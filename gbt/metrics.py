"""Evaluation metrics: name -> metric(y, pred, weight) plus whether higher is better.

``pred`` is the transformed prediction: values for regression, P(y = 1) for binary,
``(n_samples, K)`` probabilities for multi-class. With 2-D labels (multi-output regression,
multi-label) the elementwise metrics average over outputs within a row, then over rows with the
row weights; ``auc`` is the macro average over output columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

_EPS = 1e-15


@dataclass(frozen=True)
class Metric:
    """A named metric; ``on_raw`` metrics get raw margins instead of transformed predictions
    (a distribution's log score needs all its parameters, not just the predicted mean)."""

    name: str
    fn: Callable
    higher_is_better: bool
    on_raw: bool = False

    def __call__(self, y, pred, weight=None) -> float:
        return float(self.fn(np.asarray(y, dtype=np.float64), np.asarray(pred), weight))


def _row_average(values, w):
    """Weighted mean over rows of per-row values (averaged over outputs when 2-D)."""
    if values.ndim == 2:
        values = values.mean(axis=1)
    return np.average(values, weights=w)


def rmse(y, p, w):
    return np.sqrt(_row_average((y - p) ** 2, w))


def mae(y, p, w):
    return _row_average(np.abs(y - p), w)


def logloss(y, p, w):
    p = np.clip(p, _EPS, 1 - _EPS)
    return -_row_average(y * np.log(p) + (1 - y) * np.log(1 - p), w)


def error(y, p, w):
    return _row_average(((p > 0.5) != (y == 1)).astype(np.float64), w)


def auc(y, p, w):
    """Weighted ROC AUC; ties count one half (the Mann-Whitney statistic). 2-D labels: the
    mean over columns that hold both classes."""
    if y.ndim == 2:
        per_column = [_auc_1d(y[:, k], p[:, k], w) for k in range(y.shape[1])]
        return np.nanmean(per_column) if not np.isnan(per_column).all() else np.nan
    return _auc_1d(y, p, w)


def _auc_1d(y, p, w):
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float64)
    pos = y == 1
    w_pos, w_neg = w[pos].sum(), w[~pos].sum()
    if w_pos == 0 or w_neg == 0:
        return np.nan
    order = np.argsort(p, kind="mergesort")
    ps, ys, ws = p[order], pos[order], w[order]
    # Group tied scores; each positive beats the negative weight strictly below its group
    # and ties half of the negative weight inside it.
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    neg_in_group = np.add.reduceat(np.where(ys, 0.0, ws), starts)
    pos_in_group = np.add.reduceat(np.where(ys, ws, 0.0), starts)
    neg_below = np.cumsum(neg_in_group) - neg_in_group
    return float(np.sum(pos_in_group * (neg_below + 0.5 * neg_in_group)) / (w_pos * w_neg))


def mlogloss(y, p, w):
    p = np.clip(p, _EPS, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    return -np.average(np.log(p[np.arange(len(y)), y.astype(np.int64)]), weights=w)


def merror(y, p, w):
    return np.average(np.argmax(p, axis=1) != y.astype(np.int64), weights=w)


METRICS = {m.name: m for m in (
    Metric("rmse", rmse, False), Metric("mae", mae, False), Metric("logloss", logloss, False),
    Metric("error", error, False), Metric("auc", auc, True),
    Metric("mlogloss", mlogloss, False), Metric("merror", merror, False),
)}


def get_metric(name, objective=None) -> Metric:
    """Look up a metric by name (an objective's own ``metrics`` first, e.g. a distribution's
    ``nll``), or wrap a callable ``(y, pred, weight) -> float``."""
    if isinstance(name, Metric):
        return name
    if callable(name):
        return Metric(getattr(name, "__name__", "custom"), lambda y, p, w: name(y, p, w), False)
    own = getattr(objective, "metrics", {})
    if name in own:
        return own[name]
    if name not in METRICS:
        raise ValueError(f"Unknown metric {name!r}; expected one of "
                         f"{sorted(set(METRICS) | set(own))}.")
    return METRICS[name]


__all__ = ["Metric", "METRICS", "get_metric"]
