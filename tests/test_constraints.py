"""Monotone and interaction constraints: the model's monotonicity for any input, paths inside
one allowed interaction set, parameter forms and errors, and the constrained split and grow
kernels against their naive twins / the unconstrained kernels."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gbt
from gbt._native.cpu import grow, histogram, split
from gbt.binning import BinMapper
from gbt.grower import TreeGrower
from gbt.params import resolve_feature_constraints, resolve_params

from .native.test_kernels import SPLIT_PARAMS, random_node_hist, scan_work
from .native.test_multioutput_kernels import vector_inputs


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def _max_violation(booster, X, feature, direction, n_rows=25, n_grid=40, output=None):
    """The largest step against ``direction`` when ``feature`` sweeps a grid (past the data's
    range on both sides) in each of ``n_rows`` rows, the other features held fixed."""
    lo, hi = np.nanmin(X[:, feature]), np.nanmax(X[:, feature])
    span = hi - lo
    grid = np.linspace(lo - 0.2 * span, hi + 0.2 * span, n_grid)
    rows = X[:n_rows]
    Z = np.repeat(rows, n_grid, axis=0)
    Z[:, feature] = np.tile(grid, rows.shape[0])
    p = booster.predict(Z, output_margin=True)
    if p.ndim == 2:
        p = p[:, output if output is not None else 0]
    steps = np.diff(p.reshape(rows.shape[0], n_grid), axis=1) * direction
    return max(0.0, -steps.min())


def _paths(tree):
    """The set of features on each root-to-leaf path."""
    out = []
    stack = [(0, frozenset())]
    while stack:
        node, used = stack.pop()
        if tree.left[node] == -1:
            out.append(used)
            continue
        used = used | {int(tree.feature[node])}
        stack.append((int(tree.left[node]), used))
        stack.append((int(tree.right[node]), used))
    return out


def _data(seed, n=400, p=4, missing=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, 0] - 2.0 * np.sin(2 * X[:, 1]) + X[:, 2] * X[:, min(3, p - 1)] \
        + 0.3 * rng.normal(size=n)
    if missing:
        X[rng.random(X.shape) < missing] = np.nan
    return X, y


# ------------------------------------------------------------------------------------------
# monotonicity, property tests
# ------------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000),
       constraints=st.lists(st.sampled_from([-1, 0, 1]), min_size=4, max_size=4),
       objective=st.sampled_from(["reg:squarederror", "binary:logistic"]),
       policy=st.sampled_from(["depthwise", "lossguide"]),
       missing=st.sampled_from([0.0, 0.1]))
def test_monotone_for_every_input(seed, constraints, objective, policy, missing):
    X, y = _data(seed, missing=missing)
    if objective == "binary:logistic":
        y = (y > np.median(y)).astype(float)
    params = {"objective": objective, "monotone_constraints": constraints, "max_depth": 4,
              "grow_policy": policy, "max_leaves": 12, "learning_rate": 0.3,
              "min_child_weight": 0.0, "reg_lambda": 0.5}
    booster = gbt.train(params, gbt.Dataset(X, y), 8)
    Xq = np.nan_to_num(_data(seed + 1)[0], nan=0.0)  # query rows: no missing values
    for f, c in enumerate(constraints):
        if c != 0:
            assert _max_violation(booster, Xq, f, c) <= 1e-9, (f, c)


def test_monotone_condensed_multioutput_per_output():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 3))
    Y = np.column_stack([np.sin(3 * X[:, 0]) + X[:, 1], -X[:, 0] ** 2 + X[:, 2]])
    params = {"monotone_constraints": [1, -1, 0], "multi_strategy": "condensed",
              "max_depth": 4, "learning_rate": 0.3}
    b = gbt.train(params, gbt.Dataset(X, Y), 10)
    assert b.trees[0].value.shape[1] == 2
    for k in range(2):
        assert _max_violation(b, X, 0, 1, output=k) <= 1e-9
        assert _max_violation(b, X, 1, -1, output=k) <= 1e-9


def _subtree_leaf_values(tree, node):
    stack, out = [node], []
    while stack:
        n = stack.pop()
        if tree.left[n] == -1:
            out.append(tree.value[n])
        else:
            stack += [int(tree.left[n]), int(tree.right[n])]
    return np.array(out)  # (n_leaves, K)


@pytest.mark.parametrize("multi", [False, True])
def test_every_constrained_split_separates_its_subtrees(multi):
    """The tree-level invariant behind monotonicity: below a split on a +1 feature, every leaf
    on the left is <= every leaf on the right (per output), and the reverse for -1."""
    X, y = _data(13, n=800)
    params = {"monotone_constraints": [1, -1, 0, 1], "max_depth": 6,
              "grow_policy": "lossguide", "max_leaves": 24, "min_child_weight": 0.0}
    if multi:
        y = np.column_stack([y, -X[:, 1] + np.cos(X[:, 0])])
        params["multi_strategy"] = "condensed"
    b = gbt.train(params, gbt.Dataset(X, y), 5)
    checked = 0
    for tree in b.trees:
        for n in np.flatnonzero(tree.left != -1):
            c = params["monotone_constraints"][tree.feature[n]]
            if c == 0:
                continue
            left = _subtree_leaf_values(tree, tree.left[n])
            right = _subtree_leaf_values(tree, tree.right[n])
            gap = (right.min(axis=0) - left.max(axis=0)) if c > 0 else \
                (left.min(axis=0) - right.max(axis=0))
            assert (gap >= -1e-12).all()
            checked += 1
    assert checked >= 5


def test_monotone_with_refit_objectives():
    """Refit leaves (L1, quantile) are clipped into the monotone bounds too."""
    worst = 0.0
    for seed in range(3):
        X, y = _data(seed)
        for objective in ("reg:absoluteerror", "reg:quantileerror"):
            b = gbt.train({"objective": objective, "monotone_constraints": [1, -1, 1, 0],
                           "max_depth": 4}, gbt.Dataset(X, y), 8)
            worst = max(worst, *[_max_violation(b, X, f, c) for f, c in [(0, 1), (1, -1),
                                                                          (2, 1)]])
    assert worst <= 1e-9


def test_unconstrained_model_is_not_monotone_here():
    """The property test means something: without constraints these models break the order."""
    X, y = _data(0)
    b = gbt.train({"max_depth": 4}, gbt.Dataset(X, y), 8)
    assert _max_violation(b, X, 1, 1) > 1e-3


def _monotone_problem(kind="smooth"):
    rng = np.random.default_rng(7)

    def truth(X):
        if kind == "smooth":
            return 2 * X[:, 0] + np.log1p(np.exp(2 * X[:, 1])) - 0.5 * X[:, 2] ** 3
        return 2 * X[:, 0] + np.tanh(3 * X[:, 1]) - X[:, 2] ** 3

    X, Xt = rng.uniform(-2, 2, size=(2000, 3)), rng.uniform(-2, 2, size=(2000, 3))
    return X, truth(X) + 0.3 * rng.normal(size=2000), Xt, truth(Xt) + 0.3 * rng.normal(size=2000)


def test_constraints_cost_little_on_monotone_data():
    """On data that is monotone already, the constrained model's held-out loss stays close to
    the free one's. (The "basic" method is conservative: on steeper data such as tanh(3x) it
    costs more, about as much as XGBoost's; see test_monotone_loss_like_xgboost.)"""
    X, y, Xt, yt = _monotone_problem()
    params = {"max_depth": 3, "learning_rate": 0.2}
    free = gbt.train(params, gbt.Dataset(X, y), 30)
    tied = gbt.train({**params, "monotone_constraints": (1, 1, -1)}, gbt.Dataset(X, y), 30)
    mse_free = np.mean((free.predict(Xt) - yt) ** 2)
    mse_tied = np.mean((tied.predict(Xt) - yt) ** 2)
    assert mse_tied <= 1.1 * mse_free
    for f, c in enumerate((1, 1, -1)):
        assert _max_violation(tied, X, f, c) <= 1e-9


