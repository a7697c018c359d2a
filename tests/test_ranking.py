"""Learning to rank: query groups on Dataset, the rank:* objectives (gradients by finite
differences, kernel vs naive twin), ndcg / map metrics against brute force and scikit-learn,
training on LightGBM's lambdarank example, save/load and early stopping."""
import numpy as np
import pytest

import gbt
from gbt._native.cpu.ranking import (MAP, NDCG, PAIRWISE, pairwise_logistic_loss,
                                     pairwise_logistic_loss_naive, rank_grad_hess,
                                     rank_grad_hess_naive)
from gbt.metrics import get_metric
from gbt.objectives import get_objective
from gbt.objectives.ranking import query_ptr_of
from tests.conftest import data_path

METHODS = {"pairwise": PAIRWISE, "ndcg": NDCG, "map": MAP}
TREE = dict(learning_rate=0.1, max_leaves=15, max_depth=0, grow_policy="lossguide",
            min_child_weight=1e-3, min_child_samples=5, reg_lambda=0.0, n_jobs=1)


def random_queries(rng, n_queries=40, max_size=12, levels=4, ties=True):
    """Sizes (some 1), relevance in 0..levels-1, scores with ties when asked."""
    sizes = rng.integers(1, max_size + 1, n_queries)
    sizes[:3] = 1
    n = int(sizes.sum())
    rel = rng.integers(0, levels, n).astype(np.float64)
    score = rng.standard_normal(n)
    if ties:
        score = np.round(score, 1)  # many equal scores within a query
    return sizes, rel, score


def labels(sizes, rel):
    return np.column_stack([rel, np.repeat(np.arange(len(sizes)), sizes).astype(float)])


def synthetic(rng, n_queries=60, size=20, n_features=5):
    sizes = np.full(n_queries, size)
    X = rng.standard_normal((n_queries * size, n_features))
    signal = X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.standard_normal(len(X))
    rel = np.clip(np.floor(signal + 1.5), 0, 4)
    return X, rel, sizes


# --------------------------------------------------------------------------------------------
# Dataset: group / qid
# --------------------------------------------------------------------------------------------
def test_group_and_qid_give_the_same_queries():
    X = np.zeros((7, 2))
    a = gbt.Dataset(X, np.arange(7), group=[2, 0, 4, 1])  # empty query dropped
    b = gbt.Dataset(X, np.arange(7), qid=[5, 5, 1, 1, 1, 1, 9])
    c = gbt.Dataset(X, np.arange(7), group=np.array([2.0, 4.0, 1.0]))  # integral floats
    for ds in (a, b, c):
        np.testing.assert_array_equal(ds.group_ptr, [0, 2, 6, 7])
        np.testing.assert_array_equal(ds.query_index, [0, 0, 1, 1, 1, 1, 2])
        assert ds.group_ptr.dtype == np.int64 and ds.query_index.dtype == np.int64
        np.testing.assert_array_equal(ds.get_group(), [2, 4, 1])
    assert gbt.Dataset(X, np.arange(7)).group_ptr is None
    both = gbt.Dataset(X, np.arange(7), constraint_group=list("aabbbbc"), group=[2, 5])
    np.testing.assert_array_equal(both.group_ptr, [0, 2, 7])
    assert list(both.constraint_group) == list("aabbbbc")


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(group=[3, 3]), ValueError, "sum to 6 but the data has 7 rows"),
    (dict(group=[8, -1]), ValueError, "cannot be negative; entry 1 is -1"),
    (dict(group=[3.5, 3.5]), ValueError, "group must hold integers; entry 0 is 3.5"),
    (dict(group=[True] * 7), TypeError, "group must hold integers"),
    (dict(group=["a"] * 7), TypeError, "group must hold integers"),
    (dict(group=[[1, 2], [2, 2]]), ValueError, "group must be 1-D"),
    (dict(qid=[0, 0, 1]), ValueError, "qid has 3 entries but the data has 7 rows"),
    (dict(qid=[0, 0, 1, 1, 0, 2, 2]), ValueError, "qid 0 is not contiguous.*row 4"),
    (dict(qid=[0.5] * 7), ValueError, "qid must hold integers"),
    (dict(qid=[0, 0, 1, 1, 1, 2, np.nan]), ValueError, "qid must hold integers"),
    (dict(group=[7], qid=[0] * 7), ValueError, "either group .* or qid"),
])
def test_group_qid_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        gbt.Dataset(np.zeros((7, 2)), np.zeros(7), **kwargs)


