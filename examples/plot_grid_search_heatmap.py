"""
============================================
Grid search over network size and L2 penalty
============================================

:class:`~sklearn.model_selection.GridSearchCV` tunes a
:class:`~sklearn.pipeline.Pipeline` of a
:class:`~sklearn.preprocessing.StandardScaler` and a
:class:`~skmlp.NumpyMLPClassifier` exactly as it would tune scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier`: the parameters are
addressed as ``<step>__<parameter>``.  The mean cross-validated accuracy of
every combination is shown as a heatmap.
"""

# %%
# The search
# ----------
# 1,500 of the real MNIST digits embedded in skmlp, 3-fold cross-validation
# (stratified, since the pipeline is a classifier), four widths of the
# hidden layer times four strengths of the L2 penalty ``alpha``: 48 fits.
# Each fit runs only 20 epochs to keep this example fast; the ranking, not
# the last digit of accuracy, is the point.

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import NumpyMLPClassifier
from skmlp.datasets import load_digits_sample

X, y = load_digits_sample()
X_search, X_test, y_search, y_test = train_test_split(
    X, y, train_size=1500, stratify=y, random_state=0
)

pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("mlp", NumpyMLPClassifier(max_iter=20, random_state=0, dtype=np.float32)),
    ]
)
sizes = [(16,), (32,), (64,), (128,)]
alphas = [1e-4, 1e-2, 1.0, 10.0]
search = GridSearchCV(
    pipe,
    {"mlp__hidden_layer_sizes": sizes, "mlp__alpha": alphas},
    cv=3,
)
start = time.perf_counter()
with warnings.catch_warnings():
    # 20 epochs do not converge, on purpose.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_search, y_search)
elapsed = time.perf_counter() - start
n_fits = len(search.cv_results_["params"]) * search.n_splits_
print(f"{n_fits} fits in {elapsed:.1f} s")
print("best parameters:", search.best_params_)
print(f"best mean CV accuracy: {search.best_score_:.3f}")
print(
    f"refitted best pipeline on 1,500 unseen digits: {search.score(X_test, y_test):.3f}"
)

# %%
# The heatmap
# -----------
# ``cv_results_`` lists the combinations in the order of
# :class:`~sklearn.model_selection.ParameterGrid`, so the scores are
# gathered by looking up each combination's parameters rather than by
# reshaping.
#
# Sixteen hidden units are clearly too few.  Beyond that, a wider layer
# pays off only together with a strong penalty: with a weak ``alpha`` the
# widest layer does no better than the next one, with ``alpha=10`` it gives
# the best score of the grid.  One reason the penalty matters so much is
# the scaler: a pixel that is blank in almost every image becomes, after
# standardisation, a value tens of standard deviations large in the few
# images where it is not, and a weakly penalised network fits those rare
# values.  (Dividing the pixels by 255 instead, as the ``skmlp`` command
# does, avoids the problem.)

scores = np.empty((len(alphas), len(sizes)))
for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"]
):
    i = alphas.index(params["mlp__alpha"])
    j = sizes.index(params["mlp__hidden_layer_sizes"])
    scores[i, j] = score

fig, ax = plt.subplots(figsize=(6.5, 5))
image = ax.imshow(scores, cmap="viridis", origin="lower")
ax.set_xticks(range(len(sizes)), [str(s) for s in sizes])
ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
ax.set_xlabel("hidden_layer_sizes")
ax.set_ylabel("alpha")
for i in range(len(alphas)):
    for j in range(len(sizes)):
        best = scores[i, j] == scores.max()
        ax.text(
            j,
            i,
            f"{scores[i, j]:.3f}",
            ha="center",
            va="center",
            color="black" if scores[i, j] > scores.mean() else "white",
            fontweight="bold" if best else "normal",
        )
fig.colorbar(image, ax=ax, label="mean CV accuracy (3 folds)")
ax.set_title("GridSearchCV(StandardScaler + NumpyMLPClassifier)")
fig.tight_layout()
plt.show()
