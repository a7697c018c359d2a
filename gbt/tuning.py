"""Hyper-parameter search guided by a boosted surrogate model: :func:`tune` and
:class:`GBTSearchCV`.

This module owns the search over an estimator's parameters: the search space (a grid axis per
parameter, or a scipy.stats-like distribution), its numeric encoding, the choice of the next
configuration, the cross-validated evaluation of each configuration and the
``*SearchCV``-shaped meta-estimator. The strategy is sequential model-based optimisation with
gbt's own engine as the model: after a few random trials (stratified so every grid value shows
up), an ensemble of small boosted regressors, each fitted with :func:`gbt.train` on a bootstrap
resample of the observed (encoded configuration -> score) pairs, scores every unseen candidate
(the whole grid when it is small enough, otherwise a random pool plus neighbours of the best
configurations); the candidate with the highest upper confidence bound (ensemble mean plus
``kappa`` times its spread) is evaluated next. A configuration is never evaluated twice.

Like :mod:`gbt.sklearn`, and unlike the rest of gbt, it imports scikit-learn: it searches over
scikit-learn estimators with scikit-learn's cross-validation and scorers. The module is
``tuning`` so that ``gbt.tune`` is always the function (a submodule named ``tune`` would
replace it as the package attribute once imported).
"""
from __future__ import annotations

import dataclasses
import difflib
import inspect
import numbers
import sys
import time
import warnings
from typing import Any, Callable

import numpy as np
from scipy.stats import norm, rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_validate
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

__all__ = ["tune", "TuneResult", "GBTSearchCV"]

# A finite grid up to this many configurations is scored whole by the surrogate at every step;
# a larger (or continuous) space is scored on a random pool plus neighbours of the best trials.
_ENUMERATE_LIMIT = 200_000
_POOL_SIZE = 4096
_NEIGHBOURS_PER_TOP = 64
_TOP_FOR_NEIGHBOURS = 5
# How many draws decide the scale (log or linear) and the range of a distribution axis.
_PROBE_DRAWS = 512

# The surrogate: small, strongly regularised trees, because it learns from a few dozen points.
_SURROGATE_PARAMS = {"objective": "reg:squarederror", "max_depth": 3, "learning_rate": 0.2,
                     "min_child_samples": 2, "min_child_weight": 0.0, "reg_lambda": 1.0,
                     "max_bin": 255, "n_jobs": 1}
_SURROGATE_ROUNDS = 30


# --------------------------------------------------------------------------------------------
# Search space: axes, encoding, sampling
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Axis:
    """One parameter of the space.

    A grid axis (``values`` set) is stored by index: coordinate ``i`` means ``values[i]``. A
    distribution axis (``dist`` set) is stored by value. ``scale`` is ``"log"``, ``"linear"``
    or ``"categorical"``; ``lo`` and ``hi`` bound the transformed value, so codes lie in [0, 1].
    """

    name: str
    values: tuple | None
    dist: Any
    scale: str
    lo: float
    hi: float
    integer: bool = False

    @property
    def is_grid(self) -> bool:
        return self.values is not None

    def transform(self, coords: np.ndarray) -> np.ndarray:
        """Codes in [0, 1] (a distribution may fall outside) of a column of coordinates."""
        if self.scale == "categorical":
            raw = coords
        elif self.is_grid:
            raw = np.asarray(self.values, dtype=np.float64)[coords.astype(np.intp)]
        else:
            raw = coords
        if self.scale == "log":
            # A distribution judged positive from its probe draws could still draw a zero.
            raw = np.log10(np.maximum(raw, np.finfo(np.float64).tiny))
        span = self.hi - self.lo
        return (raw - self.lo) / span if span > 0 else np.zeros_like(raw, dtype=np.float64)

    def value(self, coord: float):
        """The parameter value of one coordinate."""
        if self.is_grid:
            return self.values[int(coord)]
        return int(coord) if self.integer else float(coord)


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _grid_axis(name: str, values) -> _Axis:
    values = tuple(values)
    if not values:
        raise ValueError(f"param_space[{name!r}] is empty; give at least one value.")
    reprs = [repr(v) for v in values]
    repeated = sorted({r for r in reprs if reprs.count(r) > 1})
    if repeated:
        raise ValueError(f"param_space[{name!r}] repeats the value(s) {', '.join(repeated)}; "
                         "each value must appear once.")
    if not all(_is_number(v) and np.isfinite(v) for v in values):
        return _Axis(name, values, None, "categorical", 0.0, float(len(values) - 1))
    raw = np.asarray(values, dtype=np.float64)
    # A positive axis spanning more than a decade (learning rates, regularisation) is searched
    # on a log scale, where its values are usually spread evenly.
    log = bool(raw.min() > 0 and raw.max() / raw.min() > 10)
    t = np.log10(raw) if log else raw
    return _Axis(name, values, None, "log" if log else "linear", float(t.min()), float(t.max()))


