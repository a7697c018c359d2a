"""Fairness benchmark: gbt's FairGBTClassifier (``binary:constrained``) against ``fairgbm``.

What it measures
----------------
* Data (../shared/data/fairness, or GBT_DATA_DIR/fairness): Adult (train ``adult.data.gz``,
  test ``adult.test.gz``; label income > 50K; group ``sex``; string columns as pandas
  categoricals with the training file's sorted categories) and FairGBM's COMPAS split
  (``fairgbm_COMPAS.{train,test}.gz``; label ``two_year_recid``; group ``race_Caucasian``; the
  ID columns name/first/last dropped). The group stays a feature; every library gets the same
  DataFrame and the same 0/1 integer group codes.
* The same trees everywhere: 200 trees, learning rate 0.1, 31 leaves (gbt loss-guided,
  ``max_leaves=31, max_depth=0``), at least 20 rows per leaf, no L2 regularisation, ``n_jobs`` as
  ``--threads``. gbt's fairness settings are its defaults (multiplier rate 0.5, proxy margin
  0.5, max multiplier 10), fairgbm's are its own (multiplier rate 0.1).
* Test metrics: AUC of ``predict_proba[:, 1]`` and the min/max ratios over the groups of FPR,
  FNR and positive rate at threshold 0.5 (``gbt.objectives.fairness.fairness_report``).
* Tables:
  1. Adult and COMPAS, FPR constraint with tolerance 0: LightGBM and gbt unconstrained,
     fairgbm and gbt constrained at their default multiplier rates; fit seconds are the median
     of ``--repeats`` rounds in alternating order (peer, gbt, peer, gbt; reversed every other
     round).
  2. Robustness, Adult, FPR: one fit per multiplier rate in RATES for gbt and fairgbm; a fit
     that raises or predicts non-finite scores is reported as "failed".
  3. Trade-off, Adult: equalized odds (``FPR,FNR``, the tolerance on both rates) for gbt and
     fairgbm, demographic parity for gbt (fairgbm has none), over TOLERANCES.
* One untimed gbt warm-up fit on a slice of Adult first (Numba compilation), reported as
  "compile/warm-up".
* Bar: (a) Adult, gbt FPR at its default: test FPR ratio >= 0.80 and AUC >= 0.920; (b) gbt's
  test AUC >= 0.90 at every rate in the 100x range 0.05..5 of the sweep (the minimum over the
  whole sweep, fairgbm's best FPR ratio at AUC >= 0.920 and its collapsed rates reported too).
  Beside (a): the model's FPR ratio on its training rows, and how its test FPR ratio moves
  over 1,000 bootstrap resamples of the test rows (5%-95% range, share at or above 0.80).

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_fairness.py              # writes its section of RESULTS.md
    .venv/bin/python bench/bench_fairness.py --repeats 1 --no-write

Needs ../shared/data/fairness (or GBT_DATA_DIR); exits with a message when it is absent.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import statistics
import sys
import time
import warnings
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

from bench_fit import OtherCpu, command_line, release_free_memory  # noqa: E402
from results_file import write_section  # noqa: E402
from tests.real_data import load_adult as _load_adult  # noqa: E402

DATA_DIR = Path(os.environ.get("GBT_DATA_DIR", REPO.parent / "shared" / "data"))
FAIR_DIR = DATA_DIR / "fairness"
COMPAS_IDS = ["name", "first", "last"]

TREES, LEARNING_RATE, LEAVES, MIN_CHILD_SAMPLES, REG_LAMBDA = 200, 0.1, 31, 20, 0.0
THRESHOLD = 0.5
GBT_DEFAULT_RATE, FAIRGBM_DEFAULT_RATE = 0.5, 0.1
RATES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)
TOLERANCES = (0.0, 0.02, 0.05, 0.1, 0.2)
WARMUP_ROWS = 500
MAIN_MODELS = ("lightgbm", "gbt", "fairgbm FPR", "gbt FPR")  # peer, gbt, peer, gbt
BAR_FPR_RATIO, BAR_AUC = 0.80, 0.920
BAR_ROBUST_AUC, BAR_ROBUST_RANGE = 0.90, (0.05, 5.0)
COLLAPSE_AUC = 0.5
BOOTSTRAP_RESAMPLES = 1000  # of the test rows, for bar (a)'s spread


# --------------------------------------------------------------------------------------------
# Data: dict(X_train, y_train, g_train, X_test, y_test, g_test, group_names)
# --------------------------------------------------------------------------------------------
def load_adult():
    return _load_adult(FAIR_DIR)


def load_compas():
    def read(name):
        df = pd.read_csv(FAIR_DIR / name, sep="\t")
        X = df.drop(columns=COMPAS_IDS + ["two_year_recid"])
        return X, df["two_year_recid"].astype(np.int64).to_numpy(), \
            df["race_Caucasian"].astype(np.int32).to_numpy()
    X_train, y_train, g_train = read("fairgbm_COMPAS.train.gz")
    X_test, y_test, g_test = read("fairgbm_COMPAS.test.gz")
    return dict(X_train=X_train, y_train=y_train, g_train=g_train, X_test=X_test,
                y_test=y_test, g_test=g_test, group_names=["not Caucasian", "Caucasian"],
                group_col="race_Caucasian")


DATASETS = {"adult": load_adult, "compas": load_compas}


# --------------------------------------------------------------------------------------------
# Models: each maker returns fit(data) -> fitted model with predict_proba.
# --------------------------------------------------------------------------------------------
def gbt_tree_params(threads):
    return dict(n_estimators=TREES, learning_rate=LEARNING_RATE, grow_policy="lossguide",
                max_leaves=LEAVES, max_depth=0, min_child_samples=MIN_CHILD_SAMPLES,
                reg_lambda=REG_LAMBDA, n_jobs=threads)


def lgb_tree_params(threads):
    return dict(n_estimators=TREES, learning_rate=LEARNING_RATE, num_leaves=LEAVES,
                min_child_samples=MIN_CHILD_SAMPLES, reg_lambda=REG_LAMBDA, n_jobs=threads,
                random_state=0)


def gbt_plain(threads):
    import gbt

    def fit(d):
        return gbt.GBTClassifier(**gbt_tree_params(threads)).fit(d["X_train"], d["y_train"])
    return fit


def gbt_fair(threads, **fair):
    """``fair``: FairGBTClassifier's constraint settings (constraint_type, tolerances, rate)."""
    import gbt

    def fit(d):
        model = gbt.FairGBTClassifier(**fair, **gbt_tree_params(threads))
        return model.fit(d["X_train"], d["y_train"], constraint_group=d["g_train"])
    return fit


