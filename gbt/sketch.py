"""Weighted quantile sketch: mergeable, prunable rank summaries that yield bin cut points.

This is the summary of Chen & Guestrin (XGBoost, 2016, appendix). A summary of a weighted
multiset keeps sorted distinct values ``x_i`` with

- ``rmin[i]``: a lower bound on the total weight of elements strictly less than ``x_i``;
- ``rmax[i]``: an upper bound on the total weight of elements less than or equal to ``x_i``;
- ``w[i]``: the weight of elements equal to ``x_i`` (exact in an exact summary).

Its error ``eps`` is the largest rank uncertainty between neighbours, as a fraction of the total
weight ``W``: ``max_i (rmax[i+1] - w[i+1]) - (rmin[i] + w[i])``, divided by ``W``. A summary built
from data is exact (eps = 0); ``merge`` keeps ``max(eps1, eps2)``; ``prune(b)`` keeps ``b + 1``
entries and adds at most ``1 / b``. Any rank query then errs by at most ``eps * W``. Dask
training merges per-partition summaries with the same two calls.
"""
from __future__ import annotations

import numpy as np

from ._native.backend import get_backend


def _run_starts(sorted_values):
    """Index of the first element of each run of equal values in a sorted array. (Written out
    rather than with ``np.r_``, whose parsing costs more than the work on a small column; a
    sparse column's sketch runs once per feature.)"""
    first = np.empty(sorted_values.size, dtype=np.bool_)
    first[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=first[1:])
    return np.flatnonzero(first)


