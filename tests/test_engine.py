"""End-to-end behaviour of gbt.train and the Booster."""
import pickle

import numpy as np
import pytest

import gbt
from gbt.metrics import get_metric


def _params(**kw):
    base = {"objective": "binary:logistic", "learning_rate": 0.3, "max_depth": 4}
    base.update(kw)
    return base


def test_training_reduces_loss(binary_data):
    X, y = binary_data
    res = {}
    b = gbt.train(_params(eval_metric="logloss"), gbt.Dataset(X, y), 20,
                  evals=[(gbt.Dataset(X, y), "train")], evals_result=res)
    ll = res["train"]["logloss"]
    assert len(ll) == 20 and ll[-1] < ll[0] * 0.5
    assert b.num_boosted_rounds() == 20


def test_train_margin_matches_prediction(binary_data):
    """The training loop's incremental margins equal a fresh prediction of the same trees."""
    X, y = binary_data
    d = gbt.Dataset(X, y)
    res = {}
    b = gbt.train(_params(eval_metric="logloss", subsample=0.7), d, 15,
                  evals=[(d, "train")], evals_result=res)
    p = b.predict(X)
    assert res["train"]["logloss"][-1] == pytest.approx(get_metric("logloss")(y, p), rel=1e-9)


def test_regression_beats_mean(regression_data):
    X, y = regression_data
    b = gbt.train({"max_depth": 4, "learning_rate": 0.2}, gbt.Dataset(X, y), 50)
    rmse = np.sqrt(np.mean((b.predict(X) - y) ** 2))
    assert rmse < 0.3 * np.std(y)


def test_multiclass_softprob():
    from sklearn.datasets import load_iris
    X, y = load_iris(return_X_y=True)
    b = gbt.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3},
                  gbt.Dataset(X, y), 20)
    p = b.predict(X)
    assert p.shape == (150, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p.argmax(axis=1) == y).mean() > 0.95
    assert len(b.trees) == 60  # K trees per round


def test_custom_objective_matches_builtin(regression_data):
    X, y = regression_data
    params = {"max_depth": 3, "base_score": 0.0}
    b1 = gbt.train(params, gbt.Dataset(X, y), 10)
    b2 = gbt.train(params, gbt.Dataset(X, y), 10,
                   obj=lambda yt, raw: (raw - yt, np.ones_like(raw)))
    np.testing.assert_allclose(b1.predict(X), b2.predict(X), rtol=1e-6, atol=1e-6)


def test_early_stopping_sets_best_iteration(binary_data):
    X, y = binary_data
    dtr, dva = gbt.Dataset(X[:2000], y[:2000]), gbt.Dataset(X[2000:], y[2000:])
    b = gbt.train(_params(learning_rate=0.8, max_depth=6, eval_metric="logloss"), dtr, 300,
                  evals=[(dva, "valid")], early_stopping_rounds=5)
    hist = b.evals_result["valid"]["logloss"]
    assert b.best_iteration == int(np.argmin(hist))
    assert len(hist) == b.best_iteration + 6
    # predict uses the best iteration by default
    full = b.predict(X[2000:], iteration_range=(0, b.num_boosted_rounds()))
    best = b.predict(X[2000:])
    np.testing.assert_allclose(best, b.predict(X[2000:],
                                               iteration_range=(0, b.best_iteration + 1)))
    assert not np.allclose(full, best)


