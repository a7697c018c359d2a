"""Loaders for the real datasets in ../shared/data, shared by the tests and the benchmarks
(bench/). Each returns float64 arrays (NaN = missing)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def load_letter(path: Path):
    """UCI letter recognition: 16 integer features, 26 classes coded 0..25 (A..Z)."""
    df = pd.read_csv(path)
    y = df.pop("Letter").astype("category").cat.codes.to_numpy().astype(np.float64)
    return df.to_numpy(dtype=np.float64), y


def load_scm20d(path: Path):
    """Mulan scm20d: 61 features, 16 targets (the last 16 columns)."""
    df = pd.read_csv(path)
    return df.iloc[:, :-16].to_numpy(np.float64), df.iloc[:, -16:].to_numpy(np.float64)


def load_rf1(path: Path):
    """Mulan rf1: 64 features with missing values, 8 targets (``*_48H__0``). Rows with a
    missing target are dropped."""
    df = pd.read_csv(path)
    targets = [c for c in df.columns if c.endswith("_48H__0")]
    df = df.dropna(subset=targets)
    return df.drop(columns=targets).to_numpy(np.float64), df[targets].to_numpy(np.float64)


def load_yeast(path: Path):
    """Mulan yeast: 103 features, 14 0/1 labels (the last 14 columns)."""
    df = pd.read_csv(path)
    return df.iloc[:, :-14].to_numpy(np.float64), df.iloc[:, -14:].to_numpy(np.float64)


def load_uci(directory: Path, name: str):
    """A UCI regression set of the NGBoost / MC-dropout benchmarks: ``(X, y, splits)`` with
    ``splits = (train, test)``, each (n_splits, n) 0-based row indices. naval_propulsion's
    target is its compressor decay (column 16); the turbine decay (column 17) is dropped, as
    the benchmark does."""
    df = pd.read_csv(Path(directory) / f"{name}.csv.gz")
    if name == "naval_propulsion":
        X, y = df.iloc[:, :16], df.iloc[:, 16]
    else:
        X, y = df.iloc[:, :-1], df.iloc[:, -1]
    with np.load(Path(directory) / f"{name}_splits.npz") as splits:
        train, test = splits["train"], splits["test"]
    return X.to_numpy(np.float64), y.to_numpy(np.float64), (train, test)


ADULT_COLS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
              "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
              "hours_per_week", "native_country", "income"]


def load_adult(directory: Path) -> dict:
    """UCI Adult from the fairness folder: train = adult.data, test = adult.test; label income
    > 50K; group ``sex`` coded 0/1 (Female/Male); string columns as pandas categoricals with the
    training file's sorted categories. Returns dict(X_train, y_train, g_train, X_test, y_test,
    g_test, group_names, group_col)."""
    def read(name, skip):
        return pd.read_csv(Path(directory) / name, header=None, names=ADULT_COLS,
                           skipinitialspace=True, na_values="?", skiprows=skip)
    train, test = read("adult.data.gz", 0), read("adult.test.gz", 1)
    X_train, X_test = train.drop(columns="income"), test.drop(columns="income")
    for col in X_train.columns:
        # object under pandas 2, the 'str' dtype under pandas 3
        if not pd.api.types.is_numeric_dtype(X_train[col]):
            cats = sorted(X_train[col].dropna().unique())
            X_train[col] = pd.Categorical(X_train[col], categories=cats)
            X_test[col] = pd.Categorical(X_test[col], categories=cats)
    names = sorted(train["sex"].dropna().unique())  # ["Female", "Male"] -> codes 0, 1

    def codes(df):
        return pd.Categorical(df["sex"], categories=names).codes.astype(np.int32)
    return dict(X_train=X_train, y_train=_label(train["income"]), g_train=codes(train),
                X_test=X_test, y_test=_label(test["income"]), g_test=codes(test),
                group_names=names, group_col="sex")


def _label(income):
    return income.str.startswith(">50K").astype(np.int64).to_numpy()


def load_lgb_rank(directory: Path) -> dict:
    """LightGBM's lambdarank example (``rank.{train,test}.gz`` LibSVM with 300 features,
    ``rank.{train,test}.query`` query sizes): relevance 0..4. Features are dense float64 with
    the LibSVM's absent entries as 0 (values, not missing). Returns dict(X_train, y_train,
    group_train, X_test, y_test, group_test), groups as int64 query sizes."""
    from sklearn.datasets import load_svmlight_file
    out = {}
    for part in ("train", "test"):
        X, y = load_svmlight_file(str(Path(directory) / f"rank.{part}.gz"), n_features=300)
        group = np.loadtxt(Path(directory) / f"rank.{part}.query", dtype=np.int64, ndmin=1)
        if group.sum() != X.shape[0]:
            raise ValueError(f"rank.{part}.query sums to {group.sum()}, not {X.shape[0]} rows.")
        out[f"X_{part}"] = X.toarray()
        out[f"y_{part}"] = np.asarray(y, dtype=np.float64)
        out[f"group_{part}"] = group
    return out
