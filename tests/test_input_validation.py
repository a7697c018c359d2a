"""Bad input gets a ValueError/TypeError naming the problem, or a documented well-defined
result (issue 11): labels, features, weights, groups, names, shapes and parameter extremes
through Dataset, train and the estimators, and a property test over random matrices."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gbt

RNG = np.random.default_rng(0)
X = RNG.standard_normal((200, 4))
Y = (X[:, 0] > 0).astype(float)


def _train(params, X_=X, y=Y, rounds=3, **data):
    return gbt.train(params, gbt.Dataset(X_, y, **data), rounds)


@pytest.mark.parametrize("make, error, match", [
    (lambda: gbt.Dataset(X, np.r_[np.nan, Y[1:]]), ValueError, "label contains NaN or inf"),
    (lambda: gbt.Dataset(X, np.r_[np.inf, Y[1:]]), ValueError, "label contains NaN or inf"),
    (lambda: _train({}, y=Y * 1e300), ValueError, "gradients or hessians are not finite"),
    (lambda: gbt.Dataset(np.r_[[[np.inf] * 4], X[1:]], Y), ValueError, "contains inf"),
    (lambda: _train({"objective": "count:poisson"}, y=Y - 1), ValueError, "labels >= 0"),
    (lambda: _train({"objective": "reg:gamma"}, y=Y - 1), ValueError, "labels > 0"),
    (lambda: _train({"objective": "multi:softprob"}, y=Y + 0.5), ValueError, "integer class"),
    (lambda: _train({"objective": "rank:ndcg"}, y=Y * 10 + 0.5, group=[100, 100]), ValueError,
     "integer relevance"),
    (lambda: gbt.Dataset(np.zeros((2, 2, 2)), [0, 1]), ValueError, "3 dimensions"),
    (lambda: gbt.Dataset(pd.DataFrame({"a": ["x", "y"] * 100}), Y), TypeError,
     "not numeric and not categorical"),
    (lambda: gbt.Dataset(pd.DataFrame(X, columns=list("aabc")), Y), ValueError,
     r"unique; duplicated: \['a'\]"),
    (lambda: gbt.Dataset(X, Y[:10]), ValueError, "label has 10 rows but the data has 200"),
    (lambda: gbt.Dataset(X, Y, weight=np.ones(10)), ValueError, "weight has 10 rows"),
    (lambda: gbt.Dataset(X, Y, weight=-np.ones(200)), ValueError, "negative"),
    (lambda: gbt.Dataset(X, Y, group=[10, 10]), ValueError, "group sizes sum to 20"),
    (lambda: _train({}, rounds=-1), ValueError, "num_boost_round"),
    (lambda: _train({"learning_rate": 0}), ValueError, "learning_rate"),
    (lambda: _train({"learning_rate": -1}), ValueError, "learning_rate"),
    (lambda: _train({"max_bin": 1}), ValueError, "max_bin"),
    (lambda: _train({"max_bin": 70000}), ValueError, "max_bin"),
    (lambda: gbt.GBTClassifier(n_estimators=2).fit(X, np.zeros(200)), ValueError,
     "at least 2 classes"),
    (lambda: gbt.GBTRegressor(n_estimators=2).fit(X, np.r_[np.nan, Y[1:]]), ValueError,
     "NaN"),
], ids=lambda v: "" if callable(v) or isinstance(v, type) else str(v)[:30])
def test_bad_input_raises_a_clear_error(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_prediction_columns_are_matched_by_name_or_refused():
    df = pd.DataFrame(X, columns=list("abcd"))
    booster = _train({}, X_=df)
    np.testing.assert_array_equal(booster.predict(df[list("dcba")]), booster.predict(df))
    with pytest.raises(ValueError, match=r"missing \['d'\]"):
        booster.predict(df[list("abc")])
    with pytest.raises(ValueError, match=r"unexpected \['e'\]"):
        booster.predict(pd.DataFrame(X, columns=list("abce")))
    with pytest.raises(ValueError, match="3 features; the model was trained on 4"):
        booster.predict(X[:, :3])  # no names: the width must match


def test_degenerate_but_valid_data_trains():
    """All-missing and constant columns, one row, one class and zero rounds are well defined:
    they train, and the model predicts the base score where nothing can be split."""
    Xm = np.c_[X, np.full(200, np.nan), np.ones(200)]
    booster = _train({}, X_=Xm)
    assert all(6 not in t.feature[t.left != -1] for t in booster.trees)
    assert np.isfinite(booster.predict(Xm)).all()
    one_row = _train({}, X_=X[:1], y=Y[:1])
    assert all(t.n_nodes == 1 for t in one_row.trees)
    one_class = _train({"objective": "binary:logistic"}, y=np.zeros(200))
    assert (one_class.predict(X) < 1e-6).all()
    zero = _train({}, rounds=0)
    np.testing.assert_allclose(zero.predict(X[:3]), Y.mean())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)),
                  elements=st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                     st.sampled_from([0.0, 1.0, np.nan]))),
       st.sampled_from(["reg:squarederror", "binary:logistic", "count:poisson"]))
def test_random_matrices_train_or_raise_a_clear_error(values, objective):
    X_ = values
    y = (np.nan_to_num(X_[:, 0], posinf=1, neginf=0) > 0).astype(float)
    try:
        booster = gbt.train({"objective": objective, "max_depth": 3, "n_jobs": 1},
                            gbt.Dataset(X_, y), 3)
    except ValueError as exc:
        assert str(exc)  # a message, e.g. "Feature data contains inf"
        return
    pred = booster.predict(X_)
    assert np.isfinite(pred).all()


def _fit_predict(kind, values, y):
    """Fit one estimator kind on (values, y) and return what it predicts for ``values``."""
    small = dict(n_estimators=3, max_depth=2, n_jobs=1)
    if kind == "regressor":
        return gbt.GBTRegressor(**small).fit(values, y).predict(values)
    if kind == "classifier":
        model = gbt.GBTClassifier(**small).fit(values, y)
        proba = model.predict_proba(values)
        assert np.allclose(proba.sum(axis=1), 1.0)
        return proba
    if kind == "ranker":
        qid = np.arange(values.shape[0]) // 5
        return gbt.GBTRanker(**small).fit(values, y, qid=qid).predict(values)
    if kind == "ngb":
        model = gbt.NGBRegressor(n_estimators=3, n_jobs=1).fit(values, y)
        return model.pred_dist(values).std()
    fair = gbt.FairGBTClassifier(**small)
    return fair.fit(values, y, constraint_group=(np.arange(values.shape[0]) % 2)) \
        .predict_proba(values)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 3)),
                  elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan))),
       st.sampled_from(["regressor", "classifier", "ranker", "ngb", "fair"]))
def test_estimators_fit_and_predict_random_data_or_raise_a_clear_error(values, kind):
    y = (np.nan_to_num(values[:, 0]) > 0).astype(float)
    try:
        pred = _fit_predict(kind, values, y)
    except ValueError as exc:  # e.g. one class only, or a group with one class
        assert str(exc)
        return
    assert pred.shape[0] == values.shape[0]
    assert np.isfinite(pred).all()
