"""Weighted quantile summary (gbt.sketch) against brute-force weighted ranks.

For a value ``x`` returned by a query, its true rank interval over the data is
``[weight of values < x, weight of values <= x]``; an ``eps``-approximate summary must return
values whose interval lies within ``eps * W`` of the requested rank.
"""
import numpy as np
import pytest

from gbt.sketch import WeightedQuantileSummary, midpoints, sketch_column

WQS = WeightedQuantileSummary
TOL = 1e-9  # relative slack for float round-off in the rank sums


# -- brute-force helpers --------------------------------------------------------------------
def true_rank_interval(values, weights, x):
    """Exact weighted (R-, R+) of each entry of ``x`` over the data (NaN values ignored)."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.ones_like(values) if weights is None else np.asarray(weights, np.float64)
    keep = ~np.isnan(values)
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    sv, cw = values[order], np.r_[0.0, np.cumsum(weights[order])]
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    lo = cw[np.searchsorted(sv, x, side="left")]
    hi = cw[np.searchsorted(sv, x, side="right")]
    return lo, hi


def rank_errors(values, weights, x, ranks):
    """How far each target rank lies outside the true rank interval of its returned value."""
    lo, hi = true_rank_interval(values, weights, x)
    ranks = np.atleast_1d(ranks)
    return np.maximum(0.0, np.maximum(lo - ranks, ranks - hi))


def check_queries(summary, values, weights, n_ranks=401, extra_eps=None):
    """Query a grid of ranks over [0, W]; assert every error is within eps * W."""
    W = summary.total_weight
    ranks = np.linspace(0.0, W, n_ranks)
    x = summary.query(ranks)
    # Every returned value is one of the data's values.
    data = np.asarray(values, dtype=np.float64)
    assert np.isin(x, data[~np.isnan(data)]).all()
    err = rank_errors(values, weights, x, ranks)
    eps = summary.epsilon if extra_eps is None else extra_eps
    assert err.max() <= eps * W + TOL * W, (err.max(), eps * W)
    return err


def data_cases():
    rng = np.random.default_rng(0)
    n = 3000
    cont = rng.normal(size=n)
    ties = rng.integers(0, 40, size=n).astype(np.float64)  # heavy ties
    skew = rng.exponential(size=n) ** 3
    return {
        "normal": (cont, None),
        "normal-weighted": (cont, rng.exponential(size=n)),
        "ties": (ties, None),
        "ties-weighted": (ties, rng.uniform(0.1, 5.0, size=n)),
        "skew-weighted": (skew, rng.integers(1, 10, size=n).astype(np.float64)),
    }


CASES = data_cases()


# -- (a) rank error of exact and pruned summaries -------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_exact_summary_queries_are_exact_weighted_quantiles(case):
    values, weights = CASES[case]
    s = WQS.from_data(values, weights)
    if weights is None or np.all(weights == np.round(weights)):
        assert s.epsilon == 0.0  # integer rank sums are exact in float64
    else:
        assert s.epsilon <= 1e-12  # cum - w + w round-off only
    W = s.total_weight
    assert W == pytest.approx(len(values) if weights is None else weights.sum(), rel=1e-12)
    err = check_queries(s, values, weights)
    assert err.max() <= TOL * W  # eps = 0: the target rank is inside the true interval
    # rmin / rmax / w of an exact summary are the true ranks.
    lo, hi = true_rank_interval(values, weights, s.value)
    np.testing.assert_allclose(s.rmin, lo, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(s.rmax, hi, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(s.w, hi - lo, rtol=1e-10, atol=1e-9)
    assert np.all(np.diff(s.value) > 0)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("b", [4, 16, 64])
def test_pruned_summary_rank_error_within_epsilon(case, b):
    values, weights = CASES[case]
    s = WQS.from_data(values, weights)
    p = s.prune(b)
    assert len(p) <= b + 1
    assert p.total_weight == pytest.approx(s.total_weight, rel=1e-12)
    assert p.epsilon <= s.epsilon + 1.0 / b + TOL
    # The pruned summary keeps the extremes, so min and max queries stay exact.
    assert p.value[0] == s.value[0] and p.value[-1] == s.value[-1]
    check_queries(p, values, weights)
    # And against the advertised bound (original eps 0 plus 1/b).
    check_queries(p, values, weights, extra_eps=1.0 / b)


@pytest.mark.parametrize("case", ["normal", "skew-weighted"])
def test_prune_twice_adds_epsilons(case):
    values, weights = CASES[case]
    s = WQS.from_data(values, weights)
    p1 = s.prune(64)
    p2 = p1.prune(16)
    assert len(p2) <= 17
    assert p2.epsilon <= p1.epsilon + 1.0 / 16 + TOL
    check_queries(p2, values, weights)


def test_prune_is_noop_when_small():
    s = WQS.from_data([3.0, 1.0, 2.0])
    assert s.prune(5) is s or np.array_equal(s.prune(5).value, s.value)
    assert np.array_equal(s.prune(2).value, [1.0, 2.0, 3.0])


def test_sketch_column_prunes_to_ceil_inverse_eps():
    values, weights = CASES["normal-weighted"]
    s = sketch_column(values, weights, eps=0.05)
    assert len(s) <= 21
    assert s.epsilon <= 0.05 + TOL
    check_queries(s, values, weights)
    exact = sketch_column(values, weights)
    assert exact.epsilon <= 1e-12 and len(exact) == np.unique(values).size


def test_scalar_query_gives_scalar():
    s = WQS.from_data(np.arange(10.0))
    q = s.query(4.5)
    assert np.ndim(q) == 0
    lo, hi = true_rank_interval(np.arange(10.0), None, q)
    assert lo[0] <= 4.5 <= hi[0]


# -- cut points -----------------------------------------------------------------------------
def bin_weights(values, weights, cuts):
    """The data's weight in each bin of ``cuts`` (NaN left out)."""
    values = np.asarray(values, dtype=np.float64)
    w = np.ones_like(values) if weights is None else np.asarray(weights, np.float64)
    keep = ~np.isnan(values)
    return np.bincount(np.searchsorted(cuts, values[keep], side="left"), weights=w[keep],
                       minlength=cuts.size)


