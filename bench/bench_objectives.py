"""Objective benchmarks: gbt's objectives against their peers, one task per objective family.

Each task is one function ``task_<name>(args, log) -> (markdown text, bar lines)`` listed in
TASKS; ``--task a,b`` runs a selection (default: all), and each task rewrites only its own
section ``bench_objectives.<name>`` of bench/RESULTS.md.

Task ``ranking``
----------------
* Data: LightGBM's lambdarank example (../shared/data/lightgbm/rank.{train,test}.gz with the
  ``.query`` group sizes; 3005 / 768 rows, 300 features, 201 / 50 queries, relevance 0..4),
  loaded by ``tests.real_data.load_lgb_rank`` as dense float64 (absent LibSVM entries are 0
  for both libraries).
* Models, the same trees everywhere: 100 rounds, learning rate 0.1, 31 leaves (gbt
  loss-guided, ``max_leaves=31, max_depth=0``), min 20 rows and min hessian 1e-3 per leaf, no
  L2 (``reg_lambda=0``), 255 bins, ``--threads`` threads. gbt ``rank:ndcg`` against LightGBM
  ``lambdarank``, both at their defaults otherwise (truncation level 30, ``lambdarank_norm``,
  gains 2^rel - 1). For information: gbt ``rank:pairwise`` and ``rank:map``, gbt ``rank:ndcg``
  with the library's default leaf rules (``min_child_weight=1, reg_lambda=1``, XGBoost's), and
  XGBoost ``rank:ndcg`` (``lambdarank_pair_method="topk"``, its defaults otherwise).
* Two settings: deterministic (no sampling: the seed changes nothing, one fit each) and
  sampled (rows 0.8 per round, LightGBM ``bagging_fraction=0.8, bagging_freq=1``; features 0.8
  per tree) over ``--seeds`` seeds 0, 1, ... (default 3; mean, standard deviation, and the
  mean and standard error of the per-seed difference gbt - LightGBM).
* Score: test NDCG@10 of every model's predictions by the same implementation
  (``gbt.metrics`` ``ndcg@10``), checked against LightGBM's own ``ndcg@10`` on the test set.
* Fit time (secondary): median of ``--repeats`` fits of the deterministic gbt ``rank:ndcg``
  and LightGBM in alternating order (A B A B; reversed every other round), Dataset
  construction included, after one untimed warm-up fit each (Numba compilation reported
  separately).
* Bar: gbt ``rank:ndcg`` test NDCG@10 >= LightGBM's - 0.01 (deterministic, and the mean over
  seeds when sampled).

Task ``quantile``
-----------------
* Data: UCI protein (../shared/data/uci_regression/protein.csv.gz, 45730 rows, 9 features,
  target RMSD), the first standard split (``protein_splits.npz``: 41157 train / 4573 test),
  loaded by ``tests.real_data.load_uci``.
* Models, the same trees everywhere: ``QUANT_ROUNDS`` rounds, learning rate 0.1, 31 leaves
  (gbt loss-guided), min 20 rows and min hessian 1e-3 per leaf, ``reg_lambda=0``, 255 bins,
  ``--threads`` threads; gbt ``reg:quantileerror`` with ``quantile_alpha`` a against LightGBM
  ``objective="quantile", alpha=a`` for a in 0.1 / 0.5 / 0.9 (both refit leaves to quantiles
  of the residuals). For information: XGBoost ``reg:quantileerror`` (hist, loss-guided, 31
  leaves, same learning rate and leaf rules).
* Score: test pinball loss at a (``sklearn.metrics.mean_pinball_loss``), and the held-out
  coverage (share of test labels <= the prediction; ideally a).
* Fit time (secondary): median of ``--repeats`` alternating fits (A B, reversed every other
  round) of gbt and LightGBM for each a, Dataset construction included, after an untimed
  warm-up fit each.
* Bar: gbt's test pinball loss <= LightGBM's + 2% for each a.

Task ``poisson``
----------------
* Data: Kaggle Bike Sharing Demand train (../shared/data/misc/bike_sharing_kaggle_train.csv.gz,
  10886 hourly rows): features season, holiday, workingday, weather, temp, atemp, humidity,
  windspeed and hour / month / weekday / year parsed from ``datetime``; target ``count``
  (``casual`` and ``registered`` sum to it and are dropped); a fixed random 80/20 split
  (``numpy.random.default_rng(0).permutation``).
* Models: ``POIS_ROUNDS`` rounds, learning rate 0.05, 31 leaves (gbt loss-guided), min 20 rows
  and min hessian 1e-3 per leaf, ``reg_lambda=0``, 255 bins, ``--threads`` threads; gbt
  ``count:poisson`` against LightGBM ``objective="poisson"`` (both: hessian exp(raw + 0.7),
  start at log of the mean count). For information: XGBoost ``count:poisson`` (its default
  ``max_delta_step`` 0.7 for Poisson) and gbt ``reg:squarederror``, same trees.
* Score: test Poisson deviance of the predicted means (``sklearn.metrics.
  mean_poisson_deviance``); also gbt.metrics' ``poisson-nloglik`` for information.
* Fit time (secondary): as for ``quantile``.
* Bar: gbt's test Poisson deviance <= LightGBM's + 2%.

Task ``cox``
------------
* Data: SUPPORT2 (../shared/data/survival/support2.csv.gz, 9105 rows): time ``d.time``,
  event ``death``; features every column but the outcomes and what is only known after
  admission or is itself a prognosis (``COX_DROP``: death, d.time, hospdead, slos, sfdm2,
  charges, totcst, totmcst, dnr, dnrday, surv2m, surv6m, prg2m, prg6m), 33 columns: numeric
  as they are, the 6 text columns as integer category codes (sorted categories; NaN stays
  missing for both libraries). A fixed random 80/20 split (``default_rng(0).permutation``).
* Models: gbt ``survival:cox`` against XGBoost ``survival:cox`` with the same trees:
  ``COX_ROUNDS`` rounds, learning rate ``COX_LR``, depth-wise to depth ``COX_DEPTH``, min
  hessian 1 per leaf, ``reg_lambda`` 1 (both libraries' defaults), 255 / 256 bins (hist),
  ``--threads`` threads.
* Score: test Harrell's concordance index of the margins by one implementation
  (``gbt.metrics`` ``c-index``, checked against lifelines' ``concordance_index`` when it is
  installed); also test ``cox-nloglik`` for information.
* Fit time (secondary): as for ``quantile``.
* Bar: gbt test c-index >= XGBoost's - 0.005.

Task ``categorical``
--------------------
* Data: UCI Bank Marketing (../shared/data/lightgbm/bank.csv.gz, 4521 rows, 16 features of
  which 9 text columns; label ``y == "yes"``) and UCI Adult (../shared/data/fairness/
  adult.{data,test}.gz, 32561 / 16281 rows, 14 features of which 8 text columns; label income
  > 50K; loaded by ``tests.real_data.load_adult``). Text columns become pandas ``category``
  columns (the training rows' sorted categories) and both libraries split them natively:
  gbt from the category dtype, LightGBM from the same data frame (``categorical_feature=
  "auto"``). Bank has no standard split: ``CAT_SPLITS`` random stratified 80/20 splits
  (seeds 0, 1, ...; the mean test AUC is compared); Adult uses its train / test files.
* Models, the same trees: ``CAT_ROUNDS`` rounds, learning rate ``CAT_LR``, 31 leaves (gbt
  loss-guided), min 20 rows and min hessian 1e-3 per leaf, ``reg_lambda=0``, 255 bins,
  ``--threads`` threads, and LightGBM's categorical defaults in both (``max_cat_to_onehot=4``,
  ``max_cat_threshold=32``, ``cat_smooth=10``, ``cat_l2=10``, ``min_data_per_group=100``;
  gbt splits one-vs-rest below 4 categories, LightGBM at 4 or fewer).
* Score: test AUC (``sklearn.metrics.roc_auc_score``).
* Fit time: median of ``--repeats`` alternating fits (A B, reversed every other round) of gbt
  and LightGBM, Dataset construction included, after an untimed warm-up fit each.
* Bar: gbt test AUC >= LightGBM's - 0.003 and gbt fit time <= 1.5x LightGBM's, per dataset.

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_objectives.py                       # all tasks, writes RESULTS.md
    .venv/bin/python bench/bench_objectives.py --task ranking --repeats 1 --no-write
    .venv/bin/python bench/bench_objectives.py --task quantile,poisson
    .venv/bin/python bench/bench_objectives.py --task cox
    .venv/bin/python bench/bench_objectives.py --task categorical

Needs ../shared/data (or GBT_DATA_DIR); a task whose data is absent says so and is skipped.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench_fit import OtherCpu, command_line, release_free_memory  # noqa: E402
from results_file import write_section  # noqa: E402

DATA_DIR = Path(os.environ.get("GBT_DATA_DIR", REPO.parent / "shared" / "data"))
NOISY_CORES = 0.25


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------------------------
# Task: ranking (rank:ndcg against LightGBM lambdarank)
# --------------------------------------------------------------------------------------------
RANK_ROUNDS, RANK_LR, RANK_LEAVES, RANK_MIN_ROWS, RANK_MIN_HESS = 100, 0.1, 31, 20, 1e-3
RANK_K, RANK_SAMPLE = 10, 0.8
RANK_BAR = 0.01


def _rank_gbt(objective, threads, seed, sampled, library_leaf_rules=False):
    import gbt
    params = dict(objective=objective, learning_rate=RANK_LR, grow_policy="lossguide",
                  max_leaves=RANK_LEAVES, max_depth=0, min_child_samples=RANK_MIN_ROWS,
                  max_bin=255, n_jobs=threads, random_state=seed, eval_metric=f"ndcg@{RANK_K}")
    if not library_leaf_rules:
        params.update(min_child_weight=RANK_MIN_HESS, reg_lambda=0.0)
    if sampled:
        params.update(subsample=RANK_SAMPLE, colsample_bytree=RANK_SAMPLE)

    def fit(d):
        dtrain = gbt.Dataset(d["X_train"], d["y_train"], group=d["group_train"])
        return gbt.train(params, dtrain, RANK_ROUNDS)
    return fit


def _rank_lgb(threads, seed, sampled, own_eval=None):
    """LightGBM lambdarank; ``own_eval`` (a dict) receives its ndcg@10 on the test set."""
    import lightgbm as lgb
    params = dict(objective="lambdarank", learning_rate=RANK_LR, num_leaves=RANK_LEAVES,
                  min_data_in_leaf=RANK_MIN_ROWS, min_sum_hessian_in_leaf=RANK_MIN_HESS,
                  lambda_l2=0.0, max_bin=255, num_threads=threads, seed=seed,
                  deterministic=True, verbose=-1, metric="ndcg", eval_at=[RANK_K])
    if sampled:
        params.update(bagging_fraction=RANK_SAMPLE, bagging_freq=1,
                      feature_fraction=RANK_SAMPLE)

    def fit(d):
        dtrain = lgb.Dataset(d["X_train"], d["y_train"], group=d["group_train"],
                             params={"max_bin": 255, "verbose": -1})
        if own_eval is None:
            return lgb.train(params, dtrain, RANK_ROUNDS)
        dtest = lgb.Dataset(d["X_test"], d["y_test"], group=d["group_test"], reference=dtrain)
        res = {}
        model = lgb.train(params, dtrain, RANK_ROUNDS, valid_sets=[dtest], valid_names=["test"],
                          callbacks=[lgb.record_evaluation(res)])
        own_eval["ndcg"] = res["test"][f"ndcg@{RANK_K}"][-1]
        return model
    return fit


def _rank_xgb(threads, seed, sampled):
    import xgboost as xgb
    params = dict(objective="rank:ndcg", lambdarank_pair_method="topk", eta=RANK_LR,
                  tree_method="hist", grow_policy="lossguide", max_leaves=RANK_LEAVES,
                  max_depth=0, min_child_weight=RANK_MIN_HESS, reg_lambda=0.0, max_bin=256,
                  nthread=threads, seed=seed, verbosity=0)
    if sampled:
        params.update(subsample=RANK_SAMPLE, colsample_bytree=RANK_SAMPLE)

    def fit(d):
        dtrain = xgb.DMatrix(d["X_train"], d["y_train"], group=d["group_train"],
                             nthread=threads)
        return xgb.train(params, dtrain, RANK_ROUNDS)
    return fit


def _predict(model, X):
    if type(model).__module__.startswith("xgboost"):
        return model.inplace_predict(X)
    return model.predict(X)


def _rank_models(threads, seed, sampled):
    """{row label: fit(d)}; the first two are the compared pair."""
    return {
        "gbt rank:ndcg": _rank_gbt("rank:ndcg", threads, seed, sampled),
        "LightGBM lambdarank": _rank_lgb(threads, seed, sampled),
        "gbt rank:pairwise": _rank_gbt("rank:pairwise", threads, seed, sampled),
        "gbt rank:map": _rank_gbt("rank:map", threads, seed, sampled),
        "gbt rank:ndcg, library leaf rules (min_child_weight=1, reg_lambda=1)":
            _rank_gbt("rank:ndcg", threads, seed, sampled, library_leaf_rules=True),
        "XGBoost rank:ndcg (topk)": _rank_xgb(threads, seed, sampled),
    }


def task_ranking(args, log):
    from gbt.metrics import get_metric
    from tests.real_data import load_lgb_rank
    directory = DATA_DIR / "lightgbm"
    if not (directory / "rank.train.gz").exists():
        return None, [f"SKIP: ranking: LightGBM's rank.* files are not under {directory}"]
    d = load_lgb_rank(directory)
    qi = np.repeat(np.arange(len(d["group_test"])), d["group_test"])
    y_test = np.column_stack([d["y_test"], qi])
    metric = get_metric(f"ndcg@{RANK_K}")

    def score(model):
        return metric(y_test, _predict(model, d["X_test"]))

    # Warm-up (Numba compilation of gbt's kernels; LightGBM's lazy start), untimed for the table.
    t0 = time.perf_counter()
    _rank_gbt("rank:ndcg", args.threads, 0, False)(d)
    warm_gbt = time.perf_counter() - t0
    _rank_lgb(args.threads, 0, False)(d)
    log(f"ranking: warm-up gbt {warm_gbt:.2f} s")

    # Scores: deterministic (one fit each) and sampled (seeds).
    own = {}
    scores = {"deterministic": {}, "sampled": {}}
    agree = []
    for setting, seeds in (("deterministic", (0,)), ("sampled", range(args.seeds))):
        for seed in seeds:
            models = _rank_models(args.threads, seed, setting == "sampled")
            models["LightGBM lambdarank"] = _rank_lgb(args.threads, seed,
                                                      setting == "sampled", own)
            for name, fit in models.items():
                s = score(fit(d))
                scores[setting].setdefault(name, []).append(s)
                if name == "LightGBM lambdarank":
                    agree.append(abs(s - own["ndcg"]))
                log(f"ranking {setting} seed {seed}: {name}: NDCG@{RANK_K} {s:.5f}")

    # Fit times: gbt rank:ndcg vs LightGBM, alternating.
    pair = {"gbt rank:ndcg": _rank_gbt("rank:ndcg", args.threads, 0, False),
            "LightGBM lambdarank": _rank_lgb(args.threads, 0, False)}
    times = {k: [] for k in pair}
    noise = []
    for r in range(args.repeats):
        for name in (list(pair) if r % 2 == 0 else list(pair)[::-1]):
            release_free_memory()
            with OtherCpu() as other:
                t0 = time.perf_counter()
                pair[name](d)
                times[name].append(time.perf_counter() - t0)
            noise.append(other.cores)
            log(f"ranking timing round {r + 1}/{args.repeats} {name}: "
                f"{times[name][-1]:.3f} s")
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["gbt rank:ndcg"] / med["LightGBM lambdarank"]

    return _ranking_report(args, d, scores, agree, med, times, ratio, max(noise), warm_gbt)


def _ranking_report(args, d, scores, agree, med, times, ratio, noise, warm_gbt):
    import lightgbm
    import xgboost

    import gbt
    det, smp = scores["deterministic"], scores["sampled"]
    ours, peer = "gbt rank:ndcg", "LightGBM lambdarank"
    rows = ["| model | NDCG@10, deterministic | NDCG@10, sampled: mean ± sd over "
            f"{args.seeds} seed(s) | − LightGBM, deterministic | − LightGBM, sampled: mean ± "
            "s.e. of the per-seed differences | sampled, per seed |",
            "|---|---:|---:|---:|---:|---|"]
    for name in det:
        s = np.asarray(smp[name])
        diff = s - np.asarray(smp[peer])
        se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else float("nan")
        rows.append(f"| {name} | {det[name][0]:.4f} | {s.mean():.4f} ± {s.std():.4f} | "
                    f"{det[name][0] - det[peer][0]:+.4f} | {diff.mean():+.4f} ± {se:.4f} | "
                    f"{' / '.join(f'{v:.4f}' for v in s)} |")
    bar = []
    for setting, values in (("deterministic", det), ("sampled (mean over seeds)", smp)):
        a, b = float(np.mean(values[ours])), float(np.mean(values[peer]))
        bar.append(f"{'PASS' if a >= b - RANK_BAR else 'FAIL'}: {setting}: gbt rank:ndcg "
                   f"NDCG@10 >= LightGBM - {RANK_BAR} — {a:.4f} vs {b:.4f} ({a - b:+.4f})")
    bar.append(f"{'PASS' if max(agree) < 1e-9 else 'FAIL'}: gbt's ndcg@10 on LightGBM's "
               f"predictions equals LightGBM's own test ndcg@10 (largest difference "
               f"{max(agree):.1e} over {len(agree)} fits)")
    if noise > NOISY_CORES:
        bar.append(f"WARNING: other processes kept up to {noise:.2f} cores busy during a timed "
                   "fit; the fit times are disturbed")
    text = "\n".join([
        "## bench_objectives.py, task ranking: rank:ndcg against LightGBM lambdarank", "",
        f"Date: {_now()}", "", "Command (from the repository root):", "", "```",
        command_line(), "```", "",
        f"LightGBM's lambdarank example: {len(d['y_train'])} / {len(d['y_test'])} rows, "
        f"{d['X_train'].shape[1]} features, {len(d['group_train'])} / {len(d['group_test'])} "
        f"queries, relevance 0..4. Every model: {RANK_ROUNDS} rounds, learning rate {RANK_LR:g}, "
        f"{RANK_LEAVES} leaves (gbt loss-guided), min {RANK_MIN_ROWS} rows and min hessian "
        f"{RANK_MIN_HESS:g} per leaf, reg_lambda 0, 255 bins, {args.threads} threads, except "
        "where the row says otherwise. Truncation level 30, lambdarank_norm on, gains "
        "2^rel - 1 (both libraries' defaults). Sampled: rows "
        f"{RANK_SAMPLE:g} per round (LightGBM bagging_freq=1), features {RANK_SAMPLE:g} per "
        "tree. Every NDCG@10 is gbt.metrics' `ndcg@10` on the test predictions. Versions: gbt "
        f"{gbt.__version__ if hasattr(gbt, '__version__') else '?'}, LightGBM "
        f"{lightgbm.__version__}, XGBoost {xgboost.__version__}.", "",
        "### Test NDCG@10", "", *rows, "",
        f"### Fit time (secondary; median of {args.repeats} alternating fits, deterministic "
        "setting, Dataset construction included)", "",
        "| model | fit s (median) | all runs | × LightGBM |", "|---|---:|---|---:|",
        *[f"| {k} | {med[k]:.3f} | {' / '.join(f'{t:.3f}' for t in times[k])} | "
          f"{med[k] / med['LightGBM lambdarank']:.2f} |" for k in med], "",
        f"gbt warm-up (first fit in this process: Numba cache load or compilation, untimed "
        f"above): {warm_gbt:.2f} s. Most cores other processes kept busy during a timed fit: "
        f"{noise:.2f}.", "",
        "### Bar", "", *[f"- {line}" for line in bar], ""])
    return text, bar


# --------------------------------------------------------------------------------------------
# Shared by the regression tasks: the same trees in every library, and alternating timings
# --------------------------------------------------------------------------------------------
REG_LEAVES, REG_MIN_ROWS, REG_MIN_HESS, REG_BAR = 31, 20, 1e-3, 0.02


def _reg_gbt(params, rounds, threads):
    import gbt
    params = dict(params, grow_policy="lossguide", max_leaves=REG_LEAVES, max_depth=0,
                  min_child_samples=REG_MIN_ROWS, min_child_weight=REG_MIN_HESS,
                  reg_lambda=0.0, max_bin=255, n_jobs=threads, random_state=0)

    def fit(X, y):
        return gbt.train(params, gbt.Dataset(X, y), rounds)
    return fit


def _reg_lgb(params, rounds, threads):
    import lightgbm as lgb
    params = dict(params, num_leaves=REG_LEAVES, min_data_in_leaf=REG_MIN_ROWS,
                  min_sum_hessian_in_leaf=REG_MIN_HESS, lambda_l2=0.0, max_bin=255,
                  num_threads=threads, seed=0, deterministic=True, verbose=-1)

    def fit(X, y):
        return lgb.train(params, lgb.Dataset(X, y, params={"max_bin": 255, "verbose": -1}),
                         rounds)
    return fit


def _reg_xgb(params, rounds, threads):
    import xgboost as xgb
    params = dict(params, tree_method="hist", grow_policy="lossguide", max_leaves=REG_LEAVES,
                  max_depth=0, min_child_weight=REG_MIN_HESS, reg_lambda=0.0, max_bin=256,
                  nthread=threads, seed=0, verbosity=0)

    def fit(X, y):
        return xgb.train(params, xgb.DMatrix(X, y, nthread=threads), rounds)
    return fit


def _alternating_times(pair, X, y, repeats, log, label):
    """{name: [seconds]} of ``repeats`` fits of each of the two ``pair`` fits, A B then B A."""
    times = {k: [] for k in pair}
    noise = []
    for r in range(repeats):
        for name in (list(pair) if r % 2 == 0 else list(pair)[::-1]):
            release_free_memory()
            with OtherCpu() as other:
                t0 = time.perf_counter()
                pair[name](X, y)
                times[name].append(time.perf_counter() - t0)
            noise.append(other.cores)
            log(f"{label} timing round {r + 1}/{repeats} {name}: {times[name][-1]:.3f} s")
    return times, max(noise)


def _versions():
    import lightgbm
    import xgboost

    import gbt
    return (f"gbt {getattr(gbt, '__version__', '?')}, LightGBM {lightgbm.__version__}, "
            f"XGBoost {xgboost.__version__}")


def _time_rows(times, peer):
    med = {k: statistics.median(v) for k, v in times.items()}
    return [f"| {k} | {med[k]:.3f} | {' / '.join(f'{t:.3f}' for t in times[k])} | "
            f"{med[k] / med[peer]:.2f} |" for k in med]


# --------------------------------------------------------------------------------------------
# Task: quantile (reg:quantileerror against LightGBM quantile)
# --------------------------------------------------------------------------------------------
QUANT_ROUNDS, QUANT_LR, QUANT_ALPHAS = 300, 0.1, (0.1, 0.5, 0.9)


def _quant_models(alpha, threads):
    """{row label: fit(X, y)}; the first two are the compared pair."""
    return {
        f"gbt reg:quantileerror, alpha {alpha:g}": _reg_gbt(
            dict(objective="reg:quantileerror", quantile_alpha=alpha, learning_rate=QUANT_LR),
            QUANT_ROUNDS, threads),
        f"LightGBM quantile, alpha {alpha:g}": _reg_lgb(
            dict(objective="quantile", alpha=alpha, learning_rate=QUANT_LR), QUANT_ROUNDS,
            threads),
        f"XGBoost reg:quantileerror, alpha {alpha:g}": _reg_xgb(
            dict(objective="reg:quantileerror", quantile_alpha=alpha, eta=QUANT_LR),
            QUANT_ROUNDS, threads),
    }


def task_quantile(args, log):
    from sklearn.metrics import mean_pinball_loss

    from tests.real_data import load_uci
    directory = DATA_DIR / "uci_regression"
    if not (directory / "protein.csv.gz").exists():
        return None, [f"SKIP: quantile: protein.csv.gz is not under {directory}"]
    X, y, (train, test) = load_uci(directory, "protein")
    tr, te = train[0], test[0]
    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]

    t0 = time.perf_counter()
    _quant_models(0.5, args.threads)[f"gbt reg:quantileerror, alpha {0.5:g}"](Xtr, ytr)
    warm_gbt = time.perf_counter() - t0
    log(f"quantile: warm-up gbt {warm_gbt:.2f} s")

    rows, time_rows, bar, noise = [], [], [], 0.0
    for alpha in QUANT_ALPHAS:
        models = _quant_models(alpha, args.threads)
        ours, peer = list(models)[:2]
        losses, coverage = {}, {}
        for name, fit in models.items():
            pred = _predict(fit(Xtr, ytr), Xte)
            losses[name] = mean_pinball_loss(yte, pred, alpha=alpha)
            coverage[name] = float(np.mean(yte <= pred))
            log(f"quantile alpha {alpha:g}: {name}: pinball {losses[name]:.5f}, coverage "
                f"{coverage[name]:.4f}")
        rows += [f"| {alpha:g} | {k} | {v:.5f} | {v / losses[peer]:.4f} | {coverage[k]:.4f} |"
                 for k, v in losses.items()]
        a, b = losses[ours], losses[peer]
        bar.append(f"{'PASS' if a <= b * (1 + REG_BAR) else 'FAIL'}: alpha {alpha:g}: gbt test "
                   f"pinball loss <= LightGBM's + {REG_BAR:.0%} — {a:.5f} vs {b:.5f} "
                   f"({a / b - 1:+.2%})")
        times, n = _alternating_times({k: models[k] for k in (ours, peer)}, Xtr, ytr,
                                      args.repeats, log, f"quantile {alpha:g}")
        time_rows += _time_rows(times, peer)
        noise = max(noise, n)
    if noise > NOISY_CORES:
        bar.append(f"WARNING: other processes kept up to {noise:.2f} cores busy during a timed "
                   "fit; the fit times are disturbed")
    text = "\n".join([
        "## bench_objectives.py, task quantile: reg:quantileerror against LightGBM quantile", "",
        f"Date: {_now()}", "", "Command (from the repository root):", "", "```",
        command_line(), "```", "",
        f"UCI protein, first standard split: {len(tr)} train / {len(te)} test rows, "
        f"{X.shape[1]} features. Every model: {QUANT_ROUNDS} rounds, learning rate "
        f"{QUANT_LR:g}, {REG_LEAVES} leaves (gbt and XGBoost loss-guided), min {REG_MIN_ROWS} "
        f"rows (XGBoost: no such rule) and min hessian {REG_MIN_HESS:g} per leaf, reg_lambda 0, "
        f"255 bins, {args.threads} threads. Pinball loss: sklearn's mean_pinball_loss on the "
        "test set; coverage: share of test labels <= the prediction. Versions: "
        f"{_versions()}.", "",
        "### Test pinball loss", "",
        "| alpha | model | pinball loss | ÷ LightGBM | coverage |", "|---:|---|---:|---:|---:|",
        *rows, "",
        f"### Fit time (secondary; median of {args.repeats} alternating fits per alpha, Dataset "
        "construction included)", "",
        "| model | fit s (median) | all runs | × LightGBM |", "|---|---:|---|---:|",
        *time_rows, "",
        f"gbt warm-up (first fit in this process: Numba cache load or compilation, untimed "
        f"above): {warm_gbt:.2f} s. Most cores other processes kept busy during a timed fit: "
        f"{noise:.2f}.", "",
        "### Bar", "", *[f"- {line}" for line in bar], ""])
    return text, bar


# --------------------------------------------------------------------------------------------
# Task: poisson (count:poisson against LightGBM poisson)
# --------------------------------------------------------------------------------------------
POIS_ROUNDS, POIS_LR, POIS_TEST = 500, 0.05, 0.2
POIS_FEATURES = ["season", "holiday", "workingday", "weather", "temp", "atemp", "humidity",
                 "windspeed", "hour", "month", "weekday", "year"]


def load_bike(path):
    """(X, y, feature names): the Kaggle bike sharing counts with calendar features."""
    import pandas as pd
    df = pd.read_csv(path)
    when = pd.to_datetime(df["datetime"])
    df["hour"], df["month"] = when.dt.hour, when.dt.month
    df["weekday"], df["year"] = when.dt.weekday, when.dt.year
    return (df[POIS_FEATURES].to_numpy(np.float64), df["count"].to_numpy(np.float64),
            POIS_FEATURES)


def _pois_models(threads):
    """{row label: fit(X, y)}; the first two are the compared pair."""
    return {
        "gbt count:poisson": _reg_gbt(dict(objective="count:poisson", learning_rate=POIS_LR),
                                      POIS_ROUNDS, threads),
        "LightGBM poisson": _reg_lgb(dict(objective="poisson", learning_rate=POIS_LR),
                                     POIS_ROUNDS, threads),
        "XGBoost count:poisson": _reg_xgb(dict(objective="count:poisson", eta=POIS_LR),
                                          POIS_ROUNDS, threads),
        "gbt reg:squarederror (predictions clipped at 1e-6)": _reg_gbt(
            dict(objective="reg:squarederror", learning_rate=POIS_LR), POIS_ROUNDS, threads),
    }


def _random_split(n_rows: int, test_fraction: float):
    """(train_rows, test_rows), sorted: a fixed random split (seed 0)."""
    order = np.random.default_rng(0).permutation(n_rows)
    n_test = int(round(test_fraction * n_rows))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def task_poisson(args, log):
    from sklearn.metrics import mean_poisson_deviance

    from gbt.metrics import get_metric
    path = DATA_DIR / "misc" / "bike_sharing_kaggle_train.csv.gz"
    if not path.exists():
        return None, [f"SKIP: poisson: {path} is absent"]
    X, y, names = load_bike(path)
    tr, te = _random_split(len(y), POIS_TEST)
    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]
    nloglik = get_metric("poisson-nloglik")

    t0 = time.perf_counter()
    _pois_models(args.threads)["gbt count:poisson"](Xtr, ytr)
    warm_gbt = time.perf_counter() - t0
    log(f"poisson: warm-up gbt {warm_gbt:.2f} s")

    models = _pois_models(args.threads)
    scores = {}
    for name, fit in models.items():
        pred = np.maximum(_predict(fit(Xtr, ytr), Xte), 1e-6)
        scores[name] = (mean_poisson_deviance(yte, pred), nloglik(yte, pred))
        log(f"poisson: {name}: deviance {scores[name][0]:.4f}")
    ours, peer = list(models)[:2]
    a, b = scores[ours][0], scores[peer][0]
    bar = [f"{'PASS' if a <= b * (1 + REG_BAR) else 'FAIL'}: gbt test Poisson deviance <= "
           f"LightGBM's + {REG_BAR:.0%} — {a:.4f} vs {b:.4f} ({a / b - 1:+.2%})"]
    times, noise = _alternating_times({k: models[k] for k in (ours, peer)}, Xtr, ytr,
                                      args.repeats, log, "poisson")
    if noise > NOISY_CORES:
        bar.append(f"WARNING: other processes kept up to {noise:.2f} cores busy during a timed "
                   "fit; the fit times are disturbed")
    text = "\n".join([
        "## bench_objectives.py, task poisson: count:poisson against LightGBM poisson", "",
        f"Date: {_now()}", "", "Command (from the repository root):", "", "```",
        command_line(), "```", "",
        f"Kaggle bike sharing demand (hourly rental counts): {len(tr)} train / {len(te)} test "
        f"rows (random 80/20 split, seed 0), {len(names)} features ({', '.join(names)}), target "
        f"count (mean {y.mean():.1f}, max {y.max():.0f}). Every model: {POIS_ROUNDS} rounds, "
        f"learning rate {POIS_LR:g}, {REG_LEAVES} leaves (gbt and XGBoost loss-guided), min "
        f"{REG_MIN_ROWS} rows (XGBoost: no such rule) and min hessian {REG_MIN_HESS:g} per leaf, "
        f"reg_lambda 0, 255 bins, {args.threads} threads. Deviance: sklearn's "
        "mean_poisson_deviance of the predicted means on the test set. Versions: "
        f"{_versions()}.", "",
        "### Test Poisson deviance", "",
        "| model | Poisson deviance | ÷ LightGBM | poisson-nloglik |", "|---|---:|---:|---:|",
        *[f"| {k} | {d:.4f} | {d / b:.4f} | {nl:.4f} |" for k, (d, nl) in scores.items()], "",
        f"### Fit time (secondary; median of {args.repeats} alternating fits, Dataset "
        "construction included)", "",
        "| model | fit s (median) | all runs | × LightGBM |", "|---|---:|---|---:|",
        *_time_rows(times, peer), "",
        f"gbt warm-up (first fit in this process: Numba cache load or compilation, untimed "
        f"above): {warm_gbt:.2f} s. Most cores other processes kept busy during a timed fit: "
        f"{noise:.2f}.", "",
        "### Bar", "", *[f"- {line}" for line in bar], ""])
    return text, bar


# --------------------------------------------------------------------------------------------
# Task: cox (survival:cox against XGBoost survival:cox)
# --------------------------------------------------------------------------------------------
COX_ROUNDS, COX_LR, COX_DEPTH, COX_TEST, COX_BAR = 300, 0.05, 4, 0.2, 0.005
COX_DROP = ["death", "d.time", "hospdead", "slos", "sfdm2", "charges", "totcst", "totmcst",
            "dnr", "dnrday", "surv2m", "surv6m", "prg2m", "prg6m"]


def load_support2(path):
    """(X, y, feature names): SUPPORT2 features (text columns as category codes, NaN kept) and
    XGBoost's Cox label (time; negative = censored)."""
    import pandas as pd
    df = pd.read_csv(path, skipinitialspace=True, index_col=0)
    time_, event = df["d.time"].to_numpy(np.float64), df["death"].to_numpy() == 1
    feats = df.drop(columns=COX_DROP)
    for col in feats.columns:
        if feats[col].dtype == object:
            codes = feats[col].astype("category").cat.codes.astype(np.float64)
            feats[col] = codes.where(codes >= 0, np.nan)
    return (feats.to_numpy(np.float64), np.where(event, time_, -time_), list(feats.columns))