def test_callback_can_stop():
    class StopAt3(gbt.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            return epoch == 2
    X = np.random.default_rng(0).standard_normal((200, 3))
    b = gbt.train({}, gbt.Dataset(X, X[:, 0]), 50, callbacks=[StopAt3()])
    assert b.num_boosted_rounds() == 3


def test_json_round_trip_identical_predictions(tmp_path, binary_data):
    X, y = binary_data
    b = gbt.train(_params(), gbt.Dataset(X, y), 10)
    path = tmp_path / "m.json"
    b.save_model(path)
    b2 = gbt.Booster.load_model(path)
    np.testing.assert_array_equal(b.predict(X), b2.predict(X))
    np.testing.assert_array_equal(b.predict(X, pred_leaf=True), b2.predict(X, pred_leaf=True))
    assert b2.save_raw() == b.save_raw()


def test_pickle_round_trip(binary_data):
    X, y = binary_data
    b = gbt.train(_params(), gbt.Dataset(X, y), 5)
    b2 = pickle.loads(pickle.dumps(b))
    np.testing.assert_array_equal(b.predict(X), b2.predict(X))


@pytest.mark.parametrize("corrupt, message", [
    (lambda d: d.update(format_version=99), "format_version"),
    (lambda d: d.pop("trees"), "lacks fields"),
    (lambda d: d["trees"][0].update(left=[0] + d["trees"][0]["left"][1:]), "child"),
    (lambda d: d["trees"][0].update(value=["x"] * len(d["trees"][0]["value"])), "not numbers"),
    (lambda d: d.update(objective={"name": "nope"}), "unknown"),
    (lambda d: d.update(tree_output=[7] * len(d["tree_output"])), "out of range"),
])
def test_load_rejects_corrupt_models(tmp_path, binary_data, corrupt, message):
    import json
    X, y = binary_data
    d = gbt.train(_params(), gbt.Dataset(X, y), 3).to_dict()
    corrupt(d)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match=message):
        gbt.Booster.load_model(path)


def test_load_rejects_non_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a valid gbt model"):
        gbt.Booster.load_model(path)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_deterministic_model_bytes(binary_data, n_jobs):
    X, y = binary_data
    params = _params(subsample=0.8, colsample_bytree=0.7, colsample_bynode=0.8,
                     random_state=42, n_jobs=n_jobs, grow_policy="lossguide", max_leaves=16)
    raws = [gbt.train(params, gbt.Dataset(X, y), 8).save_raw() for _ in range(2)]
    assert raws[0] == raws[1]
    other = gbt.train({**params, "random_state": 7}, gbt.Dataset(X, y), 8).save_raw()
    assert other != raws[0]


def test_missingness_signal_learned_via_default_direction():
    """Missing values carry the signal: the split must route them to the right side."""
    rng = np.random.default_rng(0)
    n = 4000
    X = rng.standard_normal((n, 2))
    missing = rng.random(n) < 0.3
    X[missing, 0] = np.nan
    y = missing.astype(float)  # label = "feature 0 is missing"
    b = gbt.train({"objective": "binary:logistic", "max_depth": 1, "learning_rate": 1.0},
                  gbt.Dataset(X, y), 1)
    root = b.trees[0]
    assert root.feature[0] == 0
    p = b.predict(X)
    assert (p[missing] > 0.5).all() and (p[~missing] < 0.5).all()
    Xt = np.array([[np.nan, 0.0], [0.5, 0.0]])
    pt = b.predict(Xt)
    assert pt[0] > 0.5 > pt[1]


