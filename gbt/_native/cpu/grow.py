"""Grow one tree in a single compiled call: the whole split loop runs without Python.

A 255-leaf tree makes 254 splits; driving each from Python (three kernel calls, a heap, leaf
records) cost about a tenth of the fit. Here the loop, the heap of open leaves and the pool of
histogram buffers all live in compiled code, and the kernels it calls (partition, histogram,
split scan) keep their own parallel regions. On two threads, a plain dense node whose
smaller child is too small for row-chunked histograms takes one region for the smaller
child's histogram, the subtraction and both scans (split.histogram_and_split_pair): each
thread's block of features stays in its cache from step to step (protein's fit 0.80x, the
synthetic 200k 0.84x, in in-process A/B fits with the same trees).

On two threads, one-output trees work out several open leaves' splits in one parallel region:
the best, and the next ones in turn order not already worked out, as far as the leaf budget
likely reaches (:func:`_lane_batch`), shared out over the threads largest first
(:func:`_assign_lanes`). Each split is recorded only when the one-at-a-time order reaches its
leaf, so the tree is the one-thread tree node for node. With stored-cell (sparse) histograms
any such leaves go; with dense ones only leaves of at most DENSE_LANE_MAX_ROWS rows, whose
work is too short to share out well within one node (protein's grow kernel 0.90x). Not with
per-node feature masks, which are drawn by the children's node ids.

Policies: ``lossguide`` expands the open leaf with the largest gain next; depthwise expands
leaves in order of depth (then node id, i.e. breadth first). Either stops at ``max_leaves``
(0 = no limit) and never splits a node at ``max_depth`` (0 = no limit).

Each node's rows are the contiguous segment ``rows[start:end]``, reordered in place by the
partition. Only the smaller child's histogram is built; the larger one is ``parent - smaller``,
written over the parent's buffer.
"""
import heapq

import numpy as np
from numba import njit, prange, uint64

from .histogram import (ROW_CHUNK_MIN_ROWS, SPARSE_HALVES_MIN_ROWS, build_feature_block,
                        build_histogram, build_histogram_sparse,
                        build_histogram_sparse_halves, sparse_lane_size, subtract_histogram)
from .partition import partition_rows, partition_rows_set
from .split import (_split_rules, bounded_weight, find_best_split, find_best_split_categorical,
                    find_best_split_monotone, find_best_split_pair,
                    find_best_split_pair_categorical, find_best_split_pair_monotone,
                    find_best_splits_of_children, feature_parts, histogram_and_split_pair,
                    leaf_weight, scan_work_rows)

# Columns of the integer node table written by grow_tree.
NODE_FEATURE, NODE_BIN, NODE_DEFAULT_LEFT, NODE_LEFT, NODE_RIGHT, NODE_START, NODE_END = range(7)
N_NODE_INT = 7
# The float node table is (gain, G[K], H[K]): NODE_GAIN, then G at 1.., H at 1 + K...
NODE_GAIN = 0
# Columns of the grower's private per-node table.
SLOT, DEPTH = range(2)
# Columns of the table of splits worked out ahead of their turn (see _split_leaves).
PRE_MID, PRE_SLOT, PRE_SMALL_LEFT = range(3)


# Fewest bins (both children, all outputs) for which the pair scan runs in parallel: about
# 2.5 ns a bin, so 2,000 bins a child are 5 µs of scan against a parallel region's 3 µs.
# Protein's 9 features of 255 bins (4,590): fit 0.93x in in-process A/B fits.
SCAN_PARALLEL_MIN_BINS = 4000
# Fewest bins for which a dense node's histogram, subtraction and pair scan run in one
# parallel region (histogram_and_split_pair): the region carries more work than the scan
# alone, so it pays from fewer bins. In A/B fits (255 leaves, 2 threads, same trees): 6
# features of 255 bins 0.81-0.84x, 4 features 0.97x, 3 features 0.92x, 2 (1,020 bins) 1.00x.
ONE_REGION_MIN_BINS = 1500
# Most rows a dense node may hold to be split alongside others, one node per thread
# (_split_leaves): bigger nodes share their histogram out over the threads instead, as
# two nodes of unequal size keep one thread waiting. In in-process A/B grow kernels (protein,
# synthetic 255 leaves): 1,024 rows 0.93x / 1.00x, 4,096 0.89x / 0.97x, 16,384 0.89x / 0.97x.
DENSE_LANE_MAX_ROWS = 4096
# Most open leaves worked out in one parallel region, and most bytes of histogram buffers
# one region's leaves may take (each holds one more buffer until its turn comes), so wide
# data gets shorter batches (two leaves at least; see _lane_batch_size).
MAX_LANE_BATCH = 16
LANE_BATCH_BYTES = 16 << 20


def node_float_columns(n_outputs):
    """(G columns, H columns) slices of the float node table for ``n_outputs`` outputs."""
    return slice(1, 1 + n_outputs), slice(1 + n_outputs, 1 + 2 * n_outputs)


@njit(cache=True, nogil=True, inline="always")
def _take_slot(hist_pool, free, shape):
    """A free histogram buffer's index; the pool grows by one when none is free."""
    if len(free) > 0:
        return free.pop()
    hist_pool.append(np.zeros(shape))  # zeroed: kernels only ever write valid bins
    return np.int64(len(hist_pool) - 1)


@njit(cache=True, nogil=True)
def _grown(table, capacity):
    """``table`` copied into a larger (capacity, ...) array."""
    out = np.empty((capacity, table.shape[1]), dtype=table.dtype)
    out[:table.shape[0]] = table
    return out


