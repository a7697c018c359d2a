"""The scikit-learn estimators: behaviour, and scikit-learn's own estimator checks."""
import numpy as np
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from gbt import (FairGBTClassifier, GBTClassifier, GBTRanker, GBTRegressor, NGBClassifier,
                 NGBRegressor)


def test_classifier_binary_string_labels(binary_data):
    X, y = binary_data
    labels = np.where(y == 1, "yes", "no")
    clf = GBTClassifier(n_estimators=20, max_depth=3).fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert (clf.predict(X) == labels).mean() > 0.85
    assert clf.n_features_in_ == X.shape[1]


def test_classifier_multiclass():
    from sklearn.datasets import load_iris
    X, y = load_iris(return_X_y=True)
    clf = GBTClassifier(n_estimators=20, max_depth=3).fit(X, y)
    assert clf.predict_proba(X).shape == (150, 3)
    assert clf.score(X, y) > 0.95


def test_regressor_in_pipeline_and_cv(regression_data):
    X, y = regression_data
    pipe = make_pipeline(StandardScaler(), GBTRegressor(n_estimators=30, max_depth=3))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.8


def test_feature_names_in_from_pandas():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.standard_normal(300), "b": rng.standard_normal(300)})
    reg = GBTRegressor(n_estimators=5).fit(df, df["a"] * 2)
    assert list(reg.feature_names_in_) == ["a", "b"]
    with pytest.raises(ValueError, match="features"):
        reg.predict(df[["a"]])


def test_early_stopping_with_eval_set(binary_data):
    X, y = binary_data
    clf = GBTClassifier(n_estimators=500, learning_rate=0.5, max_depth=6,
                        early_stopping_rounds=5)
    clf.fit(X[:2000], y[:2000], eval_set=[(X[2000:], y[2000:])])
    assert clf.best_iteration_ < 499
    assert "validation_0" in clf.evals_result_


def test_early_stopping_holds_out_validation_fraction(binary_data):
    X, y = binary_data
    labels = np.where(y == 1, "yes", "no")
    clf = GBTClassifier(n_estimators=500, learning_rate=0.5, early_stopping_rounds=5,
                        validation_fraction=0.2, random_state=3).fit(X, labels)
    assert clf.best_iteration_ < 499
    assert len(clf.evals_result_["validation_0"]["logloss"]) == clf.best_iteration_ + 6
    reg = GBTRegressor(n_estimators=400, learning_rate=0.5, early_stopping_rounds=5)
    reg.fit(X, np.nan_to_num(X[:, 0]) * 3 + y)
    assert reg.best_iteration_ < 399
    with pytest.raises(ValueError, match="validation_fraction"):
        GBTClassifier(early_stopping_rounds=3, validation_fraction=1.5).fit(X, y)


def test_get_set_params_and_clone():
    from sklearn.base import clone
    clf = GBTClassifier(max_depth=3, learning_rate=0.05)
    c2 = clone(clf).set_params(max_depth=5)
    assert c2.get_params()["max_depth"] == 5 and clf.max_depth == 3


def test_unfitted_and_bad_params(binary_data):
    from sklearn.exceptions import NotFittedError
    X, y = binary_data
    with pytest.raises(NotFittedError):
        GBTClassifier().predict(X)
    with pytest.raises(ValueError, match="learning_rate"):
        GBTClassifier(learning_rate=-1).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        GBTClassifier().fit(X, np.zeros(len(X)))


# scikit-learn's own estimator checks. NGBSurvival (fit(X, T, E)) does not take fit(X, y).
# FairGBTClassifier is checked with a global FPR constraint, the configuration that needs no
# constraint_group (its multipliers still ascend every round); GBTRanker with the pairwise loss
# (the checks' targets are real numbers) and all rows one query. The NGB estimators run on all
# rows (minibatch_frac=1.0; their default, 0.5, samples rows, so a weight of 2 cannot equal a
# repeated row, as for any subsampling booster).
@parametrize_with_checks(
    [GBTRegressor(n_estimators=5, n_jobs=1), GBTClassifier(n_estimators=5, n_jobs=1),
     NGBRegressor(n_estimators=5, n_jobs=1, minibatch_frac=1.0),
     NGBClassifier(n_estimators=5, n_jobs=1, minibatch_frac=1.0),
     FairGBTClassifier(constraint_type=None, global_constraint_type="FPR",
                       global_target_fpr=0.3, n_estimators=5, n_jobs=1),
     GBTRanker(objective="rank:pairwise", n_estimators=5, n_jobs=1)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_scikit_learn_messages_for_bad_input():
    X = np.random.default_rng(0).random((20, 3))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="requires y to be passed"):
        GBTRegressor(n_estimators=2).fit(X, None)
    with pytest.raises(ValueError, match="Reshape your data"):
        GBTRegressor(n_estimators=2).fit(X[:, 0], y)
    with pytest.raises(ValueError, match="Unknown label type"):
        GBTClassifier(n_estimators=2).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="1 class"):
        NGBClassifier(n_estimators=2).fit(X, np.zeros(20))
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        NGBRegressor().predict(X)
