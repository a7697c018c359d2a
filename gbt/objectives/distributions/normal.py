"""Normal(loc, scale), boosted as (loc, log scale); log score and CRPS."""
from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import ndtr

from ..._native.cpu.distributions import (normal_natural_gradient, normal_nll_along,
                                            normal_nll_along_012)
from .base import LOG_CLIP, Distribution, clipped_exp

LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
INV_SQRT_PI = 1.0 / np.sqrt(np.pi)
_EMPTY_ROWS = np.empty(0, dtype=np.int64)
_EMPTY_WEIGHT = np.empty(0)


def std_normal_pdf(z):
    return np.exp(-0.5 * z * z - LOG_SQRT_2PI)


class Normal(Distribution):
    """Fisher information in (loc, log scale) is diag(1/scale^2, 2); the CRPS metric is
    diag(1/(sqrt(pi) scale), scale/(2 sqrt(pi)))."""

    name = "normal"
    param_names = ("loc", "log_scale")
    rules = ("log", "crps")

    def _marginal_start(self, y, weight):
        loc = np.average(y, weights=weight)
        scale = np.sqrt(np.average((y - loc) ** 2, weights=weight))
        return np.array([loc, np.log(max(scale, 1e-12))])

    def fit_marginal(self, y, weight):
        return self._marginal_start(y, weight)  # the maximum-likelihood fit itself

    @staticmethod
    def _z(y, theta):
        scale = clipped_exp(theta[:, 1])
        return (y - theta[:, 0]) / scale, scale

    def nll(self, y, theta):
        # Few array passes: the line search calls this several times per round.
        log_scale = np.maximum(theta[:, 1], -LOG_CLIP)  # np.clip's call costs more here
        np.minimum(log_scale, LOG_CLIP, out=log_scale)
        z = (y - theta[:, 0]) * np.exp(-log_scale)
        z *= z
        z *= 0.5
        z += log_scale
        z += LOG_SQRT_2PI
        return z

    def score_along(self, y, raw, step, rows, weight, rule="log"):
        if rule != "log":
            return super().score_along(y, raw, step, rows, weight, rule)
        # One compiled pass per trial, reading the rows in place (see the kernel).
        rows = _EMPTY_ROWS if rows is None else np.asarray(rows, dtype=np.int64)
        weight = _EMPTY_WEIGHT if weight is None else np.asarray(weight, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        raw = np.asarray(raw, dtype=np.float64)
        step = np.asarray(step, dtype=np.float64)
        first = np.empty(3)
        cached = {}

        def mean_score(scale):
            if scale in (0.0, 1.0, 2.0):  # every search starts here: one pass for the three
                if not cached:
                    normal_nll_along_012(y, raw, step, rows, weight, LOG_CLIP, first)
                    cached.update(zip((0.0, 1.0, 2.0), first.tolist()))
                return cached[scale]
            return normal_nll_along(y, raw, step, float(scale), rows, weight, LOG_CLIP)
        return mean_score

    def d_nll(self, y, theta):
        z, scale = self._z(y, theta)
        return np.column_stack([-z / scale, 1.0 - z * z])

    def natural_gradient(self, y, theta, rule, solve):
        if rule != "log":
            return super().natural_gradient(y, theta, rule, solve)
        # d_nll / diag(1/scale^2, 2) in closed form: (loc - y, (1 - z^2) / 2), one pass
        out = np.empty((len(y), 2))
        normal_natural_gradient(np.asarray(y, dtype=np.float64),
                                np.asarray(theta, dtype=np.float64), LOG_CLIP, out)
        return out

    def fisher(self, theta):
        scale = clipped_exp(theta[:, 1])
        return np.column_stack([1.0 / scale ** 2, np.full(len(scale), 2.0)])

    def crps(self, y, theta):
        z, scale = self._z(y, theta)
        return scale * (z * (2 * ndtr(z) - 1) + 2 * std_normal_pdf(z) - INV_SQRT_PI)

    def d_crps(self, y, theta):
        z, scale = self._z(y, theta)
        return np.column_stack([1 - 2 * ndtr(z), scale * (2 * std_normal_pdf(z) - INV_SQRT_PI)])

    def crps_metric(self, theta):
        scale = clipped_exp(theta[:, 1])
        return np.column_stack([INV_SQRT_PI / scale, 0.5 * INV_SQRT_PI * scale])

    def params(self, theta):
        return {"loc": theta[:, 0].copy(), "scale": clipped_exp(theta[:, 1])}

    def scipy(self, theta):
        return stats.norm(loc=theta[:, 0], scale=clipped_exp(theta[:, 1]))

    def point(self, theta):
        return theta[:, 0].copy()
