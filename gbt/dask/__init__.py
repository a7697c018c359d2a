"""Distributed training on a Dask cluster (``pip install gbt[dask]``).

Each worker keeps the binned rows of the partitions it holds; the cluster agrees on bins by
merging weighted quantile summaries, and per batch of tree leaves every worker's histograms
are summed by a tree reduction and the driver makes one split decision for all. The model is
a plain :class:`gbt.Booster`. See the README's "Distributed training on Dask" section for
what is built and what is not.
"""
from ._collective import DistributedTimeoutError, WorkerLostError
from ._data import DaskDataset
from ._train import train

__all__ = ["DaskDataset", "train", "predict", "WorkerLostError", "DistributedTimeoutError",
           "DaskGBTRegressor", "DaskGBTClassifier", "DaskNGBRegressor",
           "DaskFairGBTClassifier"]


def __getattr__(name):  # the estimators import scikit-learn: load them on first use
    if name in ("DaskGBTRegressor", "DaskGBTClassifier", "DaskNGBRegressor",
                "DaskFairGBTClassifier", "predict"):
        from . import _estimators
        return getattr(_estimators, name)
    raise AttributeError(f"module 'gbt.dask' has no attribute {name!r}")
