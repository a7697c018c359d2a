"""Split scan: the best (feature, bin, default direction) of a node from its histogram.

Second-order gain as in XGBoost: a child's score is ``-(2 G w + (H + lambda) w^2 + 2 alpha |w|)``
at its optimal leaf value ``w`` (``-T(G) / (H + lambda)`` with ``T`` the L1 soft threshold,
clipped to ``max_delta_step`` when that is positive); a split's gain is
``score_left + score_right - score_parent``. It is kept when ``gain > gamma``.

Sparsity-aware: when the node holds rows in the missing bin, each threshold is scanned twice,
with missing rows going left and going right, and the better direction is kept; "all values left,
missing right" is a candidate too. With no missing rows the default direction points to the
child with more hessian, so unseen missing values follow the bulk of the data.

Histograms carry no row counts: ``min_child_samples`` is checked on child counts estimated from
hessians (:func:`count_factor`), exact when hessians are constant.

Vector (multi-output) nodes: the gain is summed over outputs, ``sum_k G_k^2 / (H_k + lambda)``
(with L1 and ``max_delta_step`` applied to each output's value); ``min_child_weight``, the
count estimate and the default direction use the hessian summed over outputs. A node with one
output takes a tuned scalar loop; the vector loop with one output gives the same splits.

A split is written as one row ``(gain, feature, bin, default_left, G_left[K], H_left[K])``
(see :func:`split_row_width`); node totals as ``(G[K], H[K], row count)``.

``split_params`` packs the scalar rules: (reg_lambda, reg_alpha, gamma, min_child_weight,
min_child_samples, max_delta_step); see :data:`SPLIT_PARAM_NAMES`.
"""
import numpy as np
from numba import njit, prange

from .histogram import build_feature_block, subtract_feature

# Between features, a later feature must beat the best so far by this relative margin. Gains
# that are equal in exact arithmetic (two features splitting the node's rows the same way)
# then go to the lower feature index whatever the summation order, e.g. for weighted rows
# against the same rows repeated; float32 gradients carry about 1e-7 relative error.
TIE_RTOL = 1e-6


@njit(cache=True, nogil=True, inline="always")
def _beats(gain, best):
    """Whether a later feature's ``gain`` replaces the best so far (see TIE_RTOL)."""
    return gain > best + TIE_RTOL * abs(best)


SPLIT_PARAM_NAMES = ("reg_lambda", "reg_alpha", "gamma", "min_child_weight",
                     "min_child_samples", "max_delta_step")


@njit(cache=True, nogil=True, inline="always")
def _split_rules(split_params):
    """Unpack ``split_params`` in SPLIT_PARAM_NAMES order."""
    return (split_params[0], split_params[1], split_params[2], split_params[3],
            split_params[4], split_params[5])


@njit(cache=True, nogil=True, inline="always")
def leaf_weight(G, H, lam, alpha, max_delta_step):
    """Newton leaf value with L1 soft threshold and optional |w| clip."""
    if G > alpha:
        t = G - alpha
    elif G < -alpha:
        t = G + alpha
    else:
        return 0.0
    if H + lam <= 0.0:
        return 0.0
    w = -t / (H + lam)
    if max_delta_step > 0.0:
        if w > max_delta_step:
            w = max_delta_step
        elif w < -max_delta_step:
            w = -max_delta_step
    return w


@njit(cache=True, nogil=True, inline="always")
def node_score(G, H, lam, alpha, max_delta_step):
    """-2 x the regularised objective at the leaf's optimal value (G^2 / (H + lambda) plainly)."""
    if alpha == 0.0 and max_delta_step == 0.0:  # the common case, without the detour via w
        return G * G / (H + lam) if H + lam > 0.0 else 0.0
    w = leaf_weight(G, H, lam, alpha, max_delta_step)
    return -(2.0 * G * w + (H + lam) * w * w + 2.0 * alpha * abs(w))


@njit(cache=True, nogil=True)
def leaf_weights(G, H, split_params, scale, out):
    """Leaf values of many nodes at once: ``scale * leaf_weight(G[i], H[i])``.

    G, H : (n_nodes,) float64     # IN
    out : (n_nodes,) float64      # OUT
    """
    lam = split_params[0]
    alpha = split_params[1]
    mds = split_params[5]
    for i in range(G.shape[0]):
        out[i] = scale * leaf_weight(G[i], H[i], lam, alpha, mds)


@njit(cache=True, nogil=True, inline="always")
def count_factor(C, H):
    """Rows per unit of hessian in a node: child row counts are estimated as
    ``round(H_child * C / H)`` (exact for constant hessians), which keeps a count channel out
    of the histogram. LightGBM estimates ``min_data_in_leaf`` counts the same way."""
    return C / H if H > 0.0 else 0.0


def split_row_width(n_outputs):
    """Length of a split row: gain, feature, bin, default_left, then G_left and H_left."""
    return 4 + 2 * n_outputs


@njit(cache=True, nogil=True)
def scan_work_rows(n_outputs):
    """Rows of per-bin scratch one feature's scan needs (4 for the scalar scan; per-output
    prefix sums plus 4 for the vector scan)."""
    return 4 if n_outputs == 1 else 2 * n_outputs + 4


@njit(cache=True, nogil=True, inline="always")
def _children_score(gl, hl, G, H, lam, alpha, mds, plain):
    """score(left) + score(right) of one output; ``plain`` = no L1, no max_delta_step."""
    if plain:
        dl = hl + lam
        dr = H - hl + lam
        gr = G - gl
        return (gl * gl / dl if dl > 0.0 else 0.0) + (gr * gr / dr if dr > 0.0 else 0.0)
    return node_score(gl, hl, lam, alpha, mds) + node_score(G - gl, H - hl, lam, alpha, mds)


@njit(cache=True, nogil=True, inline="always")
def _sizes_ok(left_h, right_h, C, per_h, mcw, mcs):
    """Both children pass min_child_weight and the estimated min_child_samples. Child counts
    are ``round(h * per_h)``; with integer ``mcs`` the tests ``cl >= max(mcs, 1)`` and
    ``C - cl >= max(mcs, 1)`` need no rounding."""
    x = left_h * per_h + 0.5  # cl = floor(x)
    least = mcs if mcs > 1.0 else 1.0
    return (left_h >= mcw) & (right_h >= mcw) & (x >= least) & (x < C - least + 1.0)


@njit(cache=True, nogil=True, inline="always")
def _candidate_gain(gl, hl, G, H, C, per_h, parent, lam, alpha, mds, mcw, mcs, plain):
    """Gain of sending (gl, hl) left, or -inf when a child breaks the size rules.

    ``plain`` (no L1, no max_delta_step) takes a branch-free path so the per-bin loop
    vectorises."""
    ok = _sizes_ok(hl, H - hl, C, per_h, mcw, mcs)
    gain = _children_score(gl, hl, G, H, lam, alpha, mds, plain) - parent
    return gain if ok else -np.inf


@njit(cache=True, nogil=True, inline="always")
def _higher(x, b, best, at):
    """(x, b) when ``x`` beats ``best``, else (best, at)."""
    return (x, b) if x > best else (best, at)


@njit(cache=True, nogil=True, inline="always")
def _lanes_first_max(gains, n, floor):
    """(gain, index) of the first of ``gains[:n]`` above ``floor`` and above all before it
    (``(floor, -1)`` when none is): eight running maxima, one per lane of bins ``b % 8``,
    then the earliest of the lanes' best. One running maximum waits for a compare and a
    select per bin; eight lanes overlap those waits (255 bins: 185 -> 88 ns)."""
    g0 = g1 = g2 = g3 = g4 = g5 = g6 = g7 = floor
    i0 = i1 = i2 = i3 = i4 = i5 = i6 = i7 = -1
    b = 0
    while b + 8 <= n:
        g0, i0 = _higher(gains[b], b, g0, i0)
        g1, i1 = _higher(gains[b + 1], b + 1, g1, i1)
        g2, i2 = _higher(gains[b + 2], b + 2, g2, i2)
        g3, i3 = _higher(gains[b + 3], b + 3, g3, i3)
        g4, i4 = _higher(gains[b + 4], b + 4, g4, i4)
        g5, i5 = _higher(gains[b + 5], b + 5, g5, i5)
        g6, i6 = _higher(gains[b + 6], b + 6, g6, i6)
        g7, i7 = _higher(gains[b + 7], b + 7, g7, i7)
        b += 8
    while b < n:  # the last bins join lane 0, still in order within it
        g0, i0 = _higher(gains[b], b, g0, i0)
        b += 1
    best, at = g0, i0
    for g, i in ((g1, i1), (g2, i2), (g3, i3), (g4, i4), (g5, i5), (g6, i6), (g7, i7)):
        if g > best or (g == best and 0 <= i < at):
            best, at = g, i
    return best, at


