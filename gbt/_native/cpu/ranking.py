"""Learning-to-rank kernels: pairwise lambdas per query (RankNet, LambdaMART with |ΔNDCG| or
|ΔMAP|) and the pairwise logistic loss.

Queries are contiguous row ranges ``query_ptr[q]:query_ptr[q + 1]``. Within a query the rows are
stable-sorted by score (descending: ties keep row order, as LightGBM's ``std::stable_sort``)
and every pair ``(i, j)`` with ``key[i] != key[j]`` and the higher of the two sorted positions
``< truncation`` contributes, with ``high`` the row of larger key and ``ds = s_high - s_low``:

    rho = 1 / (1 + exp(sigma * ds))                 (the probability of the wrong order)
    g_high -= sigma * rho * delta,   g_low += sigma * rho * delta
    h_high, h_low += sigma^2 * rho * (1 - rho) * delta

``delta`` is 1 (RankNet), ``|gain_high - gain_low| * |disc(i) - disc(j)| / maxDCG`` (LambdaMART,
``disc(p) = 1 / log2(p + 2)``) or ``|ΔAP|`` of swapping the two rows (MAP). With ``norm``
(LightGBM's ``lambdarank_norm``) ``delta`` is divided by ``0.01 + |ds|`` unless the query's
scores are all equal, and the query's lambdas and hessians are scaled by
``log2(1 + L) / L``, ``L`` the sum of ``2 |lambda|`` over its pairs. Row weights multiply the
result. Each query's result depends on that query alone, so the block (thread) count cannot
change any value. The ``_naive`` twins recompute ΔNDCG / ΔAP by swapping and rescoring.
"""
import math

import numpy as np
from numba import njit, prange

PAIRWISE, NDCG, MAP = 0, 1, 2
NORM_OFFSET = 0.01  # LightGBM: delta / (0.01 + |ds|)


@njit(cache=True, nogil=True, parallel=True)
def rank_grad_hess(score, key, gain, query_ptr, inv_norm, weight, method, truncation, norm,
                   sigma, n_blocks, out_g, out_h):
    """Lambdas and hessians of every query, written to column 0 of the outputs.

    score : (n,) float64 margins                                     # IN
    key : (n,) float64 what pairs are ordered by (relevance; MAP: 0/1) # IN
    gain : (n,) float64 gain of each row's relevance (NDCG only)     # IN
    query_ptr : (n_queries + 1,) int64 query boundaries              # IN
    inv_norm : (n_queries,) float64 1 / maxDCG@truncation (NDCG), 1 / #relevant (MAP), else
        unused; 0 makes the query's deltas 0                         # IN
    weight : (n,) float64 row weights, or (0,) for unweighted        # IN
    method : int64 PAIRWISE, NDCG or MAP                             # IN
    truncation : int64 pairs need the upper position < truncation    # IN
    norm : bool LightGBM's lambdarank_norm                           # IN
    sigma : float64                                                  # IN
    n_blocks : int64 query blocks for the parallel loop              # IN
    out_g, out_h : (n, 1) float32                                    # OUT
    """
    n_queries = query_ptr.shape[0] - 1
    per_block = (n_queries + n_blocks - 1) // n_blocks
    for block in prange(n_blocks):
        first = block * per_block
        last = min(n_queries, first + per_block)
        width = 0
        for q in range(first, last):
            width = max(width, query_ptr[q + 1] - query_ptr[q])
        g = np.empty(width)
        h = np.empty(width)
        hits = np.empty(width)
        prec = np.empty(width)
        for q in range(first, last):
            start, end = query_ptr[q], query_ptr[q + 1]
            _query_lambdas(score, key, gain, start, end, inv_norm[q], method, truncation,
                           norm, sigma, g, h, hits, prec)
            for i in range(end - start):
                w = weight[start + i] if weight.shape[0] > 0 else 1.0
                out_g[start + i, 0] = w * g[i]
                out_h[start + i, 0] = w * h[i]


