"""Native categorical features: binning, the split search (kernel vs naive twin), partitions,
prediction (raw, leaf, binned, SHAP), model files, parameters and end-to-end behaviour."""
import json

import numpy as np
import pandas as pd
import pytest

import gbt
from gbt._native.cpu import partition as cpu_partition
from gbt._native.cpu import predict as cpu_predict
from gbt._native.cpu import shap as cpu_shap
from gbt._native.cpu import split
from gbt.binning import BinMapper
from gbt.data import to_feature_matrix
from gbt.params import resolve_params
from gbt.tree import Tree

LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))
SPLIT_PARAMS = np.array([1.0, 0.0, 0.0, 1e-3, 1.0, 0.0])  # lambda, alpha, gamma, mcw, mcs, mds
CAT_PARAMS = np.array([4.0, 32.0, 10.0, 10.0, 100.0])


def _cat_problem(n=6000, n_cat=12, seed=0):
    """A binary problem whose category effect is non-monotone in the category code."""
    rng = np.random.default_rng(seed)
    code = rng.integers(0, n_cat, n)
    effect = np.where(np.arange(n_cat) % 2 == 0, 1.5, -1.5)  # alternating: no order helps
    x = rng.normal(size=n)
    y = (effect[code] + 0.5 * x + rng.normal(size=n) > 0).astype(float)
    df = pd.DataFrame({"cat": pd.Categorical(LETTERS[code], categories=LETTERS[:n_cat]),
                       "x": x})
    return df, y, code


PARAMS = {"objective": "binary:logistic", "max_depth": 3, "learning_rate": 0.3, "n_jobs": 2,
          "min_data_per_group": 20, "cat_smooth": 5}


