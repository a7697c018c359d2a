"""numpy stand-ins for :class:`gbt._native.gpu.kernels.CudaKernels` (same signatures, host
arrays), so the GPU tree loop's bookkeeping runs and is checked on machines without a GPU, and
the CUDA kernels have a plain reference to be compared with."""
from __future__ import annotations

import numpy as np

from gbt._native.cpu.split import find_best_split, scan_work_rows


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
