"""Prediction kernels over a forest stored as flat node arrays.

Trees are concatenated: tree ``t`` owns nodes ``tree_offsets[t]:tree_offsets[t+1]`` with child
indices local to the tree; a node is a leaf when ``left == -1``. Tree ``t`` adds
``tree_width[t]`` values per node (1, or K for a vector-leaf tree) to output columns
``tree_output[t]`` onwards; node ``k``'s values are
``value[value_offsets[t] + k * width :][:width]``. A row goes left when its value is
``<= threshold`` (or its bin ``<= threshold_bin``), and follows ``default_left`` when missing.
:func:`predict_raw` walks a copy of the forest renumbered breadth-first, two arrays per node,
whose leaves loop to themselves (:func:`walk_nodes`).

Forests with categorical splits use the ``*_categorical`` kernels, which take three more node
arrays: ``is_cat`` (bool), ``cat_count`` (int32, the feature's training categories) and
``cat_bits`` ((n_nodes, n_words) uint32 bitsets). At a categorical node a row goes left when
its code's bit is set; missing values and codes that are not categories of the training data
(negative, fractional, ``>= cat_count``) follow ``default_left`` (see :mod:`gbt.tree`). On
binned data a categorical feature's bin is its code.
"""
import numpy as np
from numba import njit, prange, uint64

from .binning import first_at_least

ROW_BLOCK = 64  # rows walked together through one tree, to keep that tree in cache
LANES = 8  # rows a walk steps in lockstep (_walk_rows)
# What a lockstep round that tests whether any row moved costs, in rounds without the test.
# Chosen by kernel time on bench_fit.py's cases among 1, 1.4, 2 and "never test": 1.4 was the
# best or level with the best on each (against testing every round: agaricus 0.89x, protein
# 0.97x, the one-output leaf add included).
CHECKED_ROUND_COST = 1.4
# The walks index with unsigned integers: a signed index costs a negative-index check on every
# access, and the walk is a chain of dependent loads (measured: a fifth faster unsigned).


@njit(cache=True, nogil=True)
def densify_csr_rows(indptr, indices, data, lo, out):
    """Rows ``lo : lo + out.shape[0]`` of a CSR matrix as a dense block: absent entries NaN
    (missing). A repeated entry's last value wins, as in numpy's fancy assignment.

    indptr, indices, data : the CSR arrays      # IN
    out : (rows, n_features) of data's dtype    # OUT
    """
    out[:] = np.nan
    for i in range(out.shape[0]):
        for j in range(indptr[lo + i], indptr[lo + i + 1]):
            out[i, indices[j]] = data[j]


def densify_csr_rows_naive(csr, lo, hi):
    part = csr[lo:hi]
    block = np.full(part.shape, np.nan, dtype=csr.dtype)
    block[np.repeat(np.arange(hi - lo), np.diff(part.indptr)), part.indices] = part.data
    return block


@njit(cache=True, nogil=True, inline="always")
def _leaf_raw(X, r, feature, threshold, default_left, left, right, base):
    node = uint64(0)
    while left[base + node] != -1:
        k = base + node
        x = np.float64(X[r, uint64(feature[k])])
        if np.isnan(x):
            go_left = default_left[k]
        else:
            go_left = x <= threshold[k]
        node = uint64(left[k] if go_left else right[k])
    return node


@njit(cache=True, nogil=True)
def breadth_first_places(left, right, tree_offsets):
    """Each node's index in its tree once every tree is renumbered breadth-first with a
    node's two children side by side (left, then right); -1 for a node no walk reaches.

    left, right : (n_nodes,) int32 tree-local child indices, -1 at leaves   # IN
    tree_offsets : (n_trees + 1,) int64                                      # IN
    Returns (n_nodes,) int64. (Compiled: it runs for every new forest, and the engine packs
    each round's trees to score its eval sets.)"""
    place = np.full(left.shape[0], -1, dtype=np.int64)
    queue = np.empty(left.shape[0], dtype=np.int64)  # tree-local nodes in visiting order
    for t in range(tree_offsets.shape[0] - 1):
        base, size = tree_offsets[t], tree_offsets[t + 1] - tree_offsets[t]
        if size == 0:
            continue
        place[base] = 0
        queue[0] = 0
        head, tail = 0, 1
        while head < tail:
            node = queue[head]
            head += 1
            lo = left[base + node]
            if lo == -1 or tail + 2 > size:  # a leaf (the size test guards malformed trees)
                continue
            place[base + lo] = tail
            place[base + right[base + node]] = tail + 1
            queue[tail] = lo
            queue[tail + 1] = right[base + node]
            tail += 2
    return place


