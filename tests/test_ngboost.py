"""NGBoost objectives on the engine and the NGBRegressor / NGBClassifier / NGBSurvival
estimators."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import gbt
from gbt.objectives import get_objective
from gbt.objectives.distributions import Normal, get_distribution
from gbt.objectives.ngboost import DistributionObjective

from .conftest import data_path


def _heteroscedastic(n=2000, seed=0):
    """y = sin(3 x0) + noise whose scale grows with x1."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 4))
    scale = 0.1 + 0.5 * (X[:, 1] + 1)
    return X, np.sin(3 * X[:, 0]) + scale * rng.standard_normal(n), scale


def test_grad_hess_is_the_weighted_natural_gradient():
    obj = get_objective("distribution:normal")
    rng = np.random.default_rng(0)
    y, raw, w = rng.normal(size=50), 0.3 * rng.normal(size=(50, 2)), rng.random(50) + 0.5
    g, h = np.empty((50, 2), np.float32), np.empty((50, 2), np.float32)
    obj.grad_hess(y, raw, w, g, h)
    sigma = np.exp(raw[:, 1])
    natural = np.column_stack([raw[:, 0] - y, 0.5 * (1 - ((y - raw[:, 0]) / sigma) ** 2)])
    np.testing.assert_allclose(g, natural * w[:, None], rtol=1e-5)
    np.testing.assert_allclose(h, np.repeat(w[:, None], 2, axis=1))
    plain = DistributionObjective(Normal(), natural_gradient=False)
    plain.grad_hess(y, raw, None, g, h)
    np.testing.assert_allclose(g, Normal().d_nll(y, raw), rtol=1e-5)


def test_fisher_hessian_weighs_rows_by_the_metric_diagonal():
    obj = get_objective("distribution:normal", {"natural_hessian": "fisher"})
    rng = np.random.default_rng(5)
    y, raw, w = rng.normal(size=40), 0.3 * rng.normal(size=(40, 2)), rng.random(40) + 0.5
    g, h = np.empty((40, 2), np.float32), np.empty((40, 2), np.float32)
    obj.grad_hess(y, raw, w, g, h)
    fisher = Normal().fisher(raw)
    np.testing.assert_allclose(h, fisher * w[:, None], rtol=1e-6)
    np.testing.assert_allclose(g, Normal().d_nll(y, raw) * w[:, None], rtol=1e-5)  # F nat = d
    X, yy, _ = _heteroscedastic(800)
    model = gbt.NGBRegressor(natural_hessian="fisher", n_estimators=100, learning_rate=0.05)
    assert model.fit(X, yy).score(X, yy) > gbt.NGBRegressor(n_estimators=1).fit(X, yy).score(X, yy)
    with pytest.raises(ValueError, match="natural_hessian"):
        gbt.NGBRegressor(natural_hessian="exact").fit(X, yy)


def test_line_search_never_worsens_the_training_score():
    obj = get_objective("distribution:normal")
    rng = np.random.default_rng(1)
    y, raw = rng.normal(2.0, 1.0, 500), np.zeros((500, 2))
    good_step = np.column_stack([np.full(500, 0.4), np.zeros(500)])
    scale = obj.line_search(y, raw, good_step, None)
    # loc 2 is best: scales 1, 2, 4, 8 (loc 3.2) improve on loc 0, 16 (loc 6.4) does not
    assert scale == 8.0
    assert obj.loss(y, raw + scale * good_step, None) < obj.loss(y, raw, None)
    bad_step = -good_step
    scale = obj.line_search(y, raw, bad_step, None)
    assert scale * 0.4 < 1e-4  # shrunk until the step (norm 0.4 per unit scale) vanished
    off = DistributionObjective(Normal(), line_search=False)
    assert off.line_search(y, raw, bad_step, None) == 1.0