def _dist_axis(name: str, dist) -> _Axis:
    draws = np.asarray(dist.rvs(size=_PROBE_DRAWS, random_state=np.random.RandomState(0)))
    if draws.dtype.kind not in "iuf" or not np.all(np.isfinite(draws)):
        raise TypeError(f"param_space[{name!r}] is a distribution that draws "
                        f"{draws.dtype} values; distributions must draw finite numbers "
                        "(use a list for categorical values).")
    draws = draws.astype(np.float64).ravel()
    log = bool(draws.min() > 0 and draws.max() / draws.min() > 10)
    t = np.log10(draws) if log else draws
    return _Axis(name, None, dist, "log" if log else "linear", float(t.min()), float(t.max()),
                 integer=np.asarray(dist.rvs(size=1, random_state=0)).dtype.kind in "iu")


def _make_axis(name, spec) -> _Axis:
    if not isinstance(name, str):
        raise TypeError(f"param_space keys must be parameter names (str); got {name!r}.")
    if hasattr(spec, "rvs") and callable(spec.rvs):
        return _dist_axis(name, spec)
    if isinstance(spec, (str, bytes)) or not hasattr(spec, "__iter__"):
        raise TypeError(f"param_space[{name!r}] must be a list of values or a distribution "
                        f"with an rvs method; got {type(spec).__name__} {spec!r}.")
    return _grid_axis(name, spec)


class _Space:
    """The axes of a search space, and everything done with coordinates.

    A configuration is a row of coordinates, float64 of shape (n_axes,): the value index on a
    grid axis, the drawn value on a distribution axis.
    """

    def __init__(self, param_space):
        if not isinstance(param_space, dict):
            raise TypeError("param_space must be a dict mapping parameter names to lists of "
                            f"values or distributions; got {type(param_space).__name__}.")
        if not param_space:
            raise ValueError("param_space is empty; give at least one parameter to search.")
        self.axes = [_make_axis(name, spec) for name, spec in param_space.items()]
        self.names = [a.name for a in self.axes]
        self.finite = all(a.is_grid for a in self.axes)
        self.shape = tuple(len(a.values) for a in self.axes) if self.finite else None
        self.size = int(np.prod(self.shape, dtype=object)) if self.finite else float("inf")
        self.enumerable = self.finite and self.size <= _ENUMERATE_LIMIT
        self._all = None

    def encode(self, coords: np.ndarray) -> np.ndarray:
        """The surrogate's features, shape (n_configs, n_axes), of coordinates of that shape."""
        coords = np.atleast_2d(coords)
        return np.column_stack([a.transform(coords[:, j]) for j, a in enumerate(self.axes)])

    def params(self, row: np.ndarray) -> dict:
        """The parameter dict of one configuration."""
        return {a.name: a.value(c) for a, c in zip(self.axes, row)}

    def key(self, row: np.ndarray):
        """A hashable identity of a configuration, to never evaluate it twice."""
        if self.enumerable:
            return int(np.ravel_multi_index(tuple(row.astype(np.intp)), self.shape))
        return tuple(row.tolist())

    def all_coords(self) -> np.ndarray:
        """Every configuration of an enumerable grid, in flat-index order."""
        if self._all is None:
            grids = np.indices(self.shape).reshape(len(self.axes), -1).T
            self._all = grids.astype(np.float64)
        return self._all

    def sample(self, n: int, rng: np.random.Generator, rs: np.random.RandomState) -> np.ndarray:
        """``n`` configurations drawn uniformly (duplicates possible)."""
        cols = []
        for a in self.axes:
            if a.is_grid:
                cols.append(rng.integers(len(a.values), size=n).astype(np.float64))
            else:
                cols.append(np.asarray(a.dist.rvs(size=n, random_state=rs),
                                       dtype=np.float64).ravel())
        return np.column_stack(cols)

    def stratified(self, n: int, rng: np.random.Generator,
                   rs: np.random.RandomState) -> np.ndarray:
        """``n`` configurations in which every grid axis uses its values equally often (as in
        a Latin hypercube), so the first random trials already cover each value."""
        out = self.sample(n, rng, rs)
        for j, a in enumerate(self.axes):
            if a.is_grid:
                balanced = np.resize(rng.permutation(len(a.values)), n)
                out[:, j] = rng.permutation(balanced)
        return out


