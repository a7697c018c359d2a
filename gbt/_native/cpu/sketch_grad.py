"""Gradient sketches for the split search of condensed trees (see gbt/split_grad.py)."""
import numpy as np
from numba import njit, prange, uint64

from .objectives import ROW_BLOCKS


@njit(cache=True, nogil=True, parallel=True)
def project_gradients(gh, R, out):
    """out[:, j, 0] = g @ R[:, j]; out[:, j, 1] = the row's mean hessian over outputs.

    gh : (n, K, 2) float32       # IN
    R : (K, d) float64           # IN
    out : (n, d, 2) float32      # OUT
    """
    n = gh.shape[0]
    flat_R = np.ascontiguousarray(R).reshape(-1)
    per_block = (n + ROW_BLOCKS - 1) // ROW_BLOCKS
    for block in prange(ROW_BLOCKS):  # rows are independent: any thread count, same values
        _project_rows(gh, flat_R, R.shape[1], block * per_block,
                      min(n, (block + 1) * per_block), out)


@njit(cache=True, nogil=True)
def _project_rows(gh, flat_R, n_columns, start, end, out):
    K = gh.shape[1]
    d = uint64(n_columns)
    acc = np.empty(d)
    for i in range(start, end):
        acc[:] = 0.0
        h = 0.0
        for k in range(K):
            g = np.float64(gh[i, k, 0])
            h += gh[i, k, 1]
            row = uint64(k) * d  # unsigned offsets: the inner loop vectorises
            for j in range(d):
                acc[j] += g * flat_R[row + j]
        h /= K
        for j in range(d):
            out[i, j, 0] = acc[j]
            out[i, j, 1] = h


@njit(cache=True, nogil=True)
def _weighted_std(g, h):
    """The h-weighted standard deviation of g / h over the rows with h > 0 (two passes, float64
    sums); 1 when it is 0 or not finite. g, h: (n,) float32, any stride."""
    total = 0.0
    first = 0.0
    for i in range(g.size):
        if h[i] > 0.0:
            total += h[i]
            first += g[i]  # h * (g / h)
    mean = first / total if total > 0.0 else 0.0
    second = 0.0
    for i in range(g.size):
        hi = np.float64(h[i])
        if hi > 0.0:
            d = g[i] / hi - mean
            second += hi * d * d
    std = np.sqrt(second / total) if total > 0.0 else 1.0
    return std if std > 0.0 and np.isfinite(std) else 1.0


@njit(cache=True, nogil=True)
def standardize_columns(g, h, out):
    """out[:, k] = g[:, k] / s_k with s_k the h-weighted standard deviation of g[:, k] / h[:, k]
    over the rows with h > 0; s_k = 1 when it is 0 or not finite.

    g, h : (n, K) float32, any strides   # IN
    out : (n, K) float64                 # OUT
    """
    for k in range(g.shape[1]):
        std = _weighted_std(g[:, k], h[:, k])
        for i in range(g.shape[0]):
            out[i, k] = g[i, k] / std


@njit(cache=True, nogil=True)
def standardize_gh(gh, out):
    """:func:`standardize_columns` on the (g, h) pairs layout, straight into what the split
    search reads: out[:, k, 0] = gh[:, k, 0] / s_k, out[:, k, 1] = gh[:, k, 1].

    gh : (n, K, 2) float32   # IN
    out : (n, K, 2) float32  # OUT
    """
    for k in range(gh.shape[1]):
        std = _weighted_std(gh[:, k, 0], gh[:, k, 1])
        for i in range(gh.shape[0]):
            out[i, k, 0] = np.float64(gh[i, k, 0]) / std
            out[i, k, 1] = gh[i, k, 1]
