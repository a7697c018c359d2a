"""The one parameter table: canonical names, defaults, aliases, validation and thread resolution.

Every front end (``train()``, the estimators, the command line) funnels its keyword arguments
through :func:`resolve_params`, so a name, default or bound is written down exactly once here.
Canonical names follow XGBoost's scikit-learn spelling; LightGBM spellings are accepted as
aliases, and when a canonical name and an alias are both given the canonical name wins.
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its default, the check a value must pass and the message when it does not."""

    default: Any
    check: Callable[[Any], bool]
    expected: str
    kind: type | tuple = (int, float)


def _num(lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False):
    def check(v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or math.isnan(v):
            return False
        ok_lo = v > lo if lo_open else v >= lo
        ok_hi = v < hi if hi_open else v <= hi
        return ok_lo and ok_hi
    return check


def _int(lo=-math.inf, hi=math.inf):
    def check(v):
        return (not isinstance(v, bool)) and isinstance(v, (int,)) and lo <= v <= hi
    return check


def _bool(v):
    return isinstance(v, (bool, np.bool_))


def _choice(*options):
    return lambda v: v in options


def _gain_table(v) -> bool:
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) == 0:
        return False
    if not all(_num(0)(g) for g in v):
        return False
    return all(a <= b for a, b in zip(list(v)[:-1], list(v)[1:]))


def _positions(v) -> bool:
    if not isinstance(v, (str, bytes)) and hasattr(v, "__len__"):
        return len(v) > 0 and all(_int(1)(k) or isinstance(k, np.integer) and k >= 1
                                  for k in v)
    return _int(1)(v) or isinstance(v, np.integer) and v >= 1


