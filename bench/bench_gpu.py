"""GPU benchmark: gbt on an NVIDIA GPU (device="cuda") against gbt's CPU path and LightGBM on
all of the machine's CPU cores, side by side in one process.

What it measures
----------------
* The standard synthetic binary problem of ``bench_fit.py`` (``make_classification``, 28
  features, 14 informative, 5% NaN in columns 0..5) at each ``--rows`` training size, a test
  set of a quarter of that. Every model: ``--trees`` rounds (500), 255 leaves grown
  depthwise to depth 8 (``max_depth=8, max_leaves=255``; LightGBM ``num_leaves=255,
  max_depth=8``), learning rate 0.1, 255 bins, ``min_child_samples=20``,
  ``min_child_weight=1e-3``, ``reg_lambda=0``.
* Per library, in alternating order after one untimed warm-up fit (Numba JIT, CUDA kernel
  compile and LightGBM start-up stay out of the timings): fit seconds (Dataset construction
  and binning included), test AUC, and prediction seconds on 1,000,000 rows (the test set
  tiled), each the median over ``--repeats`` (a GPU time is wall time after the device has
  finished: results are copied back to the host inside the timed call).
* Bars (issue 9): GPU fit >= 10x faster than gbt's CPU path and than LightGBM, GPU AUC within
  0.001 of the CPU path's; GPU prediction of 1,000,000 rows >= 20x faster than the CPU path.

How to run (from the repository root, on a machine with a GPU and CuPy)
-------------------------------------------------------------------------
    python bench/bench_gpu.py --rows 1000000 --json out.json        # measure, save JSON
    python bench/bench_gpu.py --from-json out.json [more.json ...]  # write bench/RESULTS.md

Without a GPU it stops with the reason (and ``--from-json`` still writes the table).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH_DIR))

import numpy as np  # noqa: E402

from bench_fit import make_data  # noqa: E402
from results_file import write_section  # noqa: E402

PREDICT_ROWS = 1_000_000
BAR_FIT_SPEEDUP, BAR_PREDICT_SPEEDUP, BAR_AUC = 10.0, 20.0, 0.001
LIBS = ("gbt-cuda", "gbt-cpu", "lightgbm")


def gbt_params(device: str) -> dict:
    return dict(objective="binary:logistic", grow_policy="depthwise", max_depth=8,
                max_leaves=255, learning_rate=0.1, max_bin=255, n_jobs=os.cpu_count(),
                min_child_weight=1e-3, min_child_samples=20, reg_lambda=0.0, device=device)


def fit(lib, X, y, trees):
    if lib.startswith("gbt"):
        import gbt
        return gbt.train(gbt_params(lib.split("-")[1]), gbt.Dataset(X, y), trees)
    import lightgbm as lgb
    params = dict(objective="binary", num_leaves=255, max_depth=8, learning_rate=0.1,
                  max_bin=255, num_threads=os.cpu_count(), min_child_samples=20,
                  min_sum_hessian_in_leaf=1e-3, lambda_l2=0.0, verbose=-1)
    return lgb.train(params, lgb.Dataset(X, y, params={"max_bin": 255, "verbose": -1}), trees)


def predict(lib, model, X):
    if lib.startswith("gbt"):
        return model.predict(X)  # the booster predicts on its training device
    return model.predict(X, num_threads=os.cpu_count())


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def measure(rows, trees, repeats, libs, log):
    from sklearn.metrics import roc_auc_score
    X, y, X_test, y_test = make_data(rows)
    X_pred = np.resize(X_test, (PREDICT_ROWS, X_test.shape[1]))
    wx, wy = X[:20_000], y[:20_000]
    for lib in libs:  # warm-up: compile kernels, start thread pools
        predict(lib, fit(lib, wx, wy, 5), wx[:1000])
    res = {lib: {"fit": [], "predict": [], "auc": None} for lib in libs}
    for rep in range(repeats):
        order = libs if rep % 2 == 0 else tuple(reversed(libs))
        for lib in order:
            seconds, model = timed(fit, lib, X, y, trees)
            res[lib]["fit"].append(seconds)
            res[lib]["auc"] = float(roc_auc_score(y_test, predict(lib, model, X_test)))
            for _ in range(3):
                res[lib]["predict"].append(timed(predict, lib, model, X_pred)[0])
            log(f"rows={rows} rep={rep} {lib}: fit {seconds:.2f} s, auc "
                f"{res[lib]['auc']:.5f}, predict {min(res[lib]['predict'][-3:]):.3f} s")
            del model
    return {"rows": rows, "trees": trees, "repeats": repeats, "results": {
        lib: {"fit_s": statistics.median(r["fit"]), "predict_s": statistics.median(r["predict"]),
              "auc": r["auc"], "fit_runs": r["fit"]} for lib, r in res.items()}}


def machine() -> dict:
    import cupy as cp
    props = cp.cuda.runtime.getDeviceProperties(0)
    import lightgbm
    return {"gpu": props["name"].decode(), "gpu_memory_gib": round(props["totalGlobalMem"] / 2**30, 1),
            "cpu_cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
            "cupy": cp.__version__, "lightgbm": lightgbm.__version__,
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def _ratio(a, b):
    return f"{a / b:.1f}×" if a is not None and b is not None else "not run"


def _bar(ok_value, threshold, text):
    if ok_value is None:
        return None
    return f"- {'PASS' if ok_value >= threshold else 'FAIL'}: {text} — {ok_value:.2f}×"


def _run_bars(run) -> dict[str, str | None]:
    """Each bar of one run: its text, or None where the run lacks the library it needs."""
    r = run["results"]
    gpu, cpu, lgbm = r["gbt-cuda"], r.get("gbt-cpu"), r.get("lightgbm")
    n = f"{run['rows']:,} rows"
    bars = {
        f"{n}, GPU fit ≥ 10× faster than the CPU path":
            _bar(cpu["fit_s"] / gpu["fit_s"] if cpu else None, BAR_FIT_SPEEDUP,
                 f"{n}, GPU fit ≥ 10× faster than the CPU path"),
        f"{n}, GPU fit ≥ 10× faster than LightGBM on all cores":
            _bar(lgbm["fit_s"] / gpu["fit_s"] if lgbm else None, BAR_FIT_SPEEDUP,
                 f"{n}, GPU fit ≥ 10× faster than LightGBM on all cores"),
        f"{n}, GPU AUC within 0.001 of the CPU path": None,
        f"{n} model, GPU prediction of 1,000,000 rows ≥ 20× faster than the CPU path":
            _bar(cpu["predict_s"] / gpu["predict_s"] if cpu else None, BAR_PREDICT_SPEEDUP,
                 f"{n} model, GPU prediction of 1,000,000 rows ≥ 20× faster than the CPU path"),
    }
    if cpu:
        auc = abs(gpu["auc"] - cpu["auc"])
        bars[f"{n}, GPU AUC within 0.001 of the CPU path"] = (
            f"- {'PASS' if auc <= BAR_AUC else 'FAIL'}: {n}, GPU AUC within 0.001 of the CPU "
            f"path — |{gpu['auc']:.5f} - {cpu['auc']:.5f}| = {auc:.5f}")
    return bars


def table(runs) -> tuple[str, list[str]]:
    """The rows of every run, and each bar once: from every run that measured it (runs at
    one size may each hold some of the libraries), or NOT MEASURED where none did."""
    lines = ["| rows | library | fit s | CPU path / this fit | LightGBM / this fit | test AUC | "
             "predict 1M rows s | CPU path / this predict |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    bars: dict[str, list[str]] = {}
    for run in runs:
        r = run["results"]
        cpu, lgbm = r.get("gbt-cpu"), r.get("lightgbm")
        for lib in LIBS:
            if lib not in r:
                continue
            x = r[lib]
            lines.append(
                f"| {run['rows']:,} | {lib} | {x['fit_s']:.2f} "
                f"| {_ratio(cpu and cpu['fit_s'], x['fit_s'])} "
                f"| {_ratio(lgbm and lgbm['fit_s'], x['fit_s'])} | {x['auc']:.5f} "
                f"| {x['predict_s']:.3f} | {_ratio(cpu and cpu['predict_s'], x['predict_s'])} |")
        for name, text in _run_bars(run).items():
            bars.setdefault(name, [])
            if text is not None:
                bars[name].append(text)
    out = [line for name, texts in bars.items()
           for line in (texts or [f"- NOT MEASURED: {name} — no run at this size has it"])]
    return "\n".join(lines), out


def write_results(runs, files):
    m = runs[0]["machine"]
    text = [
        "## bench_gpu.py: gbt on the GPU against its CPU path and LightGBM", "",
        f"Date: {m['date']}", "",
        "Commands (from the repository root, on the GPU machine; then here):", "", "```",
        *[f"python bench/bench_gpu.py --rows {r['rows']} --trees {r['trees']} --repeats "
          f"{r['repeats']} --libs {' '.join(r['results'])} --json {f}  # {r['machine']['date']}"
          for r, f in zip(runs, files)],
        f"python bench/bench_gpu.py --from-json {' '.join(files)}",
        "```", "",
        f"Machine: {m['gpu']} ({m['gpu_memory_gib']} GiB), {m['cpu_cores']} CPU cores "
        f"({m['cpu']}); CuPy {m['cupy']}, LightGBM {m['lightgbm']}. The CPU path and LightGBM "
        "use all cores. Standard synthetic binary problem (see bench_fit.py), 255 leaves "
        "depthwise to depth 8, learning rate 0.1, 255 bins; fit and predict seconds are medians "
        "over the repeats (3 predictions per fit), after an untimed warm-up fit of each. "
        "Ratios compare libraries of the same run (command) only.", "",
    ]
    body, bars = table(runs)
    text += [body, "", "### Bar", "", *bars]
    write_section(BENCH_DIR / "RESULTS.md", "bench_gpu", "\n".join(text))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--trees", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--libs", nargs="+", choices=LIBS, default=list(LIBS),
                    help="libraries to run (gbt-cuda is always run)")
    ap.add_argument("--json", help="write the measurements here")
    ap.add_argument("--from-json", nargs="+", help="write RESULTS.md from saved measurements")
    args = ap.parse_args(argv)
    if args.from_json:
        runs = [json.loads(Path(f).read_text()) for f in args.from_json]
        write_results(runs, args.from_json)
        return
    from gbt._native.gpu import _probe, cuda_available
    if not cuda_available():
        sys.exit(f"bench_gpu.py needs a GPU: {_probe()[1]}")
    libs = tuple(dict.fromkeys(["gbt-cuda", *args.libs]))
    run = measure(args.rows, args.trees, args.repeats, libs, lambda s: print(s, flush=True))
    run["machine"] = machine()
    print(json.dumps(run, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(run, indent=1))


if __name__ == "__main__":
    main()
