"""The GPU backend (device="cuda").

Three kinds of test:
- the batched device tree loop (gbt._native.gpu.grow) driven by numpy reference kernels gives
  the CPU kernel's trees: runs everywhere, so CI checks the loop's bookkeeping;
- CUDA kernels against the Numba kernels on identical binned inputs, and whole fits against
  the CPU path (identical tree structure, predictions equal to float rounding): skipped with
  the reason where CuPy or a GPU is missing;
- without a GPU, device="cuda" raises a clear error and device="auto" falls back with a warning.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import gbt
from gbt._native.cpu import grow as cpu_grow
from gbt._native.cpu.histogram import build_histogram
from gbt._native.cpu.split import SPLIT_PARAM_NAMES, find_best_split, scan_work_rows
from gbt._native.gpu import _probe, cuda_available
from gbt._native.gpu.grow import DeviceTreeGrower
from gbt._native.gpu.levels import LevelTables, level_sizes
from gbt.binning import BinMapper
from gbt.data import to_feature_matrix
from gbt._native.gpu.kernels import node_records
from gbt.params import resolve_params
from gbt.predict import PackedForest, predict_raw
from gbt.tree import Tree

from .gpu_reference import ReferenceKernels

HAVE_CUDA = cuda_available()
needs_cuda = pytest.mark.skipif(not HAVE_CUDA, reason=f"no usable GPU: {_probe()[1]}")
DEVICES = ["cpu", pytest.param("cuda", marks=needs_cuda)]


def _binned(n=3000, p=8, K=1, seed=0, missing=0.05, max_bin=63):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 3] = np.round(X[:, 3])  # few distinct values
    X[rng.random(X.shape) < missing] = np.nan
    mapper = BinMapper(max_bin)
    features = to_feature_matrix(X)
    mapper.fit(features)
    Xb = mapper.transform(features)
    Z = np.nan_to_num(X)
    signal = np.sin(2 * Z[:, :K]) + Z[:, 1:2] * Z[:, 2:3].clip(0) + (Z[:, 3:4] > 0)
    gh = np.empty((n, K, 2), dtype=np.float32)
    gh[:, :, 0] = -(signal + 0.3 * rng.standard_normal((n, K)))
    gh[:, :, 1] = 0.5 + rng.random((n, K))
    return X, Xb, mapper, gh


def _split_params(**over):
    params = resolve_params(over)
    return params, np.array([float(params[n]) for n in SPLIT_PARAM_NAMES])


def _cpu_tree(Xb, mapper, gh, params, split_params, masks, rows=None):
    n, p = Xb.shape
    m = n if rows is None else rows.size
    all_rows = np.arange(n, dtype=np.int32)
    if rows is not None:
        all_rows[:m] = rows
    from numba import typed, types
    pool = typed.List.empty_list(types.float64[:, :, :, ::1])
    K = gh.shape[1]
    node_int, node_float, _ = cpu_grow.grow_tree_constrained(
        Xb, np.ascontiguousarray(Xb.T), gh, all_rows, m, mapper.n_bins, mapper.missing_bin,
        split_params, params["max_depth"], params["max_leaves"],
        params["grow_policy"] == "lossguide", masks, np.zeros(p, np.int8),
        np.zeros((0, p), np.bool_), 2, np.empty(n, np.int32), np.empty(2, np.int64),
        np.zeros((2, p, mapper.missing_bin + 1, K, 2)), pool)
    leaf = np.full(n, -1, dtype=np.int32)
    cpu_grow.leaf_of_rows(all_rows, node_int, leaf)
    return node_int, node_float, leaf


def _device_grower(xp, kernels, Xb, mapper, params, split_params, K):
    return DeviceTreeGrower(xp, kernels, Xb, mapper.n_bins, mapper.missing_bin, split_params,
                            K, params["max_depth"], params["max_leaves"],
                            params["grow_policy"] == "lossguide")


LOOP_CASES = [
    dict(grow_policy="depthwise", max_depth=4),
    dict(grow_policy="depthwise", max_depth=6, max_leaves=21),
    dict(grow_policy="lossguide", max_leaves=24, max_depth=0),
    dict(grow_policy="lossguide", max_leaves=31, max_depth=5, min_child_samples=30),
    dict(grow_policy="depthwise", max_depth=5, reg_alpha=2.0, max_delta_step=0.5, gamma=1.0),
    dict(grow_policy="depthwise", max_depth=0, max_leaves=19),  # depth unbounded
    dict(grow_policy="depthwise", max_depth=7, max_leaves=40, min_child_samples=60),
]


def _case_id(case):
    return "-".join(f"{k}={v}" for k, v in case.items())


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("case", LOOP_CASES, ids=_case_id)
def test_device_loop_with_reference_kernels_grows_the_cpu_tree(case, K):
    X, Xb, mapper, gh = _binned(K=K)
    params, sp = _split_params(**case)
    masks = np.ones((1, Xb.shape[1]), dtype=np.bool_)
    want_int, want_float, want_leaf = _cpu_tree(Xb, mapper, gh, params, sp, masks)
    grower = _device_grower(np, ReferenceKernels(), Xb, mapper, params, sp, K)
    # depthwise trees grow in the device-resident level loop, lossguide ones host-driven
    assert (grower.levels is None) == (case["grow_policy"] == "lossguide")
    got_int, got_float = grower.grow(gh, None, masks)
    assert want_int.shape[0] > 7
    np.testing.assert_array_equal(got_int, want_int)
    np.testing.assert_allclose(got_float, want_float, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(grower.leaf_of_row, want_leaf)
    # buffers are reused: a second tree from other gradients matches too
    gh2 = gh[::-1].copy()
    want_int, want_float, _ = _cpu_tree(Xb, mapper, gh2, params, sp, masks)
    got_int, got_float = grower.grow(gh2, None, masks)
    np.testing.assert_array_equal(got_int, want_int)


def _to_host(a):
    return a.get() if hasattr(a, "get") else a


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("policy", [dict(grow_policy="lossguide", max_leaves=16, max_depth=0),
                                    dict(grow_policy="depthwise", max_leaves=30, max_depth=6)])
def test_device_loop_with_row_sample_and_node_masks(policy, device):
    """On "cpu": the loop on numpy reference kernels; on "cuda": on the CUDA kernels."""
    X, Xb, mapper, gh = _binned(K=1, seed=3)
    params, sp = _split_params(**policy)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(Xb.shape[0], 1700, replace=False)).astype(np.int32)
    masks = rng.random((64, Xb.shape[1])) < 0.6
    want_int, want_float, want_leaf = _cpu_tree(Xb, mapper, gh, params, sp, masks, rows)
    if device == "cuda":
        from gbt._native.backend import get_backend
        xp, kernels = get_backend("cuda")
    else:
        xp, kernels = np, ReferenceKernels()
    grower = _device_grower(xp, kernels, xp.asarray(Xb), mapper, params, sp, 1)
    for _ in range(2):  # the second tree reuses the first one's buffers
        got_int, _ = grower.grow(xp.asarray(gh), rows, masks)
        np.testing.assert_array_equal(got_int, want_int)
        np.testing.assert_array_equal(_to_host(grower.leaf_of_row), want_leaf)
    assert (_to_host(grower.leaf_of_row) == -1).sum() == Xb.shape[0] - rows.size


@pytest.mark.parametrize("max_depth, max_leaves, sizes", [
    (8, 255, (8, 509, 128, 128)),  # the benchmark's trees
    (6, 0, (6, 127, 32, 32)),
    (0, 19, (18, 37, 18, 36)),     # depth unbounded: levels until the leaf budget is spent
    (1, 0, (1, 3, 1, 1)),
    (3, 1, (0, 1, 0, 1)),          # one leaf: no level splits
])
def test_level_loop_sizes(max_depth, max_leaves, sizes):
    """(levels, nodes, nodes split at one level, level nodes that may need a histogram)."""
    assert level_sizes(max_depth, max_leaves) == sizes


def test_level_loop_is_used_only_where_its_histograms_fit():
    assert LevelTables.fits(8, 255, 28, 256, 1)
    assert not LevelTables.fits(30, 0, 28, 256, 1)  # 2**29 nodes on the deepest level


def test_device_loop_root_without_a_split_is_one_leaf():
    X, Xb, mapper, gh = _binned(n=50)
    params, sp = _split_params(max_depth=3, min_child_samples=40)
    grower = _device_grower(np, ReferenceKernels(), Xb, mapper, params, sp, 1)
    node_int, node_float = grower.grow(gh, None, np.ones((1, Xb.shape[1]), np.bool_))
    assert node_int.shape[0] == 1 and node_int[0, cpu_grow.NODE_LEFT] == -1
    assert (grower.leaf_of_row == 0).all()


# ------------------------------------------------------------------ without a GPU

@pytest.mark.skipif(HAVE_CUDA, reason="a GPU is usable here")
def test_cuda_without_a_gpu_raises_a_clear_error(binary_data):
    X, y = binary_data
    with pytest.raises(RuntimeError, match="device='cuda' needs a CUDA GPU"):
        gbt.train({"device": "cuda"}, gbt.Dataset(X, y), 2)
    with pytest.raises(RuntimeError, match="CuPy"):
        gbt.GBTClassifier(n_estimators=2, device="cuda").fit(X, y)


@pytest.mark.skipif(HAVE_CUDA, reason="a GPU is usable here")
def test_auto_falls_back_to_the_cpu_with_a_warning(binary_data):
    X, y = binary_data
    with pytest.warns(RuntimeWarning, match="no usable GPU"):
        b = gbt.train({"device": "auto", "objective": "binary:logistic"}, gbt.Dataset(X, y), 3)
    ref = gbt.train({"objective": "binary:logistic"}, gbt.Dataset(X, y), 3)
    np.testing.assert_array_equal(b.predict(X), ref.predict(X))


def test_device_parameter_is_validated():
    with pytest.raises(ValueError, match="device"):
        resolve_params({"device": "tpu"})
    assert resolve_params({"device_type": "gpu"})["device"] == "gpu"


@pytest.mark.skipif(HAVE_CUDA, reason="a GPU is usable here")
def test_gpu_model_predicts_on_a_machine_without_one(binary_data, tmp_path):
    """A model file that says device='cuda' predicts on the CPU where no GPU is usable."""
    X, y = binary_data
    b = gbt.train({"objective": "binary:logistic"}, gbt.Dataset(X, y), 3)
    b.params["device"] = "cuda"
    b.save_model(tmp_path / "m.json")
    restored = gbt.Booster.load_model(tmp_path / "m.json")
    assert restored.params["device"] == "cuda"
    np.testing.assert_array_equal(restored.predict(X), b.predict(X))


# ------------------------------------------------------------------ CUDA kernels

@pytest.fixture
def cuda():
    if not HAVE_CUDA:
        pytest.skip(f"no usable GPU: {_probe()[1]}")
    from gbt._native.backend import get_backend
    return get_backend("cuda")


@needs_cuda
@pytest.mark.parametrize("K", [1, 3])
def test_cuda_histogram_matches_numba(cuda, K):
    cp, k = cuda
    X, Xb, mapper, gh = _binned(n=20000, K=K)
    rows = np.random.default_rng(0).permutation(Xb.shape[0]).astype(np.int32)
    nbt = mapper.missing_bin + 1
    want = np.zeros((Xb.shape[1], nbt, K, 2))
    build_histogram(Xb, gh, rows, 100, 15000, mapper.n_bins, 2,
                    np.zeros((2, Xb.shape[1], nbt, K, 2)), want)
    pool = cp.ones((4, Xb.shape[1], nbt, K, 2))
    d_X, d_gh, d_rows = cp.asarray(Xb), cp.asarray(gh), cp.asarray(rows)
    k.build_histograms(d_X, d_gh, d_rows, [2, 0], [100, 0], [15000, 20000], pool)
    np.testing.assert_allclose(pool[2].get(), want, rtol=1e-10, atol=1e-9)
    assert float(cp.abs(pool[1] - 1).sum()) == 0.0  # other slots untouched
    # the larger sibling by subtraction: rows [0, 100) + [15000, 20000) = all - [100, 15000)
    k.build_histograms(d_X, d_gh, d_rows, [3], [100], [15000], pool, [0], [3])
    rest = np.zeros_like(want)
    for lo, hi in ((0, 100), (15000, 20000)):
        part = np.zeros_like(want)
        build_histogram(Xb, gh, rows, lo, hi, mapper.n_bins, 1,
                        np.zeros((1, Xb.shape[1], nbt, K, 2)), part)
        rest += part
    np.testing.assert_allclose(pool[0].get(), rest, rtol=1e-9, atol=1e-8)


@needs_cuda
@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("rules", [{}, dict(reg_alpha=1.0, max_delta_step=0.3, gamma=0.5,
                                            min_child_weight=5.0, min_child_samples=20)])
def test_cuda_split_scan_matches_numba(cuda, K, rules):
    cp, k = cuda
    X, Xb, mapper, gh = _binned(n=5000, K=K, max_bin=255)
    params, sp = _split_params(**rules)
    nbt = mapper.missing_bin + 1
    hist = np.zeros((Xb.shape[1], nbt, K, 2))
    rows = np.arange(Xb.shape[0], dtype=np.int32)
    build_histogram(Xb, gh, rows, 0, rows.size, mapper.n_bins, 1,
                    np.zeros((1, Xb.shape[1], nbt, K, 2)), hist)
    totals = np.concatenate([gh[:, :, 0].sum(0, dtype=np.float64),
                             gh[:, :, 1].sum(0, dtype=np.float64), [rows.size]])
    mask = np.ones(Xb.shape[1], np.bool_)
    mask[5] = False
    want = np.empty(4 + 2 * K)
    find_best_split(hist, mapper.n_bins, mask, totals, sp,
                    np.empty((1, scan_work_rows(K), max(nbt, 2 * K))), want)
    got = k.best_splits(cp.asarray(hist[None]), [0], totals[None],
                        cp.asarray(mask[None].astype(np.uint8)), [0],
                        cp.asarray(mapper.n_bins), cp.asarray(sp))[0]
    np.testing.assert_array_equal(got[1:4], want[1:4])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@needs_cuda
def test_cuda_partition_and_binning_match_the_reference(cuda):
    cp, k = cuda
    X, Xb, mapper, gh = _binned(n=10000)
    d_bins = cp.empty(Xb.shape, dtype=Xb.dtype)
    cuts, offsets = mapper._flat_cuts()
    k.bin_dense(cp.asarray(X.astype(np.float32)), cp.asarray(cuts), cp.asarray(offsets),
                mapper.missing_bin, d_bins)
    want_bins = mapper.transform(to_feature_matrix(X.astype(np.float32)))
    np.testing.assert_array_equal(d_bins.get(), want_bins)
    rows = np.random.default_rng(1).permutation(Xb.shape[0]).astype(np.int32)
    args = ([0, 4000, 7000], [4000, 7000, 10000], [0, 3, 5], [10, 2, 30], [True, False, True])
    ref_rows = rows.copy()
    want = ReferenceKernels().partition(Xb, ref_rows, None, *args, mapper.missing_bin)
    d_rows = cp.asarray(rows)
    got = k.partition(cp.asarray(Xb), d_rows, cp.empty_like(d_rows), *args, mapper.missing_bin)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(d_rows.get(), ref_rows)


@needs_cuda
@pytest.mark.parametrize("case", LOOP_CASES, ids=_case_id)
def test_cuda_tree_loop_grows_the_cpu_tree(cuda, case):
    cp, k = cuda
    X, Xb, mapper, gh = _binned(n=8000, K=2)
    params, sp = _split_params(**case)
    masks = np.ones((1, Xb.shape[1]), dtype=np.bool_)
    want_int, want_float, want_leaf = _cpu_tree(Xb, mapper, gh, params, sp, masks)
    grower = _device_grower(cp, k, cp.asarray(Xb), mapper, params, sp, 2)
    got_int, got_float = grower.grow(cp.asarray(gh), None, masks)
    np.testing.assert_array_equal(got_int, want_int)
    np.testing.assert_allclose(got_float, want_float, rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(grower.leaf_of_row.get(), want_leaf)


# ------------------------------------------------------------------ whole fits, every device

def _family_cases():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((3000, 6))
    X[rng.random(X.shape) < 0.03] = np.nan
    z = np.nan_to_num(X[:, 0]) + np.sin(np.nan_to_num(X[:, 1]))
    y_bin = (z + 0.5 * rng.standard_normal(3000) > 0).astype(float)
    y_cls = np.digitize(z, [-0.8, 0.3, 1.2]).astype(float)
    counts = rng.poisson(np.exp(0.5 * z)).astype(float)
    qid = np.repeat(np.arange(150), 20)
    rel = np.clip(np.round(z + rng.standard_normal(3000)), 0, 3)
    time = np.exp(0.3 * z) * rng.exponential(1.0, 3000)
    cox = np.where(rng.random(3000) < 0.3, -time, time)
    return {
        "reg:squarederror": ({}, X, z + 0.1 * rng.standard_normal(3000), {}),
        "binary:logistic": ({}, X, y_bin, {}),
        "multi:softprob": ({"num_class": 4}, X, y_cls, {}),
        "multi:softprob-condensed": ({"objective": "multi:softprob", "num_class": 4,
                                      "multi_strategy": "condensed"}, X, y_cls, {}),
        "count:poisson": ({}, X, counts, {}),
        "reg:quantileerror": ({"quantile_alpha": 0.8}, X, z, {}),
        "rank:ndcg": ({}, X, rel, {"qid": qid}),
        "survival:cox": ({}, X, cox, {}),
        "distribution:normal": ({}, X, z + 0.3 * rng.standard_normal(3000), {}),
        "binary:constrained": ({"constraint_type": "fpr"}, X, y_bin,
                               {"constraint_group": (X[:, 2] > 0).astype(int)}),
    }


FAMILIES = _family_cases()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_objective_family_trains_on_each_device(device, family):
    extra, X, y, data_kw = FAMILIES[family]
    params = {"objective": family.split("-")[0], "max_depth": 4, "learning_rate": 0.3,
              "n_jobs": 2, **extra}
    dtrain = gbt.Dataset(X, y, **data_kw)
    booster = gbt.train({**params, "device": device}, dtrain, 8)
    pred = booster.predict(X, output_margin=True)
    assert np.isfinite(pred).all()
    baseline = np.asarray(booster.predict(X, output_margin=True, iteration_range=(0, 1)))
    assert not np.allclose(pred, baseline)  # later rounds moved the margins
    if device == "cuda":  # the same model as the CPU path, up to float summation order
        cpu = gbt.train({**params, "device": "cpu"}, dtrain, 8)
        for t_gpu, t_cpu in zip(booster.trees, cpu.trees):
            np.testing.assert_array_equal(t_gpu.feature, t_cpu.feature)
            np.testing.assert_array_equal(t_gpu.threshold_bin, t_cpu.threshold_bin)
        np.testing.assert_allclose(pred, cpu.predict(X, output_margin=True), rtol=1e-5,
                                   atol=1e-5)


@needs_cuda
@pytest.mark.parametrize("policy", [dict(grow_policy="depthwise", max_depth=6, max_leaves=40),
                                    dict(grow_policy="lossguide", max_leaves=31, max_depth=0)])
def test_cuda_fit_matches_cpu_with_sampling(binary_data, policy):
    X, y = binary_data
    params = {"objective": "binary:logistic", "subsample": 0.7, "colsample_bynode": 0.6,
              "colsample_bytree": 0.8, "random_state": 3, "n_jobs": 2, **policy}
    cpu = gbt.train(params, gbt.Dataset(X, y), 15)
    gpu = gbt.train({**params, "device": "cuda"}, gbt.Dataset(X, y), 15)
    assert [t.n_nodes for t in gpu.trees] == [t.n_nodes for t in cpu.trees]
    for a, b in zip(gpu.trees, cpu.trees):
        np.testing.assert_array_equal(a.feature, b.feature)
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-5, atol=1e-6)


@needs_cuda
def test_cuda_prediction_matches_cpu_and_estimators_take_device(binary_data):
    X, y = binary_data
    clf = gbt.GBTClassifier(n_estimators=20, device="cuda").fit(X, y)
    proba = clf.predict_proba(X)
    booster = clf.get_booster() if hasattr(clf, "get_booster") else clf.booster_
    booster.params["device"] = "cpu"
    cpu_proba = booster.predict(X)
    np.testing.assert_allclose(proba[:, 1], cpu_proba, rtol=1e-12, atol=1e-12)
    Xf = X.astype(np.float32)
    booster.params["device"] = "cuda"
    np.testing.assert_allclose(booster.predict(Xf), clf.predict_proba(Xf)[:, 1], atol=1e-12)


def _walk_node_records(records, forest, X, n_outputs):
    """What kernels.cu's predict_raw computes, in Python: walk the 16-byte node records."""
    words = records.view(np.uint32)
    out = np.zeros((X.shape[0], n_outputs))
    for r in range(X.shape[0]):
        for t in range(forest.n_trees):
            base, node = forest.tree_offsets[t], 0
            while words[base + node, 2] != 0xFFFFFFFF:
                meta = int(words[base + node, 2])
                v = X[r, meta & 0x7FFFFFFF]
                go_left = bool(meta >> 31) if np.isnan(v) else v <= records[base + node, 0]
                node = int(words[base + node, 3]) + (0 if go_left else 1)
            width, k = forest.tree_width[t], forest.tree_output[t]
            if width == 1:
                out[r, k] += records[base + node, 0]
            else:
                first = forest.value_offsets[t] + int(words[base + node, 3]) * width
                out[r, k:k + width] += forest.value[first:first + width]
    return out


