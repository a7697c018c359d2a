"""cv(): k-fold cross-validation of the native API, like ``xgboost.cv`` and ``lightgbm.cv``.

Each fold trains on the other folds with :func:`gbt.train` and records every metric on its own
training rows and held-out rows after every round; the result is the per-round mean and
standard deviation over the folds. Folds are drawn here (no scikit-learn: DESIGN.md keeps that
to ``gbt/sklearn.py``); pass ``folds`` to use your own.
"""
from __future__ import annotations

import numpy as np

from .data import Dataset, check_int
from .engine import train


def _subset(dataset: Dataset, rows: np.ndarray) -> Dataset:
    """The rows ``rows`` of ``dataset`` with everything that belongs to them."""
    def part(a):
        return None if a is None else a[rows]
    return Dataset(dataset.features.take(rows), label=part(dataset.label),
                   weight=part(dataset.weight), base_margin=part(dataset.base_margin),
                   constraint_group=part(dataset.constraint_group),
                   qid=part(dataset.query_index),
                   label_lower_bound=part(dataset.label_lower_bound),
                   label_upper_bound=part(dataset.label_upper_bound),
                   categorical_feature=dataset.categorical_feature)


def _query_folds(query_index, nfold: int, shuffle: bool, seed: int) -> list:
    """Folds of whole queries (a query's rows stay together, in their order)."""
    n_queries = int(query_index.max()) + 1
    if nfold > n_queries:
        raise ValueError(f"nfold={nfold} is more than the {n_queries} queries.")
    query_folds = make_folds(n_queries, nfold, None, shuffle, seed)
    return [(np.flatnonzero(np.isin(query_index, tr)), np.flatnonzero(np.isin(query_index, te)))
            for tr, te in query_folds]


