"""The parameter table: aliases, precedence, validation and thread resolution."""
import itertools
import os

import numpy as np
import pytest

from gbt.params import (ALIASES, PARAMS, canonical_name, resolve_n_threads, resolve_params)


def test_defaults_are_valid_and_complete():
    out = resolve_params(None)
    assert set(out) == set(PARAMS)
    for name, spec in PARAMS.items():
        assert out[name] == spec.default
    assert resolve_params({}) == out


def test_every_alias_points_to_a_canonical_name():
    for alias, canon in ALIASES.items():
        assert canon in PARAMS, alias
        assert alias not in PARAMS, alias
        assert canonical_name(alias) == canon
    for name in PARAMS:
        assert canonical_name(name) == name


@pytest.mark.parametrize("alias,canon,value", [
    ("eta", "learning_rate", 0.05), ("shrinkage_rate", "learning_rate", 0.2),
    ("num_leaves", "max_leaves", 31), ("min_data_in_leaf", "min_child_samples", 20),
    ("min_sum_hessian_in_leaf", "min_child_weight", 2.5), ("lambda_l2", "reg_lambda", 3.0),
    ("lambda_l1", "reg_alpha", 0.5), ("min_split_gain", "gamma", 0.1),
    ("bagging_fraction", "subsample", 0.8), ("feature_fraction", "colsample_bytree", 0.7),
    ("max_bins", "max_bin", 63), ("num_threads", "n_jobs", 2), ("seed", "random_state", 7),
    ("metric", "eval_metric", "auc"), ("num_classes", "num_class", 3), ("verbose", "verbosity", 0),
])
def test_alias_maps_to_canonical(alias, canon, value):
    out = resolve_params({alias: value})
    assert out[canon] == value
    assert alias not in out


def test_canonical_beats_alias_in_either_order():
    assert resolve_params({"eta": 0.1, "learning_rate": 0.2})["learning_rate"] == 0.2
    assert resolve_params({"learning_rate": 0.2, "eta": 0.1})["learning_rate"] == 0.2
    assert resolve_params({"num_leaves": 7, "max_leaves": 15})["max_leaves"] == 15


def test_two_aliases_conflict():
    with pytest.raises(ValueError, match=r"\['eta', 'shrinkage_rate'\] are aliases "
                                         "of 'learning_rate'"):
        resolve_params({"eta": 0.1, "shrinkage_rate": 0.2})
    with pytest.raises(ValueError, match="aliases of 'n_jobs'"):
        resolve_params({"nthread": 2, "num_threads": 2})


def test_alias_precedence_does_not_depend_on_order():
    """Canonical name plus two aliases: the outcome must not depend on the dict order."""
    items = [("eta", 0.1), ("shrinkage_rate", 0.3), ("learning_rate", 0.2)]
    outcomes = set()
    for perm in itertools.permutations(items):
        try:
            outcomes.add(resolve_params(dict(perm))["learning_rate"])
        except ValueError:
            outcomes.add("ValueError")
    assert len(outcomes) == 1, outcomes


def test_unknown_name_is_named():
    with pytest.raises(ValueError, match="Unknown parameter 'learning_rat'"):
        resolve_params({"learning_rat": 0.1})
    with pytest.raises(ValueError, match="Unknown parameter 'max_dept'.*'max_depth'"):
        resolve_params({"max_dept": 3})  # a hint lists names sharing the first word
    with pytest.raises(ValueError, match="Unknown parameter 'zzz'"):
        canonical_name("zzz")


@pytest.mark.parametrize("name,value", [
    ("learning_rate", 0), ("learning_rate", -0.1), ("learning_rate", float("nan")),
    ("learning_rate", "0.1"), ("learning_rate", True),
    ("max_depth", -1), ("max_depth", 2.5), ("max_depth", "3"), ("max_leaves", -2),
    ("min_child_weight", -1e-9), ("min_child_samples", 0), ("reg_lambda", -1),
    ("reg_alpha", -0.5), ("gamma", -1), ("max_delta_step", -1),
    ("subsample", 0), ("subsample", 1.5), ("colsample_bytree", 0.0),
    ("colsample_bynode", 1.01), ("max_bin", 1), ("max_bin", 65535), ("n_jobs", 0),
    ("n_jobs", 1.5), ("random_state", -1), ("scale_pos_weight", 0),
    ("grow_policy", "leafwise"), ("verbosity", 4), ("num_class", -1),
    ("multi_strategy", "per_class"), ("objective", 3), ("eval_metric", 3),
    ("base_score", "x"),
])
def test_out_of_range_values(name, value):
    with pytest.raises(ValueError, match=f"Parameter '{name}'=.* is invalid: expected"):
        resolve_params({name: value})


