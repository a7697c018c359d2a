"""BinMapper: learn per-feature cut points from training data and map values to small bins.

Layout the kernels rely on: the binned matrix is ``(n_rows, n_features)``, C order, ``uint8``
when ``max_bin <= 255`` and ``uint16`` above. Feature ``j``'s values fall in bins
``0 .. n_bins[j] - 1``; every feature shares one reserved missing bin, the first past the
widest feature's value bins (:func:`missing_bin_of`; histograms are one wider). A constant
feature has one value bin and never splits.
Cut points come from the weighted quantile sketch (:mod:`gbt.sketch`), so sample weights (or
hessians) shape the bins.

Categorical features (``fit(..., categorical={feature: n_categories})``): one bin per category,
bin ``c`` = code ``c`` (cuts ``0.5, 1.5, ..., +inf``); NaN, negative, fractional and
``>= n_categories`` codes (unseen categories) go to the missing bin. At most ``max_bin``
categories (checked by :func:`gbt.data.resolve_categorical`).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._native.backend import get_backend
from ._native.cpu.transpose import transposed
from .data import FeatureMatrix
from .sketch import WeightedQuantileSummary, midpoints

# Rows used to find cut points; more adds time, not accuracy (LightGBM and scikit-learn agree).
DEFAULT_SKETCH_ROWS = 200_000
# Fewer rows than this sketch their features on the calling thread.
PARALLEL_SKETCH_MIN_ROWS = 20_000


def missing_bin_of(cuts) -> int:
    """The missing bin for features with these cut points: the first past the widest
    feature's value bins (at least 1). Not ``max_bin``: a histogram is ``(n_features,
    missing_bin + 1, ...)``, so features of few values (one-hot columns: 1 value bin) would
    otherwise spread a few live bins over a mostly empty buffer, 4 KB a feature
    (agaricus fit 0.91x)."""
    return max(1, max((int(c.size) for c in cuts), default=0))


class BinMapper:
    """Per-feature cut points and the value -> bin map.

    Parameters
    ----------
    max_bin : int
        Most value bins per feature (the missing bin is extra).
    sketch_rows : int
        Rows sampled (without replacement, seeded) to build the sketch when there are more.
    random_state : int
    """

    def __init__(self, max_bin: int = 255, sketch_rows: int = DEFAULT_SKETCH_ROWS,
                 random_state: int = 0):
        if not 2 <= max_bin <= 65534:
            raise ValueError(f"max_bin must be in [2, 65534]; got {max_bin}.")
        self.max_bin = int(max_bin)
        self.sketch_rows = int(sketch_rows)
        self.random_state = random_state
        self.cuts: list[np.ndarray] = []
        self.categorical: dict[int, int] = {}  # feature -> number of categories

    # -- fitted state -------------------------------------------------------------------------
    @property
    def missing_bin(self) -> int:
        """The shared missing bin (``max_bin`` before ``fit``)."""
        return missing_bin_of(self.cuts) if self.cuts else self.max_bin

    @property
    def n_bins_total(self) -> int:
        return self.missing_bin + 1

    @property
    def dtype(self):
        return np.uint8 if self.max_bin <= 255 else np.uint16

    @property
    def n_bins(self) -> np.ndarray:
        """(n_features,) int32: value bins per feature."""
        return np.array([c.size for c in self.cuts], dtype=np.int32)

    def _flat_cuts(self):
        offsets = np.zeros(len(self.cuts) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([c.size for c in self.cuts])
        return np.concatenate(self.cuts).astype(np.float64), offsets

    # -- fit / transform ----------------------------------------------------------------------
    def fit(self, features: FeatureMatrix, sample_weight=None, hessian=None,
            n_threads: int = 1, categorical: dict | None = None) -> "BinMapper":
        """Learn cut points. Weights are ``sample_weight * hessian`` where given;
        ``categorical`` maps categorical features to their number of categories."""
        self.categorical = {int(j): int(n) for j, n in (categorical or {}).items()}
        for j, n in self.categorical.items():
            if not 1 <= n <= self.max_bin:
                raise ValueError(f"Categorical feature {j} has {n} categories; expected 1 to "
                                 f"max_bin={self.max_bin}.")
        values = features.values
        n_rows = values.shape[0]
        weight = None
        if sample_weight is not None or hessian is not None:
            weight = np.ones(n_rows)
            if sample_weight is not None:
                weight = weight * sample_weight
            if hessian is not None:
                weight = weight * hessian
        sample = None
        if n_rows > self.sketch_rows:
            rng = np.random.default_rng(self.random_state)
            sample = np.sort(rng.choice(n_rows, self.sketch_rows, replace=False))

        few = self._few_value_cuts(values, weight, sample) if hasattr(values, "indptr") \
            else [None] * values.shape[1]

        def cuts_of(j):
            if j in self.categorical:  # bin c holds code c
                return np.r_[np.arange(self.categorical[j] - 1) + 0.5, np.inf]
            if few[j] is not None:
                return few[j]
            col, w = self._column(values, j, weight, sample)
            if w is not None:  # rows of zero weight do not exist for the model: nor for its bins
                col, w = col[w > 0], w[w > 0]
            return WeightedQuantileSummary.from_data(col, w).cut_points(self.max_bin)

        # numpy's sort releases the GIL, so features are sketched on n_threads threads; on
        # few rows a thread hand-off costs more than a column's sort.
        if n_threads > 1 and (sample.size if sample is not None else n_rows) >= \
                PARALLEL_SKETCH_MIN_ROWS:
            with ThreadPoolExecutor(n_threads) as pool:
                self.cuts = list(pool.map(cuts_of, range(values.shape[1])))
        else:
            self.cuts = [cuts_of(j) for j in range(values.shape[1])]
        return self

    def _few_value_cuts(self, values, weight, sample) -> list:
        """Cut points of each column of a CSC matrix that has at most ``max_bin`` distinct
        values among its sketched entries (those of sampled rows of positive weight), None for
        the others. They are what the column's summary gives (a bin per value, edges at the
        midpoints), from one kernel pass over all columns: a summary per column cost ~90 us
        of Python and numpy calls each, most of a small sparse fit's setup."""
        data, indptr = values.data, values.indptr.astype(np.int64)
        if weight is not None or sample is not None:
            counted = np.ones(values.shape[0], dtype=np.bool_) if weight is None else weight > 0
            if sample is not None:
                in_sample = np.zeros(values.shape[0], dtype=np.bool_)
                in_sample[sample] = True
                counted &= in_sample
            kept = counted[values.indices]
            data = data[kept]
            indptr = np.r_[0, np.cumsum(kept)][indptr]
        _, kernels = get_backend("cpu")
        found, offsets, too_many = kernels.few_distinct_values(data, indptr, self.max_bin)
        # Column j's cuts are flat[offsets[j]:offsets[j + 1]]: the midpoints between its
        # neighbouring values, and +inf in its last value's place.
        flat = np.empty(found.size)
        flat[:-1] = midpoints(found[:-1], found[1:])
        flat[offsets[1:][offsets[1:] > offsets[:-1]] - 1] = np.inf
        return [None if too_many[j] else
                flat[offsets[j]:offsets[j + 1]] if offsets[j + 1] > offsets[j] else
                np.array([np.inf]) for j in range(values.shape[1])]

    @staticmethod
    def _column(values, j, weight, sample):
        if hasattr(values, "indptr"):  # CSC: only stored entries are values
            lo, hi = values.indptr[j], values.indptr[j + 1]
            rows = values.indices[lo:hi]
            col = values.data[lo:hi]
            if sample is not None:
                keep = np.isin(rows, sample, assume_unique=True)
                rows, col = rows[keep], col[keep]
            return col, None if weight is None else weight[rows]
        col = values[:, j] if sample is None else values[sample, j]
        w = None if weight is None else (weight if sample is None else weight[sample])
        return col, w

    def transform(self, features: FeatureMatrix, n_threads: int = 1) -> np.ndarray:
        """Bin features: ``(n_rows, n_features)`` of :attr:`dtype`, C order."""
        return self._transform(features, n_threads)[0]

    def transform_pair(self, features: FeatureMatrix, n_threads: int = 1):
        """``(X, X_T)``: :meth:`transform`'s bins and their feature-major ``(n_features,
        n_rows)`` C-order copy, which the tree grower's partition reads. Sparse data is
        binned feature-major first, so there the copy costs nothing more."""
        X, by_feature = self._transform(features, n_threads)
        if by_feature is None or self.categorical:  # codes were written into X alone
            by_feature = transposed(X)
        return X, by_feature

    def _transform(self, features, n_threads):
        """The bins, and the feature-major copy sparse binning built on its way (else
        None)."""
        if not self.cuts:
            raise ValueError("BinMapper is not fitted; call fit() first.")
        values = features.values
        if values.shape[1] != len(self.cuts):
            raise ValueError(f"Data has {values.shape[1]} features; the bin mapper was fitted "
                             f"on {len(self.cuts)}.")
        _, kernels = get_backend("cpu")
        cuts_flat, offsets = self._flat_cuts()
        out = np.empty(values.shape, dtype=self.dtype)
        by_feature = None
        if hasattr(values, "indptr"):
            by_feature = np.empty(values.shape[::-1], dtype=self.dtype)
            kernels.bin_csc(values.data, values.indices.astype(np.int64),
                            values.indptr.astype(np.int64), cuts_flat, offsets,
                            self.missing_bin, out, by_feature)
        else:
            kernels.bin_dense(values, cuts_flat, offsets, self.missing_bin,
                              max(1, n_threads), out)
        for j, n in self.categorical.items():
            self._bin_codes(values, j, n, out)
        return out, by_feature

    def _bin_codes(self, values, j: int, n: int, out: np.ndarray) -> None:
        """Categorical column ``j``: bin = code; anything but a code in [0, n) is missing."""
        if hasattr(values, "indptr"):
            lo, hi = values.indptr[j], values.indptr[j + 1]
            rows, col = values.indices[lo:hi], values.data[lo:hi]
            out[:, j] = self.missing_bin
        else:
            rows, col = slice(None), values[:, j]
        with np.errstate(invalid="ignore"):
            valid = (col >= 0) & (col < n) & (col == np.floor(col))
        out[rows, j] = np.where(valid, np.nan_to_num(col), self.missing_bin).astype(self.dtype)

    def bin_upper_edge(self, feature: int, bin_index: int) -> float:
        """The raw threshold equivalent to ``bin <= bin_index`` for ``feature``."""
        return float(self.cuts[feature][bin_index])

    def to_dict(self) -> dict:
        return {"max_bin": self.max_bin, "cuts": [c.tolist() for c in self.cuts]}
