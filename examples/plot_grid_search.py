"""
Grid search over a representation and a network together
=========================================================

A representation and a network in one :class:`~sklearn.pipeline.Pipeline` are tuned
together by :class:`~sklearn.model_selection.GridSearchCV`: a representation parameter
(``feat__n_mfcc``, the number of MFCCs) and a network size (``clf__hidden_size``) form one
grid. The network's architecture parameters are plain constructor parameters, so the usual
``step__parameter`` names reach them.

A ``cache_dir`` makes every clip's features computed once per value of ``n_mfcc``: the
other folds and grid points read them back instead of recomputing them.
"""

# %%
import tempfile

from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from sklearn_mgc import GRUClassifier, MFCCFeatures
from sklearn_mgc.datasets import make_genre_clips

X, y = make_genre_clips(6, duration=3.0, random_state=0)
cache = tempfile.mkdtemp(prefix="sklearn_mgc_example_")

pipe = Pipeline(
    [
        ("feat", MFCCFeatures(output="sequence", duration=3.0, hop_ms=40.0, cache_dir=cache)),
        (
            "clf",
            GRUClassifier(
                max_epochs=12,
                lr=5e-3,
                batch_size=16,
                validation_fraction=None,
                patience=None,
                random_state=0,
            ),
        ),
    ]
)
param_grid = {"feat__n_mfcc": [8, 20], "clf__hidden_size": [4, 16]}
search = GridSearchCV(pipe, param_grid, cv=StratifiedKFold(2, shuffle=True, random_state=0))
search.fit(X, y)

# %%
# Mean cross-validated accuracy of each grid point. (The MFCC representation has
# ``3 * n_mfcc`` features: MFCCs, deltas and delta-deltas.)
res = search.cv_results_
print("n_mfcc  hidden_size  accuracy")
for i in res["mean_test_score"].argsort()[::-1]:
    params = res["params"][i]
    print(
        f"{params['feat__n_mfcc']:6d}  {params['clf__hidden_size']:11d}  "
        f"{res['mean_test_score'][i]:.2f} +/- {res['std_test_score'][i]:.2f}"
    )
print("best:", search.best_params_, f"accuracy {search.best_score_:.2f}")

# %%
# The same scores as a grid: a representation parameter against a network size.
import matplotlib.pyplot as plt
import numpy as np

n_mfccs, sizes = param_grid["feat__n_mfcc"], param_grid["clf__hidden_size"]
grid = np.empty((len(n_mfccs), len(sizes)))
for params, score in zip(res["params"], res["mean_test_score"]):
    grid[n_mfccs.index(params["feat__n_mfcc"]), sizes.index(params["clf__hidden_size"])] = score
fig, ax = plt.subplots(figsize=(4.5, 3.5), layout="constrained")
image = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1)
for i in range(len(n_mfccs)):
    for j in range(len(sizes)):
        ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", color="white")
ax.set_xticks(range(len(sizes)), sizes)
ax.set_yticks(range(len(n_mfccs)), n_mfccs)
ax.set_xlabel("GRU hidden size (clf__hidden_size)")
ax.set_ylabel("MFCCs (feat__n_mfcc)")
ax.set_title("Cross-validated accuracy")
fig.colorbar(image, ax=ax)
plt.show()

# %%
# The refitted best pipeline classifies clips directly:
print(search.predict(X[:5]), y[:5])

# %%
# Under ``joblib.parallel_backend("dask")``, ``GridSearchCV(..., n_jobs=-1)`` runs the same
# grid on a Dask cluster, unchanged (see :ref:`dask` in the user guide).
