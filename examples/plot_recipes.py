"""
Training recipes: the seed recipe against the modern one, cross-validated
=========================================================================

The study trains its sequence networks with one of two recipes (see
:ref:`few-clips` in the user guide):

- ``"seed"``, the reference study's: whole sequences, no augmentation, a constant learning
  rate;
- ``"modern"``: several random crops per clip and epoch with window averaging at
  prediction, mixup and a cosine learning-rate schedule, all from
  ``sklearn_mgc.study.MODERN_RECIPE`` (its time and feature masks are off: they lowered the
  accuracy on real clips).

A single small test set cannot tell two recipes apart, so both are compared here under
stratified 3-fold cross-validation (``cv=3``): every clip is tested once, and each cell gets
a mean and a standard deviation. The clips are the embedded synthetic ones of
:func:`~sklearn_mgc.datasets.make_genre_clips` (1.5 s each), and the settings are tiny so that
the example runs in seconds; on real music, pass ``data=`` a GTZAN folder and use the
default number of epochs.
"""

# %%
# Both studies share one feature cache, so the clips are extracted once.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from sklearn_mgc.plotting import plot_study_summary
from sklearn_mgc.study import MODERN_RECIPE, run_study

out = Path(tempfile.mkdtemp())
settings = dict(
    features=["mfcc"],
    models=["gru", "cnn1d"],
    n_clips_per_genre=4,
    max_epochs=8,
    cv=3,
    random_state=0,
    cache_dir=out / "cache",
    umap=False,
    n_jobs=1,
    verbose=0,
)
results = {
    recipe: run_study(out_dir=out / recipe, recipe=recipe, **settings)
    for recipe in ("seed", "modern")
}

# %%
# The modern recipe's values, and the network parameters they give on these MFCC sequences
# (crop lengths are in seconds, turned into frames through the representation's frame rate).
print(MODERN_RECIPE)
print(results["modern"].recipe.get("mfcc"))

# %%
# Mean accuracy and standard deviation over the folds, per recipe and network.
for recipe, result in results.items():
    for row in result.results:
        if row["status"] == "ok":
            print(
                f"{recipe:7s} {row['model']:6s} accuracy {row['accuracy']:.3f} "
                f"+- {row['accuracy_std']:.3f} (fit {row['fit_seconds']:.1f} s per fold)"
            )
        else:
            print(f"{recipe:7s} {row['model']:6s} {row['status']}")

# %%
# The same cells side by side (the dashed line is chance, one genre in eight).
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
for ax, (recipe, result) in zip(axes, results.items()):
    plot_study_summary(result.results, chance=1 / 8, title=f"recipe={recipe!r}", ax=ax)
plt.show()
