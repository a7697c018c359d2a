"""Every Numba kernel in gbt/_native/cpu against its plain ``_naive`` twin (or plain numpy)."""
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from numba import njit

from gbt._native.backend import get_backend, use_threads
from gbt._native.cpu import binning, checks, histogram, partition, predict, split
from gbt._native.cpu.histogram import FEATURE_PARALLEL_MIN_CELLS, ROW_CHUNK_MIN_ROWS
from gbt._native.cpu.partition import PARALLEL_MIN_ROWS
from gbt._native.cpu.predict import ROW_BLOCK
from gbt.tree import MAX_THRESHOLD

# Node sizes that run each histogram code path (serial, feature-parallel, row-chunk) with the
# 3 to 7 features of these tests.
SMALL = FEATURE_PARALLEL_MIN_CELLS // 64
MEDIUM = FEATURE_PARALLEL_MIN_CELLS // 2
LARGE = ROW_CHUNK_MIN_ROWS + 4500
assert 7 * SMALL < FEATURE_PARALLEL_MIN_CELLS <= 3 * MEDIUM
assert MEDIUM < ROW_CHUNK_MIN_ROWS <= LARGE


# -- binning ----------------------------------------------------------------------------------
def random_cuts(rng, n_features, max_bin):
    cuts = []
    for j in range(n_features):
        k = int(rng.integers(1, max_bin + 1))  # number of edges incl. +inf
        edges = np.sort(rng.choice(np.linspace(-3, 3, 4 * max_bin), k - 1, replace=False))
        cuts.append(np.r_[edges, np.inf])
    return cuts


