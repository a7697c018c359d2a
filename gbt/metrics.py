"""Evaluation metrics: name -> metric(y, pred, weight) plus whether higher is better.

``pred`` is the transformed prediction: values for regression, P(y = 1) for binary,
``(n_samples, K)`` probabilities for multi-class. With 2-D labels (multi-output regression,
multi-label) the elementwise metrics average over outputs within a row, then over rows with the
row weights; ``auc`` is the macro average over output columns.

Ranking metrics (higher is better) are parsed from their names: ``ndcg@k`` and ``map@k``, and
``ndcg`` / ``map`` over the whole list. They take labels ``(n_samples, 2)`` = (relevance, query
index), as the ranking objectives' ``labels_of`` give them; a query is a run of rows with the
same index. Within a query rows are stable-sorted by decreasing score (ties keep row order, as
in LightGBM). NDCG uses gains ``2^rel - 1`` (or the objective's ``label_gain``) and discounts
``1 / log2(position + 2)``; MAP counts ``rel > 0`` as relevant and divides a query's summed
precisions by ``min(#relevant, k)`` (LightGBM). A query with no relevant row (ideal DCG 0, or
nothing relevant) scores 1, as in LightGBM. The mean over queries is weighted by each query's
mean row weight (its weight, when weights are per query).

Regression metrics (lower is better; XGBoost's names and formulas, weighted means over rows):
``quantile`` (pinball loss at the objective's ``quantile_alpha``, 0.5 without one;
``quantile@a`` picks ``a``), ``huber`` (LightGBM's) and ``mphe`` (pseudo-Huber) at the
objective's ``huber_slope`` (1.0 without one), ``poisson-nloglik`` (``lgamma(y + 1) + p -
y log p``), ``gamma-nloglik`` (``y / p + log p``, the gamma likelihood with shape 1),
``gamma-deviance`` (``2 (y/p - log(y/p) - 1)``), ``tweedie-nloglik`` (``-y p^(1-ρ)/(1-ρ) +
p^(2-ρ)/(2-ρ)`` at the objective's ``tweedie_variance_power`` ρ, 1.5 without one;
``tweedie-nloglik@ρ`` picks ρ), ``rmsle`` (predictions clamped above -1, as the objective
does) and ``mape`` (``|y - p| / max(|y|, eps)``, scikit-learn's guard for y = 0). ``p`` is
the predicted mean (the transformed prediction).

Survival metrics: ``cox-nloglik`` (lower is better; XGBoost's: Breslow's negative partial
log-likelihood per event, unweighted, on ``survival:cox`` labels: time, negative =
right-censored), ``aft-nloglik`` (lower is better; the weighted mean negative log-likelihood
of ``survival:aft``'s interval labels at the objective's ``aft_loss_distribution`` and
``aft_loss_distribution_scale``, normal and 1.0 without one) and ``c-index`` (alias
``cindex``; higher is better): Harrell's concordance index, unweighted, in O(n log n). A pair
is comparable when the row with the shorter time had an event (a censored row tied in time
with an event counts as surviving longer; two tied events are not comparable); it is
concordant when that row has the higher risk, and a tie in predicted risk counts one half,
as in lifelines' ``concordance_index``. Risk is the margin for Cox labels (1-D) and minus the
margin (the predicted log time) for AFT labels ``(lower, upper)``, where a row is an event
when ``lower == upper`` and its time is ``lower``. All three read raw margins.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

from ._native.cpu.metrics import concordance_counts

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


def pinball(y, p, w, alpha=0.5):
    d = y - p
    return _row_average(np.maximum(alpha * d, (alpha - 1.0) * d), w)


def huber(y, p, w, slope=1.0):
    z = np.abs(p - y)
    return _row_average(np.where(z <= slope, 0.5 * z * z, slope * (z - 0.5 * slope)), w)


def mphe(y, p, w, slope=1.0):
    return _row_average(slope * slope * (np.sqrt(1.0 + ((p - y) / slope) ** 2) - 1.0), w)


def poisson_nloglik(y, p, w):
    from scipy.special import gammaln
    p = np.maximum(p, 1e-16)
    return _row_average(gammaln(y + 1.0) + p - y * np.log(p), w)


def gamma_nloglik(y, p, w):
    p = np.maximum(p, 1e-16)
    return _row_average(y / p + np.log(p), w)


def gamma_deviance(y, p, w):
    ratio = y / (p + 1e-9)
    return 2.0 * _row_average(ratio - np.log(ratio) - 1.0, w)


def tweedie_nloglik(y, p, w, rho=1.5):
    p = np.maximum(p, 1e-16)
    if rho == 1.0:
        return _row_average(p - y * np.log(p), w)
    return _row_average(p ** (2.0 - rho) / (2.0 - rho) - y * p ** (1.0 - rho) / (1.0 - rho), w)


def rmsle(y, p, w):
    p = np.maximum(p, -1.0 + 1e-6)  # as reg:squaredlogerror clamps its predictions
    return np.sqrt(_row_average((np.log1p(p) - np.log1p(y)) ** 2, w))


def mape(y, p, w):
    return _row_average(np.abs(y - p) / np.maximum(np.abs(y), np.finfo(np.float64).eps), w)


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


def _queries(y, p, w, name):
    """(relevance, scores, query boundaries, per-query weights or None) of ranking labels."""
    if y.ndim != 2 or y.shape[1] != 2:
        raise ValueError(f"{name} needs query groups: labels (relevance, query index) as a "
                         "ranking objective (rank:*) gives them, with Dataset(..., group=...) "
                         f"or qid=...; got labels of shape {y.shape}.")
    rel = y[:, 0]
    score = np.asarray(p, dtype=np.float64).reshape(rel.shape[0], -1)[:, 0]
    q = y[:, 1]
    ptr = np.r_[np.flatnonzero(np.r_[True, q[1:] != q[:-1]]), q.size]
    qw = None
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        qw = np.add.reduceat(w, ptr[:-1]) / np.diff(ptr)
    return rel, score, ptr, qw


def _sorted_positions(score, ptr):
    """Row order sorting each query by decreasing score (stable), and each sorted row's
    0-based position within its query."""
    sizes = np.diff(ptr)
    qi = np.repeat(np.arange(sizes.size), sizes)
    order = np.lexsort((-score, qi))  # queries stay in place: they are contiguous runs
    return order, np.arange(score.size) - ptr[:-1][qi]


def ndcg(y, p, w, k=None, label_gain=None):
    """Mean NDCG@k over queries (k None: the whole list); 1 for a query with ideal DCG 0."""
    rel, score, ptr, qw = _queries(y, p, w, "ndcg")
    if label_gain is None:
        gain = np.exp2(rel) - 1.0
    else:
        table = np.asarray(label_gain, dtype=np.float64)
        if (rel < 0).any() or (rel != np.round(rel)).any() or rel.max() >= table.size:
            raise ValueError(f"ndcg with label_gain needs integer relevance 0..{table.size - 1}.")
        gain = table[rel.astype(np.int64)]
    order, pos = _sorted_positions(score, ptr)
    disc = 1.0 / np.log2(pos + 2.0)
    if k is not None:
        disc[pos >= k] = 0.0
    dcg = np.add.reduceat(gain[order] * disc, ptr[:-1])
    ideal, _ = _sorted_positions(gain, ptr)
    idcg = np.add.reduceat(gain[ideal] * disc, ptr[:-1])
    per_query = np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 1.0)
    return np.average(per_query, weights=qw)


def mean_ap(y, p, w, k=None):
    """Mean average precision@k over queries (k None: the whole list); relevant means
    relevance > 0; a query's summed precisions are divided by min(#relevant, k); 1 for a query
    with nothing relevant."""
    rel, score, ptr, qw = _queries(y, p, w, "map")
    order, pos = _sorted_positions(score, ptr)
    hit = (rel[order] > 0).astype(np.float64)
    cum = np.cumsum(hit)
    before = (cum - hit)[ptr[:-1]]  # hits of the earlier queries
    hits = cum - np.repeat(before, np.diff(ptr))
    terms = hit * hits / (pos + 1.0)
    if k is not None:
        terms[pos >= k] = 0.0
    n_rel = np.add.reduceat(hit, ptr[:-1])
    denom = n_rel if k is None else np.minimum(n_rel, k)
    per_query = np.where(n_rel > 0, np.add.reduceat(terms, ptr[:-1]) /
                         np.where(denom > 0, denom, 1.0), 1.0)
    return np.average(per_query, weights=qw)


_RANK_METRIC = re.compile(r"^(ndcg|map)(?:@(\d+))?$")


def _ranking_metric(name: str, objective=None) -> Metric | None:
    """``ndcg@k`` / ``ndcg`` / ``map@k`` / ``map`` (None for any other name)."""
    m = _RANK_METRIC.match(name)
    if m is None:
        return None
    k = None if m.group(2) is None else int(m.group(2))
    if k is not None and k < 1:
        raise ValueError(f"Metric {name!r}: the cut-off k in {m.group(1)}@k must be >= 1.")
    if m.group(1) == "ndcg":
        fn = partial(ndcg, k=k, label_gain=getattr(objective, "label_gain", None))
    else:
        fn = partial(mean_ap, k=k)
    return Metric(name, fn, True)


# -- survival -----------------------------------------------------------------------------------
def cox_nloglik_metric(y, raw, w):
    from .objectives.survival import check_cox_label, cox_nloglik
    y = check_cox_label(y, "cox-nloglik")
    return cox_nloglik(y, np.asarray(raw, dtype=np.float64).reshape(len(y), -1)[:, 0])


def aft_nloglik(y, raw, w, dist="normal", sigma=1.0):
    from .objectives.survival import aft_row_nloglik
    return np.average(aft_row_nloglik(y, raw, dist, sigma), weights=w)


def _survival_metric(name: str, objective=None) -> Metric | None:
    """``cox-nloglik``, ``c-index`` / ``cindex``, and ``aft-nloglik`` at the objective's
    distribution and scale (None for any other name)."""
    if name == "cox-nloglik":
        return Metric(name, cox_nloglik_metric, False, on_raw=True)
    if name in ("c-index", "cindex"):
        return Metric(name, c_index, True, on_raw=True)
    if name != "aft-nloglik":
        return None
    dist = getattr(objective, "aft_loss_distribution", "normal")
    sigma = float(getattr(objective, "aft_loss_distribution_scale", 1.0))
    return Metric(name, partial(aft_nloglik, dist=dist, sigma=sigma), False, on_raw=True)


def concordance_index(time, risk, event) -> float:
    """Harrell's C of ``risk`` (higher = shorter survival) against right-censored ``time``
    (``event`` True where the time is an event); nan without a comparable pair."""
    time = np.ascontiguousarray(time, dtype=np.float64)
    risk = np.asarray(risk, dtype=np.float64)
    if np.isnan(risk).any():
        raise ValueError("c-index: the predictions contain NaN.")
    _, rank = np.unique(risk, return_inverse=True)
    rank = np.ascontiguousarray(rank.reshape(-1), dtype=np.int64) + 1
    c, t, p = concordance_counts(time, np.ascontiguousarray(event, dtype=np.bool_), rank,
                                  int(rank.max()) if rank.size else 0)
    return (c + 0.5 * t) / p if p > 0 else float("nan")


def c_index(y, raw, w):
    raw = np.asarray(raw, dtype=np.float64).reshape(len(y), -1)[:, 0]
    if y.ndim == 2 and y.shape[1] == 2:  # AFT bounds: the margin is the log time
        return concordance_index(y[:, 0], -raw, y[:, 0] == y[:, 1])
    if y.ndim != 1:
        raise ValueError("c-index needs survival labels: 1-D (time, negative = censored) or "
                         f"(lower, upper) bounds; got shape {y.shape}.")
    return concordance_index(np.abs(y), raw, y > 0)


# name -> (function, its parameter's keyword, the objective attribute that gives it, the
# default, its valid range): metrics evaluated at the objective's own parameter
_PARAM_METRICS = {
    "quantile": (pinball, "alpha", "quantile_alpha", 0.5, lambda v: 0.0 < v < 1.0, "(0, 1)"),
    "huber": (huber, "slope", "huber_slope", 1.0, lambda v: v > 0.0, "> 0"),
    "mphe": (mphe, "slope", "huber_slope", 1.0, lambda v: v > 0.0, "> 0"),
    "tweedie-nloglik": (tweedie_nloglik, "rho", "tweedie_variance_power", 1.5,
                        lambda v: 1.0 <= v < 2.0, "in [1, 2)"),
}
_PARAM_METRIC = re.compile(r"^(quantile|huber|mphe|tweedie-nloglik)(?:@(.+))?$")


def _param_metric(name: str, objective=None) -> Metric | None:
    """``quantile``, ``huber``, ``mphe``, ``tweedie-nloglik`` at the objective's parameter, or
    at the one the name gives after ``@`` (None for any other name)."""
    m = _PARAM_METRIC.match(name)
    if m is None:
        return None
    fn, keyword, attribute, default, ok, expected = _PARAM_METRICS[m.group(1)]
    if m.group(2) is None:
        value = getattr(objective, attribute, None)
        value = default if value is None else float(value)
    else:
        try:
            value = float(m.group(2))
        except ValueError:
            value = float("nan")
        if not ok(value):
            raise ValueError(f"Metric {name!r}: the parameter after '@' must be a number "
                             f"{expected}.")
    return Metric(name, partial(fn, **{keyword: value}), False)


METRICS = {m.name: m for m in (
    Metric("rmse", rmse, False), Metric("mae", mae, False), Metric("logloss", logloss, False),
    Metric("error", error, False), Metric("auc", auc, True),
    Metric("mlogloss", mlogloss, False), Metric("merror", merror, False),
    # the regression objectives' metrics without a parameter (those with one: _PARAM_METRICS)
    Metric("poisson-nloglik", poisson_nloglik, False),
    Metric("gamma-nloglik", gamma_nloglik, False),
    Metric("gamma-deviance", gamma_deviance, False),
    Metric("rmsle", rmsle, False), Metric("mape", mape, False),
)}
SURVIVAL_METRICS = ("cox-nloglik", "aft-nloglik", "c-index", "cindex")  # _survival_metric


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
    for parse in (_ranking_metric, _param_metric, _survival_metric):
        parsed = parse(name, objective) if isinstance(name, str) else None
        if parsed is not None:
            return parsed
    if name in METRICS:
        return METRICS[name]
    known = set(METRICS) | set(_PARAM_METRICS) | set(own) | set(SURVIVAL_METRICS)
    raise ValueError(f"Unknown metric {name!r}; expected one of {sorted(known)}, ndcg, "
                     "ndcg@k, map, map@k, quantile@alpha or tweedie-nloglik@rho.")


__all__ = ["Metric", "METRICS", "get_metric", "concordance_index"]
