"""Checks of raw feature values (run once per matrix, at the API boundary)."""
import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def any_inf(X, n_chunks):
    """Whether the (n_rows, n_features) float32/float64 matrix X holds +inf or -inf (NaN does
    not count). One pass, split into ``n_chunks`` row chunks, each stopping at its first hit;
    numpy's ``isinf(X).any()`` writes and rereads a mask as large as X / 8."""
    n_rows, n_features = X.shape
    per_chunk = (n_rows + n_chunks - 1) // n_chunks
    hits = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        found = 0
        for r in range(c * per_chunk, min(n_rows, (c + 1) * per_chunk)):
            for j in range(n_features):
                found += np.abs(X[r, j]) == np.inf  # no branch: the loop vectorises
            if found:
                break
        hits[c] = found
    return hits.sum() > 0


def any_inf_naive(X):
    return bool(np.isinf(X).any())
