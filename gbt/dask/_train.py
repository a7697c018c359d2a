"""gbt.dask.train(): the boosting loop of :func:`gbt.train` over rows sharded on Dask workers.

Steps: (1) every partition's rows are bundled where they are computed and each worker builds
one shard of them; (2) every shard sketches its columns (:mod:`gbt.sketch`), the driver merges
the summaries into one set of cut points and the shards bin their rows; (3) per tree, per
batch of leaves, the shards' histograms are summed (:mod:`gbt.dask._collective`) and the
driver decides the splits (:mod:`gbt.dask._grower`). The result is a plain
:class:`gbt.Booster`, the same model format as a single-machine fit.
"""
from __future__ import annotations

import copy
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._native.backend import resolve_device
from ..binning import DEFAULT_SKETCH_ROWS, missing_bin_of
from ..booster import Booster
from ..callback import OBJECTIVE_LOG, EarlyStopping, EvaluationMonitor
from ..data import check_int
from ..engine import _metric_names
from ..metrics import get_metric
from ..objectives import get_objective
from ..params import (CATEGORICAL_PARAMS, resolve_feature_constraints, resolve_params)
from ..predict import PackedForest
from ..sketch import WeightedQuantileSummary
from . import _shard
from ._collective import Collective
from ._data import DaskDataset, bundles_by_worker
from ._grower import DistributedTreeGrower
from ._objectives import distributed_objective


def train(client, params: dict, dtrain: DaskDataset, num_boost_round: int = 10, *,
          evals=None, early_stopping_rounds=None, evals_result=None, verbose_eval=False,
          callbacks=None, timeout=None):
    """Train a gradient-boosted tree model on a Dask cluster.

    The same algorithm as :func:`gbt.train`: with the same data the cut points are the same
    (up to the row sampling a single machine does above ``DEFAULT_SKETCH_ROWS`` rows) and the
    trees are the same up to the order of floating-point sums.

    Parameters
    ----------
    client : distributed.Client
    params : dict, booster parameters (see :mod:`gbt.params`); see the README for the
        objectives and options built for distributed training
    dtrain : DaskDataset with a label
    num_boost_round : int
    evals : list of (DaskDataset, str), optional; the last one drives early stopping
    early_stopping_rounds : int, optional
    evals_result : dict, optional, filled with ``{name: {metric: [values]}}``
    verbose_eval : bool or int
    callbacks : list of TrainingCallback, optional
    timeout : float, optional
        Seconds any one message to the workers may take before ``TimeoutError``. A lost
        worker raises :class:`gbt.dask.WorkerLostError` naming it, with or without it.

    Returns
    -------
    gbt.Booster
    """
    from distributed import Client
    if not isinstance(client, Client):
        raise TypeError(f"client must be a distributed.Client; got {type(client).__name__}.")
    if not isinstance(dtrain, DaskDataset):
        raise TypeError(f"dtrain must be a gbt.dask.DaskDataset; got {type(dtrain).__name__}.")
    if dtrain.label is None:
        raise ValueError("dtrain has no label.")
    num_boost_round = check_int("num_boost_round", num_boost_round, 0)
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a number of seconds > 0; got {timeout!r}.")
    evals = _check_evals(evals)
    params = resolve_params(params)
    _check_supported(params)
    run = _Run(client, params, timeout)
    try:
        return run.fit(dtrain, num_boost_round, evals, early_stopping_rounds, evals_result,
                       verbose_eval, callbacks)
    finally:
        run.close()


def _check_evals(evals):
    out = []
    for i, item in enumerate(evals or ()):
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and
                isinstance(item[0], DaskDataset) and isinstance(item[1], str)):
            raise TypeError(f"evals[{i}] must be a (gbt.dask.DaskDataset, name) pair.")
        if item[0].label is None:
            raise ValueError(f"Evaluation set {item[1]!r} has no label.")
        if item[1] == OBJECTIVE_LOG:
            raise ValueError(f"{OBJECTIVE_LOG!r} names the objective's own log in "
                             "evals_result; give the evaluation set another name.")
        out.append(tuple(item))
    return out


