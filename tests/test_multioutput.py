"""Condensed multi-output trees (one vector-leaf tree per round) end to end: multi-class,
multi-label and multi-output regression through gbt.train and the estimators."""
import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification

import gbt
from gbt.metrics import get_metric


@pytest.fixture
def multiclass_data():
    X, y = make_classification(3000, 10, n_informative=7, n_classes=4, random_state=0)
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    return X, y.astype(float)


@pytest.fixture
def multitarget_data():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2500, 6))
    Y = np.column_stack([X[:, 0] * 2 + np.sin(3 * X[:, 1]), X[:, 1] - X[:, 2] ** 2,
                         np.where(X[:, 3] > 0, 1.0, -1.0) + 0.5 * X[:, 0]])
    return X, Y + 0.1 * rng.standard_normal(Y.shape)


@pytest.mark.parametrize("policy", [{"grow_policy": "depthwise", "max_depth": 4},
                                    {"grow_policy": "lossguide", "max_leaves": 12}])
def test_condensed_with_one_output_equals_the_scalar_path(binary_data, regression_data, policy):
    for (X, y), objective in ((binary_data, "binary:logistic"),
                              (regression_data, "reg:squarederror")):
        w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
        models = [gbt.train({"objective": objective, "multi_strategy": ms, **policy},
                            gbt.Dataset(X, y, weight=w), 8)
                  for ms in ("one_per_output", "condensed")]
        a, b = (m.to_dict() for m in models)
        assert a.pop("params")["multi_strategy"] != b.pop("params")["multi_strategy"]
        assert a == b  # the same trees, bit for bit
        np.testing.assert_array_equal(models[0].predict(X), models[1].predict(X))