def test_default_direction_without_training_missing_follows_hessian():
    """A feature with no missing values in training sends unseen NaN to the heavier child."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 1))
    y = (X[:, 0] > 1.0).astype(float)  # ~16% right of the threshold: the left child is heavier
    b = gbt.train({"max_depth": 1, "learning_rate": 1.0, "reg_lambda": 0.0},
                  gbt.Dataset(X, y), 1)
    t = b.trees[0]
    left_cover, right_cover = t.cover[t.left[0]], t.cover[t.right[0]]
    assert left_cover > right_cover
    assert t.default_left[0]
    assert b.predict(np.array([[np.nan]]))[0] == pytest.approx(
        b.predict(np.array([[-3.0]]))[0])


def test_lossguide_respects_max_leaves_and_depthwise_max_depth(binary_data):
    X, y = binary_data
    b = gbt.train(_params(grow_policy="lossguide", max_leaves=7, max_depth=0),
                  gbt.Dataset(X, y), 3)
    assert all(t.n_leaves == 7 for t in b.trees)
    b = gbt.train(_params(max_depth=2, min_child_weight=0), gbt.Dataset(X, y), 3)
    assert all(t.depth() <= 2 for t in b.trees)
    assert any(t.n_leaves == 4 for t in b.trees)


def test_min_child_samples_and_weight_respected(binary_data, regression_data):
    # Child row counts are estimated from hessians (no count channel in the histogram, as in
    # LightGBM): exact when every row has the same hessian, close otherwise.
    X, y = regression_data
    b = gbt.train({"max_depth": 8, "min_child_samples": 200}, gbt.Dataset(X, y), 3)
    for t in b.trees:
        assert t.count[t.is_leaf].min() >= 200
    X, y = binary_data
    b = gbt.train(_params(max_depth=8, min_child_samples=200), gbt.Dataset(X, y), 3)
    for t in b.trees:
        assert t.count[t.is_leaf].min() >= 0.9 * 200
        assert t.n_leaves > 2
    b = gbt.train(_params(max_depth=8, min_child_weight=30.0), gbt.Dataset(X, y), 3)
    for t in b.trees:
        assert t.cover[t.is_leaf].min() >= 30.0


def test_gamma_and_max_delta_step(binary_data):
    X, y = binary_data
    small = gbt.train(_params(gamma=1e9), gbt.Dataset(X, y), 2)
    assert all(t.n_nodes == 1 for t in small.trees)
    b = gbt.train(_params(max_delta_step=0.1, learning_rate=1.0), gbt.Dataset(X, y), 2)
    for t in b.trees:
        assert np.abs(t.value).max() <= 0.1 + 1e-12


def test_reg_alpha_shrinks_leaves(regression_data):
    X, y = regression_data
    plain = gbt.train({"max_depth": 3}, gbt.Dataset(X, y), 1).trees[0]
    l1 = gbt.train({"max_depth": 3, "reg_alpha": 200.0}, gbt.Dataset(X, y), 1).trees[0]
    assert np.abs(l1.value[l1.is_leaf]).mean() < np.abs(plain.value[plain.is_leaf]).mean()


def test_sample_weights_matter(regression_data):
    X, y = regression_data
    w = np.where(X[:, 0] > 0, 100.0, 1.0)
    b0 = gbt.train({"max_depth": 2}, gbt.Dataset(X, y), 3)
    bw = gbt.train({"max_depth": 2}, gbt.Dataset(X, y, weight=w), 3)
    assert bw.base_score[0] != pytest.approx(b0.base_score[0])
    err_w = np.average((bw.predict(X) - y) ** 2, weights=w)
    err_0 = np.average((b0.predict(X) - y) ** 2, weights=w)
    assert err_w < err_0


def test_base_margin_is_used():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 2))
    y = X[:, 0] + 10
    b = gbt.train({"base_score": 0.0, "max_depth": 2}, gbt.Dataset(X, y, base_margin=np.full(500, 10.0)), 0)
    assert b.num_boosted_rounds() == 0
    res = {}
    d = gbt.Dataset(X, y, base_margin=np.full(500, 10.0))
    gbt.train({"base_score": 0.0}, d, 1, evals=[(d, "t")], evals_result=res)
    assert res["t"]["rmse"][0] < 1.5


def test_sparse_input_matches_dense_with_nan():
    import scipy.sparse as sp
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((800, 5))
    dense[rng.random(dense.shape) < 0.4] = np.nan
    y = np.nan_to_num(dense[:, 0]) + np.isnan(dense[:, 1])
    csr = sp.csr_matrix(np.nan_to_num(dense, nan=0.0))
    csr.eliminate_zeros()  # absent = missing, exactly where dense has NaN
    b_dense = gbt.train({"max_depth": 3}, gbt.Dataset(dense, y), 5)
    b_sparse = gbt.train({"max_depth": 3}, gbt.Dataset(csr, y), 5)
    assert b_dense.save_raw() == b_sparse.save_raw()
    np.testing.assert_allclose(b_sparse.predict(csr), b_dense.predict(dense))


def test_predict_errors(binary_data):
    X, y = binary_data
    b = gbt.train(_params(), gbt.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="features"):
        b.predict(X[:, :3])
    with pytest.raises(ValueError, match="iteration_range"):
        b.predict(X, iteration_range=(0, 10))


def test_train_argument_errors(binary_data):
    X, y = binary_data
    with pytest.raises(TypeError, match="Dataset"):
        gbt.train({}, X, 2)
    with pytest.raises(ValueError, match="no label"):
        gbt.train({}, gbt.Dataset(X), 2)
    with pytest.raises(ValueError, match="binary:logistic needs labels"):
        gbt.train({"objective": "binary:logistic"}, gbt.Dataset(X, y * 3), 2)
    with pytest.raises(ValueError, match="Unknown objective"):
        gbt.train({"objective": "reg:nope"}, gbt.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="Unknown metric"):
        gbt.train({"eval_metric": "nope"}, gbt.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="evaluation set"):
        gbt.train({}, gbt.Dataset(X, y), 2, early_stopping_rounds=2)


def test_pandas_categorical_end_to_end():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    n = 2000
    cat = rng.choice(["a", "b", "c"], n)
    num = rng.standard_normal(n)
    y = (cat == "b") * 2.0 + num
    df = pd.DataFrame({"cat": pd.Categorical(cat), "num": num})
    b = gbt.train({"max_depth": 3}, gbt.Dataset(df, y), 30)
    # new data with the categories in another order must be coded like training
    df2 = pd.DataFrame({"cat": pd.Categorical(cat[:50], categories=["c", "b", "a"]),
                        "num": num[:50]})
    np.testing.assert_allclose(b.predict(df2), b.predict(df.iloc[:50]))
    assert np.sqrt(np.mean((b.predict(df) - y) ** 2)) < 0.3


def test_evaluate_matches_the_training_loop_log():
    from gbt.engine import evaluate
    rng = np.random.default_rng(4)
    X = rng.standard_normal((600, 3))
    y = (X[:, 0] + rng.normal(0, 0.5, 600) > 0).astype(float)
    dtrain, dvalid = gbt.Dataset(X[:400], y[:400]), gbt.Dataset(X[400:], y[400:])
    booster = gbt.train({"objective": "binary:logistic", "eval_metric": ["auc", "logloss"]},
                        dtrain, 8, evals=[(dvalid, "valid")])
    out = evaluate(booster, dvalid)
    for name in ("auc", "logloss"):
        assert out[name] == pytest.approx(booster.evals_result["valid"][name][-1], rel=1e-12)
    assert set(evaluate(booster, dvalid, ["error"])) == {"error"}
    with pytest.raises(ValueError, match="no label"):
        evaluate(booster, gbt.Dataset(X))
    with pytest.raises(TypeError, match="gbt.Dataset"):
        evaluate(booster, X)


def test_booster_attributes_round_trip(tmp_path):
    X = np.random.default_rng(5).standard_normal((100, 2))
    booster = gbt.train({}, gbt.Dataset(X, X[:, 0]), 2)
    booster.set_attr(source="unit test", note="x")
    booster.set_attr(note=None)  # None deletes
    path = tmp_path / "m.json"
    booster.save_model(path)
    again = gbt.Booster.load_model(path)
    assert again.attributes() == {"source": "unit test"} and again.attr("note") is None
    with pytest.raises(TypeError, match="must be a string"):
        booster.set_attr(rounds=3)


def test_subsampled_rounds_keep_training_margins_equal_to_predictions(regression_data):
    """Rows inside a round's subsample move by their leaf, the others by a tree walk: both
    must give what prediction gives (the training metric is computed on those margins)."""
    X, y = regression_data
    dtrain = gbt.Dataset(X, y)
    log = {}
    booster = gbt.train({"subsample": 0.6, "max_depth": 4, "eval_metric": "rmse",
                         "random_state": 5}, dtrain, 12, evals=[(dtrain, "train")],
                        evals_result=log)
    rmse = np.sqrt(np.mean((booster.predict(X) - y) ** 2))
    assert log["train"]["rmse"][-1] == pytest.approx(rmse, rel=1e-12)


# -- row subsampling and thread counts for small fits --------------------------------------------
def test_subsample_rows_is_an_exact_sorted_uniform_split():
    from gbt._native.cpu.sampling import subsample_rows
    rng = np.random.default_rng(0)
    counts = np.zeros(12)
    for _ in range(6000):
        sample, other = subsample_rows(rng, 12, 5)
        assert sample.size == 5 and other.size == 7
        assert sample.dtype == other.dtype == np.int32
        assert (np.diff(sample) > 0).all() and (np.diff(other) > 0).all()
        np.testing.assert_array_equal(np.sort(np.concatenate([sample, other])), np.arange(12))
        counts[sample] += 1
    # each row is kept with probability 5/12: 2500 of 6000 draws, sd ~38
    assert np.abs(counts - 2500).max() < 200, counts
    assert subsample_rows(rng, 3, 3)[1].size == 0 and subsample_rows(rng, 3, 0)[0].size == 0


def test_small_fits_start_fewer_threads_and_give_the_same_model(monkeypatch):
    import numba

    from gbt._native import backend
    assert backend.threads_for_size(8, 50_000) == 1
    assert backend.threads_for_size(8, 250_000) == 2
    assert backend.threads_for_size(2, 10**9) == 2
    assert backend.fit_threads(2, 1000, 10) == (1, 1)  # one thread: one chunk
    assert backend.fit_threads(2, 100_000, 1) == (1, 2)  # a node may be row-chunked
    assert backend.fit_threads(2, 100_000, 28) == (2, 2)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 6))
    y = X[:, 0] + rng.normal(size=3000)
    params = {"n_jobs": 2, "subsample": 0.7, "max_leaves": 15, "grow_policy": "lossguide"}
    seen = []

    class RecordThreads(gbt.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            seen.append(numba.get_num_threads())
            return False
    capped = gbt.train(params, gbt.Dataset(X, y), 10, callbacks=[RecordThreads()])
    assert set(seen) == {1}
    monkeypatch.setattr(backend, "MIN_CELLS_PER_THREAD", 1)  # no cap: two threads, two chunks
    seen.clear()
    uncapped = gbt.train(params, gbt.Dataset(X, y), 10, callbacks=[RecordThreads()])
    assert set(seen) == {min(2, numba.config.NUMBA_NUM_THREADS)}
    np.testing.assert_array_equal(capped.predict(X), uncapped.predict(X))


@pytest.mark.parametrize("n_features,vector", [(2, False), (6, False), (48, False),
                                               (48, True)])
def test_serial_and_parallel_pair_scans_grow_the_same_trees(monkeypatch, n_features, vector):
    """On two threads, dense nodes build, subtract and scan in one region
    (histogram_and_split_pair) over ONE_REGION_MIN_BINS bins or more (6 or 48 features of 255
    bins), and scan a node pair one child after the other below it (2 features); either way
    the trees are those of one thread, scalar or vector leaves."""
    from gbt._native import backend
    from gbt._native.cpu.grow import ONE_REGION_MIN_BINS
    assert 2 * 2 * 255 < ONE_REGION_MIN_BINS <= 2 * 6 * 255
    monkeypatch.setattr(backend, "MIN_CELLS_PER_THREAD", 1)  # two threads even on small data
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4000, n_features))
    y = (X[:, 0] + X[:, -1] * X[:, 1] + rng.normal(size=4000) > 0).astype(float)
    params = {"objective": "binary:logistic", "max_leaves": 31, "grow_policy": "lossguide"}
    if vector:
        y = y + (X[:, 2] > 0.5)
        params.update(objective="multi:softprob", num_class=3, multi_strategy="condensed")
    one, two = (gbt.train({**params, "n_jobs": n}, gbt.Dataset(X, y), 8) for n in (1, 2))
    assert len(one.trees) == 8 and one.trees[0].feature.size > 40  # trees that really split
    np.testing.assert_array_equal(one.predict(X), two.predict(X))


def test_round_workers_only_where_chunks_cannot_change_a_tree():
    from gbt._native import backend
    from gbt._native.cpu.histogram import ROW_CHUNK_MIN_ROWS
    assert backend.round_workers(2, 15_000, 16) == 2
    assert backend.round_workers(2, 1_000, 16) == 1  # too small for a second thread
    assert backend.round_workers(8, ROW_CHUNK_MIN_ROWS, 28) == 1  # nodes may be row-chunked
    assert backend.round_workers(1, 15_000, 16) == 1


@pytest.mark.parametrize("extra", [
    {},
    {"subsample": 0.7, "colsample_bynode": 0.5, "colsample_bytree": 0.8},
    {"monotone_constraints": [1, 0, -1, 0, 0]},
    {"grow_policy": "depthwise", "max_depth": 4},
])
def test_trees_grown_side_by_side_are_those_grown_one_at_a_time(monkeypatch, extra):
    """A one-per-output round's trees grow on two threads at once (gbt.rounds); the model is
    the one the serial loop grows, random draws included."""
    from gbt import engine
    from gbt._native import backend
    monkeypatch.setattr(backend, "MIN_CELLS_PER_THREAD", 1)  # two threads even on small data
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 5))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 2] + rng.normal(size=3000) * 0.5, [-1, 0, 1])
    params = {"objective": "multi:softprob", "num_class": 4, "max_leaves": 15, "n_jobs": 2,
              "random_state": 3, **extra}
    seen_workers = []
    real_rounds = engine.RoundTrees

    def recording_rounds(*args, **kwargs):
        rounds = real_rounds(*args, **kwargs)
        seen_workers.append(rounds.workers)
        return rounds
    monkeypatch.setattr(engine, "RoundTrees", recording_rounds)
    side_by_side = gbt.train(params, gbt.Dataset(X, y), 6)
    monkeypatch.setattr(engine, "round_workers", lambda *args: 1)
    one_at_a_time = gbt.train(params, gbt.Dataset(X, y), 6)
    assert seen_workers == [2, 1]
    assert len(side_by_side.trees) == 24 and side_by_side.trees[5].feature.size > 10
    assert side_by_side.save_raw() == one_at_a_time.save_raw()


def test_side_by_side_growth_covers_several_targets_and_stays_off_for_condensed(monkeypatch):
    from gbt import engine, rounds
    from gbt._native import backend
    monkeypatch.setattr(backend, "MIN_CELLS_PER_THREAD", 1)
    rng = np.random.default_rng(6)
    X = rng.normal(size=(2000, 4))
    Y = np.c_[X[:, 0] + X[:, 1], X[:, 2] * X[:, 3], X[:, 1]] + rng.normal(size=(2000, 3)) * 0.1
    params = {"max_leaves": 15, "n_jobs": 2}
    workers = []
    real_grow = rounds.RoundTrees.grow

    def recording_grow(self, *args):
        workers.append(self.workers)
        return real_grow(self, *args)
    monkeypatch.setattr(rounds.RoundTrees, "grow", recording_grow)
    side_by_side = gbt.train(params, gbt.Dataset(X, Y), 4)
    condensed = gbt.train({**params, "multi_strategy": "condensed"}, gbt.Dataset(X, Y), 4)
    assert set(workers[:4]) == {2} and set(workers[4:]) == {1}
    monkeypatch.setattr(engine, "round_workers", lambda *args: 1)
    one_at_a_time = gbt.train(params, gbt.Dataset(X, Y), 4)
    np.testing.assert_array_equal(side_by_side.predict(X), one_at_a_time.predict(X))
    assert len(condensed.trees) == 4


def test_side_by_side_growth_on_sparse_data_matches_one_at_a_time(monkeypatch):
    """Mostly-absent one-hot columns take the stored-cell histograms, whose scratch each
    worker's grower owns."""
    import scipy.sparse as sp

    from gbt import engine
    from gbt._native import backend
    monkeypatch.setattr(backend, "MIN_CELLS_PER_THREAD", 1)
    rng = np.random.default_rng(8)
    dense = (rng.random((3000, 30)) < 0.1).astype(float)
    y = (dense[:, 0] + dense[:, 1] + 2 * dense[:, 2] + rng.random(3000) > 1).astype(int)
    y = y + (dense[:, 3] > 0)
    X = sp.csr_matrix(dense)
    params = {"objective": "multi:softprob", "num_class": 3, "max_leaves": 15, "n_jobs": 2}
    side_by_side = gbt.train(params, gbt.Dataset(X, y), 5)
    monkeypatch.setattr(engine, "round_workers", lambda *args: 1)
    one_at_a_time = gbt.train(params, gbt.Dataset(X, y), 5)
    assert side_by_side.trees[4].feature.size > 3
    assert side_by_side.save_raw() == one_at_a_time.save_raw()


