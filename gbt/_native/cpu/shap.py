"""TreeSHAP kernels: exact path-dependent SHAP values and SHAP interaction values.

The forest is the flat node layout of :mod:`gbt._native.cpu.predict` (``feature``,
``threshold``, ``default_left``, ``left``, ``right``, the categorical node arrays ``is_cat``,
``cat_count``, ``cat_bits`` (all False / zero / zero words for a forest without categorical
splits), ``value``, ``value_offsets``, ``tree_offsets``, ``tree_output``, ``tree_width``) plus
``frac``: for every non-root node its
share of its parent's weight (cover), ``w[child] / (w[left] + w[right])``.

What is computed is Lundberg et al. (2018), Algorithm 2: the Shapley values of the game
``E(S)`` = the tree's output when the features in ``S`` follow the row and every other split
takes the cover-weighted average of its children. The kernels do not run Algorithm 2's
extend/unwind recursion (O(L D^2) per tree and row); they use the same quantity in its
integral form (as in Linear TreeSHAP, Yu et al. 2022). For a leaf ``l`` with value ``v``
whose path uses the distinct features ``F``, each with a zero fraction ``z_j`` (product of the
path's cover shares at the splits on ``j``) and a one fraction ``o_j`` (1 when the row takes
every split on ``j`` the way the path does, else 0), with ``f_j(s) = z_j (1 - s) + o_j s``::

    phi_i += v (o_i - z_i) * integral_0^1 prod_{j in F, j != i} f_j(s) ds

(the Shapley weights ``|S|! (|F|-|S|-1)! / |F|!`` are the Beta integrals of ``s^|S|
(1-s)^(|F|-|S|-1)``). One depth-first walk per tree carries ``G(s) = prod_j f_j(s)`` down at
the ``n`` points of a Gauss-Legendre rule, ``n = ceil(m / 2)`` for ``m`` the most distinct
features on any of the tree's paths (exact for these polynomials of degree < m), sums ``v G``
bottom-up, and at each edge adds ``(o - z) * quad(sum / f_edge)``; where a feature is split on
again deeper down, the deeper subtree's sum is taken back off the earlier edge's term, so every
term integrates a polynomial. Cost: O(n_nodes * n) per tree and row instead of Algorithm 2's
O(n_leaves * depth^2), and no division by a zero fraction: a subtree whose factor is
identically 0 is skipped, and rows with a 0 factor get a 0 reciprocal.

The walk does not depend on the row (only the one fractions do), so a block of up to
``ROW_BLOCK`` rows goes through each tree together: every step is a short loop over the rows,
which keeps the branching per node and vectorises.

Interaction values use the same walk with one feature ``j`` *conditioned*: its factor leaves
``G`` and becomes the constant ``o_j - z_j`` (0 while ``j`` is not on the path), which gives
``2 * Phi_ij`` for every ``i != j``; the diagonal is ``phi_i - sum_{j != i} Phi_ij``.
"""
import math
from itertools import combinations

import numpy as np
from numba import njit, prange

from .predict import _cat_goes_left, goes_left_naive

ROW_BLOCK = 64  # most rows walked together through a tree (the walk is the same for all)
# Zero fractions below this count as 0, so that no reciprocal 1 / (z (1 - s)) overflows; the
# terms this drops are smaller than Z_TINY times a leaf value.
Z_TINY = 1e-250


def gauss_legendre_table(n_max):
    """Gauss-Legendre points and weights on [0, 1] for 1..n_max points: two arrays of shape
    ``(n_max + 1, max(n_max, 1))``, row ``n`` holding the ``n``-point rule (row 0 unused)."""
    width = max(n_max, 1)
    s = np.zeros((n_max + 1, width))
    w = np.zeros((n_max + 1, width))
    for n in range(1, n_max + 1):
        x, wt = np.polynomial.legendre.leggauss(n)
        s[n, :n] = 0.5 * (x + 1.0)
        w[n, :n] = 0.5 * wt
    return s, w


