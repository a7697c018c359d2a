"""Distributed (gbt.dask) against single-machine training on one machine.

What it measures
----------------
* Data: 1,000,000 x 28 float32 features (standard normal, 5% NaN) with a non-linear
  regression target, generated *on the workers* as a dask array of 8 row chunks and persisted
  there; the single-machine fit gets the same rows as one numpy array.
* Configurations, alternating (A B A B ...) after one untimed warm-up each (JIT caches loaded):
  A = ``gbt.dask.train`` on a LocalCluster of 2 worker processes x 1 thread;
  B = ``gbt.train`` with ``n_jobs=2``.
  Both: 100 trees, depth 6, learning rate 0.3, 255 bins, squared error; the timed region is
  the whole fit (sketch / cut points, binning, trees).
* Reported: median seconds and the ratio A / B (the bar is <= 2x), the maximum absolute
  difference between the two models' predictions, the histogram bytes moved per tree (measured
  and by formula) and a projection of the time per tree for 100 workers on 1e9 rows over a
  10 Gbit/s network.

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_dask.py                       # 3 repeats, prints the table
    .venv/bin/python bench/bench_dask.py --rows 100000 --repeats 1   # quick check
    .venv/bin/python bench/bench_dask.py --results bench/RESULTS.md  # also write the section
"""
from __future__ import annotations

import argparse
import datetime
import math
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)  # workers inherit it

import numpy as np  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from results_file import write_section  # noqa: E402

N_FEATURES = 28
WORKERS = 2
LINK_BYTES_PER_S = 10e9 / 8  # 10 Gbit/s
HOP_LATENCY_S = 0.5e-3       # one message between two machines on a LAN


def make_block(block_id, rows, seed):
    """One row chunk of the data set (features, target), deterministic per chunk."""
    rng = np.random.default_rng([seed, block_id])
    X = rng.standard_normal((rows, N_FEATURES)).astype(np.float32)
    y = (np.sin(X[:, 0]) * 2 + X[:, 1] * X[:, 2] + np.abs(X[:, 3]) - X[:, 4]
         + 0.3 * rng.standard_normal(rows)).astype(np.float64)
    X[rng.random(X.shape) < 0.05] = np.nan
    return X, y


def dask_data(client, n_rows, n_chunks, seed):
    """(X, y) dask arrays whose chunks are computed and kept on the workers."""
    import dask
    import dask.array as da
    sizes = [n_rows // n_chunks + (i < n_rows % n_chunks) for i in range(n_chunks)]
    blocks = [dask.delayed(make_block, pure=True)(i, s, seed) for i, s in enumerate(sizes)]
    X = da.concatenate([da.from_delayed(b[0], (s, N_FEATURES), np.float32)
                        for b, s in zip(blocks, sizes)])
    y = da.concatenate([da.from_delayed(b[1], (s,), np.float64) for b, s in zip(blocks, sizes)])
    X, y = client.persist([X, y])
    from distributed import wait
    wait([X, y])
    return X, y, sizes


def host_data(n_rows, n_chunks, seed, sizes):
    parts = [make_block(i, s, seed) for i, s in enumerate(sizes)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def bytes_formula(workers, features, bins, outputs, hist_nodes):
    """Histogram bytes moved per tree: each of the tree's built histograms (root + the
    smaller child of every split that may split again) is a float64 (g, h) pair per
    (feature, bin, output); every worker's partial sum moves once up the reduction tree and
    the root's sum once to the driver: W transfers of each."""
    return workers * hist_nodes * features * bins * outputs * 2 * 8


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunks", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", type=Path, default=None,
                    help="write the table into this results file (default: print only)")
    args = ap.parse_args(argv)

    import gbt
    import gbt.dask as gd
    from distributed import Client, LocalCluster

    params = {"objective": "reg:squarederror", "max_depth": 6, "learning_rate": 0.3,
              "max_bin": 255}
    cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=40)
    client = Client(cluster)
    try:
        X, y, sizes = dask_data(client, args.rows, args.chunks, args.seed)
        Xh, yh = host_data(args.rows, args.chunks, args.seed, sizes)
        ds = gd.DaskDataset(X, y)
        # Warm-up: JIT caches loaded in every process.
        small = gd.DaskDataset(X[:20000], y[:20000])
        gd.train(client, params, small, 2)
        gbt.train(dict(params, n_jobs=2), gbt.Dataset(Xh[:20000], yh[:20000]), 2)
        times = {"dask": [], "single": []}
        phases = []
        for r in range(args.repeats):
            t = time.perf_counter()
            dist = gd.train(client, params, ds, args.trees)
            times["dask"].append(time.perf_counter() - t)
            phases.append((dist.distributed_stats["seconds_setup"],
                           dist.distributed_stats["seconds_boosting"]))
            t = time.perf_counter()
            single = gbt.train(dict(params, n_jobs=2), gbt.Dataset(Xh, yh), args.trees)
            times["single"].append(time.perf_counter() - t)
            print(f"repeat {r}: dask {times['dask'][-1]:.2f} s, single "
                  f"{times['single'][-1]:.2f} s", flush=True)
        probe = Xh[:200_000]
        diff = float(np.abs(dist.predict(probe) - single.predict(probe)).max())
        stats = dist.distributed_stats
    finally:
        client.close()
        cluster.close()
    text = report(args, params, times, phases, diff, stats, single)
    print(text)
    if args.results is not None:
        write_section(args.results, "bench_dask", text)