def lightgbm_plain(threads):
    import lightgbm

    def fit(d):
        model = lightgbm.LGBMClassifier(verbose=-1, **lgb_tree_params(threads))
        return model.fit(d["X_train"], d["y_train"])
    return fit


def fairgbm_fair(threads, **fair):
    """``fair``: constraint_type, multiplier_learning_rate and the threshold kwargs."""
    import fairgbm

    def fit(d):
        model = fairgbm.FairGBMClassifier(**fair, **lgb_tree_params(threads))
        return model.fit(d["X_train"], d["y_train"], constraint_group=d["g_train"])
    return fit


def main_makers(threads):
    return {"lightgbm": lightgbm_plain(threads), "gbt": gbt_plain(threads),
            "fairgbm FPR": fairgbm_fair(threads, constraint_type="FPR"),
            "gbt FPR": gbt_fair(threads, constraint_type="FPR")}


def scores(model, d):
    """dict(auc, fpr, fnr, pos: min/max ratios; dfpr, dfnr, dpos: max - min differences) on
    the test set; ``ValueError`` on non-finite scores."""
    from sklearn.metrics import roc_auc_score

    from gbt.objectives.fairness import fairness_report
    proba = np.asarray(model.predict_proba(d["X_test"]))[:, 1]
    if not np.isfinite(proba).all():
        raise ValueError(f"{int((~np.isfinite(proba)).sum())} non-finite test scores")
    rep = fairness_report(d["y_test"], proba, d["g_test"], THRESHOLD)
    ratios, diffs = rep.ratios, rep.differences
    return {"auc": float(roc_auc_score(d["y_test"], proba)), "fpr": ratios["fpr"],
            "fnr": ratios["fnr"], "pos": ratios["positive_rate"], "dfpr": diffs["fpr"],
            "dfnr": diffs["fnr"], "dpos": diffs["positive_rate"]}


