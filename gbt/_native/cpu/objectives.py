"""Objective kernels: gradients and hessians in one pass over the margins.

numpy versions of these take a dozen passes (and temporaries) over an (n, K) array every
round; fused, they cost about what the ``exp`` does. Each has a ``_naive`` twin in numpy.
"""
import numpy as np
from numba import njit, prange, uint64

from .fast_exp import fast_exp

MIN_HESSIAN = 1e-16  # keeps Newton steps finite where a probability saturates
# Rows are split into this many blocks for the parallel loops. Each row's result is independent
# of the others, so the block count (and the thread count) cannot change any value.
ROW_BLOCKS = 16
# Below this many rows a gradient kernel runs on the calling thread. Two threads gain from
# about 1,500 rows on (6,513 rows: 18.7 -> 11.5 µs; a parallel region costs ~3 µs).
PARALLEL_MIN_ROWS = 4096


@njit(cache=True, nogil=True, parallel=True)
def softmax_grad_hess(raw, label, weight, out_g, out_h):
    """Multi-class cross-entropy: g = w (p - onehot(y)), h = w max(f p (1 - p), MIN_HESSIAN)
    with f = K / (K - 1), LightGBM's hessian.

    p (1 - p) is the diagonal of the true hessian; the K trees of a round each take a Newton
    step on it, and as the K margins only matter up to a shared constant the steps overshoot
    by K / (K - 1) (Friedman 2001, Algorithm 6), which f undoes. XGBoost's 2 p (1 - p) is the
    same for K = 2 and halves every step for many classes (on letter, 26 classes, it cost 0.6
    points of accuracy at 100 rounds and grew deeper trees for longer).

    raw : (n, K) float64 margins, C order             # IN
    label : (n,) float64 class indices 0..K-1         # IN
    weight : (n,) float64, or (0,) for unweighted     # IN
    out_g, out_h : (n, K) float32                     # OUT
    """
    n = raw.shape[0]
    per_block = (n + ROW_BLOCKS - 1) // ROW_BLOCKS
    for block in prange(ROW_BLOCKS):  # exp-bound, so it gains from a second thread
        _softmax_rows(raw, label, weight, block * per_block, min(n, (block + 1) * per_block),
                      out_g, out_h)


@njit(cache=True, nogil=True, error_model="numpy")
def _softmax_rows(raw, label, weight, start, end, out_g, out_h):
    # Unsigned indices and straight-line loops over the K outputs, so they vectorise (a signed
    # index gets a negative-index check that stops LLVM's vectoriser).
    K = uint64(raw.shape[1])
    factor = softmax_hessian_scale(raw.shape[1])
    p = np.empty(raw.shape[1])
    for i in range(uint64(start), uint64(end)):
        top = raw[i, 0]
        for k in range(uint64(1), K):
            top = max(top, raw[i, k])
        for k in range(K):
            p[k] = fast_exp(raw[i, k] - top)
        total = 0.0
        for k in range(K):
            total += p[k]
        w = weight[i] if weight.shape[0] > 0 else 1.0
        y = uint64(label[i])
        for k in range(K):
            pk = p[k] / total
            out_h[i, k] = w * max(factor * pk * (1.0 - pk), MIN_HESSIAN)
            out_g[i, k] = w * (pk - (1.0 if k == y else 0.0))


def softmax_grad_hess_naive(raw, label, weight):
    from scipy.special import softmax
    p = softmax(raw, axis=1)
    onehot = np.eye(raw.shape[1])[label.astype(np.int64)]
    w = np.ones(raw.shape[0]) if weight is None else weight
    g = (p - onehot) * w[:, None]
    h = np.maximum(softmax_hessian_scale(raw.shape[1]) * p * (1.0 - p), MIN_HESSIAN) * w[:, None]
    return g, h


@njit(cache=True, nogil=True)
def softmax_hessian_scale(n_classes):
    """K / (K - 1): the softmax hessian's scale (see softmax_grad_hess); 1 for one class."""
    return n_classes / (n_classes - 1.0) if n_classes > 1 else 1.0


