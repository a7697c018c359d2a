"""Compute kernels: ``cpu/`` (Numba) and, later, ``gpu/`` (CuPy); ``backend`` chooses."""
