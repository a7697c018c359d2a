"""Build (and with --execute, run) the example notebooks from the cell sources below.

    .venv/bin/python notebooks/make_notebooks.py --execute

Each notebook is a list of cells; a string starting with "# md" is a markdown cell (the
marker line dropped). tests/test_notebooks.py executes the written notebooks and fails on
any error.
"""
from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent

SETUP = """\
import warnings
import numpy as np
import matplotlib.pyplot as plt
import gbt
from gbt import plotting
warnings.filterwarnings("ignore", category=RuntimeWarning)
%matplotlib inline"""

NOTEBOOKS = {
    "01_quickstart": [
        """# md
# gbt quickstart

Train a binary classifier on scikit-learn's bundled breast cancer data (569 tumours, 30
measurements each) with the native API and the scikit-learn estimator, watch the learning
curves, and explain the predictions with exact TreeSHAP.""",
        SETUP,
        """from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.metrics import roc_auc_score

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
X_tr.shape, X_te.shape""",
        """# md
## Native API: `gbt.train` with early stopping""",
        """dtrain = gbt.Dataset(X_tr, y_tr)
dtest = gbt.Dataset(X_te, y_te, reference=dtrain)
params = {"objective": "binary:logistic", "eval_metric": ["auc", "logloss"],
          "learning_rate": 0.05, "max_depth": 3}
booster = gbt.train(params, dtrain, 500, evals=[(dtrain, "train"), (dtest, "test")],
                    early_stopping_rounds=40)
p = booster.predict(X_te)
print(f"best round {booster.best_iteration}, test AUC {roc_auc_score(y_te, p):.4f}")""",
        """fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plotting.plot_metric(booster.evals_result, metric="logloss", ax=axes[0])
plotting.plot_importance(booster, max_features=10, ax=axes[1])
fig.tight_layout()""",
        """# md
## Why each prediction: TreeSHAP

`pred_contribs=True` gives one SHAP value per feature plus a bias column; each row sums to
the raw prediction (the log-odds).""",
        """contribs = booster.predict(X_te, pred_contribs=True)
margin = booster.predict(X_te, output_margin=True)
print("additive:", np.allclose(contribs.sum(axis=1), margin))
ax = plotting.plot_shap_summary(contribs, X_te, feature_names=list(X.columns), max_features=12)
ax.figure.set_size_inches(8, 5)""",
        """# md
## The scikit-learn estimator in a cross-validation""",
        """from sklearn.model_selection import cross_val_score
clf = gbt.GBTClassifier(n_estimators=200, learning_rate=0.05, max_depth=3)
scores = cross_val_score(clf, X, y, cv=5, scoring="roc_auc")
print(f"5-fold AUC {scores.mean():.4f} +- {scores.std():.4f}")""",
        """import tempfile, os
path = os.path.join(tempfile.mkdtemp(), "model.json")
booster.save_model(path)
again = gbt.Booster.load_model(path)
print("same predictions after save/load:", np.array_equal(again.predict(X_te), p))""",
    ],
    "02_probabilistic_regression": [
        """# md
# Probabilistic regression (NGBoost on gbt's engine)

`NGBRegressor` predicts a whole distribution per row by boosting its parameters along the
natural gradient, one condensed tree per round for all parameters. Data: scikit-learn's
bundled diabetes data (442 patients, disease progression after one year).""",
        SETUP,
        """from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

X, y = load_diabetes(return_X_y=True)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
ngb = gbt.NGBRegressor(distribution="normal", n_estimators=500, learning_rate=0.01,
                       early_stopping_rounds=50, validation_fraction=0.2)
ngb.fit(X_tr, y_tr)
dist = ngb.pred_dist(X_te)
print(f"rounds {ngb.best_iteration_ + 1}, test NLL {-dist.logpdf(y_te).mean():.3f}")""",
        """# md
A point model with one constant spread, for comparison: the squared-error model's test
residual spread stands in for the noise.""",
        """from scipy import stats
point = gbt.GBTRegressor(n_estimators=200, learning_rate=0.03, max_depth=3).fit(X_tr, y_tr)
sigma = np.std(y_tr - point.predict(X_tr))
nll_point = -stats.norm(point.predict(X_te), sigma).logpdf(y_te).mean()
print(f"constant-spread NLL {nll_point:.3f} vs NGBoost {-dist.logpdf(y_te).mean():.3f}")""",
        """lower, upper = dist.interval(0.8)
print(f"80% intervals hold {np.mean((y_te >= lower) & (y_te <= upper)):.1%} of the test rows")
ax = plotting.plot_interval(dist, y_te, alpha=0.8)
ax.figure.set_size_inches(10, 4)""",
        """# md
Other distributions: a log-normal, for comparison (the normal fits this target better).""",
        """lognormal = gbt.NGBRegressor(distribution="lognormal", n_estimators=500,
                             learning_rate=0.01).fit(X_tr, y_tr)
print(f"log-normal test NLL {-lognormal.pred_dist(X_te).logpdf(y_te).mean():.3f}")""",
    ],
    "03_fairness_constraints": [
        """# md
# Fairness constraints (FairGBM on gbt's engine)

UCI Adult (income above 50K), with `sex` as the protected group. An unconstrained model's
false-positive rates differ a lot between the groups; `FairGBTClassifier` equalises them at
a small cost in AUC. The data comes from `../shared/data/fairness` (or `GBT_DATA_DIR`).""",
        SETUP,
        """import os
from pathlib import Path
import pandas as pd
from sklearn.metrics import roc_auc_score

root = Path(os.environ.get("GBT_DATA_DIR", Path.cwd().parent.parent / "shared" / "data"))
folder = root / "fairness"
if not (folder / "adult.data.gz").exists():
    raise FileNotFoundError(f"This notebook needs the Adult data in {folder}")
cols = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
        "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
        "hours_per_week", "native_country", "income"]
read = lambda name, skip: pd.read_csv(folder / name, header=None, names=cols,
                                      skipinitialspace=True, na_values="?", skiprows=skip)
train, test = read("adult.data.gz", 0), read("adult.test.gz", 1)
y_tr = train.pop("income").str.startswith(">50K").astype(int).to_numpy()
y_te = test.pop("income").str.startswith(">50K").astype(int).to_numpy()
for col in train.columns:
    if not pd.api.types.is_numeric_dtype(train[col]):
        cats = sorted(train[col].dropna().unique())
        train[col] = pd.Categorical(train[col], categories=cats)
        test[col] = pd.Categorical(test[col], categories=cats)
g_tr, g_te = train["sex"].astype(str).to_numpy(), test["sex"].astype(str).to_numpy()
train.shape, test.shape""",
        """trees = dict(n_estimators=200, learning_rate=0.1, grow_policy="lossguide", max_leaves=31,
             max_depth=0, min_child_samples=20, reg_lambda=0.0)
plain = gbt.GBTClassifier(**trees).fit(train, y_tr)
fair = gbt.FairGBTClassifier(constraint_type="FPR", **trees).fit(train, y_tr,
                                                                 constraint_group=g_tr)
for name, model in (("unconstrained", plain), ("FPR-constrained", fair)):
    report = gbt.fairness_report(y_te, model.predict_proba(test)[:, 1], g_te)
    print(f"{name:16s} AUC {roc_auc_score(y_te, model.predict_proba(test)[:, 1]):.4f}  "
          f"FPR ratio {report.ratios['fpr']:.3f}")
print(gbt.fairness_report(y_te, fair.predict_proba(test)[:, 1], g_te))""",
        """# md
## The trade-off: loosen the tolerance, trade fairness for AUC""",
        """auc, ratio, labels = [], [], []
for tol in (0.0, 0.01, 0.02, 0.05, 0.1):
    m = gbt.FairGBTClassifier(constraint_type="FPR", fpr_tolerance=tol, **trees)
    p = m.fit(train, y_tr, constraint_group=g_tr).predict_proba(test)[:, 1]
    auc.append(roc_auc_score(y_te, p))
    ratio.append(gbt.fairness_report(y_te, p, g_te).ratios["fpr"])
    labels.append(f"tol {tol}")
p = plain.predict_proba(test)[:, 1]
auc.append(roc_auc_score(y_te, p)); ratio.append(gbt.fairness_report(y_te, p, g_te).ratios["fpr"])
labels.append("unconstrained")
ax = plotting.plot_fairness_tradeoff(auc, ratio, labels=labels)
ax.figure.set_size_inches(8, 5)""",
    ],
    "04_multioutput": [
        """# md
# Multi-output trees: one tree per class, or one condensed tree for all

For K outputs, gbt grows either K trees per round (XGBoost and LightGBM's way) or one tree
whose leaves hold K-vectors (`multi_strategy="condensed"`). Data: scikit-learn's bundled
handwritten digits (1,797 images, 10 classes).""",
        SETUP,
        """import time
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
for strategy in ("one_per_output", "condensed"):
    clf = gbt.GBTClassifier(n_estimators=100, learning_rate=0.2, max_depth=4,
                            multi_strategy=strategy)
    start = time.perf_counter()
    clf.fit(X_tr, y_tr)
    seconds = time.perf_counter() - start
    trees = len(clf.get_booster().trees)
    print(f"{strategy:15s} accuracy {clf.score(X_te, y_te):.4f}  trees {trees:4d}  "
          f"fit {seconds:.2f}s")""",
        """# md
The condensed model's SHAP values have an output axis: `(rows, classes, features + 1)`.""",
        """booster = clf.get_booster()
contribs = booster.predict(X_te[:50], pred_contribs=True)
print(contribs.shape, np.allclose(contribs.sum(axis=2),
                                  booster.predict(X_te[:50], output_margin=True)))
ax = plotting.plot_shap_summary(contribs[:, 3, :], X_te[:50], max_features=10)
ax.set_title("SHAP for class 3 (condensed trees)")""",
        """# md
## Multi-label: several yes/no answers per row

A 2-D 0/1 target is multi-label classification, one sigmoid per column; condensed trees
learn both answers with one tree per round. Here: is the digit even, and is it above 4?""",
        """Y_tr = np.column_stack([y_tr % 2 == 0, y_tr > 4]).astype(int)
Y_te = np.column_stack([y_te % 2 == 0, y_te > 4]).astype(int)
multi = gbt.GBTClassifier(n_estimators=150, learning_rate=0.2, max_depth=4,
                          multi_strategy="condensed").fit(X_tr, Y_tr)
print("accuracy per label:", (multi.predict(X_te) == Y_te).mean(axis=0).round(4))
print("probabilities shape:", multi.predict_proba(X_te).shape)""",
    ],
}


def build(name: str, cells: list[str]):
    import nbformat
    nb = nbformat.v4.new_notebook()
    for src in cells:
        if src.startswith("# md\n"):
            nb.cells.append(nbformat.v4.new_markdown_cell(src[len("# md\n"):]))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(src))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def execute(nb, timeout: int = 600):
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    return nb


def main() -> None:
    import nbformat
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--execute", action="store_true", help="run them and keep the outputs")
    ap.add_argument("names", nargs="*", help="which notebooks (default: all)")
    args = ap.parse_args()
    for name in args.names or NOTEBOOKS:
        nb = build(name, NOTEBOOKS[name])
        if args.execute:
            nb = execute(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main()
