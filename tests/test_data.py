"""gbt.Dataset / to_feature_matrix: every supported input, and errors at the boundary."""
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp

import gbt
from gbt.data import FeatureMatrix, check_int, to_feature_matrix


def dense(ds):
    return ds.features.values


# -- numpy ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_numpy_float_c_and_f_order(dtype, order):
    rng = np.random.default_rng(0)
    X = np.asarray(rng.normal(size=(40, 3)), dtype=dtype, order=order)
    X[3, 1] = np.nan
    y = rng.normal(size=40)
    ds = gbt.Dataset(X, y)
    v = dense(ds)
    assert v.dtype == dtype  # float32 is kept, not upcast
    assert v.flags.c_contiguous
    np.testing.assert_array_equal(v, X)  # NaN in the same place
    assert ds.num_row == 40 and ds.num_feature == 3
    assert ds.feature_names == ["f0", "f1", "f2"]
    assert ds.get_label().dtype == np.float64
    np.testing.assert_array_equal(ds.get_label(), y)
    assert ds.get_weight() is None
    assert not ds.features.is_sparse


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16, np.bool_, np.float16])
def test_numpy_int_bool_and_half_become_float64(dtype):
    X = (np.arange(12).reshape(6, 2) % 3).astype(dtype)
    ds = gbt.Dataset(X, np.arange(6))
    v = dense(ds)
    assert v.dtype == np.float64 and v.flags.c_contiguous
    np.testing.assert_array_equal(v, X.astype(np.float64))


def test_list_input_and_feature_names():
    ds = gbt.Dataset([[1, 2], [3, 4]], [0, 1], feature_names=["a", "b"])
    np.testing.assert_array_equal(dense(ds), [[1.0, 2.0], [3.0, 4.0]])
    assert ds.feature_names == ["a", "b"]
    assert "num_row=2" in repr(ds)


def test_label_weight_base_margin_coerced():
    X = np.ones((4, 2))
    ds = gbt.Dataset(X, pd.Series([0, 1, 1, 0]), weight=[1, 2, 3, 4],
                     base_margin=np.zeros((4, 1)))
    assert ds.label.dtype == np.float64 and ds.weight.dtype == np.float64
    np.testing.assert_array_equal(ds.weight, [1, 2, 3, 4])
    assert ds.base_margin.shape == (4,)  # (n, 1) is flattened
    ds2 = gbt.Dataset(X, [0, 1, 2, 0], base_margin=np.zeros((4, 3)))
    assert ds2.base_margin.shape == (4, 3)
    ds3 = gbt.Dataset(X, np.array([[1.0], [2.0], [3.0], [4.0]]))
    assert ds3.label.shape == (4,)


# -- pandas -----------------------------------------------------------------------------------
def test_pandas_numeric_and_category():
    df = pd.DataFrame({
        "num": [1.5, 2.5, np.nan, 4.0],
        "int": pd.array([1, None, 3, 4], dtype="Int64"),
        "flag": [True, False, True, False],
        "cat": pd.Categorical(["b", "a", None, "b"]),
    })
    ds = gbt.Dataset(df, [0, 1, 0, 1])
    v = dense(ds)
    assert v.dtype == np.float64
    assert ds.feature_names == ["num", "int", "flag", "cat"]
    np.testing.assert_array_equal(v[:, 0], [1.5, 2.5, np.nan, 4.0])
    np.testing.assert_array_equal(v[:, 1], [1.0, np.nan, 3.0, 4.0])
    np.testing.assert_array_equal(v[:, 2], [1.0, 0.0, 1.0, 0.0])
    cats = ds.features.categories
    assert list(cats) == [3]  # only the category column
    assert cats[3] == ["a", "b"]
    np.testing.assert_array_equal(v[:, 3], [1.0, 0.0, np.nan, 1.0])  # codes; missing -> NaN


def test_pandas_category_codes_index_the_recorded_categories():
    rng = np.random.default_rng(1)
    values = rng.choice(["red", "green", "blue", "cyan"], size=50)
    df = pd.DataFrame({"c": pd.Categorical(values), "x": rng.normal(size=50)})
    fm = to_feature_matrix(df)
    cats = fm.categories[0]
    codes = fm.values[:, 0].astype(int)
    np.testing.assert_array_equal(np.asarray(cats, dtype=object)[codes], values)