@njit(cache=True, nogil=True)
def _query_lambdas(score, key, gain, start, end, inv_norm, method, truncation, norm, sigma,
                   g, h, hits, prec):
    """One query's lambdas into ``g[:cnt]``, hessians into ``h[:cnt]`` (unweighted);
    ``hits`` / ``prec`` are scratch for MAP's prefix sums."""
    cnt = end - start
    for i in range(cnt):
        g[i] = 0.0
        h[i] = 0.0
    if cnt < 2:
        return
    s = score[start:end]
    order = np.argsort(-s, kind="mergesort")  # stable: ties keep row order
    best, worst = s[order[0]], s[order[cnt - 1]]
    scale_by_distance = norm and method != PAIRWISE and best != worst
    if method == MAP:
        # hits[p]: relevant rows at sorted positions 0..p; prec[p]: sum over those positions
        # t of rel_t / (t + 1).
        n_hit, acc = 0.0, 0.0
        for p in range(cnt):
            r = key[start + order[p]]
            n_hit += r
            acc += r / (p + 1.0)
            hits[p] = n_hit
            prec[p] = acc
    top = cnt - 1 if method == PAIRWISE else min(cnt - 1, truncation)
    sum_lambdas = 0.0
    for i in range(top):
        a = order[i]
        ka = key[start + a]
        for j in range(i + 1, cnt):
            b = order[j]
            kb = key[start + b]
            if ka == kb:
                continue
            if ka > kb:
                high, low, high_pos, low_pos = a, b, i, j
            else:
                high, low, high_pos, low_pos = b, a, j, i
            ds = s[high] - s[low]
            if method == NDCG:
                delta = (gain[start + high] - gain[start + low]) * inv_norm * abs(
                    1.0 / math.log2(high_pos + 2.0) - 1.0 / math.log2(low_pos + 2.0))
            elif method == MAP:
                delta = _delta_ap(i, j, ka > kb, hits, prec) * inv_norm
            else:
                delta = 1.0
            if scale_by_distance:
                delta /= NORM_OFFSET + abs(ds)
            rho = 1.0 / (1.0 + math.exp(sigma * ds))
            lam = sigma * rho * delta
            hess = sigma * sigma * rho * (1.0 - rho) * delta
            g[high] -= lam
            g[low] += lam
            h[high] += hess
            h[low] += hess
            sum_lambdas += 2.0 * lam
    if norm and method != PAIRWISE and sum_lambdas > 0.0:
        factor = math.log2(1.0 + sum_lambdas) / sum_lambdas
        for i in range(cnt):
            g[i] *= factor
            h[i] *= factor


@njit(cache=True, nogil=True, inline="always")
def _delta_ap(p, q, upper_relevant, hits, prec):
    """|AP change| x #relevant of swapping sorted positions p < q (binary relevance, one of
    the two relevant)."""
    between = prec[q - 1] - prec[p]  # relevant rows strictly between p and q, each 1/(t + 1)
    if upper_relevant:  # the relevant row drops from p to q
        d = hits[q] / (q + 1.0) - hits[p] / (p + 1.0) - between
    else:  # the relevant row rises from q to p
        d = (hits[p] + 1.0) / (p + 1.0) + between - hits[q] / (q + 1.0)
    return abs(d)


@njit(cache=True, nogil=True)
def pairwise_logistic_loss(score, key, query_ptr, weight, sigma):
    """sum over queries of w_q * sum over pairs key_i > key_j of log(1 + exp(-sigma (s_i - s_j))),
    with ``w_q`` the weight of the query's first row (1 without weights).

    score, key : (n,) float64              # IN
    query_ptr : (n_queries + 1,) int64     # IN
    weight : (n,) float64 or (0,)          # IN
    """
    total = 0.0
    for q in range(query_ptr.shape[0] - 1):
        start, end = query_ptr[q], query_ptr[q + 1]
        acc = 0.0
        for i in range(start, end):
            for j in range(start, end):
                if key[i] > key[j]:
                    x = -sigma * (score[i] - score[j])
                    acc += max(x, 0.0) + math.log1p(math.exp(-abs(x)))
        total += acc * (weight[start] if weight.shape[0] > 0 else 1.0)
    return total


