"""Kernels for NGBoost's distributions where numpy's array passes cost more than the maths.

The line search scores ``raw + scale * step`` at several scales per round; each numpy score
is a dozen passes over temporaries, and on the small data NGBoost is used on, their fixed cost
is a third of a fit. One compiled pass per trial reads the rows in place instead.
"""
from __future__ import annotations

import math

from numba import njit

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


@njit(cache=True, nogil=True)
def normal_nll_along(y, raw, step, scale, rows, weight, log_clip):
    """Mean (weighted when ``weight.size``) Normal negative log-likelihood of ``y`` under
    ``(loc, log_scale) = raw + scale * step``, over ``rows`` (all rows when ``rows.size`` is
    0). The log scale is clipped to ``[-log_clip, log_clip]``, as ``Normal.nll`` does."""
    n = rows.size if rows.size else y.size
    total = 0.0
    weight_sum = 0.0
    for i in range(n):
        r = rows[i] if rows.size else i
        loc = raw[r, 0] + scale * step[r, 0]
        log_scale = min(max(raw[r, 1] + scale * step[r, 1], -log_clip), log_clip)
        z = (y[r] - loc) * math.exp(-log_scale)
        value = 0.5 * z * z + log_scale + LOG_SQRT_2PI
        if weight.size:
            total += weight[r] * value
            weight_sum += weight[r]
        else:
            total += value
    return total / (weight_sum if weight.size else n)


@njit(cache=True, nogil=True)
def normal_nll_along_012(y, raw, step, rows, weight, log_clip, out):
    """:func:`normal_nll_along` at scales 0, 1 and 2 at once (``out[s]``), the three every
    line search starts with, with two exponentials per row instead of three: ``exp(-(l + s d))
    = exp(-l) * exp(-d)**s`` while neither ``l`` nor ``l + s d`` is clipped (a clipped row
    takes its own exponential, as the one-scale kernel does)."""
    n = rows.size if rows.size else y.size
    t0 = 0.0
    t1 = 0.0
    t2 = 0.0
    weight_sum = 0.0
    for i in range(n):
        r = rows[i] if rows.size else i
        w = weight[r] if weight.size else 1.0
        loc = raw[r, 0]
        d_loc = step[r, 0]
        ls0 = raw[r, 1]
        d_ls = step[r, 1]
        ls1 = ls0 + d_ls
        ls2 = ls0 + 2.0 * d_ls
        if abs(ls0) <= log_clip and abs(ls1) <= log_clip and abs(ls2) <= log_clip:
            e0 = math.exp(-ls0)
            ed = math.exp(-d_ls)
            e1 = e0 * ed
            e2 = e1 * ed
        else:
            ls0 = min(max(ls0, -log_clip), log_clip)
            ls1 = min(max(ls1, -log_clip), log_clip)
            ls2 = min(max(ls2, -log_clip), log_clip)
            e0 = math.exp(-ls0)
            e1 = math.exp(-ls1)
            e2 = math.exp(-ls2)
        z0 = (y[r] - loc) * e0
        z1 = (y[r] - loc - d_loc) * e1
        z2 = (y[r] - loc - 2.0 * d_loc) * e2
        t0 += w * (0.5 * z0 * z0 + ls0)
        t1 += w * (0.5 * z1 * z1 + ls1)
        t2 += w * (0.5 * z2 * z2 + ls2)
        weight_sum += w
    out[0] = t0 / weight_sum + LOG_SQRT_2PI
    out[1] = t1 / weight_sum + LOG_SQRT_2PI
    out[2] = t2 / weight_sum + LOG_SQRT_2PI


@njit(cache=True, nogil=True)
def mean_row_norm(step, rows):
    """Mean over ``rows`` (all rows when ``rows.size`` is 0) of each row's Euclidean norm."""
    n = rows.size if rows.size else step.shape[0]
    total = 0.0
    for i in range(n):
        r = rows[i] if rows.size else i
        sq = 0.0
        for j in range(step.shape[1]):
            sq += step[r, j] * step[r, j]
        total += math.sqrt(sq)
    return total / n if n else 0.0


@njit(cache=True, nogil=True)
def normal_natural_gradient(y, raw, log_clip, out):
    """The log score's natural gradient of Normal(loc, exp(log_scale)) in closed form:
    ``(loc - y, (1 - z^2) / 2)`` with ``z = (y - loc) / scale`` (the gradient over the Fisher
    information ``diag(1/scale^2, 2)``); the log scale clipped as ``Normal.nll`` does."""
    for i in range(y.size):
        diff = raw[i, 0] - y[i]
        z = diff * math.exp(-min(max(raw[i, 1], -log_clip), log_clip))
        out[i, 0] = diff
        out[i, 1] = 0.5 - 0.5 * z * z
