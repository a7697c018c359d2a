"""BinMapper: cut points from the weighted sketch, value -> bin map, missing bin, sparse input."""
import numpy as np
import pytest
import scipy.sparse as sp

from gbt.binning import BinMapper, missing_bin_of
from gbt.data import to_feature_matrix


def fm(X):
    return to_feature_matrix(X)


def fit_transform(X, **kw):
    weight = kw.pop("sample_weight", None)
    m = BinMapper(**kw).fit(fm(X), sample_weight=weight)
    return m, m.transform(fm(X))


def test_dtype_uint8_up_to_255_and_uint16_above():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    X[::7, 1] = np.nan
    for max_bin, dtype in ((2, np.uint8), (16, np.uint8), (255, np.uint8), (256, np.uint16),
                           (1000, np.uint16)):
        m, B = fit_transform(X, max_bin=max_bin)
        assert m.dtype == dtype
        assert B.dtype == dtype
        assert B.shape == X.shape and B.flags.c_contiguous
        # 3,000 distinct values fill every bin up to max_bin (1000: one bin per value).
        assert m.missing_bin == min(max_bin, 3000) and m.n_bins_total == m.missing_bin + 1
        assert np.all(m.n_bins <= max_bin)
        assert np.all(B[~np.isnan(X)] < m.n_bins[np.nonzero(~np.isnan(X))[1]])
        assert np.all(B[np.isnan(X)] == m.missing_bin)
    # uint16 really holds values past 255.
    m, B = fit_transform(X, max_bin=1000)
    assert B[:, 0].max() > 255


def test_missing_bin_is_first_past_the_widest_feature():
    """Features of few values share a missing bin just past the widest one's bins, not at
    max_bin; the bins (and the dtype, set by max_bin) are otherwise unchanged."""
    rng = np.random.default_rng(1)
    X = np.c_[rng.integers(0, 3, 500), rng.integers(0, 7, 500), np.ones(500)].astype(float)
    X[::5, 0] = np.nan
    X[::7, 2] = np.nan
    m, B = fit_transform(X, max_bin=255)
    np.testing.assert_array_equal(m.n_bins, [3, 7, 1])
    assert m.missing_bin == 7 and m.n_bins_total == 8 and B.dtype == np.uint8
    np.testing.assert_array_equal(B[np.isnan(X)], 7)
    np.testing.assert_array_equal(B[:, 1], X[:, 1])  # one bin per value, in order
    assert (B[~np.isnan(X[:, 0]), 0] < 3).all() and (B[~np.isnan(X[:, 2]), 2] == 0).all()
    # Before fit (no cuts), and for features with no value bin at all, the bounds hold.
    assert BinMapper(max_bin=16).missing_bin == 16
    assert missing_bin_of([np.empty(0), np.empty(0)]) == 1


@pytest.mark.parametrize("max_bin", [0, 1, 65535])
def test_max_bin_out_of_range(max_bin):
    with pytest.raises(ValueError, match="max_bin"):
        BinMapper(max_bin=max_bin)


@pytest.mark.parametrize("max_bin", [16, 255, 300])
def test_missing_goes_to_missing_bin(max_bin):
    X = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 3.0], [2.0, np.nan]])
    m, B = fit_transform(X, max_bin=max_bin)
    # NaN does not count as a value: feature 1 has two values -> two bins.
    np.testing.assert_array_equal(m.n_bins, [3, 2])
    assert m.missing_bin == 3  # first past the widest feature's bins, whatever max_bin is
    np.testing.assert_array_equal(B[np.isnan(X)], 3)
    assert np.all(B[~np.isnan(X)] < 3)


def test_constant_feature_gets_one_bin():
    X = np.c_[np.full(100, 3.5), np.arange(100.0)]
    X[5, 0] = np.nan
    m, B = fit_transform(X, max_bin=32)
    assert m.n_bins[0] == 1
    np.testing.assert_array_equal(m.cuts[0], [np.inf])
    assert np.all(B[np.arange(100) != 5, 0] == 0)
    assert B[5, 0] == 32
    # Unseen values of a constant feature still fall into its single bin.
    B2 = m.transform(fm(np.array([[-100.0, 0.0], [100.0, 0.0]])))
    np.testing.assert_array_equal(B2[:, 0], [0, 0])


