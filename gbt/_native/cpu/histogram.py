"""Histogram kernels: per-feature, per-bin, per-output sums of gradient and hessian.

A histogram is ``(n_features, n_bins_total, n_outputs, 2)`` float64 with channels (g, h) for
each output; bin ``n_bins_total - 1`` is the missing bin. Gradients come as
``(n_rows, n_outputs, 2)`` float32, so one row's values for every output are contiguous and the
vector case adds ``2 * n_outputs`` contiguous values per row and feature. ``n_outputs == 1`` is
the ordinary scalar tree and takes its own tuned loop.

float64 sums keep ``parent - sibling`` exact enough. There is no row-count channel: a third
read-add-write per row and feature cost ~25% of the build, and the split scan estimates child
row counts from hessians instead (see :mod:`.split`), as LightGBM does.

Only the valid bins of each feature (``0 .. n_bins[f] - 1`` and the missing bin) are ever
written: buffers start zeroed and the bins in between stay zero, so features with few bins
(and wide vector histograms) cost what they hold, not ``n_bins_total``.

Parallel builds give each row chunk its own buffer and add the buffers in chunk order, so a
fixed chunk count gives bit-identical sums whatever the scheduling.
"""
import numpy as np
from numba import njit, prange, uint64

from .prefetch import prefetch

# Below FEATURE_PARALLEL_MIN_CELLS (rows x features) a node's histogram is built on one thread
# (a parallel region must carry enough work to pay for waking threads, and on a busy machine
# for waiting for a descheduled one: counted in cells, as a node of few features holds little
# work per row); up to ROW_CHUNK_MIN_ROWS threads take disjoint blocks of features (no extra
# buffers, the same sums as one thread); above it threads take row chunks into their own
# buffers, added in chunk order.
FEATURE_PARALLEL_MIN_CELLS = 65536
ROW_CHUNK_MIN_ROWS = 65536


# Up to this many outputs the vector histogram adds a cell in straight-line blocks of four;
# above it the inner loop is long enough for LLVM's vectorised loop to win (measured).
NARROW_MAX_OUTPUTS = 3
# The scalar loop prefetches the bins and gradients of the rows this far ahead (rows of a deep
# node are scattered over memory; see prefetch.py). Measured: 5-18% faster on scattered rows.
PREFETCH_ROWS = uint64(16)


@njit(cache=True, nogil=True, fastmath=True)
def _accumulate(X, gh, rows, start, end, f_lo, f_hi, hist):
    if gh.shape[1] == 1:
        _accumulate_scalar(X, gh, rows, start, end, f_lo, f_hi, hist)
    else:
        _accumulate_vector(X, gh, rows, start, end, f_lo, f_hi, hist)


@njit(cache=True, nogil=True, fastmath=True)
def _accumulate_scalar(X, gh, rows, start, end, f_lo, f_hi, hist):
    # Rows are taken two at a time: when both fall in the same bin (common deep in a tree,
    # where rows share values) one update carries both, halving the chain of dependent
    # read-add-write operations on that bin. Indices are unsigned: a signed one costs a
    # negative-index check on every access.
    i = uint64(start)
    stop = uint64(end)
    lo = uint64(f_lo)
    hi = uint64(f_hi)
    n_features = uint64(X.shape[1])
    while i + uint64(1) < stop:
        if i + PREFETCH_ROWS + uint64(1) < stop:  # the pair of rows PREFETCH_ROWS ahead
            _prefetch_row(X, gh, rows[i + PREFETCH_ROWS], n_features, lo)
            _prefetch_row(X, gh, rows[i + PREFETCH_ROWS + uint64(1)], n_features, lo)
        r0 = uint64(rows[i])
        r1 = uint64(rows[i + uint64(1)])
        g0 = np.float64(gh[r0, 0, 0])
        h0 = np.float64(gh[r0, 0, 1])
        g1 = np.float64(gh[r1, 0, 0])
        h1 = np.float64(gh[r1, 0, 1])
        for f in range(lo, hi):
            b0 = X[r0, f]
            b1 = X[r1, f]
            if b0 == b1:
                hist[f, b0, 0, 0] += g0 + g1
                hist[f, b0, 0, 1] += h0 + h1
            else:
                hist[f, b0, 0, 0] += g0
                hist[f, b0, 0, 1] += h0
                hist[f, b1, 0, 0] += g1
                hist[f, b1, 0, 1] += h1
        i += uint64(2)
    if i < stop:
        r = uint64(rows[i])
        g0 = np.float64(gh[r, 0, 0])
        h0 = np.float64(gh[r, 0, 1])
        for f in range(lo, hi):
            b = X[r, f]
            hist[f, b, 0, 0] += g0
            hist[f, b, 0, 1] += h0


@njit(cache=True, nogil=True, inline="always")
def _prefetch_row(X, gh, row, n_features, f_lo):
    r = uint64(row)
    prefetch(X, r * n_features + f_lo)
    prefetch(gh, r * uint64(2))