@njit(cache=True, nogil=True, inline="always")
def _first_best(gain_right, gain_left, last, n_left_candidates, min_gain, has_missing, left_h,
                H):
    """(gain, bin, default_left) of the first best candidate in scan order: bin by bin, at
    each bin "missing right" before "missing left". Without missing rows in the node, unseen
    missing values go to the child with more hessian (``left_h[b]`` against ``H - left_h[b]``).
    """
    best_gain, best_b = _lanes_first_max(gain_right, last, min_gain)
    best_dl = False
    if n_left_candidates > 0:
        left_gain, left_b = _lanes_first_max(gain_left, n_left_candidates, min_gain)
        # at equal gains the earlier bin wins, and at one bin "missing right"
        if left_gain > best_gain or (left_b >= 0 and left_gain == best_gain
                                     and left_b < best_b):
            best_gain, best_b, best_dl = left_gain, left_b, True
    if best_b >= 0 and not has_missing:
        best_dl = left_h[best_b] >= H - left_h[best_b]
    return best_gain, best_b, best_dl


@njit(cache=True, nogil=True, inline="always")
def _one_bin_split(g0, h0, gm, hm, G, H, C, parent, lam, alpha, mds, mcw, mcs, min_gain):
    """:func:`_scan_scalar` of a feature with one value bin (bin 0: sums g0, h0; missing bin:
    gm, hm), such as a one-hot column of sparse data: its one candidate, if any, sends the
    value left and the missing rows right. Inlined into the feature loops, because a call
    of the general scan costs ten times the work of such a feature (about 58 ns)."""
    if hm == 0.0 and gm == 0.0:  # no missing rows: every row in one bin, nothing to split
        return min_gain, -1, False
    gain = _candidate_gain(g0, h0, G, H, C, count_factor(C, H), parent, lam, alpha, mds, mcw,
                           mcs, alpha == 0.0 and mds == 0.0)
    return (gain, 0, False) if gain > min_gain else (min_gain, -1, False)


@njit(cache=True, nogil=True)
def _scan_scalar(hist_f, nb, G, H, C, parent, lam, alpha, mds, mcw, mcs, min_gain, work):
    """Best split of one feature of a one-output node: (gain, bin, default_left).

    hist_f : (n_bins_total, 1, 2).  work : (4, >= n_bins_total) scratch. Prefix sums first,
    then every candidate's gain in a loop without data-dependent branches, then the first best
    candidate in scan order (bin by bin; at each bin "missing right" before "missing left").
    """
    if nb == 1:
        return _scan_one_bin(hist_f, G, H, C, parent, lam, alpha, mds, mcw, mcs, min_gain)
    gl = 0.0
    hl = 0.0
    for b in range(_scan_end(hist_f, nb)):
        gl += hist_f[b, 0, 0]
        hl += hist_f[b, 0, 1]
        work[0, b] = gl
        work[1, b] = hl
    return _scalar_best(hist_f, nb, G, H, C, parent, lam, alpha, mds, mcw, mcs, min_gain, work)


@njit(cache=True, nogil=True)
def _scan_scalar_pair(hist_a, hist_b, nb, totals_a, totals_b, parent_a, parent_b, lam, alpha,
                      mds, mcw, mcs, min_gain, work_a, work_b):
    """:func:`_scan_scalar` of one feature of two nodes (two siblings' histograms): both
    nodes' prefix sums in one loop, four chains of dependent adds in flight instead of two
    (each chain adds in the same order, so the sums are the same). Returns both results."""
    if nb == 1:
        return (_scan_one_bin(hist_a, totals_a[0], totals_a[1], totals_a[2], parent_a, lam,
                              alpha, mds, mcw, mcs, min_gain),
                _scan_one_bin(hist_b, totals_b[0], totals_b[1], totals_b[2], parent_b, lam,
                              alpha, mds, mcw, mcs, min_gain))
    ga = 0.0
    ha = 0.0
    gb = 0.0
    hb = 0.0
    for b in range(max(_scan_end(hist_a, nb), _scan_end(hist_b, nb))):
        ga += hist_a[b, 0, 0]
        ha += hist_a[b, 0, 1]
        gb += hist_b[b, 0, 0]
        hb += hist_b[b, 0, 1]
        work_a[0, b] = ga
        work_a[1, b] = ha
        work_b[0, b] = gb
        work_b[1, b] = hb
    return (_scalar_best(hist_a, nb, totals_a[0], totals_a[1], totals_a[2], parent_a, lam, alpha,
                         mds, mcw, mcs, min_gain, work_a),
            _scalar_best(hist_b, nb, totals_b[0], totals_b[1], totals_b[2], parent_b, lam, alpha,
                         mds, mcw, mcs, min_gain, work_b))


@njit(cache=True, nogil=True, inline="always")
def _scan_one_bin(hist_f, G, H, C, parent, lam, alpha, mds, mcw, mcs, min_gain):
    """:func:`_one_bin_split` of a one-output feature's histogram."""
    miss = hist_f.shape[0] - 1
    return _one_bin_split(hist_f[0, 0, 0], hist_f[0, 0, 1], hist_f[miss, 0, 0],
                          hist_f[miss, 0, 1], G, H, C, parent, lam, alpha, mds, mcw, mcs,
                          min_gain)


@njit(cache=True, nogil=True, inline="always")
def _has_missing(hist_f):
    miss = hist_f.shape[0] - 1
    return hist_f[miss, 0, 1] != 0.0 or hist_f[miss, 0, 0] != 0.0


@njit(cache=True, nogil=True, inline="always")
def _scan_end(hist_f, nb):
    """Candidate thresholds of a one-output feature: bins below it. With missing rows, "all
    values left" is a split too."""
    return nb if _has_missing(hist_f) else nb - 1


@njit(cache=True, nogil=True)
def _scalar_best(hist_f, nb, G, H, C, parent, lam, alpha, mds, mcw, mcs, min_gain, work):
    """The rest of :func:`_scan_scalar` once ``work[0]`` and ``work[1]`` hold the prefix sums
    of gradient and hessian (at least up to :func:`_scan_end`)."""
    miss = hist_f.shape[0] - 1
    gm = hist_f[miss, 0, 0]
    hm = hist_f[miss, 0, 1]
    has_missing = _has_missing(hist_f)
    per_h = count_factor(C, H)
    last = _scan_end(hist_f, nb)
    prefix_g = work[0]
    prefix_h = work[1]
    gain_right = work[2]  # missing rows go right
    gain_left = work[3]   # missing rows go left
    plain = alpha == 0.0 and mds == 0.0
    if plain:  # two copies of each loop: the plain one vectorises
        for b in range(last):
            gain_right[b] = _candidate_gain(prefix_g[b], prefix_h[b], G, H, C, per_h, parent,
                                            lam, alpha, mds, mcw, mcs, True)
    else:
        for b in range(last):
            gain_right[b] = _candidate_gain(prefix_g[b], prefix_h[b], G, H, C, per_h, parent,
                                            lam, alpha, mds, mcw, mcs, False)
    n_left_candidates = min(last, nb - 1) if has_missing else 0
    if plain:
        for b in range(n_left_candidates):
            gain_left[b] = _candidate_gain(prefix_g[b] + gm, prefix_h[b] + hm, G, H, C, per_h,
                                           parent, lam, alpha, mds, mcw, mcs, True)
    else:
        for b in range(n_left_candidates):
            gain_left[b] = _candidate_gain(prefix_g[b] + gm, prefix_h[b] + hm, G, H, C, per_h,
                                           parent, lam, alpha, mds, mcw, mcs, False)
    return _first_best(gain_right, gain_left, last, n_left_candidates, min_gain, has_missing,
                       prefix_h, H)


