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
from .slot_add import add_to_slot
from .words import load_word, nonzero_bytes, popcount, trailing_zeros

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


@njit(cache=True, nogil=True)
def build_feature_block(X, gh, rows, start, end, n_bins, f_lo, f_hi, hist):
    """Features ``f_lo:f_hi`` of the histogram of rows ``rows[start:end]``, built on this
    thread (valid bins only). Threads may build disjoint blocks of one histogram at once;
    each feature's sums do not depend on the blocks."""
    _zero_valid(hist, n_bins, f_lo, f_hi)
    _accumulate(X, gh, rows, start, end, f_lo, f_hi, hist)


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
        build_feature_block(X, gh, rows, start, end, n_bins, 0, n_features, hist)
        return
    if n < ROW_CHUNK_MIN_ROWS:
        per = (n_features + n_chunks - 1) // n_chunks
        for c in prange(n_chunks):
            f_lo = min(n_features, c * per)
            build_feature_block(X, gh, rows, start, end, n_bins, f_lo,
                                min(n_features, f_lo + per), hist)
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


# Binned data where at least this share of the cells hold their feature's most frequent bin
# (one-hot columns of a sparse matrix, mostly-missing or mostly-zero features) builds its
# one-output histograms from each row's other cells (build_histogram_sparse): fewer cells to
# add, and no chains of read-add-writes on the bin most rows share. On agaricus (87% of the
# cells in their feature's frequent bin) a tree grows about 8x faster. At 3/4 the stored cells
# (4 bytes each) take at most the binned matrix's memory again.
SPARSE_MIN_SHARE = 0.75
SPARSE_MAX_FEATURES = 1 << 16  # with up to 65,536 bins a feature, a slot index fits 32 bits
# A stored-cell scratch slot: (gradient, hessian, row count, unused) float64, 32 bytes; the
# count shares the cache line the sums touch, so a node's per-feature row counts cost no
# memory traffic of their own, and a cell is one 4-wide vector add (slot_add.add_to_slot).
SPARSE_SLOT = 4
# The scratch starts on a cache line, so no 32-byte slot straddles two (agaricus, all rows:
# 72 µs a histogram aligned, 81 µs with every slot 16 bytes off).
SCRATCH_ALIGN = 64


@njit(cache=True, nogil=True)
def frequent_bins(X, n_bins_total):
    """(n_features,) int64: each feature's most frequent bin (the lowest of ties) and
    (n_features,) int64: how many rows hold it."""
    n_rows, n_features = X.shape
    # One spare column: rows of 256 counts would put every other feature 4 KiB apart (see
    # sparse_scratch).
    counts = np.zeros((n_features, n_bins_total + 1), dtype=np.int64)
    for r in range(n_rows):
        for f in range(n_features):
            counts[f, X[r, f]] += 1
    top = np.empty(n_features, dtype=np.int64)
    top_count = np.empty(n_features, dtype=np.int64)
    for f in range(n_features):
        top[f] = np.argmax(counts[f, :n_bins_total])
        top_count[f] = counts[f, top[f]]
    return top, top_count


@njit(cache=True, nogil=True)
def sparse_cells(X, skip_bin, n_bins_total):
    """Each row's cells other than its features' most frequent bins, for
    :func:`build_histogram_sparse`.

    X : (n_rows, n_features) uint8/uint16 bins, C order                 # IN
    skip_bin : (n_features,) int64, the bin left out of each feature     # IN
    n_bins_total : int, the histograms' bins per feature (missing bin included)
    Returns ``(indptr, cells)``: (n_rows + 1,) int64 and (nnz,) uint32; row r's cells are
    ``cells[indptr[r]:indptr[r + 1]]``, each the scratch slot of its (feature, bin),
    ``feature * (n_bins_total + 1) + bin`` (see :func:`sparse_scratch`; at most
    SPARSE_MAX_FEATURES features). A ready slot spares the histogram kernel a shift, a mask
    and a multiply per cell.
    """
    if X.itemsize == 1:
        return _sparse_cells_by_words(X, skip_bin, n_bins_total)
    n_rows, n_features = X.shape
    stride = np.uint32(n_bins_total + 1)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    for r in range(n_rows):
        stored = 0
        for f in range(n_features):
            stored += X[r, f] != skip_bin[f]
        indptr[r + 1] = indptr[r] + stored
    cells = np.empty(indptr[n_rows], dtype=np.uint32)
    for r in range(n_rows):
        _compact_cells(X, skip_bin, stride, r, 0, n_features, cells, indptr[r])
    return indptr, cells


@njit(cache=True, nogil=True, inline="always")
def _compact_cells(X, skip_bin, stride, r, first, end, cells, e):
    """Write row ``r``'s stored cells among features [first, end) from ``cells[e]`` on, one
    feature at a time; returns the next free entry."""
    for f in range(first, end):
        b = X[r, f]
        if b != skip_bin[f]:
            cells[e] = np.uint32(f) * stride + np.uint32(b)
            e += 1
    return e


