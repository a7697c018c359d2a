"""Grow one tree across workers: the batched loop of :mod:`gbt._native.gpu.grow`, where each
batch's histograms are sums over workers.

The driver keeps the node tables and the summed histograms and decides every split; workers
keep the rows. One message per batch does, on every worker: partition the rows of the
batch's split nodes (stable, as on one machine), then build the histograms of the smaller
child of each split whose children may split again. The reply (rows sent left per split,
histograms) is summed over workers; the larger child's histogram is ``parent - smaller`` on the
driver. Batches as in the GPU loop:

- ``depthwise``: every open leaf of the shallowest depth, in node-id order (as far as
  ``max_leaves`` allows): the single-machine kernel's pop order, so the trees are the same.
- ``lossguide``: the one open leaf with the largest gain (ties: the lowest node id).

"Smaller" is judged by the children's hessian sums (known from the split before any row
moves), so partition and histograms share one message; any choice gives the same sums.
The last batch of a tree builds no histograms; its partition rides on the next message.
"""
from __future__ import annotations

import heapq

import numpy as np

from .._native.cpu.grow import (N_NODE_INT, NODE_BIN, NODE_DEFAULT_LEFT, NODE_END,
                                NODE_FEATURE, NODE_GAIN, NODE_LEFT, NODE_RIGHT, NODE_START)
from .._native.cpu.split import find_best_split_categorical, scan_work_rows
from .._native.gpu.grow import reserve_rows  # the GPU loop's tables (no CuPy import)
from ..grower import TreeGrower


