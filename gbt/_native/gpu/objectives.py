"""Gradients and hessians of the built-in losses on the device, for margins kept on the GPU.

:func:`device_grad_hess` returns ``fn(y, raw, weight, out_g, out_h)`` over CuPy arrays (the
objective protocol's ``grad_hess`` with the same formulas and float32 outputs) for the losses
written here, or None; the engine then computes the objective's own ``grad_hess`` on the host
and sends the gradients over each round (every objective works, the built-in elementwise ones
without that round trip).
"""
from __future__ import annotations

import functools

from ..cpu.objectives import MIN_HESSIAN
from . import require_cupy


@functools.lru_cache(maxsize=None)
def _logistic_kernel():
    cp = require_cupy()
    return cp.ElementwiseKernel(
        "float64 raw, float64 y, float64 w, float64 spw", "float32 g, float32 h",
        f"""
        const double p = 1.0 / (1.0 + exp(-raw));
        const double f = y == 1.0 ? spw : 1.0;
        g = (float)((p - y) * f * w);
        h = (float)(fmax(p * (1.0 - p), {MIN_HESSIAN!r}) * f * w);
        """, "gbt_logistic_grad_hess")


def _squared_error(y, raw, weight, out_g, out_h):
    Y = y[:, None] if y.ndim == 1 else y
    if weight is None:
        out_g[...] = raw - Y
        out_h[...] = 1.0
    else:
        w = weight[:, None]
        out_g[...] = (raw - Y) * w
        out_h[...] = w


def _logistic(scale_pos_weight):
    def grad_hess(y, raw, weight, out_g, out_h):
        w = 1.0 if weight is None else weight
        _logistic_kernel()(raw[:, 0], y, w, float(scale_pos_weight), out_g[:, 0], out_h[:, 0])
    return grad_hess


def _softmax(kernels):
    def grad_hess(y, raw, weight, out_g, out_h):
        kernels.softmax_grad_hess(raw, y, weight, out_g, out_h)
    return grad_hess


def device_grad_hess(objective, n_outputs: int, kernels):
    """A device ``grad_hess`` for ``objective`` or None (see the module docstring)."""
    name = getattr(objective, "name", None)
    if name == "reg:squarederror":
        return _squared_error
    if name == "binary:logistic" and n_outputs == 1:
        return _logistic(getattr(objective, "scale_pos_weight", 1.0))
    if name == "multi:softprob":
        return _softmax(kernels)
    return None