PARAMS: dict[str, ParamSpec] = {
    "objective": ParamSpec("reg:squarederror", lambda v: isinstance(v, str) or callable(v),
                           "an objective name or a callable (y, raw) -> (grad, hess)", object),
    "eval_metric": ParamSpec(None, lambda v: v is None or isinstance(v, (str, list, tuple)),
                             "a metric name or a list of names", object),
    "num_class": ParamSpec(0, _int(0), "an integer >= 0"),
    "learning_rate": ParamSpec(0.3, _num(0, lo_open=True), "a number > 0"),
    "max_depth": ParamSpec(6, _int(0), "an integer >= 0 (0 = no limit)"),
    "max_leaves": ParamSpec(0, _int(0), "an integer >= 0 (0 = no limit)"),
    "grow_policy": ParamSpec("depthwise", _choice("depthwise", "lossguide"),
                             "'depthwise' or 'lossguide'", str),
    "min_child_weight": ParamSpec(1.0, _num(0), "a number >= 0"),
    "min_child_samples": ParamSpec(1, _int(1), "an integer >= 1"),
    "reg_lambda": ParamSpec(1.0, _num(0), "a number >= 0"),
    "reg_alpha": ParamSpec(0.0, _num(0), "a number >= 0"),
    "gamma": ParamSpec(0.0, _num(0), "a number >= 0"),
    "max_delta_step": ParamSpec(0.0, _num(0), "a number >= 0 (0 = no limit)"),
    "subsample": ParamSpec(1.0, _num(0, 1, lo_open=True), "a number in (0, 1]"),
    "colsample_bytree": ParamSpec(1.0, _num(0, 1, lo_open=True), "a number in (0, 1]"),
    "colsample_bynode": ParamSpec(1.0, _num(0, 1, lo_open=True), "a number in (0, 1]"),
    "max_bin": ParamSpec(255, _int(2, 65534), "an integer in [2, 65534]"),
    "n_jobs": ParamSpec(None, lambda v: v is None or _int()(v) and v != 0,
                        "None, a positive thread count, or -1 for all cores", object),
    "random_state": ParamSpec(0, lambda v: v is None or _int(0)(v), "None or an integer >= 0", object),
    "base_score": ParamSpec(None, lambda v: v is None or _num()(v), "None or a number", object),
    "scale_pos_weight": ParamSpec(1.0, _num(0, lo_open=True), "a number > 0"),
    "multi_strategy": ParamSpec("auto", _choice("auto", "one_per_output", "condensed"),
                                "'auto' (the objective's choice: condensed for distributions, "
                                "else one_per_output), 'one_per_output' (K trees per round) or "
                                "'condensed' (one vector-leaf tree per round)", str),
    "device": ParamSpec("cpu", _choice("cpu", "cuda", "gpu", "auto"),
                        "'cpu', 'cuda' (alias 'gpu': an NVIDIA GPU through CuPy) or 'auto' "
                        "(the GPU when one is usable, else the CPU with a warning)", str),
    "split_grad": ParamSpec("full", _choice("full", "top_k", "random_projection"),
                            "'full', 'top_k' or 'random_projection' (condensed trees: search "
                            "splits on a sketch of the gradient matrix)", str),
    "split_grad_dim": ParamSpec(5, _int(1), "an integer >= 1"),
    # distribution:* / survival:* objectives (NGBoost)
    "score": ParamSpec("log", _choice("log", "crps"), "'log' (negative log-likelihood) or "
                       "'crps'", str),
    "natural_gradient": ParamSpec(True, _bool, "True or False", bool),
    "line_search": ParamSpec(True, _bool, "True or False", bool),
    "natural_hessian": ParamSpec("unit", _choice("unit", "fisher"), "'unit' (least squares on "
                                 "the natural gradient, as NGBoost) or 'fisher' (trees weigh "
                                 "rows by the metric's diagonal)", str),
    "df": ParamSpec(3.0, _num(0, lo_open=True), "a number > 0 (StudentT degrees of freedom)"),
    # binary:constrained (FairGBM); see gbt.objectives.fairness
    "constraint_type": ParamSpec("FPR", lambda v: v is None or isinstance(v, str),
                                 "'FPR', 'FNR', 'FPR,FNR', 'DP' or None", object),
    "fpr_tolerance": ParamSpec(0.0, _num(0, 1), "a number in [0, 1]"),
    "fnr_tolerance": ParamSpec(0.0, _num(0, 1), "a number in [0, 1]"),
    "dp_tolerance": ParamSpec(0.0, _num(0, 1), "a number in [0, 1]"),
    "global_constraint_type": ParamSpec(None, lambda v: v is None or isinstance(v, str),
                                        "'FPR', 'FNR', 'FPR,FNR' or None", object),
    "global_target_fpr": ParamSpec(1.0, _num(0, 1), "a number in [0, 1]"),
    "global_target_fnr": ParamSpec(1.0, _num(0, 1), "a number in [0, 1]"),
    "constraint_proxy": ParamSpec("cross_entropy", _choice("cross_entropy", "hinge",
                                                           "quadratic"),
                                  "'cross_entropy', 'hinge' or 'quadratic'", str),
    "proxy_margin": ParamSpec(0.5, _num(0, lo_open=True), "a number > 0"),
    "score_threshold": ParamSpec(0.5, _num(0, 1, True, True), "a number in (0, 1)"),
    "multiplier_learning_rate": ParamSpec(0.5, _num(0), "a number >= 0"),
    "max_multiplier": ParamSpec(10.0, _num(0, lo_open=True), "a number > 0"),
    # rank:pairwise / rank:ndcg / rank:map; see gbt.objectives.ranking
    "lambdarank_truncation_level": ParamSpec(30, _int(1), "an integer >= 1 (rank:ndcg and "
                                             "rank:map: pairs need one document in the top k "
                                             "by score)"),
    "lambdarank_norm": ParamSpec(True, _bool, "True or False", bool),
    "label_gain": ParamSpec(None, lambda v: v is None or _gain_table(v),
                            "None (2^i - 1 for relevance i) or a non-decreasing list of "
                            "numbers >= 0, one per relevance level", object),
    "eval_at": ParamSpec(None, lambda v: v is None or _positions(v),
                         "None (10) or an integer >= 1 or a list of them (the k of the "
                         "default ndcg@k / map@k metrics)", object),
    # regression objectives; see gbt.objectives.regression
    "quantile_alpha": ParamSpec(0.5, _num(0, 1, True, True), "a number in (0, 1) (the quantile "
                                "reg:quantileerror fits)"),
    "huber_slope": ParamSpec(1.0, _num(0, lo_open=True), "a number > 0 (reg:huber and "
                             "reg:pseudohubererror: where the loss turns from quadratic to "
                             "linear)"),
    "poisson_max_delta_step": ParamSpec(0.7, _num(0), "a number >= 0 (count:poisson: the "
                                        "hessian is exp(raw + this), a safeguard of the "
                                        "Newton step; XGBoost's max_delta_step for Poisson)"),
    "tweedie_variance_power": ParamSpec(1.5, _num(1, 2, hi_open=True), "a number in [1, 2)"),
    # survival:aft; see gbt.objectives.survival
    "aft_loss_distribution": ParamSpec("normal", _choice("normal", "logistic", "extreme"),
                                       "'normal', 'logistic' or 'extreme' (survival:aft: the "
                                       "distribution of the log-time noise)", str),
    "aft_loss_distribution_scale": ParamSpec(1.0, _num(0, lo_open=True),
                                             "a number > 0 (survival:aft: the scale sigma of "
                                             "the log-time noise)"),
    # training-time constraints; names are resolved against the Dataset by
    # resolve_feature_constraints (checked in full there, the form here)
    "monotone_constraints": ParamSpec(None, lambda v: True, "None, a list of -1 / 0 / 1 per "
                                      "feature, a string '(1,0,-1)' or a dict "
                                      "{feature name or index: -1 / 0 / 1}", object),
    "interaction_constraints": ParamSpec(None, lambda v: True, "None or a list of lists of "
                                         "feature indices or names, e.g. [[0, 1], [2, 3]] "
                                         "(or the same as a string)", object),
    # categorical features (LightGBM's names and defaults; see gbt._native.cpu.split)
    "categorical_feature": ParamSpec(None, lambda v: True, "None or a list of feature indices "
                                     "or names (or a string '0,3' / 'name:a,b')", object),
    "enable_categorical": ParamSpec(True, _bool, "True or False (XGBoost's switch: False "
                                    "splits data-frame category columns on their codes as "
                                    "ordered numbers; listed categorical_feature columns stay "
                                    "categorical)", bool),
    "max_cat_to_onehot": ParamSpec(4, _int(1), "an integer >= 1 (a categorical feature with "
                                   "fewer categories splits one category against the rest)"),
    "max_cat_threshold": ParamSpec(32, _int(1), "an integer >= 1 (most categories on the "
                                   "left of a partition split)"),
    "cat_smooth": ParamSpec(10.0, _num(0), "a number >= 0 (added to each category's hessian "
                            "when sorting; categories with fewer rows are not sorted)"),
    "cat_l2": ParamSpec(10.0, _num(0), "a number >= 0 (extra L2 on the children of a "
                        "partition split)"),
    "min_data_per_group": ParamSpec(100, _int(1), "an integer >= 1 (rows between partition "
                                    "candidates, and at least on the right)"),
    "verbosity": ParamSpec(1, _int(0, 3), "an integer in [0, 3]"),
}

