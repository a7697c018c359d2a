"""Shared fixtures: small synthetic data and the real datasets in ../shared/data (skipped when
that folder is absent, as in a user's fresh clone)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

DATA_DIR = Path(os.environ.get("GBT_DATA_DIR",
                               Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def data_path(relative: str) -> Path:
    """Path of a shared dataset, or skip the test with the reason."""
    path = DATA_DIR / relative
    if not path.exists():
        pytest.skip(f"real dataset {relative} not found under {DATA_DIR} "
                    "(set GBT_DATA_DIR or check out ../shared/data)")
    return path


@pytest.fixture
def binary_data():
    from sklearn.datasets import make_classification
    X, y = make_classification(3000, 10, n_informative=6, random_state=0)
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    return X, y.astype(float)


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2000, 6))
    y = X[:, 0] * 2 + np.sin(3 * X[:, 1]) + 0.1 * rng.standard_normal(2000)
    return X, y
