"""Input data: turn what users hold into validated feature columns, labels and weights.

:class:`Dataset` owns the boundary between the outside world (numpy, pandas, pyarrow, polars,
scipy.sparse) and the engine. Everything past it sees a C-contiguous float32 or float64 matrix
with NaN for missing values, or a scipy CSC matrix whose *absent* entries are missing (XGBoost's
semantics; explicit zeros are values). Labels, weights and base margins are float64 and finite.
Categorical columns (pandas ``category``, arrow dictionaries) become their integer codes with
missing as NaN; the category lists are kept so new data is coded the same way. Query groups
for ranking (``group`` sizes or per-row ``qid``) become one form: ``group_ptr`` boundaries and a
per-row ``query_index``.
"""
from __future__ import annotations

import functools
import numbers
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from ._native.cpu.checks import any_inf


class FeatureMatrix:
    """Validated features: ``values`` (dense ndarray, or CSC for training and CSR or CSC for
    prediction), names and categorical info."""

    __slots__ = ("values", "feature_names", "categories")

    def __init__(self, values, feature_names, categories):
        self.values = values
        self.feature_names = feature_names
        self.categories = categories  # {feature index: list of category values}

    @property
    def shape(self):
        return self.values.shape

    @property
    def is_sparse(self) -> bool:
        return sp.issparse(self.values)

    def take(self, rows) -> "FeatureMatrix":
        """The rows ``rows`` (integer indices), with the same names and categories."""
        values = self.values[rows]
        if sp.issparse(values):
            values = sp.csc_matrix(values)
            values.sort_indices()  # the kernels walk each column's entries in row order
        return FeatureMatrix(values, self.feature_names, self.categories)


def _is_pandas_df(data) -> bool:
    return type(data).__module__.startswith("pandas") and hasattr(data, "dtypes") \
        and hasattr(data, "columns")


def _is_arrow_table(data) -> bool:
    return type(data).__module__.startswith("pyarrow") and hasattr(data, "schema")


def _is_polars_df(data) -> bool:
    return type(data).__module__.startswith("polars") and hasattr(data, "to_arrow")


def _to_host(data):
    """GPU arrays (CuPy, or anything with ``__cuda_array_interface__``: PyTorch CUDA tensors,
    Numba device arrays) copied to a numpy array; other data as it is. The host copy feeds the
    quantile sketch; with ``device="cuda"`` the bins are made on the GPU from it."""
    if not hasattr(data, "__cuda_array_interface__"):
        return data
    if type(data).__module__.startswith("cupy"):
        return data.get()
    from ._native.gpu import require_cupy
    return require_cupy().asarray(data).get()


def _coerce_dense(arr: np.ndarray) -> np.ndarray:
    """float32 stays float32, everything else numeric becomes float64; C-contiguous and
    writeable (a read-only array would make Numba compile every kernel a second time)."""
    if arr.dtype == np.float32 or arr.dtype == np.float64:
        return np.require(arr, requirements=["C_CONTIGUOUS", "WRITEABLE"])
    if arr.dtype == np.bool_ or np.issubdtype(arr.dtype, np.integer) or \
            np.issubdtype(arr.dtype, np.floating):
        return np.ascontiguousarray(arr, dtype=np.float64)
    raise TypeError(f"Feature data has dtype {arr.dtype}; expected numbers (float, int or bool). "
                    "Encode strings as a pandas 'category' column.")


def _code_categorical(values, train_categories: list | None):
    """Return float64 codes (NaN for missing) and the category list used."""
    import pandas as pd
    if train_categories is None:
        cat = pd.Categorical(values)
        codes, categories = cat.codes, list(cat.categories)
    else:  # unseen categories -> -1 -> missing
        codes = pd.Index(train_categories).get_indexer(pd.Index(values))
        categories = list(train_categories)
    codes = codes.astype(np.float64)
    codes[codes < 0] = np.nan
    return codes, categories


