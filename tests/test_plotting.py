"""gbt.plotting draws what it says (on matplotlib's Agg backend)."""
import numpy as np
import pytest

import gbt

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gbt import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def trained(regression_data):
    X, y = regression_data
    dtrain, dvalid = gbt.Dataset(X[:1500], y[:1500]), gbt.Dataset(X[1500:], y[1500:])
    booster = gbt.train({"max_depth": 3}, dtrain, 15,
                        evals=[(dtrain, "train"), (dvalid, "valid")])
    return booster, X


def test_importance_bars_are_sorted_and_named(trained):
    booster, X = trained
    ax = plotting.plot_importance(booster, max_features=3)
    widths = [bar.get_width() for bar in ax.patches]
    assert len(widths) == 3 and widths == sorted(widths)  # largest drawn last, on top
    top = booster.feature_names[int(np.argmax(booster.feature_importance("gain")))]
    assert ax.get_yticklabels()[-1].get_text() == top


def test_learning_curves_one_line_per_set(trained):
    booster, _ = trained
    ax = plotting.plot_metric(booster.evals_result)
    assert [line.get_label() for line in ax.get_lines()] == ["train", "valid"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(),
                               booster.evals_result["valid"]["rmse"])
    with pytest.raises(ValueError, match="not recorded"):
        plotting.plot_metric(booster.evals_result, metric="auc")
    with pytest.raises(ValueError, match="no evaluation results"):
        plotting.plot_metric({})


def test_shap_summary_rows_follow_mean_absolute_value():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    shap = np.column_stack([X[:, 0] * 0.1, X[:, 1] * 5.0, X[:, 2], np.ones(50)])  # + bias
    ax = plotting.plot_shap_summary(shap, X, feature_names=["a", "b", "c"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c", "b"]
    with pytest.raises(ValueError, match="do not match"):
        plotting.plot_shap_summary(shap[:, :2], X)


def test_interval_plot_reports_coverage():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 2))
    y = X[:, 0] + rng.standard_normal(400) * (0.5 + (X[:, 1] > 0))
    model = gbt.NGBRegressor(n_estimators=100, learning_rate=0.05).fit(X, y)
    dist = model.pred_dist(X)
    ax = plotting.plot_interval(dist, y, alpha=0.8, max_points=100)
    lower, upper = dist.interval(0.8)
    coverage = np.mean((y >= lower) & (y <= upper))
    assert f"{coverage:.1%}" in ax.get_title()
    assert len(ax.collections) == 2  # the band and the observed dots
    with pytest.raises(ValueError, match="alpha"):
        plotting.plot_interval(dist, alpha=1.5)


def test_pareto_front_and_tradeoff_plot():
    perf = [0.90, 0.92, 0.91, 0.85]
    fair = [0.95, 0.80, 0.70, 0.99]
    np.testing.assert_array_equal(plotting.pareto_front(perf, fair), [3, 0, 1])
    ax = plotting.plot_fairness_tradeoff(perf, fair, labels=["a", "b", "c", "d"])
    front = ax.get_lines()[0]
    np.testing.assert_allclose(front.get_xdata(), [0.85, 0.90, 0.92])
    assert [t.get_text() for t in ax.texts] == ["a", "b", "c", "d"]


def test_estimators_are_accepted_and_other_objects_refused(regression_data):
    X, y = regression_data
    model = gbt.GBTRegressor(n_estimators=5).fit(X, y)
    assert len(plotting.plot_importance(model).patches) == X.shape[1]
    with pytest.raises(TypeError, match="Booster"):
        plotting.plot_importance(object())