LINK_FEATURE = np.uint64(0x7FFFFFFF)  # bits 0-30 of a link: the feature


class BreadthFirstLayout:
    """Where each node of a forest goes once its trees are renumbered breadth-first
    (:func:`breadth_first_places`); shared by the CPU walk and the GPU's node records.

    tree, own : each node's tree and tree-local index; place : its new tree-local index (-1:
    unreachable); reached : place >= 0; dest : the new global index of each reached node (in
    node order); left_place : the new index of a split's left child (leaves: of the root)."""

    def __init__(self, left, right, tree_offsets):
        offsets = np.asarray(tree_offsets, dtype=np.int64)
        self.tree = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
        self.own = np.arange(left.size) - offsets[self.tree]
        self.place = breadth_first_places(left, right, offsets)
        self.reached = self.place >= 0
        self.dest = (offsets[self.tree] + self.place)[self.reached]
        self.left_place = self.place[offsets[self.tree] + np.where(left == -1, 0, left)]


def walk_nodes(feature, threshold, default_left, left, right, value, value_offsets,
               tree_offsets, tree_width, count=None):
    """The forest as :func:`predict_raw` walks it: ``(threshold, links, value, steps)``, each
    tree's nodes renumbered breadth-first (:func:`breadth_first_places`).

    ``links`` (uint64) packs the feature (bits 0-30), ``default_left`` (bit 31) and the left
    child (bits 32-63); the right child is the next node. So a step reads two arrays, not
    five. Every leaf loops to itself (threshold +inf, default left, itself as left child), so
    a walk needs no leaf test per step and stops when a step stays put. ``value`` is
    reordered the same way. ``steps`` is :func:`walk_steps`'s plan for each tree, from the
    training rows each node saw (``count``, (n_nodes,); None: rows split evenly at each
    node). Compiled, as a forest is packed on its first prediction (letter's 2,600 trees:
    92 -> 58 ms; :func:`walk_nodes_naive` is the numpy form)."""
    offsets = np.asarray(tree_offsets, dtype=np.int64)
    place = breadth_first_places(left, right, offsets)
    walk_threshold, links, walk_value, walk_count = _walk_arrays(
        feature, threshold, default_left, left, np.asarray(value, dtype=np.float64),
        np.asarray(value_offsets, dtype=np.int64), offsets,
        np.asarray(tree_width, dtype=np.int64),
        np.zeros(0) if count is None else np.asarray(count, dtype=np.float64), place)
    steps = walk_steps(links, walk_count, offsets, CHECKED_ROUND_COST)
    return walk_threshold, links, walk_value, steps


@njit(cache=True, nogil=True)
def _walk_arrays(feature, threshold, default_left, left, value, value_offsets, tree_offsets,
                 tree_width, count, place):
    """:func:`walk_nodes`' threshold, links, value and count arrays, each node moved to its
    breadth-first ``place`` (-1: unreachable, left at zero); ``count`` empty = all zero."""
    n = left.shape[0]
    walk_threshold = np.zeros(n)
    links = np.zeros(n, dtype=np.uint64)
    walk_value = np.zeros(value.shape[0])
    walk_count = np.zeros(n)
    for t in range(tree_offsets.shape[0] - 1):
        base = tree_offsets[t]
        width = tree_width[t]
        value_base = value_offsets[t]
        for own in range(tree_offsets[t + 1] - base):
            k = base + own
            at = place[k]
            if at < 0:
                continue
            if left[k] == -1:  # a leaf loops to itself
                links[base + at] = (np.uint64(at) << np.uint64(32)) | np.uint64(1 << 31)
                walk_threshold[base + at] = np.inf
            else:
                default_bit = np.uint64(1 if default_left[k] else 0) << np.uint64(31)
                links[base + at] = ((np.uint64(place[base + left[k]]) << np.uint64(32))
                                    | default_bit | np.uint64(feature[k]))
                walk_threshold[base + at] = threshold[k]
            for j in range(width):  # a vector leaf's values move together
                walk_value[value_base + at * width + j] = value[value_base + own * width + j]
            if count.shape[0] > 0:
                walk_count[base + at] = count[k]
    return walk_threshold, links, walk_value, walk_count