def quantile_bin_count(summary, max_bin):
    """Bins that edges at the weighted ranks ``k W / max_bin`` alone would give."""
    q = np.unique(summary.query(np.arange(1, max_bin) * (summary.total_weight / max_bin)))
    return int((q < summary.value[-1]).sum()) + 1


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("max_bin", [8, 32])
def test_cut_points_split_the_weight_evenly(case, max_bin):
    values, weights = CASES[case]
    s = WQS.from_data(values, weights)
    cuts = s.cut_points(max_bin)
    W, share = s.total_weight, s.total_weight / max_bin
    assert cuts[-1] == np.inf and np.all(np.diff(cuts) > 0)
    # Every edge lies halfway between two neighbouring values: training rows' bins are runs of
    # whole values, and the edges leave no bin empty.
    np.testing.assert_array_equal(np.isin(cuts[:-1], midpoints(s.value[:-1], s.value[1:])), True)
    # Every bin is used: each of these columns has more than max_bin values.
    assert len(s) > max_bin and cuts.size == max_bin
    mass = bin_weights(values, weights, cuts)
    assert np.all(mass > 0)
    heavy = s.w >= share
    # A value heavier than a bin's share ends its bin.
    for i in np.flatnonzero(heavy[:-1]):
        assert np.searchsorted(cuts, s.value[i]) < np.searchsorted(cuts, s.value[i + 1])
    # The other bins (the last one aside, which takes what is left) hold a share each, give or
    # take the heaviest of their values.
    light_bins = np.setdiff1d(np.arange(cuts.size - 1),
                              np.searchsorted(cuts, s.value[heavy], side="left"))
    heaviest_light = s.w[~heavy].max()
    assert np.all(np.abs(mass[light_bins] - share) <= heaviest_light + TOL * W), \
        (mass[light_bins] / share, heaviest_light / share)


def test_cut_points_give_heavy_values_their_own_bins_and_the_rest_the_other_bins():
    """Like protein's feature 7 (339 values, the commonest in 1.3% of rows): quantiles alone
    put several edges on each heavy value and leave bins unused; here every bin is used."""
    values = np.random.default_rng(3).geometric(0.02, size=45_000).astype(np.float64)
    s = WQS.from_data(values)
    share = s.total_weight / 255
    heavy = s.value[s.w >= share]
    assert len(s) > 255 and heavy.size > 50
    assert quantile_bin_count(s, 255) < 200
    cuts = s.cut_points(255)
    assert cuts.size == 255
    mass = bin_weights(values, None, cuts)
    counts = dict(zip(s.value, s.w))
    # Each heavy value is its bin's only value, so the bin weighs what the value does.
    for v in heavy:
        assert mass[np.searchsorted(cuts, v)] == counts[v]


