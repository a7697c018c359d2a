"""The CuPy GPU backend: CUDA kernels in ``kernels.cu``, launched by :mod:`.kernels`, and the
batched tree loop in :mod:`.grow`.

CuPy is imported only here and only when asked for, so CPU-only installs import gbt cleanly.
"""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def _probe():
    """(cupy module or None, reason it cannot be used or '')."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        return None, f"CuPy is not importable ({type(exc).__name__}: {exc}); install " \
                     "cupy-cuda12x or cupy-cuda13x to match your CUDA driver"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return None, f"CuPy finds no usable CUDA device ({type(exc).__name__}: {exc})"
    if n < 1:
        return None, "CuPy finds no CUDA device"
    return cupy, ""


def cuda_available() -> bool:
    """Whether CuPy imports and sees at least one CUDA device."""
    return _probe()[0] is not None


def require_cupy():
    """The cupy module; a clear RuntimeError naming the reason when the GPU cannot be used."""
    cupy, reason = _probe()
    if cupy is None:
        raise RuntimeError(f"device='cuda' needs a CUDA GPU through CuPy: {reason}. Use "
                           "device='cpu', or device='auto' to fall back to the CPU.")
    return cupy
