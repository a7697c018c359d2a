"""The Numba cache folder for bench scripts: named by a checksum of the kernel sources.

Numba reuses a cached kernel when the kernel's own file is unchanged, without looking at the
files of the kernels it calls and inlines; after an edit to one of those, a cache kept in
one fixed folder runs the old code, and a benchmark times it. The Makefile names its cache
folder ``.numba_cache/<cksum of gbt/_native/cpu/*.py>``; :func:`use_kernel_cache` gives the
bench scripts the same folder (POSIX ``cksum``, computed here), so ``make bench``, ``make
test`` and a script run by hand share compiled kernels, and an edit starts a new folder.
Standard library only: it runs before anything imports Numba.
"""
import os
from pathlib import Path


def _cksum_table():
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
        table.append(crc)
    return table


def posix_cksum(data: bytes) -> int:
    """What ``cksum`` prints first for ``data``: CRC-32 (polynomial 0x04C11DB7, most
    significant bit first) over the bytes and then their length, complemented."""
    table = _cksum_table()
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    length = len(data)
    while length:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ (length & 0xFF)]
        length >>= 8
    return ~crc & 0xFFFFFFFF


def kernel_cache_dir(repo: Path) -> Path:
    """``repo/.numba_cache/<cksum of the CPU kernel sources>``, as the Makefile names it
    (where the shell sorts file names bytewise, as in the C locale)."""
    sources = sorted((repo / "gbt" / "_native" / "cpu").glob("*.py"))
    return repo / ".numba_cache" / str(posix_cksum(b"".join(p.read_bytes() for p in sources)))


def use_kernel_cache(repo: Path) -> None:
    """Set NUMBA_CACHE_DIR to :func:`kernel_cache_dir` unless it is set already (``make``
    exports its own)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(kernel_cache_dir(repo)))
