"""The ``gbt`` command line (also ``python -m gbt``): train, predict, cv, tune, eval,
importance, info and demo on CSV, TSV, Parquet and LibSVM files.

Argument parsing and column handling only; each subcommand makes the calls a Python user would
(:func:`gbt.train`, :meth:`gbt.Booster.predict`, :func:`gbt.cv`, :func:`gbt.tune`). User mistakes
(a missing file or column, a bad value, a model that does not fit the data) print one line to
stderr and exit with status 2, never a traceback. Models and predictions are written atomically.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib

import numpy as np

from .errors import clear_stop, interruption, request_stop
from .io import DataFile, DataFileError, read_data, write_atomic, write_table
from .params import resolve_params

TASKS = ("auto", "regression", "binary", "multiclass", "ranking", "distribution")
TASK_OBJECTIVES = {"regression": "reg:squarederror", "binary": "binary:logistic",
                   "multiclass": "multi:softprob", "ranking": "rank:ndcg",
                   "distribution": "distribution:normal"}
# The model attribute that records how the command line read the training file.
COLUMNS_ATTR = "cli_columns"


class UserError(Exception):
    """A mistake in the command line or the data: reported as one line."""


# --------------------------------------------------------------------------------------------
# Parameters: --config FILE.toml and --set key=value
# --------------------------------------------------------------------------------------------
def _parse_value(text: str):
    """``"3"`` -> 3, ``"0.1"`` -> 0.1, ``"true"`` -> True, ``"a,b"`` stays a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text.strip()


def _parse_set(items) -> dict:
    params = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set expects key=value; got {item!r}")
        params[key.strip()] = _parse_value(value)
    return params


