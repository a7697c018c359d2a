"""Objectives: gradients by finite differences of ``loss``, hessians, init scores, labels.

``loss`` is a weighted average, so the gradient of the weighted *sum* that ``grad_hess``
writes is ``sum(weight) * d loss / d raw`` (``n * d loss / d raw`` without weights).
"""
import numpy as np
import pytest
from scipy.special import expit, softmax

from gbt.objectives import (OBJECTIVES, CallableObjective, LogisticLoss, SoftmaxLoss,
                            SquaredError, get_objective)

N = 25
EPS = 1e-5


def problem(kind, weighted, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "squared":
        obj, k = SquaredError(), 1
        y = rng.normal(size=N) * 3
    elif kind == "logistic":
        obj, k = LogisticLoss(), 1
        y = (rng.random(N) < 0.4).astype(np.float64)
    else:
        obj, k = SoftmaxLoss(num_class=4), 4
        y = rng.integers(0, 4, size=N).astype(np.float64)
    y = obj.check_label(y)
    raw = rng.normal(0, 1.5, size=(N, k))
    weight = rng.uniform(0.2, 3.0, size=N) if weighted else None
    return obj, y, raw, weight


def grad_hess(obj, y, raw, weight):
    g = np.full(raw.shape, np.nan, dtype=np.float32)
    h = np.full(raw.shape, np.nan, dtype=np.float32)
    obj.grad_hess(y, raw, weight, g, h)
    return g, h


def fd_gradient(obj, y, raw, weight):
    total = N if weight is None else weight.sum()
    out = np.empty_like(raw)
    for i in range(raw.shape[0]):
        for k in range(raw.shape[1]):
            rp, rm = raw.copy(), raw.copy()
            rp[i, k] += EPS
            rm[i, k] -= EPS
            out[i, k] = (obj.loss(y, rp, weight) - obj.loss(y, rm, weight)) / (2 * EPS)
    return out * total


@pytest.mark.parametrize("kind", ["squared", "logistic", "softmax"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_finite_differences_of_loss(kind, weighted):
    obj, y, raw, weight = problem(kind, weighted)
    g, h = grad_hess(obj, y, raw, weight)
    assert g.dtype == np.float32 and g.shape == raw.shape
    assert np.isfinite(g).all() and np.isfinite(h).all()
    assert (h > 0).all()
    np.testing.assert_allclose(g, fd_gradient(obj, y, raw, weight), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["squared", "logistic"])
@pytest.mark.parametrize("weighted", [False, True])
def test_hessian_matches_finite_differences_of_gradient(kind, weighted):
    obj, y, raw, weight = problem(kind, weighted, seed=1)
    _, h = grad_hess(obj, y, raw, weight)
    step = 1e-3
    gp, _ = grad_hess(obj, y, raw + step, weight)
    gm, _ = grad_hess(obj, y, raw - step, weight)
    fd = (gp.astype(np.float64) - gm) / (2 * step)
    np.testing.assert_allclose(h, fd, rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("weighted", [False, True])
def test_softmax_gradient_and_lightgbm_hessian(weighted):
    obj, y, raw, weight = problem("softmax", weighted, seed=2)
    g, h = grad_hess(obj, y, raw, weight)
    p = softmax(raw, axis=1)
    onehot = np.eye(4)[y.astype(int)]
    w = np.ones(N) if weight is None else weight
    np.testing.assert_allclose(g, (p - onehot) * w[:, None], rtol=1e-6, atol=1e-7)
    # K / (K - 1) p (1 - p), K = 4 classes (LightGBM's; XGBoost's 2 p (1 - p) for K = 2 only)
    np.testing.assert_allclose(h, 4 / 3 * p * (1.0 - p) * w[:, None], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-5)  # softmax gradients sum to 0


def test_weights_multiply_gradients_and_hessians():
    for kind in ("squared", "logistic", "softmax"):
        obj, y, raw, weight = problem(kind, True, seed=3)
        g1, h1 = grad_hess(obj, y, raw, None)
        gw, hw = grad_hess(obj, y, raw, weight)
        np.testing.assert_allclose(gw, g1 * weight[:, None], rtol=1e-6)
        np.testing.assert_allclose(hw, h1 * weight[:, None], rtol=1e-6)


def test_squared_and_logistic_closed_forms():
    obj, y, raw, _ = problem("squared", False)
    g, h = grad_hess(obj, y, raw, None)
    np.testing.assert_allclose(g[:, 0], raw[:, 0] - y, rtol=1e-6)
    np.testing.assert_array_equal(h, 1.0)
    assert obj.loss(y, raw, None) == pytest.approx(np.mean(0.5 * (raw[:, 0] - y) ** 2))
    obj, y, raw, _ = problem("logistic", False)
    g, h = grad_hess(obj, y, raw, None)
    p = expit(raw[:, 0])
    np.testing.assert_allclose(g[:, 0], p - y, rtol=1e-6)
    np.testing.assert_allclose(h[:, 0], p * (1 - p), rtol=1e-6)
    ll = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert obj.loss(y, raw, None) == pytest.approx(ll, rel=1e-10)


def test_logistic_extreme_margins_stay_finite():
    obj = LogisticLoss()
    y = np.array([1.0, 0.0, 1.0, 0.0])
    raw = np.array([[800.0], [-800.0], [-800.0], [800.0]])
    g, h = grad_hess(obj, y, raw, None)
    assert np.isfinite(g).all() and (h > 0).all()
    assert np.isfinite(obj.loss(y, raw, None))
    assert obj.loss(y[:2], raw[:2], None) == pytest.approx(0.0, abs=1e-12)
    assert obj.loss(y[2:], raw[2:], None) == pytest.approx(800.0, rel=1e-12)


def test_logistic_outputs_of_any_layout_get_the_gradients():
    """One-output gradients take a contiguous 1-D kernel; strided outputs (or margins) take
    the 2-D one, and both write the same values where the caller asked."""
    obj, y, raw, weight = problem("logistic", True, seed=5)
    g, h = grad_hess(obj, y, raw, weight)
    wide_g = np.full((y.size, 3), np.nan, np.float32)
    wide_h = np.full((y.size, 3), np.nan, np.float32)
    obj.grad_hess(y, np.asfortranarray(np.c_[raw, raw])[:, :1], weight, wide_g[:, 1:2],
                  wide_h[:, 1:2])
    np.testing.assert_array_equal(wide_g[:, 1], g[:, 0])
    np.testing.assert_array_equal(wide_h[:, 1], h[:, 0])
    assert np.isnan(wide_g[:, [0, 2]]).all()


def test_scale_pos_weight_scales_positive_rows():
    obj, y, raw, weight = problem("logistic", True, seed=4)
    spw = LogisticLoss(scale_pos_weight=3.0)
    g, h = grad_hess(spw, y, raw, weight)
    g_ref, h_ref = grad_hess(obj, y, raw, np.where(y == 1, 3.0 * weight, weight))
    np.testing.assert_allclose(g, g_ref, rtol=1e-6)
    np.testing.assert_allclose(h, h_ref, rtol=1e-6)
    assert get_objective("binary:logistic", {"scale_pos_weight": 3.0}).scale_pos_weight == 3.0
    p = np.average(y, weights=np.where(y == 1, 3.0 * weight, weight))
    assert spw.init_score(y, weight)[0] == pytest.approx(np.log(p / (1 - p)))


# -- init scores ------------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_init_scores(weighted):
    obj, y, _, weight = problem("squared", weighted)
    w = np.ones(N) if weight is None else weight
    s = obj.init_score(y, weight)
    assert s.shape == (1,)
    assert s[0] == pytest.approx(np.sum(w * y) / w.sum())
    # The weighted mean is where the summed gradient vanishes.
    g, _ = grad_hess(obj, y, np.full((N, 1), s[0]), weight)
    assert abs(g.sum()) < 1e-4 * w.sum()

    obj, y, _, weight = problem("logistic", weighted)
    w = np.ones(N) if weight is None else weight
    s = obj.init_score(y, weight)
    p = np.sum(w * y) / w.sum()
    assert s.shape == (1,) and s[0] == pytest.approx(np.log(p / (1 - p)))
    g, _ = grad_hess(obj, y, np.full((N, 1), s[0]), weight)
    assert abs(g.sum()) < 1e-4 * w.sum()

    obj, y, _, weight = problem("softmax", weighted)
    w = np.ones(N) if weight is None else weight
    s = obj.init_score(y, weight)
    prior = np.array([w[y == c].sum() for c in range(4)]) / w.sum()
    assert s.shape == (4,)
    assert s.sum() == pytest.approx(0.0, abs=1e-12)  # centred
    np.testing.assert_allclose(s, np.log(prior) - np.log(prior).mean())
    np.testing.assert_allclose(softmax(s), prior, rtol=1e-10)
    g, _ = grad_hess(obj, y, np.tile(s, (N, 1)), weight)
    np.testing.assert_allclose(g.sum(axis=0), 0.0, atol=1e-4 * w.sum())


def test_init_score_degenerate_labels_clipped():
    y = np.ones(10)
    s = LogisticLoss().init_score(y, None)[0]
    assert np.isfinite(s) and s > 10
    assert np.isfinite(LogisticLoss().init_score(np.zeros(10), None)[0])
    obj = SoftmaxLoss(num_class=3)
    s = obj.init_score(obj.check_label(np.array([0.0, 0.0, 1.0])), None)
    assert np.isfinite(s).all() and s[2] < s[1] < s[0]


# -- labels -----------------------------------------------------------------------------------
def test_logistic_label_validation():
    obj = LogisticLoss()
    y = np.array([0.0, 1.0, 1.0])
    assert obj.check_label(y) is y
    for bad in ([0.0, 2.0], [0.0, 0.5], [-1.0, 1.0]):
        with pytest.raises(ValueError, match=r"labels in \{0, 1\}"):
            obj.check_label(np.array(bad))


def test_softmax_label_validation_and_num_class():
    with pytest.raises(ValueError, match="integer class labels"):
        SoftmaxLoss().check_label(np.array([0.0, 1.5]))
    with pytest.raises(ValueError, match="integer class labels"):
        SoftmaxLoss().check_label(np.array([0.0, -1.0]))
    with pytest.raises(ValueError, match="Label 3 is out of range for num_class=3"):
        SoftmaxLoss(num_class=3).check_label(np.array([0.0, 3.0]))
    obj = SoftmaxLoss()
    obj.check_label(np.array([0.0, 4.0, 2.0]))
    assert obj.n_outputs(None) == 5
    single = SoftmaxLoss()
    single.check_label(np.zeros(3))
    assert single.num_class == 2  # at least two classes
    assert get_objective("multiclass", {"num_class": 7}).num_class == 7


def test_transforms():
    raw = np.random.default_rng(5).normal(size=(6, 3))
    np.testing.assert_array_equal(SquaredError().transform(raw[:, :1]), raw[:, 0])
    np.testing.assert_allclose(LogisticLoss().transform(raw[:, :1]), expit(raw[:, 0]))
    p = SoftmaxLoss(3).transform(raw)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (np.argmax(p, axis=1) == np.argmax(raw, axis=1)).all()


# -- registry and user objectives -------------------------------------------------------------
def test_get_objective_names_and_aliases():
    assert isinstance(get_objective("reg:squarederror"), SquaredError)
    for alias in ("regression", "l2", "mse", "squared_error"):
        assert isinstance(get_objective(alias), SquaredError)
    for alias in ("binary", "binary:logistic"):
        assert isinstance(get_objective(alias), LogisticLoss)
    for alias in ("multiclass", "softmax", "multi:softmax"):
        assert isinstance(get_objective(alias), SoftmaxLoss)
    assert set(OBJECTIVES) >= {"reg:squarederror", "binary:logistic", "multi:softprob"}
    with pytest.raises(ValueError, match="Unknown objective 'hinge'"):
        get_objective("hinge")
    with pytest.raises(TypeError, match="objective must be a name or a callable"):
        get_objective(3)
    mine = SquaredError()
    assert get_objective(mine) is mine


def test_callable_objective():
    def fn(y, raw):
        return raw - y, np.full_like(raw, 2.0)

    obj = get_objective(fn)
    assert isinstance(obj, CallableObjective)
    y = np.array([1.0, 2.0, 3.0])
    raw = np.zeros((3, 1))
    g, h = grad_hess(obj, y, raw, np.array([1.0, 2.0, 0.5]))
    np.testing.assert_array_equal(g[:, 0], [-1.0, -4.0, -1.5])
    np.testing.assert_array_equal(h[:, 0], [2.0, 4.0, 1.0])
    bad = CallableObjective(lambda y, r: (np.full_like(r, np.nan), np.ones_like(r)))
    with pytest.raises(ValueError, match="NaN or inf"):
        grad_hess(bad, y, raw, None)
