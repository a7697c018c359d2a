"""Learning to rank over query groups: RankNet (``rank:pairwise``), LambdaMART weighted by
|ΔNDCG| (``rank:ndcg``, alias ``lambdarank``) and by |ΔMAP| (``rank:map``).

A ranking model scores rows; only the order of the scores within a query matters. The engine
reaches the queries through :meth:`RankingObjective.labels_of`: the labels are
``(n_samples, 2)`` = (relevance, query index), the query index from the Dataset's ``group`` or
``qid``. ``grad_hess`` recovers the query boundaries from that column (runs of equal values)
and caches them for the labels array it was given, so each round costs only the kernel
(:mod:`gbt._native.cpu.ranking`).

- ``rank:pairwise``: the pairwise logistic loss ``sum over pairs rel_i > rel_j of
  log(1 + exp(-(s_i - s_j)))`` over *all* pairs of a query (O(m^2) for a query of m rows), an
  exact loss: its gradient is what the trees fit and what :meth:`loss` reports.
- ``rank:ndcg``: LightGBM's lambdarank. Pairs with one row in the top
  ``lambdarank_truncation_level`` by current score, lambdas weighted by ``|ΔNDCG|`` of swapping
  the pair (gains ``label_gain``, default ``2^rel - 1``; normalised by the ideal DCG at the
  truncation level; a query whose ideal DCG is 0 gives no gradient). Relevance must be a
  non-negative integer (``< len(label_gain)`` with a custom table).
- ``rank:map``: as rank:ndcg with ``|ΔAP|`` (binary relevance: ``rel > 0``) instead of ΔNDCG.
- ``lambdarank_norm`` (default True, rank:ndcg and rank:map): LightGBM's normalisation, which
  divides each pair's ΔNDCG by ``0.01 + |s_i - s_j|`` and scales a query's lambdas by
  ``log2(1 + L) / L`` (L: the sum of its pair lambdas), so large queries do not dominate.

Weights are per query, as in XGBoost: give a row weight array that is constant within each
query (``ValueError`` otherwise); a query's gradients, hessians, loss and metrics are scaled by
its weight. The default evaluation metric is ``ndcg@10`` (``map@10`` for rank:map); ``eval_at``
(an int or a list) picks other cut-offs. ``transform`` is the identity: predictions are scores.
"""
from __future__ import annotations

import weakref

import numpy as np

from .._native.cpu.ranking import (MAP, NDCG, PAIRWISE, pairwise_logistic_loss,
                                   rank_grad_hess)
from .losses import Objective

SIGMA = 1.0
MAX_BLOCKS = 64  # query blocks of the parallel kernel (values do not depend on it)
DEFAULT_EVAL_AT = 10
_NO_WEIGHT = np.zeros(0)