def _cox_models(threads):
    """{row label: fit(X, y)}; the pair compared."""
    import xgboost as xgb

    import gbt
    ours = dict(objective="survival:cox", learning_rate=COX_LR, max_depth=COX_DEPTH,
                min_child_weight=1.0, reg_lambda=1.0, max_bin=255, n_jobs=threads,
                random_state=0)
    peer = dict(objective="survival:cox", eta=COX_LR, max_depth=COX_DEPTH, min_child_weight=1.0,
                reg_lambda=1.0, tree_method="hist", max_bin=256, nthread=threads, seed=0,
                verbosity=0)
    return {
        "gbt survival:cox": lambda X, y: gbt.train(ours, gbt.Dataset(X, y), COX_ROUNDS),
        "XGBoost survival:cox": lambda X, y: xgb.train(
            peer, xgb.DMatrix(X, y, nthread=threads), COX_ROUNDS),
    }


def _margin(model, X):
    import xgboost as xgb
    if isinstance(model, xgb.Booster):
        return model.predict(xgb.DMatrix(X), output_margin=True)
    return model.predict(X, output_margin=True)


def task_cox(args, log):
    from gbt.metrics import get_metric
    path = DATA_DIR / "survival" / "support2.csv.gz"
    if not path.exists():
        return None, [f"SKIP: cox: {path} is absent"]
    X, y, names = load_support2(path)
    tr, te = _random_split(len(y), COX_TEST)
    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]
    cindex, nloglik = get_metric("c-index"), get_metric("cox-nloglik")
    try:
        from lifelines.utils import concordance_index as lifelines_ci
    except ImportError:
        lifelines_ci = None

    t0 = time.perf_counter()
    _cox_models(args.threads)["gbt survival:cox"](Xtr, ytr)
    warm_gbt = time.perf_counter() - t0
    log(f"cox: warm-up gbt {warm_gbt:.2f} s")

    models = _cox_models(args.threads)
    scores, check = {}, []
    for name, fit in models.items():
        margin = np.asarray(_margin(fit(Xtr, ytr), Xte), dtype=np.float64)
        scores[name] = (cindex(yte, margin[:, None]), nloglik(yte, margin[:, None]))
        if lifelines_ci is not None:
            theirs = lifelines_ci(np.abs(yte), -margin, yte > 0)
            check.append(f"{name}: lifelines {theirs:.6f}, gbt.metrics "
                         f"{scores[name][0]:.6f}")
        log(f"cox: {name}: c-index {scores[name][0]:.4f}")
    ours, peer = list(models)
    a, b = scores[ours][0], scores[peer][0]
    bar = [f"{'PASS' if a >= b - COX_BAR else 'FAIL'}: gbt test c-index >= XGBoost's - "
           f"{COX_BAR:g} — {a:.4f} vs {b:.4f} ({a - b:+.4f})"]
    times, noise = _alternating_times(models, Xtr, ytr, args.repeats, log, "cox")
    if noise > NOISY_CORES:
        bar.append(f"WARNING: other processes kept up to {noise:.2f} cores busy during a timed "
                   "fit; the fit times are disturbed")
    text = "\n".join([
        "## bench_objectives.py, task cox: survival:cox against XGBoost survival:cox", "",
        f"Date: {_now()}", "", "Command (from the repository root):", "", "```",
        command_line(), "```", "",
        f"SUPPORT2: {len(tr)} train / {len(te)} test rows (random 80/20 split, seed 0), "
        f"{len(names)} features (outcomes, post-admission and prognosis columns dropped: "
        f"{', '.join(COX_DROP)}; text columns as category codes, NaN kept), time d.time, "
        f"event death ({(y > 0).mean():.1%} events). Both models: {COX_ROUNDS} rounds, "
        f"learning rate {COX_LR:g}, depth-wise to depth {COX_DEPTH}, min hessian 1 per leaf, "
        f"reg_lambda 1, 255 / 256 bins, {args.threads} threads. C-index: gbt.metrics' Harrell "
        "concordance of the test margins (the same code for both). Versions: "
        f"{_versions()}.", "",
        "### Test concordance", "",
        "| model | c-index | − XGBoost | cox-nloglik |", "|---|---:|---:|---:|",
        *[f"| {k} | {c:.4f} | {c - b:+.4f} | {nl:.4f} |" for k, (c, nl) in scores.items()], "",
        *([f"Check against lifelines' concordance_index: {'; '.join(check)}.", ""]
          if check else []),
        f"### Fit time (secondary; median of {args.repeats} alternating fits, Dataset "
        "construction included)", "",
        "| model | fit s (median) | all runs | × XGBoost |", "|---|---:|---|---:|",
        *_time_rows(times, peer), "",
        f"gbt warm-up (first fit in this process: Numba cache load or compilation, untimed "
        f"above): {warm_gbt:.2f} s. Most cores other processes kept busy during a timed fit: "
        f"{noise:.2f}.", "",
        "### Bar", "", *[f"- {line}" for line in bar], ""])
    return text, bar