def _odd_tree():
    """Children not breadth-first (the root's left child is node 2), one unreachable node."""
    tree = Tree(6)
    tree.feature[[0, 2]] = [1, 0]
    tree.threshold[[0, 2]] = [0.0, 0.5]
    tree.default_left[[0, 2]] = [False, True]
    tree.left[[0, 2]] = [2, 4]
    tree.right[[0, 2]] = [1, 3]
    tree.value[:, 0] = [0.0, 1.0, 0.0, 3.0, 4.0, 99.0]
    return tree


@pytest.mark.parametrize("model", ["binary", "softmax", "condensed", "odd"])
def test_node_records_walk_gives_the_cpu_prediction(model):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((150, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    if model == "odd":
        trees, tree_output, n_outputs = [_odd_tree()], [0], 1
    else:
        y = (X[:, 0] > 0).astype(float) if model == "binary" else rng.integers(0, 3, 150)
        params = dict(objective="binary:logistic" if model == "binary" else "multi:softmax",
                      max_leaves=12, max_depth=0, grow_policy="lossguide", n_jobs=1)
        if model != "binary":
            params.update(num_class=3, multi_strategy="condensed" if model == "condensed"
                          else "one_per_output")
        booster = gbt.train(params, gbt.Dataset(X, y), 6)
        trees, tree_output, n_outputs = booster.trees, booster.tree_output, booster.n_outputs
    forest = PackedForest(trees, tree_output)
    expected = np.zeros((X.shape[0], n_outputs))
    predict_raw(forest, X, expected)
    walked = _walk_node_records(node_records(forest), forest, X, n_outputs)
    np.testing.assert_allclose(walked, expected, rtol=0, atol=1e-12)


@needs_cuda
@pytest.mark.parametrize("case", ["condensed", "wide", "chunks", "float32"])
def test_cuda_prediction_layouts_match_cpu(cuda, monkeypatch, case):
    """Vector leaves, rows too wide for the shared-memory tile, many copy chunks, float32."""
    from gbt._native.gpu import kernels
    rng = np.random.default_rng(4)
    p = 3000 if case == "wide" else 6
    X = rng.standard_normal((2000, p))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = rng.integers(0, 3, 2000) if case == "condensed" else (X[:, 0] > 0).astype(float)
    params = dict(objective="binary:logistic", max_leaves=31, n_jobs=2)
    if case == "condensed":
        params.update(objective="multi:softprob", num_class=3, multi_strategy="condensed")
    if case == "wide":
        assert kernels._predict_tile(p, 8)[1] == 0
    if case == "chunks":
        monkeypatch.setattr(kernels, "PREDICT_CHUNK_BYTES", 7 * p * 8)
    if case == "float32":
        X = X.astype(np.float32)
    booster = gbt.train(params, gbt.Dataset(X, y), 8)
    forest = PackedForest(booster.trees, booster.tree_output)
    expected = np.zeros((X.shape[0], booster.n_outputs))
    predict_raw(forest, X, expected)
    on_gpu = np.zeros_like(expected)
    predict_raw(forest, X, on_gpu, device="cuda")
    np.testing.assert_allclose(on_gpu, expected, rtol=0, atol=1e-12)


@needs_cuda
def test_cuda_memory_estimate_error_names_the_size(monkeypatch, binary_data):
    import gbt.device as device_mod
    X, y = binary_data
    monkeypatch.setattr(device_mod, "device_bytes_needed", lambda *a, **k: 1 << 50)
    with pytest.raises(MemoryError, match=r"needs about .* GiB of GPU memory"):
        gbt.train({"device": "cuda"}, gbt.Dataset(X, y), 2)


# ------------------------------------------------------------------ GPU arrays as input

class _FakeDeviceArray:
    """Something that says it lives on a GPU (``__cuda_array_interface__``)."""

    __cuda_array_interface__ = {"shape": (2, 2), "typestr": "<f8", "data": (0, False),
                                "version": 3}


@pytest.mark.skipif(HAVE_CUDA, reason="a GPU is usable here")
def test_gpu_array_input_without_cupy_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CuPy"):
        gbt.Dataset(_FakeDeviceArray(), np.zeros(2))


@needs_cuda
def test_cupy_input_trains_like_numpy(cuda, binary_data):
    cp, _ = cuda
    X, y = binary_data
    params = {"objective": "binary:logistic", "device": "cuda", "n_jobs": 2}
    from_device = gbt.train(params, gbt.Dataset(cp.asarray(X), cp.asarray(y)), 5)
    from_host = gbt.train(params, gbt.Dataset(X, y), 5)
    np.testing.assert_array_equal(from_device.predict(X), from_host.predict(X))
