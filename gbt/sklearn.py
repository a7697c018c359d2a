"""scikit-learn estimators (the only module importing sklearn besides the tuner): GBTRegressor,
GBTClassifier, GBTRanker, FairGBTClassifier (FairGBM), and the NGBoost family NGBRegressor,
NGBClassifier and NGBSurvival.

Parameter names follow XGBoost's scikit-learn API; every one maps to :mod:`gbt.params`.
"""
from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from .data import (Dataset, FeatureMatrix, _is_arrow_table, _is_pandas_df, _is_polars_df,
                   align_columns, to_feature_matrix)
from .engine import train


def _features(X, categories=None, sparse_format="csc"):
    """A FeatureMatrix of ``X`` (sparse as ``sparse_format``: CSC to train, CSR to predict).
    Frames (pandas, polars, arrow) keep their column names and categories; anything else goes
    through scikit-learn's ``check_array`` first, so bad input gets the messages scikit-learn
    users know (1-D data, no features, complex or text values)."""
    if not (isinstance(X, FeatureMatrix) or _is_pandas_df(X) or _is_arrow_table(X)
            or _is_polars_df(X)):
        X = check_array(X, accept_sparse=("csr", "csc"), dtype="numeric",
                        ensure_all_finite="allow-nan")
    return to_feature_matrix(X, categories=categories, sparse_format=sparse_format)


def _require_y(estimator, y):
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target "
                         "y is None.")


class _FittedBooster:
    """What every estimator does with its fitted Booster: hand it out, and check prediction
    input against the training columns."""

    def get_booster(self):
        check_is_fitted(self, "_Booster")
        return self._Booster

    @property
    def feature_importances_(self):
        """``(n_features,)`` importances of ``importance_type`` ("gain", "total_gain", "split",
        "cover", "total_cover"), normalised to sum to 1 (all zeros for a model without
        splits)."""
        check_is_fitted(self, "_Booster")
        imp = self._Booster.feature_importance(self.importance_type)
        total = imp.sum()
        return imp / total if total > 0 else imp

    def _staged_transformed(self, X):
        """Yield the transformed predictions after each boosting round."""
        features = self._check_X(X)
        objective = self._Booster.objective
        for raw in self._Booster.staged_margins(features):
            yield objective.transform(raw)

    def _record_features(self, X, features):
        self.n_features_in_ = features.shape[1]
        if not all(n.startswith("f") and n[1:].isdigit() for n in features.feature_names) \
                or hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(features.feature_names, dtype=object)

    def _check_X(self, X):
        check_is_fitted(self, "_Booster")
        X = align_columns(X, self._Booster.feature_names)
        features = _features(X, categories=self._Booster.categories, sparse_format="csr")
        if features.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {features.shape[1]} features, but {type(self).__name__} "
                             f"is expecting {self.n_features_in_} features as input.")
        return features