def test_cut_points_give_the_light_values_the_bins_heavy_ones_leave():
    """10,000 values of weight 1 below 5 of weight 10,000: W = 60,000 and a share is 235, but
    the 5 heavy values take a bin each, so the light values share the other 250 (40 each);
    with a share of W / 255 they would fill 43 bins and leave 207 unused."""
    values = np.r_[np.arange(10_000.0), np.repeat(10_000.0 + np.arange(5), 10_000)]
    cuts = WQS.from_data(values).cut_points(255)
    assert cuts.size == 255
    mass = bin_weights(values, None, cuts)
    np.testing.assert_array_equal(mass[-5:], 10_000)
    np.testing.assert_array_equal(mass[:-5], 40)


def test_cut_points_worked_example():
    """Values 0..9, value 4 ten times and the others once (W = 19), 4 bins. Value 4 is heavy
    (10 >= 19 / 4): its own bin, and 3 bins share the other 9. Walking up: 0, 1, 2 fill a
    share of 3; value 3 closes a bin of its own because half of heavy 4 lies past the share;
    4 is alone; 5..9 take the last bin."""
    values = np.r_[np.arange(10.0), np.full(9, 4.0)]
    cuts = WQS.from_data(values).cut_points(4)
    np.testing.assert_array_equal(cuts, [2.5, 3.5, 4.5, np.inf])
    np.testing.assert_array_equal(bin_weights(values, None, cuts), [3, 1, 10, 5])


