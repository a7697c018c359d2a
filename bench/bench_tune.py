"""Tuning benchmark: ``gbt.tune`` against the full grid and against random search.

What it measures
----------------
* Three real datasets from ../shared/data, each subsampled once with a fixed seed (0): HIGGS
  (LightGBM's binary example, 3000 of its 7000 training rows, ROC AUC), california_housing
  (regression, 3000 rows, negative RMSE) and letter-recognition (26 classes, 2000 rows,
  accuracy).
* One search space of 240 grid points for gbt's scikit-learn estimators (``n_jobs`` as
  ``--threads``, everything else default): n_estimators {25, 50, 100, 200} x learning_rate
  {0.01, 0.03, 0.1, 0.3} x max_depth {2, 3, 4, 6, 8} x min_child_weight {1, 4, 16}.
* Every configuration is scored by 3-fold cross-validation (shuffled, seed 0; stratified for
  the classifiers); the same folds serve the grid, the tuner and random search.
* Grid: every configuration (``--jobs`` worker processes share them out); its best mean score
  is the reference.
* gbt.tune: ``gbt.tune(estimator, space, X, y, n_trials=--trials, cv=folds, scoring=...,
  random_state=seed)`` for seeds 0 .. ``--seeds``-1, run for real (its own cross-validation).
  Every score it reports is checked against the grid's score of the same configuration.
* Random search: for the same seeds, the ``--trials`` configurations that scikit-learn's
  ``ParameterSampler`` (what ``RandomizedSearchCV`` draws, without replacement on a grid)
  picks, scored from the grid table, and the exact expectation of random search's best over
  all draws of ``--trials`` distinct grid points.
* Reported per dataset: the grid's best; the tuner's and random search's best (mean and worst
  over seeds) with their relative gaps ``(grid best - score) / |grid best|``; the trials each
  needed to come within 0.5% of the grid's best; wall seconds.
* Bar: on every dataset the tuner's mean gap is at most 0.5% using at most a fifth of the
  grid's trials, and the tuner's mean best score is at least random search's mean.

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_tune.py             # about 15 minutes; writes its RESULTS section
    .venv/bin/python bench/bench_tune.py --datasets higgs --seeds 1 --no-write

Needs ../shared/data (or GBT_DATA_DIR); exits with a message when it is absent.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import itertools
import os
import sys
import time
import warnings
from math import comb
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from results_file import write_section  # noqa: E402

DATA_DIR = Path(os.environ.get("GBT_DATA_DIR", REPO.parent / "shared" / "data"))
SPACE = {"n_estimators": [25, 50, 100, 200], "learning_rate": [0.01, 0.03, 0.1, 0.3],
         "max_depth": [2, 3, 4, 6, 8], "min_child_weight": [1, 4, 16]}
N_FOLDS = 3
SUBSAMPLE_SEED = 0
BAR_GAP = 0.005          # the tuner's mean best within 0.5% of the grid's best
BAR_TRIAL_FRACTION = 5   # ... with at most a fifth of the grid's trials


# --------------------------------------------------------------------------------------------
# Data: name -> (task, scoring, rows, loader)
# --------------------------------------------------------------------------------------------
def _subsample(X, y, rows):
    keep = np.random.default_rng(SUBSAMPLE_SEED).permutation(len(y))[:rows]
    return X[keep], y[keep]


def load_higgs():
    """LightGBM's binary example: the first rows of UCI HIGGS (label in column 0)."""
    df = pd.read_csv(DATA_DIR / "lightgbm" / "binary.train.gz", sep="\t", header=None)
    y = df.pop(0).to_numpy(np.int64)
    return df.to_numpy(np.float64), y


def load_california():
    df = pd.read_csv(DATA_DIR / "misc" / "california_housing.csv.gz")
    y = df.pop("MedHouseVal").to_numpy(np.float64)
    return df.to_numpy(np.float64), y


def load_letter_data():
    from tests.real_data import load_letter
    return load_letter(DATA_DIR / "misc" / "letter-recognition.data.gz")


