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