def _check_supported(params):
    """Options that are not built for distributed training raise here, before any work."""
    if resolve_device(params["device"]) != "cpu":
        raise NotImplementedError("Distributed training runs the CPU kernels on the workers; "
                                  "device='cuda' is not built for gbt.dask.")
    if params["split_grad"] != "full":
        raise NotImplementedError("split_grad sketches other than 'full' are not built for "
                                  "distributed training.")


class _Run:
    """One distributed training run: its shards, collective and boosting state."""

    def __init__(self, client, params, timeout):
        self.client, self.params, self.timeout = client, params, timeout
        self.key = f"gbt-train-{uuid.uuid4().hex}"
        self.eval_keys: list = []
        self.eval_collectives: list = []
        self.c = None

    # -- setup --------------------------------------------------------------------------------
    def _load(self, dataset, key, kind):
        """Shards of ``dataset`` on the workers that hold its partitions."""
        by_worker = bundles_by_worker(self.client, dataset.bundles(self.client))
        workers = sorted(by_worker)
        c = Collective(self.client, workers, self.timeout)
        futures = [c.submit(w, _shard.load, key, kind, *[f for _, f in by_worker[w]])
                   for w in workers]
        described = c.results(futures, "load")
        for w, d in zip(workers, described):
            d["parts"] = [i for i, _ in by_worker[w]]
        c.start_actors()
        return c, described

    def fit(self, dtrain, num_boost_round, evals, early_stopping_rounds, evals_result,
            verbose_eval, callbacks):
        started = time.perf_counter()
        self.c, described = self._load(dtrain, self.key, "train")
        names, counts, categories, n_total = self._agree_on_columns(described)
        objective, booster, width = self._start_objective(names, categories)
        cuts = self._cut_points(described, counts, n_total)
        self.c.call(self.key, "bin", cuts, counts, self.params["max_bin"], what="binning")
        self.c.results([self.c.submit(w, _shard.call, self.key, "start_training", objective,
                                      booster.base_score, width, rank)
                        for rank, w in enumerate(self.c.workers)], "setup")
        objective.after_start(self.c, self.key)
        grower = DistributedTreeGrower(self.c, self.key, np.array([c.size for c in cuts],
                                                                  dtype=np.int32),
                                       missing_bin_of(cuts), self.params, width, cuts)
        evalsets = [self._eval_set(d, name, objective, booster.base_score)
                    for d, name in evals]
        loop = _Loop(self.c, self.key, grower, objective, self.params, n_total, len(names),
                     booster.n_outputs, width)
        setup_done = time.perf_counter()
        booster = loop.run(booster, num_boost_round, evalsets,
                           self._metrics(objective),
                           _callbacks(callbacks, early_stopping_rounds, verbose_eval),
                           {} if evals_result is None else evals_result)
        # What the run agreed on and moved (not saved with the model).
        booster.distributed_stats = {"workers": list(self.c.workers),
                                     "rows_per_worker": [d["n"] for d in described],
                                     "cuts": cuts,
                                     "bytes_per_tree": list(grower.bytes_per_tree),
                                     "seconds_setup": setup_done - started,
                                     "seconds_boosting": time.perf_counter() - setup_done}
        return booster

    def _agree_on_columns(self, described):
        """Feature names, categorical features and row count, checked across shards."""
        names = described[0]["names"]
        for d in described[1:]:
            if d["names"] != names:
                raise ValueError(f"Partitions disagree on the feature names: {names} vs "
                                 f"{d['names']}.")
        n_total = sum(d["n"] for d in described)
        if n_total == 0:
            raise ValueError("The training data has no rows.")
        params = self.params
        params["monotone_constraints"], params["interaction_constraints"] = \
            resolve_feature_constraints(params, names, len(names))
        if any(params["monotone_constraints"] or ()) or params["interaction_constraints"]:
            raise NotImplementedError("monotone_constraints and interaction_constraints are "
                                      "not built for distributed training.")
        counts, categories = _categories(params, described, names, self._code_counts)
        return names, counts, categories, n_total

    def _code_counts(self, columns):
        """Largest code + 1 of listed numeric categorical columns, over every shard."""
        per_shard = self.c.call(self.key, "code_counts", list(columns), what="categories")
        return {j: max([p[j] for p in per_shard if j in p] + [1]) for j in columns}

    def _start_objective(self, names, categories):
        """The objective's adapter, the (empty) Booster with its base score, and the tree
        width (outputs per tree)."""
        params = self.params
        objective = distributed_objective(get_objective(params["objective"], params))
        y_all, w_all = self._labels(objective)
        n_outputs = objective.n_outputs(y_all)
        if params["base_score"] is not None:
            base_score = np.full(n_outputs, float(params["base_score"]))
        else:
            base_score = np.asarray(objective.init_score(y_all, w_all), dtype=np.float64)
        model_params = params if params["categorical_feature"] else \
            {k: v for k, v in params.items() if k not in CATEGORICAL_PARAMS}
        booster = Booster(objective.inner, base_score, names, categories, model_params)
        strategy = params["multi_strategy"]
        if strategy == "auto":
            strategy = getattr(objective.inner, "default_multi_strategy", "one_per_output")
        width = n_outputs if strategy == "condensed" else 1
        booster.trees_per_iteration = n_outputs // width
        return objective, booster, width

    def _metrics(self, objective):
        return [get_metric(m, objective.inner)
                for m in _metric_names(self.params, objective.inner)]

    def _labels(self, objective):
        """Each shard keeps its objective labels; the driver gets all labels and weights in
        worker order (for the base score and the number of outputs), or only one label of
        each shard when ``base_score`` is given."""
        objective.prepare(self.c, self.key, True)
        head_only = self.params["base_score"] is not None  # the base score needs no labels
        replies = self.c.results(self.c.each(_shard.call, self.key, "objective_labels",
                                             objective, head_only), "labels")
        ys = [r[1] for r in replies if r[1] is not None and len(r[1])]
        ws = [r[2] for r in replies if r[1] is not None and len(r[1])]
        y_all = np.concatenate(ys)
        w_all = None if any(w is None for w in ws) else np.concatenate(ws)
        return y_all, w_all

    def _cut_points(self, described, counts, n_total):
        """One set of cut points from every shard's weighted quantile summaries.

        Above ``DEFAULT_SKETCH_ROWS`` rows a single machine sketches a seeded sample of its
        rows; the driver draws the same sample of global row numbers (partition order) and
        each shard summarises its part of it. Shards send exact summaries, the driver merges
        them, so the cut points equal a single-machine fit's on the concatenated data."""
        max_bin = self.params["max_bin"]
        samples = _sketch_samples(described, n_total, self.params["random_state"] or 0)
        per_shard = self.c.results(
            [self.c.submit(w, _shard.call, self.key, "sketch", set(counts), sample)
             for w, sample in zip(self.c.workers, samples)], "sketch")
        def cuts_of(j):
            if j in counts:  # one bin per category code
                return np.r_[np.arange(counts[j] - 1) + 0.5, np.inf]
            return _merge_exact([summaries[j] for summaries in per_shard]).cut_points(max_bin)

        # numpy's sort releases the GIL: features are merged on two threads.
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(cuts_of, range(len(described[0]["names"]))))

    def _eval_set(self, dataset, name, objective, base_score):
        key = f"{self.key}-eval-{len(self.eval_keys)}"
        self.eval_keys.append(key)
        c, _ = self._load(dataset, key, "eval")
        self.eval_collectives.append(c)
        c.timeout = self.timeout
        objective = copy.copy(objective)  # its own group coding, as on one machine
        objective.prepare(c, key, False)
        replies = c.results(c.each(_shard.call, key, "objective_labels", objective), "labels")
        ys = [r[1] for r in replies if r[1] is not None and len(r[1])]
        ws = [r[2] for r in replies if r[1] is not None and len(r[1])]
        c.call(key, "start", base_score, what="eval setup")
        return _EvalSet(c, key, name, np.concatenate(ys),
                        None if any(w is None for w in ws) else np.concatenate(ws))

    def close(self):
        if self.c is not None:
            self.c.drop(self.key, *self.eval_keys)
        for c in [self.c] + self.eval_collectives:
            if c is not None:
                c.close()