def make_folds(n_rows: int, nfold: int, stratify=None, shuffle: bool = True,
               seed: int = 0) -> list:
    """``nfold`` (train_rows, test_rows) pairs covering ``range(n_rows)``. With ``stratify``
    (one label per row) every class is dealt round-robin over the folds, so each fold holds
    its share of every class."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_rows) if shuffle else np.arange(n_rows)
    fold_of = np.empty(n_rows, dtype=np.int64)
    if stratify is None:
        fold_of[order] = np.arange(n_rows) % nfold
    else:
        labels = np.asarray(stratify)[order]
        # Stable sort by class keeps the shuffled order inside each class.
        by_class = order[np.argsort(labels, kind="stable")]
        fold_of[by_class] = np.arange(n_rows) % nfold
    folds = []
    for k in range(nfold):
        test = np.flatnonzero(fold_of == k)
        train_rows = np.flatnonzero(fold_of != k)
        folds.append((train_rows, test))
    return folds


def cv(params: dict, dtrain: Dataset, num_boost_round: int = 10, nfold: int = 5,
       stratified: bool = False, folds=None, metrics=None, early_stopping_rounds=None,
       shuffle: bool = True, seed: int = 0, verbose_eval=False) -> dict:
    """Cross-validate ``params`` on ``dtrain``.

    Parameters
    ----------
    params : dict
        Booster parameters, as for :func:`gbt.train`.
    dtrain : Dataset
    num_boost_round : int
    nfold : int
        Number of folds (ignored when ``folds`` is given). A Dataset with query groups is
        split by whole queries.
    stratified : bool
        Keep each class's share in every fold (classification labels).
    folds : list of (train_rows, test_rows), optional
        Your own folds, e.g. ``list(sklearn.model_selection.GroupKFold().split(X, y, g))``.
    metrics : str or list of str, optional
        Metrics to record (default: ``params["eval_metric"]`` or the objective's).
    early_stopping_rounds : int, optional
        Stop when the mean held-out value of the last metric has not improved for this many
        rounds; the result then ends at the best round (``xgboost.cv``'s behaviour).
    shuffle, seed : shuffle rows before dealing them into folds, with this seed.
    verbose_eval : bool or int
        Print the mean held-out metrics every round (True) or every ``verbose_eval`` rounds.

    Returns
    -------
    dict
        ``{"train-<metric>-mean": [...], "train-<metric>-std": [...], "test-<metric>-mean":
        [...], "test-<metric>-std": [...]}``, one value per round.
    """
    if not isinstance(dtrain, Dataset):
        raise TypeError(f"dtrain must be a gbt.Dataset; got {type(dtrain).__name__}.")
    if dtrain.label is None:
        raise ValueError("dtrain has no label.")
    num_boost_round = check_int("num_boost_round", num_boost_round, 1)
    if folds is None:
        nfold = check_int("nfold", nfold, 2)
        if nfold > dtrain.num_row:
            raise ValueError(f"nfold={nfold} is more than the {dtrain.num_row} rows.")
        stratify = None
        if stratified:
            if dtrain.label.ndim != 1:
                raise ValueError("stratified=True needs a 1-D label of classes.")
            stratify = dtrain.label
        if dtrain.query_index is not None:  # ranking: whole queries per fold
            folds = _query_folds(dtrain.query_index, nfold, shuffle, seed)
        else:
            folds = make_folds(dtrain.num_row, nfold, stratify, shuffle, seed)
    folds = _check_folds(folds, dtrain.num_row)
    params = dict(params)
    if metrics is not None:
        params["eval_metric"] = metrics
    per_fold = []
    for train_rows, test_rows in folds:
        fold_train = _subset(dtrain, train_rows)
        fold_test = _subset(dtrain, test_rows)
        log: dict = {}
        train(params, fold_train, num_boost_round,
              evals=[(fold_train, "train"), (fold_test, "test")], evals_result=log)
        per_fold.append(log)
    result = _aggregate(per_fold)
    if early_stopping_rounds is not None:
        rounds = check_int("early_stopping_rounds", early_stopping_rounds, 1)
        result = _truncate_at_best(result, rounds, per_fold, params)
    if verbose_eval:
        period = 1 if verbose_eval is True else int(verbose_eval)
        n = len(next(iter(result.values())))
        for i in range(0, n, period):
            print(f"[{i}]\t" + "\t".join(f"{k}:{v[i]:.6f}" for k, v in result.items()
                                         if k.startswith("test-") and k.endswith("-mean")))
    return result


def _check_folds(folds, n_rows):
    out = []
    for i, pair in enumerate(folds):
        try:
            train_rows, test_rows = (np.asarray(a, dtype=np.int64) for a in pair)
        except (TypeError, ValueError):
            raise ValueError(f"folds[{i}] must be a (train_rows, test_rows) pair of row "
                             "indices.") from None
        for name, rows in (("train", train_rows), ("test", test_rows)):
            if rows.ndim != 1 or rows.size == 0 or rows.min() < 0 or rows.max() >= n_rows:
                raise ValueError(f"folds[{i}] {name} rows must be a non-empty 1-D array of "
                                 f"indices in [0, {n_rows}).")
        out.append((train_rows, test_rows))
    if not out:
        raise ValueError("folds is empty.")
    return out


def _aggregate(per_fold: list) -> dict:
    result = {}
    for data in ("train", "test"):
        for metric in per_fold[0][data]:
            values = np.array([log[data][metric] for log in per_fold])  # (folds, rounds)
            result[f"{data}-{metric}-mean"] = values.mean(axis=0).tolist()
            result[f"{data}-{metric}-std"] = values.std(axis=0).tolist()
    return result


def _truncate_at_best(result: dict, rounds: int, per_fold: list, params: dict) -> dict:
    from .metrics import get_metric
    from .objectives import get_objective
    metric = list(per_fold[0]["test"])[-1]
    curve = np.asarray(result[f"test-{metric}-mean"])
    try:
        maximize = get_metric(metric, get_objective(params.get("objective",
                                                               "reg:squarederror"),
                                                    params)).higher_is_better
    except (ValueError, TypeError):
        maximize = False
    best, since = 0, 0
    for i in range(1, curve.size):
        better = curve[i] > curve[best] if maximize else curve[i] < curve[best]
        if better:
            best, since = i, 0
        else:
            since += 1
            if since >= rounds:
                break
    return {k: v[:best + 1] for k, v in result.items()}
