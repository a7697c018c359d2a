"""Ordinary losses: squared error, logistic, softmax, and a user's (y, raw) -> (grad, hess).

``raw`` is always ``(n_samples, n_outputs)`` float64; gradients and hessians are written into
preallocated ``(n_samples, n_outputs)`` float32 buffers, already multiplied by sample weights.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, softmax

from .._native.cpu.objectives import (logistic_grad_hess, logistic_grad_hess_column,
                                      softmax_grad_hess)

_NO_WEIGHT = np.zeros(0)


def _weighted(out_g, out_h, g, h, weight):
    if weight is not None:
        g = g * weight[:, None]
        h = h * weight[:, None]
    out_g[...] = g
    out_h[...] = h


class Objective:
    """Base class documenting the protocol; subclasses fill in the methods."""

    name = "custom"
    default_metric = "rmse"

    @classmethod
    def from_params(cls, params: dict) -> "Objective":
        return cls()

    def n_outputs(self, y) -> int:
        return 1

    def check_label(self, y) -> np.ndarray:
        return y

    def init_score(self, y, weight) -> np.ndarray:
        return np.zeros(self.n_outputs(y))

    def grad_hess(self, y, raw, weight, out_g, out_h) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def transform(self, raw):
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def loss(self, y, raw, weight) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict:
        return {"name": self.name}


def _as_columns(y):
    """Labels as (n, K): a 1-D label is one column."""
    return y[:, None] if y.ndim == 1 else y


def _outputs_of(y):
    return 1 if y.ndim == 1 else y.shape[1]


class SquaredError(Objective):
    """``0.5 * (raw - y)^2``: gradient ``raw - y``, hessian 1. A 2-D ``y`` of shape (n, K) is
    multi-output regression: K outputs, the loss summed over them."""

    name = "reg:squarederror"
    default_metric = "rmse"

    def n_outputs(self, y):
        return _outputs_of(y)

    def init_score(self, y, weight):
        return np.atleast_1d(np.average(_as_columns(y), axis=0, weights=weight))

    def grad_hess(self, y, raw, weight, out_g, out_h):
        _weighted(out_g, out_h, raw - _as_columns(y), np.ones_like(raw), weight)

    def loss(self, y, raw, weight):
        per_row = (0.5 * (raw - _as_columns(y)) ** 2).sum(axis=1)
        return float(np.average(per_row, weights=weight))


class LogisticLoss(Objective):
    """Binary cross-entropy on the logit; ``transform`` gives P(y = 1). A 2-D 0/1 ``y`` of
    shape (n, K) is multi-label classification: K independent sigmoids."""

    name = "binary:logistic"
    default_metric = "logloss"

    def __init__(self, scale_pos_weight: float = 1.0):
        self.scale_pos_weight = scale_pos_weight

    @classmethod
    def from_params(cls, params):
        return cls(params.get("scale_pos_weight", 1.0))

    def check_label(self, y):
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("binary:logistic needs labels in {0, 1}; got values "
                             f"{np.unique(y)[:5].tolist()}...")
        return y

    def n_outputs(self, y):
        return _outputs_of(y)

    def _pos_factor(self, Y):
        """(n, K) multiplier of each entry's weight: scale_pos_weight on positives."""
        return np.where(Y == 1.0, self.scale_pos_weight, 1.0)

    def init_score(self, y, weight):
        Y = _as_columns(y)
        w = np.ones(Y.shape[0]) if weight is None else weight
        ew = w[:, None] * self._pos_factor(Y)
        p = np.clip((ew * Y).sum(axis=0) / ew.sum(axis=0), 1e-7, 1 - 1e-7)
        return np.log(p / (1 - p))

    def grad_hess(self, y, raw, weight, out_g, out_h):
        # One compiled pass (numpy's version took a tenth of a small fit's time).
        raw = np.asarray(raw, dtype=np.float64)
        weight = _NO_WEIGHT if weight is None else weight
        if y.ndim == 1 and raw.shape[1] == 1 and all(a.flags.c_contiguous
                                                     for a in (raw, out_g, out_h)):
            # One output, contiguous: the vectorised 1-D kernel (its views write through).
            logistic_grad_hess_column(raw.reshape(-1), np.ascontiguousarray(y, np.float64),
                                      float(self.scale_pos_weight), weight,
                                      out_g.reshape(-1), out_h.reshape(-1))
        else:
            logistic_grad_hess(raw, _as_columns(y), float(self.scale_pos_weight), weight,
                               out_g, out_h)

    def transform(self, raw):
        return expit(raw[:, 0]) if raw.shape[1] == 1 else expit(raw)

    def loss(self, y, raw, weight):
        per_row = (np.logaddexp(0, raw) - _as_columns(y) * raw).sum(axis=1)
        return float(np.average(per_row, weights=weight))

    def to_dict(self):
        return {"name": self.name, "scale_pos_weight": self.scale_pos_weight}