@njit(cache=True, nogil=True)
def _vector_gains(prefix, K, last, miss_row, G, H, H_sum, C, per_h, parent, lam, alpha, mds,
                  mcw, mcs, hl_sum, gains):
    """gains[b] for b < last: summed over outputs, with the missing row added to the left
    when ``miss_row`` is given (else zeros); -inf where a child breaks the size rules.

    prefix : (2K, >= last) per-output prefix sums of g (rows 0..K-1) and h (rows K..2K-1)."""
    plain = alpha == 0.0 and mds == 0.0
    hm_sum = 0.0
    for k in range(K):
        hm_sum += miss_row[K + k]
    for b in range(last):
        gains[b] = 0.0
    for k in range(K):  # per output, a loop over bins without branches: it vectorises
        pg = prefix[k]
        ph = prefix[K + k]
        gm = miss_row[k]
        hm = miss_row[K + k]
        Gk = G[k]
        Hk = H[k]
        if plain:
            for b in range(last):
                gains[b] += _children_score(pg[b] + gm, ph[b] + hm, Gk, Hk, lam, alpha, mds,
                                            True)
        else:
            for b in range(last):
                gains[b] += _children_score(pg[b] + gm, ph[b] + hm, Gk, Hk, lam, alpha, mds,
                                            False)
    for b in range(last):
        left_h = hl_sum[b] + hm_sum
        ok = _sizes_ok(left_h, H_sum - left_h, C, per_h, mcw, mcs)
        gains[b] = gains[b] - parent if ok else -np.inf


@njit(cache=True, nogil=True)
def _scan_vector(hist_f, nb, G, H, C, parent, lam, alpha, mds, mcw, mcs, min_gain, work):
    """Best split of one feature of a K-output node: (gain, bin, default_left).

    hist_f : (n_bins_total, K, 2); G, H : (K,) node totals;
    work : (2K + 4, >= max(n_bins_total, 2K)) scratch.
    Per-output prefix sums, then each candidate's summed gain in loops over bins that
    vectorise, then the first best candidate in the scalar scan's order."""
    K = G.shape[0]
    miss = hist_f.shape[0] - 1
    prefix = work[:2 * K]
    hl_sum = work[2 * K]
    gain_right = work[2 * K + 1]
    gain_left = work[2 * K + 2]
    miss_row = work[2 * K + 3]  # (g[K], h[K]) of the missing bin, or zeros
    has_missing = False
    H_sum = 0.0
    for k in range(K):
        miss_row[k] = hist_f[miss, k, 0]
        miss_row[K + k] = hist_f[miss, k, 1]
        has_missing = has_missing or miss_row[k] != 0.0 or miss_row[K + k] != 0.0
        H_sum += H[k]
    per_h = count_factor(C, H_sum)
    last = nb if has_missing else nb - 1
    for k in range(K):
        g = 0.0
        h = 0.0
        for b in range(last):
            g += hist_f[b, k, 0]
            h += hist_f[b, k, 1]
            prefix[k, b] = g
            prefix[K + k, b] = h
    for b in range(last):
        hl_sum[b] = 0.0
    for k in range(K):
        for b in range(last):
            hl_sum[b] += prefix[K + k, b]
    n_left_candidates = min(last, nb - 1) if has_missing else 0
    if n_left_candidates > 0:
        _vector_gains(prefix, K, n_left_candidates, miss_row, G, H, H_sum, C, per_h, parent,
                      lam, alpha, mds, mcw, mcs, hl_sum, gain_left)
    miss_row[:2 * K] = 0.0
    _vector_gains(prefix, K, last, miss_row, G, H, H_sum, C, per_h, parent, lam, alpha, mds,
                  mcw, mcs, hl_sum, gain_right)
    return _first_best(gain_right, gain_left, last, n_left_candidates, min_gain, has_missing,
                       hl_sum, H_sum)


@njit(cache=True, nogil=True)
def _scan_feature(hist_f, nb, totals, parent, lam, alpha, mds, mcw, mcs, min_gain, work):
    """(gain, bin, default_left) of one feature; totals = (G[K], H[K], C)."""
    K = hist_f.shape[1]
    C = totals[2 * K]
    if K == 1:
        return _scan_scalar(hist_f, nb, totals[0], totals[1], C, parent, lam, alpha, mds, mcw,
                            mcs, min_gain, work)
    return _scan_vector(hist_f, nb, totals[:K], totals[K:2 * K], C, parent, lam, alpha, mds,
                        mcw, mcs, min_gain, work)


@njit(cache=True, nogil=True, inline="always")
def _scan_feature_at(hist, f, nb, totals, parent, lam, alpha, mds, mcw, mcs, min_gain, work):
    """:func:`_scan_feature` of feature ``f`` of ``hist``; a one-output feature with one value
    bin is scored inline (:func:`_one_bin_split`), without the call."""
    if hist.shape[2] == 1 and nb == 1:
        miss = hist.shape[1] - 1
        return _one_bin_split(hist[f, 0, 0, 0], hist[f, 0, 0, 1], hist[f, miss, 0, 0],
                              hist[f, miss, 0, 1], totals[0], totals[1], totals[2], parent, lam,
                              alpha, mds, mcw, mcs, min_gain)
    return _scan_feature(hist[f], nb, totals, parent, lam, alpha, mds, mcw, mcs, min_gain, work)


@njit(cache=True, nogil=True)
def _parent_score(totals, K, lam, alpha, mds):
    score = 0.0
    for k in range(K):
        score += node_score(totals[k], totals[K + k], lam, alpha, mds)
    return score


@njit(cache=True, nogil=True)
def _write_split(hist_f, gain, feature, b, default_left, out):
    """Fill a split row; the left sums are re-added in scan order, so they are bitwise the
    sums the scan saw (missing rows are zero when the node has none)."""
    K = hist_f.shape[1]
    miss = hist_f.shape[0] - 1
    out[0] = gain
    out[1] = feature
    out[2] = b
    out[3] = 1.0 if default_left else 0.0
    for k in range(K):
        g = 0.0
        h = 0.0
        for bb in range(b + 1):
            g += hist_f[bb, k, 0]
            h += hist_f[bb, k, 1]
        if default_left:
            g += hist_f[miss, k, 0]
            h += hist_f[miss, k, 1]
        out[4 + k] = g
        out[4 + K + k] = h


@njit(cache=True, nogil=True, inline="always")
def _no_split(min_gain, out):
    for i in range(out.shape[0]):  # a loop: inlined into a parallel=True scan, the slice
        out[i] = 0.0               # assignment would start a parallel region of its own
    out[0] = min_gain
    out[1] = -1.0
    out[2] = -1.0


@njit(cache=True, nogil=True)
def find_best_split(hist, n_bins, feature_mask, totals, split_params, work, out):
    """Best split of one node.

    hist : (n_features, n_bins_total, K, 2) float64; last bin is missing   # IN
    n_bins : (n_features,) int32, value bins per feature                   # IN
    feature_mask : (n_features,) bool, features allowed here               # IN
    totals : (2K + 1,) float64, node (G[K], H[K], row count)               # IN
    split_params : (6,) float64, see SPLIT_PARAM_NAMES                     # IN
    work : (>= 1, >= scan_work_rows(K), >= max(n_bins_total, 2K)) float64 # scratch
    out : (4 + 2K,) float64 split row; out[1] (feature) is -1 when no split passes the
          rules. Rows with bin <= out[2] (and missing ones if default_left) go left.  # OUT

    Ties go to the lowest feature index, then the lowest bin.
    """
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    K = hist.shape[2]
    parent = _parent_score(totals, K, lam, alpha, mds)
    min_gain = gamma if gamma > 0.0 else 0.0
    _no_split(min_gain, out)
    # One-output nodes without L1 or max_delta_step score their features of one value bin
    # (one-hot columns) first, all in one loop without branches (_one_bin_gains).
    one_bin = K == 1 and alpha == 0.0 and mds == 0.0
    gains = np.empty(hist.shape[0] if one_bin else 0)
    if one_bin:
        _one_bin_gains(hist, n_bins, feature_mask, totals, parent, lam, mcw, mcs, min_gain,
                       gains)
    best_gain, best_f, best_b, best_dl = min_gain, -1, -1, False
    for f in range(hist.shape[0]):
        if one_bin and n_bins[f] == 1:
            gain, b, dl = gains[f], 0 if gains[f] > min_gain else -1, False
        elif not feature_mask[f]:
            continue
        else:
            gain, b, dl = _scan_feature_at(hist, f, n_bins[f], totals, parent, lam, alpha,
                                           mds, mcw, mcs, min_gain, work[0])
        if b >= 0 and _beats(gain, best_gain):
            best_gain, best_f, best_b, best_dl = gain, f, b, dl
    if best_f >= 0:
        _write_split(hist[best_f], best_gain, best_f, best_b, best_dl, out)


