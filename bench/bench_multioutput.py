"""Multi-output benchmark: condensed (vector-leaf) trees against one model per output.

What it measures
----------------
* ``letter`` (misc/letter-recognition, 26 classes; 75/25 stratified split, random_state=0;
  200 rounds, learning rate 0.1, 63 leaves grown loss-guided, 2 threads): LightGBM multiclass,
  XGBoost ``one_output_per_tree`` and ``multi_output_tree``, gbt ``one_per_output``, gbt
  ``condensed`` with the full gradient and with a ``split_grad`` sketch. Test accuracy and fit
  seconds. Bar: gbt condensed (the configuration named in BAR_LETTER_CONFIG) accuracy at least
  LightGBM's minus 0.5 points and fit time at most a third of LightGBM's.
* ``scm20d`` (16 targets) and ``rf1`` (8 targets, missing values) from multi_target/ (75/25
  split, random_state=0; 200 rounds, learning rate 0.1, 31 leaves loss-guided): gbt condensed
  (the same trees, and a configuration sized for condensed trees: 95 leaves, a 1-wide
  random-projection gradient sketch, 63 bins) vs one gbt model per target and LightGBM
  through ``MultiOutputRegressor``. Mean test RMSE
  over targets (and the mean of RMSE / std of each test target). Bar: the sized condensed
  configuration (BAR_REGRESSION_CONFIG) with a mean RMSE at
  most 2% above our per-target models', and a fit at least 5x faster than theirs.
* Every configuration runs ``--repeats`` times in alternating order after one untimed warm-up
  fit; times are medians. Fit times include dataset construction.

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_multioutput.py              # writes its section of RESULTS.md
    .venv/bin/python bench/bench_multioutput.py --repeats 1 --no-write   # quick look

Needs ../shared/data (or GBT_DATA_DIR); exits with a message when it is absent.
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
from tests.real_data import load_letter, load_rf1, load_scm20d  # noqa: E402

DATA_DIR = Path(os.environ.get("GBT_DATA_DIR", REPO.parent / "shared" / "data"))
ROUNDS, LEARNING_RATE = 200, 0.1
LETTER_LEAVES, REGRESSION_LEAVES = 63, 31
# One random projection per round (SketchBoost's k = 1): the split search then runs on the
# tuned one-output kernels, while the leaves keep all K values.
SKETCH = {"split_grad": "random_projection", "split_grad_dim": 1}
BAR_LETTER_CONFIG = "gbt condensed, sketch"
# Condensed trees carry every target in one tree: more leaves than a per-target tree, a
# 1-wide gradient sketch and 63 bins keep each split cheap (a split's histogram size, not the
# rows, is its cost).
REGRESSION_CONDENSED = {"multi_strategy": "condensed", "split_grad": "random_projection",
                        "split_grad_dim": 1, "max_bin": 63}
REGRESSION_CONDENSED_LEAVES = 95
BAR_REGRESSION_CONFIG = "gbt condensed, 95 leaves, sketch 1, 63 bins"
BAR_ACC_POINTS, BAR_FIT_FRACTION = 0.5, 1 / 3
BAR_RMSE_RATIO, BAR_SPEEDUP = 1.02, 5.0


# --------------------------------------------------------------------------------------------
# Models: each maker returns fit(X, y) -> predict(X) callable, with `threads` bound.
# --------------------------------------------------------------------------------------------
def gbt_params(leaves, threads, **extra):
    return {"grow_policy": "lossguide", "max_leaves": leaves, "max_depth": 0,
            "learning_rate": LEARNING_RATE, "min_child_samples": 20, "n_jobs": threads,
            **extra}


def gbt_model(leaves, threads, **extra):
    import gbt

    def fit(X, y):
        booster = gbt.train(gbt_params(leaves, threads, **extra), gbt.Dataset(X, y), ROUNDS)
        return booster.predict
    return fit


def gbt_per_target(leaves, threads):
    import gbt

    def fit(X, Y):
        models = [gbt.train(gbt_params(leaves, threads), gbt.Dataset(X, Y[:, k]), ROUNDS)
                  for k in range(Y.shape[1])]
        return lambda Xt: np.column_stack([m.predict(Xt) for m in models])
    return fit


def lgb_multiclass(leaves, threads):
    import lightgbm as lgb

    def fit(X, y):
        params = {"objective": "multiclass", "num_class": int(y.max()) + 1,
                  "num_leaves": leaves, "learning_rate": LEARNING_RATE, "verbose": -1,
                  "num_threads": threads}
        return lgb.train(params, lgb.Dataset(X, y), ROUNDS).predict
    return fit


def lgb_per_target(leaves, threads):
    import lightgbm as lgb
    from sklearn.multioutput import MultiOutputRegressor

    def fit(X, Y):
        est = lgb.LGBMRegressor(n_estimators=ROUNDS, num_leaves=leaves,
                                learning_rate=LEARNING_RATE, n_jobs=threads, verbose=-1)
        return MultiOutputRegressor(est).fit(X, Y).predict
    return fit


def xgb_multiclass(leaves, threads, strategy):
    import xgboost as xgb

    def fit(X, y):
        params = {"objective": "multi:softprob", "num_class": int(y.max()) + 1,
                  "tree_method": "hist", "grow_policy": "lossguide", "max_leaves": leaves,
                  "max_depth": 0, "eta": LEARNING_RATE, "nthread": threads,
                  "multi_strategy": strategy, "verbosity": 0}
        booster = xgb.train(params, xgb.DMatrix(X, y), ROUNDS)
        return lambda Xt: booster.predict(xgb.DMatrix(Xt))
    return fit


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------
def library_available(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def run_case(configs, X, Y, Xt, score, repeats, log):
    """Alternating timed fits; returns {name: dict(fit=median s, runs=[...], score=..., noise)}."""
    results = {name: {"runs": [], "noise": []} for name in configs}
    for name, make in configs.items():  # warm-up: JIT and lazy imports stay out of the timings
        make(X[:500], Y[:500])
    for r in range(repeats):
        for name, make in configs.items():
            release_free_memory()
            with OtherCpu() as noise:
                t0 = time.perf_counter()
                predict = make(X, Y)
                dt = time.perf_counter() - t0
            results[name]["runs"].append(dt)
            results[name]["noise"].append(noise.cores)
            results[name]["score"] = score(predict(Xt))
            log(f"round {r + 1}/{repeats} {name}: fit {dt:.2f} s, score {results[name]['score']}")
    for res in results.values():
        res["fit"] = statistics.median(res["runs"])
    return results


def split(X, Y, stratify=None):
    from sklearn.model_selection import train_test_split
    return train_test_split(X, Y, test_size=0.25, random_state=0, stratify=stratify)


def letter_case(threads, repeats, log):
    X, y = load_letter(DATA_DIR / "misc" / "letter-recognition.data.gz")
    Xtr, Xte, ytr, yte = split(X, y, stratify=y)
    obj = {"objective": "multi:softprob"}
    configs = {}
    if library_available("lightgbm"):
        configs["lightgbm multiclass"] = lgb_multiclass(LETTER_LEAVES, threads)
    if library_available("xgboost"):
        configs["xgboost one_output_per_tree"] = xgb_multiclass(LETTER_LEAVES, threads,
                                                                "one_output_per_tree")
        configs["xgboost multi_output_tree"] = xgb_multiclass(LETTER_LEAVES, threads,
                                                              "multi_output_tree")
    configs["gbt one_per_output"] = gbt_model(LETTER_LEAVES, threads, **obj)
    configs["gbt condensed"] = gbt_model(LETTER_LEAVES, threads, multi_strategy="condensed",
                                         **obj)
    configs[BAR_LETTER_CONFIG] = gbt_model(LETTER_LEAVES, threads, multi_strategy="condensed",
                                           **SKETCH, **obj)

    def accuracy(proba):
        return float((np.asarray(proba).argmax(axis=1) == yte).mean())
    return run_case(configs, Xtr, ytr, Xte, accuracy, repeats, log)


def regression_case(name, loader, path, threads, repeats, log):
    X, Y = loader(DATA_DIR / path)
    Xtr, Xte, Ytr, Yte = split(X, Y)
    configs = {"gbt condensed": gbt_model(REGRESSION_LEAVES, threads,
                                          multi_strategy="condensed"),
               BAR_REGRESSION_CONFIG: gbt_model(REGRESSION_CONDENSED_LEAVES, threads,
                                                **REGRESSION_CONDENSED),
               "gbt per target": gbt_per_target(REGRESSION_LEAVES, threads)}
    if library_available("lightgbm"):
        configs["lightgbm per target"] = lgb_per_target(REGRESSION_LEAVES, threads)

    def rmse(pred):
        per_target = np.sqrt(((np.asarray(pred) - Yte) ** 2).mean(axis=0))
        return (float(per_target.mean()), float((per_target / Yte.std(axis=0)).mean()))
    return run_case(configs, Xtr, Ytr, Xte, rmse, repeats, log)


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def letter_table(res):
    ref = res.get("lightgbm multiclass")
    rows = ["| configuration | fit s (median) | fit s (all runs) | accuracy | fit × LGBM | "
            "accuracy − LGBM (points) | other load |", "|---|---:|---|---:|---:|---:|---:|"]
    for name, r in res.items():
        ratio = f"{r['fit'] / ref['fit']:.2f}" if ref else "n/a"
        diff = f"{100 * (r['score'] - ref['score']):+.2f}" if ref else "n/a"
        rows.append(f"| {name} | {r['fit']:.2f} | {' / '.join(f'{t:.2f}' for t in r['runs'])} "
                    f"| {r['score']:.4f} | {ratio} | {diff} | {max(r['noise']):.2f} |")
    return "\n".join(rows)


def regression_table(res):
    ours = res["gbt per target"]
    rows = ["| configuration | fit s (median) | fit s (all runs) | mean RMSE | mean RMSE / std "
            "| RMSE × ours per target | speed-up vs ours per target | other load |",
            "|---|---:|---|---:|---:|---:|---:|---:|"]
    for name, r in res.items():
        rows.append(f"| {name} | {r['fit']:.2f} | {' / '.join(f'{t:.2f}' for t in r['runs'])} "
                    f"| {r['score'][0]:.4g} | {r['score'][1]:.4f} | "
                    f"{r['score'][0] / ours['score'][0]:.3f} | {ours['fit'] / r['fit']:.1f}× | "
                    f"{max(r['noise']):.2f} |")
    return "\n".join(rows)


def bar_lines(letter, regressions):
    lines = []
    g, lg = letter.get(BAR_LETTER_CONFIG), letter.get("lightgbm multiclass")
    if g and lg:
        d = 100 * (g["score"] - lg["score"])
        lines.append(f"{'PASS' if d >= -BAR_ACC_POINTS else 'FAIL'}: letter, {BAR_LETTER_CONFIG} "
                     f"accuracy ≥ LightGBM − {BAR_ACC_POINTS} points — {g['score']:.4f} vs "
                     f"{lg['score']:.4f} ({d:+.2f} points)")
        r = g["fit"] / lg["fit"]
        lines.append(f"{'PASS' if r <= BAR_FIT_FRACTION else 'FAIL'}: letter, {BAR_LETTER_CONFIG} "
                     f"fit ≤ 1/3 of LightGBM's — {g['fit']:.2f} s vs {lg['fit']:.2f} s "
                     f"({r:.2f}×)")
    for name, res in regressions.items():
        c, p = res[BAR_REGRESSION_CONFIG], res["gbt per target"]
        ratio = c["score"][0] / p["score"][0]
        lines.append(f"{'PASS' if ratio <= BAR_RMSE_RATIO else 'FAIL'}: {name}, "
                     f"{BAR_REGRESSION_CONFIG}: mean RMSE ≤ {BAR_RMSE_RATIO}× our per-target "
                     f"models — {c['score'][0]:.4g} vs {p['score'][0]:.4g} ({ratio:.3f}×)")
        speed = p["fit"] / c["fit"]
        lines.append(f"{'PASS' if speed >= BAR_SPEEDUP else 'FAIL'}: {name}, "
                     f"{BAR_REGRESSION_CONFIG}: fit ≥ "
                     f"{BAR_SPEEDUP:g}× faster than our per-target models — {c['fit']:.2f} s vs "
                     f"{p['fit']:.2f} s ({speed:.1f}×)")
    return lines


def report(args, letter, regressions):
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["## bench_multioutput.py: condensed multi-output trees", "", f"Date: {now}", "",
             "Command (from the repository root):", "", "```", command_line(), "```", "",
             f"{ROUNDS} rounds, learning rate {LEARNING_RATE}, {args.threads} threads, "
             f"{args.repeats} alternating run(s) per configuration after a warm-up; fit times "
             "include dataset construction. The machine section of bench_fit.py applies.", "",
             f"### letter (26 classes, 75/25 stratified split, {LETTER_LEAVES} leaves, "
             "loss-guided)", "",
             f"`sketch` = `split_grad={SKETCH['split_grad']!r}, "
             f"split_grad_dim={SKETCH['split_grad_dim']}`.", "", letter_table(letter), ""]
    for name, res in regressions.items():
        parts += [f"### {name} ({REGRESSION_LEAVES} leaves, loss-guided, 75/25 split)", "",
                  regression_table(res), ""]
    parts += ["### Bar", "", *[f"- {line}" for line in bar_lines(letter, regressions)], ""]
    return "\n".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=True,
                   help="write this script's section of bench/RESULTS.md (default on)")
    args = p.parse_args(argv)
    if not DATA_DIR.exists():
        sys.exit(f"bench_multioutput: the real datasets are not under {DATA_DIR} "
                 "(set GBT_DATA_DIR).")
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    letter = letter_case(args.threads, args.repeats, log)
    regressions = {
        "scm20d (16 targets)": regression_case("scm20d", load_scm20d,
                                               "multi_target/scm20d.csv.gz", args.threads,
                                               args.repeats, log),
        "rf1 (8 targets, missing values)": regression_case("rf1", load_rf1,
                                                           "multi_target/rf1.csv.gz",
                                                           args.threads, args.repeats, log),
    }
    text = report(args, letter, regressions)
    print(text)
    if args.write:
        write_section(BENCH_DIR / "RESULTS.md", "bench_multioutput", text)
        log("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