DATASETS = {
    "higgs": ("binary", "roc_auc", 3000, load_higgs, "lightgbm/binary.train.gz"),
    "california": ("regression", "neg_root_mean_squared_error", 3000, load_california,
                   "misc/california_housing.csv.gz"),
    "letter": ("multiclass, 26 classes", "accuracy", 2000, load_letter_data,
               "misc/letter-recognition.data.gz"),
}


def make_problem(name, threads):
    """``(estimator, X, y, folds, scoring)`` of one dataset."""
    import gbt
    from sklearn.model_selection import KFold, StratifiedKFold
    task, scoring, rows, loader, _ = DATASETS[name]
    X, y = _subsample(*loader(), rows)
    if task == "regression":
        estimator, cv = gbt.GBTRegressor(n_jobs=threads), KFold(N_FOLDS, shuffle=True,
                                                                  random_state=0)
    else:
        estimator = gbt.GBTClassifier(n_jobs=threads)
        cv = StratifiedKFold(N_FOLDS, shuffle=True, random_state=0)
    return estimator, X, y, list(cv.split(X, y)), scoring


# --------------------------------------------------------------------------------------------
# The three searches
# --------------------------------------------------------------------------------------------
def grid_configs():
    return [dict(zip(SPACE, values)) for values in itertools.product(*SPACE.values())]


def config_key(params):
    return tuple(params[k] for k in SPACE)


def _score_one(estimator, params, X, y, folds, scoring):
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score
    model = clone(estimator).set_params(**params)
    return float(np.mean(cross_val_score(model, X, y, cv=folds, scoring=scoring)))


def run_grid(estimator, X, y, folds, scoring, jobs):
    """{config key: mean CV score} over the whole grid, and the wall seconds."""
    from joblib import Parallel, delayed
    configs = grid_configs()
    t0 = time.perf_counter()
    scores = Parallel(n_jobs=jobs)(delayed(_score_one)(estimator, p, X, y, folds, scoring)
                                   for p in configs)
    return {config_key(p): s for p, s in zip(configs, scores)}, time.perf_counter() - t0


def run_tuner(estimator, X, y, folds, scoring, trials, seed):
    """gbt.tune for real: (per-trial mean scores in order, configs, wall seconds, seconds
    inside cross-validation)."""
    import gbt
    t0 = time.perf_counter()
    res = gbt.tune(estimator, SPACE, X, y, trials, cv=folds, scoring=scoring,
                   random_state=seed, verbose=False)
    wall = time.perf_counter() - t0
    cvr = res.cv_results
    inside = float(np.sum(cvr["mean_fit_time"] + cvr["mean_score_time"]) * len(folds))
    return [s for _, s in res.trials], [p for p, _ in res.trials], wall, inside


def random_search_scores(table, trials, seed):
    """Per-trial scores of the configurations RandomizedSearchCV would draw."""
    from sklearn.model_selection import ParameterSampler
    return [table[config_key(p)] for p in ParameterSampler(SPACE, trials, random_state=seed)]


def expected_random_best(table, trials):
    """Exact expectation of the best of ``trials`` distinct grid points drawn uniformly."""
    s = np.sort(np.fromiter(table.values(), dtype=np.float64))
    n = len(s)
    weights = np.array([comb(k + 1, trials) - comb(k, trials) for k in range(n)],
                       dtype=np.float64) / comb(n, trials)
    return float(weights @ s)


def gap(best, score):
    """Relative shortfall of ``score`` from ``best`` (higher is better), as a fraction."""
    return (best - score) / abs(best)


def trials_to_band(scores, best):
    """First trial (1-based) whose running best is within BAR_GAP of ``best``; None if never."""
    running = np.maximum.accumulate(scores)
    hit = np.flatnonzero(gap(best, running) <= BAR_GAP)
    return int(hit[0]) + 1 if len(hit) else None