@njit(cache=True, nogil=True)
def _one_bin_gains(hist, n_bins, feature_mask, totals, parent, lam, mcw, mcs, min_gain,
                   gains):
    """gains[f] = :func:`_one_bin_split`'s gain of each allowed one-output feature with one
    value bin (L1 and max_delta_step off), -inf for no split and for every other feature.
    Without the call's branches (missing rows or not, size rules, the gain against
    ``min_gain``), which a predictor loses from feature to feature, the loop costs a fifth
    of the per-feature one: agaricus's 127 one-hot columns, 2.2 -> 0.5 µs a node."""
    miss = hist.shape[1] - 1
    G, H, C = totals[0], totals[1], totals[2]
    per_h = count_factor(C, H)
    for f in range(hist.shape[0]):
        gm = hist[f, miss, 0, 0]
        hm = hist[f, miss, 0, 1]
        gain = _candidate_gain(hist[f, 0, 0, 0], hist[f, 0, 0, 1], G, H, C, per_h, parent, lam,
                               0.0, 0.0, mcw, mcs, True)
        keep = feature_mask[f] & (n_bins[f] == 1) & ((hm != 0.0) | (gm != 0.0)) & \
            (gain > min_gain)
        gains[f] = gain if keep else -np.inf


@njit(cache=True, nogil=True)
def _unscanned(n_features):
    """(2, n_features, 3) of -1: the pair scans' per-feature results before the scan. Made
    outside the parallel=True scans, where np.full would start a parallel region of its own
    (about 3 µs, as much as a small node's whole scan)."""
    return np.full((2, n_features, 3), -1.0)


@njit(cache=True, nogil=True, parallel=True)
def find_best_split_pair(hist_left, hist_right, n_bins, mask_left, mask_right, totals,
                         evaluate, split_params, work, out):
    """Best splits of two sibling nodes in one parallel region over (child, feature) pairs.

    Gives exactly what :func:`find_best_split` gives for each child (same tie rules).

    hist_left, hist_right : (n_features, n_bins_total, K, 2) float64  # IN
    n_bins : (n_features,) int32                                       # IN
    mask_left, mask_right : (n_features,) bool                         # IN
    totals : (2, 2K + 1) float64, (G[K], H[K], row count) per child    # IN
    evaluate : (2,) bool, which children may split at all              # IN
    split_params : (6,) float64                                        # IN
    work : (2 * n_features, >= scan_work_rows(K), >= max(n_bins_total, 2K)) float64  # scratch
    out : (2, 4 + 2K) float64 split rows; feature -1 = no split        # OUT
    """
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    min_gain = gamma if gamma > 0.0 else 0.0
    n_features = hist_left.shape[0]
    K = hist_left.shape[2]
    per_feature = _unscanned(n_features)  # gain, bin, default_left
    for task in prange(2 * n_features):
        c = task // n_features
        f = task - c * n_features
        if not evaluate[c]:
            continue
        hist = hist_left if c == 0 else hist_right
        mask = mask_left if c == 0 else mask_right
        if not mask[f]:
            continue
        parent = _parent_score(totals[c], K, lam, alpha, mds)
        _keep_feature_split(per_feature, c, f, _scan_feature_at(
            hist, f, n_bins[f], totals[c], parent, lam, alpha, mds, mcw, mcs, min_gain,
            work[task]))
    _pick_pair(per_feature, hist_left, hist_right, min_gain, out)


@njit(cache=True, nogil=True, inline="always")
def _pick_pair(per_feature, hist_left, hist_right, min_gain, out):
    """Each child's best split from its per-feature (gain, bin, default_left) results."""
    for c in range(2):
        _no_split(min_gain, out[c])
        best, best_f = min_gain, -1
        for f in range(per_feature.shape[1]):  # fixed order: ties go to the lowest feature
            if per_feature[c, f, 1] >= 0 and _beats(per_feature[c, f, 0], best):
                best, best_f = per_feature[c, f, 0], f
        if best_f >= 0:
            hist = hist_left if c == 0 else hist_right
            _write_split(hist[best_f], best, best_f, np.int64(per_feature[c, best_f, 1]),
                         per_feature[c, best_f, 2] > 0.0, out[c])


@njit(cache=True, nogil=True, parallel=True)
def histogram_and_split_pair(X, gh, rows, start, end, n_bins, feature_parts, hist_small,
                             hist_large, small_is_left, mask_left, mask_right, totals, evaluate,
                             split_params, work, out):
    """The smaller child's histogram, the larger one's (parent minus smaller, over the
    parent's buffer) and both children's best splits, in one parallel region: each thread
    takes a block of features and does all three for them, so a small node pays for one
    region, not three, and each feature's bins stay in that thread's cache between the steps.
    Gives what :func:`~.histogram.build_histogram`, :func:`~.histogram.subtract_histogram`
    and :func:`find_best_split_pair` give (the same sums: each feature's bins are added in
    row order, on whatever thread).

    X, gh : as build_histogram; rows[start:end] : the smaller child's rows            # IN
    n_bins : (n_features,) int32                                                         # IN
    feature_parts : (n_parts + 1,) int64, feature block boundaries, one block a thread  # IN
    hist_small : (n_features, n_bins_total, K, 2) float64                                # OUT
    hist_large : the parent's histogram, made the larger child's (unless that child is not
                 evaluated: it is then left as it was)                                   # IN/OUT
    small_is_left : bool, which child is the smaller                                     # IN
    mask_left, mask_right, totals, evaluate, split_params, work, out : as
                 find_best_split_pair
    """
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    min_gain = gamma if gamma > 0.0 else 0.0
    n_features = X.shape[1]
    K = gh.shape[1]
    hist_left = hist_small if small_is_left else hist_large
    hist_right = hist_large if small_is_left else hist_small
    large = 1 if small_is_left else 0
    per_feature = _unscanned(n_features)  # gain, bin, default_left
    for part in prange(feature_parts.shape[0] - 1):
        f_lo = feature_parts[part]
        f_hi = feature_parts[part + 1]
        build_feature_block(X, gh, rows, start, end, n_bins, f_lo, f_hi, hist_small)
        for f in range(f_lo, f_hi):
            if evaluate[large]:
                subtract_feature(hist_large, hist_small, f, n_bins[f])
            _scan_children_at(hist_left, hist_right, f, n_bins[f], mask_left, mask_right, totals,
                              evaluate, lam, alpha, mds, mcw, mcs, min_gain, work[f],
                              work[n_features + f], per_feature)
    _pick_pair(per_feature, hist_left, hist_right, min_gain, out)


@njit(cache=True, nogil=True)
def find_best_splits_of_children(hist_left, hist_right, n_bins, mask_left, mask_right, totals,
                                 evaluate, split_params, work, out):
    """:func:`find_best_split_pair` on this thread: feature by feature, both children's
    scans of a feature together (:func:`_scan_children_at`). ``work`` : (2, ...), one
    scratch a child."""
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    min_gain = gamma if gamma > 0.0 else 0.0
    per_feature = _unscanned(hist_left.shape[0])
    for f in range(hist_left.shape[0]):
        _scan_children_at(hist_left, hist_right, f, n_bins[f], mask_left, mask_right, totals,
                          evaluate, lam, alpha, mds, mcw, mcs, min_gain, work[0], work[1],
                          per_feature)
    _pick_pair(per_feature, hist_left, hist_right, min_gain, out)


@njit(cache=True, nogil=True, inline="always")
def _scan_children_at(hist_left, hist_right, f, nb, mask_left, mask_right, totals, evaluate,
                      lam, alpha, mds, mcw, mcs, min_gain, work_left, work_right,
                      per_feature):
    """Feature ``f``'s best split of each child that may split and may use it, into
    ``per_feature[c, f]`` (gain, bin, default_left); one-output children scanned together
    (:func:`_scan_scalar_pair`). ``work_left``, ``work_right`` : each child's scan scratch."""
    K = hist_left.shape[2]
    scan_left = evaluate[0] and mask_left[f]
    scan_right = evaluate[1] and mask_right[f]
    if K == 1 and scan_left and scan_right:
        left, right = _scan_scalar_pair(
            hist_left[f], hist_right[f], nb, totals[0], totals[1],
            _parent_score(totals[0], K, lam, alpha, mds),
            _parent_score(totals[1], K, lam, alpha, mds), lam, alpha, mds, mcw, mcs, min_gain,
            work_left, work_right)
        _keep_feature_split(per_feature, 0, f, left)
        _keep_feature_split(per_feature, 1, f, right)
        return
    for c in range(2):
        if (scan_left if c == 0 else scan_right):
            _keep_feature_split(per_feature, c, f, _scan_feature_at(
                hist_left if c == 0 else hist_right, f, nb, totals[c],
                _parent_score(totals[c], K, lam, alpha, mds), lam, alpha, mds, mcw, mcs,
                min_gain, work_left if c == 0 else work_right))


