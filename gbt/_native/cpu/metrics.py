"""Metric kernels: evaluation computations too slow in numpy.

``concordance_counts`` serves Harrell's concordance index (``c-index``) in O(n log n); its
naive twin is the O(n^2) pair loop in tests/test_survival_objectives.py.
"""
import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def concordance_counts(time, event, rank, n_ranks):
    """(concordant, tied, comparable) pair counts; ``rank`` is each row's dense risk rank
    (1-based, higher = riskier); rows walk from the longest time down with a Fenwick tree of
    the ranks of the rows known to outlive the current time."""
    order = np.argsort(-time, kind="mergesort")
    tree = np.zeros(n_ranks + 1, dtype=np.int64)
    in_tree = 0
    concordant = 0
    tied = 0
    pairs = 0
    n = time.shape[0]
    i = 0
    while i < n:
        j = i
        while j < n and time[order[j]] == time[order[i]]:
            j += 1
        # censored rows of this time outlive its events
        for k in range(i, j):
            r = order[k]
            if not event[r]:
                p = rank[r]
                while p <= n_ranks:
                    tree[p] += 1
                    p += p & -p
                in_tree += 1
        for k in range(i, j):
            r = order[k]
            if event[r]:
                below = 0
                p = rank[r] - 1
                while p > 0:
                    below += tree[p]
                    p -= p & -p
                upto = 0
                p = rank[r]
                while p > 0:
                    upto += tree[p]
                    p -= p & -p
                concordant += below
                tied += upto - below
                pairs += in_tree
        for k in range(i, j):
            r = order[k]
            if event[r]:
                p = rank[r]
                while p <= n_ranks:
                    tree[p] += 1
                    p += p & -p
                in_tree += 1
        i = j
    return concordant, tied, pairs
