"""
LSTM and GRU with attention, and their learning curves
======================================================

The study's best model is a bidirectional GRU whose hidden states are pooled over time by
attention (``alpha = softmax_t(w . h_t)``, ``context = sum_t alpha_t h_t``): it reached
0.85 on GTZAN with EnCodecMAE sequences. :class:`~sklearn_mgc.LSTMClassifier` is the same
network with LSTM cells. Both read sequences ``(n_clips, n_frames, n_features)``, time
before features, as a representation's ``output="sequence"`` gives them.

Here they learn MFCC sequences of synthetic clips for a few epochs; each network holds out a
stratified 20 % of its training clips (``validation_fraction``) to draw its validation
curves, and stops early when the validation loss stops improving (``patience``).
"""

# %%
# Data: MFCC sequences, 60 features every 20 ms.
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from sklearn_mgc import GRUClassifier, LSTMClassifier, MFCCFeatures
from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.plotting import plot_learning_curves

X, y = make_genre_clips(8, duration=3.0, random_state=0)
sequences = MFCCFeatures(output="sequence", duration=3.0, hop_ms=20.0).fit_transform(X)
print("sequences:", sequences.shape)  # (n_clips, n_frames, n_features)
X_train, X_test, y_train, y_test = train_test_split(
    sequences, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Two small recurrent networks, trained with the same settings. ``random_state`` fixes the
# initial weights, the batches and the validation split.
settings = dict(hidden_size=16, max_epochs=25, lr=5e-3, batch_size=16, patience=8, random_state=0)
networks = {"LSTM": LSTMClassifier(**settings), "GRU": GRUClassifier(**settings)}
for name, net in networks.items():
    net.fit(X_train, y_train)
    print(f"{name}: {len(net.history_)} epochs, test accuracy {net.score(X_test, y_test):.2f}")

# %%
# The learning curves: training and validation loss and accuracy per epoch, read from the
# fitted network's ``history_``.
plot_learning_curves(networks["LSTM"], title="LSTM with attention on MFCC sequences")
plt.show()

# %%
plot_learning_curves(networks["GRU"], title="GRU with attention on MFCC sequences")
plt.show()

# %%
# The same network inside a pipeline takes the clips themselves:
#
# .. code-block:: python
#
#    from sklearn.pipeline import Pipeline
#    pipe = Pipeline([("feat", MFCCFeatures(output="sequence")),
#                     ("clf", GRUClassifier(random_state=0))])
#    pipe.fit(train_files, train_genres)
