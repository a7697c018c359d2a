"""Checks of raw feature values (run once per matrix, at the API boundary) and of each
round's gradients."""
import numpy as np
from numba import njit, prange, uint64


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


_FLOAT32_EXPONENT = np.uint32(0x7F800000)  # all ones: inf or NaN


@njit(cache=True, nogil=True, inline="always")
def _non_finite_float32(bits):
    """How many of the float32 values whose bits are the flat uint32 array ``bits`` are NaN or
    +-inf. An integer count, which the compiler vectorises (a float sum it may not reorder)."""
    n = 0
    for i in range(uint64(bits.shape[0])):
        n += (bits[i] & _FLOAT32_EXPONENT) == _FLOAT32_EXPONENT
    return n


@njit(cache=True, nogil=True)
def all_finite(a_bits, b_bits):
    """Whether every value of two C-contiguous float32 arrays (a round's gradients and
    hessians), passed as their ``.view(np.uint32)``, is finite. (numpy's float64 sums of the
    float32 buffers took ~18 us a round on 6,500 rows, a fiftieth of a small fit.)"""
    return _non_finite_float32(a_bits.reshape(-1)) + _non_finite_float32(b_bits.reshape(-1)) == 0


def all_finite_naive(a, b):
    return bool(np.isfinite(a).all() and np.isfinite(b).all())
