"""The one place that picks the compute backend and sets the thread count for kernels."""
from __future__ import annotations

import contextlib
import warnings
from types import SimpleNamespace

import numpy as np


def resolve_device(device: str) -> str:
    """``"cpu"`` or ``"cuda"`` for a ``device`` parameter value.

    ``"cuda"`` (or ``"gpu"``) raises a RuntimeError naming the reason when CuPy or a CUDA device
    is missing; ``"auto"`` then falls back to the CPU with a warning.
    """
    if device == "cpu":
        return "cpu"
    from . import gpu
    if device in ("cuda", "gpu"):
        gpu.require_cupy()
        return "cuda"
    if device == "auto":
        if gpu.cuda_available():
            return "cuda"
        warnings.warn(f"device='auto': no usable GPU ({gpu._probe()[1]}); training on the "
                      "CPU.", RuntimeWarning, stacklevel=3)
        return "cpu"
    raise ValueError(f"device={device!r}: expected 'cpu', 'cuda', 'gpu' or 'auto'.")


def prediction_device(device: str) -> str:
    """The device a model predicts on: its training device when that is usable here, else the
    CPU (a model trained on a GPU predicts the same on a machine without one)."""
    if device in ("cuda", "gpu", "auto"):
        from . import gpu
        return "cuda" if gpu.cuda_available() else "cpu"
    return "cpu"


def get_backend(device: str = "cpu"):
    """Return ``(xp, kernels)`` for ``device`` (``"cpu"``: numpy and the Numba kernels;
    ``"cuda"``: CuPy and :class:`gbt._native.gpu.kernels.CudaKernels`)."""
    if device == "cuda":
        from .gpu import require_cupy
        from .gpu.kernels import CudaKernels
        return require_cupy(), CudaKernels()
    if device != "cpu":
        raise ValueError(f"device={device!r}: expected 'cpu' or 'cuda' (see resolve_device).")
    from .cpu import binning, grow, histogram, partition, predict, split
    kernels = SimpleNamespace(
        bin_dense=binning.bin_dense, bin_csc=binning.bin_csc,
        few_distinct_values=binning.few_distinct_values,
        equal_weight_bins=binning.equal_weight_bins,
        build_histogram=histogram.build_histogram,
        subtract_histogram=histogram.subtract_histogram,
        find_best_split=split.find_best_split,
        find_best_split_pair=split.find_best_split_pair, leaf_weights=split.leaf_weights,
        partition_rows=partition.partition_rows, grow_tree=grow.grow_tree,
        predict_raw=predict.predict_raw, predict_raw_sparse=predict.predict_raw_sparse,
        predict_leaf=predict.predict_leaf,
        predict_binned_tree=predict.predict_binned_tree,
        add_leaf_values=predict.add_leaf_values,
        predict_raw_categorical=predict.predict_raw_categorical,
        predict_leaf_categorical=predict.predict_leaf_categorical,
        predict_binned_tree_categorical=predict.predict_binned_tree_categorical,
    )
    return np, kernels


# A fit on fewer (row x feature) cells than this per thread runs its kernels on fewer threads:
# waking threads for a few microseconds of work costs more than it saves, and on a busy
# machine every parallel region also waits for whichever thread was descheduled (a 9,600-row
# NGBoost fit took 5x longer on two threads than on one while another process ran).
MIN_CELLS_PER_THREAD = 100_000


def threads_for_size(n_threads: int, n_cells: int) -> int:
    """Threads worth starting for a fit on ``n_cells`` = rows x features: ``n_threads``, capped
    at one per ``MIN_CELLS_PER_THREAD`` cells. Only the threads change: kernels still split
    the work into ``n_threads`` chunks, so the model is the same."""
    return max(1, min(int(n_threads), int(n_cells) // MIN_CELLS_PER_THREAD))


def fit_threads(n_threads: int, n_rows: int, n_features: int) -> tuple[int, int]:
    """``(threads, tree_chunks)`` for a fit asked to use ``n_threads``: the threads to start
    (:func:`threads_for_size`) and the row chunks the tree kernels split work into. On one
    thread, data too small for any node's histogram to be built in row chunks (the only
    kernel whose sums depend on the chunk count) is grown in one chunk: the same model,
    without a parallel region's cost per kernel call."""
    from .cpu.histogram import ROW_CHUNK_MIN_ROWS
    threads = threads_for_size(n_threads, n_rows * n_features)
    one_chunk = threads == 1 and n_rows < ROW_CHUNK_MIN_ROWS
    return threads, 1 if one_chunk else int(n_threads)


def round_workers(n_threads: int, n_rows: int, n_features: int) -> int:
    """Threads that grow a round's independent trees (one per output) side by side, each
    tree's kernels on one row chunk (see :mod:`gbt.rounds`): the threads :func:`fit_threads`
    starts, on data too small for any node's histogram to be built in row chunks, where the
    chunk count cannot change a tree; else 1 (one tree at a time, kernels in parallel)."""
    from .cpu.histogram import ROW_CHUNK_MIN_ROWS
    threads = threads_for_size(n_threads, n_rows * n_features)
    return threads if n_rows < ROW_CHUNK_MIN_ROWS else 1


@contextlib.contextmanager
def use_threads(n_threads: int):
    """Run Numba parallel kernels on at most ``n_threads`` threads inside the block."""
    import numba
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n_threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(previous)