@njit(cache=True, nogil=True)
def walk_steps(links, count, tree_offsets, checked_cost):
    """How :func:`_walk_rows` walks each tree: ``(sure, depth)`` per tree, the steps every
    row takes without a test and the tree's depth. Fewer than ``depth`` sure steps are
    followed by rounds that test whether any of the ``LANES`` rows moved.

    A sure step is wasted on a row already at its leaf; a tested round costs
    ``checked_cost`` sure steps, and the tested rounds end with one in which no row moves. So
    ``sure`` minimises the expected cost for ``LANES`` rows drawn as the training rows fell
    (``count`` at the leaves; where a tree has none, each split halves the rows): with the
    deepest of them at depth ``d``, ``sure`` when ``sure == depth``, else ``sure + checked_cost
    * (max(d - sure, 0) + 1)``.

    links : (n_nodes,) uint64, :func:`walk_nodes` links (the left child in bits 32-63)  # IN
    count : (n_nodes,) float64, training rows per node in walk order                    # IN
    tree_offsets : (n_trees + 1,) int64                                                 # IN
    Returns (n_trees, 2) int64. (Compiled: it runs for every packed forest.)"""
    n_trees = tree_offsets.shape[0] - 1
    steps = np.zeros((n_trees, 2), dtype=np.int64)
    for t in range(n_trees):
        base, size = tree_offsets[t], tree_offsets[t + 1] - tree_offsets[t]
        depth = np.full(size, -1, dtype=np.int64)  # -1: no walk reaches the node
        if size > 0:
            depth[0] = 0
        for i in range(size):  # breadth-first: a node's children come after it
            child = np.int64(links[base + i] >> uint64(32))
            if depth[i] >= 0 and child != i and child + 1 < size:
                depth[child] = depth[child + 1] = depth[i] + 1
        tree_depth = max(0, depth.max()) if size > 0 else 0
        weight = np.zeros(tree_depth + 1)  # the rows whose leaf is at each depth
        halves = np.zeros(tree_depth + 1)
        for i in range(size):
            if depth[i] >= 0 and np.int64(links[base + i] >> uint64(32)) == i:
                weight[depth[i]] += max(count[base + i], 0.0)
                halves[depth[i]] += 0.5 ** depth[i]
        if weight.sum() <= 0.0:
            weight = halves
        # P(the deepest of LANES rows is at depth d)
        below = np.cumsum(weight) / weight.sum()
        deepest = below ** LANES
        deepest[1:] -= below[:-1] ** LANES
        best, best_cost = tree_depth, float(tree_depth)
        for sure in range(tree_depth):
            cost = float(sure)
            for d in range(tree_depth + 1):
                cost += checked_cost * deepest[d] * (max(d - sure, 0) + 1)
            if cost < best_cost:
                best, best_cost = sure, cost
        steps[t, 0], steps[t, 1] = best, tree_depth
    return steps


@njit(cache=True, nogil=True, inline="always")
def _step(X, r, node, base, threshold, links):
    """One step of row ``r``'s walk over :func:`walk_nodes` arrays: the child of ``node`` it
    goes to, or ``node`` itself at a leaf. The child is picked by arithmetic, not a branch:
    on real data the direction is a coin flip that a branch predictor loses."""
    k = base + node
    link = links[k]
    x = X[r, link & LINK_FEATURE]
    go_left = (x <= threshold[k]) | ((x != x) & ((link >> uint64(31)) & uint64(1) == uint64(1)))
    return (link >> uint64(32)) + uint64(1) - uint64(go_left)


@njit(cache=True, nogil=True, inline="always")
def _step_finite(X, r, node, base, threshold, links):
    """:func:`_step` for a row without missing values: no default direction to consult, a
    third fewer instructions on a walk that is bound by their number."""
    k = base + node
    link = links[k]
    go_left = X[r, link & LINK_FEATURE] <= threshold[k]
    return (link >> uint64(32)) + uint64(1) - uint64(go_left)


@njit(cache=True, nogil=True)
def _has_missing(X, lo, hi):
    """Whether rows ``lo:hi`` of X hold a NaN."""
    for r in range(lo, hi):
        for f in range(X.shape[1]):
            if X[r, f] != X[r, f]:
                return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _add_leaf(out, r, k, value, first, node, width):
    """out[r, k:k + width] += the values of leaf ``node`` (its tree's values start at
    ``first``). One value is added without the loop: a loop of unknown length in the walk's
    lockstep costs a sixth of its time."""
    if width == uint64(1):
        out[r, k] += value[first + node]
        return
    for j in range(width):
        out[r, k + j] += value[first + node * width + j]


