"""
MLP on the magnitude spectrum
=============================

In the study, the multi-layer perceptron reads the temporal mean of the magnitude spectrum:
one vector of 2049 bins per clip (``n_fft=4096``).
:class:`~sklearn_mgc.MLPClassifier` stacks Linear + BatchNorm + GELU + Dropout blocks
(1024, 512, 256, 128, 64 units by default); here a smaller one keeps the example fast. Its
inputs are standardised per feature (``standardize=True``, fitted on the training clips).
"""

# %%
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from sklearn_mgc import MLPClassifier, SpectrumFeatures
from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.plotting import plot_learning_curves

X, y = make_genre_clips(8, duration=3.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The pipeline goes from waveforms to genres: ``SpectrumFeatures(output="mean")`` gives
# ``(n_clips, 2049)``.
pipe = Pipeline(
    [
        ("feat", SpectrumFeatures(output="mean", duration=3.0)),
        (
            "clf",
            MLPClassifier(
                hidden_sizes=(128, 64),
                dropout=0.3,
                max_epochs=40,
                lr=3e-3,
                batch_size=16,
                patience=10,
                random_state=0,
            ),
        ),
    ]
)
pipe.fit(X_train, y_train)
print("input of the MLP:", pipe[:-1].transform(X_test).shape)
print(f"test accuracy: {pipe.score(X_test, y_test):.2f} (chance: {1 / 8:.2f})")

# %%
# A pipeline ending in a network is accepted by
# :func:`~sklearn_mgc.plotting.plot_learning_curves` (its last step is read).
plot_learning_curves(pipe, title="MLP on the magnitude spectrum")
plt.show()
