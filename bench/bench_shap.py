"""TreeSHAP benchmark: gbt's exact path-dependent SHAP values against ``shap.TreeExplainer`` on
the equivalent LightGBM model (which calls LightGBM's C++ TreeSHAP, ``pred_contrib=True``).

What it measures
----------------
* Data: LightGBM's HIGGS sample ``lightgbm/binary.train.gz`` (7,000 rows x 28 features, label
  in column 0) from ../shared/data (or GBT_DATA_DIR). Both libraries train on all 7,000 rows:
  binary logistic, 100 rounds, 255 leaves grown best-first (gbt: ``grow_policy="lossguide",
  max_leaves=255, max_depth=0``), learning rate 0.1, 255 bins, min 5 rows and 1e-3 hessian
  per leaf, no L2. SHAP values are computed for the first 1,000 rows.
* Per thread setting (1 thread and every usable core), in a fresh child process with
  ``OMP_NUM_THREADS`` set to it (LightGBM's OpenMP pool) and gbt's ``n_threads`` set to it:
  - ``gbt``: ``gbt.explain.shap_values(trees, tree_output, base_score, X1000, n_threads)``,
    one call as ``Booster.predict(pred_contribs=True)`` makes it (tree packing included).
  - ``shap``: ``explainer.shap_values(X1000)`` with ``explainer =
    shap.TreeExplainer(lgb_model)`` built once beforehand (its construction is reported
    apart).
  - ``gbt, same trees``: gbt on the LightGBM model's own trees (converted, with LightGBM's
    row counts as cover, since LightGBM's TreeSHAP weighs by counts): the same model on both
    sides, and the largest difference from LightGBM's values is reported (exactness check on
    255-leaf, ~20-30-deep trees).
  One untimed call each, then ``--repeats`` alternating rounds (A B C A B C ...); medians and
  ratios to ``shap``. The first call in a process (Numba cache load) is reported apart.
* The same for SHAP interaction values of the first ``--inter-rows`` rows (default 20):
  ``shap_interaction_values`` against ``explainer.shap_interaction_values`` (which shap
  computes with its own C++ code), with the largest difference on the same trees.
* Compile time: the first gbt call in a fresh process with an empty Numba cache, against the
  steady-state call in that process.

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_shap.py                  # prints markdown tables
    .venv/bin/python bench/bench_shap.py --repeats 3      # quicker
    .venv/bin/python bench/bench_shap.py --write          # also write its section of RESULTS.md

Needs ``shap`` and ``lightgbm``. NUMBA_CACHE_DIR defaults to the Makefile's folder
(kernel_cache.py).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
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

from tests.peer_trees import lightgbm_trees  # noqa: E402

DATA_DIR = Path(os.environ.get("GBT_DATA_DIR", REPO.parent / "shared" / "data"))
ROUNDS, LEAVES, EXPLAIN_ROWS = 100, 255, 1000
NOISY_CORES = 0.25


# --------------------------------------------------------------------------------------------
# Data and models
# --------------------------------------------------------------------------------------------
def load_higgs():
    import pandas as pd
    path = DATA_DIR / "lightgbm" / "binary.train.gz"
    if not path.exists():
        sys.exit(f"bench_shap: {path} not found (set GBT_DATA_DIR or check out ../shared/data)")
    df = pd.read_csv(path, sep="\t", header=None)
    y = df[0].to_numpy(dtype=np.float64)
    X = np.ascontiguousarray(df.drop(columns=0).to_numpy(dtype=np.float64))
    return X, y


def train_gbt(X, y, threads):
    import gbt
    params = dict(objective="binary:logistic", grow_policy="lossguide", max_leaves=LEAVES,
                  max_depth=0, learning_rate=0.1, max_bin=255, min_child_samples=5,
                  min_child_weight=1e-3, reg_lambda=0.0, n_jobs=threads)
    return gbt.train(params, gbt.Dataset(X, y), ROUNDS)


def train_lgb(X, y, threads):
    import lightgbm as lgb
    params = dict(objective="binary", num_leaves=LEAVES, learning_rate=0.1, max_bin=255,
                  min_child_samples=5, min_sum_hessian_in_leaf=1e-3, lambda_l2=0.0,
                  num_threads=threads, verbose=-1)
    return lgb.train(params, lgb.Dataset(X, y), ROUNDS)




def tree_stats(trees):
    leaves = [t.n_leaves for t in trees]
    depth = [t.depth() for t in trees]
    return (f"{np.mean(leaves):.0f} leaves/tree (min {min(leaves)}), depth mean "
            f"{np.mean(depth):.1f}, max {max(depth)}")


# --------------------------------------------------------------------------------------------
# Child process: one thread setting
# --------------------------------------------------------------------------------------------
def child(cfg):
    """Time gbt / shap / gbt-on-LightGBM-trees for one thread setting; prints RESULT json."""
    import warnings

    t0 = time.perf_counter()
    import gbt
    from gbt.explain import shap_interaction_values, shap_values
    import_s = time.perf_counter() - t0
    import lightgbm as lgb
    import shap
    from bench_fit import OtherCpu

    warnings.filterwarnings("ignore")
    threads = cfg["threads"]
    X, _ = load_higgs()
    X1 = np.ascontiguousarray(X[:EXPLAIN_ROWS])
    booster = gbt.Booster.load_model(cfg["gbt_model"])
    lgb_model = lgb.Booster(model_file=cfg["lgb_model"])
    same_trees = lightgbm_trees(lgb_model)
    zeros = [0] * len(same_trees)

    def run_gbt():
        return shap_values(booster.trees, booster.tree_output, booster.base_score, X1, threads)

    def run_same():
        return shap_values(same_trees, zeros, 0.0, X1, threads)

    t0 = time.perf_counter()
    explainer = shap.TreeExplainer(lgb_model)
    explainer_s = time.perf_counter() - t0

    def run_shap():
        return explainer.shap_values(X1)

    out = {"threads": threads, "import_s": import_s, "explainer_s": explainer_s,
           "times": {"gbt": [], "shap": [], "gbt_same": []}, "other": []}
    first = {}
    results = {}
    for name, fn in (("gbt", run_gbt), ("shap", run_shap), ("gbt_same", run_same)):
        t0 = time.perf_counter()
        results[name] = fn()
        first[name] = time.perf_counter() - t0
    out["first"] = first
    if cfg.get("compile_only"):
        t0 = time.perf_counter()
        run_gbt()
        out["steady_gbt"] = time.perf_counter() - t0
        print("RESULT " + json.dumps(out), flush=True)
        return
    fns = {"gbt": run_gbt, "shap": run_shap, "gbt_same": run_same}
    for _ in range(cfg["repeats"]):
        for name, fn in fns.items():
            with OtherCpu() as noise:
                t0 = time.perf_counter()
                fn()
                out["times"][name].append(time.perf_counter() - t0)
            out["other"].append(noise.cores)
    # Interaction values on fewer rows (shap computes them itself, in C++, one thread).
    n_inter = cfg.get("inter_rows", 0)
    if n_inter:
        Xi = np.ascontiguousarray(X1[:n_inter])
        inter_fns = {
            "gbt": lambda: shap_interaction_values(booster.trees, booster.tree_output,
                                                   booster.base_score, Xi, threads),
            "shap": lambda: explainer.shap_interaction_values(Xi),
            "gbt_same": lambda: shap_interaction_values(same_trees, zeros, 0.0, Xi, threads)}
        inter = {name: fn() for name, fn in inter_fns.items()}  # untimed first calls
        out["inter_times"] = {name: [] for name in inter_fns}
        for _ in range(cfg["repeats"]):
            for name, fn in inter_fns.items():
                with OtherCpu() as noise:
                    t0 = time.perf_counter()
                    fn()
                    out["inter_times"][name].append(time.perf_counter() - t0)
                out["other"].append(noise.cores)
        theirs = np.asarray(inter["shap"]).reshape(n_inter, X1.shape[1], X1.shape[1])
        out["inter_same_vs_shap"] = float(np.abs(inter["gbt_same"][:, :-1, :-1]
                                                 - theirs).max())
        out["inter_max_abs_value"] = float(np.abs(theirs).max())
    # Checks: additivity of ours, and ours vs LightGBM on the very same trees.
    margin = booster.predict(X1, output_margin=True)
    out["gbt_additivity"] = float(np.abs(results["gbt"].sum(axis=1) - margin).max())
    phi_lgb = np.asarray(results["shap"])
    phi_lgb = np.column_stack([phi_lgb.reshape(len(X1), -1),
                               np.full(len(X1), float(np.ravel(explainer.expected_value)[0]))])
    ref = lgb_model.predict(X1, pred_contrib=True)
    out["same_vs_lightgbm"] = float(np.abs(results["gbt_same"] - ref).max())
    out["shap_vs_lightgbm"] = float(np.abs(phi_lgb - ref).max())
    out["max_abs_value"] = float(np.abs(ref[:, :-1]).max())
    print("RESULT " + json.dumps(out), flush=True)


def run_child(cfg, env_extra):
    env = dict(os.environ, **env_extra)
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(cfg)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=7200)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"child failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def timing_table(results, key="times", fn="shap_values") -> str:
    first = key == "times"
    rows = ["| threads | what | s (median) | s (all runs) | × shap |"
            + (" first call s |" if first else ""),
            "|---:|---|---:|---|---:|" + ("---:|" if first else "")]
    label = {"gbt": f"gbt `{fn}` (gbt model)", "shap": "shap.TreeExplainer (LightGBM)",
             "gbt_same": f"gbt `{fn}` on the LightGBM trees"}
    for res in results:
        if key not in res:
            continue
        ref = statistics.median(res[key]["shap"])
        for name in ("gbt", "shap", "gbt_same"):
            ts = res[key][name]
            med = statistics.median(ts)
            rows.append(f"| {res['threads']} | {label[name]} | {med:.3f} | "
                        f"{' / '.join(f'{t:.3f}' for t in ts)} | {med / ref:.3f} |"
                        + (f" {res['first'][name]:.3f} |" if first else ""))
    return "\n".join(rows)


def check_lines(results, compile_res) -> list[str]:
    lines = []
    for key, what in (("times", ""), ("inter_times", "interactions, ")):
        for res in results:
            if key not in res:
                continue
            g = statistics.median(res[key]["gbt"])
            s = statistics.median(res[key]["shap"])
            lines.append(f"{'PASS' if g <= s else 'FAIL'}: {what}{res['threads']} thread(s): "
                         f"gbt {g:.3f} s ≤ shap.TreeExplainer {s:.3f} s ({g / s:.3f}×, "
                         f"{s / g:.1f}× faster)")
    res = results[-1]
    lines.append(f"gbt on LightGBM's own trees vs LightGBM's `pred_contrib`: max |diff| "
                 f"{res['same_vs_lightgbm']:.2e} (largest |value| {res['max_abs_value']:.2f})")
    if "inter_times" in res:
        lines.append(f"gbt interaction values on LightGBM's trees vs shap's: max |diff| "
                     f"{res['inter_same_vs_shap']:.2e} (largest |value| "
                     f"{res['inter_max_abs_value']:.2f})")
    lines.append(f"gbt additivity: max |sum of contributions − margin| "
                 f"{res['gbt_additivity']:.2e}")
    lines.append(f"shap.TreeExplainer(lgb_model) construction: "
                 f"{statistics.median(r['explainer_s'] for r in results):.2f} s (not in the "
                 "timings above)")
    if compile_res is not None:
        lines.append(f"gbt compile: first call with an empty Numba cache "
                     f"{compile_res['first']['gbt']:.2f} s vs steady "
                     f"{compile_res['steady_gbt']:.3f} s in the same process (compile ≈ "
                     f"{compile_res['first']['gbt'] - compile_res['steady_gbt']:.2f} s); "
                     f"with a warm cache the first call is in the table's last column")
    noisy = max(max(r["other"]) for r in results)
    if noisy > NOISY_CORES:
        lines.append(f"WARNING: other processes kept up to {noisy:.2f} cores busy during a "
                     "timed call; the timings are disturbed")
    return lines


def machine_lines():
    import platform

    import lightgbm
    import numba
    import shap
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    return [f"- CPU: {cpu}; usable cores = {len(os.sched_getaffinity(0))}",
            f"- Python {platform.python_version()}; numpy {np.__version__}, numba "
            f"{numba.__version__}, lightgbm {lightgbm.__version__}, shap {shap.__version__}"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5, help="alternating rounds (default 5)")
    p.add_argument("--threads", default=None,
                   help="comma-separated thread settings (default: 1 and all usable cores)")
    p.add_argument("--inter-rows", type=int, default=20,
                   help="rows for the interaction-value timing (default 20; 0 skips it)")
    p.add_argument("--skip-compile", action="store_true",
                   help="skip the empty-Numba-cache compile measurement")
    p.add_argument("--write", action="store_true",
                   help="write this script's section of bench/RESULTS.md")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(json.loads(args.child))
    log = lambda msg: print(f"[bench_shap] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    n_cores = len(os.sched_getaffinity(0))
    settings = sorted({1, n_cores}) if args.threads is None else \
        [int(s) for s in args.threads.split(",")]
    X, y = load_higgs()
    with tempfile.TemporaryDirectory(prefix="bench_shap_") as tmp:
        t0 = time.perf_counter()
        booster = train_gbt(X, y, n_cores)
        log(f"gbt trained in {time.perf_counter() - t0:.1f} s: {tree_stats(booster.trees)}")
        t0 = time.perf_counter()
        lgb_model = train_lgb(X, y, n_cores)
        log(f"LightGBM trained in {time.perf_counter() - t0:.1f} s: "
            f"{tree_stats(lightgbm_trees(lgb_model))}")
        gbt_path, lgb_path = os.path.join(tmp, "gbt.json"), os.path.join(tmp, "lgb.txt")
        booster.save_model(gbt_path)
        lgb_model.save_model(lgb_path)
        shapes = (f"gbt: {tree_stats(booster.trees)}; LightGBM: "
                  f"{tree_stats(lightgbm_trees(lgb_model))}")
        cfg = {"gbt_model": gbt_path, "lgb_model": lgb_path, "repeats": args.repeats,
               "inter_rows": args.inter_rows}
        results = []
        for threads in settings:
            log(f"{threads} thread(s) ...")
            env = {"OMP_NUM_THREADS": str(threads)}
            results.append(run_child({**cfg, "threads": threads}, env))
            r = results[-1]
            log("  " + ", ".join(f"{k} {statistics.median(v):.3f} s"
                                 for k, v in r["times"].items()))
        compile_res = None
        if not args.skip_compile:
            with tempfile.TemporaryDirectory(prefix="bench_shap_numba_") as cache:
                log("compile (empty Numba cache) ...")
                compile_res = run_child({**cfg, "threads": n_cores, "compile_only": True,
                                         "inter_rows": 0},
                                        {"NUMBA_CACHE_DIR": cache})
    case = (f"HIGGS sample (lightgbm/binary.train.gz, 7,000 x 28), {ROUNDS} rounds x "
            f"{LEAVES} leaves (loss-guided), SHAP values of {EXPLAIN_ROWS:,} rows; "
            f"{shapes}; {args.repeats} alternating rounds after one untimed call each.")
    table = timing_table(results)
    if args.inter_rows:
        table += (f"\n\nInteraction values of the first {args.inter_rows} rows "
                  "(`shap_interaction_values`; shap computes these itself):\n\n"
                  + timing_table(results, "inter_times", "shap_interaction_values"))
    checks = check_lines(results, compile_res)
    print(f"\n{case}\n")
    print(table)
    print()
    print("\n".join(f"- {line}" for line in checks))
    if args.write:
        from bench_fit import command_line
        from results_file import write_section
        now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        text = "\n".join(["## bench_shap.py: TreeSHAP vs shap.TreeExplainer (LightGBM)", "",
                          f"Date: {now}", "", "Command (from the repository root):", "",
                          "```", command_line(), "```", "", *machine_lines(), "", case, "",
                          table, "", *[f"- {line}" for line in checks], ""])
        write_section(BENCH_DIR / "RESULTS.md", "bench_shap", text)
        log("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