def test_all_missing_feature():
    X = np.c_[np.full(10, np.nan), np.arange(10.0)]
    m, B = fit_transform(X, max_bin=8)
    assert m.n_bins[0] == 1
    assert np.all(B[:, 0] == 8)


def test_cuts_are_increasing_and_end_in_inf():
    rng = np.random.default_rng(1)
    X = np.c_[rng.normal(size=5000), rng.integers(0, 5, 5000), rng.exponential(size=5000) ** 4]
    m, _ = fit_transform(X, max_bin=64)
    for c in m.cuts:
        assert c[-1] == np.inf
        assert np.all(np.diff(c) > 0)
        assert c.size <= 64
    assert m.n_bins[1] == 5
    flat, offsets = m._flat_cuts()
    assert offsets[-1] == flat.size and np.array_equal(np.diff(offsets), m.n_bins)


def test_transform_new_data_consistent_with_training():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, 3))
    X[rng.random(X.shape) < 0.05] = np.nan
    m, B = fit_transform(X, max_bin=32)
    # Same values (in another order, another dtype) -> same bins.
    perm = rng.permutation(2000)
    np.testing.assert_array_equal(m.transform(fm(X[perm])), B[perm])
    np.testing.assert_array_equal(m.transform(fm(np.asfortranarray(X))), B)
    # Bins are monotone in the value.
    for j in range(3):
        ok = ~np.isnan(X[:, j])
        order = np.argsort(X[ok, j])
        assert np.all(np.diff(B[ok, j][order].astype(int)) >= 0)
    # A value equal to an edge goes to that edge's bin; a hair above goes to the next.
    for j in range(3):
        edges = m.cuts[j][:-1]
        Xe = np.zeros((edges.size, 3))
        Xe[:, j] = edges
        np.testing.assert_array_equal(m.transform(fm(Xe))[:, j], np.arange(edges.size))
        Xe[:, j] = np.nextafter(edges, np.inf)
        np.testing.assert_array_equal(m.transform(fm(Xe))[:, j], np.arange(1, edges.size + 1))
    # Far outside the training range: first and last value bin.
    out = m.transform(fm(np.array([[-1e300] * 3, [1e300] * 3])))
    np.testing.assert_array_equal(out[0], 0)
    np.testing.assert_array_equal(out[1], m.n_bins - 1)
    # bin_upper_edge is the threshold equivalent to bin <= b.
    j, b = 1, 5
    t = m.bin_upper_edge(j, b)
    ok = ~np.isnan(X[:, j])
    np.testing.assert_array_equal(B[ok, j] <= b, X[ok, j] <= t)


def test_few_distinct_values_each_get_a_bin_and_unseen_go_to_nearer_side():
    X = np.array([[0.0], [1.0], [10.0], [1.0], [0.0]])
    m, B = fit_transform(X, max_bin=255)
    np.testing.assert_array_equal(B[:, 0], [0, 1, 2, 1, 0])
    new = np.array([[0.4], [0.6], [5.4], [5.6], [-3.0], [99.0]])
    np.testing.assert_array_equal(m.transform(fm(new))[:, 0], [0, 1, 1, 2, 0, 2])


def test_float32_and_float64_bin_the_same():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1000, 2)).astype(np.float32)
    m32, B32 = fit_transform(X, max_bin=20)
    m64 = BinMapper(max_bin=20).fit(fm(X.astype(np.float64)))
    for a, b in zip(m32.cuts, m64.cuts):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(B32, m64.transform(fm(X.astype(np.float64))))


def test_sparse_absent_is_missing_explicit_zero_is_value():
    # Column 0: explicit zeros at rows 0 and 3, absent at 1; column 1: absent except two rows.
    rows = np.array([0, 2, 3, 4, 0, 4])
    cols = np.array([0, 0, 0, 0, 1, 1])
    data = np.array([0.0, 2.0, 0.0, -1.0, 5.0, 7.0])
    csr = sp.csr_matrix((data, (rows, cols)), shape=(5, 2))
    assert csr.nnz == 6  # explicit zeros are stored
    for X in (csr, csr.tocsc()):
        m = BinMapper(max_bin=16).fit(fm(X))
        B = m.transform(fm(X))
        assert B.dtype == np.uint8
        dense = np.full((5, 2), np.nan)
        dense[rows, cols] = data
        md = BinMapper(max_bin=16).fit(fm(dense))
        for a, b in zip(m.cuts, md.cuts):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(B, md.transform(fm(dense)))
        miss = m.missing_bin
        assert miss == 3  # just past column 0's three value bins
        assert B[1, 0] == miss and B[1, 1] == miss  # absent -> missing
        assert B[0, 0] != miss and B[0, 0] == B[3, 0]  # explicit zero -> a value bin
        assert B[4, 0] < B[0, 0] < B[2, 0]  # -1 < 0 < 2
        np.testing.assert_array_equal(m.n_bins, [3, 2])