@njit(cache=True, nogil=True, inline="always")
def _keep_feature_split(per_feature, c, f, result):
    """per_feature[c, f] = a scan's (gain, bin, default_left) result."""
    gain, b, dl = result
    per_feature[c, f, 0] = gain
    per_feature[c, f, 1] = b
    per_feature[c, f, 2] = 1.0 if dl else 0.0


@njit(cache=True, nogil=True)
def feature_parts(n_bins, n_parts):
    """(n_parts + 1,) int64 boundaries of contiguous feature blocks with about equal bins
    (the scan's work), for :func:`histogram_and_split_pair`: each boundary is placed where
    the running bin count comes closest to its share."""
    n_features = n_bins.shape[0]
    total = 0.0
    for f in range(n_features):
        total += n_bins[f] + 1.0
    parts = np.empty(n_parts + 1, dtype=np.int64)
    parts[0] = 0
    f = 0
    running = 0.0
    for p in range(1, n_parts):
        target = total * p / n_parts
        while f < n_features and abs(running + n_bins[f] + 1.0 - target) < abs(running - target):
            running += n_bins[f] + 1.0
            f += 1
        parts[p] = f
    parts[n_parts] = n_features
    return parts


def find_best_split_naive(hist, n_bins, feature_mask, totals, split_params):
    """Reference: materialise every candidate's children explicitly and take the best.

    Returns (gain, feature, bin, default_left, G_left (K,), H_left (K,))."""
    lam, alpha, gamma, mcw, mcs, mds = (float(v) for v in split_params)
    K = hist.shape[2]
    totals = np.asarray(totals, dtype=np.float64)
    G, H, C = totals[:K], totals[K:2 * K], totals[2 * K]

    def score(g, h):
        t = np.sign(g) * max(abs(g) - alpha, 0.0)
        if t == 0.0 or h + lam <= 0:
            return 0.0
        w = -t / (h + lam)
        if mds > 0:
            w = float(np.clip(w, -mds, mds))
        return -(2 * g * w + (h + lam) * w * w + 2 * alpha * abs(w))

    def total_score(g, h):
        return sum(score(g[k], h[k]) for k in range(K))

    per_h = C / H.sum() if H.sum() > 0 else 0.0
    best = (max(gamma, 0.0), -1, -1, False, np.zeros(K), np.zeros(K))
    for f in range(hist.shape[0]):
        if not feature_mask[f]:
            continue
        feature_best = _feature_best_naive(hist[f], int(n_bins[f]), f, G, H, C, per_h, mcw,
                                           mcs, total_score, max(gamma, 0.0))
        if feature_best is not None and feature_best[0] > best[0] + TIE_RTOL * abs(best[0]):
            best = feature_best
    return best


def _feature_best_naive(hist_f, nb, f, G, H, C, per_h, mcw, mcs, total_score, min_gain):
    """The first best candidate of one feature (or None), for find_best_split_naive."""
    best = None
    best_gain = min_gain
    miss = hist_f[-1]  # (K, 2)
    for b in range(nb):
        left_vals = hist_f[:b + 1].sum(axis=0)  # (K, 2)
        directions = []
        if np.any(miss != 0):
            directions.append((False, left_vals))          # missing right
            if b < nb - 1:
                directions.append((True, left_vals + miss))  # missing left
        elif b < nb - 1:
            directions.append((None, left_vals))
        for dl, left in directions:
            gl, hl = left[:, 0], left[:, 1]
            gr, hr = G - gl, H - hl
            count_left = np.floor(hl.sum() * per_h + 0.5)  # estimated, as the kernel does
            if min(hl.sum(), hr.sum()) < mcw or \
                    min(count_left, C - count_left) < max(mcs, 1e-12):
                continue
            gain = total_score(gl, hl) + total_score(gr, hr) - total_score(G, H)
            if gain > best_gain:
                default_left = bool(hl.sum() >= hr.sum()) if dl is None else dl
                best_gain, best = gain, (gain, f, b, default_left, gl, hl)
    return best


# ---------------------------------------------------------------------------------------------
# Monotone constraints ("basic" method of XGBoost / LightGBM).
#
# Each node carries bounds [lower_k, upper_k] on each output's leaf value. A child's value is
# the Newton value clipped into its node's bounds, and scores are taken at that clipped value:
# ``-(2 G w + (H + lambda) w^2 + 2 alpha |w|)``. On a feature with constraint c = +1 a
# candidate is rejected unless w_left <= w_right for every output (c = -1: w_left >= w_right);
# the grower then bounds the children at mid = (w_left + w_right) / 2. Bounds are passed as a
# (2K,) row: lower[K], then upper[K].
# ---------------------------------------------------------------------------------------------


@njit(cache=True, nogil=True, inline="always")
def bounded_weight(G, H, lam, alpha, mds, lower, upper):
    """leaf_weight clipped into [lower, upper]."""
    w = leaf_weight(G, H, lam, alpha, mds)
    if w < lower:
        return lower
    if w > upper:
        return upper
    return w


@njit(cache=True, nogil=True, inline="always")
def _score_at(G, H, w, lam, alpha):
    """-2 x the regularised objective of a leaf with value ``w``."""
    return -(2.0 * G * w + (H + lam) * w * w + 2.0 * alpha * abs(w))


@njit(cache=True, nogil=True)
def _bounded_parent_score(totals, K, bounds, lam, alpha, mds):
    score = 0.0
    for k in range(K):
        w = bounded_weight(totals[k], totals[K + k], lam, alpha, mds, bounds[k], bounds[K + k])
        score += _score_at(totals[k], totals[K + k], w, lam, alpha)
    return score


@njit(cache=True, nogil=True)
def _scan_monotone(hist_f, nb, totals, bounds, mono, parent, lam, alpha, mds, mcw, mcs,
                   min_gain, work):
    """(gain, bin, default_left) of one feature under bounds and a constraint ``mono``
    (-1, 0, +1); same candidates and scan order as :func:`_scan_scalar`.

    hist_f : (n_bins_total, K, 2); totals : (2K + 1,); bounds : (2K,) lower[K], upper[K];
    work : (>= 2, >= 2K) scratch."""
    K = hist_f.shape[1]
    miss = hist_f.shape[0] - 1
    acc = work[0]   # running left sums g[K], h[K]
    mrow = work[1]  # the missing bin's g[K], h[K]
    has_missing = False
    H_sum = 0.0
    hm_sum = 0.0
    for k in range(K):
        mrow[k] = hist_f[miss, k, 0]
        mrow[K + k] = hist_f[miss, k, 1]
        has_missing = has_missing or mrow[k] != 0.0 or mrow[K + k] != 0.0
        H_sum += totals[K + k]
        hm_sum += mrow[K + k]
        acc[k] = 0.0
        acc[K + k] = 0.0
    C = totals[2 * K]
    per_h = count_factor(C, H_sum)
    last = nb if has_missing else nb - 1
    n_left_candidates = min(last, nb - 1) if has_missing else 0
    best_gain, best_b, best_dl, best_hl = min_gain, -1, False, 0.0
    for b in range(last):
        hl_sum = 0.0
        for k in range(K):
            acc[k] += hist_f[b, k, 0]
            acc[K + k] += hist_f[b, k, 1]
            hl_sum += acc[K + k]
        for d in range(2):  # 0: missing rows right, 1: missing rows left
            if d == 1 and b >= n_left_candidates:
                break
            left_h = hl_sum + hm_sum if d == 1 else hl_sum
            if not _sizes_ok(left_h, H_sum - left_h, C, per_h, mcw, mcs):
                continue
            gain = 0.0
            ok = True
            for k in range(K):
                gl = acc[k] + mrow[k] if d == 1 else acc[k]
                hl = acc[K + k] + mrow[K + k] if d == 1 else acc[K + k]
                gr = totals[k] - gl
                hr = totals[K + k] - hl
                wl = bounded_weight(gl, hl, lam, alpha, mds, bounds[k], bounds[K + k])
                wr = bounded_weight(gr, hr, lam, alpha, mds, bounds[k], bounds[K + k])
                if (mono > 0 and wl > wr) or (mono < 0 and wl < wr):
                    ok = False
                    break
                gain += _score_at(gl, hl, wl, lam, alpha) + _score_at(gr, hr, wr, lam, alpha)
            if not ok:
                continue
            gain -= parent
            if gain > best_gain:
                best_gain, best_b, best_dl, best_hl = gain, b, d == 1, hl_sum
    if best_b >= 0 and not has_missing:
        best_dl = best_hl >= H_sum - best_hl
    return best_gain, best_b, best_dl


