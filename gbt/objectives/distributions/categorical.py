"""Categorical(K) for classification, boosted as the K-1 logits of classes 1..K-1 against
class 0 (fixed at 0, so the parameterisation has no redundant direction); log score."""
from __future__ import annotations

import numpy as np
from scipy.special import log_softmax

from .base import Distribution


class Categorical(Distribution):
    """Fisher information in the K-1 logits: diag(p) - p p^T over classes 1..K-1."""

    name = "categorical"
    is_classifier = True

    def __init__(self, n_classes: int = 2):
        if not (isinstance(n_classes, (int, np.integer)) and n_classes >= 2):
            raise ValueError(f"Categorical needs n_classes >= 2; got {n_classes!r}.")
        self.n_classes = int(n_classes)
        self.param_names = tuple(f"logit_{k}" for k in range(1, self.n_classes))

    def check_label(self, y):
        y = super().check_label(y)
        if (y != np.round(y)).any() or (y < 0).any() or (y >= self.n_classes).any():
            raise ValueError(f"The {self.name} distribution needs integer class labels in "
                             f"0..{self.n_classes - 1}.")
        return y

    def fit_marginal(self, y, weight):
        counts = np.bincount(y.astype(np.int64), weights=weight, minlength=self.n_classes)
        p = np.clip(counts / counts.sum(), 1e-7, None)
        return np.log(p[1:] / p[0])

    def _log_probs(self, theta):
        return log_softmax(np.column_stack([np.zeros(len(theta)), theta]), axis=1)

    def probs(self, theta):
        """(n, K) class probabilities."""
        return np.exp(self._log_probs(theta))

    def nll(self, y, theta):
        return -self._log_probs(theta)[np.arange(len(y)), y.astype(np.int64)]

    def d_nll(self, y, theta):
        p = self.probs(theta)
        p[np.arange(len(y)), y.astype(np.int64)] -= 1.0
        return p[:, 1:]

    def fisher(self, theta):
        p = self.probs(theta)[:, 1:]
        if p.shape[1] == 1:
            return p * (1 - p)
        return np.einsum("ij,jk->ijk", p, np.eye(p.shape[1])) - p[:, :, None] * p[:, None, :]

    def params(self, theta):
        return {f"p{k}": col for k, col in enumerate(self.probs(theta).T)}

    def sample(self, theta, rng):
        cum = np.cumsum(self.probs(theta), axis=1)
        u = rng.random(len(theta))[:, None]
        return np.minimum((u > cum).sum(axis=1), self.n_classes - 1).astype(np.float64)

    def point(self, theta):
        return self.probs(theta)


class Bernoulli(Categorical):
    """Categorical with two classes: one logit, Fisher information p (1 - p)."""

    name = "bernoulli"

    def __init__(self):
        super().__init__(2)

    def point(self, theta):
        return self.probs(theta)[:, 1]  # P(y = 1), as binary:logistic predicts
