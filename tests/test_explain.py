"""TreeSHAP (gbt.explain, gbt._native.cpu.shap): values and interaction values against a
brute-force Shapley computation, additivity against the raw margin for every model kind,
NaN and sparse input, threads."""
import numpy as np
import pytest
import scipy.sparse as sp

import gbt
from gbt._native.cpu import shap as kernels
from gbt.explain import ShapForest, node_weights, shap_interaction_values, shap_values
from gbt.predict import PackedForest, predict_raw
from gbt.tree import Tree

from .peer_trees import lightgbm_trees


def _nodes(trees):
    return [dict(feature=t.feature, threshold=t.threshold, default_left=t.default_left,
                 left=t.left, right=t.right, value=t.value, weight=node_weights(t))
            for t in trees]


def _naive(booster_or_trees, X, tree_output=None, base_score=0.0, n_outputs=1):
    """Brute-force values and interactions, base score added to the bias."""
    if hasattr(booster_or_trees, "trees"):
        b = booster_or_trees
        trees, tree_output, base_score, n_outputs = b.trees, b.tree_output, b.base_score, \
            b.n_outputs
    else:
        trees = booster_or_trees
    nodes = _nodes(trees)
    phi = kernels.tree_shap_naive(X, nodes, tree_output, n_outputs, X.shape[1])
    inter = kernels.tree_shap_interactions_naive(X, nodes, tree_output, n_outputs, X.shape[1])
    phi[:, :, -1] += base_score
    inter[:, :, -1, -1] += base_score
    return phi, inter


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 5))
    y = X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) + 0.5 * (X[:, 3] > 0) \
        + 0.1 * rng.standard_normal(400)
    X[rng.random(X.shape) < 0.1] = np.nan
    return X, y