def _callbacks(callbacks, early_stopping_rounds, verbose_eval):
    """The user's callbacks plus early stopping and the evaluation monitor, as gbt.train."""
    out = list(callbacks or [])
    if early_stopping_rounds is not None:
        out.append(EarlyStopping(check_int("early_stopping_rounds", early_stopping_rounds, 1)))
    if verbose_eval:
        out.append(EvaluationMonitor(period=1 if verbose_eval is True else verbose_eval))
    return out


def _merge_exact(parts):
    """The merge of exact summaries given as ``(values, weights)``: the exact summary of the
    union (what :meth:`WeightedQuantileSummary.merge` gives for exact inputs, in one sort)."""
    values = np.concatenate([p[0] for p in parts])
    weights = np.concatenate([p[1] for p in parts])
    if values.size == 0:
        return WeightedQuantileSummary.empty()
    return WeightedQuantileSummary.from_data(values, weights)


def _sketch_samples(described, n_total, random_state):
    """Each shard's sorted local row indices of a single machine's sketch sample (None for
    all rows when there are at most ``DEFAULT_SKETCH_ROWS``)."""
    if n_total <= DEFAULT_SKETCH_ROWS:
        return [None] * len(described)
    rng = np.random.default_rng(random_state)  # as BinMapper.fit draws it
    sample = np.sort(rng.choice(n_total, DEFAULT_SKETCH_ROWS, replace=False))
    sizes = {}
    for d in described:
        sizes.update(zip(d["parts"], d["part_sizes"]))
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([sizes[i] for i in range(len(sizes))])
    out = []
    for d in described:
        local, start = [], 0
        for part, size in zip(d["parts"], d["part_sizes"]):
            lo, hi = np.searchsorted(sample, [offsets[part], offsets[part] + size])
            local.append(sample[lo:hi] - offsets[part] + start)
            start += size
        out.append(np.concatenate(local) if local else np.zeros(0, dtype=np.int64))
    return out


