"""Grow one tree on the device: the CPU loop of ``gbt/_native/cpu/grow.py``, batched.

Depthwise trees of bounded size grow in the device-resident level loop of :mod:`.levels`
(node tables on the device, no host round trip until the tree is done). Lossguide trees, and
depthwise ones too large for it, grow in the host-driven loop below.

In the host-driven loop the host keeps the small node tables (the same ``node_int`` /
``node_float`` layout as the CPU kernel returns) and decides which leaves to split; the
device holds the rows, gradients and histograms and does the per-row work. Each step expands
a *batch* of leaves with one launch per kernel:

- ``depthwise``: every open leaf of the shallowest depth, in node-id order, as far as
  ``max_leaves`` allows. That is the order the CPU pops them in, so the trees are the same.
- ``lossguide``: the one open leaf with the largest gain (ties: lowest node id), as on the CPU.

For a batch: partition every leaf's rows (stable), build the smaller child's histogram of each
leaf, get the larger one as ``parent - smaller`` in the parent's buffer, and scan both children
of every leaf for their best splits. Trees equal the CPU's on the same bins up to the
summation order of floating-point sums.

``xp`` and ``kernels`` are injected: CuPy and :class:`.kernels.CudaKernels` on a GPU; the
tests also drive both loops with numpy and reference kernels (``tests/gpu_reference.py``), so
their bookkeeping is checked on machines without one.
"""
from __future__ import annotations

import heapq

import numpy as np

from ..cpu.grow import (N_NODE_INT, NODE_BIN, NODE_DEFAULT_LEFT, NODE_END, NODE_FEATURE,
                        NODE_GAIN, NODE_LEFT, NODE_RIGHT, NODE_START)
from .levels import C_N_BATCH, LevelTables