class _GBTModel(_FittedBooster, BaseEstimator):
    _objective = "reg:squarederror"

    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=6, max_leaves=0,
                 grow_policy="depthwise", min_child_weight=1.0, min_child_samples=1,
                 reg_lambda=1.0, reg_alpha=0.0, gamma=0.0, max_delta_step=0.0, subsample=1.0,
                 colsample_bytree=1.0, colsample_bynode=1.0, max_bin=255, n_jobs=None,
                 random_state=0, early_stopping_rounds=None, eval_metric=None,
                 multi_strategy="one_per_output", validation_fraction=0.1,
                 importance_type="gain",
                 monotone_constraints=None, interaction_constraints=None, device="cpu",
                 categorical_feature=None, max_cat_to_onehot=4, max_cat_threshold=32,
                 cat_smooth=10.0, cat_l2=10.0, min_data_per_group=100):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.max_leaves = max_leaves
        self.grow_policy = grow_policy
        self.min_child_weight = min_child_weight
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.gamma = gamma
        self.max_delta_step = max_delta_step
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.colsample_bynode = colsample_bynode
        self.max_bin = max_bin
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_metric = eval_metric
        self.multi_strategy = multi_strategy
        self.validation_fraction = validation_fraction
        self.importance_type = importance_type
        self.monotone_constraints = monotone_constraints
        self.interaction_constraints = interaction_constraints
        self.device = device
        self.categorical_feature = categorical_feature
        self.max_cat_to_onehot = max_cat_to_onehot
        self.max_cat_threshold = max_cat_threshold
        self.cat_smooth = cat_smooth
        self.cat_l2 = cat_l2
        self.min_data_per_group = min_data_per_group

    # Estimator parameters that are not booster parameters.
    _NOT_BOOSTER = ("n_estimators", "early_stopping_rounds", "validation_fraction",
                    "importance_type", "class_weight")

    def _booster_params(self, extra=None) -> dict:
        params = self.get_params()
        for name in self._NOT_BOOSTER:
            params.pop(name, None)
        params.setdefault("objective", self._objective)  # an ``objective`` parameter wins
        params.update(extra or {})
        return params

    def _fit(self, X, y, sample_weight, eval_set, extra_params, verbose, rows=None,
             eval_rows=None):
        """Fit on ``X, y``. ``rows``: more per-row Dataset arrays by keyword (the fairness
        ``constraint_group``, the ranking ``qid``); ``eval_rows``: one such dict per
        ``eval_set`` entry."""
        features = _features(X)
        rows = {k: v for k, v in (rows or {}).items() if v is not None}
        if self.early_stopping_rounds is not None and not eval_set:
            # Hold out validation_fraction of the rows (stratified for classes, whole queries
            # for ranking), as scikit-learn's HistGradientBoosting does.
            features, y, sample_weight, rows, eval_set, eval_rows = self._hold_out(
                features, y, sample_weight, rows)
        dtrain = Dataset(features, y, weight=sample_weight, **rows)
        evals = []
        for i, pair in enumerate(eval_set or ()):
            Xv, yv = pair[:2]
            wv = pair[2] if len(pair) > 2 else None
            extra = {} if eval_rows is None else \
                {k: v for k, v in eval_rows[i].items() if v is not None}
            evals.append((Dataset(_features(Xv, dtrain.features.categories),
                                  self._encode_y(yv), weight=wv, reference=dtrain, **extra),
                          f"validation_{i}"))
        self._Booster = train(self._booster_params(extra_params), dtrain, self.n_estimators,
                              evals=evals, early_stopping_rounds=self.early_stopping_rounds,
                              verbose_eval=verbose)
        self._record_features(X, features)
        self.evals_result_ = self._Booster.evals_result
        if self._Booster.best_iteration is not None:
            self.best_iteration_ = self._Booster.best_iteration
        return self

    def _hold_out(self, features, y, sample_weight, rows):
        """Split ``validation_fraction`` of the rows off as the early-stopping set; returns
        the training parts and ``eval_set``/``eval_rows`` for the held-out rows. Classes are
        stratified; with a ``qid`` whole queries are held out."""
        if not (isinstance(self.validation_fraction, float) and
                0 < self.validation_fraction < 1):
            raise ValueError("early_stopping_rounds without an eval_set holds out "
                             "validation_fraction of the rows: it must be a float in (0, 1); "
                             f"got {self.validation_fraction!r}.")
        n = features.shape[0]
        index = np.arange(n)
        if "qid" in rows:
            from sklearn.model_selection import GroupShuffleSplit
            split = GroupShuffleSplit(1, test_size=self.validation_fraction,
                                      random_state=self.random_state)
            train_rows, val_rows = next(split.split(index, groups=rows["qid"]))
        else:
            stratify = y if is_classifier(self) and y.ndim == 1 else None
            train_rows, val_rows = train_test_split(index, test_size=self.validation_fraction,
                                                    random_state=self.random_state,
                                                    stratify=stratify)
        train_rows, val_rows = np.sort(train_rows), np.sort(val_rows)

        def part(a, r):
            return None if a is None else np.asarray(a)[r]
        X_tr, X_val = features.take(train_rows), features.take(val_rows)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        eval_set = [(X_val, self._decode_y(y[val_rows]), part(w, val_rows))]
        eval_rows = [{k: part(v, val_rows) for k, v in rows.items()}]
        return X_tr, y[train_rows], part(w, train_rows), \
            {k: part(v, train_rows) for k, v in rows.items()}, eval_set, eval_rows

    def _encode_y(self, y):
        return np.asarray(y, dtype=np.float64)

    def _decode_y(self, y_encoded):
        """Labels as the user gave them, from their encoding (identity for regression)."""
        return y_encoded

    def _more_tags(self):
        return {"allow_nan": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags


def _base_params(values: dict) -> dict:
    """The :class:`_GBTModel` parameters among a subclass ``__init__``'s ``locals()``: the
    subclasses list every parameter explicitly (scikit-learn reads the signature) and hand
    the shared ones up with this."""
    return {name: values[name] for name in _BASE_PARAM_NAMES if name in values}


_BASE_PARAM_NAMES = tuple(inspect.signature(_GBTModel.__init__).parameters)[1:]


class GBTRegressor(RegressorMixin, _GBTModel):
    """Gradient-boosted trees for regression.

    ``y`` of shape (n_samples,), or (n_samples, K) for multi-output regression with squared
    error (predictions are then (n_samples, K); ``multi_strategy="condensed"`` fits one
    vector-leaf tree per round for all targets).

    Parameters
    ----------
    objective : str, default "reg:squarederror"
        Any regression objective: ``reg:absoluteerror``, ``reg:quantileerror``,
        ``reg:huber``, ``reg:pseudohubererror``, ``count:poisson``, ``reg:gamma``,
        ``reg:tweedie``, ``reg:squaredlogerror`` (or their LightGBM names). Predictions are
        on the target's scale (the log-link objectives predict the mean).
    quantile_alpha : float in (0, 1), default 0.5
        The quantile of ``reg:quantileerror``.
    huber_slope : float > 0, default 1.0
        Where the Huber losses turn linear.
    tweedie_variance_power : float in [1, 2), default 1.5
    Other parameters as :class:`GBTClassifier`.
    """

    def __init__(self, objective="reg:squarederror", quantile_alpha=0.5, huber_slope=1.0,
                 tweedie_variance_power=1.5, n_estimators=100, learning_rate=0.1, max_depth=6,
                 max_leaves=0, grow_policy="depthwise", min_child_weight=1.0,
                 min_child_samples=1, reg_lambda=1.0, reg_alpha=0.0, gamma=0.0,
                 max_delta_step=0.0, subsample=1.0, colsample_bytree=1.0,
                 colsample_bynode=1.0, max_bin=255, n_jobs=None, random_state=0,
                 early_stopping_rounds=None, eval_metric=None,
                 multi_strategy="one_per_output", validation_fraction=0.1,
                 importance_type="gain",
                 monotone_constraints=None, interaction_constraints=None, device="cpu",
                 categorical_feature=None, max_cat_to_onehot=4, max_cat_threshold=32,
                 cat_smooth=10.0, cat_l2=10.0, min_data_per_group=100):
        super().__init__(**_base_params(locals()))
        self.objective = objective
        self.quantile_alpha = quantile_alpha
        self.huber_slope = huber_slope
        self.tweedie_variance_power = tweedie_variance_power

    def fit(self, X, y, sample_weight=None, eval_set=None, verbose=False):
        """Fit; ``eval_set``: list of ``(X, y)`` or ``(X, y, sample_weight)`` validation sets
        (the last drives ``early_stopping_rounds``; without one, ``validation_fraction`` of
        the rows is held out)."""
        _require_y(self, y)
        return self._fit(X, self._encode_y(y), sample_weight, eval_set, None, verbose)

    def predict(self, X):
        features = self._check_X(X)
        return self._Booster.predict(features)

    def staged_predict(self, X):
        """Yield the predictions after each boosting round."""
        yield from self._staged_transformed(X)


class GBTClassifier(ClassifierMixin, _GBTModel):
    """Gradient-boosted trees for binary, multi-class and multi-label classification.

    A 2-D 0/1 ``y`` of shape (n_samples, K) is multi-label: K independent sigmoids;
    ``predict`` returns (n_samples, K) 0/1 labels and ``predict_proba`` (n_samples, K)
    probabilities of each label being 1 (as scikit-learn's MLPClassifier does).

    Parameters
    ----------
    n_estimators : int, default 100
        Boosting rounds (multi-class and multi-label grow one tree per output per round
        unless ``multi_strategy="condensed"``).
    learning_rate, max_depth, max_leaves, grow_policy, min_child_weight, min_child_samples,
    reg_lambda, reg_alpha, gamma, max_delta_step, subsample, colsample_bytree,
    colsample_bynode, max_bin, n_jobs, random_state
        As in :mod:`gbt.params` (XGBoost's names).
    early_stopping_rounds : int, optional
        Stop when the last ``eval_set`` has not improved for this many rounds; without an
        ``eval_set``, ``validation_fraction`` of the rows (stratified) is held out for it.
    eval_metric : str or list, optional
    multi_strategy : {"one_per_output", "condensed"}, default "one_per_output"
        With more than one output (multi-class, multi-label): one tree per output per round,
        or one tree with vector leaves per round.
    validation_fraction : float in (0, 1), default 0.1
    importance_type : {"gain", "total_gain", "split", "cover", "total_cover"}, default "gain"
        What ``feature_importances_`` measures.
    monotone_constraints : list, str or dict, optional
        +1 / -1 / 0 per feature (or ``{name: c}``): predictions non-decreasing /
        non-increasing in that feature for every input (see :mod:`gbt.params`).
    interaction_constraints : list of lists, optional
        Groups of features (indices or names); every root-to-leaf path stays in one group.
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where trees are grown and predictions made; ``"cuda"`` needs CuPy and an NVIDIA GPU
        (see the README's GPU section).
    categorical_feature : list of int or str, optional
        Features (indices or names) split as categories; data-frame ``category`` columns
        are categorical without being listed (see the README's categorical section).
    max_cat_to_onehot, max_cat_threshold, cat_smooth, cat_l2, min_data_per_group
        Categorical split rules, as in :mod:`gbt.params` (LightGBM's defaults).
    class_weight : dict, "balanced" or None
        Weights of the classes (single-label), multiplied into ``sample_weight``;
        ``"balanced"`` weighs each class by ``n_samples / (n_classes * class count)``.
    """

    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=6, max_leaves=0,
                 grow_policy="depthwise", min_child_weight=1.0, min_child_samples=1,
                 reg_lambda=1.0, reg_alpha=0.0, gamma=0.0, max_delta_step=0.0, subsample=1.0,
                 colsample_bytree=1.0, colsample_bynode=1.0, max_bin=255, n_jobs=None,
                 random_state=0, early_stopping_rounds=None, eval_metric=None,
                 multi_strategy="one_per_output", validation_fraction=0.1,
                 importance_type="gain",
                 monotone_constraints=None, interaction_constraints=None, device="cpu",
                 categorical_feature=None, max_cat_to_onehot=4, max_cat_threshold=32,
                 cat_smooth=10.0, cat_l2=10.0, min_data_per_group=100, class_weight=None):
        super().__init__(**_base_params(locals()))
        self.class_weight = class_weight

    def _class_weighted(self, y, sample_weight):
        """``sample_weight`` times the weight of each row's class (``class_weight``)."""
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            raise ValueError("class_weight applies to single-label classification; give "
                             "multi-label weights through sample_weight.")
        w = compute_sample_weight(self.class_weight, y)
        return w if sample_weight is None else w * np.asarray(sample_weight, dtype=np.float64)

    def fit(self, X, y, sample_weight=None, eval_set=None, verbose=False):
        """Fit; ``eval_set``: list of ``(X, y)`` or ``(X, y, sample_weight)`` validation sets
        (the last drives ``early_stopping_rounds``)."""
        _require_y(self, y)
        y = np.asarray(y)
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] > 1:
            return self._fit_multilabel(X, y, sample_weight, eval_set, verbose)
        if y.ndim == 2:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, or 2-D 0/1 for multi-label; got shape {y.shape}.")
        self._learn_classes(y)
        if self.n_classes_ < 2:
            raise ValueError(f"GBTClassifier needs at least 2 classes; y has "
                             f"{self.n_classes_} class.")
        if self.n_classes_ == 2:
            extra = {"objective": "binary:logistic"}
        else:
            extra = {"objective": "multi:softprob", "num_class": self.n_classes_}
        return self._fit(X, self._encode_y(y), self._class_weighted(y, sample_weight),
                         eval_set, extra, verbose)

    def _learn_classes(self, y):
        """Single-label classes of a 1-D ``y``: ``classes_``, ``n_classes_`` and the encoder."""
        self._multilabel = False
        self._le = LabelEncoder().fit(y)
        self.classes_ = self._le.classes_
        self.n_classes_ = len(self.classes_)

    def _fit_multilabel(self, X, y, sample_weight, eval_set, verbose):
        if not np.isin(y, (0, 1)).all():
            raise ValueError("A 2-D y for GBTClassifier is multi-label and must hold only 0 "
                             "and 1.")
        self._multilabel = True
        self.classes_ = np.array([0, 1])
        self.n_classes_ = 2
        self.n_outputs_ = y.shape[1]
        return self._fit(X, self._encode_y(y), self._class_weighted(y, sample_weight),
                         eval_set, {"objective": "binary:logistic"}, verbose)

    def _encode_y(self, y):
        if self._multilabel:
            return np.asarray(y, dtype=np.float64)
        return self._le.transform(np.asarray(y)).astype(np.float64)

    def _decode_y(self, y_encoded):
        if self._multilabel:
            return y_encoded
        return self._le.inverse_transform(y_encoded.astype(np.int64))

    @staticmethod
    def _as_proba(p):
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p

    def _labels_of(self, proba):
        if self._multilabel:
            return (proba > 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X):
        features = self._check_X(X)
        return self._as_proba(self._Booster.predict(features))

    def predict(self, X):
        return self._labels_of(self.predict_proba(X))

    def staged_predict_proba(self, X):
        """Yield ``predict_proba`` after each boosting round."""
        for p in self._staged_transformed(X):
            yield self._as_proba(p)

    def staged_predict(self, X):
        """Yield ``predict`` after each boosting round."""
        for proba in self.staged_predict_proba(X):
            yield self._labels_of(proba)


