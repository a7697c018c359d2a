"""Reliability under load: concurrent prediction and training from Python threads, and Ctrl-C
during a fit (issue 11). Model-file fuzzing is in test_model_fuzz.py; the command line's stop
signals in test_cli.py."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import gbt


def _data(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 8))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.sin(np.nan_to_num(X[:, 1])) +
         0.5 * rng.standard_normal(n) > 0).astype(float)
    return X, y


def _run_threads(fns):
    results, errors = [None] * len(fns), []

    def worker(i, fn):
        try:
            results[i] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return results


def test_predict_from_eight_threads_matches_serial_calls():
    X, y = _data()
    booster = gbt.train({"objective": "binary:logistic", "max_depth": 5, "n_jobs": 2},
                        gbt.Dataset(X, y), 30)
    slices = [slice(i * 500, (i + 1) * 500) for i in range(8)]
    serial = [booster.predict(X[s]) for s in slices]
    serial_margin = booster.predict(X, output_margin=True)
    for _ in range(3):
        got = _run_threads([lambda s=s: booster.predict(X[s]) for s in slices] +
                           [lambda: booster.predict(X, output_margin=True)] * 2)
        for a, b in zip(got[:8], serial):
            np.testing.assert_array_equal(a, b)
        for margin in got[8:]:
            np.testing.assert_array_equal(margin, serial_margin)


def test_two_models_train_in_parallel_threads_as_they_do_alone():
    X, y = _data()
    X2, y2 = _data(seed=1)
    params = [{"objective": "binary:logistic", "max_depth": 4, "n_jobs": 2},
              {"objective": "reg:squarederror", "grow_policy": "lossguide", "max_leaves": 15,
               "n_jobs": 1, "subsample": 0.8}]
    data = [(X, y), (X2, np.nan_to_num(X2[:, 2]))]
    alone = [gbt.train(p, gbt.Dataset(*d), 20).save_raw() for p, d in zip(params, data)]
    together = _run_threads([lambda p=p, d=d: gbt.train(p, gbt.Dataset(*d), 20).save_raw()
                             for p, d in zip(params, data)])
    assert together == alone


CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    import gbt

    class Started(gbt.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            if epoch == 2:
                print("training", flush=True)
            return False

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 10))
    y = X[:, 0] + rng.standard_normal(20000)
    try:
        gbt.train({"max_depth": 6, "n_jobs": 1}, gbt.Dataset(X, y), 100000,
                  callbacks=[Started()])
    except KeyboardInterrupt:
        print("interrupted", time.perf_counter(), flush=True)
        sys.exit(3)
""")


def test_ctrl_c_during_train_raises_keyboard_interrupt_within_a_tree():
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True,
                            env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline().strip() == "training"
        time.sleep(0.5)
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        waited = time.perf_counter() - sent
    finally:
        proc.kill()
    assert proc.returncode == 3, out
    assert out.startswith("interrupted")
    # a tree on 20,000 rows takes milliseconds: the interrupt lands at the next one
    assert waited < 5.0


def test_a_swallowed_ctrl_c_still_stops_training_at_the_next_round():
    """Python raises KeyboardInterrupt at whatever runs next, and C code that clears errors can
    swallow it; the handler also records the stop, and the boosting loop raises it between
    rounds. Simulated here: a callback records a stop as the handler would, raising nothing."""
    from gbt import errors
    seen = []

    class SwallowedSignal(gbt.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            seen.append(epoch)
            if epoch == 3:
                errors.request_stop()  # what the SIGINT handler records before raising
            return False

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    with pytest.raises(KeyboardInterrupt):
        gbt.train({"max_depth": 2, "n_jobs": 1}, gbt.Dataset(X, X[:, 0]), 50,
                  callbacks=[SwallowedSignal()])
    assert seen == [0, 1, 2, 3]  # stopped at the start of the next round
    # the handler is put back and nothing is left pending for the next fit
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert gbt.train({"max_depth": 2, "n_jobs": 1}, gbt.Dataset(X, X[:, 0]),
                     5).num_boosted_rounds() == 5
