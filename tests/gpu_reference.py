"""numpy stand-ins for :class:`gbt._native.gpu.kernels.CudaKernels` (same signatures, host
arrays), so the GPU tree loop's bookkeeping runs and is checked on machines without a GPU, and
the CUDA kernels have a plain reference to be compared with."""
from __future__ import annotations

import numpy as np

from gbt._native.cpu.grow import (NODE_BIN, NODE_DEFAULT_LEFT, NODE_END, NODE_FEATURE,
                                  NODE_GAIN, NODE_LEFT, NODE_RIGHT, NODE_START)
from gbt._native.cpu.split import find_best_split, scan_work_rows
from gbt._native.gpu import levels as lv


class ReferenceKernels:
    def build_histograms(self, X, gh, rows, seg_slot, seg_lo, seg_hi, pool, sub_parent=(),
                         sub_small=()):
        for slot, lo, hi in zip(seg_slot, seg_lo, seg_hi):
            pool[slot] = 0.0
            r = rows[lo:hi]
            values = gh[r].astype(np.float64)
            for f in range(X.shape[1]):
                np.add.at(pool[slot, f], X[r, f], values)
        for p, s in zip(sub_parent, sub_small):
            pool[p] -= pool[s]

    def best_splits(self, pool, slots, totals, masks, mask_rows, n_bins, split_params):
        K = pool.shape[3]
        out = np.empty((len(slots), 4 + 2 * K))
        work = np.empty((1, scan_work_rows(K), max(pool.shape[2], 2 * K)))
        for i, (slot, mask_row) in enumerate(zip(slots, mask_rows)):
            find_best_split(np.ascontiguousarray(pool[slot]), n_bins,
                            masks[mask_row].astype(np.bool_), totals[i], split_params, work,
                            out[i])
        return out

    def partition(self, X, rows, rows_tmp, starts, ends, features, bins, default_left,
                  missing_bin):
        n_left = []
        for a, b, f, t, dl in zip(starts, ends, features, bins, default_left):
            seg = rows[a:b].copy()
            xb = X[seg, f].astype(np.int64)
            go = np.where(xb == missing_bin, bool(dl), xb <= t)
            rows[a:b] = np.concatenate([seg[go], seg[~go]])
            n_left.append(int(go.sum()))
        return np.asarray(n_left, dtype=np.int64)

    def leaf_of_rows(self, rows, n_pos, leaf_starts, leaf_ids, out):
        ends = list(leaf_starts[1:]) + [n_pos]
        for s, e, node in zip(leaf_starts, ends, leaf_ids):
            out[rows[s:e]] = node

    # ------------------------------------------------------------ depthwise level loop
    # The level kernels of levels.cu, node by node, on a gbt._native.gpu.levels.LevelTables.
    def level_root(self, t, gh, m):
        K, c = t.K, t.counters
        t.node_int[0] = -1
        t.node_int[0, NODE_DEFAULT_LEFT], t.node_int[0, NODE_START], t.node_int[0, NODE_END] = \
            0, 0, m
        hist = t.hist_views[0]
        self.build_histograms(t.X, gh, t.rows, [0], [0], [m], hist)
        sums = hist[0, 0].sum(axis=0)  # every row is in one bin of feature 0: (K, 2)
        t.node_float[0, NODE_GAIN] = 0.0
        t.node_float[0, 1:1 + K], t.node_float[0, 1 + K:] = sums[:, 0], sums[:, 1]
        t.best[0, 1] = -1
        c[:] = 0
        c[lv.C_N_NODES] = c[lv.C_N_LEAVES] = c[lv.C_LEVEL_COUNT] = 1
        if self._can_split(t, 0, 0, True):
            self._level_scan(t, [0], hist)

    def level_split(self, t, depth):
        c, ni, nf, best = t.counters, t.node_int, t.node_float, t.best
        first, count, n_nodes = c[lv.C_LEVEL_FIRST], c[lv.C_LEVEL_COUNT], c[lv.C_N_NODES]
        nodes = np.arange(first, first + count)
        batch = nodes[best[nodes, 1] >= 0]
        if t.max_leaves > 0:
            batch = batch[:t.max_leaves - c[lv.C_N_LEAVES]]
        for r, node in enumerate(batch):
            left = n_nodes + 2 * r
            ni[node, NODE_FEATURE], ni[node, NODE_BIN] = best[node, 1], best[node, 2]
            ni[node, NODE_DEFAULT_LEFT] = best[node, 3] > 0
            ni[node, NODE_LEFT], ni[node, NODE_RIGHT] = left, left + 1
            nf[node, NODE_GAIN] = best[node, 0]
            start, end = ni[node, NODE_START], ni[node, NODE_END]
            n_left = self.partition(t.X, t.rows, None, [start], [end], [ni[node, NODE_FEATURE]],
                                    [ni[node, NODE_BIN]], [ni[node, NODE_DEFAULT_LEFT]],
                                    t.missing_bin)[0]
            t.leaf_of_row[t.rows[start:start + n_left]] = left
            t.leaf_of_row[t.rows[start + n_left:end]] = left + 1
            for child, (lo, hi) in ((left, (start, start + n_left)),
                                    (left + 1, (start + n_left, end))):
                ni[child] = -1
                ni[child, NODE_DEFAULT_LEFT], ni[child, NODE_START], ni[child, NODE_END] = \
                    0, lo, hi
                nf[child, NODE_GAIN] = 0.0
                best[child, 1] = -1
            nf[left, 1:] = best[node, 4:]
            nf[left + 1, 1:] = nf[node, 1:] - best[node, 4:]
        t.batch[:batch.size] = batch
        c[lv.C_N_BATCH] = batch.size
        c[lv.C_N_LEAVES] += batch.size
        c[lv.C_PARENT_FIRST], c[lv.C_LEVEL_FIRST] = first, n_nodes
        c[lv.C_LEVEL_COUNT] = 2 * batch.size
        c[lv.C_N_NODES] = n_nodes + 2 * batch.size

    def level_children(self, t, gh, depth):
        c, ni = t.counters, t.node_int
        parent_hist, hist = t.hist_views[depth % 2], t.hist_views[(depth + 1) % 2]
        first, parent_first = c[lv.C_LEVEL_FIRST], c[lv.C_PARENT_FIRST]
        budget_left = t.max_leaves <= 0 or c[lv.C_N_LEAVES] < t.max_leaves
        scan = []
        for r in range(c[lv.C_N_BATCH]):
            left = first + 2 * r
            evaluate = [self._can_split(t, node, depth + 1, budget_left)
                        for node in (left, left + 1)]
            if not any(evaluate):
                continue
            count = ni[[left, left + 1], NODE_END] - ni[[left, left + 1], NODE_START]
            small, large = (left, left + 1) if count[0] <= count[1] else (left + 1, left)
            self.build_histograms(t.X, gh, t.rows, [small - first], [ni[small, NODE_START]],
                                  [ni[small, NODE_END]], hist)
            hist[large - first] = parent_hist[t.batch[r] - parent_first] - hist[small - first]
            scan += [node for node, ev in zip((left, left + 1), evaluate) if ev]
        self._level_scan(t, scan, hist)

    @staticmethod
    def _can_split(t, node, depth, budget_left):
        count = t.node_int[node, NODE_END] - t.node_int[node, NODE_START]
        H = t.node_float[node, 1 + t.K:].sum()
        mcw, mcs = t.split_params[3], t.split_params[4]
        return (budget_left and (t.max_depth <= 0 or depth < t.max_depth)
                and count >= 2 * mcs and H >= 2 * mcw)

    def _level_scan(self, t, nodes, hist):
        """Best splits of ``nodes`` (their histograms at node - level first) into t.best."""
        if not len(nodes):
            return
        nodes = np.asarray(nodes)
        first = t.counters[lv.C_LEVEL_FIRST]
        totals = np.empty((nodes.size, 2 * t.K + 1))
        totals[:, :-1] = t.node_float[nodes, 1:]
        totals[:, -1] = t.node_int[nodes, NODE_END] - t.node_int[nodes, NODE_START]
        mask_rows = nodes if t.per_node_masks else np.zeros(nodes.size, dtype=np.int64)
        t.best[nodes] = self.best_splits(hist, nodes - first, totals, t.masks, mask_rows,
                                         t.n_bins, t.split_params)

    def host_buffer(self, size):
        return np.empty(size)

    def copy_to_host(self, src, out):
        np.copyto(out, src)