class DistributedTreeGrower:
    """Driver-side tree loop over sharded rows (see the module docstring).

    Parameters
    ----------
    collective : :class:`gbt.dask._collective.Collective`
    key : str, the run's shard key
    n_bins : (n_features,) int32; missing_bin : int
    params : resolved parameters
    n_outputs : int, gradient columns each tree fits
    cuts : per-feature cut points (raw thresholds of the tree)
    """

    def __init__(self, collective, key, n_bins, missing_bin, params, n_outputs, cuts):
        self.c, self.key = collective, key
        self.n_bins = np.ascontiguousarray(n_bins, dtype=np.int32)
        self.missing_bin = int(missing_bin)
        self.K = int(n_outputs)
        self.cuts = cuts
        n_features = self.n_bins.size
        # TreeGrower on a one-row stand-in: the same split rules, node masks and Tree
        # construction (leaf values, thresholds, category bitsets) as a single-machine fit.
        self.local = TreeGrower(np.zeros((1, n_features), dtype=np.uint8), self.n_bins,
                                missing_bin, params, 1, n_outputs)
        if self.local.constrained:
            raise NotImplementedError("monotone_constraints and interaction_constraints are "
                                      "not built for distributed training.")
        self.split_params = self.local.split_params
        _, _, _, self.mcw, self.mcs, _ = self.split_params
        self.max_depth, self.max_leaves = self.local.max_depth, self.local.max_leaves
        self.lossguide = self.local.lossguide
        self.is_cat = self.local.is_cat
        self.cat_width = max([1] + [int(self.n_bins[f]) for f in np.flatnonzero(self.is_cat)])
        self.bounds = np.zeros(2 * self.K)  # monotone bounds: unused (no constraints)
        self.work = np.empty((1, scan_work_rows(self.K), max(missing_bin + 1, 2 * self.K)))
        self.pending: list = []  # the last batch's splits, partitioned with the next message
        self.bytes_per_tree: list = []

    # ------------------------------------------------------------------ one tree
    def grow(self, first_ops, tree_mask, rng, n_total, leaf_sums=False):
        """Grow one tree. ``first_ops`` run before the root histogram in the same message
        (finishing the previous tree, gradients); returns ``(tree, leaves, first_reply)``:
        the Tree, its leaf ids (for the workers' margin update) and the first reply.
        ``leaf_sums``: the split search saw scaled gradients; the leaf values come from the
        full gradients' sums over each leaf's rows (one more message)."""
        before = self.c.bytes_reduced
        masks = self.local.node_masks(tree_mask, rng, n_total)
        self.per_node_masks = masks.shape[0] > 1
        self.masks = masks
        t = _Tables(64, self.K, self.cat_width)
        reply = self.c.allreduce(self.key, first_ops, "tree root")
        self._patch_pending(reply)
        hist = reply["hist"][0]
        t.hist[0] = hist
        sums = hist[0].sum(axis=0)  # every row is in one bin of feature 0: (K, 2)
        t.node_float[0, 1:1 + self.K] = sums[:, 0]
        t.node_float[0, 1 + self.K:] = sums[:, 1]
        t.node_int[0, NODE_START], t.node_int[0, NODE_END] = 0, int(reply["count"][0])
        t.n_nodes = 1
        root = np.array([0])
        open_nodes = self._scan(t, root) if self._can_split(t, root)[0] else root[:0]
        heap = [(-t.best[c, 0], int(c)) for c in open_nodes]
        n_leaves = 1
        while heap if self.lossguide else open_nodes.size:
            budget = self.max_leaves - n_leaves if self.max_leaves > 0 else None
            if budget is not None and budget <= 0:
                break
            if self.lossguide:
                batch = np.array([heapq.heappop(heap)[1]])
            else:
                batch, open_nodes = open_nodes[:budget], open_nodes[:0]
            n_leaves += batch.size
            # Only the tree's last batch may leave its partition to the next message (a
            # depthwise batch whose children cannot split is the last one).
            found = self._split(t, batch, may_defer=not (self.lossguide and heap or
                                                         leaf_sums))
            if self.lossguide:
                for c in found:
                    heapq.heappush(heap, (-t.best[c, 0], int(c)))
            else:
                open_nodes = found
        t.hist.clear()
        node_int = t.node_int[:t.n_nodes]
        self.local.node_cat = t.node_cat[:t.n_nodes]
        if leaf_sums:
            G, H = self._node_sums_of_leaves(node_int)
        else:
            G = np.ascontiguousarray(t.node_float[:t.n_nodes, 1:1 + self.K])
            H = np.ascontiguousarray(t.node_float[:t.n_nodes, 1 + self.K:])
        tree = self.local._build_tree(node_int, t.node_float[:t.n_nodes, NODE_GAIN], G, H,
                                      self.cuts)
        self._pending_tree = tree
        self.bytes_per_tree.append(self.c.bytes_reduced - before)
        return tree, np.flatnonzero(node_int[:, NODE_LEFT] < 0), reply

    def _node_sums_of_leaves(self, node_int):
        """(G, H) per node from the leaves' full-gradient sums over all workers; an inner
        node's are its children's (as ``gbt._native.cpu.grow.node_gradient_sums``)."""
        leaves = np.flatnonzero(node_int[:, NODE_LEFT] < 0)
        reply = self.c.allreduce(self.key, [("leaf_sums", {"leaves": leaves.tolist()})],
                                 "leaf sums")
        sums = np.zeros((node_int.shape[0],) + reply["leaf_sums"].shape[1:])
        sums[leaves] = reply["leaf_sums"]
        for node in range(node_int.shape[0] - 1, -1, -1):  # children come after parents
            left = node_int[node, NODE_LEFT]
            if left >= 0:
                sums[node] = sums[left] + sums[node_int[node, NODE_RIGHT]]
        return np.ascontiguousarray(sums[:, :, 0]), np.ascontiguousarray(sums[:, :, 1])

    def take_pending_ops(self):
        """Ops that partition the last batch of the previous tree (empty when none)."""
        if not self.pending:
            return []
        return [("split", {"splits": [s[0] for s in self.pending]})]

    def flush(self, ops=()):
        """Partition the last tree's last batch now, with ``ops`` after it (e.g. finishing
        the tree), so its leaves' row counts are known; returns the summed reply."""
        ops = self.take_pending_ops() + list(ops)
        if not ops:
            return {}
        reply = self.c.allreduce(self.key, ops, "flush")
        self._patch_pending(reply)
        return reply

    def _patch_pending(self, reply):
        """Row counts of the previous tree's last children, now that they are partitioned."""
        if not self.pending:
            return
        n_left = reply["n_left"]
        for (_, left, total), nl in zip(self.pending, n_left):
            self._pending_tree.count[left] = int(nl)
            self._pending_tree.count[left + 1] = int(total - nl)
        self.pending = []

    # ------------------------------------------------------------------ batches
    def _split(self, t, batch, may_defer):
        """Split every leaf of ``batch``; return the new children with a split, in id order.
        With ``may_defer`` (no other open leaf) a batch whose children cannot split again
        sends nothing now: its partition rides on the next tree's first message."""
        K = self.K
        t.reserve(2 * batch.size)
        ni, nf, best = t.node_int, t.node_float, t.best
        first, t.n_nodes = t.n_nodes, t.n_nodes + 2 * batch.size
        lefts = np.arange(first, t.n_nodes, 2)
        depth = t.depth[batch] + 1
        H_left = best[batch, 4 + K:4 + 2 * K].sum(axis=1)
        H_right = nf[batch, 1 + K:].sum(axis=1) - H_left
        # Which children may split again, before their row counts are known (counts are
        # checked once they are); a split whose children cannot needs no histogram.
        deeper = depth < self.max_depth if self.max_depth > 0 else np.ones(batch.size, bool)
        may_left = deeper & (H_left >= 2 * self.mcw)
        may_right = deeper & (H_right >= 2 * self.mcw)
        any_may = may_left | may_right
        small = np.where(H_left <= H_right, lefts, lefts + 1)
        splits = [self._split_message(t, int(node), int(left))
                  for node, left in zip(batch, lefts)]
        self._record_split(t, batch, lefts, depth)
        if may_defer and not any_may.any():  # the tree's last batch
            self.pending = [(s, int(left), int(ni[node, NODE_END] - ni[node, NODE_START]))
                            for s, node, left in zip(splits, batch, lefts)]
            for node in batch:
                t.hist.pop(int(node), None)
            return lefts[:0]
        ops = [("split", {"splits": splits})]
        if any_may.any():
            ops.append(("hist", {"nodes": small[any_may].tolist()}))
        reply = self.c.allreduce(self.key, ops, "tree level")
        n_left = reply["n_left"]
        counts = ni[batch, NODE_END] - ni[batch, NODE_START]
        ni[lefts, NODE_START], ni[lefts, NODE_END] = 0, n_left
        ni[lefts + 1, NODE_START], ni[lefts + 1, NODE_END] = 0, counts - n_left
        for i, (node, s) in enumerate(zip(batch[any_may], small[any_may])):
            parent = t.hist.pop(int(node))
            t.hist[int(s)] = reply["hist"][i]
            large = int(s) + 1 if (s - first) % 2 == 0 else int(s) - 1  # its sibling
            t.hist[large] = parent - reply["hist"][i]
        for node in batch[~any_may]:
            t.hist.pop(int(node), None)
        children = np.arange(first, t.n_nodes)
        evaluate = self._can_split(t, children)
        for c in children[~evaluate]:
            t.hist.pop(int(c), None)
        return self._scan(t, children[evaluate])

    def _split_message(self, t, node, left):
        """What a worker needs to partition ``node``'s rows."""
        f = int(t.best[node, 1])
        dl = bool(t.best[node, 3] > 0.0)
        left_set = t.node_cat[node].copy() if self.is_cat[f] else None
        return (node, f, int(t.best[node, 2]), dl, left_set, left)

    def _record_split(self, t, batch, lefts, depth):
        """The split nodes' fields and their children's sums (left from the split row,
        right = parent - left), as the single-machine kernel writes them."""
        K = self.K
        ni, nf, best = t.node_int, t.node_float, t.best
        ni[batch, NODE_FEATURE] = best[batch, 1]
        ni[batch, NODE_BIN] = best[batch, 2]
        ni[batch, NODE_DEFAULT_LEFT] = best[batch, 3] > 0.0
        ni[batch, NODE_LEFT] = lefts
        ni[batch, NODE_RIGHT] = lefts + 1
        nf[batch, NODE_GAIN] = best[batch, 0]
        kids = np.concatenate([lefts, lefts + 1])
        ni[kids] = -1
        ni[kids, NODE_DEFAULT_LEFT] = 0
        ni[kids, NODE_START] = 0
        ni[kids, NODE_END] = 0
        t.depth[lefts] = depth
        t.depth[lefts + 1] = depth
        nf[kids, NODE_GAIN] = 0.0
        nf[lefts, 1:] = best[batch, 4:4 + 2 * K]
        nf[lefts + 1, 1:] = nf[batch, 1:] - best[batch, 4:4 + 2 * K]

    def _can_split(self, t, nodes):
        count = t.node_int[nodes, NODE_END] - t.node_int[nodes, NODE_START]
        H = t.node_float[nodes, 1 + self.K:].sum(axis=1)
        ok = (count >= 2 * self.mcs) & (H >= 2 * self.mcw)
        if self.max_depth > 0:
            ok &= t.depth[nodes] < self.max_depth
        return ok

    def _scan(self, t, nodes):
        """Best splits of ``nodes`` from their summed histograms (the single-machine scan);
        returns those that have one."""
        K = self.K
        has = []
        totals = np.empty(2 * K + 1)
        for node in nodes:
            node = int(node)
            totals[:2 * K] = t.node_float[node, 1:]
            totals[2 * K] = t.node_int[node, NODE_END] - t.node_int[node, NODE_START]
            mask = self.masks[node if self.per_node_masks else 0]
            find_best_split_categorical(t.hist[node], self.n_bins, mask, totals,
                                        self.split_params, self.is_cat,
                                        self.local.cat_params, self.local.monotone, False,
                                        self.bounds, self.work, t.best[node],
                                        t.node_cat[node])
            if t.best[node, 1] >= 0:
                has.append(node)
            else:
                t.hist.pop(node, None)
        return np.asarray(has, dtype=np.int64)


class _Tables:
    """Driver node tables of one tree (the CPU kernel's layout), grown by doubling; ``hist``
    maps an open node to its summed histogram."""

    def __init__(self, capacity, K, cat_width):
        self.n_nodes = 0
        self.node_int = np.full((capacity, N_NODE_INT), -1, dtype=np.int64)
        self.node_int[:, NODE_DEFAULT_LEFT] = 0
        self.node_float = np.zeros((capacity, 1 + 2 * K))
        self.best = np.zeros((capacity, 4 + 2 * K))
        self.depth = np.zeros(capacity, dtype=np.int64)
        self.node_cat = np.zeros((capacity, cat_width), dtype=np.bool_)
        self.hist: dict = {}

    def reserve(self, extra):
        reserve_rows(self, extra, (("node_int", -1), ("node_float", 0.0), ("best", 0.0),
                                   ("depth", 0), ("node_cat", False)))
