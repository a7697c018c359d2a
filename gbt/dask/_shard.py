"""Worker side of distributed training: one *shard* per (training run, worker).

A shard holds the rows of the partitions that already live on its worker: raw features until
the cut points are agreed, then their bins, labels, weights, margins and gradients. Rows never
leave the worker after binning. The driver (:mod:`gbt.dask._train`) sends small messages; each
is a list of *ops* run in order, and the reply is a dict of arrays that the cluster **sums**
over workers (:mod:`gbt.dask._collective`), so every reply must be additive: counts,
histograms, sums.

Shards live in a module-level registry of the worker process, keyed by the run's key, and are
dropped when training ends. Everything here runs inside worker processes.
"""
from __future__ import annotations

import numpy as np

from .._native.backend import get_backend, use_threads
from .._native.cpu.histogram import build_histogram
from .._native.cpu.partition import partition_rows, partition_rows_set
from .._native.cpu.sampling import subsample_rows
from .._native.cpu.transpose import transposed
from ..binning import BinMapper
from ..data import Dataset, to_feature_matrix
from ..sketch import WeightedQuantileSummary

_SHARDS: dict = {}


class ShardMissingError(RuntimeError):
    """The worker has no state for this run: it restarted (its rows are gone)."""


def _get(key):
    try:
        return _SHARDS[key]
    except KeyError:
        raise ShardMissingError(
            f"This worker holds no shard {key!r}: it was restarted or the run was dropped, "
            "so its rows are gone; restart training.") from None


def _n_threads() -> int:
    """Threads of this worker (the histogram kernel's row chunks)."""
    try:
        from distributed import get_worker
        return max(1, int(get_worker().state.nthreads))
    except Exception:  # not inside a worker (tests calling ops directly)
        return 1