class DeviceTreeGrower:
    """Grows trees on device-resident binned rows; buffers are reused from tree to tree.

    Parameters
    ----------
    xp, kernels : array module and kernel set (see the module docstring)
    X : (n, n_features) uint8/uint16 device array of bins
    n_bins : (n_features,) host int32, value bins per feature
    missing_bin : int
    split_params : (6,) host float64 (``gbt._native.cpu.split.SPLIT_PARAM_NAMES``)
    n_outputs : int, gradient columns each tree fits
    """

    def __init__(self, xp, kernels, X, n_bins, missing_bin, split_params, n_outputs,
                 max_depth, max_leaves, lossguide):
        self.xp, self.k, self.X = xp, kernels, X
        n, n_features = X.shape
        self.n_rows, self.n_features, self.K = n, n_features, int(n_outputs)
        self.n_bins = xp.asarray(np.asarray(n_bins, dtype=np.int32))
        self.missing_bin = int(missing_bin)
        self.split_params_host = np.asarray(split_params, dtype=np.float64)
        self.split_params = xp.asarray(self.split_params_host)
        self.lam, _, _, self.mcw, self.mcs, _ = self.split_params_host
        self.max_depth, self.max_leaves, self.lossguide = max_depth, max_leaves, lossguide
        self.all_rows = xp.arange(n, dtype=np.int32)
        self.levels = None
        if not lossguide and LevelTables.fits(max_depth, max_leaves, n_features,
                                              self.missing_bin + 1, self.K):
            self.levels = LevelTables(xp, kernels, X, self.n_bins, missing_bin,
                                      self.split_params, self.K, max_depth, max_leaves)
            self.leaf_of_row = self.levels.leaf_of_row
        else:
            self.rows = xp.empty(n, dtype=np.int32)
            self.rows_tmp = xp.empty(n, dtype=np.int32)
            self.leaf_of_row = xp.full(n, -1, dtype=np.int32)
        self.pool = xp.zeros((0, n_features, self.missing_bin + 1, self.K, 2))
        self.free: list[int] = []

    # ------------------------------------------------------------ one tree
    def grow(self, gh, sample_rows, node_masks):
        """Grow one tree; returns ``(node_int, node_float)`` on the host in the layout of
        ``gbt._native.cpu.grow.grow_tree``. ``self.leaf_of_row`` (device) then holds each
        sampled row's leaf, -1 for rows outside the sample.

        gh : (n, K, 2) float32 device array
        sample_rows : (m,) int32 host array, or None for every row
        node_masks : (1 or n_mask_nodes, n_features) host bool, as for the CPU kernel
        """
        m = self._start_rows(sample_rows)
        self._set_masks(node_masks)
        if self.levels is not None:
            return self._grow_levels(gh, m)
        K = self.K
        self.free = list(range(self.pool.shape[0] - 1, -1, -1))
        t = _Tables(64, K)
        root = self._take_slots(1)[0]
        self.k.build_histograms(self.X, gh, self.rows, [root], [0], [m], self.pool)
        sums = self.pool[root, 0].sum(axis=0)  # every row is in one bin of feature 0: (K, 2)
        sums = sums.get() if hasattr(sums, "get") else np.asarray(sums)
        t.node_float[0, 1:1 + K] = sums[:, 0]
        t.node_float[0, 1 + K:] = sums[:, 1]
        t.node_int[0, NODE_DEFAULT_LEFT] = 0
        t.node_int[0, NODE_START], t.node_int[0, NODE_END] = 0, m
        t.slot[0] = root
        t.n_nodes = 1
        n_leaves = 1
        root_nodes = np.array([0])
        if self._can_split(t, root_nodes)[0]:
            open_nodes = self._scan(t, root_nodes)  # leaves with a split, in node-id order
        else:
            open_nodes = root_nodes[:0]
        heap = [(self._priority(t.best[c, 0], 0), int(c)) for c in open_nodes]
        while (heap if self.lossguide else open_nodes.size):  # open leaves with a split
            budget = self.max_leaves - n_leaves if self.max_leaves > 0 else None
            if budget is not None and budget <= 0:
                break
            if self.lossguide:  # the one best leaf; ties to the lowest node id
                batch = np.array([heapq.heappop(heap)[1]])
            else:  # the whole level, in node-id order, as far as the leaf budget goes
                batch, open_nodes = open_nodes[:budget], open_nodes[:0]
            n_leaves += batch.size
            found = self._split(t, gh, batch)
            if self.lossguide:
                for c in found:
                    heapq.heappush(heap, (self._priority(t.best[c, 0], t.depth[c]), int(c)))
            else:
                open_nodes = found
        node_int = t.node_int[:t.n_nodes]
        leaves = np.flatnonzero(node_int[:, NODE_LEFT] < 0)
        order = leaves[np.argsort(node_int[leaves, NODE_START], kind="stable")]
        self.k.leaf_of_rows(self.rows, m, node_int[order, NODE_START], order, self.leaf_of_row)
        return node_int, t.node_float[:t.n_nodes]

    def _start_rows(self, sample_rows):
        """The tree's rows first in the row buffer, all in the root (leaf 0); returns their
        count."""
        rows = self.rows if self.levels is None else self.levels.rows
        if sample_rows is None:
            rows[:] = self.all_rows
            self.leaf_of_row.fill(0)
            return self.n_rows
        m = int(sample_rows.size)
        rows[:m] = self.xp.asarray(sample_rows, dtype=np.int32)
        self.leaf_of_row.fill(-1)
        self.leaf_of_row[rows[:m]] = 0
        return m

    def _grow_levels(self, gh, m):
        """The level loop (module docstring of :mod:`.levels`): queued without a round trip,
        except one counter read per level when the depth is unbounded."""
        t, k = self.levels, self.k
        t.masks, t.per_node_masks = self.masks, self.per_node_masks
        k.level_root(t, gh, m)
        for depth in range(t.n_levels):
            k.level_split(t, depth)
            if self.max_depth <= 0 and int(t.counters[C_N_BATCH]) == 0:
                break  # no leaf split: the tree is done
            if depth + 1 < t.n_levels:  # the children may split at the next level
                k.level_children(t, gh, depth)
        return t.to_host(k)

    def _set_masks(self, node_masks):
        """Upload the feature masks, unless they are the ones already on the device."""
        key = (node_masks.shape, node_masks.tobytes()) if node_masks.shape[0] == 1 else None
        if key is None or key != getattr(self, "_mask_key", None):
            self.masks = self.xp.asarray(np.ascontiguousarray(node_masks, dtype=np.uint8))
            self._mask_key = key
        self.per_node_masks = node_masks.shape[0] > 1

    def _take_slots(self, count):
        while len(self.free) < count:  # grow the pool (histograms in use are kept)
            old = self.pool.shape[0]
            extra = max(8, old)
            grown = self.xp.zeros((old + extra,) + self.pool.shape[1:])
            grown[:old] = self.pool
            self.pool = grown
            self.free[:0] = range(old + extra - 1, old - 1, -1)
        taken = self.free[len(self.free) - count:][::-1]
        del self.free[len(self.free) - count:]
        return taken

    def _release(self, t, nodes):
        """Give the histogram slots of ``nodes`` (an index array) back to the pool."""
        slots = t.slot[nodes]
        self.free.extend(slots[slots >= 0].tolist())
        t.slot[nodes] = -1

    def _split(self, t, gh, batch):
        """Split every leaf of ``batch`` (their best splits are in ``t.best``); return the new
        children that have a split of their own, in node-id order."""
        lo, hi = 1, 1 + 2 * self.K
        ni, best = t.node_int, t.best
        n_left = self.k.partition(
            self.X, self.rows, self.rows_tmp, ni[batch, NODE_START], ni[batch, NODE_END],
            best[batch, 1].astype(np.int64), best[batch, 2].astype(np.int64),
            best[batch, 3] > 0.0, self.missing_bin)
        t.reserve(2 * batch.size)
        ni, nf, best = t.node_int, t.node_float, t.best
        # The children are the next 2B node ids: left, right, left, right, ... in batch order.
        first, t.n_nodes = t.n_nodes, t.n_nodes + 2 * batch.size
        kids = slice(first, t.n_nodes)
        lefts, rights = slice(first, t.n_nodes, 2), slice(first + 1, t.n_nodes, 2)
        start, end = ni[batch, NODE_START], ni[batch, NODE_END]
        mid = start + n_left
        ni[batch, NODE_FEATURE] = best[batch, 1]
        ni[batch, NODE_BIN] = best[batch, 2]
        ni[batch, NODE_DEFAULT_LEFT] = best[batch, 3] > 0.0
        ni[batch, NODE_LEFT] = np.arange(first, t.n_nodes, 2)
        ni[batch, NODE_RIGHT] = ni[batch, NODE_LEFT] + 1
        nf[batch, NODE_GAIN] = best[batch, 0]
        ni[kids] = -1
        ni[kids, NODE_DEFAULT_LEFT] = 0
        ni[lefts, NODE_START], ni[lefts, NODE_END] = start, mid
        ni[rights, NODE_START], ni[rights, NODE_END] = mid, end
        t.depth[kids] = np.repeat(t.depth[batch] + 1, 2)
        nf[kids, NODE_GAIN] = 0.0
        nf[lefts, lo:hi] = best[batch, 4:]  # left sums from the split row, right = parent - left
        nf[rights, lo:hi] = nf[batch, lo:hi] - best[batch, 4:]
        children = np.arange(first, t.n_nodes)
        evaluate = self._can_split(t, children)
        any_ev = evaluate[0::2] | evaluate[1::2]
        self._release(t, batch[~any_ev])  # two final leaves: no histograms needed
        parents = batch[any_ev]
        if parents.size == 0:
            return children[:0]
        small_is_left = (n_left <= end - mid)[any_ev]
        left = children[0::2][any_ev]
        small = np.where(small_is_left, left, left + 1)
        large = np.where(small_is_left, left + 1, left)
        new_slots = np.asarray(self._take_slots(parents.size), dtype=np.int64)
        parent_slots = t.slot[parents].copy()
        t.slot[large], t.slot[small], t.slot[parents] = parent_slots, new_slots, -1
        self.k.build_histograms(self.X, gh, self.rows, new_slots, ni[small, NODE_START],
                                ni[small, NODE_END], self.pool, parent_slots, new_slots)
        self._release(t, children[~evaluate])  # a leaf that will not split needs none
        return self._scan(t, children[evaluate])

    def _can_split(self, t, nodes):
        count = t.node_int[nodes, NODE_END] - t.node_int[nodes, NODE_START]
        H = t.node_float[nodes, 1 + self.K:1 + 2 * self.K].sum(axis=1)
        ok = (count >= 2 * self.mcs) & (H >= 2 * self.mcw)
        if self.max_depth > 0:
            ok &= t.depth[nodes] < self.max_depth
        return ok

    def _scan(self, t, nodes):
        """Best splits of ``nodes`` into ``t.best``; returns those that have one (others
        give their histogram back)."""
        if nodes.size == 0:
            return nodes
        K = self.K
        totals = np.empty((nodes.size, 2 * K + 1))
        totals[:, :2 * K] = t.node_float[nodes, 1:]
        totals[:, 2 * K] = t.node_int[nodes, NODE_END] - t.node_int[nodes, NODE_START]
        mask_rows = nodes if self.per_node_masks else np.zeros(nodes.size, dtype=np.int64)
        rows = self.k.best_splits(self.pool, t.slot[nodes], totals, self.masks, mask_rows,
                                  self.n_bins, self.split_params)
        has = rows[:, 1] >= 0
        t.best[nodes[has]] = rows[has]
        self._release(t, nodes[~has])
        return nodes[has]

    def _priority(self, gain, depth):
        """Heap key, smallest first; ties go to the lowest node id (as on the CPU)."""
        return -gain if self.lossguide else float(depth)


