"""Objectives: the plug-in point of the engine (DESIGN.md section 4).

An objective provides ``n_outputs(y)``, ``init_score(y, weight)``,
``grad_hess(y, raw, weight, out_g, out_h)``, ``transform(raw)`` and ``loss(y, raw, weight)``.
:func:`get_objective` turns a name or a user callable into one. ``distribution:<name>`` and
``survival:<name>`` are NGBoost objectives (:mod:`gbt.objectives.ngboost`);
``binary:constrained`` is FairGBM (:mod:`gbt.objectives.fairness`); ``rank:pairwise``,
``rank:ndcg`` and ``rank:map`` rank rows within query groups (:mod:`gbt.objectives.ranking`);
L1, quantile, Huber, pseudo-Huber, Poisson, gamma, Tweedie and squared-log-error regression
are in :mod:`gbt.objectives.regression`. ``survival:cox`` (Cox proportional hazards) and
``survival:aft`` (accelerated failure time) are XGBoost's survival objectives
(:mod:`gbt.objectives.survival`); every other ``survival:<name>`` is an NGBoost distribution.
"""
from __future__ import annotations

from .fairness import FairnessObjective
from .losses import (CallableObjective, LogisticLoss, Objective, SoftmaxLoss, SquaredError)
from .ngboost import PREFIXES, DistributionObjective
from .ranking import MAPRank, NDCGRank, PairwiseRank, RankingObjective
from .regression import (AbsoluteError, GammaRegression, Huber, Poisson, PseudoHuber,
                         QuantileError, SquaredLogError, Tweedie)
from .survival import AcceleratedFailureTime, CoxRegression

OBJECTIVES = {
    "reg:squarederror": SquaredError,
    "binary:logistic": LogisticLoss,
    "multi:softprob": SoftmaxLoss,
    "binary:constrained": FairnessObjective,
    "rank:pairwise": PairwiseRank,
    "rank:ndcg": NDCGRank,
    "rank:map": MAPRank,
    "reg:absoluteerror": AbsoluteError,
    "reg:quantileerror": QuantileError,
    "reg:huber": Huber,
    "reg:pseudohubererror": PseudoHuber,
    "count:poisson": Poisson,
    "reg:gamma": GammaRegression,
    "reg:tweedie": Tweedie,
    "reg:squaredlogerror": SquaredLogError,
    # checked before the NGBoost prefixes: "survival:cox" is not a distribution
    "survival:cox": CoxRegression,
    "survival:aft": AcceleratedFailureTime,
}
ALIASES = {"regression": "reg:squarederror", "l2": "reg:squarederror",
           "mse": "reg:squarederror", "squared_error": "reg:squarederror",
           "binary": "binary:logistic", "multiclass": "multi:softprob",
           "softmax": "multi:softprob", "multi:softmax": "multi:softprob",
           "constrained_cross_entropy": "binary:constrained",
           "lambdarank": "rank:ndcg",
           # objective names, not parameter names: "gamma" here is reg:gamma, never min-split-loss
           "l1": "reg:absoluteerror", "mae": "reg:absoluteerror",
           "regression_l1": "reg:absoluteerror", "absolute_error": "reg:absoluteerror",
           "quantile": "reg:quantileerror", "huber": "reg:huber", "poisson": "count:poisson",
           "gamma": "reg:gamma", "tweedie": "reg:tweedie"}


def objective_from_name(name: str, params: dict) -> Objective:
    """The objective called ``name`` (an alias, a table entry, ``distribution:<d>`` or
    ``survival:<d>``), configured from ``params``."""
    name = ALIASES.get(name, name)
    if name in OBJECTIVES:  # survival:cox and survival:aft before the NGBoost prefixes
        return OBJECTIVES[name].from_params(params)
    if name.startswith(tuple(PREFIXES)):
        return DistributionObjective.from_name(name, params)
    if name not in OBJECTIVES:
        raise ValueError(f"Unknown objective {name!r}; expected one of {sorted(OBJECTIVES)}, "
                         "'distribution:<name>', 'survival:<name>' or a callable "
                         "(y, raw) -> (grad, hess).")
    return OBJECTIVES[name].from_params(params)


def get_objective(objective, params: dict | None = None) -> Objective:
    """Return an objective instance for a name, a callable ``(y, raw) -> (grad, hess)`` or an
    object that already implements the protocol."""
    params = params or {}
    if isinstance(objective, str):
        return objective_from_name(objective, params)
    if hasattr(objective, "grad_hess"):
        return objective
    if callable(objective):
        return CallableObjective(objective)
    raise TypeError(f"objective must be a name or a callable; got {type(objective).__name__}.")


__all__ = ["get_objective", "objective_from_name", "DistributionObjective", "Objective",
           "FairnessObjective", "RankingObjective",
           "SquaredError", "LogisticLoss", "SoftmaxLoss", "AbsoluteError", "QuantileError",
           "Huber", "PseudoHuber", "Poisson", "GammaRegression", "Tweedie", "SquaredLogError",
           "CoxRegression", "AcceleratedFailureTime",
           "CallableObjective", "OBJECTIVES"]
