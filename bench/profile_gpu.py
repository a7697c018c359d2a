"""Where a GPU fit's time goes, on the standard synthetic problem (see bench_gpu.py), after a
warm-up fit: the wall time per tree, the host time in the tree loop and the device time of
each CUDA kernel (events around every launch), then cProfile of the fit.

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
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_gpu import gbt_params  # noqa: E402
from bench_fit import make_data  # noqa: E402


def phase_times(gbt, X, y, trees):
    """ms per tree: host time in DeviceTreeGrower.grow, and the device time of each CUDA
    kernel of gbt (events recorded around every launch, read after the fit)."""
    import cupy as cp
    from gbt._native.gpu import grow, kernels
    events = {}
    fn = kernels._fn

    def timed_fn(name, template=()):
        kernel = fn(name, template)

        def launch(*args, **kwargs):
            start, end = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            kernel(*args, **kwargs)
            end.record()
            events.setdefault(name, []).append((start, end))
        return launch

    host = []
    grow_fn = grow.DeviceTreeGrower.grow

    def timed_grow(self, *args):
        start = time.perf_counter()
        out = grow_fn(self, *args)
        host.append(time.perf_counter() - start)
        return out

    kernels._fn, grow.DeviceTreeGrower.grow = timed_fn, timed_grow
    try:
        start = time.perf_counter()
        gbt.train(gbt_params("cuda"), gbt.Dataset(X, y), trees)
        wall = time.perf_counter() - start
    finally:
        kernels._fn, grow.DeviceTreeGrower.grow = fn, grow_fn
    cp.cuda.Device().synchronize()
    print(f"\nms per tree ({trees} trees, timed launches): fit wall {1000 * wall / trees:.2f}, "
          f"host time in grow() {1000 * sum(host) / trees:.2f}")
    total = 0.0
    for name, pairs in sorted(events.items(), key=lambda kv: kv[0]):
        ms = sum(cp.cuda.get_elapsed_time(a, b) for a, b in pairs) / trees
        total += ms
        print(f"  {name:24s} {ms:7.3f} ms per tree ({len(pairs) / trees:.1f} launches)")
    print(f"  {'all gbt kernels':24s} {total:7.3f} ms per tree")


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
    phase_times(gbt, X, y, args.trees)
    prof = cProfile.Profile()
    prof.enable()
    gbt.train(gbt_params("cuda"), gbt.Dataset(X, y), args.trees)
    prof.disable()
    stats = pstats.Stats(prof).strip_dirs()
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