class _Tables:
    """Host node tables of one tree, grown by doubling."""

    def __init__(self, capacity, K):
        self.n_nodes = 0
        self.node_int = np.full((capacity, N_NODE_INT), -1, dtype=np.int64)
        self.node_float = np.zeros((capacity, 1 + 2 * K))
        self.best = np.zeros((capacity, 4 + 2 * K))
        self.depth = np.zeros(capacity, dtype=np.int64)
        self.slot = np.full(capacity, -1, dtype=np.int64)

    def reserve(self, extra):
        reserve_rows(self, extra, (("node_int", -1), ("node_float", 0.0), ("best", 0.0),
                                   ("depth", 0), ("slot", -1)))


def reserve_rows(tables, extra, fills):
    """Make room for ``extra`` more nodes in the per-node tables ``fills`` names (attribute,
    fill value) on ``tables``, which counts its nodes in ``n_nodes``: double them when full."""
    capacity = getattr(tables, fills[0][0]).shape[0]
    if tables.n_nodes + extra <= capacity:
        return
    capacity = max(2 * capacity, tables.n_nodes + extra)
    for name, fill in fills:
        table = getattr(tables, name)
        out = np.full((capacity,) + table.shape[1:], fill, dtype=table.dtype)
        out[:table.shape[0]] = table
        setattr(tables, name, out)
