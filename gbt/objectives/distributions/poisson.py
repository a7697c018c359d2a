"""Poisson(rate), boosted as log rate; log score, for counts."""
from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import gammaln

from .base import Distribution, clipped_exp


class Poisson(Distribution):
    """Fisher information in log rate is the rate."""

    name = "poisson"
    param_names = ("log_rate",)

    def check_label(self, y):
        y = super().check_label(y)
        if (y < 0).any() or (y != np.round(y)).any():
            raise ValueError(f"The {self.name} distribution needs non-negative integer labels.")
        return y

    def _marginal_start(self, y, weight):
        return np.array([np.log(max(np.average(y, weights=weight), 1e-12))])

    def fit_marginal(self, y, weight):
        return self._marginal_start(y, weight)  # the mean is the MLE

    def nll(self, y, theta):
        rate = clipped_exp(theta[:, 0])
        return rate - y * np.log(rate) + gammaln(y + 1)

    def d_nll(self, y, theta):
        return (clipped_exp(theta[:, 0]) - y)[:, None]

    def fisher(self, theta):
        return clipped_exp(theta[:, 0])[:, None]

    def params(self, theta):
        return {"mu": clipped_exp(theta[:, 0])}

    def scipy(self, theta):
        return stats.poisson(mu=clipped_exp(theta[:, 0]))
