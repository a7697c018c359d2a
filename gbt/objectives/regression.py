"""Regression objectives beyond squared error: L1, quantile, Huber, pseudo-Huber, Poisson, gamma,
Tweedie and squared log error, with XGBoost's names and formulas (LightGBM's names as aliases).

``raw`` is ``(n_samples, 1)`` float64; gradients and hessians are written into ``(n_samples,
1)`` float32 buffers, multiplied by the sample weights. Each objective's ``loss`` is the
weighted mean of a per-row loss whose derivative in ``raw`` is the gradient (up to terms
constant in ``raw``); ``default_metric`` is XGBoost's.

- ``reg:absoluteerror`` (``l1``, ``mae``, ``regression_l1``): gradient ``sign(raw - y)``,
  hessian 1; after each tree the leaves are **refit** to the weighted median of the residuals
  ``y - raw`` of the rows in the leaf (times the learning rate), as in XGBoost and LightGBM.
  Starts from the weighted median of ``y``.
- ``reg:quantileerror`` (``quantile``), ``quantile_alpha`` in (0, 1): the pinball loss;
  gradient ``1 - alpha`` where ``raw >= y``, else ``-alpha``; hessian 1; leaves refit to the
  weighted ``alpha``-quantile of the residuals; starts from the weighted ``alpha``-quantile
  of ``y``.
- ``reg:huber`` (``huber``, LightGBM's), ``huber_slope`` (alias ``huber_delta``) δ:
  gradient ``clip(raw - y, -δ, δ)``, hessian 1 (LightGBM's choice).
- ``reg:pseudohubererror`` (XGBoost's), same δ: loss ``δ² (sqrt(1 + (z/δ)²) - 1)``,
  ``z = raw - y``. Both Huber objectives start from the weighted median of ``y``.
- ``count:poisson`` (``poisson``): log link, gradient ``exp(raw) - y``, hessian
  ``exp(raw + poisson_max_delta_step)`` (default 0.7: XGBoost's ``max_delta_step`` default for
  Poisson, LightGBM's ``poisson_max_delta_step``), labels >= 0.
- ``reg:gamma`` (``gamma``): log link, gradient ``1 - y exp(-raw)``, hessian ``y exp(-raw)``,
  labels > 0.
- ``reg:tweedie`` (``tweedie``), ``tweedie_variance_power`` ρ in [1, 2): log link, gradient
  ``-y exp((1-ρ) raw) + exp((2-ρ) raw)``, labels >= 0.
- ``reg:squaredlogerror``: identity link, loss ``½ (log1p(raw) - log1p(y))²``, XGBoost's
  gradient and hessian (the hessian floored at 1e-6, predictions clamped above -1), labels
  > -1.

The log-link objectives start from ``log`` of the weighted mean label; their ``transform`` is
``exp``. A leaf refit replaces the Newton leaf value, so ``reg_lambda``, ``reg_alpha`` and
``max_delta_step`` do not shrink refit leaves (as in XGBoost and LightGBM); they still shape
the splits.
"""
from __future__ import annotations

import numpy as np

from .._native.cpu.quantile import group_quantiles
from .losses import Objective

_NO_WEIGHT = np.zeros(0)
_MIN_LOG_MEAN = -30.0  # init score of a log-link model whose labels are all 0
_SLE_FLOOR = -1.0 + 1e-6  # reg:squaredlogerror predictions are clamped above -1 (XGBoost)
_SLE_MIN_HESSIAN = 1e-6


def _weights_of(weight) -> np.ndarray:
    return _NO_WEIGHT if weight is None else np.ascontiguousarray(weight, dtype=np.float64)


