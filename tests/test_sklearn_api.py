"""The scikit-learn surface beyond fit/predict: importances, staged predictions, class
weights, pickling, search and pipelines; and the native ``gbt.cv``."""
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import gbt
from gbt import (FairGBTClassifier, GBTClassifier, GBTRegressor, NGBClassifier, NGBRegressor,
                 NGBSurvival)
from gbt.crossval import make_folds

FAST = dict(n_estimators=20, max_depth=3, n_jobs=1)


def informative(n=800, seed=0):
    """Feature 2 decides the label; the other three are noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = (X[:, 2] + 0.3 * rng.standard_normal(n) > 0).astype(int)
    return X, y


# --------------------------------------------------------------------------------------------
# Importances
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["gain", "total_gain", "split", "cover", "total_cover"])
def test_feature_importances_find_the_informative_feature(kind):
    X, y = informative()
    clf = GBTClassifier(importance_type=kind, **FAST).fit(X, y)
    imp = clf.feature_importances_
    assert imp.shape == (4,)
    assert imp.sum() == pytest.approx(1.0)
    assert np.argmax(imp) == 2


def test_booster_importances_count_the_splits():
    X, y = informative()
    booster = GBTClassifier(**FAST).fit(X, y).get_booster()
    splits = booster.feature_importance("split")
    n_splits = sum(int((t.left != -1).sum()) for t in booster.trees)
    assert splits.sum() == n_splits
    total, mean = booster.feature_importance("total_gain"), booster.feature_importance("gain")
    used = splits > 0
    np.testing.assert_allclose(mean[used] * splits[used], total[used])
    with pytest.raises(ValueError, match="importance_type"):
        booster.feature_importance("weight")


def test_every_estimator_has_importances():
    X, y = informative(400)
    for model in (GBTRegressor(**FAST).fit(X, y.astype(float)),
                  NGBRegressor(n_estimators=30, n_jobs=1).fit(X, y + X[:, 2]),
                  NGBClassifier(n_estimators=30, n_jobs=1).fit(X, y),
                  FairGBTClassifier(**FAST).fit(X, y, constraint_group=X[:, 0] > 0)):
        assert model.feature_importances_.shape == (4,)
        assert np.argmax(model.feature_importances_) == 2


# --------------------------------------------------------------------------------------------
# Staged predictions
# --------------------------------------------------------------------------------------------
def test_staged_predictions_match_truncated_models():
    X, y = informative()
    clf = GBTClassifier(**FAST).fit(X, y)
    stages = list(clf.staged_predict_proba(X))
    assert len(stages) == 20
    booster = clf.get_booster()
    for i in (0, 7, 19):
        np.testing.assert_allclose(stages[i][:, 1],
                                   booster.predict(X, iteration_range=(0, i + 1)))
    np.testing.assert_allclose(stages[-1], clf.predict_proba(X))
    labels = list(clf.staged_predict(X))
    np.testing.assert_array_equal(labels[-1], clf.predict(X))
    reg = GBTRegressor(**FAST).fit(X, X[:, 2])
    np.testing.assert_allclose(list(reg.staged_predict(X))[-1], reg.predict(X))
    multi = GBTClassifier(**FAST).fit(X, (X[:, 2] > 0).astype(int) + (X[:, 1] > 0))
    np.testing.assert_allclose(list(multi.staged_predict_proba(X))[-1], multi.predict_proba(X))
    ngb = NGBRegressor(n_estimators=15, n_jobs=1).fit(X, X[:, 2])
    np.testing.assert_allclose(list(ngb.staged_predict(X))[-1], ngb.predict(X))


# --------------------------------------------------------------------------------------------
# Class weights
# --------------------------------------------------------------------------------------------
def test_class_weight_balanced_equals_the_sample_weights():
    X, y = informative()
    y = np.where((X[:, 2] > 0.8), "rare", "common")
    from sklearn.utils.class_weight import compute_sample_weight
    a = GBTClassifier(class_weight="balanced", **FAST).fit(X, y)
    b = GBTClassifier(**FAST).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = GBTClassifier(class_weight={"rare": 5.0, "common": 1.0}, **FAST).fit(X, y)
    plain = GBTClassifier(**FAST).fit(X, y)
    rare = list(c.classes_).index("rare")
    assert c.predict_proba(X)[:, rare].mean() > plain.predict_proba(X)[:, rare].mean()


# --------------------------------------------------------------------------------------------
# Pickling, clone, search, pipelines
# --------------------------------------------------------------------------------------------
def test_pickle_round_trips_predict_identically():
    X, y = informative(300)
    T = np.abs(X[:, 2]) + 0.5
    models = [GBTRegressor(**FAST).fit(X, X[:, 2]), GBTClassifier(**FAST).fit(X, y),
              FairGBTClassifier(**FAST).fit(X, y, constraint_group=X[:, 0] > 0),
              NGBRegressor(n_estimators=20, n_jobs=1).fit(X, X[:, 2]),
              NGBClassifier(n_estimators=20, n_jobs=1).fit(X, y),
              NGBSurvival(n_estimators=20, n_jobs=1).fit(X, T, np.ones(len(T)))]
    for model in models:
        again = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(again.predict(X), model.predict(X))


def test_grid_search_and_cross_val_score():
    X, y = informative(400)
    search = GridSearchCV(GBTClassifier(n_estimators=10, n_jobs=1),
                          {"max_depth": [1, 3], "learning_rate": [0.1, 0.3]}, cv=3)
    search.fit(X, y)
    assert set(search.best_params_) == {"max_depth", "learning_rate"}
    assert search.best_score_ > 0.8
    scores = cross_val_score(GBTRegressor(**FAST), X, X[:, 2], cv=3)
    assert scores.mean() > 0.8


def test_pipeline_with_a_column_transformer_keeps_working():
    rng = np.random.default_rng(2)
    n = 500
    df = pd.DataFrame({"x": rng.standard_normal(n), "city": rng.choice(["a", "b", "c"], n)})
    y = ((df["x"] > 0) ^ (df["city"] == "b")).astype(int)
    pipe = Pipeline([("prep", ColumnTransformer([("onehot", OneHotEncoder(), ["city"])],
                                                remainder="passthrough")),
                     ("model", GBTClassifier(**FAST))])
    pipe.fit(df, y)
    assert (pipe.predict(df) == y).mean() > 0.95
    assert cross_val_score(pipe, df, y, cv=3).mean() > 0.9


def test_pandas_feature_names_are_kept_and_checked():
    X, y = informative(300)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    for model in (GBTClassifier(**FAST).fit(df, y), NGBRegressor(n_estimators=5).fit(df, y)):
        assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
        np.testing.assert_array_equal(model.predict(df[["b", "d", "a", "c"]]),
                                      model.predict(df))
        with pytest.raises(ValueError, match="column names"):
            model.predict(df.rename(columns={"a": "z"}))


# --------------------------------------------------------------------------------------------
# gbt.cv
# --------------------------------------------------------------------------------------------
def test_cv_means_and_stds_are_over_the_folds():
    X, y = informative(600)
    params = {"objective": "binary:logistic", "max_depth": 3, "eval_metric": ["auc", "logloss"],
              "n_jobs": 1}
    res = gbt.cv(params, gbt.Dataset(X, y), num_boost_round=15, nfold=3, seed=1)
    assert set(res) == {f"{d}-{m}-{s}" for d in ("train", "test") for m in ("auc", "logloss")
                        for s in ("mean", "std")}
    assert all(len(v) == 15 for v in res.values())
    # The same folds by hand.
    last = []
    for tr, te in make_folds(600, 3, None, True, 1):
        b = gbt.train(params, gbt.Dataset(X[tr], y[tr]), 15)
        last.append(gbt.metrics.auc(y[te].astype(float), b.predict(X[te]), None))
    assert res["test-auc-mean"][-1] == pytest.approx(np.mean(last))
    assert res["test-auc-std"][-1] == pytest.approx(np.std(last))
    assert res["train-auc-mean"][-1] > res["test-auc-mean"][-1]


def test_cv_stratified_folds_keep_class_shares():
    y = np.r_[np.zeros(90), np.ones(10)]
    for _, test in make_folds(100, 5, y, True, 0):
        assert y[test].sum() == 2
    folds = make_folds(100, 4, None, True, 0)
    assert sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(100))


def test_cv_early_stopping_ends_at_the_best_round_and_takes_custom_folds():
    X, y = informative(600)
    params = {"objective": "binary:logistic", "learning_rate": 1.0, "max_depth": 6,
              "n_jobs": 1}
    res = gbt.cv(params, gbt.Dataset(X, y), 200, nfold=3, early_stopping_rounds=5)
    n = len(res["test-logloss-mean"])
    assert n < 200
    assert np.argmin(res["test-logloss-mean"]) == n - 1
    folds = [(np.arange(300, 600), np.arange(300)), (np.arange(300), np.arange(300, 600))]
    res2 = gbt.cv(params, gbt.Dataset(X, y), 5, folds=folds, metrics="auc")
    assert set(res2) == {"train-auc-mean", "train-auc-std", "test-auc-mean", "test-auc-std"}


def test_cv_errors():
    X, y = informative(50)
    d = gbt.Dataset(X, y)
    with pytest.raises(ValueError, match="nfold"):
        gbt.cv({}, d, 5, nfold=1)
    with pytest.raises(ValueError, match="folds\\[0\\]"):
        gbt.cv({}, d, 5, folds=[(np.arange(10), np.arange(100, 120))])
    with pytest.raises(TypeError, match="Dataset"):
        gbt.cv({}, X, 5)