def query_ptr_of(query_index) -> np.ndarray:
    """(n_queries + 1,) int64 boundaries of the runs of equal values in ``query_index``."""
    q = np.asarray(query_index)
    if q.size == 0:
        return np.zeros(1, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    return np.r_[starts, q.size].astype(np.int64)


class RankingObjective(Objective):
    """Pairwise ranking objective over query groups (see the module docstring).

    Parameters
    ----------
    method : {"pairwise", "ndcg", "map"}
    lambdarank_truncation_level : int >= 1
        rank:ndcg / rank:map: only pairs with a row among the top this many by score (and the
        ideal DCG at this depth). LightGBM's default, 30.
    lambdarank_norm : bool
        rank:ndcg / rank:map: LightGBM's lambda normalisation (default True).
    label_gain : list of float, optional
        Gain of relevance 0, 1, 2, ...; default ``2^i - 1``.
    eval_at : int or list of int, optional
        The k of the default metrics (``ndcg@k`` or ``map@k``, one per k); default 10.
    """

    def __init__(self, method="ndcg", lambdarank_truncation_level=30, lambdarank_norm=True,
                 label_gain=None, eval_at=None):
        if method not in ("pairwise", "ndcg", "map"):
            raise ValueError(f"Unknown ranking method {method!r}; expected 'pairwise', 'ndcg' "
                             "or 'map'.")
        from ..params import PARAMS
        for pname, value in (("lambdarank_truncation_level", lambdarank_truncation_level),
                             ("lambdarank_norm", lambdarank_norm), ("label_gain", label_gain),
                             ("eval_at", eval_at)):
            spec = PARAMS[pname]
            if not spec.check(value):
                raise ValueError(f"Parameter {pname!r}={value!r} is invalid: expected "
                                 f"{spec.expected}.")
        self.method = method
        self.name = f"rank:{method}"
        self.truncation = int(lambdarank_truncation_level)
        self.norm = bool(lambdarank_norm)
        self.label_gain = None if label_gain is None else [float(v) for v in label_gain]
        if eval_at is None:
            eval_at = [DEFAULT_EVAL_AT]
        elif not hasattr(eval_at, "__len__"):
            eval_at = [eval_at]
        self.eval_at = [int(k) for k in eval_at]
        metric = "map" if method == "map" else "ndcg"
        names = [f"{metric}@{k}" for k in self.eval_at]
        self.default_metric = names[0] if len(names) == 1 else names
        # (weak reference to a labels array, its shape, (query_ptr, key, gain, inv_norm)); the
        # weak reference lets the engine's labels go after training
        self._cache = None

    @classmethod
    def from_params(cls, params: dict) -> "RankingObjective":
        """The subclass's objective configured from (resolved or model-file) ``params``."""
        keys = ("lambdarank_truncation_level", "lambdarank_norm", "label_gain", "eval_at")
        return cls(**{k: params[k] for k in keys if k in params})

    # -- labels -------------------------------------------------------------------------------
    def labels_of(self, dataset, training: bool) -> np.ndarray:
        """(n, 2) float64 labels: (relevance, query index) from the Dataset's group / qid."""
        which = "the training" if training else "an evaluation"
        if getattr(dataset, "query_index", None) is None:
            raise ValueError(f"{self.name} needs query groups, and {which} Dataset has none: "
                             "give Dataset(..., group=query_sizes) or Dataset(..., qid=ids).")
        y = np.asarray(dataset.label, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"{self.name} needs a 1-D relevance label; got shape {y.shape}.")
        self._check_relevance(y)
        w = dataset.weight
        if w is not None:
            ptr = dataset.group_ptr
            varies = np.flatnonzero(np.maximum.reduceat(w, ptr[:-1]) !=
                                    np.minimum.reduceat(w, ptr[:-1]))
            if varies.size:
                q = int(varies[0])
                rows = w[ptr[q]:ptr[q + 1]]
                raise ValueError(f"{self.name} takes one weight per query (XGBoost's "
                                 "convention): the row weights must be equal within a query, "
                                 f"but query {q} (rows {ptr[q]}..{ptr[q + 1] - 1}) has weights "
                                 f"from {rows.min()} to {rows.max()}.")
        return np.column_stack([y, dataset.query_index.astype(np.float64)])

    def _check_relevance(self, y):
        if not np.isfinite(y).all():
            raise ValueError(f"{self.name} needs finite relevance labels.")
        if self.method == "pairwise":
            return
        if (y < 0).any():
            raise ValueError(f"{self.name} needs relevance labels >= 0; got {y.min()}.")
        if self.method == "ndcg":
            if (y != np.round(y)).any():
                bad = y[y != np.round(y)][0]
                raise ValueError(f"{self.name} needs integer relevance labels (0, 1, 2, ...); "
                                 f"got {bad}.")
            if self.label_gain is not None and y.max() >= len(self.label_gain):
                raise ValueError(f"Relevance {int(y.max())} has no entry in label_gain (which "
                                 f"covers 0..{len(self.label_gain) - 1}).")

    def check_label(self, y):
        raise ValueError(f"{self.name} needs query groups: use Dataset(..., group=sizes) or "
                         "Dataset(..., qid=ids).")

    # -- the objective protocol -------------------------------------------------------------
    def gains(self, relevance) -> np.ndarray:
        """Gain of each relevance label (``label_gain`` or ``2^rel - 1``)."""
        if self.label_gain is None:
            return np.exp2(relevance) - 1.0
        return np.asarray(self.label_gain)[relevance.astype(np.int64)]

    def _prepared(self, y):
        """(query_ptr, key, gain, inv_norm) for the labels ``y``, cached for the same array."""
        c = self._cache
        if c is not None and c[0]() is y and c[1] == y.shape:
            return c[2]
        relevance = np.ascontiguousarray(y[:, 0], dtype=np.float64)
        ptr = query_ptr_of(y[:, 1])
        starts = ptr[:-1]
        if self.method == "map":
            key = (relevance > 0).astype(np.float64)
            gain = key
            n_rel = np.add.reduceat(key, starts) if starts.size else np.zeros(0)
            inv = np.divide(1.0, n_rel, out=np.zeros_like(n_rel), where=n_rel > 0)
        elif self.method == "ndcg":
            key = relevance
            gain = np.ascontiguousarray(self.gains(relevance), dtype=np.float64)
            max_dcg = _ideal_dcg(gain, ptr, self.truncation)
            inv = np.divide(1.0, max_dcg, out=np.zeros_like(max_dcg), where=max_dcg > 0)
        else:
            key = gain = relevance
            inv = np.ones(starts.size)
        prepared = (ptr, key, gain, np.ascontiguousarray(inv, dtype=np.float64))
        self._cache = (weakref.ref(y, self._forget), y.shape, prepared)
        return prepared

    def _forget(self, ref):
        if self._cache is not None and self._cache[0] is ref:
            self._cache = None

    def grad_hess(self, y, raw, weight, out_g, out_h):
        ptr, key, gain, inv = self._prepared(y)
        score = np.ascontiguousarray(raw[:, 0], dtype=np.float64)
        w = _NO_WEIGHT if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
        method = {"pairwise": PAIRWISE, "ndcg": NDCG, "map": MAP}[self.method]
        n_blocks = max(1, min(MAX_BLOCKS, ptr.size - 1))
        rank_grad_hess(score, key, gain, ptr, inv, w, method, self.truncation, self.norm,
                       SIGMA, n_blocks, out_g, out_h)

    def loss(self, y, raw, weight):
        """Pairwise logistic loss summed over the pairs of each query (times its weight),
        divided by the total row weight (every method reports this, for monitoring)."""
        ptr, _, _, _ = self._prepared(y)
        rel = np.ascontiguousarray(y[:, 0], dtype=np.float64)
        score = np.ascontiguousarray(np.asarray(raw).reshape(len(rel), -1)[:, 0],
                                     dtype=np.float64)
        w = _NO_WEIGHT if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
        total = pairwise_logistic_loss(score, rel, ptr, w, SIGMA)
        return float(total / (len(rel) if weight is None else w.sum()))

    def init_score(self, y, weight):
        return np.zeros(1)

    def transform(self, raw):
        return raw[:, 0]

    def to_dict(self) -> dict:
        return {"name": self.name, "lambdarank_truncation_level": self.truncation,
                "lambdarank_norm": self.norm, "label_gain": self.label_gain,
                "eval_at": list(self.eval_at)}


def _ideal_dcg(gain, ptr, k) -> np.ndarray:
    """(n_queries,) DCG of each query's gains sorted in decreasing order, top k positions."""
    n_q = ptr.size - 1
    if n_q == 0:
        return np.zeros(0)
    sizes = np.diff(ptr)
    qi = np.repeat(np.arange(n_q), sizes)
    order = np.lexsort((-gain, qi))
    pos = np.arange(gain.size) - ptr[qi]
    disc = np.where(pos < k, 1.0 / np.log2(pos + 2.0), 0.0)
    return np.add.reduceat(gain[order] * disc, ptr[:-1])


class PairwiseRank(RankingObjective):
    """``rank:pairwise``: RankNet's pairwise logistic loss over all pairs of each query."""

    def __init__(self, **kwargs):
        super().__init__("pairwise", **kwargs)


class NDCGRank(RankingObjective):
    """``rank:ndcg`` (alias ``lambdarank``): LightGBM's lambdarank."""

    def __init__(self, **kwargs):
        super().__init__("ndcg", **kwargs)


class MAPRank(RankingObjective):
    """``rank:map``: lambdas weighted by |ΔMAP|."""

    def __init__(self, **kwargs):
        super().__init__("map", **kwargs)