def test_train_with_a_distribution_objective():
    X, y, _ = _heteroscedastic()
    dtrain, dvalid = gbt.Dataset(X[:1500], y[:1500]), gbt.Dataset(X[1500:], y[1500:])
    result = {}
    booster = gbt.train({"objective": "distribution:normal", "learning_rate": 0.05,
                         "max_depth": 3}, dtrain, 60, evals=[(dvalid, "valid")],
                        evals_result=result)
    nll = result["valid"]["nll"]
    assert nll[-1] < nll[0] - 0.3
    assert booster.trees_per_iteration == 1  # multi_strategy="auto": one condensed tree
    assert booster.trees[0].value.shape[1] == 2
    dist = booster.pred_dist(X[1500:])
    assert np.corrcoef(dist.std(), 0.1 + 0.5 * (X[1500:, 1] + 1))[0, 1] > 0.8
    np.testing.assert_allclose(booster.predict(X[1500:]), dist.mean())
    assert -dist.logpdf(y[1500:]).mean() == pytest.approx(nll[-1])
    loaded = gbt.Booster.from_dict(booster.to_dict())
    np.testing.assert_allclose(loaded.pred_dist(X[1500:]).params["scale"], dist.scale)


def test_one_tree_per_parameter_also_works():
    X, y, _ = _heteroscedastic(800)
    booster = gbt.train({"objective": "distribution:normal", "multi_strategy": "one_per_output",
                         "learning_rate": 0.05}, gbt.Dataset(X, y), 50)
    assert booster.trees_per_iteration == 2
    assert booster.num_boosted_rounds() == 50


def test_early_stopping_on_validation_nll():
    X, y, _ = _heteroscedastic(1500)
    model = gbt.NGBRegressor(learning_rate=0.3, n_estimators=400, early_stopping_rounds=10)
    model.fit(X[:1000], y[:1000], X_val=X[1000:], Y_val=y[1000:])
    assert model.best_iteration_ < 390
    held_out = gbt.NGBRegressor(learning_rate=0.3, n_estimators=400, early_stopping_rounds=10,
                                validation_fraction=0.2).fit(X, y)
    assert held_out.best_iteration_ < 390
    assert "validation" in held_out.evals_result_


def test_ngb_regressor_api():
    X, y, _ = _heteroscedastic(600)
    model = gbt.NGBRegressor(n_estimators=100, learning_rate=0.05).fit(X, y)
    dist = model.pred_dist(X[:20])
    np.testing.assert_allclose(model.predict(X[:20]), dist.mean())
    assert set(dist.params) == {"loc", "scale"}
    assert dist.sample(7, random_state=0).shape == (7, 20)
    lo, hi = dist.interval(0.8)
    assert (lo < dist.ppf(0.5)).all() and (dist.ppf(0.5) < hi).all()
    assert model.score(X, y) == pytest.approx(dist.logpdf(y[:20]).mean(), abs=1.0)
    assert model.score(X, y) == pytest.approx(model.pred_dist(X).logpdf(y).mean())
    again = clone(model).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


@pytest.mark.parametrize("distribution,score", [
    ("normal", "crps"), ("laplace", "log"), ("laplace", "crps"), ("studentt", "log"),
    ("lognormal", "log"), ("lognormal", "crps"), ("gamma", "log"), ("exponential", "crps")])
def test_each_distribution_learns(distribution, score):
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (800, 3))
    mean = np.exp(1.0 + X[:, 0])
    y = mean * rng.gamma(8.0, 1 / 8.0, 800)  # positive, mean ~ exp(1 + x0)
    model = gbt.NGBRegressor(distribution=distribution, scoring_rule=score, n_estimators=150,
                             learning_rate=0.05).fit(X[:600], y[:600])
    baseline = np.abs(y[600:] - y[:600].mean()).mean()
    assert np.abs(model.predict(X[600:]) - y[600:]).mean() < 0.8 * baseline


def test_poisson_counts():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (1500, 2))
    y = rng.poisson(np.exp(1.0 + X[:, 0])).astype(float)
    model = gbt.NGBRegressor(distribution="poisson", n_estimators=200,
                             learning_rate=0.05).fit(X, y)
    assert np.corrcoef(model.predict(X), np.exp(1.0 + X[:, 0]))[0, 1] > 0.9


def test_subsampling_is_seeded():
    X, y, _ = _heteroscedastic(600)
    kw = dict(n_estimators=60, learning_rate=0.05, minibatch_frac=0.5, col_sample=0.5)
    a = gbt.NGBRegressor(random_state=1, **kw).fit(X, y).predict(X)
    b = gbt.NGBRegressor(random_state=1, **kw).fit(X, y).predict(X)
    c = gbt.NGBRegressor(random_state=2, **kw).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_grid_search_maximises_log_likelihood():
    X, y, _ = _heteroscedastic(1500)
    search = GridSearchCV(gbt.NGBRegressor(n_estimators=60),
                          {"learning_rate": [0.001, 0.05]}, cv=3).fit(X, y)
    assert search.best_params_["learning_rate"] == 0.05


