"""train(): the boosting loop — gradients, trees, margins, evaluation and callbacks.

Each round asks the objective for gradients and hessians, grows ``n_outputs`` trees (one per
output column) or, with ``multi_strategy="condensed"``, one tree with vector leaves for all
outputs, on the binned training matrix, updates the training margins from the leaf each row
landed in (no tree walk) and the evaluation margins by predicting just the new trees. An
objective with ``line_search`` (NGBoost) first picks a scale for the round's whole step.

An objective with ``refit_leaves`` (L1, quantile) replaces each new tree's leaf values right
after the tree is grown and before any margin moves::

    refit_leaves(y, raw, weight, leaf_of_row, leaf_nodes, learning_rate, output)
        -> (len(leaf_nodes), tree width) leaf values, learning rate included

``raw`` holds the margins before the tree, ``leaf_of_row`` the leaf node of each row the tree
was grown on (-1 for rows outside a ``subsample``), ``output`` the tree's first output column.
The refit values are stored in the tree, so training margins, predictions and model files
all use them.
"""
from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from ._native.backend import (fit_threads, get_backend, resolve_device, round_workers,
                              use_threads)
from ._native.cpu.checks import all_finite
from ._native.cpu.sampling import subsample_rows
from .binning import BinMapper
from .booster import Booster
from .callback import OBJECTIVE_LOG, EarlyStopping, EvaluationMonitor, TrainingCallback
from .data import Dataset, check_int, resolve_categorical
from .device import Margins, bin_on_device, check_device_memory, device_memory
from .errors import check_stop, keyboard_interrupts
from .metrics import get_metric
from .objectives import get_objective
from .params import (CATEGORICAL_PARAMS, resolve_feature_constraints, resolve_n_threads,
                     resolve_params)
from .predict import PackedForest, predict_raw
from .rounds import RoundTrees
from .split_grad import GradientSketch


def _initial_margin(dataset: Dataset, base_score: np.ndarray) -> np.ndarray:
    """(n_samples, n_outputs) float64 raw scores to start from, C order (a row's outputs are
    contiguous: vector leaves add to them together, objectives reduce along them)."""
    n = dataset.num_row
    raw = np.empty((n, base_score.size))
    if dataset.base_margin is None:
        raw[:] = base_score[None, :]
    else:
        bm = dataset.base_margin.reshape(n, -1)
        if bm.shape[1] != base_score.size:
            raise ValueError(f"base_margin has {bm.shape[1]} columns; the objective has "
                             f"{base_score.size} outputs.")
        raw[:] = bm
    return raw


class _EvalSet:
    """A validation set with its running margins and its labels as the objective sees them."""

    def __init__(self, dataset: Dataset, name: str, base_score, is_train: bool, objective):
        self.dataset, self.name, self.is_train = dataset, name, is_train
        self.raw = None if is_train else _initial_margin(dataset, base_score)
        self.y = None if is_train else _labels(objective, dataset, training=False)


def _labels(objective, dataset: Dataset, training: bool):
    """The labels the objective works on: its ``labels_of(dataset, training)`` when it has one
    (an objective that needs more than the label column, e.g. the fairness groups), else the
    label column itself (checked by ``check_label`` for the training set)."""
    labels_of = getattr(objective, "labels_of", None)
    if labels_of is not None:
        return labels_of(dataset, training)
    return objective.check_label(dataset.label) if training else dataset.label


def _metric_names(params, objective) -> list:
    m = params["eval_metric"]
    if m is None:  # an objective may default to several (ranking: ndcg@k for each eval_at)
        d = objective.default_metric
        return [d] if isinstance(d, str) else list(d)
    return [m] if isinstance(m, str) or callable(m) else list(m)


