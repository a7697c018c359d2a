"""SHAP explanations of a forest: exact path-dependent TreeSHAP values and interaction values.

This module owns the Python side of TreeSHAP (the values of Lundberg et al. 2018, Algorithm 2;
the kernels in :mod:`gbt._native.cpu.shap` compute them): packing trees into flat arrays (the
:class:`~gbt.predict.PackedForest` layout plus each node's share of its parent's weight), each
tree's expected value, sparse input densified a block of rows at a time as in prediction, and
XGBoost's ``pred_contribs`` / ``pred_interactions`` output layout. A node's weight is its
``cover`` (hessian sum, as XGBoost), or ``count`` (rows) for a tree whose covers are all zero,
or equal weights for a tree with neither; a child's share is ``w[child] / (w[left] +
w[right])`` (halves when both are zero), so siblings' shares sum to one. Missing values (NaN
or absent sparse entries) follow ``default_left`` as in prediction, so each row's values sum
to its raw margin.
"""
from __future__ import annotations

import functools

import numpy as np

from ._native.backend import use_threads
from ._native.cpu import shap as _kernels
from .predict import PackedForest, _dense_blocks

__all__ = ["ShapForest", "shap_values", "shap_interaction_values", "node_weights"]

# Above this many 64-bit words (nodes x feature words) the distinct features on each path are
# not counted and the quadrature is sized by tree depth instead (same values, a little slower).
MAX_MASK_WORDS = 1 << 22


@functools.lru_cache(maxsize=8)
def _gauss_legendre(n_max):
    return _kernels.gauss_legendre_table(n_max)  # shared by every ShapForest: never written


def node_weights(tree) -> np.ndarray:
    """``(n_nodes,)`` float64 weights TreeSHAP averages children by: ``tree.cover``, or
    ``tree.count`` when every cover is zero, or ones when both are all zero; negative entries
    count as zero."""
    for w in (tree.cover, tree.count):
        w = np.asarray(w, dtype=np.float64)
        if np.any(w != 0):
            return np.maximum(w, 0.0)
    return np.ones(tree.n_nodes)