def test_ngb_classifier():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(900, 3))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=900) > 0, "yes", "no")
    clf = gbt.NGBClassifier(n_estimators=100, learning_rate=0.1).fit(X, y)
    assert (clf.predict(X) == y).mean() > 0.85
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(clf.classes_) == ["no", "yes"]
    three = np.digitize(X[:, 0], [-0.5, 0.5])
    multi = gbt.NGBClassifier(n_estimators=100, learning_rate=0.1).fit(X, three)
    assert multi.predict_proba(X).shape == (900, 3)
    assert (multi.predict(X) == three).mean() > 0.8
    with pytest.raises(ValueError, match="bernoulli.*2 classes"):
        gbt.NGBClassifier(distribution="bernoulli", n_estimators=5).fit(X, three)


def _censored_lognormal(n=3000, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    t = rng.lognormal(1.0 + 0.5 * X[:, 0], 0.4)
    c = rng.lognormal(1.2, 0.4, n)
    return X, np.minimum(t, c), (t <= c).astype(float), 1.0 + 0.5 * X[:, 0]


def test_survival_corrects_for_censoring():
    X, T, E, log_median = _censored_lognormal()
    assert 0.2 < E.mean() < 0.8
    surv = gbt.NGBSurvival(n_estimators=300, learning_rate=0.05).fit(X, T, E)
    naive = gbt.NGBRegressor(distribution="lognormal", n_estimators=300,
                             learning_rate=0.05).fit(X, T)
    surv_err = np.abs(surv.pred_dist(X).params["scale"] - np.exp(log_median)).mean()
    naive_err = np.abs(naive.pred_dist(X).params["scale"] - np.exp(log_median)).mean()
    assert surv_err < 0.5 * naive_err  # treating censored times as events biases low
    exp_model = gbt.NGBSurvival(distribution="exponential", n_estimators=100).fit(X, T, E)
    assert exp_model.predict(X).shape == (len(X),)
    with pytest.raises(ValueError, match="same length"):
        surv.fit(X, T, E[:-1])
    with pytest.raises(ValueError, match="0 \\(censored\\) and 1"):
        surv.fit(X, T, E * 2)


def test_bad_input_errors():
    X, y, _ = _heteroscedastic(100)
    with pytest.raises(ValueError, match="Unknown distribution 'cauchy'"):
        gbt.NGBRegressor(distribution="cauchy").fit(X, y)
    with pytest.raises(ValueError, match="not available for the studentt"):
        gbt.NGBRegressor(distribution="studentt", scoring_rule="crps").fit(X, y)
    with pytest.raises(ValueError, match="'log'.*'crps'"):
        gbt.NGBRegressor(scoring_rule="brier").fit(X, y)
    with pytest.raises(ValueError, match="labels > 0"):
        gbt.NGBRegressor(distribution="lognormal").fit(X, y)
    with pytest.raises(ValueError, match="X_val and Y_val"):
        gbt.NGBRegressor().fit(X, y, X_val=X)
    with pytest.raises(TypeError, match="distribution objective"):
        gbt.train({}, gbt.Dataset(X, y), 2).pred_dist(X)
    with pytest.raises(ValueError, match="survival"):
        get_distribution("normal", censored=True)


@pytest.mark.slow
def test_interval_coverage_on_real_data():
    """90% intervals cover about 90% of held-out rows (UCI power plant, 957 test rows per
    split: the coverage's standard error over 3 splits is about 0.6 points)."""
    from .real_data import load_uci
    X, y, (train, test) = load_uci(data_path("uci_regression/power_plant.csv.gz").parent,
                                   "power_plant")
    covered = []
    for split in range(3):
        model = gbt.NGBRegressor().fit(X[train[split]], y[train[split]])
        lo, hi = model.pred_dist(X[test[split]]).interval(0.9)
        covered.append(np.mean((lo <= y[test[split]]) & (y[test[split]] <= hi)))
    assert abs(np.mean(covered) - 0.9) < 0.03, covered


# -- split search in the parameters' own units; subsampling by default; the line search ------
def test_standardized_split_grad_scales_each_parameter_to_unit_spread():
    obj = get_objective("distribution:normal")
    rng = np.random.default_rng(3)
    w = rng.random(300) + 0.5
    nat = np.column_stack([1e-3 * rng.normal(size=300), rng.normal(size=300)])
    g, h = (nat * w[:, None]).astype(np.float32), np.repeat(w[:, None], 2, 1).astype(np.float32)
    g2, h2 = obj.split_grad(g, h)
    np.testing.assert_array_equal(h2, h)
    nat2 = g2 / h2
    mean = np.average(nat2, axis=0, weights=w)
    std = np.sqrt(np.average((nat2 - mean) ** 2, axis=0, weights=w))
    np.testing.assert_allclose(std, [1.0, 1.0], rtol=1e-5)
    # a column with no spread (e.g. a parameter already at its optimum) is left as it is
    g[:, 1] = 0.25 * h[:, 1]
    np.testing.assert_allclose(obj.split_grad(g, h)[0][:, 1], g[:, 1])
    # only under the unit hessian, and not under monotone constraints (the grower cannot)
    assert getattr(get_objective("distribution:normal", {"natural_hessian": "fisher"}),
                   "split_grad", None) is None
    assert getattr(get_objective("distribution:normal", {"monotone_constraints": [1, 0]}),
                   "split_grad", None) is None
    assert getattr(DistributionObjective(Normal(), standardize_split=False), "split_grad",
                   None) is None


def test_condensed_tree_fits_a_location_in_tiny_units():
    """naval's case: the label moves by 1e-3 while the log scale's gradient is about 1. On the
    raw natural gradients the shared tree's splits all serve the scale and the mean is barely
    fitted; standardized, both parameters get their splits."""
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, (3000, 4))
    y = 1.0 + 1e-3 * np.sin(3 * X[:, 0]) + 1e-4 * (1.0 + 2.0 * (X[:, 1] > 0)) * \
        rng.standard_normal(3000)
    params = {"objective": "distribution:normal", "learning_rate": 0.05, "max_depth": 3}
    dtrain = gbt.Dataset(X[:2000], y[:2000])
    raw_search = gbt.train(params, dtrain, 100, obj=DistributionObjective(
        Normal(), standardize_split=False))
    standardized = gbt.train(params, dtrain, 100)
    rmse = [np.sqrt(np.mean((b.predict(X[2000:]) - y[2000:]) ** 2))
            for b in (raw_search, standardized)]
    assert rmse[1] < 0.8 * rmse[0]  # the noise's own RMSE is 2.2e-4: 2.3e-4 against 3.2e-4
    nll = [-b.pred_dist(X[2000:]).logpdf(y[2000:]).mean() for b in (raw_search, standardized)]
    assert nll[1] < nll[0] - 0.2  # -7.17 against -6.78
    # the flag travels with the model file
    loaded = gbt.Booster.from_dict(raw_search.to_dict())
    assert loaded.objective.standardize_split is False
    assert gbt.Booster.from_dict(standardized.to_dict()).objective.standardize_split is True