def test_monotone_loss_like_xgboost():
    xgb = pytest.importorskip("xgboost")
    X, y, Xt, yt = _monotone_problem("steep")
    ours = gbt.train({"max_depth": 4, "learning_rate": 0.2, "monotone_constraints": "(1,1,-1)"},
                     gbt.Dataset(X, y), 60)
    theirs = xgb.train({"max_depth": 4, "eta": 0.2, "tree_method": "hist", "nthread": 1,
                        "monotone_constraints": "(1,1,-1)"}, xgb.DMatrix(X, y), 60)
    mse_ours = np.mean((ours.predict(Xt) - yt) ** 2)
    mse_theirs = np.mean((theirs.predict(xgb.DMatrix(Xt)) - yt) ** 2)
    assert mse_ours <= 1.15 * mse_theirs  # 0.157 against 0.145 when written


def test_constraint_forms_agree():
    X, y = _data(5)
    names = ["a", "b", "c", "d"]
    models = [gbt.train({"max_depth": 3, **p}, gbt.Dataset(X, y, feature_names=names), 4)
              for p in ({"monotone_constraints": [1, 0, -1, 0]},
                        {"monotone_constraints": "(1,0,-1,0)"},
                        {"monotone_constraints": {"a": 1, "c": -1}},
                        {"mc": np.array([1, 0, -1, 0])},
                        {"monotone_constraint": {0: 1, 2: -1}})]
    for m in models[1:]:
        np.testing.assert_array_equal(m.predict(X), models[0].predict(X))


