"""Command line: ``gbt train``, ``gbt predict`` and ``gbt demo`` on CSV or Parquet.

Argument parsing only; each subcommand makes the same calls a Python user would. User mistakes
print one line to stderr and exit with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np


class UserError(Exception):
    """A mistake in the command line or the data: reported as one line."""


def read_table(path: str):
    """Read CSV (optionally gzipped), TSV or Parquet into a pandas DataFrame with pyarrow."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    if not os.path.exists(path):
        raise UserError(f"no such file: {path}")
    lower = path.lower()
    try:
        if lower.endswith(".parquet"):
            table = pq.read_table(path)
        elif lower.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
            delimiter = "\t" if ".tsv" in lower else ","
            table = pacsv.read_csv(
                path, parse_options=pacsv.ParseOptions(delimiter=delimiter),
                convert_options=pacsv.ConvertOptions(null_values=["", "NA", "?", "NaN", "nan"],
                                                     strings_can_be_null=True))
        else:
            raise UserError(f"unsupported file type: {path} (use .csv, .csv.gz, .tsv or "
                            ".parquet)")
    except UserError:
        raise
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise UserError(f"cannot read {path}: {exc}") from None
    df = table.to_pandas()
    import pandas as pd
    for col in df.columns:  # strings become categorical features
        if pd.api.types.is_object_dtype(df[col]) or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].astype("category")
    return df


def _write_atomic(path: str, write) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".gbt-", dir=directory)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _parse_set(items) -> dict:
    params = {}
    for item in items or ():
        if "=" not in item:
            raise UserError(f"--set expects key=value; got {item!r}")
        key, value = item.split("=", 1)
        for cast in (int, float):
            try:
                value = cast(value)
                break
            except ValueError:
                continue
        params[key.strip()] = value
    return params


def cmd_train(args) -> int:
    import gbt
    df = read_table(args.data)
    if args.target not in df.columns:
        raise UserError(f"target column {args.target!r} not in {args.data} (columns: "
                        f"{list(df.columns)[:20]})")
    y = df.pop(args.target)
    group = None
    if args.constraint_group is not None:
        if args.constraint_group not in df.columns:
            raise UserError(f"constraint group column {args.constraint_group!r} not in "
                            f"{args.data}")
        group = df.pop(args.constraint_group).to_numpy()
    objective = args.objective
    if objective is None and group is not None:
        objective = "binary:constrained"
    if objective is None:
        if y.dtype.name == "category" or y.nunique() == 2:
            objective = "binary:logistic" if y.nunique() == 2 else "multi:softprob"
        else:
            objective = "reg:squarederror"
    params = {"objective": objective}
    if y.dtype.name == "category" or (objective != "reg:squarederror" and
                                      not np.issubdtype(y.dtype, np.number)):
        y = y.astype("category").cat.codes
    elif objective in ("binary:logistic", "binary:constrained") and \
            set(np.unique(y)) != {0, 1}:
        y = (y == np.sort(np.unique(y))[-1]).astype(float)
    if objective == "multi:softprob":
        params["num_class"] = int(np.asarray(y).max()) + 1
    params.update(_parse_set(args.set))
    try:
        booster = gbt.train(params, gbt.Dataset(df, np.asarray(y, dtype=float),
                                                constraint_group=group),
                            args.num_boost_round)
    except (ValueError, TypeError) as exc:
        raise UserError(str(exc)) from None
    booster.save_model(args.out)
    print(f"trained {booster.num_boosted_rounds()} rounds on {len(df)} rows, "
          f"{df.shape[1]} features; model written to {args.out}")
    return 0


def cmd_predict(args) -> int:
    import pandas as pd
    import gbt
    try:
        booster = gbt.Booster.load_model(args.model)
    except FileNotFoundError:
        raise UserError(f"no such file: {args.model}") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    df = read_table(args.data)
    missing = [c for c in booster.feature_names if c not in df.columns]
    if missing:
        raise UserError(f"columns {missing[:10]} used by the model are not in {args.data}")
    try:
        pred = booster.predict(df[booster.feature_names], output_margin=args.output_margin)
    except (ValueError, TypeError) as exc:
        raise UserError(str(exc)) from None
    pred = np.asarray(pred)
    cols = ["prediction"] if pred.ndim == 1 else [f"prediction_{k}" for k in
                                                  range(pred.shape[1])]
    out = pd.DataFrame(pred.reshape(len(df), -1), columns=cols)
    if args.out.lower().endswith(".parquet"):
        _write_atomic(args.out, lambda p: out.to_parquet(p, index=False))
    else:
        _write_atomic(args.out, lambda p: out.to_csv(p, index=False))
    print(f"wrote {len(out)} predictions to {args.out}")
    return 0


def cmd_demo(args) -> int:
    """Train on scikit-learn's bundled breast cancer data, print metrics, write a model."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    import gbt
    from gbt.metrics import get_metric
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gbt", description="Gradient-boosted trees.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a model on a CSV/Parquet file")
    p.add_argument("data")
    p.add_argument("--target", required=True)
    p.add_argument("--objective", default=None)
    p.add_argument("--num-boost-round", type=int, default=100)
    p.add_argument("--constraint-group", default=None, metavar="COLUMN",
                   help="fairness constraints over this column's groups (objective "
                        "binary:constrained; the column is not a feature)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a parameter")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("predict", help="predict with a saved model")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("--output-margin", action="store_true")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("demo", help="train on bundled data and write a model")
    p.add_argument("--out", default="demo_model.json")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"gbt: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
