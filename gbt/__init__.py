"""gbt: histogram-based, second-order gradient-boosted decision trees.

Public names only; scikit-learn estimators are imported lazily so ``import gbt`` stays light.
"""
from .booster import Booster
from .callback import EarlyStopping, EvaluationMonitor, TrainingCallback
from .crossval import cv
from .data import Dataset
from .engine import train
from .errors import GBTError

__version__ = "0.1.0"

_LAZY = {name: "sklearn" for name in ("GBTRegressor", "GBTClassifier", "GBTRanker",
                                       "FairGBTClassifier",
                                       "NGBRegressor", "NGBClassifier", "NGBSurvival")}
_LAZY["fairness_report"] = "objectives.fairness"
_LAZY.update(tune="tuning", GBTSearchCV="tuning")


def __getattr__(name):
    if name == "dask":  # distributed training: imports dask only when asked for
        import importlib
        return importlib.import_module("gbt.dask")
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f"gbt.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'gbt' has no attribute {name!r}")


__all__ = ["Booster", "Dataset", "train", "cv", "TrainingCallback", "EarlyStopping",
           "EvaluationMonitor", "GBTError", "GBTRegressor", "GBTClassifier", "GBTRanker",
           "FairGBTClassifier",
           "fairness_report", "NGBRegressor",
           "NGBClassifier", "NGBSurvival", "tune", "GBTSearchCV", "__version__"]