class WeightedQuantileSummary:
    """A weighted rank summary of one feature. Build with :meth:`from_data`."""

    __slots__ = ("value", "rmin", "rmax", "w")

    def __init__(self, value, rmin, rmax, w):
        self.value = np.asarray(value, dtype=np.float64)
        self.rmin = np.asarray(rmin, dtype=np.float64)
        self.rmax = np.asarray(rmax, dtype=np.float64)
        self.w = np.asarray(w, dtype=np.float64)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_data(cls, values, weights=None) -> "WeightedQuantileSummary":
        """Exact summary of ``values`` (NaN ignored) with optional non-negative ``weights``."""
        values = np.asarray(values, dtype=np.float64)
        unit_weights = weights is None
        if unit_weights:
            values = values[~np.isnan(values)]
        else:
            weights = np.asarray(weights, np.float64)
            keep = ~np.isnan(values) & (weights > 0)
            values, weights = values[keep], weights[keep]
        if values.size == 0:
            return cls.empty()
        if unit_weights:  # sort alone is much cheaper than argsort + gather
            sv = np.sort(values)
            starts = _run_starts(sv)
            wsum = np.diff(starts, append=sv.size).astype(np.float64)
        else:
            order = np.argsort(values, kind="stable")
            sv, sw = values[order], weights[order]
            starts = _run_starts(sv)
            wsum = np.add.reduceat(sw, starts)
        cum = np.cumsum(wsum)
        return cls(sv[starts], cum - wsum, cum, wsum)

    @classmethod
    def empty(cls) -> "WeightedQuantileSummary":
        z = np.zeros(0)
        return cls(z, z, z, z)

    # -- properties ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.value.size

    @property
    def total_weight(self) -> float:
        return float(self.rmax[-1]) if len(self) else 0.0

    @property
    def epsilon(self) -> float:
        """Largest neighbour rank uncertainty as a fraction of the total weight."""
        if len(self) < 2:
            return 0.0
        gaps = (self.rmax[1:] - self.w[1:]) - (self.rmin[:-1] + self.w[:-1])
        return float(max(gaps.max(), 0.0) / self.total_weight)

    # -- combination --------------------------------------------------------------------------
    def _bounds_at(self, x):
        """Rank bounds this summary gives for arbitrary sorted values ``x``."""
        n = len(self)
        if n == 0:
            zero = np.zeros_like(x)
            return zero, zero, zero
        pos = np.searchsorted(self.value, x, side="left")
        found = (pos < n) & (self.value[np.minimum(pos, n - 1)] == x)
        safe = np.minimum(pos, n - 1)
        # Present: its own bounds. Absent: predecessor's rmin + w, successor's rmax - w.
        prev = pos - 1
        lo_absent = np.where(prev >= 0, self.rmin[np.maximum(prev, 0)] + self.w[np.maximum(prev, 0)], 0.0)
        hi_absent = np.where(pos < n, self.rmax[safe] - self.w[safe], self.total_weight)
        rmin = np.where(found, self.rmin[safe], lo_absent)
        rmax = np.where(found, self.rmax[safe], hi_absent)
        w = np.where(found, self.w[safe], 0.0)
        return rmin, rmax, w

    def merge(self, other: "WeightedQuantileSummary") -> "WeightedQuantileSummary":
        """Summary of the union of both multisets; error is the larger of the two errors."""
        x = np.union1d(self.value, other.value)
        a, b = self._bounds_at(x), other._bounds_at(x)
        return WeightedQuantileSummary(x, a[0] + b[0], a[1] + b[1], a[2] + b[2])

    def query(self, ranks):
        """Values whose ranks are within ``epsilon * W`` of ``ranks`` (the paper's query g).

        Vectorised over an array of ranks; a scalar rank gives a scalar.
        """
        ranks = np.asarray(ranks, dtype=np.float64)
        if len(self) == 0:
            return np.full(ranks.shape, np.nan)[()]
        d2 = 2.0 * ranks
        mid = self.rmin + self.rmax
        i = np.clip(np.searchsorted(mid, d2, side="right") - 1, 0, max(len(self) - 2, 0))
        j = np.minimum(i + 1, len(self) - 1)
        take_left = d2 < self.rmin[i] + self.w[i] + self.rmax[j] - self.w[j]
        out = np.where(take_left, self.value[i], self.value[j])
        out = np.where(d2 < mid[0], self.value[0], out)
        out = np.where(d2 >= mid[-1], self.value[-1], out)
        return out[()]

    def prune(self, b: int) -> "WeightedQuantileSummary":
        """Keep at most ``b + 1`` entries (error grows by at most ``1 / b``)."""
        if len(self) <= b + 1:
            return self
        W = self.total_weight
        picks = np.unique(self.query(np.arange(b + 1) * (W / b)))
        idx = np.searchsorted(self.value, picks)
        return WeightedQuantileSummary(self.value[idx], self.rmin[idx], self.rmax[idx], self.w[idx])

    # -- cut points ---------------------------------------------------------------------------
    def cut_points(self, max_bin: int) -> np.ndarray:
        """At most ``max_bin`` increasing bin upper edges; the last one is ``+inf``.

        Every edge lies between two neighbouring values of the summary, halfway, so a value
        not seen in training goes to the nearer side. With at most ``max_bin`` distinct values
        each value gets its own bin. Otherwise the bins split the weight evenly, and a value
        of weight at least ``W / max_bin`` gets a bin of its own, its share of the bins going to
        the rest (:func:`gbt._native.cpu.binning.equal_weight_bins`); plain quantiles would put
        several edges on it and leave bins unused.
        """
        n = len(self)
        if n == 0:
            return np.array([np.inf])
        if n <= max_bin:
            return np.append(midpoints(self.value[:-1], self.value[1:]), np.inf)
        # The weight at or below each value: exact in a summary from data (up to rounding), the
        # middle of its bounds after pruning.
        upto = 0.5 * (self.rmin + self.w + self.rmax)
        mass = np.diff(upto, prepend=0.0)
        _, kernels = get_backend("cpu")
        last = np.empty(max_bin - 1, dtype=np.int64)
        last = last[:kernels.equal_weight_bins(mass, self.w, max_bin, last)]
        return np.append(midpoints(self.value[last], self.value[last + 1]), np.inf)


def midpoints(lower, upper) -> np.ndarray:
    """Bin edges between neighbouring values ``lower < upper``: halfway, kept below ``upper``
    (halfway between two neighbouring floats rounds to one of them) and free of overflow."""
    middle = 0.5 * lower + 0.5 * upper
    return np.where(middle >= upper, lower, middle)


def sketch_column(values, weights=None, eps: float = 0.0) -> WeightedQuantileSummary:
    """Summary of one column, pruned to ``ceil(1 / eps)`` entries when ``eps > 0``."""
    summary = WeightedQuantileSummary.from_data(values, weights)
    if eps > 0:
        summary = summary.prune(int(np.ceil(1.0 / eps)))
    return summary
