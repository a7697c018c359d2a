"""The depthwise tree loop with the tree's tables on the device (kernels in ``levels.cu``).

A depthwise tree is grown a level at a time: split every open leaf of the level (in node-id
order, as far as ``max_leaves`` allows), then build the children's histograms (the smaller
child of each pair from its rows, the larger as ``parent - smaller``) and find their best
splits. Each level is a fixed handful of launches whose grids are sized for the most work a
level can have; the kernels read what the level holds from the node tables and the counters
on the device, so the host queues a whole tree without waiting for any result and copies the
finished tables back once (:meth:`LevelTables.to_host`). Only when the depth is unbounded does
the host read one counter per level, to stop when no leaf splits.

:class:`LevelTables` owns every buffer of the loop; the kernel set (``level_root``,
``level_split``, ``level_children``: :class:`.kernels.CudaKernels` on a GPU, numpy reference
kernels in the tests) fills them.
"""
from __future__ import annotations

import numpy as np

from ..cpu.grow import N_NODE_INT

# Indices into LevelTables.counters (the C_* defines of levels.cu).
(C_N_NODES, C_N_LEAVES, C_LEVEL_FIRST, C_LEVEL_COUNT, C_PARENT_FIRST, C_N_BATCH, C_PART_BLOCKS,
 C_N_HIST, C_N_SCAN) = range(9)
N_COUNTERS = 9
# The two level histogram buffers may take this much device memory; deeper unbounded trees
# grow on the host-driven loop (gbt._native.gpu.grow).
MAX_LEVEL_HIST_BYTES = 2 << 30


def level_sizes(max_depth: int, max_leaves: int):
    """``(n_levels, max_nodes, max_batch, max_hist)`` of a depthwise tree: levels that may
    split, nodes in all, nodes split at one level, and nodes of one level that may need a
    histogram (those above the depth limit). 0 means no limit for either parameter."""
    unbounded = float("inf")
    depth = max_depth if max_depth > 0 else unbounded
    leaves = max_leaves if max_leaves > 0 else unbounded
    n_levels = min(depth, leaves - 1)
    max_nodes = min(2 * leaves - 1, 2 ** (depth + 1) - 1 if depth < 60 else unbounded)
    max_batch = min(leaves - 1, 2 ** (depth - 1) if 0 < depth < 60 else unbounded)
    max_hist = min(2 * (leaves - 1), 2 ** (depth - 1) if 0 < depth < 60 else unbounded)
    return n_levels, max_nodes, max_batch, max(1, max_hist)


class LevelTables:
    """Every buffer of the level loop for one grower, reused from tree to tree.

    ``node_int``, ``node_float`` and ``counters`` are views of one float64 block, so the
    finished tree comes back in one copy.
    """

    def __init__(self, xp, kernels, X, n_bins, missing_bin, split_params, n_outputs,
                 max_depth, max_leaves):
        n_rows, n_features = X.shape
        self.xp, self.X, self.n_bins, self.split_params = xp, X, n_bins, split_params
        self.missing_bin, self.K = int(missing_bin), int(n_outputs)
        self.max_depth, self.max_leaves = int(max_depth), int(max_leaves)
        self.n_features, self.n_bins_total = n_features, int(missing_bin) + 1
        n_levels, max_nodes, max_batch, max_hist = level_sizes(max_depth, max_leaves)
        self.n_levels, self.max_batch, self.max_hist = int(n_levels), int(max_batch), max_hist
        self.max_nodes = int(max_nodes)
        K = self.K
        self.int_size, self.float_width = self.max_nodes * N_NODE_INT, 1 + 2 * K
        float_size = self.max_nodes * self.float_width
        self.packed = xp.zeros(self.int_size + float_size + N_COUNTERS)
        self.node_int = self.packed[:self.int_size].view(np.int64).reshape(-1, N_NODE_INT)
        self.node_float = self.packed[self.int_size:self.int_size + float_size].reshape(
            -1, self.float_width)
        self.counters = self.packed[self.int_size + float_size:].view(np.int64)
        self.host = kernels.host_buffer(self.packed.size)
        self.best = xp.zeros((self.max_nodes, 4 + 2 * K))
        # Histograms of the level being split and of its children, in turn by depth parity.
        self.hist = xp.zeros((2, max_hist, n_features, self.n_bins_total, K, 2))
        self.hist_views = (self.hist[0], self.hist[1])
        self.X_T = xp.ascontiguousarray(X.T)  # feature-major bins for the partition
        # Each level's partition writes its batch's rows into rows_tmp, then the two swap.
        self.rows = xp.empty(n_rows, dtype=np.int32)
        self.rows_tmp = xp.empty(n_rows, dtype=np.int32)
        self.leaf_of_row = xp.full(n_rows, -1, dtype=np.int32)
        self.flags = xp.empty(n_rows, dtype=np.int32)
        # The kernels' per-level plans (see levels.cu).
        batch = max(1, self.max_batch)
        self.batch = xp.zeros(batch, dtype=np.int64)
        self.part_first = xp.zeros(batch + 1, dtype=np.int64)
        self.hist_node, self.hist_pos, self.sub_parent_pos, self.sub_large_pos = (
            xp.zeros(batch, dtype=np.int64) for _ in range(4))
        self.hist_first = xp.zeros(batch + 1, dtype=np.int64)
        self.scan_nodes = xp.zeros(max_hist, dtype=np.int64)
        self.per_feature = xp.zeros((max_hist, n_features, 3))
        self.masks, self.per_node_masks = None, False

    @staticmethod
    def fits(max_depth, max_leaves, n_features, n_bins_total, n_outputs) -> bool:
        """Whether the level loop can grow such trees (else the host-driven loop does)."""
        n_levels, _, _, max_hist = level_sizes(max_depth, max_leaves)
        slot_bytes = n_features * n_bins_total * n_outputs * 16
        return n_levels < float("inf") and 2 * max_hist * slot_bytes <= MAX_LEVEL_HIST_BYTES

    def to_host(self, kernels):
        """``(node_int, node_float)`` of the finished tree on the host (one copy)."""
        kernels.copy_to_host(self.packed, self.host)
        n = int(self.host[self.int_size + self.float_width * self.max_nodes:].view(np.int64)[
            C_N_NODES])
        node_int = self.host[:self.int_size].view(np.int64).reshape(-1, N_NODE_INT)[:n]
        node_float = self.host[self.int_size:self.int_size + n * self.float_width]
        return node_int.copy(), node_float.reshape(n, self.float_width).copy()