@njit(cache=True, nogil=True)
def grow_tree(X, X_T, gh, rows, n_rows, n_bins, missing_bin, split_params, max_depth,
              max_leaves, lossguide, node_masks, n_chunks, scratch, chunk_counts,
              chunk_buffers, hist_pool):
    """Grow one tree without monotone or interaction constraints; see
    :func:`grow_tree_constrained`. Returns ``(node_int, node_float)``."""
    n_features = X.shape[1]
    monotone = np.zeros(n_features, dtype=np.int8)
    interaction_sets = np.zeros((0, n_features), dtype=np.bool_)
    node_int, node_float, _ = grow_tree_constrained(
        X, X_T, gh, rows, n_rows, n_bins, missing_bin, split_params, max_depth, max_leaves,
        lossguide, node_masks, monotone, interaction_sets, n_chunks, scratch, chunk_counts,
        chunk_buffers, hist_pool)
    return node_int, node_float


# sparse_rows of a grower without sparse histograms.
NO_SPARSE_ROWS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint32),
                  np.zeros(0, dtype=np.int64), np.zeros(0))


@njit(cache=True, nogil=True)
def grow_tree_constrained(X, X_T, gh, rows, n_rows, n_bins, missing_bin, split_params,
                          max_depth, max_leaves, lossguide, node_masks, monotone,
                          interaction_sets, n_chunks, scratch, chunk_counts, chunk_buffers,
                          hist_pool):
    """Grow one tree without categorical features; see :func:`grow_tree_categorical`.
    Returns ``(node_int, node_float, node_bounds)``."""
    n_features = X.shape[1]
    is_cat = np.zeros(n_features, dtype=np.bool_)
    cat_params = np.zeros(5)
    node_int, node_float, node_bounds, _ = grow_tree_categorical(
        X, X_T, gh, rows, n_rows, n_bins, missing_bin, split_params, max_depth, max_leaves,
        lossguide, node_masks, monotone, interaction_sets, is_cat, cat_params, n_chunks,
        scratch, chunk_counts, chunk_buffers, hist_pool,
        # Not NO_SPARSE_ROWS: a global's arrays are typed read-only, which would compile the
        # whole grow loop a second time.
        (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64),
         np.zeros(0)))
    return node_int, node_float, node_bounds


