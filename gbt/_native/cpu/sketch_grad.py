"""Gradient sketches for the split search of condensed trees (see gbt/split_grad.py)."""
import numpy as np
from numba import njit, uint64


@njit(cache=True, nogil=True)
def project_gradients(gh, R, out):
    """out[:, j, 0] = g @ R[:, j]; out[:, j, 1] = the row's mean hessian over outputs.

    gh : (n, K, 2) float32       # IN
    R : (K, d) float64           # IN
    out : (n, d, 2) float32      # OUT
    """
    n, K = gh.shape[0], gh.shape[1]
    d = uint64(R.shape[1])
    flat_R = np.ascontiguousarray(R).reshape(-1)
    acc = np.empty(d)
    for i in range(n):
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
