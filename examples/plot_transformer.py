"""
Transformer encoder
===================

:class:`~sklearn_mgc.TransformerClassifier` projects each frame to ``d_model`` features,
adds a positional encoding, runs a stack of self-attention layers and pools over time with
attention, as the recurrent networks do. Like
the recurrent and 1-D convolutional networks, it reads ``(n_clips, n_frames, n_features)``.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from sklearn_mgc import MFCCFeatures, TransformerClassifier
from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.plotting import plot_learning_curves

X, y = make_genre_clips(8, duration=3.0, random_state=0)
sequences = MFCCFeatures(output="sequence", duration=3.0, hop_ms=40.0).fit_transform(X)
print("MFCC sequences:", sequences.shape)
X_train, X_test, y_train, y_test = train_test_split(
    sequences, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# A small encoder: 1 layer of 2 heads over 32-d frames.
clf = TransformerClassifier(
    d_model=32,
    n_heads=2,
    n_layers=1,
    dim_feedforward=64,
    max_epochs=25,
    lr=3e-3,
    batch_size=16,
    patience=8,
    random_state=0,
)
clf.fit(X_train, y_train)
print(f"{len(clf.history_)} epochs, test accuracy {clf.score(X_test, y_test):.2f}")

# %%
plot_learning_curves(clf, title="Transformer on MFCC sequences")
plt.show()