def _check_evals(evals, dtrain):
    out = []
    for i, item in enumerate(evals or ()):
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and
                isinstance(item[0], Dataset) and isinstance(item[1], str)):
            raise TypeError(f"evals[{i}] must be a (Dataset, name) pair.")
        if item[0].label is None:
            raise ValueError(f"Evaluation set {item[1]!r} has no label.")
        if item[0].num_feature != dtrain.num_feature:
            raise ValueError(f"Evaluation set {item[1]!r} has {item[0].num_feature} features; "
                             f"training data has {dtrain.num_feature}.")
        out.append(item)
    return out


def train(params: dict, dtrain: Dataset, num_boost_round: int = 10, *,
          evals: Sequence | None = None, obj=None, early_stopping_rounds: int | None = None,
          evals_result: dict | None = None, verbose_eval=False,
          callbacks: Sequence[TrainingCallback] | None = None) -> Booster:
    """Train a gradient-boosted tree model.

    Parameters
    ----------
    params : dict
        Booster parameters (see ``gbt.params.PARAMS``; LightGBM aliases are accepted).
    dtrain : Dataset
        Training data with labels.
    num_boost_round : int
        Boosting rounds.
    evals : list of (Dataset, str), optional
        Sets evaluated after every round; the last one drives early stopping.
    obj : callable, optional
        A custom objective ``(y, raw) -> (grad, hess)``; overrides ``params['objective']``.
    early_stopping_rounds : int, optional
        Stop when the last metric on the last evaluation set has not improved for this many
        rounds; ``Booster.best_iteration`` records the best round.
    evals_result : dict, optional
        Filled with ``{data_name: {metric: [values]}}``.
    verbose_eval : bool or int
        Print evaluation results every round (True) or every ``verbose_eval`` rounds.
    callbacks : list of TrainingCallback, optional

    Returns
    -------
    Booster
    """
    if not isinstance(dtrain, Dataset):
        raise TypeError(f"dtrain must be a gbt.Dataset; got {type(dtrain).__name__}.")
    if dtrain.label is None:
        raise ValueError("dtrain has no label.")
    num_boost_round = check_int("num_boost_round", num_boost_round, 0)
    params = resolve_params(params)
    # Constraint feature names -> column indices, checked against the training data.
    params["monotone_constraints"], params["interaction_constraints"] = \
        resolve_feature_constraints(params, dtrain.feature_names, dtrain.num_feature)
    categories = _categorical_setup(params, dtrain)
    evals = _check_evals(evals, dtrain)
    callbacks = list(callbacks or [])
    if early_stopping_rounds is not None:
        callbacks.append(EarlyStopping(check_int("early_stopping_rounds",
                                                 early_stopping_rounds, 1)))
    if verbose_eval:
        callbacks.append(EvaluationMonitor(period=1 if verbose_eval is True else verbose_eval))
    objective = get_objective(obj if obj is not None else params["objective"], params)
    y = _labels(objective, dtrain, training=True)
    weight = dtrain.weight
    n_outputs = objective.n_outputs(y)
    if params["base_score"] is not None:
        base_score = np.full(n_outputs, float(params["base_score"]))
    else:
        base_score = np.asarray(objective.init_score(y, weight), dtype=np.float64)
    metrics = [get_metric(m, objective) for m in _metric_names(params, objective)]
    n_threads = resolve_n_threads(params["n_jobs"])
    model_params = params if params["categorical_feature"] else \
        {k: v for k, v in params.items() if k not in CATEGORICAL_PARAMS}
    booster = Booster(objective, base_score, dtrain.feature_names, categories, model_params)
    device = resolve_device(params["device"])
    # BLAS threads (a user's objective, numpy matmul) spin after each call and would compete
    # with the tree kernels' threads for the same cores, so BLAS runs on one thread here.
    # Small fits start fewer threads (fit_threads): the same model, faster.
    threads, tree_chunks = fit_threads(n_threads, dtrain.num_row, dtrain.num_feature)
    with use_threads(threads), _blas_controller().limit(limits=1, user_api="blas"), \
            device_memory(device), keyboard_interrupts():
        _boost(booster, params, dtrain, y, weight, num_boost_round, evals, metrics, callbacks,
               n_threads, evals_result, device, tree_chunks)
    return booster


