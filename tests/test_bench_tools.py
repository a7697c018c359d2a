"""The bench scripts' helpers: bench/kernel_cache.py (the bench scripts' Numba cache folder is
the Makefile's), bench/profile_fit.py's phase timer and bench/tree_parting.py (where two
squared-error models grown on the same edges first part), bench/bench_bins.py's summary of
its bin-count sweep and its rule table, and bench/bench_fit.py's random splits and the metric
bar judged on them."""
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import gbt
from gbt.tree import Tree

REPO = Path(__file__).resolve().parent.parent


def _bench_module(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would: dataclasses look their module up there
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


def _bench_script(name):
    """A bench script as a module, its import's changes to NUMBA_CACHE_DIR and sys.path
    undone."""
    cache_dir, path = os.environ.get("NUMBA_CACHE_DIR"), list(sys.path)
    try:
        return _bench_module(name)
    finally:
        sys.path[:] = path
        if cache_dir is None:
            os.environ.pop("NUMBA_CACHE_DIR", None)
        else:
            os.environ["NUMBA_CACHE_DIR"] = cache_dir


# -- profile_fit.py ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def profile_fit():
    return _bench_script("profile_fit")


def test_the_phase_timer_times_every_phase_of_a_fit_and_puts_each_function_back(profile_fit):
    owners = [(profile_fit._owner(spec), attribute) for _, spec, attribute in
              profile_fit.PHASES]
    originals = [getattr(owner, attribute) for owner, attribute in owners]
    X = np.random.default_rng(0).normal(size=(500, 3))
    with profile_fit.PhaseTimer() as timer:
        t0 = time.perf_counter()
        gbt.train(dict(objective="reg:squarederror", max_depth=3, n_jobs=1),
                  gbt.Dataset(X, X[:, 0]), 3)
        wall = time.perf_counter() - t0
    assert set(timer.seconds) == {phase for phase, _, _ in profile_fit.PHASES}
    assert all(seconds > 0 for seconds in timer.seconds.values())
    assert sum(timer.seconds.values()) <= wall  # no phase counted inside another
    assert [getattr(owner, attribute) for owner, attribute in owners] == originals


def test_the_profile_table_gives_shares_per_tree_times_and_no_rest_side_by_side(profile_fit):
    phases = {phase: 0.01 for phase, _, _ in profile_fit.PHASES}

    def case(kind, num_class=0):
        return SimpleNamespace(task=SimpleNamespace(kind=kind, num_class=num_class))
    profiles = {"one": {**phases, "grow kernel": 0.5, "rest": 0.2, "fit": 1.0,
                        "lightgbm": 2.0, "side_by_side": False},
                "many": {**phases, "grow kernel": 3.0, "rest": -0.1, "fit": 2.0,
                         "lightgbm": 1.0, "side_by_side": True}}
    lines = profile_fit.table(profiles, {"one": case("binary"), "many": case("multiclass", 3)},
                              trees=10)
    cells = [line.strip("| ").split(" | ") for line in lines[2:]]
    rows = {row[0]: row[1:] for row in cells}
    assert rows["grow kernel"] == ["500.0 ms (50.0%)", "3000.0 ms (150.0%)"]
    assert rows["rest"] == ["200.0 ms (20.0%)", "–"]
    assert rows["grow kernel per tree"] == ["50.00 ms", "100.00 ms"]
    assert rows["LightGBM's whole fit"] == ["2.000 s (0.50×)", "1.000 s (2.00×)"]


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


def edited(tree, edit):
    """A copy of ``tree`` through its dict form, changed by ``edit(d)``."""
    d = {name: list(v) for name, v in tree.to_dict().items()}
    edit(d)
    return Tree.from_dict(d)


def with_threshold(tree, node, threshold):
    def move(d):
        d["threshold"][node] = threshold
    return edited(tree, move)


def moved_threshold(X, tree, node):
    """A threshold for ``node`` of ``tree`` that sends other rows of the node left than its own
    does, and some rows each way."""
    column = X[node_rows(tree, X, node), tree.feature[node]]
    for q in (0.8, 0.2, 0.5):
        moved = float(np.quantile(column, q))
        if not np.array_equal(column <= moved, column <= tree.threshold[node]):
            return moved
    raise AssertionError("no other threshold moves a row")


def node_rows(tree, X, node):
    """The rows of ``X`` that reach ``node`` of ``tree``."""
    parent = {int(c): k for k in range(len(tree.left)) if tree.left[k] != -1
              for c in (tree.left[k], tree.right[k])}
    reach = np.ones(X.shape[0], dtype=bool)
    while node in parent:
        up = parent[node]
        goes_left = X[:, tree.feature[up]] <= tree.threshold[up]
        reach &= goes_left if tree.left[up] == node else ~goes_left
        node = up
    return np.flatnonzero(reach)


def test_squared_error_gain_is_the_formula():
    # GL = 1 over 1 row, GR = 3 over 4, G = 4 over 5: 1 + 9/4 - 16/5
    g, left = np.array([1.0, 2.0, -3.0, 4.0, 0.0]), np.array([True, False, False, False, False])
    assert tp.squared_error_gain(g, left) == pytest.approx(0.05, rel=1e-12)
    # shifted by 1e6 the gain does not move (the plain form gives 0.0498)
    assert tp.squared_error_gain(g + 1e6, left) == pytest.approx(0.05, rel=1e-6)
    for side in (np.zeros(5, dtype=bool), np.ones(5, dtype=bool)):  # every row one way
        assert tp.squared_error_gain(g, side) == 0.0


def test_split_gains_are_gbts_own_gains_to_float32_rounding(fitted):
    model, X, y = fitted
    tree = model.trees[0]
    exact = tp.split_gains(tree, X, gradients_before(model, X, y, 0))
    internal = tree.left != -1
    assert np.isnan(exact[~internal]).all() and internal.sum() == 7
    np.testing.assert_allclose(exact[internal], tree.gain[internal], rtol=1e-4)


@pytest.mark.parametrize("gain, rivals, expected", [
    (1.5, [5.0, 2.0], 0.5 / 1.5), (2.0, [2.0, 3.0], 0.0), (4.0, [5.0, 2.0], -0.5),
    (6.0, [], np.inf)])
def test_gap_from_the_lowest_rival(gain, rivals, expected):
    assert tp.gap_from(gain, rivals) == pytest.approx(expected)


def test_the_rivals_of_a_leaf_are_the_splits_made_while_it_was_open():
    tree = Tree(7)  # the root opens 1 and 2, node 2 then opens 3 and 4, node 1 then 5 and 6
    tree.left[:3], tree.right[:3] = [1, 5, 3], [2, 6, 4]
    assert list(tp.opened_after(tree, 2)) == [1, 2]
    assert list(tp.opened_after(tree, 4)) == [1]
    assert list(tp.opened_after(tree, 6)) == []


def test_a_model_does_not_part_from_its_own_trees(fitted):
    model, X, y = fitted
    assert tp.first_parting(model, model.trees, X, y) is None


@pytest.mark.parametrize("t", [0, 1])
def test_another_threshold_at_a_node_is_a_split_part(fitted, t):
    model, X, y = fitted
    tree = model.trees[t]
    moved = moved_threshold(X, tree, 0)
    theirs = list(model.trees)
    theirs[t] = with_threshold(tree, 0, moved)
    found = tp.first_parting(model, theirs, X, y)
    g = gradients_before(model, X, y, t)  # tree 0: on the base score
    column = X[:, tree.feature[0]]
    assert found == dict(tree=t, order=[], gbt_only=0, splits=[
        (tp.squared_error_gain(g, column <= moved),
         tp.squared_error_gain(g, column <= tree.threshold[0]))])


def test_the_first_parting_tree_is_reported(fitted):
    model, X, y = fitted
    theirs = [model.trees[0]] + [with_threshold(t, 0, moved_threshold(X, t, 0))
                                 for t in model.trees[1:]]
    assert tp.first_parting(model, theirs, X, y)["tree"] == 1


def test_every_parting_node_of_the_tree_and_none_below_one(fitted):
    model, X, y = fitted
    tree = model.trees[1]
    children = [int(tree.left[0]), int(tree.right[0])]
    assert all(tree.left[c] != -1 for c in children)
    both = with_threshold(with_threshold(tree, children[0],
                                         moved_threshold(X, tree, children[0])),
                          children[1], moved_threshold(X, tree, children[1]))
    assert len(tp.first_parting(model, [model.trees[0], both, model.trees[2]], X,
                                y)["splits"]) == 2
    # the root moved too: the children hold other rows and are not compared
    root_too = with_threshold(both, 0, moved_threshold(X, tree, 0))
    assert len(tp.first_parting(model, [model.trees[0], root_too, model.trees[2]], X,
                                y)["splits"]) == 1


def test_split_parts_keep_the_gradients_where_gbt_fares_worse(fitted):
    model, X, y = fitted
    tree = model.trees[1]
    moved = moved_threshold(X, tree, 0)
    theirs = [model.trees[0], with_threshold(tree, 0, moved), model.trees[2]]
    noise = np.random.default_rng(1).normal(scale=0.3, size=len(y))
    their_before = model.predict(X, iteration_range=(0, 1)) + noise
    found = tp.first_parting(model, theirs, X, y, their_predictions=lambda t: their_before)
    column = X[:, tree.feature[0]]
    pairs = [(tp.squared_error_gain(g, column <= moved),
              tp.squared_error_gain(g, column <= tree.threshold[0]))
             for g in (gradients_before(model, X, y, 1), their_before - y)]
    assert pairs[0] != pairs[1]
    assert found["splits"] == [min(pairs, key=lambda pair: pair[1] - pair[0])]


@pytest.fixture(scope="module")
def leaf_split(fitted):
    """Tree 2 of the model with a leaf split at the median of feature 3 there: ``(tree, leaf,
    threshold)``."""
    model, X, y = fitted
    tree = model.trees[2]
    leaf = int(np.flatnonzero(tree.left == -1)[0])
    threshold = float(np.median(X[node_rows(tree, X, leaf), 3]))
    n = len(tree.feature)

    def split_leaf(d):  # into two new leaves, n and n + 1
        for name in ("feature", "threshold", "threshold_bin", "left", "right", "value",
                     "gain", "cover", "count", "default_left"):
            d[name] += [d[name][leaf]] * 2
        d["left"][n:] = d["right"][n:] = [-1, -1]
        d["feature"][leaf], d["threshold"][leaf] = 3, threshold
        d["left"][leaf], d["right"][leaf] = n, n + 1
    return edited(tree, split_leaf), leaf, threshold


def test_a_split_only_the_other_model_makes_is_an_order_part(fitted, leaf_split):
    model, X, y = fitted
    split, leaf, threshold = leaf_split
    found = tp.first_parting(model, [*model.trees[:2], split], X, y)
    tree, g = model.trees[2], gradients_before(model, X, y, 2)
    rows = node_rows(tree, X, leaf)
    gain = tp.squared_error_gain(g[rows], X[rows, 3] <= threshold)
    rivals = [tp.squared_error_gain(g[node_rows(tree, X, k)],
                                    X[node_rows(tree, X, k), tree.feature[k]]
                                    <= tree.threshold[k])
              for k in tp.opened_after(tree, leaf)]
    assert found["tree"] == 2 and found["splits"] == [] and found["gbt_only"] == 0
    assert found["order"] == [pytest.approx(tp.gap_from(gain, rivals), rel=1e-12)]


def test_a_split_only_gbt_makes_is_counted_apart(fitted, leaf_split):
    model, X, y = fitted
    d = model.to_dict()
    d["trees"][2] = leaf_split[0].to_dict()
    ours = gbt.Booster.from_dict(d)
    assert tp.first_parting(ours, model.trees, X, y) == dict(tree=2, splits=[], order=[],
                                                              gbt_only=1)


def test_what_the_gains_do_not_cover_is_refused(fitted):
    model, X, y = fitted
    with_nan = X.copy()
    with_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        tp.first_parting(model, model.trees, with_nan, y)
    with pytest.raises(ValueError, match="3 trees against 2"):
        tp.first_parting(model, model.trees[:2], X, y)
    regularised = gbt.train(dict(objective="reg:squarederror", max_depth=2),
                            gbt.Dataset(X, y), 1)
    with pytest.raises(ValueError, match="without regularisation"):
        tp.first_parting(regularised, regularised.trees, X, y)


def test_summarise_counts_each_kind_of_part():
    def part(tree, splits=(), order=(), gbt_only=0):
        return dict(tree=tree, splits=list(splits), order=list(order), gbt_only=gbt_only)
    s = tp.summarise([None, part(4, splits=[(2.0, 2.0), (1.0, 1.001), (1.0, 1.5)], order=[0.5]),
                      part(8, splits=[(3.0, 2.0)]), part(1, order=[0.2, 1e-6]),
                      part(30, gbt_only=1), None])
    assert s["parted"] == 4 and s["first_tree"] == 6.0
    assert s["at_splits"] == 2 and s["at_least"] == 3 and s["ties"] == 1
    assert s["split_gaps"] == pytest.approx([0.0, 0.001 / 1.001, 0.5 / 1.5, 1 / 3])
    assert s["order_only"] == 1 and s["order_gaps"] == [1e-6] and s["gbt_only"] == 1
    assert tp.summarise([None])["first_tree"] is None


# -- bench_bins.py -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bench_bins():
    return _bench_script("bench_bins")


def test_the_bin_count_sweep_summary(bench_bins):
    # (max_bin, LightGBM, gbt, gbt on LightGBM's edges); LightGBM's median RMSE is 2.0 (its
    # mean is not)
    rows = [(254, 2.0, 2.004, 2.0), (255, 1.9, 1.90095, 1.9), (256, 2.3, 2.2977, 2.3023)]
    s = bench_bins.sweep_summary(rows, bar=1.001, at=255)
    np.testing.assert_allclose(s["own"], (1.0005, 0.999, 1.002))
    np.testing.assert_allclose(s["theirs"], (1.0, 1.0, 1.001))
    assert (s["within_bar"], s["counts"]) == (2, 3)  # 1.0005 and 0.999, not 1.002
    assert s["lightgbm_at"] == pytest.approx(0.95) and s["gbt_at"] == pytest.approx(0.950475)


def test_the_rule_table_gives_medians_ranges_and_counts_below_one(bench_bins):
    spread = {"protein": {"splits": 5, "greedy": [1.002, 0.998, 1.001],
                          "theirs": [0.997, 0.999, 1.004]}}
    row = bench_bins.closing_rule_lines(spread)[-1]
    assert row == ("| protein | 5 | 1.0010× | 0.9980× to 1.0020× | 1 of 3 | "
                   "0.9990× | 0.9970× to 1.0040× | 2 of 3 |")


def test_the_random_split_table_gives_each_ratio_per_set(bench_bins):
    ratios = {"protein": {"gbt": [1.002, 0.998], "theirs_own": [0.997, 1.001],
                          "theirs_lightgbm": [0.999, 0.999]}}
    row = bench_bins.random_split_lines(ratios)[-1]
    assert row == ("| protein | 2 | 1.0000× | 0.9980× to 1.0020× | 1 of 2 | 0.9990× | "
                   "0.9970× to 1.0010× | 1 of 2 | 0.9990× | 0.9990× to 0.9990× | 2 of 2 |")


# -- bench_fit.py: the metric bar on random splits ----------------------------------------------
@pytest.fixture(scope="module")
def bench_fit():
    return _bench_script("bench_fit")


def test_random_splits_are_seeded_disjoint_and_test_the_fraction(bench_fit):
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20.0)
    first = list(bench_fit.random_splits(X, y, 3, test_fraction=0.25, seed=1))
    again = list(bench_fit.random_splits(X, y, 3, test_fraction=0.25, seed=1))
    assert len(first) == 3
    for (X_tr, y_tr, X_te, y_te), repeat in zip(first, again):
        assert (len(y_tr), len(y_te)) == (15, 5)
        assert sorted(np.concatenate([y_tr, y_te])) == list(y)  # every row once
        np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay whole
        for a, b in zip((X_tr, y_tr, X_te, y_te), repeat):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0][3], first[1][3])  # each split draws anew


