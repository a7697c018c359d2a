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

``split_params`` packs the scalar rules: (reg_lambda, reg_alpha, gamma, min_child_weight,
min_child_samples, max_delta_step); see :data:`SPLIT_PARAM_NAMES`.
"""
import numpy as np
from numba import njit, prange

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


@njit(cache=True, nogil=True, inline="always")
def _candidate_gain(gl, hl, G, H, C, per_h, parent, lam, alpha, mds, mcw, mcs, plain):
    """Gain of sending (gl, hl) left, or -inf when a child breaks the size rules.

    ``plain`` (no L1, no max_delta_step) takes a branch-free path so the per-bin loop
    vectorises. Child counts are ``round(h * per_h)``; with integer ``mcs`` the tests
    ``cl >= max(mcs, 1)`` and ``C - cl >= max(mcs, 1)`` need no rounding."""
    gr = G - gl
    hr = H - hl
    x = hl * per_h + 0.5  # cl = floor(x)
    least = mcs if mcs > 1.0 else 1.0
    ok = (hl >= mcw) & (hr >= mcw) & (x >= least) & (x < C - least + 1.0)
    if plain:
        dl = hl + lam
        dr = hr + lam
        score_l = gl * gl / dl if dl > 0.0 else 0.0
        score_r = gr * gr / dr if dr > 0.0 else 0.0
        gain = score_l + score_r - parent
    else:
        gain = node_score(gl, hl, lam, alpha, mds) + node_score(gr, hr, lam, alpha, mds) - parent
    return gain if ok else -np.inf


@njit(cache=True, nogil=True)
def _scan_feature(hist_f, nb, G, H, C, parent, lam, alpha, mds, mcw, mcs, min_gain, work):
    """Best split of one feature: (gain, bin, default_left, G_left, H_left).

    work : (4, n_bins_total) float64 scratch. Prefix sums first, then every candidate's gain in
    a loop without data-dependent branches, then the first best candidate in scan order
    (bin by bin; at each bin "missing right" before "missing left").
    """
    miss = hist_f.shape[0] - 1
    gm = hist_f[miss, 0]
    hm = hist_f[miss, 1]
    has_missing = hm != 0.0 or gm != 0.0
    per_h = count_factor(C, H)
    last = nb if has_missing else nb - 1  # with missing rows, "all values left" is a split
    prefix_g = work[0]
    prefix_h = work[1]
    gain_right = work[2]  # missing rows go right
    gain_left = work[3]   # missing rows go left
    gl = 0.0
    hl = 0.0
    for b in range(last):
        gl += hist_f[b, 0]
        hl += hist_f[b, 1]
        prefix_g[b] = gl
        prefix_h[b] = hl
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
    best_gain, best_b, best_dl = min_gain, -1, False
    for b in range(last):
        if gain_right[b] > best_gain:
            best_gain, best_b, best_dl = gain_right[b], b, False
        if b < n_left_candidates and gain_left[b] > best_gain:
            best_gain, best_b, best_dl = gain_left[b], b, True
    if best_b < 0:
        return best_gain, best_b, best_dl, 0.0, 0.0
    gl = prefix_g[best_b]
    hl = prefix_h[best_b]
    if best_dl:
        gl += gm
        hl += hm
    elif not has_missing:
        best_dl = hl >= H - hl  # unseen missing values follow the heavier child
    return best_gain, best_b, best_dl, gl, hl


@njit(cache=True, nogil=True)
def find_best_split(hist, n_bins, feature_mask, G, H, C, split_params, work):
    """Best split of one node.

    hist : (n_features, n_bins_total, 2) float64; last bin is missing   # IN
    n_bins : (n_features,) int32, value bins per feature                # IN
    feature_mask : (n_features,) bool, features allowed here            # IN
    G, H : node totals of gradient and hessian; C : node row count      # IN
    split_params : (6,) float64, see SPLIT_PARAM_NAMES                  # IN
    work : (>= 1, 4, n_bins_total) float64                              # scratch

    Returns (gain, feature, bin, default_left, G_left, H_left); feature is -1 when no split
    passes the rules. Rows with bin <= ``bin`` (and missing ones if default_left) go left.
    Ties go to the lowest feature index, then the lowest bin.
    """
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    parent = node_score(G, H, lam, alpha, mds)
    min_gain = gamma if gamma > 0.0 else 0.0
    best = (min_gain, -1, -1, False, 0.0, 0.0)
    for f in range(hist.shape[0]):
        if not feature_mask[f]:
            continue
        gain, b, dl, gl, hl = _scan_feature(hist[f], n_bins[f], G, H, C, parent, lam,
                                            alpha, mds, mcw, mcs, min_gain, work[0])
        if b >= 0 and gain > best[0]:
            best = (gain, f, b, dl, gl, hl)
    return best


def find_best_split_naive(hist, n_bins, feature_mask, G, H, C, split_params):
    """Reference: materialise every candidate's children explicitly and take the best."""
    lam, alpha, gamma, mcw, mcs, mds = (float(v) for v in split_params)

    def score(g, h):
        t = np.sign(g) * max(abs(g) - alpha, 0.0)
        if t == 0.0 or h + lam <= 0:
            return 0.0
        w = -t / (h + lam)
        if mds > 0:
            w = float(np.clip(w, -mds, mds))
        return -(2 * g * w + (h + lam) * w * w + 2 * alpha * abs(w))

    per_h = C / H if H > 0 else 0.0
    best = (max(gamma, 0.0), -1, -1, False, 0.0, 0.0)
    for f in range(hist.shape[0]):
        if not feature_mask[f]:
            continue
        nb = int(n_bins[f])
        miss = hist[f, -1]
        for b in range(nb):
            left_vals = hist[f, :b + 1].sum(axis=0)
            directions = []
            if np.any(miss != 0):
                directions.append((False, left_vals))          # missing right
                if b < nb - 1:
                    directions.append((True, left_vals + miss))  # missing left
            elif b < nb - 1:
                directions.append((None, left_vals))
            for dl, left in directions:
                right = np.array([G, H]) - left
                count_left = np.floor(left[1] * per_h + 0.5)  # estimated, as the kernel does
                if min(left[1], right[1]) < mcw or \
                        min(count_left, C - count_left) < max(mcs, 1e-12):
                    continue
                gain = score(left[0], left[1]) + score(right[0], right[1]) - score(G, H)
                if gain > best[0]:
                    default_left = bool(left[1] >= right[1]) if dl is None else dl
                    best = (gain, f, b, default_left, left[0], left[1])
    return best