@njit(cache=True, nogil=True)
def _sparse_cells_by_words(X, skip_bin, n_bins_total):
    """:func:`sparse_cells` of uint8 bins, eight features at a time: a row's word of eight
    bins XOR the word of their skipped bins is zero in the bytes to leave out, so the word's
    stored cells are its nonzero bytes, counted with one popcount and visited with one
    trailing-zero count each. A test per cell mispredicted on every stored cell (agaricus,
    6,513 x 127, 16% stored: 0.68 -> 0.43 ms). The features past the last full word go one
    at a time."""
    n_rows, n_features = X.shape
    stride = np.uint32(n_bins_total + 1)
    n_words = n_features // 8  # in place: from an argument, LLVM left the loops 15% slower
    skip_words = np.zeros(n_words, dtype=np.uint64)
    for w in range(n_words):
        for j in range(8):
            skip_words[w] |= uint64(skip_bin[8 * w + j]) << uint64(8 * j)
    flat = X.reshape(-1)
    row_bytes = uint64(n_features)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    for r in range(n_rows):
        stored = uint64(0)
        at = uint64(r) * row_bytes
        for w in range(n_words):
            stored += popcount(nonzero_bytes(load_word(flat, at + uint64(8 * w)) ^ skip_words[w]))
        for f in range(8 * n_words, n_features):
            stored += uint64(X[r, f] != skip_bin[f])
        indptr[r + 1] = indptr[r] + np.int64(stored)
    cells = np.empty(indptr[n_rows], dtype=np.uint32)
    for r in range(n_rows):
        e = indptr[r]
        at = uint64(r) * row_bytes
        for w in range(n_words):
            marks = nonzero_bytes(load_word(flat, at + uint64(8 * w)) ^ skip_words[w])
            while marks:
                f = 8 * w + np.int64(trailing_zeros(marks) >> uint64(3))  # bit 7 of byte j
                cells[e] = np.uint32(f) * stride + np.uint32(X[r, f])
                e += 1
                marks &= marks - uint64(1)
        _compact_cells(X, skip_bin, stride, r, 8 * n_words, n_features, cells, e)
    return indptr, cells


@njit(cache=True, nogil=True)
def sparse_lane_size(n_features, n_bins_total):
    """Entries of one thread's stored-cell scratch (see :func:`sparse_scratch`)."""
    return n_features * (n_bins_total + 1) * SPARSE_SLOT


def sparse_scratch(n_features, n_bins_total, lanes=1):
    """The flat float64 buffer build_histogram_sparse adds into: SPARSE_SLOT entries a bin,
    and one more bin per feature than a histogram, so features do not lie a power of two
    apart. At a 4 KiB stride the same bin of two features shares an address's low 12 bits,
    and the CPU then holds each load back until the other feature's store is done ("4K
    aliasing"): 7.5 against 1.0 ns per cell on agaricus when its features all used bins 0
    and 255. ``lanes`` such buffers end to end, one per thread that builds histograms at the
    same time (the grower works out leaves on two threads); the first is at offset 0. The
    buffer starts on a SCRATCH_ALIGN boundary (a view into a slightly larger allocation)."""
    size = lanes * sparse_lane_size(n_features, n_bins_total)
    pad = SCRATCH_ALIGN // 8
    buffer = np.zeros(size + pad)
    skip = (-buffer.ctypes.data % SCRATCH_ALIGN) // 8  # numpy aligns to 16 bytes at least
    return buffer[skip:skip + size]