# --------------------------------------------------------------------------------------------
# Task: categorical (native categorical splits against LightGBM's)
# --------------------------------------------------------------------------------------------
CAT_ROUNDS, CAT_LR, CAT_LEAVES, CAT_SPLITS, CAT_TEST = 200, 0.05, 31, 5, 0.2
CAT_AUC_BAR, CAT_TIME_BAR = 0.003, 1.5


def load_bank(path):
    """(X data frame with category columns, y 0/1) of UCI Bank Marketing."""
    import pandas as pd
    df = pd.read_csv(path)
    y = (df.pop("y") == "yes").astype(np.float64).to_numpy()
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = pd.Categorical(df[col], categories=sorted(df[col].dropna().unique()))
    return df, y


def _cat_models(threads):
    """{name: fit(X, y)}: gbt and LightGBM with the same trees, categorical natively."""
    import lightgbm as lgb

    import gbt
    gbt_params = dict(objective="binary:logistic", learning_rate=CAT_LR,
                      grow_policy="lossguide", max_leaves=CAT_LEAVES, max_depth=0,
                      min_child_samples=REG_MIN_ROWS, min_child_weight=REG_MIN_HESS,
                      reg_lambda=0.0, max_bin=255, n_jobs=threads, random_state=0)
    lgb_params = dict(objective="binary", learning_rate=CAT_LR, num_leaves=CAT_LEAVES,
                      min_data_in_leaf=REG_MIN_ROWS, min_sum_hessian_in_leaf=REG_MIN_HESS,
                      lambda_l2=0.0, max_bin=255, num_threads=threads, seed=0,
                      deterministic=True, verbose=-1)

    def fit_gbt(X, y):
        return gbt.train(gbt_params, gbt.Dataset(X, y), CAT_ROUNDS)

    def fit_lgb(X, y):
        return lgb.train(lgb_params, lgb.Dataset(X, y, params={"max_bin": 255,
                                                               "verbose": -1}), CAT_ROUNDS)
    return {"gbt": fit_gbt, "LightGBM": fit_lgb}


