"""survival:cox and survival:aft: gradients against finite differences, XGBoost agreement, the
c-index against lifelines (or a brute-force twin), training on SUPPORT2, model files, labels."""
from __future__ import annotations

import time

import numpy as np
import pytest

import gbt
from gbt.engine import evaluate
from gbt.metrics import concordance_index, get_metric
from gbt.objectives import get_objective
from gbt.objectives.survival import (AcceleratedFailureTime, CoxRegression, aft_row_nloglik,
                                     cox_grad_hess, cox_nloglik)
from tests.conftest import data_path


def _cox_labels(rng, n, n_times=5, censored=0.3):
    t = rng.integers(1, n_times + 1, n).astype(float)  # few distinct times: many ties
    return np.where(rng.random(n) < censored, -t, t)


def _numeric_grad(f, x, eps=1e-6):
    out = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        out[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


# -- Cox: gradients --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cox_gradient_is_derivative_of_partial_likelihood(seed):
    rng = np.random.default_rng(seed)
    y = _cox_labels(rng, 40)
    y[:3] = [2.0, 2.0, -2.0]  # tied events with a tied censored row
    eta = rng.normal(size=40)
    n_events = (y > 0).sum()
    g, h = cox_grad_hess(y, eta)
    g_num = _numeric_grad(lambda m: cox_nloglik(y, m) * n_events, eta)
    np.testing.assert_allclose(g, g_num, atol=1e-6)
    h_num = np.array([_numeric_grad(lambda m: cox_grad_hess(y, m)[0][i], eta)[i]
                      for i in range(eta.size)])
    np.testing.assert_allclose(h, h_num, atol=1e-6)
    # the gradient sums to zero (shift invariance) and the hessian is positive
    assert abs(g.sum()) < 1e-9
    assert (h >= 0).all()


def test_cox_shift_invariant_and_stable_for_large_margins():
    rng = np.random.default_rng(3)
    y = _cox_labels(rng, 30)
    eta = rng.normal(size=30)
    g, h = cox_grad_hess(y, eta)
    g2, h2 = cox_grad_hess(y, eta + 800.0)  # exp would overflow without the shift
    np.testing.assert_allclose(g, g2, atol=1e-9)
    np.testing.assert_allclose(h, h2, atol=1e-9)
    assert cox_nloglik(y, eta) == pytest.approx(cox_nloglik(y, eta + 800.0))


def test_cox_objective_weights_and_protocol():
    rng = np.random.default_rng(4)
    y = _cox_labels(rng, 20)
    eta = rng.normal(size=20)
    w = rng.random(20) + 0.5
    obj = get_objective("survival:cox")
    assert isinstance(obj, CoxRegression)
    assert obj.default_metric == "cox-nloglik"
    g = np.empty((20, 1), np.float32)
    h = np.empty((20, 1), np.float32)
    obj.grad_hess(y, eta[:, None], w, g, h)
    g0, h0 = cox_grad_hess(y, eta)
    np.testing.assert_allclose(g[:, 0], g0 * w, rtol=1e-6, atol=1e-7)  # XGBoost: g_i * w_i
    np.testing.assert_allclose(h[:, 0], h0 * w, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(obj.transform(eta[:, None]), np.exp(eta))
    assert obj.loss(y, eta[:, None], None) == pytest.approx(cox_nloglik(y, eta))


def test_cox_no_events():
    y = -np.arange(1.0, 6.0)
    g, h = cox_grad_hess(y, np.zeros(5))
    assert (g == 0).all() and (h == 0).all()
    assert np.isnan(cox_nloglik(y, np.zeros(5)))


def test_cox_zero_label_is_censored_at_time_zero():
    # XGBoost's convention: only label > 0 is an event
    y = np.array([0.0, 1.0, 2.0, -3.0])
    eta = np.array([0.3, -0.2, 0.1, 0.5])
    g, _ = cox_grad_hess(y, eta)
    g_censored, _ = cox_grad_hess(np.array([-1e-300, 1.0, 2.0, -3.0]), eta)
    np.testing.assert_allclose(g, g_censored)


def _xgb_one_leaf_per_row(y, eta):
    """XGBoost's Newton step -g/h of each row: one exact-greedy tree with one row per leaf."""
    xgb = pytest.importorskip("xgboost")
    n = y.size
    d = xgb.DMatrix(np.arange(n, dtype=float)[:, None], label=y, base_margin=eta)
    b = xgb.train({"objective": "survival:cox", "tree_method": "exact", "lambda": 0.0,
                   "min_child_weight": 0.0, "max_depth": 10, "eta": 1.0}, d, 1)
    return b.predict(d, output_margin=True) - eta


def test_cox_matches_xgboost_without_ties():
    rng = np.random.default_rng(5)
    n = 16
    t = rng.permutation(n) + 1.0  # distinct times
    y = np.where(rng.random(n) < 0.3, -t, t)
    y[np.argmax(np.abs(y))] = abs(y[np.argmax(np.abs(y))])  # last row an event: h > 0 all
    eta = 0.5 * rng.normal(size=n)
    g, h = cox_grad_hess(y, eta)
    ok = h > 1e-6
    step = _xgb_one_leaf_per_row(y, eta)
    np.testing.assert_allclose(step[ok], (-g / np.where(ok, h, 1))[ok], rtol=2e-4, atol=2e-4)


def test_cox_nloglik_matches_xgboost_eval():
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(6)
    y = _cox_labels(rng, 200, n_times=30)
    eta = rng.normal(size=200)
    d = xgb.DMatrix(rng.normal(size=(200, 2)), label=y, base_margin=eta)
    b = xgb.train({"objective": "survival:cox", "eval_metric": "cox-nloglik", "eta": 1e-12,
                   "max_depth": 1}, d, 1)
    theirs = float(b.eval(d).split(":")[1])
    assert get_metric("cox-nloglik")(y, eta[:, None]) == pytest.approx(theirs, rel=1e-4)


# -- c-index -----------------------------------------------------------------------------------
def _brute_cindex(time_, risk, event):
    num = den = 0.0
    for i in range(len(time_)):
        if not event[i]:
            continue
        for j in range(len(time_)):
            if time_[j] > time_[i] or (time_[j] == time_[i] and not event[j]):
                den += 1
                num += 1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0
    return num / den


@pytest.mark.parametrize("seed", [0, 1])
def test_cindex_against_brute_force_and_lifelines(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 20, 300).astype(float)
    event = rng.random(300) < 0.6
    risk = np.round(rng.normal(size=300), 1)  # tied predictions
    y = np.where(event, t, -t)
    ours = get_metric("c-index")(y, risk[:, None])
    assert ours == pytest.approx(_brute_cindex(t, risk, event), abs=1e-12)
    assert get_metric("cindex")(y, risk[:, None]) == ours
    assert get_metric("c-index").higher_is_better
    try:
        from lifelines.utils import concordance_index as lifelines_ci
    except ImportError:
        return
    assert ours == pytest.approx(lifelines_ci(t, -risk, event), abs=1e-12)


def test_cindex_fast_on_10k_rows():
    rng = np.random.default_rng(0)
    n = 10_000
    t = rng.exponential(size=n)
    event = rng.random(n) < 0.5
    risk = -t + rng.normal(size=n)
    concordance_index(t[:10], risk[:10], event[:10])  # compile / load the kernel
    t0 = time.perf_counter()
    c = concordance_index(t, risk, event)
    assert time.perf_counter() - t0 < 1.0
    assert 0.6 < c < 0.9
    assert np.isnan(concordance_index(t[:5], risk[:5], np.zeros(5, bool)))


# -- Cox: training, model files, labels ----------------------------------------------------
def _synthetic_cox(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    log_hazard = X[:, 0] - 0.5 * X[:, 1] + 0.5 * np.sin(2 * X[:, 2])
    t = rng.exponential(np.exp(-log_hazard))
    c = rng.exponential(2.0, size=n)
    y = np.where(t <= c, t, -c)
    return X, y


def test_cox_trains_and_round_trips(tmp_path):
    X, y = _synthetic_cox()
    d = gbt.Dataset(X, y)
    res = {}
    bst = gbt.train({"objective": "survival:cox", "max_depth": 3, "learning_rate": 0.1,
                     "eval_metric": ["cox-nloglik", "c-index"]}, d, 30, evals=[(d, "train")],
                    evals_result=res)
    nll = res["train"]["cox-nloglik"]
    assert nll[-1] < nll[0]
    assert res["train"]["c-index"][-1] > 0.7
    margin = bst.predict(X, output_margin=True)
    np.testing.assert_allclose(bst.predict(X), np.exp(margin), rtol=1e-6)
    path = tmp_path / "cox.json"
    bst.save_model(str(path))
    loaded = gbt.Booster.load_model(str(path))
    assert loaded.objective.name == "survival:cox"
    np.testing.assert_array_equal(loaded.predict(X), bst.predict(X))
    assert evaluate(loaded, d)["cox-nloglik"] == pytest.approx(nll[-1])


def test_cox_label_validation():
    X = np.zeros((3, 1))
    obj = get_objective("survival:cox")
    with pytest.raises(ValueError, match="finite"):
        obj.check_label(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="1-D"):
        obj.check_label(np.ones((3, 2)))
    with pytest.raises(ValueError):
        gbt.train({"objective": "survival:cox"}, gbt.Dataset(X, [1.0, np.inf, 2.0]), 1)


def test_ngboost_survival_names_still_route_to_distributions():
    from gbt.objectives import DistributionObjective
    assert isinstance(get_objective("survival:lognormal"), DistributionObjective)
    assert isinstance(get_objective("survival:cox"), CoxRegression)
    assert isinstance(get_objective("survival:aft"), AcceleratedFailureTime)


def test_cox_improves_cindex_on_support2():
    import pandas as pd
    path = data_path("survival/support2.csv.gz")
    df = pd.read_csv(path, skipinitialspace=True, index_col=0)
    feats = ["age", "num.co", "scoma", "avtisst", "sps", "aps", "meanbp", "wblc", "hrt",
             "resp", "temp", "pafi", "alb", "bili", "crea", "sod", "ph", "bun", "adlsc"]
    X = df[feats].to_numpy(np.float64)
    y = np.where(df["death"].to_numpy() == 1, 1.0, -1.0) * df["d.time"].to_numpy(np.float64)
    idx = np.random.default_rng(0).permutation(len(y))
    te, tr = idx[:1800], idx[1800:]
    dtr, dte = gbt.Dataset(X[tr], y[tr]), gbt.Dataset(X[te], y[te])
    res = {}
    gbt.train({"objective": "survival:cox", "max_depth": 3, "learning_rate": 0.1,
               "eval_metric": "c-index"}, dtr, 60, evals=[(dte, "test")], evals_result=res)
    c = res["test"]["c-index"]
    assert c[-1] > c[0] + 0.02
    assert c[-1] > 0.65


# -- AFT ---------------------------------------------------------------------------------------
def _aft_labels(rng, n):
    t = rng.lognormal(size=n)
    lower, upper = t.copy(), t.copy()
    kind = rng.integers(0, 4, n)  # 0 observed, 1 right-, 2 left-, 3 interval-censored
    upper[kind == 1] = np.inf
    lower[kind == 2] = 0.0
    lower[kind == 3] = t[kind == 3] * 0.5
    upper[kind == 3] = t[kind == 3] * 2.0
    return np.column_stack([lower, upper])


@pytest.mark.parametrize("dist", ["normal", "logistic", "extreme"])
@pytest.mark.parametrize("sigma", [0.7, 1.5])
def test_aft_gradient_is_derivative_of_loss(dist, sigma):
    rng = np.random.default_rng(7)
    y = _aft_labels(rng, 40)
    eta = np.log(np.where(np.isfinite(y[:, 1]), y[:, 1], y[:, 0]) + 0.5) + 0.3 * rng.normal(size=40)
    obj = AcceleratedFailureTime(dist, sigma)
    g, h = obj.grad_hess_1d(y, eta)
    g_num = _numeric_grad(lambda m: obj.row_loss(y, m).sum(), eta)
    h_num = np.array([_numeric_grad(lambda m: obj.grad_hess_1d(y, m)[0][i], eta)[i]
                      for i in range(eta.size)])
    inside = (np.abs(g) < 15) & (h > 1e-16) & (h < 15)  # away from XGBoost's clipping
    assert inside.sum() > 30
    np.testing.assert_allclose(g[inside], g_num[inside], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h[inside], h_num[inside], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dist", ["normal", "logistic", "extreme"])
def test_aft_far_tails_finite_and_clipped(dist):
    y = np.array([[1.0, 1.0], [1.0, np.inf], [0.0, 1.0], [0.5, 2.0]] * 2)
    eta = np.array([60.0] * 4 + [-60.0] * 4)
    g, h = AcceleratedFailureTime(dist, 1.0).grad_hess_1d(y, eta)
    assert np.isfinite(g).all() and np.isfinite(h).all()
    assert (np.abs(g) <= 15).all() and (h >= 1e-16).all() and (h <= 15).all()
    # far above the time: push the margin down; far below: up (a right-censored row far
    # above its lower bound and a left-censored row far below its upper bound are fine)
    assert g[0] > 0 and g[3] > 0 and g[2] > 0
    assert g[4] < 0 and g[5] < 0 and g[7] < 0
    assert np.isfinite(aft_row_nloglik(y, eta, dist, 1.0)).all()


def test_aft_nloglik_matches_xgboost():
    # XGBoost 3.2's aft-nloglik metric evaluates at scale 1 whatever
    # aft_loss_distribution_scale says (its objective does use the scale), so compare at 1
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(8)
    y = _aft_labels(rng, 300)
    X = rng.normal(size=(300, 3))
    eta = 0.3 * rng.normal(size=300)
    for dist in ("normal", "logistic", "extreme"):
        d = xgb.DMatrix(X, base_margin=eta)
        d.set_float_info("label_lower_bound", y[:, 0])
        d.set_float_info("label_upper_bound", y[:, 1])
        b = xgb.train({"objective": "survival:aft", "aft_loss_distribution": dist,
                       "aft_loss_distribution_scale": 1.0, "eval_metric": "aft-nloglik",
                       "eta": 1e-12, "max_depth": 1}, d, 1)
        theirs = float(b.eval(d).split(":")[1])
        obj = AcceleratedFailureTime(dist, 1.0)
        ours = get_metric("aft-nloglik", obj)(y, eta[:, None])
        assert ours == pytest.approx(theirs, rel=1e-4), dist


@pytest.mark.parametrize("dist,sigma", [("logistic", 1.0), ("normal", 1.3), ("extreme", 0.8)])
def test_aft_matches_xgboost_newton_steps(dist, sigma):
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(9)
    n = 12
    y = _aft_labels(rng, n)
    eta = 0.3 * rng.normal(size=n)
    d = xgb.DMatrix(np.arange(n, dtype=float)[:, None], base_margin=eta)
    d.set_float_info("label_lower_bound", y[:, 0])
    d.set_float_info("label_upper_bound", y[:, 1])
    b = xgb.train({"objective": "survival:aft", "aft_loss_distribution": dist,
                   "aft_loss_distribution_scale": sigma, "tree_method": "exact",
                   "lambda": 0.0, "min_child_weight": 0.0, "max_depth": 10, "eta": 1.0}, d, 1)
    step = b.predict(d, output_margin=True) - eta
    g, h = AcceleratedFailureTime(dist, sigma).grad_hess_1d(y, eta)
    np.testing.assert_allclose(step, -g / h, rtol=1e-3, atol=1e-4)


def test_aft_trains_round_trips_and_validates(tmp_path):
    rng = np.random.default_rng(10)
    n = 1500
    X = rng.normal(size=(n, 4))
    log_t = 1.0 + X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=n)
    t = np.exp(log_t)
    c = np.exp(1.0 + rng.normal(size=n))
    lower = np.minimum(t, c)
    upper = np.where(t <= c, t, np.inf)
    d = gbt.Dataset(X, label_lower_bound=lower, label_upper_bound=upper)
    res = {}
    params = {"objective": "survival:aft", "aft_loss_distribution": "normal",
              "aft_loss_distribution_scale": 0.5, "max_depth": 3, "learning_rate": 0.1,
              "eval_metric": ["aft-nloglik", "c-index"]}
    bst = gbt.train(params, d, 40, evals=[(d, "train")], evals_result=res)
    assert res["train"]["aft-nloglik"][-1] < res["train"]["aft-nloglik"][0]
    assert res["train"]["c-index"][-1] > 0.75
    np.testing.assert_allclose(bst.predict(X), np.exp(bst.predict(X, output_margin=True)),
                               rtol=1e-6)
    path = tmp_path / "aft.json"
    bst.save_model(str(path))
    loaded = gbt.Booster.load_model(str(path))
    assert loaded.objective.aft_loss_distribution_scale == 0.5
    np.testing.assert_array_equal(loaded.predict(X), bst.predict(X))
    assert evaluate(loaded, d)["aft-nloglik"] == pytest.approx(
        res["train"]["aft-nloglik"][-1])
    # label validation
    with pytest.raises(ValueError, match="lower_bound must be <="):
        gbt.Dataset(X[:2], label_lower_bound=[2.0, 1.0], label_upper_bound=[1.0, 1.0])
    with pytest.raises(ValueError, match=">= 0"):
        gbt.Dataset(X[:2], label_lower_bound=[-1.0, 1.0], label_upper_bound=[1.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        gbt.Dataset(X[:2], label_lower_bound=[np.nan, 1.0], label_upper_bound=[1.0, 1.0])
    with pytest.raises(ValueError, match="both"):
        gbt.Dataset(X[:2], label_lower_bound=[1.0, 1.0])
    with pytest.raises(ValueError, match="interval labels"):
        gbt.train(params, gbt.Dataset(X, lower), 1)
    with pytest.raises(ValueError):
        gbt.train(dict(params, aft_loss_distribution="cauchy"), d, 1)
    with pytest.raises(ValueError):
        gbt.train(dict(params, aft_loss_distribution_scale=0.0), d, 1)


def test_cv_carries_the_aft_bounds_into_its_folds():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((300, 3))
    t = np.exp(0.5 * X[:, 0] + rng.normal(0, 0.3, 300))
    upper = np.where(rng.random(300) < 0.3, np.inf, t)
    d = gbt.Dataset(X, label_lower_bound=t, label_upper_bound=upper)
    result = gbt.cv({"objective": "survival:aft", "max_depth": 3}, d, 5, nfold=3)
    assert len(result["test-aft-nloglik-mean"]) == 5
    assert result["test-aft-nloglik-mean"][-1] < result["test-aft-nloglik-mean"][0]