def fpr_ratio_spread(model, d):
    """Bar (a)'s context: ``model``'s FPR ratio on its training rows, and how its test FPR
    ratio moves with the test sample (``BOOTSTRAP_RESAMPLES`` resamples of the test rows with
    replacement, seed 0): the 5% and 95% quantiles and the share of resamples at or above
    BAR_FPR_RATIO."""
    from gbt.objectives.fairness import fairness_report

    proba = {part: np.asarray(model.predict_proba(d[f"X_{part}"]))[:, 1]
             for part in ("train", "test")}

    def fpr_ratio(part, weight=None):
        return fairness_report(d[f"y_{part}"], proba[part], d[f"g_{part}"], THRESHOLD,
                               sample_weight=weight).ratios["fpr"]
    n, rng = len(d["y_test"]), np.random.default_rng(0)
    boot = np.array([fpr_ratio("test", np.bincount(rng.integers(0, n, n), minlength=n))
                     for _ in range(BOOTSTRAP_RESAMPLES)])
    lo, hi = np.quantile(boot, [0.05, 0.95])
    return {"fpr_train": fpr_ratio("train"), "fpr_lo": float(lo), "fpr_hi": float(hi),
            "fpr_share": float(np.mean(boot >= BAR_FPR_RATIO))}


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------
class Warnings:
    """Collects the distinct Python warnings raised while fitting, per library."""

    def __init__(self):
        self.seen = {}

    def fit(self, lib, fit, d):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = fit(d)
        for w in caught:
            key = f"{lib}: {w.category.__name__}: {str(w.message)[:160]}"
            self.seen[key] = self.seen.get(key, 0) + 1
        return model


def warm_up(threads, d):
    """One untimed gbt FairGBTClassifier fit + prediction on a slice (Numba compilation)."""
    part = {k: (v[:WARMUP_ROWS] if k in ("X_train", "y_train", "g_train") else v)
            for k, v in d.items()}
    t0 = time.perf_counter()
    model = gbt_fair(threads, constraint_type="FPR")(part)
    model.predict_proba(d["X_test"][:WARMUP_ROWS])
    gbt_plain(threads)(part).predict_proba(d["X_test"][:WARMUP_ROWS])
    return time.perf_counter() - t0


def run_main(d, makers, repeats, warns, log):
    """Timed fits in alternating order; {model: dict(fit=median s, noise, auc, fpr, fnr, pos)}
    (scores of the last fit)."""
    res = {m: {"runs": [], "noise": []} for m in MAIN_MODELS}
    last = {}
    for r in range(repeats):
        for m in (MAIN_MODELS if r % 2 == 0 else MAIN_MODELS[::-1]):
            release_free_memory()
            with OtherCpu() as noise:
                t0 = time.perf_counter()
                model = warns.fit(m, makers[m], d)
                dt = time.perf_counter() - t0
            res[m]["runs"].append(dt)
            res[m]["noise"].append(noise.cores)
            res[m].update(scores(model, d))
            last[m] = model
            log(f"round {r + 1}/{repeats} {m}: fit {dt:.2f} s, AUC {res[m]['auc']:.4f}, "
                f"FPR ratio {res[m]['fpr']:.3f}")
    res["gbt FPR"].update(fpr_ratio_spread(last["gbt FPR"], d))  # untimed, after the fits
    for v in res.values():
        v["fit"], v["noise"] = statistics.median(v["runs"]), max(v["noise"])
    return res


def try_fit(lib, fit, d, warns):
    """Scores of one fit, or {"failed": reason} when it raises or predicts non-finite scores."""
    try:
        return scores(warns.fit(lib, fit, d), d)
    except Exception as exc:  # noqa: BLE001 - a peer's crash is a result here
        return {"failed": f"{type(exc).__name__}: {str(exc)[:120]}"}


