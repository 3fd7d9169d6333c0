"""
Final evaluation: classification report and confusion matrix
============================================================

The study's final evaluation: hold out a stratified test set, train the chosen pipeline on
the rest (the network keeps a stratified 20 % of its training clips for validation and early
stopping, the study's 80/20 split), then report precision, recall and F1 per genre and
draw the confusion matrix of the test clips.

The study held out 10 % of GTZAN (:func:`~sklearn_mgc.datasets.train_valid_test_split`);
with this small synthetic set a quarter of the clips is held out instead, so that every genre
has a few test clips.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from sklearn_mgc import GRUClassifier, MFCCFeatures
from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.plotting import plot_confusion_matrix

X, y = make_genre_clips(10, duration=3.0, random_state=1)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=28
)

pipe = Pipeline(
    [
        ("feat", MFCCFeatures(output="sequence", duration=3.0, hop_ms=40.0)),
        (
            "clf",
            GRUClassifier(
                hidden_size=16, max_epochs=30, lr=5e-3, batch_size=16, patience=8, random_state=28
            ),
        ),
    ]
)
pipe.fit(X_train, y_train)
y_pred = pipe.predict(X_test)

# %%
# Precision, recall and F1 of every genre on the held-out clips.
print(classification_report(y_test, y_pred, zero_division=0))

# %%
# The confusion matrix: each row shows how the clips of one genre were classified (rows sum
# to 1; the diagonal is each genre's recall).
plot_confusion_matrix(y_test, y_pred)
plt.show()

# %%
# The fitted pipeline goes from audio to genres; save it with :mod:`joblib` and classify new
# files later (``sklearn-mgc predict model.joblib song.wav`` does this from the shell):
#
# .. code-block:: python
#
#    import joblib
#    joblib.dump(pipe, "model.joblib")
#    joblib.load("model.joblib").predict(["song.wav"])