# --------------------------------------------------------------------------------------------
# The search loop (independent of how a configuration is evaluated)
# --------------------------------------------------------------------------------------------
class _Search:
    """State of one search: the configurations tried and their scores, and how to pick the
    next one."""

    def __init__(self, space: _Space, rng: np.random.Generator, kappa: float,
                 n_surrogates: int):
        self.space = space
        self.rng = rng
        self.rs = np.random.RandomState(rng.integers(2 ** 31))
        self.kappa = kappa
        self.n_surrogates = n_surrogates
        self.coords: list[np.ndarray] = []
        self.scores: list[float] = []
        self.seen: set = set()
        self._unseen_mask = np.ones(space.size, dtype=bool) if space.enumerable else None

    # -- bookkeeping ------------------------------------------------------------------------
    def record(self, row: np.ndarray, score: float) -> None:
        key = self.space.key(row)
        self.seen.add(key)
        if self._unseen_mask is not None:
            self._unseen_mask[key] = False
        self.coords.append(row)
        self.scores.append(score)

    def _unseen(self, rows: np.ndarray) -> np.ndarray:
        """The rows of ``rows`` not tried yet, each once, in their order."""
        keep, keys = [], set()
        for i, row in enumerate(rows):
            k = self.space.key(row)
            if k not in self.seen and k not in keys:
                keys.add(k)
                keep.append(i)
        return rows[keep]

    # -- proposals --------------------------------------------------------------------------
    def random(self) -> np.ndarray:
        """One untried configuration, uniformly at random."""
        if self._unseen_mask is not None:
            flat = self.rng.choice(np.flatnonzero(self._unseen_mask))
            return self.space.all_coords()[flat].copy()
        for _ in range(100):
            row = self.space.sample(1, self.rng, self.rs)[0]
            if self.space.key(row) not in self.seen:
                return row
        raise ValueError("Could not draw an untried configuration in 100 attempts; the space "
                         "is (nearly) exhausted.")

    def initial(self, n: int) -> list[np.ndarray]:
        """The ``n`` random trials that open the search (stratified per grid axis)."""
        rows, keys = [], set()
        for row in self.space.stratified(n, self.rng, self.rs):
            k = self.space.key(row)
            if k in self.seen or k in keys:  # a collision: take a fresh uniform draw instead
                row = self._random_excluding(keys)
                k = self.space.key(row)
            keys.add(k)
            rows.append(row)
        return rows

    def _random_excluding(self, keys: set) -> np.ndarray:
        for _ in range(1000):
            row = self.random()
            if self.space.key(row) not in keys:
                return row
        raise ValueError("Could not draw enough distinct configurations; the space is smaller "
                         "than the number of trials.")

    def candidates(self) -> np.ndarray:
        """Untried configurations for the surrogate to score."""
        if self._unseen_mask is not None:
            return self.space.all_coords()[self._unseen_mask]
        pool = [self.space.sample(_POOL_SIZE, self.rng, self.rs), self._neighbours()]
        return self._unseen(np.concatenate(pool))

    def _neighbours(self) -> np.ndarray:
        """Copies of the best trials with one or two axes redrawn: a local search around the
        incumbents, which a random pool in a large space rarely comes close to."""
        order = np.argsort(-self._finite_scores())[:_TOP_FOR_NEIGHBOURS]
        base = np.repeat(np.asarray(self.coords)[order], _NEIGHBOURS_PER_TOP, axis=0)
        fresh = self.space.sample(len(base), self.rng, self.rs)
        n_axes = len(self.space.axes)
        for i in range(len(base)):
            axes = self.rng.choice(n_axes, size=min(n_axes, self.rng.integers(1, 3)),
                                   replace=False)
            base[i, axes] = fresh[i, axes]
        return base

    def _finite_scores(self) -> np.ndarray:
        """Scores with failed trials (NaN) set below the worst success."""
        s = np.asarray(self.scores, dtype=np.float64)
        ok = np.isfinite(s)
        if ok.any():
            s[~ok] = s[ok].min() - (np.ptp(s[ok]) + 1.0)
        return s

    def surrogate(self) -> np.ndarray | None:
        """The untried configuration with the best upper confidence bound under a bootstrap
        ensemble of boosted surrogates; None when the scores give the model nothing to learn
        (fewer than two distinct values)."""
        if not np.isfinite(self.scores).any():
            return None
        y = self._finite_scores()
        if len(np.unique(y)) < 2:
            return None
        cand = self.candidates()
        if len(cand) == 0:
            return None
        preds = _ensemble_predict(self.space.encode(np.asarray(self.coords)), _copula(y),
                                  self.space.encode(cand), self.n_surrogates, self.rng)
        acq = preds.mean(axis=0) + self.kappa * preds.std(axis=0)
        # Trees predict piecewise-constant values, so ties are common: break them at random
        # rather than by candidate order.
        best = np.flatnonzero(acq >= acq.max() - 1e-12)
        return cand[self.rng.choice(best)].copy()