class FairGBTClassifier(GBTClassifier):
    """Binary classification under group-fairness constraints (FairGBM; see
    :mod:`gbt.objectives.fairness`).

    ``fit(X, y, constraint_group=g)``: the trees descend on the cross-entropy plus
    multiplier-weighted proxies of the constraints over the groups of ``g``; after each round
    the multipliers (``multipliers_``) ascend on the true constraint values at
    ``score_threshold``. Prediction does not need the groups.

    Parameters
    ----------
    constraint_type : {"FPR", "FNR", "FPR,FNR", "DP", None}, default "FPR"
        Equal false-positive rates (predictive equality), equal false-negative rates (equal
        opportunity), both (equalized odds), or equal positive-prediction rates (demographic
        parity) across the groups. With None (global constraints alone) ``constraint_group``
        may be omitted.
    fpr_tolerance, fnr_tolerance, dp_tolerance : float in [0, 1], default 0
        How far a group's rate may stay below the highest other group's.
    global_constraint_type : {"FPR", "FNR", "FPR,FNR", None}, default None
    global_target_fpr, global_target_fnr : float in [0, 1], default 1
        Global bounds ``FPR <= global_target_fpr``, ``FNR <= global_target_fnr``.
    constraint_proxy : {"cross_entropy", "hinge", "quadratic"}, default "cross_entropy"
    proxy_margin : float > 0, default 0.5
    score_threshold : float in (0, 1), default 0.5
    multiplier_learning_rate : float >= 0, default 0.5
        The multipliers' ascent step per round; 0 trains the unconstrained model.
    max_multiplier : float > 0, default 10
    Other parameters as :class:`GBTClassifier`.
    """

    def __init__(self, constraint_type="FPR", fpr_tolerance=0.0, fnr_tolerance=0.0,
                 dp_tolerance=0.0, global_constraint_type=None, global_target_fpr=1.0,
                 global_target_fnr=1.0, constraint_proxy="cross_entropy", proxy_margin=0.5,
                 score_threshold=0.5, multiplier_learning_rate=0.5, max_multiplier=10.0,
                 n_estimators=100, learning_rate=0.1, max_depth=6, max_leaves=0,
                 grow_policy="depthwise", min_child_weight=1.0, min_child_samples=1,
                 reg_lambda=1.0, reg_alpha=0.0, gamma=0.0, max_delta_step=0.0, subsample=1.0,
                 colsample_bytree=1.0, colsample_bynode=1.0, max_bin=255, n_jobs=None,
                 random_state=0, early_stopping_rounds=None, eval_metric=None,
                 multi_strategy="one_per_output", validation_fraction=0.1,
                 importance_type="gain",
                 monotone_constraints=None, interaction_constraints=None, device="cpu",
                 categorical_feature=None, max_cat_to_onehot=4, max_cat_threshold=32,
                 cat_smooth=10.0, cat_l2=10.0, min_data_per_group=100, class_weight=None):
        super().__init__(class_weight=class_weight, **_base_params(locals()))
        self.constraint_type = constraint_type
        self.fpr_tolerance = fpr_tolerance
        self.fnr_tolerance = fnr_tolerance
        self.dp_tolerance = dp_tolerance
        self.global_constraint_type = global_constraint_type
        self.global_target_fpr = global_target_fpr
        self.global_target_fnr = global_target_fnr
        self.constraint_proxy = constraint_proxy
        self.proxy_margin = proxy_margin
        self.score_threshold = score_threshold
        self.multiplier_learning_rate = multiplier_learning_rate
        self.max_multiplier = max_multiplier

    def fit(self, X, y, constraint_group=None, sample_weight=None, eval_set=None,
            eval_constraint_group=None, verbose=False):
        """Fit under the constraints over ``constraint_group`` ((n_samples,) group of each
        row); each ``eval_set`` pair needs its own groups in ``eval_constraint_group``."""
        groupwise = self.constraint_type not in (None, "NONE", "none")
        if constraint_group is None and groupwise:
            raise ValueError("FairGBTClassifier.fit needs constraint_group, the group of each "
                             "row (only constraint_type=None, global constraints alone, "
                             "trains without groups).")
        if eval_set is not None and groupwise and (eval_constraint_group is None or
                                                   len(eval_constraint_group) != len(eval_set)):
            raise ValueError("Give eval_constraint_group: one group array per eval_set pair "
                             "(validation rows are evaluated with their own groups).")
        _require_y(self, y)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y")
        if y_type != "binary":
            raise ValueError("Only binary classification is supported by FairGBTClassifier. "
                             f"The type of the target is {y_type}.")
        self._learn_classes(y)
        eval_rows = None if eval_constraint_group is None else \
            [{"constraint_group": g} for g in eval_constraint_group]
        self._fit(X, self._encode_y(y), self._class_weighted(y, sample_weight), eval_set,
                  {"objective": "binary:constrained"}, verbose,
                  rows={"constraint_group": constraint_group}, eval_rows=eval_rows)
        self.multipliers_ = self._Booster.objective.multipliers.copy()
        return self

    def fairness_report(self, X, y, group, sample_weight=None):
        """Per-group FPR, FNR, TPR and positive rate of this model's predictions at
        ``score_threshold``, with the min/max ratios and max-min differences
        (a :class:`~gbt.objectives.fairness.FairnessReport`)."""
        from .objectives.fairness import fairness_report
        y = self._le.transform(np.asarray(y).ravel())
        return fairness_report(y, self.predict_proba(X)[:, 1], group, self.score_threshold,
                               sample_weight)

    def _labels_of(self, proba):
        return self.classes_[(proba[:, 1] >= self.score_threshold).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.target_tags.multi_output = False
        return tags


class GBTRanker(_GBTModel):
    """Learning to rank with query groups: LambdaMART (``rank:ndcg``, the default),
    ``rank:map`` or the pairwise logistic loss (``rank:pairwise``); see
    :mod:`gbt.objectives.ranking`.

    ``fit(X, y, group=sizes)`` (LightGBM's query sizes, rows of a query contiguous) or
    ``fit(X, y, qid=ids)`` (XGBoost's query id per row, in any order: rows are sorted by query
    for training); with neither, all rows form one query. ``y`` holds the relevance labels
    (integers >= 0 for ``rank:ndcg``; any numbers for ``rank:pairwise``). Weights are per
    query (XGBoost's meaning): ``query_weight`` has one entry per query, in the order of
    ``group`` or of the sorted distinct ``qid`` values; a per-row ``sample_weight`` has no
    meaning for a listwise loss, so ``fit`` does not take one.
    ``predict`` returns the ranking scores (higher ranks first); ``score`` the NDCG at the
    first ``eval_at`` cut-off (10 by default).

    Parameters
    ----------
    objective : {"rank:ndcg", "rank:map", "rank:pairwise"}, default "rank:ndcg"
    lambdarank_truncation_level : int, default 30
        Pairs are formed with the top this many documents of each query (ndcg, map).
    lambdarank_norm : bool, default True
        LightGBM's normalisation of each query's lambdas.
    label_gain : list of float, optional
        Gain of each relevance level (default ``2**rel - 1``).
    eval_at : int or list of int, optional
        Cut-offs of the default metrics (``ndcg@k``; default 10).
    Other parameters as :class:`GBTClassifier`.
    """

    def __init__(self, objective="rank:ndcg", lambdarank_truncation_level=30,
                 lambdarank_norm=True, label_gain=None, eval_at=None, n_estimators=100,
                 learning_rate=0.1, max_depth=6, max_leaves=0, grow_policy="depthwise",
                 min_child_weight=1.0, min_child_samples=1, reg_lambda=1.0, reg_alpha=0.0,
                 gamma=0.0, max_delta_step=0.0, subsample=1.0, colsample_bytree=1.0,
                 colsample_bynode=1.0, max_bin=255, n_jobs=None, random_state=0,
                 early_stopping_rounds=None, eval_metric=None, validation_fraction=0.1,
                 importance_type="gain",
                 monotone_constraints=None, interaction_constraints=None, device="cpu",
                 categorical_feature=None, max_cat_to_onehot=4, max_cat_threshold=32,
                 cat_smooth=10.0, cat_l2=10.0, min_data_per_group=100):
        super().__init__(**_base_params(locals()))
        self.objective = objective
        self.lambdarank_truncation_level = lambdarank_truncation_level
        self.lambdarank_norm = lambdarank_norm
        self.label_gain = label_gain
        self.eval_at = eval_at

    @staticmethod
    def _query_ids(n_rows, group, qid, what="fit"):
        """One query id per row from ``group`` (sizes) or ``qid``; all zeros with neither."""
        if group is not None and qid is not None:
            raise ValueError(f"{what}: give group (query sizes) or qid (query ids), not both.")
        if qid is not None:
            qid = np.asarray(qid)
            if qid.ndim != 1 or qid.shape[0] != n_rows:
                raise ValueError(f"{what}: qid must be 1-D with one id per row ({n_rows}); "
                                 f"got shape {qid.shape}.")
            return qid
        if group is None:
            return np.zeros(n_rows, dtype=np.int64)
        sizes = np.asarray(group)
        if sizes.ndim != 1 or not np.issubdtype(sizes.dtype, np.number) or (sizes < 0).any() \
                or (sizes != np.round(sizes)).any():
            raise ValueError(f"{what}: group must be a 1-D array of query sizes (integers "
                             ">= 0).")
        if sizes.sum() != n_rows:
            raise ValueError(f"{what}: group sizes sum to {int(sizes.sum())}; X has {n_rows} "
                             "rows.")
        return np.repeat(np.arange(sizes.size), sizes.astype(np.int64))

    def fit(self, X, y, group=None, qid=None, query_weight=None, eval_set=None,
            eval_group=None, eval_qid=None, verbose=False):
        """Fit the ranker; each ``eval_set`` pair needs its queries in ``eval_group`` or
        ``eval_qid`` (one entry per pair)."""
        _require_y(self, y)
        y = column_or_1d(np.asarray(y), warn=True).astype(np.float64)
        features = _features(X)
        ids = self._query_ids(features.shape[0], group, qid)
        row_weight = self._row_weights(query_weight, ids, group)
        order = np.argsort(ids, kind="stable")  # contiguous queries, as Dataset needs
        if np.any(order != np.arange(order.size)):
            features, y, ids = features.take(order), y[order], ids[order]
            row_weight = None if row_weight is None else row_weight[order]
        eval_rows = None
        if eval_set is not None:
            given = eval_qid if eval_qid is not None else eval_group
            if given is None or len(given) != len(eval_set):
                raise ValueError("Give eval_group or eval_qid: one entry per eval_set pair.")
            eval_set, eval_rows = self._sorted_eval_sets(eval_set, eval_group, eval_qid)
        self._fit(features, y, row_weight, eval_set, None, verbose, rows={"qid": ids},
                  eval_rows=eval_rows)
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        return self

    @staticmethod
    def _row_weights(query_weight, ids, group):
        """Each row's weight from per-query weights (None stays None)."""
        if query_weight is None:
            return None
        w = np.asarray(query_weight, dtype=np.float64)
        if group is not None:
            sizes = np.asarray(group).astype(np.int64)
            if w.shape != sizes.shape:
                raise ValueError(f"query_weight has {w.size} entries; group has {sizes.size} "
                                 "queries.")
            return np.repeat(w, sizes)
        queries, index = np.unique(ids, return_inverse=True)
        if w.ndim != 1 or w.size != queries.size:
            raise ValueError(f"query_weight has {w.size} entries; there are {queries.size} "
                             "queries.")
        return w[index]

    def _sorted_eval_sets(self, eval_set, eval_group, eval_qid):
        out, rows = [], []
        for i, pair in enumerate(eval_set):
            features = _features(pair[0])
            ids = self._query_ids(features.shape[0],
                                  None if eval_group is None else eval_group[i],
                                  None if eval_qid is None else eval_qid[i], "eval_set")
            order = np.argsort(ids, kind="stable")
            parts = [features.take(order), np.asarray(pair[1])[order]]
            if len(pair) > 2 and pair[2] is not None:  # (X, y, query_weight)
                w = self._row_weights(pair[2], ids, None if eval_group is None
                                      else eval_group[i])
                parts.append(w[order])
            out.append(tuple(parts))
            rows.append({"qid": ids[order]})
        return out, rows

    def predict(self, X):
        """(n_samples,) ranking scores: within a query, higher ranks first."""
        features = self._check_X(X)
        return self._Booster.predict(features)

    def score(self, X, y, group=None, qid=None):
        """NDCG at the first ``eval_at`` cut-off (10 by default) over the queries of
        ``group``/``qid`` (all rows one query when neither is given)."""
        from .metrics import get_metric
        scores = self.predict(X)
        y = column_or_1d(np.asarray(y)).astype(np.float64)
        ids = self._query_ids(len(y), group, qid, "score")
        order = np.argsort(ids, kind="stable")
        _, index = np.unique(ids[order], return_inverse=True)
        k = self.eval_at if isinstance(self.eval_at, int) else \
            (self.eval_at[0] if self.eval_at else 10)
        labels = np.column_stack([y[order], index.astype(np.float64)])
        return get_metric(f"ndcg@{k}", self._Booster.objective)(labels, scores[order])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        return tags


class _NGBModel(_FittedBooster, BaseEstimator):
    """Shared fitting for the NGBoost estimators: one condensed tree per round fits all of a
    distribution's parameters along the natural gradient (see :mod:`gbt.objectives.ngboost`).

    Defaults follow NGBoost's (500 rounds at learning rate 0.01, depth-3 trees, no leaf
    regularisation) except ``minibatch_frac``: 0.5, not 1.0 (see :class:`NGBRegressor`);
    ``minibatch_frac`` and ``col_sample`` are NGBoost's names for row and column subsampling.
    """

    _prefix = "distribution:"

    def __init__(self, distribution="normal", scoring_rule="log", n_estimators=500,
                 learning_rate=0.01, max_depth=3, max_leaves=0, minibatch_frac=0.5,
                 col_sample=1.0, natural_gradient=True, line_search=True,
                 natural_hessian="unit", df=3.0, min_child_weight=0.0, min_child_samples=1,
                 reg_lambda=0.0, max_bin=255, n_jobs=None,
                 random_state=0, early_stopping_rounds=None, validation_fraction=0.1,
                 verbose=False, importance_type="gain", multi_strategy="condensed"):
        self.distribution = distribution
        self.scoring_rule = scoring_rule
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.max_leaves = max_leaves
        self.minibatch_frac = minibatch_frac
        self.col_sample = col_sample
        self.natural_gradient = natural_gradient
        self.line_search = line_search
        self.natural_hessian = natural_hessian
        self.df = df
        self.min_child_weight = min_child_weight
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.max_bin = max_bin
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.verbose = verbose
        self.importance_type = importance_type
        self.multi_strategy = multi_strategy

    def _booster_params(self, extra=None) -> dict:
        if not isinstance(self.distribution, str):
            raise TypeError(f"distribution must be a name such as 'normal'; got "
                            f"{type(self.distribution).__name__}.")
        params = {name: getattr(self, name) for name in (
            "learning_rate", "max_depth", "max_leaves", "natural_gradient", "line_search",
            "natural_hessian", "df", "min_child_weight", "min_child_samples", "reg_lambda",
            "max_bin", "n_jobs", "random_state")}
        params.update(objective=self._prefix + self.distribution.lower(),
                      score=self.scoring_rule, subsample=self.minibatch_frac,
                      colsample_bytree=self.col_sample, multi_strategy=self.multi_strategy)
        params.update(extra or {})
        return params

    def _fit_labels(self, X, y, sample_weight, X_val, y_val, val_sample_weight, extra=None):
        _require_y(self, y)
        y = np.asarray(y, dtype=np.float64)
        if (X_val is None) != (y_val is None):
            raise ValueError("Give both X_val and Y_val, or neither.")
        if X_val is None and self.early_stopping_rounds is not None:
            X, y, sample_weight, X_val, y_val, val_sample_weight = self._split_validation(
                X, y, sample_weight)
        features = _features(X)
        if y.shape[0] != features.shape[0]:
            raise ValueError(f"X has {features.shape[0]} rows but y has {y.shape[0]}.")
        dtrain = Dataset(features, y, weight=sample_weight)
        evals = []
        if X_val is not None:
            evals.append((Dataset(X_val, np.asarray(y_val, dtype=np.float64),
                                  weight=val_sample_weight, reference=dtrain), "validation"))
        self._Booster = train(self._booster_params(extra), dtrain, self.n_estimators,
                              evals=evals, early_stopping_rounds=self.early_stopping_rounds,
                              verbose_eval=self.verbose)
        self._record_features(X, features)
        self.evals_result_ = self._Booster.evals_result
        if self._Booster.best_iteration is not None:
            self.best_iteration_ = self._Booster.best_iteration
        return self

    def _split_validation(self, X, y, sample_weight):
        """NGBoost's behaviour: early stopping without a validation set holds out
        ``validation_fraction`` of the rows at random."""
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1); got "
                             f"{self.validation_fraction!r}.")
        n = y.shape[0]
        order = np.random.default_rng(self.random_state).permutation(n)
        n_val = max(1, int(round(self.validation_fraction * n)))
        val, tr = np.sort(order[:n_val]), np.sort(order[n_val:])
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        return (_safe_indexing(X, tr), y[tr], None if w is None else w[tr],
                _safe_indexing(X, val), y[val], None if w is None else w[val])

    def pred_dist(self, X):
        """The predicted distribution of each row (``params``, ``mean()``, ``std()``,
        ``logpdf(y)``, ``cdf(y)``, ``ppf(q)``, ``interval(alpha)``, ``sample(n)``)."""
        features = self._check_X(X)
        return self._Booster.pred_dist(features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags


class NGBRegressor(RegressorMixin, _NGBModel):
    """NGBoost probabilistic regression: predicts a whole distribution per row.

    Parameters
    ----------
    distribution : {"normal", "lognormal", "laplace", "studentt", "exponential", "gamma", \
"poisson"}, default "normal"
    scoring_rule : {"log", "crps"}, default "log"
        Scoring rule: log score (negative log-likelihood, Fisher metric) or CRPS (normal,
        lognormal, laplace and exponential).
    n_estimators, learning_rate, max_depth, max_leaves
        Rounds, shrinkage and tree size (one tree per round for all parameters).
    minibatch_frac : float in (0, 1], default 0.5
        Share of the rows each round's tree and line search see (NGBoost's name; its default
        is 1.0). Half the rows per round (stochastic gradient boosting) gives a better test
        NLL than all rows on every one of the nine UCI sets of bench/bench_ngboost.py: the
        scale is fitted less tightly to the training residuals. 1.0 uses all rows.
    col_sample : float in (0, 1], default 1.0
        Share of the columns per round (NGBoost's name).
    multi_strategy : {"condensed", "one_per_output"}, default "condensed"
        One tree with vector leaves per round for all parameters, or one tree per parameter
        as NGBoost grows them (slower). A condensed tree searches its splits on each
        parameter's natural gradient divided by its spread over the rows, so every
        parameter's gain is in the same units (see :mod:`gbt.objectives.ngboost`).
    natural_gradient, line_search : bool
        Precondition by the scoring rule's metric; scale each round by NGBoost's line search.
    natural_hessian : {"unit", "fisher"}, default "unit"
        How a tree weighs rows: "unit" is plain least squares on the natural gradient
        (NGBoost's base learners); "fisher" weighs rows by the metric's diagonal, so leaves are
        curvature-weighted means and split gains are expected score decreases in the same units
        for every parameter (much better on kin8nm, naval and yacht, worse on the small noisy
        sets; see the README).
    df : float
        Degrees of freedom of ``studentt``.
    min_child_weight, min_child_samples, reg_lambda, max_bin, n_jobs, random_state
        As in :mod:`gbt.params`.
    early_stopping_rounds : int, optional
        Stop when the validation score has not improved for this many rounds; without
        ``X_val``, ``validation_fraction`` of the training rows are held out.

    ``predict`` returns the mean; ``score`` the mean log-likelihood (higher is better).
    """

    def fit(self, X, y, X_val=None, Y_val=None, sample_weight=None, val_sample_weight=None):
        _require_y(self, y)
        return self._fit_labels(X, column_or_1d(y, warn=True), sample_weight, X_val, Y_val,
                                val_sample_weight)

    def predict(self, X):
        features = self._check_X(X)
        return self._Booster.predict(features)

    def staged_predict(self, X):
        """Yield the predicted means after each boosting round."""
        yield from self._staged_transformed(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # NGBoost's learning rate 0.01 needs its 500 rounds; scikit-learn's checks fit 5.
        tags.regressor_tags.poor_score = True
        return tags

    def score(self, X, y, sample_weight=None):
        """Mean log-likelihood of ``y`` (higher is better, so model selection maximises it)."""
        return float(np.average(self.pred_dist(X).logpdf(y), weights=sample_weight))


class NGBSurvival(_NGBModel):
    """NGBoost survival regression with right censoring: ``fit(X, T, E)`` with event times (or
    censoring times) ``T`` and ``E`` = 1 where the event was observed, 0 where censored.

    ``distribution`` is ``"lognormal"`` (default) or ``"exponential"``; the score is the
    right-censored log score. Other parameters as :class:`NGBRegressor`.
    """

    _prefix = "survival:"

    def __init__(self, distribution="lognormal", scoring_rule="log", n_estimators=500,
                 learning_rate=0.01, max_depth=3, max_leaves=0, minibatch_frac=0.5,
                 col_sample=1.0, natural_gradient=True, line_search=True,
                 natural_hessian="unit", df=3.0,
                 min_child_weight=0.0, min_child_samples=1, reg_lambda=0.0, max_bin=255,
                 n_jobs=None, random_state=0, early_stopping_rounds=None,
                 validation_fraction=0.1, verbose=False, importance_type="gain",
                 multi_strategy="condensed"):
        super().__init__(distribution, scoring_rule, n_estimators, learning_rate, max_depth,
                         max_leaves, minibatch_frac, col_sample, natural_gradient, line_search,
                         natural_hessian, df, min_child_weight, min_child_samples, reg_lambda,
                         max_bin, n_jobs, random_state, early_stopping_rounds,
                         validation_fraction, verbose, importance_type, multi_strategy)

    @staticmethod
    def _time_event(T, E):
        T = np.asarray(T, dtype=np.float64).reshape(-1)
        E = np.asarray(E, dtype=np.float64).reshape(-1)
        if T.shape != E.shape:
            raise ValueError(f"T and E must have the same length; got {T.size} and {E.size}.")
        return np.column_stack([T, E])

    def fit(self, X, T, E, X_val=None, T_val=None, E_val=None, sample_weight=None,
            val_sample_weight=None):
        y_val = None if T_val is None else self._time_event(T_val, E_val)
        return self._fit_labels(X, self._time_event(T, E), sample_weight, X_val, y_val,
                                val_sample_weight)

    def predict(self, X):
        """The mean event time of each row."""
        features = self._check_X(X)
        return self._Booster.predict(features)


class NGBClassifier(ClassifierMixin, _NGBModel):
    """NGBoost classification: ``bernoulli`` for two classes, ``categorical`` for more
    (picked from the labels when ``distribution="auto"``). Other parameters as
    :class:`NGBRegressor`."""

    def __init__(self, distribution="auto", scoring_rule="log", n_estimators=500,
                 learning_rate=0.01, max_depth=3, max_leaves=0, minibatch_frac=0.5,
                 col_sample=1.0, natural_gradient=True, line_search=True,
                 natural_hessian="unit", df=3.0, min_child_weight=0.0, min_child_samples=1,
                 reg_lambda=0.0, max_bin=255, n_jobs=None,
                 random_state=0, early_stopping_rounds=None, validation_fraction=0.1,
                 verbose=False, importance_type="gain", multi_strategy="condensed"):
        super().__init__(distribution, scoring_rule, n_estimators, learning_rate, max_depth,
                         max_leaves, minibatch_frac, col_sample, natural_gradient, line_search,
                         natural_hessian, df, min_child_weight, min_child_samples, reg_lambda,
                         max_bin, n_jobs, random_state, early_stopping_rounds,
                         validation_fraction, verbose, importance_type, multi_strategy)

    def fit(self, X, y, X_val=None, Y_val=None, sample_weight=None, val_sample_weight=None):
        _require_y(self, y)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self._le = LabelEncoder().fit(y)
        self.classes_ = self._le.classes_
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(f"NGBClassifier needs at least 2 classes; y has "
                             f"{self.n_classes_} class.")
        dist = self.distribution
        if dist == "auto":
            dist = "bernoulli" if self.n_classes_ == 2 else "categorical"
        if dist == "bernoulli" and self.n_classes_ > 2:
            raise ValueError(f"distribution='bernoulli' needs 2 classes; y has "
                             f"{self.n_classes_}; use 'categorical'.")
        encoded_val = None if Y_val is None else self._le.transform(np.asarray(Y_val))
        return self._fit_labels(X, self._le.transform(np.asarray(y)), sample_weight, X_val,
                                encoded_val, val_sample_weight,
                                extra={"objective": self._prefix + dist,
                                       "num_class": self.n_classes_})

    def predict_proba(self, X):
        return self.pred_dist(X).class_probs()

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