def test_reference_codes_new_data_like_training():
    train = pd.DataFrame({"c": pd.Categorical(["a", "b", "c", "a"]), "x": [1.0, 2, 3, 4]})
    dtrain = gbt.Dataset(train, [0, 1, 0, 1])
    assert dtrain.features.categories[0] == ["a", "b", "c"]
    # New data: another category order, a subset of the values, an unseen value and a NaN.
    new = pd.DataFrame({
        "c": pd.Categorical(["c", "a", "z", None], categories=["z", "c", "a"]),
        "x": [0.0, 0, 0, 0]})
    dvalid = gbt.Dataset(new, [0, 1, 0, 1], reference=dtrain)
    np.testing.assert_array_equal(dense(dvalid)[:, 0], [2.0, 0.0, np.nan, np.nan])
    assert dvalid.features.categories[0] == ["a", "b", "c"]
    # Without the reference the same frame would be coded by its own categories.
    alone = gbt.Dataset(new, [0, 1, 0, 1])
    assert not np.array_equal(dense(alone)[:, 0], dense(dvalid)[:, 0], equal_nan=True)
    # A reference also codes a plain string column of new data (e.g. read from CSV).
    strings = pd.DataFrame({"c": pd.Categorical(["b", "a"]), "x": [1.0, 2.0]})
    dstr = gbt.Dataset(strings, reference=dtrain)
    np.testing.assert_array_equal(dense(dstr)[:, 0], [1.0, 0.0])


def test_to_feature_matrix_passthrough():
    fm = to_feature_matrix(np.ones((2, 2)))
    assert isinstance(fm, FeatureMatrix)
    assert to_feature_matrix(fm) is fm
    assert fm.shape == (2, 2)