def _regression_summary(own, resplits):
    """A summarize_case-shaped dict: per library, its own metric and per split metrics."""
    return {name: {"metric": own[name], "resplit_metrics": resplits.get(name, [])}
            for name in own}


def test_the_metric_bar_is_judged_on_the_median_over_random_splits(bench_fit):
    task = bench_fit.Task("regression")
    own = {"gbt": 3.0075, "lightgbm": 3.0, "xgboost": 3.1}  # gbt's own: 1.0025x, over the bar
    resplits = {"gbt": [1.01, 0.99, 2.0], "lightgbm": [1.0, 1.0, 2.0],
                "xgboost": [1.0, 1.0, 2.0]}  # per split 1.01x, 0.99x, 1.0x: median 1.0x
    cell = bench_fit._metric_cell(task, _regression_summary(own, resplits))
    assert cell.startswith("PASS (median over 3 random splits: 1.0000× lightgbm, 1.0000× "
                           "xgboost; the case's own: 1.0025× lightgbm")
    resplits["lightgbm"] = [1.0, 0.98, 1.99]  # 1.01x, 1.0102x, 1.005x: median 1.01x
    cell = bench_fit._metric_cell(task, _regression_summary(own, resplits))
    assert cell.startswith("FAIL (median over 3 random splits: 1.0100× lightgbm")
    cell = bench_fit._metric_cell(task, _regression_summary(own, {}))  # none: its own metric
    assert cell == "FAIL (1.0025× lightgbm, 0.9702× xgboost)"