@njit(cache=True, nogil=True)
def find_best_split_monotone(hist, n_bins, feature_mask, totals, split_params, monotone,
                             bounds, work, out):
    """Best split of one node under monotone constraints and leaf-value bounds.

    As :func:`find_best_split`, plus
    monotone : (n_features,) int8, -1 / 0 / +1 per feature                  # IN
    bounds : (2K,) float64, the node's lower[K] then upper[K] leaf bounds   # IN
    """
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    K = hist.shape[2]
    parent = _bounded_parent_score(totals, K, bounds, lam, alpha, mds)
    min_gain = gamma if gamma > 0.0 else 0.0
    _no_split(min_gain, out)
    best_gain, best_f, best_b, best_dl = min_gain, -1, -1, False
    for f in range(hist.shape[0]):
        if not feature_mask[f]:
            continue
        gain, b, dl = _scan_monotone(hist[f], n_bins[f], totals, bounds, monotone[f], parent,
                                     lam, alpha, mds, mcw, mcs, min_gain, work[0])
        if b >= 0 and _beats(gain, best_gain):
            best_gain, best_f, best_b, best_dl = gain, f, b, dl
    if best_f >= 0:
        _write_split(hist[best_f], best_gain, best_f, best_b, best_dl, out)


@njit(cache=True, nogil=True, parallel=True)
def find_best_split_pair_monotone(hist_left, hist_right, n_bins, mask_left, mask_right,
                                  totals, evaluate, split_params, monotone, bounds, work, out):
    """:func:`find_best_split_pair` under monotone constraints; bounds : (2, 2K) float64,
    each child's lower[K] then upper[K]. Gives exactly what :func:`find_best_split_monotone`
    gives for each child."""
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    min_gain = gamma if gamma > 0.0 else 0.0
    n_features = hist_left.shape[0]
    K = hist_left.shape[2]
    per_feature = _unscanned(n_features)  # gain, bin, default_left
    for task in prange(2 * n_features):
        c = task // n_features
        f = task - c * n_features
        if not evaluate[c]:
            continue
        hist = hist_left if c == 0 else hist_right
        mask = mask_left if c == 0 else mask_right
        if not mask[f]:
            continue
        parent = _bounded_parent_score(totals[c], K, bounds[c], lam, alpha, mds)
        _keep_feature_split(per_feature, c, f, _scan_monotone(
            hist[f], n_bins[f], totals[c], bounds[c], monotone[f], parent, lam, alpha, mds,
            mcw, mcs, min_gain, work[task]))
    _pick_pair(per_feature, hist_left, hist_right, min_gain, out)


def find_best_split_monotone_naive(hist, n_bins, feature_mask, totals, split_params, monotone,
                                   bounds):
    """Reference for :func:`find_best_split_monotone`: every candidate's children materialised,
    weights clipped into ``bounds`` ((2K,) lower then upper), order checked per output.

    Returns (gain, feature, bin, default_left, G_left (K,), H_left (K,))."""
    lam, alpha, gamma, mcw, mcs, mds = (float(v) for v in split_params)
    K = hist.shape[2]
    totals = np.asarray(totals, dtype=np.float64)
    G, H, C = totals[:K], totals[K:2 * K], totals[2 * K]
    lo, hi = np.asarray(bounds[:K], float), np.asarray(bounds[K:], float)

    def weight(g, h, k):
        t = np.sign(g) * max(abs(g) - alpha, 0.0)
        w = 0.0 if (t == 0.0 or h + lam <= 0) else -t / (h + lam)
        if mds > 0:
            w = float(np.clip(w, -mds, mds))
        return float(np.clip(w, lo[k], hi[k]))

    def score(g, h, w):
        return -(2 * g * w + (h + lam) * w * w + 2 * alpha * abs(w))

    parent = sum(score(G[k], H[k], weight(G[k], H[k], k)) for k in range(K))
    per_h = C / H.sum() if H.sum() > 0 else 0.0
    min_gain = max(gamma, 0.0)
    best = (min_gain, -1, -1, False, np.zeros(K), np.zeros(K))
    for f in range(hist.shape[0]):
        if not feature_mask[f]:
            continue
        nb = int(n_bins[f])
        miss = hist[f, -1]
        f_best = None
        f_gain = min_gain
        for b in range(nb):
            left_vals = hist[f, :b + 1].sum(axis=0)
            directions = []
            if np.any(miss != 0):
                directions.append((False, left_vals))
                if b < nb - 1:
                    directions.append((True, left_vals + miss))
            elif b < nb - 1:
                directions.append((None, left_vals))
            for dl, left in directions:
                gl, hl = left[:, 0], left[:, 1]
                gr, hr = G - gl, H - hl
                count_left = np.floor(hl.sum() * per_h + 0.5)
                if min(hl.sum(), hr.sum()) < mcw or \
                        min(count_left, C - count_left) < max(mcs, 1e-12):
                    continue
                wl = [weight(gl[k], hl[k], k) for k in range(K)]
                wr = [weight(gr[k], hr[k], k) for k in range(K)]
                if any(monotone[f] * (wr[k] - wl[k]) < 0 for k in range(K)):
                    continue
                gain = sum(score(gl[k], hl[k], wl[k]) + score(gr[k], hr[k], wr[k])
                           for k in range(K)) - parent
                if gain > f_gain:
                    default_left = bool(hl.sum() >= hr.sum()) if dl is None else dl
                    f_gain, f_best = gain, (gain, f, b, default_left, gl, hl)
        if f_best is not None and f_best[0] > best[0] + TIE_RTOL * abs(best[0]):
            best = f_best
    return best


# ---------------------------------------------------------------------------------------------
# Categorical features (LightGBM / XGBoost style).
#
# A categorical feature's bins are its category codes (bin c = category c; the missing bin
# holds missing and unseen categories). A categorical split sends a *set* of categories left.
#
# * Fewer than ``max_cat_to_onehot`` categories (the feature's count over the training data,
#   XGBoost's rule): one category against the rest, every category tried, with the ordinary
#   ``reg_lambda``.
# * Otherwise LightGBM's partition search: the node's categories with an estimated row count of
#   at least ``cat_smooth`` are sorted on ``G_c / (H_c + cat_smooth)`` and the sorted list is
#   scanned from both ends, putting up to ``min(max_cat_threshold, (n_used + 1) // 2)``
#   categories on the left; a candidate is evaluated only after at least ``min_data_per_group``
#   more (estimated) rows joined the left side, the right side keeps at least
#   ``min_data_per_group`` rows, and the children are scored with ``reg_lambda + cat_l2``
#   (the parent with ``reg_lambda``), so the extra L2 is a penalty on partition splits.
#   Categories left out of the sort (too few rows, or absent from the node) go right.
# * Vector leaves (K outputs): the gain is summed over outputs, and the sort is done once per
#   output (on that output's ``G_k / (H_k + cat_smooth)``), both ends of each order scanned:
#   K orders instead of one scalar statistic, so that, e.g., a softmax node (whose gradients
#   sum to zero over the classes) still finds the partition that separates one class.
# * Missing values: when the node holds missing rows each candidate is tried with them going
#   right, then left (the learned default direction); without missing rows they follow the
#   child with more hessian, as for numeric features.
#
# The chosen split is a code in the split row's ``bin`` slot (the one-hot category, or
# ``(order * 2 + direction) * n_bins + last position``); :func:`_cat_left_set` turns it into
# the set of categories going left. Parameters come as ``cat_params`` in CAT_PARAM_NAMES order.
# ---------------------------------------------------------------------------------------------