def test_estimator_defaults_subsample_half_the_rows_and_take_a_multi_strategy():
    X, y, _ = _heteroscedastic(600)
    model = gbt.NGBRegressor(n_estimators=30, learning_rate=0.05)
    assert model.minibatch_frac == 0.5 and model.multi_strategy == "condensed"
    assert model.fit(X, y)._Booster.trees_per_iteration == 1
    full = gbt.NGBRegressor(n_estimators=30, learning_rate=0.05, minibatch_frac=1.0).fit(X, y)
    assert not np.array_equal(full.predict(X), model.predict(X))
    per_param = gbt.NGBRegressor(n_estimators=30, learning_rate=0.05,
                                 multi_strategy="one_per_output").fit(X, y)
    assert per_param._Booster.trees_per_iteration == 2
    assert gbt.NGBClassifier().minibatch_frac == 0.5
    assert gbt.NGBSurvival().get_params()["multi_strategy"] == "condensed"


def _ngboost_line_search(loss, raw, step, y, tol):
    """ngboost 0.5.11's NGBoost.line_search, written out (``loss(y, theta)``)."""
    base, scale = loss(y, raw), 1.0
    while True:
        value = loss(y, raw + scale * step)
        if not np.isfinite(value) or value > base or scale > 256:
            break
        scale *= 2
    while True:
        value = loss(y, raw + scale * step)
        norm = np.mean(np.linalg.norm(scale * step, axis=1))
        if norm < tol or (np.isfinite(value) and value < base):
            break
        scale *= 0.5
    return scale