def _from_columns(names: list[str], columns: list, is_cat: list[bool], categories_ref):
    n_rows = len(columns[0]) if columns else 0
    out = np.empty((n_rows, len(columns)), dtype=np.float64)
    categories: dict[int, list] = {}
    bad = []
    for j, (name, col, cat) in enumerate(zip(names, columns, is_cat)):
        ref = None if categories_ref is None else categories_ref.get(j)
        if cat or ref is not None:
            out[:, j], categories[j] = _code_categorical(col, ref)
            continue
        try:
            out[:, j] = col
        except (TypeError, ValueError):
            bad.append(name)
    if bad:
        raise TypeError(f"Columns {bad} are not numeric and not categorical; convert them to "
                        "numbers or to a pandas 'category' dtype.")
    return out, categories


def _pandas_columns(df, categories_ref):
    import pandas as pd
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"Feature names must be unique; duplicated: {dup}.")
    columns, is_cat = [], []
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            columns.append(s.to_numpy())
            is_cat.append(True)
        elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            columns.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
            is_cat.append(False)
        else:
            columns.append(s.to_numpy())
            is_cat.append(False)
    return names, columns, is_cat


def _arrow_columns(table):
    import pyarrow as pa
    names = list(table.column_names)
    columns, is_cat = [], []
    for col in table.columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if pa.types.is_dictionary(col.type):
            columns.append(col.to_pandas().to_numpy())
            is_cat.append(True)
        elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or \
                pa.types.is_boolean(col.type):
            columns.append(col.cast(pa.float64()).fill_null(float("nan")).to_numpy(
                zero_copy_only=False))
            is_cat.append(False)
        else:
            columns.append(np.asarray(col.to_pylist(), dtype=object))
            is_cat.append(False)
    return names, columns, is_cat


def _sparse_as(data, sparse_format: str):
    """``data`` as a float32/float64 CSC matrix with sorted indices (the binning kernels walk
    each column's entries in row order), or as CSR (prediction walks blocks of rows). CSR
    input is taken as it is: re-wrapping it re-checks its arrays, a sixth of the time of a
    small prediction."""
    if sparse_format == "csr" and getattr(data, "format", None) == "csr":
        values = data
    else:
        values = sp.csc_matrix(data) if sparse_format == "csc" else sp.csr_matrix(data)
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    if sparse_format == "csc":
        values.sort_indices()
    return values