@functools.lru_cache(maxsize=1)
def _blas_controller():
    """threadpoolctl's view of the process's BLAS libraries, found once: the scan of loaded
    libraries took ~4 ms per fit, a third of a small fit's setup. (A BLAS loaded after the
    first fit is not limited.)"""
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


def _boost(booster, params, dtrain, y, weight, num_boost_round, evals, metrics, callbacks,
           n_threads, evals_result, device="cpu", tree_chunks=None):
    tree_chunks = n_threads if tree_chunks is None else tree_chunks  # see fit_threads
    _, kernels = get_backend("cpu")
    objective = booster.objective
    mapper = BinMapper(params["max_bin"], random_state=params["random_state"] or 0)
    mapper.fit(dtrain.features, sample_weight=weight, n_threads=n_threads,
               categorical={j: len(booster.categories[j])
                            for j in params["categorical_feature"] or ()})
    n, n_features = dtrain.features.shape
    n_outputs = booster.n_outputs
    if device == "cuda":  # bins live on the GPU; the tree loop runs there
        check_device_memory(n, n_features, n_outputs, mapper)
        X_binned = bin_on_device(mapper, dtrain.features, n_threads)
        X_T = None
    else:  # with the feature-major copy the grower's partition reads
        X_binned, X_T = mapper.transform_pair(dtrain.features, n_threads)
    # condensed: one tree with K-vector leaves per round; else one tree per output column.
    strategy = params["multi_strategy"]
    if strategy == "auto":
        strategy = getattr(objective, "default_multi_strategy", "one_per_output")
    tree_width = n_outputs if strategy == "condensed" else 1
    line_search = hasattr(objective, "line_search")
    booster.trees_per_iteration = n_outputs // tree_width
    # split_grad: search a condensed tree's splits on a sketch of its gradients.
    sketch = GradientSketch(objective, params, tree_width, n)
    rng = np.random.default_rng(params["random_state"])
    after_iteration = getattr(objective, "after_iteration", None)
    refit_leaves = getattr(objective, "refit_leaves", None)
    # On a GPU the margins and gradients stay there when the objective has device gradients
    # and no hook that reads margins on the host; otherwise only the trees grow there.
    margins = Margins(device, objective, n_outputs, y, weight,
                      hooks=line_search or refit_leaves is not None or
                      after_iteration is not None or sketch.active)
    raw = margins.put(_initial_margin(dtrain, booster.base_score))
    xp = margins.xp
    g = xp.empty((n, n_outputs), dtype=np.float32)
    h = xp.empty((n, n_outputs), dtype=np.float32)
    rounds = RoundTrees(X_binned, mapper.n_bins, mapper.missing_bin, params, n_outputs,
                        tree_width, sketch, tree_chunks, round_workers(n_threads, n, n_features),
                        device, xp, X_T)
    if after_iteration is not None and OBJECTIVE_LOG in {name for _, name in evals}:
        raise ValueError(f"{OBJECTIVE_LOG!r} names the objective's own log in evals_result; "
                         "give the evaluation set another name.")
    eval_sets = [_EvalSet(d, name, booster.base_score, d is dtrain, objective)
                 for d, name in evals]
    evals_log: dict = {} if evals_result is None else evals_result
    evals_log.clear()
    for cb in callbacks:
        booster = cb.before_training(booster)
    every_feature = np.ones(n_features, dtype=np.bool_)
    for it in range(num_boost_round):
        check_stop()  # a Ctrl-C that a C call swallowed on its way (see gbt.errors)
        margins.grad_hess(raw, g, h)
        _check_finite_gradients(g, h, it)
        sample_rows = other_rows = None
        if params["subsample"] < 1.0:
            m = max(1, int(round(params["subsample"] * n)))
            sample_rows, other_rows = subsample_rows(rng, n, m)
        tree_mask = every_feature  # read only, so one array serves every round
        if params["colsample_bytree"] < 1.0:
            k_feat = max(1, int(round(params["colsample_bytree"] * n_features)))
            tree_mask = np.zeros(n_features, dtype=np.bool_)
            tree_mask[rng.choice(n_features, k_feat, replace=False)] = True
        first_new = len(booster.trees)
        # A line-searching objective (NGBoost) sees the round's whole move before it lands.
        move = xp.zeros_like(raw) if line_search else raw
        for k, tree, grown in rounds.grow(g, h, sample_rows, tree_mask, rng, mapper.cuts):
            if refit_leaves is not None:  # e.g. quantile leaves; only the sampled rows count
                leaves = np.flatnonzero(tree.is_leaf)
                tree.value[leaves] = refit_leaves(y, raw, weight, grown.leaf_of_row, leaves,
                                                  params["learning_rate"], k)
                if grown.node_bounds is not None:  # monotone constraints hold after a refit
                    width = tree.value.shape[1]
                    np.clip(tree.value, grown.node_bounds[:, :width],
                            grown.node_bounds[:, width:], out=tree.value)
            if device == "cuda":
                margins.add_tree(grown, tree, k, move, X_binned, mapper.missing_bin,
                                 sample_rows is not None)
            else:  # the tree adds to move[:, k:k + tree_width]: the grown rows by their
                # leaves, the rows outside a subsample (if any) by walking the tree
                kernels.add_leaf_values(grown.leaf_of_row, tree.value, k, move)
                if other_rows is not None and other_rows.size:
                    _walk_tree(kernels, tree, X_binned, mapper.missing_bin, other_rows,
                               tree_chunks, k, move)
            booster.append_tree(tree, k)
        if line_search:
            _apply_line_search(objective, booster, first_new, y, raw, move, weight,
                               sample_rows, params["learning_rate"])
        raw_train = margins.host(raw) if any(es.is_train for es in eval_sets) else None
        _evaluate(booster, objective, eval_sets, first_new, raw_train, y, weight, metrics,
                  evals_log, n_threads)
        if after_iteration is not None:  # objective state, e.g. FairGBM's multipliers
            for key, value in (after_iteration(raw, y, weight) or {}).items():
                evals_log.setdefault(OBJECTIVE_LOG, {}).setdefault(key, []).append(value)
        if any([cb.after_iteration(booster, it, evals_log) for cb in callbacks]):
            break
    for cb in callbacks:
        booster = cb.after_training(booster)
    booster.evals_result = evals_log
    return booster