def _concat(parts):
    """One block from row partitions (numpy arrays, pandas frames or series)."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    if hasattr(parts[0], "iloc"):
        import pandas as pd
        return pd.concat(parts, axis=0, ignore_index=True)
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


class _Rows:
    """A worker's rows of one data set: features, label, weight and the objective's extras."""

    def __init__(self, X, label, weight, extra):
        # A worker can be given only empty partitions: its shard then has no rows.
        self.features = to_feature_matrix(X, allow_no_rows=True)
        self.n = self.features.shape[0]
        self.label = None if label is None else np.asarray(label, dtype=np.float64)
        self.weight = None if weight is None else np.asarray(weight, dtype=np.float64)
        self.extra = extra or {}
        self.dataset = Dataset(self.features, self.label, weight=self.weight,
                               **self.extra) if self.n else None

    def group_values(self):
        """The distinct constraint groups of these rows (FairGBM)."""
        from ._fairness import shard_groups
        g = shard_groups(self)
        return np.zeros(0) if g is None or g.size == 0 else np.unique(g)


class Shard(_Rows):
    """The rows one worker holds for one run (see the module docstring)."""

    def __init__(self, X, label, weight, extra):
        super().__init__(X, label, weight, extra)
        self.n_threads = _n_threads()
        self.part_sizes = []  # rows of each partition, in order (set by load)

    # -- setup --------------------------------------------------------------------------------
    def describe(self) -> dict:
        """What the driver checks across shards: rows, names, categories, largest codes."""
        return {"n": self.n, "part_sizes": list(self.part_sizes),
                "names": list(self.features.feature_names),
                "categories": {j: list(c) for j, c in self.features.categories.items()}}

    def code_counts(self, columns):
        """``{column: largest code + 1}`` of numeric columns listed as categorical (as one
        machine counts them; ValueError on fractional codes)."""
        if not self.n:
            return {}
        from ..data import _integer_codes
        names = self.features.feature_names
        return {j: _integer_codes(self.features.values, j, names[j]) for j in columns}

    def sketch(self, skip, sample=None):
        """Per-feature exact weighted quantile summaries, as ``(values, weights)`` pairs
        (None for features in ``skip``), of this shard's rows or of the rows ``sample``
        (sorted local indices: this shard's part of a single machine's sketch sample)."""
        values = self.features.values
        out = []
        for j in range(self.features.shape[1]):
            if j in skip:
                out.append(None)
                continue
            col, w = BinMapper._column(values, j, self.weight, sample)
            if w is not None:  # as BinMapper.fit: zero-weight rows do not shape the bins
                col, w = col[w > 0], w[w > 0]
            summary = WeightedQuantileSummary.from_data(col, w)
            out.append((summary.value, summary.w))  # exact: rmin, rmax follow from w
        return out

    def bin(self, cuts, categorical, max_bin):
        """Bin the rows with the agreed cut points; the raw features are dropped."""
        mapper = BinMapper(max_bin)
        mapper.cuts, mapper.categorical = list(cuts), dict(categorical)
        self.missing_bin = mapper.missing_bin
        self.n_bins = mapper.n_bins
        if self.n:
            self.X, self.X_T = mapper.transform_pair(self.features, self.n_threads)
        else:
            self.X = np.zeros((0, len(cuts)), dtype=mapper.dtype)
            self.X_T = transposed(self.X)
        self.n_bins_total = mapper.n_bins_total
        # From here on only the bins are needed (and a base margin, if given).
        self.base_margin = None if self.dataset is None else self.dataset.base_margin
        self.features = self.dataset = None

    def objective_labels(self, objective, head_only=False):
        """The objective's labels of these rows (kept here) and, for the driver, the labels
        and weights themselves: ``(None, y, weight)``; with ``head_only`` just the first
        label (the driver then only needs the label's shape)."""
        self.y = objective.shard_labels(self)
        if head_only:
            return None, None if self.y is None else self.y[:1], None
        return None, self.y, self.weight

    def start_training(self, objective, base_score, tree_width, rank):
        """Margins, gradient buffers and row bookkeeping; ``rank`` is this shard's index
        (it seeds the shard's own row sample)."""
        self.objective, self.rank = objective, int(rank)
        if self.base_margin is not None:
            self.raw = np.array(self.base_margin.reshape(self.n, -1), dtype=np.float64)
        else:
            self.raw = np.empty((self.n, base_score.size))
            self.raw[:] = base_score[None, :]
        K = base_score.size
        self.g = np.empty((self.n, K), dtype=np.float32)
        self.h = np.empty((self.n, K), dtype=np.float32)
        self.gh = np.empty((self.n, tree_width, 2), dtype=np.float32)
        self.rows = np.arange(self.n, dtype=np.int32)
        self.m = self.n
        self.others = None
        self.scratch = np.empty(self.n, dtype=np.int32)
        self.chunk_counts = np.empty(self.n_threads, dtype=np.int64)
        self.chunk_buffers = np.zeros((self.n_threads, self.X.shape[1], self.n_bins_total,
                                       tree_width, 2))
        self.seg = np.zeros((64, 2), dtype=np.int64)  # each node's [start, end) in self.rows
        self.leaf_of_row = np.full(self.n, -1, dtype=np.int32)
        self.move = None
        self.gh_full = None

    # -- ops ----------------------------------------------------------------------------------
    def op_grad(self, out, state=None):
        """g, h of every row from the objective (``state``: the objective's global state)."""
        if state is not None:
            self.objective.set_state(state)
        if self.n:
            self.objective.grad_hess(self.y, self.raw, self.weight, self.g, self.h)
        out["grad_sum"] = np.array([float(self.g.sum(dtype=np.float64)),
                                    float(self.h.sum(dtype=np.float64))])

    def op_root(self, out, k, sample=None, scale=None):
        """Start a tree on outputs ``k:k + width``: gradient pairs, the row sample
        (``sample``: (fraction, seed) or None) and the root histogram. With ``scale``
        ((width,) column spreads over all workers) the split search sees each gradient
        column divided by its spread, and the full pairs are kept for the leaves."""
        width = self.gh.shape[1]
        if scale is None:
            self.gh[:, :, 0] = self.g[:, k:k + width]
            self.gh_full = None
        else:  # as standardize_columns: a float64 quotient, stored as float32
            self.gh[:, :, 0] = self.g[:, k:k + width] / np.asarray(scale, dtype=np.float64)
            self.gh_full = np.empty_like(self.gh)
            self.gh_full[:, :, 0] = self.g[:, k:k + width]
            self.gh_full[:, :, 1] = self.h[:, k:k + width]
        self.gh[:, :, 1] = self.h[:, k:k + width]
        self.rows[:] = np.arange(self.n, dtype=np.int32)
        self.m, self.others = self.n, None
        if sample is not None:
            fraction, seed = sample
            m = int(round(fraction * self.n))
            rng = np.random.default_rng(list(seed) + [self.rank])
            picked, self.others = subsample_rows(rng, self.n, m)  # as the engine draws
            self.rows[:m] = picked
            self.m = m
        self.leaf_of_row.fill(-1)
        self.seg[0] = (0, self.m)
        out["count"] = np.array([self.m], dtype=np.int64)
        out["hist"] = self._histograms([0])

    def op_split(self, out, splits):
        """Partition the rows of each split node; ``splits`` is a list of
        ``(node, feature, bin, default_left, left_set or None, left_child)``."""
        n_left = np.zeros(len(splits), dtype=np.int64)
        for i, (node, f, b, dl, left_set, left) in enumerate(splits):
            start, end = self.seg[node]
            if left_set is not None:
                nl = partition_rows_set(self.X_T[f], self.rows, start, end, left_set, dl,
                                        self.missing_bin, 1, self.scratch, self.chunk_counts)
            else:
                nl = partition_rows(self.X_T[f], self.rows, start, end, b, dl,
                                    self.missing_bin, 1, self.scratch, self.chunk_counts)
            self._reserve(left + 2)
            self.seg[left] = (start, start + nl)
            self.seg[left + 1] = (start + nl, end)
            n_left[i] = nl
        out["n_left"] = n_left

    def op_col_stats(self, out, mean=None):
        """Per gradient column, over rows with a positive hessian: (sum h, sum g), or with
        ``mean`` the sum of ``h (g / h - mean)^2`` (the two passes of a weighted spread)."""
        g, h = self.g.astype(np.float64), self.h.astype(np.float64)
        pos = h > 0.0
        if mean is None:
            out["col_sums"] = np.stack([np.where(pos, h, 0.0).sum(axis=0),
                                        np.where(pos, g, 0.0).sum(axis=0)])
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(pos, g / np.where(pos, h, 1.0) - mean, 0.0)
        out["col_second"] = (np.where(pos, h, 0.0) * d * d).sum(axis=0)

    def op_leaf_sums(self, out, leaves):
        """(len(leaves), width, 2) float64 sums of the full gradient pairs of each leaf's
        rows (the leaves' values when the split search saw scaled gradients)."""
        sums = np.zeros((len(leaves),) + self.gh.shape[1:])
        source = self.gh if self.gh_full is None else self.gh_full
        for i, leaf in enumerate(leaves):
            start, end = self.seg[leaf]
            sums[i] = source[self.rows[start:end]].sum(axis=0, dtype=np.float64)
        out["leaf_sums"] = sums

    def op_hist(self, out, nodes):
        """Histograms of ``nodes`` over this shard's rows."""
        out["hist"] = self._histograms(nodes)

    def op_finish(self, out, tree, k, leaves):
        """The grown tree adds to the margins (or to the round's move for a line search):
        the sampled rows by their leaves, the others by walking the tree."""
        for leaf in leaves:
            start, end = self.seg[leaf]
            self.leaf_of_row[self.rows[start:end]] = leaf
        target = self.raw if self.move is None else self.move
        _, kernels = get_backend("cpu")
        if self.n:
            kernels.add_leaf_values(self.leaf_of_row, tree.value, k, target)
        if self.others is not None and self.others.size:
            from ..engine import _walk_tree
            _walk_tree(kernels, tree, self.X, self.missing_bin, self.others, 1, k, target)

    def op_begin_move(self, out):
        """A line-searching objective: the round's trees go to a separate move buffer."""
        self.move = np.zeros_like(self.raw)

    def op_line_loss(self, out, scales, learning_rate):
        """Weighted sums of the objective's per-row score at ``raw + s * move / lr`` for each
        scale ``s``, over the round's row sample (NGBoost's line search, summed over
        workers), and the sum of the step's row norms."""
        inner = self.objective.inner
        rows = None if self.others is None else np.sort(self.rows[:self.m])
        pick = (lambda a: a) if rows is None else (lambda a: a[rows])
        y, raw = pick(self.y), pick(self.raw)
        step = pick(self.move) / learning_rate
        w = np.ones(raw.shape[0]) if self.weight is None else pick(self.weight)
        sums = np.zeros((len(scales), 2))
        if raw.shape[0]:
            for i, s in enumerate(scales):
                per_row = inner.distribution.score(y, raw + s * step, inner.score)
                sums[i] = (float(np.dot(per_row, w)), float(w.sum()))
        out["line"] = sums
        out["step_norm"] = np.array([float(np.sqrt(np.einsum("ij,ij->i", step, step)).sum()),
                                     float(raw.shape[0])])

    def op_apply_move(self, out, scale):
        """Land the round's move scaled by the line search's choice."""
        self.raw += scale * self.move
        self.move = None

    def op_stats(self, out, name):
        """Objective statistics summed over workers (``objective.shard_stats``)."""
        out[name] = self.objective.shard_stats(name, self.y, self.raw, self.weight) \
            if self.n else self.objective.empty_stats(name)

    # -- helpers ------------------------------------------------------------------------------
    def _histograms(self, nodes):
        width = self.gh.shape[1]
        hist = np.zeros((len(nodes), self.X.shape[1], self.n_bins_total, width, 2))
        for i, node in enumerate(nodes):
            start, end = self.seg[node]
            build_histogram(self.X, self.gh, self.rows, start, end, self.n_bins,
                            self.n_threads, self.chunk_buffers, hist[i])
        return hist

    def _reserve(self, n_nodes):
        if n_nodes > self.seg.shape[0]:
            grown = np.zeros((max(n_nodes, 2 * self.seg.shape[0]), 2), dtype=np.int64)
            grown[:self.seg.shape[0]] = self.seg
            self.seg = grown


class EvalShard(_Rows):
    """An evaluation set's rows on one worker, with their running margins."""

    def start(self, base_score):
        self.raw = np.empty((self.n, base_score.size))
        if self.dataset is not None and self.dataset.base_margin is not None:
            self.raw[:] = self.dataset.base_margin.reshape(self.n, -1)
        else:
            self.raw[:] = base_score[None, :]

    def objective_labels(self, objective):
        """As :meth:`Shard.objective_labels`, for an evaluation set."""
        self.y = objective.shard_labels(self, training=False)
        return None, self.y, self.weight

    def add_trees(self, forest):
        """Add the round's new trees to the margins; return them."""
        from ..predict import predict_raw
        if self.n:
            predict_raw(forest, self.features.values, self.raw, 1)
        return self.raw


# -- task entry points (run on workers by the driver) ----------------------------------------
def load(key, kind, *bundles):
    """Create this worker's shard of ``key`` from its partitions' ``(X, label, weight,
    extra)`` bundles (already on this worker)."""
    names = sorted({n for b in bundles for n in b[3]})
    extra = {n: np.concatenate([b[3][n] for b in bundles]) for n in names}
    cls = Shard if kind == "train" else EvalShard
    _SHARDS[key] = cls(_concat([b[0] for b in bundles]), _concat([b[1] for b in bundles]),
                       _concat([b[2] for b in bundles]), extra)
    shard = _SHARDS[key]
    shard.part_sizes = [len(b[0]) for b in bundles]
    return shard.describe() if kind == "train" else {"n": shard.n}


def call(key, method, *args):
    """Call one shard method and return its result."""
    # Parallel kernels get this worker's threads, no more: idle Numba threads spin a while
    # after each parallel region and would steal the cores of the other workers.
    with use_threads(_n_threads()):
        return getattr(_get(key), method)(*args)


def run_ops(key, ops):
    """Run a message's ops in order; return the reply dict (summed over workers)."""
    shard = _get(key)
    out: dict = {}
    with use_threads(shard.n_threads):  # see call()
        for name, kwargs in ops:
            getattr(shard, "op_" + name)(out, **kwargs)
    return out


class ShardActor:
    """A worker's low-latency endpoint for one run (a Dask actor): the driver calls it
    directly, without the scheduler, and it sums its children's replies with its own, so a
    message's replies travel up a binary tree of workers (worker to worker) and the driver
    receives the sums of its two subtrees."""

    def __init__(self):
        self.children = []

    def connect(self, children):
        """This node's children in the reduction tree (actor handles)."""
        self.children = list(children)
        return len(self.children)

    def reduce(self, key, ops):
        """Run ``ops`` here and in this node's subtree; return the summed reply."""
        from ._collective import sum_replies
        pending = [child.reduce(key, ops) for child in self.children]  # they run meanwhile
        out = run_ops(key, ops)
        for future in pending:  # fixed order: the same sums every time
            out = sum_replies(out, future.result())
        return out

    def call(self, key, method, *args):
        """``shard.method(*args)`` on this worker's shard of ``key``."""
        return call(key, method, *args)


def drop(key):
    """Forget a run's shard (training ended)."""
    _SHARDS.pop(key, None)
    return True
