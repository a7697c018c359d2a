"""Launchers for the CUDA kernels in ``kernels.cu``: the GPU twins of ``gbt/_native/cpu``.

The sources (``kernels.cu``, then ``levels.cu``, which uses its helpers) are compiled as one
module through CuPy's ``RawModule`` on first use, with every template instantiated for each
(feature dtype, bin dtype) combination, and cached in memory here and on disk by CuPy. Every
launcher takes CuPy arrays in the layouts of the CPU kernels (see ``kernels.cu``) and returns
device arrays, except where it says a result comes back to the host. The host-driven tree
loop's launchers work on a batch of leaves at once (see ``grow.py``); the ``level_*``
launchers run the device-resident depthwise loop (``levels.py``).
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from ..cpu.predict import BreadthFirstLayout
from . import require_cupy

_SOURCES = [Path(__file__).with_name(name) for name in ("kernels.cu", "levels.cu")]
_C_TYPES = {np.dtype(np.uint8): "unsigned char", np.dtype(np.uint16): "unsigned short",
            np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
_PLAIN = ("zero_slots", "subtract_slots", "scan_features", "select_splits",
          "partition_place", "copy_blocks", "leaf_of_rows", "add_leaf_values",
          "softmax_grad_hess", "level_start", "level_open_root", "level_plan_splits",
          "level_partition_place", "level_plan_children", "level_zero_hist",
          "level_subtract", "level_scan", "level_select")
BLOCK = 256
# Rows one histogram block of the host-driven loop reads; enough work per block to amortise
# zeroing its shared tile (the level loop splits a level's rows over one wave of blocks).
HIST_ROWS_PER_BLOCK = 2048
# ... but no more than about this many blocks per feature tile on large batches.
HIST_MAX_BLOCKS = 1024
# Row positions one partition block places: small enough for many blocks in flight (each
# position's loads wait on the one before: rows, then the row's bin).
PARTITION_ROWS_PER_BLOCK = 1024
# Shared memory a histogram block may use without opting in to more (the CUDA default).
HIST_SHARED_BYTES = 48 * 1024
# Rows per block of predict_raw, and the bytes of rows it copies to the GPU at a time.
PREDICT_ROWS_PER_BLOCK = 128
PREDICT_CHUNK_BYTES = 16 << 20
TIE_RTOL = 1e-6  # gbt/_native/cpu/split.py::TIE_RTOL
# Threads of the one-block planning kernels of the level loop.
PLAN_THREADS = 256


def _expr(name, *dtypes):
    return f"{name}<{', '.join(_C_TYPES[np.dtype(d)] for d in dtypes)}>"


@functools.lru_cache(maxsize=None)
def _module():
    """The compiled module, every template instantiated for every feature and bin dtype (one
    NVRTC compile per process; CuPy keeps the binary in its on-disk kernel cache)."""
    cp = require_cupy()
    names = list(_PLAIN)
    for bin_dtype in (np.uint8, np.uint16):
        names += [_expr("build_hist", bin_dtype), _expr("partition_count", bin_dtype),
                  _expr("predict_binned_tree", bin_dtype),
                  _expr("level_partition_count", bin_dtype), _expr("level_build_hist", bin_dtype)]
        for float_dtype in (np.float32, np.float64):
            names.append(_expr("bin_dense", float_dtype, bin_dtype))
    names += [_expr("predict_raw", np.float32), _expr("predict_raw", np.float64)]
    code = "\n".join(source.read_text() for source in _SOURCES)
    return cp.RawModule(code=code, options=("-std=c++17",),
                        name_expressions=names)


@functools.lru_cache(maxsize=None)
def _fn(name, template=()):
    """A kernel of the module; ``template`` gives the dtypes of a templated one."""
    return _module().get_function(_expr(name, *template) if template else name)


def _hist_tiles(n_features, n_bins_total, K):
    """(features per tile, tiles, use_shared, shared bytes) of a histogram launch: a block
    accumulates as many features as fit in HIST_SHARED_BYTES of shared memory (in global
    memory when not even one does)."""
    per_feature = n_bins_total * K * 2 * 8
    f_tile = min(n_features, HIST_SHARED_BYTES // per_feature)
    if f_tile == 0:
        return n_features, 1, 0, 0
    return f_tile, (n_features + f_tile - 1) // f_tile, 1, f_tile * per_feature


def _scan_shared_bytes(K):
    """Shared memory of scan_feature: carry[2K], warp sums[32], reduction scratch."""
    return (2 * K + 96) * 8 + 32 * 4


@functools.lru_cache(maxsize=None)
def _device_limits():
    """(multiprocessors, shared memory bytes per multiprocessor) of the current device."""
    cp = require_cupy()
    props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
    return props["multiProcessorCount"], props["sharedMemPerMultiprocessor"]


def _one_wave(n):
    """Blocks of BLOCK threads for n items (grid-stride), at most one wave of the device."""
    return (max(1, min((int(n) + BLOCK - 1) // BLOCK,
                       _device_limits()[0] * (2048 // BLOCK))),)


def _grid(n):
    return (max(1, (int(n) + BLOCK - 1) // BLOCK),)


def _blocks(lo, hi, per_block):
    """Cut each segment [lo[j], hi[j]) into blocks of at most ``per_block`` positions.
    Returns (segment of each block, block lo, block hi, first block of each segment, blocks
    of each segment); an empty segment gets one empty block."""
    if (hi - lo).max() <= per_block:  # deep levels: one block per segment
        one = np.arange(lo.size)
        return one, lo, hi, one, np.ones(lo.size, dtype=np.int64)
    n_blk = np.maximum(1, (hi - lo + per_block - 1) // per_block)
    first = np.cumsum(n_blk) - n_blk
    seg = np.repeat(np.arange(lo.size), n_blk)
    blk_lo = lo[seg] + (np.arange(seg.size) - first[seg]) * per_block
    blk_hi = np.minimum(blk_lo + per_block, hi[seg])
    return seg, blk_lo, blk_hi, first, n_blk


def _grid_stride(n):
    """Blocks for a grid-stride loop over ``n`` items (enough to fill the device)."""
    return (max(1, min((int(n) + BLOCK - 1) // BLOCK, 8192)),)


def _i32(v):
    return np.int32(v)


def _i64(v):
    return np.int64(v)


def _predict_tile(n_features, itemsize):
    """(rows per block, tile stride) of predict_raw: a block stages its rows in shared memory
    (the CUDA default of HIST_SHARED_BYTES) when at least 32 fit, rows an odd number of values
    apart so that neighbouring threads' reads fall in different banks; else stride 0, and the
    walks read the rows from global memory."""
    stride = n_features | 1
    rows = PREDICT_ROWS_PER_BLOCK
    while rows > 32 and rows * stride * itemsize > HIST_SHARED_BYTES:
        rows //= 2
    if rows * stride * itemsize > HIST_SHARED_BYTES:
        return PREDICT_ROWS_PER_BLOCK, 0
    return rows, stride


def node_records(packed):
    """(n_nodes, 2) float64: each tree's nodes as the 16-byte records ``predict_raw`` walks
    (layout in kernels.cu), renumbered breadth-first so that a node's children are adjacent
    (left, then right). The value of a leaf rides in its record; vector leaves keep their
    node index into ``packed.value``."""
    at = BreadthFirstLayout(packed.left, packed.right, packed.tree_offsets)
    leaf = packed.left == -1
    width = packed.tree_width[at.tree].astype(np.int64)
    first_value = packed.value[packed.value_offsets[:-1][at.tree] + at.own * width]
    meta = packed.feature.astype(np.int64) | (packed.default_left.astype(np.int64) << 31)
    records = np.zeros((packed.left.size, 2), dtype=np.float64)
    words = records.view(np.uint32)  # (n_nodes, 4): threshold/value, then lo and hi words
    records[at.dest, 0] = np.where(leaf, first_value, packed.threshold)[at.reached]
    words[at.dest, 2] = np.where(leaf, 0xFFFFFFFF, meta)[at.reached].astype(np.uint32)
    words[at.dest, 3] = np.where(leaf, at.own, at.left_place)[at.reached].astype(np.uint32)
    return records


class CudaKernels:
    """The device kernels the GPU tree loop and engine call (CuPy arrays in and out)."""

    def __init__(self):
        self.cp = require_cupy()
        self._buffers = {}

    # ------------------------------------------------------------ binning
    def bin_dense(self, X, cuts_flat, cut_offsets, missing_bin, out):
        """out[i, j] = the bin of X[i, j] (NaN -> missing_bin); X C-contiguous on the device."""
        cp = self.cp
        X = cp.ascontiguousarray(X)
        total = X.size
        fn = _fn("bin_dense", template=(X.dtype, out.dtype))
        grid = (min(max(1, (total + BLOCK - 1) // BLOCK), 65535 * 4),)
        fn(grid, (BLOCK,), (X, _i64(X.shape[0]), _i32(X.shape[1]), cuts_flat, cut_offsets,
                            _i32(missing_bin), out))

    # ------------------------------------------------------------ histograms
    # Each launcher sends what its kernels need as one packed array: one host-to-device copy
    # per step of a batch, since every copy from pageable memory waits for the device.
    def build_histograms(self, X, gh, rows, seg_slot, seg_lo, seg_hi, pool, sub_parent=(),
                         sub_small=()):
        """pool[seg_slot[j]] = histogram of rows[seg_lo[j]:seg_hi[j]] for every j, then
        pool[sub_parent[i]] -= pool[sub_small[i]] (the larger siblings)."""
        cp = self.cp
        seg_slot, seg_lo, seg_hi = (np.asarray(a, dtype=np.int64) for a in (seg_slot, seg_lo,
                                                                             seg_hi))
        n_seg, n_sub = seg_slot.size, len(sub_parent)
        if n_seg == 0:
            return
        # Every block zeroes and flushes a whole shared tile: on large batches, fewer and
        # longer blocks (about HIST_MAX_BLOCKS per tile) keep that cost small beside the rows.
        per_block = max(HIST_ROWS_PER_BLOCK, -(-int((seg_hi - seg_lo).sum()) // HIST_MAX_BLOCKS))
        seg, blk_lo, blk_hi, _, _ = _blocks(seg_lo, seg_hi, per_block)
        n_blocks = seg.size
        plan = cp.asarray(np.concatenate([blk_lo, blk_hi, seg_slot[seg], seg_slot,
                                          np.asarray(sub_parent, dtype=np.int64),
                                          np.asarray(sub_small, dtype=np.int64)]))
        d_lo, d_hi, d_slot = plan[:n_blocks], plan[n_blocks:2 * n_blocks], \
            plan[2 * n_blocks:3 * n_blocks]
        d_zero = plan[3 * n_blocks:3 * n_blocks + n_seg]
        d_parent = plan[3 * n_blocks + n_seg:3 * n_blocks + n_seg + n_sub]
        d_small = plan[3 * n_blocks + n_seg + n_sub:]
        n_features = X.shape[1]
        n_bins_total, K = pool.shape[2], pool.shape[3]
        slot_size = n_features * n_bins_total * K * 2
        _fn("zero_slots")(_grid_stride(n_seg * slot_size), (BLOCK,),
                          (pool, d_zero, _i32(n_seg), _i64(slot_size)))
        f_tile, tiles, use_shared, shared = _hist_tiles(n_features, n_bins_total, K)
        _fn("build_hist", template=(X.dtype,))(
            (n_blocks, tiles), (BLOCK,),
            (X, _i32(n_features), gh, _i32(K), rows, d_lo, d_hi, d_slot, _i32(n_bins_total),
             _i32(f_tile), _i32(use_shared), pool),
            shared_mem=shared)
        if n_sub:
            _fn("subtract_slots")(_grid_stride(n_sub * slot_size), (BLOCK,),
                                  (pool, d_parent, d_small, _i32(n_sub), _i64(slot_size)))

    # ------------------------------------------------------------ split search
    def best_splits(self, pool, slots, totals, masks, mask_rows, n_bins, split_params):
        """Split rows (m, 4 + 2K) on the host for the nodes whose histograms sit in ``slots``.

        totals : (m, 2K + 1) host float64, node (G[K], H[K], row count)
        masks : (n_mask_rows, n_features) device uint8; mask_rows : (m,) host, row per node
        """
        cp = self.cp
        m = len(slots)
        n_features, n_bins_total, K = pool.shape[1], pool.shape[2], pool.shape[3]
        width = 2 * K + 1
        plan = cp.asarray(np.concatenate([np.asarray(totals, dtype=np.float64).ravel(),
                                          np.asarray(slots, dtype=np.float64),
                                          np.asarray(mask_rows, dtype=np.float64)]))
        d_tot, d_slots, d_mask = plan[:m * width], plan[m * width:m * width + m], \
            plan[m * width + m:]
        per_feature = cp.empty((m, n_features, 3))
        shared = _scan_shared_bytes(K)
        _fn("scan_features")((m, n_features), (BLOCK,),
                             (pool, d_slots, d_tot, masks, d_mask, n_bins, _i32(n_features),
                              _i32(n_bins_total), _i32(K), split_params, per_feature),
                             shared_mem=shared)
        out = cp.empty((m, 4 + 2 * K))
        _fn("select_splits")((m,), (32,),
                             (per_feature, pool, d_slots, _i32(m), _i32(n_features),
                              _i32(n_bins_total), _i32(K), split_params, np.float64(TIE_RTOL),
                              out))
        return out.get()

    # ------------------------------------------------------------ partition
    def partition(self, X, rows, rows_tmp, starts, ends, features, bins, default_left,
                  missing_bin):
        """Stable-partition each segment rows[starts[j]:ends[j]] into rows going left (bin <=
        bins[j], or missing and default_left[j]) then right. Returns the left counts (host)."""
        cp = self.cp
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        m = starts.size
        seg, blk_lo, blk_hi, first, n_blk = _blocks(starts, ends, PARTITION_ROWS_PER_BLOCK)
        nb = seg.size
        plan = cp.asarray(np.concatenate([
            seg, blk_lo, blk_hi, starts, first, n_blk, np.asarray(features, np.int64),
            np.asarray(bins, np.int64), np.asarray(default_left, np.int64)]))
        d_seg, d_lo, d_hi = plan[:nb], plan[nb:2 * nb], plan[2 * nb:3 * nb]
        d_start, d_first, d_nblk, d_feat, d_bin, d_dl = (
            plan[3 * nb + i * m:3 * nb + (i + 1) * m] for i in range(6))
        flags = self._scratch("flags", rows.size, cp.int32)
        blk_count = cp.empty(nb, dtype=cp.int64)
        seg_left = cp.empty(m, dtype=cp.int64)
        _fn("partition_count", template=(X.dtype,))(
            (nb,), (BLOCK,), (X, _i32(X.shape[1]), rows, d_seg, d_lo, d_hi, d_feat, d_bin,
                              d_dl, _i32(missing_bin), flags, blk_count))
        _fn("partition_place")((nb,), (BLOCK,), (rows, d_seg, d_lo, d_hi, d_start, d_first,
                                                 d_nblk, flags, blk_count, rows_tmp, seg_left))
        _fn("copy_blocks")((nb,), (BLOCK,), (rows_tmp, d_lo, d_hi, rows))
        return seg_left.get()

    # ------------------------------------------------------------ depthwise level loop
    # Launchers of levels.cu on a gbt._native.gpu.levels.LevelTables ``t``: none waits for the
    # device or sends anything to it, so a whole tree is queued without a round trip.
    def level_root(self, t, gh, m):
        """The root of rows t.rows[:m]: its tables, histogram and best split."""
        K = t.K
        _fn("level_start")((1,), (1,), (
            t.counters, t.node_int, t.best, _i64(m), t.hist_node, t.hist_pos, t.hist_first))
        root_hist = t.hist_views[0]
        self._level_histograms(t, gh, root_hist, max_segments=1)
        _fn("level_open_root")((1,), (BLOCK,), (
            t.counters, t.node_int, t.node_float, root_hist, _i32(t.n_bins_total), _i32(K),
            t.split_params, _i32(t.max_depth), t.scan_nodes))
        self._level_splits(t, root_hist, max_nodes=1)

    def level_split(self, t, depth):
        """Split the open leaves of the level at ``depth`` (node-id order, leaf budget):
        partition their rows and open their children."""
        part_rows = _i64(PARTITION_ROWS_PER_BLOCK)
        # Partition blocks of a level: at most rows / PARTITION_ROWS_PER_BLOCK + one per node.
        grid = (t.rows.size // PARTITION_ROWS_PER_BLOCK + 1 + max(1, t.max_batch),)
        blk_count = self._scratch("level_blk_count", grid[0], self.cp.int64)
        _fn("level_plan_splits")((1,), (PLAN_THREADS,), (
            t.counters, t.node_int, t.node_float, t.best, _i32(t.K), _i32(t.max_leaves),
            part_rows, t.batch, t.part_first))
        plan = (t.counters, t.batch, t.part_first)
        _fn("level_partition_count", template=(t.X.dtype,))(grid, (BLOCK,), (
            t.X_T, _i64(t.rows.size), t.rows, *plan, t.node_int, part_rows,
            _i32(t.missing_bin), t.flags, blk_count))
        _fn("level_partition_place")(grid, (BLOCK,), (
            t.rows, *plan, t.node_int, t.node_float, t.best, _i32(t.K), part_rows, t.flags,
            blk_count, t.rows_tmp, t.leaf_of_row))
        t.rows, t.rows_tmp = t.rows_tmp, t.rows  # the batch's rows, in their children's order

    def level_children(self, t, gh, depth):
        """Histograms and best splits of the children of the batch split at ``depth``."""
        parent_hist, hist = t.hist_views[depth % 2], t.hist_views[(depth + 1) % 2]
        _fn("level_plan_children")((1,), (PLAN_THREADS,), (
            t.counters, t.node_int, t.node_float, t.batch, _i32(t.K), t.split_params,
            _i32(depth + 1), _i32(t.max_depth), _i32(t.max_leaves), t.hist_node, t.hist_pos,
            t.hist_first, t.sub_parent_pos,
            t.sub_large_pos, t.scan_nodes))
        pairs = max(1, t.max_batch)
        self._level_histograms(t, gh, hist, max_segments=pairs)
        slot_size = _i64(hist[0].size)
        _fn("level_subtract")(_one_wave(pairs * hist[0].size), (BLOCK,), (
            t.counters, t.hist_pos, t.sub_parent_pos, t.sub_large_pos, parent_hist, slot_size,
            hist))
        self._level_splits(t, hist, max_nodes=t.max_hist)

    def _level_histograms(self, t, gh, out, max_segments):
        """Zero and build the histograms of the level's plan (hist_node, hist_pos, ...)."""
        slot_size = out[0].size
        _fn("level_zero_hist")(_one_wave(max_segments * slot_size), (BLOCK,), (
            t.counters, t.hist_pos, _i64(slot_size), out))
        f_tile, tiles, use_shared, shared = _hist_tiles(t.n_features, t.n_bins_total, t.K)
        # One wave of blocks: as many as the multiprocessors hold at once with that much
        # shared memory each (levels.cu splits the level's rows evenly among them).
        per_sm = min(2048 // BLOCK, _device_limits()[1] // (shared + 1024))
        _fn("level_build_hist", template=(t.X.dtype,))(
            (max(1, _device_limits()[0] * per_sm // tiles), tiles), (BLOCK,),
            (t.X, _i32(t.n_features), gh, _i32(t.K), t.rows, t.counters, t.node_int,
             t.hist_node, t.hist_pos, t.hist_first, _i32(t.n_bins_total), _i32(f_tile),
             _i32(use_shared), out), shared_mem=shared)

    def _level_splits(self, t, hist, max_nodes):
        """Best splits of the nodes in the level's scan list into t.best."""
        _fn("level_scan")(_one_wave(max_nodes * t.n_features * BLOCK), (BLOCK,), (
            t.counters, t.scan_nodes, t.node_int, t.node_float, hist, t.masks,
            _i32(t.per_node_masks), t.n_bins, _i32(t.n_features), _i32(t.n_bins_total),
            _i32(t.K), t.split_params, t.per_feature), shared_mem=_scan_shared_bytes(t.K))
        _fn("level_select")((max_nodes,), (32,), (
            t.counters, t.scan_nodes, t.per_feature, hist, _i32(t.n_features),
            _i32(t.n_bins_total), _i32(t.K), t.split_params, np.float64(TIE_RTOL), t.best))

    def host_buffer(self, size):
        """A page-locked float64 host buffer: device copies into it need no staging."""
        import cupyx
        return cupyx.empty_pinned(size, dtype=np.float64)

    def copy_to_host(self, src, out):
        """out[:] = src (device to host), waiting for the copy."""
        src.get(out=out)

    def _scratch(self, name, size, dtype):
        """A device buffer kept between calls (grown when too small)."""
        buf = self._buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self.cp.empty(size, dtype=dtype)
            self._buffers[name] = buf
        return buf

    # ------------------------------------------------------------ margins and prediction
    def leaf_of_rows(self, rows, n_pos, leaf_starts, leaf_ids, out):
        """out[rows[pos]] = the leaf whose segment holds pos; segments sorted by start."""
        cp = self.cp
        n = len(leaf_ids)
        plan = cp.asarray(np.concatenate([np.asarray(leaf_starts, dtype=np.int64),
                                          np.asarray(leaf_ids, dtype=np.int64)]))
        _fn("leaf_of_rows")(_grid(n_pos), (BLOCK,), (rows, _i64(n_pos), plan[:n], plan[n:],
                                                     _i32(n), out))

    def add_leaf_values(self, leaf_of_row, node_values, first_output, out):
        """out[r, first:first + width] += node_values[leaf_of_row[r]] (rows with a leaf)."""
        cp = self.cp
        values = cp.asarray(np.ascontiguousarray(node_values, dtype=np.float64))
        _fn("add_leaf_values")(_grid(out.shape[0]), (BLOCK,),
                               (leaf_of_row, _i64(out.shape[0]), values, _i32(values.shape[1]),
                                _i32(first_output), _i32(out.shape[1]), out))

    def predict_binned_tree(self, X, tree, missing_bin, rows, first_output, out):
        """Add ``tree``'s leaf values to out[rows, first:first + width] walking binned X."""
        cp = self.cp
        arrays = [cp.asarray(np.ascontiguousarray(a, dtype=np.int32))
                  for a in (tree.feature, tree.threshold_bin, tree.left, tree.right)]
        dl = cp.asarray(tree.default_left.astype(np.uint8))
        values = cp.asarray(np.ascontiguousarray(tree.value, dtype=np.float64))
        _fn("predict_binned_tree", template=(X.dtype,))(
            _grid(rows.size), (BLOCK,),
            (X, _i32(X.shape[1]), arrays[0], arrays[1], dl, arrays[2], arrays[3], values,
             _i32(values.shape[1]), _i32(missing_bin), rows, _i64(rows.size),
             _i32(first_output), _i32(out.shape[1]), out))

    def predict_raw(self, X, forest, out):
        """Add the forest's raw scores to ``out`` (n, n_outputs) float64; X float32/float64.

        ``forest`` is a dict of device arrays (see :func:`device_forest`)."""
        cp = self.cp
        X = cp.ascontiguousarray(X)
        rows, stride = _predict_tile(X.shape[1], X.itemsize)
        _fn("predict_raw", template=(X.dtype,))(
            ((X.shape[0] + rows - 1) // rows,), (rows,),
            (X, _i64(X.shape[0]), _i32(X.shape[1]), _i32(stride), forest["nodes"],
             forest["value"], forest["value_offsets"], forest["tree_offsets"],
             forest["tree_output"], forest["tree_width"], _i32(forest["n_trees"]),
             _i32(out.shape[1]), out), shared_mem=rows * stride * X.itemsize)

    def predict_raw_from_host(self, X, forest, out):
        """:meth:`predict_raw` for host rows, adding into host ``out``. The rows go up in
        chunks on two streams, so that one chunk's walk overlaps the next chunk's copy."""
        cp = self.cp
        X = np.ascontiguousarray(X)
        d_out = cp.zeros(out.shape)  # on the legacy stream, which the streams below wait for
        step = max(1, PREDICT_CHUNK_BYTES // max(1, X.shape[1] * X.itemsize))
        streams = (cp.cuda.Stream(), cp.cuda.Stream())
        for i, lo in enumerate(range(0, X.shape[0], step)):
            with streams[i % 2]:
                self.predict_raw(cp.asarray(X[lo:lo + step]), forest, d_out[lo:lo + step])
        for stream in streams:
            stream.synchronize()
        out += d_out.get()

    def device_forest(self, packed):
        """Device copies of a :class:`gbt.predict.PackedForest`'s arrays, its nodes as the
        records :meth:`predict_raw` walks (see :func:`node_records`)."""
        cp = self.cp
        return {
            "nodes": cp.asarray(node_records(packed)), "value": cp.asarray(packed.value),
            "value_offsets": cp.asarray(packed.value_offsets),
            "tree_offsets": cp.asarray(packed.tree_offsets),
            "tree_output": cp.asarray(packed.tree_output),
            "tree_width": cp.asarray(packed.tree_width), "n_trees": packed.n_trees,
        }

    # ------------------------------------------------------------ objectives
    def softmax_grad_hess(self, raw, label, weight, out_g, out_h):
        cp = self.cp
        n, K = raw.shape
        w = weight if weight is not None else cp.zeros(1)
        _fn("softmax_grad_hess")(_grid(n), (BLOCK,),
                                 (cp.ascontiguousarray(raw), label, w,
                                  _i32(weight is not None), _i64(n), _i32(K), out_g, out_h))