@njit(cache=True, nogil=True)
def grow_tree_categorical(X, X_T, gh, rows, n_rows, n_bins, missing_bin, split_params,
                          max_depth, max_leaves, lossguide, node_masks, monotone,
                          interaction_sets, is_cat, cat_params, n_chunks, scratch,
                          chunk_counts, chunk_buffers, hist_pool, sparse_rows):
    """Grow one tree on rows ``rows[:n_rows]``; return its node tables.

    X : (n, n_features) uint8/uint16 bins, C order              # IN
    X_T : (n_features, n) the same bins feature-major            # IN (partition reads a column)
    gh : (n, K, 2) float32, gradient and hessian of each output  # IN
    rows : (n,) int32; first n_rows are the tree's sample        # IN/OUT (leaf-segment order)
    n_bins : (n_features,) int32 value bins per feature           # IN
    split_params : (6,) float64, see split.SPLIT_PARAM_NAMES      # IN
    node_masks : (1 or n_mask_nodes, n_features) bool, features each node may split on; one
                 row means the same for every node, else node k uses row k (rows must cover
                 every node the tree can have)                    # IN
    monotone : (n_features,) int8, -1 / 0 / +1 monotone constraint per feature; all zeros =
               none. Splits on a constrained feature must order the children's values (every
               output's), and each child's leaf values are bounded at the mean of the two
               ("basic" method of XGBoost / LightGBM)            # IN
    interaction_sets : (n_sets, n_features) bool, allowed interaction sets (every feature in
               at least one; 0 rows = no constraint). A node may split on a feature only if
               one set holds it and every feature split on above the node      # IN
    is_cat : (n_features,) bool, categorical features: their bins are category codes and
             a split sends a set of categories left (see split.py); all False = none  # IN
    cat_params : (5,) float64, see split.CAT_PARAM_NAMES                        # IN
    scratch, chunk_counts, chunk_buffers : kernel scratch (see partition / histogram)
    hist_pool : typed List of zeroed (n_features, n_bins_total, K, 2) float64 buffers, reused
                across trees and grown here when more leaves are open at once than ever before
    sparse_rows : (indptr, cells, skip_bin, scratch) of histogram.sparse_cells,
                frequent_bins and sparse_scratch, to build one-output histograms from each
                row's stored cells; empty arrays = the dense kernel

    Returns ``(node_int, node_float, node_bounds, node_cat)``: (n_nodes, N_NODE_INT) int64,
    (n_nodes, 1 + 2K) float64 (gain, G[K], H[K]; see :func:`node_float_columns`),
    (n_nodes, 2K) float64, each node's lower[K] then upper[K] bounds on its (unscaled) value
    (-inf, +inf without monotone constraints), and (n_nodes, W) bool, W = the most bins of a
    categorical feature (1 without any): row k marks the categories node k sends left when
    it splits on a categorical feature (its NODE_BIN is then the split's code, not a bin).
    Children come after their parent; a leaf has left == right == -1 and its rows are
    ``rows[start:end]``.
    """
    lam, alpha, _, mcw, mcs, mds = _split_rules(split_params)
    n_features = X.shape[1]
    K = gh.shape[1]
    use_mono = False
    for f in range(n_features):
        use_mono = use_mono or monotone[f] != 0
    n_sets = interaction_sets.shape[0]
    use_sets = n_sets > 0
    use_cat = False
    cat_width = 1
    for f in range(n_features):
        if is_cat[f]:
            use_cat = True
            cat_width = max(cat_width, np.int64(n_bins[f]))
    shape = (n_features, missing_bin + 1, K, 2)
    # The two children's split scans run on two threads only over enough bins to pay for a
    # parallel region.
    scan_bins = 0
    for f in range(n_features):
        scan_bins += 2 * K * np.int64(n_bins[f])
    scan_parallel = n_chunks > 1 and scan_bins >= SCAN_PARALLEL_MIN_BINS
    # Plain dense nodes over ONE_REGION_MIN_BINS build the smaller child's histogram, subtract
    # and scan in one parallel region over feature blocks (histogram_and_split_pair) when the
    # child is too small for row chunks.
    dense_hist = sparse_rows[0].shape[0] == 0 or K > 1
    fused = (n_chunks > 1 and scan_bins >= ONE_REGION_MIN_BINS and dense_hist and not use_cat
             and not use_mono)
    parts = feature_parts(n_bins, n_chunks)
    per_node_masks = node_masks.shape[0] > 1
    row_width = 4 + 2 * K  # a split row: gain, feature, bin, default_left, G_left, H_left

    # Histogram buffers: a stack of free slots; every slot is free when a tree starts.
    free = [np.int64(0)]
    free.pop()
    for slot in range(len(hist_pool) - 1, -1, -1):
        free.append(np.int64(slot))
    # Per-node tables, doubled when full.
    capacity = 64
    node_int = np.empty((capacity, N_NODE_INT), dtype=np.int64)
    node_float = np.empty((capacity, 1 + 2 * K))
    # Per node: histogram slot (-1 none), depth, and the best split found while it was an open
    # leaf (a split row).
    node_aux = np.full((capacity, 2), -1, dtype=np.int64)
    best = np.empty((capacity, row_width))
    # Per node: the categories a categorical split sends left (set with the node's best split).
    node_cat = np.zeros((capacity, cat_width), dtype=np.bool_)
    pair_cat = np.zeros((2, cat_width), dtype=np.bool_)
    # Per node: leaf-value bounds lower[K], upper[K]; allowed interaction sets.
    node_bounds = np.empty((capacity, 2 * K))
    node_bounds[0, :K] = -np.inf
    node_bounds[0, K:] = np.inf
    node_sets = np.ones((capacity, n_sets), dtype=np.bool_)
    child_masks = np.empty((2, n_features), dtype=np.bool_)
    pair_bounds = np.empty((2, 2 * K))
    # Split-scan scratch: per-bin rows, and the vector scan's missing-bin row needs 2K entries.
    scan_work = np.empty((2 * n_features, scan_work_rows(K), max(missing_bin + 1, 2 * K)))
    totals = np.empty((2, 2 * K + 1))  # per child: G[K], H[K], row count
    evaluate = np.empty(2, dtype=np.bool_)
    pair_out = np.empty((2, row_width))

    # Open leaves worked out several at once, a share per thread (_split_leaves), on
    # one-output trees without a categorical feature or constraint: stored-cell (sparse)
    # nodes' kernels are serial, and a split's few microseconds of work per kernel are too
    # little to share out within one node (agaricus: fit 0.84x, with the halves below); small
    # dense nodes spend much of a shared split waiting on the other thread (protein's grow
    # kernel 0.90x).
    lane_size = sparse_lane_size(n_features, missing_bin + 1)  # one thread's scratch
    # Not with per-node feature masks: they are drawn by node id, and side by side splits
    # number the nodes in another order, so the tree would depend on the thread count.
    two_lanes = (n_chunks > 1 and K == 1 and not use_cat and not use_mono and not use_sets
                 and not per_node_masks
                 and (dense_hist or sparse_rows[3].shape[0] >= 2 * lane_size))
    # A leaf's split is worked out ahead but recorded only when the one-at-a-time order
    # reaches it (the leaf stays in the heap): per node, PRE_MID (its rows' partition point,
    # -1 while not worked out), PRE_SLOT (its smaller child's histogram buffer),
    # PRE_SMALL_LEFT; which children may split; and their split rows.
    pre = np.full((capacity if two_lanes else 0, 3), -1, dtype=np.int64)
    pre_evaluate = np.empty((capacity if two_lanes else 0, 2), dtype=np.bool_)
    pre_out = np.empty((capacity if two_lanes else 0, 2 * row_width))
    # One region's leaves, and each thread's share of them (_assign_lanes); per thread, the
    # children's totals and the scan's scratch.
    batch = np.empty(_lane_batch_size(n_features, missing_bin + 1, K), dtype=np.int64)
    lane_items = np.empty((2, MAX_LANE_BATCH), dtype=np.int64)
    lane_counts = np.zeros(2, dtype=np.int64)
    lane_totals = np.empty((2, 2, 2 * K + 1))
    lane_work = np.empty((2 if two_lanes else 0, 2, scan_work_rows(K),
                          max(missing_bin + 1, 2 * K)))

    root_slot = _take_slot(hist_pool, free, shape)
    root_hist = hist_pool[root_slot]
    # With two lanes, big sparse nodes' histograms are built in two halves (one per thread)
    # and summed: the second half goes to a buffer the tree holds throughout.
    halves_hist = hist_pool[_take_slot(hist_pool, free, shape)] \
        if two_lanes and not dense_hist else np.zeros((0, 1, 1, 2))
    _node_histogram(X, gh, rows, 0, n_rows, n_bins, n_chunks, chunk_buffers, sparse_rows,
                    root_hist, halves_hist)
    node_float[0, :] = 0.0
    for b in range(root_hist.shape[1]):  # every row is in exactly one bin of feature 0
        for k in range(K):
            node_float[0, 1 + k] += root_hist[0, b, k, 0]
            node_float[0, 1 + K + k] += root_hist[0, b, k, 1]
    _open_node(node_int, node_aux, 0, 0, n_rows, 0)
    node_aux[0, SLOT] = root_slot
    n_nodes = 1

    heap = [(0.0, np.int64(0))]  # (priority, node); seeded so Numba can type it
    heap.pop()
    totals[0, :2 * K] = node_float[0, 1:]
    totals[0, 2 * K] = n_rows
    if _can_split(0, n_rows, _hessian_sum(node_float[0], K), max_depth, mcw, mcs):
        root_mask = node_masks[0]
        if use_sets:
            _interaction_mask(node_masks[0], node_sets[0], interaction_sets, child_masks[0])
            root_mask = child_masks[0]
        _best_split_of_node(root_hist, n_bins, root_mask, totals[0], split_params, use_cat,
                            is_cat, cat_params, use_mono, monotone, node_bounds[0],
                            scan_work, best[0], node_cat[0])
        if best[0, 1] >= 0:
            heapq.heappush(heap, (_priority(lossguide, best[0, 0], 0), np.int64(0)))
    if len(heap) == 0:
        free.append(root_slot)
        node_aux[0, SLOT] = -1

    n_leaves = 1
    while len(heap) > 0 and (max_leaves <= 0 or n_leaves < max_leaves):
        _, node = heapq.heappop(heap)
        if n_nodes + 4 > capacity:  # room for two splits' children
            capacity *= 2
            node_int = _grown(node_int, capacity)
            node_float = _grown(node_float, capacity)
            node_aux = _grown(node_aux, capacity)
            best = _grown(best, capacity)
            node_bounds = _grown(node_bounds, capacity)
            node_sets = _grown(node_sets, capacity)
            node_cat = _grown(node_cat, capacity)
            if two_lanes:
                pre = _grown(pre, capacity)
                pre[n_nodes:, PRE_MID] = -1
                pre_evaluate = _grown(pre_evaluate, capacity)
                pre_out = _grown(pre_out, capacity)
        if two_lanes and pre[node, PRE_MID] < 0 and (
                not dense_hist or _rows_of(node_int, node) <= DENSE_LANE_MAX_ROWS):
            # This leaf and the open leaves the leaf budget likely reaches after it are worked
            # out at once, shared out over the two threads; each is recorded in its turn.
            n_batch = _lane_batch(heap, pre, node_int, node, n_leaves, max_leaves, mcs,
                                  dense_hist, batch)
            if n_batch > 1:
                for j in range(n_batch):
                    pre[batch[j], PRE_SLOT] = _take_slot(hist_pool, free, shape)
                _assign_lanes(batch, n_batch, node_int, node_float, best, lane_items,
                              lane_counts)
                _split_leaves(X, X_T, gh, rows, lane_items, lane_counts, node_int,
                              node_float, node_aux, best, n_bins, missing_bin, scratch,
                              chunk_counts, sparse_rows, hist_pool, node_masks, split_params,
                              max_depth, lane_totals, lane_work, pre, pre_evaluate, pre_out)
        if two_lanes and pre[node, PRE_MID] >= 0:
            # Worked out ahead (now, or while another leaf was first in line): record it.
            n_leaves += 1
            _commit_split(node, n_nodes, pre[node, PRE_MID], pre[node, PRE_SLOT],
                          pre[node, PRE_SMALL_LEFT] == 1, pre_evaluate[node],
                          max_leaves <= 0 or n_leaves < max_leaves,
                          pre_out[node].reshape(2, row_width), node_int, node_float, node_aux,
                          best, node_cat, pair_cat, lossguide, heap, free, K)
            pre[node, PRE_MID] = -1
            n_nodes += 2
            continue
        feature = np.int64(best[node, 1])
        bin_ = np.int64(best[node, 2])
        default_left = best[node, 3] > 0.0
        start = node_int[node, NODE_START]
        end = node_int[node, NODE_END]
        if use_cat and is_cat[feature]:
            n_left = partition_rows_set(X_T[feature], rows, start, end, node_cat[node],
                                        default_left, missing_bin, n_chunks, scratch,
                                        chunk_counts, _mostly_right(best, node_float, node, K))
        else:
            n_left = partition_rows(X_T[feature], rows, start, end, bin_, default_left,
                                    missing_bin, n_chunks, scratch, chunk_counts,
                                    _mostly_right(best, node_float, node, K))
        mid = start + n_left
        left = n_nodes
        right = n_nodes + 1
        n_nodes += 2
        n_leaves += 1

        depth = _record_split(node_int, node_float, node_aux, best, node, left, start, mid, end,
                              K)
        for c in range(2):
            child = left + c
            node_bounds[child, :] = node_bounds[node, :]
            for s_ in range(n_sets):
                node_sets[child, s_] = node_sets[node, s_] and interaction_sets[s_, feature]
        if monotone[feature] != 0:
            for k in range(K):  # bound both children at the mean of their values
                lo = node_bounds[node, k]
                hi = node_bounds[node, K + k]
                wl = bounded_weight(node_float[left, 1 + k], node_float[left, 1 + K + k], lam,
                                    alpha, mds, lo, hi)
                wr = bounded_weight(node_float[right, 1 + k], node_float[right, 1 + K + k],
                                    lam, alpha, mds, lo, hi)
                w_mid = 0.5 * (wl + wr)
                if monotone[feature] > 0:
                    node_bounds[left, K + k] = w_mid
                    node_bounds[right, k] = w_mid
                else:
                    node_bounds[left, k] = w_mid
                    node_bounds[right, K + k] = w_mid
        for c in range(2):
            child = left + c
            count = _rows_of(node_int, child)
            totals[c, :2 * K] = node_float[child, 1:]
            totals[c, 2 * K] = count
            # The leaf budget spent, no child will split: skip their histograms and scans.
            evaluate[c] = (max_leaves <= 0 or n_leaves < max_leaves) and _can_split(
                depth, count, _hessian_sum(node_float[child], K), max_depth, mcw, mcs)
        parent_slot = node_aux[node, SLOT]
        node_aux[node, SLOT] = -1
        if not (evaluate[0] or evaluate[1]):
            # Two final leaves (the last level of a depthwise tree): no histograms needed.
            free.append(parent_slot)
            continue

        # The smaller child gets a fresh histogram; the larger inherits the parent's buffer.
        small_slot = _take_slot(hist_pool, free, shape)
        small_hist = hist_pool[small_slot]
        parent_hist = hist_pool[parent_slot]
        small_is_left = n_left <= end - mid
        small_start = start if small_is_left else mid
        small_end = mid if small_is_left else end
        node_aux[left, SLOT] = small_slot if small_is_left else parent_slot
        node_aux[right, SLOT] = parent_slot if small_is_left else small_slot
        mask_left = node_masks[left if per_node_masks else 0]
        mask_right = node_masks[right if per_node_masks else 0]
        if use_sets:
            _interaction_mask(mask_left, node_sets[left], interaction_sets, child_masks[0])
            _interaction_mask(mask_right, node_sets[right], interaction_sets, child_masks[1])
            mask_left = child_masks[0]
            mask_right = child_masks[1]
        if use_mono:
            pair_bounds[0, :] = node_bounds[left, :]
            pair_bounds[1, :] = node_bounds[right, :]
        # The smaller child's histogram, the larger's by subtraction, both best splits.
        if fused and small_end - small_start < ROW_CHUNK_MIN_ROWS:
            histogram_and_split_pair(X, gh, rows, small_start, small_end, n_bins, parts,
                                     small_hist, parent_hist, small_is_left, mask_left,
                                     mask_right, totals, evaluate, split_params, scan_work,
                                     pair_out)
        else:
            _node_histogram(X, gh, rows, small_start, small_end, n_bins, n_chunks,
                            chunk_buffers, sparse_rows, small_hist, halves_hist)
            subtract_histogram(parent_hist, small_hist, n_bins, parent_hist)
            _best_splits_of_pair(hist_pool[node_aux[left, SLOT]],
                                 hist_pool[node_aux[right, SLOT]], n_bins, mask_left,
                                 mask_right, totals, evaluate, split_params, scan_parallel,
                                 use_cat, is_cat, cat_params, use_mono, monotone, pair_bounds,
                                 scan_work, pair_out, pair_cat)
        _settle_children(left, evaluate, pair_out, pair_cat, use_cat, lossguide, best, node_cat,
                         node_aux, heap, free)
    return node_int[:n_nodes], node_float[:n_nodes], node_bounds[:n_nodes], node_cat[:n_nodes]