# Parameters of categorical splits: saved in a model file only when it has categorical
# features (files of other models stay as they were).
CATEGORICAL_PARAMS = ("categorical_feature", "enable_categorical", "max_cat_to_onehot",
                      "max_cat_threshold", "cat_smooth", "cat_l2", "min_data_per_group")

# LightGBM (and a few XGBoost native) spellings -> canonical name.
ALIASES: dict[str, str] = {
    "eta": "learning_rate", "shrinkage_rate": "learning_rate",
    "num_leaves": "max_leaves", "max_leaf_nodes": "max_leaves",
    "min_sum_hessian_in_leaf": "min_child_weight", "min_sum_hessian": "min_child_weight",
    "min_data_in_leaf": "min_child_samples", "min_samples_leaf": "min_child_samples",
    "lambda_l2": "reg_lambda", "lambda": "reg_lambda", "l2_regularization": "reg_lambda",
    "lambda_l1": "reg_alpha", "alpha": "reg_alpha",
    "min_split_gain": "gamma", "min_gain_to_split": "gamma",
    "bagging_fraction": "subsample",
    "feature_fraction": "colsample_bytree",
    "feature_fraction_bynode": "colsample_bynode",
    "max_bins": "max_bin",
    "num_threads": "n_jobs", "nthread": "n_jobs", "n_threads": "n_jobs",
    "device_type": "device",
    "seed": "random_state", "random_seed": "random_state",
    "metric": "eval_metric",
    "num_classes": "num_class",
    "verbose": "verbosity",
    # FairGBM's spellings
    "constraint_stepwise_proxy": "constraint_proxy", "stepwise_proxy_margin": "proxy_margin",
    "constraint_fpr_threshold": "fpr_tolerance", "constraint_fnr_threshold": "fnr_tolerance",
    "lagrangian_learning_rate": "multiplier_learning_rate",
    # ranking: LightGBM's spellings; XGBoost's lambdarank_num_pair_per_sample is the same
    # number under its (default for NDCG) "topk" pair method
    "lambdarank_num_pair_per_sample": "lambdarank_truncation_level",
    "ndcg_eval_at": "eval_at", "ndcg_at": "eval_at", "map_eval_at": "eval_at", "map_at": "eval_at",
    # regression objectives: the Huber δ by its textbook name. LightGBM's "alpha" (its quantile
    # and Huber parameter) is not an alias: "alpha" is XGBoost's reg_alpha above; spell it
    # quantile_alpha or huber_slope.
    "huber_delta": "huber_slope",
    # LightGBM's spellings of the constraints
    "monotone_constraint": "monotone_constraints", "mc": "monotone_constraints",
    "interaction_constraint": "interaction_constraints",
    # LightGBM's spellings of the categorical feature list
    "categorical_column": "categorical_feature", "cat_feature": "categorical_feature",
    "cat_column": "categorical_feature", "categorical_features": "categorical_feature",
}


