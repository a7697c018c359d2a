"""Reduced gradients for the split search of condensed multi-output trees (``split_grad``).

With K outputs a vector histogram costs K times a scalar one. SketchBoost (Iosipoi and
Vakhrushev, NeurIPS 2022) showed that the tree *structure* can be searched on a small sketch of
the (n, K) gradient matrix while the leaves still get the full Newton values; the grower does
exactly that when it is given both (see ``TreeGrower.grow(..., gh_leaves=)``).

Methods (``split_grad`` parameter; ``split_grad_dim`` = k, the sketch width):

- ``"top_k"``: the k outputs with the largest gradient norm this round, with their hessians.
- ``"random_projection"``: ``g R`` for a fresh Gaussian ``R`` of shape (K, k) scaled by
  ``1/sqrt(k)``; every projected column gets the row's mean hessian over outputs as curvature.
- ``"full"``: no sketch.
"""
from __future__ import annotations

import numpy as np

from ._native.cpu.sketch_grad import project_gradients

METHODS = ("full", "top_k", "random_projection")


def reduce_gradients(gh: np.ndarray, method: str, dim: int, rng: np.random.Generator,
                     out: np.ndarray) -> None:
    """Write a (n, dim, 2) sketch of ``gh`` (n, K, 2) into ``out`` (float32, C order)."""
    g = gh[:, :, 0]
    if method == "top_k":
        norms = np.einsum("ik,ik->k", g, g, dtype=np.float64)
        top = np.sort(np.argsort(-norms, kind="stable")[:dim])
        out[:] = gh[:, top, :]
    elif method == "random_projection":
        # A compiled kernel, not g @ R: one pass over gh, and no BLAS threads left spinning
        # beside the tree kernels' threads.
        R = rng.standard_normal((g.shape[1], dim)) / np.sqrt(dim)
        project_gradients(gh, R, out)
    else:
        raise ValueError(f"split_grad={method!r}: expected one of {METHODS}.")


def reduce_gradients_naive(gh, method, dim, R=None):
    """Reference for the tests: the same sketches written out plainly."""
    g, h = gh[:, :, 0].astype(np.float64), gh[:, :, 1].astype(np.float64)
    if method == "top_k":
        norms = (g ** 2).sum(axis=0)
        order = sorted(range(g.shape[1]), key=lambda k: (-norms[k], k))[:dim]
        return gh[:, sorted(order), :].astype(np.float64)
    out = np.empty((g.shape[0], dim, 2))
    out[:, :, 0] = g @ R
    out[:, :, 1] = h.mean(axis=1)[:, None]
    return out