def test_sparse_random_matches_dense_with_nan():
    S = sp.random(500, 6, density=0.3, format="csr", random_state=5)
    S.data = np.round(S.data * 10)  # ties and some explicit zeros
    dense = np.full(S.shape, np.nan)
    coo = S.tocoo()
    dense[coo.row, coo.col] = coo.data
    for threads in (1, 2):
        m = BinMapper(max_bin=8).fit(fm(S), n_threads=threads)
        md = BinMapper(max_bin=8).fit(fm(dense))
        np.testing.assert_array_equal(m.transform(fm(S)),
                                      md.transform(fm(dense), n_threads=threads))


def test_sample_weights_move_cut_points():
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 1, size=4000)
    X = x[:, None]
    w = np.where(x < 0.5, 50.0, 1.0)
    plain = BinMapper(max_bin=16).fit(fm(X))
    heavy = BinMapper(max_bin=16).fit(fm(X), sample_weight=w)
    n_plain = int((plain.cuts[0] < 0.5).sum())
    n_heavy = int((heavy.cuts[0] < 0.5).sum())
    assert 6 <= n_plain <= 9
    assert n_heavy >= 13  # ~ 50/51 of the weight lies below 0.5
    # Weighted bins carry about equal weight.
    B = heavy.transform(fm(X))[:, 0]
    mass = np.bincount(B, weights=w, minlength=16)
    assert mass.max() <= 1.5 * w.sum() / 16
    # A hessian acts the same way as a weight.
    hess = BinMapper(max_bin=16).fit(fm(X), hessian=w)
    np.testing.assert_array_equal(hess.cuts[0], heavy.cuts[0])
    both = BinMapper(max_bin=16).fit(fm(X), sample_weight=np.sqrt(w), hessian=np.sqrt(w))
    np.testing.assert_allclose(both.cuts[0], heavy.cuts[0])


def test_zero_weight_rows_do_not_shape_cuts():
    x = np.r_[np.arange(100.0), np.arange(1000.0, 1100.0)]
    w = np.r_[np.ones(100), np.zeros(100)]
    m = BinMapper(max_bin=4).fit(fm(x[:, None]), sample_weight=w)
    assert np.all(m.cuts[0][:-1] < 100)


def test_sketch_rows_sampling_is_seeded_and_balanced():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(20000, 2))
    a = BinMapper(max_bin=10, sketch_rows=2000, random_state=3).fit(fm(X))
    b = BinMapper(max_bin=10, sketch_rows=2000, random_state=3).fit(fm(X))
    c = BinMapper(max_bin=10, sketch_rows=2000, random_state=4).fit(fm(X))
    for j in range(2):
        np.testing.assert_array_equal(a.cuts[j], b.cuts[j])
    assert any(not np.array_equal(a.cuts[j], c.cuts[j]) for j in range(2))
    counts = np.bincount(a.transform(fm(X))[:, 0], minlength=10)
    assert np.all(np.abs(counts - 2000) < 400), counts


