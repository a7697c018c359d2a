"""Row partition: split a node's contiguous segment of ``rows`` into left then right, stably.

Stable order keeps a node's rows in the order of the root, so histogram sums (and the model)
do not depend on how many threads partitioned them.
"""
import numpy as np
from numba import njit, prange, uint64

PARALLEL_MIN_ROWS = 16384


@njit(cache=True, nogil=True, inline="always")
def _goes_left(b, threshold_bin, default_left, missing_bin):
    return b <= threshold_bin if b != missing_bin else default_left


@njit(cache=True, nogil=True, inline="always")
def _in_set(b, left_set, default_left, missing_bin):
    return left_set[b] if b != missing_bin else default_left


@njit(cache=True, nogil=True, parallel=True)
def partition_rows(column, rows, start, end, threshold_bin, default_left, missing_bin,
                   n_chunks, scratch, chunk_counts, mostly_right=False):
    """Reorder ``rows[start:end]`` so rows going left come first; return how many go left.
    ``mostly_right`` is a hint (it never changes the result): most rows likely go right, so
    the serial pass keeps the right rows in place and moves the left ones.

    column : (n_rows,) uint8/uint16, the split feature's bins (a row of the transposed
             binned matrix: contiguous, so the random row lookups stay in cache)  # IN
    rows : (n_rows,) int32                     # IN/OUT (only [start, end) changes)
    scratch : (n_rows,) int32                  # scratch
    chunk_counts : (n_chunks,) int64           # scratch
    """
    return _partition(column, rows, start, end, _goes_left, threshold_bin, default_left,
                      missing_bin, n_chunks, scratch, chunk_counts, mostly_right)


@njit(cache=True, nogil=True, parallel=True)
def partition_rows_set(column, rows, start, end, left_set, default_left, missing_bin,
                       n_chunks, scratch, chunk_counts, mostly_right=False):
    """:func:`partition_rows` for a categorical split: rows whose bin (category) is marked in
    ``left_set`` go left, missing ones follow ``default_left``.

    left_set : (>= the feature's n_bins,) bool    # IN
    """
    return _partition(column, rows, start, end, _in_set, left_set, default_left, missing_bin,
                      n_chunks, scratch, chunk_counts, mostly_right)


@njit(cache=True, nogil=True, parallel=True, inline="always")
def _partition(column, rows, start, end, goes_left, rule, default_left, missing_bin, n_chunks,
               scratch, chunk_counts, mostly_right):
    """The partition of both kinds of split; ``goes_left(bin, rule, default_left,
    missing_bin)`` says where a row goes (``rule``: a threshold bin or a category set).
    Inlined into each caller, so each gets its own specialised loop.

    In parallel, each thread splits its chunk as the serial loop does (its right rows go to
    its own stretch of ``scratch``), then the chunks' left parts and right parts are laid end
    to end in chunk order: the same stable order as one thread's, in one pass over the rows
    plus two copies.

    On one thread, the side kept in place is the side ``mostly_right`` says is larger: only
    the other is copied back from ``scratch`` (agaricus's trees send most rows right in 17
    of 20 splits; a 3,000-row node sending 98% right: 6.4 µs forward, 4.2 µs from the end)."""
    n = end - start
    if n_chunks == 1 or n < PARALLEL_MIN_ROWS:
        # scratch from ``start`` on: threads partitioning disjoint segments do not collide
        if mostly_right:
            return _split_segment_from_end(column, rows, start, end, goes_left, rule,
                                           default_left, missing_bin, scratch, start)
        n_left = _split_segment(column, rows, start, end, goes_left, rule, default_left,
                                missing_bin, scratch, start)
        _copy(scratch, start, rows, start + n_left, end - start - n_left)
        return n_left
    chunk = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        lo = min(end, start + c * chunk)
        hi = min(end, lo + chunk)
        chunk_counts[c] = _split_segment(column, rows, lo, hi, goes_left, rule, default_left,
                                         missing_bin, scratch, lo)
    pos = start + chunk_counts[0]  # the first chunk's left rows are already in place
    for c in range(1, n_chunks):
        lo = min(end, start + c * chunk)
        for i in range(chunk_counts[c]):  # moves rows towards the start: a forward copy is safe
            rows[pos + i] = rows[lo + i]
        pos += chunk_counts[c]
    n_left = pos - start
    for c in range(n_chunks):
        lo = min(end, start + c * chunk)
        n_right = min(end, lo + chunk) - lo - chunk_counts[c]
        _copy(scratch, lo, rows, pos, n_right)
        pos += n_right
    return n_left