def test_all_zero_constraints_equal_no_constraints():
    X, y = _data(6)
    a = gbt.train({"max_depth": 4}, gbt.Dataset(X, y), 5)
    b = gbt.train({"max_depth": 4, "monotone_constraints": [0, 0, 0, 0]}, gbt.Dataset(X, y), 5)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_model_with_constraints_saves_and_loads(tmp_path):
    X, y = _data(8)
    b = gbt.train({"max_depth": 3, "monotone_constraints": [1, 0, 0, -1],
                   "interaction_constraints": [[0, 1], [2, 3]]}, gbt.Dataset(X, y), 4)
    path = tmp_path / "m.json"
    b.save_model(path)
    b2 = gbt.Booster.load_model(path)
    np.testing.assert_array_equal(b2.predict(X), b.predict(X))


# ------------------------------------------------------------------------------------------
# interaction constraints
# ------------------------------------------------------------------------------------------

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000),
       groups=st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=3), min_size=1,
                       max_size=3),
       policy=st.sampled_from(["depthwise", "lossguide"]))
def test_interaction_paths_inside_one_set(seed, groups, policy):
    X, y = _data(seed, p=6)
    y = y + X[:, 4] * X[:, 5]
    params = {"interaction_constraints": groups, "max_depth": 5, "grow_policy": policy,
              "max_leaves": 20, "colsample_bynode": 0.8 if seed % 2 else 1.0}
    b = gbt.train(params, gbt.Dataset(X, y), 4)
    listed = set().union(*map(set, groups))
    allowed = [set(g) for g in groups] + [{f} for f in range(6) if f not in listed]
    for tree in b.trees:
        for used in _paths(tree):
            assert any(used <= s for s in allowed), (used, allowed)


def test_interaction_constraints_by_name_and_overlap():
    X, y = _data(9, p=4)
    names = ["a", "b", "c", "d"]
    # overlapping sets: a path may not hold a and c together (no set holds both)
    b = gbt.train({"max_depth": 4, "interaction_constraints": [["a", "b"], ["b", "c", "d"]]},
                  gbt.Dataset(X, y, feature_names=names), 5)
    for tree in b.trees:
        for used in _paths(tree):
            assert used <= {0, 1} or used <= {1, 2, 3}
    same = gbt.train({"max_depth": 4, "interaction_constraint": "[[0, 1], [1, 2, 3]]"},
                     gbt.Dataset(X, y, feature_names=names), 5)
    np.testing.assert_array_equal(same.predict(X), b.predict(X))