def run_sweep(d, threads, warns, log):
    """{rate: {"gbt": scores, "fairgbm": scores}} for the FPR constraint on Adult."""
    out = {}
    for rate in RATES:
        out[rate] = {
            "gbt": try_fit("gbt", gbt_fair(threads, constraint_type="FPR",
                                           multiplier_learning_rate=rate), d, warns),
            "fairgbm": try_fit("fairgbm", fairgbm_fair(threads, constraint_type="FPR",
                                                       multiplier_learning_rate=rate), d, warns)}
        log(f"sweep rate {rate:g}: " + ", ".join(f"{lib} {_brief(s)}"
                                                  for lib, s in out[rate].items()))
    return out


def run_tradeoff(d, threads, warns, log):
    """[(constraint, library, tolerance, scores)] on Adult."""
    rows = []
    for t in TOLERANCES:
        cases = [("equalized odds", "gbt",
                  gbt_fair(threads, constraint_type="FPR,FNR", fpr_tolerance=t,
                           fnr_tolerance=t)),
                 ("equalized odds", "fairgbm",
                  fairgbm_fair(threads, constraint_type="FPR,FNR", constraint_fpr_threshold=t,
                               constraint_fnr_threshold=t)),
                 ("demographic parity", "gbt",
                  gbt_fair(threads, constraint_type="DP", dp_tolerance=t))]
        for constraint, lib, fit in cases:
            s = try_fit(lib, fit, d, warns)
            rows.append((constraint, lib, t, s))
            log(f"trade-off {constraint} {lib} tolerance {t:g}: {_brief(s)}")
    return rows


def _brief(s):
    return "failed" if "failed" in s else f"AUC {s['auc']:.4f} FPR ratio {s['fpr']:.3f}"


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
def _f(v, spec=".3f"):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


MAIN_LABELS = {"lightgbm": "LightGBM, unconstrained", "gbt": "gbt, unconstrained",
               "fairgbm FPR": f"fairgbm FPR (rate {FAIRGBM_DEFAULT_RATE:g})",
               "gbt FPR": f"gbt FPR (rate {GBT_DEFAULT_RATE:g})"}


