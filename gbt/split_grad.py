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


class GradientSketch:
    """What a condensed tree's split search sees each round: the full (n, K, 2) gradients, the
    ``split_grad`` parameter's sketch, or the objective's own ``split_grad(g, h) -> (g', h')``
    (DESIGN.md section 4), which wins when the objective defines it."""

    def __init__(self, objective, params: dict, tree_width: int, n_rows: int):
        condensed = tree_width > 1
        self.hook = getattr(objective, "split_grad", None) if condensed else None
        # An objective's own sketch may also come as split_grad_into(gh, out): the same
        # result written straight into the (n, k, 2) float32 layout, trusted to be finite
        # (a built-in, not a user's hook: it skips the conversions and checks below).
        self.hook_into = getattr(objective, "split_grad_into", None) if self.hook else None
        self.method = params["split_grad"] if condensed else "full"
        self.dim = min(tree_width, params["split_grad_dim"])
        self.by_param = self.hook is None and self.method != "full" and self.dim < tree_width
        self._out = np.empty((n_rows, self.dim, 2), dtype=np.float32) if self.by_param \
            else None

    @property
    def active(self) -> bool:
        return self.hook is not None or self.by_param

    def __call__(self, gh: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The search gradients for this round: ``gh`` itself when there is no sketch."""
        if self.by_param:
            reduce_gradients(gh, self.method, self.dim, rng, self._out)
            return self._out
        if self.hook is None:
            return gh
        if self.hook_into is not None:
            if self._out is None or self._out.shape != gh.shape:
                self._out = np.empty_like(gh)
            self.hook_into(gh, self._out)
            return self._out
        g, h = (np.asarray(a, dtype=np.float64) for a in self.hook(gh[:, :, 0], gh[:, :, 1]))
        if g.ndim != 2 or g.shape != h.shape or g.shape[0] != gh.shape[0]:
            raise ValueError(f"objective.split_grad must return two (n_samples, k) arrays; got "
                             f"shapes {g.shape} and {h.shape}.")
        if not (np.isfinite(g).all() and np.isfinite(h).all()):
            raise ValueError("objective.split_grad returned NaN or inf.")
        out = np.empty((g.shape[0], g.shape[1], 2), dtype=np.float32)
        out[:, :, 0] = g
        out[:, :, 1] = h
        return out
