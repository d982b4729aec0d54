"""
========================================
A whole grid trained as stacked networks
========================================

:class:`skmlp.model_selection.GridSearchCV` is scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` with one change: the
candidate x fold fits of a :class:`~skmlp.NumpyMLPClassifier` that share a
fold and a network shape are trained together as one stacked network.
Here both searches run on the same grid; they choose the same parameters
and give the same scores, and the time of each is printed.
"""

# %%
# The two searches
# ----------------
# 1,200 real MNIST digits embedded in skmlp, scaled to [0, 1], 3-fold
# cross-validation of a 24-unit network over four L2 strengths and three
# learning rates: 36 fits of 10 epochs each.  ``dtype=np.float64`` makes
# the comparison exact (float32 gives the same ranking in practice).

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV as SklearnGridSearchCV

from skmlp import NumpyMLPClassifier
from skmlp.datasets import load_digits_sample
from skmlp.model_selection import GridSearchCV

X, y = load_digits_sample()
X, y = X[:1200] / 255.0, y[:1200]
net = NumpyMLPClassifier((24,), max_iter=10, dtype=np.float64, random_state=0)
alphas = [1e-4, 1e-2, 1.0, 10.0]
rates = [1e-3, 3e-3, 1e-2]
grid = {"alpha": alphas, "learning_rate_init": rates}

searches = {}
for name, cls in [("skmlp", GridSearchCV), ("scikit-learn", SklearnGridSearchCV)]:
    search = cls(net, grid, cv=3)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 10 epochs
        search.fit(X, y)
    print(
        f"{name:>12}: {time.perf_counter() - start:5.1f} s, best {search.best_params_}"
    )
    searches[name] = search

same = np.array_equal(
    searches["skmlp"].cv_results_["mean_test_score"],
    searches["scikit-learn"].cv_results_["mean_test_score"],
)
print("same mean test scores:", same)

# %%
# The grid as a heat map
# ----------------------
# ``cv_results_`` lists the candidates in the order of
# :class:`~sklearn.model_selection.ParameterGrid`; each score is placed by
# looking up its parameters.

results = searches["skmlp"].cv_results_
scores = np.empty((len(alphas), len(rates)))
for params, score in zip(results["params"], results["mean_test_score"]):
    scores[alphas.index(params["alpha"]), rates.index(params["learning_rate_init"])] = (
        score
    )

fig, ax = plt.subplots(figsize=(5.5, 4.5))
image = ax.imshow(scores, cmap="viridis", origin="lower")
ax.set_xticks(range(len(rates)), [f"{r:g}" for r in rates])
ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
ax.set_xlabel("learning_rate_init")
ax.set_ylabel("alpha")
for i in range(len(alphas)):
    for j in range(len(rates)):
        ax.text(j, i, f"{scores[i, j]:.3f}", ha="center", va="center", color="w")
fig.colorbar(image, ax=ax, label="mean CV accuracy (3 folds)")
ax.set_title("skmlp.model_selection.GridSearchCV")
fig.tight_layout()
plt.show()
