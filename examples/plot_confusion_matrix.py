"""
===================================
Confusion matrix on held-out digits
===================================

A :class:`~sklearn.pipeline.Pipeline` that standardises the pixels and
trains a :class:`~skmlp.NumpyMLPClassifier`, evaluated on digits it has
never seen, with scikit-learn's
:class:`~sklearn.metrics.ConfusionMatrixDisplay`.  Nothing here is specific
to skmlp: the classifier plugs into scikit-learn's tools like
:class:`~sklearn.neural_network.MLPClassifier` does.
"""

# %%
# The data
# --------
# The 3,000 real MNIST digits embedded in skmlp: 2,250 to train on, 750
# held out, with the same share of each digit in both parts.

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import NumpyMLPClassifier
from skmlp.datasets import load_digits_sample

X, y = load_digits_sample()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=750, stratify=y, random_state=0
)
print(f"train {X_train.shape} {X_train.dtype}, test {X_test.shape}")

# %%
# The pipeline
# ------------
# The pixels arrive as ``uint8``; the scaler turns them into standardised
# floats (float64) and the classifier computes in ``float32``, asked for with
# ``dtype=np.float32`` (by default it follows the input's dtype).
# ``early_stopping=True`` holds out 10% of the training digits and stops
# once their accuracy has not improved for ``n_iter_no_change`` epochs,
# keeping the best epoch's weights.

pipe = make_pipeline(
    StandardScaler(),
    NumpyMLPClassifier(
        hidden_layer_sizes=(128,),
        alpha=1.0,
        early_stopping=True,
        max_iter=100,
        random_state=0,
        dtype=np.float32,
    ),
)
start = time.perf_counter()
pipe.fit(X_train, y_train)
elapsed = time.perf_counter() - start
mlp = pipe[-1]
print(f"trained in {elapsed:.1f} s, {mlp.n_iter_} epochs")
print(f"best validation accuracy during training: {mlp.best_validation_score_:.3f}")

# %%
# Held-out accuracy
# -----------------

y_pred = pipe.predict(X_test)
print(f"held-out accuracy: {accuracy_score(y_test, y_pred):.3f}")

# %%
# The confusion matrix
# --------------------
# Row ``i``, column ``j`` counts the test digits of class ``i`` predicted as
# ``j``; the diagonal holds the correct predictions.  The second matrix is
# normalised by row, so its diagonal is the recall of each digit.

fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
ConfusionMatrixDisplay.from_predictions(y_test, y_pred, ax=axes[0], colorbar=False)
axes[0].set_title("Counts")
ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, normalize="true", values_format=".2f", ax=axes[1], colorbar=False
)
axes[1].set_title("Normalised by true class (recall)")
fig.tight_layout()
plt.show()

# %%
# The most frequent confusions
# ----------------------------

errors = [(t, p) for t, p in zip(y_test, y_pred) if t != p]
pairs, counts = np.unique(errors, axis=0, return_counts=True)
for (t, p), c in sorted(zip(pairs.tolist(), counts), key=lambda e: -e[1])[:5]:
    print(f"{c:2d} x a {t} taken for a {p}")

# %%
# Some of the misclassified digits
# --------------------------------
# Each image is titled ``true -> predicted``.

wrong = np.flatnonzero(y_pred != y_test)[:12]
fig, axes = plt.subplots(2, 6, figsize=(9, 3.6))
for ax, i in zip(axes.ravel(), wrong):
    ax.imshow(X_test[i].reshape(28, 28), cmap="gray_r")
    ax.set_title(f"{y_test[i]} -> {y_pred[i]}")
    ax.axis("off")
fig.tight_layout()
plt.show()
