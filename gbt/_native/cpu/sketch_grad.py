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
def standardize_columns(g, h, out):
    """out[:, k] = g[:, k] / s_k with s_k the h-weighted standard deviation of g[:, k] / h[:, k]
    over the rows with h > 0 (two passes, float64 sums); s_k = 1 when it is 0 or not finite.

    g, h : (n, K) float32, any strides   # IN
    out : (n, K) float64                 # OUT
    """
    n, K = g.shape
    for k in range(K):
        total = 0.0
        first = 0.0
        for i in range(n):
            if h[i, k] > 0.0:
                total += h[i, k]
                first += g[i, k]  # h * (g / h)
        mean = first / total if total > 0.0 else 0.0
        second = 0.0
        for i in range(n):
            hi = np.float64(h[i, k])
            if hi > 0.0:
                d = g[i, k] / hi - mean
                second += hi * d * d
        std = np.sqrt(second / total) if total > 0.0 else 1.0
        if not (std > 0.0 and np.isfinite(std)):
            std = 1.0
        for i in range(n):
            out[i, k] = g[i, k] / std
