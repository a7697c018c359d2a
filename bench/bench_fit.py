"""Side-by-side fit/predict benchmark: gbt vs LightGBM, XGBoost and scikit-learn.

What it measures
----------------
* Standard case: ``make_classification(n_samples=250_000, n_features=28, n_informative=14,
  random_state=0)`` with 5% NaN (seeded) in columns 0..5; the first 200,000 rows train, the
  last 50,000 test. 50 trees, 255 leaves grown loss-guided (best-first), learning rate 0.1,
  255 bins, 2 threads.
* For each library, in alternating order (A B C D A B C D ...) in one process, after one
  untimed warm-up fit (so JIT and other one-off costs stay out of the steady-state numbers):
  median fit seconds (dataset construction / binning included), median predict seconds on the
  test set, test AUC, and peak RSS increase during fit (a psutil sampler thread polls RSS every
  ~5 ms; peak minus the RSS just before the fit, largest over the repeats). Ratios and AUC
  differences are against LightGBM.
* gbt's compile cost in fresh processes: ``import gbt`` time, first fit with a cold Numba cache
  (a new empty NUMBA_CACHE_DIR), first fit with that cache warm (median of >= 3 processes) and
  the steady-state second fit in the same process.
* A "Bar" section: AUC within 0.002 of LightGBM, gbt fit <= 1.5x LightGBM, gbt predict <=
  LightGBM, warm-cache first fit - steady fit <= 3 s.

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_fit.py                      # full run, writes bench/RESULTS.md
    .venv/bin/python bench/bench_fit.py --rows 20000 --repeats 1 --no-write   # quick check

NUMBA_CACHE_DIR defaults to ``<repo>/.numba_cache`` (as in the Makefile) when not set.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
# Must happen before anything imports numba (i.e. before gbt).
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba_cache"))

import numpy as np  # noqa: E402
import psutil  # noqa: E402

sys.path.insert(0, str(BENCH_DIR))
from results_file import write_section  # noqa: E402

ALL_LIBS = ("gbt", "lightgbm", "xgboost", "sklearn")
NAN_COLUMNS = range(6)
NAN_FRACTION = 0.05
WARMUP_ROWS, WARMUP_TREES = 10_000, 5
NOISY_CORES = 0.25  # "other load" above this flags the timings as disturbed
BAR_AUC_DIFF, BAR_FIT_RATIO, BAR_PREDICT_RATIO, BAR_JIT_SECONDS = 0.002, 1.5, 1.0, 3.0


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def make_data(train_rows: int = 200_000):
    """Return ``X_train, y_train, X_test, y_test`` (float64; test has train_rows // 4 rows)."""
    from sklearn.datasets import make_classification
    n = train_rows + train_rows // 4
    X, y = make_classification(n_samples=n, n_features=28, n_informative=14, random_state=0)
    rng = np.random.default_rng(0)
    for col in NAN_COLUMNS:
        X[rng.random(n) < NAN_FRACTION, col] = np.nan
    return X[:train_rows], y[:train_rows], X[train_rows:], y[train_rows:]


# --------------------------------------------------------------------------------------------
# Library adapters: fit(X, y, trees, threads) -> model ; predict(model, X, threads) -> P(y=1)
# --------------------------------------------------------------------------------------------
def gbt_params(threads: int) -> dict:
    return dict(objective="binary:logistic", grow_policy="lossguide", max_leaves=255,
                max_depth=0, learning_rate=0.1, max_bin=255, n_jobs=threads,
                min_child_weight=1e-3, min_child_samples=20, reg_lambda=0.0)


def gbt_fit(X, y, trees, threads):
    import gbt
    return gbt.train(gbt_params(threads), gbt.Dataset(X, y), trees)


def gbt_predict(model, X, threads):
    return model.predict(X)


def lgb_fit(X, y, trees, threads):
    import lightgbm as lgb
    params = dict(objective="binary", num_leaves=255, learning_rate=0.1, max_bin=255,
                  num_threads=threads, min_child_samples=20, min_sum_hessian_in_leaf=1e-3,
                  lambda_l2=0.0, verbose=-1)
    return lgb.train(params, lgb.Dataset(X, y, params={"max_bin": 255, "verbose": -1}), trees)


def lgb_predict(model, X, threads):
    return model.predict(X, num_threads=threads)


def xgb_fit(X, y, trees, threads):
    import xgboost as xgb
    params = dict(objective="binary:logistic", tree_method="hist", grow_policy="lossguide",
                  max_leaves=255, max_depth=0, eta=0.1, max_bin=256, nthread=threads,
                  min_child_weight=1e-3, reg_lambda=0.0, verbosity=0)
    dtrain = xgb.QuantileDMatrix(X, y, max_bin=256, nthread=threads)
    return xgb.train(params, dtrain, trees)


def xgb_predict(model, X, threads):
    return model.inplace_predict(X)


def skl_fit(X, y, trees, threads):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits
    model = HistGradientBoostingClassifier(
        max_iter=trees, max_leaf_nodes=255, learning_rate=0.1, max_bins=255,
        early_stopping=False, min_samples_leaf=20, l2_regularization=0.0)
    with threadpool_limits(threads):
        return model.fit(X, y)


def skl_predict(model, X, threads):
    from threadpoolctl import threadpool_limits
    with threadpool_limits(threads):
        return model.predict_proba(X)[:, 1]


@dataclass
class Library:
    name: str
    module: str  # imported to check availability and read the version
    fit: callable
    predict: callable
    version: str = ""
    fit_s: list = field(default_factory=list)
    predict_s: list = field(default_factory=list)
    peak_mb: list = field(default_factory=list)
    other_cores: list = field(default_factory=list)  # CPU busy with other processes during fit
    auc: float = float("nan")


ADAPTERS = {
    "gbt": ("gbt", gbt_fit, gbt_predict),
    "lightgbm": ("lightgbm", lgb_fit, lgb_predict),
    "xgboost": ("xgboost", xgb_fit, xgb_predict),
    "sklearn": ("sklearn", skl_fit, skl_predict),
}


def load_libraries(names):
    """Return ``(available Library list, {name: reason} for the skipped ones)``."""
    import importlib
    libs, skipped = [], {}
    for name in names:
        module, fit, predict = ADAPTERS[name]
        try:
            mod = importlib.import_module(module)
            if name == "sklearn":
                importlib.import_module("threadpoolctl")
        except ImportError as exc:
            skipped[name] = f"ImportError: {exc}"
            continue
        libs.append(Library(name, module, fit, predict, getattr(mod, "__version__", "?")))
    return libs, skipped


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------
class RssSampler:
    """Context manager: polls this process's RSS every ``interval`` s; ``peak_mb`` afterwards is
    the peak RSS during the block minus the RSS on entry, in MB."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self._proc = psutil.Process()
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            self._peak = max(self._peak, self._proc.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._base = self._peak = self._proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._proc.memory_info().rss)
        self.peak_mb = (self._peak - self._base) / 2**20


class OtherCpu:
    """Context manager: ``cores`` afterwards is the average number of cores busy with *other*
    processes during the block (system busy CPU time minus this process's, over wall time) — a
    noise flag for shared machines."""

    @staticmethod
    def _busy():
        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "steal", 0.0) \
            - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)

    @staticmethod
    def _own():
        t = psutil.Process().cpu_times()
        return t.user + t.system

    def __enter__(self):
        self._t0, self._busy0, self._own0 = time.perf_counter(), self._busy(), self._own()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self._t0
        others = (self._busy() - self._busy0) - (self._own() - self._own0)
        self.cores = max(0.0, others / wall) if wall > 0 else 0.0


def release_free_memory():
    """Collect garbage and hand freed heap memory back to the OS (glibc ``malloc_trim``), so the
    RSS baseline before a fit is the live memory, not what an earlier fit left in the heap."""
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the baseline just includes the free heap
        pass


def warm_up(lib: Library, X, y, threads: int):
    """One small untimed fit + predict so JIT / lazy imports are paid before timing."""
    model = lib.fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS], WARMUP_TREES, threads)
    lib.predict(model, X[:WARMUP_ROWS], threads)


def run_once(lib: Library, data, trees: int, threads: int):
    """One timed fit (with the RSS sampler) and one timed predict; records into ``lib``."""
    from sklearn.metrics import roc_auc_score
    X_train, y_train, X_test, y_test = data
    release_free_memory()
    with OtherCpu() as noise, RssSampler() as mem:
        t0 = time.perf_counter()
        model = lib.fit(X_train, y_train, trees, threads)
        fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    proba = lib.predict(model, X_test, threads)
    predict_s = time.perf_counter() - t0
    lib.fit_s.append(fit_s)
    lib.predict_s.append(predict_s)
    lib.peak_mb.append(mem.peak_mb)
    lib.other_cores.append(noise.cores)
    lib.auc = roc_auc_score(y_test, proba)
    del model


def run_benchmark(libs, data, trees, threads, repeats, log):
    X_train, y_train = data[0], data[1]
    for lib in libs:
        t0 = time.perf_counter()
        warm_up(lib, X_train, y_train, threads)
        log(f"warm-up {lib.name}: {time.perf_counter() - t0:.2f} s")
    for r in range(repeats):
        for lib in libs:
            run_once(lib, data, trees, threads)
            log(f"round {r + 1}/{repeats} {lib.name}: fit {lib.fit_s[-1]:.2f} s, "
                f"predict {lib.predict_s[-1]:.3f} s, peak +{lib.peak_mb[-1]:.0f} MB, "
                f"AUC {lib.auc:.5f}, other processes {lib.other_cores[-1]:.2f} cores")


# --------------------------------------------------------------------------------------------
# JIT / first fit in fresh processes
# --------------------------------------------------------------------------------------------
_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import gbt
import_s = time.perf_counter() - t0
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
from bench_fit import make_data, gbt_fit
cfg = json.loads(sys.argv[2])
X, y, _, _ = make_data(cfg["rows"])
t0 = time.perf_counter(); gbt_fit(X, y, cfg["trees"], cfg["threads"]); first = time.perf_counter() - t0
t0 = time.perf_counter(); gbt_fit(X, y, cfg["trees"], cfg["threads"]); steady = time.perf_counter() - t0
print("RESULT " + json.dumps({"import_s": import_s, "first_s": first, "steady_s": steady}))
"""


def run_child(cache_dir: str, rows: int, trees: int, threads: int) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    cfg = json.dumps({"rows": rows, "trees": trees, "threads": threads})
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(BENCH_DIR), cfg], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=3600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"JIT child failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")


