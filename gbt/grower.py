"""TreeGrower: grow one tree on binned data from gradients and hessians.

Policies: ``depthwise`` expands leaves level by level (bounded by ``max_depth`` and, if set,
``max_leaves``); ``lossguide`` always expands the open leaf with the largest gain (bounded by
``max_leaves`` and, if set, ``max_depth``). Each node's rows are a contiguous segment of one
``rows`` array that the partition kernel reorders in place. Only the smaller child's histogram
is built; the larger one is ``parent - smaller``, computed in the parent's buffer.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ._native.backend import get_backend
from ._native.cpu.split import SPLIT_PARAM_NAMES
from .tree import MAX_THRESHOLD, Tree


@dataclass
class _Leaf:
    node: int
    start: int
    end: int
    depth: int
    G: float
    H: float
    C: float
    hist: np.ndarray | None
    split: tuple | None = None  # (gain, feature, bin, default_left, GL, HL, CL)


class HistogramPool:
    """Reusable histogram buffers; one per open leaf at a time."""

    def __init__(self, n_features: int, n_bins_total: int):
        self.shape = (n_features, n_bins_total, 3)
        self._free: list[np.ndarray] = []

    def take(self) -> np.ndarray:
        return self._free.pop() if self._free else np.empty(self.shape, dtype=np.float64)

    def give(self, hist: np.ndarray | None) -> None:
        if hist is not None:
            self._free.append(hist)


class TreeGrower:
    """Grows trees on one binned training matrix; buffers are reused from tree to tree.

    Parameters
    ----------
    X_binned : (n_samples, n_features) uint8/uint16
    n_bins : (n_features,) int32, value bins per feature
    missing_bin : int
    params : dict, resolved parameters (see :mod:`gbt.params`)
    n_threads : int, row chunks for the parallel kernels
    """

    def __init__(self, X_binned, n_bins, missing_bin, params, n_threads=1):
        _, self.k = get_backend("cpu")
        self.X = X_binned
        self.X_T = np.ascontiguousarray(X_binned.T)  # feature-major copy for the partition
        self.n_bins = np.ascontiguousarray(n_bins, dtype=np.int32)
        self.missing_bin = int(missing_bin)
        self.n_chunks = max(1, int(n_threads))
        n_rows, n_features = X_binned.shape
        self.pool = HistogramPool(n_features, missing_bin + 1)
        self.chunk_buffers = np.empty((self.n_chunks, n_features, missing_bin + 1, 3))
        self.chunk_counts = np.empty(self.n_chunks, dtype=np.int64)
        self.rows = np.arange(n_rows, dtype=np.int32)
        self.scratch = np.empty(n_rows, dtype=np.int32)
        self.split_params = np.array([float(params[n]) for n in SPLIT_PARAM_NAMES])
        self._pair_out = np.empty((2, 7))
        self.learning_rate = float(params["learning_rate"])
        self.max_depth = int(params["max_depth"])
        self.max_leaves = int(params["max_leaves"])
        self.lossguide = params["grow_policy"] == "lossguide"
        self.colsample_bynode = float(params["colsample_bynode"])
        self.min_child_weight = float(params["min_child_weight"])
        self.min_child_samples = int(params["min_child_samples"])

    # -- helpers ------------------------------------------------------------------------------
    def _node_mask(self, tree_mask, rng):
        if self.colsample_bynode >= 1.0:
            return tree_mask
        allowed = np.flatnonzero(tree_mask)
        n_pick = max(1, int(round(self.colsample_bynode * allowed.size)))
        mask = np.zeros_like(tree_mask)
        mask[rng.choice(allowed, n_pick, replace=False)] = True
        return mask

    def _can_split(self, leaf: _Leaf) -> bool:
        if self.max_depth > 0 and leaf.depth >= self.max_depth:
            return False
        return leaf.C >= 2 * self.min_child_samples and leaf.H >= 2 * self.min_child_weight

    def _evaluate_root(self, leaf: _Leaf, tree_mask, rng) -> None:
        if self._can_split(leaf):
            split = self.k.find_best_split(leaf.hist, self.n_bins,
                                           self._node_mask(tree_mask, rng),
                                           leaf.G, leaf.H, leaf.C, self.split_params)
            if split[1] >= 0:
                leaf.split = split
        self._drop_hist_if_final(leaf)

    def _evaluate_children(self, left: _Leaf, right: _Leaf, tree_mask, rng) -> None:
        """Best splits of two siblings in one kernel call."""
        evaluate = np.array([self._can_split(left), self._can_split(right)])
        if evaluate.any():
            totals = np.array([[left.G, left.H, left.C], [right.G, right.H, right.C]])
            self.k.find_best_split_pair(left.hist, right.hist, self.n_bins,
                                        self._node_mask(tree_mask, rng),
                                        self._node_mask(tree_mask, rng), totals, evaluate,
                                        self.split_params, self._pair_out)
            for child, row in zip((left, right), self._pair_out):
                if row[1] >= 0:
                    child.split = (row[0], int(row[1]), int(row[2]), bool(row[3]), row[4],
                                   row[5], row[6])
        self._drop_hist_if_final(left)
        self._drop_hist_if_final(right)

    def _drop_hist_if_final(self, leaf: _Leaf) -> None:
        """A leaf that will not split needs no histogram."""
        if leaf.split is None:
            self.pool.give(leaf.hist)
            leaf.hist = None

    # -- growth -------------------------------------------------------------------------------
    def grow(self, gh, sample_rows, tree_mask, rng, cuts):
        """Grow one tree.

        Parameters
        ----------
        gh : (n_samples, 2) float32, C order: gradient and hessian of each row
        sample_rows : (m,) int32 or None (all rows)
        tree_mask : (n_features,) bool, features this tree may use
        rng : numpy Generator for per-node column sampling
        cuts : list of per-feature bin upper edges, to store raw thresholds

        Returns
        -------
        tree : Tree
        leaf_segments : (starts, ends, node ids) of the leaves in ``self.rows``
        """
        k = self.k
        if sample_rows is None:
            m = self.rows.size
            self.rows[:] = np.arange(m, dtype=np.int32)
        else:
            m = sample_rows.size
            self.rows[:m] = sample_rows
        hist = self.pool.take()
        k.build_histogram(self.X, gh, self.rows, 0, m, self.n_chunks, self.chunk_buffers, hist)
        totals = hist[0].sum(axis=0)
        nodes = {"feature": [-1], "bin": [-1], "dl": [False], "left": [-1], "right": [-1],
                 "gain": [0.0], "grad": [totals[0]], "cover": [totals[1]], "count": [totals[2]]}
        root = _Leaf(0, 0, m, 0, totals[0], totals[1], totals[2], hist)
        self._evaluate_root(root, tree_mask, rng)
        leaves = {0: root}
        heap: list = []
        self._push(heap, root)
        n_leaves = 1
        while heap and (self.max_leaves == 0 or n_leaves < self.max_leaves):
            _, _, node = heapq.heappop(heap)
            leaf = leaves.pop(node)
            left, right = self._split(leaf, gh, nodes)
            n_leaves += 1
            self._evaluate_children(left, right, tree_mask, rng)
            for child in (left, right):
                leaves[child.node] = child
                self._push(heap, child)
        for leaf in leaves.values():
            self.pool.give(leaf.hist)
        tree = self._build_tree(nodes, cuts)
        order = sorted(leaves.values(), key=lambda lf: lf.start)
        segments = (np.array([lf.start for lf in order], dtype=np.int64),
                    np.array([lf.end for lf in order], dtype=np.int64),
                    np.array([lf.node for lf in order], dtype=np.int64))
        return tree, segments

    def _push(self, heap, leaf: _Leaf) -> None:
        if leaf.split is None:
            return
        key = -leaf.split[0] if self.lossguide else leaf.depth
        heapq.heappush(heap, (key, leaf.node, leaf.node))

    def _split(self, leaf: _Leaf, gh, nodes) -> tuple[_Leaf, _Leaf]:
        gain, feature, bin_, default_left, GL, HL, CL = leaf.split
        small_hist = self.pool.take()
        n_left, left_is_small = self.k.split_node(
            self.X, self.X_T[feature], gh, self.rows, leaf.start, leaf.end, bin_, default_left,
            self.missing_bin, self.n_chunks, self.scratch, self.chunk_counts,
            self.chunk_buffers, leaf.hist, small_hist)
        mid = leaf.start + n_left
        GR, HR, CR = leaf.G - GL, leaf.H - HL, leaf.C - CL
        left_id, right_id = len(nodes["feature"]), len(nodes["feature"]) + 1
        left = _Leaf(left_id, leaf.start, mid, leaf.depth + 1, GL, HL, CL, None)
        right = _Leaf(right_id, mid, leaf.end, leaf.depth + 1, GR, HR, CR, None)
        small, large = (left, right) if left_is_small else (right, left)
        small.hist, large.hist = small_hist, leaf.hist
        for name, v in (("feature", feature), ("bin", bin_), ("dl", default_left),
                        ("left", left_id), ("right", right_id), ("gain", gain)):
            nodes[name][leaf.node] = v
        for child in (left, right):
            for name, v in (("feature", -1), ("bin", -1), ("dl", False), ("left", -1),
                            ("right", -1), ("gain", 0.0), ("grad", child.G), ("cover", child.H),
                            ("count", child.C)):
                nodes[name].append(v)
        return left, right

    def _build_tree(self, nodes, cuts) -> Tree:
        tree = Tree(len(nodes["feature"]))
        tree.feature[:] = nodes["feature"]
        tree.threshold_bin[:] = nodes["bin"]
        tree.default_left[:] = nodes["dl"]
        tree.left[:] = nodes["left"]
        tree.right[:] = nodes["right"]
        tree.gain[:] = nodes["gain"]
        tree.cover[:] = nodes["cover"]
        tree.count[:] = nodes["count"]
        self.k.leaf_weights(np.asarray(nodes["grad"], dtype=np.float64), tree.cover,
                            self.split_params, self.learning_rate, tree.value)
        internal = np.flatnonzero(tree.left != -1)
        for n in internal:
            tree.threshold[n] = min(cuts[tree.feature[n]][tree.threshold_bin[n]], MAX_THRESHOLD)
        return tree
