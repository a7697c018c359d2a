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
    # XGBoost shares our softmax hessian 2p(1-p); LightGBM's K/(K-1) p(1-p) takes ~2x larger
    # steps, so after a fixed number of rounds it is a little ahead of both.
    assert ours > xgb_acc - 0.005 and ours > lgb_acc - 0.015, (ours, xgb_acc, lgb_acc)