# -- exact values against brute force ---------------------------------------------------------
@pytest.mark.parametrize("params", [
    {"max_depth": 4},
    {"objective": "binary:logistic", "max_depth": 3},
    # few features, deep loss-guided trees: features split on again and again along a path
    {"grow_policy": "lossguide", "max_leaves": 14, "max_depth": 0, "min_child_weight": 0.0},
])
def test_matches_brute_force(small_data, params):
    X, y = small_data
    if params.get("objective") == "binary:logistic":
        y = (y > np.median(y)).astype(float)
    features = [0, 1, 2] if params.get("grow_policy") == "lossguide" else list(range(5))
    Xs = np.ascontiguousarray(X[:, features])
    b = gbt.train({"learning_rate": 0.3, **params}, gbt.Dataset(Xs, y), 4)
    if params.get("grow_policy") == "lossguide":
        assert max(t.depth() for t in b.trees) > 4  # deep enough to repeat features
    rows = Xs[:25]
    ref_phi, ref_inter = _naive(b, rows)
    np.testing.assert_allclose(shap_values(b.trees, b.tree_output, b.base_score, rows),
                               ref_phi[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        shap_interaction_values(b.trees, b.tree_output, b.base_score, rows),
        ref_inter[:, 0], rtol=0, atol=1e-9)


def test_vector_leaves_match_brute_force(small_data):
    X, y = small_data
    Y = np.column_stack([y, X[:, 4] > 0, np.nan_to_num(X[:, 0])])
    b = gbt.train({"multi_strategy": "condensed", "max_depth": 3, "learning_rate": 0.3},
                  gbt.Dataset(X, Y), 3)
    assert b.trees[0].n_outputs == 3
    rows = X[:15]
    ref_phi, ref_inter = _naive(b, rows)
    phi = shap_values(b.trees, b.tree_output, b.base_score, rows)
    assert phi.shape == (15, 3, 6)
    np.testing.assert_allclose(phi, ref_phi, rtol=0, atol=1e-9)
    inter = shap_interaction_values(b.trees, b.tree_output, b.base_score, rows)
    assert inter.shape == (15, 3, 6, 6)
    np.testing.assert_allclose(inter, ref_inter, rtol=0, atol=1e-9)


def _hand_tree(cover, count=None):
    """x0 <= 0 ? (x1 <= 1 ? 1 : (x0 <= -1 ? 2 : 3)) : 4, missing x0 goes right."""
    t = Tree(7)
    t.feature[:] = [0, 1, -1, 0, -1, -1, -1]
    t.threshold[:] = [0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0]
    t.default_left[:] = [False, True, False, True, False, False, False]
    t.left[:] = [1, 2, -1, 4, -1, -1, -1]
    t.right[:] = [6, 3, -1, 5, -1, -1, -1]
    t.value[:, 0] = [0, 0, 1.0, 0, 2.0, 3.0, 4.0]
    t.cover[:] = cover
    if count is not None:
        t.count[:] = count
    t.validate(2)
    return t


@pytest.mark.parametrize("cover,count", [
    ([10, 6, 2, 4, 1, 3, 4], None),
    ([10, 6, 6, 0, 0, 0, 4], None),          # a zero-cover subtree (shares 0 and 0/0)
    ([10, 6, 2, 4, 4, 0, 4], None),          # a zero-cover leaf under a repeated feature
    ([0] * 7, [8, 5, 1, 4, 3, 1, 3]),        # no cover: falls back to the row counts
    ([0] * 7, [0] * 7),                      # neither: equal halves
])
def test_hand_built_trees(cover, count):
    tree = _hand_tree(cover, count)
    X = np.array([[-2.0, 0.0], [-2.0, 2.0], [-0.5, 2.0], [0.5, 0.0], [np.nan, 2.0],
                  [-0.5, np.nan], [np.nan, np.nan], [-1.0, 1.0]])
    ref_phi, ref_inter = _naive([tree, tree], X, [0, 0], 0.25)
    phi = shap_values([tree, tree], [0, 0], 0.25, X)
    np.testing.assert_allclose(phi, ref_phi[:, 0], rtol=0, atol=1e-12)
    inter = shap_interaction_values([tree, tree], [0, 0], 0.25, X)
    np.testing.assert_allclose(inter, ref_inter[:, 0], rtol=0, atol=1e-12)
    margin = np.full((len(X), 1), 0.25)
    predict_raw(PackedForest([tree, tree], [0, 0]), X, margin)
    np.testing.assert_allclose(phi.sum(axis=1), margin[:, 0], rtol=0, atol=1e-12)


def test_single_leaf_trees_only_move_the_bias():
    t = Tree(1)
    t.value[0, 0] = 0.75
    X = np.zeros((3, 2))
    phi = shap_values([t, t], [0, 0], 1.0, X)
    np.testing.assert_array_equal(phi, [[0.0, 0.0, 2.5]] * 3)
    inter = shap_interaction_values([t], [0], 1.0, X)
    expected = np.zeros((3, 3, 3))
    expected[:, 2, 2] = 1.75
    np.testing.assert_array_equal(inter, expected)


# -- additivity on real model kinds -----------------------------------------------------------
def _check_additive(b, X, contribs):
    margin = b.predict(X, output_margin=True)
    np.testing.assert_allclose(contribs.sum(axis=-1), margin, rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def class_data():
    from sklearn.datasets import make_classification
    X, y = make_classification(1500, 8, n_informative=5, n_classes=3, random_state=0)
    X[np.random.default_rng(1).random(X.shape) < 0.08] = np.nan
    return X, y.astype(float)


@pytest.mark.parametrize("kind", ["regression", "binary", "softprob", "condensed"])
def test_contributions_add_up_to_the_margin(class_data, kind):
    X, y = class_data
    params = {"grow_policy": "lossguide", "max_leaves": 24, "max_depth": 0,
              "learning_rate": 0.2}
    if kind == "regression":
        params["objective"] = "reg:squarederror"
        y = y + np.nan_to_num(X[:, 0])
    elif kind == "binary":
        params["objective"] = "binary:logistic"
        y = (y > 0).astype(float)
    else:
        params.update(objective="multi:softprob", num_class=3)
        if kind == "condensed":
            params["multi_strategy"] = "condensed"
    b = gbt.train(params, gbt.Dataset(X, y), 15)
    if kind == "softprob":
        assert len(b.trees) == 45 and all(t.n_outputs == 1 for t in b.trees)
    if kind == "condensed":
        assert len(b.trees) == 15 and all(t.n_outputs == 3 for t in b.trees)
    rows = X[:300]
    phi = shap_values(b.trees, b.tree_output, b.base_score, rows, n_threads=2)
    multi = kind in ("softprob", "condensed")
    assert phi.shape == ((300, 3, 9) if multi else (300, 9))
    assert np.isnan(rows).any()
    _check_additive(b, rows, phi)
    # the bias is the same for every row: base score + cover-weighted mean leaf values
    bias = phi[..., -1]
    np.testing.assert_array_equal(bias, np.broadcast_to(bias[0], bias.shape))
    # threads do not change a bit
    np.testing.assert_array_equal(
        phi, shap_values(b.trees, b.tree_output, b.base_score, rows, n_threads=1))
    # sparse input: absent entries are missing, as in prediction
    dense = rows.copy()
    dense[np.random.default_rng(2).random(dense.shape) < 0.3] = np.nan
    keep = ~np.isnan(dense)
    r, c = np.nonzero(keep)
    csr = sp.csr_matrix((dense[keep], (r, c)), shape=dense.shape)
    phi_sparse = shap_values(b.trees, b.tree_output, b.base_score, csr)
    np.testing.assert_array_equal(phi_sparse,
                                  shap_values(b.trees, b.tree_output, b.base_score, dense))
    _check_additive(b, csr, phi_sparse)
    # interactions: rows sum to the values, symmetric, bias in the corner only
    inter = shap_interaction_values(b.trees, b.tree_output, b.base_score, rows[:40],
                                    n_threads=2)
    assert inter.shape == ((40, 3, 9, 9) if multi else (40, 9, 9))
    np.testing.assert_allclose(inter.sum(axis=-1), phi[:40], rtol=0, atol=1e-9)
    np.testing.assert_allclose(inter, np.swapaxes(inter, -1, -2), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(inter[..., -1, :-1], 0.0)
    np.testing.assert_array_equal(inter[..., :-1, -1], 0.0)


def test_shap_forest_reuse_float32_and_errors(small_data):
    X, y = small_data
    b = gbt.train({"max_depth": 3}, gbt.Dataset(X, y), 5)
    forest = ShapForest(b.trees, b.tree_output)
    a = shap_values(forest, None, b.base_score, X[:50])
    np.testing.assert_array_equal(a, shap_values(b.trees, b.tree_output, b.base_score, X[:50]))
    X32 = X[:50].astype(np.float32)
    _check_additive(b, X32, shap_values(forest, None, b.base_score, X32))
    read_only = np.asfortranarray(X[:50])
    read_only.flags.writeable = False
    np.testing.assert_array_equal(shap_values(forest, None, b.base_score, read_only), a)
    assert len(kernels.tree_shap.signatures) == 1  # float32, F order, read-only: no new one
    assert forest.expected_value.shape == (1,)
    with pytest.raises(ValueError, match="features"):
        shap_values(forest, None, b.base_score, X[:5, :2])
    with pytest.raises(ValueError, match="tree_output"):
        shap_values(b.trees, [0], b.base_score, X[:5])


# -- against LightGBM's own TreeSHAP on the same (converted) trees ----------------------------


def test_equals_lightgbm_pred_contrib_on_deep_trees():
    lgb = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3000, 6))
    y = X[:, 0] * X[:, 1] + np.sin(3 * X[:, 2]) + X[:, 3] + 0.3 * rng.standard_normal(3000)
    X[rng.random(X.shape) < 0.05] = np.nan  # NaN in every feature: missing_type NaN
    model = lgb.train({"num_leaves": 63, "min_child_samples": 3, "verbose": -1,
                       "num_threads": 1}, lgb.Dataset(X, y), 10)
    trees = lightgbm_trees(model)
    assert max(t.depth() for t in trees) >= 10
    rows = X[:200]
    ours = shap_values(trees, [0] * len(trees), 0.0, rows)
    theirs = model.predict(rows, pred_contrib=True, num_threads=1)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def _random_tree(rng, n_features, n_leaves, n_outputs=1):
    """A random tree grown by splitting random leaves (deep, unbalanced paths that split on
    the same features again and again), random covers (some zero), random missing sides."""
    feature, threshold, left, right, cover = [-1], [0.0], [-1], [-1], [1.0]
    leaves = [0]
    while len(leaves) < n_leaves:
        # favour the newest leaves: long chains
        k = leaves.pop(len(leaves) - 1 - int(rng.integers(0, min(3, len(leaves)))))
        feature[k], threshold[k] = int(rng.integers(n_features)), float(rng.normal())
        for side in (left, right):
            side[k] = len(feature)
            leaves.append(len(feature))
            feature.append(-1)
            threshold.append(0.0)
            left.append(-1)
            right.append(-1)
            cover.append(0.0 if rng.random() < 0.05 else float(rng.uniform(0.1, 5.0)))
    t = Tree(len(feature), n_outputs)
    t.feature[:], t.threshold[:] = feature, threshold
    t.left[:], t.right[:] = left, right
    t.default_left[:] = rng.random(len(feature)) < 0.5
    t.cover[:] = cover
    t.value[:] = rng.normal(size=t.value.shape)
    t.validate(n_features)
    return t


@pytest.mark.parametrize("seed,n_features,n_leaves,n_outputs", [
    (0, 3, 60, 1), (1, 4, 40, 2), (2, 6, 25, 1), (3, 2, 90, 1)])
def test_random_deep_trees_match_brute_force(seed, n_features, n_leaves, n_outputs):
    rng = np.random.default_rng(seed)
    trees = [_random_tree(rng, n_features, n_leaves, n_outputs) for _ in range(3)]
    assert max(t.depth() for t in trees) >= 12
    X = rng.normal(size=(12, n_features))
    X[rng.random(X.shape) < 0.15] = np.nan
    X[0] = trees[0].threshold[0]  # values exactly on a threshold
    base = rng.normal(size=n_outputs)
    ref_phi, ref_inter = _naive(trees, X, [0] * 3, base, n_outputs)
    phi = shap_values(trees, [0] * 3, base, X, n_threads=2)
    inter = shap_interaction_values(trees, [0] * 3, base, X, n_threads=2)
    if n_outputs == 1:
        ref_phi, ref_inter = ref_phi[:, 0], ref_inter[:, 0]
    np.testing.assert_allclose(phi, ref_phi, rtol=0, atol=1e-9)
    np.testing.assert_allclose(inter, ref_inter, rtol=0, atol=1e-9)


def test_booster_predict_pred_contribs_and_interactions():
    import pandas as pd
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.standard_normal((300, 4)), columns=list("abcd"))
    X.iloc[::7, 1] = np.nan
    y = (X["a"] + X["b"].fillna(0) * X["c"] > 0).astype(int)
    booster = gbt.train({"objective": "binary:logistic", "max_depth": 3}, gbt.Dataset(X, y), 12)
    contribs = booster.predict(X, pred_contribs=True)
    assert contribs.shape == (300, 5)
    np.testing.assert_allclose(contribs.sum(axis=1), booster.predict(X, output_margin=True),
                               atol=1e-9)
    first = booster.predict(X, pred_contribs=True, iteration_range=(0, 4))
    np.testing.assert_allclose(first.sum(axis=1),
                               booster.predict(X, output_margin=True, iteration_range=(0, 4)),
                               atol=1e-9)
    inter = booster.predict(X.iloc[:20], pred_interactions=True)
    assert inter.shape == (20, 5, 5)
    np.testing.assert_allclose(inter.sum(axis=2), contribs[:20], atol=1e-9)
    # columns in another order are put right, as for predictions
    np.testing.assert_allclose(booster.predict(X[list("dcba")], pred_contribs=True), contribs)