def test_a_classification_metric_bar_is_the_difference_within_its_allowance(bench_fit):
    task = bench_fit.Task("binary")
    summary = _regression_summary({"gbt": 0.9990, "lightgbm": 0.9995, "xgboost": 0.9985}, {})
    assert bench_fit._metric_cell(task, summary) == \
        "PASS (-0.00050 vs lightgbm, +0.00050 vs xgboost)"
    summary["lightgbm"]["metric"] = 1.0005  # 0.0015 behind: over the 0.001 allowed
    assert bench_fit._metric_cell(task, summary).startswith("FAIL (-0.00150 vs lightgbm")


def test_random_splits_need_every_split_of_a_peer(bench_fit):
    task = bench_fit.Task("regression")
    summary = _regression_summary({"gbt": 1.0, "lightgbm": 1.0},
                                  {"gbt": [1.0, 1.0], "lightgbm": [1.0]})
    assert bench_fit.resplit_gaps(task, summary) == {}
    assert bench_fit._metric_cell(task, summary) == "PASS (1.0000× lightgbm)"


def test_a_peer_without_the_random_splits_is_judged_on_the_case_metric(bench_fit):
    task = bench_fit.Task("regression")
    summary = _regression_summary({"gbt": 1.01, "lightgbm": 1.0, "xgboost": 1.0},
                                  {"gbt": [1.0, 1.0], "lightgbm": [1.0, 1.0],
                                   "xgboost": [1.0]})  # xgboost: 1.01x on the case's metric
    assert list(bench_fit.resplit_gaps(task, summary)) == ["lightgbm"]
    assert bench_fit._metric_cell(task, summary).startswith(
        "FAIL (median over 2 random splits: 1.0000× lightgbm; the case's own: 1.0100× "
        "lightgbm, 1.0100× xgboost)")