def run_dataset(name, args, log):
    estimator, X, y, folds, scoring = make_problem(name, args.threads)
    table, grid_s = run_grid(estimator, X, y, folds, scoring, args.jobs)
    best = max(table.values())
    log(f"{name}: grid of {len(table)} in {grid_s:.1f} s, best {best:.5f}")
    out = {"rows": X.shape[0], "features": X.shape[1], "scoring": scoring,
           "grid": {"trials": len(table), "best": best, "wall": grid_s,
                    "best_params": dict(zip(SPACE, max(table, key=table.get)))},
           "tune": [], "random": [], "check": 0.0}
    for seed in range(args.seeds):
        scores, configs, wall, inside = run_tuner(estimator, X, y, folds, scoring,
                                                  args.trials, seed)
        # Evaluations are deterministic, so the tuner must see the grid's own scores.
        out["check"] = max(out["check"], max(abs(s - table[config_key(p)])
                                             for s, p in zip(scores, configs)))
        out["tune"].append({"best": max(scores), "to_band": trials_to_band(scores, best),
                            "wall": wall, "overhead": wall - inside})
        rnd = random_search_scores(table, args.trials, seed)
        out["random"].append({"best": max(rnd), "to_band": trials_to_band(rnd, best)})
        log(f"{name} seed {seed}: tune {max(scores):.5f} ({wall:.1f} s, surrogate "
            f"{wall - inside:.1f} s), random {max(rnd):.5f}")
    out["random_expected"] = expected_random_best(table, args.trials)
    return out


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def _summary(runs, best):
    scores = np.array([r["best"] for r in runs])
    band = ", ".join("—" if r["to_band"] is None else str(r["to_band"]) for r in runs)
    return {"mean": float(scores.mean()), "worst": float(scores.min()),
            "gap": gap(best, float(scores.mean())), "worst_gap": gap(best, float(scores.min())),
            "band": band}


