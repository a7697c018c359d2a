"""FairGBM (binary:constrained): proxies, the Lagrangian's gradient, the multipliers' ascent,
sample weights, the estimator, model files, the command line and Adult."""
import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import gbt
from gbt.objectives.fairness import (PROXIES, FairnessObjective, Proxy, encode_groups,
                                     fairness_report, group_rates, min_max_ratio)
from tests.conftest import data_path
from tests.real_data import load_adult

TREE = dict(learning_rate=0.1, max_depth=3, n_jobs=1)


def biased_data(n=4000, seed=0):
    """Group 1's negatives score higher on a feature the label barely depends on, so an
    unconstrained model has a much higher FPR in group 1."""
    rng = np.random.default_rng(seed)
    group = (rng.random(n) < 0.4).astype(int)
    x0 = rng.standard_normal(n)
    x1 = rng.standard_normal(n) + 1.2 * group
    y = (x0 + 0.6 * x1 + 0.8 * rng.standard_normal(n) > 0.9).astype(float)
    return np.column_stack([x0, x1, rng.standard_normal(n)]), y, group


def fpr_gap(y, p, group):
    rates, _ = group_rates("FPR", y, p >= 0.5, group, 2)
    return abs(rates[0] - rates[1])


# --------------------------------------------------------------------------------------------
# Proxies and the Lagrangian's gradient
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PROXIES)
@pytest.mark.parametrize("sign", [1, -1])
def test_proxy_derivatives_match_finite_differences(name, sign):
    proxy = Proxy(name, 0.7)
    s = np.linspace(-3, 3, 41) + 0.013  # away from the kinks at s = -+0.7
    eps = 1e-6
    d1 = (proxy.value(s + eps, sign) - proxy.value(s - eps, sign)) / (2 * eps)
    d2 = (proxy.d1(s + eps, sign) - proxy.d1(s - eps, sign)) / (2 * eps)
    np.testing.assert_allclose(proxy.d1(s, sign), d1, atol=1e-6)
    np.testing.assert_allclose(proxy.d2(s, sign), d2, atol=1e-5)


def test_cross_entropy_proxy_has_its_margin_at_the_threshold():
    assert Proxy("cross_entropy", 0.5).value(np.array([0.0]))[0] == pytest.approx(0.5)
    assert Proxy("hinge", 2.0).value(np.array([0.0]))[0] == pytest.approx(2.0)


def lagrangian_naive(obj, y, group, raw, weight):
    """The model player's objective written out plainly: summed weighted log loss plus total
    weight times sum_c lambda_c * proxy constraint c (other-group maxima fixed at raw)."""
    w = np.ones(len(y)) if weight is None else weight
    W = w.sum()
    f = raw[:, 0]
    total = np.sum(w * (np.logaddexp(0, f) - y * f))
    s = f - obj.raw_threshold
    start = 0
    for fam in obj.families:
        lam = obj.multipliers[start:start + fam.n_constraints]
        start += fam.n_constraints
        label, sign = {"FPR": (0, 1), "FNR": (1, -1), "DP": (None, 1)}[fam.kind]
        rows = np.ones(len(y), bool) if label is None else y == label
        if fam.is_global:
            rate = np.sum((w * obj.proxy.value(s, sign))[rows]) / w[rows].sum()
            total += W * lam[0] * rate
            continue
        rates = np.array([np.sum((w * obj.proxy.value(s, sign))[rows & (group == g)]) /
                          w[rows & (group == g)].sum() for g in range(fam.n_groups)])
        for g in range(fam.n_groups):
            others = [h for h in range(fam.n_groups) if h != g]
            top = others[int(np.argmax(rates[others]))]
            total += W * lam[g] * (rates[top] - rates[g])
    return total


@pytest.mark.parametrize("ctype,gtype", [("FPR", None), ("FNR", None), ("FPR,FNR", "FPR"),
                                          ("DP", "FNR")])
@pytest.mark.parametrize("proxy", PROXIES)
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_is_the_lagrangians_derivative(ctype, gtype, proxy, weighted):
    rng = np.random.default_rng(3)
    n = 60
    y = (rng.random(n) < 0.4).astype(float)
    group = rng.integers(0, 3, n)
    weight = rng.uniform(0.5, 2.0, n) if weighted else None
    obj = FairnessObjective(constraint_type=ctype, global_constraint_type=gtype,
                            global_target_fpr=0.1, global_target_fnr=0.1,
                            constraint_proxy=proxy, proxy_margin=0.8)
    labels = obj.labels_of(gbt.Dataset(np.zeros((n, 1)), y, weight=weight,
                                       constraint_group=group), training=True)
    obj.multipliers = rng.uniform(0.2, 1.5, obj.multipliers.size)
    raw = rng.normal(0, 1.5, (n, 1))
    g, h = np.empty((n, 1), np.float32), np.empty((n, 1), np.float32)
    obj.grad_hess(labels, raw, weight, g, h)
    eps = 1e-5
    numeric = np.empty(n)
    for i in range(n):
        up, down = raw.copy(), raw.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (lagrangian_naive(obj, y, group, up, weight) -
                      lagrangian_naive(obj, y, group, down, weight)) / (2 * eps)
    np.testing.assert_allclose(g[:, 0], numeric, rtol=2e-4, atol=2e-4)
    p = expit(raw[:, 0])
    assert (h[:, 0] >= (1.0 if weight is None else weight) * p * (1 - p) * (1 - 1e-5)).all()


