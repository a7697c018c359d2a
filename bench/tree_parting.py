"""Where a gbt model and another library's, grown on the same bin edges, first grow different
trees (bench_bins.py runs it against LightGBM).

For squared error without regularisation or sample weights (the gradient is prediction minus
label, the hessian 1), one tree a round, on data without missing values. The two models are
walked tree by tree, each from the root while both split a node and send the same training
rows left. The first tree with a node where they do not is the first parting tree; its nodes
where they do not are parting nodes (below one, the two trees hold other rows and are not
compared):

* a **split part**: both split the node, differently;
* an **order part**: the other library splits a node that gbt leaves a leaf. A leaf-wise
  grower with a leaf budget splits the open leaf of highest gain first, so two near-equal
  gains taken in the other order can spend the budget's last splits on other leaves. Its
  rivals are the splits gbt made while that leaf was open (:func:`opened_after`). At or
  above the leaf's gain, gbt's choices were right in exact arithmetic; a small gap marks a
  near-tie.

Every gain here is the exact squared-error gain of a split, in float64 on given gradients
(:func:`squared_error_gain`), so neither library's float32 gradients nor its histogram sums'
rounding enter it.
"""
from __future__ import annotations

import numpy as np

EXACT_TIE = 1e-12  # relative: two gains equal to float64 rounding


def squared_error_gain(g, goes_left) -> float:
    """The exact gain ``GL²/nL + GR²/nR - G²/n`` of splitting rows with gradients ``g`` (unit
    hessians) at ``goes_left``, computed as ``n·CL²/(nL·nR)`` with ``CL`` the left sum of the
    gradients less their mean: the same value, without the cancellation of the plain form
    where the mean gradient is large beside its spread. 0 where every row goes one way."""
    g = np.asarray(g, dtype=np.float64)
    n, n_left = g.size, int(np.count_nonzero(goes_left))
    if n_left in (0, n):
        return 0.0
    centred_left = (g[goes_left] - g.mean()).sum()
    return float(n * centred_left * centred_left / (n_left * (n - n_left)))


def _split(tree, k):
    """gbt ``Tree`` node ``k``'s (feature, threshold, left child, right child); None at a leaf."""
    if tree.left[k] == -1:
        return None
    return int(tree.feature[k]), float(tree.threshold[k]), int(tree.left[k]), int(tree.right[k])


def split_gains(tree, X, g) -> np.ndarray:
    """The exact gain of each node's split of gbt ``Tree`` ``tree`` on rows ``X`` with
    gradients ``g``, by node (NaN at leaves)."""
    gains = np.full(len(tree.left), np.nan)
    stack = [(0, np.arange(X.shape[0]))]
    while stack:
        node, rows = stack.pop()
        split = _split(tree, node)
        if split is None:
            continue
        feature, threshold, left, right = split
        goes_left = X[rows, feature] <= threshold
        gains[node] = squared_error_gain(g[rows], goes_left)
        stack += [(left, rows[goes_left]), (right, rows[~goes_left])]
    return gains


def parting_nodes(ours, theirs, X):
    """Where gbt ``Tree``s ``ours`` and ``theirs`` part: ``[(rows, our node, our left mask,
    their left mask)]``, each mask the node's ``rows`` that side sends left, None where that
    side has a leaf."""
    parts, stack = [], [(0, 0, np.arange(X.shape[0]))]
    while stack:
        our_node, their_node, rows = stack.pop()
        ours_split, theirs_split = _split(ours, our_node), _split(theirs, their_node)
        if ours_split is None and theirs_split is None:
            continue
        ours_left = None if ours_split is None else X[rows, ours_split[0]] <= ours_split[1]
        theirs_left = (None if theirs_split is None
                       else X[rows, theirs_split[0]] <= theirs_split[1])
        if (ours_left is not None and theirs_left is not None
                and np.array_equal(ours_left, theirs_left)):
            stack += [(ours_split[2], theirs_split[2], rows[ours_left]),
                      (ours_split[3], theirs_split[3], rows[~ours_left])]
        else:
            parts.append((rows, our_node, ours_left, theirs_left))
    return parts


def gap_from(gain, rivals) -> float:
    """The relative gap from ``gain`` to the lowest of ``rivals``: negative where one is
    lower; inf where there are none."""
    rivals = np.asarray(rivals, dtype=np.float64)
    return float((rivals.min() - gain) / gain) if rivals.size else np.inf


def opened_after(tree, leaf) -> np.ndarray:
    """The nodes of gbt ``Tree`` ``tree`` split while ``leaf`` was open: gbt numbers nodes in
    the order it opens them, so those whose children come after ``leaf``."""
    return np.flatnonzero(tree.left > leaf)


