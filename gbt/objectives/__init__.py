"""Objectives: the plug-in point of the engine (DESIGN.md section 4).

An objective provides ``n_outputs(y)``, ``init_score(y, weight)``,
``grad_hess(y, raw, weight, out_g, out_h)``, ``transform(raw)`` and ``loss(y, raw, weight)``.
:func:`get_objective` turns a name or a user callable into one.
"""
from __future__ import annotations

from .losses import (CallableObjective, LogisticLoss, Objective, SoftmaxLoss, SquaredError)

OBJECTIVES = {
    "reg:squarederror": SquaredError,
    "binary:logistic": LogisticLoss,
    "multi:softprob": SoftmaxLoss,
}
ALIASES = {"regression": "reg:squarederror", "l2": "reg:squarederror",
           "mse": "reg:squarederror", "squared_error": "reg:squarederror",
           "binary": "binary:logistic", "multiclass": "multi:softprob",
           "softmax": "multi:softprob", "multi:softmax": "multi:softprob"}


def get_objective(objective, params: dict | None = None) -> Objective:
    """Return an objective instance for a name, a callable ``(y, raw) -> (grad, hess)`` or an
    object that already implements the protocol."""
    params = params or {}
    if isinstance(objective, str):
        name = ALIASES.get(objective, objective)
        if name not in OBJECTIVES:
            raise ValueError(f"Unknown objective {objective!r}; expected one of "
                             f"{sorted(OBJECTIVES)} or a callable (y, raw) -> (grad, hess).")
        return OBJECTIVES[name].from_params(params)
    if hasattr(objective, "grad_hess"):
        return objective
    if callable(objective):
        return CallableObjective(objective)
    raise TypeError(f"objective must be a name or a callable; got {type(objective).__name__}.")


__all__ = ["get_objective", "Objective", "SquaredError", "LogisticLoss", "SoftmaxLoss",
           "CallableObjective", "OBJECTIVES"]