def table(results, trials):
    rows = ["| dataset | rows × features | scoring | grid best (240 trials) | "
            f"gbt.tune best ({trials} trials): mean / worst seed | gbt.tune gap | "
            f"random search best ({trials} trials): mean / worst seed | random gap | "
            "random, expected (gap) | trials to within 0.5%, per seed: gbt.tune / random |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        b = r["grid"]["best"]
        t, s = _summary(r["tune"], b), _summary(r["random"], b)
        rows.append(
            f"| {name} | {r['rows']} × {r['features']} | {r['scoring']} | {b:.5f} | "
            f"{t['mean']:.5f} / {t['worst']:.5f} | {100 * t['gap']:.3f}% | "
            f"{s['mean']:.5f} / {s['worst']:.5f} | {100 * s['gap']:.3f}% | "
            f"{r['random_expected']:.5f} ({100 * gap(b, r['random_expected']):.3f}%) | "
            f"{t['band']} / {s['band']} |")
    return "\n".join(rows)


def timing_table(results, seeds):
    rows = ["| dataset | grid best configuration | grid wall s | "
            "gbt.tune wall s (mean) | "
            "of which surrogate s (mean) | max abs(tune score − grid score) |",
            "|---|---|---:|---:|---:|---:|"]
    for name, r in results.items():
        t = r["tune"]
        params = ", ".join(f"{k}={v}" for k, v in r["grid"]["best_params"].items())
        rows.append(f"| {name} | {params} | {r['grid']['wall']:.1f} | "
                    f"{np.mean([x['wall'] for x in t]):.1f} | "
                    f"{np.mean([x['overhead'] for x in t]):.1f} | {r['check']:.1e} |")
    return "\n".join(rows)


def bar_lines(results, trials):
    lines = []
    for name, r in results.items():
        b, n_grid = r["grid"]["best"], r["grid"]["trials"]
        t = _summary(r["tune"], b)
        ok = t["gap"] <= BAR_GAP and trials * BAR_TRIAL_FRACTION <= n_grid
        lines.append(f"{'PASS' if ok else 'FAIL'}: {name}: gbt.tune within "
                     f"{100 * BAR_GAP:g}% of the grid's best with ≤ 1/{BAR_TRIAL_FRACTION} of "
                     f"its trials — mean gap {100 * t['gap']:.3f}% (worst seed "
                     f"{100 * t['worst_gap']:.3f}%), {trials} of {n_grid} trials")
    for name, r in results.items():
        b = r["grid"]["best"]
        t, s = _summary(r["tune"], b), _summary(r["random"], b)
        ok = t["mean"] > s["mean"]
        lines.append(f"{'PASS' if ok else 'FAIL'}: {name}: gbt.tune ahead of random search on "
                     f"average — {t['mean']:.5f} vs {s['mean']:.5f} (expected "
                     f"{r['random_expected']:.5f})")
    return lines


def report(args, results):
    import gbt
    import sklearn
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from bench_fit import command_line
    space = " × ".join(f"{k} {{{', '.join(map(str, v))}}}" for k, v in SPACE.items())
    sources = "; ".join(f"{name}: `{DATASETS[name][4]}`, {DATASETS[name][2]} rows "
                        f"({DATASETS[name][0]})" for name in results)
    parts = [
        "## bench_tune.py: gbt.tune against the full grid and random search", "",
        f"Date: {now}", "", "Command (from the repository root):", "", "```", command_line(),
        "```", "",
        f"Data (../shared/data, rows subsampled with seed {SUBSAMPLE_SEED}): {sources}. "
        f"Space ({len(grid_configs())} grid points): {space}; gbt {gbt.__version__} "
        f"GBTClassifier / GBTRegressor, n_jobs={args.threads}, other parameters default; "
        f"scikit-learn {sklearn.__version__}. Every configuration is scored by "
        f"{N_FOLDS}-fold cross-validation on the same shuffled folds (stratified for the "
        f"classifiers). gbt.tune runs for real with random_state = seed for seeds "
        f"0..{args.seeds - 1}; random search takes the {args.trials} configurations "
        "RandomizedSearchCV would draw (ParameterSampler, same seeds) and reads their scores "
        "from the grid; 'random, expected' is the exact expectation of the best of "
        f"{args.trials} distinct grid points. Gap = (grid best − score) / |grid best|; "
        "'trials to within 0.5%' is the first trial whose running best is within 0.5% of the "
        "grid's best (— : never within the budget). The last column of the second table "
        "checks that the tuner's own cross-validation gives the grid's scores. The machine "
        f"section of bench_fit.py applies; the grid ran in {args.jobs} worker process(es).",
        "",
        table(results, args.trials), "", timing_table(results, args.seeds), "",
        "### Bar", "", *[f"- {line}" for line in bar_lines(results, args.trials)], ""]
    return "\n".join(parts)


def parse_datasets(text):
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown dataset(s) {', '.join(unknown)}; "
                                         f"choose from {', '.join(DATASETS)}")
    return names


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", type=parse_datasets, default=list(DATASETS),
                   help="comma-separated subset of " + ",".join(DATASETS))
    p.add_argument("--seeds", type=int, default=3, help="seeds of the tuner and random search")
    p.add_argument("--trials", type=int, default=40, help="budget of the tuner and random search")
    p.add_argument("--threads", type=int, default=1, help="gbt n_jobs of every fit")
    p.add_argument("--jobs", type=int, default=2,
                   help="worker processes sharing out the grid (the tuner runs in-process)")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=True,
                   help="write this script's section of bench/RESULTS.md (default on)")
    args = p.parse_args(argv)
    if args.seeds < 1 or args.trials < 1 or args.threads < 1 or args.jobs < 1:
        p.error("--seeds, --trials, --threads and --jobs must be at least 1")
    if args.trials > len(grid_configs()):
        p.error(f"--trials must be at most the grid's {len(grid_configs())} configurations")
    missing = [DATASETS[n][4] for n in args.datasets if not (DATA_DIR / DATASETS[n][4]).exists()]
    if missing:
        sys.exit(f"bench_tune: {', '.join(missing)} not found under {DATA_DIR} "
                 "(set GBT_DATA_DIR).")
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for name in args.datasets:
            results[name] = run_dataset(name, args, log)
    text = report(args, results)
    print(text)
    if args.write:
        write_section(BENCH_DIR / "RESULTS.md", "bench_tune", text)
        log("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
