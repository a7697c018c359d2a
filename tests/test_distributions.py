"""Distributions of the NGBoost objectives: scores, gradients, metrics, marginal fits, the
natural gradient and the prediction object."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from gbt.objectives.distributions import (CENSORED, DISTRIBUTIONS, Categorical, Distribution,
                                          DistributionPrediction, Exponential, Gamma, LogNormal,
                                          NaturalGradient, Normal, get_distribution)
from gbt.objectives.distributions.natural import natural_gradient_naive

N = 6


def _labels(dist, rng, n=N):
    """Labels valid for ``dist``."""
    name = dist.name
    if dist.is_censored:
        t = rng.lognormal(0.0, 0.7, n) if name == "lognormal" else rng.exponential(1.5, n)
        return np.column_stack([t, np.arange(n) % 2]).astype(np.float64)
    if name in ("lognormal", "gamma"):
        return rng.lognormal(0.0, 0.5, n)
    if name == "exponential":
        return rng.exponential(1.5, n)
    if name == "poisson":
        return rng.poisson(3.0, n).astype(np.float64)
    if dist.is_classifier:
        return (np.arange(n) % dist.n_classes).astype(np.float64)
    return rng.normal(0.5, 1.5, n)


def _all_distributions():
    out = [get_distribution(n) for n in DISTRIBUTIONS if n != "categorical"]
    out += [Categorical(4)] + [get_distribution(n, censored=True) for n in CENSORED]
    return out


CASES = [(d, rule) for d in _all_distributions() for rule in d.rules]


def _case_id(case):
    d, rule = case
    return f"{'censored-' if d.is_censored else ''}{d.name}-{rule}"


def _finite_difference(dist, rule, y, theta, eps=1e-6):
    out = np.empty_like(theta)
    for j in range(theta.shape[1]):
        up, down = theta.copy(), theta.copy()
        up[:, j] += eps
        down[:, j] -= eps
        out[:, j] = (dist.score(y, up, rule) - dist.score(y, down, rule)) / (2 * eps)
    return out


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_d_score_matches_finite_differences(case):
    dist, rule = case
    rng = np.random.default_rng(1)
    y = _labels(dist, rng)
    theta = 0.4 * rng.standard_normal((N, dist.n_params))
    np.testing.assert_allclose(dist.d_score(y, theta, rule),
                               _finite_difference(dist, rule, y, theta), rtol=1e-5, atol=1e-6)


FISHER = [d for d in _all_distributions()]


@pytest.mark.parametrize("dist", FISHER, ids=[_case_id((d, "fisher")) for d in FISHER])
def test_fisher_matches_monte_carlo(dist):
    theta = 0.3 * np.random.default_rng(2).standard_normal((3, dist.n_params))
    closed = dist.fisher(theta)
    if closed.ndim == 2:
        closed = np.einsum("ij,jk->ijk", closed, np.eye(dist.n_params))
    mc = dist.fisher_mc(theta, n_samples=40000, random_state=3)
    np.testing.assert_allclose(mc, closed, atol=0.04 * np.abs(closed).max())


def _crps_by_integration(dist, y, theta):
    """integral of (F(x) - 1{x >= y})^2 over the support, one row at a time."""
    out = []
    for i in range(len(y)):
        frozen = dist.scipy(theta[i:i + 1])
        lo = frozen.ppf(1e-12)[0] if dist.name in ("normal", "laplace") else 0.0
        hi = frozen.ppf(1 - 1e-12)[0]
        below = integrate.quad(lambda x: frozen.cdf(x)[0] ** 2, lo, y[i], limit=200)[0]
        above = integrate.quad(lambda x: (1 - frozen.cdf(x)[0]) ** 2, y[i], hi, limit=200)[0]
        out.append(below + above)
    return np.array(out)


CRPS = [d for d in _all_distributions() if "crps" in d.rules]


@pytest.mark.parametrize("dist", CRPS, ids=[d.name for d in CRPS])
def test_crps_matches_its_definition(dist):
    rng = np.random.default_rng(4)
    y = _labels(dist, rng, 4)
    theta = 0.3 * rng.standard_normal((4, dist.n_params))
    np.testing.assert_allclose(dist.score(y, theta, "crps"), _crps_by_integration(dist, y, theta),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dist", CRPS, ids=[d.name for d in CRPS])
def test_crps_metric_is_twice_the_integral_of_cdf_gradients(dist):
    theta = 0.3 * np.random.default_rng(5).standard_normal((2, dist.n_params))
    metric = dist.crps_metric(theta)
    if metric.ndim == 2:
        metric = np.einsum("ij,jk->ijk", metric, np.eye(dist.n_params))
    eps = 1e-6
    for i in range(len(theta)):
        moved = []  # (up, down) frozen distributions per parameter
        for j in range(dist.n_params):
            up, down = theta[i:i + 1].copy(), theta[i:i + 1].copy()
            up[0, j] += eps
            down[0, j] -= eps
            moved.append((dist.scipy(up), dist.scipy(down)))

        def grad_cdf(x):
            return np.array([(u.cdf(x)[0] - d.cdf(x)[0]) / (2 * eps) for u, d in moved])
        frozen = dist.scipy(theta[i:i + 1])
        lo = frozen.ppf(1e-10)[0] if dist.name in ("normal", "laplace") else 0.0
        hi = frozen.ppf(1 - 1e-10)[0]
        for a in range(dist.n_params):
            for b in range(dist.n_params):
                value = integrate.quad(lambda x: grad_cdf(x)[a] * grad_cdf(x)[b], lo, hi,
                                       limit=200)[0]
                assert metric[i, a, b] == pytest.approx(2 * value, rel=1e-3, abs=1e-6)


MARGINAL = [
    (Normal(), {"loc": 3.0, "scale": 2.0}, lambda r, n: r.normal(3.0, 2.0, n)),
    (LogNormal(), {"s": 0.6, "scale": np.exp(1.0)}, lambda r, n: r.lognormal(1.0, 0.6, n)),
    (get_distribution("laplace"), {"loc": -1.0, "scale": 0.5},
     lambda r, n: r.laplace(-1.0, 0.5, n)),
    (get_distribution("studentt", df=5.0), {"loc": 2.0, "scale": 1.5},
     lambda r, n: 2.0 + 1.5 * r.standard_t(5.0, n)),
    (Exponential(), {"scale": 2.5}, lambda r, n: r.exponential(2.5, n)),
    (Gamma(), {"alpha": 3.0, "beta": 2.0}, lambda r, n: r.gamma(3.0, 0.5, n)),
    (get_distribution("poisson"), {"mu": 4.0}, lambda r, n: r.poisson(4.0, n).astype(float)),
    (get_distribution("bernoulli"), {"p1": 0.3}, lambda r, n: (r.random(n) < 0.3) * 1.0),
    (Categorical(3), {"p0": 0.2, "p1": 0.5, "p2": 0.3},
     lambda r, n: r.choice(3, n, p=[0.2, 0.5, 0.3]).astype(float)),
]


@pytest.mark.parametrize("dist,truth,draw", MARGINAL, ids=[m[0].name for m in MARGINAL])
def test_marginal_fit_recovers_parameters(dist, truth, draw):
    y = draw(np.random.default_rng(6), 50000)
    theta = dist.fit_marginal(y, None)
    fitted = dist.params(theta[None, :])
    for name, value in truth.items():
        assert fitted[name][0] == pytest.approx(value, rel=0.04), name


def test_weighted_marginal_fit_matches_repeated_rows():
    rng = np.random.default_rng(7)
    y = rng.gamma(2.0, 1.0, 300)
    w = rng.integers(1, 4, 300).astype(float)
    for dist in (Normal(), Gamma(), get_distribution("laplace")):
        np.testing.assert_allclose(dist.fit_marginal(y, w),
                                   dist.fit_marginal(np.repeat(y, w.astype(int)), None),
                                   rtol=1e-4, atol=1e-6)


def test_censored_marginal_fit_accounts_for_censoring():
    rng = np.random.default_rng(8)
    t = rng.lognormal(1.0, 0.5, 20000)
    c = rng.lognormal(1.0, 0.5, 20000)
    y = np.column_stack([np.minimum(t, c), (t <= c).astype(float)])
    theta = get_distribution("lognormal", censored=True).fit_marginal(y, None)
    assert theta[0] == pytest.approx(1.0, abs=0.03)  # the naive fit on min(t, c) is biased
    assert LogNormal().fit_marginal(y[:, 0], None)[0] < 0.8


def test_natural_gradient_matches_pseudo_inverse():
    rng = np.random.default_rng(9)
    grad = rng.standard_normal((50, 3))
    a = rng.standard_normal((50, 3, 3))
    full = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(3)
    # The solve damps by 1e-6 (relative), so agreement is to about cond * 1e-6.
    np.testing.assert_allclose(NaturalGradient()(grad, full), natural_gradient_naive(grad, full),
                               rtol=2e-3, atol=1e-6)
    two = full[:, :2, :2]
    np.testing.assert_allclose(NaturalGradient()(grad[:, :2], two),
                               natural_gradient_naive(grad[:, :2], two), rtol=2e-3, atol=1e-6)
    diag = rng.random((50, 2)) + 0.1
    np.testing.assert_allclose(NaturalGradient()(grad[:, :2], diag), grad[:, :2] / diag)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_singular_metric_falls_back_and_warns_once(p):
    grad = np.ones((4, p))
    metric = np.ones((4, p)) if p == 1 else np.tile(np.eye(p), (4, 1, 1))
    metric[1] = 0.0  # singular
    metric[2] = np.nan
    natural = NaturalGradient()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = natural(grad, metric)
        natural(grad, metric)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[0], grad[0], rtol=1e-5)  # healthy rows: only damping
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1


def test_extreme_parameters_stay_finite():
    theta = np.array([[0.0, 800.0], [0.0, -800.0], [1e6, 50.0]])
    y = np.array([1.0, 1.0, -1e6])
    for dist in (Normal(), LogNormal(), get_distribution("laplace"), Gamma()):
        yy = np.abs(y) + 1 if dist.name in ("lognormal", "gamma") else y
        for rule in dist.rules:
            assert np.isfinite(dist.score(yy, theta, rule)).all(), dist.name
            assert np.isfinite(dist.d_score(yy, theta, rule)).all(), dist.name


def test_prediction_object():
    theta = np.array([[0.0, 0.0], [2.0, np.log(3.0)]])
    pred = DistributionPrediction(Normal(), theta)
    np.testing.assert_allclose(pred.params["loc"], [0.0, 2.0])
    np.testing.assert_allclose(pred.scale, [1.0, 3.0])
    np.testing.assert_allclose(pred.mean(), [0.0, 2.0])
    np.testing.assert_allclose(pred.std(), [1.0, 3.0])
    np.testing.assert_allclose(pred.logpdf([0.5, 1.0]), stats.norm([0, 2], [1, 3]).logpdf([0.5, 1]))
    np.testing.assert_allclose(pred.cdf(2.0), stats.norm([0, 2], [1, 3]).cdf(2.0))
    np.testing.assert_allclose(pred.ppf(0.975), [1.959964, 2 + 3 * 1.959964], rtol=1e-6)
    lo, hi = pred.interval(0.9)
    np.testing.assert_allclose(hi - lo, 2 * 1.644854 * np.array([1.0, 3.0]), rtol=1e-6)
    draws = pred.sample(4000, random_state=0)
    assert draws.shape == (4000, 2)
    assert np.std(draws[:, 1]) == pytest.approx(3.0, rel=0.05)
    assert len(pred[1:]) == 1 and pred[1].mean()[0] == 2.0
    with pytest.raises(ValueError, match="alpha"):
        pred.interval(1.5)
    with pytest.raises(TypeError, match="class distribution"):
        pred.class_probs()
    classes = DistributionPrediction(Categorical(3), np.zeros((2, 2)))
    np.testing.assert_allclose(classes.class_probs(), np.full((2, 3), 1 / 3))
    with pytest.raises(TypeError, match="class distribution"):
        classes.mean()


def test_unknown_and_invalid_choices():
    with pytest.raises(ValueError, match="Unknown distribution 'cauchy'"):
        get_distribution("cauchy")
    with pytest.raises(ValueError, match="censored"):
        get_distribution("normal", censored=True)
    with pytest.raises(ValueError, match="not available for the gamma"):
        Gamma().score(np.ones(2), np.zeros((2, 2)), "crps")
    with pytest.raises(ValueError, match="df > 0"):
        get_distribution("studentt", df=-1)
    with pytest.raises(ValueError, match="labels > 0"):
        LogNormal().check_label(np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="non-negative integer"):
        get_distribution("poisson").check_label(np.array([1.5]))
    with pytest.raises(ValueError, match=r"\(n_samples, 2\)"):
        get_distribution("exponential", censored=True).check_label(np.ones(3))


class _NoFisherNormal(Normal):
    """A user's distribution with no closed-form Fisher information."""

    fisher = Distribution.fisher


def test_monte_carlo_fisher_is_the_fallback():
    theta = np.tile([0.0, np.log(2.0)], (500, 1))  # rows' estimates averaged: 50000 draws
    np.testing.assert_allclose(_NoFisherNormal().fisher(theta).mean(axis=0),
                               np.diag([0.25, 2.0]), atol=0.05)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_natural_gradient_solves_the_metric(case):
    """Closed-form overrides (Normal) and the generic solve agree with metric^-1 @ d_score."""
    dist, rule = case
    rng = np.random.default_rng(10)
    y = _labels(dist, rng)
    theta = 0.4 * rng.standard_normal((N, dist.n_params))
    expected = natural_gradient_naive(dist.d_score(y, theta, rule), dist.metric(theta, rule))
    # atol: the full-metric solve is damped by 1e-6 (relative)
    np.testing.assert_allclose(dist.natural_gradient(y, theta, rule, NaturalGradient()),
                               expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())
