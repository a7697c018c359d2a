"""The distribution protocol of NGBoost-style probabilistic boosting, and its shared helpers.

A distribution is stateless: every method takes ``theta``, the ``(n_samples, n_params)`` float64
matrix of *internal* parameters (unconstrained: a scale is boosted as its log, a rate as its
log, class probabilities as logits), so any real ``theta`` is a valid distribution. For each
scoring rule it offers ``score(y, theta)`` (per-row, lower is better), ``d_score`` (its
gradient in ``theta``, ``(n, P)``) and ``metric`` (the Riemannian metric of the rule: Fisher
information for the log score, ``2 * integral(grad F grad F^T)`` for CRPS), returned as
``(n, P)`` when diagonal and ``(n, P, P)`` otherwise. A distribution without a closed-form
Fisher information inherits a Monte Carlo estimate (:meth:`Distribution.fisher_mc`).
"""
from __future__ import annotations

import numpy as np
from scipy import optimize

# Log-scale parameters are clipped here before exponentiation: exp(±30) squared stays far from
# float64 overflow and 1/scale**2 stays finite, so no score, gradient or metric overflows.
LOG_CLIP = 30.0
MC_SAMPLES = 100  # draws per row of the Monte Carlo Fisher information (NGBoost uses 100)


def clipped_exp(log_value):
    return np.exp(np.clip(log_value, -LOG_CLIP, LOG_CLIP))


def weighted_mean(values, weight):
    return float(np.average(values, weights=weight))


class Distribution:
    """Base class: subclasses set ``name``, ``param_names`` (internal), ``rules`` and fill in the
    score functions. ``rules`` names the scoring rules with closed forms: ``"log"`` needs
    ``nll``/``d_nll`` (``fisher`` defaults to Monte Carlo), ``"crps"`` needs ``crps``,
    ``d_crps`` and ``crps_metric``."""

    name = "distribution"
    param_names: tuple = ()
    rules: tuple = ("log",)
    is_classifier = False
    is_censored = False

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    # -- labels and the starting point ------------------------------------------------------
    def check_label(self, y: np.ndarray) -> np.ndarray:
        """Validate ``y`` (1-D float64 here); raise ValueError naming the problem."""
        if y.ndim != 1:
            raise ValueError(f"The {self.name} distribution needs a 1-D label; got shape "
                             f"{y.shape}.")
        return y

    def check_positive(self, y, strict: bool = True) -> np.ndarray:
        """``check_label`` for distributions on (0, inf), or [0, inf) when not ``strict``."""
        y = Distribution.check_label(self, y)
        if (y <= 0).any() if strict else (y < 0).any():
            raise ValueError(f"The {self.name} distribution needs labels "
                             f"{'> 0' if strict else '>= 0'}.")
        return y

    def fit_marginal(self, y, weight) -> np.ndarray:
        """(P,) internal parameters of one distribution fitted to all of ``y`` (no features):
        the boosting start. Default: minimise the weighted log score from ``_marginal_start``."""
        start = np.asarray(self._marginal_start(y, weight), dtype=np.float64)
        w = np.ones(len(y)) if weight is None else weight

        def total(theta):
            t = np.broadcast_to(theta, (len(y), theta.size))
            return (float(np.dot(w, self.nll(y, t))) / w.sum(),
                    (w @ self.d_nll(y, t)) / w.sum())

        res = optimize.minimize(total, start, jac=True, method="L-BFGS-B")
        return res.x if np.isfinite(res.fun) and res.fun <= total(start)[0] else start

    def _marginal_start(self, y, weight) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- scoring rules ----------------------------------------------------------------------
    def check_rule(self, rule: str) -> None:
        if rule not in self.rules:
            raise ValueError(f"score={rule!r} is not available for the {self.name} "
                             f"distribution; available: {list(self.rules)}.")

    def score(self, y, theta, rule="log"):
        """(n,) per-row score; lower is better."""
        self.check_rule(rule)
        return self.nll(y, theta) if rule == "log" else self.crps(y, theta)

    def d_score(self, y, theta, rule="log"):
        """(n, P) gradient of the score in the internal parameters."""
        self.check_rule(rule)
        return self.d_nll(y, theta) if rule == "log" else self.d_crps(y, theta)

    def metric(self, theta, rule="log"):
        """(n, P) diagonal or (n, P, P) Riemannian metric of the rule at ``theta``."""
        self.check_rule(rule)
        return self.fisher(theta) if rule == "log" else self.crps_metric(theta)

    def score_along(self, y, raw, step, rows, weight, rule="log"):
        """A function ``scale -> mean score of raw + scale * step`` (weighted by ``weight``
        when given) over ``rows`` (an index array, or None for every row): what a line search
        calls at several scales. This default gathers the rows once; a distribution may
        override it with a compiled pass."""
        self.check_rule(rule)
        if rows is not None:
            # One gather each, straight into column-major copies: each trial's parameter
            # columns are then contiguous, which halves the cost of the score's passes.
            y = y[rows]
            raw, step = raw.T[:, rows].T, step.T[:, rows].T
            weight = None if weight is None else weight[rows]
        raw, step = np.asfortranarray(raw), np.asfortranarray(step)
        moved = np.empty_like(raw)

        def mean_score(scale):
            np.multiply(step, scale, out=moved)
            np.add(moved, raw, out=moved)
            per_row = self.score(y, moved, rule)
            return float(per_row.mean() if weight is None
                         else np.average(per_row, weights=weight))
        return mean_score

    def natural_gradient(self, y, theta, rule, solve):
        """(n, P) ``metric^-1 @ d_score``; ``solve(grad, metric)`` is the guarded solve. A
        distribution may override this with a closed form (cheaper: no metric, no solve)."""
        return solve(self.d_score(y, theta, rule), self.metric(theta, rule))

    def nll(self, y, theta):  # pragma: no cover - abstract
        raise NotImplementedError

    def d_nll(self, y, theta):  # pragma: no cover - abstract
        raise NotImplementedError

    def fisher(self, theta):
        """Fisher information; without a closed form, a Monte Carlo estimate."""
        return self.fisher_mc(theta)

    def fisher_mc(self, theta, n_samples: int = MC_SAMPLES, random_state=0):
        """(n, P, P) Monte Carlo Fisher information: the mean of ``d_nll d_nll^T`` over
        ``n_samples`` draws of ``y`` from each row's own distribution."""
        rng = np.random.default_rng(random_state)
        n, p = theta.shape
        repeated = np.repeat(theta, n_samples, axis=0)  # row i's draws are contiguous
        d = self.d_nll(self.sample(repeated, rng), repeated).reshape(n, n_samples, p)
        return np.einsum("isp,isq->ipq", d, d) / n_samples

    # -- predictions ------------------------------------------------------------------------
    def params(self, theta) -> dict:  # pragma: no cover - abstract
        """User-space parameters by name (e.g. ``loc``, ``scale``), each ``(n,)``."""
        raise NotImplementedError

    def scipy(self, theta):  # pragma: no cover - abstract
        """The rows' distributions as one vectorised frozen ``scipy.stats`` distribution."""
        raise NotImplementedError

    def sample(self, theta, rng) -> np.ndarray:
        """One draw per row, (n,)."""
        return self.scipy(theta).rvs(random_state=rng)

    def point(self, theta):
        """What ``predict`` returns: the mean."""
        return self.scipy(theta).mean()
