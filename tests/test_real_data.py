"""Accuracy parity with LightGBM and XGBoost on real data from ../shared/data.

Same split, same key parameters (255 bins, learning rate, tree size, regularisation); gbt must
land within a small tolerance of the better peer. Skipped when the data folder is absent.
"""
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

import gbt

from .conftest import data_path

lgb = pytest.importorskip("lightgbm")
xgb = pytest.importorskip("xgboost")

pytestmark = pytest.mark.slow

ROUNDS = 60
COMMON = dict(learning_rate=0.1, max_leaves=31, min_child_samples=20, min_child_weight=1e-3,
              reg_lambda=1.0)


def _gbt(objective, X, y, Xt, **extra):
    params = {"objective": objective, "grow_policy": "lossguide", "max_depth": 0,
              "n_jobs": 2, **COMMON, **extra}
    return gbt.train(params, gbt.Dataset(X, y), ROUNDS).predict(Xt)


def _lgb(objective, X, y, Xt, **extra):
    params = {"objective": objective, "num_leaves": COMMON["max_leaves"], "verbose": -1,
              "learning_rate": COMMON["learning_rate"], "min_child_samples": 20,
              "min_sum_hessian_in_leaf": 1e-3, "lambda_l2": 1.0, "num_threads": 2, **extra}
    return lgb.train(params, lgb.Dataset(X, y), ROUNDS).predict(Xt)


def _xgb(objective, X, y, Xt, **extra):
    params = {"objective": objective, "tree_method": "hist", "grow_policy": "lossguide",
              "max_leaves": COMMON["max_leaves"], "max_depth": 0, "eta": 0.1,
              "min_child_weight": 1e-3, "reg_lambda": 1.0, "nthread": 2, **extra}
    return xgb.train(params, xgb.DMatrix(X, y), ROUNDS).predict(xgb.DMatrix(Xt))


def test_higgs_sample_auc():
    tr = pd.read_csv(data_path("lightgbm/binary.train.gz"), sep="\t", header=None).to_numpy()
    te = pd.read_csv(data_path("lightgbm/binary.test.gz"), sep="\t", header=None).to_numpy()
    X, y, Xt, yt = tr[:, 1:], tr[:, 0], te[:, 1:], te[:, 0]
    ours = roc_auc_score(yt, _gbt("binary:logistic", X, y, Xt))
    peers = [roc_auc_score(yt, _lgb("binary", X, y, Xt)),
             roc_auc_score(yt, _xgb("binary:logistic", X, y, Xt))]
    assert ours > max(peers) - 0.015, (ours, peers)


def test_agaricus_sparse_accuracy():
    from sklearn.datasets import load_svmlight_file
    X, y = load_svmlight_file(str(data_path("xgboost/agaricus.txt.train.gz")), n_features=127,
                              zero_based=True)
    Xt, yt = load_svmlight_file(str(data_path("xgboost/agaricus.txt.test.gz")), n_features=127,
                                zero_based=True)
    ours = accuracy_score(yt, _gbt("binary:logistic", X, y, Xt) > 0.5)
    peer = accuracy_score(yt, _xgb("binary:logistic", X, y, Xt) > 0.5)
    assert ours >= 0.999 and ours >= peer - 0.001, (ours, peer)


def test_protein_rmse():
    df = pd.read_csv(data_path("uci_regression/protein.csv.gz"))
    splits = np.load(data_path("uci_regression/protein_splits.npz"))
    X, y = df.drop(columns="RMSD").to_numpy(), df["RMSD"].to_numpy()
    tr, te = splits["train"][0], splits["test"][0]

    def rmse(p):
        return float(np.sqrt(np.mean((p - y[te]) ** 2)))
    ours = rmse(_gbt("reg:squarederror", X[tr], y[tr], X[te]))
    peers = [rmse(_lgb("regression", X[tr], y[tr], X[te])),
             rmse(_xgb("reg:squarederror", X[tr], y[tr], X[te]))]
    assert ours < min(peers) * 1.02, (ours, peers)


def test_letter_multiclass_accuracy():
    df = pd.read_csv(data_path("misc/letter-recognition.data.gz"))
    y = df.pop("Letter").astype("category").cat.codes.to_numpy().astype(float)
    X = df.to_numpy(dtype=float)
    X, Xt, y, yt = X[:16000], X[16000:], y[:16000], y[16000:]
    ours = accuracy_score(yt, _gbt("multi:softprob", X, y, Xt, num_class=26).argmax(1))
    lgb_acc = accuracy_score(yt, _lgb("multiclass", X, y, Xt, num_class=26).argmax(1))
    xgb_acc = accuracy_score(yt, _xgb("multi:softprob", X, y, Xt, num_class=26).argmax(1))
    # We share LightGBM's softmax hessian K/(K-1) p(1-p); XGBoost's 2p(1-p) takes steps about
    # half as long on 26 classes, so after a fixed number of rounds it trails both.
    assert ours > lgb_acc - 0.005 and ours >= xgb_acc, (ours, xgb_acc, lgb_acc)


# -- condensed multi-output trees (issue 3) ----------------------------------------------------
def _split(X, Y, stratify=None):
    from sklearn.model_selection import train_test_split
    return train_test_split(X, Y, test_size=0.25, random_state=0, stratify=stratify)


