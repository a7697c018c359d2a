"""NGBoost benchmark: gbt's NGBRegressor against the reference ``ngboost`` package.

What it measures
----------------
* The UCI regression sets of the NGBoost paper (uci_regression/ in the shared data:
  boston_housing, concrete, energy, kin8nm, naval_propulsion, power_plant, protein,
  wine_quality_red, yacht), on the first ``--splits`` standard train/test splits of each.
* Both libraries with their defaults: Normal distribution, log score, natural gradient,
  500 rounds, learning rate 0.01, depth-3 trees; they differ in the rows per round (gbt's
  ``minibatch_frac`` default is 0.5, ngboost's 1.0) and in the trees (gbt: one condensed tree
  per round, ngboost: one per parameter). gbt: ``gbt.NGBRegressor()`` (random_state 0,
  ``n_jobs`` as ``--threads``, all cores by default); ngboost:
  ``ngboost.NGBRegressor(verbose=False, random_state=split)``.
* Test NLL = ``-pred_dist(X_test).logpdf(y_test).mean()`` and test RMSE of ``predict``, each
  averaged over the splits; fit seconds (``time.perf_counter``) as the median over the splits
  of each split's median over ``--repeats`` fits. The order alternates per split (gbt first on
  even splits, ngboost first on odd ones) and within the repeats. One untimed gbt warm-up fit
  on a tiny slice comes first, so Numba compilation stays out of the timings; its seconds are
  reported as "compile/warm-up".
* Bar (when all nine datasets ran): gbt's mean NLL ≤ ngboost's on at least 7 of 9 datasets;
  gbt's fit at least 30× faster than ngboost's on protein and on power_plant (each checked
  when that dataset ran).

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_ngboost.py              # writes its section of RESULTS.md
    .venv/bin/python bench/bench_ngboost.py --datasets yacht,boston_housing --splits 1 --no-write

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
from tests.real_data import load_uci as _load_uci  # noqa: E402

DATA_DIR = Path(os.environ.get("GBT_DATA_DIR", REPO.parent / "shared" / "data"))
UCI_DIR = DATA_DIR / "uci_regression"
DATASETS = ("boston_housing", "concrete", "energy", "kin8nm", "naval_propulsion",
            "power_plant", "protein", "wine_quality_red", "yacht")
LIBS = ("gbt", "ngboost")
WARMUP_ROWS = 200
BAR_NLL_WINS, BAR_NLL_OF = 7, len(DATASETS)
BAR_SPEEDUP, BAR_SPEED_DATASETS = 30.0, ("protein", "power_plant")


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def load_uci(name):
    """``(X, y, (train, test))`` of one UCI set (see tests/real_data.py)."""
    return _load_uci(UCI_DIR, name)


# --------------------------------------------------------------------------------------------
# Models: each maker returns fit(X, y, split) -> fitted model with pred_dist / predict.
# --------------------------------------------------------------------------------------------
def gbt_model(threads):
    import gbt

    def fit(X, y, split):
        return gbt.NGBRegressor(n_jobs=threads).fit(X, y)
    return fit


def ngboost_model():
    import ngboost

    def fit(X, y, split):
        return ngboost.NGBRegressor(verbose=False, random_state=split).fit(X, y)
    return fit


def scores(model, X, y):
    """(test NLL, test RMSE)."""
    nll = -float(np.mean(model.pred_dist(X).logpdf(y)))
    rmse = float(np.sqrt(np.mean((np.asarray(model.predict(X)) - y) ** 2)))
    return nll, rmse


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------
def warm_up(fit, X, y):
    """One untimed fit + prediction on a tiny slice (Numba compilation); returns its seconds."""
    t0 = time.perf_counter()
    model = fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS], 0)
    scores(model, X[:WARMUP_ROWS], y[:WARMUP_ROWS])
    return time.perf_counter() - t0


def run_split(makers, order, X, y, train, test, split, repeats, log):
    """Timed fits of one split in ``order`` (alternating over the repeats); returns
    {lib: dict(fit=median s, runs=[...], nll, rmse, noise)}."""
    Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]
    res = {lib: {"runs": [], "noise": []} for lib in order}
    for r in range(repeats):
        for lib in (order if r % 2 == 0 else order[::-1]):
            release_free_memory()
            with OtherCpu() as noise:
                t0 = time.perf_counter()
                model = makers[lib](Xtr, ytr, split)
                dt = time.perf_counter() - t0
            res[lib]["runs"].append(dt)
            res[lib]["noise"].append(noise.cores)
            res[lib]["nll"], res[lib]["rmse"] = scores(model, Xte, yte)  # the last fit's
            log(f"split {split} round {r + 1}/{repeats} {lib}: fit {dt:.2f} s, "
                f"NLL {res[lib]['nll']:.4f}, RMSE {res[lib]['rmse']:.4g}")
    for v in res.values():
        v["fit"] = statistics.median(v["runs"])
    return res


def run_dataset(name, makers, n_splits, repeats, log):
    """Per library: mean NLL / RMSE over the splits, median of the per-split median fit times,
    and the largest other-process load seen during its fits."""
    X, y, (train, test) = load_uci(name)
    n_splits = min(n_splits, train.shape[0])
    per_split = []
    for s in range(n_splits):
        order = LIBS if s % 2 == 0 else LIBS[::-1]
        per_split.append(run_split(makers, order, X, y, train[s], test[s], s, repeats, log))
    out = {"rows": X.shape[0], "features": X.shape[1], "splits": n_splits}
    for lib in LIBS:
        out[lib] = {"nll": float(np.mean([p[lib]["nll"] for p in per_split])),
                    "rmse": float(np.mean([p[lib]["rmse"] for p in per_split])),
                    "fit": statistics.median(p[lib]["fit"] for p in per_split),
                    "noise": max(max(p[lib]["noise"]) for p in per_split)}
    return out


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def table(results):
    rows = ["| dataset | rows × features | splits | NLL gbt | NLL ngboost | RMSE gbt | "
            "RMSE ngboost | fit s gbt | fit s ngboost | ngboost / gbt (× faster) | gbt / ngboost "
            "| other load |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        g, n = r["gbt"], r["ngboost"]
        rows.append(f"| {name} | {r['rows']} × {r['features']} | {r['splits']} | "
                    f"{g['nll']:.4f} | {n['nll']:.4f} | {g['rmse']:.4g} | {n['rmse']:.4g} | "
                    f"{g['fit']:.2f} | {n['fit']:.2f} | {n['fit'] / g['fit']:.1f}× | "
                    f"{g['fit'] / n['fit']:.3f} | {max(g['noise'], n['noise']):.2f} |")
    return "\n".join(rows)


def bar_lines(results):
    lines = []
    wins = [name for name, r in results.items() if r["gbt"]["nll"] <= r["ngboost"]["nll"]]
    nll = (f"gbt mean NLL ≤ ngboost's on {len(wins)} of {len(results)} datasets "
           f"({', '.join(wins) or 'none'})")
    if len(results) == len(DATASETS):
        verdict = "PASS" if len(wins) >= BAR_NLL_WINS else "FAIL"
        lines.append(f"{verdict}: NLL, at least {BAR_NLL_WINS} of {BAR_NLL_OF} — {nll}")
    else:
        lines.append(f"n/a (not all {len(DATASETS)} datasets ran): NLL — {nll}")
    for name in BAR_SPEED_DATASETS:
        if name not in results:
            continue
        g, n = results[name]["gbt"]["fit"], results[name]["ngboost"]["fit"]
        speed = n / g
        lines.append(f"{'PASS' if speed >= BAR_SPEEDUP else 'FAIL'}: speed, {name}: gbt fit ≥ "
                     f"{BAR_SPEEDUP:g}× faster than ngboost — {g:.2f} s vs {n:.2f} s "
                     f"({speed:.1f}×)")
    return lines


def report(args, results, warmup_s):
    import ngboost
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    threads = "all cores (n_jobs=None)" if args.threads is None else f"n_jobs={args.threads}"
    parts = ["## bench_ngboost.py: NGBoost against the ngboost package", "", f"Date: {now}", "",
             "Command (from the repository root):", "", "```", command_line(), "```", "",
             f"UCI regression sets, first {args.splits} standard split(s) each; both libraries "
             "with their defaults (Normal, log score, 500 rounds, learning rate 0.01, depth 3; "
             "rows per round: gbt minibatch_frac 0.5, ngboost 1.0; trees per round: gbt one "
             "condensed tree, ngboost one per parameter); "
             f"gbt {threads}; ngboost {ngboost.__version__} with random_state = split index. "
             f"{args.repeats} timed fit(s) per split and library, order alternating by split; "
             "NLL and RMSE are means over the splits, fit seconds the median over the splits "
             "of each split's median. compile/warm-up (one untimed gbt fit on "
             f"{WARMUP_ROWS} rows, before the timings): {warmup_s:.2f} s. "
             "The machine section of bench_fit.py applies.", "",
             table(results), "",
             "### Bar", "", *[f"- {line}" for line in bar_lines(results)], ""]
    return "\n".join(parts)


def parse_datasets(text):
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown dataset(s) {', '.join(unknown)}; "
                                         f"choose from {', '.join(DATASETS)}")
    return names


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", type=parse_datasets, default=list(DATASETS),
                   help="comma-separated subset of " + ",".join(DATASETS))
    p.add_argument("--splits", type=int, default=5, help="first N splits of each dataset")
    p.add_argument("--repeats", type=int, default=1,
                   help="timed fits per split and library (median time; scores of the last)")
    p.add_argument("--threads", type=int, default=None,
                   help="gbt n_jobs (default: its own default, all cores)")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=True,
                   help="write this script's section of bench/RESULTS.md (default on)")
    args = p.parse_args(argv)
    if args.splits < 1 or args.repeats < 1:
        p.error("--splits and --repeats must be at least 1")
    if not UCI_DIR.exists():
        sys.exit(f"bench_ngboost: the UCI regression sets are not under {UCI_DIR} "
                 "(set GBT_DATA_DIR).")
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    makers = {"gbt": gbt_model(args.threads), "ngboost": ngboost_model()}
    X, y, _ = load_uci(args.datasets[0])
    warmup_s = warm_up(makers["gbt"], X, y)
    log(f"compile/warm-up (gbt, {WARMUP_ROWS} rows of {args.datasets[0]}): {warmup_s:.2f} s")
    results = {}
    for name in args.datasets:
        log(f"dataset {name}")
        results[name] = run_dataset(name, makers, args.splits, args.repeats, log)
    text = report(args, results, warmup_s)
    print(text)
    if args.write:
        write_section(BENCH_DIR / "RESULTS.md", "bench_ngboost", text)
        log("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
