"""bench/RESULTS.md holds one section per benchmark script; each script rewrites only its own
section (between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``) and leaves the others."""
from __future__ import annotations

import re
from pathlib import Path

HEADER = ("# gbt benchmark results\n\nEach section below is written by the script it names; "
          "rerun that script to refresh it.\n")


def write_section(path: Path, name: str, text: str) -> None:
    """Replace (or append) section ``name`` of the results file with ``text``."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = path.read_text() if path.exists() else ""
    if not old.startswith(HEADER):
        # A file from before sections existed: keep nothing of it but the header.
        old = HEADER if "<!-- begin " not in old else old
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(old):
        new = pattern.sub(lambda _: block, old)
    else:
        new = old.rstrip() + "\n\n" + block
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new)
    tmp.replace(path)
