"""The one exception for broken internal invariants (user mistakes raise ValueError/TypeError),
and Ctrl-C that arrives inside a compiled kernel."""
from __future__ import annotations

import contextlib


class GBTError(RuntimeError):
    """An internal invariant was broken: a bug in gbt, please report it."""


def interruption(exc: BaseException | None):
    """The KeyboardInterrupt behind ``exc``, also when it arrived inside a compiled kernel
    (Numba then raises a SystemError caused by it); None for anything else."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


@contextlib.contextmanager
def keyboard_interrupts():
    """Inside the block, Ctrl-C during a compiled kernel raises KeyboardInterrupt (not the
    SystemError Numba wraps it in), so callers can catch it as usual."""
    try:
        yield
    except SystemError as exc:
        stop = interruption(exc)
        if stop is None:
            raise
        raise stop.with_traceback(None) from None
