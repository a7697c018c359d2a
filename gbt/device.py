"""What the training loop does differently on a GPU (``device="cuda"``).

- The binned matrix is made and kept on the device (:func:`bin_on_device`); cut points come
  from the same host sketch as on the CPU, so the bins are the CPU's bins.
- :class:`Margins` holds the training margins where the gradients are computed: on the device
  when the objective has device gradients (:mod:`gbt._native.gpu.objectives`) and no hook that
  reads margins on the host (line search, leaf refit, per-round state, gradient sketch); else
  on the host, with each tree's gradients sent to the device and its leaves sent back.
- One CuPy memory pool per fit, emptied afterwards (:func:`device_memory`), and a clear error
  before anything is allocated when the data cannot fit (:func:`check_device_memory`).

On the CPU every function here is a no-op or the plain numpy path.
"""
from __future__ import annotations

import contextlib

import numpy as np
import scipy.sparse as sp

from ._native.backend import get_backend

# Rows binned per upload, so the float copy on the device stays small beside the bins.
BIN_BLOCK_ROWS = 1 << 20
# Histogram slots assumed for the memory estimate: the depthwise level loop keeps two levels'
# (2 x 128 for a 255-leaf tree of depth 8).
ESTIMATED_SLOTS = 256


@contextlib.contextmanager
def device_memory(device: str):
    """On a GPU, route the block's CuPy allocations through a pool of their own and free it
    afterwards, so a fit leaves no device memory behind."""
    if device != "cuda":
        yield
        return
    cp, _ = get_backend("cuda")
    pool = cp.cuda.MemoryPool()
    try:
        with cp.cuda.using_allocator(pool.malloc):
            yield
    except cp.cuda.memory.OutOfMemoryError as exc:
        raise MemoryError(f"device='cuda': the GPU ran out of memory during the fit ({exc}). "
                          "Use fewer rows, a smaller max_bin, or device='cpu'.") from None
    finally:
        pool.free_all_blocks()


def device_bytes_needed(n_rows, n_features, n_outputs, n_bins_total, bin_itemsize,
                        tree_width=None) -> int:
    """An estimate of the GPU memory a fit needs: bins, row buffers, margins, gradients and
    histogram slots."""
    tree_width = n_outputs if tree_width is None else tree_width
    bins = 2 * n_rows * n_features * bin_itemsize  # row-major, and feature-major for partitions
    upload = min(n_rows, BIN_BLOCK_ROWS) * n_features * 8
    rows = n_rows * (4 * 4 + 8)  # rows, scratch, leaf of row, flags; prefix sums
    margins = n_rows * n_outputs * (8 + 4 + 4) + n_rows * tree_width * 8
    hist = ESTIMATED_SLOTS * n_features * n_bins_total * tree_width * 16
    return bins + upload + rows + margins + hist


def check_device_memory(n_rows, n_features, n_outputs, mapper):
    """Raise MemoryError, saying how much is needed, when the fit cannot fit on the GPU."""
    cp, _ = get_backend("cuda")
    need = device_bytes_needed(n_rows, n_features, n_outputs, mapper.n_bins_total,
                               np.dtype(mapper.dtype).itemsize)
    free, total = cp.cuda.runtime.memGetInfo()
    free += cp.get_default_memory_pool().free_bytes()
    if need > free:
        raise MemoryError(
            f"device='cuda': training on {n_rows} rows x {n_features} features needs about "
            f"{need / 2**30:.2f} GiB of GPU memory; the GPU has {free / 2**30:.2f} GiB free "
            f"of {total / 2**30:.2f} GiB. Use fewer rows, a smaller max_bin, or device='cpu'.")


def bin_on_device(mapper, features, n_threads):
    """The (n, n_features) bins on the GPU: dense data is uploaded a block of rows at a time
    and binned there; sparse data is binned on the host and uploaded."""
    cp, kernels = get_backend("cuda")
    values = features.values
    if sp.issparse(values):
        return cp.asarray(mapper.transform(features, n_threads))
    cuts_flat, offsets = mapper._flat_cuts()
    d_cuts, d_offsets = cp.asarray(cuts_flat), cp.asarray(offsets)
    out = cp.empty(values.shape, dtype=mapper.dtype)
    for lo in range(0, values.shape[0], BIN_BLOCK_ROWS):
        block = cp.asarray(np.ascontiguousarray(values[lo:lo + BIN_BLOCK_ROWS]))
        kernels.bin_dense(block, d_cuts, d_offsets, mapper.missing_bin,
                          out[lo:lo + BIN_BLOCK_ROWS])
    return out


class Margins:
    """Training margins and their gradients, on the device or the host (module docstring)."""

    def __init__(self, device, objective, n_outputs, y, weight, hooks):
        self.objective, self.y_host, self.weight_host = objective, y, weight
        self.device_grad = None
        self.xp = np
        if device == "cuda":
            from ._native.gpu.objectives import device_grad_hess
            cp, self.kernels = get_backend("cuda")
            if not hooks:
                self.device_grad = device_grad_hess(objective, n_outputs, self.kernels)
            if self.device_grad is not None:
                self.xp = cp
                self.y = cp.asarray(np.asarray(y, dtype=np.float64))
                self.weight = None if weight is None else cp.asarray(weight, dtype=np.float64)
        self.on_device = self.xp is not np

    def put(self, raw_host):
        """The initial margins where this object keeps them."""
        return self.xp.asarray(raw_host) if self.on_device else raw_host

    def host(self, raw):
        return raw.get() if self.on_device else raw

    def grad_hess(self, raw, g, h):
        if self.on_device:
            self.device_grad(self.y, raw, self.weight, g, h)
        else:
            self.objective.grad_hess(self.y_host, raw, self.weight_host, g, h)

    def add_tree(self, grower, tree, first_output, move, X_device, missing_bin, sampled):
        """move[:, first_output:...] += the tree's value for every training row (GPU fit)."""
        k = self.kernels
        if not sampled:
            if self.on_device:
                k.add_leaf_values(grower.leaf_of_row_device, tree.value, first_output, move)
            else:
                _, cpu = get_backend("cpu")
                cpu.add_leaf_values(grower.leaf_of_row, tree.value, first_output, move)
            return
        cp = self.xp if self.on_device else get_backend("cuda")[0]
        if getattr(self, "_all_rows", None) is None:
            self._all_rows = cp.arange(X_device.shape[0], dtype=np.int32)
        rows = self._all_rows
        if self.on_device:
            k.predict_binned_tree(X_device, tree, missing_bin, rows, first_output, move)
        else:
            delta = cp.zeros((X_device.shape[0], tree.value.shape[1]))
            k.predict_binned_tree(X_device, tree, missing_bin, rows, 0, delta)
            move[:, first_output:first_output + delta.shape[1]] += delta.get()
