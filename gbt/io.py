"""Data files for the command line: CSV / TSV (optionally gzipped), Parquet and LibSVM in, CSV /
Parquet out, every write atomic.

:func:`read_data` returns a :class:`DataFile`: a pyarrow Table for the column formats (read
multi-threaded, types inferred, string columns dictionary-encoded so they become categorical
features) or a CSR matrix plus ``label``/``qid`` columns for LibSVM. Callers take the target
and other special columns out by name and hand the rest to :class:`gbt.Dataset`. Mistakes in
the user's files raise :class:`DataFileError` with a one-line message.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

import numpy as np

# Read as missing in CSV/TSV files (besides an empty field).
DEFAULT_NA_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "?")
COLUMN_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".parquet", ".pq")
LIBSVM_SUFFIXES = (".svm", ".libsvm", ".svm.gz", ".libsvm.gz")


class DataFileError(ValueError):
    """A user's data file is missing, unreadable or lacks what was asked of it."""


@dataclass
class DataFile:
    """The rows of one data file.

    Attributes
    ----------
    path : str
    table : pyarrow.Table or None
        The columns of a CSV / TSV / Parquet file.
    sparse : scipy.sparse.csr_matrix or None
        A LibSVM file's features (absent entries are missing); its labels and query ids are
        the columns ``label`` and ``qid`` of ``extra``.
    extra : dict of str -> ndarray
    """

    path: str
    table: object = None
    sparse: object = None
    extra: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        if self.table is not None:
            return list(self.table.column_names)
        return list(self.extra)

    @property
    def n_rows(self) -> int:
        return self.table.num_rows if self.table is not None else self.sparse.shape[0]

    def pop(self, name: str, what: str = "column"):
        """Remove column ``name`` and return it as a numpy array (strings as objects);
        :class:`DataFileError` when the file has no such column."""
        if name in self.extra:
            return self.extra.pop(name)
        if self.table is None or name not in self.table.column_names:
            raise DataFileError(f"{what} {name!r} is not in {self.path} (columns: "
                                f"{_preview(self.columns)})")
        column = self.table.column(name)
        self.table = self.table.drop_columns([name])
        return column_to_numpy(column)

    def drop(self, names) -> None:
        for name in names:
            self.pop(name)

    def features(self):
        """What :class:`gbt.Dataset` takes: the remaining table, or the sparse matrix."""
        return self.table if self.table is not None else self.sparse

    def features_for(self, feature_names: list[str]):
        """The model's features in the model's order; :class:`DataFileError` naming the
        columns a model needs that the file lacks (LibSVM: more features than the model)."""
        if self.table is None:
            n_model, n_file = len(feature_names), self.sparse.shape[1]
            if n_file > n_model:
                raise DataFileError(f"{self.path} has {n_file} features; the model was trained "
                                    f"on {n_model}.")
            self.sparse.resize((self.sparse.shape[0], n_model))  # absent trailing = missing
            return self.sparse
        missing = [c for c in feature_names if c not in self.table.column_names]
        if missing:
            raise DataFileError(f"columns {_preview(missing)} used by the model are not in "
                                f"{self.path}")
        return self.table.select(feature_names)


def _preview(names, limit: int = 12) -> str:
    shown = ", ".join(map(str, names[:limit]))
    return f"[{shown}{', ...' if len(names) > limit else ''}]"


def column_to_numpy(column) -> np.ndarray:
    """A pyarrow column as numpy: numbers as float64 with NaN for nulls, anything else as an
    object array with None for nulls."""
    import pyarrow as pa
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or \
            pa.types.is_boolean(column.type):
        return column.cast(pa.float64()).fill_null(float("nan")).to_numpy()
    return np.asarray(column.to_pylist(), dtype=object)