def measure_jit(rows, trees, threads, warm_runs, log) -> dict:
    """Cold-cache first fit once, then ``warm_runs`` processes on the now-filled cache."""
    with tempfile.TemporaryDirectory(prefix="gbt_numba_cache_") as cache_dir:
        cold = run_child(cache_dir, rows, trees, threads)
        log(f"jit cold: import {cold['import_s']:.2f} s, first {cold['first_s']:.2f} s, "
            f"steady {cold['steady_s']:.2f} s")
        warm = []
        for i in range(warm_runs):
            warm.append(run_child(cache_dir, rows, trees, threads))
            log(f"jit warm {i + 1}/{warm_runs}: import {warm[-1]['import_s']:.2f} s, "
                f"first {warm[-1]['first_s']:.2f} s, steady {warm[-1]['steady_s']:.2f} s")
    med = lambda key: statistics.median(r[key] for r in warm)  # noqa: E731
    return {"cold_first": cold["first_s"], "cold_steady": cold["steady_s"],
            "cold_import": cold["import_s"], "warm_first": med("first_s"),
            "steady": med("steady_s"), "warm_import": med("import_s"),
            "warm_first_all": [r["first_s"] for r in warm], "warm_runs": warm_runs,
            "paired_diff": statistics.median(r["first_s"] - r["steady_s"] for r in warm)}


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def _ratio(a, b):
    return a / b if b else float("nan")


