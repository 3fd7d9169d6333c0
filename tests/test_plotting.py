"""Tests of sklearn_mgc.plotting: learning curves, confusion matrix, UMAP projection."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sklearn_mgc.plotting import (
    plot_confusion_matrix,
    plot_learning_curves,
    plot_study_summary,
    plot_umap,
)

HISTORY = [
    {"epoch": 1, "train_loss": 2.0, "valid_loss": 2.1, "train_acc": 0.2, "valid_acc": 0.1},
    {"epoch": 2, "train_loss": 1.5, "valid_loss": 1.8, "train_acc": 0.5, "valid_acc": 0.4},
    {"epoch": 3, "train_loss": 1.0, "valid_loss": 1.6, "train_acc": 0.8, "valid_acc": 0.5},
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax):
    return {line.get_label(): line.get_ydata() for line in ax.get_lines()}


def test_learning_curves_from_history_list():
    fig = plot_learning_curves(HISTORY, title="GRU on mel")
    ax_loss, ax_acc = fig.axes[:2]
    assert ax_loss.get_xlabel() == "Epoch" and ax_acc.get_xlabel() == "Epoch"
    assert ax_loss.get_ylabel() == "Cross-entropy loss"
    assert ax_acc.get_ylabel() == "Accuracy"
    assert fig._suptitle.get_text() == "GRU on mel"
    loss = _lines(ax_loss)
    np.testing.assert_allclose(loss["training"], [2.0, 1.5, 1.0])
    np.testing.assert_allclose(loss["validation"], [2.1, 1.8, 1.6])
    np.testing.assert_allclose(_lines(ax_acc)["validation"], [0.1, 0.4, 0.5])


def test_learning_curves_without_validation_and_from_dict():
    hist = {"train_loss": [1.0, 0.5], "train_acc": [0.5, 0.9]}
    fig = plot_learning_curves(hist)
    assert set(_lines(fig.axes[0])) == {"training"}
    assert fig._suptitle.get_text() == "Learning curves"


def test_learning_curves_from_fitted_network_and_pipeline():
    from sklearn.pipeline import make_pipeline

    from sklearn_mgc import GRUClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(24, 6, 3).astype(np.float32)
    y = np.repeat(["jazz", "rock"], 12)
    params = {**GRUClassifier.get_test_params(), "max_epochs": 3, "validation_fraction": 0.25}
    clf = GRUClassifier(**params).fit(X, y)
    fig = plot_learning_curves(clf)
    assert "GRUClassifier" in fig._suptitle.get_text()
    lines = _lines(fig.axes[0])
    assert len(lines["training"]) == 3 and len(lines["validation"]) == 3
    fig2 = plot_learning_curves(make_pipeline(clf))
    assert len(_lines(fig2.axes[1])["training"]) == 3


def test_learning_curves_errors():
    from sklearn.ensemble import RandomForestClassifier

    with pytest.raises(ValueError, match="no learning history"):
        plot_learning_curves(RandomForestClassifier())
    with pytest.raises(ValueError, match="empty"):
        plot_learning_curves([])


def test_confusion_matrix_labels_values_and_ax():
    y_true = ["jazz", "jazz", "rock", "rock", "metal", "metal"]
    y_pred = ["jazz", "rock", "rock", "rock", "metal", "jazz"]
    fig, ax = plt.subplots()
    out = plot_confusion_matrix(y_true, y_pred, ax=ax)
    assert out is ax
    names = ["jazz", "metal", "rock"]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert ax.get_xlabel() == "Predicted genre" and ax.get_ylabel() == "True genre"
    assert "accuracy 66.7%" in ax.get_title()
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9
    # row "jazz": half right, half predicted rock; row "rock": all right
    assert texts[:3] == ["0.50", "0", "0.50"]
    assert texts[6:] == ["0", "0", "1.00"]


def test_confusion_matrix_counts_and_given_labels():
    ax = plot_confusion_matrix([1, 1, 2], [1, 2, 2], labels=[2, 1], normalize=None, title="counts")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "1"]
    assert [t.get_text() for t in ax.texts] == ["1", "0", "1", "1"]
    assert ax.get_title() == "counts"


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="same length"):
        plot_confusion_matrix(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="normalize"):
        plot_confusion_matrix(["a"], ["a"], normalize="rows")


def test_umap_separates_genres_and_adapts_neighbours():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (8, 6)), rng.normal(6, 1, (8, 6))])
    y = np.array(["jazz"] * 8 + ["rock"] * 8)
    ax = plot_umap(X, y, random_state=0)  # n_neighbors=15 > 15 other clips: lowered
    emb = ax.embedding_
    assert emb.shape == (16, 2)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["jazz", "rock"]
    assert ax.get_xlabel() == "UMAP 1" and ax.get_ylabel() == "UMAP 2"
    assert "16 clips" in ax.get_title()
    # each clip's nearest neighbour in the projection has its genre
    d = np.linalg.norm(emb[:, None] - emb[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert (y[d.argmin(axis=1)] == y).mean() >= 0.9


def test_umap_input_errors():
    with pytest.raises(ValueError, match="at least 3 clips"):
        plot_umap(np.zeros((2, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="one genre per clip"):
        plot_umap(np.zeros((4, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="NaN"):
        plot_umap(np.full((4, 3), np.nan), ["a", "b", "a", "b"])


def test_umap_of_sequences_averages_like_temporal_mean(monkeypatch):
    # silence inside a clip (an all-zero frame followed by real ones) is a real frame; only
    # trailing all-zero frames are padding: the averaged vectors are TemporalMean's
    from sklearn_mgc import TemporalMean, plotting

    seen = {}

    def fake_embedding(X, **kwargs):
        seen["X"] = X
        return X[:, :2]

    monkeypatch.setattr(plotting, "_umap_embedding", fake_embedding)
    X = np.zeros((3, 5, 2), dtype=np.float32)
    X[:, 0], X[:, 2] = 1.0, 3.0  # frame 1: silence inside; frames 3, 4: padding
    X[1, 3] = 2.0  # a longer clip
    plot_umap(X, ["a", "b", "c"], standardize=False)
    np.testing.assert_allclose(seen["X"], TemporalMean().fit_transform(X), rtol=1e-6)
    np.testing.assert_allclose(seen["X"][0], [4 / 3, 4 / 3], rtol=1e-6)


def _cell(feature, model, accuracy, **extra):
    return dict(feature=feature, model=model, accuracy=accuracy, status="ok", **extra)


def test_study_summary_draws_a_bar_per_cell_with_its_standard_deviation():
    rows = [
        _cell("mel", "rf", 0.6, accuracy_std=0.1, kind="summary"),
        _cell("mel", "gru", 0.7, accuracy_std=0.05, kind="summary"),
        _cell("mfcc", "rf", 0.8, accuracy_std=0.02, kind="summary"),
        _cell("mfcc", "rf", 0.1, kind="fold", fold=0),  # fold rows are left out
    ]
    ax = plot_study_summary(rows, chance=0.125, title="demo")
    heights = sorted(round(p.get_height(), 3) for p in ax.patches)
    assert heights == [0.6, 0.7, 0.8]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["mel", "mfcc"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["chance", "rf", "gru"]
    assert "std" in ax.get_ylabel() and ax.get_title() == "demo"
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["0.60", "0.70", "0.80"]
    caps = [c for c in ax.containers if hasattr(c, "errorbar") and c.errorbar is not None]
    segments = np.concatenate([c.errorbar.lines[2][0].get_segments() for c in caps])
    spans = sorted(round(float(s[1, 1] - s[0, 1]), 3) for s in segments)
    assert spans == [0.04, 0.1, 0.2]  # 2 std each


def test_study_summary_from_results_csv_with_intervals_and_failures(tmp_path):
    import csv

    rows = [
        _cell("mfcc", "rf", 0.5, accuracy_low=0.3, accuracy_high=0.9, kind="test"),
        dict(feature="mfcc", model="gru", status="failed: ValueError: x", kind="test"),
    ]
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    ax = plot_study_summary(path)
    assert [round(p.get_height(), 3) for p in ax.patches] == [0.5]
    assert "95 % interval" in ax.get_ylabel()
    bars = next(c for c in ax.containers if getattr(c, "errorbar", None) is not None)
    (segment,) = bars.errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose(segment[:, 1], [0.3, 0.9])  # asymmetric interval
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert sum(len(line.get_xdata()) for line in crosses) == 1  # the failed gru
    with pytest.raises(ValueError, match="metric"):
        plot_study_summary(rows, metric="recall")