@njit(cache=True, nogil=True, inline="always")
def _copy(src, src_lo, dst, dst_lo, n):
    """dst[dst_lo:dst_lo + n] = src[src_lo:src_lo + n] as a plain loop: in a parallel=True
    function the slice assignment becomes a parallel region of its own, about 1.2 µs to start
    on every node's partition (and a concurrent launch when trees grow side by side)."""
    for i in range(n):
        dst[dst_lo + i] = src[src_lo + i]


@njit(cache=True, nogil=True, inline="always")
def _split_segment(column, rows, lo, hi, goes_left, rule, default_left, missing_bin, scratch,
                   scratch_lo):
    """Split ``rows[lo:hi]`` stably: its left rows packed in place from ``lo``, its right rows
    into ``scratch`` from ``scratch_lo``. Returns the number of left rows.

    Branch-free: each row is written to both places and one count moves on; the stray copy
    lands on a slot already read (left) or not yet kept (scratch). Which way a row goes is a
    coin flip that a branch predictor loses. Indices are unsigned: a signed one costs a
    negative-index check on every access."""
    left_pos = uint64(lo)
    right_pos = uint64(scratch_lo)
    for i in range(uint64(lo), uint64(hi)):
        r = rows[i]
        go = uint64(goes_left(column[uint64(r)], rule, default_left, missing_bin))
        rows[left_pos] = r
        scratch[right_pos] = r
        left_pos += go
        right_pos += uint64(1) - go
    return np.int64(left_pos) - lo


@njit(cache=True, nogil=True, inline="always")
def _split_segment_from_end(column, rows, lo, hi, goes_left, rule, default_left, missing_bin,
                            scratch, scratch_lo):
    """Split ``rows[lo:hi]`` stably into left then right rows, walking it from the end: its
    right rows are packed in place towards ``hi``, its left rows go to ``scratch`` from
    ``scratch_lo`` (last first) and are then copied to the front. Returns the number of left
    rows. Branch-free as :func:`_split_segment`: the stray copy lands on a slot already read
    (rows) or not yet kept (scratch)."""
    right_pos = uint64(hi)
    left_pos = uint64(scratch_lo)
    i = uint64(hi)
    while i > uint64(lo):
        i -= uint64(1)
        r = rows[i]
        go = uint64(goes_left(column[uint64(r)], rule, default_left, missing_bin))
        rows[right_pos - uint64(1)] = r
        scratch[left_pos] = r
        right_pos -= uint64(1) - go
        left_pos += go
    n_left = np.int64(left_pos) - scratch_lo
    last = scratch_lo + n_left - 1
    for j in range(n_left):
        rows[lo + j] = scratch[last - j]
    return n_left


def partition_rows_set_naive(column, rows, left_set, default_left, missing_bin):
    """Reference for :func:`partition_rows_set`. Returns (left rows, right rows)."""
    b = column[rows].astype(np.int64)
    in_set = np.asarray(left_set, dtype=bool)[np.minimum(b, len(left_set) - 1)]
    left = np.where(b == missing_bin, default_left, in_set)
    return rows[left], rows[~left]


def partition_rows_naive(column, rows, threshold_bin, default_left, missing_bin):
    """Reference: boolean masks. Returns (left rows, right rows)."""
    b = column[rows]
    left = np.where(b == missing_bin, default_left, b <= threshold_bin)
    return rows[left], rows[~left]