def test_score_random_splits_pairs_every_library_on_each_split(bench_fit):
    # fake libraries whose "RMSE" is a known function of the split's test rows: the test
    # label sum (gbt) and twice it (peer), so each split's pair is checkable
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)

    def fitter(scale):
        return lambda X_tr, y_tr, trees, threads, task: scale

    def predict(model, X_te, threads):
        return np.full(len(X_te), model * X_te[:, 0].sum() / 2.0)

    libs = [SimpleNamespace(name=n, fit=fitter(s), predict=predict)
            for n, s in (("gbt", 1.0), ("lightgbm", 2.0))]
    results = {lib.name: bench_fit.Runs() for lib in libs}
    case = SimpleNamespace(name="toy", task=bench_fit.Task("regression"),
                           resplit_rows=lambda: (X, y))
    bench_fit.score_random_splits(case, libs, results, 1, 1, 3, lambda msg: None)
    expected = []
    for _, _, _, y_te in bench_fit.random_splits(X, y, 3):
        # predictions: scale * sum(y_te) everywhere (X[:, 0] = 2 y); RMSE against y_te
        expected.append([np.sqrt(np.mean((s * y_te.sum() - y_te) ** 2)) for s in (1.0, 2.0)])
    np.testing.assert_allclose(results["gbt"].resplit_metrics, [e[0] for e in expected])
    np.testing.assert_allclose(results["lightgbm"].resplit_metrics, [e[1] for e in expected])


