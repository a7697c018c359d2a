"""Command-line reading benchmark: how long ``gbt train`` takes to read a Parquet file into its
training Dataset, against pyarrow alone reading the same file into numpy.

What it measures
----------------
* Data: ``lightgbm/binary.train.gz`` from ../shared/data (HIGGS rows: a 0/1 label and 28
  numeric features), its 7,000 rows tiled to ``--rows`` (default 1,000,000) and written once
  to a temporary Parquet file with pyarrow's defaults: 28 feature columns plus the label.
* pyarrow alone: ``pq.read_table(path)`` then every column ``to_numpy()`` stacked into one
  (n_rows, 29) float64 array (``np.column_stack``).
* gbt: what ``gbt train FILE --target label`` does before it bins: ``gbt.io.read_data`` (the
  same multi-threaded pyarrow read, string columns dictionary-encoded), the target taken out,
  and ``gbt.Dataset`` built from the remaining table (validated float64 feature matrix).
* The two alternate (pyarrow, gbt, pyarrow, gbt; order reversed every other round) for
  ``--repeats`` rounds; medians and their ratio are reported. One untimed warm-up of each first.
* Fresh processes, alternating: pyarrow alone (imports, read, numpy) against the "read data"
  phase ``gbt train --verbose`` prints (from after ``import gbt`` to the Dataset built: its
  lazy imports, the read, the target's coding, the Dataset).
* Bar: gbt's read time at most 2x pyarrow's, in process and as ``gbt train``.

How to run (from the repository root)
-------------------------------------
    .venv/bin/python bench/bench_cli.py                 # writes its section of RESULTS.md
    .venv/bin/python bench/bench_cli.py --rows 200000 --repeats 3 --no-write
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(ROOT)

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import gbt  # noqa: E402
from gbt.io import read_data  # noqa: E402
from results_file import write_section  # noqa: E402

DATA_DIR = Path(os.environ.get("GBT_DATA_DIR", ROOT.parent / "shared" / "data"))


def make_file(path: Path, rows: int) -> None:
    import pandas as pd
    src = DATA_DIR / "lightgbm" / "binary.train.gz"
    if not src.exists():
        sys.exit(f"needs {src} (../shared/data or GBT_DATA_DIR)")
    df = pd.read_csv(src, sep="\t", header=None)
    values = df.to_numpy(np.float64)
    reps = -(-rows // len(values))
    values = np.tile(values, (reps, 1))[:rows]
    names = ["label"] + [f"f{j}" for j in range(values.shape[1] - 1)]
    pq.write_table(pa.table({n: values[:, j] for j, n in enumerate(names)}), path)


def read_pyarrow(path: Path) -> np.ndarray:
    table = pq.read_table(path)
    return np.column_stack([c.to_numpy() for c in table.columns])


def read_gbt(path: Path):
    data = read_data(str(path))
    y = data.pop("label")
    return gbt.Dataset(data.features(), y)


def timed(fn, path):
    start = time.perf_counter()
    fn(path)
    return time.perf_counter() - start


# pyarrow alone in a fresh process: its imports count, as the CLI's lazy ones do.
PYARROW_SCRIPT = """import time, sys
t = time.perf_counter()
import numpy as np, pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
X = np.column_stack([c.to_numpy() for c in table.columns])
print(time.perf_counter() - t)
"""


def fresh_pyarrow(path: Path) -> float:
    proc = subprocess.run([sys.executable, "-c", PYARROW_SCRIPT, str(path)],
                          capture_output=True, text=True, check=True)
    return float(proc.stdout.strip())


def fresh_cli(path: Path, out: Path) -> dict:
    """``gbt train --verbose`` phases (seconds by phase name) in a fresh process; its
    "read data" phase starts after ``import gbt`` and ends with the Dataset built."""
    proc = subprocess.run([sys.executable, "-m", "gbt", "train", str(path), "--target", "label",
                           "--num-boost-round", "10", "--set", "n_jobs=1", "--verbose",
                           "--quiet", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise RuntimeError(f"gbt train failed: {proc.stderr.strip()[-300:]}")
    phases = {}
    for line in proc.stderr.splitlines():
        if line.startswith("[time] "):
            name, value = line[len("[time] "):].rsplit(": ", 1)
            phases[name] = float(value.split()[0])
    return phases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--fresh-repeats", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "higgs.parquet"
        make_file(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        read_pyarrow(path), read_gbt(path)  # warm-up: imports, page cache
        times = {"pyarrow": [], "gbt": []}
        for r in range(args.repeats):
            order = ("pyarrow", "gbt") if r % 2 == 0 else ("gbt", "pyarrow")
            for name in order:
                times[name].append(timed(read_pyarrow if name == "pyarrow" else read_gbt, path))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()),
                  file=sys.stderr)
        fresh = {"pyarrow": [], "cli": [], "train": []}
        for r in range(args.fresh_repeats):
            order = ("pyarrow", "cli") if r % 2 == 0 else ("cli", "pyarrow")
            for name in order:
                if name == "pyarrow":
                    fresh["pyarrow"].append(fresh_pyarrow(path))
                else:
                    phases = fresh_cli(path, Path(tmp) / "m.json")
                    fresh["cli"].append(phases["read data"])
                    fresh["train"].append(phases["train"])
            print(f"fresh round {r + 1}: pyarrow {fresh['pyarrow'][-1]:.3f}s, gbt train read "
                  f"{fresh['cli'][-1]:.3f}s", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["gbt"] / med["pyarrow"]
    fmed = {k: statistics.median(v) for k, v in fresh.items()}
    fresh_ratio = fmed["cli"] / fmed["pyarrow"]
    today = _dt.date.today().isoformat()
    lines = [
        "## Command line: reading a Parquet file (bench/bench_cli.py)",
        "",
        f"Run {today}: `.venv/bin/python bench/bench_cli.py --rows {args.rows} "
        f"--repeats {args.repeats}`. HIGGS rows (lightgbm/binary.train.gz) tiled to "
        f"{args.rows:,} rows x 29 columns (28 features + label), Parquet {size_mb:.0f} MB; "
        f"medians of {args.repeats} alternating rounds.",
        "",
        "| reader | median s | min s | max s | ratio to pyarrow |",
        "|---|---|---|---|---|",
    ]
    for name, label in (("pyarrow", "pyarrow: read_table + to_numpy, column_stack"),
                        ("gbt", "gbt: read_data + gbt.Dataset (what `gbt train` does)")):
        v = times[name]
        lines.append(f"| {label} | {med[name]:.3f} | {min(v):.3f} | {max(v):.3f} | "
                     f"{med[name] / med['pyarrow']:.2f} |")
    lines += ["", "Fresh processes (imports included; medians of "
                  f"{args.fresh_repeats} alternating runs):", "",
              "| reader | median s | ratio to pyarrow |", "|---|---|---|",
              f"| pyarrow alone: import + read + numpy | {fmed['pyarrow']:.3f} | 1.00 |",
              f"| `gbt train FILE --target label --verbose`: its 'read data' phase | "
              f"{fmed['cli']:.3f} | {fresh_ratio:.2f} |", "",
              f"Bar (gbt at most 2x pyarrow), in process: {'PASS' if ratio <= 2 else 'FAIL'} "
              f"({ratio:.2f}x); as `gbt train` in a fresh process: "
              f"{'PASS' if fresh_ratio <= 2 else 'FAIL'} ({fresh_ratio:.2f}x).", "",
              f"For context, the same runs' 10 training rounds at n_jobs=1 took "
              f"{fmed['train']:.2f} s (median)."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(ROOT / "bench" / "RESULTS.md", "bench_cli", text)


if __name__ == "__main__":
    main()
