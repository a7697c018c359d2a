"""Plots of models and their explanations (matplotlib, an optional dependency:
``pip install gbt[plot]``).

Each function draws on ``ax`` (a new figure's axes when omitted) and returns the axes:
:func:`plot_importance` (feature importance bars), :func:`plot_metric` (learning curves from
``evals_result``), :func:`plot_shap_summary` (a SHAP beeswarm), :func:`plot_interval`
(NGBoost's predicted intervals against the truth) and :func:`plot_fairness_tradeoff`
(performance against a fairness ratio, with the Pareto front).
"""
from __future__ import annotations

import numpy as np


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - exercised only without matplotlib
        raise ImportError("gbt.plotting needs matplotlib: pip install 'gbt[plot]'") from None
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _booster(model):
    """A Booster from a Booster or a fitted gbt estimator."""
    booster = getattr(model, "_Booster", model)
    if not hasattr(booster, "feature_importance"):
        raise TypeError(f"Expected a gbt Booster or a fitted gbt estimator; got "
                        f"{type(model).__name__}.")
    return booster


def plot_importance(model, importance_type: str = "gain", max_features: int = 20, ax=None,
                    title: str | None = None):
    """Horizontal bars of the ``max_features`` most important features, largest on top.

    Parameters
    ----------
    model : Booster or fitted gbt estimator
    importance_type : {"gain", "total_gain", "split", "cover", "total_cover"}
    max_features : int
    ax : matplotlib Axes, optional
    """
    booster = _booster(model)
    values = booster.feature_importance(importance_type)
    order = np.argsort(-values, kind="stable")[:max_features][::-1]
    ax = _axes(ax)
    ax.barh(np.arange(order.size), values[order])
    ax.set_yticks(np.arange(order.size))
    ax.set_yticklabels([booster.feature_names[j] for j in order])
    ax.set_xlabel(f"importance ({importance_type})")
    ax.set_title(title or "Feature importance")
    return ax


def plot_metric(evals_result, metric: str | None = None, ax=None, title: str | None = None):
    """Learning curves: one line per evaluation set for ``metric`` (default: the first
    metric recorded), with the rounds on the x axis.

    Parameters
    ----------
    evals_result : dict or Booster or fitted gbt estimator
        ``{data_name: {metric: [value per round]}}`` as filled by :func:`gbt.train`.
    """
    log = evals_result
    if not isinstance(log, dict):
        log = getattr(log, "evals_result_", None) or getattr(_booster(log), "evals_result", {})
    sets = {name: ms for name, ms in log.items() if name != "objective" and ms}
    if not sets:
        raise ValueError("evals_result holds no evaluation results; train with evals=[...].")
    metric = metric or next(iter(next(iter(sets.values()))))
    ax = _axes(ax)
    for name, ms in sets.items():
        if metric not in ms:
            raise ValueError(f"Metric {metric!r} was not recorded for {name!r}; it has "
                             f"{sorted(ms)}.")
        ax.plot(np.arange(1, len(ms[metric]) + 1), ms[metric], label=name)
    ax.set_xlabel("round")
    ax.set_ylabel(metric)
    ax.legend()
    ax.set_title(title or "Learning curves")
    return ax


def plot_shap_summary(shap_values, X, feature_names=None, max_features: int = 20, ax=None,
                      seed: int = 0):
    """SHAP beeswarm: one row per feature (largest mean |SHAP| on top), one dot per sample
    at its SHAP value, coloured from low (blue) to high (red) feature value.

    Parameters
    ----------
    shap_values : (n_samples, n_features) or (n_samples, n_features + 1)
        ``Booster.predict(X, pred_contribs=True)`` (its bias column is dropped) of a one-output
        model, or one output's slice of a multi-output model's.
    X : (n_samples, n_features) array-like
        The feature values that colour the dots (NaN is drawn grey).
    feature_names : list of str, optional
    """
    shap_values = np.asarray(shap_values, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if shap_values.ndim != 2:
        raise ValueError(f"shap_values must be 2-D (n_samples, n_features); got shape "
                         f"{shap_values.shape}; pick one output of a multi-output model.")
    if shap_values.shape[1] == X.shape[1] + 1:
        shap_values = shap_values[:, :-1]  # the bias column
    if shap_values.shape != X.shape:
        raise ValueError(f"shap_values {shap_values.shape} and X {X.shape} do not match.")
    names = list(feature_names) if feature_names is not None else \
        [f"f{j}" for j in range(X.shape[1])]
    order = np.argsort(-np.abs(shap_values).mean(axis=0), kind="stable")[:max_features][::-1]
    rng = np.random.default_rng(seed)
    ax = _axes(ax)
    for row, j in enumerate(order):
        values = X[:, j]
        colour = np.full(values.size, 0.5)
        finite = np.isfinite(values)
        if finite.any():
            lo, hi = np.nanpercentile(values, [5, 95])
            colour[finite] = np.clip((values[finite] - lo) / (hi - lo or 1.0), 0, 1)
        y = row + rng.uniform(-0.3, 0.3, values.size)
        ax.scatter(shap_values[finite, j], y[finite], c=colour[finite], cmap="coolwarm",
                   vmin=0, vmax=1, s=8)
        ax.scatter(shap_values[~finite, j], y[~finite], c="lightgrey", s=8)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(order.size))
    ax.set_yticklabels([names[j] for j in order])
    ax.set_xlabel("SHAP value (impact on the raw prediction)")
    ax.set_title("SHAP summary")
    return ax