def test_the_random_split_table_gives_median_mean_range_and_counts(bench_fit):
    task = bench_fit.Task("regression")
    summary = _regression_summary({"gbt": 1.0, "lightgbm": 1.0},
                                  {"gbt": [1.0, 1.02, 0.99, 1.0008],
                                   "lightgbm": [1.0, 1.0, 1.0, 1.0]})
    case = SimpleNamespace(name="protein", task=task)
    row = bench_fit.resplit_table([(case, summary)]).splitlines()[2]
    # gaps 1.0, 1.02, 0.99, 1.0008: median 1.0004, mean 1.0027; no worse at 2 (1.0, 0.99),
    # within 1.001 at 3
    low, high = np.quantile([1.0, 1.02, 0.99, 1.0008], [0.05, 0.95])
    m_low, m_high = bench_fit.median_interval([1.0, 1.02, 0.99, 1.0008])
    assert row == (f"| protein | lightgbm | 4 | 1.0004× | {m_low:.4f}× to {m_high:.4f}× | "
                   f"1.0027× | {low:.4f}× to {high:.4f}× | 2 | 3 |")
    assert bench_fit.resplit_table([(case, _regression_summary({"gbt": 1.0}, {}))]) == \
        "_none in this run_"


def test_the_medians_interval_brackets_it_and_narrows_with_more_splits(bench_fit):
    rng = np.random.default_rng(3)
    few, many = rng.normal(1.0, 0.01, 20), rng.normal(1.0, 0.01, 400)
    for values in (few, many):
        low, high = bench_fit.median_interval(values)
        assert low <= np.median(values) <= high
    assert np.diff(bench_fit.median_interval(many)) < 0.5 * np.diff(bench_fit.median_interval(few))
    assert bench_fit.median_interval([2.0, 2.0, 2.0]) == (2.0, 2.0)


def test_resplits_must_not_be_negative(bench_fit, capsys):
    with pytest.raises(SystemExit):
        bench_fit.parse_args(["--resplits", "-1"])
    assert "--resplits must be 0 or more" in capsys.readouterr().err
