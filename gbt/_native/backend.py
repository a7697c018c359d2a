"""The one place that picks the compute backend and sets the thread count for kernels."""
from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np


def get_backend(device: str = "cpu"):
    """Return ``(xp, kernels)`` for ``device``; only ``"cpu"`` is built so far."""
    if device != "cpu":
        raise NotImplementedError(f"device={device!r}: only the CPU backend is built; the CuPy "
                                  "GPU backend is a later issue.")
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
