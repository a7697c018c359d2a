"""``transpose_bins``: the feature-major copy of a binned matrix (and back), 8x8 bytes at a time.

numpy's ``ascontiguousarray(X.T)`` moves one byte per step with a stride of a row between
reads; on agaricus (6,513 x 127 uint8) it took about 0.8 ms of each 45 ms fit, twice (the
grower's partition copy, and the scattered writes of binning a CSC matrix). Here eight rows
of eight bytes are read as eight 64-bit words, transposed in registers (three rounds of
masked swaps: 4x4, 2x2, then 1x1 blocks of bytes) and written as eight words: 0.25 ms there,
and 2-3x faster than numpy on the synthetic cases' shapes (words: see :mod:`.words`).
"""
import numpy as np
from numba import njit, uint64

from .words import load_word, store_word

_LOW_HALVES = uint64(0x00000000FFFFFFFF)
_LOW_QUARTERS = uint64(0x0000FFFF0000FFFF)
_LOW_BYTES = uint64(0x00FF00FF00FF00FF)


@njit(cache=True, nogil=True, inline="always")
def _swap(a, b, shift, mask):
    """Swap the ``mask``-selected bytes of ``b`` with those ``shift`` bits up in ``a``."""
    t = ((a >> shift) ^ b) & mask
    return a ^ (t << shift), b ^ t


@njit(cache=True, nogil=True)
def transpose_bins(src, out):
    """out[j, i] = src[i, j] for C-contiguous (n, p) ``src`` and (p, n) ``out`` of one dtype
    (uint8: 8x8 blocks in registers, the edges one byte at a time; wider: plain loops)."""
    n, p = src.shape
    n8 = n - n % 8 if src.itemsize == 1 else 0
    p8 = p - p % 8 if src.itemsize == 1 else 0
    s = src.reshape(-1)
    o = out.reshape(-1)
    un = uint64(n)
    up = uint64(p)
    for c in range(0, p8, 8):
        for r in range(0, n8, 8):
            at = uint64(r) * up + uint64(c)  # word i: src[r + i, c:c + 8]
            a0 = load_word(s, at)
            a1 = load_word(s, at + up)
            a2 = load_word(s, at + uint64(2) * up)
            a3 = load_word(s, at + uint64(3) * up)
            a4 = load_word(s, at + uint64(4) * up)
            a5 = load_word(s, at + uint64(5) * up)
            a6 = load_word(s, at + uint64(6) * up)
            a7 = load_word(s, at + uint64(7) * up)
            a0, a4 = _swap(a0, a4, uint64(32), _LOW_HALVES)
            a1, a5 = _swap(a1, a5, uint64(32), _LOW_HALVES)
            a2, a6 = _swap(a2, a6, uint64(32), _LOW_HALVES)
            a3, a7 = _swap(a3, a7, uint64(32), _LOW_HALVES)
            a0, a2 = _swap(a0, a2, uint64(16), _LOW_QUARTERS)
            a1, a3 = _swap(a1, a3, uint64(16), _LOW_QUARTERS)
            a4, a6 = _swap(a4, a6, uint64(16), _LOW_QUARTERS)
            a5, a7 = _swap(a5, a7, uint64(16), _LOW_QUARTERS)
            a0, a1 = _swap(a0, a1, uint64(8), _LOW_BYTES)
            a2, a3 = _swap(a2, a3, uint64(8), _LOW_BYTES)
            a4, a5 = _swap(a4, a5, uint64(8), _LOW_BYTES)
            a6, a7 = _swap(a6, a7, uint64(8), _LOW_BYTES)
            at = uint64(c) * un + uint64(r)  # word j: out[c + j, r:r + 8]
            store_word(o, at, a0)
            store_word(o, at + un, a1)
            store_word(o, at + uint64(2) * un, a2)
            store_word(o, at + uint64(3) * un, a3)
            store_word(o, at + uint64(4) * un, a4)
            store_word(o, at + uint64(5) * un, a5)
            store_word(o, at + uint64(6) * un, a6)
            store_word(o, at + uint64(7) * un, a7)
    for c in range(p8):  # the rows past the last full block of eight
        for r in range(n8, n):
            out[c, r] = src[r, c]
    for c in range(p8, p):  # the columns past it
        for r in range(n):
            out[c, r] = src[r, c]


def transposed(X):
    """The (p, n) C-order copy of a C-contiguous (n, p) binned matrix ``X``."""
    X = np.ascontiguousarray(X)
    out = np.empty((X.shape[1], X.shape[0]), dtype=X.dtype)
    transpose_bins(X, out)
    return out
