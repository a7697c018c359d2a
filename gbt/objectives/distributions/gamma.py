"""Gamma(shape alpha, rate beta), boosted as (log alpha, log beta); log score."""
from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import digamma, gammaln, polygamma

from .base import Distribution, clipped_exp


class Gamma(Distribution):
    """Fisher information in (log alpha, log beta): [[alpha^2 trigamma(alpha), -alpha],
    [-alpha, alpha]] (full, not diagonal)."""

    name = "gamma"
    param_names = ("log_alpha", "log_beta")

    def check_label(self, y):
        return self.check_positive(y)

    def _marginal_start(self, y, weight):
        m = np.average(y, weights=weight)
        v = max(np.average((y - m) ** 2, weights=weight), 1e-12 * m * m)
        return np.log([m * m / v, m / v])

    @staticmethod
    def _ab(theta):
        return clipped_exp(theta[:, 0]), clipped_exp(theta[:, 1])

    def nll(self, y, theta):
        a, b = self._ab(theta)
        return -a * np.log(b) + gammaln(a) - (a - 1) * np.log(y) + b * y

    def d_nll(self, y, theta):
        a, b = self._ab(theta)
        return np.column_stack([a * (digamma(a) - np.log(b) - np.log(y)), b * y - a])

    def fisher(self, theta):
        a, _ = self._ab(theta)
        out = np.empty((len(a), 2, 2))
        out[:, 0, 0] = a * a * polygamma(1, a)
        out[:, 0, 1] = out[:, 1, 0] = -a
        out[:, 1, 1] = a
        return out

    def params(self, theta):
        a, b = self._ab(theta)
        return {"alpha": a, "beta": b}

    def scipy(self, theta):
        a, b = self._ab(theta)
        return stats.gamma(a=a, scale=1.0 / b)