def _categories(params, described, names, code_counts):
    """``{feature: n categories}`` and the model's category lists, agreed across shards."""
    listed = params["categorical_feature"]
    if listed is not None:
        listed = [names.index(k) if isinstance(k, str) and k in names else k for k in listed]
    frame_cats = next(d for d in described if d["n"])["categories"]
    for d in described:
        if d["n"] and d["categories"] != frame_cats:
            raise ValueError("Partitions have different category lists; give the dask "
                             "DataFrame known categories (df.categorize()).")
    chosen = set(frame_cats) if params["enable_categorical"] else set()
    for key in listed or ():
        if isinstance(key, str):
            raise ValueError(f"Parameter 'categorical_feature': unknown feature name {key!r}.")
        if not 0 <= int(key) < len(names):
            raise ValueError(f"Parameter 'categorical_feature': feature index {key} is out "
                             f"of range for {len(names)} features.")
        chosen.add(int(key))
    categories = {j: list(v) for j, v in frame_cats.items()}
    numeric = sorted(j for j in chosen if j not in categories)
    for j, n in (code_counts(numeric) if numeric else {}).items():
        categories[j] = list(range(n))  # listed numeric codes: 0 .. largest code
    counts = {}
    for j in sorted(chosen):
        n = len(categories[j])
        if n > params["max_bin"]:
            raise ValueError(f"Categorical feature {names[j]!r} has {n} categories; at most "
                             f"max_bin={params['max_bin']} are supported.")
        counts[j] = max(n, 1)
    params["categorical_feature"] = sorted(counts) or None
    return counts, categories