def weighted_quantile(values, weight, alpha) -> float:
    """The weighted ``alpha``-quantile of ``values`` (see :mod:`gbt._native.cpu.quantile`)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    out = np.empty(1)
    group_quantiles(values, _weights_of(weight), np.zeros(values.size, dtype=np.int32),
                    float(alpha), out)
    return float(out[0])


def _check_param(name, value, ok, expected):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
            not np.isfinite(value) or not ok(float(value)):
        raise ValueError(f"Parameter {name!r}={value!r} is invalid: expected {expected}.")
    return float(value)


def _check_finite(name, y):
    if y.ndim != 1:
        raise ValueError(f"{name} needs a 1-D label; got shape {y.shape}.")
    if not np.isfinite(y).all():
        raise ValueError(f"{name} needs finite labels; got NaN or inf.")
    return y


class _Regression(Objective):
    """One output; subclasses give ``_grad_hess(y, r) -> (g, h)`` and ``_row_loss(y, r)`` on
    the 1-D margins ``r``."""

    def check_label(self, y):
        return _check_finite(self.name, y)

    def grad_hess(self, y, raw, weight, out_g, out_h):
        g, h = self._grad_hess(y, raw[:, 0])
        if weight is not None:
            g, h = g * weight, h * weight
        out_g[:, 0] = g
        out_h[:, 0] = h

    def loss(self, y, raw, weight):
        return float(np.average(self._row_loss(y, raw[:, 0]), weights=weight))


# -- L1 and quantile: leaves refit to weighted quantiles of the residuals ---------------------
class _QuantileRefit(_Regression):
    """Leaves refit to the weighted ``refit_alpha``-quantile of the residuals in each leaf."""

    refit_alpha = 0.5

    def init_score(self, y, weight):
        return np.array([weighted_quantile(y, weight, self.refit_alpha)])

    def refit_leaves(self, y, raw, weight, leaf_of_row, leaf_nodes, learning_rate, output=0):
        """New values of a just-grown tree's leaves (the engine's leaf-refit hook).

        Parameters
        ----------
        y : (n_samples,) labels
        raw : (n_samples, n_outputs) float64 margins before this tree
        weight : (n_samples,) or None
        leaf_of_row : (n_samples,) int32, the node each row the tree was grown on landed in;
            -1 for rows outside the tree's sample (they take no part in the refit)
        leaf_nodes : (n_leaves,) int, the tree's leaf node indices
        learning_rate : float
        output : int, the output column the tree fits (always 0 here)

        Returns
        -------
        (n_leaves, 1) float64: ``learning_rate`` times each leaf's weighted quantile of
        ``y - raw``; 0 for a leaf whose rows weigh nothing.
        """
        slot_of_node = np.full(int(np.max(leaf_nodes)) + 2, -1, dtype=np.int32)
        slot_of_node[leaf_nodes] = np.arange(len(leaf_nodes), dtype=np.int32)
        group = slot_of_node[leaf_of_row]  # a row outside the sample (-1) reads the last: -1
        residual = np.ascontiguousarray(y - raw[:, output], dtype=np.float64)
        q = np.empty(len(leaf_nodes))
        group_quantiles(residual, _weights_of(weight), group, self.refit_alpha, q)
        return (learning_rate * np.nan_to_num(q, nan=0.0))[:, None]


class AbsoluteError(_QuantileRefit):
    """``reg:absoluteerror``: ``|raw - y|``, leaves refit to weighted medians."""

    name = "reg:absoluteerror"
    default_metric = "mae"

    def _grad_hess(self, y, r):
        return np.sign(r - y), np.ones_like(r)

    def _row_loss(self, y, r):
        return np.abs(r - y)


class QuantileError(_QuantileRefit):
    """``reg:quantileerror``: the pinball loss at ``quantile_alpha``."""

    name = "reg:quantileerror"
    default_metric = "quantile"

    def __init__(self, quantile_alpha: float = 0.5):
        self.quantile_alpha = _check_param("quantile_alpha", quantile_alpha,
                                           lambda v: 0.0 < v < 1.0, "a number in (0, 1)")
        self.refit_alpha = self.quantile_alpha

    @classmethod
    def from_params(cls, params):
        return cls(params.get("quantile_alpha", 0.5))

    def _grad_hess(self, y, r):
        a = self.quantile_alpha
        return np.where(r >= y, 1.0 - a, -a), np.ones_like(r)

    def _row_loss(self, y, r):
        d = y - r
        return np.maximum(self.quantile_alpha * d, (self.quantile_alpha - 1.0) * d)

    def to_dict(self):
        return {"name": self.name, "quantile_alpha": self.quantile_alpha}


# -- Huber -------------------------------------------------------------------------------------
class _SlopeObjective(_Regression):
    def __init__(self, huber_slope: float = 1.0):
        self.huber_slope = _check_param("huber_slope", huber_slope, lambda v: v > 0,
                                        "a number > 0")

    @classmethod
    def from_params(cls, params):
        return cls(params.get("huber_slope", 1.0))

    def init_score(self, y, weight):
        return np.array([weighted_quantile(y, weight, 0.5)])

    def to_dict(self):
        return {"name": self.name, "huber_slope": self.huber_slope}


class Huber(_SlopeObjective):
    """``reg:huber``: quadratic within ``huber_slope`` of the label, linear beyond."""

    name = "reg:huber"
    default_metric = "huber"

    def _grad_hess(self, y, r):
        d = self.huber_slope
        return np.clip(r - y, -d, d), np.ones_like(r)

    def _row_loss(self, y, r):
        d, z = self.huber_slope, np.abs(r - y)
        return np.where(z <= d, 0.5 * z * z, d * (z - 0.5 * d))


class PseudoHuber(_SlopeObjective):
    """``reg:pseudohubererror``: ``δ² (sqrt(1 + ((raw - y)/δ)²) - 1)``, δ = ``huber_slope``."""

    name = "reg:pseudohubererror"
    default_metric = "mphe"

    def _grad_hess(self, y, r):
        z = r - y
        scale = 1.0 + (z / self.huber_slope) ** 2
        root = np.sqrt(scale)
        return z / root, 1.0 / (scale * root)

    def _row_loss(self, y, r):
        d = self.huber_slope
        return d * d * (np.sqrt(1.0 + ((r - y) / d) ** 2) - 1.0)


# -- log link: Poisson, gamma, Tweedie ---------------------------------------------------------
class _LogLink(_Regression):
    """Predictions ``exp(raw)``; the start is ``log`` of the weighted mean label."""

    def init_score(self, y, weight):
        mean = np.average(y, weights=weight)
        return np.array([max(np.log(mean), _MIN_LOG_MEAN) if mean > 0 else _MIN_LOG_MEAN])

    def transform(self, raw):
        return np.exp(raw[:, 0])


class Poisson(_LogLink):
    """``count:poisson``: Poisson regression on the log of the mean."""

    name = "count:poisson"
    default_metric = "poisson-nloglik"

    def __init__(self, poisson_max_delta_step: float = 0.7):
        self.poisson_max_delta_step = _check_param(
            "poisson_max_delta_step", poisson_max_delta_step, lambda v: v >= 0,
            "a number >= 0")

    @classmethod
    def from_params(cls, params):
        return cls(params.get("poisson_max_delta_step", 0.7))

    def check_label(self, y):
        y = super().check_label(y)
        if (y < 0).any():
            raise ValueError(f"count:poisson needs labels >= 0 (counts); got {y.min()}.")
        return y

    def _grad_hess(self, y, r):
        return np.exp(r) - y, np.exp(r + self.poisson_max_delta_step)

    def _row_loss(self, y, r):
        return np.exp(r) - y * r

    def to_dict(self):
        return {"name": self.name, "poisson_max_delta_step": self.poisson_max_delta_step}


class GammaRegression(_LogLink):
    """``reg:gamma``: gamma regression on the log of the mean."""

    name = "reg:gamma"
    default_metric = "gamma-nloglik"

    def check_label(self, y):
        y = super().check_label(y)
        if (y <= 0).any():
            raise ValueError(f"reg:gamma needs labels > 0; got {y.min()}.")
        return y

    def _grad_hess(self, y, r):
        e = y * np.exp(-r)
        return 1.0 - e, e

    def _row_loss(self, y, r):
        return y * np.exp(-r) + r


class Tweedie(_LogLink):
    """``reg:tweedie``: Tweedie regression on the log of the mean, variance power ρ."""

    name = "reg:tweedie"

    def __init__(self, tweedie_variance_power: float = 1.5):
        self.rho = _check_param("tweedie_variance_power", tweedie_variance_power,
                                lambda v: 1.0 <= v < 2.0, "a number in [1, 2)")
        self.default_metric = f"tweedie-nloglik@{self.rho:g}"

    @property
    def tweedie_variance_power(self) -> float:
        return self.rho

    @classmethod
    def from_params(cls, params):
        return cls(params.get("tweedie_variance_power", 1.5))

    def check_label(self, y):
        y = super().check_label(y)
        if (y < 0).any():
            raise ValueError(f"reg:tweedie needs labels >= 0; got {y.min()}.")
        return y

    def _grad_hess(self, y, r):
        a, b = y * np.exp((1.0 - self.rho) * r), np.exp((2.0 - self.rho) * r)
        return b - a, (2.0 - self.rho) * b - (1.0 - self.rho) * a

    def _row_loss(self, y, r):
        if self.rho == 1.0:
            return np.exp(r) - y * r
        return (np.exp((2.0 - self.rho) * r) / (2.0 - self.rho) -
                y * np.exp((1.0 - self.rho) * r) / (1.0 - self.rho))

    def to_dict(self):
        return {"name": self.name, "tweedie_variance_power": self.rho}


# -- squared log error -------------------------------------------------------------------------
class SquaredLogError(_Regression):
    """``reg:squaredlogerror``: ``½ (log1p(raw) - log1p(y))²`` with XGBoost's hessian floor."""

    name = "reg:squaredlogerror"
    default_metric = "rmsle"

    def check_label(self, y):
        y = super().check_label(y)
        if (y <= -1).any():
            raise ValueError(f"reg:squaredlogerror needs labels > -1; got {y.min()}.")
        return y

    def init_score(self, y, weight):
        return np.array([np.expm1(np.average(np.log1p(y), weights=weight))])

    def _grad_hess(self, y, r):
        p = np.maximum(r, _SLE_FLOOR)
        d = np.log1p(p) - np.log1p(y)
        return d / (p + 1.0), np.maximum((1.0 - d) / (p + 1.0) ** 2, _SLE_MIN_HESSIAN)

    def _row_loss(self, y, r):
        return 0.5 * (np.log1p(np.maximum(r, _SLE_FLOOR)) - np.log1p(y)) ** 2


__all__ = ["AbsoluteError", "QuantileError", "Huber", "PseudoHuber", "Poisson",
           "GammaRegression", "Tweedie", "SquaredLogError", "weighted_quantile"]
