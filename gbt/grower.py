"""TreeGrower: grow one tree on binned data from gradients and hessians.

The split loop itself is one compiled kernel (:func:`gbt._native.cpu.grow.grow_tree`); this
class owns the buffers it reuses from tree to tree, draws per-node column samples, and turns
the kernel's node tables into a :class:`~gbt.tree.Tree` with raw thresholds and leaf values.

Policies: ``depthwise`` expands leaves level by level (bounded by ``max_depth`` and, if set,
``max_leaves``); ``lossguide`` always expands the open leaf with the largest gain (bounded by
``max_leaves`` and, if set, ``max_depth``).

Constraints (resolved to column indices by :func:`gbt.params.resolve_feature_constraints`):
``monotone_constraints`` use the "basic" method of XGBoost / LightGBM (a split on a
constrained feature must order its children's values, every output's for vector leaves; the
children are then bounded at the mean of the two values, the bounds pass down to every node
below, and each node's value is clipped into its bounds, so the model is monotone for every
input without missing values). ``interaction_constraints``: a node may split on a feature only
if one allowed set holds it together with every feature split on above the node; a feature in
no set forms a set of its own. Every tree is grown by
:func:`gbt._native.cpu.grow.grow_tree_categorical` (no constraints and no categorical
features: the plain loop). Categorical features (``categorical_feature``, resolved to column
indices by the engine) split on sets of categories; see :mod:`gbt._native.cpu.split`.
"""
from __future__ import annotations

import copy

import numpy as np
from numba import typed, types

from ._native.backend import get_backend
from ._native.cpu import grow as _grow
from ._native.cpu.histogram import (SPARSE_MAX_FEATURES, SPARSE_MIN_SHARE, frequent_bins,
                                    sparse_cells, sparse_scratch)
from ._native.cpu.split import CAT_PARAM_NAMES, SPLIT_PARAM_NAMES
from ._native.cpu.transpose import transposed
from .params import PARAMS
from .tree import MAX_THRESHOLD, Tree

# node_cat for a grower without categorical features (fill_tree never reads it then).
_NO_CATEGORIES = np.zeros((0, 1), dtype=np.bool_)


