"""Histogram kernels: per-feature, per-bin sums of gradient and hessian.

A histogram is ``(n_features, n_bins, 2)`` float64 with channels (g, h); bin ``n_bins - 1`` is
the missing bin. float64 sums keep ``parent - sibling`` exact enough. There is no row-count
channel: a third read-add-write per row and feature cost ~25% of the build, and the split scan
estimates child row counts from hessians instead (see :mod:`.split`), as LightGBM does.
Parallel builds give each row chunk its own buffer and add the buffers in chunk order, so a
fixed chunk count gives bit-identical sums whatever the scheduling.
"""
import numpy as np
from numba import njit, prange

# Below FEATURE_PARALLEL_MIN_ROWS a node's histogram is built on one thread (a parallel region
# must carry enough work to pay for waking threads, and on a busy machine for waiting for a
# descheduled one); up to
# ROW_CHUNK_MIN_ROWS threads take disjoint blocks of features (no extra buffers, the same sums as
# one thread); above it threads take row chunks into their own buffers, added in chunk order.
FEATURE_PARALLEL_MIN_ROWS = 2048
ROW_CHUNK_MIN_ROWS = 65536


@njit(cache=True, nogil=True, fastmath=True)
def _accumulate(X, gh, rows, start, end, f_lo, f_hi, hist):
    # Rows are taken two at a time: when both fall in the same bin (common deep in a tree,
    # where rows share values) one update carries both, halving the chain of dependent
    # read-add-write operations on that bin.
    i = start
    while i + 1 < end:
        r0 = rows[i]
        r1 = rows[i + 1]
        g0 = np.float64(gh[r0, 0])
        h0 = np.float64(gh[r0, 1])
        g1 = np.float64(gh[r1, 0])
        h1 = np.float64(gh[r1, 1])
        for f in range(f_lo, f_hi):
            b0 = X[r0, f]
            b1 = X[r1, f]
            if b0 == b1:
                hist[f, b0, 0] += g0 + g1
                hist[f, b0, 1] += h0 + h1
            else:
                hist[f, b0, 0] += g0
                hist[f, b0, 1] += h0
                hist[f, b1, 0] += g1
                hist[f, b1, 1] += h1
        i += 2
    if i < end:
        r = rows[i]
        g0 = np.float64(gh[r, 0])
        h0 = np.float64(gh[r, 1])
        for f in range(f_lo, f_hi):
            b = X[r, f]
            hist[f, b, 0] += g0
            hist[f, b, 1] += h0


@njit(cache=True, nogil=True, parallel=True)
def build_histogram(X, gh, rows, start, end, n_chunks, chunk_buffers, hist):
    """Histogram of rows ``rows[start:end]``.

    X : (n_rows, n_features) uint8/uint16, C order         # IN
    gh : (n_rows, 2) float32, gradient and hessian side by side (one cache line)  # IN
    rows : (n_rows,) int32, node segments are contiguous    # IN
    n_chunks : int, number of threads / row chunks (>= 1)   # IN
    chunk_buffers : (n_chunks, n_features, n_bins, 2) f64   # scratch
    hist : (n_features, n_bins, 2) float64                  # OUT
    """
    n = end - start
    n_features = X.shape[1]
    if n_chunks == 1 or n < FEATURE_PARALLEL_MIN_ROWS:
        hist[:] = 0.0
        _accumulate(X, gh, rows, start, end, 0, n_features, hist)
        return
    if n < ROW_CHUNK_MIN_ROWS:
        per = (n_features + n_chunks - 1) // n_chunks
        for c in prange(n_chunks):
            f_lo = min(n_features, c * per)
            f_hi = min(n_features, f_lo + per)
            hist[f_lo:f_hi] = 0.0
            _accumulate(X, gh, rows, start, end, f_lo, f_hi, hist)
        return
    chunk = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        buf = chunk_buffers[c]
        buf[:] = 0.0
        _accumulate(X, gh, rows, start + c * chunk, min(end, start + (c + 1) * chunk),
                    0, n_features, buf)
    for f in prange(n_features):
        hist[f] = chunk_buffers[0, f]
        for c in range(1, n_chunks):
            hist[f] += chunk_buffers[c, f]


@njit(cache=True, nogil=True)
def subtract_histogram(parent, child, out):
    """out = parent - child (the sibling's histogram).  parent, child: IN; out: OUT (may be
    ``parent`` itself). All C-contiguous, walked flat so the loop vectorises. Serial: a few
    microseconds, less than a parallel region costs."""
    p = parent.reshape(-1)
    c = child.reshape(-1)
    o = out.reshape(-1)
    for i in range(p.size):
        o[i] = p[i] - c[i]


def build_histogram_naive(X, gh, rows, n_bins):
    """Reference histogram with ``np.add.at``."""
    g, h = gh[:, 0], gh[:, 1]
    n_features = X.shape[1]
    hist = np.zeros((n_features, n_bins, 2))
    sel = X[rows]
    for f in range(n_features):
        np.add.at(hist[f, :, 0], sel[:, f], g[rows].astype(np.float64))
        np.add.at(hist[f, :, 1], sel[:, f], h[rows].astype(np.float64))
    return hist