def test_twin_growers_share_the_data_but_not_the_buffers():
    from gbt.grower import TreeGrower
    from gbt.params import resolve_params
    X = (np.arange(400 * 3).reshape(400, 3) % 7).astype(np.uint8)
    grower = TreeGrower(X, np.full(3, 7, dtype=np.int32), 255, resolve_params({}), 1)
    twin = grower.twin()
    assert twin.X is grower.X and twin.X_T is grower.X_T
    for name in ("hist_pool", "chunk_buffers", "rows", "scratch", "_leaf_of_row"):
        assert getattr(twin, name) is not getattr(grower, name), name
    X_sparse = np.full((400, 3), 255, dtype=np.uint8)  # mostly missing: stored cells
    X_sparse[::10, 0] = 0
    sparse = TreeGrower(X_sparse, np.ones(3, dtype=np.int32), 255, resolve_params({}), 1)
    assert sparse.sparse_rows[1].size > 0
    sparse_twin = sparse.twin()
    assert sparse_twin.sparse_rows[1] is sparse.sparse_rows[1]  # the cells are shared
    assert sparse_twin.sparse_rows[3] is not sparse.sparse_rows[3]  # their scratch is not


def test_side_by_side_trees_never_start_a_parallel_region(tmp_path):
    """Numba's workqueue threading layer aborts the process when two threads start parallel
    regions at once, so a fit that grows trees side by side under it proves the kernels on
    that path run serially (a slice assignment inside a parallel=True kernel used to start a
    region on every node's partition)."""
    import os
    import subprocess
    import sys
    script = (
        "import numpy as np, numba, gbt\n"
        "from gbt._native import backend\n"
        "backend.MIN_CELLS_PER_THREAD = 1\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(3000, 6)); y = rng.integers(0, 5, size=3000)\n"
        "b = gbt.train({'objective': 'multi:softprob', 'num_class': 5, 'max_leaves': 31,\n"
        "               'n_jobs': 2}, gbt.Dataset(X, y), 20)\n"
        "assert numba.threading_layer() == 'workqueue', numba.threading_layer()\n"
        "print('trees', len(b.trees))\n")
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue", "NUMBA_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "trees 100" in done.stdout