def test_objective_needs_groups_and_per_query_weights():
    rng = np.random.default_rng(0)
    X, rel, sizes = synthetic(rng, 5, 4)
    with pytest.raises(ValueError, match="rank:ndcg needs query groups.*group=query_sizes"):
        gbt.train({"objective": "rank:ndcg"}, gbt.Dataset(X, rel), 1)
    w = np.repeat(rng.random(5) + 0.5, 4)
    w[6] += 1.0  # query 1 (rows 4..7) no longer has one weight
    with pytest.raises(ValueError, match="one weight per query.*query 1 \\(rows 4..7\\)"):
        gbt.train({"objective": "rank:ndcg"}, gbt.Dataset(X, rel, weight=w, group=sizes), 1)
    with pytest.raises(ValueError, match="integer relevance"):
        gbt.train({"objective": "rank:ndcg"}, gbt.Dataset(X, rel + 0.5, group=sizes), 1)
    with pytest.raises(ValueError, match="no entry in label_gain"):
        gbt.train({"objective": "rank:ndcg", "label_gain": [0, 1]},
                  gbt.Dataset(X, rel, group=sizes), 1)
    dvalid = gbt.Dataset(X, rel)
    with pytest.raises(ValueError, match="an evaluation Dataset has none"):
        gbt.train({"objective": "rank:map"}, gbt.Dataset(X, rel, group=sizes), 1,
                  evals=[(dvalid, "valid")])
    with pytest.raises(ValueError, match="label_gain"):
        gbt.train({"objective": "rank:ndcg", "label_gain": [0, 3, 1]},
                  gbt.Dataset(X, rel, group=sizes), 1)


def test_params_aliases_and_objective_names():
    from gbt.params import resolve_params
    p = resolve_params({"lambdarank_num_pair_per_sample": 5, "ndcg_eval_at": [1, 3]})
    assert p["lambdarank_truncation_level"] == 5 and p["eval_at"] == [1, 3]
    assert p["lambdarank_norm"] is True and p["label_gain"] is None
    obj = get_objective("lambdarank", p)
    assert obj.name == "rank:ndcg" and obj.truncation == 5
    assert obj.default_metric == ["ndcg@1", "ndcg@3"]
    assert get_objective("rank:map", resolve_params({})).default_metric == "map@10"
    assert get_objective("rank:pairwise", resolve_params({})).default_metric == "ndcg@10"
    for bad in ({"eval_at": 0}, {"eval_at": [2, "x"]}, {"lambdarank_truncation_level": 0},
                {"label_gain": [-1, 2]}, {"label_gain": []}):
        with pytest.raises(ValueError, match="is invalid"):
            resolve_params(bad)


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------
def _kernel(score, key, gain, ptr, inv, weight, method, trunc, norm, n_blocks=4):
    n = score.size
    g = np.empty((n, 1), np.float32)
    h = np.empty((n, 1), np.float32)
    rank_grad_hess(score, key, gain, ptr, inv, weight, method, trunc, norm, 1.0, n_blocks, g, h)
    return g[:, 0], h[:, 0]