def _stratified_split(y, seed):
    from sklearn.model_selection import train_test_split
    tr, te = train_test_split(np.arange(len(y)), test_size=CAT_TEST, stratify=y,
                              random_state=seed)
    return np.sort(tr), np.sort(te)


def _alternating_wall_cpu(pair, X, y, repeats, log, label):
    """As :func:`_alternating_times`, plus the process CPU seconds of each fit (all threads):
    ({name: [wall s]}, {name: [cpu s]}, most cores other processes kept busy)."""
    wall, cpu = {k: [] for k in pair}, {k: [] for k in pair}
    noise = []
    for r in range(repeats):
        for name in (list(pair) if r % 2 == 0 else list(pair)[::-1]):
            release_free_memory()
            with OtherCpu() as other:
                c0, t0 = time.process_time(), time.perf_counter()
                pair[name](X, y)
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
            noise.append(other.cores)
            log(f"{label} timing round {r + 1}/{repeats} {name}: {wall[name][-1]:.3f} s "
                f"(cpu {cpu[name][-1]:.3f} s, other load {other.cores:.2f})")
    return wall, cpu, max(noise)


def task_categorical(args, log):
    from sklearn.metrics import roc_auc_score

    from tests.real_data import load_adult
    bank_path = DATA_DIR / "lightgbm" / "bank.csv.gz"
    adult_dir = DATA_DIR / "fairness"
    if not bank_path.exists() or not (adult_dir / "adult.data.gz").exists():
        return None, [f"SKIP: categorical: {bank_path} or {adult_dir}/adult.* is absent"]
    models = _cat_models(args.threads)
    datasets = {}
    Xb, yb = load_bank(bank_path)
    datasets["bank"] = [(Xb.iloc[tr], yb[tr], Xb.iloc[te], yb[te])
                        for tr, te in (_stratified_split(yb, s) for s in range(CAT_SPLITS))]
    a = load_adult(adult_dir)
    datasets["adult"] = [(a["X_train"], a["y_train"].astype(np.float64), a["X_test"],
                          a["y_test"].astype(np.float64))]
    t0 = time.perf_counter()
    models["gbt"](*datasets["adult"][0][:2])
    warm_gbt = time.perf_counter() - t0
    log(f"categorical: warm-up gbt {warm_gbt:.2f} s")
    rows, bar, time_rows, noise_all = [], [], [], 0.0
    for name, splits in datasets.items():
        auc = {m: [] for m in models}
        for Xtr, ytr, Xte, yte in splits:
            for m, fit in models.items():
                auc[m].append(roc_auc_score(yte, fit(Xtr, ytr).predict(Xte)))
        mean = {m: float(np.mean(v)) for m, v in auc.items()}
        log(f"categorical: {name}: AUC " + ", ".join(f"{m} {v:.5f}" for m, v in mean.items()))
        Xtr, ytr = splits[0][:2]
        models["LightGBM"](Xtr, ytr)  # warm-up
        times, cpu, noise = _alternating_wall_cpu(models, Xtr, ytr, args.repeats, log,
                                                  f"categorical {name}")
        noise_all = max(noise_all, noise)
        med = {m: statistics.median(v) for m, v in times.items()}
        med_cpu = {m: statistics.median(v) for m, v in cpu.items()}
        ratio = med["gbt"] / med["LightGBM"]
        n_cat = sum(str(t) == "category" for t in Xtr.dtypes)
        for m in models:
            rows.append(f"| {name} | {m} | {mean[m]:.5f} | "
                        f"{' / '.join(f'{v:.4f}' for v in auc[m])} | "
                        f"{mean[m] - mean['LightGBM']:+.5f} | {med[m]:.3f} | "
                        f"{' / '.join(f'{t:.3f}' for t in times[m])} | "
                        f"{med[m] / med['LightGBM']:.2f} | {med_cpu[m]:.3f} | "
                        f"{med_cpu[m] / med_cpu['LightGBM']:.2f} |")
        d = mean["gbt"] - mean["LightGBM"]
        bar.append(f"{'PASS' if d >= -CAT_AUC_BAR else 'FAIL'}: {name}: gbt test AUC >= "
                   f"LightGBM's - {CAT_AUC_BAR} — {mean['gbt']:.5f} vs {mean['LightGBM']:.5f} "
                   f"({d:+.5f})")
        bar.append(f"{'PASS' if ratio <= CAT_TIME_BAR else 'FAIL'}: {name}: gbt fit time <= "
                   f"{CAT_TIME_BAR}x LightGBM's — {med['gbt']:.3f} s vs {med['LightGBM']:.3f} s "
                   f"({ratio:.2f}x)")
        time_rows.append(f"{name}: {len(ytr)} train / {len(splits[0][3])} test rows, "
                         f"{Xtr.shape[1]} features ({n_cat} categorical)")
    if noise_all > NOISY_CORES:
        bar.append(f"WARNING: other processes kept up to {noise_all:.2f} cores busy during a "
                   "timed fit; the fit times are disturbed")
    text = "\n".join([
        "## bench_objectives.py, task categorical: native categorical splits against "
        "LightGBM's", "",
        f"Date: {_now()}", "", "Command (from the repository root):", "", "```",
        command_line(), "```", "",
        f"Data: {'; '.join(time_rows)}. Bank: mean over {CAT_SPLITS} random stratified "
        f"80/20 splits (seeds 0..{CAT_SPLITS - 1}); Adult: its train / test files. Text "
        "columns are pandas categories split natively by both libraries. Both: "
        f"{CAT_ROUNDS} rounds, learning rate {CAT_LR:g}, {CAT_LEAVES} leaves (gbt "
        f"loss-guided), min {REG_MIN_ROWS} rows and min hessian {REG_MIN_HESS:g} per leaf, "
        "reg_lambda 0, 255 bins, LightGBM's categorical defaults (max_cat_to_onehot 4, "
        "max_cat_threshold 32, cat_smooth 10, cat_l2 10, min_data_per_group 100), "
        f"{args.threads} threads. Fit time: median of {args.repeats} alternating fits on the "
        "(first) training set, Dataset construction included. Versions: "
        f"{_versions()}.", "",
        "| data | library | test AUC (mean) | per split | AUC − LightGBM | fit s (median) | "
        "all runs | × LightGBM | fit CPU s (median) | CPU × LightGBM |",
        "|---|---|---:|---|---:|---:|---|---:|---:|---:|", *rows, "",
        "_fit CPU s_: process CPU time of a fit, all threads (less disturbed than wall time "
        "when other processes load the machine; it counts LightGBM's OpenMP spin-waiting).", "",
        f"gbt warm-up (first fit in this process: Numba cache load or compilation, untimed "
        f"above): {warm_gbt:.2f} s. Most cores other processes kept busy during a timed fit: "
        f"{noise_all:.2f}.", "",
        "### Bar", "", *[f"- {line}" for line in bar], ""])
    return text, bar


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------
TASKS = {"ranking": task_ranking, "quantile": task_quantile, "poisson": task_poisson,
         "cox": task_cox, "categorical": task_categorical}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", default=",".join(TASKS),
                   help=f"comma-separated tasks to run (default all: {','.join(TASKS)})")
    p.add_argument("--repeats", type=int, default=5,
                   help="alternating timed fits per library (median; default 5)")
    p.add_argument("--threads", type=int, default=2, help="threads of every library")
    p.add_argument("--seeds", type=int, default=3,
                   help="seeds of the sampled setting (ranking; default 3)")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=True,
                   help="write each task's section of bench/RESULTS.md (default on)")
    args = p.parse_args(argv)
    tasks = [t.strip() for t in args.task.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        p.error(f"unknown --task {unknown}; choose from {list(TASKS)}")
    if args.repeats < 1 or args.threads < 1 or args.seeds < 1:
        p.error("--repeats, --threads and --seeds must be at least 1")
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    for task in tasks:
        text, bar = TASKS[task](args, log)
        if text is None:
            print("\n".join(bar))
            continue
        print(text)
        if args.write:
            write_section(BENCH_DIR / "RESULTS.md", f"bench_objectives.{task}", text)
            log(f"wrote the {task} section of bench/RESULTS.md")


if __name__ == "__main__":
    main()