# --------------------------------------------------------------------------------------------
# Naive twins (tests only)
# --------------------------------------------------------------------------------------------
def _dcg(gains_in_order):
    return float(np.sum(gains_in_order / np.log2(np.arange(gains_in_order.size) + 2.0)))


def _ap(relevant_in_order):
    r = np.asarray(relevant_in_order, dtype=np.float64)
    if r.sum() == 0:
        return 0.0
    return float(np.sum(r * np.cumsum(r) / np.arange(1, r.size + 1)) / r.sum())


def rank_grad_hess_naive(score, key, gain, query_ptr, weight, method, truncation, norm,
                         sigma=1.0):
    """Plain twin of :func:`rank_grad_hess`: ΔNDCG and ΔAP by swapping two rows and rescoring
    the whole list (maxDCG at the truncation level). Returns (g, h), (n,) float64."""
    n = score.shape[0]
    g, h = np.zeros(n), np.zeros(n)
    for q in range(len(query_ptr) - 1):
        start, end = int(query_ptr[q]), int(query_ptr[q + 1])
        s, k, gn = score[start:end], key[start:end], gain[start:end]
        cnt = end - start
        if cnt < 2:
            continue
        order = np.argsort(-s, kind="stable")
        ideal = np.sort(gn)[::-1][:truncation]
        max_dcg = _dcg(ideal)
        n_rel = k.sum()
        gq, hq = np.zeros(cnt), np.zeros(cnt)
        total = 0.0
        top = cnt - 1 if method == PAIRWISE else min(cnt - 1, truncation)
        for i in range(top):
            for j in range(i + 1, cnt):
                a, b = order[i], order[j]
                if k[a] == k[b]:
                    continue
                high, low = (a, b) if k[a] > k[b] else (b, a)
                ds = s[high] - s[low]
                swapped = order.copy()
                swapped[i], swapped[j] = order[j], order[i]
                if method == NDCG:
                    change = abs(_dcg(gn[swapped]) - _dcg(gn[order]))
                    delta = change / max_dcg if max_dcg > 0 else 0.0
                elif method == MAP:
                    delta = abs(_ap(k[swapped]) - _ap(k[order])) if n_rel > 0 else 0.0
                else:
                    delta = 1.0
                if norm and method != PAIRWISE and s.max() != s.min():
                    delta /= NORM_OFFSET + abs(ds)
                rho = 1.0 / (1.0 + np.exp(sigma * ds))
                lam = sigma * rho * delta
                gq[high] -= lam
                gq[low] += lam
                hq[[high, low]] += sigma ** 2 * rho * (1 - rho) * delta
                total += 2 * lam
        if norm and method != PAIRWISE and total > 0:
            gq *= np.log2(1 + total) / total
            hq *= np.log2(1 + total) / total
        w = 1.0 if weight is None or len(weight) == 0 else weight[start:end]
        g[start:end] = gq * w
        h[start:end] = hq * w
    return g, h


def pairwise_logistic_loss_naive(score, key, query_ptr, weight, sigma=1.0):
    total = 0.0
    for q in range(len(query_ptr) - 1):
        start, end = int(query_ptr[q]), int(query_ptr[q + 1])
        s, k = score[start:end], key[start:end]
        diff = s[:, None] - s[None, :]
        mask = k[:, None] > k[None, :]
        w = 1.0 if weight is None or len(weight) == 0 else weight[start]
        total += w * np.logaddexp(0.0, -sigma * diff[mask]).sum()
    return total
