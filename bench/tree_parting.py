"""Where a gbt model and another library's, grown on the same bin edges, first grow different
trees (bench_bins.py runs it against LightGBM).

For squared error only (both libraries' gradient is prediction minus label, the hessian 1), on
data without missing values. The two models are walked tree by tree from the root while their
splits send the same training rows left. The first tree with a node where they do not is the
first parting tree, and each such node is a parting node:

* a **split part**: both split the node, on different rows (another feature or another place);
* an **order part**: one library splits the node and the other leaves it a leaf. A leaf-wise
  grower with a leaf budget splits leaves best gain first, so two near-equal gains taken in
  the other order can spend the budget's last split at a different leaf.

Every gain here is the exact float64 squared-error gain of a split on the same gradients (the
first model's predictions before the parting tree): ``GL²/nL + GR²/nR - G²/n``, each library's
own gain without its float32 gradients and its histogram sums' rounding.
"""
from __future__ import annotations

import numpy as np


def squared_error_gain(g, goes_left) -> float:
    """The exact gain of splitting rows with gradients ``g`` (unit hessians) at ``goes_left``."""
    g = np.asarray(g, dtype=np.float64)
    total, left = g.sum(), g[goes_left].sum()
    n, n_left = g.size, int(np.count_nonzero(goes_left))
    right, n_right = total - left, n - n_left
    return float(left * left / n_left + right * right / n_right - total * total / n)


def _split(tree, k):
    """gbt ``Tree`` node ``k``'s (feature, threshold, left child, right child); None at a leaf."""
    if tree.left[k] == -1:
        return None
    return int(tree.feature[k]), float(tree.threshold[k]), int(tree.left[k]), int(tree.right[k])


def gap_up_to(gain, gains) -> float:
    """The relative gap from ``gain`` up to the nearest of ``gains`` at least as high; inf if
    none is."""
    above = np.asarray(gains)[np.asarray(gains) >= gain]
    return float((above.min() - gain) / gain) if above.size else np.inf


def split_gains(tree, X, g) -> np.ndarray:
    """The exact gain of every split of gbt ``Tree`` ``tree`` on rows ``X`` with gradients
    ``g``."""
    gains, stack = [], [(0, np.arange(X.shape[0]))]
    while stack:
        node, rows = stack.pop()
        split = _split(tree, node)
        if split is None:
            continue
        feature, threshold, left, right = split
        goes_left = X[rows, feature] <= threshold
        gains.append(squared_error_gain(g[rows], goes_left))
        stack += [(left, rows[goes_left]), (right, rows[~goes_left])]
    return np.array(gains)


def parting_nodes(ours, theirs, X):
    """Where gbt ``Tree``s ``ours`` and ``theirs`` part, walking both from the root while their
    splits send the same rows of ``X`` left: ``[(rows, ours_left, theirs_left)]``, each side's
    rows going left at that node as a boolean mask over ``rows``, or None where that side has
    a leaf."""
    parts, stack = [], [(0, 0, np.arange(X.shape[0]))]
    while stack:
        a, b, rows = stack.pop()
        split_a, split_b = _split(ours, a), _split(theirs, b)
        if split_a is None and split_b is None:
            continue
        left_a = None if split_a is None else X[rows, split_a[0]] <= split_a[1]
        left_b = None if split_b is None else X[rows, split_b[0]] <= split_b[1]
        if left_a is not None and left_b is not None and np.array_equal(left_a, left_b):
            stack += [(split_a[2], split_b[2], rows[left_a]),
                      (split_a[3], split_b[3], rows[~left_a])]
        else:
            parts.append((rows, left_a, left_b))
    return parts


def first_parting(ours, their_trees, X, y):
    """gbt Booster ``ours`` against another library's model given as gbt ``Tree``s
    ``their_trees`` (tests/peer_trees.py), both squared error, both fitted on ``X``, ``y``.

    None if every tree sends the training rows alike. Otherwise dict(tree: the first parting
    tree's index; splits: ``[(theirs, ours)]``, the exact gains of the two choices at each
    split part; order: for each node that only the other library splits, the relative gap
    from that split's exact gain up to the nearest exact gain of a split in gbt's tree, the
    near-equal gain gbt took first (inf if none is as high)).
    """
    X = np.asarray(X, dtype=np.float64)
    if np.isnan(X).any():
        raise ValueError("first_parting: X has missing values; their default directions "
                         "are not compared")
    for t, (tree, theirs) in enumerate(zip(ours.trees, their_trees)):
        parts = parting_nodes(tree, theirs, X)
        if not parts:
            continue
        before = (ours.predict(X, iteration_range=(0, t)) if t
                  else np.full(X.shape[0], float(ours.base_score[0])))
        g = before - np.asarray(y, dtype=np.float64)
        splits, order = [], []
        ours_gains = split_gains(tree, X, g)
        for rows, ours_left, theirs_left in parts:
            if ours_left is not None and theirs_left is not None:
                splits.append((squared_error_gain(g[rows], theirs_left),
                               squared_error_gain(g[rows], ours_left)))
            elif theirs_left is not None:
                order.append(gap_up_to(squared_error_gain(g[rows], theirs_left), ours_gains))
        return dict(tree=t, splits=splits, order=order)
    return None
