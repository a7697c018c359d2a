"""The command line: train/predict on CSV and Parquet give the same numbers as Python."""
import numpy as np
import pandas as pd
import pytest

import gbt
from gbt.cli import main


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"x1": rng.standard_normal(n), "x2": rng.standard_normal(n),
                       "color": rng.choice(["red", "green", "blue"], n)})
    df.loc[rng.random(n) < 0.1, "x2"] = np.nan
    df["y"] = (df["x1"] + (df["color"] == "red") > 0.5).astype(int)
    return df


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_train_predict_matches_python(tmp_path, frame, suffix, capsys):
    data = tmp_path / f"d{suffix}"
    frame.to_csv(data, index=False) if suffix == ".csv" else frame.to_parquet(data)
    model, preds = tmp_path / "m.json", tmp_path / "p.csv"
    assert main(["train", str(data), "--target", "y", "--num-boost-round", "10",
                 "--set", "max_depth=3", "--out", str(model)]) == 0
    assert main(["predict", str(model), str(data), "--out", str(preds)]) == 0
    cli_pred = pd.read_csv(preds)["prediction"].to_numpy()
    booster = gbt.Booster.load_model(model)
    X = frame.drop(columns="y").assign(color=lambda d: d["color"].astype("category"))
    np.testing.assert_allclose(cli_pred, booster.predict(X), rtol=1e-12)
    assert booster.objective.name == "binary:logistic"


def test_demo_writes_model(tmp_path, capsys):
    out = tmp_path / "demo.json"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "test auc" in text
    assert gbt.Booster.load_model(out).num_boosted_rounds() > 0


@pytest.mark.parametrize("argv, message", [
    (["train", "nope.csv", "--target", "y", "--out", "m.json"], "no such file"),
    (["predict", "nope.json", "x.csv", "--out", "p.csv"], "no such file"),
])
def test_user_mistakes_are_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_unknown_target_column(tmp_path, frame, capsys):
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    assert main(["train", str(data), "--target", "nope", "--out", str(tmp_path / "m")]) == 2
    assert "target column 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
