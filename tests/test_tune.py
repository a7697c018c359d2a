"""Tests of gbt.tune: the search-space encoding, the search loop (no repeats, reproducible),
cv_results, GBTSearchCV as a scikit-learn meta-estimator, errors, and the tuner against
random search at the same budget on real data."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import loguniform, randint, uniform
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import KFold, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import gbt
import gbt.tuning as tune_module
from gbt.tuning import GBTSearchCV, TuneResult, _Space, tune
from tests.conftest import data_path

SPACE = {"max_depth": [2, 3, 4], "learning_rate": [0.03, 0.1, 0.3], "n_estimators": [5, 10]}


@pytest.fixture(scope="module")
def small_binary():
    from sklearn.datasets import make_classification
    X, y = make_classification(300, 6, n_informative=4, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def small_regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 5))
    return X, X[:, 0] * 2 + np.sin(3 * X[:, 1]) + 0.1 * rng.standard_normal(300)


def clf(**kw):
    return gbt.GBTClassifier(n_jobs=1, **kw)


def reg(**kw):
    return gbt.GBTRegressor(n_jobs=1, **kw)


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------
def test_encoding_scales_of_grid_axes():
    space = _Space({"lr": [0.01, 0.1, 1.0], "depth": [2, 3, 4], "policy": ["a", "b", "c"],
                    "mixed": [None, 3, 6], "flag": [True, False], "fixed": [7]})
    kinds = {a.name: a.scale for a in space.axes}
    assert kinds == {"lr": "log", "depth": "linear", "policy": "categorical",
                     "mixed": "categorical", "flag": "categorical", "fixed": "linear"}
    coords = np.array([[0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0], [2, 2, 2, 2, 1, 0]], float)
    codes = space.encode(coords)
    expected = np.array([[0, 0, 0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5, 1, 0], [1, 1, 1, 1, 1, 0]])
    np.testing.assert_allclose(codes, expected)
    assert space.params(coords[1]) == {"lr": 0.1, "depth": 3, "policy": "b", "mixed": 3,
                                       "flag": False, "fixed": 7}
    assert space.size == 3 * 3 * 3 * 3 * 2 and space.enumerable


def test_encoding_log_only_beyond_a_decade():
    space = _Space({"a": [1.0, 5.0, 10.0], "b": [1.0, 5.0, 10.1], "c": [-1.0, 1.0, 100.0]})
    assert [a.scale for a in space.axes] == ["linear", "log", "linear"]


def test_encoding_of_distributions():
    space = _Space({"lr": loguniform(1e-3, 1.0), "depth": randint(2, 9), "frac": uniform(0.5, 0.5)})
    assert [a.scale for a in space.axes] == ["log", "linear", "linear"]
    assert not space.finite and space.size == float("inf")
    rows = space.sample(200, np.random.default_rng(0), np.random.RandomState(0))
    codes = space.encode(rows)
    assert codes.shape == (200, 3)
    assert np.all(codes > -0.05) and np.all(codes < 1.05)  # probe range, roughly [0, 1]
    p = space.params(rows[0])
    assert isinstance(p["depth"], int) and 2 <= p["depth"] <= 8
    assert isinstance(p["lr"], float) and 1e-3 <= p["lr"] <= 1.0


def test_stratified_opening_uses_every_value():
    space = _Space({"a": [1, 2, 3, 4], "b": ["x", "y"]})
    rows = space.stratified(8, np.random.default_rng(1), np.random.RandomState(1))
    assert sorted(np.bincount(rows[:, 0].astype(int))) == [2, 2, 2, 2]
    assert sorted(np.bincount(rows[:, 1].astype(int))) == [4, 4]


# --------------------------------------------------------------------------------------------
# tune()
# --------------------------------------------------------------------------------------------
def test_whole_grid_is_tried_once_each(small_binary):
    X, y = small_binary
    res = tune(clf(), SPACE, X, y, n_trials=18, cv=3, random_state=0)
    seen = [tuple(sorted(p.items())) for p, _ in res.trials]
    assert len(seen) == 18 and len(set(seen)) == 18
    assert set(res.cv_results["proposed_by"]) == {"random", "surrogate"}


def test_n_trials_beyond_the_grid_is_capped(small_binary):
    X, y = small_binary
    space = {"max_depth": [2, 3], "n_estimators": [3, 5]}
    with pytest.warns(UserWarning, match="larger than the 4 configurations"):
        res = tune(clf(), space, X, y, n_trials=10, cv=3, random_state=0)
    assert res.n_trials == 4 and len({tuple(p.values()) for p, _ in res.trials}) == 4


def test_no_repeats_with_distributions(small_regression):
    X, y = small_regression
    space = {"max_depth": randint(2, 5), "n_estimators": [5, 10]}  # only 6 distinct configs
    res = tune(reg(), space, X, y, n_trials=6, cv=3, random_state=0)
    seen = {tuple(p.values()) for p, _ in res.trials}
    assert len(seen) == 6


def test_cv_results_shape_and_best(small_binary):
    X, y = small_binary
    res = tune(clf(), SPACE, X, y, n_trials=8, cv=3, scoring="roc_auc", random_state=0)
    assert isinstance(res, TuneResult)
    cvr = res.cv_results
    for key in ("params", "param_max_depth", "param_learning_rate", "param_n_estimators",
                "split0_test_score", "split1_test_score", "split2_test_score",
                "mean_test_score", "std_test_score", "rank_test_score", "mean_fit_time",
                "std_fit_time", "mean_score_time", "std_score_time", "proposed_by"):
        assert len(cvr[key]) == 8, key
    assert "split3_test_score" not in cvr
    splits = np.column_stack([cvr[f"split{k}_test_score"] for k in range(3)])
    np.testing.assert_allclose(cvr["mean_test_score"], splits.mean(axis=1))
    assert cvr["rank_test_score"][res.best_index] == 1
    assert res.best_score == pytest.approx(cvr["mean_test_score"].max())
    assert res.best_params == cvr["params"][res.best_index]
    assert [s for _, s in res.trials] == list(cvr["mean_test_score"])
    assert list(cvr["param_max_depth"]) == [p["max_depth"] for p in cvr["params"]]
    pd.DataFrame(cvr)  # loads like scikit-learn's


def test_scores_are_cross_val_score(small_binary):
    X, y = small_binary
    res = tune(clf(), SPACE, X, y, n_trials=3, cv=3, scoring="roc_auc", random_state=0)
    for params, score in res.trials:
        expected = cross_val_score(clf(**params), X, y, cv=3, scoring="roc_auc").mean()
        assert score == pytest.approx(expected, abs=1e-12)


def test_same_random_state_same_search(small_regression):
    X, y = small_regression
    runs = [tune(reg(), SPACE, X, y, n_trials=9, cv=3, random_state=seed).trials
            for seed in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_failed_configurations_score_nan(small_binary):
    X, y = small_binary
    space = {"max_depth": [2, 3], "subsample": [0.8, 2.0]}  # subsample 2.0 is invalid
    with pytest.warns(FitFailedWarning, match=r"2 of 4 trials had failing fits.*subsample"):
        res = tune(clf(n_estimators=5), space, X, y, n_trials=4, cv=3, random_state=0)
    failed = [p for p, s in res.trials if np.isnan(s)]
    assert len(failed) == 2 and all(p["subsample"] == 2.0 for p in failed)
    assert res.best_params["subsample"] == 0.8
    assert res.cv_results["rank_test_score"].max() == 3  # failures rank last, tied
    with pytest.raises(ValueError, match="All 2 trials failed"), \
            pytest.warns(FitFailedWarning):
        tune(clf(), {"subsample": [2.0, 3.0]}, X, y, n_trials=2, cv=3)
    with pytest.raises(ValueError, match="subsample"):
        tune(clf(), {"subsample": [2.0, 3.0]}, X, y, n_trials=2, cv=3, error_score="raise")


def test_fit_params_reach_every_fold(small_binary):
    X, y = small_binary
    w = np.ones(len(y))
    w[y == 1] = 0.0  # all weight on class 0: every fold's model predicts 0
    res = tune(clf(), {"max_depth": [2, 3]}, X, y, n_trials=2, cv=3, scoring="accuracy",
               fit_params={"sample_weight": w}, random_state=0)
    assert res.best_score == pytest.approx(np.mean(y == 0), abs=0.02)


def test_progress_lines(small_binary, capsys):
    X, y = small_binary
    tune(clf(), SPACE, X, y, n_trials=3, cv=3, random_state=0, verbose=1)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3
    assert err[0].startswith("[gbt.tune] trial 1/3 random") and "best" in err[0]
    assert "max_depth=" in err[2]
    tune(clf(), SPACE, X, y, n_trials=2, cv=3, random_state=0)  # not a terminal: quiet
    assert capsys.readouterr().err == ""


def test_gbt_tune_is_callable_before_and_after_importing_the_module(small_binary):
    X, y = small_binary
    # ``gbt.tune`` is the function, also after the module has been imported (as here).
    assert gbt.tune is tune_module.tune
    a = gbt.tune(clf(), SPACE, X, y, 2, cv=3, random_state=0)
    b = tune_module.tune(clf(), SPACE, X, y, 2, cv=3, random_state=0)
    assert a.trials == b.trials
    assert gbt.GBTSearchCV is GBTSearchCV
    assert "tune" in gbt.__all__ and "GBTSearchCV" in gbt.__all__


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("space, n_trials, error, match", [
    ({}, 5, ValueError, "param_space is empty"),
    ({"max_depth": []}, 5, ValueError, r"param_space\['max_depth'\] is empty"),
    ({"max_depth": [2, 3, 2]}, 5, ValueError, "repeats the value"),
    ({"max_detph": [2, 3]}, 5, ValueError, "Did you mean 'max_depth'"),
    ({"max_depth": 3}, 5, TypeError, "list of values or a distribution"),
    ({"grow_policy": "lossguide"}, 5, TypeError, "list of values or a distribution"),
    ([("max_depth", [2, 3])], 5, TypeError, "must be a dict"),
    ({"max_depth": [2, 3]}, 0, ValueError, "n_trials must be an integer >= 1"),
    ({"max_depth": [2, 3]}, 2.5, TypeError, "n_trials must be an integer"),
])
def test_errors(small_binary, space, n_trials, error, match):
    X, y = small_binary
    with pytest.raises(error, match=match):
        tune(clf(), space, X, y, n_trials=n_trials, cv=3)


def test_errors_of_other_arguments(small_binary):
    X, y = small_binary
    with pytest.raises(ValueError, match="n_initial"):
        tune(clf(), SPACE, X, y, 3, cv=3, n_initial=0)
    with pytest.raises(ValueError, match="kappa"):
        tune(clf(), SPACE, X, y, 3, cv=3, kappa=-1)
    with pytest.raises(TypeError, match="random_state"):
        tune(clf(), SPACE, X, y, 3, cv=3, random_state="zero")
    with pytest.raises(TypeError, match="draw finite numbers"):
        class Words:
            def rvs(self, size=None, random_state=None):
                return np.array(["a"] * (size or 1))
        tune(clf(), {"grow_policy": Words()}, X, y, 3, cv=3)


# --------------------------------------------------------------------------------------------
# GBTSearchCV
# --------------------------------------------------------------------------------------------
def test_search_cv_interface(small_binary):
    X, y = small_binary
    search = GBTSearchCV(clf(), SPACE, n_trials=6, cv=3, scoring="roc_auc", random_state=0)
    assert is_classifier(search)
    assert search.fit(X, y) is search
    assert search.n_trials_ == 6 and search.n_splits_ == 3 and not search.multimetric_
    assert search.best_estimator_.get_params()["max_depth"] == search.best_params_["max_depth"]
    assert search.best_score_ == search.cv_results_["mean_test_score"][search.best_index_]
    np.testing.assert_array_equal(search.classes_, [0, 1])
    np.testing.assert_allclose(search.predict_proba(X),
                               search.best_estimator_.predict_proba(X))
    np.testing.assert_array_equal(search.predict(X), search.best_estimator_.predict(X))
    from sklearn.metrics import roc_auc_score
    assert search.score(X, y) == pytest.approx(roc_auc_score(y, search.predict_proba(X)[:, 1]))
    assert search.n_features_in_ == X.shape[1]
    assert not hasattr(search, "transform")  # GBTClassifier has none
    # Same search as tune() with the same arguments.
    res = tune(clf(), SPACE, X, y, 6, cv=3, scoring="roc_auc", random_state=0)
    assert res.best_params == search.best_params_


def test_search_cv_regressor_default_scoring(small_regression):
    X, y = small_regression
    search = GBTSearchCV(reg(), SPACE, n_trials=4, cv=3, random_state=0).fit(X, y)
    assert is_regressor(search) and not hasattr(search, "predict_proba")
    assert search.score(X, y) == pytest.approx(search.best_estimator_.score(X, y))


def test_search_cv_without_refit(small_binary):
    X, y = small_binary
    search = GBTSearchCV(clf(), SPACE, n_trials=3, cv=3, refit=False, random_state=0).fit(X, y)
    assert search.best_params_ and not hasattr(search, "best_estimator_")
    with pytest.raises(AttributeError) as info:
        search.predict(X)
    assert "refit=False" in str(info.value.__cause__)  # as GridSearchCV explains it
    assert not hasattr(search, "predict_proba")


def test_search_cv_before_fit(small_binary):
    from sklearn.exceptions import NotFittedError
    X, _ = small_binary
    search = GBTSearchCV(clf(), SPACE)
    assert hasattr(search, "predict_proba")  # the estimator has it
    with pytest.raises(NotFittedError):
        search.predict(X)
    assert not hasattr(search, "n_features_in_")


def test_search_cv_clone_and_params():
    search = GBTSearchCV(clf(max_bin=63), SPACE, n_trials=5, cv=3, random_state=1)
    twin = clone(search)
    assert twin.get_params()["estimator__max_bin"] == 63
    assert twin.param_space == SPACE and twin.param_space is not SPACE
    twin.set_params(estimator__max_bin=31, n_trials=7)
    assert twin.estimator.max_bin == 31 and twin.n_trials == 7 and search.n_trials == 5


def test_search_cv_in_a_pipeline_and_as_a_pipeline(small_binary):
    X, y = small_binary
    # A search inside a pipeline...
    pipe = Pipeline([("scale", StandardScaler()),
                     ("search", GBTSearchCV(clf(), SPACE, n_trials=3, cv=3, random_state=0))])
    pipe.fit(X, y)
    assert pipe.predict_proba(X).shape == (len(y), 2)
    assert set(pipe.named_steps["search"].best_params_) == set(SPACE)
    # ... and over one, with step-prefixed names (fit params too).
    inner = Pipeline([("scale", StandardScaler()), ("gbt", clf())])
    space = {"gbt__max_depth": [2, 3], "gbt__n_estimators": [5, 10]}
    search = GBTSearchCV(inner, space, n_trials=3, cv=3, random_state=0)
    search.fit(X, y, gbt__sample_weight=np.ones(len(y)))
    assert set(search.best_params_) == set(space)
    assert search.best_estimator_.named_steps["gbt"].n_estimators in (5, 10)
    # ... and a search scored by cross-validation itself (nested CV).
    outer = cross_val_score(GBTSearchCV(clf(), SPACE, n_trials=2, cv=2, random_state=0),
                            X, y, cv=2)
    assert outer.shape == (2,) and np.all(outer > 0.5)


def test_search_cv_pickles(small_binary):
    import pickle
    X, y = small_binary
    search = GBTSearchCV(clf(), SPACE, n_trials=2, cv=3, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(back.predict_proba(X), search.predict_proba(X))
    assert back.best_params_ == search.best_params_


def test_search_cv_group_splitter(small_binary):
    from sklearn.model_selection import GroupKFold
    X, y = small_binary
    groups = np.arange(len(y)) % 5
    search = GBTSearchCV(clf(), SPACE, n_trials=2, cv=GroupKFold(5), random_state=0)
    search.fit(X, y, groups=groups)
    assert search.n_splits_ == 5


# --------------------------------------------------------------------------------------------
# The tuner against random search on real data
# --------------------------------------------------------------------------------------------
BUDGET_SPACE = {"n_estimators": [20, 50, 100], "learning_rate": [0.01, 0.03, 0.1, 0.3],
                "max_depth": [2, 3, 5, 8], "min_child_weight": [1, 8]}


@pytest.mark.slow
def test_tuner_beats_random_search_at_equal_budget():
    """UCI concrete (1030 rows), a 96-point grid, 12 trials each, 3-fold CV, five seeds: the
    surrogate-guided search reaches a better mean best-RMSE than scikit-learn's
    RandomizedSearchCV with the same folds and budget."""
    df = pd.read_csv(data_path("uci_regression/concrete.csv.gz"))
    y = df.pop(df.columns[-1]).to_numpy(np.float64)
    X = df.to_numpy(np.float64)
    cv = KFold(3, shuffle=True, random_state=0)
    scoring, budget, seeds = "neg_root_mean_squared_error", 12, range(5)
    ours, theirs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in seeds:
            ours.append(tune(reg(), BUDGET_SPACE, X, y, budget, cv=cv, scoring=scoring,
                             random_state=seed).best_score)
            rs = RandomizedSearchCV(reg(), BUDGET_SPACE, n_iter=budget, cv=cv,
                                    scoring=scoring, random_state=seed, refit=False)
            theirs.append(rs.fit(X, y).best_score_)
    assert np.mean(ours) > np.mean(theirs), (ours, theirs)
