"""Binning kernels: raw feature values -> bin indices, given per-feature cut points.

``cuts_flat`` concatenates every feature's increasing upper edges (each ending in +inf) and
``cut_offsets[j]:cut_offsets[j+1]`` selects feature ``j``'s. A value ``x`` goes to the first bin
``b`` with ``x <= edge[b]``; NaN goes to ``missing_bin``.
"""
import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, inline="always")
def _search(edges_flat, lo, hi, x):
    # First index in [lo, hi) with x <= edge; the last edge is +inf so one always exists.
    while lo < hi:
        mid = (lo + hi) >> 1
        if x <= edges_flat[mid]:
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
                    out[i, j] = _search(cuts_flat, lo, cut_offsets[j + 1] - 1, x) - lo


@njit(cache=True, nogil=True)
def bin_csc(data, indices, indptr, cuts_flat, cut_offsets, missing_bin, out):
    """Bin a CSC matrix; absent entries are missing.

    data, indices, indptr : the CSC arrays (data float32/float64)  # IN
    out : (n_rows, n_features) uint8/uint16                        # OUT
    """
    n_features = indptr.shape[0] - 1
    out[:, :] = missing_bin
    for j in range(n_features):
        lo = cut_offsets[j]
        for k in range(indptr[j], indptr[j + 1]):
            x = np.float64(data[k])
            if np.isnan(x):
                out[indices[k], j] = missing_bin
            else:
                out[indices[k], j] = _search(cuts_flat, lo, cut_offsets[j + 1] - 1, x) - lo


def bin_dense_naive(X, cuts, missing_bin, dtype):
    """Reference: ``np.searchsorted`` per feature. ``cuts`` is a list of edge arrays."""
    out = np.empty(X.shape, dtype=dtype)
    for j, edges in enumerate(cuts):
        col = X[:, j].astype(np.float64)
        b = np.searchsorted(edges, col, side="left")
        b[np.isnan(col)] = missing_bin
        out[:, j] = b
    return out