@njit(cache=True, nogil=True, inline="always")
def _step_lanes(X, r, n0, n1, n2, n3, n4, n5, n6, n7, base, threshold, links, step):
    """One ``step`` of each of rows ``r .. r + 7``, at nodes ``n0 .. n7``."""
    one = uint64(1)
    return (step(X, r, n0, base, threshold, links),
            step(X, r + one, n1, base, threshold, links),
            step(X, r + uint64(2), n2, base, threshold, links),
            step(X, r + uint64(3), n3, base, threshold, links),
            step(X, r + uint64(4), n4, base, threshold, links),
            step(X, r + uint64(5), n5, base, threshold, links),
            step(X, r + uint64(6), n6, base, threshold, links),
            step(X, r + uint64(7), n7, base, threshold, links))


@njit(cache=True, nogil=True, inline="always")
def _walk_rows(X, lo, hi, base, threshold, links, value, first, k, width, out, step, sure,
               depth):
    """Rows ``lo:hi`` through one tree (its nodes from ``base``), ``step`` at a time (see
    :func:`predict_raw`); each row's leaf values added to ``out[r, k:k + width]``.

    Every row first takes ``sure`` steps without a test (a row at a leaf stays there); when
    that is less than the tree's ``depth``, rounds follow until no row of the lockstep moves
    (:func:`walk_steps` picks ``sure``)."""
    one = uint64(1)
    checked = sure < depth
    r = lo
    while r + uint64(LANES) <= hi:
        n0 = n1 = n2 = n3 = n4 = n5 = n6 = n7 = uint64(0)
        for _ in range(sure):
            n0, n1, n2, n3, n4, n5, n6, n7 = _step_lanes(X, r, n0, n1, n2, n3, n4, n5, n6, n7,
                                                         base, threshold, links, step)
        while checked:
            m0, m1, m2, m3, m4, m5, m6, m7 = _step_lanes(X, r, n0, n1, n2, n3, n4, n5, n6, n7,
                                                         base, threshold, links, step)
            if ((m0 == n0) & (m1 == n1) & (m2 == n2) & (m3 == n3) & (m4 == n4)
                    & (m5 == n5) & (m6 == n6) & (m7 == n7)):
                break
            n0, n1, n2, n3, n4, n5, n6, n7 = m0, m1, m2, m3, m4, m5, m6, m7
        _add_leaf(out, r, k, value, first, n0, width)
        _add_leaf(out, r + one, k, value, first, n1, width)
        _add_leaf(out, r + uint64(2), k, value, first, n2, width)
        _add_leaf(out, r + uint64(3), k, value, first, n3, width)
        _add_leaf(out, r + uint64(4), k, value, first, n4, width)
        _add_leaf(out, r + uint64(5), k, value, first, n5, width)
        _add_leaf(out, r + uint64(6), k, value, first, n6, width)
        _add_leaf(out, r + uint64(7), k, value, first, n7, width)
        r += uint64(LANES)
    while r < hi:  # the last rows, one at a time
        node = uint64(0)
        for _ in range(sure):
            node = step(X, r, node, base, threshold, links)
        while checked:
            moved = step(X, r, node, base, threshold, links)
            if moved == node:
                break
            node = moved
        _add_leaf(out, r, k, value, first, node, width)
        r += one