def test_interaction_singletons_give_additive_model():
    """Every feature its own set: depth-1 paths only, i.e. an additive model."""
    X, y = _data(10)
    b = gbt.train({"max_depth": 4, "interaction_constraints": [[0], [1], [2], [3]]},
                  gbt.Dataset(X, y), 5)
    for tree in b.trees:
        assert all(len(used) <= 1 for used in _paths(tree))


def test_both_constraints_together():
    X, y = _data(11)
    b = gbt.train({"max_depth": 4, "interaction_constraints": [[0, 1], [2, 3]],
                   "monotone_constraints": [1, 0, -1, 0]}, gbt.Dataset(X, y), 6)
    for tree in b.trees:
        for used in _paths(tree):
            assert used <= {0, 1} or used <= {2, 3}
    assert _max_violation(b, X, 0, 1) <= 1e-9
    assert _max_violation(b, X, 2, -1) <= 1e-9


# ------------------------------------------------------------------------------------------
# parameter validation
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, error, match", [
    ([1, 2, 0, 0], ValueError, "expected -1"),
    ([1, 0.5, 0, 0], TypeError, "expected -1"),
    ("(1,x,0)", ValueError, "monotone_constraints"),
    (3, TypeError, "monotone_constraints"),
    ({1.5: 1}, TypeError, "not a feature name"),
])
def test_monotone_form_errors(value, error, match):
    with pytest.raises(error, match=match):
        resolve_params({"monotone_constraints": value})


@pytest.mark.parametrize("value, error, match", [
    ([0, 1], TypeError, "expected a list"),
    ([[0, 1], []], ValueError, "empty"),
    ([[0, 1.5]], TypeError, "not a feature index"),
    ("[[0, 1]", ValueError, "interaction_constraints"),
    (5, TypeError, "interaction_constraints"),
])
def test_interaction_form_errors(value, error, match):
    with pytest.raises(error, match=match):
        resolve_params({"interaction_constraints": value})


@pytest.mark.parametrize("params, match", [
    ({"monotone_constraints": [1, 0]}, "has 2 entries; the data has 4 features"),
    ({"monotone_constraints": {"zz": 1}}, "unknown feature name 'zz'"),
    ({"monotone_constraints": {7: 1}}, "out of range"),
    ({"interaction_constraints": [[0, 9]]}, "out of range"),
    ({"interaction_constraints": [["a", "nope"]]}, "unknown feature name 'nope'"),
])
def test_constraints_checked_against_the_data(params, match):
    X, y = _data(1)
    with pytest.raises(ValueError, match=match):
        gbt.train(params, gbt.Dataset(X, y, feature_names=list("abcd")), 1)


def test_aliases_and_resolution():
    p = resolve_params({"mc": "(1, 0, -1)"})
    assert p["monotone_constraints"] == [1, 0, -1]
    with pytest.raises(ValueError, match="aliases"):
        resolve_params({"mc": [1], "monotone_constraint": [1]})
    p = resolve_params({"monotone_constraints": [1], "mc": [-1]})  # canonical wins
    assert p["monotone_constraints"] == [1]
    mono, inter = resolve_feature_constraints(
        resolve_params({"monotone_constraints": {"b": -1},
                        "interaction_constraints": [["c", 0], [1]]}), ["a", "b", "c"], 3)
    assert mono == [0, -1, 0] and inter == [[0, 2], [1]]
    assert resolve_feature_constraints(resolve_params({}), None, 3) == (None, None)


def test_monotone_with_split_grad_sketch_is_refused():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    Y = rng.normal(size=(200, 8))
    with pytest.raises(NotImplementedError, match="split_grad"):
        gbt.train({"multi_strategy": "condensed", "split_grad": "top_k", "split_grad_dim": 2,
                   "monotone_constraints": [1, 0, 0]}, gbt.Dataset(X, Y), 1)


# ------------------------------------------------------------------------------------------
# kernels
# ------------------------------------------------------------------------------------------