def _copula(y: np.ndarray) -> np.ndarray:
    """Scores mapped through their ranks to standard normal quantiles: the surrogate then sees
    the same spread whatever the metric, and one disastrous configuration cannot dominate its
    squared-error fit."""
    r = rankdata(y, method="average")
    return norm.ppf((r - 0.5) / len(y))


def _ensemble_predict(Z: np.ndarray, y: np.ndarray, candidates: np.ndarray, n_models: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Predictions, shape (n_models, n_candidates), of ``n_models`` small boosted regressors,
    each trained with gbt's own engine on a bootstrap resample of ``(Z, y)``; their spread is
    the surrogate's uncertainty."""
    from .data import Dataset
    from .engine import train

    n = len(y)
    out = np.empty((n_models, len(candidates)))
    for b in range(n_models):
        rows = rng.integers(n, size=n)
        params = dict(_SURROGATE_PARAMS, random_state=int(rng.integers(2 ** 31)))
        booster = train(params, Dataset(Z[rows], y[rows]), _SURROGATE_ROUNDS)
        out[b] = booster.predict(candidates)
    return out


# --------------------------------------------------------------------------------------------
# tune()
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class TuneResult:
    """What :func:`tune` returns.

    Attributes
    ----------
    best_params : dict
        The configuration with the highest mean cross-validated score.
    best_score : float
        Its mean cross-validated score (higher is better, scikit-learn's scorer convention).
    best_index : int
        Its trial number (0-based), an index into ``trials`` and ``cv_results``.
    trials : list of (dict, float)
        Every configuration tried, in order, with its mean score (NaN when the fit failed).
    cv_results : dict of arrays
        As scikit-learn's ``cv_results_``: ``params``, ``param_<name>``,
        ``split<k>_test_score``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score``, ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``, plus ``proposed_by`` ("random" or "surrogate").
    n_trials : int
        Configurations evaluated.
    space_size : int or float
        Configurations in the space (``inf`` when an axis is a distribution).
    """

    best_params: dict
    best_score: float
    best_index: int
    trials: list
    cv_results: dict
    n_trials: int
    space_size: int | float


def _check_estimator_params(estimator, space: _Space) -> None:
    valid = estimator.get_params(deep=True)
    for name in space.names:
        if name not in valid:
            close = difflib.get_close_matches(name, list(valid), n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"param_space names {name!r}, which is not a parameter of "
                             f"{type(estimator).__name__}.{hint} Valid parameters: "
                             f"{', '.join(sorted(valid))}.")


def _check_n_trials(n_trials, space: _Space) -> int:
    if isinstance(n_trials, (bool, np.bool_)) or not isinstance(n_trials, numbers.Integral):
        raise TypeError(f"n_trials must be an integer >= 1; got {n_trials!r}.")
    if n_trials < 1:
        raise ValueError(f"n_trials must be an integer >= 1; got {n_trials}.")
    if n_trials > space.size:
        warnings.warn(f"n_trials={n_trials} is larger than the {space.size} configurations "
                      f"of param_space; evaluating all {space.size}.", UserWarning,
                      stacklevel=3)
        return int(space.size)
    return int(n_trials)


def _default_n_initial(n_trials: int, n_axes: int) -> int:
    """Random trials before the surrogate takes over: about a quarter of the budget, at least
    enough for a first model (5, or one more than the number of axes) and at most 10."""
    return min(n_trials, max(5, n_axes + 1, min(10, n_trials // 4)))


def _make_rng(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2 ** 31))
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.Generator)):
        return np.random.default_rng(random_state)
    raise TypeError("random_state must be None, an integer, a numpy Generator or a "
                    f"RandomState; got {type(random_state).__name__}.")


def _cross_validate_kwargs(fit_params: dict | None) -> dict:
    """Fit parameters under the keyword this scikit-learn's ``cross_validate`` takes."""
    if not fit_params:
        return {}
    key = "params" if "params" in inspect.signature(cross_validate).parameters else "fit_params"
    return {key: fit_params}


def _evaluator(estimator, X, y, groups, cv, scorer, fit_params, error_score) -> Callable:
    """``evaluate(params) -> dict(test_score, fit_time, score_time, error)``: cross-validation
    of one configuration (``error`` is None, or why a fit failed). Folds run one after the
    other: the estimator's own ``n_jobs`` is the only parallelism, so threads never nest."""
    extra = _cross_validate_kwargs(fit_params)
    n_folds = len(cv)

    def evaluate(params: dict) -> dict:
        model = clone(estimator).set_params(**params)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FitFailedWarning)
            try:
                out = cross_validate(model, X, y, groups=groups, scoring=scorer, cv=cv,
                                     error_score=error_score, **extra)
            except ValueError as exc:
                # scikit-learn raises when every fold failed, whatever error_score says; a
                # misconfigured trial is a result of the search, not the end of it.
                if error_score == "raise" or "fits failed" not in str(exc):
                    raise
                out = {"test_score": np.full(n_folds, error_score, dtype=np.float64),
                       "fit_time": np.zeros(n_folds), "score_time": np.zeros(n_folds)}
                out["error"] = _last_line(str(exc))
        for w in caught:
            if issubclass(w.category, FitFailedWarning):
                out.setdefault("error", _last_line(str(w.message)))
            else:  # the estimator's own warnings pass through
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        out.setdefault("error", None)
        return out
    return evaluate