@njit(cache=True, nogil=True, parallel=True)
def predict_raw(X, threshold, links, value, steps, value_offsets, tree_offsets, tree_output,
                tree_width, n_chunks, out):
    """Add every tree's leaf values to its output columns.

    X : (n_rows, n_features) float32/float64, NaN = missing          # IN
    threshold, links, value, steps : the forest as :func:`walk_nodes` gives it # IN
    value_offsets, tree_offsets : (n_trees + 1,) int64               # IN
    tree_output : (n_trees,) int32, each tree's first output column  # IN
    tree_width : (n_trees,) int32, values per node of each tree      # IN
    out : (n_rows, n_outputs) float64                                # IN/OUT

    Eight rows walk each tree in lockstep: a walk is a chain of dependent loads, and eight
    independent chains keep the core busy while each waits. Measured against one row at a
    time: 1.9x faster with four rows on 255-leaf trees; eight rows were another 1.15-1.25x
    faster on protein's deep trees and 1.6x on agaricus's, though a row that reached its leaf
    waits for the other seven. A block of rows without missing values takes the steps that
    skip the default direction (protein's walk: 0.7x the time).
    """
    n_rows = X.shape[0]
    n_trees = tree_offsets.shape[0] - 1
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    per_chunk = (n_blocks + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        for blk in range(c * per_chunk, min(n_blocks, (c + 1) * per_chunk)):
            lo = uint64(blk * ROW_BLOCK)
            hi = uint64(min(n_rows, lo + ROW_BLOCK))
            complete = not _has_missing(X, lo, hi)
            for t in range(n_trees):
                base = uint64(tree_offsets[t])
                k = uint64(tree_output[t])
                width = uint64(tree_width[t])
                first = uint64(value_offsets[t])
                sure, depth = steps[t, 0], steps[t, 1]
                if complete:
                    _walk_rows(X, lo, hi, base, threshold, links, value, first, k, width, out,
                               _step_finite, sure, depth)
                else:
                    _walk_rows(X, lo, hi, base, threshold, links, value, first, k, width, out,
                               _step, sure, depth)


# Sparse input is walked on one-byte codes, not floats (:func:`predict_raw_sparse`): a value's
# code is 1 + how many of its feature's thresholds (over the whole forest) are below it, so
# ``x <= threshold`` is exactly ``code <= the threshold's rank``.
CODED_LINK_COLUMN = np.uint64(0xFFFFFF)  # bits 0-23 of a coded link: the code column
MAX_CODED_FEATURES = 1 << 23
MAX_CODED_THRESHOLDS = 254  # per feature: present values' codes are 1..255


def coded_walk(threshold, links, tree_offsets):
    """The walk of :func:`walk_nodes` on one-byte codes, for :func:`predict_raw_sparse`:
    ``(cuts, cut_offsets, coded_links)``, or None when a feature has more than
    ``MAX_CODED_THRESHOLDS`` distinct thresholds or the forest splits on a feature past
    ``MAX_CODED_FEATURES``.

    ``cuts[cut_offsets[f]:cut_offsets[f + 1]]`` are feature ``f``'s distinct thresholds in
    ascending order (``F = cut_offsets.size - 1`` features). A row's codes are two planes of
    ``F`` bytes: column ``f`` holds 1 + the number of ``f``'s cuts below its value, 0 when
    missing; column ``F + f`` the same less one, 255 when missing. A present value goes left at
    a node whose threshold is ``f``'s ``j``-th cut (1-based) when its code is ``<= j``, which
    also sends code 0 (missing) left; a node that sends missing values right reads the second
    plane and compares with ``j - 1``, which 255 exceeds. ``coded_links`` packs that column
    (bits 0-23), the compared value (bits 24-31) and the left child (bits 32-63); a leaf
    compares with 255, so it always goes "left", to itself.
    """
    feature = (links & LINK_FEATURE).astype(np.int64)
    offsets = np.asarray(tree_offsets, dtype=np.int64)
    own = np.arange(links.size) - np.repeat(offsets[:-1], np.diff(offsets))
    internal = (links >> np.uint64(32)).astype(np.int64) != own  # a leaf links to itself
    n_features = int(feature[internal].max(initial=-1)) + 1
    if n_features > MAX_CODED_FEATURES:
        return None
    nodes = np.flatnonzero(internal)
    order = nodes[np.lexsort((threshold[nodes], feature[nodes]))]
    f_sorted, t_sorted = feature[order], threshold[order]
    new = np.ones(order.size, dtype=bool)  # the first node of each (feature, threshold)
    new[1:] = (f_sorted[1:] != f_sorted[:-1]) | (t_sorted[1:] != t_sorted[:-1])
    cuts = np.ascontiguousarray(t_sorted[new])
    cut_offsets = np.searchsorted(f_sorted[new], np.arange(n_features + 1)).astype(np.int64)
    if np.diff(cut_offsets).max(initial=0) > MAX_CODED_THRESHOLDS:
        return None
    compared = np.full(links.size, 255, dtype=np.uint64)
    compared[order] = np.cumsum(new) - cut_offsets[f_sorted]  # the rank j, 1-based
    missing_right = internal & (((links >> np.uint64(31)) & np.uint64(1)) == 0)
    compared[missing_right] -= np.uint64(1)
    column = np.where(internal, feature + n_features * missing_right, 0).astype(np.uint64)
    coded = ((links >> np.uint64(32)) << np.uint64(32)) | (compared << np.uint64(24)) | column
    return cuts, cut_offsets, coded


@njit(cache=True, nogil=True, inline="always")
def _step_coded(codes, r, node, base, unused, links):
    """:func:`_step` over :func:`coded_walk` codes and links (the fifth argument, a threshold
    array in the other steps, is not used: the compared value is in the link). One load, one
    byte compare: no NaN test, no default direction to look up."""
    link = links[base + node]
    go_left = codes[r, link & CODED_LINK_COLUMN] <= np.uint8(link >> uint64(24))
    return (link >> uint64(32)) + uint64(1) - uint64(go_left)


@njit(cache=True, nogil=True)
def code_csr_rows(indptr, indices, data, lo, cuts, cut_offsets, codes):
    """Rows ``lo : lo + codes.shape[0]`` of a CSR matrix as the two code planes of
    :func:`coded_walk`: absent and NaN entries missing; features the forest never splits on
    (past its last, or without cuts) keep their missing codes, as no node reads them. A
    repeated entry's last value wins, as in :func:`densify_csr_rows`.

    codes : (rows, 2 * F) uint8, OUT (F = cut_offsets.size - 1)"""
    n_coded = cut_offsets.shape[0] - 1
    codes[:, :n_coded] = 0
    codes[:, n_coded:] = 255
    for i in range(codes.shape[0]):
        for j in range(indptr[lo + i], indptr[lo + i + 1]):
            f = indices[j]
            if f < n_coded and cut_offsets[f] < cut_offsets[f + 1]:  # a feature split on
                x = np.float64(data[j])
                first = cut_offsets[f]  # code: 1 + how many of f's cuts are below x
                code = 0 if x != x else \
                    1 + first_at_least(cuts, first, cut_offsets[f + 1], x) - first
                codes[i, f] = code
                codes[i, n_coded + f] = code - 1  # 0 - 1 wraps to 255


@njit(cache=True, nogil=True, parallel=True)
def predict_raw_sparse(indptr, indices, data, cuts, cut_offsets, links, value, steps,
                       value_offsets, tree_offsets, tree_output, tree_width, n_chunks, out):
    """:func:`predict_raw` for a CSR matrix, walking one-byte codes (:func:`coded_walk`).

    indptr, indices, data : the CSR arrays (rows = out's rows)     # IN
    cuts, cut_offsets, links : from :func:`coded_walk`              # IN
    value, steps, value_offsets, tree_offsets, tree_output, tree_width, out : as in predict_raw

    Each thread codes a block of ``ROW_BLOCK`` rows into a buffer of its own, then walks every
    tree over it, eight rows in lockstep: no dense float copy of the rows is made, a block's
    codes stay in L1, and a step is one byte compare (agaricus: 0.56x the time of densifying
    the rows and walking floats, the same leaves).
    """
    n_rows = out.shape[0]
    n_trees = tree_offsets.shape[0] - 1
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    per_chunk = (n_blocks + n_chunks - 1) // n_chunks
    width = max(1, 2 * (cut_offsets.shape[0] - 1))  # a forest of leaves reads column 0
    for c in prange(n_chunks):
        codes = np.empty((ROW_BLOCK, width), dtype=np.uint8)
        for blk in range(c * per_chunk, min(n_blocks, (c + 1) * per_chunk)):
            lo = blk * ROW_BLOCK
            hi = min(n_rows, lo + ROW_BLOCK)
            block = codes[:hi - lo]
            code_csr_rows(indptr, indices, data, lo, cuts, cut_offsets, block)
            rows_out = out[lo:hi]
            for t in range(n_trees):
                _walk_rows(block, uint64(0), uint64(hi - lo), uint64(tree_offsets[t]), links,
                           links, value, uint64(value_offsets[t]), uint64(tree_output[t]),
                           uint64(tree_width[t]), rows_out, _step_coded, steps[t, 0],
                           steps[t, 1])


@njit(cache=True, nogil=True, parallel=True)
def predict_leaf(X, feature, threshold, default_left, left, right, tree_offsets, n_chunks, out):
    """Leaf (node) index each row reaches in each tree.  out: (n_rows, n_trees) int32, OUT."""
    n_rows = X.shape[0]
    n_trees = tree_offsets.shape[0] - 1
    chunk = (n_rows + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        for r in range(c * chunk, min(n_rows, (c + 1) * chunk)):
            for t in range(n_trees):
                out[r, t] = _leaf_raw(X, r, feature, threshold, default_left, left, right,
                                      uint64(tree_offsets[t]))


@njit(cache=True, nogil=True, parallel=True)
def predict_binned_tree(Xb, feature, threshold_bin, default_left, left, right, value,
                        missing_bin, rows, n_chunks, first_output, out):
    """Add one tree's leaf values to ``out[rows, first_output:first_output + width]`` walking
    binned data (training margins).

    Xb : (n_rows, n_features) uint8/uint16    # IN
    value : (n_nodes, width) float64          # IN
    rows : (m,) int32, rows to update         # IN
    out : (n_rows, n_outputs) float64         # IN/OUT
    """
    m = rows.shape[0]
    chunk = (m + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        for i in range(c * chunk, min(m, (c + 1) * chunk)):
            r = rows[i]
            node = 0
            while left[node] != -1:
                # Both children loaded, then one selected: on real data the direction is a
                # coin flip a branch predictor loses (measured: a third faster this way).
                b = Xb[r, feature[node]]
                go_left = b <= threshold_bin[node] if b != missing_bin else default_left[node]
                lo = left[node]
                hi = right[node]
                node = lo if go_left else hi
            for j in range(value.shape[1]):
                out[r, first_output + j] += value[node, j]


@njit(cache=True, nogil=True)
def add_leaf_values(leaf_of_row, node_values, first_output, out):
    """``out[r, first_output:first_output + width] += node_values[leaf_of_row[r]]`` for every
    row with a leaf (>= 0): the training-margin update without a tree walk, in row order.

    leaf_of_row : (n_rows,) int32, -1 = leave the row alone              # IN
    node_values : (n_nodes, width) float64                               # IN
    out : (n_rows, n_outputs) float64                                    # IN/OUT
    """
    # Branch-free: a subsample's rows and the others alternate at random, so a test per row
    # mispredicts half the time; a row without a leaf adds zero times node 0's values.
    # Unsigned indices skip the negative-index checks.
    width = uint64(node_values.shape[1])
    first = uint64(first_output)
    if width == 1:  # one output: no inner loop (agaricus, 6,513 rows: 12.6 -> 4.1 µs)
        for r in range(uint64(leaf_of_row.shape[0])):
            node = leaf_of_row[r]
            out[r, first] += np.float64(node >= 0) * node_values[uint64(max(node, 0)), 0]
        return
    for r in range(uint64(leaf_of_row.shape[0])):
        node = leaf_of_row[r]
        keep = np.float64(node >= 0)
        node = uint64(max(node, 0))
        for j in range(width):
            out[r, first + j] += keep * node_values[node, j]


@njit(cache=True, nogil=True, inline="always")
def _cat_goes_left(x, k, default_left, cat_count, cat_bits):
    """The direction of raw value ``x`` at categorical node ``k`` (global index)."""
    if np.isnan(x) or x < 0.0 or x >= cat_count[k] or x != np.floor(x):
        return default_left[k]
    c = np.int64(x)
    return (cat_bits[k, c >> 5] >> np.uint32(c & 31)) & np.uint32(1) != 0


@njit(cache=True, nogil=True, inline="always")
def _leaf_raw_cat(X, r, feature, threshold, default_left, left, right, is_cat, cat_count,
                  cat_bits, base):
    node = uint64(0)
    while left[base + node] != -1:
        k = base + node
        x = np.float64(X[r, uint64(feature[k])])
        if is_cat[k]:
            go_left = _cat_goes_left(x, k, default_left, cat_count, cat_bits)
        elif np.isnan(x):
            go_left = default_left[k]
        else:
            go_left = x <= threshold[k]
        node = uint64(left[k] if go_left else right[k])
    return node


@njit(cache=True, nogil=True, parallel=True)
def predict_raw_categorical(X, feature, threshold, default_left, left, right, is_cat,
                            cat_count, cat_bits, value, value_offsets, tree_offsets,
                            tree_output, tree_width, n_chunks, out):
    """:func:`predict_raw` for a forest with categorical splits.

    is_cat : (n_nodes,) bool; cat_count : (n_nodes,) int32;
    cat_bits : (n_nodes, n_words) uint32                               # IN
    """
    n_rows = X.shape[0]
    n_trees = tree_offsets.shape[0] - 1
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    per_chunk = (n_blocks + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        for blk in range(c * per_chunk, min(n_blocks, (c + 1) * per_chunk)):
            lo = uint64(blk * ROW_BLOCK)
            hi = uint64(min(n_rows, lo + ROW_BLOCK))
            for t in range(n_trees):
                base = uint64(tree_offsets[t])
                k = uint64(tree_output[t])
                width = uint64(tree_width[t])
                for r in range(lo, hi):
                    node = _leaf_raw_cat(X, r, feature, threshold, default_left, left, right,
                                         is_cat, cat_count, cat_bits, base)
                    first = uint64(value_offsets[t]) + node * width
                    for j in range(width):
                        out[r, k + j] += value[first + j]


@njit(cache=True, nogil=True, parallel=True)
def predict_leaf_categorical(X, feature, threshold, default_left, left, right, is_cat,
                             cat_count, cat_bits, tree_offsets, n_chunks, out):
    """:func:`predict_leaf` for a forest with categorical splits."""
    n_rows = X.shape[0]
    n_trees = tree_offsets.shape[0] - 1
    chunk = (n_rows + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        for r in range(c * chunk, min(n_rows, (c + 1) * chunk)):
            for t in range(n_trees):
                out[r, t] = _leaf_raw_cat(X, r, feature, threshold, default_left, left, right,
                                          is_cat, cat_count, cat_bits, uint64(tree_offsets[t]))


@njit(cache=True, nogil=True, parallel=True)
def predict_binned_tree_categorical(Xb, feature, threshold_bin, default_left, left, right,
                                    is_cat, cat_bits, value, missing_bin, rows, n_chunks,
                                    first_output, out):
    """:func:`predict_binned_tree` for a tree with categorical splits (a categorical
    feature's bin is its code)."""
    m = rows.shape[0]
    chunk = (m + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        for i in range(c * chunk, min(m, (c + 1) * chunk)):
            r = rows[i]
            node = 0
            while left[node] != -1:
                b = Xb[r, feature[node]]
                if b == missing_bin:
                    go_left = default_left[node]
                elif is_cat[node]:
                    cb = np.int64(b)
                    go_left = (cat_bits[node, cb >> 5] >> np.uint32(cb & 31)) & \
                        np.uint32(1) != 0
                else:
                    go_left = b <= threshold_bin[node]
                node = left[node] if go_left else right[node]
            for j in range(value.shape[1]):
                out[r, first_output + j] += value[node, j]


def goes_left_naive(nd, node, x):
    """Reference direction of raw value ``x`` at ``node`` of a tree dict (numeric or
    categorical: ``is_categorical``, ``cat_count`` and ``cat_left`` sets per node)."""
    if nd.get("is_categorical") is not None and nd["is_categorical"][node]:
        n_cat = nd["cat_count"][node]
        if np.isnan(x) or x < 0 or x >= n_cat or x != int(x):
            return bool(nd["default_left"][node])
        return int(x) in set(nd["cat_left"][node])
    if np.isnan(x):
        return bool(nd["default_left"][node])
    return x <= nd["threshold"][node]


def predict_raw_naive(X, trees_nodes, tree_output, n_outputs):
    """Reference: walk each row through each tree in Python.

    trees_nodes : list of dicts with keys feature, threshold, default_left, left, right, value
    (value: (n_nodes,) or (n_nodes, width); the tree adds to columns tree_output[t] onwards).
    """
    out = np.zeros((X.shape[0], n_outputs))
    for t, nd in enumerate(trees_nodes):
        for r in range(X.shape[0]):
            node = 0
            while nd["left"][node] != -1:
                x = float(X[r, nd["feature"][node]])
                go_left = goes_left_naive(nd, node, x)
                node = nd["left"][node] if go_left else nd["right"][node]
            v = np.atleast_1d(np.asarray(nd["value"][node], dtype=np.float64))
            out[r, tree_output[t]:tree_output[t] + v.size] += v
    return out


def walk_nodes_naive(feature, threshold, default_left, left, right, value, value_offsets,
                     tree_offsets, tree_width, count=None):
    """Reference for :func:`walk_nodes` in numpy: the same four arrays."""
    at = BreadthFirstLayout(left, right, tree_offsets)
    tree, own, place, reached, dest = at.tree, at.own, at.place, at.reached, at.dest
    leaf = left == -1
    child = np.where(leaf, place, at.left_place).astype(np.uint64)
    links = np.zeros(left.size, dtype=np.uint64)
    links[dest] = ((child << np.uint64(32))
                   | (np.where(leaf, True, default_left).astype(np.uint64) << np.uint64(31))
                   | np.where(leaf, 0, feature).astype(np.uint64))[reached]
    walk_threshold = np.zeros(left.size, dtype=np.float64)
    walk_threshold[dest] = np.where(leaf, np.inf, threshold)[reached]
    width = np.asarray(tree_width, dtype=np.int64)[tree]
    walk_value = np.zeros_like(value, dtype=np.float64)
    for j in range(int(width.max(initial=0))):  # a vector leaf's values move together
        has = reached & (j < width)
        walk_value[(value_offsets[:-1][tree] + place * width + j)[has]] = \
            value[(value_offsets[:-1][tree] + own * width + j)[has]]
    walk_count = np.zeros(left.size, dtype=np.float64)
    if count is not None:
        walk_count[dest] = np.asarray(count, dtype=np.float64)[reached]
    steps = walk_steps(links, walk_count, np.asarray(tree_offsets, dtype=np.int64),
                       CHECKED_ROUND_COST)
    return walk_threshold, links, walk_value, steps
