"""The command line: the same numbers as Python on CSV, Parquet and LibSVM; one-line errors
with exit status 2 for user mistakes; nothing half-written when a run fails or is killed."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import gbt
from gbt.callback import ProgressBar
from gbt.cli import main
from gbt.io import read_data

from .conftest import data_path


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"x1": rng.standard_normal(n), "x2": rng.standard_normal(n),
                       "color": rng.choice(["red", "green", "blue"], n)})
    df.loc[rng.random(n) < 0.1, "x2"] = np.nan
    df["y"] = (df["x1"] + (df["color"] == "red") > 0.5).astype(int)
    df["amount"] = df["x1"] * 3 + rng.standard_normal(n)
    return df


def _write(df, path):
    df.to_parquet(path) if str(path).endswith(".parquet") else df.to_csv(path, index=False)
    return str(path)


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".tsv"])
def test_train_predict_matches_python(tmp_path, frame, suffix, capsys):
    data = tmp_path / f"d{suffix}"
    if suffix == ".tsv":
        frame.to_csv(data, sep="\t", index=False)
    else:
        _write(frame, data)
    model, preds = tmp_path / "m.json", tmp_path / "p.csv"
    assert main(["train", str(data), "--target", "y", "--drop", "amount", "--num-boost-round",
                 "10", "--set", "max_depth=3", "--out", str(model)]) == 0
    assert main(["predict", str(model), str(data), "--out", str(preds)]) == 0
    out = pd.read_csv(preds)
    booster = gbt.Booster.load_model(model)
    X = frame.drop(columns=["y", "amount"]).assign(
        color=lambda d: d["color"].astype("category"))
    np.testing.assert_allclose(out["probability_1"], booster.predict(X), rtol=1e-12)
    np.testing.assert_array_equal(out["predicted_label"], booster.predict(X) >= 0.5)
    assert booster.objective.name == "binary:logistic"
    assert booster.params["max_depth"] == 3
    python = gbt.train({"objective": "binary:logistic", "max_depth": 3}, gbt.Dataset(X, frame.y),
                       10)
    np.testing.assert_allclose(python.predict(X), booster.predict(X), rtol=1e-12)


def test_text_labels_multiclass_and_parquet_output(tmp_path, frame, capsys):
    frame["label"] = np.where(frame.x1 > 0.5, "high", np.where(frame.x1 < -0.5, "low", "mid"))
    data = _write(frame.drop(columns=["y", "amount"]), tmp_path / "d.parquet")
    model, preds = tmp_path / "m.json", tmp_path / "p.parquet"
    assert main(["train", data, "--target", "label", "--num-boost-round", "20", "--quiet",
                 "--out", str(model)]) == 0
    assert main(["predict", str(model), data, "--out", str(preds), "--quiet"]) == 0
    out = pq.read_table(preds).to_pandas()
    assert list(out.columns) == ["probability_high", "probability_low", "probability_mid",
                                 "predicted_label"]
    assert (out["predicted_label"] == frame["label"]).mean() > 0.95
    code, text, _ = _run(["info", model], capsys)
    assert code == 0 and "multi:softprob" in text and "classes: high, low, mid" in text


def test_libsvm_round_trip(tmp_path, capsys):
    from sklearn.datasets import dump_svmlight_file
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 5))
    X[X < -0.5] = 0.0  # absent in the file = missing
    y = X[:, 0] * 2 + X[:, 1]
    path = tmp_path / "d.svm"
    dump_svmlight_file(X, y, str(path))
    model, preds = tmp_path / "m.json", tmp_path / "p.csv"
    assert main(["train", str(path), "--num-boost-round", "15", "--quiet",
                 "--out", str(model)]) == 0
    assert main(["predict", str(model), str(path), "--out", str(preds), "--quiet"]) == 0
    data = read_data(str(path))
    booster = gbt.Booster.load_model(model)
    np.testing.assert_allclose(pd.read_csv(preds)["prediction"], booster.predict(data.sparse),
                               rtol=1e-12)
    assert booster.objective.name == "reg:squarederror"


def test_valid_set_early_stopping_config_and_set(tmp_path, frame, capsys):
    train = _write(frame.iloc[:400], tmp_path / "train.csv")
    valid = _write(frame.iloc[400:], tmp_path / "valid.parquet")
    config = tmp_path / "params.toml"
    config.write_text('learning_rate = 0.5\nmax_depth = 2\nobjective = "reg:squarederror"\n')
    model = tmp_path / "m.json"
    code, _, _ = _run(["train", train, "--target", "amount", "--drop", "y", "--valid", valid,
                       "--early-stopping-rounds", "3", "--num-boost-round", "300", "--config",
                       config, "--set", "max_depth=4", "--quiet", "--out", model], capsys)
    assert code == 0
    booster = gbt.Booster.load_model(model)
    assert booster.params["learning_rate"] == 0.5 and booster.params["max_depth"] == 4
    assert booster.best_iteration is not None and booster.num_boosted_rounds() < 300


def test_eval_importance_plot_and_cv(tmp_path, frame, capsys):
    pytest.importorskip("matplotlib")
    data = _write(frame, tmp_path / "d.csv")
    model = tmp_path / "m.json"
    assert main(["train", data, "--target", "amount", "--drop", "y", "--num-boost-round", "10",
                 "--quiet", "--out", str(model)]) == 0
    code, out, _ = _run(["eval", model, data, "--metric", "rmse,mae"], capsys)
    booster = gbt.Booster.load_model(model)
    X = frame.drop(columns=["y", "amount"]).assign(
        color=lambda d: d["color"].astype("category"))
    rmse = np.sqrt(np.mean((booster.predict(X) - frame.amount) ** 2))
    assert code == 0 and out.splitlines()[0] == f"rmse\t{rmse:.6g}"
    plot = tmp_path / "imp.png"
    code, out, _ = _run(["importance", model, "--type", "split", "--plot", plot], capsys)
    assert code == 0 and out.splitlines()[0].startswith("x1\t") and plot.stat().st_size > 0
    cv_out = tmp_path / "cv.csv"
    code, out, _ = _run(["cv", data, "--target", "amount", "--drop", "y", "--nfold", "3",
                         "--num-boost-round", "8", "--out", cv_out], capsys)
    table = pd.read_csv(cv_out)
    assert code == 0 and len(table) == 8 and "test-rmse-mean" in table
    assert f"{table['test-rmse-mean'].iloc[-1]:.6g}" in out


@pytest.mark.slow
def test_tune_writes_a_config_that_train_reads(tmp_path, frame, capsys):
    data = _write(frame, tmp_path / "d.csv")
    config = tmp_path / "space.toml"
    config.write_text("[space]\nmax_depth = [2, 3]\nlearning_rate = {low = 0.05, high = 0.5, "
                      "log = true}\n")
    best = tmp_path / "best.toml"
    code, out, _ = _run(["tune", data, "--target", "y", "--drop", "amount", "--config", config,
                         "--n-trials", "4", "--nfold", "2", "--num-boost-round", "10",
                         "--quiet", "--out", best], capsys)
    assert code == 0 and "best cross-validated score" in out
    model = tmp_path / "m.json"
    assert main(["train", data, "--target", "y", "--drop", "amount", "--config", str(best),
                 "--quiet", "--out", str(model)]) == 0
    booster = gbt.Booster.load_model(model)
    assert booster.params["max_depth"] in (2, 3) and booster.num_boosted_rounds() == 10


def test_distribution_and_leaf_outputs(tmp_path, frame, capsys):
    data = _write(frame, tmp_path / "d.parquet")
    model, preds = tmp_path / "m.json", tmp_path / "p.csv"
    assert main(["train", data, "--target", "amount", "--drop", "y", "--task", "distribution",
                 "--num-boost-round", "30", "--quiet", "--out", str(model)]) == 0
    assert main(["predict", str(model), data, "--dist", "--quiet", "--out", str(preds)]) == 0
    booster = gbt.Booster.load_model(model)
    X = read_data(data).features_for(booster.feature_names)
    out = pd.read_csv(preds)
    for name, values in booster.pred_dist(X).params.items():
        np.testing.assert_allclose(out[name], values, rtol=1e-12)
    assert main(["predict", str(model), data, "--pred-leaf", "--quiet", "--out",
                 str(preds)]) == 0
    assert pd.read_csv(preds).shape == (len(frame), 30)


def test_progress_bar_draws_only_on_a_terminal_or_when_forced():
    import io
    X = np.random.default_rng(0).standard_normal((200, 3))
    d = gbt.Dataset(X, X[:, 0])
    stream = io.StringIO()
    gbt.train({}, d, 5, evals=[(d, "train")], callbacks=[ProgressBar(5, stream=stream)])
    assert stream.getvalue() == ""  # a StringIO is not a terminal
    gbt.train({}, d, 5, evals=[(d, "train")],
              callbacks=[ProgressBar(5, stream=stream, force=True, min_interval=0)])
    text = stream.getvalue()
    assert "5/5" in text and "train-rmse" in text and text.endswith("\n")


@pytest.mark.parametrize("argv, message", [
    (["train", "nope.csv", "--target", "y", "--out", "m.json"], "no such file: nope.csv"),
    (["train", "d.csv", "--target", "nope", "--out", "m.json"], "target column 'nope'"),
    (["train", "d.csv", "--target", "y", "--weight", "w", "--out", "m.json"],
     "--weight column 'w'"),
    (["train", "d.csv", "--target", "color", "--task", "regression", "--out", "m.json"],
     "is not numeric"),
    (["train", "d.csv", "--target", "y", "--set", "max_depth", "--out", "m.json"],
     "key=value"),
    (["train", "d.csv", "--target", "y", "--set", "learning_rate=-1", "--out", "m.json"],
     "learning_rate"),
    (["train", "d.csv", "--target", "y", "--config", "nope.toml", "--out", "m.json"],
     "no such file: nope.toml"),
    (["train", "d.xlsx", "--target", "y", "--out", "m.json"], "unsupported file type"),
    (["train", "bad.parquet", "--target", "y", "--out", "m.json"], "cannot read bad.parquet"),
    (["train", "d.csv", "--out", "m.json"], "--target is required"),
    (["predict", "nope.json", "d.csv", "--out", "p.csv"], "no such model file"),
    (["predict", "d.csv", "d.csv", "--out", "p.csv"], "is not a gbt model"),
    (["predict", "model.json", "narrow.csv", "--out", "p.csv"], "not in narrow.csv"),
    (["predict", "model.json", "d.csv", "--out", "nodir/p.csv"], "no such directory"),
    (["predict", "model.json", "d.csv", "--out", "p.xlsx"], "unsupported output type"),
    (["eval", "model.json", "d.csv", "--target", "nope"], "target column 'nope'"),
])
def test_user_mistakes_are_one_line_and_write_nothing(tmp_path, monkeypatch, capsys, frame,
                                                      argv, message):
    monkeypatch.chdir(tmp_path)
    frame.to_csv("d.csv", index=False)
    frame[["x1"]].to_csv("narrow.csv", index=False)
    (tmp_path / "bad.parquet").write_bytes(b"not a parquet file")
    assert main(["train", "d.csv", "--target", "y", "--num-boost-round", "2", "--quiet",
                 "--out", "model.json"]) == 0
    before = set(os.listdir(tmp_path))
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert set(os.listdir(tmp_path)) == before  # no model, no predictions, no temp file


def _start_training(data, model, env):
    """``gbt train`` for many rounds in a subprocess, returned once it is training. SIGINT is
    reset to its default in the child: a job started in the background by a non-interactive
    shell (as CI runners may do) inherits SIGINT ignored, and Python then never sees Ctrl-C."""
    proc = subprocess.Popen([sys.executable, "-m", "gbt", "train", data, "--target", "amount",
                             "--num-boost-round", "100000", "--verbose", "--out", str(model)],
                            stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    line = proc.stderr.readline()  # --verbose reports the end of reading; then it trains
    assert "[time] read data" in line, line
    time.sleep(1.0)
    assert proc.poll() is None
    return proc


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                       (signal.SIGKILL, -signal.SIGKILL)])
def test_stopping_train_leaves_no_model_file(tmp_path, frame, sig, code):
    data = _write(pd.concat([frame] * 20, ignore_index=True), tmp_path / "d.csv")
    model = tmp_path / "m.json"
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    # a short run first compiles (or loads) every kernel, so the signal lands in training rounds
    subprocess.run([sys.executable, "-m", "gbt", "train", data, "--target", "amount",
                    "--num-boost-round", "2", "--quiet", "--out", str(model)], env=env,
                   check=True, timeout=600)
    model.unlink()
    proc = _start_training(data, model, env)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code
    if sig != signal.SIGKILL:
        assert err.strip().endswith("gbt: stopped; nothing written")
    assert os.listdir(tmp_path) == ["d.csv"]


def test_demo_writes_model(tmp_path, capsys):
    out = tmp_path / "demo.json"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "test auc" in text
    assert gbt.Booster.load_model(out).num_boosted_rounds() > 0


@pytest.mark.slow
def test_real_data_round_trip_bank(tmp_path, capsys):
    """lightgbm/bank.csv.gz (text categoricals, yes/no target): train on 3/4, predict the
    rest through the CLI; the same model in Python gives the same numbers."""
    from sklearn.metrics import roc_auc_score
    df = pd.read_csv(data_path("lightgbm/bank.csv.gz"))
    train, test = _write(df.iloc[:3400], tmp_path / "train.parquet"), \
        _write(df.iloc[3400:], tmp_path / "test.csv")
    model, preds = tmp_path / "m.json", tmp_path / "p.csv"
    assert main(["train", train, "--target", "y", "--num-boost-round", "100", "--set",
                 "learning_rate=0.1", "--set", "max_depth=4", "--quiet", "--out",
                 str(model)]) == 0
    assert main(["predict", str(model), test, "--out", str(preds), "--quiet"]) == 0
    out = pd.read_csv(preds)
    booster = gbt.Booster.load_model(model)
    X = read_data(test).features_for(booster.feature_names)
    np.testing.assert_allclose(out["probability_yes"], booster.predict(X), rtol=1e-12)
    assert roc_auc_score(df.y.iloc[3400:] == "yes", out["probability_yes"]) > 0.88
    code, text, _ = _run(["eval", model, test, "--metric", "auc"], capsys)
    assert code == 0 and float(text.split()[1]) > 0.88


def test_pred_contribs_columns_match_python(tmp_path, frame, capsys):
    data = _write(frame, tmp_path / "d.csv")
    model, preds = tmp_path / "m.json", tmp_path / "p.csv"
    assert main(["train", data, "--target", "y", "--drop", "amount", "--num-boost-round", "8",
                 "--quiet", "--out", str(model)]) == 0
    assert main(["predict", str(model), data, "--pred-contribs", "--quiet", "--out",
                 str(preds)]) == 0
    out = pd.read_csv(preds)
    assert list(out.columns) == ["contrib_x1", "contrib_x2", "contrib_color", "contrib_bias"]
    booster = gbt.Booster.load_model(model)
    X = read_data(data).features_for(booster.feature_names)
    np.testing.assert_allclose(out.to_numpy(), booster.predict(X, pred_contribs=True),
                               rtol=1e-12)
    np.testing.assert_allclose(out.sum(axis=1), booster.predict(X, output_margin=True),
                               atol=1e-9)