@njit(cache=True, nogil=True, fastmath=True)
def build_histogram_sparse(indptr, cells, skip_bin, scratch, gh, rows, start, end, n_bins,
                           hist):
    """:func:`build_histogram` (one output) from the rows' stored cells (:func:`sparse_cells`):
    it reads only the cells outside each feature's skipped bin, and fills that bin with the
    node's total minus the feature's other bins. A skipped bin no row of the node holds is
    exactly zero (counted: the split scan reads a nonzero missing bin as "the node has
    missing rows").

    indptr, cells, skip_bin : from frequent_bins and sparse_cells        # IN
    scratch : from sparse_scratch                                        # scratch
    gh : (n_rows, 1, 2) float32                                          # IN
    rows : (n_rows,) int32, node segments are contiguous                 # IN
    n_bins : (n_features,) int32, value bins per feature                 # IN
    hist : (n_features, n_bins_total, 1, 2) float64                      # OUT
    """
    n_features = hist.shape[0]
    miss = hist.shape[1] - 1
    slot = uint64(SPARSE_SLOT)
    stride = uint64(hist.shape[1] + 1) * slot  # scratch entries per feature
    for f in range(uint64(n_features)):
        base = f * stride
        scratch[base:base + uint64(n_bins[f]) * slot] = 0.0
        scratch[base + uint64(miss) * slot:base + uint64(miss + 1) * slot] = 0.0
    G = 0.0
    H = 0.0
    for i in range(uint64(start), uint64(end)):
        r = uint64(rows[i])
        g = np.float64(gh[r, 0, 0])
        h = np.float64(gh[r, 0, 1])
        G += g
        H += h
        for e in range(uint64(indptr[r]), uint64(indptr[r + uint64(1)])):
            add_to_slot(scratch, uint64(cells[e]) * slot, g, h)
    n = end - start
    for f in range(n_features):
        base = uint64(f) * stride
        g_rest = 0.0
        h_rest = 0.0
        stored = 0.0
        for b in range(uint64(n_bins[f])):
            at = base + b * slot
            hist[f, b, 0, 0] = scratch[at]
            hist[f, b, 0, 1] = scratch[at + uint64(1)]
            g_rest += scratch[at]
            h_rest += scratch[at + uint64(1)]
            stored += scratch[at + uint64(2)]
        at = base + uint64(miss) * slot
        hist[f, miss, 0, 0] = scratch[at]
        hist[f, miss, 0, 1] = scratch[at + uint64(1)]
        stored += scratch[at + uint64(2)]
        if stored == n:
            continue  # no row in the skipped bin: it stays exactly zero
        g_rest += scratch[at]
        h_rest += scratch[at + uint64(1)]
        top = skip_bin[f]  # zero so far, so it added nothing above
        hist[f, top, 0, 0] = G - g_rest
        hist[f, top, 0, 1] = H - h_rest


# Fewest rows for which build_histogram_sparse_halves pays for its parallel region and the
# sum of the halves. Agaricus (~16 stored cells a row), against one thread: 6,513 rows (the
# root) 0.66x the time, 2,000 rows 0.70x, 1,024 rows 0.85x, 512 rows 1.03x.
SPARSE_HALVES_MIN_ROWS = 1024


@njit(cache=True, nogil=True, parallel=True)
def build_histogram_sparse_halves(indptr, cells, skip_bin, scratch, gh, rows, start, end,
                                  n_bins, hist, other):
    """:func:`build_histogram_sparse` on two threads: each builds the histogram of half the
    rows (the second into ``other``, with the second lane of a ``sparse_scratch(..., lanes=2)``
    scratch), then ``hist += other`` on the valid bins. The sums differ from one thread's in
    the last bits (they are added in another order), and do not depend on anything but the
    rows.

    other : like hist      # scratch"""
    lane_size = scratch.shape[0] // 2
    mid = start + (end - start) // 2
    for i in prange(2):
        build_histogram_sparse(indptr, cells, skip_bin,
                               scratch[i * lane_size:(i + 1) * lane_size], gh, rows,
                               start if i == 0 else mid, mid if i == 0 else end, n_bins,
                               hist if i == 0 else other)
    h = hist.reshape(-1)
    o = other.reshape(-1)
    for f in range(hist.shape[0]):
        lo, hi, miss, cell = _valid_span(hist, f, n_bins[f])
        for j in range(lo, hi):
            h[j] += o[j]
        for j in range(miss, miss + cell):
            h[j] += o[j]


@njit(cache=True, nogil=True)
def subtract_histogram(parent, child, n_bins, out):
    """out = parent - child (the sibling's histogram) on the valid bins.  parent, child: IN;
    out: OUT (may be ``parent`` itself). Serial: a few microseconds, less than a parallel
    region costs."""
    o = out.reshape(-1)
    p = parent.reshape(-1)
    c = child.reshape(-1)
    copy = out.ctypes.data != parent.ctypes.data
    for f in range(parent.shape[0]):
        lo, hi, miss, cell = _valid_span(parent, f, n_bins[f])
        if copy:
            o[lo:hi] = p[lo:hi]
            o[miss:miss + cell] = p[miss:miss + cell]
        _subtract_span(o, c, lo, hi)
        _subtract_span(o, c, miss, miss + cell)


@njit(cache=True, nogil=True, inline="always")
def subtract_feature(parent, child, f, nb):
    """parent[f] -= child[f] on feature f's valid bins (nb value bins and the missing bin):
    the sibling's histogram of one feature, written over the parent's."""
    p = parent.reshape(-1)
    c = child.reshape(-1)
    lo, hi, miss, cell = _valid_span(parent, f, nb)
    _subtract_span(p, c, lo, hi)
    _subtract_span(p, c, miss, miss + cell)


@njit(cache=True, nogil=True, inline="always")
def _subtract_span(out, child, lo, hi):
    """out[lo:hi] -= child[lo:hi] (flat). In place on purpose: ``o[i] = p[i] - c[i]`` with
    ``o`` and ``p`` one buffer fails the vectorised loop's overlap check and runs scalar,
    5x slower (9 features of 255 bins: 5.0 against 0.9 µs)."""
    for i in range(lo, hi):
        out[i] -= child[i]


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