def plot_interval(dist, y=None, alpha: float = 0.9, max_points: int = 300, ax=None,
                  seed: int = 0):
    """NGBoost's predicted central ``alpha`` intervals, rows sorted by the predicted mean,
    with the observed ``y`` as dots; the title gives the share of ``y`` inside its interval.

    Parameters
    ----------
    dist : DistributionPrediction
        ``Booster.pred_dist(X)`` or ``NGBRegressor.pred_dist(X)``.
    y : (n_samples,) array-like, optional
    alpha : float in (0, 1)
    max_points : int
        At most this many rows (a random subset) are drawn.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1); got {alpha}.")
    lower, upper = (np.asarray(v, dtype=np.float64) for v in dist.interval(alpha))
    mean = np.asarray(dist.mean(), dtype=np.float64)
    rows = np.arange(mean.size)
    if rows.size > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_points, replace=False))
    rows = rows[np.argsort(mean[rows], kind="stable")]
    x = np.arange(rows.size)
    ax = _axes(ax)
    ax.fill_between(x, lower[rows], upper[rows], alpha=0.3, label=f"{alpha:.0%} interval")
    ax.plot(x, mean[rows], label="predicted mean")
    title = "Predicted intervals"
    if y is not None:
        y = np.asarray(y, dtype=np.float64).ravel()
        if y.size != mean.size:
            raise ValueError(f"y has {y.size} rows; the prediction has {mean.size}.")
        ax.scatter(x, y[rows], s=6, color="black", label="observed")
        coverage = np.mean((y >= lower) & (y <= upper))
        title += f" (coverage {coverage:.1%} of all {y.size} rows)"
    ax.set_xlabel("rows, sorted by predicted mean")
    ax.legend()
    ax.set_title(title)
    return ax


def pareto_front(performance, fairness) -> np.ndarray:
    """Indices of the points no other point beats on both axes (higher is better on both),
    ordered by performance."""
    p, f = np.asarray(performance, float), np.asarray(fairness, float)
    keep = [i for i in range(p.size)
            if not np.any((p >= p[i]) & (f >= f[i]) & ((p > p[i]) | (f > f[i])))]
    return np.asarray(sorted(keep, key=lambda i: p[i]), dtype=np.int64)


def plot_fairness_tradeoff(performance, fairness, labels=None, ax=None,
                           performance_name: str = "AUC",
                           fairness_name: str = "FPR ratio (min/max)"):
    """Models as points of (performance, fairness), higher better on both, with the Pareto
    front drawn through the ones nothing beats.

    Parameters
    ----------
    performance, fairness : (n_models,) array-like
        E.g. test AUC and :func:`gbt.fairness_report`'s ratio for models trained with
        different constraint settings.
    labels : list of str, optional
        One per model, written beside its point.
    """
    p, f = np.asarray(performance, float), np.asarray(fairness, float)
    if p.shape != f.shape or p.ndim != 1:
        raise ValueError("performance and fairness must be 1-D and of equal length.")
    ax = _axes(ax)
    ax.scatter(p, f, label="models")
    front = pareto_front(p, f)
    ax.plot(p[front], f[front], color="red", label="Pareto front")
    for i, text in enumerate(labels or ()):
        ax.annotate(str(text), (p[i], f[i]), fontsize=8, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xlabel(performance_name)
    ax.set_ylabel(fairness_name)
    ax.legend()
    ax.set_title("Fairness / performance trade-off")
    return ax