def file_kind(path: str) -> str:
    """``"columns"`` or ``"libsvm"`` from the name; :class:`DataFileError` otherwise."""
    lower = path.lower()
    if lower.endswith(LIBSVM_SUFFIXES):
        return "libsvm"
    if lower.endswith(COLUMN_SUFFIXES):
        return "columns"
    raise DataFileError(f"unsupported file type: {path} (use .csv, .csv.gz, .tsv, .parquet, "
                        ".svm or .libsvm)")


def read_data(path: str, categorical=(), na_values=DEFAULT_NA_VALUES,
              delimiter: str | None = None) -> DataFile:
    """Read a data file (see the module docstring).

    Parameters
    ----------
    path : str
    categorical : sequence of str
        Columns to treat as categorical even when they hold numbers.
    na_values : sequence of str
        CSV/TSV fields read as missing.
    delimiter : str, optional
        Default: tab for ``.tsv``, comma otherwise.
    """
    path = os.fspath(path)
    kind = file_kind(path)
    if not os.path.exists(path):
        raise DataFileError(f"no such file: {path}")
    if os.path.isdir(path):
        raise DataFileError(f"{path} is a directory, not a data file")
    try:
        if kind == "libsvm":
            return _read_libsvm(path)
        table = _read_columns(path, na_values, delimiter)
    except DataFileError:
        raise
    except Exception as exc:  # pyarrow and the parsers raise many types for bad files
        raise DataFileError(f"cannot read {path}: {_one_line(exc)}") from None
    return DataFile(path, table=_encode_categoricals(table, categorical, path))


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _read_columns(path: str, na_values, delimiter):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        return pq.read_table(path, use_threads=True)
    if delimiter is None:
        delimiter = "\t" if ".tsv" in lower else ","
    return pacsv.read_csv(
        path, read_options=pacsv.ReadOptions(use_threads=True),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(null_values=list(na_values),
                                             strings_can_be_null=True))


def _encode_categoricals(table, categorical, path: str):
    """Dictionary-encode string columns and the named ``categorical`` ones."""
    import pyarrow as pa
    import pyarrow.compute as pc
    unknown = [c for c in categorical if c not in table.column_names]
    if unknown:
        raise DataFileError(f"categorical columns {_preview(unknown)} are not in {path}")
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        is_string = pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
        if (is_string or name in categorical) and not pa.types.is_dictionary(col.type):
            table = table.set_column(i, name, pc.dictionary_encode(col))
    return table


def _read_libsvm(path: str) -> DataFile:
    from sklearn.datasets import load_svmlight_file
    try:
        X, y, qid = load_svmlight_file(path, query_id=True)
    except ValueError as exc:
        raise DataFileError(f"cannot read {path} as LibSVM: {_one_line(exc)}") from None
    extra = {"label": np.asarray(y, dtype=np.float64)}
    if qid.size and np.any(qid != 0):
        extra["qid"] = np.asarray(qid, dtype=np.int64)
    return DataFile(path, sparse=X.tocsr(), extra=extra)


def write_atomic(path: str, write) -> None:
    """Call ``write(tmp_path)`` and rename the temporary file to ``path``: readers never see a
    half-written file, and a failed or interrupted write leaves none behind."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise DataFileError(f"cannot write {path}: no such directory {directory}")
    fd, tmp = tempfile.mkstemp(prefix=".gbt-", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_table(path: str, columns: dict) -> None:
    """Write ``{name: 1-D array}`` as CSV or Parquet (by the suffix), atomically."""
    import pyarrow as pa
    lower = path.lower()
    if not lower.endswith((".csv", ".parquet", ".pq", ".tsv")):
        raise DataFileError(f"unsupported output type: {path} (use .csv, .tsv or .parquet)")
    table = pa.table({name: pa.array(np.asarray(values)) for name, values in columns.items()})

    def write(tmp):
        if lower.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq
            pq.write_table(table, tmp)
        else:
            import pyarrow.csv as pacsv
            delimiter = "\t" if lower.endswith(".tsv") else ","
            pacsv.write_csv(table, tmp, pacsv.WriteOptions(delimiter=delimiter))
    write_atomic(path, write)
