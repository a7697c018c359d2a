"""Booster: the trained model — trees, objective, base score, feature info — and its file form.

Model files are JSON with a ``format_version``; :meth:`Booster.load_model` validates every field
and never unpickles. Pickling a Booster goes through the same JSON dictionary.
"""
from __future__ import annotations

import json
import os

import numpy as np

from .data import FeatureMatrix, align_columns, to_feature_matrix
from ._native.backend import prediction_device, use_threads
from .errors import keyboard_interrupts
from .io import write_atomic
from .objectives import Objective, objective_from_name
from .params import resolve_n_threads, resolve_params
from .predict import PackedForest, predict_leaf, predict_raw
from .tree import Tree

FORMAT_VERSION = 1
IMPORTANCE_TYPES = ("gain", "total_gain", "split", "cover", "total_cover")


class _IdentityObjective(Objective):
    """Stands in for a user's callable objective in a loaded model: predictions are margins."""


class Booster:
    """A trained gradient-boosted tree model.

    Built by :func:`gbt.train` or :meth:`load_model`. ``trees[i]`` adds its leaf values to
    output column ``tree_output[i]``; iteration ``j`` owns trees
    ``j * trees_per_iteration .. (j + 1) * trees_per_iteration - 1``.
    """

    def __init__(self, objective: Objective, base_score, feature_names, categories=None,
                 params: dict | None = None):
        self.objective = objective
        self.base_score = np.atleast_1d(np.asarray(base_score, dtype=np.float64))
        self.n_outputs = self.base_score.size
        self.trees_per_iteration = self.n_outputs
        self.feature_names = list(feature_names)
        self.categories = dict(categories or {})
        self.params = dict(params or {})
        self.trees: list[Tree] = []
        self.tree_output: list[int] = []
        self.best_iteration: int | None = None
        self.best_score: float | None = None
        self.evals_result: dict = {}
        self._attributes: dict[str, str] = {}
        self._packed: PackedForest | None = None

    # -- building -----------------------------------------------------------------------------
    def append_tree(self, tree: Tree, output: int) -> None:
        self.trees.append(tree)
        self.tree_output.append(int(output))
        self._packed = None

    def set_attr(self, **attributes) -> None:
        """Store string attributes in the model (saved with it; XGBoost's ``set_attr``);
        a value of None deletes the attribute."""
        for key, value in attributes.items():
            if value is None:
                self._attributes.pop(key, None)
            elif not isinstance(value, str):
                raise TypeError(f"Attribute {key!r} must be a string; got "
                                f"{type(value).__name__}.")
            else:
                self._attributes[key] = value

    def attr(self, key: str) -> str | None:
        """The attribute ``key``, or None."""
        return self._attributes.get(key)

    def attributes(self) -> dict:
        """All attributes, as a new dict."""
        return dict(self._attributes)

    def num_boosted_rounds(self) -> int:
        return len(self.trees) // self.trees_per_iteration

    @property
    def num_features(self) -> int:
        return len(self.feature_names)

    def _forest(self, first_tree: int = 0, last_tree: int | None = None) -> PackedForest:
        if first_tree == 0 and last_tree in (None, len(self.trees)):
            if self._packed is None:
                self._packed = PackedForest(self.trees, self.tree_output)
            return self._packed
        return PackedForest(self.trees[first_tree:last_tree], self.tree_output[first_tree:last_tree])

    # -- prediction ---------------------------------------------------------------------------
    def _tree_range(self, iteration_range):
        if iteration_range is None:
            end = self.num_boosted_rounds() if self.best_iteration is None \
                else self.best_iteration + 1
            iteration_range = (0, end)
        start, end = iteration_range
        n_rounds = self.num_boosted_rounds()
        if end == 0:
            end = n_rounds
        if not (0 <= start <= end <= n_rounds):
            raise ValueError(f"iteration_range={iteration_range} is outside the model's "
                             f"{n_rounds} rounds.")
        return start * self.trees_per_iteration, end * self.trees_per_iteration

    def _features(self, X, n_threads: int = 1) -> FeatureMatrix:
        """Prediction input as a FeatureMatrix; a frame's columns are matched by name (a
        different order is put right; different names raise)."""
        X = align_columns(X, self.feature_names)
        features = to_feature_matrix(X, categories=self.categories, n_threads=n_threads,
                                     sparse_format="csr")
        if features.shape[1] != self.num_features:
            raise ValueError(f"X has {features.shape[1]} features; the model was trained on "
                             f"{self.num_features}.")
        return features

    def predict(self, X, output_margin: bool = False, iteration_range=None,
                pred_leaf: bool = False, pred_contribs: bool = False,
                pred_interactions: bool = False, n_jobs: int | None = None):
        """Predict for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Same kinds of input as :class:`gbt.Dataset`.
        output_margin : bool
            Return raw scores (before the inverse link).
        iteration_range : (start, end) or None
            Use boosting rounds ``[start, end)``; ``end=0`` means all. Default: all rounds, or
            up to ``best_iteration`` when early stopping set it (LightGBM's behaviour).
        pred_leaf : bool
            Return ``(n_samples, n_trees)`` leaf node indices instead.
        pred_contribs : bool
            Return exact TreeSHAP values of the raw margin instead: ``(n_samples,
            n_features + 1)``, the last column the bias (expected margin), or
            ``(n_samples, n_outputs, n_features + 1)`` for several outputs. Each row sums to
            the raw margin (see :mod:`gbt.explain`).
        pred_interactions : bool
            Return SHAP interaction values instead: ``(n_samples, n_features + 1,
            n_features + 1)`` (an outputs axis after the rows for several outputs); each row
            sums to the contributions.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        with keyboard_interrupts():
            return self._predict(X, output_margin, iteration_range, pred_leaf, pred_contribs,
                                 pred_interactions, n_jobs)

    def _predict(self, X, output_margin, iteration_range, pred_leaf, pred_contribs,
                 pred_interactions, n_jobs):
        n_threads = resolve_n_threads(n_jobs if n_jobs is not None else self.params.get("n_jobs"))
        first, last = self._tree_range(iteration_range)
        if pred_contribs or pred_interactions:
            with use_threads(n_threads):
                features = self._features(X, n_threads)
            from .explain import shap_interaction_values, shap_values
            explain = shap_interaction_values if pred_interactions else shap_values
            return explain(self.trees[first:last], self.tree_output[first:last],
                           self.base_score, features.values, n_threads)
        forest = self._forest(first, last)
        with use_threads(n_threads):
            features = self._features(X, n_threads)
            if pred_leaf:
                return predict_leaf(forest, features.values, n_threads)
            raw = np.empty((features.shape[0], self.n_outputs))
            raw[:] = self.base_score
            predict_raw(forest, features.values, raw, n_threads,
                        device=prediction_device(self.params.get("device", "cpu")))
        if output_margin:
            return raw[:, 0] if self.n_outputs == 1 else raw
        return self.objective.transform(raw)

    def staged_margins(self, X, n_jobs: int | None = None):
        """Yield the raw scores ``(n_samples, n_outputs)`` after each boosting round in turn
        (each round's trees are added to the previous scores: one pass over the forest)."""
        features = self._features(X)
        n_threads = resolve_n_threads(n_jobs if n_jobs is not None else self.params.get("n_jobs"))
        raw = np.empty((features.shape[0], self.n_outputs))
        raw[:] = self.base_score
        per_round = self.trees_per_iteration
        for it in range(self.num_boosted_rounds()):
            with use_threads(n_threads):
                predict_raw(self._forest(it * per_round, (it + 1) * per_round), features.values,
                            raw, n_threads)
            yield raw.copy()

    def feature_importance(self, importance_type: str = "gain") -> np.ndarray:
        """``(n_features,)`` importance of each feature over the model's splits.

        ``"split"``: how many splits use the feature; ``"gain"`` / ``"cover"``: the mean gain /
        hessian cover of those splits (XGBoost's meaning); ``"total_gain"`` /
        ``"total_cover"``: their sums. Features never split on get 0.
        """
        if importance_type not in IMPORTANCE_TYPES:
            raise ValueError(f"importance_type={importance_type!r}: expected one of "
                             f"{IMPORTANCE_TYPES}.")
        n = self.num_features
        splits, gain, cover = np.zeros(n), np.zeros(n), np.zeros(n)
        for tree in self.trees:
            inner = tree.left != -1
            f = tree.feature[inner]
            splits += np.bincount(f, minlength=n)
            gain += np.bincount(f, weights=tree.gain[inner], minlength=n)
            cover += np.bincount(f, weights=tree.cover[inner], minlength=n)
        if importance_type == "split":
            return splits
        total = gain if importance_type.endswith("gain") else cover
        if importance_type.startswith("total_"):
            return total
        return np.divide(total, splits, out=np.zeros(n), where=splits > 0)

    def pred_dist(self, X, iteration_range=None, n_jobs: int | None = None):
        """The predicted distribution of every row (``distribution:*`` and ``survival:*``
        objectives): a :class:`~gbt.objectives.distributions.DistributionPrediction` with
        ``params``, ``mean()``, ``std()``, ``logpdf(y)``, ``cdf(y)``, ``ppf(q)``,
        ``interval(alpha)`` and ``sample(n)``."""
        if not hasattr(self.objective, "pred_dist"):
            raise TypeError(f"pred_dist needs a distribution objective; this model's objective "
                            f"is {self.objective.name!r}.")
        raw = self.predict(X, output_margin=True, iteration_range=iteration_range,
                           n_jobs=n_jobs)
        return self.objective.pred_dist(raw.reshape(len(raw), -1))

    # -- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "objective": self.objective.to_dict(),
            "base_score": self.base_score.tolist(),
            "feature_names": self.feature_names,
            "categories": {str(k): [_jsonable(c) for c in v] for k, v in self.categories.items()},
            "params": {k: v for k, v in self.params.items() if _is_json_scalar(v)},
            "best_iteration": self.best_iteration,
            "best_score": self.best_score,
            "trees_per_iteration": self.trees_per_iteration,
            "tree_output": list(self.tree_output),
            "trees": [t.to_dict() for t in self.trees],
            "attributes": dict(self._attributes),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Booster":
        """Rebuild a booster from :meth:`to_dict` output; raises ``ValueError`` if malformed."""
        if not isinstance(d, dict):
            raise ValueError("A model file must hold a JSON object.")
        if d.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"Unsupported model format_version {d.get('format_version')!r}; "
                             f"this gbt reads version {FORMAT_VERSION}.")
        required = ("objective", "base_score", "feature_names", "trees", "tree_output")
        missing = [k for k in required if k not in d]
        if missing:
            raise ValueError(f"Model file lacks fields {missing}.")
        objective = _objective_from_dict(d["objective"])
        base = d["base_score"]
        if not isinstance(base, list) or not base or not all(_is_finite_number(v) for v in base):
            raise ValueError("Model field 'base_score' must be a non-empty list of numbers.")
        names = d["feature_names"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("Model field 'feature_names' must be a list of strings.")
        cats = d.get("categories") or {}
        if not isinstance(cats, dict) or not all(isinstance(v, list) for v in cats.values()):
            raise ValueError("Model field 'categories' must map feature indices to lists.")
        try:
            categories = {int(k): v for k, v in cats.items()}
        except ValueError:
            raise ValueError("Model field 'categories' has a non-integer key.") from None
        booster = cls(objective, base, names, categories, _params_from_dict(d.get("params")))
        trees, outputs = d["trees"], d["tree_output"]
        if not isinstance(trees, list) or not isinstance(outputs, list) or \
                len(trees) != len(outputs):
            raise ValueError("Model fields 'trees' and 'tree_output' must be lists of equal "
                             "length.")
        per_round = d.get("trees_per_iteration", booster.n_outputs)
        if not isinstance(per_round, int) or not 1 <= per_round <= booster.n_outputs:
            raise ValueError(f"Model trees_per_iteration {per_round!r} is out of range.")
        booster.trees_per_iteration = per_round
        if len(trees) % booster.trees_per_iteration:
            raise ValueError("Model tree count is not a multiple of the trees per round.")
        for tree_dict, out in zip(trees, outputs):
            tree = Tree.from_dict(tree_dict)
            if not isinstance(out, int) or not 0 <= out <= booster.n_outputs - tree.n_outputs:
                raise ValueError(f"Model tree_output entry {out!r} is out of range for a tree "
                                 f"with {tree.n_outputs} output(s).")
            tree.validate(n_features=len(names))
            _check_categorical_nodes(tree, categories)
            booster.append_tree(tree, out)
        best = d.get("best_iteration")
        if best is not None and (not isinstance(best, int) or
                                 not 0 <= best < booster.num_boosted_rounds()):
            raise ValueError(f"Model best_iteration {best!r} is out of range.")
        booster.best_iteration = best
        booster.best_score = d.get("best_score")
        attributes = d.get("attributes") or {}
        if not isinstance(attributes, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()):
            raise ValueError("Model field 'attributes' must map strings to strings.")
        booster._attributes = dict(attributes)
        return booster

    def save_model(self, path) -> None:
        """Write the model as JSON, atomically (a temporary file renamed into place)."""
        text = json.dumps(self.to_dict(), allow_nan=False)

        def write(tmp):
            with open(tmp, "w") as fh:
                fh.write(text)
        write_atomic(os.fspath(path), write)

    @classmethod
    def load_model(cls, path) -> "Booster":
        """Read a model written by :meth:`save_model`; raises ``ValueError`` if invalid."""
        with open(path, "rb") as fh:
            data = fh.read()
        return cls.load_raw(data, source=str(path))

    def save_raw(self) -> bytes:
        """The model file's bytes (what :meth:`save_model` writes)."""
        return json.dumps(self.to_dict(), allow_nan=False).encode()

    @classmethod
    def load_raw(cls, data: bytes, source: str = "the model") -> "Booster":
        """A model from the bytes :meth:`save_raw` gives; raises ``ValueError`` if they are not
        a valid model (JSON only: nothing in a model file is ever executed or unpickled)."""
        try:
            d = json.loads(data, parse_constant=_refuse_constant)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{source} is not a valid gbt model file: {exc}") from None
        except RecursionError:
            raise ValueError(f"{source} is not a valid gbt model file: nested too deeply.") \
                from None
        return cls.from_dict(d)

    def __getstate__(self):
        return self.to_dict()

    def __setstate__(self, state):
        self.__dict__.update(Booster.from_dict(state).__dict__)

    def __repr__(self) -> str:
        return (f"Booster(objective={self.objective.name!r}, rounds={self.num_boosted_rounds()}, "
                f"features={self.num_features})")


def _objective_from_dict(d) -> Objective:
    if not isinstance(d, dict) or not isinstance(d.get("name"), str):
        raise ValueError("Model field 'objective' must be an object with a 'name'.")
    name = d["name"]
    if name == "custom":
        return _IdentityObjective()
    params = {k: v for k, v in d.items() if k != "name"}
    try:
        return objective_from_name(name, params)
    except ValueError as e:
        raise ValueError(f"Model objective {name!r} is unknown to this gbt ({e}).") from None


def _params_from_dict(params) -> dict:
    """The stored parameters, checked as ``train`` checks them (prediction reads some, e.g.
    ``n_jobs`` and ``device``)."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ValueError("Model field 'params' must be an object.")
    try:
        resolve_params(params)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Model field 'params' is invalid: {exc}") from None
    return dict(params)


def _is_finite_number(v) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return bool(np.isfinite(float(v)))
    except OverflowError:  # an integer too large for a float
        return False


def _refuse_constant(name):
    """NaN and Infinity are not JSON; save_model never writes them."""
    raise ValueError(f"a model file holds {name}, which is not JSON")


def _is_json_scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str)) and \
        not (isinstance(v, float) and not np.isfinite(v))


def _jsonable(v):
    return v.item() if isinstance(v, np.generic) else v


def _check_categorical_nodes(tree: Tree, categories: dict) -> None:
    """A categorical split must be on a feature with a category list of its node's size."""
    for node in np.flatnonzero(tree.is_categorical):
        f = int(tree.feature[node])
        if f not in categories:
            raise ValueError(f"Tree node {node} is a categorical split on feature {f}, which "
                             "has no category list in the model's 'categories'.")
        if tree.cat_count[node] != len(categories[f]):
            raise ValueError(f"Tree node {node} splits feature {f} with "
                             f"{tree.cat_count[node]} categories; the model lists "
                             f"{len(categories[f])}.")
