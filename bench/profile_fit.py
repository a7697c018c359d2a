"""Where gbt's fit time goes, phase by phase, on bench_fit.py's cases (issue 12's profile).

Each phase is the wall time of the calls to the function that does it, caught by a wrapper
put around that function for the run (about a microsecond a call):

* bin edges: ``BinMapper.fit``, the weighted quantile sketch of every feature;
* binning: ``BinMapper.transform_pair``, the binned matrix and its feature-major copy;
* gradients: ``Margins.grad_hess``, the objective's gradients and hessians;
* finite check: the engine's check that they are finite;
* grow kernel: ``grow_tree_categorical``, the compiled loop that grows one tree
  (histograms, split search, row partition);
* leaf of rows: ``leaf_of_rows``, each row's leaf for the margin update;
* tree tables: ``TreeGrower._build_tree``, the Tree's arrays from the node tables;
* margin update: ``add_leaf_values``, each row's new margin;
* rest: the fit as bench_fit.py times it (``gbt.Dataset`` and ``gbt.train``) less the phases:
  the Dataset, the grower's buffers and sparse index, per-round copies, Python glue.

On the same data and settings as bench_fit.py (gbt_params, lgb_params; two threads), each
phase's median over ``--repeats`` fits (the rest's taken per fit), and beside it the median of
LightGBM's whole fit (its Dataset included), run in turn with gbt's. Where a round's trees
grow side by side, one per thread (a multi-class fit on few rows: letter), the phases inside
a tree add up the threads' time (waits for the GIL included) and can exceed the fit's wall
time, so no rest is given.

How to run (from the repository root; about four minutes):
    .venv/bin/python bench/profile_fit.py              # writes its section of RESULTS.md
    .venv/bin/python bench/profile_fit.py --cases protein,agaricus --repeats 1 --no-write
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)
sys.path.insert(0, str(REPO))

import bench_fit as bf  # noqa: E402
from results_file import write_section  # noqa: E402

# (phase, owner, attribute): the function each phase times
PHASES = (
    ("bin edges", "gbt.binning:BinMapper", "fit"),
    ("binning", "gbt.binning:BinMapper", "transform_pair"),
    ("gradients", "gbt.device:Margins", "grad_hess"),
    ("finite check", "gbt.engine", "_check_finite_gradients"),
    ("grow kernel", "gbt._native.cpu.grow", "grow_tree_categorical"),
    ("leaf of rows", "gbt._native.cpu.grow", "leaf_of_rows"),
    ("tree tables", "gbt.grower:TreeGrower", "_build_tree"),
    ("margin update", "gbt._native.cpu.predict", "add_leaf_values"),
)
# Phases inside one tree's growth: side by side trees overlap them across threads.
IN_A_TREE = ("grow kernel", "leaf of rows", "tree tables")


def _owner(spec):
    import importlib
    module, _, name = spec.partition(":")
    owner = importlib.import_module(module)
    return getattr(owner, name) if name else owner


class PhaseTimer:
    """Inside ``with timer:``, every call of a PHASES function adds its wall time to
    ``seconds[phase]`` (from any thread)."""

    def __init__(self):
        self.seconds = {}
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()

    def _timed(self, phase, function):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t0
                with self._lock:
                    self.seconds[phase] = self.seconds.get(phase, 0.0) + elapsed
        return timed

    def __enter__(self):
        try:
            for phase, spec, attribute in PHASES:
                owner = _owner(spec)
                # plain functions and Numba dispatchers only (a staticmethod would need its
                # own wrapper)
                original = owner.__dict__[attribute] if isinstance(owner, type) \
                    else getattr(owner, attribute)
                setattr(owner, attribute, self._timed(phase, original))
                self._stack.callback(setattr, owner, attribute, original)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self._stack.close()


def side_by_side(case, data, threads) -> bool:
    """Whether gbt grows each round's trees side by side on this case (gbt.rounds)."""
    from gbt._native.backend import round_workers
    X = data[0]
    return case.task.kind == "multiclass" and round_workers(threads, *X.shape) > 1