@njit(cache=True, nogil=True)
def _tree_pass(XT, nb, t, cond, feature, threshold, default_left, left, right, is_cat,
               cat_count, cat_bits, frac, value, value_offsets, tree_offsets, tree_output,
               tree_width, tree_npts, gl_s, gl_w, last_depth, node_st, stage_st, ef, eprev,
               ez, R0, DR, W0, WD, eo, ec, golf, G, A, tot, acc, acc0):
    """Add tree ``t``'s SHAP values for the ``nb`` rows of ``XT`` (row ``b`` is
    ``XT[:, b]``) to ``acc[acc0 + b, tree_output[t] + w, feature]``.

    The walk visits every node in the same order for every row; only the one fractions
    ``eo`` (0 or 1) and what depends on them are per row, so each step is a loop over the
    rows. An edge's factor ``z (1 - s) + o s`` has two reciprocals per point, ``R0`` (o = 0)
    and ``R0 + DR`` (o = 1), computed once per edge (``W0``, ``WD``: times the weights).

    Workspace, indexed by depth ``d`` (the edge into the current node at depth ``d``): its
    feature ``ef``, the depth ``eprev`` of the previous edge on that feature on the path
    (-1: none; ``last_depth[f]`` is the latest), its zero fraction ``ez`` and per-row one
    fraction ``eo``; ``golf`` whether each row goes left at the node at depth ``d``; ``G``
    the product of the path's factors at each point; ``A`` the subtree's sum of ``v * G``;
    ``ec`` the conditioned feature's factor (interaction passes; 1 otherwise).

    XT : (n_features, ROW_BLOCK) float64, a block of rows transposed, NaN = missing  # IN
    cond : -1 for SHAP values; a feature index ``j`` to condition on it (interaction
        pass: the sums added are ``2 * Phi_ij`` and nothing is added for ``j`` itself).
    last_depth : (n_features,) int32, all -1 on entry and on return               # IN/OUT
    node_st, stage_st, ef, eprev : (max_depth + 2,) int32; ez : (max_depth + 2,)  # OUT
    R0, DR, W0, WD : (max_depth + 2, n_max) float64                                # OUT
    eo, ec, golf : (max_depth + 2, ROW_BLOCK) float64                              # OUT
    G : (max_depth + 2, n_max, ROW_BLOCK) float64                                  # OUT
    A : (max_depth + 2, max_width, n_max, ROW_BLOCK) float64; tot : (ROW_BLOCK,)   # OUT
    acc : (n_acc_rows, n_outputs, n_features + 1) float64                          # IN/OUT
    """
    base = tree_offsets[t]
    if left[base] == -1:
        return  # a single leaf: no feature changes anything
    n = tree_npts[t]
    width = tree_width[t]
    out0 = tree_output[t]
    voff = value_offsets[t]
    d = 0
    node_st[0] = 0
    stage_st[0] = 0
    c0 = 0.0 if cond >= 0 else 1.0
    for b in range(nb):
        ec[0, b] = c0
    for q in range(n):
        for b in range(nb):
            G[0, q, b] = 1.0
    for w in range(width):
        for q in range(n):
            for b in range(nb):
                A[0, w, q, b] = 0.0
    while True:
        k = node_st[d]
        st = stage_st[d]
        finished = False
        if st < 2:
            stage_st[d] = st + 1
            kg = base + k
            f = feature[kg]
            if st == 0:
                child = left[kg]
                thr = threshold[kg]
                dl = default_left[kg]
                if is_cat[kg]:
                    for b in range(nb):
                        go = _cat_goes_left(XT[f, b], kg, default_left, cat_count, cat_bits)
                        golf[d, b] = 1.0 if go else 0.0
                else:
                    for b in range(nb):
                        xv = XT[f, b]
                        if np.isnan(xv):
                            go = dl
                        else:
                            go = xv <= thr
                        golf[d, b] = 1.0 if go else 0.0
            else:
                child = right[kg]
            p = last_depth[f]
            z = frac[base + child]
            if p >= 0:
                z *= ez[p]
            if z < Z_TINY:
                z = 0.0
            d1 = d + 1
            any_on = False
            for b in range(nb):
                on = golf[d, b] if st == 0 else 1.0 - golf[d, b]
                if p >= 0:
                    on *= eo[p, b]
                eo[d1, b] = on
                any_on |= on != 0.0
            if z == 0.0 and not any_on:
                continue  # every leaf below weighs 0 in every coalition: nothing to add
            is_leaf = left[base + child] == -1
            if f == cond:
                any_c = False
                for b in range(nb):
                    c = eo[d1, b] - z
                    ec[d1, b] = c
                    any_c |= c != 0.0
                if not any_c:
                    continue
                for q in range(n):
                    for b in range(nb):
                        G[d1, q, b] = G[d, q, b]
            elif is_leaf:
                # Add the leaf's term and its v * G straight to the parent, without this
                # edge's reciprocal (G_leaf / f_edge = G_parent / f_prev).
                vfirst = voff + child * width
                for w in range(width):
                    v = value[vfirst + w]
                    for b in range(nb):
                        tot[b] = 0.0
                    for q in range(n):
                        s = gl_s[n, q]
                        gw = gl_w[n, q]
                        zs = z * (1.0 - s)
                        if p >= 0:
                            r0p = R0[p, q]
                            drp = DR[p, q]
                            for b in range(nb):
                                g = G[d, q, b] * (r0p + eo[p, b] * drp)
                                tot[b] += gw * g
                                A[d, w, q, b] += v * ec[d, b] * g * (zs + eo[d1, b] * s)
                        else:
                            for b in range(nb):
                                g = G[d, q, b]
                                tot[b] += gw * g
                                A[d, w, q, b] += v * ec[d, b] * g * (zs + eo[d1, b] * s)
                    for b in range(nb):
                        acc[acc0 + b, out0 + w, f] += (eo[d1, b] - z) * v * ec[d, b] * tot[b]
                continue
            else:
                for b in range(nb):
                    ec[d1, b] = ec[d, b]
                for q in range(n):
                    s = gl_s[n, q]
                    zs = z * (1.0 - s)
                    # rows with o = 0 on a zero-share edge weigh 0 below: a 0 reciprocal
                    # keeps their values finite
                    rz = 1.0 / zs if z != 0.0 else 0.0
                    dr = 1.0 / (zs + s) - rz
                    R0[d1, q] = rz
                    DR[d1, q] = dr
                    W0[d1, q] = gl_w[n, q] * rz
                    WD[d1, q] = gl_w[n, q] * dr
                    if p >= 0:
                        r0p = R0[p, q]
                        drp = DR[p, q]
                        for b in range(nb):
                            G[d1, q, b] = G[d, q, b] * (zs + eo[d1, b] * s) \
                                * (r0p + eo[p, b] * drp)
                    else:
                        for b in range(nb):
                            G[d1, q, b] = G[d, q, b] * (zs + eo[d1, b] * s)
            ef[d1] = f
            eprev[d1] = p
            ez[d1] = z
            last_depth[f] = d1
            d = d1
            node_st[d] = child
            stage_st[d] = 0
            if is_leaf:
                v0 = voff + child * width
                for w in range(width):
                    v = value[v0 + w]
                    for q in range(n):
                        for b in range(nb):
                            A[d, w, q, b] = v * ec[d, b] * G[d, q, b]
                finished = True
            else:
                for w in range(width):
                    for q in range(n):
                        for b in range(nb):
                            A[d, w, q, b] = 0.0
        else:
            # Both children done: a split on a feature already on the path takes this
            # subtree back off that earlier edge's term.
            f = feature[base + k]
            p = last_depth[f]
            if p >= 0 and f != cond:
                zp = ez[p]
                for w in range(width):
                    for b in range(nb):
                        tot[b] = 0.0
                    for q in range(n):
                        w0 = W0[p, q]
                        wd = WD[p, q]
                        for b in range(nb):
                            tot[b] += (w0 + eo[p, b] * wd) * A[d, w, q, b]
                    for b in range(nb):
                        acc[acc0 + b, out0 + w, f] -= (eo[p, b] - zp) * tot[b]
            finished = True
        if finished:
            if d == 0:
                return
            f = ef[d]
            if f != cond:
                zd = ez[d]
                for w in range(width):
                    for b in range(nb):
                        tot[b] = 0.0
                    for q in range(n):
                        w0 = W0[d, q]
                        wd = WD[d, q]
                        for b in range(nb):
                            a = A[d, w, q, b]
                            tot[b] += (w0 + eo[d, b] * wd) * a
                            A[d - 1, w, q, b] += a
                    for b in range(nb):
                        acc[acc0 + b, out0 + w, f] += (eo[d, b] - zd) * tot[b]
            else:
                for w in range(width):
                    for q in range(n):
                        for b in range(nb):
                            A[d - 1, w, q, b] += A[d, w, q, b]
            last_depth[f] = eprev[d]
            d -= 1