class _EvalSet:
    """An evaluation set sharded on the workers; labels and weights kept on the driver."""

    def __init__(self, c, key, name, y, weight):
        self.c, self.key, self.name, self.y, self.weight = c, key, name, y, weight

    def margins(self, forest):
        """Add the round's trees on the workers; the updated margins in worker order."""
        return np.concatenate(self.c.call(self.key, "add_trees", forest, what="evaluation"))


class _Loop:
    """The boosting rounds (the distributed twin of ``gbt.engine._boost``)."""

    def __init__(self, c, key, grower, objective, params, n_total, n_features, n_outputs,
                 width):
        self.c, self.key, self.grower, self.objective = c, key, grower, objective
        self.params, self.n_total, self.n_features = params, n_total, n_features
        self.n_outputs, self.width = n_outputs, width
        self.rng = np.random.default_rng(params["random_state"])
        self.seed = int(params["random_state"] or 0)

    def run(self, booster, num_boost_round, evalsets, metrics, callbacks, evals_log):
        params, obj = self.params, self.objective
        evals_log.clear()
        for cb in callbacks:
            booster = cb.before_training(booster)
        previous = []  # ops finishing the last tree, sent with the next message
        for it in range(num_boost_round):
            tree_mask = self._tree_mask()
            first_new = len(booster.trees)
            if obj.line_search:
                previous.append(("begin_move", {}))
            for k in range(0, self.n_outputs, self.width):
                scale = None
                if k == 0:  # the round's gradients (and the objective's global state)
                    previous, scale = obj.round_ops(self.c, self.key, self.grower, previous,
                                                    it)
                ops = self.grower.take_pending_ops() + previous
                ops.append(("root", {"k": k, "sample": self._sample(it), "scale": scale}))
                tree, leaves, reply = self.grower.grow(ops, tree_mask, self.rng, self.n_total,
                                                       leaf_sums=scale is not None)
                if "grad_sum" in reply:
                    check_finite(reply["grad_sum"], it)
                booster.append_tree(tree, k)
                previous = [("finish", {"tree": tree, "k": k, "leaves": leaves.tolist()})]
            if obj.line_search or obj.after_iteration_needed:
                # The round's trees must reach the margins before the objective looks.
                self.grower.flush(previous)
                previous = []
            if obj.line_search:
                obj.line_search_round(self.c, self.key, booster, first_new,
                                      params["learning_rate"])
            self._evaluate(booster, obj, evalsets, first_new, metrics, evals_log)
            if obj.after_iteration_needed:
                for name, value in obj.after_iteration_round(self.c, self.key).items():
                    evals_log.setdefault(OBJECTIVE_LOG, {}).setdefault(name, []).append(value)
            if any([cb.after_iteration(booster, it, evals_log) for cb in callbacks]):
                break
        self.grower.flush()
        for cb in callbacks:
            booster = cb.after_training(booster)
        booster.evals_result = evals_log
        return booster

    def _tree_mask(self):
        mask = np.ones(self.n_features, dtype=np.bool_)
        if self.params["colsample_bytree"] < 1.0:
            k_feat = max(1, int(round(self.params["colsample_bytree"] * self.n_features)))
            mask[:] = False
            mask[self.rng.choice(self.n_features, k_feat, replace=False)] = True
        return mask

    def _sample(self, it):
        """Row sampling: each worker draws its own share (seeded by run, round, worker)."""
        if self.params["subsample"] >= 1.0:
            return None
        return (float(self.params["subsample"]), [self.seed, it])

    def _evaluate(self, booster, obj, evalsets, first_new, metrics, evals_log):
        if not evalsets:
            return
        forest = PackedForest(booster.trees[first_new:], booster.tree_output[first_new:])
        for es in evalsets:
            raw = es.margins(forest)
            pred = obj.inner.transform(raw)
            log = evals_log.setdefault(es.name, {})
            for metric in metrics:
                log.setdefault(metric.name, []).append(
                    metric(es.y, raw if metric.on_raw else pred, es.weight))


def check_finite(sums, iteration):
    if not np.isfinite(sums).all():
        raise ValueError(f"The objective's gradients or hessians are not finite in round "
                         f"{iteration}: check the labels, base_margin and learning_rate.")