def report(args, params, times, phases, diff, stats, single):
    med_d, med_s = statistics.median(times["dask"]), statistics.median(times["single"])
    setup = statistics.median(p[0] for p in phases)
    boosting = statistics.median(p[1] for p in phases)
    ratio = med_d / med_s
    bins = params["max_bin"] + 1
    measured = statistics.median(stats["bytes_per_tree"])
    leaves = statistics.median([int((t.left < 0).sum()) for t in single.trees])
    hist_nodes = 2 ** (params["max_depth"] - 1)  # root + small children of levels 1..D-1
    formula = bytes_formula(WORKERS, N_FEATURES, bins, 1, hist_nodes)
    # Projection: 100 workers x 1e7 rows each. Compute per tree scales with a worker's rows
    # (measured here: 2 workers x rows/2 each, single-threaded); communication per tree is
    # the tree's histograms going up the reduction tree (the driver its root, two children
    # per node: ceil(log2(W + 2)) - 1 hops), each hop receiving two children's partial sums
    # over one link, plus a message latency per hop per level.
    W, n_big = 100, 1e9
    per_tree_here = boosting / args.trees
    compute = per_tree_here * (n_big / W) / (args.rows / WORKERS)
    hops = math.ceil(math.log2(W + 2)) - 1
    one_copy = formula / WORKERS
    comm = hops * 2 * one_copy / LINK_BYTES_PER_S + hops * params["max_depth"] * HOP_LATENCY_S
    lines = [
        "## Distributed training on Dask (bench/bench_dask.py)",
        "",
        f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{shlex.join(['.venv/bin/python', 'bench/bench_dask.py'] + sys.argv[1:])}`",
        "",
        f"{args.rows:,} x {N_FEATURES} rows, {args.trees} trees, depth "
        f"{params['max_depth']}, {params['max_bin']} bins, squared error; median of "
        f"{args.repeats} alternating runs (whole fit: cut points, binning, trees).",
        "",
        "| configuration | median fit (s) | runs (s) | ratio vs single machine |",
        "|---|---|---|---|",
        f"| gbt.dask.train, LocalCluster 2 workers x 1 thread | {med_d:.2f} | "
        f"{', '.join(f'{t:.2f}' for t in times['dask'])} | {ratio:.2f}x |",
        f"| gbt.train, n_jobs=2 | {med_s:.2f} | "
        f"{', '.join(f'{t:.2f}' for t in times['single'])} | 1.00x |",
        "",
        f"Bar: distributed overhead <= 2x: **{'met' if ratio <= 2 else 'NOT met'}** "
        f"({ratio:.2f}x). Distributed fit, median: {setup:.2f} s setup (load partitions, "
        f"sketch, merge, bin) + {boosting:.2f} s boosting "
        f"({boosting / args.trees * 1e3:.0f} ms/tree). Max |prediction difference| "
        f"(200,000 rows): {diff:.2e} (same cut points, same trees).",
        "",
        f"Histogram bytes moved per tree: measured median {measured / 1e6:.2f} MB; formula "
        f"`W x H x F x B x K x 16` bytes with W workers, H histograms built per tree (root + "
        f"the smaller child of each split whose children may split again; "
        f"{hist_nodes} = 2^(depth-1) for a full depth-{params['max_depth']} tree, about half "
        f"the leaves), F features, B = max_bin + 1 bins, K outputs, 16 = float64 (g, h): "
        f"{WORKERS} x {hist_nodes} x {N_FEATURES} x {bins} x 1 x 16 = {formula / 1e6:.2f} MB "
        f"(median leaves per tree here: {leaves:.0f}). Linear in workers, features, bins and "
        "leaves; independent of rows.",
        "",
        f"Projection, 100 workers, 1e9 rows (1e7 per worker), 10 Gbit/s: compute "
        f"{compute:.2f} s/tree (this run's boosting time, {per_tree_here * 1e3:.0f} ms/tree "
        f"at {args.rows // WORKERS:,} rows per single-threaded worker, scaled by rows per "
        f"worker; an upper bound, as it includes this run's messaging) + communication "
        f"{comm * 1e3:.0f} ms/tree ({hops} tree-reduction hops x 2 x "
        f"{one_copy / 1e6:.2f} MB at 1.25 GB/s + {hops} x {params['max_depth']} levels x "
        f"{HOP_LATENCY_S * 1e3:.1f} ms latency) = **{compute + comm:.2f} s per tree** "
        f"(total {W * one_copy / 1e6:.0f} MB of histograms per tree across the cluster).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
