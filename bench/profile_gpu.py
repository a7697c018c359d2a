"""Where a GPU fit's time goes: cProfile of ``gbt.train(device="cuda")`` on the standard
synthetic problem (see bench_gpu.py), after a warm-up fit.

    python bench/profile_gpu.py --rows 1000000 --trees 50 [--top 30]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba_cache"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_gpu import gbt_params  # noqa: E402
from bench_fit import make_data  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--trees", type=int, default=50)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    import gbt
    X, y, _, _ = make_data(args.rows)
    gbt.train(gbt_params("cuda"), gbt.Dataset(X[:20000], y[:20000]), 3)
    start = time.perf_counter()
    gbt.train(gbt_params("cuda"), gbt.Dataset(X, y), args.trees)
    wall = time.perf_counter() - start
    print(f"rows={args.rows} trees={args.trees}: {wall:.2f} s, "
          f"{1000 * wall / args.trees:.2f} ms per tree (no profiler)")
    prof = cProfile.Profile()
    prof.enable()
    gbt.train(gbt_params("cuda"), gbt.Dataset(X, y), args.trees)
    prof.disable()
    stats = pstats.Stats(prof).strip_dirs()
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