@pytest.mark.parametrize("method", ["pairwise", "ndcg", "map"])
@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("trunc", [3, 30])
def test_objective_kernel_matches_naive_twin(method, norm, trunc):
    rng = np.random.default_rng(hash((method, norm, trunc)) % 2**32)
    sizes, rel, score = random_queries(rng)
    y = labels(sizes, rel)
    w = np.repeat(rng.random(len(sizes)) + 0.5, sizes)
    obj = get_objective(f"rank:{method}", {"lambdarank_truncation_level": trunc,
                                            "lambdarank_norm": norm})
    n = len(rel)
    g = np.empty((n, 1), np.float32)
    h = np.empty((n, 1), np.float32)
    obj.grad_hess(y, score[:, None].copy(), w, g, h)
    ptr, key, gain, _ = obj._prepared(y)
    g_ref, h_ref = rank_grad_hess_naive(score, key, gain, ptr, w, METHODS[method], trunc, norm)
    np.testing.assert_allclose(g[:, 0], g_ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(h[:, 0], h_ref, rtol=1e-5, atol=1e-7)
    assert np.abs(g_ref).max() > 0
    # single-row queries and queries with one relevance level get nothing
    one = np.flatnonzero(np.repeat(sizes, sizes) == 1)
    assert (g[one] == 0).all() and (h[one] == 0).all()
    # each query's lambdas sum to zero (every pair pushes its two rows apart equally)
    np.testing.assert_allclose(np.add.reduceat(g_ref, ptr[:-1]), 0.0, atol=1e-9)


def test_kernel_does_not_depend_on_block_count():
    rng = np.random.default_rng(3)
    sizes, rel, score = random_queries(rng, n_queries=100)
    ptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    gain = np.exp2(rel) - 1
    inv = np.ones(len(sizes))
    a = _kernel(score, rel, gain, ptr, inv, np.zeros(0), NDCG, 30, True, n_blocks=1)
    b = _kernel(score, rel, gain, ptr, inv, np.zeros(0), NDCG, 30, True, n_blocks=64)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_pairwise_gradient_and_hessian_by_finite_differences():
    rng = np.random.default_rng(1)
    sizes, rel, score = random_queries(rng, n_queries=12, max_size=8, ties=False)
    y = labels(sizes, rel)
    w = np.repeat(rng.random(len(sizes)) + 0.5, sizes)
    obj = get_objective("rank:pairwise", {})
    ptr, key, gain, _ = obj._prepared(y)
    W = w.sum()

    def total_loss(s):
        return obj.loss(y, s[:, None], w) * W  # loss() is the total over the row weight

    g_ref, h_ref = rank_grad_hess_naive(score, key, gain, ptr, w, PAIRWISE, 0, False)
    eps = 1e-5
    fd_g, fd_h = np.empty_like(score), np.empty_like(score)
    for i in range(score.size):
        e = np.zeros_like(score)
        e[i] = eps
        fd_g[i] = (total_loss(score + e) - total_loss(score - e)) / (2 * eps)
        gp, _ = rank_grad_hess_naive(score + e, key, gain, ptr, w, PAIRWISE, 0, False)
        gm, _ = rank_grad_hess_naive(score - e, key, gain, ptr, w, PAIRWISE, 0, False)
        fd_h[i] = (gp[i] - gm[i]) / (2 * eps)
    np.testing.assert_allclose(g_ref, fd_g, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h_ref, fd_h, rtol=1e-5, atol=1e-7)
    # and the kernel (float32 outputs) agrees
    n = score.size
    g = np.empty((n, 1), np.float32)
    h = np.empty((n, 1), np.float32)
    obj.grad_hess(y, score[:, None].copy(), w, g, h)
    np.testing.assert_allclose(g[:, 0], fd_g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h[:, 0], fd_h, rtol=1e-4, atol=1e-6)


def test_pairwise_loss_kernel_matches_naive():
    rng = np.random.default_rng(2)
    sizes, rel, score = random_queries(rng)
    ptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    w = np.repeat(rng.random(len(sizes)), sizes)
    for weight in (np.zeros(0), w):
        assert pairwise_logistic_loss(score * 40, rel, ptr, weight, 1.0) == pytest.approx(
            pairwise_logistic_loss_naive(score * 40, rel, ptr, weight), rel=1e-12)


def test_query_ptr_cache_and_runs():
    np.testing.assert_array_equal(query_ptr_of([3, 3, 0, 0, 0, 7]), [0, 2, 5, 6])
    obj = get_objective("rank:ndcg", {})
    y = labels(np.array([2, 3]), np.array([0, 1, 2, 0, 1.0]))
    first = obj._prepared(y)
    assert obj._prepared(y) is first  # same array: no recomputation
    assert obj._prepared(y.copy()) is not first
    assert obj._cache is None  # the copy is gone, and the cache let go of it
    assert obj.init_score(y, None).tolist() == [0.0]
    raw = np.arange(5.0)[:, None]
    np.testing.assert_array_equal(obj.transform(raw), np.arange(5.0))


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------
def ndcg_brute(rel, score, sizes, k, w=None):
    out, start = [], 0
    for m in sizes:
        r, s = rel[start:start + m], score[start:start + m]
        order = sorted(range(m), key=lambda i: (-s[i], i))  # stable: ties keep row order
        kk = m if k is None else min(k, m)
        dcg = sum((2 ** r[order[i]] - 1) / np.log2(i + 2) for i in range(kk))
        ideal = sorted(r, reverse=True)
        idcg = sum((2 ** ideal[i] - 1) / np.log2(i + 2) for i in range(kk))
        out.append(dcg / idcg if idcg > 0 else 1.0)
        start += m
    qw = None if w is None else w[np.r_[0, np.cumsum(sizes)[:-1]]]
    return np.average(out, weights=qw)


def map_brute(rel, score, sizes, k):
    out, start = [], 0
    for m in sizes:
        r, s = rel[start:start + m] > 0, score[start:start + m]
        order = sorted(range(m), key=lambda i: (-s[i], i))
        kk = m if k is None else min(k, m)
        hits, ap = 0, 0.0
        for i in range(kk):
            if r[order[i]]:
                hits += 1
                ap += hits / (i + 1)
        n_rel = r.sum()
        out.append(ap / min(n_rel, kk) if n_rel > 0 else 1.0)
        start += m
    return np.mean(out)


@pytest.mark.parametrize("k", [None, 1, 3, 10])
def test_metrics_match_brute_force(k):
    rng = np.random.default_rng(4)
    sizes, rel, score = random_queries(rng, n_queries=50)
    rel[:12] = 0  # a few queries without relevant rows
    y = labels(sizes, rel)
    w = np.repeat(rng.random(len(sizes)) + 0.1, sizes)
    suffix = "" if k is None else f"@{k}"
    nd, mp = get_metric("ndcg" + suffix), get_metric("map" + suffix)
    assert nd.higher_is_better and mp.higher_is_better and nd.name == "ndcg" + suffix
    assert nd(y, score) == pytest.approx(ndcg_brute(rel, score, sizes, k), rel=1e-12)
    assert nd(y, score, w) == pytest.approx(ndcg_brute(rel, score, sizes, k, w), rel=1e-12)
    assert mp(y, score) == pytest.approx(map_brute(rel, score, sizes, k), rel=1e-12)


def test_metrics_match_sklearn():
    from sklearn.metrics import average_precision_score, ndcg_score
    rng = np.random.default_rng(5)
    n_q, m = 30, 9
    rel = rng.integers(0, 4, (n_q, m)).astype(float)
    rel[:, 0] = 3  # every query has a relevant row (sklearn scores those 0, we score 1)
    score = rng.standard_normal((n_q, m))  # no ties (sklearn averages over tied rows)
    y = labels(np.full(n_q, m), rel.ravel())
    for k in (None, 1, 5):
        ours = get_metric("ndcg" if k is None else f"ndcg@{k}")(y, score.ravel())
        theirs = ndcg_score(np.exp2(rel) - 1, score, k=k)  # sklearn's gains are linear
        assert ours == pytest.approx(theirs, rel=1e-12)
    ap = np.mean([average_precision_score(rel[q] > 0, score[q]) for q in range(n_q)])
    assert get_metric("map")(y, score.ravel()) == pytest.approx(ap, rel=1e-12)


def test_metric_needs_query_labels_and_custom_gain():
    with pytest.raises(ValueError, match="ndcg needs query groups"):
        get_metric("ndcg@5")(np.array([1.0, 0.0]), np.array([0.2, 0.1]))
    with pytest.raises(ValueError, match="must be >= 1"):
        get_metric("ndcg@0")
    with pytest.raises(ValueError, match="Unknown metric 'ndcg@x'"):
        get_metric("ndcg@x")
    obj = get_objective("rank:ndcg", {"label_gain": [0.0, 1.0, 5.0]})
    y = labels(np.array([3]), np.array([2.0, 1.0, 0.0]))
    s = np.array([0.0, 1.0, 2.0])  # worst order
    expected = (1 / np.log2(3) + 5 / np.log2(4)) / (5 + 1 / np.log2(3))
    assert get_metric("ndcg", obj)(y, s) == pytest.approx(expected)


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("objective,metric", [("rank:pairwise", "ndcg@5"),
                                              ("rank:ndcg", "ndcg@5"), ("rank:map", "map")])
def test_training_improves_synthetic_ranking(objective, metric):
    rng = np.random.default_rng(6)
    X, rel, sizes = synthetic(rng)
    Xv, relv, sizesv = synthetic(rng, 30)
    if objective == "rank:map":  # binary relevance, a third of the rows relevant
        rel, relv = (rel >= 2).astype(float), (relv >= 2).astype(float)
    dtrain = gbt.Dataset(X, rel, group=sizes)
    dvalid = gbt.Dataset(Xv, relv, qid=np.repeat(np.arange(30) + 100, sizesv))
    res = {}
    b = gbt.train(dict(TREE, objective=objective, eval_metric=["ndcg@5", "map"]), dtrain, 20,
                  evals=[(dtrain, "train"), (dvalid, "valid")], evals_result=res)
    yv = labels(sizesv, relv)
    for name in ("ndcg@5", "map"):  # the engine's running scores are the model's
        assert res["valid"][name][-1] == pytest.approx(
            get_metric(name)(yv, b.predict(Xv)), rel=1e-9)
    assert res["valid"][metric][-1] > res["valid"][metric][0] + 0.02
    assert res["valid"][metric][-1] > 0.92
    assert res["train"][metric][-1] > res["train"][metric][0] + 0.03


def test_lightgbm_example_ndcg_improves():
    from tests.real_data import load_lgb_rank
    d = load_lgb_rank(data_path("lightgbm/rank.train.gz").parent)
    dtrain = gbt.Dataset(d["X_train"], d["y_train"], group=d["group_train"])
    dtest = gbt.Dataset(d["X_test"], d["y_test"], group=d["group_test"], reference=dtrain)
    y_test = labels(d["group_test"], d["y_test"])
    flat = get_metric("ndcg@10")(y_test, np.zeros(len(d["y_test"])))
    res = {}
    params = dict(TREE, objective="rank:ndcg", max_leaves=31, min_child_samples=20, n_jobs=2)
    b = gbt.train(params, dtrain, 30, evals=[(dtest, "test")], evals_result=res)
    score = get_metric("ndcg@10")(y_test, b.predict(d["X_test"]))
    assert score == pytest.approx(res["test"]["ndcg@10"][-1], rel=1e-12)
    assert score > flat + 0.1 and score > 0.70, (flat, score)


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(7)
    X, rel, sizes = synthetic(rng, 20, 10)
    params = dict(TREE, objective="rank:ndcg", label_gain=[0, 1, 3, 7, 20], eval_at=[3, 5],
                  lambdarank_truncation_level=7, lambdarank_norm=False)
    b = gbt.train(params, gbt.Dataset(X, rel, group=sizes), 5)
    path = tmp_path / "rank.json"
    b.save_model(path)
    loaded = gbt.Booster.load_model(path)
    obj = loaded.objective
    assert obj.name == "rank:ndcg" and obj.truncation == 7 and obj.norm is False
    assert obj.label_gain == [0, 1, 3, 7, 20] and obj.default_metric == ["ndcg@3", "ndcg@5"]
    np.testing.assert_array_equal(loaded.predict(X), b.predict(X))
    for name in ("rank:pairwise", "rank:map"):
        b2 = gbt.train(dict(TREE, objective=name), gbt.Dataset(X, rel, group=sizes), 2)
        again = gbt.Booster.from_dict(b2.to_dict())
        assert again.objective.name == name
        np.testing.assert_array_equal(again.predict(X), b2.predict(X))


def test_early_stopping_on_ndcg_at_10():
    rng = np.random.default_rng(8)
    X, rel, sizes = synthetic(rng, 40, 15)
    Xv, relv, sizesv = synthetic(rng, 20, 15)
    rel = rng.permutation(rel)  # noise: the validation NDCG peaks early
    dtrain = gbt.Dataset(X, rel, group=sizes)
    dvalid = gbt.Dataset(Xv, relv, group=sizesv)
    res = {}
    b = gbt.train(dict(TREE, objective="rank:ndcg", learning_rate=0.5), dtrain, 200,
                  evals=[(dvalid, "valid")], early_stopping_rounds=5, evals_result=res)
    hist = res["valid"]["ndcg@10"]
    assert len(hist) < 200 and len(hist) == b.best_iteration + 6
    assert b.best_score == max(hist) == hist[b.best_iteration]  # maximised, not minimised


def test_several_eval_at_metrics_and_one_kernel_signature():
    import pandas as pd
    rng = np.random.default_rng(9)
    X, rel, sizes = synthetic(rng, 10, 8)
    w = np.repeat(rng.random(10) + 0.5, sizes)
    res = {}
    for data in (X, X.astype(np.float32), pd.DataFrame(X)):
        for objective in ("rank:pairwise", "rank:ndcg", "rank:map"):
            d = gbt.Dataset(data, rel, weight=w, group=sizes)
            gbt.train(dict(TREE, objective=objective, eval_at=[1, 3]), d, 2,
                      evals=[(d, "train")], evals_result=res)
            metric = "map" if objective == "rank:map" else "ndcg"
            assert list(res["train"]) == [f"{metric}@1", f"{metric}@3"]
    assert len(rank_grad_hess.signatures) == 1
    assert len(pairwise_logistic_loss.signatures) <= 1