def test_fits_run_blas_on_one_thread():
    """A user's objective calling numpy's BLAS runs it on one thread (the tree kernels own the
    cores); the BLAS libraries are looked up once per process."""
    from threadpoolctl import threadpool_info

    from gbt.engine import _blas_controller
    seen = []

    def objective(y, raw):
        seen.extend(lib["num_threads"] for lib in threadpool_info()
                    if lib["user_api"] == "blas")
        return raw.reshape(len(y), -1)[:, 0] - y, np.ones_like(y)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    gbt.train({"objective": objective, "n_jobs": 2}, gbt.Dataset(X, y), 2)
    assert seen and set(seen) == {1}
    assert _blas_controller() is _blas_controller()


def test_grown_trees_fill_every_field_of_their_unset_arrays(monkeypatch):
    """The grower's trees start from Tree._to_fill (arrays left unset that fill_tree
    writes): the same trees as from fully initialised arrays, with categorical splits too."""
    import pandas as pd
    from gbt.tree import Tree
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600),
                      "c": pd.Categorical(rng.integers(0, 6, size=600))})
    y = (X["a"] + (X["c"].cat.codes % 2) + rng.normal(size=600) > 0.5).astype(float)
    params = {"objective": "binary:logistic", "max_leaves": 15}

    def fields(booster):
        return [[getattr(t, name).copy() for name in Tree.__slots__] for t in booster.trees]

    unset = fields(gbt.train(params, gbt.Dataset(X, y), 5))
    monkeypatch.setattr(Tree, "_to_fill", classmethod(lambda cls, n, k: cls(n, k)))
    initialised = fields(gbt.train(params, gbt.Dataset(X, y), 5))
    assert any(t.is_categorical.any() for t in gbt.train(params, gbt.Dataset(X, y), 5).trees)
    for a, b in zip(unset, initialised):
        for x, z in zip(a, b):
            np.testing.assert_array_equal(x, z)


def test_condensed_tree_cover_is_the_hessian_sum_over_its_outputs():
    """fill_tree writes each node's cover: its hessian summed over rows and the K outputs."""
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=400, n_classes=3, n_informative=4, random_state=0)
    params = {"objective": "multi:softprob", "num_class": 3, "multi_strategy": "condensed",
              "max_leaves": 7}
    booster = gbt.train(params, gbt.Dataset(X, y), 1)
    tree = booster.trees[0]
    raw = np.tile(booster.base_score, (len(y), 1))
    g = np.empty((len(y), 3), np.float32)
    h = np.empty_like(g)
    booster.objective.grad_hess(y.astype(np.float64), raw, None, g, h)
    assert tree.cover[0] == pytest.approx(h.astype(np.float64).sum(), rel=1e-9)
    leaves = tree.left == -1
    assert tree.cover[leaves].sum() == pytest.approx(tree.cover[0], rel=1e-12)
    assert tree.cover.min() > 0
