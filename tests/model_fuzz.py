"""Model-file fuzzing: mutate valid model files and check the loader's contract.

The contract (issue 11): loading any byte string either raises ``ValueError`` or gives a model
that predicts without crashing; it never raises anything else, never hangs, never runs out of
memory and never executes code (the loader is JSON only). ``run_case(seed)`` checks one
mutated file; ``tests/test_model_fuzz.py`` runs a few thousand cases and
``bench/fuzz_model.py`` the full run.
"""
from __future__ import annotations

import copy
import functools
import json
import random

import numpy as np

import gbt

# Values a mutation may put anywhere.
NASTY = [None, True, False, 0, 1, -1, 2, -2, 7, 255, 65535, 2**31 - 1, 2**31, -2**31 - 1,
         2**63, -2**63 - 1, 10**30, 0.5, -0.5, 1e308, -1e308, 1e-320, "", "x", "nan",
         "binary:logistic", [], [0], [[]], {}, {"a": 1}, [1, 2, 3], [None], [-1, -1]]


@functools.lru_cache(maxsize=None)
def seed_models() -> tuple:
    """A few small valid model files (as JSON text) covering the file format's branches."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + rng.standard_normal(300) > 0).astype(float)
    y3 = np.digitize(np.nan_to_num(X[:, 1]), [-0.5, 0.5]).astype(float)
    base = {"max_depth": 3, "n_jobs": 1}
    models = [
        gbt.train({**base, "objective": "binary:logistic"}, gbt.Dataset(X, y), 4),
        gbt.train({**base, "objective": "multi:softprob", "multi_strategy": "condensed"},
                  gbt.Dataset(X, y3), 3),
        gbt.train({**base, "objective": "reg:squarederror"}, gbt.Dataset(X, np.nan_to_num(X[:, 2])), 2),
        gbt.train({**base, "objective": "distribution:normal"},
                  gbt.Dataset(X, np.nan_to_num(X[:, 3])), 3),
    ]
    import pandas as pd
    frame = pd.DataFrame({"a": X[:, 0], "c": pd.Categorical(rng.choice(list("pqrst"), 300))})
    models.append(gbt.train({**base, "objective": "binary:logistic"}, gbt.Dataset(frame, y), 3))
    booster = models[0]
    booster.set_attr(note="seed")
    return tuple(m.save_raw().decode() for m in models)


def _paths(node, prefix=()):
    """Every (path, value) inside a JSON document."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _set(doc, path, value):
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def _delete(doc, path):
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return doc


def _mutate_value(rnd: random.Random, value):
    kind = rnd.randrange(6)
    if kind == 0 or not isinstance(value, (int, float, list, str)):
        return copy.deepcopy(rnd.choice(NASTY))
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rnd.choice([-2, -1, 1, 2, 10**6, -(10**6)])
    if isinstance(value, float):
        return rnd.choice([value * -1, value * 1e300, value + 1, 0.0, float(int(value))])
    if isinstance(value, list):
        if kind == 1 and value:
            return value[:rnd.randrange(len(value))]  # truncated
        if kind == 2:
            return value + copy.deepcopy(value[:1]) * rnd.randrange(1, 4)  # lengthened
        if kind == 3 and len(value) > 1:
            out = list(value)
            rnd.shuffle(out)
            return out
        return [copy.deepcopy(rnd.choice(NASTY)) for _ in value]
    return copy.deepcopy(rnd.choice(NASTY))


def mutate(rnd: random.Random, text: str) -> str:
    """One mutated model file: structural (JSON value) edits, or byte edits of the text."""
    kind = rnd.random()
    if kind < 0.15:  # bytes: truncate, flip, or splice
        b = bytearray(text.encode())
        op = rnd.randrange(3)
        if op == 0:
            return b[:rnd.randrange(len(b))].decode(errors="replace")
        for _ in range(rnd.randrange(1, 8)):
            i = rnd.randrange(len(b))
            b[i] = rnd.randrange(256) if op == 1 else ord(rnd.choice('{}[]",:0-9e.'))
        return b.decode(errors="replace")
    if kind < 0.2:  # deep nesting somewhere
        depth = rnd.choice([100, 1000, 100_000])
        doc = json.loads(text)
        paths = [p for p, _ in _paths(doc)]
        return json.dumps(_set(doc, rnd.choice(paths), None)).replace(
            "null", "[" * depth + "]" * depth, 1)
    doc = json.loads(text)
    for _ in range(rnd.randrange(1, 4)):
        paths = [p for p, _ in _paths(doc)]
        path = rnd.choice(paths)
        if path and rnd.random() < 0.2:
            doc = _delete(doc, path)
        elif path and rnd.random() < 0.1 and isinstance(doc, dict):
            doc[rnd.choice(["extra", "trees", "params", "objective"])] = copy.deepcopy(rnd.choice(NASTY))
        else:
            value = doc
            for key in path:
                value = value[key]
            doc = _set(doc, path, _mutate_value(rnd, value))
    return json.dumps(doc)


@functools.lru_cache(maxsize=None)
def _probe_rows():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 5))
    X[::4, 1] = np.nan
    return X


def check_text(text: str) -> str:
    """Load ``text`` as a model file and predict with it: "rejected" (ValueError) or "loaded".
    Anything else propagates: that is a failure of the contract."""
    try:
        booster = gbt.Booster.load_raw(text.encode())
    except ValueError:
        return "rejected"
    X = _probe_rows()[:, :booster.num_features] if booster.num_features <= 5 else \
        np.zeros((3, booster.num_features))
    try:
        booster.predict(X)
        booster.predict(X, output_margin=True)
    except ValueError:  # e.g. a model for other data: a clear error, not a crash
        pass
    return "loaded"


def run_case(seed: int) -> str:
    rnd = random.Random(seed)
    models = seed_models()
    return check_text(mutate(rnd, models[seed % len(models)]))