def summarize(libs) -> dict:
    """{name: dict of medians / peaks / ratios vs LightGBM} (ratios NaN without LightGBM)."""
    ref = next((lib for lib in libs if lib.name == "lightgbm"), None)
    out = {}
    for lib in libs:
        s = {"version": lib.version, "fit": statistics.median(lib.fit_s),
             "predict": statistics.median(lib.predict_s), "auc": lib.auc,
             "peak_mb": max(lib.peak_mb), "fit_all": lib.fit_s,
             "other_cores": max(lib.other_cores)}
        if ref is not None:
            s["fit_ratio"] = _ratio(s["fit"], statistics.median(ref.fit_s))
            s["predict_ratio"] = _ratio(s["predict"], statistics.median(ref.predict_s))
            s["auc_diff"] = lib.auc - ref.auc
        else:
            s["fit_ratio"] = s["predict_ratio"] = s["auc_diff"] = float("nan")
        out[lib.name] = s
    return out


def _fmt(v, spec):
    return "n/a" if v != v else format(v, spec)  # v != v: NaN


def main_table(summary, skipped) -> str:
    rows = ["| library | version | fit s (median) | fit s (all runs) | predict s (median) | AUC "
            "| peak fit RSS +MB | fit × LGBM | predict × LGBM | AUC − LGBM | other load |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in summary.items():
        runs = " / ".join(f"{t:.2f}" for t in s["fit_all"])
        rows.append(f"| {name} | {s['version']} | {s['fit']:.2f} | {runs} | {s['predict']:.3f} | "
                    f"{s['auc']:.5f} | {s['peak_mb']:.0f} | {_fmt(s['fit_ratio'], '.2f')} | "
                    f"{_fmt(s['predict_ratio'], '.2f')} | {_fmt(s['auc_diff'], '+.5f')} | "
                    f"{s['other_cores']:.2f} |")
    for name, why in skipped.items():
        rows.append(f"| {name} | skipped ({why}) | | | | | | | | | |")
    return "\n".join(rows) + (
        "\n\n_other load_: most cores (over the repeats) kept busy by *other* processes during "
        "a fit; well above 0 means the timings are disturbed.")


def jit_table(jit: dict | None) -> str:
    if jit is None:
        return "_skipped (--skip-jit)_"
    warm_all = " / ".join(f"{t:.2f}" for t in jit["warm_first_all"])
    rows = ["| gbt, fresh process | seconds |", "|---|---:|",
            f"| `import gbt` (cold cache / warm cache median) | {jit['cold_import']:.2f} / "
            f"{jit['warm_import']:.2f} |",
            f"| first fit, cold Numba cache | {jit['cold_first']:.2f} |",
            f"| first fit, warm Numba cache (median of {jit['warm_runs']}: {warm_all}) | "
            f"{jit['warm_first']:.2f} |",
            f"| steady fit (2nd fit in the same process, median) | {jit['steady']:.2f} |",
            f"| warm first − steady (difference of the medians) | "
            f"{jit['warm_first'] - jit['steady']:.2f} |",
            f"| warm first − steady (median of per-process differences) | "
            f"{jit['paired_diff']:.2f} |",
            f"| cold first − steady | {jit['cold_first'] - jit['steady']:.2f} |"]
    return "\n".join(rows)


def bar_checks(summary, jit) -> list[str]:
    """One 'PASS/FAIL/SKIP: ...' line per bar."""
    g, lg = summary.get("gbt"), summary.get("lightgbm")
    lines = []
    if g is None or lg is None:
        lines.append("SKIP: the AUC / fit / predict bars need both gbt and lightgbm in the run")
    else:
        d = g["auc"] - lg["auc"]
        lines.append(f"{'PASS' if abs(d) <= BAR_AUC_DIFF else 'FAIL'}: AUC within "
                     f"{BAR_AUC_DIFF} of LightGBM — gbt {g['auc']:.5f} vs LightGBM "
                     f"{lg['auc']:.5f} (diff {d:+.5f})")
        r = g["fit_ratio"]
        lines.append(f"{'PASS' if r <= BAR_FIT_RATIO else 'FAIL'}: gbt fit median ≤ "
                     f"{BAR_FIT_RATIO}× LightGBM — {g['fit']:.2f} s vs {lg['fit']:.2f} s "
                     f"({r:.2f}×)")
        r = g["predict_ratio"]
        lines.append(f"{'PASS' if r <= BAR_PREDICT_RATIO else 'FAIL'}: gbt predict median ≤ "
                     f"LightGBM — {g['predict']:.3f} s vs {lg['predict']:.3f} s ({r:.2f}×)")
    noisy = max((s["other_cores"] for s in summary.values()), default=0.0)
    if noisy > NOISY_CORES:
        lines.append(f"WARNING: other processes kept up to {noisy:.2f} cores busy during a fit; "
                     "the timings above are disturbed — rerun on a quiet machine")
    if jit is None:
        lines.append("SKIP: warm-cache first fit − steady ≤ 3 s (--skip-jit)")
    else:
        d = jit["warm_first"] - jit["steady"]
        lines.append(f"{'PASS' if d <= BAR_JIT_SECONDS else 'FAIL'}: warm-cache first fit − "
                     f"steady ≤ {BAR_JIT_SECONDS:g} s — {jit['warm_first']:.2f} s − "
                     f"{jit['steady']:.2f} s = {d:.2f} s")
    return lines


def machine_info(libs) -> list[str]:
    import numba
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    versions = ", ".join([f"numpy {np.__version__}", f"numba {numba.__version__}"]
                         + [f"{lib.name} {lib.version}" for lib in libs])
    return [f"- CPU: {cpu}; os.cpu_count() = {os.cpu_count()}, usable (affinity) = {affinity}",
            f"- Memory: {psutil.virtual_memory().total / 2**30:.1f} GiB",
            f"- Platform: {platform.platform()}",
            f"- Python: {platform.python_version()} ({sys.executable})",
            f"- Libraries: {versions}",
            f"- NUMBA_CACHE_DIR (main process): {os.environ['NUMBA_CACHE_DIR']}"]


def command_line() -> str:
    exe = Path(sys.executable)
    if REPO in exe.parents:
        exe = exe.relative_to(REPO)
    script = os.path.relpath(Path(sys.argv[0]).resolve(), REPO)
    return shlex.join([str(exe), script, *sys.argv[1:]])


def case_line(args) -> str:
    return (f"make_classification({args.rows + args.rows // 4:,} rows, 28 features, 14 "
            f"informative, random_state=0), {NAN_FRACTION:.0%} NaN in columns 0..5; "
            f"{args.rows:,} train / {args.rows // 4:,} test rows; {args.trees} trees, 255 leaves "
            f"(loss-guided), learning rate 0.1, 255 bins, {args.threads} threads; "
            f"{args.repeats} alternating round(s) after one warm-up fit per library.")


def write_results(path, args, libs, summary, skipped, jit):
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join([
        "## bench_fit.py: binary classification fit / predict and JIT", "",
        f"Date: {now}", "",
        "Command (from the repository root):", "", "```", command_line(), "```", "",
        "### Machine", "", *machine_info(libs), "",
        "### Fit / predict", "", case_line(args), "",
        "Fit includes dataset construction (binning). Peak fit RSS is the largest (over the "
        "repeats) increase of process RSS during a fit, sampled every ~5 ms, from a baseline "
        "taken after `gc.collect()` and glibc `malloc_trim(0)`.", "",
        main_table(summary, skipped), "",
        "### JIT / first fit in a fresh process (gbt)", "", jit_table(jit), "",
        "### Bar", "", *[f"- {line}" for line in bar_checks(summary, jit)], ""])
    write_section(Path(path), "bench_fit", text)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--rows", type=int, default=200_000,
                   help="training rows (default 200000; test rows = rows // 4)")
    p.add_argument("--trees", type=int, default=50, help="boosting rounds (default 50)")
    p.add_argument("--threads", type=int, default=2, help="threads per library (default 2)")
    p.add_argument("--skip-jit", action="store_true", help="skip the fresh-process JIT runs")
    p.add_argument("--jit-warm-runs", type=int, default=3,
                   help="warm-cache fresh processes (default 3, at least 3)")
    p.add_argument("--libs", default=",".join(ALL_LIBS),
                   help=f"comma-separated subset of {','.join(ALL_LIBS)}")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=True,
                   help="write bench/RESULTS.md (default on; --no-write to skip)")
    args = p.parse_args(argv)
    args.libs = [s.strip() for s in args.libs.split(",") if s.strip()]
    unknown = [s for s in args.libs if s not in ALL_LIBS]
    if unknown:
        p.error(f"unknown --libs {unknown}; choose from {list(ALL_LIBS)}")
    args.jit_warm_runs = max(3, args.jit_warm_runs)
    return args


def main(argv=None):
    args = parse_args(argv)
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    libs, skipped = load_libraries(args.libs)
    for name, why in skipped.items():
        log(f"skipping {name}: {why}")
    data = make_data(args.rows)
    run_benchmark(libs, data, args.trees, args.threads, args.repeats, log)
    summary = summarize(libs)
    jit = None
    if not args.skip_jit and "gbt" in summary:
        jit = measure_jit(args.rows, args.trees, args.threads, args.jit_warm_runs, log)
    print(f"\n{case_line(args)}\n")
    print(main_table(summary, skipped))
    print("\nJIT / first fit in a fresh process (gbt):\n")
    print(jit_table(jit))
    print("\nBar:\n")
    print("\n".join(f"- {line}" for line in bar_checks(summary, jit)))
    if args.write:
        out = BENCH_DIR / "RESULTS.md"
        write_results(out, args, libs, summary, skipped, jit)
        log(f"wrote {out}")


if __name__ == "__main__":
    main()