# -- pyarrow / polars -------------------------------------------------------------------------
def test_pyarrow_table():
    table = pa.table({
        "i": pa.array([1, None, 3], pa.int32()),
        "f": pa.array([0.5, 1.5, None], pa.float32()),
        "b": pa.array([True, False, None]),
        "d": pa.array(["u", None, "v"]).dictionary_encode(),
    })
    ds = gbt.Dataset(table, [0, 1, 0])
    v = dense(ds)
    assert ds.feature_names == ["i", "f", "b", "d"]
    np.testing.assert_array_equal(v[:, 0], [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(v[:, 1], [0.5, 1.5, np.nan])
    np.testing.assert_array_equal(v[:, 2], [1.0, 0.0, np.nan])
    np.testing.assert_array_equal(v[:, 3], [0.0, np.nan, 1.0])
    assert ds.features.categories == {3: ["u", "v"]}
    # Chunked columns work too.
    chunked = pa.concat_tables([table, table])
    np.testing.assert_array_equal(dense(gbt.Dataset(chunked)), np.r_[v, v])


def test_pyarrow_string_column_rejected():
    table = pa.table({"s": ["a", "b"], "x": [1.0, 2.0]})
    with pytest.raises(TypeError, match=r"\['s'\].*not numeric and not categorical"):
        gbt.Dataset(table)


def test_polars_dataframe():
    pl = pytest.importorskip("polars")
    df = pl.DataFrame({
        "a": [1, None, 3],
        "b": [0.5, 1.5, 2.5],
        "c": pl.Series(["x", "y", None], dtype=pl.Categorical),
    })
    ds = gbt.Dataset(df, [0, 1, 1])
    v = dense(ds)
    assert ds.feature_names == ["a", "b", "c"]
    np.testing.assert_array_equal(v[:, 0], [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(v[:, 1], [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(v[:, 2], [0.0, 1.0, np.nan])
    assert ds.features.categories == {2: ["x", "y"]}
    with pytest.raises(TypeError, match="not numeric and not categorical"):
        gbt.Dataset(pl.DataFrame({"s": ["p", "q"]}))


# -- scipy.sparse -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_becomes_csc_keeping_explicit_zeros(fmt):
    rows = np.array([0, 1, 2, 2])
    cols = np.array([0, 1, 0, 1])
    data = np.array([1.0, 0.0, 3.0, 4.0])  # an explicit zero at (1, 1)
    S = sp.coo_matrix((data, (rows, cols)), shape=(4, 2)).asformat(fmt)
    assert S.nnz == 4
    ds = gbt.Dataset(S, [0, 1, 0, 1])
    v = ds.features.values
    assert ds.features.is_sparse and sp.isspmatrix_csc(v)
    assert v.nnz == 4  # the explicit zero is still stored (it is a value, not missing)
    assert v.has_sorted_indices
    assert v.dtype == np.float64
    np.testing.assert_array_equal(v.toarray(), S.toarray())


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_prediction_keeps_sparse_rows_as_csr(fmt):
    from gbt.data import to_feature_matrix
    S = sp.random(30, 5, density=0.3, format=fmt, random_state=0, dtype=np.float32)
    v = to_feature_matrix(S, sparse_format="csr").values
    assert v.format == "csr" and v.dtype == np.float32
    np.testing.assert_array_equal(v.toarray(), S.toarray())
    # a prediction FeatureMatrix handed to training becomes CSC with sorted indices
    back = to_feature_matrix(to_feature_matrix(S, sparse_format="csr")).values
    assert back.format == "csc" and back.has_sorted_indices
    np.testing.assert_array_equal(back.toarray(), S.toarray())
    with pytest.raises(ValueError, match="sparse_format='coo'"):
        to_feature_matrix(S, sparse_format="coo")


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_prediction_matches_dense(fmt):
    rng = np.random.default_rng(2)
    dense = rng.standard_normal((400, 6))
    dense[rng.random(dense.shape) < 0.6] = np.nan
    y = (np.nan_to_num(dense[:, 0]) > 0).astype(float)
    S = sp.csr_matrix(np.nan_to_num(dense, nan=0.0)).asformat(fmt)
    S.eliminate_zeros()  # absent = missing, exactly where dense has NaN
    booster = gbt.train({"max_leaves": 8, "n_jobs": 1}, gbt.Dataset(dense, y), 5)
    np.testing.assert_array_equal(booster.predict(S), booster.predict(dense))
    clf = gbt.GBTClassifier(n_estimators=5, max_leaves=8).fit(dense, y)
    np.testing.assert_array_equal(clf.predict_proba(S), clf.predict_proba(dense))


def test_sparse_prediction_past_one_byte_codes_matches_dense():
    """Sparse rows are walked on one-byte codes of the forest's thresholds; a forest with more
    distinct thresholds on a feature than a byte ranks densifies them instead: the same
    predictions either way."""
    rng = np.random.default_rng(4)
    dense = rng.normal(size=(3000, 2))
    dense[rng.random(dense.shape) < 0.3] = np.nan
    y = np.nan_to_num(dense[:, 0]) + 0.1 * rng.normal(size=3000)
    S = sp.csr_matrix(np.nan_to_num(dense, nan=0.0))
    S.eliminate_zeros()
    params = {"objective": "reg:squarederror", "max_bin": 2000, "max_leaves": 64,
              "min_child_samples": 2, "n_jobs": 2}
    booster = gbt.train(params, gbt.Dataset(dense, y), 20)
    assert booster._forest(0, 20).coded_walk is None
    assert booster._forest(0, 1).coded_walk is not None
    np.testing.assert_array_equal(booster.predict(S), booster.predict(dense))
    first = booster.predict(S, iteration_range=(0, 1))
    np.testing.assert_array_equal(first, booster.predict(dense, iteration_range=(0, 1)))


def test_sparse_int_and_float32():
    S = sp.csr_matrix(np.array([[1, 0], [0, 2]], dtype=np.int64))
    assert gbt.Dataset(S).features.values.dtype == np.float64
    S32 = sp.csr_matrix(np.array([[1, 0], [0, 2]], dtype=np.float32))
    assert gbt.Dataset(S32).features.values.dtype == np.float32


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_labels(bad):
    y = np.array([0.0, 1.0, bad])
    with pytest.raises(ValueError, match="label contains NaN or inf"):
        gbt.Dataset(np.ones((3, 2)), y)


def test_mismatched_lengths():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="label has 3 rows but the data has 4"):
        gbt.Dataset(X, [0, 1, 0])
    with pytest.raises(ValueError, match="weight has 5 rows but the data has 4"):
        gbt.Dataset(X, [0, 1, 0, 1], weight=np.ones(5))
    with pytest.raises(ValueError, match="base_margin has 2 rows"):
        gbt.Dataset(X, [0, 1, 0, 1], base_margin=np.zeros(2))
    with pytest.raises(ValueError, match="label must be 1-D or 2-D"):
        gbt.Dataset(X, np.zeros((4, 2, 2)))
    assert gbt.Dataset(X, np.zeros((4, 2))).label.shape == (4, 2)  # multi-output labels


def test_bad_weights():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="negative"):
        gbt.Dataset(X, [0, 1, 0], weight=[1.0, -0.5, 1.0])
    with pytest.raises(ValueError, match="sums to zero"):
        gbt.Dataset(X, [0, 1, 0], weight=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="weight contains NaN or inf"):
        gbt.Dataset(X, [0, 1, 0], weight=[1.0, np.nan, 1.0])
    with pytest.raises(TypeError, match="weight must be numeric"):
        gbt.Dataset(X, [0, 1, 0], weight=["a", "b", "c"])


@pytest.mark.parametrize("X", [np.empty((0, 3)), np.empty((5, 0)), pd.DataFrame({"a": []}),
                               sp.csr_matrix((0, 4))])
def test_empty_data(X):
    with pytest.raises(ValueError, match="empty"):
        gbt.Dataset(X)


def test_string_columns_not_categorical():
    df = pd.DataFrame({"x": [1.0, 2.0], "name": ["ann", "bob"], "city": ["x", "y"]})
    with pytest.raises(TypeError, match=r"\['name', 'city'\] are not numeric and not categ"):
        gbt.Dataset(df)
    with pytest.raises(TypeError, match="dtype <U3"):
        gbt.Dataset(np.array([["abc", "def"]]))
    with pytest.raises(TypeError, match="Unsupported feature data type"):
        gbt.Dataset({"a": [1, 2]})


@pytest.mark.parametrize("make", [
    lambda X: X,
    lambda X: X.astype(np.float32),
    lambda X: pd.DataFrame(X),
    lambda X: sp.csr_matrix(X),
])
def test_inf_in_features(make):
    X = np.arange(6.0).reshape(3, 2)
    X[1, 1] = np.inf
    with pytest.raises(ValueError, match="contains inf; use NaN for missing"):
        gbt.Dataset(make(X))


def test_one_d_and_three_d_features():
    with pytest.raises(ValueError, match=r"1-D.*reshape\(-1, 1\)"):
        gbt.Dataset(np.arange(5.0), np.arange(5.0))
    with pytest.raises(ValueError, match="3 dimensions"):
        gbt.Dataset(np.zeros((2, 2, 2)))


def test_feature_name_errors():
    with pytest.raises(ValueError, match="Got 1 feature names for 2 features"):
        gbt.Dataset(np.ones((2, 2)), feature_names=["a"])
    with pytest.raises(ValueError, match="unique"):
        gbt.Dataset(np.ones((2, 2)), feature_names=["a", "a"])


def test_check_int():
    assert check_int("n", 3, 1) == 3
    assert check_int("n", np.int64(3), 0) == 3
    for bad in (0, True, 2.0, "3"):
        with pytest.raises(ValueError, match="n must be an integer >= 1"):
            check_int("n", bad, 1)


def test_unseen_category_is_missing_without_deprecated_pandas_path():
    """New data holding a category the training set never saw codes it as missing.

    pandas warns that building a Categorical from values outside the given categories will
    raise in a future version, so this must work without that deprecation warning.
    """
    import warnings
    dtrain = gbt.Dataset(pd.DataFrame({"c": pd.Categorical(["a", "b"])}), [0, 1])
    new = pd.DataFrame({"c": pd.Categorical(["b", "unseen", "a"])})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        warnings.simplefilter("error", FutureWarning)
        dnew = gbt.Dataset(new, reference=dtrain)
    np.testing.assert_array_equal(dense(dnew)[:, 0], [1.0, np.nan, 0.0])


def test_feature_data_without_rows_is_refused_unless_allowed():
    """Training and prediction refuse data without rows or features; a Dask shard may hold
    no rows (allow_no_rows) but still needs its features."""
    with pytest.raises(ValueError, match=r"Feature data is empty: shape \(0, 3\)"):
        to_feature_matrix(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"Feature data is empty: shape \(4, 0\)"):
        to_feature_matrix(np.zeros((4, 0)), allow_no_rows=True)
    empty = to_feature_matrix(np.zeros((0, 3)), allow_no_rows=True)
    assert empty.shape == (0, 3) and empty.feature_names == ["f0", "f1", "f2"]