def flatten(cuts):
    offsets = np.zeros(len(cuts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([c.size for c in cuts])
    return np.concatenate(cuts).astype(np.float64), offsets


@pytest.mark.parametrize("xdtype", [np.float32, np.float64])
@pytest.mark.parametrize("max_bin,odtype", [(16, np.uint8), (255, np.uint8), (400, np.uint16)])
@pytest.mark.parametrize("n_chunks", [1, 2, 5])
def test_bin_dense_vs_naive(xdtype, max_bin, odtype, n_chunks):
    rng = np.random.default_rng(max_bin + n_chunks)
    n, nf = 1003, 4
    cuts = random_cuts(rng, nf, max_bin)
    X = rng.normal(0, 1.5, size=(n, nf))
    X[rng.random(X.shape) < 0.1] = np.nan
    for j in range(nf):  # some values exactly on an edge, some far outside
        e = cuts[j][:-1]
        if e.size:
            X[:20, j] = rng.choice(e, 20)
    X[20, :] = -1e30
    X[21, :] = 1e30
    X = np.ascontiguousarray(X.astype(xdtype))
    cuts = [c.astype(xdtype).astype(np.float64) if xdtype == np.float32 else c for c in cuts]
    cuts = [np.r_[np.unique(c[:-1]), np.inf] for c in cuts]
    flat, offsets = flatten(cuts)
    out = np.full(X.shape, 7, dtype=odtype)
    binning.bin_dense(X, flat, offsets, max_bin, n_chunks, out)
    expected = binning.bin_dense_naive(X, cuts, max_bin, odtype)
    np.testing.assert_array_equal(out, expected)
    assert np.all(out[np.isnan(X)] == max_bin)
    assert np.all(out[20] == 0)
    np.testing.assert_array_equal(out[21], [c.size - 1 for c in cuts])


@pytest.mark.parametrize("max_bin,odtype", [(32, np.uint8), (300, np.uint16)])
def test_bin_csc_vs_naive(max_bin, odtype):
    rng = np.random.default_rng(1)
    n, nf = 700, 5
    cuts = random_cuts(rng, nf, max_bin)
    S = sp.random(n, nf, density=0.4, format="csc", random_state=2)
    S.data = (S.data - 0.5) * 6
    S.data[::9] = 0.0  # explicit zeros are values
    S.data[::13] = np.nan  # stored NaN is missing too
    dense = np.full((n, nf), np.nan)
    coo = S.tocoo()
    dense[coo.row, coo.col] = coo.data
    flat, offsets = flatten(cuts)
    out = np.zeros((n, nf), dtype=odtype)
    by_feature = np.zeros((nf, n), dtype=odtype)
    binning.bin_csc(S.data, S.indices.astype(np.int64), S.indptr.astype(np.int64), flat,
                    offsets, max_bin, out, by_feature)
    np.testing.assert_array_equal(out, binning.bin_dense_naive(dense, cuts, max_bin, odtype))
    np.testing.assert_array_equal(by_feature, out.T)
    zero_rows = coo.row[coo.data == 0.0]
    assert zero_rows.size > 0 and np.all(out[zero_rows, coo.col[coo.data == 0.0]] != max_bin)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("max_count", [1, 3, 8, 255])
def test_few_distinct_values_vs_naive(dtype, max_count):
    rng = np.random.default_rng(3)
    columns = [
        np.ones(50),                                     # one value (agaricus' one-hot)
        rng.integers(0, 3, 40).astype(float),            # three values, shuffled
        rng.integers(-4, 4, 60) * 0.25,                  # eight values with negatives
        rng.normal(size=300),                            # continuous: too many
        np.zeros(0),                                     # no stored entry
        np.array([np.nan, 2.0, np.nan, -0.0, 0.0, 2.0]),  # NaN is not a value; -0 == 0
        np.full(5, np.nan),                              # only NaN
        np.array([np.inf, -np.inf, 1.0, np.inf]),
    ]
    data = np.concatenate(columns).astype(dtype)
    indptr = np.r_[0, np.cumsum([c.size for c in columns])].astype(np.int64)
    values, offsets, too_many = binning.few_distinct_values(data, indptr, max_count)
    exp_values, exp_offsets, exp_many = binning.few_distinct_values_naive(data, indptr,
                                                                            max_count)
    np.testing.assert_array_equal(too_many, exp_many)
    np.testing.assert_array_equal(offsets, exp_offsets)
    np.testing.assert_array_equal(values, exp_values)
    assert values.dtype == np.float64
    assert too_many[3] and not too_many[4] and not too_many[6]
    assert too_many[2] == (max_count < 8)


# -- histograms -------------------------------------------------------------------------------
def hist_inputs(rng, n_rows, n_features, max_bin, odtype=np.uint8, missing_frac=0.1):
    X = rng.integers(0, max_bin, size=(n_rows, n_features)).astype(odtype)
    X[rng.random(X.shape) < missing_frac] = max_bin
    gh = np.empty((n_rows, 2), dtype=np.float32)
    gh[:, 0] = rng.normal(size=n_rows)
    gh[:, 1] = rng.uniform(0.01, 1.0, size=n_rows)
    rows = rng.permutation(n_rows).astype(np.int32)
    return np.ascontiguousarray(X), gh, rows


def run_histogram(X, gh, rows, start, end, n_chunks, n_bins_total, n_bins=None):
    """Build with NaN-filled outputs: every valid bin (all of them unless ``n_bins`` says
    otherwise) must be overwritten. Chunk buffers start zeroed, as the grower allocates them."""
    nf = X.shape[1]
    gh = gh.reshape(gh.shape[0], -1, 2)
    n_out = gh.shape[1]
    if n_bins is None:
        n_bins = np.full(nf, n_bins_total - 1, dtype=np.int32)
    hist = np.full((nf, n_bins_total, n_out, 2), np.nan)
    buffers = np.zeros((n_chunks, nf, n_bins_total, n_out, 2))
    histogram.build_histogram(X, gh, rows, start, end, n_bins, n_chunks, buffers, hist)
    return hist


@pytest.mark.parametrize("size", [SMALL, MEDIUM, LARGE], ids=["serial", "feature-par", "row-chunk"])
@pytest.mark.parametrize("n_chunks", [1, 2, 3])
def test_build_histogram_vs_naive(size, n_chunks):
    rng = np.random.default_rng(size + n_chunks)
    max_bin, nf = 32, 5
    n_rows = size + 1000
    X, gh, rows = hist_inputs(rng, n_rows, nf, max_bin)
    start = 600  # a node segment in the middle of rows
    end = start + size
    hist = run_histogram(X, gh, rows, start, end, n_chunks, max_bin + 1)
    expected = histogram.build_histogram_naive(X, gh, rows[start:end], max_bin + 1)
    np.testing.assert_allclose(hist, expected, rtol=1e-10, atol=1e-9)
    # every row lands in exactly one bin of each feature
    node_h = gh[rows[start:end], 1].sum(dtype=np.float64)
    np.testing.assert_allclose(hist[:, :, 0, 1].sum(axis=1), node_h, rtol=1e-10)
    assert hist[:, max_bin, 0, 1].sum() > 0  # the missing bin is populated


@pytest.mark.parametrize("n_chunks", [2, 8])
def test_build_histogram_more_chunks_than_features(n_chunks):
    rng = np.random.default_rng(5)
    X, gh, rows = hist_inputs(rng, MEDIUM, 3, 16)
    hist = run_histogram(X, gh, rows, 0, MEDIUM, n_chunks, 17)
    expected = histogram.build_histogram_naive(X, gh, rows, 17)
    np.testing.assert_allclose(hist, expected, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_build_histogram_uint16(size):
    rng = np.random.default_rng(6)
    max_bin = 300
    X, gh, rows = hist_inputs(rng, size, 3, max_bin, odtype=np.uint16)
    assert X.max() > 255
    hist = run_histogram(X, gh, rows, 0, size, 2, max_bin + 1)
    expected = histogram.build_histogram_naive(X, gh, rows, max_bin + 1)
    np.testing.assert_allclose(hist, expected, rtol=1e-10, atol=1e-9)


def test_build_histogram_empty_segment():
    rng = np.random.default_rng(7)
    X, gh, rows = hist_inputs(rng, 100, 2, 8)
    hist = run_histogram(X, gh, rows, 40, 40, 2, 9)
    np.testing.assert_array_equal(hist, 0.0)


@pytest.mark.parametrize("size", [MEDIUM, LARGE])
def test_build_histogram_fixed_chunks_bit_identical(size):
    rng = np.random.default_rng(8)
    X, gh, rows = hist_inputs(rng, size, 6, 64)
    first = run_histogram(X, gh, rows, 0, size, 2, 65)
    for _ in range(3):
        again = run_histogram(X, gh, rows, 0, size, 2, 65)
        assert again.tobytes() == first.tobytes()
    # Whatever the number of threads actually running, a fixed chunk count is bit-identical.
    for threads in (1, 2):
        with use_threads(threads):
            assert run_histogram(X, gh, rows, 0, size, 2, 65).tobytes() == first.tobytes()
            assert run_histogram(X, gh, rows, 0, size, 3, 65).tobytes() == \
                run_histogram(X, gh, rows, 0, size, 3, 65).tobytes()


def test_feature_parallel_path_equals_serial_bitwise():
    """Below ROW_CHUNK_MIN_ROWS threads split features, so sums are those of one thread."""
    rng = np.random.default_rng(9)
    X, gh, rows = hist_inputs(rng, MEDIUM, 7, 32)
    one = run_histogram(X, gh, rows, 0, MEDIUM, 1, 33)
    for n_chunks in (2, 3, 4):
        assert run_histogram(X, gh, rows, 0, MEDIUM, n_chunks, 33).tobytes() == one.tobytes()


def sparse_problem(rng, n_rows=3000, max_bin=32):
    """Bins whose features are mostly missing, mostly one value, or spread, and one feature
    every row of the first 500 holds a value of (its missing bin must stay exactly zero)."""
    X = rng.integers(0, max_bin, size=(n_rows, 6)).astype(np.uint8)
    X[rng.random(n_rows) < 0.9, 0] = max_bin  # mostly missing
    X[rng.random(n_rows) < 0.8, 1] = 3  # mostly bin 3
    X[rng.random(n_rows) < 0.97, 2] = max_bin  # nearly all missing
    X[:, 3] = max_bin  # all missing
    X[:, 4] = 7  # one value
    X[500:, 5][rng.random(n_rows - 500) < 0.5] = max_bin  # missing only past row 500
    gh = np.empty((n_rows, 1, 2), dtype=np.float32)
    gh[:, 0, 0] = rng.normal(size=n_rows)
    gh[:, 0, 1] = rng.uniform(0.01, 1.0, size=n_rows)
    n_bins = np.full(6, max_bin, dtype=np.int32)
    return np.ascontiguousarray(X), gh, n_bins


def test_frequent_bins_and_sparse_cells_rebuild_the_bins():
    rng = np.random.default_rng(21)
    X, _, _ = sparse_problem(rng)
    X[:4, 4] = 1  # a tie would go to the lower bin; here 7 still wins
    skip, count = histogram.frequent_bins(X, 33)
    for f in range(X.shape[1]):
        values, counts = np.unique(X[:, f], return_counts=True)
        assert skip[f] == values[np.argmax(counts)] and count[f] == counts.max()
    assert histogram.frequent_bins(np.array([[1], [0]], dtype=np.uint8), 4)[0][0] == 0
    indptr, cells = histogram.sparse_cells(X, skip, 33)
    rebuilt = np.tile(skip, (X.shape[0], 1))
    for r in range(X.shape[0]):
        part = cells[indptr[r]:indptr[r + 1]]
        feature, bin_ = part // 34, part % 34  # scratch slots: 33 bins + 1 spare a feature
        assert (feature < X.shape[1]).all() and np.all(np.diff(feature) > 0)
        assert (bin_ < 33).all()
        rebuilt[r, feature] = bin_
    np.testing.assert_array_equal(rebuilt, X)
    assert indptr[-1] == (X != skip).sum()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("n_features", [1, 7, 8, 9, 27, 64])
def test_sparse_cells_are_each_rows_cells_outside_the_skipped_bins(dtype, n_features):
    """uint8 bins are compacted eight features at a time (a word's nonzero bytes): every
    width, a partial last word included, against the compaction cell by cell."""
    rng = np.random.default_rng(n_features)
    n_rows, n_bins_total = 300, 256 if dtype == np.uint8 else 300
    skip = rng.integers(0, n_bins_total, size=n_features)
    X = np.tile(skip, (n_rows, 1)).astype(dtype)
    stored = rng.random(X.shape) < rng.uniform(0.0, 0.6, size=n_features)
    X[stored] = rng.integers(0, n_bins_total, size=stored.sum())
    X[:3] = skip  # rows with no stored cell, and a row with every cell stored
    X[3] = (skip + 1) % n_bins_total
    indptr, cells = histogram.sparse_cells(X, skip, n_bins_total)
    rows, features = np.nonzero(X != skip)
    np.testing.assert_array_equal(np.diff(indptr), np.bincount(rows, minlength=n_rows))
    np.testing.assert_array_equal(cells, features * (n_bins_total + 1) + X[rows, features])
    assert cells.dtype == np.uint32 and indptr[3] == 0 and indptr[4] == n_features


@pytest.mark.parametrize("start,end", [(0, 3000), (0, 500), (700, 2100), (40, 40)])
def test_build_histogram_sparse_vs_naive(start, end):
    rng = np.random.default_rng(22)
    X, gh, n_bins = sparse_problem(rng)
    rows = np.arange(X.shape[0], dtype=np.int32)
    rows[500:] = 500 + rng.permutation(X.shape[0] - 500)  # the first 500 stay a segment
    skip, _ = histogram.frequent_bins(X, 33)
    indptr, cells = histogram.sparse_cells(X, skip, 33)
    scratch = histogram.sparse_scratch(X.shape[1], 33)
    scratch[:] = np.nan  # the kernel must zero what it adds into
    hist = np.full((X.shape[1], 33, 1, 2), np.nan)
    histogram.build_histogram_sparse(indptr, cells, skip, scratch, gh, rows, start, end, n_bins,
                                     hist)
    expected = histogram.build_histogram_naive(X, gh, rows[start:end], 33)
    np.testing.assert_allclose(hist, expected, rtol=1e-9, atol=1e-9)
    # Bins no row of the node holds are exactly zero: the scan reads a nonzero missing bin as
    # "the node has missing rows".
    np.testing.assert_array_equal(hist[expected == 0], 0.0)
    if (start, end) == (0, 500):
        assert not (X[rows[:500], 5] == 32).any() and hist[5, 32].tolist() == [[0.0, 0.0]]


def test_grower_takes_the_sparse_path_for_mostly_missing_bins_and_grows_the_same_tree():
    from gbt._native.cpu import grow
    from gbt.grower import TreeGrower
    from gbt.params import resolve_params
    rng = np.random.default_rng(23)
    X, gh, n_bins = sparse_problem(rng, n_rows=4000)
    gh[:, 0, 0] += 0.8 * (X[:, 1] == 3) - 0.6 * (X[:, 0] < 10)  # something to find
    params = resolve_params({"max_leaves": 15, "grow_policy": "lossguide", "max_depth": 0})
    mask = np.ones(X.shape[1], dtype=np.bool_)
    cuts = [np.r_[np.arange(31) + 0.5, np.inf]] * X.shape[1]
    sparse = TreeGrower(X, n_bins, 32, params)
    assert sparse.sparse_rows[0].size == X.shape[0] + 1  # 6 features, 4 of them mostly one bin
    dense = TreeGrower(X, n_bins, 32, params)
    dense.sparse_rows = grow.NO_SPARSE_ROWS
    a = sparse.grow(gh, None, mask, None, cuts)
    b = dense.grow(gh, None, mask, None, cuts)
    assert a.feature.size >= 25  # a tree that really split
    np.testing.assert_array_equal(a.feature, b.feature)
    np.testing.assert_array_equal(a.threshold_bin, b.threshold_bin)
    np.testing.assert_array_equal(a.default_left, b.default_left)
    np.testing.assert_allclose(a.value, b.value, rtol=1e-9, atol=1e-12)
    # Spread bins (a sixth of the cells in their most frequent bin) keep the dense kernel;
    # so does a vector-leaf grower.
    spread = rng.integers(0, 32, size=(4000, 6)).astype(np.uint8)
    assert TreeGrower(spread, n_bins, 32, params).sparse_rows[0].size == 0
    assert TreeGrower(X, n_bins, 32, params, n_outputs=2).sparse_rows[0].size == 0


def _splits_and_row_values(grower, tree):
    inner = tree.left != -1
    splits = sorted(zip(tree.feature[inner], tree.threshold_bin[inner], tree.default_left[inner]))
    return splits, tree.value[grower.leaf_of_row, 0]


@pytest.mark.parametrize("max_leaves, min_child_samples, binding",
                         [(255, 20, False), (24, 20, True), (8, 150, True)])
def test_two_lanes_grow_the_tree_one_lane_grows(max_leaves, min_child_samples, binding):
    """On two threads a sparse grower works out several open leaves' splits at once (those the
    leaf budget likely reaches) and builds big nodes' histograms in two halves: the same
    splits and leaves as one lane, whether the leaf budget binds or not."""
    from gbt.grower import TreeGrower
    from gbt.params import resolve_params
    rng = np.random.default_rng(29)
    X, gh, n_bins = sparse_problem(rng, n_rows=4000)
    gh[:, 0, 0] += 0.8 * (X[:, 1] == 3) - 0.6 * (X[:, 0] < 10) + 0.3 * (X[:, 5] < 16)
    params = resolve_params({"max_leaves": max_leaves, "grow_policy": "lossguide",
                             "max_depth": 0, "min_child_samples": min_child_samples})
    mask = np.ones(X.shape[1], dtype=np.bool_)
    cuts = [np.r_[np.arange(31) + 0.5, np.inf]] * X.shape[1]
    two = TreeGrower(X, n_bins, 32, params, n_threads=2)
    one = TreeGrower(X, n_bins, 32, params, n_threads=2)
    one.sparse_rows = (*one.sparse_rows[:3], histogram.sparse_scratch(X.shape[1], 33))
    assert two.sparse_rows[3].size == 2 * one.sparse_rows[3].size  # a lane each
    a = two.grow(gh, None, mask, None, cuts)
    splits_a, values_a = _splits_and_row_values(two, a)
    b = one.grow(gh, None, mask, None, cuts)
    splits_b, values_b = _splits_and_row_values(one, b)
    assert len(splits_a) >= 7
    assert (len(splits_a) == max_leaves - 1) == binding
    assert splits_a == splits_b
    np.testing.assert_allclose(values_a, values_b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("max_leaves, min_child_samples, binding",
                         [(255, 80, False), (40, 20, True), (12, 300, True)])
def test_dense_two_lanes_grow_the_tree_one_thread_grows(max_leaves, min_child_samples,
                                                        binding):
    """On two threads a dense grower works out several small open leaves' splits at once
    (grow.DENSE_LANE_MAX_ROWS rows at most, those the leaf budget likely reaches), shared out
    over the threads, and records each when its turn comes; bigger nodes share their
    histogram out over the threads. The tree is the one one thread grows, node for node,
    whether the leaf budget binds or not."""
    from gbt._native.cpu import grow
    from gbt.grower import TreeGrower
    from gbt.params import resolve_params
    rng = np.random.default_rng(41)
    n_rows, max_bin = 12_000, 100
    assert n_rows > 2 * grow.DENSE_LANE_MAX_ROWS  # the first nodes are too big for a lane
    X = rng.integers(0, max_bin, size=(n_rows, 8)).astype(np.uint8)
    X[rng.random(X.shape) < 0.05] = max_bin  # some missing values
    gh = np.empty((n_rows, 1, 2), dtype=np.float32)
    gh[:, 0, 0] = rng.normal(size=n_rows) + 0.8 * (X[:, 1] < 30) - 0.6 * (X[:, 0] > 60) \
        + 0.4 * (X[:, 5] == max_bin)
    gh[:, 0, 1] = rng.uniform(0.5, 1.0, size=n_rows)
    n_bins = np.full(8, max_bin, dtype=np.int32)
    params = resolve_params({"max_leaves": max_leaves, "grow_policy": "lossguide",
                             "max_depth": 0, "min_child_samples": min_child_samples})
    mask = np.ones(8, dtype=np.bool_)
    cuts = [np.r_[np.arange(max_bin - 1) + 0.5, np.inf]] * 8
    two = TreeGrower(X, n_bins, max_bin, params, n_threads=2)
    one = TreeGrower(X, n_bins, max_bin, params, n_threads=1)
    assert two.sparse_rows[0].size == 0  # the dense kernel
    a = two.grow(gh, None, mask, None, cuts)
    splits_a, values_a = _splits_and_row_values(two, a)
    b = one.grow(gh, None, mask, None, cuts)
    splits_b, values_b = _splits_and_row_values(one, b)
    assert (len(splits_a) == max_leaves - 1) == binding
    assert len(splits_a) >= 11
    assert splits_a == splits_b
    np.testing.assert_allclose(values_a, values_b, rtol=1e-9, atol=1e-12)
    for name in ("feature", "threshold_bin", "default_left", "left", "right", "value"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("sparse", [True, False])
def test_per_node_feature_masks_keep_the_one_thread_tree_node_for_node(sparse):
    """Per-node feature masks (colsample_bynode) are drawn by node id, so two threads split
    one leaf at a time there, as one thread does: the same tree, node for node."""
    from gbt.grower import TreeGrower
    from gbt.params import resolve_params
    rng = np.random.default_rng(43)
    X, gh, n_bins = sparse_problem(rng, n_rows=4000)
    if not sparse:
        X = rng.integers(0, 32, size=X.shape).astype(np.uint8)
    gh[:, 0, 0] += 0.8 * (X[:, 1] == 3) - 0.6 * (X[:, 0] < 10) + 0.3 * (X[:, 5] < 16)
    params = resolve_params({"max_leaves": 63, "grow_policy": "lossguide", "max_depth": 0,
                             "min_child_samples": 10, "colsample_bynode": 0.5})
    mask = np.ones(X.shape[1], dtype=np.bool_)
    cuts = [np.r_[np.arange(31) + 0.5, np.inf]] * X.shape[1]
    trees = []
    for n_threads in (1, 2):
        grower = TreeGrower(X, n_bins, 32, params, n_threads=n_threads)
        assert (grower.sparse_rows[0].size > 0) == sparse
        node_masks = grower.node_masks(mask, np.random.default_rng(5), X.shape[0])
        assert node_masks.shape[0] > 1
        trees.append(grower.grow(gh, None, mask, None, cuts, node_masks=node_masks))
    one, two = trees
    assert (one.left >= 0).sum() >= 20
    for name in ("feature", "threshold_bin", "default_left", "left", "right", "value"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)


@pytest.mark.parametrize("sparse", [True, False])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_trees_do_not_depend_on_where_the_missing_bin_sits(sparse, n_threads):
    """BinMapper puts the missing bin just past the widest feature's bins, not at max_bin:
    with the missing rows' bins moved from 8 to 255, the grower grows the same tree, node
    for node, on the stored-cell (sparse) and dense histogram paths."""
    from gbt.grower import TreeGrower
    from gbt.params import resolve_params
    rng = np.random.default_rng(37)
    X, gh, n_bins = sparse_problem(rng, n_rows=3000, max_bin=8)
    if not sparse:
        X = np.where(rng.random(X.shape) < 0.05, 8, rng.integers(0, 8, X.shape)).astype(np.uint8)
    gh[:, 0, 0] += 0.7 * (X[:, 1] == 3) - 0.5 * (X[:, 0] < 3) + 0.4 * (X[:, 5] == 8)
    X_wide = np.where(X == 8, 255, X).astype(np.uint8)
    params = resolve_params({"max_leaves": 31, "grow_policy": "lossguide", "max_depth": 0,
                             "min_child_samples": 10})
    mask = np.ones(X.shape[1], dtype=np.bool_)
    cuts = [np.r_[np.arange(7) + 0.5, np.inf]] * X.shape[1]
    trees = []
    for data, missing_bin in ((X, 8), (X_wide, 255)):
        grower = TreeGrower(data, n_bins, missing_bin, params, n_threads=n_threads)
        assert (grower.sparse_rows[0].size > 0) == sparse
        trees.append(grower.grow(gh, None, mask, None, cuts))
    compact, wide = trees
    assert (compact.left >= 0).sum() >= 15
    for name in ("feature", "threshold_bin", "default_left", "left", "right", "value", "count"):
        np.testing.assert_array_equal(getattr(compact, name), getattr(wide, name), err_msg=name)


def test_two_lanes_keep_the_best_first_order_under_a_leaf_budget():
    """A leaf is split alongside the best one only when the budget surely reaches it: here
    the best leaf's own children gain more than the runner-up, so with a budget of a few
    leaves the runner-up must stay a leaf, as in the one-lane order."""
    from gbt.grower import TreeGrower
    from gbt.params import resolve_params
    rng = np.random.default_rng(31)
    X, gh, n_bins = sparse_problem(rng, n_rows=4000)
    strong = X[:, 1] == 3  # the root's split; the strong side keeps splitting well
    gh[:, 0, 0] = 0.1 * rng.normal(size=4000) + 3.0 * strong + 2.0 * strong * (X[:, 0] < 10) \
        + 1.5 * strong * (X[:, 5] < 16) + 0.4 * ~strong * (X[:, 5] < 16)
    gh[:, 0, 1] = 1.0
    mask = np.ones(X.shape[1], dtype=np.bool_)
    cuts = [np.r_[np.arange(31) + 0.5, np.inf]] * X.shape[1]
    for max_leaves in range(3, 13):
        params = resolve_params({"max_leaves": max_leaves, "grow_policy": "lossguide",
                                 "max_depth": 0, "min_child_samples": 5})
        two = TreeGrower(X, n_bins, 32, params, n_threads=2)
        one = TreeGrower(X, n_bins, 32, params, n_threads=2)
        one.sparse_rows = (*one.sparse_rows[:3], histogram.sparse_scratch(X.shape[1], 33))
        splits_a, values_a = _splits_and_row_values(two, two.grow(gh, None, mask, None, cuts))
        splits_b, values_b = _splits_and_row_values(one, one.grow(gh, None, mask, None, cuts))
        assert splits_a == splits_b, max_leaves
        np.testing.assert_allclose(values_a, values_b, rtol=1e-9, atol=1e-12)


def _open_leaves(sizes):
    """node_int rows for leaves of ``sizes`` rows laid end to end, and a heap of them in
    that order (the first is the best)."""
    import heapq
    from gbt._native.cpu import grow
    node_int = np.full((len(sizes), grow.N_NODE_INT), -1, dtype=np.int64)
    node_int[:, grow.NODE_END] = np.cumsum(sizes)
    node_int[:, grow.NODE_START] = node_int[:, grow.NODE_END] - sizes
    heap = [(float(-100 + k), np.int64(k)) for k in range(len(sizes))]
    heapq.heapify(heap)
    return node_int, heap


@pytest.mark.filterwarnings("ignore::numba.NumbaPendingDeprecationWarning")  # a Python heap
def test_lane_batch_takes_the_leaves_the_budget_reaches_in_turn_order():
    """One parallel region works out the taken leaf and the open leaves after it in turn
    order that are not worked out yet (dense: small enough), while the leaf budget likely
    reaches them: each leaf ahead may grow a subtree of rows // min_child_samples leaves."""
    import heapq
    from gbt._native.cpu import grow
    sizes = [400, 300, 5000, 200, 200, 100]
    node_int, heap = _open_leaves(sizes)
    _, node = heapq.heappop(heap)
    pre = np.full((len(sizes), 3), -1, dtype=np.int64)
    batch = np.empty(grow.MAX_LANE_BATCH, dtype=np.int64)

    def lane_batch(n_leaves, max_leaves, dense, batch=batch):
        m = grow._lane_batch(heap, pre, node_int, node, n_leaves, max_leaves, 20.0, dense,
                             batch)
        return batch[:m].tolist()

    assert lane_batch(6, 0, False) == [0, 1, 2, 3, 4, 5]  # no budget: every open leaf
    assert lane_batch(6, 0, True) == [0, 1, 3, 4, 5]  # dense: 5,000 rows are too many
    # budget 60: after leaf 0 (at most 20 leaves), 6 + 19 = 25; after leaf 1, 25 + 14 = 39;
    # after leaf 2, 39 + 249: no later leaf is surely reached.
    assert lane_batch(6, 60, False) == [0, 1, 2]
    assert lane_batch(6, 26, False) == [0, 1]
    assert lane_batch(6, 25, False) == [0]
    pre[1, grow.PRE_MID] = 7  # worked out already: skipped, its subtree still counted
    assert lane_batch(6, 60, False) == [0, 2]
    assert lane_batch(6, 0, False, np.empty(3, dtype=np.int64)) == [0, 2, 3]  # at most 3
    assert len(heap) == 5  # the heap itself is left as it was


def test_lane_batch_size_is_capped_by_histogram_bytes():
    """Each leaf of a batch holds one more histogram buffer: wide data gets fewer leaves per
    region (never under two), narrow data MAX_LANE_BATCH."""
    from gbt._native.cpu import grow
    assert grow._lane_batch_size(9, 256, 1) == grow.MAX_LANE_BATCH  # protein: 36 KiB each
    slot = 16 * 1000 * 256  # 1,000 features of 256 bins: 4 MB a buffer
    assert grow._lane_batch_size(1000, 256, 1) == grow.LANE_BATCH_BYTES // slot == 4
    assert grow._lane_batch_size(20000, 256, 1) == 2
    assert grow._lane_batch_size(0, 256, 1) == grow.MAX_LANE_BATCH


def test_assign_lanes_shares_the_work_out_largest_first():
    """Each leaf goes, largest first, to the thread with less work so far; a leaf's work is
    its rows plus twice its smaller child's (estimated from the split's hessians)."""
    from gbt._native.cpu import grow
    sizes = np.array([1000, 900, 500, 400, 300, 100])
    node_int, _ = _open_leaves(sizes)
    node_float = np.zeros((6, 3))
    node_float[:, 2] = sizes  # unit hessians: the hessian sums are the row counts
    best = np.zeros((6, 6))
    best[:, 5] = sizes // 2  # left hessian: every split halves its leaf
    best[1, 5] = 0.0  # ... but leaf 1's sends nothing left
    batch = np.array([3, 0, 5, 1, 4, 2])
    items = np.full((2, grow.MAX_LANE_BATCH), -1, dtype=np.int64)
    counts = np.full(2, 9, dtype=np.int64)
    grow._assign_lanes(batch, 6, node_int, node_float, best, items, counts)
    # costs: 2000, 900, 1000, 800, 600, 200 for leaves 0..5
    lanes = [items[i, :counts[i]].tolist() for i in range(2)]
    assert lanes == [[0, 4, 5], [2, 1, 3]]  # loads 2,800 and 2,700


@pytest.mark.parametrize("in_place", [False, True])
def test_subtract_histogram(in_place):
    rng = np.random.default_rng(10)
    X, gh, rows = hist_inputs(rng, 3000, 4, 16)
    parent = histogram.build_histogram_naive(X, gh, rows, 17)
    child = histogram.build_histogram_naive(X, gh, rows[:1200], 17)
    sibling = histogram.build_histogram_naive(X, gh, rows[1200:], 17)
    expected = parent - child
    out = parent if in_place else np.full_like(parent, np.nan)
    histogram.subtract_histogram(parent, child, np.full(4, 16, np.int32), out)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(out, sibling, rtol=1e-9, atol=1e-9)


# -- split finding ----------------------------------------------------------------------------
def random_node_hist(rng, n_rows, n_features, max_bin, missing_frac):
    n_bins = rng.integers(1, max_bin + 1, size=n_features).astype(np.int32)
    n_bins[0] = max_bin
    X = np.empty((n_rows, n_features), dtype=np.uint8)
    for f in range(n_features):
        X[:, f] = rng.integers(0, n_bins[f], size=n_rows)
    if missing_frac:
        miss_feats = rng.random(n_features) < 0.7
        miss_feats[0] = True
        mask = (rng.random(X.shape) < missing_frac) & miss_feats
        X[mask] = max_bin
    gh = np.empty((n_rows, 2), dtype=np.float32)
    # Gradients that depend on feature 0 so real splits exist, plus noise.
    gh[:, 0] = rng.normal(size=n_rows) + 0.3 * (X[:, 0] > max_bin // 2) - 0.2
    gh[:, 1] = rng.uniform(0.05, 1.0, size=n_rows)
    hist = histogram.build_histogram_naive(X, gh, np.arange(n_rows), max_bin + 1)
    G, H = hist[0, :, 0].sum(axis=0)
    return hist, n_bins, G, H, float(n_rows)


def scan_work(hist):
    """Scratch for the split scans, NaN so unwritten entries cannot pass as values."""
    K = hist.shape[2] if hist.ndim == 4 else 1
    return np.full((2 * hist.shape[0], split.scan_work_rows(K), max(hist.shape[1], 2 * K)),
                   np.nan)


SPLIT_PARAMS = {  # reg_lambda, reg_alpha, gamma, min_child_weight, min_child_samples, max_delta_step
    "plain": (1.0, 0.0, 0.0, 0.0, 1, 0.0),
    "no-lambda": (0.0, 0.0, 0.0, 1e-3, 1, 0.0),
    "alpha": (1.0, 2.0, 0.0, 0.0, 1, 0.0),
    "big-alpha": (0.5, 15.0, 0.0, 0.0, 1, 0.0),
    "max-delta": (1.0, 0.0, 0.0, 0.0, 1, 0.05),
    "alpha+max-delta": (2.0, 1.0, 0.0, 0.0, 1, 0.2),
    "min-child-weight": (1.0, 0.0, 0.0, 8.0, 1, 0.0),
    "min-child-samples": (1.0, 0.0, 0.0, 0.0, 40, 0.0),
    "gamma": (1.0, 0.0, 0.5, 1.0, 5, 0.0),
}


def best_split(hist, n_bins, mask, G, H, C, split_params):
    """find_best_split on a one-output node, as a (gain, feature, bin, dl, G_left, H_left)
    tuple like the naive twin's (scalars for the sums)."""
    hist = as_4d(hist)
    totals = np.r_[np.atleast_1d(G), np.atleast_1d(H), C].astype(np.float64)
    K = hist.shape[2]
    out = np.full(split.split_row_width(K), np.nan)
    split.find_best_split(hist, n_bins, mask, totals, np.asarray(split_params, np.float64),
                          scan_work(hist), out)
    gl, hl = out[4:4 + K], out[4 + K:]
    if K == 1:
        gl, hl = gl[0], hl[0]
    return out[0], int(out[1]), int(out[2]), bool(out[3]), gl, hl


def first_best_naive(gain_right, gain_left, last, n_left_candidates, min_gain, has_missing,
                     left_h, H):
    """The scan order's rule, one candidate at a time: bin by bin, "missing right" then
    "missing left"; a candidate wins when its gain beats every one before it and min_gain."""
    best_gain, best_b, best_dl = min_gain, -1, False
    for b in range(last):
        if gain_right[b] > best_gain:
            best_gain, best_b, best_dl = gain_right[b], b, False
        if b < n_left_candidates and gain_left[b] > best_gain:
            best_gain, best_b, best_dl = gain_left[b], b, True
    if best_b >= 0 and not has_missing:
        best_dl = left_h[best_b] >= H - left_h[best_b]
    return best_gain, best_b, best_dl


@njit
def _first_best_compiled(gain_right, gain_left, last, n_left_candidates, min_gain, has_missing,
                         left_h, H):
    return split._first_best(gain_right, gain_left, last, n_left_candidates, min_gain,
                             has_missing, left_h, H)


def test_first_best_picks_the_scan_orders_first_best_candidate():
    """The eight-lane search keeps the one-at-a-time rule: among equal gains the earlier bin,
    at one bin "missing right" first; -inf and NaN gains never win; nothing above min_gain
    is no split. Gains are drawn from a few levels so that ties are common."""
    rng = np.random.default_rng(11)
    for _ in range(3000):
        n = int(rng.integers(0, 40))
        gains = [rng.integers(-2, int(rng.integers(1, 5)), size=n).astype(float)
                 for _ in range(2)]
        for g in gains:
            g[rng.random(n) < 0.1] = -np.inf
            g[rng.random(n) < 0.05] = np.nan
        args = (gains[0], gains[1], n, int(rng.integers(0, n + 1)), float(rng.integers(-3, 2)),
                bool(rng.random() < 0.5), rng.random(n), 1.0)
        got, expected = _first_best_compiled(*args), first_best_naive(*args)
        assert (got[1], bool(got[2])) == expected[1:]
        assert got[0] == expected[0]


def as_4d(hist):
    """Hand-built one-output histograms are (n_features, n_bins, 2); kernels take a K axis."""
    return np.ascontiguousarray(hist[:, :, None, :] if hist.ndim == 3 else hist)


def naive_split(hist, n_bins, mask, G, H, C, split_params):
    hist = as_4d(hist)
    totals = np.r_[np.atleast_1d(G), np.atleast_1d(H), C]
    got = split.find_best_split_naive(hist, n_bins, mask, totals, split_params)
    if hist.shape[2] == 1:
        got = (*got[:4], got[4][0], got[5][0])
    return got


def compare_split(got, exp, G, H):
    gain, f, b, dl, gl, hl = got
    egain, ef, eb, edl, egl, ehl = exp
    assert (f, b) == (ef, eb)
    if f < 0:
        return
    assert bool(dl) == bool(edl)
    scale = float(np.sum(np.square(G) / (np.asarray(H) + 1.0))) + 1.0
    assert gain == pytest.approx(egain, rel=1e-7, abs=1e-9 * scale)
    np.testing.assert_allclose(gl, egl, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(hl, ehl, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("params", sorted(SPLIT_PARAMS))
@pytest.mark.parametrize("missing_frac", [0.0, 0.15])
def test_find_best_split_vs_naive(params, missing_frac):
    sp_arr = np.array(SPLIT_PARAMS[params], dtype=np.float64)
    found = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        n_rows = int(rng.integers(20, 400))
        hist, n_bins, G, H, C = random_node_hist(rng, n_rows, 6, 16, missing_frac)
        for mask in (np.ones(6, dtype=np.bool_), rng.random(6) < 0.5):
            got = best_split(hist, n_bins, mask, G, H, C, sp_arr)
            exp = naive_split(hist, n_bins, mask, G, H, C, sp_arr)
            compare_split(got, exp, G, H)
            if got[1] >= 0:
                found += 1
                assert mask[got[1]]
                assert got[0] > sp_arr[2]  # gain beats gamma
                assert got[2] < n_bins[got[1]]
                count_left = np.floor(got[5] * C / H + 0.5)  # estimated from hessians
                assert count_left >= sp_arr[4] and C - count_left >= sp_arr[4]
                assert got[5] >= sp_arr[3] and H - got[5] >= sp_arr[3]
    assert found >= 6, "too few cases had a split for the comparison to mean anything"


@pytest.mark.parametrize("params", sorted(SPLIT_PARAMS))
def test_find_best_split_pair_equals_single(params):
    """The two-sibling parallel scan, and the serial one that scans both children's features
    together (find_best_splits_of_children), give exactly the single-node scan for each
    child, whether or not either child has missing rows."""
    sp_arr = np.array(SPLIT_PARAMS[params], dtype=np.float64)
    found = 0
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        nodes = [random_node_hist(rng, int(rng.integers(20, 400)), 6, 16, missing)
                 for missing in (0.1, 0.1 if seed % 2 else 0.0)]
        masks = [rng.random(6) < 0.7, np.ones(6, dtype=np.bool_)]
        evaluate = np.array([True, seed % 3 != 0])
        totals = np.array([[G, H, C] for _, _, G, H, C in nodes])
        out = np.full((2, 6), np.nan)
        n_bins = nodes[0][1]
        split.find_best_split_pair(nodes[0][0], nodes[1][0], n_bins, masks[0], masks[1],
                                   totals, evaluate, sp_arr, scan_work(nodes[0][0]), out)
        serial = np.full((2, 6), np.nan)
        split.find_best_splits_of_children(nodes[0][0], nodes[1][0], n_bins, masks[0],
                                           masks[1], totals, evaluate, sp_arr,
                                           scan_work(nodes[0][0])[:2], serial)
        np.testing.assert_array_equal(serial, out)
        for c in range(2):
            hist, _, G, H, C = nodes[c]
            if not evaluate[c]:
                assert out[c, 1] == -1
                continue
            exp = best_split(hist, n_bins, masks[c], G, H, C, sp_arr)
            got = (out[c, 0], int(out[c, 1]), int(out[c, 2]), bool(out[c, 3]), *out[c, 4:])
            assert got[1:4] == tuple(exp[1:4])
            if got[1] >= 0:
                found += 1
                assert got[0] == exp[0] and tuple(got[4:]) == tuple(exp[4:])
    assert found >= 4


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("n_parts", [1, 2, 3])
def test_histogram_and_split_pair_equals_the_three_steps(K, n_parts):
    """The one-region build + subtract + pair scan gives bit for bit what build_histogram,
    subtract_histogram and find_best_split_pair give, whichever child is the smaller and
    whether or not the larger one is evaluated (then its buffer keeps the parent's sums)."""
    sp_arr = np.array(SPLIT_PARAMS["no-lambda"], dtype=np.float64)
    found = 0
    for seed in range(6):
        rng = np.random.default_rng(300 + seed)
        n_rows, n_features, missing_bin = int(rng.integers(60, 900)), 7, 31
        n_bins = rng.integers(1, missing_bin + 1, size=n_features).astype(np.int32)
        X = (rng.random((n_rows, n_features)) * n_bins).astype(np.uint8)
        X[rng.random(X.shape) < 0.1] = missing_bin
        gh = np.empty((n_rows, K, 2), dtype=np.float32)
        gh[..., 0] = rng.normal(size=(n_rows, K)) + 0.5 * (X[:, [2]] < n_bins[2] // 2)
        gh[..., 1] = rng.uniform(0.1, 1.0, size=(n_rows, K))
        rows = rng.permutation(n_rows).astype(np.int32)
        n_left = int(rng.integers(1, n_rows))
        small_is_left = n_left <= n_rows - n_left
        small = (0, n_left) if small_is_left else (n_left, n_rows)
        evaluate = np.array([seed % 3 != 1, seed % 3 != 2])
        masks = [rng.random(n_features) < 0.8, np.ones(n_features, dtype=np.bool_)]
        shape = (n_features, missing_bin + 1, K, 2)
        chunks = np.zeros((1, *shape))
        parent = np.zeros(shape)
        histogram.build_histogram(X, gh, rows, 0, n_rows, n_bins, 1, chunks, parent)
        hist_small = np.zeros(shape)
        histogram.build_histogram(X, gh, rows, *small, n_bins, 1, chunks, hist_small)
        hist_large = parent.copy()
        histogram.subtract_histogram(parent, hist_small, n_bins, hist_large)
        left, right = (hist_small, hist_large) if small_is_left else (hist_large, hist_small)
        sums = [h[0].sum(axis=0) for h in (left, right)]  # (K, 2) per child
        totals = np.array([np.r_[s[:, 0], s[:, 1], c] for s, c in zip(sums, (n_left, n_rows - n_left))])
        want = np.full((2, split.split_row_width(K)), np.nan)
        split.find_best_split_pair(left, right, n_bins, masks[0], masks[1], totals, evaluate,
                                   sp_arr, scan_work(parent), want)

        got_small, got_large = np.zeros(shape), parent.copy()
        got = np.full_like(want, np.nan)
        parts = split.feature_parts(n_bins, n_parts)
        split.histogram_and_split_pair(X, gh, rows, *small, n_bins, parts, got_small,
                                       got_large, small_is_left, masks[0], masks[1], totals,
                                       evaluate, sp_arr, scan_work(parent), got)
        np.testing.assert_array_equal(got_small, hist_small)
        large_evaluated = evaluate[1 if small_is_left else 0]
        np.testing.assert_array_equal(got_large, hist_large if large_evaluated else parent)
        np.testing.assert_array_equal(got, want)
        found += int((got[:, 1] >= 0).sum())
    assert found >= 4, "too few splits for the comparison to mean anything"


@pytest.mark.parametrize("n_bins,n_parts,expected", [
    ([255] * 8 + [151], 2, [0, 4, 9]),   # protein-like: 1,024 against 1,176 bins
    ([2] * 127, 2, [0, 63, 127]),
    ([255] * 28, 2, [0, 14, 28]),
    ([5], 2, [0, 0, 1]),                 # fewer features than parts: empty blocks
    ([5, 5, 5], 1, [0, 3]),
])
def test_feature_parts_balance_the_bins(n_bins, n_parts, expected):
    parts = split.feature_parts(np.array(n_bins, dtype=np.int32), n_parts)
    assert parts.tolist() == expected


def one_hot_node_hist(rng, n_rows, n_features, max_bin=15):
    """A node of one-hot columns (one value bin each, absent = missing), like agaricus:
    a few features have no missing rows (one bin holds every row: nothing to split)."""
    present = rng.random((n_rows, n_features)) < rng.uniform(0.05, 0.9, size=n_features)
    present[:, :2] = True  # features 0 and 1: every row has the value
    X = np.where(present, 0, max_bin).astype(np.uint8)
    gh = np.empty((n_rows, 2), dtype=np.float32)
    gh[:, 0] = rng.normal(size=n_rows) + 0.8 * present[:, 3] - 0.3 * present[:, 5]
    gh[:, 1] = rng.uniform(0.05, 1.0, size=n_rows)
    hist = histogram.build_histogram_naive(X, gh, np.arange(n_rows), max_bin + 1)
    G, H = hist[0, :, 0].sum(axis=0)
    return hist, np.ones(n_features, dtype=np.int32), G, H, float(n_rows)


@pytest.mark.parametrize("params", sorted(SPLIT_PARAMS))
def test_one_bin_features_scan_like_the_naive_search(params):
    """The inlined scan of one-value-bin features gives the naive search's split, in the
    single-node and the pair scans."""
    sp_arr = np.array(SPLIT_PARAMS[params], dtype=np.float64)
    found = 0
    for seed in range(10):
        rng = np.random.default_rng(200 + seed)
        nodes = [one_hot_node_hist(rng, int(rng.integers(30, 300)), 9) for _ in "ab"]
        mask = rng.random(9) < 0.8
        for hist, n_bins, G, H, C in nodes:
            got = best_split(hist, n_bins, mask, G, H, C, sp_arr)
            compare_split(got, naive_split(hist, n_bins, mask, G, H, C, sp_arr), G, H)
            found += got[1] >= 0
            assert got[1] not in (0, 1)  # no missing rows: no candidate
        out = np.full((2, 6), np.nan)
        totals = np.array([[G, H, C] for _, _, G, H, C in nodes])
        split.find_best_split_pair(nodes[0][0], nodes[1][0], nodes[0][1], mask, mask, totals,
                                   np.array([True, True]), sp_arr, scan_work(nodes[0][0]), out)
        for c, (hist, n_bins, G, H, C) in enumerate(nodes):
            exp = best_split(hist, n_bins, mask, G, H, C, sp_arr)
            assert (out[c, 0], int(out[c, 1]), int(out[c, 2]), bool(out[c, 3])) == exp[:4]
    assert found >= 5


@pytest.mark.parametrize("params", sorted(SPLIT_PARAMS))
def test_one_bin_features_among_wider_ones_scan_like_the_naive_search(params):
    """One-value-bin features scored in the first pass (_one_bin_gains) and wider features
    scanned in the second give the naive search's split, ties to the lowest feature
    included: feature 7 repeats feature 4's column and feature 9 repeats feature 2's."""
    sp_arr = np.array(SPLIT_PARAMS[params], dtype=np.float64)
    found = 0
    for seed in range(12):
        rng = np.random.default_rng(500 + seed)
        n_rows = int(rng.integers(40, 300))
        one_hot, _, _, _, _ = one_hot_node_hist(rng, n_rows, 10)
        wide = rng.random(10) < 0.4
        X = rng.integers(0, 6, size=(n_rows, 10)).astype(np.uint8)
        X[rng.random((n_rows, 10)) < 0.2] = 15  # missing
        gh = np.empty((n_rows, 2), dtype=np.float32)
        gh[:, 0] = rng.normal(size=n_rows) + 0.7 * (X[:, 2] < 3)
        gh[:, 1] = rng.uniform(0.05, 1.0, size=n_rows)
        hist = histogram.build_histogram_naive(X, gh, np.arange(n_rows), 16)
        hist[~wide] = one_hot[~wide]
        hist[7], hist[9] = hist[4], hist[2]
        n_bins = np.where(wide, 6, 1).astype(np.int32)
        n_bins[7], n_bins[9] = n_bins[4], n_bins[2]
        G, H = hist[0, :, 0].sum(axis=0)
        mask = rng.random(10) < 0.85
        got = best_split(hist, n_bins, mask, G, H, float(n_rows), sp_arr)
        compare_split(got, naive_split(hist, n_bins, mask, G, H, float(n_rows), sp_arr), G, H)
        found += got[1] >= 0
        repeats = {7: 4, 9: 2}
        if got[1] in repeats:  # a repeated column wins only where its first is masked out
            assert not mask[repeats[got[1]]]
    assert found >= 6


def test_add_to_slot_adds_a_row_to_gradient_hessian_and_count_exactly():
    """The 4-wide slot add equals three scalar adds bit for bit and leaves the fourth entry
    alone."""
    from numba import njit, uint64
    from gbt._native.cpu.slot_add import add_to_slot

    @njit
    def add_all(slots, at, g, h):
        for i in range(at.shape[0]):
            add_to_slot(slots, uint64(at[i]) * uint64(4), g[i], h[i])

    rng = np.random.default_rng(3)
    at = rng.integers(0, 5, size=200)
    g, h = rng.normal(size=200) * 1e3, rng.uniform(size=200)
    slots = np.zeros(20)
    slots[3::4] = 7.5  # the unused entry keeps whatever it holds
    add_all(slots, at, g, h)
    expected = np.zeros((5, 4))
    expected[:, 3] = 7.5
    for i, j in enumerate(at):
        expected[j, 0] += g[i]
        expected[j, 1] += h[i]
        expected[j, 2] += 1.0
    np.testing.assert_array_equal(slots.reshape(5, 4), expected)


@pytest.mark.parametrize("lanes", [1, 2])
def test_sparse_scratch_is_zeroed_and_starts_on_a_cache_line(lanes):
    for n_features, n_bins_total in ((3, 2), (127, 2), (5, 256)):
        scratch = histogram.sparse_scratch(n_features, n_bins_total, lanes=lanes)
        assert scratch.ctypes.data % histogram.SCRATCH_ALIGN == 0
        assert scratch.flags.c_contiguous and not scratch.any()
        assert scratch.size == lanes * histogram.sparse_lane_size(n_features, n_bins_total)


def test_leaf_weights_vector_equals_scalar():
    rng = np.random.default_rng(0)
    G, H = rng.normal(size=50) * 10, rng.uniform(0, 5, size=50)
    sp_arr = np.array([1.0, 0.5, 0.0, 0.0, 1.0, 0.3])
    out = np.empty(50)
    split.leaf_weights(G, H, sp_arr, 0.1, out)
    exp = [0.1 * split.leaf_weight(g, h, 1.0, 0.5, 0.3) for g, h in zip(G, H)]
    np.testing.assert_array_equal(out, exp)


def test_find_best_split_missing_bin_semantics():
    """Two value bins; missing rows look like bin 0, so they must go left with bin 0."""
    hist = np.zeros((1, 4, 2))  # max_bin 3: bins 0..2 values, 3 missing; hessian 1 per row
    hist[0, 0] = (-10.0, 5.0)
    hist[0, 1] = (10.0, 5.0)
    hist[0, 3] = (-8.0, 4.0)
    n_bins = np.array([2], dtype=np.int32)
    G, H = hist[0].sum(axis=0)
    C = H
    params = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    mask = np.ones(1, dtype=np.bool_)
    got = best_split(hist, n_bins, mask, G, H, C, params)
    compare_split(got, naive_split(hist, n_bins, mask, G, H, C, params), G, H)
    assert got[1:4] == (0, 0, True)
    assert (got[4], got[5]) == (-18.0, 9.0)
    expected_gain = 18.0 ** 2 / 10.0 + 10.0 ** 2 / 6.0 - G * G / (H + 1.0)
    assert got[0] == pytest.approx(expected_gain, rel=1e-12)
    # Missing rows like bin 1 instead: they follow bin 1 to the right.
    hist[0, 3] = (8.0, 4.0)
    G, H = hist[0].sum(axis=0)
    got = best_split(hist, n_bins, mask, G, H, C, params)
    compare_split(got, naive_split(hist, n_bins, mask, G, H, C, params), G, H)
    assert got[1:4] == (0, 0, False)
    # Only the missing rows differ: "all values left, missing right" (bin = n_bins - 1).
    hist[0] = 0.0
    hist[0, 0] = (1.0, 5.0)
    hist[0, 1] = (1.0, 5.0)
    hist[0, 3] = (-20.0, 4.0)
    G, H = hist[0].sum(axis=0)
    got = best_split(hist, n_bins, mask, G, H, C, params)
    compare_split(got, naive_split(hist, n_bins, mask, G, H, C, params), G, H)
    assert got[1:4] == (0, 1, False) and got[5] == 10.0


def test_find_best_split_no_missing_default_follows_larger_hessian():
    hist = np.zeros((1, 5, 2))
    hist[0, 0] = (-6.0, 1.0)
    hist[0, 1] = (4.0, 8.0)
    hist[0, 2] = (3.0, 2.0)
    n_bins = np.array([3], dtype=np.int32)
    G, H = hist[0].sum(axis=0)
    C = 14.0
    params = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    got = best_split(hist, n_bins, np.ones(1, np.bool_), G, H, C, params)
    assert got[1:3] == (0, 0)
    assert got[3] is False or got[3] == 0  # right child holds more hessian
    hist[0, 0, 1] = 20.0
    G, H = hist[0].sum(axis=0)
    got = best_split(hist, n_bins, np.ones(1, np.bool_), G, H, C, params)
    assert got[1] == 0 and bool(got[3]) == (got[5] >= H - got[5])


def test_find_best_split_nothing_to_split():
    hist = np.zeros((2, 9, 2))
    hist[:, 0] = (3.0, 2.0)  # constant features, no missing rows
    n_bins = np.array([1, 1], dtype=np.int32)
    params = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    got = best_split(hist, n_bins, np.ones(2, np.bool_), 3.0, 2.0, 10.0, params)
    assert got[1] == -1 and got[2] == -1
    rng = np.random.default_rng(3)
    hist, n_bins, G, H, C = random_node_hist(rng, 200, 4, 16, 0.1)
    none = np.zeros(4, dtype=np.bool_)
    assert best_split(hist, n_bins, none, G, H, C, np.array([1.0, 0, 0, 0, 1, 0]))[1] == -1
    huge_gamma = np.array([1.0, 0.0, 1e12, 0.0, 1.0, 0.0])
    got = best_split(hist, n_bins, np.ones(4, np.bool_), G, H, C, huge_gamma)
    assert got[1] == -1
    assert naive_split(hist, n_bins, np.ones(4, np.bool_), G, H, C, huge_gamma)[1] == -1


@pytest.mark.parametrize("G,H,lam,alpha,mds", [
    (-4.0, 2.0, 1.0, 0.0, 0.0), (4.0, 2.0, 0.0, 1.0, 0.0), (0.5, 2.0, 1.0, 1.0, 0.0),
    (-40.0, 2.0, 1.0, 0.0, 0.5), (10.0, 1.0, 1.0, 2.0, 0.1), (3.0, 0.0, 0.0, 0.0, 0.0)])
def test_leaf_weight(G, H, lam, alpha, mds):
    t = np.sign(G) * max(abs(G) - alpha, 0.0)
    w = 0.0 if H + lam <= 0 else -t / (H + lam)
    if mds > 0:
        w = float(np.clip(w, -mds, mds))
    assert split.leaf_weight(G, H, lam, alpha, mds) == pytest.approx(w, rel=1e-12, abs=0)
    # The leaf weight minimises G w + (H + lam) w^2 / 2 + alpha |w| (within the clip).
    if H + lam > 0:
        obj = lambda v: G * v + 0.5 * (H + lam) * v * v + alpha * abs(v)  # noqa: E731
        grid = np.linspace(-mds if mds else -50, mds if mds else 50, 20001)
        assert obj(split.leaf_weight(G, H, lam, alpha, mds)) <= min(obj(v) for v in grid) + 1e-9


# -- partition --------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [300, PARALLEL_MIN_ROWS * 3 + 17], ids=["serial", "parallel"])
@pytest.mark.parametrize("n_chunks", [1, 2, 3])
@pytest.mark.parametrize("default_left", [False, True])
@pytest.mark.parametrize("odtype,max_bin", [(np.uint8, 16), (np.uint16, 400)])
@pytest.mark.parametrize("mostly_right", [False, True], ids=["forward", "from_end"])
def test_partition_rows_vs_naive(size, n_chunks, default_left, odtype, max_bin, mostly_right):
    """The same stable partition whichever side the hint says is larger (the thresholds
    send most rows either way)."""
    rng = np.random.default_rng(size + n_chunks + int(default_left))
    n_rows = size + 500
    column = rng.integers(0, max_bin, size=n_rows).astype(odtype)
    column[rng.random(n_rows) < 0.2] = max_bin
    for threshold in (max_bin // 3, 0, max_bin - 1):
        rows = rng.permutation(n_rows).astype(np.int32)
        before = rows.copy()
        start, end = 200, 200 + size
        scratch = np.full(n_rows, -7, dtype=np.int32)
        counts = np.zeros(n_chunks, dtype=np.int64)
        n_left = partition.partition_rows(column, rows, start, end, threshold, default_left,
                                          max_bin, n_chunks, scratch, counts, mostly_right)
        left, right = partition.partition_rows_naive(column, before[start:end], threshold,
                                                     default_left, max_bin)
        assert n_left == left.size
        np.testing.assert_array_equal(rows[start:start + n_left], left)  # stable order
        np.testing.assert_array_equal(rows[start + n_left:end], right)
        np.testing.assert_array_equal(rows[:start], before[:start])  # outside untouched
        np.testing.assert_array_equal(rows[end:], before[end:])
        b = column[rows[start:end]]
        went_left = np.where(b == max_bin, default_left, b <= threshold)
        assert went_left[:n_left].all() and not went_left[n_left:].any()


@pytest.mark.parametrize("n", [5000, 2 * PARALLEL_MIN_ROWS + 3], ids=["serial", "parallel"])
def test_partition_rows_all_one_side(n):
    column = np.zeros(n, dtype=np.uint8)
    for n_chunks, mostly_right in itertools.product((1, 2, 3), (False, True)):
        rows = np.arange(n, dtype=np.int32)[::-1].copy()
        n_left = partition.partition_rows(column, rows, 0, n, 0, False, 255, n_chunks,
                                          np.empty(n, np.int32), np.empty(n_chunks, np.int64),
                                          mostly_right)
        assert n_left == n
        np.testing.assert_array_equal(rows, np.arange(n)[::-1])
        n_left = partition.partition_rows(column + 3, rows, 0, n, 2, True, 255, n_chunks,
                                          np.empty(n, np.int32), np.empty(n_chunks, np.int64),
                                          mostly_right)
        assert n_left == 0
        np.testing.assert_array_equal(rows, np.arange(n)[::-1])


# -- tree growth ------------------------------------------------------------------------------
def grow_tree_naive(X, gh, rows, n_bins, max_bin, split_params, max_depth, max_leaves,
                    lossguide, masks):
    """Reference grower: fresh naive histogram per node, naive scan, naive partition.

    Returns nodes as dicts in creation order (children ids follow the kernel's numbering)."""
    import heapq
    mcw, mcs = split_params[3], split_params[4]
    nodes = []

    def add(node_rows, depth):
        hist = histogram.build_histogram_naive(X, gh, node_rows, max_bin + 1)
        G, H = hist[0, :, :, 0].sum(axis=0), hist[0, :, :, 1].sum(axis=0)  # (K,) each
        node = dict(rows=node_rows, depth=depth, G=G, H=H, feature=-1, left=-1, right=-1)
        node_id = len(nodes)
        nodes.append(node)
        C = node_rows.size
        if (max_depth > 0 and depth >= max_depth) or C < 2 * mcs or H.sum() < 2 * mcw:
            return
        mask = masks[node_id if masks.shape[0] > 1 else 0]
        best = split.find_best_split_naive(hist, n_bins, mask, np.r_[G, H, C], split_params)
        if best[1] >= 0:
            node["best"] = best
            key = -best[0] if lossguide else depth
            heapq.heappush(heap, (key, node_id))

    heap = []
    add(rows, 0)
    n_leaves = 1
    while heap and (max_leaves <= 0 or n_leaves < max_leaves):
        _, node_id = heapq.heappop(heap)
        node = nodes[node_id]
        gain, f, b, dl = node["best"][:4]
        left, right = partition.partition_rows_naive(X[:, f], node["rows"], b, dl, max_bin)
        node.update(feature=f, bin=b, default_left=dl, gain=gain, left=len(nodes),
                    right=len(nodes) + 1)
        add(left, node["depth"] + 1)
        add(right, node["depth"] + 1)
        n_leaves += 1
    return nodes


@pytest.mark.parametrize("case", [
    # n_rows, n_chunks, lossguide, max_depth, max_leaves, min_child_samples, per-node masks, K
    (700, 1, True, 0, 12, 1, False, 1),
    (9000, 2, True, 0, 40, 20, True, 1),  # > 64 nodes: the node tables grow
    (LARGE, 2, False, 4, 0, 1, False, 1),
    (3000, 3, False, 3, 5, 50, True, 1),
    (2500, 2, True, 0, 20, 5, False, 3),  # vector leaves
    (LARGE, 2, False, 3, 0, 1, True, 4),
])
def test_grow_tree_vs_naive_grower(case):
    from gbt._native.cpu import grow
    from numba import typed, types
    n_rows, n_chunks, lossguide, max_depth, max_leaves, mcs, node_masks, K = case
    rng = np.random.default_rng(n_rows + K)
    max_bin, nf = 32, 4
    X, gh1, _ = hist_inputs(rng, n_rows, nf, max_bin)
    gh = np.empty((n_rows, K, 2), dtype=np.float32)
    for k in range(K):  # outputs that share some structure and differ in the rest
        gh[:, k, 0] = rng.normal(size=n_rows) + 0.8 * (X[:, 1] > 10) - 0.5 * (X[:, k % nf] < 5)
        gh[:, k, 1] = rng.uniform(0.05, 1.0, size=n_rows)
    if K == 1:
        gh[:, 0, 1] = gh1[:, 1]
    # Per-feature bin counts below max_bin: kernels touch only the valid bins.
    n_bins = np.full(nf, max_bin, dtype=np.int32)
    n_bins[2] = 20
    X[:, 2] = np.where(X[:, 2] == max_bin, max_bin, X[:, 2] % 20)
    split_params = np.array([1.0, 0.0, 0.0, 1e-3, mcs, 0.0])
    masks = rng.random((2 * n_rows, nf)) < 0.7 if node_masks else np.ones((1, nf), np.bool_)
    sample = np.sort(rng.choice(n_rows, n_rows - 37, replace=False)).astype(np.int32)
    rows = np.full(n_rows, -1, dtype=np.int32)
    rows[:sample.size] = sample
    pool = typed.List.empty_list(types.float64[:, :, :, ::1])
    buffers = np.zeros((n_chunks, nf, max_bin + 1, K, 2))
    for _ in range(2):  # the second tree reuses the pooled histogram buffers
        node_int, node_float = grow.grow_tree(
            X, np.ascontiguousarray(X.T), gh, rows, sample.size, n_bins, max_bin,
            split_params, max_depth, max_leaves, lossguide, masks, n_chunks,
            np.empty(n_rows, np.int32), np.empty(n_chunks, np.int64), buffers, pool)
        rows[:sample.size] = sample
    expected = grow_tree_naive(X, gh, sample, n_bins, max_bin, split_params, max_depth,
                               max_leaves, lossguide, masks)
    assert node_int.shape[0] == len(expected) > 5
    rows_after = rows.copy()
    node_int2, _ = grow.grow_tree(
        X, np.ascontiguousarray(X.T), gh, rows_after, sample.size, n_bins, max_bin,
        split_params, max_depth, max_leaves, lossguide, masks, n_chunks,
        np.empty(n_rows, np.int32), np.empty(n_chunks, np.int64), buffers, pool)
    np.testing.assert_array_equal(node_int2, node_int)  # reproducible with a reused pool
    g_cols, h_cols = grow.node_float_columns(K)
    for k, exp in enumerate(expected):
        got = node_int[k]
        assert got[grow.NODE_LEFT] == exp["left"] and got[grow.NODE_RIGHT] == exp["right"]
        np.testing.assert_allclose(node_float[k, g_cols], exp["G"], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(node_float[k, h_cols], exp["H"], rtol=1e-9, atol=1e-6)
        if exp["left"] == -1:
            segment = rows_after[got[grow.NODE_START]:got[grow.NODE_END]]
            np.testing.assert_array_equal(segment, exp["rows"])  # stable leaf row order
        else:
            assert (got[grow.NODE_FEATURE], got[grow.NODE_BIN]) == (exp["feature"], exp["bin"])
            assert bool(got[grow.NODE_DEFAULT_LEFT]) == bool(exp["default_left"])
            assert node_float[k, grow.NODE_GAIN] == pytest.approx(exp["gain"], rel=1e-7)
        if max_depth:
            assert exp["depth"] <= max_depth
    n_leaves = sum(e["left"] == -1 for e in expected)
    if max_leaves:
        assert n_leaves <= max_leaves
    leaf_rows = np.concatenate([e["rows"] for e in expected if e["left"] == -1])
    np.testing.assert_array_equal(np.sort(leaf_rows), sample)  # leaves partition the sample


# -- prediction -------------------------------------------------------------------------------
def hand_trees():
    """Four small trees over 3 features; child indices are local to each tree."""
    return [
        dict(feature=[0, -1, 1, -1, -1], threshold=[0.5, 0, -1.0, 0, 0],
             default_left=[True, False, False, False, False], left=[1, -1, 3, -1, -1],
             right=[2, -1, 4, -1, -1], value=[0.0, 1.0, 0.0, -2.0, 3.0]),
        dict(feature=[-1], threshold=[0.0], default_left=[False], left=[-1], right=[-1],
             value=[0.25]),
        dict(feature=[2, -1, -1], threshold=[MAX_THRESHOLD, 0, 0],
             default_left=[False, False, False], left=[1, -1, -1], right=[2, -1, -1],
             value=[0.0, 10.0, -10.0]),
        dict(feature=[1, 2, -1, -1, 0, -1, -1], threshold=[0.0, 1.0, 0, 0, -1.0, 0, 0],
             default_left=[False, True, False, False, True, False, False],
             left=[1, 3, -1, -1, 5, -1, -1], right=[2, 4, -1, -1, 6, -1, -1],
             value=[0, 0, 5.0, 6.0, 0, 7.0, 8.0]),
    ]


def pack(trees):
    sizes = [len(t["feature"]) for t in trees]
    offsets = np.zeros(len(trees) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes)

    def cat(name, dtype):
        return np.ascontiguousarray(np.concatenate([t[name] for t in trees]), dtype=dtype)

    widths = np.array([np.asarray(t["value"]).reshape(len(t["feature"]), -1).shape[1]
                       for t in trees], dtype=np.int32)
    value_offsets = np.zeros(len(trees) + 1, dtype=np.int64)
    value_offsets[1:] = np.cumsum(np.asarray(sizes) * widths)
    value = np.concatenate([np.ravel(t["value"]) for t in trees]).astype(np.float64)
    return (cat("feature", np.int32), cat("threshold", np.float64),
            cat("default_left", np.bool_), cat("left", np.int32), cat("right", np.int32),
            (value, value_offsets, widths), offsets)


def prediction_data(dtype, n=5 * ROW_BLOCK + 7):
    rng = np.random.default_rng(13)
    X = rng.normal(0, 1.5, size=(n, 3))
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:7] = [[0.5, -1.0, 1.0], [0.5, 0.0, np.nan], [-1.0, np.nan, 1.0], [np.nan] * 3,
             [-2.0, -1.0, 5.0], [np.nan, -1.0, 5.0], [0.0, -1.0, 5.0]]
    return np.ascontiguousarray(X.astype(dtype))


def walk(tree, x):
    node = 0
    while tree["left"][node] != -1:
        v = x[tree["feature"][node]]
        go_left = tree["default_left"][node] if np.isnan(v) else v <= tree["threshold"][node]
        node = tree["left"][node] if go_left else tree["right"][node]
    return node


@pytest.mark.parametrize("n_chunks", [1, 2])
def test_predict_raw_blocks_with_and_without_missing_values_vs_naive(n_chunks):
    """Row blocks without a NaN take the walk that skips default directions; blocks with
    one (here only the second and the last) take the full one: the same leaves either way."""
    trees = hand_trees()
    tree_output = np.array([0, 1, 0, 1], dtype=np.int32)
    base = prediction_data(np.float64)
    complete = base[~np.isnan(base).any(axis=1)]
    n = 4 * predict.ROW_BLOCK + 13
    X = complete[np.arange(n) % len(complete)].copy()
    X[predict.ROW_BLOCK + 5] = base[np.isnan(base).any(axis=1)][0]
    X[n - 1, 0] = np.nan
    feature, threshold, dl, left, right, value, offsets = pack(trees)
    value, value_offsets, widths = value
    walk = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                              offsets, widths)
    out = np.zeros((n, 2))
    predict.predict_raw(X, *walk, value_offsets, offsets, tree_output, widths, n_chunks, out)
    np.testing.assert_allclose(out, predict.predict_raw_naive(X, trees, tree_output, 2),
                               rtol=0, atol=1e-12)
    assert not predict._has_missing(X, 0, predict.ROW_BLOCK)
    assert predict._has_missing(X, predict.ROW_BLOCK, 2 * predict.ROW_BLOCK)


@pytest.mark.parametrize("strategy", ["one_per_output", "condensed"])
def test_walk_nodes_vs_naive(strategy):
    """The compiled packing of a forest's walk gives the numpy reference's arrays: hand trees
    (with unreachable nodes) and grown trees with scalar or vector leaves, with and without
    the training rows per node."""
    import gbt
    from gbt.predict import PackedForest
    rng = np.random.default_rng(12)
    X = rng.normal(size=(600, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) > 0).astype(int) + (np.nan_to_num(X[:, 1]) > 0.5)
    booster = gbt.train({"objective": "multi:softprob", "num_class": 3, "max_leaves": 12,
                         "multi_strategy": strategy, "n_jobs": 1}, gbt.Dataset(X, y), 4)
    grown = PackedForest(booster.trees, booster.tree_output)
    feature, threshold, dl, left, right, value, offsets = pack(hand_trees())
    value, value_offsets, widths = value
    cases = [(feature, threshold, dl, left, right, value, value_offsets, offsets, widths)]
    cases.append((grown.feature, grown.threshold, grown.default_left, grown.left, grown.right,
                  grown.value, grown.value_offsets, grown.tree_offsets, grown.tree_width))
    for args in cases:
        count = np.random.default_rng(3).integers(1, 50, args[3].size).astype(np.float64)
        for rows in (None, count):
            for got, want in zip(predict.walk_nodes(*args, rows),
                                 predict.walk_nodes_naive(*args, rows)):
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_chunks", [1, 2, 4])
def test_predict_raw_vs_naive(dtype, n_chunks):
    trees = hand_trees()
    tree_output = np.array([0, 1, 0, 1], dtype=np.int32)
    X = prediction_data(dtype)
    feature, threshold, dl, left, right, value, offsets = pack(trees)
    start = np.random.default_rng(0).normal(size=(X.shape[0], 2))
    out = start.copy()
    value, value_offsets, widths = value
    walk = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                              offsets, widths)
    predict.predict_raw(X, *walk, value_offsets, offsets, tree_output, widths, n_chunks, out)
    expected = predict.predict_raw_naive(X, trees, tree_output, 2)
    np.testing.assert_allclose(out - start, expected, rtol=0, atol=1e-12)  # IN/OUT: adds
    # Hand-checked rows: x0 == threshold goes left; NaN follows default_left.
    assert expected[0, 0] == 1.0 + 10.0 and expected[0, 1] == 0.25 + 6.0
    assert expected[1, 0] == 1.0 - 10.0 and expected[1, 1] == 0.25 + 6.0
    assert expected[2, 0] == 1.0 + 10.0 and expected[2, 1] == 0.25 + 5.0
    assert expected[3, 0] == 1.0 - 10.0 and expected[3, 1] == 0.25 + 5.0
    np.testing.assert_array_equal(expected[4:7, 1], 0.25 + np.array([7.0, 7.0, 8.0]))
    np.testing.assert_array_equal(expected[4:7, 0], [1.0 + 10.0, 1.0 + 10.0, 1.0 + 10.0])


def sparse_rows(X, extra_columns=1):
    """X as CSR with its NaN cells absent, an explicit NaN stored in row 3, and
    ``extra_columns`` more columns of values that no tree splits on."""
    rng = np.random.default_rng(5)
    wide = np.hstack([X, rng.normal(size=(X.shape[0], extra_columns)).astype(X.dtype)])
    present = ~np.isnan(wide)
    rows, cols = np.nonzero(present)
    data = wide[present]
    nan_at = np.flatnonzero(rows == 3)[:1]  # row 3 is all missing in X: store one NaN there
    rows = np.concatenate([rows, [3]])
    cols = np.concatenate([cols, [0]])
    data = np.concatenate([data, [np.nan]]).astype(X.dtype)
    assert nan_at.size == 1  # row 3's one present cell is the extra column's
    return sp.csr_matrix((data, (rows, cols)), shape=wide.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_chunks", [1, 2, 3])
def test_predict_raw_sparse_vs_naive(dtype, n_chunks):
    """The coded walk over CSR rows finds the leaves the float walk finds on the same rows
    with absent cells NaN: a value equal to a threshold goes left, missing values (absent or a
    stored NaN) follow either default direction, the all-left MAX_THRESHOLD split sends
    missing values right, and columns no tree splits on are skipped."""
    trees = hand_trees()
    tree_output = np.array([0, 1, 0, 1], dtype=np.int32)
    X = prediction_data(dtype)
    csr = sparse_rows(X)
    feature, threshold, dl, left, right, value, offsets = pack(trees)
    value, value_offsets, widths = value
    walk = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                              offsets, widths)
    coded = predict.coded_walk(walk[0], walk[1], offsets)
    start = np.random.default_rng(0).normal(size=(X.shape[0], 2))
    out = start.copy()
    predict.predict_raw_sparse(csr.indptr, csr.indices, csr.data, *coded, *walk[2:],
                               value_offsets, offsets, tree_output, widths, n_chunks, out)
    expected = predict.predict_raw_naive(X, trees, tree_output, 2)
    np.testing.assert_allclose(out - start, expected, rtol=0, atol=1e-12)  # IN/OUT: adds


def test_coded_walk_codes_and_limits():
    """Each feature's distinct thresholds, ascending; codes count the cuts below a value."""
    trees = hand_trees()
    feature, threshold, dl, left, right, value, offsets = pack(trees)
    value, value_offsets, widths = value
    walk = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                              offsets, widths)
    cuts, cut_offsets, _ = predict.coded_walk(walk[0], walk[1], offsets)
    np.testing.assert_array_equal(cut_offsets, [0, 2, 4, 6])
    np.testing.assert_array_equal(cuts, [-1.0, 0.5, -1.0, 0.0, 1.0, MAX_THRESHOLD])
    # rows: feature 0 = -1 (on the first cut), 0.7 (above both); feature 1 absent / 5;
    # feature 2 = NaN stored, then 2.0 repeated after it (the last entry wins)
    csr = sp.csr_matrix((np.array([-1.0, np.nan, 2.0, 0.7, 5.0]),
                         np.array([0, 2, 2, 0, 1]), np.array([0, 3, 5])), shape=(2, 3))
    codes = np.full((2, 6), 7, dtype=np.uint8)
    predict.code_csr_rows(csr.indptr, csr.indices, csr.data, 0, cuts, cut_offsets, codes)
    np.testing.assert_array_equal(codes, [[1, 0, 2, 0, 255, 1], [3, 3, 0, 2, 2, 255]])
    # a feature with more distinct thresholds than one byte can rank: no coded walk
    many = [dict(feature=[0, -1, -1], threshold=[float(i), 0, 0], default_left=[True] * 3,
                 left=[1, -1, -1], right=[2, -1, -1], value=[0.0, 1.0, 2.0])
            for i in range(predict.MAX_CODED_THRESHOLDS + 1)]
    feature, threshold, dl, left, right, value, offsets = pack(many)
    value, value_offsets, widths = value
    walk = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                              offsets, widths)
    assert predict.coded_walk(walk[0], walk[1], offsets) is None
    assert predict.coded_walk(walk[0][3:], walk[1][3:], offsets[1:] - 3) is not None


@pytest.mark.parametrize("n_chunks", [1, 3])
def test_predict_leaf_vs_walk(n_chunks):
    trees = hand_trees()
    X = prediction_data(np.float64)
    feature, threshold, dl, left, right, _, offsets = pack(trees)
    out = np.full((X.shape[0], len(trees)), -5, dtype=np.int32)
    predict.predict_leaf(X, feature, threshold, dl, left, right, offsets, n_chunks, out)
    expected = np.array([[walk(t, x) for t in trees] for x in X])
    np.testing.assert_array_equal(out, expected)


def binned_tree():
    # node 0: f1 <= 3 (missing right); node 1: f0 <= 0 (missing left); node 2: f2 <= 10
    return dict(feature=np.array([1, 0, 2, -1, -1, -1, -1], np.int32),
                threshold_bin=np.array([3, 0, 10, -1, -1, -1, -1], np.int32),
                default_left=np.array([False, True, True, False, False, False, False]),
                left=np.array([1, 3, 5, -1, -1, -1, -1], np.int32),
                right=np.array([2, 4, 6, -1, -1, -1, -1], np.int32),
                value=np.array([0, 0, 0, 1.5, -2.5, 3.5, -4.5]))


def binned_walk(t, Xb, missing_bin):
    out = np.empty(Xb.shape[0])
    for r in range(Xb.shape[0]):
        node = 0
        while t["left"][node] != -1:
            b = Xb[r, t["feature"][node]]
            go = t["default_left"][node] if b == missing_bin else b <= t["threshold_bin"][node]
            node = t["left"][node] if go else t["right"][node]
        out[r] = t["value"][node]
    return out


@pytest.mark.parametrize("n_chunks", [1, 2, 5])
@pytest.mark.parametrize("odtype,max_bin", [(np.uint8, 16), (np.uint16, 300)])
def test_predict_binned_tree_vs_numpy(n_chunks, odtype, max_bin):
    rng = np.random.default_rng(14)
    n = 1000
    Xb = rng.integers(0, 16, size=(n, 3)).astype(odtype)
    Xb[rng.random(Xb.shape) < 0.15] = max_bin
    t = binned_tree()
    rows = np.sort(rng.choice(n, 600, replace=False)).astype(np.int32)
    base = rng.normal(size=(n, 3))  # three output columns; the tree adds to column 1
    out = base.copy()
    predict.predict_binned_tree(Xb, t["feature"], t["threshold_bin"], t["default_left"],
                                t["left"], t["right"], t["value"][:, None], max_bin, rows,
                                n_chunks, 1, out)
    expected = base.copy()
    expected[rows, 1] += binned_walk(t, Xb, max_bin)[rows]
    np.testing.assert_array_equal(out, expected)  # other columns and rows untouched
    # A vector-leaf tree adds its leaf-value columns to consecutive output columns.
    wide = np.c_[t["value"], -2.0 * t["value"]]
    margins = np.zeros((n, 3))
    predict.predict_binned_tree(Xb, t["feature"], t["threshold_bin"], t["default_left"],
                                t["left"], t["right"], wide, max_bin, rows, n_chunks, 1,
                                margins)
    walked = binned_walk(t, Xb, max_bin) * np.isin(np.arange(n), rows)
    np.testing.assert_array_equal(margins[:, 1], walked)
    np.testing.assert_array_equal(margins[:, 2], -2.0 * walked)
    np.testing.assert_array_equal(margins[:, 0], 0.0)


def test_add_leaf_values_vs_numpy():
    rng = np.random.default_rng(15)
    n, n_nodes = 2000, 9
    leaf_of_row = rng.integers(0, n_nodes, size=n).astype(np.int32)
    leaf_of_row[rng.random(n) < 0.2] = -1  # rows outside the sample keep their margins
    values = rng.normal(size=(n_nodes, 2))
    base = rng.normal(size=(n, 3))
    out = base.copy()
    predict.add_leaf_values(leaf_of_row, values, 1, out)
    expected = base.copy()
    has_leaf = leaf_of_row >= 0
    expected[has_leaf, 1:] += values[leaf_of_row[has_leaf]]
    np.testing.assert_array_equal(out, expected)
    out = base.copy()
    predict.add_leaf_values(leaf_of_row, values[:, :1], 2, out)  # a one-output tree
    expected = base.copy()
    expected[has_leaf, 2] += values[leaf_of_row[has_leaf], 0]
    np.testing.assert_array_equal(out, expected)


def test_backend_exposes_kernels():
    xp, k = get_backend("cpu")
    assert xp is np
    for name in ("bin_dense", "bin_csc", "few_distinct_values", "build_histogram",
                 "subtract_histogram", "find_best_split", "find_best_split_pair", "leaf_weights",
                 "partition_rows", "predict_raw", "predict_raw_sparse", "predict_leaf", "predict_binned_tree", "add_leaf_values"):
        assert callable(getattr(k, name)), name
    from gbt._native.gpu import cuda_available
    if cuda_available():
        _, gpu = get_backend("cuda")
        for name in ("bin_dense", "build_histograms", "best_splits", "partition",
                     "predict_raw", "predict_binned_tree", "add_leaf_values"):
            assert callable(getattr(gpu, name)), name
    else:
        with pytest.raises(RuntimeError, match="device='cuda' needs a CUDA GPU"):
            get_backend("cuda")
    with pytest.raises(ValueError, match="device='tpu'"):
        get_backend("tpu")


def test_fast_exp_within_3_ulps_of_numpy_and_clamped_outside():
    from numba import njit

    from gbt._native.cpu.fast_exp import fast_exp

    @njit(error_model="numpy")
    def exps(x, out):
        for i in range(x.shape[0]):
            out[i] = fast_exp(x[i])

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-708, 709, 200_000), rng.normal(0, 3, 100_000),
                        [0.0, -0.0, 1e-300, -1e-300, -708.0, 709.0, np.log(2.0)]])
    out = np.empty_like(x)
    exps(x, out)
    ulps = np.abs(out.view(np.int64) - np.exp(x).view(np.int64))
    assert ulps.max() <= 3
    edges = np.array([-1e4, -745.0, 710.0, 1e4])  # clamped to [-708, 709]: finite, no inf
    out, clamped = np.empty_like(edges), np.empty_like(edges)
    exps(edges, out)
    exps(np.clip(edges, -708.0, 709.0), clamped)
    np.testing.assert_array_equal(out, clamped)
    assert np.isfinite(out).all() and (out > 0).all()


def test_fill_tree_writes_the_node_tables_into_tree_arrays():
    """A numeric split, a categorical split and three leaves, against the tables by hand."""
    from gbt._native.cpu import grow
    from gbt.tree import Tree
    node_int = np.full((5, grow.N_NODE_INT), -1, dtype=np.int64)
    node_int[:, grow.NODE_DEFAULT_LEFT] = 0
    node_int[:, grow.NODE_START] = [0, 0, 6, 6, 8]
    node_int[:, grow.NODE_END] = [10, 6, 10, 8, 10]
    node_int[0, [grow.NODE_FEATURE, grow.NODE_BIN, grow.NODE_LEFT, grow.NODE_RIGHT]] = [0, 2, 1, 2]
    node_int[0, grow.NODE_DEFAULT_LEFT] = 1
    node_int[2, [grow.NODE_FEATURE, grow.NODE_BIN, grow.NODE_LEFT, grow.NODE_RIGHT]] = [1, 7, 3, 4]
    gain = np.array([3.0, 0.0, 1.5, 0.0, 0.0])
    G = np.array([[-4.0], [-5.0], [1.0], [2.0], [-1.0]])
    H = np.array([[10.0], [6.0], [4.0], [2.0], [2.0]])
    split_params = np.array([1.0, 0.0, 0.0, 1e-3, 1.0, 0.0])  # lambda 1
    cut_table = np.array([[0.5, 1.5, 2.5, np.inf], [np.inf] * 4])
    is_cat = np.array([False, True])
    node_cat = np.zeros((5, 40), dtype=np.bool_)
    node_cat[2, [0, 3, 33]] = True  # node 2 sends categories 0, 3 and 33 left
    n_bins = np.array([3, 40], dtype=np.int32)
    tree = Tree(5, 1)
    tree.cat_bits = np.zeros((5, 2), dtype=np.uint32)
    grow.fill_tree(node_int, gain, G, H, split_params, 0.1, cut_table, 1e300, is_cat, node_cat,
                   n_bins, tree.feature, tree.threshold, tree.threshold_bin, tree.default_left,
                   tree.left, tree.right, tree.value, tree.gain, tree.cover, tree.count,
                   tree.is_categorical, tree.cat_count, tree.cat_bits)
    np.testing.assert_array_equal(tree.feature, [0, -1, 1, -1, -1])
    np.testing.assert_array_equal(tree.left, [1, -1, 3, -1, -1])
    np.testing.assert_array_equal(tree.right, [2, -1, 4, -1, -1])
    np.testing.assert_array_equal(tree.default_left, [True, False, False, False, False])
    np.testing.assert_array_equal(tree.threshold_bin, [2, -1, -1, -1, -1])
    np.testing.assert_array_equal(tree.threshold, [2.5, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(tree.gain, gain)
    np.testing.assert_array_equal(tree.count, [10, 6, 4, 2, 2])
    np.testing.assert_array_equal(tree.cover, H[:, 0])
    np.testing.assert_allclose(tree.value[:, 0], -0.1 * G[:, 0] / (H[:, 0] + 1.0))
    np.testing.assert_array_equal(tree.is_categorical, [False, False, True, False, False])
    assert tree.cat_count[2] == 40 and tree.left_categories(2) == [0, 3, 33]
    assert not tree.cat_bits[[0, 1, 3, 4]].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_chunks", [1, 3])
@pytest.mark.parametrize("where", [None, (0, 0), (499, 6), (250, 3)])
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_any_inf_vs_naive(dtype, n_chunks, where, value):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 7)).astype(dtype)
    X[rng.random(X.shape) < 0.2] = np.nan  # NaN is missing, not inf
    X[1, 2] = np.finfo(dtype).max
    if where is not None:
        X[where] = value
    assert checks.any_inf(X, n_chunks) == checks.any_inf_naive(X) == (where is not None)


@pytest.mark.parametrize("shape", [(1, 1), (7, 1), (513, 3)])
@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("in_b", [False, True])
def test_all_finite_vs_naive(shape, bad, in_b):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape).astype(np.float32)
    a[0, 0] = np.finfo(np.float32).max   # finite extremes are finite
    b[-1, -1] = np.finfo(np.float32).tiny / 4  # a subnormal
    a[-1, 0] = -0.0
    if bad is not None:  # the last element: the kernel's tail after its blocks of four
        (b if in_b else a)[-1, -1] = bad
    got = checks.all_finite(a.view(np.uint32), b.view(np.uint32))
    assert got == checks.all_finite_naive(a, b) == (bad is None)


def test_prediction_input_with_inf_is_rejected(binary_data):
    import gbt
    X, y = binary_data
    booster = gbt.train({"n_jobs": 2}, gbt.Dataset(X, y), 2)
    X_bad = np.array(X, dtype=np.float64)
    X_bad[-1, -1] = -np.inf
    with pytest.raises(ValueError, match="contains inf"):
        booster.predict(X_bad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lo, hi", [(0, 40), (13, 29), (39, 40)])
def test_densify_csr_rows_vs_naive(dtype, lo, hi):
    rng = np.random.default_rng(1)
    dense = rng.standard_normal((40, 9)).astype(dtype)
    dense[rng.random(dense.shape) < 0.7] = 0.0
    dense[5, 3] = np.nan  # a stored NaN stays NaN
    csr = sp.csr_matrix(dense)
    csr.indices = csr.indices.copy()
    # an unsorted row and a repeated entry (the last one wins, as in the naive assignment)
    row = slice(csr.indptr[20], csr.indptr[21])
    csr.indices[row] = csr.indices[row][::-1].copy()
    csr.data[row] = csr.data[row][::-1].copy()
    out = np.empty((hi - lo, 9), dtype=dtype)
    predict.densify_csr_rows(csr.indptr, csr.indices, csr.data, lo, out)
    expected = predict.densify_csr_rows_naive(csr, lo, hi)
    np.testing.assert_array_equal(out, expected)
    assert np.isnan(out).sum() == np.isnan(expected).sum() > 0


def test_densify_csr_rows_repeated_entry_last_wins():
    csr = sp.csr_matrix((np.array([1.0, 2.0]), np.array([1, 1]), np.array([0, 2])), shape=(1, 3))
    out = np.empty((1, 3))
    predict.densify_csr_rows(csr.indptr, csr.indices, csr.data, 0, out)
    np.testing.assert_array_equal(out, [[np.nan, 2.0, np.nan]])
    np.testing.assert_array_equal(predict.densify_csr_rows_naive(csr, 0, 1), out)


def depth_first_trees():
    """Trees numbered depth-first (children not side by side), one with a node no walk
    reaches (node 5) and vector leaves."""
    return [
        dict(feature=[0, 1, -1, -1, -1], threshold=[0.0, 0.5, 0, 0, 0],
             default_left=[False, True, False, False, False], left=[1, 2, -1, -1, -1],
             right=[4, 3, -1, -1, -1], value=[[0, 0], [0, 0], [1.0, -1.0], [2.0, -2.0],
                                               [3.0, -3.0]]),
        dict(feature=[2, -1, 0, -1, -1, -1], threshold=[1.0, 0, -0.5, 0, 0, 0],
             default_left=[True, False, False, False, False, False], left=[2, -1, 4, -1, -1, -1],
             right=[1, -1, 3, -1, -1, -1], value=[[0, 0], [5.0, 0.5], [0, 0], [6.0, 0.6],
                                                  [7.0, 0.7], [99.0, 99.0]]),
    ]


def test_breadth_first_places_puts_children_side_by_side():
    feature, threshold, dl, left, right, _, offsets = pack(depth_first_trees())
    place = predict.breadth_first_places(left, right, offsets)
    np.testing.assert_array_equal(place, [0, 1, 3, 4, 2, 0, 2, 1, 4, 3, -1])


@pytest.mark.parametrize("n_chunks", [1, 2])
def test_predict_raw_renumbered_trees_vs_naive(n_chunks):
    trees = depth_first_trees()
    X = prediction_data(np.float64)
    feature, threshold, dl, left, right, value, offsets = pack(trees)
    value, value_offsets, widths = value
    walk = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                              offsets, widths)
    out = np.zeros((X.shape[0], 2))
    tree_output = np.zeros(2, dtype=np.int32)
    predict.predict_raw(X, *walk, value_offsets, offsets, tree_output, widths, n_chunks, out)
    np.testing.assert_allclose(out, predict.predict_raw_naive(X, trees, tree_output, 2),
                               rtol=0, atol=1e-12)
    for hand_checked in ([1.0 + 7.0, -1.0 + 0.7], [3.0 + 5.0, -3.0 + 0.5]):  # rows do reach them
        assert np.isclose(out, hand_checked).all(axis=1).any()


def steps_cost_naive(leaf_depths, leaf_rows, sure, depth, checked_cost):
    """walk_steps' expected cost of ``sure`` unchecked steps, from the leaves' depths and rows
    by enumeration: P(the deepest of 8 rows is at depth d) = P(<= d)^8 - P(<= d - 1)^8."""
    if sure >= depth:
        return float(depth)
    rows = np.asarray(leaf_rows, dtype=float) / np.sum(leaf_rows)
    at_most = [rows[np.asarray(leaf_depths) <= d].sum() for d in range(depth + 1)]
    cost = float(sure)
    for d in range(depth + 1):
        deepest = at_most[d] ** 8 - (at_most[d - 1] ** 8 if d else 0.0)
        cost += checked_cost * deepest * (max(d - sure, 0) + 1)
    return cost


def chain_tree(depth, leaf_rows):
    """A tree whose internal nodes form one chain: at each depth 1..depth one leaf comes off
    (two at the last); ``leaf_rows[i]`` rows reach the i-th leaf in breadth-first order.
    Returns the tree (walk_nodes' node fields) and its count array."""
    n_nodes = 2 * depth + 1
    left, right = np.full(n_nodes, -1), np.full(n_nodes, -1)
    for d in range(depth):  # the chain's node at depth d is 2d - 1 (the root 0)
        node = 2 * d - 1 if d else 0
        left[node], right[node] = 2 * d + 1, 2 * d + 2
    count = np.zeros(n_nodes)
    count[left == -1] = leaf_rows
    tree = dict(feature=[0] * n_nodes, threshold=[0.0] * n_nodes,
                default_left=[True] * n_nodes, left=left, right=right, value=[0.0] * n_nodes)
    return tree, count


def test_walk_steps_chain_trees_hand_checked():
    """A depth-6 chain: with the rows at the first leaf, one sure step then tested rounds;
    with them at the deepest leaves, all six steps untested; plans follow the cost."""
    for leaf_rows, expected_sure in (([1e6, 1, 1, 1, 1, 1, 1], 1),
                                     ([1, 1, 1, 1, 1, 1e6, 1e6], 6)):
        tree, count = chain_tree(6, leaf_rows)
        feature, threshold, dl, left, right, value, offsets = pack([tree])
        value, value_offsets, widths = value
        steps = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                                   offsets, widths, count)[3]
        np.testing.assert_array_equal(steps, [[expected_sure, 6]])


def test_walk_steps_minimise_the_expected_cost():
    """On random chain trees (rows, or none: each split halves them) the plan is the cheapest
    number of sure steps by the enumerated cost; a tree that is one leaf takes no step."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        depth = int(rng.integers(1, 9))
        leaf_rows = rng.integers(0, 100, size=depth + 1).astype(float)
        tree, count = chain_tree(depth, leaf_rows)
        if rng.random() < 0.3:
            count[:] = 0.0  # no training rows recorded: each split halves the rows
        feature, threshold, dl, left, right, value, offsets = pack([tree])
        value, value_offsets, widths = value
        walk = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                                  offsets, widths, count)
        leaf_depths = [min(i, depth) for i in range(1, depth + 2)]  # breadth-first leaves
        rows = leaf_rows if count.sum() > 0 else [0.5 ** d for d in leaf_depths]
        costs = [steps_cost_naive(leaf_depths, rows, s, depth, predict.CHECKED_ROUND_COST)
                 for s in range(depth + 1)]
        sure, tree_depth = walk[3][0]
        assert tree_depth == depth
        assert costs[sure] == pytest.approx(min(costs), rel=1e-12)
    stump = dict(feature=[-1], threshold=[0.0], default_left=[False], left=[-1], right=[-1],
                 value=[0.25])
    feature, threshold, dl, left, right, value, offsets = pack([stump, stump])
    value, value_offsets, widths = value
    steps = predict.walk_nodes(feature, threshold, dl, left, right, value, value_offsets,
                               offsets, widths)[3]
    np.testing.assert_array_equal(steps, [[0, 0], [0, 0]])


@pytest.mark.parametrize("trees", [hand_trees, depth_first_trees])
@pytest.mark.parametrize("plan", ["all tested", "one sure", "all sure", "too many sure"])
def test_predict_raw_leaves_do_not_depend_on_the_step_plan(trees, plan):
    """However many steps are taken untested (none, some, the depth, past it: a leaf loops
    to itself), the dense and the coded walks reach the leaves the naive walk reaches."""
    trees = trees()
    X = prediction_data(np.float64)
    feature, threshold, dl, left, right, value, offsets = pack(trees)
    value, value_offsets, widths = value
    threshold_w, links, value_w, steps = predict.walk_nodes(
        feature, threshold, dl, left, right, value, value_offsets, offsets, widths)
    depth = steps[:, 1]
    sure = {"all tested": 0 * depth, "one sure": np.minimum(depth, 1), "all sure": depth,
            "too many sure": depth + 2}[plan]
    plan_steps = np.ascontiguousarray(np.stack([sure, depth], axis=1))
    tree_output = np.zeros(len(trees), dtype=np.int32)
    expected = predict.predict_raw_naive(X, trees, tree_output, 2)
    out = np.zeros((X.shape[0], 2))
    predict.predict_raw(X, threshold_w, links, value_w, plan_steps, value_offsets, offsets,
                        tree_output, widths, 2, out)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)
    coded = predict.coded_walk(threshold_w, links, offsets)
    csr = sparse_rows(X)
    out = np.zeros((X.shape[0], 2))
    predict.predict_raw_sparse(csr.indptr, csr.indices, csr.data, *coded, value_w, plan_steps,
                               value_offsets, offsets, tree_output, widths, 2, out)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_transpose_bins_is_the_transpose_for_every_shape(dtype):
    """Full 8x8 blocks, the rows and columns past them, and matrices smaller than a block."""
    from gbt._native.cpu.transpose import transposed
    rng = np.random.default_rng(9)
    for n, p in ((64, 16), (6513, 127), (13, 5), (9, 17), (7, 7), (1, 1), (0, 3), (3, 0)):
        X = rng.integers(0, np.iinfo(dtype).max, size=(n, p), endpoint=True).astype(dtype)
        out = transposed(X)
        assert out.dtype == dtype and out.flags.c_contiguous
        np.testing.assert_array_equal(out, X.T)
