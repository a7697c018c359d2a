"""Weighted quantiles per group of rows: the leaf refit of the L1 and quantile objectives.

The weighted ``alpha``-quantile of values ``v_i`` with weights ``w_i`` is the smallest value
whose cumulative weight (values sorted ascending, ties in row order) reaches ``alpha`` times
the group's total weight, XGBoost's ``WeightedQuantile``. It minimises the weighted pinball
loss ``sum_i w_i * max(alpha * (v_i - q), (alpha - 1) * (v_i - q))`` over ``q``, so a leaf set
to it is the exact line search of that loss (the median for ``alpha = 0.5``).

Equal values are one step of the cumulative weight whatever their order, so the result does
not depend on how ties (or the rows) are ordered; only the rounding of weight sums can differ
between summation orders, which matters only where a partial sum lands exactly on the
threshold.
"""
import numpy as np
from numba import njit, prange


SMALL = 16  # segments this short are finished by insertion sort


@njit(cache=True, nogil=True, parallel=True)
def group_quantiles(values, weight, group_of_row, alpha, out):
    """Weighted ``alpha``-quantile of ``values`` over the rows of each group.

    values : (n,) float64                                   # IN
    weight : (n,) float64, or (0,) for unit weights         # IN
    group_of_row : (n,) int32, group 0..G-1, -1 = excluded  # IN
    alpha : float in (0, 1)                                  # IN
    out : (G,) float64: each group's quantile; NaN for a group without rows or with zero total
        weight                                               # OUT

    Rows are bucketed by group (a counting sort), then each group's quantile is found by a
    weighted quickselect, expected linear time (no full sort).
    """
    n = values.shape[0]
    n_groups = out.shape[0]
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n):
        g = group_of_row[i]
        if g >= 0:
            start[g + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    v = np.empty(start[n_groups])
    w = np.ones(start[n_groups])
    unit = weight.shape[0] == 0
    for i in range(n):
        g = group_of_row[i]
        if g >= 0:
            v[fill[g]] = values[i]
            if not unit:
                w[fill[g]] = weight[i]
            fill[g] += 1
    for g in prange(n_groups):  # groups are independent: no value depends on the threads
        lo, hi = start[g], start[g + 1]
        total = 0.0
        for j in range(lo, hi):
            total += w[j]
        if hi == lo or not total > 0.0:
            out[g] = np.nan
        else:
            out[g] = _weighted_select(v[lo:hi], w[lo:hi], alpha * total)


@njit(cache=True, nogil=True)
def _weighted_select(v, w, target):
    """The smallest value ``x`` of ``v`` with ``sum(w[v <= x]) >= target`` (the largest value
    if rounding leaves the total short of ``target``). Permutes ``v`` and ``w`` in place."""
    lo, hi = 0, v.shape[0]
    below = 0.0  # weight of the values known to be smaller than all of v[lo:hi]
    while hi - lo > SMALL:
        a, b, c = v[lo], v[(lo + hi) // 2], v[hi - 1]
        pivot = max(min(a, b), min(max(a, b), c))  # median of three
        # three-way partition: v[lo:lt] < pivot, v[lt:gt] == pivot, v[gt:hi] > pivot
        lt, i, gt = lo, lo, hi
        w_less, w_equal = 0.0, 0.0
        while i < gt:
            x = v[i]
            if x < pivot:
                w_less += w[i]
                v[i], v[lt] = v[lt], x
                w[i], w[lt] = w[lt], w[i]
                lt += 1
                i += 1
            elif x > pivot:
                gt -= 1
                v[i], v[gt] = v[gt], x
                w[i], w[gt] = w[gt], w[i]
            else:
                w_equal += w[i]
                i += 1
        if below + w_less >= target:
            hi = lt
        elif below + w_less + w_equal >= target or gt == hi:
            return pivot
        else:
            below += w_less + w_equal
            lo = gt
    # insertion sort of the short rest, then scan its cumulative weight
    for i in range(lo + 1, hi):
        x, wx = v[i], w[i]
        j = i - 1
        while j >= lo and v[j] > x:
            v[j + 1] = v[j]
            w[j + 1] = w[j]
            j -= 1
        v[j + 1] = x
        w[j + 1] = wx
    cum = below
    for i in range(lo, hi):
        cum += w[i]
        if cum >= target:
            return v[i]
    return v[hi - 1]


def group_quantiles_naive(values, weight, group_of_row, alpha, n_groups):
    """The obvious per-group loop over ``np.argsort`` (tests only)."""
    out = np.full(n_groups, np.nan)
    w_all = np.ones(values.size) if weight is None or weight.size == 0 else weight
    for g in range(n_groups):
        rows = np.flatnonzero(group_of_row == g)
        if rows.size == 0:
            continue
        order = np.argsort(values[rows], kind="stable")
        v, w = values[rows][order], w_all[rows][order]
        total = w.sum()
        if not total > 0:
            continue
        cum = np.cumsum(w)
        idx = min(int(np.searchsorted(cum, alpha * total, side="left")), rows.size - 1)
        out[g] = v[idx]
    return out