def to_feature_matrix(data, feature_names: Sequence[str] | None = None,
                      categories: dict | None = None, n_threads: int = 1,
                      sparse_format: str = "csc", allow_no_rows: bool = False) -> FeatureMatrix:
    """Validate and convert ``data`` to a :class:`FeatureMatrix`.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
        numpy array, pandas/polars DataFrame, pyarrow Table or scipy sparse matrix.
    feature_names : list of str, optional
        Names to use; taken from the columns of a data frame when omitted.
    categories : dict, optional
        Category lists of a training set, so categorical columns of new data get the same codes.
    n_threads : int
        Row chunks of the check for inf (one per thread).
    sparse_format : {"csc", "csr"}
        The layout of sparse ``values``: CSC for training; prediction asks for CSR, which it
        densifies a block of rows at a time (CSR input then needs no conversion).
    allow_no_rows : bool
        Accept data with no rows (a Dask worker's shard may hold only empty partitions);
        data without features is refused either way.
    """
    if sparse_format not in ("csc", "csr"):
        raise ValueError(f"sparse_format={sparse_format!r}: expected 'csc' or 'csr'.")
    if isinstance(data, FeatureMatrix):
        if data.is_sparse and sparse_format == "csc" and data.values.format != "csc":
            return FeatureMatrix(_sparse_as(data.values, "csc"), data.feature_names,
                                 data.categories)
        return data
    data = _to_host(data)
    if _is_polars_df(data):
        data = data.to_arrow()
    cats: dict[int, list] = {}
    if _is_pandas_df(data) or _is_arrow_table(data):
        names, columns, is_cat = (_pandas_columns(data, categories) if _is_pandas_df(data)
                                  else _arrow_columns(data))
        values, cats = _from_columns(names, columns, is_cat, categories)
        feature_names = feature_names or names
    elif sp.issparse(data):
        values = _sparse_as(data, sparse_format)
    else:
        if isinstance(data, (list, tuple)) or hasattr(data, "__array__"):
            values = np.asarray(data)
        else:
            raise TypeError(f"Unsupported feature data type {type(data).__name__}; expected a "
                            "numpy array, pandas/polars DataFrame, pyarrow Table or scipy sparse "
                            "matrix.")
        if values.ndim == 1:
            raise ValueError("Feature data is 1-D; expected shape (n_samples, n_features). "
                             "Use X.reshape(-1, 1) for a single feature.")
        if values.ndim != 2:
            raise ValueError(f"Feature data has {values.ndim} dimensions; expected 2.")
        values = _coerce_dense(values)
    n_rows, n_features = values.shape
    if (n_rows == 0 and not allow_no_rows) or n_features == 0:
        raise ValueError(f"Feature data is empty: shape {values.shape}.")
    has_inf = (np.isinf(values.data).any() if sp.issparse(values)
               else any_inf(values, max(1, min(int(n_threads), values.size // 65536))))
    if has_inf:
        raise ValueError("Feature data contains inf; use NaN for missing values.")
    if feature_names is None:
        return FeatureMatrix(values, list(_default_names(n_features)), cats)
    feature_names = [str(n) for n in feature_names]
    if len(feature_names) != n_features:
        raise ValueError(f"Got {len(feature_names)} feature names for {n_features} features.")
    if len(set(feature_names)) != n_features:
        raise ValueError("Feature names must be unique.")
    return FeatureMatrix(values, feature_names, cats)


@functools.lru_cache(maxsize=8)
def _default_names(n_features: int) -> tuple:
    """``("f0", "f1", ...)``: made once per width, as every prediction on an array needs them
    (agaricus's 127: a twentieth of a 1.5 ms predict)."""
    return tuple(f"f{j}" for j in range(n_features))


def _as_float_vector(name: str, value, n_rows: int, allow_2d: bool = False) -> np.ndarray:
    value = _to_host(value)
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        raise ValueError(f"{name} must be 1-D{' or 2-D' if allow_2d else ''}; got shape "
                         f"{arr.shape}.")
    if arr.shape[0] != n_rows:
        raise ValueError(f"{name} has {arr.shape[0]} rows but the data has {n_rows}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf.")
    return np.ascontiguousarray(arr)


class Dataset:
    """Training or validation data for :func:`gbt.train`.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
        numpy (float32/float64, C or F order), pandas DataFrame (numeric and ``category``
        columns), pyarrow Table, polars DataFrame or scipy.sparse CSR/CSC (absent entries are
        missing). NaN marks a missing value.
    label : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
        A 2-D label is multi-output regression (``reg:squarederror``) or multi-label
        classification (``binary:logistic`` with 0/1 columns).
    weight : array-like of shape (n_samples,), optional
        Non-negative sample weights.
    base_margin : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
        Raw scores to start boosting from instead of the objective's base score.
    feature_names : list of str, optional
    reference : Dataset, optional
        The training set, for a validation set: categorical columns are coded like it.
    constraint_group : array-like of shape (n_samples,), optional
        The group of each row (any values) for the fairness objective ``binary:constrained``;
        a validation set carries its own.
    group : array-like of shape (n_queries,), optional
        Query sizes for the ranking objectives (``rank:*``), LightGBM / XGBoost style: the
        first ``group[0]`` rows are query 0, the next ``group[1]`` rows query 1, and so on.
        Non-negative integers summing to ``n_samples``; empty queries are dropped.
    qid : array-like of shape (n_samples,), optional
        The query id of each row (integers), XGBoost style; the rows of a query must be
        contiguous (sort the rows by ``qid`` first). Give ``group`` or ``qid``, not both.
    categorical_feature : list of int or str, optional
        Features (indices or names) to split as categories (LightGBM's name); pandas
        ``category``, arrow dictionary and polars categorical columns are categorical without
        being listed. A listed numeric column holds integer category codes: negative codes
        are missing, fractional ones an error. The ``categorical_feature`` training parameter,
        when given, replaces this list.
    label_lower_bound, label_upper_bound : array-like of shape (n_samples,), optional
        Interval labels for ``survival:aft`` (XGBoost's names): each row's time lies in
        ``[lower, upper]``; ``lower == upper`` is an observed time, ``upper = inf`` a
        right-censored row, ``lower = 0`` a left-censored one. Give both; ``0 <= lower <=
        upper``, ``upper > 0``, no NaN. Without a ``label`` the lower bound serves as the
        label column.

    Attributes
    ----------
    group_ptr : (n_queries + 1,) int64 or None
        Query ``q`` holds rows ``group_ptr[q]:group_ptr[q + 1]`` (every query non-empty).
    query_index : (n_samples,) int64 or None
        The query (0..n_queries-1) of each row.
    """

    def __init__(self, data, label=None, weight=None, base_margin=None,
                 feature_names: Sequence[str] | None = None, reference: "Dataset | None" = None,
                 constraint_group=None, group=None, qid=None, label_lower_bound=None,
                 label_upper_bound=None, categorical_feature=None):
        ref_cats = reference.features.categories if reference is not None else None
        self.features = to_feature_matrix(data, feature_names, ref_cats)
        if categorical_feature is None and reference is not None:
            categorical_feature = reference.categorical_feature
        self.categorical_feature = categorical_feature
        n_rows = self.features.shape[0]
        self.label_lower_bound, self.label_upper_bound = _label_bounds(
            label_lower_bound, label_upper_bound, n_rows)
        if label is None and self.label_lower_bound is not None:
            label = self.label_lower_bound
        self.label = None if label is None else \
            _as_float_vector("label", label, n_rows, allow_2d=True)
        self.weight = None
        if weight is not None:
            w = _as_float_vector("weight", weight, n_rows)
            if (w < 0).any():
                raise ValueError("weight contains negative values.")
            if w.sum() <= 0:
                raise ValueError("weight sums to zero.")
            self.weight = w
        self.base_margin = None if base_margin is None else \
            _as_float_vector("base_margin", base_margin, n_rows, allow_2d=True)
        self.constraint_group = None
        if constraint_group is not None:
            cg = constraint_group.to_numpy() if hasattr(constraint_group, "to_numpy") \
                else np.asarray(constraint_group)
            if cg.ndim != 1 or cg.shape[0] != n_rows:
                raise ValueError(f"constraint_group must be 1-D with one entry per row "
                                 f"({n_rows}); got shape {cg.shape}.")
            self.constraint_group = cg
        self.group_ptr = self.query_index = None
        if group is not None and qid is not None:
            raise ValueError("Give either group (query sizes) or qid (query id per row), "
                             "not both.")
        if group is not None:
            self.group_ptr = _group_ptr_from_sizes(group, n_rows)
        elif qid is not None:
            self.group_ptr = _group_ptr_from_qid(qid, n_rows)
        if self.group_ptr is not None:
            sizes = np.diff(self.group_ptr)
            self.query_index = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
        self._bins = None  # filled by the engine: (BinMapper, binned matrix)

    @property
    def num_row(self) -> int:
        return self.features.shape[0]

    @property
    def num_feature(self) -> int:
        return self.features.shape[1]

    @property
    def feature_names(self) -> list[str]:
        return self.features.feature_names

    def get_label(self):
        return self.label

    def get_weight(self):
        return self.weight

    def get_group(self):
        """(n_queries,) int64 query sizes, or None without query groups."""
        return None if self.group_ptr is None else np.diff(self.group_ptr)

    def __repr__(self) -> str:
        return f"Dataset(num_row={self.num_row}, num_feature={self.num_feature})"


def _label_bounds(lower, upper, n_rows: int):
    """Validated (lower, upper) float64 interval labels, or (None, None)."""
    if lower is None and upper is None:
        return None, None
    if lower is None or upper is None:
        raise ValueError("Give both label_lower_bound and label_upper_bound (upper = inf for a "
                         "right-censored row).")
    out = []
    for name, value in (("label_lower_bound", lower), ("label_upper_bound", upper)):
        if hasattr(value, "to_numpy"):
            value = value.to_numpy()
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numeric: {exc}") from None
        if arr.ndim != 1 or arr.shape[0] != n_rows:
            raise ValueError(f"{name} must be 1-D with one entry per row ({n_rows}); got shape "
                             f"{arr.shape}.")
        out.append(np.ascontiguousarray(arr))
    return check_aft_bounds(out[0], out[1], "Dataset")


def check_aft_bounds(lower, upper, name="survival:aft"):
    """Validated float64 (lower, upper) interval labels of ``survival:aft``: finite
    ``lower >= 0``, ``lower <= upper``, ``upper > 0`` (inf for right-censored), no NaN."""
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    if lower.ndim != 1 or upper.shape != lower.shape:
        raise ValueError(f"{name}: label_lower_bound and label_upper_bound must be 1-D of the "
                         f"same length; got shapes {lower.shape} and {upper.shape}.")
    if np.isnan(lower).any() or np.isnan(upper).any():
        raise ValueError(f"{name}: the label bounds contain NaN.")
    if not np.isfinite(lower).all():
        raise ValueError(f"{name}: label_lower_bound must be finite (use 0 for left-censored).")
    if (lower < 0).any():
        raise ValueError(f"{name}: label_lower_bound must be >= 0; got {lower.min()}.")
    if (upper < lower).any():
        i = int(np.flatnonzero(upper < lower)[0])
        raise ValueError(f"{name}: label_lower_bound must be <= label_upper_bound; row {i} "
                         f"has [{lower[i]}, {upper[i]}].")
    if (upper <= 0).any():
        raise ValueError(f"{name}: label_upper_bound must be > 0 (a time of 0 has no log).")
    return lower, upper


def _integer_vector(name: str, value) -> np.ndarray:
    """1-D int64 from integer (or integer-valued float) input; TypeError / ValueError else."""
    value = _to_host(value)
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    arr = np.asarray(value)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}.")
    if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.integer) or
                                     np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must hold integers; got dtype {arr.dtype}.")
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name} must hold integers; entry {i} is {arr[i].item()!r}.")
    return arr.astype(np.int64)


def _group_ptr_from_sizes(group, n_rows: int) -> np.ndarray:
    """Query boundaries from LightGBM-style query sizes (empty queries dropped)."""
    sizes = _integer_vector("group", group)
    if (sizes < 0).any():
        i = int(np.flatnonzero(sizes < 0)[0])
        raise ValueError(f"group holds query sizes, which cannot be negative; entry {i} is "
                         f"{sizes[i]}.")
    if int(sizes.sum()) != n_rows:
        raise ValueError(f"group sizes sum to {int(sizes.sum())} but the data has {n_rows} "
                         "rows; group[q] must be the number of rows of query q.")
    sizes = sizes[sizes > 0]
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def _group_ptr_from_qid(qid, n_rows: int) -> np.ndarray:
    """Query boundaries from a per-row query id whose queries are contiguous runs."""
    q = _integer_vector("qid", qid)
    if q.shape[0] != n_rows:
        raise ValueError(f"qid has {q.shape[0]} entries but the data has {n_rows} rows; give "
                         "one query id per row.")
    starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    run_ids = q[starts]
    if np.unique(run_ids).size != run_ids.size:
        _, first = np.unique(run_ids, return_index=True)
        repeated = np.setdiff1d(np.arange(run_ids.size), first)[0]
        again = int(starts[repeated])
        raise ValueError(f"qid {int(run_ids[repeated])} is not contiguous: its rows resume at "
                         f"row {again} after other queries. The rows of a query must be "
                         "contiguous; sort the rows by qid (a stable sort keeps their order).")
    return np.r_[starts, n_rows].astype(np.int64)


def align_columns(data, expected: list):
    """``data`` with its columns in the ``expected`` order when it is a frame (pandas, polars,
    arrow) whose column names are the expected names in another order; other input is returned
    as it is. A frame whose names differ raises ``ValueError`` naming the difference."""
    columns = data.column_names if _is_arrow_table(data) else getattr(data, "columns", None)
    if columns is None or isinstance(data, FeatureMatrix):
        return data
    given = [str(c) for c in columns]
    if given == expected or all(c.isdigit() for c in given):
        return data  # positional frames (integer column labels) are taken as they are
    if sorted(given) != sorted(expected):
        missing = [c for c in expected if c not in given]
        extra = [c for c in given if c not in expected]
        raise ValueError("X's column names differ from the training features: missing "
                         f"{missing[:10]}, unexpected {extra[:10]}.")
    if _is_pandas_df(data):
        return data[[data.columns[given.index(c)] for c in expected]]
    return data.select(expected)  # polars and pyarrow


def check_int(name: str, value: Any, lo: int) -> int:
    """Validate an integer argument at the boundary."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}; got {value!r}.")
    return int(value)


def resolve_categorical(features: FeatureMatrix, listed, enable_categorical: bool = True,
                        max_bin: int = 255):
    """The categorical features of training data and the category list of each.

    Parameters
    ----------
    features : FeatureMatrix
    listed : None or list of int / str
        Features named as categorical (``categorical_feature``), by index or name.
    enable_categorical : bool
        Whether data-frame category columns are split as categories (else on their codes).
    max_bin : int
        A categorical feature may have at most ``max_bin`` categories (one bin each).

    Returns
    -------
    (counts, categories) : ``{feature index: number of categories}`` for the categorical
    features, and the model's ``{feature index: category list}``: the data's own lists plus,
    for a listed numeric column, ``[0, 1, ..., n - 1]`` with ``n`` its largest code + 1.

    Raises
    ------
    ValueError
        An unknown name, an index out of range, a listed column with fractional values, or
        more categories than ``max_bin``.
    """
    n_features = features.shape[1]
    names = list(features.feature_names)
    chosen = set(features.categories) if enable_categorical else set()
    for key in listed or ():
        if isinstance(key, str):
            if key not in names:
                shown = names if len(names) <= 20 else names[:20] + ["..."]
                raise ValueError(f"Parameter 'categorical_feature': unknown feature name "
                                 f"{key!r}; the data's features are {shown}.")
            chosen.add(names.index(key))
        elif isinstance(key, (bool, np.bool_)) or not isinstance(key, numbers.Integral):
            raise TypeError(f"Parameter 'categorical_feature': {key!r} is not a feature index "
                            "or name.")
        elif not 0 <= key < n_features:
            raise ValueError(f"Parameter 'categorical_feature': feature index {key} is out of "
                             f"range for {n_features} features.")
        else:
            chosen.add(int(key))
    categories = {j: list(v) for j, v in features.categories.items()}
    counts = {}
    for j in sorted(chosen):
        if j not in categories:
            categories[j] = list(range(_integer_codes(features.values, j, names[j])))
        n = len(categories[j])
        if n > max_bin:
            raise ValueError(f"Categorical feature {names[j]!r} has {n} categories; at most "
                             f"max_bin={max_bin} are supported (one bin per category): raise "
                             "max_bin (up to 65534) or merge rare categories.")
        counts[j] = max(n, 1)
    return counts, categories


def _integer_codes(values, j: int, name: str) -> int:
    """Number of categories (largest code + 1) of a numeric column listed as categorical;
    ``ValueError`` for fractional values (negative ones are missing)."""
    if sp.issparse(values):
        col = values.data[values.indptr[j]:values.indptr[j + 1]]
    else:
        col = values[:, j]
    col = col[~np.isnan(col)]
    bad = col != np.floor(col)
    if bad.any():
        raise ValueError(f"Categorical feature {name!r} holds the non-integer value "
                         f"{col[bad][0]!r}; a numeric categorical column must hold integer "
                         "codes (negative = missing), or use a pandas 'category' column.")
    col = col[col >= 0]
    return int(col.max()) + 1 if col.size else 1
