"""scikit-learn-style estimators on dask collections, and prediction as dask collections.

``DaskGBTRegressor``, ``DaskGBTClassifier``, ``DaskFairGBTClassifier`` and
``DaskNGBRegressor`` take the same parameters as their single-machine twins in
:mod:`gbt.sklearn`; ``fit`` takes dask Arrays / DataFrames and trains with
:func:`gbt.dask.train`; ``predict`` returns a dask collection computed block by block where
the rows are. The client is ``estimator.client`` (default: the current
``distributed.get_client()``); ``fit(..., timeout=s)`` bounds each message.
"""
from __future__ import annotations

import numpy as np

from ..sklearn import FairGBTClassifier, GBTClassifier, GBTRegressor, NGBRegressor
from ._data import DaskDataset, _is_dask_array, _is_dask_frame, is_dask_collection
from ._train import train


def predict(booster, X, output_margin=False):
    """Predictions of ``booster`` for a dask collection, as a dask collection.

    Parameters
    ----------
    booster : gbt.Booster
    X : dask.array.Array (n_samples, n_features) or dask.dataframe.DataFrame
    output_margin : bool, raw scores instead of transformed predictions

    Returns
    -------
    dask Array (n_samples,) or (n_samples, n_outputs) for an Array; dask Series or DataFrame
    (same index) for a DataFrame.
    """
    if not is_dask_collection(X):
        raise TypeError(f"X must be a dask Array or DataFrame; got {type(X).__name__} (use "
                        "Booster.predict for in-memory data).")
    width = booster.n_outputs if output_margin else _prediction_width(booster)
    if _is_dask_array(X):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D; got {X.ndim}-D.")
        X = X.rechunk({1: -1})
        if width == 1:
            return X.map_blocks(_predict_block, booster, output_margin, 1, drop_axis=1,
                                dtype=np.float64)
        return X.map_blocks(_predict_block, booster, output_margin, width,
                            chunks=(X.chunks[0], (width,)), dtype=np.float64)
    import pandas as pd
    meta = pd.Series([], dtype=np.float64) if width == 1 else \
        pd.DataFrame({i: pd.Series([], dtype=np.float64) for i in range(width)})
    return X.map_partitions(_predict_frame, booster, output_margin, width, meta=meta)


def _prediction_width(booster):
    """Columns of ``booster.predict``: 1 for one output (a 1-D result)."""
    probe = booster.objective.transform(np.zeros((1, booster.n_outputs)))
    probe = np.asarray(probe)
    return 1 if probe.ndim == 1 else probe.shape[1]


def _predict_block(block, booster, output_margin, width):
    out = booster.predict(block, output_margin=output_margin) if len(block) else \
        np.zeros((0,) if width == 1 else (0, width))
    return np.asarray(out, dtype=np.float64).reshape((len(block),) if width == 1 else
                                                     (len(block), width))


def _predict_frame(part, booster, output_margin, width):
    import pandas as pd
    out = _predict_block(part, booster, output_margin, width)
    if width == 1:
        return pd.Series(out, index=part.index)
    return pd.DataFrame(out, index=part.index)


