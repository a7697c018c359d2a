"""Numba kernels. Pure functions over arrays; outputs are preallocated arguments.

Every kernel is ``@njit(cache=True, nogil=True)`` (``parallel=True`` only where it has a
``prange``) and has a plain ``*_naive`` twin that tests compare it with.
"""
