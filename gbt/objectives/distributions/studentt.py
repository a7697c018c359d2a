"""Student's t with fixed degrees of freedom ``df``, boosted as (loc, log scale); log score."""
from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import gammaln

from .base import Distribution, clipped_exp


class StudentT(Distribution):
    """Fisher information in (loc, log scale): diag((df+1)/((df+3) scale^2), 2 df/(df+3))."""

    name = "studentt"
    param_names = ("loc", "log_scale")

    def __init__(self, df: float = 3.0):
        if not (np.isscalar(df) and np.isfinite(df) and df > 0):
            raise ValueError(f"StudentT needs df > 0; got {df!r}.")
        self.df = float(df)
        self._log_norm = (gammaln((self.df + 1) / 2) - gammaln(self.df / 2)
                          - 0.5 * np.log(self.df * np.pi))

    def _marginal_start(self, y, weight):
        loc = np.average(y, weights=weight)
        scale = np.sqrt(np.average((y - loc) ** 2, weights=weight))
        if self.df > 2:  # the t's variance is scale^2 df/(df-2)
            scale *= np.sqrt((self.df - 2) / self.df)
        return np.array([loc, np.log(max(scale, 1e-12))])

    def _z(self, y, theta):
        scale = clipped_exp(theta[:, 1])
        return (y - theta[:, 0]) / scale, scale

    def nll(self, y, theta):
        z, scale = self._z(y, theta)
        return np.log(scale) - self._log_norm + 0.5 * (self.df + 1) * np.log1p(z * z / self.df)

    def d_nll(self, y, theta):
        z, scale = self._z(y, theta)
        r = (self.df + 1) * z / (self.df + z * z)
        return np.column_stack([-r / scale, 1.0 - r * z])

    def fisher(self, theta):
        scale = clipped_exp(theta[:, 1])
        nu = self.df
        return np.column_stack([(nu + 1) / ((nu + 3) * scale ** 2),
                                np.full(len(scale), 2 * nu / (nu + 3))])

    def params(self, theta):
        return {"loc": theta[:, 0].copy(), "scale": clipped_exp(theta[:, 1]),
                "df": np.full(len(theta), self.df)}

    def scipy(self, theta):
        return stats.t(self.df, loc=theta[:, 0], scale=clipped_exp(theta[:, 1]))

    def point(self, theta):
        return theta[:, 0].copy()  # the mean when df > 1, the median always