@njit(cache=True, nogil=True, inline="always")
def _record_split(node_int, node_float, node_aux, best, node, left, start, mid, end, K):
    """Make open leaf ``node`` a split on its best split row, with children ``left`` (rows
    [start, mid)) and ``left + 1`` ([mid, end)) opened as leaves; returns their depth."""
    right = left + 1
    node_int[node, NODE_FEATURE] = np.int64(best[node, 1])
    node_int[node, NODE_BIN] = np.int64(best[node, 2])
    node_int[node, NODE_DEFAULT_LEFT] = 1 if best[node, 3] > 0.0 else 0
    node_int[node, NODE_LEFT] = left
    node_int[node, NODE_RIGHT] = right
    node_float[node, NODE_GAIN] = best[node, 0]
    depth = node_aux[node, DEPTH] + 1
    _open_node(node_int, node_aux, left, start, mid, depth)
    _open_node(node_int, node_aux, right, mid, end, depth)
    node_float[left, NODE_GAIN] = 0.0
    node_float[right, NODE_GAIN] = 0.0
    for j in range(2 * K):  # left sums from the split row, right = parent - left
        node_float[left, 1 + j] = best[node, 4 + j]
        node_float[right, 1 + j] = node_float[node, 1 + j] - best[node, 4 + j]
    return depth