CAT_PARAM_NAMES = ("max_cat_to_onehot", "max_cat_threshold", "cat_smooth", "cat_l2",
                   "min_data_per_group")


@njit(cache=True, nogil=True, inline="always")
def _cat_children(acc, mrow, with_missing, totals, K, lam, alpha, mds, plain, use_bounds,
                  bounds):
    """score(left) + score(right) summed over outputs; left = acc (+ the missing row)."""
    s = 0.0
    for k in range(K):
        gl = acc[k]
        hl = acc[K + k]
        if with_missing:
            gl += mrow[k]
            hl += mrow[K + k]
        G = totals[k]
        H = totals[K + k]
        if use_bounds:
            wl = bounded_weight(gl, hl, lam, alpha, mds, bounds[k], bounds[K + k])
            wr = bounded_weight(G - gl, H - hl, lam, alpha, mds, bounds[k], bounds[K + k])
            s += _score_at(gl, hl, wl, lam, alpha) + _score_at(G - gl, H - hl, wr, lam, alpha)
        else:
            s += _children_score(gl, hl, G, H, lam, alpha, mds, plain)
    return s


@njit(cache=True, nogil=True)
def _cat_order(hist_f, nb, o, per_h, smooth):
    """The node's categories eligible for a partition (hessian > 0, estimated rows >=
    ``smooth``), sorted on ``g_o / (h_o + smooth)`` (stable: ties by category code)."""
    K = hist_f.shape[1]
    idx = np.empty(nb, dtype=np.int64)
    keys = np.empty(nb)
    n = 0
    for b in range(nb):
        h_sum = 0.0
        for k in range(K):
            h_sum += hist_f[b, k, 1]
        if h_sum <= 0.0 or np.floor(h_sum * per_h + 0.5) < smooth:
            continue
        denom = hist_f[b, o, 1] + smooth
        keys[n] = hist_f[b, o, 0] / denom if denom > 0.0 else 0.0
        idx[n] = b
        n += 1
    order = np.argsort(keys[:n], kind="mergesort")
    return idx[:n][order]


@njit(cache=True, nogil=True)
def _node_sums(hist_f, totals, K):
    """(H summed over outputs, rows per unit hessian) of a node, as every scan computes them."""
    H_sum = 0.0
    for k in range(K):
        H_sum += totals[K + k]
    return H_sum, count_factor(totals[2 * K], H_sum)