@pytest.mark.parametrize("seed", range(6))
def test_line_search_matches_ngboost(seed):
    obj = get_objective("distribution:normal")
    rng = np.random.default_rng(seed)
    y = rng.normal(1.0, 2.0, 400)
    raw = np.column_stack([rng.normal(size=400), 0.3 * rng.normal(size=400)])
    step = rng.normal(size=(400, 2)) * [0.5, 0.2] * (1 if seed % 2 else -1)
    rows = np.sort(rng.choice(400, 200, replace=False)).astype(np.int32) if seed > 2 else None
    sub = slice(None) if rows is None else rows
    expected = _ngboost_line_search(lambda yy, t: obj.loss(yy, t, None), raw[sub], step[sub],
                                    y[sub], 1e-4)
    assert obj.line_search(y, raw, step, None, rows) == expected


# -- the compiled fast paths give what the plain numpy definitions give ------------------------
@pytest.mark.parametrize("with_rows", [False, True])
@pytest.mark.parametrize("with_weight", [False, True])
def test_normal_score_along_matches_the_numpy_score(with_rows, with_weight):
    from gbt.objectives.distributions.base import Distribution
    rng = np.random.default_rng(4)
    n = 300
    y = rng.normal(size=n)
    raw = np.column_stack([rng.normal(size=n), rng.normal(size=n)])
    raw[0, 1] = 45.0  # beyond the log-scale clip: both paths clip
    step = rng.normal(size=(n, 2))
    rows = np.sort(rng.choice(n, 120, replace=False)).astype(np.int32) if with_rows else None
    w = rng.random(n) + 0.5 if with_weight else None
    fast = Normal().score_along(y, raw, step, rows, w)
    plain = Distribution.score_along(Normal(), y, raw, step, rows, w)
    for scale in (0.0, 0.25, 1.0, 2.0, 64.0):
        assert fast(scale) == pytest.approx(plain(scale), rel=1e-12)
    # CRPS has no kernel: Normal falls back to the default
    crps = Normal().score_along(y, raw, step, rows, w, "crps")
    plain_crps = Distribution.score_along(Normal(), y, raw, step, rows, w, "crps")
    assert crps(1.0) == plain_crps(1.0)


def test_normal_natural_gradient_kernel_matches_the_closed_form():
    rng = np.random.default_rng(5)
    y, raw = rng.normal(size=200), rng.normal(size=(200, 2))
    raw[:3, 1] = [-50.0, 50.0, 0.0]  # clipped log scales stay finite
    got = Normal().natural_gradient(y, raw, "log", None)
    scale = np.exp(np.clip(raw[:, 1], -30, 30))
    z = (y - raw[:, 0]) / scale
    np.testing.assert_allclose(got, np.column_stack([raw[:, 0] - y, 0.5 * (1 - z * z)]),
                               rtol=1e-12)
    assert np.isfinite(got).all()


def test_split_grad_into_writes_what_split_grad_returns():
    from gbt.params import resolve_params
    from gbt.split_grad import GradientSketch
    obj = get_objective("distribution:normal")
    rng = np.random.default_rng(6)
    gh = np.empty((500, 2, 2), np.float32)
    gh[:, :, 0] = rng.normal(size=(500, 2)) * [1e-3, 5.0]
    gh[:, :, 1] = rng.random((500, 2)) + 0.5
    g2, h2 = obj.split_grad(gh[:, :, 0], gh[:, :, 1])
    fast = GradientSketch(obj, resolve_params({}), 2, 500)(gh, rng)
    assert fast.dtype == np.float32 and fast.shape == gh.shape
    np.testing.assert_array_equal(fast[:, :, 0], g2.astype(np.float32))
    np.testing.assert_array_equal(fast[:, :, 1], h2)
