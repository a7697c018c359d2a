"""FairGBM on the histogram core: binary cross-entropy under group-fairness constraints.

Two players share the boosting loop (Cotter et al.'s proxy-Lagrangian, as FairGBM uses it).
The trees descend on the Lagrangian ``loss + sum_c lambda_c * proxy_c``, where each constraint's
step-function rate (a group's false-positive rate, say) is replaced by a smooth proxy of it. After
every round the multipliers ascend on the *true* constraint values at the score threshold:
``lambda <- clip(lambda + multiplier_learning_rate * c, 0, max_multiplier)``.

Constraints, each over the groups of a ``constraint_group`` column (two or more groups):

- ``FPR`` (predictive equality), ``FNR`` (equal opportunity), ``FPR,FNR`` (equalized odds) and
  ``DP`` (demographic parity: the rate of positive predictions). For a rate ``r``, group ``g``
  gets the constraint ``max_h r_h - r_g - tolerance <= 0`` (FairGBM's form).
- Global ``FPR <= global_target_fpr`` and ``FNR <= global_target_fnr``.

What keeps training from collapsing (FairGBM's reference diverges when its multiplier rate is a
little too high):

- Every rate is a weighted mean over its own rows, so constraint values lie in [-1, 1] and a
  small group pulls as hard as a large one; the Lagrangian is scaled like the summed loss the
  engine uses everywhere, so the multiplier rate means the same on any data size.
- The hessian is the loss's plus the proxies' curvature times ``|multiplier|``: a large
  multiplier widens the Newton denominator instead of producing huge leaf values.
- Multipliers are projected onto ``[0, max_multiplier]`` (a bounded dual, as in TFCO's
  ``maximum_multiplier_radius``): however long a constraint stays violated, the loss keeps a
  fixed minimum share of the gradient.

Sample weights enter the loss, the proxies and the true constraint values alike. The engine
reaches the group column through :meth:`FairnessObjective.labels_of`: the objective's labels are
``(n_samples, 2)`` = (0/1 label, group code). Group codes of validation sets are their own, so
their fairness metrics use their own groups.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ..metrics import METRICS, Metric
from .losses import Objective

CONSTRAINT_TYPES = {"FPR": ("FPR",), "FNR": ("FNR",), "FPR,FNR": ("FPR", "FNR"),
                    "DP": ("DP",), "NONE": ()}
GLOBAL_TYPES = {"FPR": ("FPR",), "FNR": ("FNR",), "FPR,FNR": ("FPR", "FNR"), "NONE": ()}
PROXIES = ("cross_entropy", "hinge", "quadratic")
# Which rows a rate is taken over (label value, or None for all rows) and whether it counts
# predicted positives (+1) or predicted negatives (-1).
RATE_ROWS = {"FPR": (0, +1), "FNR": (1, -1), "DP": (None, +1)}
_EPS = 1e-15


def normalise_type(value, table: dict, what: str) -> str:
    """``"fnr,fpr"`` -> ``"FPR,FNR"``; None -> ``"NONE"``; anything else unknown: ``ValueError``."""
    if value is None:
        return "NONE"
    order = ("FPR", "FNR", "DP", "NONE")
    parts = {p.strip().upper() for p in value.split(",")} if isinstance(value, str) else {None}
    key = ",".join(p for p in order if p in parts) if parts <= set(order) else None
    if key not in table:
        raise ValueError(f"{what}={value!r}: expected one of {sorted(table)} or None.")
    return key


# --------------------------------------------------------------------------------------------
# Proxies of the step function 1[s >= 0], s = raw score minus the threshold's log-odds
# --------------------------------------------------------------------------------------------
class Proxy:
    """A smooth (or piecewise-linear) upper proxy ``phi(s)`` of ``1[s >= 0]`` with margin ``m``:

    - ``cross_entropy``: ``log(1 + exp(s + b))`` with ``b = log(exp(m) - 1)``, so ``phi(0) = m``;
    - ``hinge``: ``max(0, s + m)``;
    - ``quadratic``: ``max(0, s + m)^2 / 2``.

    ``sign=-1`` proxies ``1[s < 0]`` (a predicted negative) by ``phi(-s)``.
    """

    def __init__(self, name: str, margin: float):
        if name not in PROXIES:
            raise ValueError(f"constraint_proxy={name!r}: expected one of {PROXIES}.")
        if not margin > 0:
            raise ValueError(f"proxy_margin={margin!r}: expected a number > 0.")
        self.name, self.margin = name, float(margin)
        self.shift = float(np.log(np.expm1(margin)))

    def value(self, s, sign=1):
        x = sign * s
        if self.name == "cross_entropy":
            return np.logaddexp(0.0, x + self.shift)
        hinge = np.maximum(0.0, x + self.margin)
        return hinge if self.name == "hinge" else 0.5 * hinge ** 2

    def d1(self, s, sign=1):
        """d phi(sign * s) / ds."""
        x = sign * s
        if self.name == "cross_entropy":
            d = expit(x + self.shift)
        elif self.name == "hinge":
            d = (x > -self.margin).astype(np.float64)
        else:
            d = np.maximum(0.0, x + self.margin)
        return sign * d

    def d2(self, s, sign=1):
        """d^2 phi(sign * s) / ds^2 (>= 0: every proxy is convex)."""
        x = sign * s
        if self.name == "cross_entropy":
            p = expit(x + self.shift)
            return p * (1.0 - p)
        if self.name == "hinge":
            return np.zeros_like(x)
        return (x > -self.margin).astype(np.float64)


# --------------------------------------------------------------------------------------------
# Rates by group
# --------------------------------------------------------------------------------------------
def group_rates(kind: str, y, predicted_positive, group, n_groups: int, weight=None):
    """Weighted ``kind`` rate ("FPR", "FNR", "DP") of each group code ``0..n_groups-1``
    (NaN for a group with no rows the rate is taken over) and the groups' weighted row counts."""
    label, sign = RATE_ROWS[kind]
    rows = np.ones(y.shape[0], dtype=bool) if label is None else (y == label)
    w = np.ones(y.shape[0]) if weight is None else weight
    hit = predicted_positive if sign > 0 else ~predicted_positive
    size = np.bincount(group[rows], weights=w[rows], minlength=n_groups)
    count = np.bincount(group[rows & hit], weights=w[rows & hit], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(size > 0, count / np.where(size > 0, size, 1.0), np.nan), size


def min_max_ratio(rates) -> float:
    """min / max over the defined rates (1 when all are 0; NaN when fewer than two exist)."""
    r = np.asarray(rates, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 2:
        return float("nan")
    return 1.0 if r.max() <= 0 else float(r.min() / r.max())


@dataclass
class FairnessReport:
    """Per-group error and positive rates at a score threshold, with min/max ratios and
    max - min differences over the groups. ``groups`` maps a group value to its ``count``,
    ``fpr``, ``fnr``, ``tpr`` and ``positive_rate``."""

    threshold: float
    groups: dict
    ratios: dict
    differences: dict

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "groups": self.groups, "ratios": self.ratios,
                "differences": self.differences}

    def __str__(self) -> str:
        lines = [f"{'group':>16} {'count':>9} {'FPR':>8} {'FNR':>8} {'TPR':>8} {'pos.rate':>8}"]
        for g, r in self.groups.items():
            lines.append(f"{str(g):>16} {r['count']:>9.6g} {r['fpr']:>8.4f} {r['fnr']:>8.4f} "
                         f"{r['tpr']:>8.4f} {r['positive_rate']:>8.4f}")
        lines.append("ratios (min/max): " + ", ".join(f"{k} {v:.4f}"
                                                      for k, v in self.ratios.items()))
        lines.append("differences (max-min): " + ", ".join(f"{k} {v:.4f}"
                                                           for k, v in self.differences.items()))
        return "\n".join(lines)


def encode_groups(group, name: str = "constraint_group"):
    """(codes int64, unique values) of a 1-D group column; ``ValueError`` on NaN or bad shape."""
    if hasattr(group, "to_numpy"):
        group = group.to_numpy()
    g = np.asarray(group)
    if g.ndim == 2 and g.shape[1] == 1:
        g = g[:, 0]
    if g.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {g.shape}.")
    if g.dtype.kind == "f" and np.isnan(g).any():
        raise ValueError(f"{name} contains NaN; every row needs a group.")
    if g.dtype == object and any(v is None or (isinstance(v, float) and np.isnan(v))
                                 for v in g):
        raise ValueError(f"{name} contains missing values; every row needs a group.")
    try:
        values, codes = np.unique(g, return_inverse=True)
    except TypeError:
        raise TypeError(f"{name} mixes types that cannot be ordered; give one type.") from None
    return codes.astype(np.int64), values


def fairness_report(y_true, y_score, group, threshold: float = 0.5,
                    sample_weight=None) -> FairnessReport:
    """Group-fairness figures of scores ``y_score`` (probabilities of class 1) thresholded at
    ``threshold``: per group the weighted FPR, FNR, TPR and positive rate; their min/max ratios
    and max-min differences over the groups.

    Parameters
    ----------
    y_true : (n_samples,) 0/1 labels
    y_score : (n_samples,) scores, compared with ``>= threshold``
    group : (n_samples,) group of each row (any hashable values)
    threshold : float
    sample_weight : (n_samples,) optional
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    score = np.asarray(y_score, dtype=np.float64).ravel()
    codes, values = encode_groups(group, "group")
    if not (y.shape == score.shape == codes.shape):
        raise ValueError(f"y_true, y_score and group must have the same length; got "
                         f"{y.shape[0]}, {score.shape[0]} and {codes.shape[0]}.")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y_true must hold only 0 and 1.")
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).ravel()
    positive = score >= threshold
    k = values.size
    rates = {kind: group_rates(kind, y, positive, codes, k, w)[0] for kind in RATE_ROWS}
    counts = np.bincount(codes, weights=w, minlength=k)
    groups = {}
    for i, v in enumerate(values):
        groups[v.item() if isinstance(v, np.generic) else v] = {
            "count": float(counts[i]), "fpr": float(rates["FPR"][i]),
            "fnr": float(rates["FNR"][i]), "tpr": float(1.0 - rates["FNR"][i]),
            "positive_rate": float(rates["DP"][i])}
    tpr = 1.0 - rates["FNR"]
    ratios = {"fpr": min_max_ratio(rates["FPR"]), "fnr": min_max_ratio(rates["FNR"]),
              "tpr": min_max_ratio(tpr), "positive_rate": min_max_ratio(rates["DP"])}

    def spread(r):
        r = r[np.isfinite(r)]
        return float(r.max() - r.min()) if r.size >= 2 else float("nan")
    differences = {"fpr": spread(rates["FPR"]), "fnr": spread(rates["FNR"]),
                   "positive_rate": spread(rates["DP"])}
    return FairnessReport(float(threshold), groups, ratios, differences)


# --------------------------------------------------------------------------------------------
# Constraint families
# --------------------------------------------------------------------------------------------
def _argmax_of_others(rates) -> np.ndarray:
    """(G,) for each group the index of the highest rate among the *other* groups (NaN rates,
    undefined groups, never win unless nothing else is defined)."""
    r = np.where(np.isfinite(rates), rates, -np.inf)
    order = np.argsort(-r, kind="stable")
    best, second = order[0], order[1] if r.size > 1 else order[0]
    out = np.full(r.size, best)
    out[best] = second
    return out


def _max_of_others(rates) -> np.ndarray:
    """(G,) the highest defined rate among the other groups (NaN where there is none)."""
    r = np.asarray(rates, dtype=np.float64)
    other = r[_argmax_of_others(r)]
    return np.where(np.isfinite(r), other, np.nan)


class _Family:
    """The constraints on one rate: group-wise (``max_{h != g} r_h - r_g - tolerance``, one per
    group: the other groups' highest rate may not exceed g's by more than the tolerance) or
    global (``r - target``, one over all groups).

    Against FairGBM's ``max_h r_h - r_g`` this keeps each multiplier's constraint able to go
    negative, so a multiplier comes back down once its group overshoots: with FairGBM's form and
    zero tolerance the values are never negative and the multipliers only ever grow."""

    def __init__(self, kind: str, bound: float, is_global: bool, n_groups: int):
        self.kind, self.bound, self.is_global = kind, float(bound), is_global
        self.n_groups = n_groups
        self.n_constraints = 1 if is_global else n_groups

    def labels(self, group_names) -> list:
        if self.is_global:
            return [f"global_{self.kind.lower()}"]
        return [f"{self.kind.lower()}[{g}]" for g in group_names]

    def _members(self, y, group):
        """(n,) the constraint group each row counts in, -1 where the rate ignores it."""
        label, _ = RATE_ROWS[self.kind]
        member = np.zeros_like(group) if self.is_global else group.copy()
        if label is not None:
            member[y != label] = -1
        return member

    def values(self, y, predicted_positive, group, weight):
        """True constraint values (n_constraints,) at a threshold (0 for undefined groups)."""
        groups = np.zeros_like(group) if self.is_global else group
        n = 1 if self.is_global else self.n_groups
        rates, _ = group_rates(self.kind, y, predicted_positive, groups, n, weight)
        if self.is_global:
            return np.nan_to_num(rates - self.bound)
        return np.nan_to_num(_max_of_others(rates) - rates - self.bound)

    def add_gradients(self, y, s, group, weight, total_weight, multipliers, proxy, g, h):
        """Add ``total_weight * d(sum lambda proxy constraint)/d raw`` to ``g`` and its
        curvature times |coefficient| to ``h`` (both (n,) float64)."""
        if not multipliers.any():
            return
        _, sign = RATE_ROWS[self.kind]
        member = self._members(y, group)
        rows = member >= 0
        w = np.ones(y.shape[0]) if weight is None else weight
        n = 1 if self.is_global else self.n_groups
        size = np.bincount(member[rows], weights=w[rows], minlength=n)
        if self.is_global:
            coef = multipliers.copy()
        else:
            # Group g's constraint is P_o(g) - P_g with o(g) the highest *other* group by proxy
            # rate: lambda_g pushes g's rate up and o(g)'s down.
            proxy_sum = np.bincount(member[rows], weights=(w * proxy.value(s, sign))[rows],
                                    minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                proxy_rate = np.where(size > 0, proxy_sum / np.where(size > 0, size, 1), np.nan)
            coef = -multipliers.copy()
            np.add.at(coef, _argmax_of_others(proxy_rate), multipliers)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_group = np.where(size > 0, total_weight * coef / np.where(size > 0, size, 1), 0.0)
        m = member[rows]
        sr, wr = s[rows], w[rows]
        g[rows] += per_group[m] * wr * proxy.d1(sr, sign)
        h[rows] += np.abs(per_group[m]) * wr * proxy.d2(sr, sign)


class FairnessObjective(Objective):
    """Binary cross-entropy under fairness constraints (FairGBM), multipliers by dual ascent.

    Parameters
    ----------
    constraint_type : {"FPR", "FNR", "FPR,FNR", "DP", None}
        Group-wise constraints: equal false-positive rates, equal false-negative rates, both
        (equalized odds), or equal positive-prediction rates (demographic parity).
    fpr_tolerance, fnr_tolerance, dp_tolerance : float >= 0
        How far below the highest group's rate a group's rate may stay.
    global_constraint_type : {"FPR", "FNR", "FPR,FNR", None}
    global_target_fpr, global_target_fnr : float in [0, 1]
        Bounds of the global constraints ``FPR <= target``, ``FNR <= target``.
    constraint_proxy : {"cross_entropy", "hinge", "quadratic"}
    proxy_margin : float > 0
    score_threshold : float in (0, 1)
        The probability at which predictions count as positive in the true constraints.
    multiplier_learning_rate : float >= 0
        The multipliers' ascent step per round (0: unconstrained).
    max_multiplier : float > 0
        The multipliers' upper bound.
    multipliers : list of float, optional
        The starting multipliers (a saved model's); zeros by default.
    """

    name = "binary:constrained"
    default_metric = "logloss"

    def __init__(self, constraint_type="FPR", fpr_tolerance=0.0, fnr_tolerance=0.0,
                 dp_tolerance=0.0, global_constraint_type=None, global_target_fpr=1.0,
                 global_target_fnr=1.0, constraint_proxy="cross_entropy", proxy_margin=0.5,
                 score_threshold=0.5, multiplier_learning_rate=0.5, max_multiplier=10.0,
                 multipliers=None, group_names=None):
        self.constraint_type = normalise_type(constraint_type, CONSTRAINT_TYPES,
                                              "constraint_type")
        self.global_constraint_type = normalise_type(global_constraint_type, GLOBAL_TYPES,
                                                     "global_constraint_type")
        if self.constraint_type == "NONE" and self.global_constraint_type == "NONE":
            raise ValueError("binary:constrained needs a constraint_type or a "
                             "global_constraint_type.")
        self.tolerance = {"FPR": _unit("fpr_tolerance", fpr_tolerance),
                          "FNR": _unit("fnr_tolerance", fnr_tolerance),
                          "DP": _unit("dp_tolerance", dp_tolerance)}
        self.global_target = {"FPR": _unit("global_target_fpr", global_target_fpr),
                              "FNR": _unit("global_target_fnr", global_target_fnr)}
        self.proxy = Proxy(constraint_proxy, proxy_margin)
        if not 0.0 < score_threshold < 1.0:
            raise ValueError(f"score_threshold={score_threshold!r}: expected a number in (0, 1).")
        self.score_threshold = float(score_threshold)
        self.raw_threshold = float(np.log(score_threshold / (1.0 - score_threshold)))
        if not multiplier_learning_rate >= 0:
            raise ValueError(f"multiplier_learning_rate={multiplier_learning_rate!r}: expected "
                             "a number >= 0.")
        if not max_multiplier > 0:
            raise ValueError(f"max_multiplier={max_multiplier!r}: expected a number > 0.")
        self.multiplier_learning_rate = float(multiplier_learning_rate)
        self.max_multiplier = float(max_multiplier)
        self.group_names = None if group_names is None else [str(g) for g in group_names]
        self._initial_multipliers = multipliers
        self.multipliers = None if multipliers is None else np.asarray(multipliers, float)
        self.families: list[_Family] = []
        if self.group_names is not None:
            self._build_families(len(self.group_names))
        self.metrics = self._metrics()

    @classmethod
    def from_params(cls, params: dict) -> "FairnessObjective":
        keys = ("constraint_type", "fpr_tolerance", "fnr_tolerance", "dp_tolerance",
                "global_constraint_type", "global_target_fpr", "global_target_fnr",
                "constraint_proxy", "proxy_margin", "score_threshold",
                "multiplier_learning_rate", "max_multiplier", "multipliers", "group_names")
        return cls(**{k: params[k] for k in keys if k in params})

    # -- constraints ------------------------------------------------------------------------
    def _build_families(self, n_groups: int):
        self.families = [_Family(k, self.tolerance[k], False, n_groups)
                         for k in CONSTRAINT_TYPES[self.constraint_type]]
        self.families += [_Family(k, self.global_target[k], True, n_groups)
                          for k in GLOBAL_TYPES[self.global_constraint_type]]
        n_multipliers = sum(f.n_constraints for f in self.families)
        if self.multipliers is None:
            self.multipliers = np.zeros(n_multipliers)
        elif self.multipliers.shape != (n_multipliers,) or (self.multipliers < 0).any() \
                or not np.isfinite(self.multipliers).all():
            raise ValueError(f"multipliers must be {n_multipliers} finite numbers >= 0 for "
                             f"these constraints and {n_groups} groups.")

    def _split(self, multipliers):
        out, start = [], 0
        for f in self.families:
            out.append(multipliers[start:start + f.n_constraints])
            start += f.n_constraints
        return out

    def constraint_labels(self) -> list:
        return [label for f in self.families for label in f.labels(self.group_names)]

    def constraint_values(self, y, raw, weight) -> np.ndarray:
        """The true constraint values (all families, in multiplier order) at ``raw``."""
        positive = raw[:, 0] >= self.raw_threshold
        label, group = y[:, 0], y[:, 1].astype(np.int64)
        return np.concatenate([f.values(label, positive, group, weight)
                               for f in self.families])

    # -- the objective protocol ---------------------------------------------------------------
    def labels_of(self, dataset, training: bool) -> np.ndarray:
        """(n, 2) labels for the engine: (0/1 label, group code). The training set fixes the
        groups (and the multipliers' layout); a validation set's groups are coded on their own."""
        group = getattr(dataset, "constraint_group", None)
        if group is None and self.constraint_type == "NONE":
            group = np.zeros(len(dataset.label), dtype=np.int64)  # global constraints only
        if group is None:
            raise ValueError("binary:constrained needs the constraint group of every row: "
                             "Dataset(..., constraint_group=g) (or fit(..., "
                             "constraint_group=g)); validation sets need their own.")
        y = np.asarray(dataset.label, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"binary:constrained needs a 1-D 0/1 label; got shape {y.shape}.")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("binary:constrained needs labels 0 and 1.")
        codes, values = encode_groups(group)
        if training:
            names = [str(v) for v in values]
            if values.size < 2 and self.constraint_type != "NONE":
                raise ValueError(f"constraint_group has {values.size} group(s); group-wise "
                                 "constraints need at least 2.")
            self.group_names = names
            self.multipliers = None if self._initial_multipliers is None \
                else np.asarray(self._initial_multipliers, float)
            self._build_families(values.size)
            self._check_groups_defined(y, codes, dataset.weight)
        return np.column_stack([y, codes.astype(np.float64)])

    def _check_groups_defined(self, y, codes, weight):
        for f in self.families:
            label, _ = RATE_ROWS[f.kind]
            if label is None:
                continue
            rows = y == label
            groups = np.zeros_like(codes) if f.is_global else codes
            n = 1 if f.is_global else f.n_groups
            size = np.bincount(groups[rows], weights=None if weight is None else weight[rows],
                               minlength=n)
            empty = np.flatnonzero(size <= 0)
            if empty.size:
                which = "the data" if f.is_global else \
                    f"group {self.group_names[empty[0]]!r}"
                raise ValueError(f"{f.kind} is undefined for {which}: it has no rows of "
                                 f"class {label}, or their weights are zero.")

    def check_label(self, y):
        raise ValueError("binary:constrained needs a constraint group: use "
                         "Dataset(..., constraint_group=g).")

    def init_score(self, y, weight):
        p = np.clip(np.average(y[:, 0], weights=weight), 1e-6, 1 - 1e-6)
        return np.array([np.log(p / (1 - p))])

    def grad_hess(self, y, raw, weight, out_g, out_h):
        label, group = y[:, 0], y[:, 1].astype(np.int64)
        f = raw[:, 0]
        p = expit(f)
        w = 1.0 if weight is None else weight
        g = w * (p - label)
        h = w * np.maximum(p * (1.0 - p), 1e-16)
        total = float(label.shape[0] if weight is None else weight.sum())
        s = f - self.raw_threshold
        for fam, lam in zip(self.families, self._split(self.multipliers)):
            fam.add_gradients(label, s, group, weight, total, lam, self.proxy, g, h)
        out_g[:, 0] = g
        out_h[:, 0] = h

    def after_iteration(self, raw, y, weight) -> dict:
        """Projected ascent on the true constraint values; returns what the engine logs."""
        return self.ascend(self.constraint_values(y, raw, weight))

    def ascend(self, values) -> dict:
        """One projected ascent step of the multipliers on the constraint ``values``; returns
        the constraint values and new multipliers by name, for the log."""
        self.multipliers = np.clip(self.multipliers + self.multiplier_learning_rate * values,
                                   0.0, self.max_multiplier)
        labels = self.constraint_labels()
        log = {f"constraint:{k}": float(v) for k, v in zip(labels, values)}
        log.update({f"multiplier:{k}": float(v) for k, v in zip(labels, self.multipliers)})
        return log

    def transform(self, raw):
        return expit(raw[:, 0])

    def loss(self, y, raw, weight):
        f, label = raw[:, 0], y[:, 0]
        per_row = np.logaddexp(0.0, f) - label * f
        return float(np.average(per_row, weights=weight))

    # -- metrics ------------------------------------------------------------------------------
    def _metrics(self) -> dict:
        out = {}
        for name in ("auc", "logloss", "error"):
            base = METRICS[name]
            out[name] = Metric(name, _on_label(base.fn), base.higher_is_better)
        threshold = self.score_threshold
        for kind, name in (("FPR", "fpr_ratio"), ("FNR", "fnr_ratio"), ("DP", "dp_ratio")):
            def ratio(y, p, w, kind=kind):
                codes = y[:, 1].astype(np.int64)
                rates, _ = group_rates(kind, y[:, 0], p >= threshold, codes,
                                       int(codes.max()) + 1, w)
                return min_max_ratio(rates)
            out[name] = Metric(name, ratio, True)
        return out

    def to_dict(self) -> dict:
        d = {"name": self.name, "constraint_type": self.constraint_type,
             "fpr_tolerance": self.tolerance["FPR"], "fnr_tolerance": self.tolerance["FNR"],
             "dp_tolerance": self.tolerance["DP"],
             "global_constraint_type": self.global_constraint_type,
             "global_target_fpr": self.global_target["FPR"],
             "global_target_fnr": self.global_target["FNR"],
             "constraint_proxy": self.proxy.name, "proxy_margin": self.proxy.margin,
             "score_threshold": self.score_threshold,
             "multiplier_learning_rate": self.multiplier_learning_rate,
             "max_multiplier": self.max_multiplier}
        if self.group_names is not None:
            d["group_names"] = list(self.group_names)
            d["multipliers"] = [float(v) for v in self.multipliers]
        return d


def _on_label(fn):
    return lambda y, p, w: fn(y[:, 0], p, w)


def _unit(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name}={value!r}: expected a number in [0, 1].")
    return float(value)
