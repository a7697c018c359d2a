"""DaskDataset: dask collections in, per-worker row bundles out.

A dataset's partitions are computed (or found, if persisted) on the workers; each partition's
features, label, weight and extra columns are bundled into one task result, so a row's parts
sit together on one worker. :func:`bundles_by_worker` then asks the scheduler where each bundle
is; the shards are built from the bundles already on their worker, so no row moves.
"""
from __future__ import annotations

import numpy as np

EXTRA_FIELDS = ("constraint_group", "base_margin")


def _is_dask_array(x) -> bool:
    return type(x).__module__.startswith("dask.array") and hasattr(x, "chunks")


def _is_dask_frame(x) -> bool:
    return type(x).__module__.startswith("dask.dataframe") and hasattr(x, "npartitions")


def is_dask_collection(x) -> bool:
    return _is_dask_array(x) or _is_dask_frame(x)


class DaskDataset:
    """Training or evaluation data held as dask collections.

    Parameters
    ----------
    data : dask.array.Array (n_samples, n_features) or dask.dataframe.DataFrame
        Row-partitioned features; an array is rechunked to whole rows. DataFrame ``category``
        columns are categorical (their categories must be known: ``df.categorize()``).
    label : dask Array / Series / DataFrame, optional
        Partitioned like ``data`` (same row chunks).
    weight : dask Array or Series, optional
    constraint_group : dask Array or Series, optional
        The fairness group of each row (``DaskFairGBTClassifier``).
    base_margin : dask Array, optional
    """

    def __init__(self, data, label=None, weight=None, constraint_group=None, base_margin=None):
        if not is_dask_collection(data):
            raise TypeError("DaskDataset data must be a dask Array or DataFrame; got "
                            f"{type(data).__name__} (use gbt.Dataset for in-memory data).")
        if _is_dask_array(data) and data.ndim != 2:
            raise ValueError(f"data must be 2-D (n_samples, n_features); got {data.ndim}-D.")
        if _is_dask_frame(data) and not hasattr(data, "columns"):
            raise TypeError("data must be a dask DataFrame, not a Series.")
        self.data = data.rechunk({1: -1}) if _is_dask_array(data) else data
        self.columns = {"label": label, "weight": weight, "constraint_group": constraint_group,
                        "base_margin": base_margin}
        for name, col in self.columns.items():
            if col is not None and not is_dask_collection(col):
                raise TypeError(f"{name} must be a dask Array, Series or DataFrame like data; "
                                f"got {type(col).__name__}.")
        self.n_partitions = len(self._blocks(self.data))
        for name, col in self.columns.items():
            if col is not None and len(self._blocks(col)) != self.n_partitions:
                raise ValueError(f"{name} has {len(self._blocks(col))} partitions; data has "
                                 f"{self.n_partitions}: partition them alike (for arrays, "
                                 "the same row chunks).")

    @property
    def label(self):
        return self.columns["label"]

    @staticmethod
    def _blocks(col):
        """One delayed object per row partition."""
        if _is_dask_array(col):
            if col.ndim == 2:
                col = col.rechunk({1: -1})
                return list(col.to_delayed()[:, 0])
            return list(col.to_delayed())
        return list(col.to_delayed())

    def bundles(self, client):
        """Futures of one ``(X, label, weight, {extra})`` tuple per partition, in order."""
        import dask
        blocks = {"X": self._blocks(self.data)}
        for name, col in self.columns.items():
            blocks[name] = self._blocks(col) if col is not None else [None] * self.n_partitions
        bundle = dask.delayed(_bundle, pure=True)
        items = [bundle(blocks["X"][i], blocks["label"][i], blocks["weight"][i],
                        {n: blocks[n][i] for n in EXTRA_FIELDS})
                 for i in range(self.n_partitions)]
        return client.compute(items)


def _bundle(X, label, weight, extra):
    """A partition's parts as one object (numpy for labels and weights)."""
    def vec(v):
        return None if v is None else np.asarray(v)
    return X, vec(label), vec(weight), {k: vec(v) for k, v in extra.items() if v is not None}


def bundles_by_worker(client, futures):
    """``{worker address: [(partition index, future)]}``, partitions in order within each
    worker."""
    from distributed import wait
    wait(futures)
    failed = [f for f in futures if f.status == "error"]
    if failed:
        failed[0].result()
    where = client.who_has(futures)
    out: dict = {}
    for i, f in enumerate(futures):
        holders = where.get(f.key) or ()
        if not holders:
            raise RuntimeError(f"No worker holds partition {f.key!r} after it was computed.")
        out.setdefault(sorted(holders)[0], []).append((i, f))
    return out