class ShapForest:
    """A sequence of trees packed for the TreeSHAP kernels.

    Parameters
    ----------
    trees : list of :class:`~gbt.tree.Tree`
    tree_output : sequence of int
        Tree ``i`` adds its ``trees[i].n_outputs`` values to output columns
        ``tree_output[i]`` onwards (as in :class:`~gbt.booster.Booster`).

    Attributes
    ----------
    expected_value : (max output column + 1,) float64
        Sum over trees of each tree's weighted mean leaf value, per output column.
    """

    def __init__(self, trees, tree_output):
        trees = list(trees)
        tree_output = np.asarray(tree_output, dtype=np.int64).reshape(-1)
        if tree_output.size != len(trees):
            raise ValueError(f"Got {tree_output.size} tree_output entries for {len(trees)} "
                             "trees.")
        self.packed = packed = PackedForest(trees, tree_output)
        n_total = packed.feature.size
        offsets = packed.tree_offsets
        n_cols = int(max((o + t.n_outputs for o, t in zip(tree_output, trees)), default=0))
        self.expected_value = np.zeros(n_cols)
        # Each node's share of its parent's weight (global node indices).
        weight = np.concatenate([node_weights(t) for t in trees]) if trees else np.zeros(0)
        tree_of = np.repeat(np.arange(len(trees)), np.diff(offsets))
        inner = np.flatnonzero(packed.left != -1)
        lc = packed.left[inner] + offsets[tree_of[inner]]
        rc = packed.right[inner] + offsets[tree_of[inner]]
        total = weight[lc] + weight[rc]
        share = np.divide(weight[lc], total, out=np.full(inner.size, 0.5), where=total > 0)
        frac = np.ones(n_total)
        frac[lc] = share
        frac[rc] = 1.0 - share
        f_inner = packed.feature[inner].astype(np.int64)
        self.max_feature = int(f_inner.max(initial=-1))
        # Depth, path probability and distinct features on the path of every node, one tree
        # level at a time (the features as bit sets, unless there are very many).
        depth = np.zeros(n_total, dtype=np.int64)
        prob = np.ones(n_total)
        words = (self.max_feature + 64) // 64
        track = words * n_total <= MAX_MASK_WORDS
        mask = np.zeros((n_total if track else 0, words), dtype=np.uint64)
        slot = np.full(n_total, -1, dtype=np.int64)  # node -> its row in `inner`
        slot[inner] = np.arange(inner.size)
        level = offsets[:-1][np.diff(offsets) > 0]  # the roots
        while level.size:
            k = slot[level]
            k = k[k >= 0]
            par = inner[k]
            for child in (lc[k], rc[k]):
                depth[child] = depth[par] + 1
                prob[child] = prob[par] * frac[child]
                if track:
                    mask[child] = mask[par]
                    mask[child, f_inner[k] // 64] |= np.left_shift(
                        np.uint64(1), (f_inner[k] % 64).astype(np.uint64))
            level = np.concatenate([lc[k], rc[k]])
        self.frac = frac
        starts = offsets[:-1][np.diff(offsets) > 0]
        self.tree_depth = np.zeros(len(trees), dtype=np.int64)
        if starts.size:
            self.tree_depth[np.diff(offsets) > 0] = np.maximum.reduceat(depth, starts)
        self.max_depth = int(self.tree_depth.max(initial=0))
        # The integrands are polynomials of degree < the number of distinct features on a
        # path (<= depth): Gauss-Legendre with half that many points integrates them exactly.
        path_features = self.tree_depth.copy()
        if track and starts.size:
            n_distinct = np.unpackbits(mask.view(np.uint8), axis=1).sum(axis=1)
            path_features[np.diff(offsets) > 0] = np.maximum.reduceat(n_distinct, starts)
        self.tree_npts = np.maximum(1, (path_features + 1) // 2).astype(np.int32)
        self.gl_s, self.gl_w = _gauss_legendre(int(self.tree_npts.max(initial=1)))
        # Expected value of each tree: its leaves weighted by their path probabilities.
        for t, tree in enumerate(trees):
            leaves = np.flatnonzero(tree.left == -1)
            o = tree_output[t]
            self.expected_value[o:o + tree.n_outputs] += \
                prob[offsets[t] + leaves] @ tree.value[leaves]
        self._tree_of_inner = tree_of[inner]
        self._feature_of_inner = f_inner

    @property
    def n_trees(self) -> int:
        return self.packed.n_trees

    def _check(self, values, n_outputs):
        if values.ndim != 2:
            raise ValueError(f"values must be 2-D (n_samples, n_features); got shape "
                             f"{values.shape}.")
        if self.max_feature >= values.shape[1]:
            raise ValueError(f"The trees split on feature {self.max_feature}; values has only "
                             f"{values.shape[1]} features.")
        if n_outputs < self.expected_value.size:
            raise ValueError(f"The trees write output column {self.expected_value.size - 1}; "
                             f"base_score has only {n_outputs} entries.")

    def _args(self):
        p = self.packed
        if p.has_categorical:
            cat = (p.is_categorical, p.cat_count, p.cat_bits)
        else:  # one kernel signature: no categorical nodes
            n = p.feature.size
            cat = (np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.int32),
                   np.zeros((n, 0), dtype=np.uint32))
        return (p.feature, p.threshold, p.default_left, p.left, p.right, *cat, self.frac,
                p.value, p.value_offsets, p.tree_offsets, p.tree_output, p.tree_width,
                self.tree_npts, self.gl_s, self.gl_w, self.max_depth)

    def _run(self, values, out, out_inter, n_threads):
        """SHAP values into ``out`` and, when ``out_inter`` has rows, interaction values."""
        if not self.n_trees:
            return
        n_features = values.shape[1]
        feat_tree_offsets = np.zeros(n_features + 1, dtype=np.int64)
        feat_trees = np.zeros(0, dtype=np.int32)
        if out_inter.shape[0]:
            # (feature, tree) pairs, sorted by feature: the trees that split on each feature
            pairs = np.unique(self._feature_of_inner * self.n_trees + self._tree_of_inner)
            feat_trees = (pairs % self.n_trees).astype(np.int32)
            feat_tree_offsets[1:] = np.cumsum(np.bincount(pairs // self.n_trees,
                                                          minlength=n_features))
        n_chunks = max(1, int(n_threads))
        with use_threads(n_chunks):
            for rows, block in _dense_blocks(values):
                # one kernel signature: float64, C order, writeable (float32 converts exactly)
                block = np.require(block, np.float64, ["C_CONTIGUOUS", "WRITEABLE"])
                _kernels.tree_shap(block, *self._args(), feat_tree_offsets, feat_trees,
                                   n_chunks, out[rows], out_inter[rows])

    def _bias(self, base_score, n_outputs):
        bias = np.zeros(n_outputs)
        bias[:] = base_score
        bias[:self.expected_value.size] += self.expected_value
        return bias

    def shap_values(self, values, base_score, n_threads: int = 1) -> np.ndarray:
        """SHAP values, ``(n_samples, n_outputs, n_features + 1)`` float64 (always 3-D; the
        last column is the bias). See :func:`shap_values`."""
        base_score = np.atleast_1d(np.asarray(base_score, dtype=np.float64))
        n_outputs = base_score.size
        self._check(values, n_outputs)
        n_rows, n_features = values.shape
        out = np.zeros((n_rows, n_outputs, n_features + 1))
        self._run(values, out, np.zeros((0, 0, 0, 0)), n_threads)
        out[:, :, n_features] = self._bias(base_score, n_outputs)
        return out

    def shap_interaction_values(self, values, base_score, n_threads: int = 1) -> np.ndarray:
        """SHAP interaction values, ``(n_samples, n_outputs, n_features + 1, n_features + 1)``
        float64 (always 4-D). See :func:`shap_interaction_values`."""
        base_score = np.atleast_1d(np.asarray(base_score, dtype=np.float64))
        n_outputs = base_score.size
        self._check(values, n_outputs)
        n_rows, n_features = values.shape
        out = np.zeros((n_rows, n_outputs, n_features + 1, n_features + 1))
        self._run(values, np.zeros((n_rows, n_outputs, n_features + 1)), out, n_threads)
        out[:, :, n_features, n_features] = self._bias(base_score, n_outputs)
        return out


