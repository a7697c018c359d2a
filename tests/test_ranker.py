"""GBTRanker: query groups as sizes or ids (any row order), per-query weights, early stopping
on whole held-out queries, scoring by NDCG, and real data."""
import pickle

import numpy as np
import pytest
from sklearn.base import clone

from gbt import GBTRanker

from .conftest import data_path
from .real_data import load_lgb_rank

TREES = dict(n_estimators=20, max_depth=3, learning_rate=0.2, n_jobs=1)


def queries(n_queries=40, size=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_queries * size, 4))
    y = np.clip(np.round(X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.3, len(X)) + 1), 0, 3)
    return X, y, np.full(n_queries, size)


def test_group_and_shuffled_qid_train_the_same_model():
    X, y, sizes = queries()
    qid = np.repeat(np.arange(sizes.size) * 7 + 3, sizes)  # any ids
    by_group = GBTRanker(**TREES).fit(X, y, group=sizes)
    # queries interleaved row by row; each query's rows keep their order (score ties in
    # LambdaMART's sort are broken by position, as in LightGBM)
    perm = np.argsort(np.tile(np.arange(sizes[0]), sizes.size), kind="stable")
    by_qid = GBTRanker(**TREES).fit(X[perm], y[perm], qid=qid[perm])
    np.testing.assert_allclose(by_qid.predict(X), by_group.predict(X), rtol=1e-9)
    assert by_group.score(X, y, group=sizes) > 0.9
    assert by_group.score(X[perm], y[perm], qid=qid[perm]) == \
        pytest.approx(by_group.score(X, y, group=sizes))


def test_uniform_query_weights_change_nothing_and_bad_weights_are_refused():
    X, y, sizes = queries()
    plain = GBTRanker(**TREES, reg_lambda=0.0, min_child_weight=0.0).fit(X, y, group=sizes)
    weighted = GBTRanker(**TREES, reg_lambda=0.0, min_child_weight=0.0).fit(
        X, y, group=sizes, query_weight=np.full(sizes.size, 2.0))
    np.testing.assert_allclose(weighted.predict(X), plain.predict(X), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="query_weight has 3 entries"):
        GBTRanker(**TREES).fit(X, y, group=sizes, query_weight=[1.0, 2.0, 3.0])


def test_early_stopping_holds_out_whole_queries_and_eval_sets_need_queries():
    X, y, sizes = queries(60)
    model = GBTRanker(n_estimators=300, learning_rate=0.5, max_depth=4,
                      early_stopping_rounds=5).fit(X, y, group=sizes)
    assert model.best_iteration_ < 299 and "ndcg@10" in model.evals_result_["validation_0"]
    Xv, yv, sv = queries(10, seed=5)
    fitted = GBTRanker(**TREES, eval_at=[3, 5]).fit(X, y, group=sizes, eval_set=[(Xv, yv)],
                                                    eval_group=[sv])
    assert set(fitted.evals_result_["validation_0"]) == {"ndcg@3", "ndcg@5"}
    with pytest.raises(ValueError, match="eval_group or eval_qid"):
        GBTRanker(**TREES).fit(X, y, group=sizes, eval_set=[(Xv, yv)])


@pytest.mark.parametrize("kwargs, message", [
    (dict(group=[5, 5], qid=np.zeros(10)), "not both"),
    (dict(group=[5, 4]), "sum to 9"),
    (dict(group=[5.5, 4.5]), "query sizes"),
    (dict(qid=np.zeros(9)), "one id per row"),
])
def test_bad_groups_are_named(kwargs, message):
    X = np.random.default_rng(0).standard_normal((10, 2))
    with pytest.raises(ValueError, match=message):
        GBTRanker(**TREES).fit(X, np.arange(10) % 3, **kwargs)


def test_clone_pickle_and_objectives():
    X, y, sizes = queries()
    for objective in ("rank:ndcg", "rank:map", "rank:pairwise"):
        model = GBTRanker(objective=objective, **TREES).fit(X, y, group=sizes)
        again = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(again.predict(X), model.predict(X))
        assert model.get_booster().objective.name == objective
    assert clone(model).get_params() == model.get_params()


@pytest.mark.slow
def test_lightgbm_rank_example_ndcg():
    d = load_lgb_rank(data_path("lightgbm/rank.train.gz").parent)
    model = GBTRanker(n_estimators=100, learning_rate=0.1, grow_policy="lossguide",
                      max_leaves=31, max_depth=0, min_child_samples=20, reg_lambda=0.0,
                      min_child_weight=1e-3)
    model.fit(d["X_train"], d["y_train"], group=d["group_train"])
    assert model.score(d["X_test"], d["y_test"], group=d["group_test"]) > 0.70


def test_cv_keeps_queries_whole():
    import gbt
    X, y, sizes = queries(30)
    d = gbt.Dataset(X, y, group=sizes)
    result = gbt.cv({"objective": "rank:ndcg", "max_depth": 3}, d, 10, nfold=3)
    assert len(result["test-ndcg@10-mean"]) == 10
    assert result["test-ndcg@10-mean"][-1] > result["test-ndcg@10-mean"][0] - 1e-9
    from gbt.crossval import _query_folds
    for train_rows, test_rows in _query_folds(d.query_index, 3, True, 0):
        assert not set(d.query_index[train_rows]) & set(d.query_index[test_rows])
        assert np.bincount(d.query_index[test_rows]).max() == sizes[0]
