"""The bench scripts' helper modules: bench/kernel_cache.py (the bench scripts' Numba cache
folder is the Makefile's) and bench/tree_parting.py (where two squared-error models grown on
the same edges first part)."""
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import gbt
from gbt.tree import Tree

REPO = Path(__file__).resolve().parent.parent


def _bench_module(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kernel_cache():
    return _bench_module("kernel_cache")


needs_cksum = pytest.mark.skipif(shutil.which("cksum") is None or shutil.which("sh") is None,
                                 reason="needs the POSIX cksum and sh commands")


@needs_cksum
@pytest.mark.parametrize("data", [b"", b"a", b"hello\n", bytes(range(256)) * 300])
def test_posix_cksum_is_what_the_cksum_command_prints(data):
    printed = subprocess.run(["cksum"], input=data, capture_output=True, check=True).stdout
    assert _kernel_cache().posix_cksum(data) == int(printed.split()[0])


@needs_cksum
def test_kernel_cache_dir_is_the_makefiles_folder(monkeypatch):
    # The Makefile's KERNELS_SUM, in the C locale's (bytewise) file order.
    printed = subprocess.run(["sh", "-c", "cat gbt/_native/cpu/*.py | cksum"], cwd=REPO,
                             env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
                             capture_output=True, check=True).stdout
    module = _kernel_cache()
    expected = REPO / ".numba_cache" / printed.split()[0].decode()
    assert module.kernel_cache_dir(REPO) == expected
    # setenv first, so that teardown restores the variable even where it was unset
    monkeypatch.setenv("NUMBA_CACHE_DIR", "unused")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    module.use_kernel_cache(REPO)
    assert os.environ["NUMBA_CACHE_DIR"] == str(expected)
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/elsewhere")  # make's own setting wins
    module.use_kernel_cache(REPO)
    assert os.environ["NUMBA_CACHE_DIR"] == "/elsewhere"


# -- tree_parting.py ---------------------------------------------------------------------
tp = _bench_module("tree_parting")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 4))
    y = X[:, 0] + np.sin(2 * X[:, 1]) + 0.3 * rng.normal(size=2000)
    params = dict(objective="reg:squarederror", max_leaves=8, max_depth=0,
                  grow_policy="lossguide", learning_rate=0.3, reg_lambda=0.0,
                  min_child_weight=1e-3, n_jobs=1)
    return gbt.train(params, gbt.Dataset(X, y), 3), X, y


def gradients_before(model, X, y, t):
    before = (model.predict(X, iteration_range=(0, t)) if t
              else np.full(len(y), float(model.base_score[0])))
    return before - y


def leaf_rows(model, X, t, k):
    return np.flatnonzero(model.predict(X, pred_leaf=True)[:, t] == k)


def edited(tree, edit):
    """A copy of ``tree`` through its dict form, changed by ``edit(d)``."""
    d = {name: list(v) for name, v in tree.to_dict().items()}
    edit(d)
    return Tree.from_dict(d)


def test_squared_error_gain_is_the_formula():
    # GL = 3 over 2 rows, GR = 1 over 2, G = 4 over 4: 9/2 + 1/2 - 16/4
    assert tp.squared_error_gain([1.0, 2.0, -3.0, 4.0], [True, True, False, False]) == 1.0


@pytest.mark.parametrize("gain, expected", [(1.5, 0.5 / 1.5), (2.0, 0.0), (0.5, 1.0),
                                            (6.0, np.inf)])
def test_gap_up_to_the_nearest_gain_at_least_as_high(gain, expected):
    assert tp.gap_up_to(gain, [5.0, 1.0, 2.0]) == pytest.approx(expected)


def test_split_gains_are_gbts_own_gains_without_rounding(fitted):
    model, X, y = fitted
    tree = model.trees[0]
    exact = tp.split_gains(tree, X, gradients_before(model, X, y, 0))
    own = tree.gain[tree.left != -1]
    assert exact.size == own.size == 7
    np.testing.assert_allclose(np.sort(exact), np.sort(own), rtol=1e-4)


def test_a_model_does_not_part_from_its_own_trees(fitted):
    model, X, y = fitted
    assert tp.first_parting(model, model.trees, X, y) is None


def test_another_threshold_at_a_node_is_a_split_part(fitted):
    model, X, y = fitted
    tree = model.trees[1]
    feature, threshold = int(tree.feature[0]), float(tree.threshold[0])
    moved = float(np.quantile(X[:, feature], 0.8))
    assert not np.array_equal(X[:, feature] <= moved, X[:, feature] <= threshold)

    def move_root(d):
        d["threshold"][0] = moved
    theirs = [model.trees[0], edited(tree, move_root), model.trees[2]]
    found = tp.first_parting(model, theirs, X, y)
    g = gradients_before(model, X, y, 1)
    assert found["tree"] == 1 and found["order"] == []
    assert found["splits"] == [(tp.squared_error_gain(g, X[:, feature] <= moved),
                                tp.squared_error_gain(g, X[:, feature] <= threshold))]


@pytest.fixture(scope="module")
def leaf_split(fitted):
    """Tree 2 of the model with its first leaf split at the median of feature 3 there:
    ``(tree, leaf, the leaf's training rows, threshold)``."""
    model, X, y = fitted
    tree = model.trees[2]
    leaf = int(np.flatnonzero(tree.left == -1)[0])
    rows = leaf_rows(model, X, 2, leaf)
    threshold = float(np.median(X[rows, 3]))
    n = len(tree.feature)

    def split_leaf(d):  # into two new leaves, n and n + 1
        for name in ("feature", "threshold", "threshold_bin", "left", "right", "value",
                     "gain", "cover", "count", "default_left"):
            d[name] += [d[name][leaf]] * 2
        d["left"][n:] = d["right"][n:] = [-1, -1]
        d["feature"][leaf], d["threshold"][leaf] = 3, threshold
        d["left"][leaf], d["right"][leaf] = n, n + 1
    return edited(tree, split_leaf), leaf, rows, threshold


def test_a_split_only_the_other_model_makes_is_an_order_part(fitted, leaf_split):
    model, X, y = fitted
    split, _, rows, threshold = leaf_split
    found = tp.first_parting(model, [*model.trees[:2], split], X, y)
    g = gradients_before(model, X, y, 2)
    gain = tp.squared_error_gain(g[rows], X[rows, 3] <= threshold)
    expected = tp.gap_up_to(gain, tp.split_gains(model.trees[2], X, g))
    assert found["tree"] == 2 and found["splits"] == []
    assert found["order"] == [pytest.approx(expected, rel=1e-12)]


def test_a_split_only_gbt_makes_parts_without_a_gap(fitted, leaf_split):
    model, X, y = fitted
    d = model.to_dict()
    d["trees"][2] = leaf_split[0].to_dict()
    ours = gbt.Booster.from_dict(d)
    assert tp.first_parting(ours, model.trees, X, y) == dict(tree=2, splits=[], order=[])


def test_missing_values_are_refused(fitted):
    model, X, y = fitted
    X = X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        tp.first_parting(model, model.trees, X, y)