MULTI = dict(grow_policy="lossguide", max_depth=0, learning_rate=0.1, min_child_samples=20,
             n_jobs=2)


def test_letter_condensed_matches_one_per_output_and_lightgbm():
    """At 200 rounds (condensed trees need more rounds than K trees per round to catch up)."""
    from .real_data import load_letter
    rounds = 200
    X, y = load_letter(data_path("misc/letter-recognition.data.gz"))
    X, Xt, y, yt = _split(X, y, stratify=y)
    params = dict(MULTI, objective="multi:softprob", max_leaves=63)
    acc = {}
    for name, extra in (("condensed", dict(multi_strategy="condensed")),
                        ("sketch", dict(multi_strategy="condensed",
                                        split_grad="random_projection", split_grad_dim=1)),
                        ("one_per_output", dict(multi_strategy="one_per_output"))):
        b = gbt.train(dict(params, **extra), gbt.Dataset(X, y), rounds)
        acc[name] = accuracy_score(yt, b.predict(Xt).argmax(1))
    lgb_acc = accuracy_score(yt, lgb.train(
        {"objective": "multiclass", "num_class": 26, "num_leaves": 63, "verbose": -1,
         "num_threads": 2}, lgb.Dataset(X, y), rounds).predict(Xt).argmax(1))
    assert acc["condensed"] >= acc["one_per_output"] - 0.005, acc
    assert acc["sketch"] >= acc["condensed"] - 0.01, acc
    assert acc["condensed"] >= lgb_acc - 0.01, (acc, lgb_acc)


@pytest.mark.parametrize("name", ["scm20d", "rf1"])
def test_multitarget_condensed_vs_per_target(name):
    from .real_data import load_rf1, load_scm20d
    loader = {"scm20d": load_scm20d, "rf1": load_rf1}[name]
    X, Y = loader(data_path(f"multi_target/{name}.csv.gz"))
    if name == "rf1":
        assert np.isnan(X).any()  # the missing-value path is exercised
    X, Xt, Y, Yt = _split(X, Y)

    def rmse(P):
        return np.sqrt(((P - Yt) ** 2).mean(axis=0)).mean()
    rounds = 200  # as bench_multioutput.py: one condensed tree per round needs the rounds
    per_target = np.column_stack([
        gbt.train(dict(MULTI, max_leaves=31), gbt.Dataset(X, Y[:, k]), rounds).predict(Xt)
        for k in range(Y.shape[1])])
    condensed = gbt.train(dict(MULTI, max_leaves=95, multi_strategy="condensed",
                               split_grad="random_projection", split_grad_dim=1, max_bin=63),
                          gbt.Dataset(X, Y), rounds).predict(Xt)
    assert condensed.shape == Yt.shape
    assert rmse(condensed) <= 1.02 * rmse(per_target), (rmse(condensed), rmse(per_target))


def test_yeast_multilabel_condensed():
    from .real_data import load_yeast
    X, Y = load_yeast(data_path("multi_label/yeast.csv.gz"))
    X, Xt, Y, Yt = _split(X, Y)
    losses = {}
    for strategy in ("condensed", "one_per_output"):
        b = gbt.train(dict(MULTI, objective="binary:logistic", max_leaves=15,
                           multi_strategy=strategy), gbt.Dataset(X, Y), ROUNDS)
        P = b.predict(Xt)
        assert P.shape == Yt.shape
        losses[strategy] = gbt.metrics.get_metric("logloss")(Yt, P)
        hamming = ((P > 0.5) != Yt).mean()
        assert hamming < 0.25, (strategy, hamming)  # always-0 scores about 0.30 here
    assert losses["condensed"] <= 1.03 * losses["one_per_output"], losses


@pytest.mark.parametrize("objective, path, max_leaves", [
    ("reg:squarederror", "uci_regression/protein.csv.gz", 255),
    ("binary:logistic", "xgboost/agaricus.txt.train.gz", 12)])
def test_two_threads_grow_the_one_thread_trees(objective, path, max_leaves):
    """Trees whose leaf budget binds: on two threads the grower works out two open
    leaves' splits at once (dense protein, sparse agaricus), yet every tree is the one one
    thread grows, node for node. Protein's 71st tree once differed: the second leaf's
    children joined the heap early and took the last leaves from the first leaf's subtree."""
    if path.endswith(".csv.gz"):
        df = pd.read_csv(data_path(path))
        X, y = df.drop(columns="RMSD").to_numpy(), df["RMSD"].to_numpy()
    else:
        from sklearn.datasets import load_svmlight_file
        X, y = load_svmlight_file(str(data_path(path)), n_features=127, zero_based=True)
    params = dict(objective=objective, grow_policy="lossguide", max_leaves=max_leaves,
                  max_depth=0,
                  min_child_samples=20, min_child_weight=1e-3, reg_lambda=0.0,
                  learning_rate=0.1)
    one, two = (gbt.train({**params, "n_jobs": n}, gbt.Dataset(X, y), 80) for n in (1, 2))
    assert sum(t.feature.size == 2 * max_leaves - 1 for t in one.trees) > 40  # budgets bind
    for a, b in zip(one.trees, two.trees):
        for name in ("feature", "threshold_bin", "default_left", "left", "right", "value"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