@njit(cache=True, nogil=True)
def _scan_categorical(hist_f, nb, totals, parent, lam, alpha, mds, mcw, mcs, min_gain,
                      cat_params, use_bounds, bounds, work):
    """Best categorical split of one feature: (gain, code, default_left); code -1 = none.

    hist_f : (n_bins_total, K, 2); totals : (2K + 1,); cat_params : (5,) CAT_PARAM_NAMES;
    use_bounds / bounds : score leaves clipped into the node's monotone bounds ((2K,));
    work : (>= 2, >= 2K) scratch."""
    K = hist_f.shape[1]
    miss = hist_f.shape[0] - 1
    acc = work[0]   # left sums g[K], h[K]
    mrow = work[1]  # the missing bin's g[K], h[K]
    has_missing = False
    hm_sum = 0.0
    for k in range(K):
        mrow[k] = hist_f[miss, k, 0]
        mrow[K + k] = hist_f[miss, k, 1]
        has_missing = has_missing or mrow[k] != 0.0 or mrow[K + k] != 0.0
        hm_sum += mrow[K + k]
    H_sum, per_h = _node_sums(hist_f, totals, K)
    C = totals[2 * K]
    plain = alpha == 0.0 and mds == 0.0
    best_gain, best_code, best_dl, best_hl = min_gain, np.int64(-1), False, 0.0
    if nb < cat_params[0]:  # one category against the rest
        for b in range(nb):
            hl_sum = 0.0
            for k in range(K):
                acc[k] = hist_f[b, k, 0]
                acc[K + k] = hist_f[b, k, 1]
                hl_sum += acc[K + k]
            if hl_sum <= 0.0:
                continue
            for d in range(2):  # 0: missing rows right, 1: missing rows left
                if d == 1 and not has_missing:
                    break
                left_h = hl_sum + hm_sum if d == 1 else hl_sum
                if not _sizes_ok(left_h, H_sum - left_h, C, per_h, mcw, mcs):
                    continue
                gain = _cat_children(acc, mrow, d == 1, totals, K, lam, alpha, mds, plain,
                                     use_bounds, bounds) - parent
                if gain > best_gain:
                    best_gain, best_code, best_dl, best_hl = gain, np.int64(b), d == 1, hl_sum
    else:  # LightGBM's partition search
        max_thr = cat_params[1]
        smooth = cat_params[2]
        lam_c = lam + cat_params[3]
        min_group = cat_params[4]
        least_left = max(mcs, 1.0)
        least_right = max(mcs, min_group, 1.0)
        for o in range(K):
            order = _cat_order(hist_f, nb, o, per_h, smooth)
            n_used = order.shape[0]
            max_num = min(max_thr, (n_used + 1) // 2)
            for direction in range(2):
                for j in range(2 * K):
                    acc[j] = 0.0
                hl_sum = 0.0
                group = 0.0
                i = 0
                while i < max_num:
                    b = order[i] if direction == 0 else order[n_used - 1 - i]
                    hb = 0.0
                    for k in range(K):
                        acc[k] += hist_f[b, k, 0]
                        acc[K + k] += hist_f[b, k, 1]
                        hb += hist_f[b, k, 1]
                    hl_sum += hb
                    group += hb * per_h
                    i += 1
                    count_left = np.floor(hl_sum * per_h + 0.5)
                    if hl_sum < mcw or count_left < least_left:
                        continue
                    if H_sum - hl_sum < mcw or C - count_left < least_right:
                        break
                    if group < min_group:
                        continue
                    group = 0.0
                    for d in range(2):
                        if d == 1 and not has_missing:
                            break
                        left_h = hl_sum + hm_sum if d == 1 else hl_sum
                        if not _sizes_ok(left_h, H_sum - left_h, C, per_h, mcw, mcs):
                            continue
                        gain = _cat_children(acc, mrow, d == 1, totals, K, lam_c, alpha, mds,
                                             plain, use_bounds, bounds) - parent
                        if gain > best_gain:
                            best_gain, best_dl, best_hl = gain, d == 1, hl_sum
                            best_code = np.int64((o * 2 + direction) * nb + i - 1)
    if best_code >= 0 and not has_missing:
        best_dl = best_hl >= H_sum - best_hl
    return best_gain, best_code, best_dl


@njit(cache=True, nogil=True)
def _cat_left_set(hist_f, nb, totals, code, cat_params, out_set):
    """Mark in ``out_set`` ((>= nb,) bool) the categories a split ``code`` of
    :func:`_scan_categorical` sends left (every other entry False)."""
    out_set[:] = False
    if nb < cat_params[0]:
        out_set[code] = True
        return
    K = hist_f.shape[1]
    last = code % nb
    rest = code // nb
    direction = rest % 2
    o = rest // 2
    _, per_h = _node_sums(hist_f, totals, K)
    order = _cat_order(hist_f, nb, o, per_h, cat_params[2])
    n_used = order.shape[0]
    for i in range(last + 1):
        out_set[order[i] if direction == 0 else order[n_used - 1 - i]] = True


@njit(cache=True, nogil=True)
def _write_split_set(hist_f, gain, feature, code, default_left, left_set, nb, out):
    """A split row for a categorical split: left sums over the categories in ``left_set``
    (plus the missing bin when ``default_left``)."""
    K = hist_f.shape[1]
    miss = hist_f.shape[0] - 1
    out[0] = gain
    out[1] = feature
    out[2] = code
    out[3] = 1.0 if default_left else 0.0
    for k in range(K):
        g = 0.0
        h = 0.0
        for b in range(nb):
            if left_set[b]:
                g += hist_f[b, k, 0]
                h += hist_f[b, k, 1]
        if default_left:
            g += hist_f[miss, k, 0]
            h += hist_f[miss, k, 1]
        out[4 + k] = g
        out[4 + K + k] = h


@njit(cache=True, nogil=True)
def _scan_any(hist_f, nb, totals, parent, lam, alpha, mds, mcw, mcs, min_gain, is_cat_f,
              cat_params, mono_f, use_mono, bounds, work):
    """(gain, bin or code, default_left) of one feature, numeric or categorical."""
    if is_cat_f:
        return _scan_categorical(hist_f, nb, totals, parent, lam, alpha, mds, mcw, mcs,
                                 min_gain, cat_params, use_mono, bounds, work)
    if use_mono:
        return _scan_monotone(hist_f, nb, totals, bounds, mono_f, parent, lam, alpha, mds,
                              mcw, mcs, min_gain, work)
    return _scan_feature(hist_f, nb, totals, parent, lam, alpha, mds, mcw, mcs, min_gain,
                         work)


@njit(cache=True, nogil=True)
def _finish_split(hist_f, nb, gain, feature, b, dl, is_cat_f, totals, cat_params, out,
                  out_set):
    if is_cat_f:
        _cat_left_set(hist_f, nb, totals, b, cat_params, out_set)
        _write_split_set(hist_f, gain, feature, b, dl, out_set, nb, out)
    else:
        _write_split(hist_f, gain, feature, b, dl, out)


@njit(cache=True, nogil=True)
def find_best_split_categorical(hist, n_bins, feature_mask, totals, split_params, is_cat,
                                cat_params, monotone, use_mono, bounds, work, out, out_set):
    """Best split of one node when some features are categorical (any constraints).

    As :func:`find_best_split` (and :func:`find_best_split_monotone` when ``use_mono``), plus
    is_cat : (n_features,) bool, categorical features                           # IN
    cat_params : (5,) float64, see CAT_PARAM_NAMES                              # IN
    monotone : (n_features,) int8; use_mono : bool; bounds : (2K,) float64      # IN
    out_set : (>= max categorical n_bins,) bool: for a categorical split, the categories
              going left; out[2] is then the split's code, not a bin           # OUT
    """
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    K = hist.shape[2]
    if use_mono:
        parent = _bounded_parent_score(totals, K, bounds, lam, alpha, mds)
    else:
        parent = _parent_score(totals, K, lam, alpha, mds)
    min_gain = gamma if gamma > 0.0 else 0.0
    _no_split(min_gain, out)
    best_gain, best_f, best_b, best_dl = min_gain, -1, np.int64(-1), False
    for f in range(hist.shape[0]):
        if not feature_mask[f]:
            continue
        gain, b, dl = _scan_any(hist[f], n_bins[f], totals, parent, lam, alpha, mds, mcw, mcs,
                                min_gain, is_cat[f], cat_params, monotone[f], use_mono, bounds,
                                work[0])
        if b >= 0 and _beats(gain, best_gain):
            best_gain, best_f, best_b, best_dl = gain, f, np.int64(b), dl
    if best_f >= 0:
        _finish_split(hist[best_f], n_bins[best_f], best_gain, best_f, best_b, best_dl,
                      is_cat[best_f], totals, cat_params, out, out_set)


@njit(cache=True, nogil=True, parallel=True)
def find_best_split_pair_categorical(hist_left, hist_right, n_bins, mask_left, mask_right,
                                     totals, evaluate, split_params, is_cat, cat_params,
                                     monotone, use_mono, bounds, work, out, out_set):
    """:func:`find_best_split_pair` when some features are categorical; gives exactly what
    :func:`find_best_split_categorical` gives for each child.

    bounds : (2, 2K) float64, each child's monotone bounds (read when ``use_mono``)  # IN
    out_set : (2, >= max categorical n_bins) bool, each child's left categories     # OUT
    """
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    min_gain = gamma if gamma > 0.0 else 0.0
    n_features = hist_left.shape[0]
    K = hist_left.shape[2]
    per_feature = _unscanned(n_features)  # gain, bin or code, default_left
    for task in prange(2 * n_features):
        c = task // n_features
        f = task - c * n_features
        if not evaluate[c]:
            continue
        hist = hist_left if c == 0 else hist_right
        mask = mask_left if c == 0 else mask_right
        if not mask[f]:
            continue
        if use_mono:
            parent = _bounded_parent_score(totals[c], K, bounds[c], lam, alpha, mds)
        else:
            parent = _parent_score(totals[c], K, lam, alpha, mds)
        _keep_feature_split(per_feature, c, f, _scan_any(
            hist[f], n_bins[f], totals[c], parent, lam, alpha, mds, mcw, mcs, min_gain,
            is_cat[f], cat_params, monotone[f], use_mono, bounds[c], work[task]))
    for c in range(2):
        _no_split(min_gain, out[c])
        best, best_f = min_gain, -1
        for f in range(n_features):
            if per_feature[c, f, 1] >= 0 and _beats(per_feature[c, f, 0], best):
                best, best_f = per_feature[c, f, 0], f
        if best_f >= 0:
            hist = hist_left if c == 0 else hist_right
            _finish_split(hist[best_f], n_bins[best_f], best, best_f,
                          np.int64(per_feature[c, best_f, 1]), per_feature[c, best_f, 2] > 0.0,
                          is_cat[best_f], totals[c], cat_params, out[c], out_set[c])


def find_best_categorical_split_naive(hist_f, nb, totals, split_params, cat_params):
    """Reference for one categorical feature: enumerate the candidate left sets exactly as the
    rules above describe (plain Python, sorted() for the orders) and score each by building
    its children explicitly. Returns (gain, left set as a sorted list, default_left) or None.
    """
    lam, alpha, gamma, mcw, mcs, mds = (float(v) for v in split_params)
    max_onehot, max_thr, smooth, cat_l2, min_group = (float(v) for v in cat_params)
    K = hist_f.shape[1]
    totals = np.asarray(totals, dtype=np.float64)
    G, H, C = totals[:K], totals[K:2 * K], totals[2 * K]
    miss = hist_f[-1]
    has_missing = bool(np.any(miss != 0))
    per_h = C / H.sum() if H.sum() > 0 else 0.0

    def score(g, h, lam_):
        t = np.sign(g) * max(abs(g) - alpha, 0.0)
        if t == 0.0 or h + lam_ <= 0:
            return 0.0
        w = -t / (h + lam_)
        if mds > 0:
            w = float(np.clip(w, -mds, mds))
        return -(2 * g * w + (h + lam_) * w * w + 2 * alpha * abs(w))

    parent = sum(score(G[k], H[k], lam) for k in range(K))

    def sizes_ok(hl):
        hr = H.sum() - hl
        cl = np.floor(hl * per_h + 0.5)
        least = max(mcs, 1.0)
        return hl >= mcw and hr >= mcw and cl >= least and C - cl >= least

    candidates = []  # (left set, lam used), in the kernel's scan order
    if nb < max_onehot:
        for b in range(nb):
            if hist_f[b, :, 1].sum() > 0:
                candidates.append(([b], lam))
    else:
        used = [b for b in range(nb) if hist_f[b, :, 1].sum() > 0 and
                np.floor(hist_f[b, :, 1].sum() * per_h + 0.5) >= smooth]
        for o in range(K):
            def key(b):
                d = hist_f[b, o, 1] + smooth
                return hist_f[b, o, 0] / d if d > 0 else 0.0
            order = sorted(used, key=key)
            max_num = int(min(max_thr, (len(order) + 1) // 2))
            for seq in (order, order[::-1]):
                group = 0.0
                for i in range(max_num):
                    left = seq[:i + 1]
                    hl = sum(hist_f[b, :, 1].sum() for b in left)
                    group += hist_f[seq[i], :, 1].sum() * per_h
                    count_left = np.floor(hl * per_h + 0.5)
                    if hl < mcw or count_left < max(mcs, 1.0):
                        continue
                    if H.sum() - hl < mcw or C - count_left < max(mcs, min_group, 1.0):
                        break
                    if group < min_group:
                        continue
                    group = 0.0
                    candidates.append((sorted(left), lam + cat_l2))
    best = None
    best_gain = max(gamma, 0.0)
    for left, lam_ in candidates:
        lv = hist_f[left].sum(axis=0)  # (K, 2)
        for dl in ((False, True) if has_missing else (None,)):
            gl = lv[:, 0] + (miss[:, 0] if dl else 0.0)
            hl = lv[:, 1] + (miss[:, 1] if dl else 0.0)
            if not sizes_ok(hl.sum()):
                continue
            gain = sum(score(gl[k], hl[k], lam_) + score(G[k] - gl[k], H[k] - hl[k], lam_)
                       for k in range(K)) - parent
            if gain > best_gain:
                d = bool(hl.sum() >= H.sum() - hl.sum()) if dl is None else dl
                best_gain, best = gain, (gain, left, d)
    return best
