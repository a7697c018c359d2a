"""Distributed training on Dask (gbt.dask) against the single-machine fit, on a LocalCluster
of two worker processes: same cut points, same trees up to summation order, predictions within
1e-5; uneven and empty partitions, categorical columns, early stopping on a dask eval set,
FairGBM and NGBoost state over workers, lost workers and timeouts."""
from __future__ import annotations

import os

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import pandas as pd  # noqa: E402

import gbt  # noqa: E402
import gbt.dask as gd  # noqa: E402
from gbt.binning import BinMapper  # noqa: E402
from gbt.data import to_feature_matrix  # noqa: E402

TOL = 1e-5


def _cluster(n_workers=2):
    # Worker processes inherit the environment, so they share NUMBA_CACHE_DIR (no recompile).
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..",
                                                          ".numba_cache"))
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                    dashboard_address=":0", silence_logs=40)


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster) as c:
        yield c


def _regression(n=3000, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = np.nan_to_num(2 * X[:, 0]) + np.sin(3 * np.nan_to_num(X[:, 1])) \
        + 0.1 * rng.standard_normal(n)
    return X, y


def _assert_same_trees(dist, single):
    """Identical structure; leaf values equal up to the order of floating-point sums."""
    assert len(dist.trees) == len(single.trees)
    for a, b in zip(dist.trees, single.trees):
        for field in ("feature", "threshold_bin", "left", "right", "default_left", "count"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
        np.testing.assert_allclose(a.value, b.value, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(a.threshold, b.threshold)


def _both(client, params, X, y, chunks, rounds=15, weight=None):
    rows = chunks if isinstance(chunks, int) else (tuple(chunks),)
    dX = da.from_array(X, chunks=(rows if isinstance(rows, int) else rows[0], X.shape[1]))
    dy = da.from_array(y, chunks=rows)
    dw = None if weight is None else da.from_array(weight, chunks=rows)
    dist = gd.train(client, params, gd.DaskDataset(dX, dy, weight=dw), rounds)
    single = gbt.train(params, gbt.Dataset(X, y, weight=weight), rounds)
    return dist, single


def test_regression_matches_single_machine(client):
    X, y = _regression()
    params = {"objective": "reg:squarederror", "max_depth": 4, "learning_rate": 0.3}
    dist, single = _both(client, params, X, y, chunks=700)
    assert len(dist.distributed_stats["workers"]) == 2  # both workers held rows
    cuts = BinMapper(255).fit(to_feature_matrix(X)).cuts
    for a, b in zip(dist.distributed_stats["cuts"], cuts):
        np.testing.assert_array_equal(a, b)
    _assert_same_trees(dist, single)
    assert np.abs(dist.predict(X) - single.predict(X)).max() < TOL
    # Histogram traffic was counted for every tree.
    assert len(dist.distributed_stats["bytes_per_tree"]) == 15
    assert min(dist.distributed_stats["bytes_per_tree"]) > 0


def test_lossguide_weights_and_column_sampling(client):
    X, y = _regression(seed=3)
    w = np.random.default_rng(4).uniform(0.2, 3.0, X.shape[0])
    params = {"objective": "reg:squarederror", "grow_policy": "lossguide", "max_leaves": 12,
              "max_depth": 0, "colsample_bytree": 0.8, "colsample_bynode": 0.7,
              "min_child_samples": 20, "random_state": 7}
    dist, single = _both(client, params, X, y, chunks=1000, weight=w, rounds=10)
    _assert_same_trees(dist, single)
    assert np.abs(dist.predict(X) - single.predict(X)).max() < TOL


def test_uneven_and_empty_partitions(client):
    X, y = _regression(n=2000, seed=5)
    chunks = ((0, 1500, 3, 0, 497), (X.shape[1],))
    dX, dy = da.from_array(X, chunks=chunks), da.from_array(y, chunks=(chunks[0],))
    # A given base_score: the labels never leave the workers.
    params = {"objective": "reg:squarederror", "max_depth": 3, "base_score": 0.5}
    dist = gd.train(client, params, gd.DaskDataset(dX, dy), 8)
    single = gbt.train(params, gbt.Dataset(X, y), 8)
    assert sum(dist.distributed_stats["rows_per_worker"]) == 2000
    _assert_same_trees(dist, single)
    pred = gd.predict(dist, dX)
    assert isinstance(pred, da.Array)
    assert np.abs(pred.compute() - single.predict(X)).max() < TOL


def test_a_worker_with_only_empty_partitions(client, monkeypatch):
    """The scheduler may leave a worker only empty partitions (it did in a CI run of the test
    above): here one worker is given just those, and its shard has no rows."""
    from gbt.dask import _train
    X, y = _regression(n=1200, seed=6)
    chunks = ((0, 700, 0, 500), (X.shape[1],))
    dX, dy = da.from_array(X, chunks=chunks), da.from_array(y, chunks=(chunks[0],))

    def empty_ones_apart(client, futures):
        workers = sorted(client.scheduler_info()["workers"])
        by_worker = {w: [] for w in workers[:2]}
        for i, f in enumerate(futures):
            by_worker[workers[0] if chunks[0][i] == 0 else workers[1]].append((i, f))
        return by_worker

    monkeypatch.setattr(_train, "bundles_by_worker", empty_ones_apart)
    params = {"objective": "reg:squarederror", "max_depth": 3, "base_score": 0.5}
    dist = gd.train(client, params, gd.DaskDataset(dX, dy), 6)
    single = gbt.train(params, gbt.Dataset(X, y), 6)
    assert sorted(dist.distributed_stats["rows_per_worker"]) == [0, 1200]
    _assert_same_trees(dist, single)


def test_base_margin(client):
    X, y = _regression(n=1200, seed=13)
    margin = np.sin(np.arange(X.shape[0]) / 50.0)
    ds = gd.DaskDataset(da.from_array(X, chunks=(400, 6)), da.from_array(y, chunks=400),
                        base_margin=da.from_array(margin, chunks=400))
    dist = gd.train(client, {"max_depth": 3}, ds, 5)
    single = gbt.train({"max_depth": 3}, gbt.Dataset(X, y, base_margin=margin), 5)
    _assert_same_trees(dist, single)


def test_classifier_dataframe_with_categorical_column(client):
    rng = np.random.default_rng(11)
    n = 2400
    frame = pd.DataFrame({"a": rng.standard_normal(n), "b": rng.standard_normal(n),
                          "c": pd.Categorical(rng.choice(list("pqrstuvw"), n))})
    effect = frame["c"].map(dict(zip("pqrstuvw", [2, -1, 0.5, -2, 1, 0, -0.5, 1.5])))
    logit = frame["a"] + effect.astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    ddf = dd.from_pandas(frame, npartitions=3)
    dys = dd.from_pandas(pd.Series(y, name="y"), npartitions=3)
    kw = dict(n_estimators=12, max_depth=3, learning_rate=0.3)
    est = gd.DaskGBTClassifier(**kw)
    est.client = client
    est.fit(ddf, dys)
    ref = gbt.GBTClassifier(**kw).fit(frame, y)
    assert est.get_booster().categories == ref.get_booster().categories
    assert any(t.has_categorical for t in est.get_booster().trees)
    _assert_same_trees(est.get_booster(), ref.get_booster())
    proba = est.predict_proba(ddf)
    assert isinstance(proba, dd.DataFrame)
    assert np.abs(proba.compute().values - ref.predict_proba(frame)).max() < TOL
    labels = est.predict(ddf).compute().values
    np.testing.assert_array_equal(labels, ref.predict(frame))


def test_multiclass_and_listed_categorical_codes(client):
    rng = np.random.default_rng(2)
    n = 1800
    X = np.column_stack([rng.standard_normal(n), rng.integers(0, 6, n).astype(float)])
    y = (np.digitize(X[:, 0], [-0.5, 0.5]) + (X[:, 1] > 3)) % 3
    kw = dict(n_estimators=6, max_depth=3, categorical_feature=[1])
    est = gd.DaskGBTClassifier(**kw)
    est.client = client
    dX = da.from_array(X, chunks=(600, 2))
    est.fit(dX, da.from_array(y, chunks=600))
    ref = gbt.GBTClassifier(**kw).fit(X, y)
    _assert_same_trees(est.get_booster(), ref.get_booster())
    proba = est.predict_proba(dX).compute()
    assert proba.shape == (n, 3)
    assert np.abs(proba - ref.predict_proba(X)).max() < TOL


def test_multi_output_regression(client):
    X, y0 = _regression(n=1500, seed=12)
    Y = np.column_stack([y0, np.nan_to_num(X[:, 2]) - y0])
    dX = da.from_array(X, chunks=(500, 6))
    dY = da.from_array(Y, chunks=(500, 2))
    for strategy in ("one_per_output", "condensed"):
        params = {"max_depth": 3, "multi_strategy": strategy}
        dist = gd.train(client, params, gd.DaskDataset(dX, dY), 5)
        single = gbt.train(params, gbt.Dataset(X, Y), 5)
        _assert_same_trees(dist, single)
        assert np.abs(dist.predict(X) - single.predict(X)).max() < TOL


def test_early_stopping_with_dask_eval_set(client):
    X, y = _regression(n=2500, seed=8)
    Xv, yv = _regression(n=800, seed=9)
    kw = dict(n_estimators=200, learning_rate=0.5, max_depth=5, early_stopping_rounds=4)
    est = gd.DaskGBTRegressor(**kw)
    est.client = client
    est.fit(da.from_array(X, chunks=(900, 6)), da.from_array(y, chunks=900),
            eval_set=[(da.from_array(Xv, chunks=(300, 6)), da.from_array(yv, chunks=300))])
    ref = gbt.GBTRegressor(**kw).fit(X, y, eval_set=[(Xv, yv)])
    assert est.best_iteration_ == ref.best_iteration_
    assert est.get_booster().num_boosted_rounds() < 200
    np.testing.assert_allclose(est.evals_result_["validation_0"]["rmse"],
                               ref.evals_result_["validation_0"]["rmse"], rtol=1e-9)
    pred = est.predict(da.from_array(Xv, chunks=(300, 6)))
    assert np.abs(pred.compute() - ref.predict(Xv)).max() < TOL
    # The fitted estimator pickles without its client and predicts the same after.
    import pickle
    again = pickle.loads(pickle.dumps(est))
    assert np.array_equal(again.get_booster().predict(Xv), est.get_booster().predict(Xv))


def test_fairgbm_state_is_global(client):
    rng = np.random.default_rng(21)
    n = 3000
    X = rng.standard_normal((n, 4))
    group = rng.choice(["u", "v", "w"], n, p=[0.5, 0.3, 0.2])
    y = (X[:, 0] + (group == "u") + 0.5 * rng.standard_normal(n) > 0.5).astype(int)
    kw = dict(n_estimators=10, max_depth=3, multiplier_learning_rate=2.0)
    est = gd.DaskFairGBTClassifier(**kw)
    est.client = client
    dX = da.from_array(X, chunks=(1000, 4))
    est.fit(dX, da.from_array(y, chunks=1000),
            constraint_group=da.from_array(group, chunks=1000))
    ref = gbt.FairGBTClassifier(**kw).fit(X, y, constraint_group=group)
    assert ref.multipliers_.max() > 0  # the constraints were active
    np.testing.assert_allclose(est.multipliers_, ref.multipliers_, rtol=1e-6, atol=1e-9)
    _assert_same_trees(est.get_booster(), ref.get_booster())
    p = est.predict_proba(dX).compute()[:, 1]
    assert np.abs(p - ref.predict_proba(X)[:, 1]).max() < TOL


def test_ngboost_spread_and_line_search_over_workers(client):
    rng = np.random.default_rng(31)
    n = 2000
    X = rng.standard_normal((n, 3))
    y = X[:, 0] + np.exp(0.5 * X[:, 1]) * rng.standard_normal(n)
    dX = da.from_array(X, chunks=(700, 3))
    # All rows each round (minibatch_frac=1): the gradient columns' spreads (the condensed
    # tree's split search) and the line search's scores are sums over workers; the models
    # agree with one machine's for both hessian choices.
    for hessian in ("unit", "fisher"):
        kw = dict(n_estimators=12, natural_hessian=hessian, minibatch_frac=1.0,
                  learning_rate=0.1)
        est = gd.DaskNGBRegressor(**kw)
        est.client = client
        est.fit(dX, da.from_array(y, chunks=700))
        ref = gbt.NGBRegressor(**kw).fit(X, y)
        _assert_same_trees(est.get_booster(), ref.get_booster())
        assert np.abs(est.predict(dX).compute() - ref.predict(X)).max() < TOL
    # The default (half the rows per round, drawn on each worker) learns the scale too.
    est2 = gd.DaskNGBRegressor(n_estimators=30, learning_rate=0.1)
    est2.client = client
    est2.fit(dX, da.from_array(y, chunks=700))
    params = est2.get_booster().predict(X, output_margin=True)
    assert np.corrcoef(params[:, 1], X[:, 1])[0, 1] > 0.5  # log-scale follows x1


def test_bad_input_and_unbuilt_options(client):
    X, y = _regression(n=300)
    dX, dy = da.from_array(X, chunks=(100, 6)), da.from_array(y, chunks=100)
    with pytest.raises(TypeError, match="dask Arrays or DataFrames"):
        gd.DaskGBTRegressor().fit(X, y)
    with pytest.raises(TypeError, match="DaskDataset"):
        gd.train(client, {}, gbt.Dataset(X, y))
    with pytest.raises(ValueError, match="partitions"):
        gd.DaskDataset(dX, da.from_array(y, chunks=150))
    with pytest.raises(ValueError, match="timeout"):
        gd.train(client, {}, gd.DaskDataset(dX, dy), timeout=-1)
    with pytest.raises(NotImplementedError, match="monotone"):
        gd.train(client, {"monotone_constraints": [1, 0, 0, 0, 0, 0]}, gd.DaskDataset(dX, dy))
    Xf = X.copy()
    Xf[:, 1] = 0.5
    with pytest.raises(ValueError, match="non-integer"):
        gd.train(client, {"categorical_feature": [1]},
                 gd.DaskDataset(da.from_array(Xf, chunks=(100, 6)), dy))
    with pytest.raises(NotImplementedError, match="refit_leaves"):
        gd.train(client, {"objective": "reg:absoluteerror"}, gd.DaskDataset(dX, dy))
    with pytest.raises(NotImplementedError, match="survival:cox"):
        gd.train(client, {"objective": "survival:cox"},
                 gd.DaskDataset(dX, da.from_array(np.abs(y) + 0.1, chunks=100)))
    with pytest.raises(ValueError, match="eval_set"):
        est = gd.DaskGBTRegressor(early_stopping_rounds=3)
        est.client = client
        est.fit(dX, dy)


def test_timeout_raises_instead_of_hanging(client):
    X, y = _regression(n=300)
    ds = gd.DaskDataset(da.from_array(X, chunks=(100, 6)), da.from_array(y, chunks=100))
    with pytest.raises(gd.DistributedTimeoutError, match="timeout"):
        gd.train(client, {}, ds, 5, timeout=1e-4)


def _exit_soon():
    """End this worker's process a moment after replying (a crash, not a clean close)."""
    import threading
    threading.Timer(0.2, os._exit, [1]).start()


class _KillWorker(gbt.TrainingCallback):
    """Kills the process of worker ``victim`` after the second round."""

    def __init__(self, client, victim):
        self.client, self.victim = client, victim

    def after_iteration(self, model, epoch, evals_log):
        if epoch == 1:
            self.client.run(_exit_soon, workers=[self.victim])
        return False


def _spread(c, X, y, n_chunks):
    """Dask arrays of X, y whose row chunks sit on the workers in turn (every worker holds
    rows, whatever the scheduler would have chosen)."""
    workers = sorted(c.scheduler_info()["workers"])
    bounds = np.linspace(0, X.shape[0], n_chunks + 1).astype(int)
    xs, ys = [], []
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        fx, fy = c.scatter([X[lo:hi], y[lo:hi]], workers=[workers[i % len(workers)]])
        xs.append(da.from_delayed(fx, (hi - lo, X.shape[1]), X.dtype))
        ys.append(da.from_delayed(fy, (hi - lo,), y.dtype))
    return da.concatenate(xs), da.concatenate(ys)


def test_three_workers_reduce_worker_to_worker_then_one_is_lost():
    """With three workers, worker 0 adds worker 2's partial sums to its own (a reduction
    hop between workers); then a worker's process dies mid-training."""
    X, y = _regression(n=4000)
    with _cluster(3) as cluster, distributed.Client(cluster) as c:
        dX, dy = _spread(c, X, y, n_chunks=6)
        params = {"max_depth": 3}
        dist = gd.train(c, params, gd.DaskDataset(dX, dy), 6)
        assert len(dist.distributed_stats["workers"]) == 3
        single = gbt.train(params, gbt.Dataset(X, y), 6)
        _assert_same_trees(dist, single)
        assert np.abs(dist.predict(X) - single.predict(X)).max() < TOL
        # Worker 2 answers to worker 0, not to the driver: its loss surfaces inside the
        # reduction tree, and must still be reported by name.
        victim = sorted(c.scheduler_info()["workers"])[2]
        with pytest.raises(gd.WorkerLostError) as err:
            gd.train(c, {"max_depth": 3}, gd.DaskDataset(dX, dy), 50,
                     callbacks=[_KillWorker(c, victim)], timeout=60)
        assert victim in str(err.value)


def test_cut_points_match_above_the_sketch_sample(client):
    """Above DEFAULT_SKETCH_ROWS a single machine sketches a seeded row sample; the shards
    summarise their parts of the same sample, so the merged cut points are the same."""
    from gbt.binning import DEFAULT_SKETCH_ROWS
    rng = np.random.default_rng(41)
    n = DEFAULT_SKETCH_ROWS + 20_000
    X = rng.standard_normal((n, 2)).astype(np.float32)
    y = X[:, 0] + rng.standard_normal(n)
    params = {"max_depth": 2, "random_state": 5}
    dist, single = _both(client, params, X, y, chunks=(50_000, 30_000, 140_000), rounds=2)
    mapper = BinMapper(255, random_state=5).fit(to_feature_matrix(X))
    for a, b in zip(dist.distributed_stats["cuts"], mapper.cuts):
        np.testing.assert_array_equal(a, b)
    _assert_same_trees(dist, single)