# --------------------------------------------------------------------------------------------
# Rates, constraint values and sample weights
# --------------------------------------------------------------------------------------------
def test_group_rates_and_report_match_hand_counts():
    y = np.array([0, 0, 0, 1, 1, 0, 0, 1, 1, 1], float)
    score = np.array([.9, .1, .2, .8, .3, .7, .6, .9, .2, .1])
    group = np.array(["a"] * 5 + ["b"] * 5)
    rep = fairness_report(y, score, group)
    assert rep.groups["a"]["fpr"] == pytest.approx(1 / 3)
    assert rep.groups["b"]["fpr"] == pytest.approx(1.0)
    assert rep.groups["a"]["fnr"] == pytest.approx(1 / 2)
    assert rep.groups["b"]["fnr"] == pytest.approx(2 / 3)
    assert rep.groups["a"]["positive_rate"] == pytest.approx(2 / 5)
    assert rep.ratios["fpr"] == pytest.approx(1 / 3)
    assert rep.differences["fnr"] == pytest.approx(2 / 3 - 1 / 2)
    assert "fpr" in str(rep).lower()
    assert min_max_ratio([0.0, 0.0]) == 1.0
    assert np.isnan(min_max_ratio([0.3, np.nan]))


def test_sample_weights_count_like_repeated_rows():
    X, y, group = biased_data(400)
    w = np.random.default_rng(1).integers(1, 4, len(y)).astype(float)
    raw = np.random.default_rng(2).normal(0, 1, (len(y), 1))
    obj = FairnessObjective("FPR,FNR", global_constraint_type="FPR", global_target_fpr=0.2)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    weighted = obj.constraint_values(
        obj.labels_of(gbt.Dataset(X, y, weight=w, constraint_group=group), True), raw, w)
    repeated = obj.constraint_values(
        obj.labels_of(gbt.Dataset(X[rep], y[rep], constraint_group=group[rep]), True),
        raw[rep], None)
    np.testing.assert_allclose(weighted, repeated)
    unweighted = obj.constraint_values(
        obj.labels_of(gbt.Dataset(X, y, constraint_group=group), True), raw, None)
    assert not np.allclose(weighted, unweighted)


def test_constraint_values_are_other_group_max_minus_own_rate():
    y = np.zeros(6)
    group = np.array([0, 0, 1, 1, 2, 2])
    raw = np.array([[1.], [-1.], [1.], [1.], [-1.], [-1.]])  # FPRs 0.5, 1.0, 0.0
    obj = FairnessObjective("FPR", fpr_tolerance=0.1)
    labels = obj.labels_of(gbt.Dataset(np.zeros((6, 1)), y, constraint_group=group), True)
    np.testing.assert_allclose(obj.constraint_values(labels, raw, None),
                               [1.0 - 0.5 - 0.1, 0.5 - 1.0 - 0.1, 1.0 - 0.0 - 0.1])


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------
def test_zero_multiplier_rate_is_the_unconstrained_model():
    X, y, group = biased_data(1500)
    plain = gbt.train(dict(TREE, objective="binary:logistic"), gbt.Dataset(X, y), 20)
    fair = gbt.train(dict(TREE, objective="binary:constrained", multiplier_learning_rate=0.0),
                     gbt.Dataset(X, y, constraint_group=group), 20)
    np.testing.assert_array_equal(plain.predict(X), fair.predict(X))
    assert (fair.objective.multipliers == 0).all()


def test_multipliers_stay_non_negative_and_grow_while_violated():
    X, y, group = biased_data()
    log = {}
    gbt.train(dict(TREE, objective="binary:constrained", constraint_type="FPR",
                   max_multiplier=3.0), gbt.Dataset(X, y, constraint_group=group), 40,
              evals_result=log)
    obj_log = log["objective"]
    for g in ("0", "1"):
        lam = np.array(obj_log[f"multiplier:fpr[{g}]"])
        c = np.array(obj_log[f"constraint:fpr[{g}]"])
        assert (lam >= 0).all() and (lam <= 3.0).all()
        prev = np.r_[0.0, lam[:-1]]
        grew = c > 0
        assert (lam[grew] > prev[grew]).all() or (lam[grew] == 3.0).any()
        assert (lam[c < 0] <= prev[c < 0] + 1e-12).all()
    assert max(obj_log["multiplier:fpr[0]"]) > 0  # group 0 starts with the lower FPR


