"""Peak memory of a fit (issue 11): gbt against LightGBM on 1,000,000 x 28 float32 rows.

Each library fits in a fresh process (so nothing another fit left behind counts): the process
makes the data (float32, the standard synthetic problem's shape with 5% NaN in columns 0..5),
notes its resident memory, fits, and reports the peak resident memory (``ru_maxrss``) minus
the memory before the fit. The bar: gbt's peak increase at most 3x the raw data size.

    .venv/bin/python bench/bench_memory.py                 # writes bench/RESULTS.md
    .venv/bin/python bench/bench_memory.py --rows 100000 --no-write
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

BAR_RATIO = 3.0
LIBS = ("gbt", "lightgbm")


def make_data(rows: int, seed: int = 0):
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 28), dtype=np.float32)
    w = rng.standard_normal(28).astype(np.float32)
    y = (X[:, :14] @ w[:14] + rng.standard_normal(rows, dtype=np.float32) > 0).astype(np.float32)
    for col in range(6):
        X[rng.random(rows) < 0.05, col] = np.nan
    return X, y


def child(lib: str, rows: int, trees: int, threads: int):
    import psutil
    X, y = make_data(rows)
    if lib == "gbt":
        import gbt
        gbt.train({"objective": "binary:logistic", "n_jobs": threads, "max_depth": 3},
                  gbt.Dataset(X[:2000], y[:2000]), 1)  # load the compiled kernels first
        fit = lambda: gbt.train({"objective": "binary:logistic", "grow_policy": "lossguide",  # noqa: E731
                                 "max_leaves": 255, "max_depth": 0, "n_jobs": threads},
                                gbt.Dataset(X, y), trees)
    else:
        import lightgbm as lgb
        fit = lambda: lgb.train({"objective": "binary", "num_leaves": 255,  # noqa: E731
                                 "num_threads": threads, "verbose": -1},
                                lgb.Dataset(X, y), trees)
    before = psutil.Process().memory_info().rss
    fit()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"lib": lib, "before": before, "peak": peak, "data": X.nbytes}))


def measure(lib, rows, trees, threads):
    out = subprocess.run([sys.executable, __file__, "--child", lib, "--rows", str(rows),
                          "--trees", str(trees), "--threads", str(threads)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--trees", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", choices=LIBS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.rows, args.trees, args.threads)
        return
    runs = {lib: [] for lib in LIBS}
    for _ in range(args.repeats):
        for lib in LIBS:
            r = measure(lib, args.rows, args.trees, args.threads)
            runs[lib].append(r)
            print(lib, {k: f"{v / 2**20:.0f} MiB" for k, v in r.items() if k != "lib"},
                  flush=True)
    data = runs["gbt"][0]["data"]
    rows = []
    for lib in LIBS:
        increase = max(max(0, r["peak"] - r["before"]) for r in runs[lib])
        rows.append((lib, increase))
    table = "\n".join(f"| {lib} | {inc / 2**20:.0f} | {inc / data:.2f}× |" for lib, inc in rows)
    gbt_ratio = rows[0][1] / data
    text = f"""## bench_memory.py: peak memory of a fit

Date: {_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}

Command (from the repository root):

```
.venv/bin/python bench/bench_memory.py --rows {args.rows} --trees {args.trees} --repeats {args.repeats}
```

{args.rows:,} x 28 float32 rows ({data / 2**20:.0f} MiB raw, 5% NaN in 6 columns), binary
logistic, {args.trees} trees of 255 leaves, {args.threads} threads; each fit in a fresh process.
Peak increase: the process's peak resident memory during the fit minus its resident memory
just before (data made and, for gbt, compiled kernels loaded); the largest over {args.repeats}
process(es).

| library | peak increase MiB | / raw data |
|---|---:|---:|
{table}

### Bar

- {'PASS' if gbt_ratio <= BAR_RATIO else 'FAIL'}: gbt peak memory of the fit at most 3× the raw data — {gbt_ratio:.2f}×
"""
    print(text)
    if not args.no_write:
        from results_file import write_section
        write_section(REPO / "bench" / "RESULTS.md", "bench_memory", text)


if __name__ == "__main__":
    main()
