"""NGBoost on the histogram core: boost a distribution's parameters along the natural gradient.

Each round the objective returns, per row, the natural gradient of the scoring rule
(``metric^-1 @ d_score``) as ``g`` and the sample weight as ``h``. A Newton leaf
``-sum(w g) / sum(w)`` is then the leaf mean of the natural gradient, which is the step NGBoost's
least-squares base learners take (``natural_hessian="fisher"`` weighs rows by the metric's
diagonal instead). All ``P`` parameters share one condensed tree per round
(``multi_strategy="auto"`` picks it for these objectives). After the round's trees are grown the
engine asks :meth:`DistributionObjective.line_search` for NGBoost's global step scale.

A condensed tree's split gain sums the outputs' squared-gradient reductions, and the natural
gradients of different parameters come in different units: a Normal's ``loc`` gradient is in
the label's units (about 0.01 on naval, 10 on concrete), its ``log scale`` gradient is about 1.
Unscaled, one parameter picks every split and the other is fitted on splits chosen for it
(naval's RMSE doubled). So under the unit hessian the split search sees each parameter's
natural gradient divided by its standard deviation over the rows this round
(:meth:`DistributionObjective.split_grad`): each parameter's gain is then the share of its
gradient's variance a split explains, in the same units for all. Leaves still get the
unscaled means (the grower's ``gh_leaves``), so the step is NGBoost's.
"""
from __future__ import annotations

import numpy as np

from .._native.cpu.distributions import mean_row_norm
from .._native.cpu.sketch_grad import standardize_columns, standardize_gh
from ..metrics import Metric
from .distributions import DistributionPrediction, NaturalGradient, get_distribution
from .losses import Objective

# Bounds on a row's curvature (the metric's diagonal) as a float32 hessian.
CURVATURE_MIN, CURVATURE_MAX = 1e-30, 1e30
# |natural gradient| cap: far inside float32 (g is stored as float32), and far beyond any
# useful step; the line search scales the step anyway.
GRAD_CLIP = 1e8
_NO_ROWS = np.empty(0, dtype=np.int64)  # a kernel's "every row"
# NGBoost's line search (0.5.11): grow the scale while the score improves (until it passes
# MAX_SCALE), then halve it until the score improves or the mean step norm drops below STEP_TOL.
MAX_SCALE = 256.0
STEP_TOL = 1e-4
MAX_HALVINGS = 60

PREFIXES = {"distribution:": False, "survival:": True}  # name prefix -> censored
HESSIANS = ("unit", "fisher")


def _has_monotone(constraints) -> bool:
    """Whether resolved ``monotone_constraints`` constrain any feature (the grower cannot search
    splits on rescaled gradients under monotone constraints, so those fits search the raw
    ones)."""
    if not constraints:
        return False
    values = constraints.values() if isinstance(constraints, dict) else constraints
    return any(v != 0 for v in values)