@njit(cache=True, nogil=True)
def _block_plan(n_rows, n_chunks):
    """Rows per block (at most ROW_BLOCK, fewer when that leaves a chunk without rows),
    number of blocks, blocks per chunk."""
    block = min(ROW_BLOCK, max(1, (n_rows + n_chunks - 1) // n_chunks))
    n_blocks = (n_rows + block - 1) // block
    return block, n_blocks, (n_blocks + n_chunks - 1) // n_chunks


@njit(cache=True, nogil=True)
def _transpose_block(X, lo, nb, XT):
    """``XT[f, b] = X[lo + b, f]`` for ``b < nb`` (float64)."""
    for b in range(nb):
        for f in range(X.shape[1]):
            XT[f, b] = np.float64(X[lo + b, f])


@njit(cache=True, nogil=True)
def _workspace(n_features, max_depth, n_max, max_width):
    """One thread's buffers for :func:`_tree_pass` (see its docstring), XT first."""
    size = max_depth + 2
    return (np.empty((n_features, ROW_BLOCK)), np.full(n_features, -1, dtype=np.int32),
            np.empty(size, dtype=np.int32), np.empty(size, dtype=np.int32),
            np.empty(size, dtype=np.int32), np.empty(size, dtype=np.int32),
            np.empty(size), np.empty((size, n_max)),
            np.empty((size, n_max)), np.empty((size, n_max)), np.empty((size, n_max)),
            np.empty((size, ROW_BLOCK)), np.empty((size, ROW_BLOCK)),
            np.empty((size, ROW_BLOCK)), np.empty((size, n_max, ROW_BLOCK)),
            np.empty((size, max_width, n_max, ROW_BLOCK)), np.empty(ROW_BLOCK))


@njit(cache=True, nogil=True, parallel=True)
def tree_shap(X, feature, threshold, default_left, left, right, is_cat, cat_count, cat_bits,
              frac, value, value_offsets, tree_offsets, tree_output, tree_width, tree_npts,
              gl_s, gl_w, max_depth, feat_tree_offsets, feat_trees, n_chunks, out, out_inter):
    """Add every tree's SHAP values to ``out`` (the bias column is left alone) and, when
    ``out_inter`` has rows, write the SHAP interaction values (all but the bias corner).

    One kernel does both so that its large body compiles once.

    X : (n_rows, n_features) float64, NaN = missing                        # IN
    feature, threshold, default_left, left, right : node arrays            # IN
    is_cat, cat_count, cat_bits : categorical node arrays (gbt._native.cpu.predict)  # IN
    frac : (n_nodes,) float64, each node's share of its parent             # IN
    value : (sum of n_nodes * width,) float64                              # IN
    value_offsets, tree_offsets : (n_trees + 1,) int64                     # IN
    tree_output, tree_width : (n_trees,) int32                             # IN
    tree_npts : (n_trees,) int32, quadrature points of each tree           # IN
    gl_s, gl_w : (n_max + 1, n_max) float64 (gauss_legendre_table)         # IN
    max_depth : int, deepest tree's depth                                  # IN
    feat_tree_offsets : (n_features + 1,) int64, feat_trees : int32; the trees that split
        on feature j: ``feat_trees[feat_tree_offsets[j]:feat_tree_offsets[j + 1]]``
        (interactions only)                                                 # IN
    out : (n_rows, n_outputs, n_features + 1) float64                      # IN/OUT
    out_inter : (n_rows, n_outputs, n_features + 1, n_features + 1) float64, zeros, or
        shape (0, 0, 0, 0) for SHAP values only                             # IN/OUT
    """
    n_rows = X.shape[0]
    n_trees = tree_offsets.shape[0] - 1
    n_outputs = out.shape[1]
    n_features = X.shape[1]
    interactions = out_inter.shape[0] > 0
    n_max = gl_s.shape[1]
    max_width = 1
    for t in range(n_trees):
        max_width = max(max_width, tree_width[t])
    block, n_blocks, per_chunk = _block_plan(n_rows, n_chunks)
    for c in prange(n_chunks):
        (XT, last_depth, node_st, stage_st, ef, eprev, ez, R0, DR, W0, WD, eo, ec, golf, G,
         A, tot) = _workspace(n_features, max_depth, n_max, max_width)
        buf = np.empty((ROW_BLOCK if interactions else 0, n_outputs, n_features + 1))
        for blk in range(c * per_chunk, min(n_blocks, (c + 1) * per_chunk)):
            lo = blk * block
            nb = min(n_rows, lo + block) - lo
            _transpose_block(X, lo, nb, XT)
            # cond = -1: the SHAP values, into out; cond = j >= 0: conditioned on feature j,
            # into buf, then halved into out_inter[:, :, :, j]
            for cond in range(-1, n_features if interactions else 0):
                if cond < 0:
                    first, n_passes = 0, n_trees
                    acc, acc0 = out, lo
                else:
                    first = feat_tree_offsets[cond]
                    n_passes = feat_tree_offsets[cond + 1] - first
                    if n_passes == 0:
                        continue
                    buf[:] = 0.0
                    acc, acc0 = buf, 0
                for i in range(n_passes):
                    t = i if cond < 0 else feat_trees[first + i]
                    _tree_pass(XT, nb, t, cond, feature, threshold, default_left, left, right,
                               is_cat, cat_count, cat_bits, frac, value, value_offsets,
                               tree_offsets, tree_output, tree_width, tree_npts, gl_s,
                               gl_w, last_depth, node_st, stage_st, ef, eprev, ez, R0, DR,
                               W0, WD, eo, ec, golf, G, A, tot, acc, acc0)
                if cond >= 0:
                    for b in range(nb):
                        for o in range(n_outputs):
                            for i in range(n_features):
                                if i != cond:
                                    out_inter[lo + b, o, i, cond] = 0.5 * buf[b, o, i]
            if interactions:  # the diagonal: what the pairs leave of each value
                for b in range(nb):
                    for o in range(n_outputs):
                        for i in range(n_features):
                            s = 0.0
                            for j in range(n_features):
                                if j != i:
                                    s += out_inter[lo + b, o, i, j]
                            out_inter[lo + b, o, i, i] = out[lo + b, o, i] - s


# -- plain references (tests only) -----------------------------------------------------------
def _expectation_naive(nd, x, S, node=0):
    """E[f(x) | x_S] by Algorithm 1: follow ``x`` on splits over ``S``, else the children's
    weight-averaged expectation. Returns a (width,) array."""
    if nd["left"][node] == -1:
        return np.atleast_1d(np.asarray(nd["value"][node], dtype=np.float64))
    f = nd["feature"][node]
    lc, rc = nd["left"][node], nd["right"][node]
    if f in S:
        go_left = goes_left_naive(nd, node, float(x[f]))
        return _expectation_naive(nd, x, S, lc if go_left else rc)
    wl, wr = max(nd["weight"][lc], 0.0), max(nd["weight"][rc], 0.0)
    fl = wl / (wl + wr) if wl + wr > 0 else 0.5
    return fl * _expectation_naive(nd, x, S, lc) + (1.0 - fl) * _expectation_naive(nd, x, S, rc)


def _tree_features(nd):
    return sorted({int(f) for f, lc in zip(nd["feature"], nd["left"]) if lc != -1})


def tree_shap_naive(X, trees_nodes, tree_output, n_outputs, n_features):
    """Reference SHAP values by brute force over feature subsets (small trees only).

    trees_nodes : list of dicts with keys feature, threshold, default_left, left, right,
    value ((n_nodes,) or (n_nodes, width)) and weight ((n_nodes,) cover). Returns
    ``(n_rows, n_outputs, n_features + 1)`` with the expected value in the last column.
    """
    out = np.zeros((X.shape[0], n_outputs, n_features + 1))
    for t, nd in enumerate(trees_nodes):
        F = _tree_features(nd)
        m = len(F)
        o0 = tree_output[t]
        for r in range(X.shape[0]):
            E = {S: _expectation_naive(nd, X[r], set(S))
                 for k in range(m + 1) for S in combinations(F, k)}
            width = E[()].size
            out[r, o0:o0 + width, n_features] += E[()]
            for i in F:
                rest = [j for j in F if j != i]
                for k in range(m):
                    wk = math.factorial(k) * math.factorial(m - k - 1) / math.factorial(m)
                    for S in combinations(rest, k):
                        Si = tuple(sorted(S + (i,)))
                        out[r, o0:o0 + width, i] += wk * (E[Si] - E[S])
    return out


def tree_shap_interactions_naive(X, trees_nodes, tree_output, n_outputs, n_features):
    """Reference SHAP interaction values by brute force (Shapley interaction index, halved
    off the diagonal, main effects on it). Returns ``(n_rows, n_outputs, n_features + 1,
    n_features + 1)`` with the expected value in the last diagonal entry."""
    phi = tree_shap_naive(X, trees_nodes, tree_output, n_outputs, n_features)
    out = np.zeros((X.shape[0], n_outputs, n_features + 1, n_features + 1))
    for t, nd in enumerate(trees_nodes):
        F = _tree_features(nd)
        m = len(F)
        o0 = tree_output[t]
        for r in range(X.shape[0]):
            E = {S: _expectation_naive(nd, X[r], set(S))
                 for k in range(m + 1) for S in combinations(F, k)}
            width = E[()].size
            for i in F:
                for j in F:
                    if i == j:
                        continue
                    rest = [u for u in F if u != i and u != j]
                    for k in range(m - 1):
                        wk = math.factorial(k) * math.factorial(m - k - 2) / \
                            (2 * math.factorial(m - 1))
                        for S in combinations(rest, k):
                            key = lambda extra: tuple(sorted(S + extra))  # noqa: E731
                            out[r, o0:o0 + width, i, j] += wk * (
                                E[key((i, j))] - E[key((i,))] - E[key((j,))] + E[S])
    for i in range(n_features):
        out[:, :, i, i] = phi[:, :, i] - out[:, :, i, :n_features].sum(axis=2) \
            + out[:, :, i, i]
    out[:, :, n_features, n_features] = phi[:, :, n_features]
    return out
