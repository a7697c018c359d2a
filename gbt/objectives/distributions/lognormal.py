"""LogNormal: log(y) ~ Normal(mu, sigma), boosted as (mu, log sigma); log score and CRPS, and
the right-censored log score for survival (``CensoredLogNormal``)."""
from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import log_ndtr, ndtr

from .base import Distribution, clipped_exp
from .normal import INV_SQRT_PI, LOG_SQRT_2PI, std_normal_pdf
from .survival import CensoredMixin

# CRPS terms grow like exp(sigma^2 / 2): beyond this sigma they would overflow float64.
CRPS_MAX_SIGMA = 10.0


class LogNormal(Distribution):
    """Fisher information in (mu, log sigma) is that of the Normal: diag(1/sigma^2, 2)."""

    name = "lognormal"
    param_names = ("mu", "log_sigma")
    rules = ("log", "crps")

    def check_label(self, y):
        return self.check_positive(y)

    def _marginal_start(self, y, weight):
        ly = np.log(y)
        mu = np.average(ly, weights=weight)
        sigma = np.sqrt(np.average((ly - mu) ** 2, weights=weight))
        return np.array([mu, np.log(max(sigma, 1e-12))])

    def fit_marginal(self, y, weight):
        return self._marginal_start(y, weight)

    @staticmethod
    def _z(y, theta):
        sigma = clipped_exp(theta[:, 1])
        return (np.log(y) - theta[:, 0]) / sigma, sigma

    def nll(self, y, theta):
        z, sigma = self._z(y, theta)
        return 0.5 * z * z + np.log(sigma) + LOG_SQRT_2PI + np.log(y)

    def d_nll(self, y, theta):
        z, sigma = self._z(y, theta)
        return np.column_stack([-z / sigma, 1.0 - z * z])

    def fisher(self, theta):
        sigma = clipped_exp(theta[:, 1])
        return np.column_stack([1.0 / sigma ** 2, np.full(len(sigma), 2.0)])

    # CRPS (Baran and Lerch 2015):
    # y (2 Phi(z) - 1) - 2 m (Phi(z - sigma) + Phi(sigma / sqrt 2) - 1), m = exp(mu + sigma^2/2)
    def _crps_parts(self, y, theta):
        sigma = np.minimum(clipped_exp(theta[:, 1]), CRPS_MAX_SIGMA)
        z = (np.log(y) - theta[:, 0]) / sigma
        m = np.exp(np.clip(theta[:, 0] + 0.5 * sigma ** 2, -700, 700))
        bracket = ndtr(z - sigma) + ndtr(sigma / np.sqrt(2)) - 1
        return z, sigma, m, bracket

    def crps(self, y, theta):
        z, sigma, m, bracket = self._crps_parts(y, theta)
        return y * (2 * ndtr(z) - 1) - 2 * m * bracket

    def d_crps(self, y, theta):
        # m phi(z - sigma) == y phi(z), which cancels the terms through z.
        z, sigma, m, bracket = self._crps_parts(y, theta)
        d_mu = -2 * m * bracket
        d_sigma = (2 * y * std_normal_pdf(z) - 2 * m * sigma * bracket
                   - np.sqrt(2) * m * std_normal_pdf(sigma / np.sqrt(2)))
        return np.column_stack([d_mu, sigma * d_sigma])

    def crps_metric(self, theta):
        # 2 * integral of grad F grad F^T over y, with F = Phi((log y - mu) / sigma):
        # Gaussian integrals of u^k exp(-u^2 + sigma u).
        sigma = np.minimum(clipped_exp(theta[:, 1]), CRPS_MAX_SIGMA)
        c = np.exp(np.clip(theta[:, 0] + 0.25 * sigma ** 2, -700, 700)) * INV_SQRT_PI
        out = np.empty((len(sigma), 2, 2))
        out[:, 0, 0] = c / sigma
        out[:, 0, 1] = out[:, 1, 0] = c * sigma / 2
        out[:, 1, 1] = c * sigma * (0.5 + sigma ** 2 / 4)
        return out

    def params(self, theta):
        return {"s": clipped_exp(theta[:, 1]), "scale": np.exp(np.clip(theta[:, 0], -700, 700))}

    def scipy(self, theta):
        return stats.lognorm(s=clipped_exp(theta[:, 1]),
                             scale=np.exp(np.clip(theta[:, 0], -700, 700)))


class CensoredLogNormal(CensoredMixin, LogNormal):
    """Right-censored LogNormal: label (time, event). An observed event scores -log f(t); a
    censored row scores -log S(t). The metric is the uncensored Fisher information (as in
    NGBoost)."""

    name = "lognormal"

    def _survival_nll(self, t, theta):
        z, _ = self._z(t, theta)
        return -log_ndtr(-z)

    def _d_survival_nll(self, t, theta):
        z, sigma = self._z(t, theta)
        hazard = np.exp(-0.5 * z * z - LOG_SQRT_2PI - log_ndtr(-z))  # phi(z) / (1 - Phi(z))
        return np.column_stack([-hazard / sigma, -hazard * z])
