"""The one exception for broken internal invariants (user mistakes raise ValueError/TypeError),
and Ctrl-C that arrives inside a compiled kernel."""
from __future__ import annotations

import contextlib
import signal
import threading


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


# The stop a signal asked for (an exception class), until a checkpoint raises it. Python raises
# KeyboardInterrupt at whatever bytecode runs next, and C code that clears errors on its way
# can swallow it (seen once in CI: `gbt train` ran all of its 100,000 fast rounds after
# Ctrl-C). The boosting loop's checkpoint between rounds raises it again.
_pending_stop: list = []


def request_stop(kind=KeyboardInterrupt):
    """Record that a signal asked to stop with ``kind`` (see :func:`check_stop`)."""
    _pending_stop[:] = [kind]


def check_stop():
    """Raise the stop a signal asked for, if one was swallowed on its way (a checkpoint)."""
    if _pending_stop:
        raise _pending_stop.pop()()


def clear_stop():
    """Forget a recorded stop (the call it was meant for has ended)."""
    _pending_stop.clear()


def _on_sigint(signum, frame):
    request_stop(KeyboardInterrupt)
    raise KeyboardInterrupt


@contextlib.contextmanager
def keyboard_interrupts():
    """Inside the block, Ctrl-C during a compiled kernel raises KeyboardInterrupt (not the
    SystemError Numba wraps it in), so callers can catch it as usual; and Ctrl-C is also
    recorded for :func:`check_stop`, when Python's own handler is the one installed."""
    previous = None
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous = signal.signal(signal.SIGINT, _on_sigint)
        clear_stop()  # a stale stop from an earlier, finished call
    try:
        yield
    except SystemError as exc:
        stop = interruption(exc)
        if stop is None:
            raise
        raise stop.with_traceback(None) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
            clear_stop()