def _read_config(path: str | None) -> dict:
    """A TOML file's top-level keys (parameters); its ``[space]`` table is the tuner's."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise UserError(f"no such file: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path} as TOML: {exc}") from None


def _params_from(args) -> dict:
    config = _read_config(args.config)
    params = {k: v for k, v in config.items() if not isinstance(v, dict)}
    params.update(_parse_set(args.set))
    return params


def _pop_rounds(params: dict, default: int) -> int:
    """The number of rounds from ``num_boost_round`` (or the estimators' ``n_estimators``)
    in the parameters, else ``default`` (``--num-boost-round``)."""
    rounds = params.pop("num_boost_round", params.pop("n_estimators", default))
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise UserError(f"num_boost_round must be a positive integer; got {rounds!r}")
    return rounds


def _split(text: str | None) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()] if text else []


def _write_toml(path: str, values: dict) -> None:
    """Write flat ``{key: scalar}`` as TOML (what ``--config`` reads back)."""
    lines = []
    for key, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        lines.append(f"{key} = {json.dumps(value)}")
    def write(tmp):
        with open(tmp, "w") as fh:
            fh.write("\n".join(lines) + "\n")
    write_atomic(path, write)


# --------------------------------------------------------------------------------------------
# From a data file to a Dataset
# --------------------------------------------------------------------------------------------
class Columns:
    """The roles of the training file's columns (stored in the model, so ``predict`` and
    ``eval`` read new files the same way) and the label coding."""

    def __init__(self, target, weight=None, group=None, constraint_group=None, drop=(),
                 categorical=(), task="auto", classes=None):
        self.target, self.weight, self.group = target, weight, group
        self.constraint_group = constraint_group
        self.drop, self.categorical = list(drop), list(categorical)
        self.task, self.classes = task, classes

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_booster(cls, booster) -> "Columns | None":
        text = booster.attr(COLUMNS_ATTR)
        return None if text is None else cls(**json.loads(text))


def _default_target(data: DataFile, target: str | None) -> str:
    if target is not None:
        return target
    if data.sparse is not None:
        return "label"  # a LibSVM file's first field
    raise UserError("--target is required for CSV / TSV / Parquet files")


def _resolve_task(task: str, objective: str | None, y, columns: Columns) -> tuple[str, str]:
    """(task, objective) from the flags and the target column."""
    if objective is not None:
        if objective.startswith(("distribution:", "survival:")):
            return "distribution", objective
        if objective.startswith("rank:") or objective == "lambdarank":
            return "ranking", objective
        if objective.startswith("multi:") or objective in ("multiclass", "softmax"):
            return "multiclass", objective
        if objective.startswith("binary:") or objective == "binary":
            return "binary", objective
        return ("regression" if task == "auto" else task), objective
    if task == "auto":
        if columns.group:
            task = "ranking"
        elif columns.constraint_group:
            task = "binary"
        elif y.dtype == object:
            task = "binary" if len(_classes(y)) == 2 else "multiclass"
        else:
            values = np.unique(y[~np.isnan(y)])
            task = "binary" if values.size == 2 else "regression"
    objective = TASK_OBJECTIVES[task]
    if task == "binary" and columns.constraint_group:
        objective = "binary:constrained"
    return task, objective


def _classes(y) -> list:
    """Sorted distinct labels; whole floats become ints (class ``1``, not ``1.0``)."""
    import pandas as pd
    y = np.asarray(y)
    present = y[~pd.isna(y)]
    try:
        values = np.unique(present)
    except TypeError:
        raise UserError("the target column mixes types that cannot be ordered") from None
    return [int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer()
            else v.item() if isinstance(v, np.generic) else v for v in values]


def _encode_target(y, columns: Columns, path: str) -> np.ndarray:
    """The label as float64: class codes for classification, numbers otherwise."""
    import pandas as pd
    if pd.isna(y).any():
        raise UserError(f"the target column {columns.target!r} of {path} has missing values")
    if columns.task in ("binary", "multiclass"):
        if columns.classes is None:
            columns.classes = _classes(y)
        codes = pd.Index(columns.classes).get_indexer(y)
        if (codes < 0).any():
            unknown = sorted({str(v) for v in np.asarray(y)[codes < 0]})
            raise UserError(f"target column {columns.target!r} of {path} has classes "
                            f"{unknown[:5]} the model was not trained on")
        return codes.astype(np.float64)
    if y.dtype == object:
        raise UserError(f"the target column {columns.target!r} of {path} is not numeric; "
                        f"use --task binary or --task multiclass for class labels")
    return y


def _dataset(data: DataFile, columns: Columns, reference=None, feature_names=None):
    """Take the special columns out of ``data`` and build a :class:`gbt.Dataset`."""
    import gbt
    y = _encode_target(data.pop(columns.target, "target column"), columns, data.path)
    weight = data.pop(columns.weight, "weight column") if columns.weight else None
    qid = data.pop(columns.group, "group column") if columns.group else None
    if qid is None and "qid" in data.extra:
        qid = data.extra.pop("qid")
    group = data.pop(columns.constraint_group, "constraint group column") \
        if columns.constraint_group else None
    data.drop([c for c in columns.drop if c in data.columns])
    features = data.features() if feature_names is None else data.features_for(feature_names)
    if columns.task != "ranking":
        qid = None
    return gbt.Dataset(features, y, weight=weight, reference=reference, constraint_group=group,
                       qid=qid)


def _training_setup(args, params: dict):
    """Read the training file: (Dataset, Columns); sets ``params["objective"]`` (and
    ``num_class``) from the task."""
    data = read_data(args.data, categorical=_split(args.categorical))
    columns = Columns(_default_target(data, args.target), weight=args.weight, group=args.group,
                      constraint_group=args.constraint_group, drop=_split(args.drop),
                      categorical=_split(args.categorical), task=args.task)
    for flag, name in (("--weight", columns.weight), ("--group", columns.group),
                       ("--constraint-group", columns.constraint_group)):
        if name is not None and name not in data.columns:
            raise UserError(f"{flag} column {name!r} is not in {data.path}")
    if columns.target not in data.columns:
        raise UserError(f"target column {columns.target!r} is not in {data.path} (columns: "
                        f"{data.columns[:12]})")
    y = _peek(data, columns.target)
    configured = params.pop("objective", None)  # from --config / --set; --objective wins
    columns.task, objective = _resolve_task(args.task, args.objective or configured, y,
                                            columns)
    dtrain = _dataset(data, columns)
    if columns.task == "multiclass":
        params.setdefault("num_class", len(columns.classes))
    params["objective"] = objective
    return dtrain, columns


def _peek(data: DataFile, name: str) -> np.ndarray:
    from .io import column_to_numpy
    return data.extra[name] if name in data.extra else column_to_numpy(data.table.column(name))


def _user_errors(fn, *args, **kwargs):
    """Call ``fn``; a ``ValueError``/``TypeError`` from bad input becomes a :class:`UserError`."""
    try:
        return fn(*args, **kwargs)
    except UserError:
        raise
    except (ValueError, TypeError) as exc:
        raise UserError(str(exc).splitlines()[0]) from None


class _Timer:
    """``--verbose``: seconds per phase, printed to stderr."""

    def __init__(self, enabled: bool):
        self.enabled, self.start = enabled, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.enabled:
            print(f"[time] {phase}: {now - self.start:.3f} s", file=sys.stderr)
        self.start = now


# --------------------------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------------------------
def cmd_train(args) -> int:
    import gbt
    from .callback import ProgressBar
    timer = _Timer(args.verbose)
    params = _params_from(args)
    rounds = _pop_rounds(params, args.num_boost_round)
    dtrain, columns = _user_errors(_training_setup, args, params)
    evals = []
    if args.valid:
        dvalid = _user_errors(_dataset, read_data(args.valid, columns.categorical), columns,
                              reference=dtrain, feature_names=dtrain.feature_names)
        evals = [(dvalid, "valid")]
    timer.lap("read data")
    callbacks = [] if args.quiet else [ProgressBar(rounds)]
    booster = _user_errors(gbt.train, params, dtrain, rounds, evals=evals,
                           early_stopping_rounds=args.early_stopping_rounds if evals else None,
                           callbacks=callbacks)
    timer.lap("train")
    booster.set_attr(**{COLUMNS_ATTR: columns.to_json()})
    _user_errors(booster.save_model, args.out)
    timer.lap("write model")
    if not args.quiet:
        print(f"trained {booster.num_boosted_rounds()} rounds ({booster.objective.name}) on "
              f"{dtrain.num_row} rows, {dtrain.num_feature} features; model written to "
              f"{args.out}")
    return 0


def _load_model(path: str):
    import gbt
    try:
        return gbt.Booster.load_model(path)
    except (FileNotFoundError, IsADirectoryError):
        raise UserError(f"no such model file: {path}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not a gbt model: {str(exc).splitlines()[0]}") from None


def _model_features(booster, args):
    """The model's feature block of ``args.data`` (in the model's column order)."""
    columns = Columns.from_booster(booster)
    categorical = columns.categorical if columns else []
    data = read_data(args.data, categorical=[c for c in categorical])
    return data, data.features_for(booster.feature_names)


def _prediction_columns(booster, args, X) -> dict:
    columns = Columns.from_booster(booster)
    n_out = booster.n_outputs
    if args.pred_leaf:
        leaves = booster.predict(X, pred_leaf=True)
        return {f"leaf_{t}": leaves[:, t] for t in range(leaves.shape[1])}
    if args.pred_contribs:
        contribs = booster.predict(X, pred_contribs=True)
        names = booster.feature_names + ["bias"]
        if contribs.ndim == 2:
            return {f"contrib_{n}": contribs[:, j] for j, n in enumerate(names)}
        return {f"contrib_{k}_{n}": contribs[:, k, j] for k in range(n_out)
                for j, n in enumerate(names)}
    if args.dist:
        dist = booster.pred_dist(X)
        return {name: np.asarray(values) for name, values in dist.params.items()}
    pred = np.asarray(booster.predict(X, output_margin=args.output_margin))
    stem = "margin" if args.output_margin else "prediction"
    out = {stem: pred} if pred.ndim == 1 else \
        {f"{stem}_{k}": pred[:, k] for k in range(pred.shape[1])}
    classes = columns.classes if columns else None
    if classes and not args.output_margin and columns.task in ("binary", "multiclass"):
        if pred.ndim == 1:
            if len(classes) == 2:
                out = {f"probability_{classes[1]}": pred}
                chosen = (pred >= 0.5).astype(int)
            else:  # binary:logistic on a single class cannot happen; keep the numbers
                return out
        else:
            out = {f"probability_{c}": pred[:, k] for k, c in enumerate(classes)}
            chosen = pred.argmax(axis=1)
        out["predicted_label"] = np.asarray(classes, dtype=object)[chosen]
    return out


def cmd_predict(args) -> int:
    timer = _Timer(args.verbose)
    booster = _load_model(args.model)
    data, X = _user_errors(_model_features, booster, args)
    timer.lap("read data")
    out = _user_errors(_prediction_columns, booster, args, X)
    timer.lap("predict")
    write_table(args.out, {k: _plain(v) for k, v in out.items()})
    timer.lap("write predictions")
    if not args.quiet:
        print(f"wrote {data.n_rows} rows of predictions to {args.out}")
    return 0


def _plain(values):
    values = np.asarray(values)
    if values.dtype == object:
        return np.array([str(v) for v in values], dtype=object)
    return values


def cmd_eval(args) -> int:
    from .engine import evaluate
    booster = _load_model(args.model)
    columns = Columns.from_booster(booster) or Columns(None)
    data = read_data(args.data, categorical=columns.categorical)
    columns.target = _default_target(data, args.target or columns.target)
    dataset = _user_errors(_dataset, data, columns, feature_names=booster.feature_names)
    metrics = _split(args.metric) or None
    results = _user_errors(evaluate, booster, dataset, metrics)
    for name, value in results.items():
        print(f"{name}\t{value:.6g}")
    return 0


def cmd_cv(args) -> int:
    import gbt
    params = _params_from(args)
    rounds = _pop_rounds(params, args.num_boost_round)
    dtrain, columns = _user_errors(_training_setup, args, params)
    stratified = columns.task in ("binary", "multiclass") and not args.no_stratify
    result = _user_errors(gbt.cv, params, dtrain, rounds, nfold=args.nfold,
                          stratified=stratified, seed=args.seed,
                          early_stopping_rounds=args.early_stopping_rounds)
    n = len(next(iter(result.values())))
    if args.out:
        write_table(args.out, {"round": np.arange(n), **result})
    tests = [k for k in result if k.startswith("test-") and k.endswith("-mean")]
    for key in tests:
        std = result[key[:-5] + "-std"]
        print(f"{key[5:-5]}: {result[key][-1]:.6g} +- {std[-1]:.3g} after {n} rounds "
              f"({args.nfold}-fold)")
    return 0


# Searched when ``gbt tune`` gets no [space] table.
DEFAULT_SPACE = {"learning_rate": {"low": 0.01, "high": 0.3, "log": True},
                 "max_depth": [3, 4, 5, 6, 8],
                 "min_child_weight": {"low": 0.1, "high": 20.0, "log": True},
                 "subsample": [0.6, 0.8, 1.0], "colsample_bytree": [0.6, 0.8, 1.0],
                 "reg_lambda": {"low": 0.01, "high": 10.0, "log": True}}


def _space_axis(name, spec):
    """A TOML axis: a list of values, or ``{low, high, log}`` (integers if both are)."""
    from scipy import stats
    if isinstance(spec, list):
        return spec
    if isinstance(spec, dict) and {"low", "high"} <= set(spec) and \
            set(spec) <= {"low", "high", "log"}:
        lo, hi, log = spec["low"], spec["high"], bool(spec.get("log", False))
        if isinstance(lo, int) and isinstance(hi, int) and not log:
            return stats.randint(lo, hi + 1)
        return stats.loguniform(lo, hi) if log else stats.uniform(lo, hi - lo)
    raise UserError(f"search space entry {name!r} must be a list of values or "
                    "{low = ..., high = ..., log = true|false}")


def cmd_tune(args) -> int:
    import gbt
    from .sklearn import GBTClassifier, GBTRegressor
    config = _read_config(args.config)
    space = {k: _space_axis(k, v) for k, v in (config.get("space") or DEFAULT_SPACE).items()}
    params = _params_from(args)
    params["n_estimators"] = _pop_rounds(params, args.num_boost_round)
    dtrain, columns = _user_errors(_training_setup, args, dict(params))
    if columns.task not in ("regression", "binary", "multiclass"):
        raise UserError(f"gbt tune handles regression and classification; the task is "
                        f"{columns.task}")
    params.pop("objective", None)
    params.pop("num_class", None)
    estimator_cls = GBTRegressor if columns.task == "regression" else GBTClassifier
    estimator = _user_errors(estimator_cls, **params)
    result = _user_errors(gbt.tune, estimator, space, dtrain.features.values, dtrain.label,
                          n_trials=args.n_trials, cv=args.nfold, scoring=args.scoring,
                          random_state=args.seed, verbose=not args.quiet)
    best = {**params, **result.best_params}
    best["num_boost_round"] = best.pop("n_estimators")  # the name gbt train reads
    print(f"best cross-validated score {result.best_score:.6g} with "
          + ", ".join(f"{k}={v}" for k, v in result.best_params.items()))
    if args.out:
        _write_toml(args.out, best)
        print(f"best parameters written to {args.out} (use: gbt train --config {args.out})")
    return 0


def cmd_importance(args) -> int:
    booster = _load_model(args.model)
    values = _user_errors(booster.feature_importance, args.type)
    order = np.argsort(-values, kind="stable")[:args.top]
    for j in order:
        print(f"{booster.feature_names[j]}\t{values[j]:.6g}")
    if args.plot:
        from .plotting import plot_importance
        ax = _user_errors(plot_importance, booster, importance_type=args.type,
                          max_features=args.top)
        write_atomic(args.plot, lambda tmp: ax.figure.savefig(tmp, format=_image_format(
            args.plot), bbox_inches="tight"))
        print(f"plot written to {args.plot}")
    return 0


def _image_format(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in ("png", "pdf", "svg", "jpg", "jpeg"):
        raise UserError(f"unsupported image type: {path} (use .png, .pdf, .svg or .jpg)")
    return suffix


def cmd_info(args) -> int:
    booster = _load_model(args.model)
    columns = Columns.from_booster(booster)
    leaves = [t.n_leaves for t in booster.trees]
    lines = [("objective", booster.objective.name),
             ("rounds", booster.num_boosted_rounds()),
             ("trees", len(booster.trees)),
             ("outputs", booster.n_outputs),
             ("leaves per tree (mean / max)",
              f"{np.mean(leaves):.1f} / {max(leaves)}" if leaves else "-"),
             ("max depth", max((t.depth() for t in booster.trees), default=0)),
             ("best iteration", booster.best_iteration),
             ("features", f"{booster.num_features}: {', '.join(booster.feature_names[:12])}"
                          f"{', ...' if booster.num_features > 12 else ''}")]
    if columns is not None:
        lines += [("target", columns.target), ("task", columns.task)]
        if columns.classes:
            lines.append(("classes", ", ".join(map(str, columns.classes))))
    defaults = resolve_params({})
    lines += [(f"param {k}", v) for k, v in sorted(booster.params.items())
              if k not in defaults or defaults[k] != v]
    for key, value in lines:
        print(f"{key}: {value}")
    return 0


def cmd_demo(args) -> int:
    """Train on scikit-learn's bundled breast cancer data, print metrics, write a model."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    import gbt
    from .metrics import get_metric
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    dtrain = gbt.Dataset(X_tr, y_tr)
    dvalid = gbt.Dataset(X_te, y_te, reference=dtrain)
    booster = gbt.train({"objective": "binary:logistic", "eval_metric": ["auc", "logloss"],
                         "learning_rate": 0.1, "max_depth": 4}, dtrain, 200,
                        evals=[(dvalid, "test")], early_stopping_rounds=20)
    p = booster.predict(X_te)
    print(f"breast cancer (sklearn bundled): {len(X_tr)} train / {len(X_te)} test rows")
    print(f"best iteration: {booster.best_iteration}")
    for name in ("auc", "logloss", "error"):
        print(f"test {name}: {get_metric(name)(np.asarray(y_te), p):.4f}")
    booster.save_model(args.out)
    print(f"model written to {args.out}")
    return 0


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------
def _add_training_args(p, with_out=True) -> None:
    p.add_argument("data", help="training file: .csv, .csv.gz, .tsv, .parquet, .svm/.libsvm")
    p.add_argument("--target", help="the label column (LibSVM: the file's labels)")
    p.add_argument("--task", choices=TASKS, default="auto",
                   help="what to learn; auto: ranking with --group, binary with two classes "
                        "or --constraint-group, multiclass for text labels, else regression")
    p.add_argument("--objective", help="an objective name (overrides --task's default)")
    p.add_argument("--weight", metavar="COL", help="sample weight column")
    p.add_argument("--group", metavar="COL", help="query id column (ranking); rows of a query "
                                                  "must be contiguous")
    p.add_argument("--constraint-group", metavar="COL",
                   help="fairness constraints over this column's groups (binary:constrained); "
                        "not a feature")
    p.add_argument("--categorical", metavar="COLS", help="comma-separated columns to treat as "
                                                         "categorical (text columns always are)")
    p.add_argument("--drop", metavar="COLS", help="comma-separated columns to ignore")
    p.add_argument("--config", metavar="FILE.toml", help="parameters as TOML key = value")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="a parameter (repeatable; wins over --config)")
    p.add_argument("--num-boost-round", type=int, default=100)
    p.add_argument("--early-stopping-rounds", type=int, default=None)
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--verbose", action="store_true", help="time each phase")
    if with_out:
        p.add_argument("--out", required=True, metavar="MODEL.json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gbt", description="Gradient-boosted decision trees.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model and write it as JSON")
    _add_training_args(p)
    p.add_argument("--valid", metavar="DATA", help="validation file (same columns), evaluated "
                                                   "every round; drives early stopping")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("predict", help="predict with a saved model")
    p.add_argument("model")
    p.add_argument("data")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--output-margin", action="store_true", help="raw scores")
    kind.add_argument("--pred-leaf", action="store_true", help="leaf index per tree")
    kind.add_argument("--pred-contribs", action="store_true",
                      help="SHAP values per feature plus a bias column")
    kind.add_argument("--dist", action="store_true",
                      help="distribution parameters (distribution:* models)")
    p.add_argument("--out", required=True, metavar="PREDS.(csv|parquet)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("cv", help="cross-validate parameters")
    _add_training_args(p, with_out=False)
    p.add_argument("--nfold", type=int, default=5)
    p.add_argument("--no-stratify", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="CV.(csv|parquet)", help="per-round means and stds")
    p.set_defaults(func=cmd_cv)

    p = sub.add_parser("tune", help="search parameters with gbt.tune ([space] in --config)")
    _add_training_args(p, with_out=False)
    p.add_argument("--n-trials", type=int, default=40)
    p.add_argument("--nfold", type=int, default=5)
    p.add_argument("--scoring", default=None, help="a scikit-learn scorer name")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="BEST.toml", help="the best parameters, for --config")
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("eval", help="metrics of a model on a labelled file")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("--target", help="default: the column the model was trained on")
    p.add_argument("--metric", metavar="NAMES", help="comma-separated metrics (default: the "
                                                     "objective's)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("importance", help="feature importances of a model")
    p.add_argument("model")
    p.add_argument("--type", default="gain",
                   choices=("gain", "total_gain", "split", "cover", "total_cover"))
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--plot", metavar="FILE.png", help="also draw a bar chart (matplotlib)")
    p.set_defaults(func=cmd_importance)

    p = sub.add_parser("info", help="describe a model file")
    p.add_argument("model")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("demo", help="train on bundled data and write a model")
    p.add_argument("--out", default="demo_model.json")
    p.set_defaults(func=cmd_demo)
    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job), raised like Ctrl-C so writes clean up."""


def _raise_terminated(signum, frame):
    request_stop(_Terminated)  # raised again between rounds if swallowed (gbt.errors)
    raise _Terminated()


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    previous = _on_sigterm(_raise_terminated)
    try:
        return args.func(args)
    except (UserError, DataFileError) as exc:
        print(f"gbt: error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, SystemError) as exc:
        stop = interruption(exc)
        if stop is None:
            raise
        print("gbt: stopped; nothing written", file=sys.stderr)
        return 143 if isinstance(stop, _Terminated) else 130
    finally:
        _on_sigterm(previous)
        clear_stop()


def _on_sigterm(handler):
    """Install ``handler`` for SIGTERM (main thread only); return the one it replaces."""
    import signal
    import threading
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
