"""Laplace(loc, scale), boosted as (loc, log scale); log score and CRPS."""
from __future__ import annotations

import numpy as np
from scipy import stats

from .base import Distribution, clipped_exp


class Laplace(Distribution):
    """Fisher information in (loc, log scale) is diag(1/scale^2, 1); the CRPS metric is
    diag(1/(2 scale), scale/4)."""

    name = "laplace"
    param_names = ("loc", "log_scale")
    rules = ("log", "crps")

    def _marginal_start(self, y, weight):
        loc = _weighted_median(y, weight)
        scale = np.average(np.abs(y - loc), weights=weight)
        return np.array([loc, np.log(max(scale, 1e-12))])

    def fit_marginal(self, y, weight):
        return self._marginal_start(y, weight)  # median and mean absolute deviation: the MLE

    @staticmethod
    def _z(y, theta):
        scale = clipped_exp(theta[:, 1])
        return (y - theta[:, 0]) / scale, scale

    def nll(self, y, theta):
        z, scale = self._z(y, theta)
        return np.abs(z) + np.log(2 * scale)

    def d_nll(self, y, theta):
        z, scale = self._z(y, theta)
        return np.column_stack([-np.sign(z) / scale, 1.0 - np.abs(z)])

    def fisher(self, theta):
        scale = clipped_exp(theta[:, 1])
        return np.column_stack([1.0 / scale ** 2, np.ones(len(scale))])

    def crps(self, y, theta):
        z, scale = self._z(y, theta)
        return scale * (np.abs(z) + np.exp(-np.abs(z)) - 0.75)

    def d_crps(self, y, theta):
        z, scale = self._z(y, theta)
        e = np.exp(-np.abs(z))
        return np.column_stack([-np.sign(z) * (1 - e), scale * (e * (1 + np.abs(z)) - 0.75)])

    def crps_metric(self, theta):
        scale = clipped_exp(theta[:, 1])
        return np.column_stack([0.5 / scale, 0.25 * scale])

    def params(self, theta):
        return {"loc": theta[:, 0].copy(), "scale": clipped_exp(theta[:, 1])}

    def scipy(self, theta):
        return stats.laplace(loc=theta[:, 0], scale=clipped_exp(theta[:, 1]))

    def point(self, theta):
        return theta[:, 0].copy()


def _weighted_median(y, weight):
    if weight is None:
        return float(np.median(y))
    order = np.argsort(y)
    cum = np.cumsum(weight[order])
    return float(y[order][np.searchsorted(cum, 0.5 * cum[-1])])
