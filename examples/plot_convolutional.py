"""
Convolutional networks: CNN1D and CNN2D
=======================================

Two ways to convolve a sequence of frames ``(n_frames, n_features)``:

- :class:`~sklearn_mgc.CNN1DClassifier` convolves along time, with the features as input
  channels (blocks of Conv1d, LeakyReLU and max pooling, then global average pooling and two
  dense layers);
- :class:`~sklearn_mgc.CNN2DClassifier` reads the sequence as a one-channel image, time by
  frequency, as an image classifier would a spectrogram (blocks of Conv2d, ReLU and max
  pooling, then global average pooling and a linear layer).

Both take the same ``(n_clips, n_frames, n_features)`` arrays, here log-mel spectrograms.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from sklearn_mgc import CNN1DClassifier, CNN2DClassifier, MelFeatures
from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.plotting import plot_learning_curves

X, y = make_genre_clips(8, duration=3.0, random_state=0)
mel = MelFeatures(output="sequence", duration=3.0, n_mels=40, hop_ms=20.0).fit_transform(X)
print("log-mel sequences:", mel.shape)
X_train, X_test, y_train, y_test = train_test_split(
    mel, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Small networks and few epochs, so that the example runs in seconds.
common = dict(max_epochs=20, lr=3e-3, batch_size=16, patience=8, random_state=0)
cnn1d = CNN1DClassifier(channels=(32, 64), dense_size=32, **common).fit(X_train, y_train)
cnn2d = CNN2DClassifier(channels=(8, 16), pool_size=4, **{**common, "lr": 1e-2}).fit(
    X_train, y_train
)
for name, net in [("CNN1D", cnn1d), ("CNN2D", cnn2d)]:
    print(f"{name}: {len(net.history_)} epochs, test accuracy {net.score(X_test, y_test):.2f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained", sharey=True)
for ax, (name, net) in zip(axes, [("CNN1D", cnn1d), ("CNN2D", cnn2d)]):
    epochs = net.history_[:, "epoch"]
    ax.plot(epochs, net.history_[:, "train_loss"], "-o", markersize=3, label="training")
    ax.plot(epochs, net.history_[:, "valid_loss"], "--s", markersize=3, label="validation")
    ax.set_title(name)
    ax.set_xlabel("Epoch")
axes[0].set_ylabel("Cross-entropy loss")
axes[0].legend()
plt.show()

# %%
# The full picture, accuracies included, for the 2-D network:
plot_learning_curves(cnn2d, title="CNN2D on log-mel spectrograms")
plt.show()
