"""The model loader's contract under attack: ValueError or a working model, nothing else.

A short run of the fuzzer in ``tests/model_fuzz.py`` (``bench/fuzz_model.py`` runs 100,000
cases), and one test per kind of malformed file the fuzzer found crashing the loader before.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import gbt

from .model_fuzz import check_text, run_case, seed_models

FUZZ_CASES = 1500


def test_fuzzed_model_files_load_or_raise_value_error():
    outcomes = {}
    for seed in range(FUZZ_CASES):
        outcome = run_case(seed)  # anything but ValueError propagates and fails the test
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes.get("rejected", 0) > FUZZ_CASES // 4
    assert outcomes.get("loaded", 0) > FUZZ_CASES // 20  # mutations that keep a valid model


def _doc():
    return json.loads(seed_models()[0])


def _expect_rejected(doc_or_text, match):
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text)
    with pytest.raises(ValueError, match=match):
        gbt.Booster.load_raw(text.encode())


def test_valid_seed_models_round_trip():
    for text in seed_models():
        assert check_text(text) == "loaded"
        booster = gbt.Booster.load_raw(text.encode())
        assert json.loads(booster.save_raw()) == json.loads(text)


def test_integer_too_large_for_the_field_is_rejected():
    doc = _doc()
    doc["trees"][0]["feature"][0] = 2**63
    _expect_rejected(doc, "feature")


def test_tree_field_that_is_not_a_list_is_rejected():
    doc = _doc()
    doc["trees"][0]["feature"] = 7
    _expect_rejected(doc, "feature")


def test_nested_lists_in_a_flat_tree_field_are_rejected():
    doc = _doc()
    n = len(doc["trees"][0]["left"])
    doc["trees"][0]["left"] = [[1, 2]] * n
    _expect_rejected(doc, "flat list")


@pytest.mark.parametrize("params", [7, [], {"n_jobs": [1]}, {"max_bin": "many"},
                                    {"device": "tpu"}])
def test_invalid_params_field_is_rejected(params):
    doc = _doc()
    doc["params"] = params
    _expect_rejected(doc, "params")


@pytest.mark.parametrize("base", [[True], [2**1100], ["0.5"], []])
def test_base_score_that_is_not_finite_numbers_is_rejected(base):
    doc = _doc()
    doc["base_score"] = base
    _expect_rejected(doc, "base_score")


def test_deep_nesting_truncation_and_non_json_constants_are_rejected():
    text = seed_models()[0]
    _expect_rejected(text[:len(text) // 2], "not a valid gbt model file")
    _expect_rejected("[" * 100_000 + "]" * 100_000, "not a valid gbt model file|JSON object")
    _expect_rejected(text.replace('"base_score": [', '"base_score": [NaN, ', 1),
                     "not a valid gbt model file|NaN")
    with pytest.raises(ValueError, match="not a valid gbt model file"):
        gbt.Booster.load_raw(b"\xff\xfe\x00garbage")


def test_load_model_reads_through_load_raw(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(seed_models()[0][:100])
    with pytest.raises(ValueError, match=str(path)):
        gbt.Booster.load_model(path)
    path.write_text(seed_models()[0])
    X = np.zeros((2, gbt.Booster.load_model(path).num_features))
    assert np.isfinite(gbt.Booster.load_model(path).predict(X)).all()
