"""Vector (multi-output) histogram and split kernels against their naive twins, and against the
scalar kernels where the two must agree."""
import numpy as np
import pytest

from gbt._native.cpu import histogram, split

from .test_kernels import LARGE, MEDIUM, SMALL, SPLIT_PARAMS, compare_split, run_histogram, \
    scan_work


def vector_inputs(rng, n_rows, n_features, max_bin, K, n_bins=None, missing_frac=0.1):
    """Binned X (features may have fewer than max_bin bins), (n, K, 2) gradients, rows."""
    if n_bins is None:
        n_bins = rng.integers(2, max_bin + 1, size=n_features).astype(np.int32)
        n_bins[0] = max_bin
    X = np.empty((n_rows, n_features), dtype=np.uint8)
    for f in range(n_features):
        X[:, f] = rng.integers(0, n_bins[f], size=n_rows)
    X[rng.random(X.shape) < missing_frac] = max_bin
    gh = np.empty((n_rows, K, 2), dtype=np.float32)
    for k in range(K):
        gh[:, k, 0] = rng.normal(size=n_rows) + 0.4 * (X[:, k % n_features] > n_bins[0] // 2)
        gh[:, k, 1] = rng.uniform(0.05, 1.0, size=n_rows)
    rows = rng.permutation(n_rows).astype(np.int32)
    return np.ascontiguousarray(X), gh, rows, n_bins


@pytest.mark.parametrize("size", [SMALL, MEDIUM, LARGE], ids=["serial", "feature-par", "row-chunk"])
@pytest.mark.parametrize("n_chunks", [1, 2])
@pytest.mark.parametrize("K", [2, 5])
def test_vector_histogram_vs_naive(size, n_chunks, K):
    rng = np.random.default_rng(size + K)
    max_bin, nf = 32, 4
    X, gh, rows, n_bins = vector_inputs(rng, size + 100, nf, max_bin, K)
    n_bins[1] = 3  # a feature with few bins: the rest of its row must stay untouched
    X[:, 1] = np.where(X[:, 1] == max_bin, max_bin, X[:, 1] % 3)
    hist = run_histogram(X, gh, rows, 50, 50 + size, n_chunks, max_bin + 1, n_bins)
    expected = histogram.build_histogram_naive(X, gh, rows[50:50 + size], max_bin + 1)
    for f in range(nf):
        valid = np.r_[np.arange(n_bins[f]), max_bin]
        np.testing.assert_allclose(hist[f, valid], expected[f, valid], rtol=1e-10, atol=1e-9)
        unused = np.arange(n_bins[f], max_bin)
        assert np.isnan(hist[f, unused]).all()  # bins that cannot occur are never written
    assert hist[1, 2].any() and np.abs(hist[:, max_bin]).sum() > 0


def test_vector_loop_with_one_output_matches_scalar_loop():
    """The vector accumulation is a plain generalisation: with K = 1 it sums the same values
    (in another order than the scalar loop's row pairs, hence allclose)."""
    rng = np.random.default_rng(3)
    X, gh, rows, n_bins = vector_inputs(rng, 3000, 5, 16, 1)
    scalar = np.zeros((5, 17, 1, 2))
    vector = np.zeros((5, 17, 1, 2))
    histogram._accumulate_scalar(X, gh, rows, 0, 3000, 0, 5, scalar)
    histogram._accumulate_vector(X, gh, rows, 0, 3000, 0, 5, vector)
    np.testing.assert_allclose(vector, scalar, rtol=1e-12, atol=1e-12)


def test_vector_subtraction_valid_bins_only():
    rng = np.random.default_rng(4)
    X, gh, rows, n_bins = vector_inputs(rng, 4000, 3, 16, 3)
    parent = histogram.build_histogram_naive(X, gh, rows, 17)
    child = histogram.build_histogram_naive(X, gh, rows[:1500], 17)
    out = np.full_like(parent, np.nan)
    histogram.subtract_histogram(parent, child, n_bins, out)
    sibling = histogram.build_histogram_naive(X, gh, rows[1500:], 17)
    for f in range(3):
        valid = np.r_[np.arange(n_bins[f]), 16]
        np.testing.assert_allclose(out[f, valid], sibling[f, valid], rtol=1e-9, atol=1e-9)
        assert np.isnan(out[f, n_bins[f]:16]).all()


def node_totals(hist, n_rows):
    G = hist[0, :, :, 0].sum(axis=0)
    H = hist[0, :, :, 1].sum(axis=0)
    return np.r_[G, H, float(n_rows)]


def vector_split(hist, n_bins, mask, totals, split_params):
    K = hist.shape[2]
    out = np.full(split.split_row_width(K), np.nan)
    split.find_best_split(hist, n_bins, mask, totals, np.asarray(split_params, np.float64),
                          scan_work(hist), out)
    return out[0], int(out[1]), int(out[2]), bool(out[3]), out[4:4 + K], out[4 + K:]


@pytest.mark.parametrize("params", sorted(SPLIT_PARAMS))
@pytest.mark.parametrize("missing_frac", [0.0, 0.15])
def test_vector_split_vs_naive(params, missing_frac):
    sp_arr = np.array(SPLIT_PARAMS[params], dtype=np.float64)
    found = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        n_rows = int(rng.integers(30, 400))
        K = int(rng.integers(2, 5))
        X, gh, rows, n_bins = vector_inputs(rng, n_rows, 5, 16, K, missing_frac=missing_frac)
        hist = histogram.build_histogram_naive(X, gh, rows, 17)
        totals = node_totals(hist, n_rows)
        for mask in (np.ones(5, dtype=np.bool_), rng.random(5) < 0.5):
            got = vector_split(hist, n_bins, mask, totals, sp_arr)
            exp = split.find_best_split_naive(hist, n_bins, mask, totals, sp_arr)
            compare_split(got, exp, totals[:K], totals[K:2 * K])
            found += got[1] >= 0
    assert found >= 4, "too few cases had a split for the comparison to mean anything"


@pytest.mark.parametrize("missing_frac", [0.0, 0.2])
def test_duplicated_outputs_split_like_one_output(missing_frac):
    """Two identical outputs: the same split as the scalar scan, with twice its gain."""
    rng = np.random.default_rng(11)
    for _ in range(6):
        X, gh1, rows, n_bins = vector_inputs(rng, 500, 6, 16, 1, missing_frac=missing_frac)
        gh2 = np.ascontiguousarray(np.repeat(gh1, 2, axis=1))
        h1 = histogram.build_histogram_naive(X, gh1, rows, 17)
        h2 = histogram.build_histogram_naive(X, gh2, rows, 17)
        sp_arr = np.array([1.0, 0.0, 0.0, 0.0, 1, 0.0])
        mask = np.ones(6, dtype=np.bool_)
        one = vector_split(h1, n_bins, mask, node_totals(h1, 500), sp_arr)
        two = vector_split(h2, n_bins, mask, node_totals(h2, 500), sp_arr)
        assert one[1] >= 0 and two[1:4] == one[1:4]
        assert two[0] == pytest.approx(2 * one[0], rel=1e-9)
        np.testing.assert_array_equal(two[4], np.repeat(one[4], 2))


def test_vector_pair_equals_single():
    rng = np.random.default_rng(21)
    K = 3
    sp_arr = np.array(SPLIT_PARAMS["gamma"], dtype=np.float64)
    for seed in range(5):
        nodes = []
        n_bins = None
        for _ in range(2):
            X, gh, rows, n_bins = vector_inputs(rng, int(rng.integers(50, 400)), 5, 16, K,
                                                n_bins=n_bins)
            hist = histogram.build_histogram_naive(X, gh, rows, 17)
            nodes.append((hist, node_totals(hist, rows.size)))
        masks = [rng.random(5) < 0.7, np.ones(5, dtype=np.bool_)]
        evaluate = np.array([True, seed % 2 == 0])
        out = np.full((2, split.split_row_width(K)), np.nan)
        split.find_best_split_pair(nodes[0][0], nodes[1][0], n_bins, masks[0], masks[1],
                                   np.array([t for _, t in nodes]), evaluate, sp_arr,
                                   scan_work(nodes[0][0]), out)
        for c in range(2):
            if not evaluate[c]:
                assert out[c, 1] == -1
                continue
            single = np.full(split.split_row_width(K), np.nan)
            split.find_best_split(nodes[c][0], n_bins, masks[c], nodes[c][1], sp_arr,
                                  scan_work(nodes[c][0]), single)
            np.testing.assert_array_equal(out[c], single)


def test_leaf_of_rows_and_node_gradient_sums():
    from gbt._native.cpu import grow
    # root 0 -> (1, 2); node 2 -> (3, 4). Leaves 1, 3, 4 own segments of `rows`.
    node_int = np.full((5, grow.N_NODE_INT), -1, dtype=np.int64)
    node_int[0, [grow.NODE_LEFT, grow.NODE_RIGHT, grow.NODE_START, grow.NODE_END]] = 1, 2, 0, 9
    node_int[2, [grow.NODE_LEFT, grow.NODE_RIGHT, grow.NODE_START, grow.NODE_END]] = 3, 4, 4, 9
    for node, (lo, hi) in ((1, (0, 4)), (3, (4, 6)), (4, (6, 9))):
        node_int[node, grow.NODE_START], node_int[node, grow.NODE_END] = lo, hi
    rng = np.random.default_rng(5)
    rows = np.r_[rng.permutation(9), 9, 10].astype(np.int32)  # rows 9, 10: not sampled
    leaf_of_row = np.full(11, -1, dtype=np.int32)
    grow.leaf_of_rows(rows, node_int, leaf_of_row)
    expected_leaf = np.full(11, -1)
    for node, (lo, hi) in ((1, (0, 4)), (3, (4, 6)), (4, (6, 9))):
        expected_leaf[rows[lo:hi]] = node
    np.testing.assert_array_equal(leaf_of_row, expected_leaf)
    gh = rng.normal(size=(11, 3, 2)).astype(np.float32)
    sums = np.full((5, 3, 2), np.nan)
    grow.node_gradient_sums(leaf_of_row, node_int, gh, sums)
    for node in (1, 3, 4):
        np.testing.assert_allclose(sums[node], gh[leaf_of_row == node].sum(axis=0), rtol=1e-6)
    np.testing.assert_allclose(sums[2], sums[3] + sums[4])
    np.testing.assert_allclose(sums[0], gh[:9].sum(axis=0, dtype=np.float64), rtol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_softmax_grad_hess_vs_naive(weighted):
    from gbt._native.cpu import objectives
    rng = np.random.default_rng(6)
    raw = rng.normal(0, 3, size=(500, 7))
    raw[0] = [800.0, -800.0, 0, 0, 0, 0, 0]  # saturated: no overflow, hessian floor
    label = rng.integers(0, 7, size=500).astype(np.float64)
    w = rng.uniform(0.5, 2, size=500) if weighted else None
    g = np.empty((500, 7), np.float32)
    h = np.empty((500, 7), np.float32)
    objectives.softmax_grad_hess(raw, label, np.zeros(0) if w is None else w, g, h)
    eg, eh = objectives.softmax_grad_hess_naive(raw, label, w)
    np.testing.assert_allclose(g, eg, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h, eh, rtol=1e-6, atol=1e-20)
    assert h.min() > 0


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("scale_pos_weight", [1.0, 3.0])
@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("n", [500, 20_000])  # the serial and the parallel loop
def test_logistic_grad_hess_vs_naive(weighted, scale_pos_weight, K, n):
    from gbt._native.cpu import objectives
    rng = np.random.default_rng(8)
    raw = rng.normal(0, 3, size=(n, K))
    raw[0] = 800.0
    raw[1] = -800.0  # saturated: no overflow, hessian floor
    Y = rng.integers(0, 2, size=(n, K)).astype(np.float64)
    w = rng.uniform(0.5, 2, size=n) if weighted else None
    g = np.empty((n, K), np.float32)
    h = np.empty((n, K), np.float32)
    objectives.logistic_grad_hess(raw, Y, scale_pos_weight, np.zeros(0) if w is None else w,
                                  g, h)
    eg, eh = objectives.logistic_grad_hess_naive(raw, Y, scale_pos_weight, w)
    np.testing.assert_allclose(g, eg, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h, eh, rtol=1e-6, atol=1e-20)
    assert h.min() > 0
    if K == 1:  # the contiguous one-output kernel gives the same values, bit for bit
        g1 = np.full(n, np.nan, np.float32)
        h1 = np.full(n, np.nan, np.float32)
        objectives.logistic_grad_hess_column(raw[:, 0], Y[:, 0], scale_pos_weight,
                                             np.zeros(0) if w is None else w, g1, h1)
        np.testing.assert_array_equal(g1, g[:, 0])
        np.testing.assert_array_equal(h1, h[:, 0])


@pytest.mark.parametrize("method", ["top_k", "random_projection"])
def test_reduce_gradients_vs_naive(method):
    from gbt.split_grad import reduce_gradients, reduce_gradients_naive
    rng = np.random.default_rng(7)
    gh = rng.normal(size=(300, 9, 2)).astype(np.float32)
    gh[:, 4, 0] *= 10  # a dominant output that top_k must keep
    gh[:, :, 1] = np.abs(gh[:, :, 1])
    out = np.full((300, 4, 2), np.nan, dtype=np.float32)
    reduce_gradients(gh, method, 4, np.random.default_rng(1), out)
    R = np.random.default_rng(1).standard_normal((9, 4)) / 2.0
    expected = reduce_gradients_naive(gh, method, 4, R)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    if method == "top_k":
        assert any(np.array_equal(out[:, j, 0], gh[:, 4, 0]) for j in range(4))


@pytest.mark.parametrize("K", [2, 3, 4, 7])
def test_narrow_and_wide_vector_loops(K):
    """K <= NARROW_MAX_OUTPUTS takes the unrolled blocks of four (with a remainder of two for
    odd K), wider K the vectorised loop; both give the naive sums."""
    assert histogram.NARROW_MAX_OUTPUTS in (2, 3, 4, 5, 6)  # K = 2..7 covers both sides
    rng = np.random.default_rng(30 + K)
    X, gh, rows, n_bins = vector_inputs(rng, 2500, 4, 16, K)
    hist = np.zeros((4, 17, K, 2))
    histogram._accumulate_vector(X, gh, rows, 0, 2500, 0, 4, hist)
    expected = histogram.build_histogram_naive(X, gh, rows, 17)
    np.testing.assert_allclose(hist, expected, rtol=1e-10, atol=1e-9)