def profile_case(case, trees, threads, repeats, log):
    """Median seconds of each phase, of the rest, of gbt's whole fit ("fit") and of
    LightGBM's ("lightgbm") over ``repeats`` fits of each, in turn; "side_by_side": see
    :func:`side_by_side`."""
    data = case.load()
    X, y = data[0], data[1]
    libs, skipped = bf.load_libraries(["gbt", "lightgbm"])
    if skipped:
        raise SystemExit(f"profile_fit: {skipped}")
    for lib in libs:
        bf.warm_up(lib, X, y, case.task, threads)
    runs = []
    for r in range(repeats):
        bf.release_free_memory()
        with PhaseTimer() as timer:
            t0 = time.perf_counter()
            bf.gbt_fit(X, y, trees, threads, case.task)
            fit = time.perf_counter() - t0
        missed = {phase for phase, _, _ in PHASES} - set(timer.seconds)
        if missed:  # a wrapper no longer sees its calls: the rest would absorb them
            raise SystemExit(f"profile_fit: no calls timed for {sorted(missed)}")
        t0 = time.perf_counter()
        bf.lgb_fit(X, y, trees, threads, case.task)
        runs.append({**timer.seconds, "fit": fit, "rest": fit - sum(timer.seconds.values()),
                     "lightgbm": time.perf_counter() - t0})
        log(f"[profile] {case.name} {r + 1}/{repeats}: gbt {fit:.3f} s, lightgbm "
            f"{runs[-1]['lightgbm']:.3f} s")
    keys = [phase for phase, _, _ in PHASES] + ["rest", "fit", "lightgbm"]
    return {**{key: statistics.median(run[key] for run in runs) for key in keys},
            "side_by_side": side_by_side(case, data, threads)}


def trees_grown(case, trees):
    return trees * (case.task.num_class if case.task.kind == "multiclass" else 1)


def table(profiles, cases, trees) -> list[str]:
    """Phases as rows, cases as columns: milliseconds and share of gbt's fit (``profiles``:
    case name -> :func:`profile_case`'s dict; ``cases``: case name -> bench_fit Case)."""
    names = list(profiles)
    lines = ["| phase | " + " | ".join(names) + " |",
             "|---|" + "---:|" * len(names)]

    def cell(name, seconds):
        share = seconds / profiles[name]["fit"]
        return f"{seconds * 1e3:.1f} ms ({share:.1%})"
    for phase, _, _ in PHASES:
        lines.append(f"| {phase} | " + " | ".join(cell(n, profiles[n][phase]) for n in names)
                     + " |")
    lines.append("| rest | " + " | ".join("–" if profiles[n]["side_by_side"]
                                          else cell(n, profiles[n]["rest"])
                                          for n in names) + " |")
    lines.append("| **gbt fit** | " + " | ".join(f"**{profiles[n]['fit']:.3f} s**"
                                                   for n in names) + " |")
    lines.append("| grow kernel per tree | " + " | ".join(
        f"{profiles[n]['grow kernel'] / trees_grown(cases[n], trees) * 1e3:.2f} ms"
        for n in names) + " |")
    lines.append("| LightGBM's whole fit | " + " | ".join(
        f"{profiles[n]['lightgbm']:.3f} s ({profiles[n]['fit'] / profiles[n]['lightgbm']:.2f}×)"
        for n in names) + " |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=",".join(bf.ALL_CASES),
                    help="comma-separated bench_fit.py cases (default: all)")
    ap.add_argument("--rows", type=int, default=200_000, help="as bench_fit.py's --rows")
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = ap.parse_args(argv)
    all_cases = bf.build_cases(args.rows)
    names = [n for n in args.cases.split(",") if n]
    unknown = [n for n in names if n not in all_cases]
    if unknown:
        ap.error(f"unknown cases {unknown}; choose from {list(all_cases)}")
    cases = {n: all_cases[n] for n in names if not all_cases[n].missing_files()}
    skipped = [n for n in names if n not in cases]

    def log(message):
        print(message, file=sys.stderr, flush=True)
    profiles = {n: profile_case(case, args.trees, args.threads, args.repeats, log)
                for n, case in cases.items()}
    lines = ["## profile_fit.py: where gbt's fit time goes", "",
             f"Date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             "Command (from the repository root):", "", "```", bf.command_line(), "```", "",
             f"bench_fit.py's cases and settings, {args.trees} rounds, {args.threads} "
             f"threads. Each phase is the wall time of the function that does it (see the "
             f"script's docstring); the rest is the fit, as bench_fit.py times it (the "
             f"Dataset included), less the phases. Medians over {args.repeats} fits, each "
             "phase's and the rest's on their own, with their share of gbt's whole fit; "
             "LightGBM's whole fit (its Dataset included) run in turn, gbt's time over "
             "LightGBM's in brackets. Grow kernel per tree: the kernel's time over the "
             "trees grown."]
    overlapped = [n for n in profiles if profiles[n]["side_by_side"]]
    if overlapped:
        lines[-1] += (f" {', '.join(overlapped)}: each round's trees grow side by side, one "
                      "per thread, so the phases inside a tree add up the threads' time "
                      "(thread time per tree on the last line but one) and no rest is given.")
    lines += [""] + table(profiles, cases, args.trees)
    if skipped:
        lines += ["", f"Skipped (data files missing): {', '.join(skipped)}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_section(REPO / "bench" / "RESULTS.md", "profile_fit", text)


if __name__ == "__main__":
    main()