def test_out_of_range_through_alias_names_canonical():
    with pytest.raises(ValueError, match="Parameter 'learning_rate'=-1"):
        resolve_params({"eta": -1})


def test_integer_valued_floats_and_numpy_integers_become_int():
    out = resolve_params({"max_depth": 4.0, "max_bin": np.int64(63), "max_leaves": np.int32(8),
                          "random_state": np.int64(3), "n_jobs": np.int64(2)})
    for name, value in (("max_depth", 4), ("max_bin", 63), ("max_leaves", 8),
                        ("random_state", 3), ("n_jobs", 2)):
        assert out[name] == value and type(out[name]) is int, name


@pytest.mark.parametrize("name,value", [
    ("reg_lambda", np.int64(2)), ("min_child_weight", np.int64(1)),
    ("subsample", np.float32(0.5)), ("learning_rate", np.float32(0.1)),
    ("learning_rate", np.float64(0.1)), ("gamma", np.uint8(1)),
])
def test_numpy_scalars_accepted_for_real_parameters(name, value):
    """Values drawn from numpy grids (GridSearchCV, np.linspace) must be accepted."""
    out = resolve_params({name: value})
    assert out[name] == pytest.approx(float(value))


def test_lossguide_and_depthwise_need_a_bound():
    with pytest.raises(ValueError, match="lossguide.*max_leaves > 0 or max_depth > 0"):
        resolve_params({"grow_policy": "lossguide", "max_depth": 0, "max_leaves": 0})
    with pytest.raises(ValueError, match="depthwise"):
        resolve_params({"max_depth": 0})
    assert resolve_params({"grow_policy": "lossguide", "max_depth": 0,
                           "max_leaves": 31})["max_leaves"] == 31
    assert resolve_params({"grow_policy": "lossguide", "max_depth": 4,
                           "max_leaves": 0})["max_depth"] == 4
    assert resolve_params({"max_depth": 0, "num_leaves": 16})["max_leaves"] == 16


def test_valid_edge_values():
    out = resolve_params({"subsample": 1.0, "colsample_bynode": 1e-9, "max_bin": 65534,
                          "min_child_weight": 0, "n_jobs": -1, "random_state": None,
                          "base_score": 0.5, "eval_metric": ["auc", "logloss"],
                          "objective": lambda y, r: (r - y, np.ones_like(r))})
    assert out["max_bin"] == 65534 and out["n_jobs"] == -1 and out["random_state"] is None
    assert callable(out["objective"])


def test_resolve_n_threads():
    n = os.cpu_count() or 1
    assert resolve_n_threads(None) == n
    assert resolve_n_threads(-1) == n
    assert resolve_n_threads(-2) == max(1, n - 1)
    assert resolve_n_threads(-10_000) == 1
    assert resolve_n_threads(1) == 1
    assert resolve_n_threads(3) == 3  # a fixed count is kept even above the cores (chunks)
    assert resolve_n_threads(64) == 64


def test_resolve_n_threads_zero_is_not_a_thread_count():
    # The docstring promises a positive count; 0 must be rejected or mapped to >= 1.
    try:
        got = resolve_n_threads(0)
    except ValueError:
        return
    assert got >= 1


def test_lightgbm_alpha_next_to_a_quantile_or_huber_objective_is_refused():
    from gbt.params import resolve_params
    for objective, level in (("quantile", "quantile_alpha"), ("reg:huber", "huber_slope")):
        with pytest.raises(ValueError, match=level):
            resolve_params({"objective": objective, "alpha": 0.9})
    # the canonical L1 name and alpha with other objectives stay as they were
    assert resolve_params({"objective": "quantile", "reg_alpha": 0.5})["reg_alpha"] == 0.5
    assert resolve_params({"objective": "reg:squarederror", "alpha": 0.5})["reg_alpha"] == 0.5