class DistributionObjective(Objective):
    """Probabilistic regression/classification with a distribution and a scoring rule.

    Parameters
    ----------
    distribution : Distribution
    score : {"log", "crps"}
        Log score (negative log-likelihood; Fisher metric) or CRPS (its Riemannian metric).
    natural_gradient : bool
        Precondition the gradient with the rule's metric (NGBoost). False: the plain gradient.
    line_search : bool
        Scale each round's step by NGBoost's line search on the training score.
    natural_hessian : {"unit", "fisher"}
        The hessian handed to the trees: ones (NGBoost's least squares on the natural
        gradient), or the metric's diagonal, with ``g`` = natural gradient times it, so leaves
        are curvature-weighted means and split gains are expected score decreases in the same
        units for every parameter.
    standardize_split : bool
        Under the unit hessian, search a condensed tree's splits on each parameter's natural
        gradient divided by its standard deviation (see the module notes); leaves keep the
        unscaled natural gradient. False: search on the raw natural gradients.
    """

    default_multi_strategy = "condensed"

    def __init__(self, distribution, score: str = "log", natural_gradient: bool = True,
                 line_search: bool = True, natural_hessian: str = "unit",
                 standardize_split: bool = True):
        if natural_hessian not in HESSIANS:
            raise ValueError(f"natural_hessian={natural_hessian!r}: expected one of {HESSIANS}.")
        self.natural_hessian = natural_hessian
        self.standardize_split = bool(standardize_split)
        if self.standardize_split and natural_hessian == "unit":
            # The engine's split-search hook (gbt.split_grad.GradientSketch); only condensed
            # trees call it. Under "fisher" the gains are already in the score's units.
            self.split_grad = self._standardized_split_grad
            self.split_grad_into = standardize_gh  # the same, in the engine's layout
        distribution.check_rule(score)
        self.distribution = distribution
        self.score = score
        self.natural_gradient = bool(natural_gradient)
        self.use_line_search = bool(line_search)
        self._natural = NaturalGradient()
        prefix = "survival:" if distribution.is_censored else "distribution:"
        self.name = prefix + distribution.name
        self.default_metric = "nll" if score == "log" else "crps"
        self.metrics = self._metrics()

    @classmethod
    def from_name(cls, name: str, params: dict) -> "DistributionObjective":
        prefix = next(p for p in PREFIXES if name.startswith(p))
        dist = get_distribution(name[len(prefix):], censored=PREFIXES[prefix],
                                df=params.get("df", 3.0),
                                n_classes=max(int(params.get("num_class", 0) or 2), 2))
        return cls(dist, params.get("score", "log"), params.get("natural_gradient", True),
                   params.get("line_search", True), params.get("natural_hessian", "unit"),
                   params.get("standardize_split", True)
                   and not _has_monotone(params.get("monotone_constraints")))

    def _metrics(self) -> dict:
        dist = self.distribution

        def on_raw(name, rule):
            return Metric(name, lambda y, raw, w: np.average(dist.score(y, raw, rule),
                                                             weights=w), False, on_raw=True)
        out = {"nll": on_raw("nll", "log")}
        if "crps" in dist.rules:
            out["crps"] = on_raw("crps", "crps")
        return out

    # -- the objective protocol -----------------------------------------------------------
    def n_outputs(self, y) -> int:
        return self.distribution.n_params

    def check_label(self, y):
        return self.distribution.check_label(y)

    def init_score(self, y, weight):
        return np.asarray(self.distribution.fit_marginal(y, weight), dtype=np.float64)

    def natural_grad(self, y, raw) -> np.ndarray:
        """(n, P) the (natural) gradient of the score, finite and clipped."""
        if self.natural_gradient:
            grad = self.distribution.natural_gradient(y, raw, self.score, self._natural)
        else:
            grad = self.distribution.d_score(y, raw, self.score)
        if not np.isfinite(grad.sum()):  # one cheap pass finds any NaN or inf
            grad = np.nan_to_num(grad, nan=0.0, copy=False)
        np.maximum(grad, -GRAD_CLIP, out=grad)
        return np.minimum(grad, GRAD_CLIP, out=grad)

    def curvature(self, raw) -> np.ndarray:
        """(n, P) the metric's diagonal, each row's weight under ``natural_hessian="fisher"``."""
        metric = self.distribution.metric(raw, self.score)
        diag = metric if metric.ndim == 2 else np.einsum("ijj->ij", metric)
        return np.clip(np.nan_to_num(diag, nan=1.0), CURVATURE_MIN, CURVATURE_MAX)

    def grad_hess(self, y, raw, weight, out_g, out_h):
        grad = self.natural_grad(y, raw)
        if self.natural_hessian == "unit" or not self.natural_gradient:
            curvature = None if weight is None else weight[:, None]  # h = w: a leaf is a mean
        else:
            curvature = self.curvature(raw)
            if weight is not None:
                curvature *= weight[:, None]
        if curvature is None:
            out_g[...] = grad
            out_h[...] = 1.0
        else:
            np.multiply(grad, curvature, out=out_g, casting="unsafe")
            out_h[...] = curvature

    @staticmethod
    def _standardized_split_grad(g, h):
        """(g', h') for a condensed tree's split search: each column of ``g`` (the natural
        gradient times the row weight ``h``) divided by its ``h``-weighted standard deviation
        over the rows; ``h`` unchanged. A constant column is left as it is. One compiled pass
        pair (numpy's column reductions cost a third of a small fit)."""
        out = np.empty(g.shape)
        standardize_columns(g, h, out)
        return out, h

    def transform(self, raw):
        return self.distribution.point(raw)

    def loss(self, y, raw, weight):
        per_row = self.distribution.score(y, raw, self.score)
        return float(per_row.mean() if weight is None else np.average(per_row, weights=weight))

    def line_search(self, y, raw, step, weight, rows=None) -> float:
        """NGBoost's global scale ``s`` for the move ``raw + s * step`` (``step``: the round's
        unshrunk tree output, (n, P)), judged on ``rows`` (the round's subsample) or all."""
        if not self.use_line_search:
            return 1.0
        mean_score = self.distribution.score_along(y, raw, step, rows, weight, self.score)
        norm = []  # the mean row norm of the step, computed only when a halving needs it

        def step_norm():
            if not norm:
                norm.append(mean_row_norm(np.asarray(step, dtype=np.float64),
                                          _NO_ROWS if rows is None else
                                          np.asarray(rows, dtype=np.int64)))
            return norm[0]

        tried = {}

        def loss_at(scale):
            if scale not in tried:
                tried[scale] = mean_score(scale)
            return tried[scale]

        base = loss_at(0.0)
        scale = 1.0
        while True:  # grow while the score improves
            loss = loss_at(scale)
            if not np.isfinite(loss) or loss > base or scale > MAX_SCALE:
                break
            scale *= 2.0
        for _ in range(MAX_HALVINGS):  # shrink until the step improves (or vanishes)
            # NGBoost tests the norm first; both tests return the same scale, and the loss
            # here is usually cached, so the norm is computed only when the step fails.
            loss = loss_at(scale)
            if np.isfinite(loss) and loss < base or scale * step_norm() < STEP_TOL:
                return scale
            scale *= 0.5
        return 0.0

    def pred_dist(self, raw) -> DistributionPrediction:
        return DistributionPrediction(self.distribution, raw)

    def to_dict(self) -> dict:
        d = {"name": self.name, "score": self.score, "natural_gradient": self.natural_gradient,
             "line_search": self.use_line_search, "natural_hessian": self.natural_hessian}
        if not self.standardize_split:
            d["standardize_split"] = False
        if hasattr(self.distribution, "df"):
            d["df"] = self.distribution.df
        if self.distribution.name == "categorical":
            d["num_class"] = self.distribution.n_classes
        return d