@njit(cache=True, nogil=True, fastmath=True)
def _accumulate_vector(X, gh, rows, start, end, f_lo, f_hi, hist):
    # Flat offsets: a (feature, bin) cell and a row's gradients are both 2K contiguous values.
    # Offsets are unsigned so Numba emits no negative-index wraparound, which would keep
    # LLVM from vectorising the inner loop (6x slower at K = 26). Narrow cells (K <= 3) are
    # added four values at a time in straight-line code instead: there a vectorised loop of
    # a few iterations costs more than it saves.
    width = uint64(2 * gh.shape[1])
    narrow = gh.shape[1] <= NARROW_MAX_OUTPUTS
    blocks = width // uint64(4) * uint64(4)
    n_bins_total = uint64(hist.shape[1])
    flat_hist = hist.reshape(-1)
    flat_gh = gh.reshape(-1)
    for i in range(uint64(start), uint64(end)):
        r = uint64(rows[i])
        src = r * width
        for f in range(uint64(f_lo), uint64(f_hi)):
            dst = (f * n_bins_total + uint64(X[r, f])) * width
            if not narrow:
                for j in range(width):
                    flat_hist[dst + j] += flat_gh[src + j]
                continue
            j = uint64(0)
            while j < blocks:
                flat_hist[dst + j] += flat_gh[src + j]
                flat_hist[dst + j + uint64(1)] += flat_gh[src + j + uint64(1)]
                flat_hist[dst + j + uint64(2)] += flat_gh[src + j + uint64(2)]
                flat_hist[dst + j + uint64(3)] += flat_gh[src + j + uint64(3)]
                j += uint64(4)
            if j < width:
                flat_hist[dst + j] += flat_gh[src + j]
                flat_hist[dst + j + uint64(1)] += flat_gh[src + j + uint64(1)]


@njit(cache=True, nogil=True, inline="always")
def _valid_span(hist, f, nb):
    """Flat [lo, hi) of feature f's value bins and the flat start of its missing bin, as
    unsigned offsets (see _accumulate_vector)."""
    cell = uint64(hist.shape[2] * 2)
    lo = uint64(f) * uint64(hist.shape[1]) * cell
    return lo, lo + uint64(nb) * cell, lo + uint64(hist.shape[1] - 1) * cell, cell


@njit(cache=True, nogil=True)
def _zero_valid(hist, n_bins, f_lo, f_hi):
    flat = hist.reshape(-1)
    for f in range(f_lo, f_hi):
        lo, hi, miss, cell = _valid_span(hist, f, n_bins[f])
        flat[lo:hi] = 0.0
        flat[miss:miss + cell] = 0.0


@njit(cache=True, nogil=True, parallel=True)
def build_histogram(X, gh, rows, start, end, n_bins, n_chunks, chunk_buffers, hist):
    """Histogram of rows ``rows[start:end]`` (valid bins only; see the module note).

    X : (n_rows, n_features) uint8/uint16, C order                     # IN
    gh : (n_rows, n_outputs, 2) float32, C order                        # IN
    rows : (n_rows,) int32, node segments are contiguous                # IN
    n_bins : (n_features,) int32, value bins per feature                # IN
    n_chunks : int, number of threads / row chunks (>= 1)               # IN
    chunk_buffers : (n_chunks, n_features, n_bins_total, n_outputs, 2) f64, zeroed once
                    when allocated                                      # scratch
    hist : (n_features, n_bins_total, n_outputs, 2) float64             # OUT
    """
    n = end - start
    n_features = X.shape[1]
    if n_chunks == 1 or n * n_features < FEATURE_PARALLEL_MIN_CELLS:
        _zero_valid(hist, n_bins, 0, n_features)
        _accumulate(X, gh, rows, start, end, 0, n_features, hist)
        return
    if n < ROW_CHUNK_MIN_ROWS:
        per = (n_features + n_chunks - 1) // n_chunks
        for c in prange(n_chunks):
            f_lo = min(n_features, c * per)
            f_hi = min(n_features, f_lo + per)
            _zero_valid(hist, n_bins, f_lo, f_hi)
            _accumulate(X, gh, rows, start, end, f_lo, f_hi, hist)
        return
    chunk = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        buf = chunk_buffers[c]
        _zero_valid(buf, n_bins, 0, n_features)
        _accumulate(X, gh, rows, start + c * chunk, min(end, start + (c + 1) * chunk),
                    0, n_features, buf)
    flat = hist.reshape(-1)
    for f in prange(n_features):
        lo, hi, miss, cell = _valid_span(hist, f, n_bins[f])
        for span_lo, span_hi in ((lo, hi), (miss, miss + cell)):
            first = chunk_buffers[0].reshape(-1)
            for i in range(span_lo, span_hi):
                flat[i] = first[i]
            for c in range(1, n_chunks):
                other = chunk_buffers[c].reshape(-1)
                for i in range(span_lo, span_hi):
                    flat[i] += other[i]


@njit(cache=True, nogil=True)
def subtract_histogram(parent, child, n_bins, out):
    """out = parent - child (the sibling's histogram) on the valid bins.  parent, child: IN;
    out: OUT (may be ``parent`` itself). All C-contiguous, walked flat so the loop vectorises.
    Serial: a few microseconds, less than a parallel region costs."""
    p = parent.reshape(-1)
    c = child.reshape(-1)
    o = out.reshape(-1)
    for f in range(parent.shape[0]):
        lo, hi, miss, cell = _valid_span(parent, f, n_bins[f])
        for i in range(lo, hi):
            o[i] = p[i] - c[i]
        for i in range(miss, miss + cell):
            o[i] = p[i] - c[i]


def build_histogram_naive(X, gh, rows, n_bins_total):
    """Reference histogram with ``np.add.at``; ``gh`` is (n, 2) or (n, n_outputs, 2)."""
    gh = gh.reshape(gh.shape[0], -1, 2)
    n_features, n_outputs = X.shape[1], gh.shape[1]
    hist = np.zeros((n_features, n_bins_total, n_outputs, 2))
    sel = X[rows]
    for f in range(n_features):
        for k in range(n_outputs):
            for ch in range(2):
                np.add.at(hist[f, :, k, ch], sel[:, f], gh[rows, k, ch].astype(np.float64))
    return hist
