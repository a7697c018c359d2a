"""Normal(loc, scale), boosted as (loc, log scale); log score and CRPS."""
from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import ndtr

from .base import LOG_CLIP, Distribution, clipped_exp

LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
INV_SQRT_PI = 1.0 / np.sqrt(np.pi)


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

    def d_nll(self, y, theta):
        z, scale = self._z(y, theta)
        return np.column_stack([-z / scale, 1.0 - z * z])

    def natural_gradient(self, y, theta, rule, solve):
        if rule != "log":
            return super().natural_gradient(y, theta, rule, solve)
        # d_nll / diag(1/scale^2, 2) in closed form: (loc - y, (1 - z^2) / 2)
        z, _ = self._z(y, theta)
        out = np.empty((len(y), 2))
        np.subtract(theta[:, 0], y, out=out[:, 0])
        np.multiply(z, z, out=z)
        np.subtract(0.5, 0.5 * z, out=out[:, 1])
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