def main_table(main, data):
    rows = ["| dataset | model | test AUC | FPR ratio | FNR ratio | positive-rate ratio | "
            "fit s | other load |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, res in main.items():
        label = f"{name} ({data[name]['X_train'].shape[0]} train / "\
                f"{data[name]['X_test'].shape[0]} test)"
        for m in MAIN_MODELS:
            r = res[m]
            rows.append(f"| {label} | {MAIN_LABELS[m]} | {r['auc']:.4f} | {_f(r['fpr'])} | "
                        f"{_f(r['fnr'])} | {_f(r['pos'])} | {r['fit']:.2f} | "
                        f"{r['noise']:.2f} |")
            label = ""
    return "\n".join(rows)


def _cell(s):
    return ("failed", "failed") if "failed" in s else (f"{s['auc']:.4f}", _f(s["fpr"]))


def sweep_table(sweep):
    rows = ["| multiplier rate | gbt AUC | gbt FPR ratio | fairgbm AUC | fairgbm FPR ratio |",
            "|---:|---:|---:|---:|---:|"]
    for rate, r in sweep.items():
        mark = "".join([" (gbt default)" if rate == GBT_DEFAULT_RATE else "",
                        " (fairgbm default)" if rate == FAIRGBM_DEFAULT_RATE else ""])
        rows.append(f"| {rate:g}{mark} | " + " | ".join((*_cell(r["gbt"]), *_cell(r["fairgbm"])))
                    + " |")
    return "\n".join(rows)


def tradeoff_table(rows_in):
    rows = ["| constraint | library | tolerance | test AUC | FPR ratio | FNR ratio | "
            "positive-rate ratio | FPR diff | FNR diff | positive-rate diff |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for constraint, lib, t, s in rows_in:
        if "failed" in s:
            rows.append(f"| {constraint} | {lib} | {t:g} | failed | | | | | | |")
        else:
            rows.append(f"| {constraint} | {lib} | {t:g} | {s['auc']:.4f} | {_f(s['fpr'])} | "
                        f"{_f(s['fnr'])} | {_f(s['pos'])} | {_f(s['dfpr'])} | "
                        f"{_f(s['dfnr'])} | {_f(s['dpos'])} |")
    return "\n".join(rows)


def failures(sweep, tradeoff):
    out = [f"sweep rate {rate:g}, {lib}: {s['failed']}" for rate, r in sweep.items()
           for lib, s in r.items() if "failed" in s]
    out += [f"trade-off {c}, {lib}, tolerance {t:g}: {s['failed']}"
            for c, lib, t, s in tradeoff if "failed" in s]
    return out


# --------------------------------------------------------------------------------------------
# Bar
# --------------------------------------------------------------------------------------------
def _collapsed(s):
    return "failed" in s or s["auc"] < COLLAPSE_AUC


def bar_lines(main, sweep):
    lines = []
    if "adult" in main:
        r = main["adult"]["gbt FPR"]
        ok = r["fpr"] >= BAR_FPR_RATIO and r["auc"] >= BAR_AUC
        lines.append(f"{'PASS' if ok else 'FAIL'}: (a) Adult, gbt FPR at its default rate: "
                     f"test FPR ratio ≥ {BAR_FPR_RATIO:.2f} and AUC ≥ {BAR_AUC:.3f} — FPR ratio "
                     f"{r['fpr']:.3f}, AUC {r['auc']:.4f}")
        if "fpr_lo" in r:
            lines.append(f"info: (a)'s model has FPR ratio {r['fpr_train']:.3f} on its training "
                         f"rows; over {BOOTSTRAP_RESAMPLES} resamples of the test rows its test "
                         f"FPR ratio runs {r['fpr_lo']:.3f} to {r['fpr_hi']:.3f} (5% to 95%), "
                         f"at or above {BAR_FPR_RATIO:.2f} in {r['fpr_share']:.0%} of them")
    if sweep:
        lo, hi = BAR_ROBUST_RANGE
        in_range = {rate: r["gbt"] for rate, r in sweep.items() if lo <= rate <= hi}
        aucs = [s.get("auc", -math.inf) for s in in_range.values()]
        worst = min(in_range, key=lambda rate: in_range[rate].get("auc", -math.inf))
        all_aucs = {rate: r["gbt"].get("auc", -math.inf) for rate, r in sweep.items()}
        worst_all = min(all_aucs, key=all_aucs.get)
        ok = min(aucs) >= BAR_ROBUST_AUC
        lines.append(f"{'PASS' if ok else 'FAIL'}: (b) robustness, gbt test AUC ≥ "
                     f"{BAR_ROBUST_AUC:.2f} at every multiplier rate in {lo:g}..{hi:g} "
                     f"({hi / lo:g}×, {len(in_range)} rates) — min {_f(min(aucs), '.4f')} at "
                     f"rate {worst:g}; over the whole sweep ({RATES[0]:g}..{RATES[-1]:g}) min "
                     f"{_f(all_aucs[worst_all], '.4f')} at rate {worst_all:g}")
        for lib in ("gbt", "fairgbm"):
            good = {rate: r[lib] for rate, r in sweep.items()
                    if "failed" not in r[lib] and r[lib]["auc"] >= BAR_AUC}
            collapsed = [rate for rate, r in sweep.items() if _collapsed(r[lib])]
            if good:
                best = max(good, key=lambda rate: good[rate]["fpr"])
                best_text = (f"best FPR ratio at AUC ≥ {BAR_AUC:.3f}: {good[best]['fpr']:.3f} "
                             f"(rate {best:g}, AUC {good[best]['auc']:.4f})")
            else:
                best_text = f"no rate reaches AUC ≥ {BAR_AUC:.3f}"
            lines.append(f"info: {lib} — {best_text}; collapsed (AUC < {COLLAPSE_AUC:g} or "
                         f"failed) at {len(collapsed)} of {len(sweep)} rates"
                         + (f" ({', '.join(f'{c:g}' for c in collapsed)})" if collapsed else ""))
    return lines


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------
def report(args, data, main, sweep, tradeoff, warmup_s, warns):
    import fairgbm
    import lightgbm
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    groups = "; ".join(f"{name}: group `{d['group_col']}` (codes 0/1 = "
                       f"{' / '.join(map(str, d['group_names']))})" for name, d in data.items())
    parts = ["## bench_fairness.py: FairGBTClassifier against fairgbm", "", f"Date: {now}", "",
             "Command (from the repository root):", "", "```", command_line(), "```", "",
             f"Adult (UCI train/test files) and FairGBM's COMPAS split; {groups}; the group "
             f"is also a feature. Every model: {TREES} trees, learning rate {LEARNING_RATE:g}, "
             f"{LEAVES} leaves (gbt loss-guided), min {MIN_CHILD_SAMPLES} rows per leaf, "
             f"reg_lambda {REG_LAMBDA:g}, n_jobs={args.threads}; everything else each library's "
             "default (gbt's min_child_weight is 1, LightGBM's and fairgbm's 1e-3). gbt "
             f"FairGBTClassifier defaults: multiplier rate {GBT_DEFAULT_RATE:g}, proxy margin "
             f"0.5, max multiplier 10; fairgbm {fairgbm.__version__} (multiplier rate "
             f"{FAIRGBM_DEFAULT_RATE:g} by default), LightGBM {lightgbm.__version__}, "
             "random_state 0. Test AUC of predict_proba; ratios are min/max over the two "
             f"groups of the test rates at threshold {THRESHOLD:g} "
             "(`gbt.objectives.fairness.fairness_report`). "
             f"compile/warm-up (untimed gbt fits on {WARMUP_ROWS} Adult rows, before the "
             f"timings): {warmup_s:.2f} s.", "",
             f"### FPR constraint, tolerance 0 (fit s: median of {args.repeats} alternating "
             "round(s))", "",
             "Fit seconds on a shared 2-core machine; *other load* is the most cores other "
             "processes kept busy during a fit of that row; read timings with a high value "
             "there with caution.", "",
             main_table(main, data), ""]
    if sweep:
        parts += ["### Robustness to the multiplier learning rate (Adult, FPR, tolerance 0)", "",
                  "One fit per rate and library; \"failed\": the fit raised or predicted "
                  "non-finite scores.", "", sweep_table(sweep), ""]
    if tradeoff:
        parts += ["### Trade-off curves (Adult)", "",
                  "Equalized odds: the tolerance applies to both FPR and FNR (gbt "
                  "`fpr_tolerance=fnr_tolerance=t`, fairgbm `constraint_fpr_threshold="
                  "constraint_fnr_threshold=t`); demographic parity: gbt only "
                  "(`constraint_type=\"DP\", dp_tolerance=t`; fairgbm has no such constraint). "
                  "Default multiplier rates. The tolerance bounds a difference of rates, so "
                  "the max - min differences are shown beside the min/max ratios.", "",
                  tradeoff_table(tradeoff), ""]
    notes = failures(sweep, tradeoff) + [f"warning ×{n}: {w}" for w, n in warns.seen.items()]
    if notes:
        parts += ["Failures and warnings:", "", *[f"- {n}" for n in notes], ""]
    parts += ["### Bar", "", *[f"- {line}" for line in bar_lines(main, sweep)], ""]
    return "\n".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3,
                   help="timed rounds of the main table (median time; scores of the last fit)")
    p.add_argument("--threads", type=int, default=2, help="n_jobs of every library")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=True,
                   help="write this script's section of bench/RESULTS.md (default on)")
    args = p.parse_args(argv)
    if args.repeats < 1 or args.threads < 1:
        p.error("--repeats and --threads must be at least 1")
    if not FAIR_DIR.exists():
        sys.exit(f"bench_fairness: the fairness data sets are not under {FAIR_DIR} "
                 "(set GBT_DATA_DIR).")
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    data = {name: load() for name, load in DATASETS.items()}
    warmup_s = warm_up(args.threads, data["adult"])
    log(f"compile/warm-up (gbt, {WARMUP_ROWS} rows of adult): {warmup_s:.2f} s")
    warns, makers, main_res = Warnings(), main_makers(args.threads), {}
    for name, d in data.items():
        log(f"main table: {name}")
        main_res[name] = run_main(d, makers, args.repeats, warns, log)
    sweep = run_sweep(data["adult"], args.threads, warns, log)
    tradeoff = run_tradeoff(data["adult"], args.threads, warns, log)
    text = report(args, data, main_res, sweep, tradeoff, warmup_s, warns)
    print(text)
    if args.write:
        write_section(BENCH_DIR / "RESULTS.md", "bench_fairness", text)
        log("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