@pytest.mark.parametrize("ctype,kind", [("FPR", "FPR"), ("FNR", "FNR"), ("DP", "DP")])
def test_each_constraint_narrows_its_gap_on_held_out_rows(ctype, kind):
    X, y, group = biased_data(6000, seed=4)
    Xt, yt, gt = biased_data(6000, seed=5)

    def gap(model, **kw):
        model.fit(X, y, **kw)
        rates, _ = group_rates(kind, yt, model.predict_proba(Xt)[:, 1] >= 0.5, gt, 2)
        return abs(rates[0] - rates[1])
    plain = gap(gbt.GBTClassifier(n_estimators=60, **TREE))
    fair = gap(gbt.FairGBTClassifier(constraint_type=ctype, n_estimators=60, **TREE),
               constraint_group=group)
    assert fair < 0.5 * plain


def test_global_fpr_target_is_met_on_training_rows():
    X, y, group = biased_data()
    m = gbt.FairGBTClassifier(constraint_type=None, global_constraint_type="FPR",
                              global_target_fpr=0.02, multiplier_learning_rate=5.0,
                              n_estimators=80, **TREE)
    m.fit(X, y, constraint_group=group)
    plain = gbt.GBTClassifier(n_estimators=80, **TREE).fit(X, y)
    fpr = lambda model: np.mean(model.predict_proba(X)[y == 0, 1] >= 0.5)  # noqa: E731
    assert fpr(plain) > 0.04
    assert fpr(m) < 0.03
    # a global constraint alone needs no groups: the same model without constraint_group
    alone = gbt.FairGBTClassifier(constraint_type=None, global_constraint_type="FPR",
                                  global_target_fpr=0.02, multiplier_learning_rate=5.0,
                                  n_estimators=80, **TREE).fit(X, y)
    np.testing.assert_allclose(alone.predict_proba(X), m.predict_proba(X))
    np.testing.assert_allclose(alone.multipliers_, m.multipliers_)


def test_estimator_eval_sets_use_their_own_groups_and_log_the_objective():
    X, y, group = biased_data(3000)
    Xv, yv, gv = biased_data(1000, seed=9)
    m = gbt.FairGBTClassifier(n_estimators=15, eval_metric=["auc", "fpr_ratio"], **TREE)
    m.fit(X, y, constraint_group=group, eval_set=[(Xv, yv)], eval_constraint_group=[gv])
    res = m.evals_result_
    assert len(res["validation_0"]["fpr_ratio"]) == 15
    assert set(res["objective"]) == {"constraint:fpr[0]", "constraint:fpr[1]",
                                     "multiplier:fpr[0]", "multiplier:fpr[1]"}
    p = m.predict_proba(Xv)[:, 1]
    assert res["validation_0"]["fpr_ratio"][-1] == pytest.approx(
        fairness_report(yv, p, gv).ratios["fpr"])
    np.testing.assert_array_equal(m.multipliers_, [res["objective"]["multiplier:fpr[0]"][-1],
                                                   res["objective"]["multiplier:fpr[1]"][-1]])
    assert m.fairness_report(Xv, yv, gv).ratios["fpr"] == pytest.approx(
        res["validation_0"]["fpr_ratio"][-1])


def test_early_stopping_ignores_the_objective_log():
    X, y, group = biased_data(3000)
    Xv, yv, gv = biased_data(1000, seed=9)
    m = gbt.FairGBTClassifier(n_estimators=300, early_stopping_rounds=5, eval_metric="logloss",
                              learning_rate=0.5, max_depth=6, n_jobs=1)
    m.fit(X, y, constraint_group=group, eval_set=[(Xv, yv)], eval_constraint_group=[gv])
    assert m.best_iteration_ < 290


def test_string_groups_and_model_file_round_trip(tmp_path):
    X, y, group = biased_data(2000)
    names = np.where(group == 1, "men", "women")
    m = gbt.FairGBTClassifier(constraint_type="FPR,FNR", n_estimators=10, **TREE)
    m.fit(pd.DataFrame(X, columns=["a", "b", "c"]), y, constraint_group=pd.Series(names))
    path = tmp_path / "fair.json"
    m.get_booster().save_model(path)
    loaded = gbt.Booster.load_model(path)
    assert loaded.objective.group_names == ["men", "women"]
    np.testing.assert_array_equal(loaded.objective.multipliers, m.multipliers_)
    np.testing.assert_array_equal(loaded.predict(X), m.predict_proba(X)[:, 1])