class TreeGrower:
    """Grows trees on one binned training matrix; buffers are reused from tree to tree.

    Parameters
    ----------
    X_binned : (n_samples, n_features) uint8/uint16 (a CuPy array with ``device="cuda"``)
    n_bins : (n_features,) int32, value bins per feature
    missing_bin : int
    params : dict, resolved parameters (see :mod:`gbt.params`)
    n_threads : int, row chunks for the parallel kernels
    n_outputs : int, gradient columns each tree fits (K > 1: vector leaves)
    device : "cpu" or "cuda": the tree loop runs in the compiled CPU kernel or, batched, on
        the GPU (:mod:`gbt._native.gpu.grow`); the trees are the same
    X_T : (n_features, n_samples) C order, the same bins feature-major, which the partition
        reads (CPU; made from ``X_binned`` when None, see BinMapper.transform_pair)
    """

    def __init__(self, X_binned, n_bins, missing_bin, params, n_threads=1, n_outputs=1,
                 device="cpu", X_T=None):
        self.device = device
        self.X = X_binned
        self.n_bins = np.ascontiguousarray(n_bins, dtype=np.int32)
        self.missing_bin = int(missing_bin)
        self.n_chunks = max(1, int(n_threads))
        n_rows, n_features = X_binned.shape
        self.n_outputs = int(n_outputs)
        self.split_params = np.array([float(params[n]) for n in SPLIT_PARAM_NAMES])
        self.learning_rate = float(params["learning_rate"])
        self.max_depth = int(params["max_depth"])
        self.max_leaves = int(params["max_leaves"])
        self.lossguide = params["grow_policy"] == "lossguide"
        self.colsample_bynode = float(params["colsample_bynode"])
        # Constraints, as resolve_feature_constraints leaves them (column indices).
        mono = params.get("monotone_constraints")
        if isinstance(mono, dict) or mono is not None and len(mono) != n_features:
            raise ValueError("monotone_constraints must be resolved to one entry per feature "
                             "(gbt.params.resolve_feature_constraints).")
        self.monotone = np.zeros(n_features, dtype=np.int8)
        if mono is not None:
            self.monotone[:] = mono
        self.interaction_sets = _interaction_matrix(params.get("interaction_constraints"),
                                                    n_features)
        self.has_monotone = bool(self.monotone.any())
        self.constrained = self.has_monotone or self.interaction_sets.shape[0] > 0
        # Categorical features (column indices, as the engine resolves them): their bins are
        # category codes and their splits send a set of categories left.
        self.is_cat = np.zeros(n_features, dtype=np.bool_)
        self.is_cat[list(params.get("categorical_feature") or ())] = True
        self.has_cat = bool(self.is_cat.any())
        self.cat_params = np.array([float(params.get(n, PARAMS[n].default))
                                    for n in CAT_PARAM_NAMES])
        self.node_cat = None  # after grow(): (n_nodes, W) bool, each node's left categories
        if device == "cuda" and self.has_cat:
            raise NotImplementedError("Categorical features are built for device='cpu' only; "
                                      "train on the CPU or pass categorical_feature=[] and "
                                      "enable_categorical=False to split on the codes.")
        # After grow() with monotone constraints: (n_nodes, 2K) lower[K], upper[K] bounds of
        # each node's value, learning rate included (None without them). A leaf refit must
        # stay inside them for the model to stay monotone.
        self.node_bounds = None
        if device == "cuda":
            self._init_device(X_binned)
            return
        # The feature-major copy the partition reads.
        self.X_T = transposed(X_binned) if X_T is None else X_T
        self.all_rows = np.arange(n_rows, dtype=np.int32)
        self.sparse_rows = _sparse_rows(X_binned, self.missing_bin, self.n_outputs)
        self._allocate_buffers()

    def _allocate_buffers(self):
        """The buffers one tree at a time writes (CPU)."""
        n_rows, n_features = self.X.shape
        self.hist_pool = typed.List.empty_list(types.float64[:, :, :, ::1])
        # Zeroed once: the histogram kernels only ever write each feature's valid bins.
        self.chunk_buffers = np.zeros((self.n_chunks, n_features, self.missing_bin + 1,
                                       self.n_outputs, 2))
        self.chunk_counts = np.empty(self.n_chunks, dtype=np.int64)
        self.rows = self.all_rows.copy()
        # After grow(): the leaf holding each row of the tree's sample, -1 for other rows.
        self._leaf_of_row = np.full(n_rows, -1, dtype=np.int32)
        self.scratch = np.empty(n_rows, dtype=np.int32)

    def twin(self) -> "TreeGrower":
        """A grower of the same trees on the same data with buffers of its own, so that the
        two can grow trees at the same time on two threads (CPU)."""
        if self.device != "cpu":
            raise NotImplementedError("TreeGrower.twin is built for device='cpu' only.")
        twin = copy.copy(self)
        twin._allocate_buffers()
        if self.sparse_rows[0].size:  # the stored cells are shared, their scratch is not
            twin.sparse_rows = (*self.sparse_rows[:3],
                                sparse_scratch(self.X.shape[1], self.missing_bin + 1))
        return twin

    def _init_device(self, X_device):
        """The GPU loop (:mod:`gbt._native.gpu.grow`) on device-resident bins."""
        if self.constrained:
            raise NotImplementedError("monotone_constraints and interaction_constraints are "
                                      "built for device='cpu' only.")
        from ._native.gpu.grow import DeviceTreeGrower
        xp, kernels = get_backend("cuda")
        self.device_grower = DeviceTreeGrower(
            xp, kernels, X_device, self.n_bins, self.missing_bin, self.split_params,
            self.n_outputs, self.max_depth, self.max_leaves, self.lossguide)
        self._leaf_of_row = None  # host copy, made on first use after each tree

    @property
    def leaf_of_row(self) -> np.ndarray:
        """(n_samples,) int32 on the host: the leaf holding each row of the last tree's sample,
        -1 for rows outside it."""
        if self._leaf_of_row is None:
            self._leaf_of_row = self.device_grower.leaf_of_row.get()
        return self._leaf_of_row

    @property
    def leaf_of_row_device(self):
        """The same on the GPU (``device="cuda"`` only)."""
        return self.device_grower.leaf_of_row

    def _max_nodes(self, n_rows: int) -> int:
        """An upper bound on the nodes of one tree (every leaf holds at least one row)."""
        leaves = n_rows
        if self.max_leaves > 0:
            leaves = min(leaves, self.max_leaves)
        if self.max_depth > 0:
            leaves = min(leaves, 2 ** min(self.max_depth, 40))
        return 2 * leaves - 1

    def node_masks(self, tree_mask, rng, n_rows):
        """(1, p) when every node sees the tree's features, else one sampled row per node."""
        if self.colsample_bynode >= 1.0:
            return tree_mask[None, :]
        allowed = np.flatnonzero(tree_mask)
        n_pick = max(1, int(round(self.colsample_bynode * allowed.size)))
        n_nodes = self._max_nodes(n_rows)
        picks = np.argsort(rng.random((n_nodes, allowed.size)), axis=1)[:, :n_pick]
        masks = np.zeros((n_nodes, tree_mask.size), dtype=np.bool_)
        masks[np.arange(n_nodes)[:, None], allowed[picks]] = True
        return masks

    def grow(self, gh, sample_rows, tree_mask, rng, cuts, gh_leaves=None, node_masks=None):
        """Grow one tree.

        Parameters
        ----------
        gh : (n_samples, n_outputs, 2) float32, C order: gradient and hessian of each row,
            what the split search sees
        gh_leaves : (n_samples, K, 2) float32, optional: the full gradients when ``gh`` is a
            reduced sketch of them (``split_grad``); the tree's K-vector leaf values, covers
            and internal-node values then come from these sums over each node's rows
        sample_rows : (m,) int32 or None (all rows)
        tree_mask : (n_features,) bool, features this tree may use
        rng : numpy Generator for per-node column sampling
        cuts : list of per-feature bin upper edges, to store raw thresholds
        node_masks : the features each node may split on, as :meth:`node_masks` draws them
            (drawn here from ``rng`` when None)

        Returns the Tree; ``self.leaf_of_row`` then holds each sampled row's leaf (-1 for rows
        outside the sample).
        """
        m = self.X.shape[0] if sample_rows is None else sample_rows.size
        if node_masks is None:
            node_masks = self.node_masks(tree_mask, rng, m)
        if self.device == "cuda":
            dg = self.device_grower
            node_int, node_float = dg.grow(dg.xp.asarray(gh), sample_rows, node_masks)
            self._leaf_of_row = None
            bounds = None
        else:
            if sample_rows is None:
                self.rows[:] = self.all_rows  # the kernel left them in leaf order
            else:
                self.rows[:m] = sample_rows
                self._leaf_of_row[:] = -1
            if gh_leaves is not None and self.has_monotone:
                raise NotImplementedError(
                    "monotone_constraints with split_grad other than 'full' (the split "
                    "search sees a sketch of the gradients, the leaves the full ones) is not "
                    "supported.")
            # One compiled entry point whether or not constraints are set (grow_tree is the
            # same loop without them; calling only this one compiles the loop once).
            node_int, node_float, bounds, self.node_cat = _grow.grow_tree_categorical(
                self.X, self.X_T, gh, self.rows, m, self.n_bins, self.missing_bin,
                self.split_params, self.max_depth, self.max_leaves, self.lossguide,
                node_masks, self.monotone, self.interaction_sets, self.is_cat, self.cat_params,
                self.n_chunks, self.scratch, self.chunk_counts, self.chunk_buffers,
                self.hist_pool, self.sparse_rows)
            _grow.leaf_of_rows(self.rows, node_int, self._leaf_of_row)
        if gh_leaves is None:
            g_cols, h_cols = _grow.node_float_columns(self.n_outputs)
            G = np.ascontiguousarray(node_float[:, g_cols])
            H = np.ascontiguousarray(node_float[:, h_cols])
        else:
            sums = np.empty((node_int.shape[0], gh_leaves.shape[1], 2))
            gh_leaves = gh_leaves.get() if hasattr(gh_leaves, "get") else gh_leaves
            _grow.node_gradient_sums(self.leaf_of_row, node_int, gh_leaves, sums)
            G, H = np.ascontiguousarray(sums[:, :, 0]), np.ascontiguousarray(sums[:, :, 1])
        tree = self._build_tree(node_int, node_float[:, _grow.NODE_GAIN], G, H, cuts)
        self.node_bounds = None
        if self.has_monotone:
            # Every node's value clipped into its bounds (learning rate > 0 keeps the order).
            K = tree.value.shape[1]
            self.node_bounds = bounds * self.learning_rate
            np.clip(tree.value, self.node_bounds[:, :K], self.node_bounds[:, K:],
                    out=tree.value)
        return tree

    def _build_tree(self, node_int, gain, G, H, cuts) -> Tree:
        """A Tree from the node tables; G, H: (n_nodes, K) gradient and hessian sums."""
        n_nodes = node_int.shape[0]
        tree = Tree._to_fill(n_nodes, G.shape[1])
        node_cat = self.node_cat if self.has_cat else _NO_CATEGORIES
        if self.has_cat:  # room for the left sets; dropped again when no split is categorical
            tree.cat_bits = np.zeros((n_nodes, (node_cat.shape[1] + 31) // 32), dtype=np.uint32)
        _grow.fill_tree(node_int, gain, G, H, self.split_params, self.learning_rate,
                        self._cut_table(cuts), MAX_THRESHOLD, self.is_cat, node_cat, self.n_bins,
                        tree.feature, tree.threshold, tree.threshold_bin, tree.default_left,
                        tree.left, tree.right, tree.value, tree.gain, tree.cover, tree.count,
                        tree.is_categorical, tree.cat_count, tree.cat_bits)
        if self.has_cat and not tree.is_categorical.any():
            tree.cat_bits = np.zeros((n_nodes, 0), dtype=np.uint32)
        return tree

    def _cut_table(self, cuts) -> np.ndarray:
        """``cuts`` (one array of bin upper edges per feature) as one padded (n_features,
        longest) matrix, so a tree's thresholds are one lookup; kept for the next tree."""
        if getattr(self, "_cuts_seen", None) is not cuts:
            table = np.full((len(cuts), max([len(c) for c in cuts] + [1])), np.inf)
            for f, c in enumerate(cuts):
                table[f, :len(c)] = c
            self._cuts_seen, self._cuts_table = cuts, table
        return self._cuts_table


def _sparse_rows(X_binned, missing_bin: int, n_outputs: int):
    """``(indptr, cells, skip_bin, scratch)``: each row's cells outside its features' most
    frequent bins, when one-output histograms are better built from them (SPARSE_MIN_SHARE of
    the cells in those bins), else empty arrays (the dense histogram kernel)."""
    n_rows, n_features = X_binned.shape
    if n_outputs == 1 and 0 < n_features < SPARSE_MAX_FEATURES and n_rows > 0:
        skip_bin, skipped = frequent_bins(X_binned, missing_bin + 1)
        if skipped.sum() >= SPARSE_MIN_SHARE * n_rows * n_features:
            return (*sparse_cells(X_binned, skip_bin, missing_bin + 1), skip_bin,
                    sparse_scratch(n_features, missing_bin + 1, lanes=2))
    return _grow.NO_SPARSE_ROWS


def _interaction_matrix(groups, n_features: int) -> np.ndarray:
    """(n_sets, n_features) bool membership of the allowed interaction sets; a feature in no
    set gets a set of its own (it may split a node only where nothing else is on the path).
    (0, n_features) without constraints."""
    if not groups:
        return np.zeros((0, n_features), dtype=np.bool_)
    sets = np.zeros((len(groups), n_features), dtype=np.bool_)
    for i, group in enumerate(groups):
        sets[i, list(group)] = True
    alone = np.flatnonzero(~sets.any(axis=0))
    singles = np.zeros((alone.size, n_features), dtype=np.bool_)
    singles[np.arange(alone.size), alone] = True
    return np.ascontiguousarray(np.vstack([sets, singles]))