def canonical_name(name: str) -> str:
    """Map a canonical name or alias to the canonical name; raise ``ValueError`` if unknown."""
    if name in PARAMS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    close = [p for p in list(PARAMS) + list(ALIASES) if p.split("_")[0] == name.split("_")[0]]
    hint = f" Did you mean one of {sorted(close)}?" if close else ""
    raise ValueError(f"Unknown parameter {name!r}.{hint}")


# Objectives whose level LightGBM calls "alpha" (quantile level, Huber delta).
_LIGHTGBM_ALPHA_OBJECTIVES = {"quantile": "quantile_alpha", "reg:quantileerror": "quantile_alpha",
                              "huber": "huber_slope", "reg:huber": "huber_slope"}


def _refuse_lightgbm_alpha(given: dict, resolved: dict) -> None:
    """``alpha`` is XGBoost's L1 regularisation here; a LightGBM user writing it next to a
    quantile or Huber objective means the level, and would otherwise get a silently wrong
    model."""
    level = _LIGHTGBM_ALPHA_OBJECTIVES.get(resolved.get("objective")) \
        if isinstance(resolved.get("objective"), str) else None
    if level is not None and "alpha" in given:
        raise ValueError(f"'alpha' is the L1 regularisation (reg_alpha) here, not the "
                         f"{resolved['objective']!r} level: write {level}= for the level (or "
                         "reg_alpha= for L1).")