def test_sklearn_clone_and_params():
    from sklearn.base import clone
    m = gbt.FairGBTClassifier(constraint_type="DP", dp_tolerance=0.05)
    c = clone(m)
    assert c.get_params()["constraint_type"] == "DP"
    assert c.get_params()["dp_tolerance"] == 0.05


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
def test_errors_name_the_problem():
    X, y, group = biased_data(300)
    with pytest.raises(ValueError, match="constraint group"):
        gbt.train({"objective": "binary:constrained"}, gbt.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="at least 2"):
        gbt.train({"objective": "binary:constrained"},
                  gbt.Dataset(X, y, constraint_group=np.zeros(len(y))), 2)
    y_pos_in_1 = np.where(group == 1, 1.0, y)
    with pytest.raises(ValueError, match="FPR is undefined for group '1'"):
        gbt.train({"objective": "binary:constrained"},
                  gbt.Dataset(X, y_pos_in_1, constraint_group=group), 2)
    with pytest.raises(ValueError, match="constraint_type"):
        gbt.train({"objective": "binary:constrained", "constraint_type": "TPR"},
                  gbt.Dataset(X, y, constraint_group=group), 2)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        gbt.train({"objective": "binary:constrained"},
                  gbt.Dataset(X, y * 2, constraint_group=group), 2)
    with pytest.raises(ValueError, match="proxy_margin"):
        gbt.train({"objective": "binary:constrained", "proxy_margin": 0},
                  gbt.Dataset(X, y, constraint_group=group), 2)
    with pytest.raises(ValueError, match="one entry per row"):
        gbt.Dataset(X, y, constraint_group=group[:10])
    with pytest.raises(ValueError, match="NaN"):
        encode_groups(np.where(group == 1, np.nan, 0.0))
    with pytest.raises(ValueError, match="eval_constraint_group"):
        gbt.FairGBTClassifier(n_estimators=2).fit(X, y, constraint_group=group,
                                                  eval_set=[(X, y)])
    with pytest.raises(ValueError, match="needs constraint_group"):
        gbt.FairGBTClassifier(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="binary"):
        gbt.FairGBTClassifier(n_estimators=2).fit(X, np.arange(len(y)) % 3,
                                                  constraint_group=group)
    with pytest.raises(ValueError, match="'objective' names"):
        gbt.train({"objective": "binary:constrained"}, gbt.Dataset(X, y, constraint_group=group),
                  2, evals=[(gbt.Dataset(X, y, constraint_group=group), "objective")])


def test_command_line_trains_with_a_constraint_group(tmp_path):
    from gbt.cli import main
    X, y, group = biased_data(1500)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["sex"] = np.where(group == 1, "m", "f")
    df["y"] = y
    data, model = tmp_path / "d.csv", tmp_path / "m.json"
    df.to_csv(data, index=False)
    assert main(["train", str(data), "--target", "y", "--constraint-group", "sex",
                 "--num-boost-round", "20", "--set", "max_depth=3", "--out", str(model)]) == 0
    booster = gbt.Booster.load_model(model)
    assert booster.objective.name == "binary:constrained"
    assert booster.feature_names == ["a", "b", "c"]
    assert booster.objective.multipliers.max() > 0
    assert main(["train", str(data), "--target", "y", "--constraint-group", "nope",
                 "--out", str(model)]) == 2


# --------------------------------------------------------------------------------------------
# Real data
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_adult_fpr_constraint_equalises_test_fpr_at_little_auc_cost():
    from sklearn.metrics import roc_auc_score
    d = load_adult(data_path("fairness/adult.data.gz").parent)
    X, y, g, Xt, yt, gt = (d[k] for k in ("X_train", "y_train", "g_train", "X_test", "y_test",
                                          "g_test"))
    tree = dict(n_estimators=200, learning_rate=0.1, grow_policy="lossguide", max_leaves=31,
                max_depth=0, min_child_samples=20, reg_lambda=0.0)
    plain = gbt.GBTClassifier(**tree).fit(X, y)
    fair = gbt.FairGBTClassifier(constraint_type="FPR", **tree).fit(X, y, constraint_group=g)
    p0, p1 = plain.predict_proba(Xt)[:, 1], fair.predict_proba(Xt)[:, 1]
    assert fairness_report(yt, p0, gt).ratios["fpr"] < 0.4
    assert fairness_report(yt, p1, gt).ratios["fpr"] >= 0.75
    assert roc_auc_score(yt, p1) > roc_auc_score(yt, p0) - 0.015
