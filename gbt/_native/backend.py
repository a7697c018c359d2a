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
        build_histogram=histogram.build_histogram,
        subtract_histogram=histogram.subtract_histogram,
        find_best_split=split.find_best_split,
        find_best_split_pair=split.find_best_split_pair, leaf_weights=split.leaf_weights,
        partition_rows=partition.partition_rows, grow_tree=grow.grow_tree,
        predict_raw=predict.predict_raw, predict_leaf=predict.predict_leaf,
        predict_binned_tree=predict.predict_binned_tree,
        add_leaf_values=predict.add_leaf_values,
        predict_raw_categorical=predict.predict_raw_categorical,
        predict_leaf_categorical=predict.predict_leaf_categorical,
        predict_binned_tree_categorical=predict.predict_binned_tree_categorical,
    )
    return np, kernels


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
