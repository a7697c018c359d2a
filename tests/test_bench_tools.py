"""bench/kernel_cache.py: the bench scripts' Numba cache folder is the Makefile's."""
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _kernel_cache():
    spec = importlib.util.spec_from_file_location("kernel_cache",
                                                  REPO / "bench" / "kernel_cache.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


needs_cksum = pytest.mark.skipif(shutil.which("cksum") is None or shutil.which("sh") is None,
                                 reason="needs the POSIX cksum and sh commands")


@needs_cksum
@pytest.mark.parametrize("data", [b"", b"a", b"hello\n", bytes(range(256)) * 300])
def test_posix_cksum_is_what_the_cksum_command_prints(data):
    printed = subprocess.run(["cksum"], input=data, capture_output=True, check=True).stdout
    assert _kernel_cache().posix_cksum(data) == int(printed.split()[0])


@needs_cksum
def test_kernel_cache_dir_is_the_makefiles_folder(monkeypatch):
    # The Makefile's KERNELS_SUM, in the C locale's (bytewise) file order.
    printed = subprocess.run(["sh", "-c", "cat gbt/_native/cpu/*.py | cksum"], cwd=REPO,
                             env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
                             capture_output=True, check=True).stdout
    module = _kernel_cache()
    expected = REPO / ".numba_cache" / printed.split()[0].decode()
    assert module.kernel_cache_dir(REPO) == expected
    # setenv first, so that teardown restores the variable even where it was unset
    monkeypatch.setenv("NUMBA_CACHE_DIR", "unused")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    module.use_kernel_cache(REPO)
    assert os.environ["NUMBA_CACHE_DIR"] == str(expected)
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/elsewhere")  # make's own setting wins
    module.use_kernel_cache(REPO)
    assert os.environ["NUMBA_CACHE_DIR"] == "/elsewhere"