def _random_bounds(rng, K, finite):
    if not finite:
        return np.r_[np.full(K, -np.inf), np.full(K, np.inf)]
    lo = rng.normal(scale=0.3, size=K) - 0.2
    return np.r_[lo, lo + rng.uniform(0.0, 0.6, size=K)]


@pytest.mark.parametrize("params", sorted(SPLIT_PARAMS))
@pytest.mark.parametrize("K", [1, 3])
def test_find_best_split_monotone_vs_naive(params, K):
    sp = np.array(SPLIT_PARAMS[params], dtype=np.float64)
    found = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        n_rows = int(rng.integers(30, 300))
        if K == 1:
            hist3, n_bins, G, H, C = random_node_hist(rng, n_rows, 5, 16, 0.1 * (seed % 2))
            hist = np.ascontiguousarray(hist3)
            totals = np.array([G, H, C])
        else:
            X, gh, rows, n_bins = vector_inputs(rng, n_rows, 5, 16, K,
                                                missing_frac=0.1 * (seed % 2))
            hist = histogram.build_histogram_naive(X, gh, rows, 17)
            totals = np.r_[hist[0, :, :, 0].sum(0), hist[0, :, :, 1].sum(0), n_rows]
        monotone = rng.integers(-1, 2, size=5).astype(np.int8)
        bounds = _random_bounds(rng, K, seed % 3 == 0)
        mask = rng.random(5) < 0.8
        out = np.full(split.split_row_width(K), np.nan)
        split.find_best_split_monotone(hist, n_bins, mask, totals, sp, monotone, bounds,
                                       scan_work(hist), out)
        exp = split.find_best_split_monotone_naive(hist, n_bins, mask, totals, sp, monotone,
                                                   bounds)
        assert (int(out[1]), int(out[2])) == (exp[1], exp[2])
        if exp[1] >= 0:
            found += 1
            assert bool(out[3]) == bool(exp[3])
            assert out[0] == pytest.approx(exp[0], rel=1e-7, abs=1e-9)
            np.testing.assert_allclose(out[4:4 + K], exp[4], rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(out[4 + K:], exp[5], rtol=1e-9, atol=1e-9)
            # the chosen split orders the children's bounded values as its constraint says
            c = monotone[int(out[1])]
            lam, alpha, _, _, _, mds = sp
            for k in range(K):
                wl = split.bounded_weight(out[4 + k], out[4 + K + k], lam, alpha, mds,
                                          bounds[k], bounds[K + k])
                wr = split.bounded_weight(totals[k] - out[4 + k],
                                          totals[K + k] - out[4 + K + k], lam, alpha, mds,
                                          bounds[k], bounds[K + k])
                assert c * (wr - wl) >= 0
    assert found >= 3


def test_monotone_scan_without_constraints_matches_plain_scan():
    sp = np.array(SPLIT_PARAMS["plain"], dtype=np.float64)
    for seed in range(10):
        rng = np.random.default_rng(50 + seed)
        hist3, n_bins, G, H, C = random_node_hist(rng, 200, 5, 16, 0.1)
        hist = np.ascontiguousarray(hist3)
        totals = np.array([G, H, C])
        mask = np.ones(5, dtype=np.bool_)
        a = np.empty(6)
        b = np.empty(6)
        split.find_best_split(hist, n_bins, mask, totals, sp, scan_work(hist), a)
        split.find_best_split_monotone(hist, n_bins, mask, totals, sp, np.zeros(5, np.int8),
                                       _random_bounds(rng, 1, False), scan_work(hist), b)
        assert tuple(a[1:4]) == tuple(b[1:4])
        assert a[0] == pytest.approx(b[0], rel=1e-9)


def test_find_best_split_pair_monotone_equals_single():
    sp = np.array(SPLIT_PARAMS["alpha+max-delta"], dtype=np.float64)
    for seed in range(6):
        rng = np.random.default_rng(200 + seed)
        nodes = [random_node_hist(rng, int(rng.integers(40, 300)), 5, 16, 0.1) for _ in "ab"]
        hists = [np.ascontiguousarray(n[0]) for n in nodes]
        n_bins = nodes[0][1]
        totals = np.array([[G, H, C] for _, _, G, H, C in nodes])
        masks = [rng.random(5) < 0.7, np.ones(5, dtype=np.bool_)]
        monotone = rng.integers(-1, 2, size=5).astype(np.int8)
        bounds = np.array([_random_bounds(rng, 1, True), _random_bounds(rng, 1, False)])
        evaluate = np.array([True, seed % 3 != 0])
        out = np.full((2, 6), np.nan)
        split.find_best_split_pair_monotone(hists[0], hists[1], n_bins, masks[0], masks[1],
                                            totals, evaluate, sp, monotone, bounds,
                                            scan_work(hists[0]), out)
        for c in range(2):
            if not evaluate[c]:
                assert out[c, 1] == -1
                continue
            single = np.empty(6)
            split.find_best_split_monotone(hists[c], n_bins, masks[c], totals[c], sp, monotone,
                                           bounds[c], scan_work(hists[c]), single)
            np.testing.assert_array_equal(out[c], single)


def test_grow_tree_constrained_without_constraints_equals_grow_tree():
    """grow_tree and grow_tree_constrained with no constraints (or one set holding every
    feature) grow the same tree, bit for bit; the bounds stay infinite."""
    X, y = _data(12, n=600)
    d = gbt.Dataset(X, y)
    mapper = BinMapper(255)
    mapper.fit(d.features)
    Xb = mapper.transform(d.features, 1)
    gh = np.empty((600, 1, 2), dtype=np.float32)
    gh[:, 0, 0] = -(y - y.mean())
    gh[:, 0, 1] = 1.0
    g = TreeGrower(Xb, mapper.n_bins, mapper.missing_bin, resolve_params({"max_depth": 5}))
    masks = np.ones((1, 4), dtype=np.bool_)

    def run(*constraints):
        g.rows[:] = np.arange(600, dtype=np.int32)
        fn = grow.grow_tree_constrained if constraints else grow.grow_tree
        return fn(g.X, g.X_T, gh, g.rows, 600, g.n_bins, g.missing_bin, g.split_params,
                  g.max_depth, g.max_leaves, g.lossguide, masks, *constraints, g.n_chunks,
                  g.scratch, g.chunk_counts, g.chunk_buffers, g.hist_pool)

    plain = run()
    for sets in (np.zeros((0, 4), np.bool_), np.ones((1, 4), np.bool_)):
        node_int, node_float, bounds = run(np.zeros(4, np.int8), sets)
        np.testing.assert_array_equal(node_int, plain[0])
        np.testing.assert_array_equal(node_float, plain[1])
        assert np.isneginf(bounds[:, 0]).all() and np.isposinf(bounds[:, 1]).all()
    assert plain[0].shape[0] > 20


def test_estimators_take_the_constraints():
    import pandas as pd
    from sklearn.base import clone
    rng = np.random.default_rng(9)
    X = pd.DataFrame(rng.uniform(-2, 2, (800, 3)), columns=["price", "qty", "noise"])
    y = -np.sin(X["price"]) - X["price"] + X["qty"] ** 2 + rng.normal(0, 0.3, 800)
    model = gbt.GBTRegressor(n_estimators=30, max_depth=4,
                             monotone_constraints={"price": -1},
                             interaction_constraints=[["price"], ["qty", "noise"]]).fit(X, y)
    grid = np.linspace(-3, 3, 61)
    rows = X.iloc[:20].to_numpy()
    for row in rows:
        sweep = np.tile(row, (grid.size, 1))
        sweep[:, 0] = grid
        pred = model.predict(pd.DataFrame(sweep, columns=X.columns))
        assert np.all(np.diff(pred) <= 1e-12)
    assert clone(model).get_params()["monotone_constraints"] == {"price": -1}
    clf = gbt.GBTClassifier(n_estimators=5, monotone_constraints=[1, 0, 0]).fit(X, y > 0)
    assert clf.predict_proba(X).shape == (800, 2)
