"""One tree-growth step fused into a single call: partition a node, histogram its children.

The grower calls this once per split instead of three kernels, which keeps Python dispatch
out of the hot loop (a 255-leaf tree makes 254 splits).
"""
from numba import njit

from .histogram import build_histogram, subtract_histogram
from .partition import partition_rows


@njit(cache=True, nogil=True)
def split_node(X, column, gh, rows, start, end, threshold_bin, default_left, missing_bin,
               n_chunks, scratch, chunk_counts, chunk_buffers, parent_hist, small_hist):
    """Split node ``rows[start:end]``; return ``(n_left, left_is_small)``.

    X : (n_rows, n_features) binned, C order             # IN
    column : (n_rows,) the split feature's bins          # IN
    gh : (n_rows, 2) float32                             # IN
    rows : (n_rows,) int32                               # IN/OUT (segment reordered)
    parent_hist : (n_features, n_bins, 3) float64        # IN/OUT: becomes the larger child's
    small_hist : (n_features, n_bins, 3) float64         # OUT: the smaller child's
    scratch, chunk_counts, chunk_buffers                  # scratch
    """
    n_left = partition_rows(column, rows, start, end, threshold_bin, default_left, missing_bin,
                            n_chunks, scratch, chunk_counts)
    mid = start + n_left
    left_is_small = n_left <= end - mid
    if left_is_small:
        build_histogram(X, gh, rows, start, mid, n_chunks, chunk_buffers, small_hist)
    else:
        build_histogram(X, gh, rows, mid, end, n_chunks, chunk_buffers, small_hist)
    subtract_histogram(parent_hist, small_hist, parent_hist)
    return n_left, left_is_small