@pytest.mark.parametrize("n_rows", [3000, 25_000], ids=["serial-sketch", "threaded-sketch"])
def test_threads_do_not_change_result(n_rows):
    """Below PARALLEL_SKETCH_MIN_ROWS the features are sketched on the calling thread, above
    it on a pool; the cuts are the same."""
    from gbt.binning import PARALLEL_SKETCH_MIN_ROWS
    assert 3000 < PARALLEL_SKETCH_MIN_ROWS <= 25_000
    rng = np.random.default_rng(8)
    X = rng.normal(size=(n_rows, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    m1 = BinMapper(max_bin=40).fit(fm(X), n_threads=1)
    m2 = BinMapper(max_bin=40).fit(fm(X), n_threads=3)
    for a, b in zip(m1.cuts, m2.cuts):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(m1.transform(fm(X), n_threads=1),
                                  m1.transform(fm(X), n_threads=2))


def test_wrong_feature_count_and_unfitted():
    X = np.random.default_rng(9).normal(size=(50, 3))
    with pytest.raises(ValueError, match="not fitted"):
        BinMapper().transform(fm(X))
    m = BinMapper(max_bin=8).fit(fm(X))
    with pytest.raises(ValueError, match="4 features.*fitted on 3"):
        m.transform(fm(np.zeros((5, 4))))
    with pytest.raises(ValueError, match="2 features"):
        m.transform(fm(sp.csr_matrix(np.ones((5, 2)))))


def test_to_dict():
    X = np.array([[1.0, 5.0], [2.0, 5.0]])
    d = BinMapper(max_bin=4).fit(fm(X)).to_dict()
    assert d["max_bin"] == 4
    assert d["cuts"] == [[1.5, float("inf")], [float("inf")]]


def test_rows_of_zero_weight_do_not_shape_the_bins():
    rng = np.random.default_rng(5)
    X = rng.random((40, 3))
    w = rng.integers(0, 3, 40).astype(float)
    weighted = BinMapper(255).fit(to_feature_matrix(X), sample_weight=w)
    kept = BinMapper(255).fit(to_feature_matrix(X[w > 0]), sample_weight=w[w > 0])
    for a, b in zip(weighted.cuts, kept.cuts):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sketch_rows", [200_000, 900])
def test_sparse_columns_of_few_values_cut_as_their_summary_would(weighted, sketch_rows):
    """A sparse column with at most max_bin distinct values takes its cuts from one pass
    over the stored entries (few_distinct_values), not a summary; the cuts are the same as
    the dense path's, row sampling and rows of zero weight included."""
    rng = np.random.default_rng(11)
    n = 2000
    dense = np.full((n, 5), np.nan)
    dense[:, 0] = 1.0                                   # one value (one-hot)
    dense[:, 1] = rng.integers(0, 6, n) * 0.5           # six values
    dense[:, 2] = rng.normal(size=n)                    # many: the summary path
    dense[:, 3] = rng.integers(-3, 3, n).astype(float)  # explicit zeros among them
    dense[rng.random(dense.shape) < 0.6] = np.nan       # absent
    dense[:5, 4] = 7.0                                  # two values, one only in rows 0-4
    dense[5:200, 4] = 9.0
    w = rng.integers(0, 3, n).astype(float) if weighted else None
    if weighted:
        w[:5] = 0.0  # 7.0 is not counted in column 4
    rows, cols = np.nonzero(~np.isnan(dense))
    S = sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)
    assert S.nnz == rows.size  # explicit zeros stored
    for threads in (1, 2):
        m = BinMapper(max_bin=8, sketch_rows=sketch_rows).fit(fm(S), sample_weight=w,
                                                              n_threads=threads)
        md = BinMapper(max_bin=8, sketch_rows=sketch_rows).fit(fm(dense), sample_weight=w)
        for a, b in zip(m.cuts, md.cuts):
            np.testing.assert_array_equal(a, b)
    assert m.n_bins[0] == 1 and m.n_bins[1] == 6 and m.n_bins[2] == 8
    np.testing.assert_array_equal(m.cuts[4], [np.inf] if weighted else [8.0, np.inf])


@pytest.mark.parametrize("kind", ["dense", "sparse", "sparse_categorical"])
@pytest.mark.parametrize("max_bin", [8, 300])  # uint8 and uint16 bins
def test_transform_pair_is_the_bins_and_their_transpose(kind, max_bin):
    """transform_pair's feature-major copy (sparse data: the one binning builds first) is
    X.T in C order, categorical codes included."""
    S = sp.random(300, 11, density=0.4, format="csr", random_state=3)
    S.data = np.round(S.data * 20)
    data = S.toarray() if kind == "dense" else S
    m = BinMapper(max_bin=max_bin).fit(fm(data))
    if kind == "sparse_categorical":
        m.categorical = {2: 21}
    X, X_T = m.transform_pair(fm(data), n_threads=2)
    np.testing.assert_array_equal(X, m.transform(fm(data)))
    np.testing.assert_array_equal(X_T, X.T)
    assert X_T.flags.c_contiguous and X_T.dtype == X.dtype == m.dtype