@njit(cache=True, nogil=True, inline="always")
def _settle_children(left, evaluate, split_rows, split_cats, use_cat, lossguide, best, node_cat,
                     node_aux, heap, free):
    """Children ``left`` and ``left + 1`` with a split that passes the rules join the heap of
    open leaves (their split rows kept in ``best``); the others stay leaves and give their
    histogram buffers back."""
    for c in range(2):
        child = left + c
        if evaluate[c] and split_rows[c, 1] >= 0:
            best[child, :] = split_rows[c, :]
            if use_cat:
                node_cat[child, :] = split_cats[c, :]
            priority = _priority(lossguide, split_rows[c, 0], node_aux[child, DEPTH])
            heapq.heappush(heap, (priority, np.int64(child)))
        else:  # a leaf that will not split needs no histogram
            free.append(node_aux[child, SLOT])
            node_aux[child, SLOT] = -1


@njit(cache=True, nogil=True, inline="always")
def _rows_of(node_int, node):
    return node_int[node, NODE_END] - node_int[node, NODE_START]


@njit(cache=True, nogil=True)
def _lane_batch_size(n_features, n_bins_total, K):
    """Most leaves one region works out: MAX_LANE_BATCH, fewer when their histogram buffers
    would take more than LANE_BATCH_BYTES, never under two."""
    slot_bytes = max(16 * n_features * n_bins_total * K, 1)  # (G, H) float64 per bin
    return max(2, min(MAX_LANE_BATCH, LANE_BATCH_BYTES // slot_bytes))


@njit(cache=True, nogil=True)
def _lane_batch(heap, pre, node_int, node, n_leaves, max_leaves, mcs, dense, batch):
    """The open leaves to work out alongside ``node`` (just taken from the heap) into
    ``batch``, ``node`` first; returns how many. They are the heap's leaves in turn order
    that are not worked out yet (with dense histograms, of at most DENSE_LANE_MAX_ROWS rows),
    while the leaf budget likely reaches them: a leaf of ``count`` rows grows a subtree of at
    most ``count // mcs`` leaves (exactly so with constant hessians; child row counts are
    estimated from hessians), so even if every subtree of the leaves ahead of one is grown
    first, the budget lasts until its turn. Its split is then worth working out now; it is
    recorded only when its turn comes, so a wrong guess costs the work, never the tree."""
    batch[0] = node
    n_batch = 1
    per_leaf = max(mcs, 1.0)
    ahead = n_leaves + _rows_of(node_int, node) // per_leaf - 1  # leaves once node's is grown
    in_turn = list(heap)  # a copy to pop in turn order
    while len(in_turn) > 0 and n_batch < batch.shape[0] and (max_leaves <= 0 or
                                                              ahead < max_leaves):
        _, leaf = heapq.heappop(in_turn)
        count = _rows_of(node_int, leaf)
        if pre[leaf, PRE_MID] < 0 and (not dense or count <= DENSE_LANE_MAX_ROWS):
            batch[n_batch] = leaf
            n_batch += 1
        ahead += count // per_leaf - 1
    return n_batch


@njit(cache=True, nogil=True)
def _assign_lanes(batch, n_batch, node_int, node_float, best, lane_items, lane_counts):
    """Share ``batch[:n_batch]`` out over two threads, largest first, each to the thread with
    less work so far: a leaf's work is its partition (its rows) and its smaller child's
    histogram (about twice the child's rows, estimated from the split's hessians)."""
    cost = np.empty(n_batch)
    for j in range(n_batch):
        leaf = batch[j]
        share = best[leaf, 5] / node_float[leaf, 2] if node_float[leaf, 2] > 0.0 else 0.5
        count = _rows_of(node_int, leaf)
        cost[j] = count + 2.0 * count * min(share, 1.0 - share)
    order = np.argsort(-cost, kind="mergesort")
    lane_counts[:] = 0
    load = np.zeros(2)
    for j in order:
        lane = 0 if load[0] <= load[1] else 1
        lane_items[lane, lane_counts[lane]] = batch[j]
        lane_counts[lane] += 1
        load[lane] += cost[j]


@njit(cache=True, nogil=True, inline="always")
def _commit_split(node, left, mid, small_slot, small_is_left, evaluate, leaves_left,
                  split_rows, node_int, node_float, node_aux, best, node_cat, pair_cat,
                  lossguide, heap, free, K):
    """Record open leaf ``node``'s split, worked out by :func:`_split_leaf` (its rows
    partitioned at ``mid``, the smaller child's histogram in slot ``small_slot``, the larger's
    over the node's own), with children ``left`` and ``left + 1``; those that may split
    (``evaluate``, cleared here when the leaf budget is spent: ``leaves_left`` false) and have
    a split join the heap."""
    for c in range(2):
        evaluate[c] = evaluate[c] and leaves_left
    _record_split(node_int, node_float, node_aux, best, node, left, node_int[node, NODE_START],
                  mid, node_int[node, NODE_END], K)
    parent_slot = node_aux[node, SLOT]
    node_aux[node, SLOT] = -1
    node_aux[left, SLOT] = small_slot if small_is_left else parent_slot
    node_aux[left + 1, SLOT] = parent_slot if small_is_left else small_slot
    _settle_children(left, evaluate, split_rows, pair_cat, False, lossguide, best, node_cat,
                     node_aux, heap, free)


@njit(cache=True, nogil=True)
def _split_leaf(X, X_T, gh, rows, node, node_int, node_float, node_aux, best, n_bins,
                missing_bin, row_scratch, chunk_counts, sparse_rows, hist_scratch, small_hist,
                parent_hist, node_mask, split_params, max_depth, totals, evaluate, work, out):
    """Work out open leaf ``node``'s split on one thread, without recording it (one output,
    no categorical feature, monotone or interaction constraint, one feature mask for every
    node; histograms from stored cells when ``sparse_rows`` has them, else the dense kernel):
    partition its rows, build the smaller child's histogram into ``small_hist`` and the
    larger's over ``parent_hist``, and scan each child that may split by depth, rows and
    hessian into ``out[c]`` (``evaluate[c]`` says which). The children's sums are those
    :func:`_record_split` gives them. Returns ``(mid, small_is_left)``: the first right row."""
    _, _, _, mcw, mcs, _ = _split_rules(split_params)
    start = node_int[node, NODE_START]
    end = node_int[node, NODE_END]
    n_left = partition_rows(X_T[np.int64(best[node, 1])], rows, start, end,
                            np.int64(best[node, 2]), best[node, 3] > 0.0, missing_bin, 1,
                            row_scratch, chunk_counts,
                            _mostly_right(best, node_float, node, 1))
    mid = start + n_left
    depth = node_aux[node, DEPTH] + 1
    for c in range(2):
        totals[c, 0] = best[node, 4] if c == 0 else node_float[node, 1] - best[node, 4]
        totals[c, 1] = best[node, 5] if c == 0 else node_float[node, 2] - best[node, 5]
        totals[c, 2] = n_left if c == 0 else end - mid
        evaluate[c] = _can_split(depth, totals[c, 2], totals[c, 1], max_depth, mcw, mcs)
    small_is_left = n_left <= end - mid
    if evaluate[0] or evaluate[1]:
        _lane_histogram(X, gh, rows, start if small_is_left else mid,
                        mid if small_is_left else end, n_bins, sparse_rows, hist_scratch,
                        small_hist)
        subtract_histogram(parent_hist, small_hist, n_bins, parent_hist)
        hist_left = small_hist if small_is_left else parent_hist
        hist_right = parent_hist if small_is_left else small_hist
        if sparse_rows[0].shape[0] == 0:
            find_best_splits_of_children(hist_left, hist_right, n_bins, node_mask, node_mask,
                                         totals, evaluate, split_params, work, out)
        else:  # find_best_split scores one-bin features (one-hot columns) in one loop
            for c in range(2):
                if evaluate[c]:
                    find_best_split(hist_left if c == 0 else hist_right, n_bins, node_mask,
                                    totals[c], split_params, work, out[c])
    return mid, small_is_left


@njit(cache=True, nogil=True)
def _lane_histogram(X, gh, rows, start, end, n_bins, sparse_rows, hist_scratch, hist):
    """One thread's histogram of rows[start:end]: from the stored cells when the grower has
    them, else the dense kernel."""
    indptr, cells, skip_bin, _ = sparse_rows
    if indptr.shape[0] > 0:
        build_histogram_sparse(indptr, cells, skip_bin, hist_scratch, gh, rows, start, end,
                               n_bins, hist)
    else:
        build_feature_block(X, gh, rows, start, end, n_bins, 0, X.shape[1], hist)


@njit(cache=True, nogil=True, parallel=True)
def _split_leaves(X, X_T, gh, rows, lane_items, lane_counts, node_int, node_float, node_aux,
                  best, n_bins, missing_bin, row_scratch, chunk_counts, sparse_rows, hist_pool,
                  node_masks, split_params, max_depth, totals, work, pre, pre_evaluate,
                  pre_out):
    """:func:`_split_leaf` of each leaf of ``lane_items[i, :lane_counts[i]]`` on thread
    ``i``, into its rows of ``pre`` (PRE_SLOT set: the smaller child's histogram buffer),
    ``pre_evaluate`` and ``pre_out``. The leaves' row segments and histogram buffers are
    disjoint; each thread has its own half of the stored-cell scratch, and its own
    ``totals[i]`` and ``work[i]``."""
    lane_size = sparse_rows[3].shape[0] // 2
    row_width = pre_out.shape[1] // 2
    for i in prange(2):
        for j in range(lane_counts[i]):
            node = lane_items[i, j]
            mid, small_is_left = _split_leaf(
                X, X_T, gh, rows, node, node_int, node_float, node_aux, best, n_bins,
                missing_bin, row_scratch, chunk_counts, sparse_rows,
                sparse_rows[3][i * lane_size:(i + 1) * lane_size],
                hist_pool[pre[node, PRE_SLOT]], hist_pool[node_aux[node, SLOT]],
                node_masks[0], split_params, max_depth, totals[i], pre_evaluate[node],
                work[i], pre_out[node].reshape(2, row_width))
            pre[node, PRE_MID] = mid
            pre[node, PRE_SMALL_LEFT] = 1 if small_is_left else 0


@njit(cache=True, nogil=True)
def _node_histogram(X, gh, rows, start, end, n_bins, n_chunks, chunk_buffers, sparse_rows,
                    hist, other):
    """The histogram of rows[start:end]: from the rows' stored cells when the grower has
    them (see histogram.SPARSE_MIN_SHARE; one output), on two threads when ``other`` (a
    second histogram buffer, else empty) is given and the node has the rows to pay for
    it; else the dense kernel."""
    indptr, cells, skip_bin, scratch = sparse_rows
    if indptr.shape[0] > 0 and gh.shape[1] == 1:
        if other.shape[0] > 0 and end - start >= SPARSE_HALVES_MIN_ROWS:
            build_histogram_sparse_halves(indptr, cells, skip_bin, scratch, gh, rows, start,
                                          end, n_bins, hist, other)
        else:
            build_histogram_sparse(indptr, cells, skip_bin, scratch, gh, rows, start, end,
                                   n_bins, hist)
    else:
        build_histogram(X, gh, rows, start, end, n_bins, n_chunks, chunk_buffers, hist)


@njit(cache=True, nogil=True)
def _best_split_of_node(hist, n_bins, mask, totals, split_params, use_cat, is_cat, cat_params,
                        use_mono, monotone, bounds, scan_work, out, out_cat):
    """One node's best split into ``out`` (and its left categories into ``out_cat``), with
    the scan its constraints need."""
    if use_cat:
        find_best_split_categorical(hist, n_bins, mask, totals, split_params, is_cat,
                                    cat_params, monotone, use_mono, bounds, scan_work, out,
                                    out_cat)
    elif use_mono:
        find_best_split_monotone(hist, n_bins, mask, totals, split_params, monotone, bounds,
                                 scan_work, out)
    else:
        find_best_split(hist, n_bins, mask, totals, split_params, scan_work, out)


@njit(cache=True, nogil=True)
def _best_splits_of_pair(hist_left, hist_right, n_bins, mask_left, mask_right, totals,
                         evaluate, split_params, scan_parallel, use_cat, is_cat, cat_params,
                         use_mono, monotone, pair_bounds, scan_work, out, out_cat):
    """Both children's best splits into ``out`` (and ``out_cat``): in one parallel scan with
    the constraints they need, or, below SCAN_PARALLEL_MIN_BINS, one after the other (two
    plain scans cost less than a parallel region)."""
    if not scan_parallel:
        for c in range(2):
            if evaluate[c]:
                _best_split_of_node(hist_left if c == 0 else hist_right, n_bins,
                                    mask_left if c == 0 else mask_right, totals[c],
                                    split_params, use_cat, is_cat, cat_params, use_mono,
                                    monotone, pair_bounds[c], scan_work, out[c], out_cat[c])
    elif use_cat:
        find_best_split_pair_categorical(hist_left, hist_right, n_bins, mask_left, mask_right,
                                         totals, evaluate, split_params, is_cat, cat_params,
                                         monotone, use_mono, pair_bounds, scan_work, out,
                                         out_cat)
    elif use_mono:
        find_best_split_pair_monotone(hist_left, hist_right, n_bins, mask_left, mask_right,
                                      totals, evaluate, split_params, monotone, pair_bounds,
                                      scan_work, out)
    else:
        find_best_split_pair(hist_left, hist_right, n_bins, mask_left, mask_right, totals,
                             evaluate, split_params, scan_work, out)


@njit(cache=True, nogil=True, inline="always")
def _interaction_mask(base_mask, sets_row, interaction_sets, out):
    """out[f] = base_mask[f] and f is in one of the sets still allowed at the node."""
    for f in range(base_mask.shape[0]):
        allowed = False
        if base_mask[f]:
            for s_ in range(sets_row.shape[0]):
                if sets_row[s_] and interaction_sets[s_, f]:
                    allowed = True
                    break
        out[f] = allowed


@njit(cache=True, nogil=True, inline="always")
def _open_node(node_int, node_aux, node, start, end, depth):
    """Record a new leaf: rows [start, end), no children yet."""
    node_int[node, :] = -1
    node_int[node, NODE_DEFAULT_LEFT] = 0
    node_int[node, NODE_START] = start
    node_int[node, NODE_END] = end
    node_aux[node, DEPTH] = depth


@njit(cache=True, nogil=True, inline="always")
def _mostly_right(best, node_float, node, K):
    """Whether open leaf ``node``'s best split sends most of its hessian, so likely most of
    its rows, right: the partition's hint on which side to keep in place."""
    h_left = 0.0
    h = 0.0
    for k in range(K):
        h_left += best[node, 4 + K + k]
        h += node_float[node, 1 + K + k]
    return h_left < h - h_left


@njit(cache=True, nogil=True, inline="always")
def _hessian_sum(node_float_row, K):
    total = 0.0
    for k in range(K):
        total += node_float_row[1 + K + k]
    return total


@njit(cache=True, nogil=True, inline="always")
def _can_split(depth, count, H, max_depth, mcw, mcs):
    if max_depth > 0 and depth >= max_depth:
        return False
    return count >= 2 * mcs and H >= 2 * mcw


@njit(cache=True, nogil=True, inline="always")
def _priority(lossguide, gain, depth):
    """Heap key (smallest first): the largest gain, or the shallowest depth; ties go to the
    lowest node id through the tuple's second element."""
    return -gain if lossguide else float(depth)


@njit(cache=True, nogil=True)
def leaf_of_rows(rows, node_int, out):
    """out[r] = the leaf that holds row r, for every row of the tree's sample (other entries
    are left as they are).

    rows : (n,) int32, the grower's row order after the tree was grown   # IN
    node_int : (n_nodes, N_NODE_INT) int64 from grow_tree                # IN
    out : (n,) int32                                                     # IN/OUT
    """
    for node in range(node_int.shape[0]):
        if node_int[node, NODE_LEFT] < 0:
            for i in range(node_int[node, NODE_START], node_int[node, NODE_END]):
                out[rows[i]] = node


@njit(cache=True, nogil=True)
def node_gradient_sums(leaf_of_row, node_int, gh, out):
    """Per-node sums of ``gh``: leaves over their rows, internal nodes as the sum of their
    children (children come after their parent). Rows are read in storage order (a gather in
    partition order is memory-latency bound once ``gh`` outgrows the cache).

    leaf_of_row : (n,) int32, each row's leaf, -1 for rows outside the sample   # IN
    node_int : (n_nodes, N_NODE_INT) int64 from grow_tree                       # IN
    gh : (n, K, 2) float32                                                      # IN
    out : (n_nodes, K, 2) float64                                               # OUT
    """
    width = uint64(2 * gh.shape[1])  # unsigned offsets let the inner loop vectorise
    flat_gh = gh.reshape(-1)
    flat_out = out.reshape(-1)
    flat_out[:] = 0.0
    for r in range(leaf_of_row.shape[0]):
        # Branch-free (see predict.add_leaf_values): a row outside the sample adds zeros.
        node = leaf_of_row[r]
        keep = np.float32(node >= 0)
        src = uint64(r) * width
        dst = uint64(max(node, 0)) * width
        for j in range(width):
            flat_out[dst + j] += keep * flat_gh[src + j]
    flat_out = out.reshape(out.shape[0], -1)
    for node in range(node_int.shape[0] - 1, -1, -1):
        left = node_int[node, NODE_LEFT]
        if left >= 0:
            right = node_int[node, NODE_RIGHT]
            for j in range(width):
                flat_out[node, j] = flat_out[left, j] + flat_out[right, j]


@njit(cache=True, nogil=True)
def fill_tree(node_int, node_gain, G, H, split_params, scale, cut_table, max_threshold,
              is_cat, node_cat, n_bins, feature, threshold, threshold_bin, default_left, left,
              right, value, gain, cover, count, is_categorical, cat_count, cat_bits):
    """Write a grown tree's node tables into the arrays of a ``gbt.tree.Tree`` in one pass.

    node_int : (n_nodes, N_NODE_INT) int64 from grow_tree                       # IN
    node_gain : (n_nodes,) float64; G, H : (n_nodes, K) float64 node sums       # IN
    split_params : (6,) float64; scale : float, the learning rate               # IN
    cut_table : (n_features, >= max bins) float64, each feature's bin upper edges, padded
                with +inf; thresholds are capped at ``max_threshold``           # IN
    is_cat : (n_features,) bool; node_cat : (n_nodes, W) bool left categories   # IN
    n_bins : (n_features,) int32                                                # IN
    feature ... cat_bits : the Tree's arrays (cover: each node's hessian sum over its K
                outputs; cat_bits (n_nodes, ceil(W / 32)) uint32, zeroed; (n_nodes, 0)
                when no node splits on a categorical feature)                   # OUT
    """
    lam = split_params[0]
    alpha = split_params[1]
    mds = split_params[5]
    for k in range(node_int.shape[0]):
        f = node_int[k, NODE_FEATURE]
        feature[k] = f
        threshold_bin[k] = node_int[k, NODE_BIN]
        default_left[k] = node_int[k, NODE_DEFAULT_LEFT] != 0
        left[k] = node_int[k, NODE_LEFT]
        right[k] = node_int[k, NODE_RIGHT]
        gain[k] = node_gain[k]
        count[k] = _rows_of(node_int, k)
        hessian = 0.0
        for o in range(G.shape[1]):
            value[k, o] = scale * leaf_weight(G[k, o], H[k, o], lam, alpha, mds)
            hessian += H[k, o]
        cover[k] = hessian
        if node_int[k, NODE_LEFT] < 0:
            continue
        if is_cat[f]:  # NODE_BIN held the split's code; the tree keeps the left set as bits
            is_categorical[k] = True
            cat_count[k] = n_bins[f]
            threshold[k] = 0.0
            threshold_bin[k] = -1
            for b in range(node_cat.shape[1]):
                if node_cat[k, b]:
                    cat_bits[k, b // 32] |= np.uint32(1) << np.uint32(b % 32)
        else:
            threshold[k] = min(cut_table[f, node_int[k, NODE_BIN]], max_threshold)