def test_condensed_multiclass_shapes_and_quality(multiclass_data):
    X, y = multiclass_data
    Xtr, ytr, Xte, yte = X[:2000], y[:2000], X[2000:], y[2000:]
    params = {"objective": "multi:softprob", "grow_policy": "lossguide", "max_leaves": 31,
              "max_depth": 0, "learning_rate": 0.2}
    condensed = gbt.train({**params, "multi_strategy": "condensed"}, gbt.Dataset(Xtr, ytr), 40)
    per_class = gbt.train(params, gbt.Dataset(Xtr, ytr), 40)
    assert len(condensed.trees) == 40 and condensed.trees_per_iteration == 1
    assert all(t.value.shape == (t.n_nodes, 4) for t in condensed.trees)
    assert len(per_class.trees) == 160
    p = condensed.predict(Xte)
    assert p.shape == (1000, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    acc = (p.argmax(axis=1) == yte).mean()
    acc_per_class = (per_class.predict(Xte).argmax(axis=1) == yte).mean()
    assert acc > 0.75  # chance is 0.25
    assert acc >= acc_per_class - 0.05


def test_duplicated_targets_grow_the_scalar_tree(regression_data):
    """Two identical targets: the vector tree has the scalar tree's structure, and each of its
    leaf columns the scalar leaf values (the gain doubles; min_child_weight 0 keeps the rules
    the same)."""
    X, y = regression_data
    params = {"grow_policy": "lossguide", "max_leaves": 16, "max_depth": 0,
              "min_child_weight": 0.0}
    scalar = gbt.train(params, gbt.Dataset(X, y), 5)
    vector = gbt.train({**params, "multi_strategy": "condensed"},
                       gbt.Dataset(X, np.column_stack([y, y])), 5)
    for ts, tv in zip(scalar.trees, vector.trees):
        np.testing.assert_array_equal(ts.feature, tv.feature)
        np.testing.assert_array_equal(ts.threshold_bin, tv.threshold_bin)
        np.testing.assert_allclose(tv.value, np.repeat(ts.value, 2, axis=1), rtol=1e-6,
                                   atol=1e-9)
    pv = vector.predict(X)
    np.testing.assert_allclose(pv[:, 0], scalar.predict(X), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(pv[:, 0], pv[:, 1])


@pytest.mark.parametrize("strategy", ["one_per_output", "condensed"])
def test_multioutput_regression(multitarget_data, strategy):
    X, Y = multitarget_data
    b = gbt.train({"multi_strategy": strategy, "max_depth": 5}, gbt.Dataset(X[:2000], Y[:2000]),
                  60)
    pred = b.predict(X[2000:])
    assert pred.shape == (500, 3)
    r2 = 1 - ((pred - Y[2000:]) ** 2).sum(axis=0) / ((Y[2000:] - Y[2000:].mean(0)) ** 2).sum(0)
    assert (r2 > 0.8).all(), r2


def test_multilabel_logistic(multiclass_data):
    X, y = multiclass_data
    Y = np.column_stack([y == 0, y == 1, y >= 2]).astype(float)
    b = gbt.train({"objective": "binary:logistic", "multi_strategy": "condensed",
                   "max_depth": 5}, gbt.Dataset(X[:2000], Y[:2000]), 40)
    p = b.predict(X[2000:])
    assert p.shape == (1000, 3) and ((p > 0) & (p < 1)).all()
    assert get_metric("auc")(Y[2000:], p) > 0.9
    assert get_metric("logloss")(Y[2000:], p) < 0.45


def test_condensed_save_load_pickle_and_iteration_range(multiclass_data, tmp_path):
    X, y = multiclass_data
    b = gbt.train({"objective": "multi:softprob", "multi_strategy": "condensed"},
                  gbt.Dataset(X, y), 6)
    path = tmp_path / "m.json"
    b.save_model(path)
    loaded = gbt.Booster.load_model(path)
    assert loaded.trees_per_iteration == 1 and loaded.num_boosted_rounds() == 6
    np.testing.assert_array_equal(loaded.predict(X), b.predict(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(b)).predict(X), b.predict(X))
    assert loaded.save_raw() == b.save_raw()
    first3 = b.predict(X, output_margin=True, iteration_range=(0, 3))
    manual = gbt.train({"objective": "multi:softprob", "multi_strategy": "condensed"},
                       gbt.Dataset(X, y), 3).predict(X, output_margin=True)
    np.testing.assert_array_equal(first3, manual)
    assert b.predict(X, pred_leaf=True).shape == (len(X), 6)


def test_condensed_early_stopping_subsample_and_bynode(multiclass_data):
    X, y = multiclass_data
    dtrain = gbt.Dataset(X[:2000], y[:2000])
    dvalid = gbt.Dataset(X[2000:], y[2000:], reference=dtrain)
    log = {}
    b = gbt.train({"objective": "multi:softprob", "multi_strategy": "condensed",
                   "learning_rate": 0.5, "subsample": 0.7, "colsample_bynode": 0.6,
                   "max_depth": 6}, dtrain, 300, evals=[(dtrain, "train"), (dvalid, "valid")],
                  early_stopping_rounds=5, evals_result=log)
    assert b.best_iteration is not None and b.num_boosted_rounds() < 300
    assert len(log["valid"]["mlogloss"]) == b.num_boosted_rounds()
    # The training margins the engine kept (subsample walks the binned tree) agree with a
    # fresh prediction of all trees.
    full = b.predict(X[:2000], iteration_range=(0, b.num_boosted_rounds()))
    assert log["train"]["mlogloss"][-1] == pytest.approx(
        get_metric("mlogloss")(y[:2000], full), rel=1e-6)
    assert log["valid"]["mlogloss"][b.best_iteration] == pytest.approx(
        get_metric("mlogloss")(y[2000:], b.predict(X[2000:])), rel=1e-6)


def test_softmax_rejects_2d_labels(multiclass_data):
    X, y = multiclass_data
    with pytest.raises(ValueError, match="1-D label of class indices"):
        gbt.train({"objective": "multi:softprob"}, gbt.Dataset(X, np.column_stack([y, y])), 1)


def test_estimators_with_2d_targets(multiclass_data, multitarget_data):
    X, y = multiclass_data
    Y = np.column_stack([y == 0, y == 3]).astype(int)
    clf = gbt.GBTClassifier(n_estimators=20, multi_strategy="condensed").fit(X, Y)
    assert clf.predict(X).shape == (len(X), 2) and set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert (clf.predict(X) == Y).mean() > 0.9
    with pytest.raises(ValueError, match="only 0 and 1"):
        gbt.GBTClassifier(n_estimators=2).fit(X, Y * 2)
    Xr, Yr = multitarget_data
    reg = gbt.GBTRegressor(n_estimators=30, multi_strategy="condensed").fit(Xr, Yr)
    assert reg.predict(Xr).shape == Yr.shape
    assert reg.score(Xr, Yr) > 0.9
    multi = gbt.GBTClassifier(n_estimators=10, multi_strategy="condensed").fit(X, y)
    assert len(multi.get_booster().trees) == 10


@pytest.mark.parametrize("method", ["top_k", "random_projection"])
def test_split_grad_sketch(multiclass_data, method):
    X, y = multiclass_data
    params = {"objective": "multi:softprob", "multi_strategy": "condensed", "max_depth": 5}
    full = gbt.train(params, gbt.Dataset(X[:2000], y[:2000]), 30)
    wide = gbt.train({**params, "split_grad": method, "split_grad_dim": 4},
                     gbt.Dataset(X[:2000], y[:2000]), 30)
    # A sketch as wide as K is no sketch: the same trees as the full gradient.
    np.testing.assert_array_equal(wide.predict(X), full.predict(X))
    sketch = gbt.train({**params, "split_grad": method, "split_grad_dim": 2},
                       gbt.Dataset(X[:2000], y[:2000]), 30)
    assert all(t.value.shape[1] == 4 for t in sketch.trees)  # leaves keep all K outputs
    acc = (sketch.predict(X[2000:]).argmax(axis=1) == y[2000:]).mean()
    acc_full = (full.predict(X[2000:]).argmax(axis=1) == y[2000:]).mean()
    assert acc > acc_full - 0.05, (acc, acc_full)
    assert not np.array_equal(sketch.predict(X), full.predict(X))


def test_split_grad_parameter_errors():
    from gbt.params import resolve_params
    with pytest.raises(ValueError, match="split_grad"):
        resolve_params({"split_grad": "pca"})
    with pytest.raises(ValueError, match="split_grad_dim"):
        resolve_params({"split_grad_dim": 0})


def test_objective_split_grad_hook(multiclass_data):
    """An objective's own split_grad(g, h) -> (g', h') drives the split search of condensed
    trees; the leaves still get every output (DESIGN.md section 4)."""
    X, y = multiclass_data
    calls = []

    class FirstTwoOutputs(gbt.objectives.SoftmaxLoss):
        def split_grad(self, g, h):
            calls.append(g.shape)
            return g[:, :2], h[:, :2]

    obj = FirstTwoOutputs(num_class=4)
    params = {"multi_strategy": "condensed", "max_depth": 4}
    hooked = gbt.train(params, gbt.Dataset(X, y), 5, obj=obj)
    full = gbt.train({**params, "objective": "multi:softprob"}, gbt.Dataset(X, y), 5)
    assert calls == [(len(X), 4)] * 5
    assert all(t.value.shape[1] == 4 for t in hooked.trees)
    assert not np.array_equal(hooked.predict(X), full.predict(X))  # searched on 2 outputs

    class BadShape(gbt.objectives.SoftmaxLoss):
        def split_grad(self, g, h):
            return g[:10], h[:10]
    with pytest.raises(ValueError, match="split_grad must return two"):
        gbt.train(params, gbt.Dataset(X, y), 2, obj=BadShape(num_class=4))


def test_many_outputs_with_few_bins():
    """More outputs than bins: the split scan's per-output scratch must not be sized by bins
    (a regression test: it once wrote past the end of its scratch)."""
    rng = np.random.default_rng(9)
    X = rng.integers(0, 3, size=(600, 4)).astype(float)
    Y = np.column_stack([X[:, k % 4] * (k + 1) + rng.normal(size=600) for k in range(12)])
    b = gbt.train({"multi_strategy": "condensed", "max_bin": 3, "max_depth": 3},
                  gbt.Dataset(X, Y), 10)
    pred = b.predict(X)
    assert pred.shape == (600, 12) and np.isfinite(pred).all()
    assert ((pred - Y) ** 2).mean() < ((Y - Y.mean(0)) ** 2).mean() * 0.5