@njit(cache=True, nogil=True, parallel=True)
def logistic_grad_hess(raw, Y, scale_pos_weight, weight, out_g, out_h):
    """Binary cross-entropy on the logit, per column: p = sigmoid(raw), g = f w (p - y),
    h = f w max(p (1 - p), MIN_HESSIAN), with f = scale_pos_weight on positives, else 1.

    raw : (n, K) float64 margins                      # IN
    Y : (n, K) float64 0/1 labels, any strides        # IN
    weight : (n,) float64, or (0,) for unweighted     # IN
    out_g, out_h : (n, K) float32                     # OUT
    """
    _logistic_in_blocks(_logistic_rows, raw, Y, scale_pos_weight, weight, out_g, out_h)


@njit(cache=True, nogil=True, parallel=True)
def logistic_grad_hess_column(raw, y, scale_pos_weight, weight, out_g, out_h):
    """:func:`logistic_grad_hess` of one output on contiguous 1-D arrays (raw, y: (n,)
    float64; out_g, out_h: (n,) float32). With unit strides known when it compiles, the
    row loop runs four rows to a vector instruction; the 2-D kernel's row stride is only
    known at run time, and it runs one row at a time."""
    _logistic_in_blocks(_logistic_column, raw, y, scale_pos_weight, weight, out_g, out_h)


@njit(cache=True, nogil=True, parallel=True, inline="always")
def _logistic_in_blocks(rows_kernel, raw, Y, scale_pos_weight, weight, out_g, out_h):
    """``rows_kernel(raw, Y, scale_pos_weight, weight, start, end, out_g, out_h)`` over all
    rows: on the calling thread for few rows, else in ROW_BLOCKS blocks in parallel. Inlined
    into each caller, which passes its own row loop."""
    n = raw.shape[0]
    if n < PARALLEL_MIN_ROWS:  # a parallel region costs more than these few rows
        rows_kernel(raw, Y, scale_pos_weight, weight, 0, n, out_g, out_h)
        return
    per_block = (n + ROW_BLOCKS - 1) // ROW_BLOCKS
    for block in prange(ROW_BLOCKS):
        rows_kernel(raw, Y, scale_pos_weight, weight, block * per_block,
                    min(n, (block + 1) * per_block), out_g, out_h)


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _logistic_entry(raw, y, scale_pos_weight, w):
    """(g, h) of one entry; branch-free (fast_exp, selects), so row loops over it vectorise."""
    p = 1.0 / (1.0 + fast_exp(-raw))
    f = scale_pos_weight if y == 1.0 else 1.0
    return (p - y) * f * w, max(p * (1.0 - p), MIN_HESSIAN) * f * w


@njit(cache=True, nogil=True, error_model="numpy")
def _logistic_rows(raw, Y, scale_pos_weight, weight, start, end, out_g, out_h):
    unweighted = weight.shape[0] == 0  # unsigned indices: no negative-index checks
    for k in range(uint64(raw.shape[1])):
        for i in range(uint64(start), uint64(end)):
            g, h = _logistic_entry(raw[i, k], Y[i, k], scale_pos_weight,
                                   1.0 if unweighted else weight[i])
            out_g[i, k] = g
            out_h[i, k] = h


@njit(cache=True, nogil=True, error_model="numpy")
def _logistic_column(raw, y, scale_pos_weight, weight, start, end, out_g, out_h):
    unweighted = weight.shape[0] == 0
    for i in range(uint64(start), uint64(end)):
        g, h = _logistic_entry(raw[i], y[i], scale_pos_weight, 1.0 if unweighted else weight[i])
        out_g[i] = g
        out_h[i] = h


def logistic_grad_hess_naive(raw, Y, scale_pos_weight, weight):
    from scipy.special import expit
    p = expit(raw)
    f = np.where(Y == 1.0, scale_pos_weight, 1.0)
    w = np.ones(raw.shape[0]) if weight is None else weight
    return (p - Y) * f * w[:, None], np.maximum(p * (1 - p), MIN_HESSIAN) * f * w[:, None]
