"""Objectives in distributed training: what each needs beyond per-row gradients.

A plain objective's gradients depend only on each row's label and margin, so every worker
computes its own rows' gradients. Objectives with *global* state get an adapter here that
sums the state's ingredients over workers:

- FairGBM (``binary:constrained``): group codes agreed across workers; each round the
  group sizes, proxy-rate sums and total weight the constraint gradients use, and the true
  constraint values that move the multipliers, are sums over workers.
- NGBoost distributions: the gradient columns' spreads that standardise a condensed tree's
  split search, and the line search's mean score at each trial scale, are sums over
  workers.

Anything else with global state (leaf refits for L1 / quantile, ranking groups, other
``after_iteration`` or ``labels_of`` hooks) raises NotImplementedError.
"""
from __future__ import annotations

import numpy as np


def distributed_objective(objective):
    """The adapter for ``objective`` (NotImplementedError where none is built)."""
    from ..objectives.fairness import FairnessObjective
    from ..objectives.losses import CallableObjective, LogisticLoss, SoftmaxLoss, SquaredError
    from ..objectives.ngboost import DistributionObjective
    from ..objectives.regression import _Regression
    if isinstance(objective, FairnessObjective):
        from ._fairness import FairAdapter
        return FairAdapter(objective)
    if isinstance(objective, DistributionObjective):
        return NGBAdapter(objective)
    name = getattr(objective, "name", type(objective).__name__)
    for hook in ("refit_leaves", "labels_of", "after_iteration", "line_search", "split_grad"):
        if getattr(objective, hook, None) is not None:
            raise NotImplementedError(
                f"Objective {name!r} has a '{hook}' step that needs all rows at once; it is "
                "not built for distributed training (see the README's Dask section).")
    # Only objectives whose gradients are known to be per row (a user's callable is taken
    # to be): Cox's, for one, sum over risk sets that span every worker.
    if not isinstance(objective, (SquaredError, LogisticLoss, SoftmaxLoss, _Regression,
                                  CallableObjective)):
        raise NotImplementedError(
            f"Objective {name!r} is not built for distributed training: its gradients are not "
            "known to depend on each row alone (see the README's Dask section).")
    return PlainAdapter(objective)


class PlainAdapter:
    """An objective whose gradients are per row: nothing is shared but the trees."""

    line_search = False
    after_iteration_needed = False

    def __init__(self, inner):
        self.inner = inner

    # -- driver side --------------------------------------------------------------------------
    def n_outputs(self, y):
        return self.inner.n_outputs(y)

    def init_score(self, y, weight):
        return self.inner.init_score(y, weight)

    def prepare(self, c, key, training):
        """Agree on whatever the labels need across shards (nothing here)."""

    def after_start(self, c, key):
        """Checks once the shards hold margins (nothing here)."""

    def round_state(self, c, key):
        """What the workers need from the driver before each round's gradients (None)."""
        return None

    def round_ops(self, c, key, grower, previous, iteration):
        """Ops that compute the round's gradients, sent with the first tree's root, and the
        split-search column scales (None: the gradients themselves)."""
        return previous + [("grad", {"state": self.round_state(c, key)})], None

    # -- worker side --------------------------------------------------------------------------
    def shard_labels(self, shard, training=True):
        """The objective's labels of one shard's rows."""
        if shard.label is None:
            return None
        if not training or shard.n == 0:
            return shard.label
        return self.inner.check_label(shard.label)

    def set_state(self, state):
        pass

    def grad_hess(self, y, raw, weight, out_g, out_h):
        self.inner.grad_hess(y, raw, weight, out_g, out_h)


class NGBAdapter(PlainAdapter):
    """NGBoost: per-row natural gradients, with two global statistics:

    - ``standardize_split`` (condensed trees, ``natural_hessian="unit"``): the split search
      sees each gradient column divided by its hessian-weighted spread over all rows
      (``gbt._native.cpu.sketch_grad.standardize_columns``); the spread's two passes are sums
      over workers, and the leaves get the full gradients' sums;
    - the line search's mean score at each trial scale is a sum over workers.
    """

    def __init__(self, inner):
        super().__init__(inner)
        self.line_search = bool(inner.use_line_search)
        self.standardize = getattr(inner, "split_grad", None) is not None

    def round_ops(self, c, key, grower, previous, iteration):
        if not self.standardize or grower.K == 1:
            return super().round_ops(c, key, grower, previous, iteration)
        from ._train import check_finite
        reply = grower.flush(previous + [("grad", {"state": None}), ("col_stats", {})])
        check_finite(reply["grad_sum"], iteration)
        total, first = reply["col_sums"]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(total > 0.0, first / np.where(total > 0.0, total, 1.0), 0.0)
        second = c.allreduce(key, [("col_stats", {"mean": mean})], "gradient spread")
        with np.errstate(divide="ignore", invalid="ignore"):
            std = np.where(total > 0.0, np.sqrt(second["col_second"] /
                                                np.where(total > 0.0, total, 1.0)), 1.0)
        std = np.where((std > 0.0) & np.isfinite(std), std, 1.0)
        return [], std

    def line_search_round(self, c, key, booster, first_new, learning_rate):
        """NGBoost's scale search (as ``DistributionObjective.line_search``) with every
        trial's mean score summed over workers; scales the round's trees and lands the move."""
        from ..objectives.ngboost import MAX_HALVINGS, MAX_SCALE, STEP_TOL
        tried = {}

        def losses(scales):
            todo = [s for s in scales if s not in tried]
            if todo:
                r = c.allreduce(key, [("line_loss", {"scales": todo,
                                                     "learning_rate": learning_rate})],
                                "line search")
                for s, (total, weight) in zip(todo, r["line"]):
                    tried[s] = total / weight if weight > 0 else np.nan
                losses.norm = r["step_norm"][0] / max(r["step_norm"][1], 1.0)
            return [tried[s] for s in scales]

        base, loss = losses([0.0, 1.0])
        scale = 1.0
        while np.isfinite(loss) and loss <= base and scale <= MAX_SCALE:
            scale *= 2.0
            loss = losses([scale])[0]
        chosen = 0.0
        for _ in range(MAX_HALVINGS):
            loss = losses([scale])[0]
            if np.isfinite(loss) and loss < base or scale * losses.norm < STEP_TOL:
                chosen = scale
                break
            scale *= 0.5
        for tree in booster.trees[first_new:]:
            tree.value *= chosen
        c.allreduce(key, [("apply_move", {"scale": chosen})], "line search")