# -- the split kernel against its naive twin ---------------------------------------------------
def _random_hist(rng, nb, K, n_total_bins, with_missing, rows_per_bin=200):
    hist = np.zeros((1, n_total_bins, K, 2))
    counts = rng.integers(rows_per_bin // 2, 2 * rows_per_bin, nb)
    hist[0, :nb, :, 0] = rng.normal(size=(nb, K)) * counts[:, None] * rng.uniform(0.05, 0.5)
    hist[0, :nb, :, 1] = counts[:, None] * rng.uniform(0.2, 1.0, size=(nb, K))
    if rng.random() < 0.3:  # a category absent from the node
        hist[0, rng.integers(0, nb)] = 0.0
    n_miss = 0
    if with_missing:
        n_miss = int(rng.integers(50, 400))
        hist[0, -1, :, 0] = rng.normal(size=K) * n_miss * 0.5
        hist[0, -1, :, 1] = n_miss * rng.uniform(0.2, 1.0, size=K)
    # constant hessian per row within a bin is not needed: counts come from hessians
    totals = np.concatenate([hist[0, :, :, 0].sum(axis=0), hist[0, :, :, 1].sum(axis=0),
                             [counts.sum() + n_miss]])
    return hist, totals


def _sides(left, dl, nonempty, has_missing):
    """A split as the unordered pair {left side, right side}, missing as 'm'."""
    L = set(int(c) for c in left) | ({"m"} if dl and has_missing else set())
    everything = set(int(c) for c in nonempty) | ({"m"} if has_missing else set())
    return frozenset([frozenset(L), frozenset(everything - L)])


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("nb", [3, 9, 40])
@pytest.mark.parametrize("with_missing", [False, True])
def test_categorical_scan_vs_naive(K, nb, with_missing):
    rng = np.random.default_rng(nb * 10 + K + with_missing)
    n_total_bins = 64
    for trial in range(15):
        hist, totals = _random_hist(rng, nb, K, n_total_bins, with_missing)
        cat_params = CAT_PARAMS.copy()
        cat_params[1] = [32, 3, 1][trial % 3]           # max_cat_threshold
        cat_params[4] = [100, 10, 1][(trial // 3) % 3]  # min_data_per_group
        sp = SPLIT_PARAMS.copy()
        sp[1] = 0.5 if trial % 4 == 1 else 0.0          # reg_alpha
        sp[5] = 0.3 if trial % 5 == 2 else 0.0          # max_delta_step
        n_bins = np.array([nb], dtype=np.int32)
        work = np.empty((1, split.scan_work_rows(K), max(n_total_bins, 2 * K)))
        out = np.empty(split.split_row_width(K))
        out_set = np.zeros(nb, dtype=np.bool_)
        split.find_best_split_categorical(
            hist, n_bins, np.ones(1, np.bool_), totals, sp, np.ones(1, np.bool_), cat_params,
            np.zeros(1, np.int8), False, np.zeros(2 * K), work, out, out_set)
        naive = split.find_best_categorical_split_naive(hist[0], nb, totals, sp, cat_params)
        if naive is None:
            assert out[1] == -1
            continue
        assert out[1] == 0
        np.testing.assert_allclose(out[0], naive[0], rtol=1e-9)
        nonempty = np.flatnonzero(hist[0, :nb, :, 1].sum(axis=1) > 0)
        left = np.flatnonzero(out_set)
        assert _sides(left, out[3] > 0, nonempty, with_missing) == \
            _sides(naive[1], naive[2], nonempty, with_missing)
        if nb < cat_params[0]:
            assert left.size == 1  # one-hot: one category against the rest
        else:
            assert 1 <= left.size <= max(cat_params[1], nb - cat_params[1])
        # the split row's left sums are those of its set
        lv = hist[0, left].sum(axis=0) + (hist[0, -1] if out[3] > 0 else 0.0)
        np.testing.assert_allclose(out[4:4 + K], lv[:, 0], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(out[4 + K:], lv[:, 1], rtol=1e-12, atol=1e-9)


def test_pair_kernel_equals_single_kernel():
    rng = np.random.default_rng(3)
    K, nbt = 2, 32
    hists, totals = [], []
    for _ in range(2):
        feats = []
        tot = None
        for f, nb in enumerate([20, 3, 31]):
            h, t = _random_hist(rng, nb, K, nbt, with_missing=f == 0)
            feats.append(h[0])
        hist = np.stack(feats)
        # the node's totals must be the same for every feature: rescale into feature 0's
        t0 = np.concatenate([hist[0, :, :, 0].sum(0), hist[0, :, :, 1].sum(0), [5000.0]])
        for f in (1, 2):
            for k in range(K):
                hist[f, :, k, 1] *= t0[K + k] / hist[f, :, k, 1].sum()
                hist[f, :, k, 0] += (t0[k] - hist[f, :, k, 0].sum()) / 10
                hist[f, :10, k, 0] += 0.0
        hists.append(np.ascontiguousarray(hist))
        totals.append(np.concatenate([hist[0, :, :, 0].sum(0), hist[0, :, :, 1].sum(0),
                                      [5000.0]]))
    n_bins = np.array([20, 3, 31], dtype=np.int32)
    is_cat = np.array([True, True, False])
    mask = np.ones(3, np.bool_)
    mono = np.zeros(3, np.int8)
    work = np.empty((6, split.scan_work_rows(K), max(nbt, 2 * K)))
    pair_out = np.empty((2, split.split_row_width(K)))
    pair_set = np.zeros((2, 31), np.bool_)
    split.find_best_split_pair_categorical(
        hists[0], hists[1], n_bins, mask, mask, np.array(totals), np.ones(2, np.bool_),
        SPLIT_PARAMS, is_cat, CAT_PARAMS, mono, False, np.zeros((2, 2 * K)), work, pair_out,
        pair_set)
    for c in range(2):
        out = np.empty(split.split_row_width(K))
        out_set = np.zeros(31, np.bool_)
        split.find_best_split_categorical(hists[c], n_bins, mask, totals[c], SPLIT_PARAMS,
                                          is_cat, CAT_PARAMS, mono, False, np.zeros(2 * K),
                                          work, out, out_set)
        np.testing.assert_array_equal(out, pair_out[c])
        if out[1] >= 0 and is_cat[int(out[1])]:
            np.testing.assert_array_equal(out_set, pair_set[c])


@pytest.mark.parametrize("n_chunks", [1, 3])
@pytest.mark.parametrize("default_left", [False, True])
@pytest.mark.parametrize("mostly_right", [False, True], ids=["forward", "from_end"])
def test_partition_rows_set_vs_naive(n_chunks, default_left, mostly_right):
    rng = np.random.default_rng(n_chunks)
    n = 40_000
    column = rng.integers(0, 12, n).astype(np.uint8)
    column[rng.random(n) < 0.1] = 255
    left_set = rng.random(12) < 0.5
    rows = np.arange(n, dtype=np.int32)
    rng.shuffle(rows)
    before = rows.copy()
    start, end = 1000, 39_000
    n_left = cpu_partition.partition_rows_set(
        column, rows, start, end, left_set, default_left, 255, n_chunks,
        np.empty(n, np.int32), np.empty(n_chunks, np.int64), mostly_right)
    left, right = cpu_partition.partition_rows_set_naive(column, before[start:end], left_set,
                                                         default_left, 255)
    assert n_left == left.size
    np.testing.assert_array_equal(rows[start:start + n_left], left)
    np.testing.assert_array_equal(rows[start + n_left:end], right)
    np.testing.assert_array_equal(rows[:start], before[:start])


# -- binning -----------------------------------------------------------------------------------
def test_binning_codes_are_bins_and_bad_codes_are_missing():
    X = np.array([[0.0, 1.5], [3.0, 2.0], [np.nan, 0.1], [-1.0, 4.0], [2.5, 1.0],
                  [7.0, 3.0], [1.0, 9.0]])
    fm = to_feature_matrix(X)
    mapper = BinMapper(255).fit(fm, categorical={0: 5})
    assert mapper.n_bins[0] == 5
    b = mapper.transform(fm)
    # codes 0..4 are bins 0..4; NaN, negative, fractional and >= 5 are missing
    miss = mapper.missing_bin
    assert miss == 7  # just past feature 1's 7 value bins
    np.testing.assert_array_equal(b[:, 0], [0, 3, miss, miss, miss, miss, 1])
    import scipy.sparse as sp
    # sparse input: absent entries (here the zeros) are missing, stored ones are codes
    bs = mapper.transform(to_feature_matrix(sp.csr_matrix(np.nan_to_num(X, nan=0.0))))
    np.testing.assert_array_equal(bs[:, 0], [miss, 3, miss, miss, miss, miss, 1])
    with pytest.raises(ValueError, match="categories"):
        BinMapper(4).fit(fm, categorical={0: 5})


# -- end to end --------------------------------------------------------------------------------
def _categorical_nodes(booster):
    return [(t, k) for t in booster.trees for k in np.flatnonzero(t.is_categorical)]


def test_shuffled_category_order_at_predict_gives_identical_predictions():
    df, y, _ = _cat_problem()
    booster = gbt.train(PARAMS, gbt.Dataset(df, y), 20)
    assert _categorical_nodes(booster)
    pred = booster.predict(df)
    shuffled = df.copy()
    order = list(np.random.default_rng(1).permutation(df["cat"].cat.categories))
    shuffled["cat"] = shuffled["cat"].cat.reorder_categories(order)
    assert list(shuffled["cat"].cat.categories) != list(df["cat"].cat.categories)
    np.testing.assert_array_equal(booster.predict(shuffled), pred)
    # extra categories that training never saw, and a subset, also recode by value
    wider = df.copy()
    wider["cat"] = wider["cat"].cat.add_categories(["zz", "yy"]).cat.reorder_categories(
        ["zz"] + order + ["yy"])
    np.testing.assert_array_equal(booster.predict(wider), pred)
    # pyarrow dictionaries and polars categoricals are recoded the same way
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(shuffled, preserve_index=False)
    np.testing.assert_array_equal(booster.predict(table), pred)


def test_categorical_split_beats_ordinal_codes():
    df, y, _ = _cat_problem(n=8000, n_cat=16)
    train, test = slice(0, 6000), slice(6000, None)
    p = dict(PARAMS, max_depth=2)
    native = gbt.train(p, gbt.Dataset(df[train], y[train]), 10)
    ordinal = gbt.train(dict(p, enable_categorical=False), gbt.Dataset(df[train], y[train]), 10)
    assert _categorical_nodes(native) and not _categorical_nodes(ordinal)
    from sklearn.metrics import roc_auc_score
    auc_native = roc_auc_score(y[test], native.predict(df[test]))
    auc_ordinal = roc_auc_score(y[test], ordinal.predict(df[test]))
    assert auc_native > auc_ordinal + 0.02, (auc_native, auc_ordinal)
    # the root split of the native model separates the even categories from the odd ones
    root = native.trees[0]
    assert root.is_categorical[0]
    left = set(root.left_categories(0))
    assert left in ({c for c in range(16) if c % 2 == 0}, {c for c in range(16) if c % 2})


def test_one_hot_and_partition_paths():
    rng = np.random.default_rng(5)
    n = 6000
    small = rng.integers(0, 3, n)       # 3 categories: one-hot below max_cat_to_onehot=4
    large = rng.integers(0, 20, n)      # 20 categories: partition
    eff_s = np.array([0.0, 2.0, -1.0])
    eff_l = rng.normal(size=20) * 2
    y = eff_s[small] + eff_l[large] + rng.normal(size=n) * 0.1
    X = np.column_stack([small, large]).astype(float)
    p = {"max_depth": 3, "n_jobs": 2, "categorical_feature": [0, 1], "min_data_per_group": 10}
    booster = gbt.train(p, gbt.Dataset(X, y), 10)
    sizes = {0: set(), 1: set()}
    for tree, k in _categorical_nodes(booster):
        sizes[int(tree.feature[k])].add(len(tree.left_categories(k)))
    assert sizes[0] == {1}                      # one category against the rest
    assert max(sizes[1]) > 1                    # a partition
    # max_cat_to_onehot=25 puts the large feature on the one-hot path too
    one_hot = gbt.train(dict(p, max_cat_to_onehot=25), gbt.Dataset(X, y), 10)
    assert {len(t.left_categories(k)) for t, k in _categorical_nodes(one_hot)} == {1}
    # max_cat_to_onehot=1: the small feature is partitioned; max_cat_threshold caps the side
    capped = gbt.train(dict(p, max_cat_to_onehot=1, max_cat_threshold=2), gbt.Dataset(X, y),
                       10)
    for tree, k in _categorical_nodes(capped):
        n_cat = tree.cat_count[k]
        left = len(tree.left_categories(k))
        assert left <= 2 or n_cat - left <= 2 or tree.feature[k] == 1 and left <= 20
    big_left = [len(t.left_categories(k)) for t, k in _categorical_nodes(capped)
                if t.feature[k] == 1]
    # the sorted scan puts at most max_cat_threshold categories on the scanned side, and the
    # categories outside the sort (too few rows) go right
    assert all(size <= 2 for size in big_left)


def test_unseen_and_missing_categories_follow_the_default_direction():
    df, y, _ = _cat_problem(n=4000, n_cat=8)
    booster = gbt.train(PARAMS, gbt.Dataset(df, y), 10)
    rows = df.iloc[:5].copy()
    unseen = rows.copy()
    unseen["cat"] = pd.Categorical(["never"] * 5)
    missing = rows.copy()
    missing["cat"] = pd.Categorical([None] * 5, categories=["a"])
    np.testing.assert_array_equal(booster.predict(unseen), booster.predict(missing))
    leaves = booster.predict(unseen, pred_leaf=True)
    # walk by hand: at categorical nodes the row must take default_left
    for t, tree in enumerate(booster.trees):
        for r in range(5):
            node = 0
            while tree.left[node] != -1:
                f = tree.feature[node]
                if f == 0:
                    go = tree.default_left[node]
                else:
                    go = rows["x"].iloc[r] <= tree.threshold[node]
                node = tree.left[node] if go else tree.right[node]
            assert leaves[r, t] == node
    # numpy input holds codes: out-of-range, negative and fractional codes are missing
    X = rows.assign(cat=rows["cat"].cat.codes.astype(float)).to_numpy(dtype=float)
    expected = booster.predict(missing)
    for bad in (8.0, 99.0, -1.0, 2.5):
        Xb = X.copy()
        Xb[:, 0] = bad
        np.testing.assert_array_equal(booster.predict(Xb), expected)


def test_json_round_trip_and_loader_validation(tmp_path):
    df, y, _ = _cat_problem(n=3000)
    booster = gbt.train(PARAMS, gbt.Dataset(df, y), 8)
    path = tmp_path / "m.json"
    booster.save_model(path)
    loaded = gbt.Booster.load_model(path)
    np.testing.assert_array_equal(loaded.predict(df), booster.predict(df))
    assert loaded.save_raw() == booster.save_raw()
    d = json.loads(booster.save_raw())
    t = next(i for i, tr in enumerate(d["trees"]) if "cat_nodes" in tr)
    tree = d["trees"][t]
    assert set(tree["cat_count"]) == {12}

    def broken(edit):
        bad = json.loads(json.dumps(d))
        edit(bad["trees"][t])
        return bad

    cases = [
        lambda tr: tr["cat_left"][0].append(12),            # code out of range
        lambda tr: tr["cat_left"][0].append(-1),
        lambda tr: tr.pop("cat_left"),                      # a field missing
        lambda tr: tr["cat_nodes"].__setitem__(0, len(tr["feature"])),  # node out of range
        lambda tr: tr["cat_count"].__setitem__(0, 0),
        lambda tr: tr["cat_count"].__setitem__(0, 13),      # differs from the category list
        lambda tr: tr["cat_nodes"].__setitem__(0, tr["left"].index(-1)),  # a leaf
        lambda tr: tr.__setitem__("cat_left", "abc"),
    ]
    for edit in cases:
        with pytest.raises(ValueError):
            gbt.Booster.from_dict(broken(edit))
    no_list = json.loads(json.dumps(d))
    no_list["categories"] = {}
    with pytest.raises(ValueError, match="category list"):
        gbt.Booster.from_dict(no_list)


def _tree_dict(tree):
    return {"feature": tree.feature, "threshold": tree.threshold,
            "default_left": tree.default_left, "left": tree.left, "right": tree.right,
            "value": tree.value, "weight": tree.cover, "is_categorical": tree.is_categorical,
            "cat_count": tree.cat_count,
            "cat_left": [tree.left_categories(k) if tree.is_categorical[k] else []
                         for k in range(tree.n_nodes)]}


def test_prediction_kernels_vs_naive_walk():
    df, y, code = _cat_problem(n=3000)
    df = df.assign(cat2=pd.Categorical(np.random.default_rng(2).integers(0, 5, 3000)))
    booster = gbt.train(dict(PARAMS, max_depth=4), gbt.Dataset(df, y), 6)
    X = booster._features(df).values.copy()
    X[::7, 0] = np.nan
    X[::11, 0] = 40.0   # unseen code
    X[::13, 2] = -3.0   # negative code
    nodes = [_tree_dict(t) for t in booster.trees]
    expected = cpu_predict.predict_raw_naive(X, nodes, booster.tree_output, 1)[:, 0]
    np.testing.assert_allclose(booster.predict(X, output_margin=True) - booster.base_score[0],
                               expected, rtol=1e-12, atol=1e-12)
    # the binned walk (training margins with subsample) agrees with the raw walk
    mapper = BinMapper(255).fit(to_feature_matrix(X), categorical={0: 12, 2: 5})
    Xb = mapper.transform(to_feature_matrix(X))
    for tree in booster.trees[:3]:
        out = np.zeros((X.shape[0], 1))
        cpu_predict.predict_binned_tree_categorical(
            Xb, tree.feature, tree.threshold_bin, tree.default_left, tree.left, tree.right,
            tree.is_categorical, tree.cat_bits, tree.value, 255,
            np.arange(X.shape[0], dtype=np.int32), 2, 0, out)
        ref = cpu_predict.predict_raw_naive(X, [_tree_dict(tree)], [0], 1)
        np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_shap_with_categorical_splits():
    df, y, _ = _cat_problem(n=3000)
    booster = gbt.train(dict(PARAMS, max_depth=3), gbt.Dataset(df, y), 5)
    X = df.iloc[:40]
    contribs = booster.predict(X, pred_contribs=True)
    np.testing.assert_allclose(contribs.sum(axis=1), booster.predict(X, output_margin=True),
                               rtol=1e-10, atol=1e-10)
    values = booster._features(X).values
    naive = cpu_shap.tree_shap_naive(values, [_tree_dict(t) for t in booster.trees],
                                     booster.tree_output, 1, 2)
    np.testing.assert_allclose(contribs[:, :2], naive[:, 0, :2], rtol=1e-8, atol=1e-10)
    inter = booster.predict(X, pred_interactions=True)
    np.testing.assert_allclose(inter.sum(axis=(1, 2)), booster.predict(X, output_margin=True),
                               rtol=1e-10, atol=1e-10)


def test_vector_leaves_with_categorical_splits():
    rng = np.random.default_rng(7)
    n, n_cat = 6000, 15
    code = rng.integers(0, n_cat, n)
    cls_of_cat = rng.integers(0, 3, n_cat)
    y = np.where(rng.random(n) < 0.85, cls_of_cat[code], rng.integers(0, 3, n))
    df = pd.DataFrame({"c": pd.Categorical(code), "noise": rng.normal(size=n)})
    p = {"objective": "multi:softprob", "num_class": 3, "multi_strategy": "condensed",
         "max_depth": 3, "n_jobs": 2, "min_data_per_group": 20}
    booster = gbt.train(p, gbt.Dataset(df, y.astype(float)), 15)
    assert booster.trees[0].n_outputs == 3 and _categorical_nodes(booster)
    acc = (booster.predict(df).argmax(axis=1) == y).mean()
    assert acc > 0.85
    contribs = booster.predict(df.iloc[:20], pred_contribs=True)
    np.testing.assert_allclose(contribs.sum(axis=2),
                               booster.predict(df.iloc[:20], output_margin=True), atol=1e-10)
    loaded = gbt.Booster.from_dict(json.loads(booster.save_raw()))
    np.testing.assert_array_equal(loaded.predict(df), booster.predict(df))


def test_listed_numeric_codes_equal_pandas_categories():
    df, y, code = _cat_problem(n=4000)
    X = np.column_stack([code.astype(float), df["x"].to_numpy()])
    by_param = gbt.train(dict(PARAMS, categorical_feature=[0]), gbt.Dataset(X, y), 8)
    by_dataset = gbt.train(PARAMS, gbt.Dataset(X, y, categorical_feature=[0]), 8)
    by_name = gbt.train(dict(PARAMS, categorical_feature="name:f0"), gbt.Dataset(X, y), 8)
    by_pandas = gbt.train(PARAMS, gbt.Dataset(df, y), 8)
    for other in (by_dataset, by_name, by_pandas):
        np.testing.assert_array_equal(other.predict(X), by_param.predict(X))
    assert by_param.categories[0] == list(range(12))
    # a frame of codes is recoded by value against [0 .. 11]; 12 is unseen, -2 missing
    frame = pd.DataFrame({"f0": [3.0, 12.0, -2.0, np.nan], "f1": [0.1, 0.1, 0.1, 0.1]})
    pred = by_param.predict(frame)
    np.testing.assert_array_equal(pred[1:], [pred[3]] * 3)
    np.testing.assert_array_equal(pred[0], by_param.predict(frame.to_numpy()[:1]))


def test_interaction_and_monotone_constraints_with_categorical_features():
    rng = np.random.default_rng(9)
    n = 5000
    c = rng.integers(0, 10, n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = np.sin(c) * 2 + x1 + x2 * x1 + rng.normal(size=n) * 0.1
    X = np.column_stack([c, x1, x2]).astype(float)
    p = {"max_depth": 4, "n_jobs": 2, "categorical_feature": [0], "min_data_per_group": 10,
         "interaction_constraints": [[0], [1, 2]]}
    booster = gbt.train(p, gbt.Dataset(X, y), 10)
    assert _categorical_nodes(booster)
    for tree in booster.trees:  # every path stays in one group
        def walk(node, used):
            if tree.left[node] == -1:
                assert used <= {0} or used <= {1, 2}
                return
            used = used | {int(tree.feature[node])}
            walk(tree.left[node], used)
            walk(tree.right[node], used)
        walk(0, set())
    # monotone on a numeric feature next to a categorical one: monotone for every category
    mono = gbt.train({"max_depth": 4, "n_jobs": 2, "categorical_feature": [0],
                      "min_data_per_group": 10, "monotone_constraints": [0, 1, 0]},
                     gbt.Dataset(X, y), 10)
    assert _categorical_nodes(mono)
    grid = np.linspace(-3, 3, 50)
    for cat in range(10):
        Xg = np.column_stack([np.full(50, cat), grid, np.full(50, 0.3)])
        assert (np.diff(mono.predict(Xg)) >= -1e-12).all()
    with pytest.raises(ValueError, match="categorical"):
        gbt.train({"categorical_feature": [0], "monotone_constraints": [1, 0, 0]},
                  gbt.Dataset(X, y), 1)


def test_subsample_margins_use_the_categorical_binned_walk():
    df, y, _ = _cat_problem(n=4000)
    result = {}
    booster = gbt.train(dict(PARAMS, subsample=0.7, eval_metric="logloss"),
                        gbt.Dataset(df, y), 10, evals=[(gbt.Dataset(df, y), "train")],
                        evals_result=result)
    assert _categorical_nodes(booster)
    from gbt.metrics import get_metric
    logloss = get_metric("logloss", booster.objective)(y, booster.predict(df), None)
    np.testing.assert_allclose(result["train"]["logloss"][-1], logloss, rtol=1e-10)


def test_bad_categorical_inputs():
    X = np.column_stack([np.arange(100) % 5, np.linspace(0, 1, 100)]).astype(float)
    y = np.arange(100) % 2 * 1.0
    with pytest.raises(ValueError, match="out of range"):
        gbt.train({"categorical_feature": [2]}, gbt.Dataset(X, y), 1)
    with pytest.raises(ValueError, match="unknown feature name"):
        gbt.train({"categorical_feature": ["nope"]}, gbt.Dataset(X, y), 1)
    with pytest.raises(TypeError):
        gbt.train({"categorical_feature": [1.5]}, gbt.Dataset(X, y), 1)
    with pytest.raises(ValueError, match="non-integer"):
        gbt.train({"categorical_feature": [1]}, gbt.Dataset(X, y), 1)
    with pytest.raises(ValueError, match="max_bin"):
        gbt.train({"categorical_feature": [0], "max_bin": 4}, gbt.Dataset(X, y), 1)
    for name, value in [("max_cat_to_onehot", 0), ("max_cat_threshold", 0),
                        ("cat_smooth", -1.0), ("cat_l2", -0.5), ("min_data_per_group", 0),
                        ("enable_categorical", "yes")]:
        with pytest.raises(ValueError, match=name):
            resolve_params({name: value})
    assert resolve_params({"cat_feature": "0,3"})["categorical_feature"] == [0, 3]
    assert resolve_params({"categorical_column": 2})["categorical_feature"] == [2]
    with pytest.raises(ValueError, match="monotone"):
        df = pd.DataFrame({"c": pd.Categorical(X[:, 0].astype(int)), "x": X[:, 1]})
        gbt.train({"monotone_constraints": {"c": -1}}, gbt.Dataset(df, y), 1)


def test_models_without_categorical_features_keep_their_file_form():
    X = np.random.default_rng(0).normal(size=(300, 3))
    y = X[:, 0] + X[:, 1]
    d = json.loads(gbt.train({"max_depth": 3}, gbt.Dataset(X, y), 3).save_raw())
    assert not any(k in d["params"] for k in ("max_cat_to_onehot", "cat_smooth",
                                              "enable_categorical", "min_data_per_group"))
    assert all("cat_nodes" not in t for t in d["trees"])
    # a category column with enable_categorical=False: codes split as ordered numbers
    df = pd.DataFrame({"c": pd.Categorical(np.arange(300) % 7), "x": X[:, 0]})
    b = gbt.train({"max_depth": 3, "enable_categorical": False}, gbt.Dataset(df, y), 3)
    assert not _categorical_nodes(b)
    assert b.categories[0] == list(range(7))


def test_tree_categorical_bitsets():
    tree = Tree(3)
    tree.left[0], tree.right[0], tree.feature[0] = 1, 2, 0
    tree.set_categorical(0, 70, [0, 31, 32, 69])
    assert tree.cat_bits.shape == (3, 3)
    assert tree.left_categories(0) == [0, 31, 32, 69]
    again = Tree.from_dict(tree.to_dict())
    np.testing.assert_array_equal(again.cat_bits, tree.cat_bits)
    with pytest.raises(ValueError):
        tree.set_categorical(0, 10, [10])


def test_sklearn_estimator_and_cv_with_categorical_features():
    df, y, code = _cat_problem(n=3000)
    clf = gbt.GBTClassifier(n_estimators=10, max_depth=3, n_jobs=2, min_data_per_group=20,
                            cat_smooth=5.0).fit(df, y)
    assert _categorical_nodes(clf.get_booster() if hasattr(clf, "get_booster")
                              else clf._Booster)
    X = np.column_stack([code, df["x"]]).astype(float)
    clf2 = gbt.GBTClassifier(n_estimators=10, max_depth=3, n_jobs=2, min_data_per_group=20,
                             cat_smooth=5.0, categorical_feature=[0]).fit(X, y)
    np.testing.assert_allclose(clf2.predict_proba(X), clf.predict_proba(df))
    res = gbt.cv(dict(PARAMS, categorical_feature=[0]), gbt.Dataset(X, y), 5, nfold=3)
    assert len(next(iter(res.values()))) == 5
