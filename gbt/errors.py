"""The one exception for broken internal invariants (user mistakes raise ValueError/TypeError)."""


class GBTError(RuntimeError):
    """An internal invariant was broken: a bug in gbt, please report it."""