def _check_comparable(ours, their_trees, X):
    p = ours.params
    if (p.get("objective") != "reg:squarederror" or p.get("reg_lambda") != 0
            or p.get("reg_alpha") != 0 or ours.trees_per_iteration != 1):
        raise ValueError("first_parting: the gains are squared error's without "
                         "regularisation, one tree a round; the gbt model is not")
    if len(ours.trees) != len(their_trees):
        raise ValueError(f"first_parting: {len(ours.trees)} trees against "
                         f"{len(their_trees)}")
    if np.isnan(X).any():
        raise ValueError("first_parting: X has missing values; their default directions "
                         "are not compared")


def first_parting(ours, their_trees, X, y, their_predictions=None):
    """gbt Booster ``ours`` against another library's model given as gbt ``Tree``s
    ``their_trees`` (tests/peer_trees.py), both fitted on ``X``, ``y``; gains on gbt's
    gradients and, where ``their_predictions(t)`` gives the other model's predictions on
    ``X`` before its tree ``t``, on its gradients as well.

    None if every tree sends the training rows alike. Otherwise dict(tree: the first parting
    tree's index; splits: for each split part, ``(theirs, ours)``, the exact gains of the two
    choices on the gradients where gbt's fares worse against the other's; order: for each
    order part, the gap (:func:`gap_from`) from the other library's split's exact gain to
    gbt's rival splits, the lowest over the gradients used; gbt_only: how many nodes only gbt
    splits). Two leaves gbt splits at once (when the leaf budget cannot run out before both)
    are numbered as if in turn, so a rival can be one decided beside the leaf's parent: that
    can only lower the gap.
    """
    X = np.asarray(X, dtype=np.float64)
    _check_comparable(ours, their_trees, X)
    y = np.asarray(y, dtype=np.float64)
    for t, (tree, theirs) in enumerate(zip(ours.trees, their_trees)):
        parts = parting_nodes(tree, theirs, X)
        if not parts:
            continue
        # t = 0: the base score (iteration_range (0, 0) would mean every tree)
        before = [ours.predict(X, iteration_range=(0, t)) if t
                  else np.full(X.shape[0], float(ours.base_score[0]))]
        if their_predictions is not None and t:
            before.append(their_predictions(t))
        gradients = [b - y for b in before]
        our_gains = [split_gains(tree, X, g) for g in gradients]
        splits, order, gbt_only = [], [], 0
        for rows, node, ours_left, theirs_left in parts:
            if theirs_left is None:
                gbt_only += 1
            elif ours_left is not None:  # both split: compare on each set of gradients
                pairs = [(squared_error_gain(g[rows], theirs_left),
                          squared_error_gain(g[rows], ours_left)) for g in gradients]
                splits.append(min(pairs, key=lambda pair: pair[1] - pair[0]))
            else:
                order.append(min(gap_from(squared_error_gain(g[rows], theirs_left),
                                          gains[opened_after(tree, node)])
                                 for g, gains in zip(gradients, our_gains)))
        return dict(tree=t, splits=splits, order=order, gbt_only=gbt_only)
    return None


def summarise(partings) -> dict:
    """One set's :func:`first_parting` results (None where the trees never part) in figures:
    parted, first_tree (median index, None if none parted); at_splits (fits parting at a
    split part), split_gaps (each split part's ``|ours - theirs| / max``), at_least (split
    parts where gbt's gain is at least the other's), ties (split parts within EXACT_TIE);
    order_only (fits parting only at order parts), order_gaps (each such fit's gap, the
    smallest over its order parts: the rival nearest in gain); gbt_only (fits parting only
    where gbt splits a node the other leaves a leaf)."""
    parted = [p for p in partings if p is not None]
    at_splits = [p for p in parted if p["splits"]]
    pairs = [pair for p in at_splits for pair in p["splits"]]
    gaps = [abs(ours - theirs) / max(ours, theirs) for theirs, ours in pairs]
    order_only = [p for p in parted if not p["splits"] and p["order"]]
    return dict(parted=len(parted),
                first_tree=float(np.median([p["tree"] for p in parted])) if parted else None,
                at_splits=len(at_splits), split_gaps=gaps,
                at_least=sum(ours >= theirs * (1 - EXACT_TIE) for theirs, ours in pairs),
                ties=sum(gap < EXACT_TIE for gap in gaps), order_only=len(order_only),
                order_gaps=[min(p["order"]) for p in order_only],
                gbt_only=sum(not p["splits"] and not p["order"] for p in parted))
