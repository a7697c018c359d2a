"""Binning kernels: raw feature values -> bin indices, given per-feature cut points.

``cuts_flat`` concatenates every feature's increasing upper edges (each ending in +inf) and
``cut_offsets[j]:cut_offsets[j+1]`` selects feature ``j``'s. A value ``x`` goes to the first bin
``b`` with ``x <= edge[b]``; NaN goes to ``missing_bin``.
"""
import numpy as np
from numba import njit, prange

from .transpose import transpose_bins


@njit(cache=True, nogil=True, inline="always")
def first_at_least(ascending, lo, hi, x):
    """The first index in [lo, hi) of ``ascending`` whose value is ``>= x`` (``hi`` when
    none): a bin's index among its feature's edges (the last edge is +inf, so one always
    exists), or the place of ``x`` in a sorted set."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if x <= ascending[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, nogil=True, parallel=True)
def bin_dense(X, cuts_flat, cut_offsets, missing_bin, n_chunks, out):
    """Bin a dense matrix.

    X : (n_rows, n_features) float32/float64, C order          # IN
    cuts_flat : (total_edges,) float64                          # IN
    cut_offsets : (n_features + 1,) int64                       # IN
    missing_bin : int                                           # IN
    n_chunks : int, row chunks run in parallel                  # IN
    out : (n_rows, n_features) uint8/uint16                     # OUT
    """
    n_rows, n_features = X.shape
    chunk = (n_rows + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        for i in range(c * chunk, min(n_rows, (c + 1) * chunk)):
            for j in range(n_features):
                x = np.float64(X[i, j])
                if np.isnan(x):
                    out[i, j] = missing_bin
                else:
                    lo = cut_offsets[j]
                    out[i, j] = first_at_least(cuts_flat, lo, cut_offsets[j + 1] - 1, x) - lo


@njit(cache=True, nogil=True)
def bin_csc(data, indices, indptr, cuts_flat, cut_offsets, missing_bin, out, by_feature):
    """Bin a CSC matrix; absent entries are missing.

    data, indices, indptr : the CSC arrays (data float32/float64)  # IN
    out : (n_rows, n_features) uint8/uint16                        # OUT
    by_feature : (n_features, n_rows), the same bins feature-major  # OUT
    """
    n_features = indptr.shape[0] - 1
    # Binned feature-major first, where a column's entries land in one contiguous row, then
    # transposed: written straight into ``out``, each entry touched a cache line of its own
    # (agaricus: 0.7 -> 0.4 ms).
    by_feature[:, :] = missing_bin
    for j in range(n_features):
        lo = cut_offsets[j]
        for k in range(indptr[j], indptr[j + 1]):
            x = np.float64(data[k])
            if np.isnan(x):
                by_feature[j, indices[k]] = missing_bin
            else:
                by_feature[j, indices[k]] = first_at_least(cuts_flat, lo,
                                                           cut_offsets[j + 1] - 1, x) - lo
    transpose_bins(by_feature, out)


@njit(cache=True, nogil=True)
def few_distinct_values(data, indptr, max_count):
    """Each column's distinct values, increasing, NaN left out, for the columns that have at
    most ``max_count`` of them (their cut points need nothing more; see BinMapper.fit). No
    sort: each value is looked up in the column's sorted set so far, so a column of few
    values costs one pass, and one of many stops at its ``max_count + 1``-th.

    data : (nnz,) float32/float64 stored values of a CSC matrix    # IN
    indptr : (n_columns + 1,) int64                                 # IN
    max_count : int                                                 # IN
    Returns ``(values, offsets, too_many)``: (n_found,) float64, (n_columns + 1,) int64 and
    (n_columns,) bool; column ``j``'s values are ``values[offsets[j]:offsets[j + 1]]``, none
    when ``too_many[j]`` (it has more than ``max_count``).
    """
    n_columns = indptr.shape[0] - 1
    values = np.empty(min(data.shape[0], n_columns * max_count), dtype=np.float64)
    offsets = np.zeros(n_columns + 1, dtype=np.int64)
    too_many = np.zeros(n_columns, dtype=np.bool_)
    found = np.empty(max_count + 1, dtype=np.float64)  # the column's sorted set so far
    n = 0
    for j in range(n_columns):
        k = 0
        last = np.nan
        for e in range(indptr[j], indptr[j + 1]):
            x = np.float64(data[e])
            if x == last or np.isnan(x):  # runs of one value are common in sparse data
                continue
            last = x
            lo = first_at_least(found, 0, k, x)
            if lo < k and found[lo] == x:
                continue
            if k == max_count:
                too_many[j] = True
                break
            for i in range(k, lo, -1):
                found[i] = found[i - 1]
            found[lo] = x
            k += 1
        if not too_many[j]:
            values[n:n + k] = found[:k]
            n += k
        offsets[j + 1] = n
    return values[:n].copy(), offsets, too_many


@njit(cache=True, nogil=True)
def equal_weight_bins(mass, own_weight, max_bin, last_of_bin):
    """Split a column's sorted distinct values into at most ``max_bin`` bins of even weight
    (LightGBM's greedy binning, closing bins nearer their share). A value of weight at least
    ``W / max_bin`` takes a bin of its own and the other values share the bins left, where
    quantiles alone would put several edges on it and leave those bins unused (protein's
    feature 7, 339 values, the commonest in 1.3% of rows: 151 of 255).

    Walking up the values, a bin closes after a heavy value; before the next value once that
    value's middle lies past the bin's share (the light weight still to place over the bins
    still free for it); before a heavy value once it holds half a share (with less, it joins
    the heavy value's bin); and once every value left can have a bin of its own.

    mass : (n,) float64, the weight each value stands for (with any unsummarised weight below
        it, in a pruned summary)                                        # IN
    own_weight : (n,) float64, the weight equal to each value           # IN
    max_bin : int, < n                                                  # IN
    last_of_bin : (max_bin - 1,) int64: the index of each bin's last value, but the last
        bin's (which ends at the last value)                            # OUT
    Returns the number of indices written (the bins less one).
    """
    if max_bin < 2:
        return 0
    n = mass.shape[0]
    total = 0.0
    for i in range(n):
        total += mass[i]
    heavy_at = total / max_bin
    free_bins = max_bin
    light_left = total
    for i in range(n):
        if own_weight[i] >= heavy_at:
            free_bins -= 1
            light_left -= mass[i]
    share = light_left / free_bins if free_bins > 0 else np.inf
    n_closed = 0
    in_bin = 0.0
    for i in range(n - 1):
        heavy = own_weight[i] >= heavy_at
        if not heavy:
            light_left -= mass[i]
        in_bin += mass[i]
        # The next value's middle, not the value itself, decides: closing only once a bin
        # is past its share (LightGBM) leaves bins over full, and lumpy columns run out of
        # weight before bins (fewer bins than quantiles give).
        # Once the values left are no more than the bins left, each gets its own: a column
        # a few values over max_bin would otherwise get fewer bins than one at max_bin.
        if heavy or in_bin + 0.5 * mass[i + 1] >= share or \
                (own_weight[i + 1] >= heavy_at and in_bin >= 0.5 * share) or \
                n - 1 - i <= max_bin - 1 - n_closed:
            last_of_bin[n_closed] = i
            n_closed += 1
            if n_closed == max_bin - 1:
                break
            in_bin = 0.0
            if not heavy:
                free_bins -= 1
                share = max(light_left, 0.0) / free_bins if free_bins > 0 else np.inf
    return n_closed


def few_distinct_values_naive(data, indptr, max_count):
    columns = [np.unique(data[indptr[j]:indptr[j + 1]].astype(np.float64))
               for j in range(indptr.size - 1)]
    columns = [c[~np.isnan(c)] for c in columns]
    too_many = np.array([c.size > max_count for c in columns], dtype=np.bool_)
    columns = [np.zeros(0) if many else c for c, many in zip(columns, too_many)]
    offsets = np.zeros(len(columns) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([c.size for c in columns])
    return np.concatenate(columns + [np.zeros(0)]), offsets, too_many


def bin_dense_naive(X, cuts, missing_bin, dtype):
    """Reference: ``np.searchsorted`` per feature. ``cuts`` is a list of edge arrays."""
    out = np.empty(X.shape, dtype=dtype)
    for j, edges in enumerate(cuts):
        col = X[:, j].astype(np.float64)
        b = np.searchsorted(edges, col, side="left")
        b[np.isnan(col)] = missing_bin
        out[:, j] = b
    return out