def resolve_params(params: dict | None) -> dict:
    """Return a full, validated parameter dict with canonical names.

    Parameters
    ----------
    params : dict or None
        User parameters, canonical names or aliases. A canonical name beats its alias.

    Raises
    ------
    ValueError
        For an unknown name or a value outside its allowed range.
    """
    params = dict(params or {})
    given: dict[str, list[str]] = {}
    for name in params:
        given.setdefault(canonical_name(name), []).append(name)
    out: dict[str, Any] = {}
    for canon, names in given.items():
        if canon in names:  # the canonical spelling wins over any alias
            out[canon] = params[canon]
        elif len(names) > 1:
            raise ValueError(f"Parameters {names} are aliases of {canon!r}; give only one.")
        else:
            out[canon] = params[names[0]]
    for name, spec in PARAMS.items():
        if name not in out:
            out[name] = spec.default
            continue
        value = out[name]
        if isinstance(value, float) and spec.kind == (int, float) and name in _INT_PARAMS \
                and value.is_integer():
            value = int(value)
            out[name] = value
        if name in _INT_PARAMS and hasattr(value, "__index__") and not isinstance(value, bool):
            value = int(value)
            out[name] = value
        if not spec.check(value):
            raise ValueError(f"Parameter {name!r}={value!r} is invalid: expected {spec.expected}.")
        if isinstance(value, np.generic):
            out[name] = value.item()  # plain Python numbers from here on (and in model files)
    _refuse_lightgbm_alpha(params, out)
    out["monotone_constraints"] = _monotone_form(out["monotone_constraints"])
    out["interaction_constraints"] = _interaction_form(out["interaction_constraints"])
    out["categorical_feature"] = _categorical_form(out["categorical_feature"])
    if out["grow_policy"] == "lossguide" and out["max_leaves"] == 0 and out["max_depth"] == 0:
        raise ValueError("grow_policy='lossguide' needs max_leaves > 0 or max_depth > 0 "
                         "to bound the tree size.")
    if out["grow_policy"] == "depthwise" and out["max_depth"] == 0 and out["max_leaves"] == 0:
        raise ValueError("grow_policy='depthwise' needs max_depth > 0 or max_leaves > 0.")
    return out


_INT_PARAMS = {name for name, spec in PARAMS.items()
               if spec.expected.startswith("an integer")} | {"random_state", "n_jobs"}


def resolve_n_threads(n_jobs: int | None) -> int:
    """Turn ``n_jobs`` into a positive thread count (None or -1: all cores; -2: all but one).

    The count is also the number of row chunks a histogram is split into, so a fixed ``n_jobs``
    gives a bit-identical model on any machine; :func:`gbt._native.backend.use_threads` caps the
    threads actually started at what Numba has.
    """
    if n_jobs == 0:
        raise ValueError("n_jobs=0 is not a thread count; use None or -1 for all cores.")
    if n_jobs is None:
        return os.cpu_count() or 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs


# ----------------------------------------------------------------------------------------------
# Monotone and interaction constraints. resolve_params checks their form and turns strings into
# lists; resolve_feature_constraints (called by train() once the Dataset's feature names and
# count are known) maps names to indices and checks lengths and ranges.
# ----------------------------------------------------------------------------------------------

_MONO_EXPECTED = PARAMS["monotone_constraints"].expected
_INTER_EXPECTED = PARAMS["interaction_constraints"].expected


def _feature_key(v) -> bool:
    return isinstance(v, str) or (isinstance(v, (int, np.integer)) and not isinstance(v, bool))


def _mono_value(v, where: str) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, float)) or \
            isinstance(v, float) and not v.is_integer():
        raise TypeError(f"Parameter 'monotone_constraints': {where} is {v!r}; expected -1, 0 "
                        "or 1.")
    if int(v) not in (-1, 0, 1):
        raise ValueError(f"Parameter 'monotone_constraints': {where} is {v!r}; expected -1 "
                         "(decreasing), 0 (none) or 1 (increasing).")
    return int(v)


