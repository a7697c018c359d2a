"""Model-file fuzzing (issue 11): mutated model files must load with ``ValueError`` or predict,
never crash, hang or run out of memory.

Cases come from ``tests/model_fuzz.py`` (seeded mutations of a few valid model files: JSON
value edits, deleted and added fields, truncated and lengthened lists, byte flips, truncated
files, huge numbers, deep nesting). They run in child processes, each case under a time limit
(``--case-seconds``) and the children under an address-space limit (``--memory-gib``); a child
that dies is restarted after the case it was running, which is counted as a crash.

    .venv/bin/python bench/fuzz_model.py                  # 100,000 cases, writes RESULTS.md
    .venv/bin/python bench/fuzz_model.py --cases 2000 --no-write
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from kernel_cache import use_kernel_cache  # noqa: E402
use_kernel_cache(REPO)
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))


def child(first: int, last: int, case_seconds: float, memory_gib: float, progress: Path):
    """Run cases [first, last); print one JSON line of outcome counts and failures."""
    limit = int(memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import model_fuzz

    def timeout(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, timeout)
    model_fuzz.seed_models()
    counts, failures = {}, []
    for seed in range(first, last):
        progress.write_text(str(seed))
        signal.setitimer(signal.ITIMER_REAL, case_seconds)
        try:
            outcome = model_fuzz.run_case(seed)
        except TimeoutError:
            outcome = "hang"
            failures.append({"seed": seed, "error": f"over {case_seconds} s"})
        except MemoryError:
            outcome = "out of memory"
            failures.append({"seed": seed, "error": "MemoryError"})
        except Exception as exc:  # the contract allows ValueError only (run_case catches it)
            outcome = "wrong exception"
            failures.append({"seed": seed, "error": f"{type(exc).__name__}: {exc}"[:300]})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        counts[outcome] = counts.get(outcome, 0) + 1
    print(json.dumps({"counts": counts, "failures": failures}))


def run(cases: int, chunk: int, case_seconds: float, memory_gib: float, log):
    counts, failures = {}, []
    progress = Path(f"/tmp/gbt_fuzz_progress_{os.getpid()}")
    start = 0
    while start < cases:
        last = min(cases, start + chunk)
        progress.write_text(str(start))
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(start), str(last),
             "--case-seconds", str(case_seconds), "--memory-gib", str(memory_gib),
             "--progress", str(progress)], capture_output=True, text=True)
        if proc.returncode == 0:
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            for k, v in out["counts"].items():
                counts[k] = counts.get(k, 0) + v
            failures += out["failures"]
            start = last
        else:  # the child died: the case it was on is a crash; go on after it
            seed = int(progress.read_text())
            counts["crash"] = counts.get("crash", 0) + 1
            failures.append({"seed": seed, "error": f"child exited with {proc.returncode}: "
                                                    f"{proc.stderr[-300:]}"})
            start = seed + 1
        log(f"{start}/{cases} cases: {counts}")
    progress.unlink(missing_ok=True)
    return counts, failures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--case-seconds", type=float, default=10.0)
    ap.add_argument("--memory-gib", type=float, default=4.0)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    ap.add_argument("--progress", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child, args.case_seconds, args.memory_gib, Path(args.progress))
        return
    t0 = time.perf_counter()
    counts, failures = run(args.cases, args.chunk, args.case_seconds, args.memory_gib,
                           lambda s: print(s, flush=True))
    seconds = time.perf_counter() - t0
    bad = sum(v for k, v in counts.items() if k not in ("rejected", "loaded"))
    for f in failures[:20]:
        print(f)
    if args.no_write:
        return
    from results_file import write_section
    date = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = "\n".join(f"| {k} | {v:,} |" for k, v in sorted(counts.items()))
    text = f"""## fuzz_model.py: mutated model files against the loader

Date: {date}

Command (from the repository root):

```
.venv/bin/python bench/fuzz_model.py --cases {args.cases}
```

{args.cases:,} seeded mutations of 5 valid model files (binary, condensed multi-class,
regression, NGBoost normal, categorical) in {seconds:.0f} s; each case loads the file with
`Booster.load_raw` and, if it loads, predicts on 20 rows. Per case at most
{args.case_seconds:g} s, per child process at most {args.memory_gib:g} GiB of address space.
"rejected": `ValueError`; "loaded": loaded and predicted. Anything else is a failure.

| outcome | cases |
|---|---:|
{rows}

### Bar

- {'PASS' if bad == 0 and args.cases >= 100_000 else 'FAIL'}: at least 100,000 cases with no crash, hang, out-of-memory or other exception — {bad} failure(s) in {args.cases:,}
"""
    write_section(REPO / "bench" / "RESULTS.md", "fuzz_model", text)


if __name__ == "__main__":
    main()