def _last_line(message: str) -> str:
    """The exception line at the end of scikit-learn's fit-failure report."""
    lines = [ln.strip() for ln in message.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else message


def _warn_failures(runs: list, error_score) -> None:
    failed = [(p, r["error"]) for p, r, _ in runs if r.get("error")]
    if failed:
        params, reason = failed[0]
        warnings.warn(f"{len(failed)} of {len(runs)} trials had failing fits (scored "
                      f"{error_score!r}); the first, {params}: {reason}", FitFailedWarning,
                      stacklevel=3)


def _short(value) -> str:
    """A parameter value for a progress line: floats to 4 significant digits."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return repr(value)


class _Progress:
    """One line per trial on stderr: trial i/n, how it was proposed, its score, the best so
    far and the parameters."""

    def __init__(self, verbose, n_trials: int):
        self.on = sys.stderr.isatty() if verbose is None else bool(verbose)
        self.n = n_trials
        self.t0 = time.perf_counter()

    def __call__(self, i: int, how: str, params: dict, score: float, best: float,
                 best_i: int) -> None:
        if not self.on:
            return
        width = len(str(self.n))
        shown = ", ".join(f"{k}={_short(v)}" for k, v in params.items())
        print(f"[gbt.tune] trial {i + 1:>{width}}/{self.n} {how:<9} score {score:.6g}  "
              f"best {best:.6g} (trial {best_i + 1})  {time.perf_counter() - self.t0:6.1f}s  "
              f"{shown}", file=sys.stderr, flush=True)


def _run(space: _Space, evaluate: Callable, n_trials: int, n_initial: int,
         rng: np.random.Generator, kappa: float, n_surrogates: int, progress) -> list:
    """The search loop; returns ``[(params, cv_result, proposed_by), ...]`` in trial order."""
    search = _Search(space, rng, kappa, n_surrogates)
    opening = search.initial(n_initial)
    out = []
    best, best_i = -np.inf, -1
    for i in range(n_trials):
        row, how = (opening[i], "random") if i < n_initial else (search.surrogate(), "surrogate")
        if row is None:
            row, how = search.random(), "random"
        params = space.params(row)
        res = evaluate(params)
        score = float(np.mean(res["test_score"]))
        search.record(row, score)
        if np.isfinite(score) and score > best:
            best, best_i = score, i
        out.append((params, res, how))
        progress(i, how, params, score, best, best_i)
    return out


def _cv_results(space: _Space, runs: list) -> dict:
    """scikit-learn-shaped ``cv_results_`` of the trials."""
    scores = np.array([np.asarray(r["test_score"], dtype=np.float64) for _, r, _ in runs])
    mean = scores.mean(axis=1)
    # As scikit-learn: failed configurations rank last; ties share the smallest rank.
    ranked = np.where(np.isfinite(mean), mean, -np.inf)
    rank = rankdata(-ranked, method="min").astype(np.int32)
    out = {"params": [p for p, _, _ in runs]}
    for name in space.names:
        out[f"param_{name}"] = np.ma.MaskedArray([p[name] for p, _, _ in runs], dtype=object,
                                                 mask=False)
    for k in range(scores.shape[1]):
        out[f"split{k}_test_score"] = scores[:, k]
    out["mean_test_score"] = mean
    out["std_test_score"] = scores.std(axis=1)
    out["rank_test_score"] = rank
    for what in ("fit", "score"):
        t = np.array([np.asarray(r[f"{what}_time"], dtype=np.float64) for _, r, _ in runs])
        out[f"mean_{what}_time"] = t.mean(axis=1)
        out[f"std_{what}_time"] = t.std(axis=1)
    out["proposed_by"] = np.array([how for _, _, how in runs], dtype=object)
    return out


def tune(estimator, param_space: dict, X, y=None, n_trials: int = 40, *, cv=5, scoring=None,
         random_state=None, n_initial: int | None = None, groups=None,
         fit_params: dict | None = None, error_score=np.nan, kappa: float = 1.0,
         n_surrogates: int = 8, verbose=None) -> TuneResult:
    """Search an estimator's parameters with a boosted surrogate model.

    The first ``n_initial`` configurations are random (every grid value used about equally
    often); each later one is the untried configuration with the highest upper confidence
    bound, ``mean + kappa * std``, over ``n_surrogates`` small gbt models fitted on bootstrap
    resamples of the (configuration -> score) pairs seen so far. No configuration is
    evaluated twice.

    Parameters
    ----------
    estimator : scikit-learn estimator
        Cloned for every evaluation; left unchanged.
    param_space : dict
        Parameter name -> list of values (a grid axis), or a distribution with an
        ``rvs(size=..., random_state=...)`` method (e.g. ``scipy.stats.loguniform(1e-3, 1)``)
        drawing numbers. Positive numeric axes spanning more than a decade are searched on a
        log scale; non-numeric values are categories.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
    n_trials : int, default 40
        Configurations to evaluate (capped, with a warning, at the size of a finite grid).
    cv : int, cross-validation splitter or iterable, default 5
        As in scikit-learn (``int``: stratified k-fold for classifiers, k-fold otherwise).
        The same folds are used for every configuration.
    scoring : str or callable, optional
        A scikit-learn scorer (higher is better); default the estimator's ``score``.
    random_state : int, numpy Generator or RandomState, optional
        Seeds the random trials and the surrogates; with an int the search is reproducible.
    n_initial : int, optional
        Random trials before the surrogate is used; default about a quarter of ``n_trials``,
        between 5 (or the number of axes + 1) and 10.
    groups : array-like of shape (n_samples,), optional
        Group labels for a group-aware ``cv`` splitter.
    fit_params : dict, optional
        Passed to the estimator's ``fit`` in every fold.
    error_score : "raise" or float, default NaN
        Score of a configuration whose fit fails; ``"raise"`` re-raises the error.
    kappa : float, default 1.0
        Weight of the surrogate's uncertainty (exploration) in the acquisition.
    n_surrogates : int, default 8
        Bootstrap surrogate models per proposal.
    verbose : bool or int, optional
        Print one line per trial on stderr (trial, proposer, score, best so far, parameters).
        Default: only when stderr is a terminal.

    Returns
    -------
    TuneResult
        ``best_params``, ``best_score``, ``best_index``, ``trials``, ``cv_results``.

    Raises
    ------
    ValueError
        An empty ``param_space`` or axis, a repeated value, a name that is not a parameter of
        ``estimator``, ``n_trials < 1``, or every trial failing.
    TypeError
        A ``param_space`` that is not a dict of lists or distributions, a non-integer
        ``n_trials``.

    Examples
    --------
    >>> import gbt
    >>> res = gbt.tune(gbt.GBTClassifier(), {"max_depth": [2, 4, 6],
    ...                "learning_rate": [0.03, 0.1, 0.3]}, X, y, n_trials=6,
    ...                cv=3, scoring="roc_auc", random_state=0)      # doctest: +SKIP
    >>> res.best_params, res.best_score                               # doctest: +SKIP
    """
    space = _Space(param_space)
    _check_estimator_params(estimator, space)
    n_trials = _check_n_trials(n_trials, space)
    if n_initial is None:
        n_initial = _default_n_initial(n_trials, len(space.axes))
    elif not isinstance(n_initial, numbers.Integral) or n_initial < 1:
        raise ValueError(f"n_initial must be an integer >= 1; got {n_initial!r}.")
    if not (isinstance(kappa, numbers.Real) and kappa >= 0):
        raise ValueError(f"kappa must be a number >= 0; got {kappa!r}.")
    if not isinstance(n_surrogates, numbers.Integral) or n_surrogates < 1:
        raise ValueError(f"n_surrogates must be an integer >= 1; got {n_surrogates!r}.")
    rng = _make_rng(random_state)
    # Folds are fixed once, so every configuration is compared on the same splits.
    splitter = check_cv(cv, y, classifier=is_classifier(estimator))
    folds = list(splitter.split(X, y, groups))
    scorer = check_scoring(estimator, scoring=scoring)
    evaluate = _evaluator(estimator, X, y, groups, folds, scorer, fit_params, error_score)
    runs = _run(space, evaluate, n_trials, min(int(n_initial), n_trials), rng, float(kappa),
                int(n_surrogates), _Progress(verbose, n_trials))
    _warn_failures(runs, error_score)
    results = _cv_results(space, runs)
    mean = results["mean_test_score"]
    if not np.isfinite(mean).any():
        raise ValueError(f"All {n_trials} trials failed (every score is {error_score!r}); "
                         "set error_score='raise' to see the error.")
    best = int(np.nanargmax(mean))
    return TuneResult(best_params=dict(results["params"][best]), best_score=float(mean[best]),
                      best_index=best,
                      trials=[(p, float(m)) for p, m in zip(results["params"], mean)],
                      cv_results=results, n_trials=n_trials, space_size=space.size)


# --------------------------------------------------------------------------------------------
# GBTSearchCV
# --------------------------------------------------------------------------------------------
def _check_refit(search, attr: str) -> None:
    if not search.refit:
        raise AttributeError(f"This {type(search).__name__} instance was initialized with "
                             f"refit=False. {attr} is available only after refitting on the "
                             "best parameters.")


def _estimator_has(attr: str):
    """For ``available_if``: the refitted (or, before fit, the given) estimator has ``attr``."""
    def check(self):
        _check_refit(self, attr)
        getattr(getattr(self, "best_estimator_", self.estimator), attr)
        return True
    return check


class GBTSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Surrogate-guided parameter search with scikit-learn's ``*SearchCV`` interface.

    ``fit`` runs :func:`tune` and then, with ``refit=True``, fits ``best_estimator_`` on all
    the data; ``predict``, ``predict_proba``, ``score``, ``classes_`` and the rest go to it,
    as with ``GridSearchCV``.

    Parameters
    ----------
    estimator : scikit-learn estimator
    param_space : dict
        Parameter name -> list of values or distribution (see :func:`tune`).
    n_trials : int, default 40
    cv : int, cross-validation splitter or iterable, default 5
    scoring : str or callable, optional
    refit : bool, default True
    random_state : int, optional
    n_initial : int, optional
    error_score : "raise" or float, default NaN
    kappa : float, default 1.0
    n_surrogates : int, default 8
    verbose : bool or int, optional
        Progress lines on stderr; default only when stderr is a terminal.

    Attributes
    ----------
    best_params_ : dict
    best_score_ : float
        Mean cross-validated score of ``best_params_``.
    best_index_ : int
        Index of the best trial in ``cv_results_``.
    best_estimator_ : estimator
        Refitted on all the data (``refit=True`` only).
    cv_results_ : dict of arrays
        As ``GridSearchCV.cv_results_``, one entry per trial in trial order, plus
        ``proposed_by``.
    n_trials_ : int
        Configurations evaluated.
    n_splits_ : int
    scorer_ : callable
    refit_time_ : float
        Seconds to refit the best estimator.
    multimetric_ : bool
        Always False (one scorer).
    """

    def __init__(self, estimator, param_space, *, n_trials=40, cv=5, scoring=None, refit=True,
                 random_state=None, n_initial=None, error_score=np.nan, kappa=1.0,
                 n_surrogates=8, verbose=None):
        self.estimator = estimator
        self.param_space = param_space
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.random_state = random_state
        self.n_initial = n_initial
        self.error_score = error_score
        self.kappa = kappa
        self.n_surrogates = n_surrogates
        self.verbose = verbose

    def fit(self, X, y=None, *, groups=None, **fit_params):
        """Search ``param_space`` on ``(X, y)``, then refit the best configuration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
        groups : array-like of shape (n_samples,), optional
            Group labels for a group-aware ``cv`` splitter.
        **fit_params
            Passed to the estimator's ``fit`` (in every fold and in the refit).

        Returns
        -------
        self
        """
        result = tune(self.estimator, self.param_space, X, y, self.n_trials, cv=self.cv,
                      scoring=self.scoring, random_state=self.random_state,
                      n_initial=self.n_initial, groups=groups, fit_params=fit_params,
                      error_score=self.error_score, kappa=self.kappa,
                      n_surrogates=self.n_surrogates, verbose=self.verbose)
        self.cv_results_ = result.cv_results
        self.best_index_ = result.best_index
        self.best_params_ = result.best_params
        self.best_score_ = result.best_score
        self.n_trials_ = result.n_trials
        self.n_splits_ = sum(k.startswith("split") for k in result.cv_results)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        self.multimetric_ = False
        if self.refit:
            t0 = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - t0
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    # -- delegation, as GridSearchCV ---------------------------------------------------------
    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """``best_estimator_.predict(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """``best_estimator_.predict_proba(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """``best_estimator_.predict_log_proba(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """``best_estimator_.decision_function(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """``best_estimator_.transform(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @available_if(_estimator_has("score_samples"))
    def score_samples(self, X):
        """``best_estimator_.score_samples(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.score_samples(X)

    def score(self, X, y=None):
        """The search's scorer (``scoring``, or the estimator's ``score``) of
        ``best_estimator_`` on ``(X, y)``."""
        _check_refit(self, "score")
        check_is_fitted(self)
        return self.scorer_(self.best_estimator_, X, y)

    @property
    def classes_(self):
        """``best_estimator_.classes_``."""
        _estimator_has("classes_")(self)
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self):
        """``best_estimator_.n_features_in_``."""
        try:
            check_is_fitted(self)
        except Exception as exc:  # NotFittedError: an AttributeError, as hasattr() expects
            raise AttributeError(f"{type(self).__name__} object has no attribute "
                                 "'n_features_in_' before fit.") from exc
        return self.best_estimator_.n_features_in_

    def __sklearn_is_fitted__(self):
        return hasattr(self, "cv_results_")

    def __sklearn_tags__(self):
        from copy import deepcopy

        from sklearn.utils import get_tags
        tags = super().__sklearn_tags__()
        sub = get_tags(self.estimator)
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = deepcopy(sub.classifier_tags)
        tags.regressor_tags = deepcopy(sub.regressor_tags)
        tags.input_tags.sparse = sub.input_tags.sparse
        tags.input_tags.allow_nan = sub.input_tags.allow_nan
        return tags

    @property
    def _estimator_type(self):
        # scikit-learn < 1.6 decides is_classifier() by this attribute.
        return getattr(self.estimator, "_estimator_type", None)