def _monotone_form(value):
    """None, a list of ints in {-1, 0, 1}, or a dict {name or index: int}."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("(", "[")) and text.endswith((")", "]")):
            text = text[1:-1]
        try:
            value = [int(t) for t in text.split(",") if t.strip()]
        except ValueError:
            raise ValueError(f"Parameter 'monotone_constraints'={value!r} is invalid: expected "
                             f"{_MONO_EXPECTED}.") from None
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if not _feature_key(key):
                raise TypeError(f"Parameter 'monotone_constraints': key {key!r} is not a "
                                "feature name or index.")
            out[key if isinstance(key, str) else int(key)] = _mono_value(v, f"the value of "
                                                                          f"{key!r}")
        return out
    if isinstance(value, (list, tuple, np.ndarray)):
        seq = value.tolist() if isinstance(value, np.ndarray) else value
        return [_mono_value(v, f"entry {i}") for i, v in enumerate(seq)]
    raise TypeError(f"Parameter 'monotone_constraints'={value!r} is invalid: expected "
                    f"{_MONO_EXPECTED}.")


def _categorical_form(value):
    """None or a list of feature indices / names, from a list, one index or name, or
    LightGBM's strings ``"0,3,5"`` and ``"name:a,b"``."""
    if value is None:
        return None
    expected = PARAMS["categorical_feature"].expected
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("name:"):
            value = [t.strip() for t in text[5:].split(",") if t.strip()]
        else:
            value = [int(t) if t.strip().lstrip("-").isdigit() else t.strip()
                     for t in text.split(",") if t.strip()]
    elif _feature_key(value):
        value = [value]
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise TypeError(f"Parameter 'categorical_feature'={value!r} is invalid: expected "
                        f"{expected}.")
    for v in value:
        if not _feature_key(v):
            raise TypeError(f"Parameter 'categorical_feature': {v!r} is not a feature index or "
                            "name.")
    return [v if isinstance(v, str) else int(v) for v in value]


def _interaction_form(value):
    """None or a list of lists of feature names / indices."""
    if value is None:
        return None
    if isinstance(value, str):
        import json
        try:
            value = json.loads(value.replace("(", "[").replace(")", "]").replace("'", '"'))
        except ValueError:
            raise ValueError(f"Parameter 'interaction_constraints'={value!r} is invalid: "
                             f"expected {_INTER_EXPECTED}.") from None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"Parameter 'interaction_constraints'={value!r} is invalid: expected "
                        f"{_INTER_EXPECTED}.")
    out = []
    for i, group in enumerate(value):
        if isinstance(group, np.ndarray):
            group = group.tolist()
        if not isinstance(group, (list, tuple, set, frozenset)):
            raise TypeError(f"Parameter 'interaction_constraints': entry {i} is {group!r}; "
                            "expected a list of feature indices or names.")
        if len(group) == 0:
            raise ValueError(f"Parameter 'interaction_constraints': entry {i} is empty.")
        for v in group:
            if not _feature_key(v):
                raise TypeError(f"Parameter 'interaction_constraints': {v!r} in entry {i} is "
                                "not a feature index or name.")
        out.append([v if isinstance(v, str) else int(v) for v in group])
    return out


def _feature_index(key, feature_names, n_features: int, name: str) -> int:
    if isinstance(key, str):
        names = list(feature_names or [])
        if key not in names:
            shown = names if len(names) <= 20 else names[:20] + ["..."]
            raise ValueError(f"Parameter {name!r}: unknown feature name {key!r}; the data's "
                             f"features are {shown}.")
        return names.index(key)
    if not 0 <= key < n_features:
        raise ValueError(f"Parameter {name!r}: feature index {key} is out of range for "
                         f"{n_features} features.")
    return int(key)


def resolve_feature_constraints(params: dict, feature_names, n_features: int):
    """The constraints of resolved ``params`` with names mapped to column indices.

    Parameters
    ----------
    params : dict, from :func:`resolve_params`
    feature_names : list of str or None, the training data's column names
    n_features : int

    Returns
    -------
    (monotone, interaction) : a list of ``n_features`` ints in {-1, 0, 1} (None when every
    entry is 0) and a list of lists of column indices (None without constraints).

    Raises
    ------
    ValueError
        A list of the wrong length, an unknown feature name, an index out of range.
    """
    mono = params.get("monotone_constraints")
    if isinstance(mono, dict):
        out = [0] * n_features
        for key, c in mono.items():
            out[_feature_index(key, feature_names, n_features, "monotone_constraints")] = c
        mono = out
    elif mono is not None and len(mono) != n_features:
        raise ValueError(f"Parameter 'monotone_constraints' has {len(mono)} entries; the data "
                         f"has {n_features} features (give one entry per feature, or a dict).")
    if mono is not None and not any(mono):
        mono = None
    inter = params.get("interaction_constraints")
    if inter is not None:
        inter = [sorted({_feature_index(k, feature_names, n_features,
                                        "interaction_constraints") for k in group})
                 for group in inter]
        if not inter:
            inter = None
    return mono, inter