class _DaskMixin:
    """What the Dask estimators share: the client, fitting on dask collections and
    prediction as dask collections."""

    @property
    def client(self):
        """The distributed.Client to train on (default: ``distributed.get_client()``)."""
        client = getattr(self, "_client", None)
        if client is None:
            from distributed import get_client
            client = get_client()
        return client

    @client.setter
    def client(self, value):
        self._client = value

    def __getstate__(self):
        """Pickles without the client (a connection, not part of the model)."""
        state = super().__getstate__()
        state.pop("_client", None)
        return state

    def _check_input(self, X, y):
        if not is_dask_collection(X):
            raise TypeError(f"{type(self).__name__} fits dask Arrays or DataFrames; got X of "
                            f"type {type(X).__name__} (use the gbt.sklearn estimator for "
                            "in-memory data).")
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None.")
        if not is_dask_collection(y):
            raise TypeError(f"y must be a dask Array or Series like X; got {type(y).__name__}.")

    def _dask_fit(self, X, y, sample_weight, eval_set, extra, verbose, timeout, rows=None,
                  eval_rows=None):
        if self.early_stopping_rounds is not None and not eval_set:
            raise ValueError("early_stopping_rounds needs an eval_set of dask collections in "
                             "distributed training (no rows are held out automatically).")
        rows = {k: v for k, v in (rows or {}).items() if v is not None}
        dtrain = DaskDataset(X, y, weight=sample_weight, **rows)
        evals = []
        for i, pair in enumerate(eval_set or ()):
            if not isinstance(pair, (tuple, list)) or len(pair) not in (2, 3):
                raise TypeError(f"eval_set[{i}] must be (X, y) or (X, y, sample_weight).")
            Xv, yv = pair[:2]
            self._check_input(Xv, yv)
            wv = pair[2] if len(pair) > 2 else None
            extra_rows = {} if eval_rows is None else \
                {k: v for k, v in eval_rows[i].items() if v is not None}
            evals.append((DaskDataset(Xv, self._encode_dask(yv), weight=wv, **extra_rows),
                          f"validation_{i}"))
        self._Booster = train(self.client, self._booster_params(extra), dtrain,
                              self.n_estimators, evals=evals,
                              early_stopping_rounds=self.early_stopping_rounds,
                              verbose_eval=verbose, timeout=timeout)
        self.n_features_in_ = len(self._Booster.feature_names)
        if _is_dask_frame(X):
            self.feature_names_in_ = np.asarray(self._Booster.feature_names, dtype=object)
        self.evals_result_ = self._Booster.evals_result
        if self._Booster.best_iteration is not None:
            self.best_iteration_ = self._Booster.best_iteration
        return self

    def _encode_dask(self, y):
        return y.astype(np.float64)

    def _check_dask_X(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self, "_Booster")
        n = X.shape[1] if _is_dask_array(X) else len(X.columns)
        if n != self.n_features_in_:
            raise ValueError(f"X has {n} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return X

    def _predict_dask(self, X, output_margin=False):
        if not is_dask_collection(X):
            raise TypeError(f"{type(self).__name__}.predict takes a dask Array or DataFrame; "
                            f"got {type(X).__name__}.")
        return predict(self._Booster, self._check_dask_X(X), output_margin)


class DaskGBTRegressor(_DaskMixin, GBTRegressor):
    """:class:`gbt.GBTRegressor` trained on a Dask cluster (see :mod:`gbt.dask`)."""

    def fit(self, X, y, sample_weight=None, eval_set=None, verbose=False, timeout=None):
        """Fit on dask collections; ``eval_set``: list of dask ``(X, y)`` or
        ``(X, y, sample_weight)``; ``timeout``: seconds per message to the workers."""
        self._check_input(X, y)
        return self._dask_fit(X, self._encode_dask(y), sample_weight, eval_set, None,
                              verbose, timeout)

    def predict(self, X):
        """Predictions as a dask collection (see :func:`gbt.dask.predict`)."""
        return self._predict_dask(X)


class DaskGBTClassifier(_DaskMixin, GBTClassifier):
    """:class:`gbt.GBTClassifier` trained on a Dask cluster (binary and multi-class; labels
    are 1-D)."""

    def fit(self, X, y, sample_weight=None, eval_set=None, verbose=False, timeout=None):
        """Fit on dask collections (see :meth:`DaskGBTRegressor.fit`)."""
        self._check_input(X, y)
        self._learn_dask_classes(y)
        if self.class_weight is not None:
            raise NotImplementedError("class_weight is not built for DaskGBTClassifier; pass "
                                      "the class weights through sample_weight.")
        if self.n_classes_ == 2:
            extra = {"objective": "binary:logistic"}
        else:
            extra = {"objective": "multi:softprob", "num_class": self.n_classes_}
        return self._dask_fit(X, self._encode_dask(y), sample_weight, eval_set, extra,
                              verbose, timeout)

    def _learn_dask_classes(self, y):
        if getattr(y, "ndim", 1) != 1:
            raise ValueError("DaskGBTClassifier takes 1-D labels; multi-label is not built "
                             "for distributed training.")
        from sklearn.preprocessing import LabelEncoder
        classes = np.unique(np.asarray(self.client.compute(y.unique() if _is_dask_frame(y)
                                                           else _unique(y)).result()))
        self._multilabel = False
        self._le = LabelEncoder().fit(classes)
        self.classes_ = self._le.classes_
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(f"DaskGBTClassifier needs at least 2 classes; y has "
                             f"{self.n_classes_} class.")

    def _encode_dask(self, y):
        classes = self.classes_
        if _is_dask_frame(y):
            return y.map_partitions(_encode_block, classes, meta=(y.name, np.float64))
        return y.map_blocks(_encode_block, classes, dtype=np.float64)

    def predict_proba(self, X):
        """Class probabilities as a dask collection, (n_samples, n_classes)."""
        p = self._predict_dask(X)
        if self.n_classes_ == 2:
            if _is_dask_array(p):
                return p.map_blocks(_two_columns, chunks=(p.chunks[0], (2,)), new_axis=1,
                                    dtype=np.float64)
            import pandas as pd
            return p.map_partitions(_two_columns_frame, meta=pd.DataFrame(
                {0: pd.Series([], dtype=np.float64), 1: pd.Series([], dtype=np.float64)}))
        return p

    def predict(self, X):
        """Class labels as a dask collection."""
        proba = self.predict_proba(X)
        classes = self.classes_
        if _is_dask_array(proba):
            return proba.map_blocks(_argmax_labels, classes, drop_axis=1,
                                    dtype=classes.dtype)
        import pandas as pd
        return proba.map_partitions(lambda df: pd.Series(classes[np.argmax(df.values, 1)],
                                                         index=df.index),
                                    meta=pd.Series([], dtype=classes.dtype))


class DaskFairGBTClassifier(_DaskMixin, FairGBTClassifier):
    """:class:`gbt.FairGBTClassifier` (FairGBM) on a Dask cluster: the constraint values and
    the gradients' group statistics are sums over workers."""

    def fit(self, X, y, constraint_group=None, sample_weight=None, eval_set=None,
            eval_constraint_group=None, verbose=False, timeout=None):
        """Fit on dask collections; ``constraint_group`` is a dask Array/Series partitioned
        like ``X``."""
        self._check_input(X, y)
        groupwise = self.constraint_type not in (None, "NONE", "none")
        if constraint_group is None and groupwise:
            raise ValueError("DaskFairGBTClassifier.fit needs constraint_group, the group of "
                             "each row.")
        if eval_set is not None and groupwise and (eval_constraint_group is None or
                                                   len(eval_constraint_group) != len(eval_set)):
            raise ValueError("Give eval_constraint_group: one group collection per eval_set "
                             "pair.")
        DaskGBTClassifier._learn_dask_classes(self, y)
        if self.n_classes_ != 2:
            raise ValueError("Only binary classification is supported by "
                             "DaskFairGBTClassifier.")
        eval_rows = None if eval_constraint_group is None else \
            [{"constraint_group": g} for g in eval_constraint_group]
        self._dask_fit(X, DaskGBTClassifier._encode_dask(self, y), sample_weight, eval_set,
                       {"objective": "binary:constrained"}, verbose, timeout,
                       rows={"constraint_group": constraint_group}, eval_rows=eval_rows)
        self.multipliers_ = self._Booster.objective.multipliers.copy()
        return self

    _encode_dask = DaskGBTClassifier._encode_dask
    predict_proba = DaskGBTClassifier.predict_proba

    def predict(self, X):
        """Class labels (positive at ``score_threshold``) as a dask collection."""
        p = self._predict_dask(X)
        classes, threshold = self.classes_, self.score_threshold
        if _is_dask_array(p):
            return p.map_blocks(lambda b: classes[(b >= threshold).astype(int)],
                                dtype=classes.dtype)
        import pandas as pd
        return p.map_partitions(lambda s: pd.Series(classes[(s.values >= threshold)
                                                            .astype(int)], index=s.index),
                                meta=pd.Series([], dtype=classes.dtype))


class DaskNGBRegressor(_DaskMixin, NGBRegressor):
    """:class:`gbt.NGBRegressor` (NGBoost) on a Dask cluster: the gradient columns' spreads
    (the condensed tree's standardised split search) and the line search's scores are sums
    over workers. ``minibatch_frac`` of the rows is drawn by each worker from its own rows
    (the same distribution, not the same rows as one machine)."""

    def fit(self, X, y, X_val=None, Y_val=None, sample_weight=None, val_sample_weight=None,
            timeout=None):
        """Fit on dask collections; ``X_val, Y_val`` (dask) drive ``early_stopping_rounds``."""
        self._check_input(X, y)
        if (X_val is None) != (Y_val is None):
            raise ValueError("Give both X_val and Y_val, or neither.")
        eval_set = None if X_val is None else [(X_val, Y_val) if val_sample_weight is None
                                               else (X_val, Y_val, val_sample_weight)]
        return self._dask_fit(X, self._encode_dask(y), sample_weight, eval_set, None,
                              self.verbose, timeout)

    def predict(self, X):
        """Predicted means as a dask collection."""
        return self._predict_dask(X)


def _unique(y):
    import dask.array as da
    return da.unique(y)


def _encode_block(block, classes):
    values = np.asarray(block)
    codes = np.searchsorted(classes, values)
    bad = (codes >= classes.size) | (classes[np.minimum(codes, classes.size - 1)] != values)
    if bad.any():
        raise ValueError(f"y holds labels not seen when the classes were learned: "
                         f"{np.unique(values[bad])[:5].tolist()}.")
    out = codes.astype(np.float64)
    if hasattr(block, "index"):
        import pandas as pd
        return pd.Series(out, index=block.index, name=block.name)
    return out


def _two_columns(p):
    return np.column_stack([1.0 - p, p])


def _two_columns_frame(s):
    import pandas as pd
    return pd.DataFrame({0: 1.0 - s.values, 1: s.values}, index=s.index)


def _argmax_labels(proba, classes):
    return classes[np.argmax(proba, axis=1)]
