"""Exponential(scale), boosted as log scale; log score and CRPS, and the right-censored log
score for survival (``CensoredExponential``)."""
from __future__ import annotations

import numpy as np
from scipy import stats

from .base import Distribution, clipped_exp
from .survival import CensoredMixin


class Exponential(Distribution):
    """Fisher information in log scale is 1; the CRPS metric is scale / 2."""

    name = "exponential"
    param_names = ("log_scale",)
    rules = ("log", "crps")

    def check_label(self, y):
        return self.check_positive(y, strict=False)

    def _marginal_start(self, y, weight):
        return np.array([np.log(max(np.average(y, weights=weight), 1e-12))])

    def fit_marginal(self, y, weight):
        return self._marginal_start(y, weight)  # the mean is the MLE of the scale

    def nll(self, y, theta):
        scale = clipped_exp(theta[:, 0])
        return np.log(scale) + y / scale

    def d_nll(self, y, theta):
        return (1.0 - y / clipped_exp(theta[:, 0]))[:, None]

    def fisher(self, theta):
        return np.ones((len(theta), 1))

    def crps(self, y, theta):
        scale = clipped_exp(theta[:, 0])
        return y + 2 * scale * np.exp(-y / scale) - 1.5 * scale

    def d_crps(self, y, theta):
        scale = clipped_exp(theta[:, 0])
        u = y / scale
        return (scale * (2 * np.exp(-u) * (1 + u) - 1.5))[:, None]

    def crps_metric(self, theta):
        return 0.5 * clipped_exp(theta[:, 0])[:, None]

    def params(self, theta):
        return {"scale": clipped_exp(theta[:, 0])}

    def scipy(self, theta):
        return stats.expon(scale=clipped_exp(theta[:, 0]))


class CensoredExponential(CensoredMixin, Exponential):
    """Right-censored Exponential: a censored row scores -log S(t) = t / scale."""

    def _survival_nll(self, t, theta):
        return t / clipped_exp(theta[:, 0])

    def _d_survival_nll(self, t, theta):
        return (-t / clipped_exp(theta[:, 0]))[:, None]