@njit(cache=True, nogil=True, parallel=True)
def find_best_split_pair(hist_left, hist_right, n_bins, mask_left, mask_right, totals,
                         evaluate, split_params, work, out):
    """Best splits of two sibling nodes in one parallel region over (child, feature) pairs.

    Gives exactly what :func:`find_best_split` gives for each child (same tie rules).

    hist_left, hist_right : (n_features, n_bins_total, 2) float64     # IN
    n_bins : (n_features,) int32                                       # IN
    mask_left, mask_right : (n_features,) bool                         # IN
    totals : (2, 3) float64, (G, H, row count) of each child           # IN
    evaluate : (2,) bool, which children may split at all              # IN
    split_params : (6,) float64                                        # IN
    work : (2 * n_features, 4, n_bins_total) float64                   # scratch
    out : (2, 6) float64, per child (gain, feature, bin, default_left,
          G_left, H_left); feature -1 = no split                       # OUT
    """
    lam, alpha, gamma, mcw, mcs, mds = _split_rules(split_params)
    min_gain = gamma if gamma > 0.0 else 0.0
    n_features = hist_left.shape[0]
    per_feature = np.full((2, n_features, 5), -1.0)
    for task in prange(2 * n_features):
        c = task // n_features
        f = task - c * n_features
        if not evaluate[c]:
            continue
        hist = hist_left if c == 0 else hist_right
        mask = mask_left if c == 0 else mask_right
        if not mask[f]:
            continue
        G = totals[c, 0]
        H = totals[c, 1]
        C = totals[c, 2]
        parent = node_score(G, H, lam, alpha, mds)
        gain, b, dl, gl, hl = _scan_feature(hist[f], n_bins[f], G, H, C, parent, lam,
                                            alpha, mds, mcw, mcs, min_gain, work[task])
        per_feature[c, f, 0] = gain
        per_feature[c, f, 1] = b
        per_feature[c, f, 2] = 1.0 if dl else 0.0
        per_feature[c, f, 3] = gl
        per_feature[c, f, 4] = hl
    for c in range(2):
        out[c, :] = 0.0
        out[c, 0] = min_gain
        out[c, 1] = -1.0
        out[c, 2] = -1.0
        best = min_gain
        for f in range(n_features):  # fixed order: ties go to the lowest feature index
            if per_feature[c, f, 1] >= 0 and per_feature[c, f, 0] > best:
                best = per_feature[c, f, 0]
                out[c, 0] = best
                out[c, 1] = f
                out[c, 2] = per_feature[c, f, 1]
                out[c, 3] = per_feature[c, f, 2]
                out[c, 4] = per_feature[c, f, 3]
                out[c, 5] = per_feature[c, f, 4]
