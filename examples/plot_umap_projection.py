"""
UMAP projection of the temporal means
=====================================

A 2-D UMAP projection of one vector per clip, coloured by genre, shows at a glance how well
a representation separates the genres before any classifier is trained. The study draws it
for its best representation; :func:`~sklearn_mgc.plotting.plot_umap` standardises the
features and projects them.
"""

# %%
import matplotlib.pyplot as plt

from sklearn_mgc import MFCCFeatures
from sklearn_mgc.datasets import make_genre_clips
from sklearn_mgc.plotting import plot_umap

X, y = make_genre_clips(10, duration=3.0, random_state=0)
means = MFCCFeatures(output="mean", duration=3.0).fit_transform(X)
print("temporal means:", means.shape)  # (n_clips, n_features)

# %%
# ``random_state`` makes the projection reproducible. A 3-D ``output="sequence"`` array is
# accepted too: it is averaged over time first.
ax = plot_umap(
    means, y, n_neighbors=10, random_state=0, title="UMAP of MFCC temporal means (synthetic genres)"
)
print("embedding:", ax.embedding_.shape)
plt.show()
