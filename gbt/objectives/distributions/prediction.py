"""DistributionPrediction: what ``pred_dist`` returns, one predicted distribution per row."""
from __future__ import annotations

import numpy as np


class DistributionPrediction:
    """The predicted distributions of ``n`` rows.

    Attributes
    ----------
    params : dict of str -> ndarray of shape (n_samples,)
        User-space parameters (e.g. ``loc`` and ``scale`` for the Normal).
    theta : ndarray of shape (n_samples, n_params)
        The internal (boosted) parameters.
    """

    def __init__(self, distribution, theta: np.ndarray):
        self.distribution = distribution
        self.theta = np.ascontiguousarray(theta, dtype=np.float64)
        self.params = distribution.params(self.theta)

    def __len__(self) -> int:
        return len(self.theta)

    def __getitem__(self, rows) -> "DistributionPrediction":
        theta = self.theta[rows]
        return DistributionPrediction(self.distribution, np.atleast_2d(theta))

    def __getattr__(self, name):
        # dist.loc, dist.scale, ... as NGBoost offers them
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"DistributionPrediction({self.distribution.name}, n={len(self)})"

    def _scipy(self):
        if self.distribution.is_classifier:
            raise TypeError(f"{self.distribution.name} is a class distribution: use "
                            "class_probs(), logpdf() or sample().")
        return self.distribution.scipy(self.theta)

    def _label(self, y):
        y = np.asarray(y, dtype=np.float64)
        return np.broadcast_to(y, (len(self),)) if y.ndim == 0 else y

    def mean(self) -> np.ndarray:
        return self._scipy().mean()

    def std(self) -> np.ndarray:
        return self._scipy().std()

    def var(self) -> np.ndarray:
        return self._scipy().var()

    def logpdf(self, y) -> np.ndarray:
        """Log density (log probability mass for counts and classes) of ``y`` per row."""
        y = self._label(y)
        if self.distribution.is_classifier:
            return -self.distribution.nll(y, self.theta)
        frozen = self._scipy()
        return frozen.logpmf(y) if hasattr(frozen, "logpmf") else frozen.logpdf(y)

    def pdf(self, y) -> np.ndarray:
        return np.exp(self.logpdf(y))

    def cdf(self, y) -> np.ndarray:
        return self._scipy().cdf(self._label(y))

    def ppf(self, q) -> np.ndarray:
        """Quantiles: ``q`` a scalar or one value per row."""
        return self._scipy().ppf(q)

    def interval(self, alpha: float):
        """(lower, upper) bounds of the central ``alpha`` interval of each row."""
        if not 0 < alpha < 1:
            raise ValueError(f"interval needs 0 < alpha < 1; got {alpha!r}.")
        return self._scipy().interval(alpha)

    def sample(self, n: int, random_state=None) -> np.ndarray:
        """(n, n_samples) draws: row ``i`` is one draw from every predicted distribution."""
        rng = np.random.default_rng(random_state)
        return np.stack([self.distribution.sample(self.theta, rng) for _ in range(int(n))])

    def class_probs(self) -> np.ndarray:
        """(n_samples, K) class probabilities (class distributions only)."""
        if not self.distribution.is_classifier:
            raise TypeError(f"class_probs() needs a class distribution; this is "
                            f"{self.distribution.name}.")
        return self.distribution.probs(self.theta)
