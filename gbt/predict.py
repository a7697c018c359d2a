"""Prediction over a list of trees: raw margins, leaf indices; dense or sparse input.

Trees are packed once into flat node arrays (:class:`PackedForest`) that the kernels walk.
A forest with categorical splits also packs their flags, category counts and bitsets and is
walked by the CPU ``*_categorical`` kernels (on any device).
Sparse input (absent entries are missing) is walked on one-byte codes of its values, a block
of rows at a time (:func:`gbt._native.cpu.predict.predict_raw_sparse`); where codes cannot
stand for a forest's thresholds, and for leaf indices and categorical forests, it is densified a
block of rows at a time (absent entries become NaN). Memory stays bounded either way.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._native.backend import get_backend
from ._native.cpu.predict import coded_walk, densify_csr_rows, walk_nodes

SPARSE_BLOCK_ROWS = 16384


class PackedForest:
    """Flat node arrays for a sequence of trees (see :mod:`gbt._native.cpu.predict`)."""

    def __init__(self, trees, tree_output):
        sizes = [t.n_nodes for t in trees]
        self.tree_offsets = np.zeros(len(trees) + 1, dtype=np.int64)
        self.tree_offsets[1:] = np.cumsum(sizes)

        def cat(name, dtype):
            if not trees:
                return np.zeros(0, dtype=dtype)
            return np.ascontiguousarray(np.concatenate([getattr(t, name) for t in trees]),
                                        dtype=dtype)

        self.feature = cat("feature", np.int32)
        self.threshold = cat("threshold", np.float64)
        self.default_left = cat("default_left", np.bool_)
        self.left = cat("left", np.int32)
        self.right = cat("right", np.int32)
        self.tree_width = np.array([t.n_outputs for t in trees], dtype=np.int32)
        self.value_offsets = np.zeros(len(trees) + 1, dtype=np.int64)
        self.value_offsets[1:] = np.cumsum(np.asarray(sizes, dtype=np.int64) * self.tree_width)
        self.value = np.ascontiguousarray(
            np.concatenate([t.value.ravel() for t in trees]) if trees else np.zeros(0))
        self.tree_output = np.ascontiguousarray(tree_output, dtype=np.int32)
        # What predict_raw walks: (threshold, links, value, steps), breadth-first, leaves
        # looping to themselves, each tree's steps planned from its training rows (see
        # walk_nodes).
        self.walk = walk_nodes(self.feature, self.threshold, self.default_left, self.left,
                               self.right, self.value, self.value_offsets, self.tree_offsets,
                               self.tree_width, cat("count", np.float64))
        # Categorical splits (see gbt.tree): node flags, category counts and bitsets padded to
        # the widest tree's words; forests without them take the plain kernels.
        self.has_categorical = any(t.has_categorical for t in trees)
        if self.has_categorical:
            self.is_categorical = cat("is_categorical", np.bool_)
            self.cat_count = cat("cat_count", np.int32)
            words = max(t.cat_bits.shape[1] for t in trees)
            self.cat_bits = np.zeros((self.feature.size, words), dtype=np.uint32)
            for t, tree in enumerate(trees):
                lo = self.tree_offsets[t]
                self.cat_bits[lo:lo + tree.n_nodes, :tree.cat_bits.shape[1]] = tree.cat_bits
        self.device_arrays = None  # GPU copies, made by the first GPU prediction
        self._coded_walk = False  # coded_walk's arrays (or None), made by the first sparse walk

    @property
    def n_trees(self) -> int:
        return self.tree_offsets.size - 1

    @property
    def coded_walk(self):
        """``(cuts, cut_offsets, links)`` that walk sparse rows on one-byte codes, or None
        when the forest has too many thresholds on one feature for them (see
        :func:`gbt._native.cpu.predict.coded_walk`)."""
        if self._coded_walk is False:
            self._coded_walk = coded_walk(self.walk[0], self.walk[1], self.tree_offsets)
        return self._coded_walk


def _dense_blocks(values):
    """Yield (row slice, dense float block) covering ``values``."""
    if not sp.issparse(values):
        yield slice(0, values.shape[0]), values
        return
    csr = values.tocsr()  # prediction's FeatureMatrix is CSR already
    for lo in range(0, csr.shape[0], SPARSE_BLOCK_ROWS):
        hi = min(csr.shape[0], lo + SPARSE_BLOCK_ROWS)
        block = np.empty((hi - lo, csr.shape[1]), dtype=csr.dtype)
        densify_csr_rows(csr.indptr, csr.indices, csr.data, lo, block)
        yield slice(lo, hi), block


def predict_raw(forest: PackedForest, values, out: np.ndarray, n_threads: int = 1,
                device: str = "cpu") -> None:
    """Add the forest's raw scores to ``out`` of shape ``(n_samples, n_outputs)``; with
    ``device="cuda"`` the rows are walked on the GPU (same trees, same comparisons)."""
    if forest.n_trees == 0:
        return
    _, k = get_backend("cpu")
    if forest.has_categorical:  # the CPU kernel (categorical splits are built for the CPU)
        for rows, block in _dense_blocks(values):
            k.predict_raw_categorical(
                block, forest.feature, forest.threshold, forest.default_left, forest.left,
                forest.right, forest.is_categorical, forest.cat_count, forest.cat_bits,
                forest.value, forest.value_offsets, forest.tree_offsets, forest.tree_output,
                forest.tree_width, max(1, n_threads), out[rows])
        return
    if device == "cuda":
        _predict_raw_device(forest, values, out)
        return
    if sp.issparse(values) and forest.coded_walk is not None:
        csr = values.tocsr()  # prediction's FeatureMatrix is CSR already
        k.predict_raw_sparse(csr.indptr, csr.indices, csr.data, *forest.coded_walk,
                             *forest.walk[2:], forest.value_offsets, forest.tree_offsets,
                             forest.tree_output, forest.tree_width, max(1, n_threads), out)
        return
    for rows, block in _dense_blocks(values):  # out[rows] is a view: the kernel writes in place
        k.predict_raw(block, *forest.walk, forest.value_offsets, forest.tree_offsets,
                      forest.tree_output, forest.tree_width, max(1, n_threads), out[rows])


def _predict_raw_device(forest: PackedForest, values, out: np.ndarray) -> None:
    _, k = get_backend("cuda")
    if forest.device_arrays is None:  # uploaded once per packed forest
        forest.device_arrays = k.device_forest(forest)
    for rows, block in _dense_blocks(values):
        k.predict_raw_from_host(block, forest.device_arrays, out[rows])


def predict_leaf(forest: PackedForest, values, n_threads: int = 1) -> np.ndarray:
    """``(n_samples, n_trees)`` int32: the node index each row reaches in each tree."""
    _, k = get_backend("cpu")
    out = np.zeros((values.shape[0], forest.n_trees), dtype=np.int32)
    if forest.n_trees == 0:
        return out
    for rows, block in _dense_blocks(values):
        if forest.has_categorical:
            k.predict_leaf_categorical(
                block, forest.feature, forest.threshold, forest.default_left, forest.left,
                forest.right, forest.is_categorical, forest.cat_count, forest.cat_bits,
                forest.tree_offsets, max(1, n_threads), out[rows])
            continue
        k.predict_leaf(block, forest.feature, forest.threshold, forest.default_left,
                       forest.left, forest.right, forest.tree_offsets, max(1, n_threads),
                       out[rows])
    return out
