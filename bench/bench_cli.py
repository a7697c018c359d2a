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
* Also ``gbt train --verbose`` end to end on the file in a subprocess (10 rounds), its phase
  times as printed, for context.
* Bar: gbt's read time at most 2x pyarrow's.

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
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

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


def cli_phases(path: Path, out: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "gbt", "train", str(path), "--target", "label",
                           "--num-boost-round", "10", "--verbose", "--quiet", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        return f"failed: {proc.stderr.strip()[-200:]}"
    return "; ".join(line.replace("[time] ", "") for line in proc.stderr.splitlines()
                     if line.startswith("[time]"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
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
        phases = cli_phases(path, Path(tmp) / "m.json")
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["gbt"] / med["pyarrow"]
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
    lines += ["", f"Bar (gbt at most 2x pyarrow): {'PASS' if ratio <= 2 else 'FAIL'} "
                  f"({ratio:.2f}x).", "",
              f"`gbt train --verbose` on the file, 10 rounds, phases: {phases}."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(ROOT / "bench" / "RESULTS.md", "bench_cli", text)


if __name__ == "__main__":
    main()
