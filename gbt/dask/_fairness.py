"""FairGBM (``binary:constrained``) over workers: its state is global.

A single machine's :class:`~gbt.objectives.fairness.FairnessObjective` reads three kinds of
sums over all rows; here each is a sum over workers, made by the all-reduce:

- group codes: the sorted union of every shard's group values (codes agree everywhere);
- per round, before the gradients: each constraint family's group sizes and proxy-rate sums
  and the total weight (the proxy gradients' coefficients);
- per round, after the trees: each family's group sizes and hit counts at the score
  threshold, the true constraint values that move the multipliers on the driver.

The formulas are those of ``gbt.objectives.fairness`` (``_Family.add_gradients``,
``_Family.values``, ``FairnessObjective.after_iteration``) with the sums passed in.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..objectives.fairness import RATE_ROWS, _argmax_of_others, _max_of_others
from ._objectives import PlainAdapter


class FairAdapter(PlainAdapter):
    """Distributed FairGBM (see the module docstring)."""

    after_iteration_needed = True

    def __init__(self, inner):
        super().__init__(inner)
        self.values = None  # the sorted group values (driver sets them in prepare)
        self.stats = None   # this round's proxy statistics (on the workers)

    # -- driver side --------------------------------------------------------------------------
    def prepare(self, c, key, training):
        """Agree on the group values across shards; for training, set up the objective's
        constraint families and multipliers as ``labels_of`` does on one machine."""
        parts = [v for v in c.call(key, "group_values", what="group values") if v.size]
        values = np.unique(np.concatenate(parts)) if parts else np.zeros(0)
        if training:
            inner = self.inner
            groupwise = inner.constraint_type != "NONE"
            if values.size < 2 and groupwise:
                raise ValueError(f"constraint_group has {values.size} group(s); group-wise "
                                 "constraints need at least 2.")
            inner.group_names = [str(v) for v in values] if groupwise or values.size else ["0"]
            inner.multipliers = None if inner._initial_multipliers is None \
                else np.asarray(inner._initial_multipliers, float)
            inner._build_families(max(values.size, 1))
        self.values = values

    def after_start(self, c, key):
        """The single machine's check that every constraint's rate is defined."""
        sizes = self._rate_sums(c, key)
        for fam, (size, _) in zip(self.inner.families, sizes):
            label, _ = RATE_ROWS[fam.kind]
            empty = np.flatnonzero(size <= 0) if label is not None else []
            if len(empty):
                which = "the data" if fam.is_global else \
                    f"group {self.inner.group_names[empty[0]]!r}"
                raise ValueError(f"{fam.kind} is undefined for {which}: it has no rows of "
                                 f"class {label}, or their weights are zero.")

    def round_state(self, c, key):
        """Multipliers and this round's proxy statistics summed over workers."""
        flat = c.allreduce(key, [("stats", {"name": "proxy"})], "fairness statistics")["proxy"]
        return {"multipliers": self.inner.multipliers.copy(), "proxy": flat}

    def after_iteration_round(self, c, key):
        """Projected ascent on the true constraint values (sums over workers)."""
        inner = self.inner
        values = []
        for fam, (size, count) in zip(inner.families, self._rate_sums(c, key)):
            with np.errstate(invalid="ignore", divide="ignore"):
                rates = np.where(size > 0, count / np.where(size > 0, size, 1.0), np.nan)
            if fam.is_global:
                values.append(np.nan_to_num(rates - fam.bound))
            else:
                values.append(np.nan_to_num(_max_of_others(rates) - rates - fam.bound))
        return inner.ascend(np.concatenate(values))

    def _rate_sums(self, c, key):
        flat = c.allreduce(key, [("stats", {"name": "rates"})], "fairness rates")["rates"]
        return _unflatten(flat, self.inner.families)

    # -- worker side --------------------------------------------------------------------------
    def shard_labels(self, shard, training=True):
        """(n, 2) labels: (0/1 label, group code against the agreed group values)."""
        y = np.zeros(0) if shard.label is None else np.asarray(shard.label, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"binary:constrained needs a 1-D 0/1 label; got shape {y.shape}.")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("binary:constrained needs labels 0 and 1.")
        group = shard_groups(shard)
        if group is None:
            if self.inner.constraint_type != "NONE":
                raise ValueError("binary:constrained needs the constraint group of every "
                                 "row: pass constraint_group.")
            codes = np.zeros(y.size, dtype=np.int64)
        else:
            codes = np.searchsorted(self.values, group) if self.values.size else \
                np.zeros(y.size, dtype=np.int64)
        return np.column_stack([y, codes.astype(np.float64)])

    def set_state(self, state):
        self.inner.multipliers = state["multipliers"]
        self.stats = _unflatten(state["proxy"][:-1], self.inner.families)
        self.total = float(state["proxy"][-1])

    def shard_stats(self, name, y, raw, weight):
        """This shard's part of the ``name`` sums ("proxy" or "rates"), flat."""
        inner = self.inner
        label, group = y[:, 0], y[:, 1].astype(np.int64)
        w = np.ones(label.size) if weight is None else weight
        out = []
        if name == "proxy":
            s = raw[:, 0] - inner.raw_threshold
            for fam in inner.families:
                _, sign = RATE_ROWS[fam.kind]
                member = fam._members(label, group)
                rows = member >= 0
                n = fam.n_constraints
                out.append(np.bincount(member[rows], weights=w[rows], minlength=n))
                out.append(np.bincount(member[rows], minlength=n,
                                       weights=(w * inner.proxy.value(s, sign))[rows]))
            out.append(np.array([float(w.sum())]))
        else:
            positive = raw[:, 0] >= inner.raw_threshold
            for fam in inner.families:
                kind_label, sign = RATE_ROWS[fam.kind]
                rows = np.ones(label.size, bool) if kind_label is None else label == kind_label
                groups = np.zeros_like(group) if fam.is_global else group
                hit = positive if sign > 0 else ~positive
                n = fam.n_constraints
                out.append(np.bincount(groups[rows], weights=w[rows], minlength=n))
                out.append(np.bincount(groups[rows & hit], weights=w[rows & hit], minlength=n))
        return np.concatenate(out)

    def empty_stats(self, name):
        size = sum(2 * f.n_constraints for f in self.inner.families)
        return np.zeros(size + (1 if name == "proxy" else 0))

    def grad_hess(self, y, raw, weight, out_g, out_h):
        """FairnessObjective.grad_hess with the group statistics of all workers."""
        inner = self.inner
        label, group = y[:, 0], y[:, 1].astype(np.int64)
        f = raw[:, 0]
        p = expit(f)
        w = np.ones(label.size) if weight is None else weight
        g = w * (p - label)
        h = w * np.maximum(p * (1.0 - p), 1e-16)
        s = f - inner.raw_threshold
        for fam, lam, (size, proxy_sum) in zip(inner.families,
                                               inner._split(inner.multipliers), self.stats):
            if not lam.any():
                continue
            _, sign = RATE_ROWS[fam.kind]
            member = fam._members(label, group)
            rows = member >= 0
            if fam.is_global:
                coef = lam.copy()
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    rate = np.where(size > 0, proxy_sum / np.where(size > 0, size, 1), np.nan)
                coef = -lam.copy()
                np.add.at(coef, _argmax_of_others(rate), lam)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_group = np.where(size > 0, self.total * coef / np.where(size > 0, size, 1),
                                     0.0)
            m = member[rows]
            g[rows] += per_group[m] * w[rows] * inner.proxy.d1(s[rows], sign)
            h[rows] += np.abs(per_group[m]) * w[rows] * inner.proxy.d2(s[rows], sign)
        out_g[:, 0] = g
        out_h[:, 0] = h


def shard_groups(shard):
    """The constraint group column of a shard (None when it has none)."""
    group = shard.extra.get("constraint_group") if hasattr(shard, "extra") else None
    if group is None and getattr(shard, "dataset", None) is not None:
        group = getattr(shard.dataset, "constraint_group", None)
    if group is None:
        return None
    g = np.asarray(group)
    return g[:, 0] if g.ndim == 2 and g.shape[1] == 1 else g


def _unflatten(flat, families):
    """Per family: (first sum, second sum), each (n_constraints,)."""
    out, start = [], 0
    for fam in families:
        n = fam.n_constraints
        out.append((flat[start:start + n], flat[start + n:start + 2 * n]))
        start += 2 * n
    return out
