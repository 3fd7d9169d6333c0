"""Tests of the sklearn-mgc command: --help, fit, evaluate, predict (long, corrupt files), study."""

import json
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import soundfile as sf

from sklearn_mgc.cli import main
from sklearn_mgc.datasets import make_genre_clips

SUBCOMMANDS = ("study", "predict", "fit", "evaluate", "embed")


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_help_of_every_subcommand(sub, capsys):
    with pytest.raises(SystemExit) as exc:
        main([sub, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: sklearn-mgc {sub}")


def test_top_level_help_and_no_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for sub in SUBCOMMANDS:
        assert sub in out
    assert main([]) == 2


def test_python_dash_m_is_the_same_command():
    proc = subprocess.run(
        [sys.executable, "-m", "sklearn_mgc", "predict", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    assert "usage: sklearn-mgc predict" in proc.stdout and "--top" in proc.stdout


@pytest.fixture(scope="module")
def folder_and_model(tmp_path_factory):
    """A <genre>/<file> tree of 1-s synthetic clips and a pipeline fitted on it with `fit`."""
    root = tmp_path_factory.mktemp("cli")
    X, y = make_genre_clips(5, duration=1.0, genres=["metal", "classical", "disco"], random_state=0)
    for i, (clip, genre) in enumerate(zip(X, y)):
        (root / "data" / genre).mkdir(parents=True, exist_ok=True)
        sf.write(root / "data" / genre / f"{genre}.{i:05d}.wav", clip, 22050)
    model = root / "model.joblib"
    status = main(
        [
            "fit",
            "--data",
            str(root / "data"),
            "--feature",
            "mfcc",
            "--model",
            "rf",
            "--duration",
            "1.0",
            "--out",
            str(model),
            "-q",
        ]
    )
    assert status == 0 and model.is_file()
    return root, model, X, y


def test_evaluate_writes_report_and_confusion_matrix(folder_and_model, capsys):
    root, model, _, _ = folder_and_model
    capsys.readouterr()
    status = main(
        ["evaluate", str(model), "--data", str(root / "data"), "--out", str(root / "ev"), "-q"]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "on 15 clips" in out
    accuracy = float(out.split("accuracy ")[1].split(",")[0])
    assert accuracy >= 0.8  # the training clips themselves
    assert (root / "ev" / "confusion_matrix.png").is_file()
    assert "| genre | precision |" in (root / "ev" / "report.md").read_text()


def test_predict_long_and_corrupt_files(folder_and_model, tmp_path, capsys):
    _, model, X, y = folder_and_model
    long = tmp_path / "long.wav"
    sf.write(long, np.concatenate([X[0], X[0], X[0]]), 22050)  # 3 x the clip duration
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00not really a wav")
    capsys.readouterr()
    status = main(["predict", str(model), str(bad), str(long), str(tmp_path / "missing.mp3")])
    captured = capsys.readouterr()
    assert status == 1
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1
    path, genre, proba = lines[0].split("\t")
    assert path == str(long) and genre == y[0] and 0 < float(proba) <= 1
    errors = captured.err.strip().splitlines()
    assert len(errors) == 3  # one line per file, then the final report
    assert str(bad) in errors[0] and str(tmp_path / "missing.mp3") in errors[1]
    assert "2 of 3 files could not be classified" in errors[2]


def test_predict_json_and_top(folder_and_model, tmp_path, capsys):
    _, model, X, y = folder_and_model
    long = tmp_path / "long.wav"
    sf.write(long, np.concatenate([X[1]] * 3), 22050)
    capsys.readouterr()
    assert main(["predict", str(model), str(long), "--json", "--top", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (entry,) = doc
    assert entry["file"] == str(long) and entry["windows"] == 3
    assert entry["genre"] == y[1] and len(entry["top"]) == 2
    assert entry["top"][0]["probability"] >= entry["top"][1]["probability"]
    assert entry["top"][0]["genre"] == entry["genre"]
    assert main(["predict", str(model), str(long), "--top", "3"]) == 0
    assert len(capsys.readouterr().out.strip().split("\t")) == 4  # file + 3 genres


def test_predict_missing_model(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "nope.joblib"), "x.wav"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_study_command_skips_missing_pretrained(tmp_path, capsys):
    out = tmp_path / "study"
    status = main(
        [
            "study",
            "--features",
            "mfcc",
            "encodecmae",
            "--models",
            "rf",
            "--n-clips-per-genre",
            "2",
            "--duration",
            "0.5",
            "--no-umap",
            "--encodecmae-model",
            str(tmp_path / "missing.pt"),
            "--out",
            str(out),
        ]
    )
    assert status == 0
    captured = capsys.readouterr()
    assert "skipping encodecmae" in captured.err
    assert "accuracy" in captured.out and "mfcc" in captured.out
    for name in ("results.csv", "report.md", "best_model.joblib", "confusion_matrix.png"):
        assert (out / name).is_file()


def test_fit_with_the_modern_recipe(folder_and_model, tmp_path, capsys):
    from sklearn_mgc.persistence import load_model
    from sklearn_mgc.study import recipe_params

    root, _, X, y = folder_and_model
    out = tmp_path / "cnn.joblib"
    args = ["fit", "--data", str(root / "data"), "--model", "cnn1d", "--duration", "1.0"]
    args += ["--max-epochs", "2", "--recipe", "modern", "--out", str(out)]
    assert main(args) == 0
    assert "modern recipe: crop_frames=" in capsys.readouterr().err
    pipe = load_model(out)
    clf = pipe.steps[-1][1]
    n_frames, n_features = pipe.steps[0][1].transform(X[:1]).shape[1:]
    expected = recipe_params(
        "modern", "cnn1d", n_frames=n_frames, n_features=n_features, duration=1.0
    )
    assert {k: clf.get_params()[k] for k in expected} == expected
    assert expected["crop_frames"] < n_frames  # trained on crops, predicts by windows
    assert set(pipe.predict(X[:3])) <= set(y)
    # the random forest takes no recipe: trained on the temporal means as before
    rf = tmp_path / "rf.joblib"
    args = ["fit", "--data", str(root / "data"), "--duration", "1.0", "--recipe", "modern", "-q"]
    assert main(args + ["--out", str(rf)]) == 0 and load_model(rf).predict(X[:1]).shape == (1,)


def test_quiet_shows_no_messages_and_default_shows_progress(folder_and_model, tmp_path, capsys):
    import logging

    root, model, _, _ = folder_and_model
    logger = logging.getLogger("sklearn_mgc")
    level, handlers = logger.level, list(logger.handlers)
    args = ["evaluate", str(model), "--data", str(root / "data"), "--out", str(tmp_path)]
    capsys.readouterr()
    assert main(args + ["-q"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == "" and "accuracy" in quiet.out
    assert main(args) == 0
    loud = capsys.readouterr()
    assert "[sklearn-mgc] data: 15 audio clips" in loud.err and "accuracy" in loud.out
    # main configured the logger for its own run only
    assert logger.level == level and logger.handlers == handlers


def test_user_errors_are_one_line_and_bugs_show_their_traceback(monkeypatch, capsys):
    from sklearn_mgc.cli.predict import PredictCommand

    def invalid(args):
        raise ValueError("--top is not a number of genres")

    monkeypatch.setattr(PredictCommand, "run", staticmethod(invalid))
    assert main(["predict", "m.joblib", "x.wav"]) == 1
    assert capsys.readouterr().err == "sklearn-mgc: --top is not a number of genres\n"

    def bug(args):
        raise TypeError("a bug in the toolkit")

    monkeypatch.setattr(PredictCommand, "run", staticmethod(bug))
    with pytest.raises(TypeError, match="a bug in the toolkit"):
        main(["predict", "m.joblib", "x.wav"])


def test_shared_options_agree_across_subcommands():
    from sklearn_mgc import _registry
    from sklearn_mgc.cli import build_parser

    parser = build_parser()
    study = parser.parse_args(["study"])
    fit = parser.parse_args(["fit"])
    for name in ("max_epochs", "patience", "random_state", "recipe", "device", "cache_dir"):
        assert getattr(study, name) == getattr(fit, name), name
    assert study.max_epochs is None  # 50, or 15 on the embedded data, for both
    assert study.n_jobs == -1  # the study also trains its cells in parallel: all cores
    for sub in ("predict", "evaluate"):
        args = parser.parse_args(
            [sub, "m.joblib", *(["x.wav"] if sub == "predict" else [])]
            + (["--data", "d"] if sub == "evaluate" else [])
        )
        assert args.quiet is False and args.verbose is False
    # the choices are the registry's names
    sub = next(a for a in parser._actions if a.dest == "command")
    features = next(a for a in sub.choices["study"]._actions if a.dest == "features")
    models = next(a for a in sub.choices["fit"]._actions if a.dest == "model")
    assert tuple(features.choices) == _registry.representation_names()
    assert tuple(models.choices) == _registry.model_names()
