"""Dtypes are coerced once at the boundary, so each kernel compiles once per supported input
dtype: fits on pandas, F-order or read-only data must add no new Numba signatures."""
import numpy as np
import pandas as pd

import gbt
from gbt._native.backend import get_backend


def _signature_counts():
    _, kernels = get_backend("cpu")
    return {name: len(getattr(fn, "signatures", ())) for name, fn in vars(kernels).items()}


def _fit_predict(X, y):
    b = gbt.train({"max_depth": 3, "subsample": 0.9}, gbt.Dataset(X, y), 2)
    b.predict(X)
    b.predict(X, pred_leaf=True)


def test_no_new_signatures_for_pandas_fortran_or_readonly():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 4))
    y = X[:, 0]
    _fit_predict(X, y)                      # float64
    _fit_predict(X.astype(np.float32), y)   # float32
    after_two_dtypes = _signature_counts()
    readonly = X.copy()
    readonly.setflags(write=False)
    _fit_predict(readonly, y)
    _fit_predict(np.asfortranarray(X), y)
    _fit_predict(pd.DataFrame(X, columns=list("abcd")), y)
    _fit_predict(X.astype(np.int64), y)
    assert _signature_counts() == after_two_dtypes
    # and the float32 / float64 pair compiled at most two variants of any kernel
    assert max(after_two_dtypes.values()) <= 2 + 2  # (+2: uint16 bins if another test used them)