def _categorical_setup(params: dict, dtrain: Dataset) -> dict:
    """Resolve the categorical features of ``dtrain`` into ``params["categorical_feature"]``
    (sorted column indices, None without any) and return the model's category lists; a
    monotone constraint on a categorical feature raises ``ValueError``."""
    listed = params["categorical_feature"]
    if listed is None:
        listed = dtrain.categorical_feature
        if listed is not None:
            listed = resolve_params({"categorical_feature": listed})["categorical_feature"]
    counts, categories = resolve_categorical(dtrain.features, listed,
                                             params["enable_categorical"], params["max_bin"])
    params["categorical_feature"] = sorted(counts) or None
    mono = params["monotone_constraints"]
    if mono is not None:
        bad = [dtrain.feature_names[j] for j in counts if mono[j] != 0]
        if bad:
            raise ValueError(f"monotone_constraints on categorical features {bad}: categories "
                             "have no order, so a prediction cannot be monotone in them; set "
                             "their constraint to 0.")
    return categories


def _walk_tree(kernels, tree, X_binned, missing_bin, rows, n_threads, first_output, out):
    """out[rows, first_output:...] += the tree's leaf values, walking the binned rows."""
    if tree.has_categorical:
        kernels.predict_binned_tree_categorical(
            X_binned, tree.feature, tree.threshold_bin, tree.default_left, tree.left,
            tree.right, tree.is_categorical, tree.cat_bits, tree.value, missing_bin, rows,
            n_threads, first_output, out)
    else:
        kernels.predict_binned_tree(X_binned, tree.feature, tree.threshold_bin,
                                    tree.default_left, tree.left, tree.right, tree.value,
                                    missing_bin, rows, n_threads, first_output, out)


