"""The trees of one boosting round: one per output column, or one condensed tree.

:class:`RoundTrees` owns what the round's trees share: the grower (its buffers persist from
round to round), the (g, h) buffer a tree fits and the split-gradient sketch. Its
:meth:`RoundTrees.grow` yields the round's trees in output order.

A one-per-output round (multi-class, several targets) holds independent trees. On small data a
tree's kernels are too short for their own parallel regions to pay: a region costs about 3 µs
to start even on warm threads, and letter's 15,000-row trees grew no faster on two threads
than on one. There the round's trees grow side by side instead, one whole tree per worker
thread on one row chunk, each worker with its own buffers; the compiled grow loop releases the
GIL. That runs only where the chunk count cannot change a tree (see
:func:`gbt._native.backend.round_workers`), so the model is the serial loop's.
"""
from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from .grower import TreeGrower


class GrownTree(NamedTuple):
    """One tree grown by a worker, with what the boosting loop reads after it."""
    tree: object
    leaf_of_row: np.ndarray  # (n_samples,) int32: each sampled row's leaf, -1 for the others
    node_bounds: np.ndarray | None  # (n_nodes, 2K) monotone bounds, or None


class RoundTrees:
    """Grows each round's trees on a binned training matrix.

    Parameters
    ----------
    X_binned, n_bins, missing_bin, params, device : as :class:`~gbt.grower.TreeGrower`
    n_outputs : int, gradient columns per round
    tree_width : int, columns one tree fits (``n_outputs`` for condensed trees, else 1)
    sketch : :class:`~gbt.split_grad.GradientSketch`, what a tree's split search sees
    tree_chunks : int, row chunks of the tree kernels on the serial path
    workers : int, threads growing a round's trees side by side (1 = one tree at a time, its
        kernels on ``tree_chunks`` chunks)
    xp : the gradients' array module (numpy, or CuPy when they stay on the GPU)
    X_T : the bins feature-major, as :class:`~gbt.grower.TreeGrower` takes them (optional)
    """

    def __init__(self, X_binned, n_bins, missing_bin, params, n_outputs, tree_width, sketch,
                 tree_chunks, workers=1, device="cpu", xp=np, X_T=None):
        self._grower_args = (X_binned, n_bins, missing_bin, params)
        self._X_T = X_T
        self.n_outputs = n_outputs
        self.tree_width = tree_width
        self.sketch = sketch
        self.tree_chunks = tree_chunks
        self.device = device
        self.grower = None  # built on the first tree, once the search width is known
        self.workers = workers if self._side_by_side_possible() else 1
        # The (g, h) pairs one tree fits (side by side, each tree has its own: _gh_all).
        self.gh = xp.empty((X_binned.shape[0], tree_width, 2), dtype=np.float32) \
            if self.workers == 1 else None
        self._free = None  # side by side: the idle growers

    def _side_by_side_possible(self) -> bool:
        # The search must see each tree's own gradients (no sketch to draw in order) on the CPU.
        return (self.device == "cpu" and self.tree_width == 1 and self.n_outputs > 1
                and not self.sketch.active)

    def grow(self, g, h, sample_rows, tree_mask, rng, cuts):
        """Yield ``(k, tree, grown)`` for the round's trees in output order: ``k`` the tree's
        first output column, ``grown`` an object whose ``leaf_of_row`` and ``node_bounds``
        describe that tree (the grower itself on the serial path)."""
        if self.workers > 1:
            yield from self._grow_side_by_side(g, h, sample_rows, tree_mask, rng, cuts)
            return
        gh, w = self.gh, self.tree_width
        for k in range(0, self.n_outputs, w):
            gh[:, :, 0] = g[:, k:k + w]
            gh[:, :, 1] = h[:, k:k + w]
            gh_search = self.sketch(gh, rng)
            grower = self._grower(gh_search.shape[1], self.tree_chunks)
            tree = grower.grow(gh_search, sample_rows, tree_mask, rng, cuts,
                               gh_leaves=None if gh_search is gh else gh)
            yield k, tree, grower

    def _grower(self, search_width, chunks):
        if self.grower is None:
            self.grower = TreeGrower(*self._grower_args, chunks, n_outputs=search_width,
                                     device=self.device, X_T=self._X_T)
        elif search_width != self.grower.n_outputs:
            raise ValueError("objective.split_grad must return the same number of columns "
                             f"every round ({self.grower.n_outputs}, then {search_width}).")
        return self.grower

    def _grow_side_by_side(self, g, h, sample_rows, tree_mask, rng, cuts):
        if self._free is None:
            first = self._grower(1, 1)
            self._free = queue.SimpleQueue()
            for grower in [first] + [first.twin() for _ in range(self.workers - 1)]:
                self._free.put(grower)
            self._gh_all = np.empty((self.n_outputs, g.shape[0], 1, 2), dtype=np.float32)
        gh_all = self._gh_all
        gh_all[:, :, 0, 0] = g.T
        gh_all[:, :, 0, 1] = h.T
        m = g.shape[0] if sample_rows is None else sample_rows.size
        # Threads started each round: ~0.1 ms, against tens of ms of trees.
        with ThreadPoolExecutor(self.workers, thread_name_prefix="gbt-trees") as pool:
            futures = [pool.submit(self._grow_one, gh_all[k], sample_rows, tree_mask,
                                   # drawn here, in output order, as the serial loop draws them
                                   self.grower.node_masks(tree_mask, rng, m), cuts)
                       for k in range(self.n_outputs)]
            grown = [future.result() for future in futures]
        for k, one in enumerate(grown):
            yield k, one.tree, one

    def _grow_one(self, gh, sample_rows, tree_mask, node_masks, cuts) -> GrownTree:
        grower = self._free.get()
        try:
            tree = grower.grow(gh, sample_rows, tree_mask, None, cuts, node_masks=node_masks)
            return GrownTree(tree, grower.leaf_of_row.copy(), grower.node_bounds)
        finally:
            self._free.put(grower)
