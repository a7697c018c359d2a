"""The natural gradient: ``metric^-1 @ gradient`` for every row at once, guarded.

A metric comes as ``(n, P)`` (diagonal) or ``(n, P, P)``. Diagonal metrics divide; full ones
are Jacobi-scaled to unit diagonal, damped by ``DAMPING`` (which bounds the condition number
near ``1 / DAMPING``) and solved; rows whose metric is still singular or not finite fall back
to the pseudo-inverse. Either guard warns once per ``NaturalGradient``.
"""
from __future__ import annotations

import warnings

import numpy as np

DAMPING = 1e-6
# Floor on a diagonal metric entry relative to its row's largest; also the floor on the scaled
# determinant of a 2x2 solve.
TINY = 1e-12


class NaturalGradient:
    """Callable ``(grad (n, P), metric) -> (n, P)`` natural gradient, warning once."""

    def __init__(self):
        self.warned = False

    def _warn(self, what: str) -> None:
        if not self.warned:
            warnings.warn(f"The distribution's metric was {what} for some rows; the natural "
                          "gradient there used damping or the pseudo-inverse.", RuntimeWarning,
                          stacklevel=3)
            self.warned = True

    def __call__(self, grad: np.ndarray, metric: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if metric.ndim == 2:
                return self._diagonal(grad, metric)
            return self._full(grad, metric)

    def _diagonal(self, grad, metric):
        out = grad / metric
        if not np.isfinite(out).all() or not (metric > 0).all():  # flat checks: cheap
            self._warn("zero, negative or not finite")
            floor = TINY * np.maximum(np.abs(np.nan_to_num(metric)).max(axis=1, keepdims=True),
                                      TINY)
            bad = ~(metric > floor) | ~np.isfinite(metric)
            out = grad / np.where(bad, floor, metric)
        return out

    def _full(self, grad, metric):
        n, p, _ = metric.shape
        d = np.sqrt(np.abs(np.einsum("ijj->ij", metric)))
        d = np.where(np.isfinite(d) & (d > 0), d, 1.0)
        scaled = metric / (d[:, :, None] * d[:, None, :])
        scaled = scaled + DAMPING * np.eye(p)
        rhs = grad / d
        if p == 2:  # closed form: no LAPACK call per row
            a, b, c, e = scaled[:, 0, 0], scaled[:, 0, 1], scaled[:, 1, 0], scaled[:, 1, 1]
            det = a * e - b * c
            ok = np.isfinite(det) & (det > TINY)
            safe = np.where(ok, det, 1.0)
            x = np.column_stack([(e * rhs[:, 0] - b * rhs[:, 1]) / safe,
                                 (a * rhs[:, 1] - c * rhs[:, 0]) / safe])
        else:
            ok = np.isfinite(scaled).all(axis=(1, 2))
            x = np.zeros_like(rhs)
            try:
                x[ok] = np.linalg.solve(scaled[ok], rhs[ok][:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                ok[:] = False
        if not ok.all():
            self._warn("singular or not finite")
            bad = np.flatnonzero(~ok)
            m = np.nan_to_num(scaled[bad], nan=0.0, posinf=0.0, neginf=0.0)
            x[bad] = np.einsum("ijk,ik->ij", np.linalg.pinv(m), rhs[bad])
        return x / d


def natural_gradient_naive(grad, metric):
    """Reference for the tests: one row at a time with numpy's pseudo-inverse."""
    out = np.empty_like(grad)
    for i in range(len(grad)):
        m = np.diag(metric[i]) if metric.ndim == 2 else metric[i]
        out[i] = np.linalg.pinv(m) @ grad[i]
    return out