class SoftmaxLoss(Objective):
    """Multi-class cross-entropy; ``K`` outputs, one tree per class per iteration."""

    name = "multi:softprob"
    default_metric = "mlogloss"

    def __init__(self, num_class: int = 0):
        self.num_class = num_class

    @classmethod
    def from_params(cls, params):
        return cls(params.get("num_class", 0))

    def check_label(self, y):
        if y.ndim != 1:
            raise ValueError("multi:softprob needs a 1-D label of class indices; for several "
                             "0/1 labels per row use binary:logistic (multi-label).")
        if (y != np.round(y)).any() or (y < 0).any():
            raise ValueError("multi:softprob needs integer class labels 0..K-1.")
        k = int(y.max()) + 1
        if self.num_class and k > self.num_class:
            raise ValueError(f"Label {k - 1} is out of range for num_class={self.num_class}.")
        if not self.num_class:
            self.num_class = max(k, 2)
        return y

    def n_outputs(self, y):
        return self.num_class

    def _onehot(self, y):
        return np.eye(self.num_class)[y.astype(np.int64)]

    def init_score(self, y, weight):
        prior = np.average(self._onehot(y), axis=0, weights=weight)
        logp = np.log(np.clip(prior, 1e-7, None))
        return logp - logp.mean()

    def grad_hess(self, y, raw, weight, out_g, out_h):
        softmax_grad_hess(np.ascontiguousarray(raw), y, _NO_WEIGHT if weight is None else weight,
                          out_g, out_h)

    def transform(self, raw):
        return softmax(raw, axis=1)

    def loss(self, y, raw, weight):
        ll = log_softmax(raw, axis=1)[np.arange(len(y)), y.astype(np.int64)]
        return float(-np.average(ll, weights=weight))

    def to_dict(self):
        return {"name": self.name, "num_class": self.num_class}


class CallableObjective(Objective):
    """Wrap ``fn(y, raw) -> (grad, hess)``; ``raw`` is 1-D for one output, else (n, K)."""

    name = "custom"
    default_metric = "rmse"

    def __init__(self, fn, num_outputs: int = 1):
        self.fn = fn
        self.num_outputs = num_outputs

    def n_outputs(self, y):
        return self.num_outputs

    def grad_hess(self, y, raw, weight, out_g, out_h):
        r = raw[:, 0] if raw.shape[1] == 1 else raw
        g, h = self.fn(y, r)
        g = np.asarray(g, dtype=np.float64).reshape(out_g.shape)
        h = np.asarray(h, dtype=np.float64).reshape(out_h.shape)
        if not (np.isfinite(g).all() and np.isfinite(h).all()):
            raise ValueError("The custom objective returned NaN or inf gradients/hessians.")
        _weighted(out_g, out_h, g, h, weight)

    def loss(self, y, raw, weight):
        return float("nan")

    def to_dict(self):
        return {"name": self.name}