def _check_finite_gradients(g, h, iteration):
    """A non-finite gradient would grow a tree of NaN gains: a silent wrong model. On the host
    one compiled pass over both buffers' bits finds any inf or NaN; on a GPU, one float64 sum
    of both (float32 values cannot overflow it), so the fit waits for the device once per
    round here, not twice."""
    if isinstance(g, np.ndarray):
        finite = all_finite(g.view(np.uint32), h.view(np.uint32))
    else:
        finite = np.isfinite(float(g.sum(dtype=np.float64) + h.sum(dtype=np.float64)))
    if not finite:
        raise ValueError(f"The objective's gradients or hessians are not finite in round "
                         f"{iteration}: labels too large for float32 gradients (beyond about "
                         "1e38), or margins that overflow; check the labels, base_margin and "
                         "learning_rate.")


def _apply_line_search(objective, booster, first_new, y, raw, move, weight, rows,
                       learning_rate):
    """Scale the round's trees by the objective's step scale, then move the margins."""
    scale = float(objective.line_search(y, raw, move / learning_rate, weight, rows))
    if scale != 1.0:
        for tree in booster.trees[first_new:]:
            tree.value *= scale
        move *= scale
    raw += move


def _evaluate(booster, objective, eval_sets, first_new, raw_train, y_train, w_train, metrics,
              evals_log, n_threads):
    if not eval_sets:
        return
    new = PackedForest(booster.trees[first_new:], booster.tree_output[first_new:])
    for es in eval_sets:
        if es.is_train:
            raw, y, w = raw_train, y_train, w_train
        else:
            predict_raw(new, es.dataset.features.values, es.raw, n_threads)  # adds in place
            raw, y, w = es.raw, es.y, es.dataset.weight
        pred = objective.transform(raw)
        log = evals_log.setdefault(es.name, {})
        for metric in metrics:
            log.setdefault(metric.name, []).append(metric(y, raw if metric.on_raw else pred, w))


def evaluate(booster: Booster, dataset: Dataset, metrics=None, n_jobs=None) -> dict:
    """Metrics of a trained ``booster`` on a labelled ``dataset``, as the training loop computes
    them for an evaluation set (the objective's own labels, e.g. query groups or fairness
    groups, included).

    Parameters
    ----------
    booster : Booster
    dataset : Dataset
        With a label (and whatever else the objective needs: ``qid``, ``constraint_group``).
    metrics : str or list of str, optional
        Default: the model's ``eval_metric`` parameter, else the objective's default metric.
    n_jobs : int, optional

    Returns
    -------
    dict of str -> float
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a gbt.Dataset; got {type(dataset).__name__}.")
    if dataset.label is None:
        raise ValueError("The dataset has no label to evaluate against.")
    objective = booster.objective
    names = metrics if metrics is not None else booster.params.get("eval_metric")
    names = _metric_names({"eval_metric": names}, objective)
    y = _labels(objective, dataset, training=False)
    raw = _initial_margin(dataset, booster.base_score)
    first, last = booster._tree_range(None)
    n_threads = resolve_n_threads(n_jobs if n_jobs is not None else booster.params.get("n_jobs"))
    with use_threads(n_threads):
        predict_raw(booster._forest(first, last), dataset.features.values, raw, n_threads)
    pred = objective.transform(raw)
    out = {}
    for name in names:
        metric = get_metric(name, objective)
        out[metric.name] = metric(y, raw if metric.on_raw else pred, dataset.weight)
    return out