@pytest.mark.parametrize("max_bin", [4, 16, 64, 255])
@pytest.mark.parametrize("seed", range(8))
def test_cut_points_use_no_fewer_bins_than_quantiles(max_bin, seed):
    """On lumpy columns (a few values take most of the weight) too."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=int(rng.integers(1000, 4000)))
    values = rng.choice(base, size=20_000,
                        p=rng.dirichlet(np.full(base.size, [0.05, 1.0][seed % 2])))
    weights = None if seed < 4 else rng.exponential(size=values.size)
    s = WQS.from_data(values, weights)
    assert len(s) > max_bin
    assert s.cut_points(max_bin).size >= quantile_bin_count(s, max_bin)


@pytest.mark.parametrize("extra", [1, 5, 40])
@pytest.mark.parametrize("seed", range(4))
def test_columns_a_few_values_over_max_bin_use_every_bin(extra, seed):
    """A column with max_bin values gets max_bin bins; one with a few more must not get fewer
    (lumpy weights once left 40 of 255 bins unused at 256 values)."""
    rng = np.random.default_rng(seed)
    n = 255 + extra
    weights = rng.dirichlet(np.full(n, 0.3)) * 10_000 + 1e-3
    s = WQS.from_data(np.arange(float(n)), weights)
    assert s.cut_points(255).size == 255


def test_cut_points_unweighted_equal_frequency():
    values = np.random.default_rng(1).permutation(4000).astype(np.float64)
    cuts = WQS.from_data(values).cut_points(16)
    assert cuts.size == 16
    counts = np.bincount(np.searchsorted(cuts, values, side="left"), minlength=16)
    assert np.all(np.abs(counts - 250) <= 1), counts


def test_cut_points_from_pruned_summary_split_the_weight_evenly_within_epsilon():
    values, weights = CASES["normal-weighted"]
    p = WQS.from_data(values, weights).prune(256)
    cuts = p.cut_points(16)
    W = p.total_weight
    assert cuts.size == 16 and np.all(np.isin(cuts[:-1], midpoints(p.value[:-1], p.value[1:])))
    # Each bin's true weight is a share, give or take the summary's rank error at both of its
    # edges and the weight between two of its neighbouring entries.
    mass = bin_weights(values, weights, cuts)
    step = (p.rmax[1:] - p.rmin[:-1]).max()
    assert np.all(np.abs(mass[:-1] - W / 16) <= 2 * p.epsilon * W + step + TOL * W), mass / (W / 16)


# -- (b) merge --------------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("b", [8, 32])
def test_merge_of_pruned_summaries(weighted, b):
    rng = np.random.default_rng(7)
    x1 = rng.normal(size=2000)
    x2 = rng.normal(1.0, 2.0, size=1500)
    x2[:300] = np.round(x2[:300])  # ties, some shared with x1 after rounding below
    x1[:200] = np.round(x1[:200])
    w1 = rng.exponential(size=x1.size) if weighted else None
    w2 = rng.exponential(size=x2.size) if weighted else None
    a = WQS.from_data(x1, w1).prune(b)
    c = WQS.from_data(x2, w2).prune(b)
    m = a.merge(c)
    both = np.r_[x1, x2]
    wb = None if not weighted else np.r_[w1, w2]
    W = both.size if not weighted else wb.sum()
    assert m.total_weight == pytest.approx(a.total_weight + c.total_weight, rel=1e-12)
    assert m.total_weight == pytest.approx(W, rel=1e-12)
    assert np.all(np.diff(m.value) > 0)
    assert set(m.value) == set(a.value) | set(c.value)
    assert m.epsilon <= max(a.epsilon, c.epsilon) + TOL
    # Queries of the merged summary are within the merged epsilon of the concatenation ...
    err_m = check_queries(m, both, wb)
    # ... and so within eps * W of what the exact summary of the concatenation answers.
    exact = WQS.from_data(both, wb)
    ranks = np.linspace(0, W, 401)
    xe = exact.query(ranks)
    assert rank_errors(both, wb, xe, ranks).max() <= TOL * W
    assert err_m.max() <= m.epsilon * W + TOL * W
    # Pruning the merge keeps the error bound eps + 1/b.
    mp = m.prune(b)
    assert mp.epsilon <= m.epsilon + 1.0 / b + TOL
    check_queries(mp, both, wb)


@pytest.mark.parametrize("weighted", [False, True])
def test_merge_of_exact_summaries_is_exact(weighted):
    rng = np.random.default_rng(3)
    x1 = rng.integers(0, 50, size=500).astype(np.float64)
    x2 = rng.integers(25, 90, size=700).astype(np.float64)
    w1 = rng.uniform(0.5, 2, size=x1.size) if weighted else None
    w2 = rng.uniform(0.5, 2, size=x2.size) if weighted else None
    m = WQS.from_data(x1, w1).merge(WQS.from_data(x2, w2))
    e = WQS.from_data(np.r_[x1, x2], None if not weighted else np.r_[w1, w2])
    np.testing.assert_array_equal(m.value, e.value)
    for name in ("rmin", "rmax", "w"):
        np.testing.assert_allclose(getattr(m, name), getattr(e, name), rtol=1e-12, atol=1e-9)
    assert m.epsilon == pytest.approx(0.0, abs=1e-12)


def test_merge_with_empty_and_commutative():
    values, weights = CASES["ties-weighted"]
    s = WQS.from_data(values, weights).prune(20)
    for m in (s.merge(WQS.empty()), WQS.empty().merge(s)):
        np.testing.assert_array_equal(m.value, s.value)
        np.testing.assert_allclose(m.rmin, s.rmin)
        np.testing.assert_allclose(m.rmax, s.rmax)
        np.testing.assert_allclose(m.w, s.w)
    t = WQS.from_data(values[::-1] + 0.5, None).prune(20)
    ab, ba = s.merge(t), t.merge(s)
    for name in ("value", "rmin", "rmax", "w"):
        np.testing.assert_allclose(getattr(ab, name), getattr(ba, name))


def test_tree_of_merges_like_dask():
    """Four partitions, each pruned, merged pairwise and pruned again: still within eps."""
    rng = np.random.default_rng(11)
    parts = [rng.gamma(2.0, size=1000) + i for i in range(4)]
    weights = [rng.uniform(0.2, 3.0, size=1000) for _ in range(4)]
    b = 32
    s = [WQS.from_data(p, w).prune(b) for p, w in zip(parts, weights)]
    left = s[0].merge(s[1]).prune(b)
    right = s[2].merge(s[3]).prune(b)
    top = left.merge(right).prune(b)
    assert len(top) <= b + 1
    assert top.epsilon <= 3.0 / b + TOL  # three prune levels, merges add nothing
    check_queries(top, np.concatenate(parts), np.concatenate(weights))


# -- (c) edge cases ---------------------------------------------------------------------------
def test_nan_ignored():
    values = np.array([np.nan, 3.0, 1.0, np.nan, 2.0, 2.0])
    s = WQS.from_data(values)
    np.testing.assert_array_equal(s.value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(s.w, [1.0, 2.0, 1.0])
    assert s.total_weight == 4.0
    assert s.epsilon == 0.0
    w = np.array([100.0, 1.0, 1.0, 100.0, 1.0, 1.0])
    sw = WQS.from_data(values, w)
    assert sw.total_weight == 4.0
    np.testing.assert_array_equal(sw.value, [1.0, 2.0, 3.0])


def test_zero_weight_values_dropped():
    s = WQS.from_data([1.0, 2.0, 3.0], [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(s.value, [1.0, 3.0])
    assert s.total_weight == 3.0


@pytest.mark.parametrize("values", [np.array([]), np.array([np.nan, np.nan])])
def test_empty(values):
    s = WQS.from_data(values)
    assert len(s) == 0
    assert s.total_weight == 0.0
    assert s.epsilon == 0.0
    np.testing.assert_array_equal(s.cut_points(16), [np.inf])
    assert np.isnan(s.query(0.5))
    assert len(WQS.empty().merge(s)) == 0


def test_single_value():
    s = WQS.from_data(np.full(10, 4.2))
    assert s.epsilon == 0.0 and len(s) == 1
    np.testing.assert_array_equal(s.cut_points(255), [np.inf])
    assert s.query(0.0) == 4.2 and s.query(10.0) == 4.2


def test_few_distinct_values_give_midpoints():
    s = WQS.from_data([5.0, 1.0, 2.0, 2.0, 1.0, 5.0, 2.0])
    cuts = s.cut_points(10)
    np.testing.assert_array_equal(cuts, [1.5, 3.5, np.inf])
    # Exactly max_bin distinct values: still one bin each.
    v = np.arange(8.0)
    cuts = WQS.from_data(v).cut_points(8)
    assert cuts.size == 8
    np.testing.assert_array_equal(cuts[:-1], v[:-1] + 0.5)
    assert cuts[-1] == np.inf


def test_edges_between_neighbouring_floats_stay_below_the_upper_one():
    """Halfway between two neighbouring floats rounds to one of them: the edge must be the
    lower, or the upper value would fall into the lower one's bin. Halfway between values near
    the float range's ends must not overflow to an infinite edge."""
    one_up = np.nextafter(1.0, 2.0)
    cuts = WQS.from_data([1.0, one_up, 3.0]).cut_points(8)
    np.testing.assert_array_equal(cuts, [1.0, 2.0, np.inf])
    assert np.searchsorted(cuts, one_up) == 1
    big = np.finfo(np.float64).max
    np.testing.assert_array_equal(WQS.from_data([-big, big]).cut_points(8), [0.0, np.inf])
    # The same in equal-weight bins (more values than bins): 1.0 is heavy, its bin ends there.
    values = np.r_[np.full(10, 1.0), np.full(10, one_up), np.arange(2.0, 7.0)]
    cuts = WQS.from_data(values).cut_points(4)
    assert cuts[0] == 1.0
    assert np.searchsorted(cuts, 1.0) == 0 and np.searchsorted(cuts, one_up) == 1


@pytest.mark.parametrize("max_bin", [2, 3, 16, 255])
@pytest.mark.parametrize("n_distinct", [1, 2, 17, 256, 5000])
def test_at_most_max_bin_edges(max_bin, n_distinct):
    rng = np.random.default_rng(max_bin * 7 + n_distinct)
    values = rng.choice(rng.normal(size=n_distinct), size=6000)
    weights = rng.exponential(size=values.size)
    for w in (None, weights):
        cuts = WQS.from_data(values, w).cut_points(max_bin)
        assert 1 <= cuts.size <= max_bin
        assert cuts[-1] == np.inf
        assert np.all(np.diff(cuts) > 0)
        assert np.all(cuts[:-1] < values.max())
        if np.unique(values).size <= max_bin:
            assert cuts.size == np.unique(values).size