def shap_values(trees, tree_output, base_score, values, n_threads: int = 1) -> np.ndarray:
    """Exact path-dependent TreeSHAP values (feature contributions) of a forest.

    Parameters
    ----------
    trees : list of :class:`~gbt.tree.Tree`, or a :class:`ShapForest`
        The trees (e.g. ``booster.trees[first:last]``); a prebuilt :class:`ShapForest` skips
        the packing (``tree_output`` is then ignored).
    tree_output : sequence of int
        Each tree's first output column (``booster.tree_output[first:last]``).
    base_score : float or array of shape (n_outputs,)
        The model's base margin per output; ``n_outputs = len(base_score)``.
    values : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        Feature values as prediction gets them (``FeatureMatrix.values``): float, NaN =
        missing; absent sparse entries are missing.
    n_threads : int
        Threads (row chunks) for the kernel.

    Returns
    -------
    ndarray of shape (n_samples, n_features + 1), or (n_samples, n_outputs, n_features + 1)
    when ``n_outputs > 1``. The last column is the bias: ``base_score`` plus every tree's
    cover-weighted mean leaf value. Each row sums (over the last axis) to the raw margin.
    """
    forest = trees if isinstance(trees, ShapForest) else ShapForest(trees, tree_output)
    out = forest.shap_values(values, base_score, n_threads)
    return out[:, 0, :] if out.shape[1] == 1 else out


def shap_interaction_values(trees, tree_output, base_score, values,
                            n_threads: int = 1) -> np.ndarray:
    """Exact path-dependent SHAP interaction values of a forest (XGBoost's layout).

    Parameters are those of :func:`shap_values`.

    Returns
    -------
    ndarray of shape (n_samples, n_features + 1, n_features + 1), or
    (n_samples, n_outputs, n_features + 1, n_features + 1) when ``n_outputs > 1``.
    Off the diagonal, ``[i, j] = [j, i]`` is half the Shapley interaction index of features
    ``i`` and ``j``; the diagonal holds the main effects, so row ``i`` sums to feature ``i``'s
    SHAP value. The bias sits in the last diagonal entry (the rest of the last row and column
    is zero), so the whole matrix sums to the raw margin.
    """
    forest = trees if isinstance(trees, ShapForest) else ShapForest(trees, tree_output)
    out = forest.shap_interaction_values(values, base_score, n_threads)
    return out[:, 0] if out.shape[1] == 1 else out
