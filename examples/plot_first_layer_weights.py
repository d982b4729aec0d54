"""
=================================
Weights of the first hidden layer
=================================

Each unit of the first hidden layer computes a weighted sum of the 784
pixels of a digit.  Its 784 weights, the column ``coefs_[0][:, j]`` of the
fitted :class:`~skmlp.NumpyMLPClassifier`, can be reshaped into a 28 x 28
image that shows which pixels push the unit up (red) and which push it down
(blue).

``coefs_[0]`` has shape ``(n_features, n_hidden)`` = ``(784, 32)`` here,
exactly as in scikit-learn's :class:`~sklearn.neural_network.MLPClassifier`.
"""

# %%
# Training
# --------
# 2,250 of the real MNIST digits embedded in skmlp, pixels scaled to
# [0, 1], one hidden layer of 32 units.  A strong L2 penalty (``alpha``)
# makes the weights smooth enough to read.  Thirty epochs are enough for
# this picture, so the ``ConvergenceWarning`` about ``max_iter`` is silenced.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skmlp import NumpyMLPClassifier
from skmlp.datasets import load_digits_sample

X, y = load_digits_sample()
X = X / 255.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=750, stratify=y, random_state=0
)

clf = NumpyMLPClassifier(
    hidden_layer_sizes=(32,), alpha=5.0, max_iter=30, random_state=0, dtype=np.float32
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X_train, y_train)
print(f"epochs: {clf.n_iter_}, test accuracy: {clf.score(X_test, y_test):.3f}")
print(f"coefs_[0].shape = {clf.coefs_[0].shape}, dtype {clf.coefs_[0].dtype}")


# %%
# The 32 units as images
# ----------------------
# Each image has its own symmetric colour scale, so that white is always a
# zero weight.  Many units respond to pieces of strokes in the centre of the
# image: a loop, a bar, the gap between two strokes.


def show_units(W, n_rows, n_cols, title):
    """Draw the columns of ``W`` (784 x n_units) as 28 x 28 images."""
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.2 * n_cols, 1.2 * n_rows))
    for j, ax in enumerate(axes.ravel()):
        image = W[:, j].reshape(28, 28)
        limit = np.abs(image).max()
        ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    return fig


show_units(clf.coefs_[0], 4, 8, f"First-layer weights, alpha={clf.alpha:g}")
plt.show()

# %%
# Without the penalty
# -------------------
# With scikit-learn's default ``alpha=1e-4`` the accuracy is about the same
# but the images are speckled.  The speckles sit on the pixels that are lit
# in only a handful of training digits: those few digits set their weights
# freely, and a weak penalty does not pull them back.  The pixels that are
# blank in every training digit get no gradient from the data at all, so
# the penalty alone drives their weights to zero (Adam rescales even a tiny
# gradient into a full step), whatever ``alpha`` is.  For scale: the
# initial (Glorot) weights have a mean absolute value of
# ``sqrt(6 / (784 + 32)) / 2``, about 0.043.

weak = NumpyMLPClassifier(
    hidden_layer_sizes=(32,), alpha=1e-4, max_iter=30, random_state=0, dtype=np.float32
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    weak.fit(X_train, y_train)
print(
    f"alpha=1e-4: epochs {weak.n_iter_}, test accuracy {weak.score(X_test, y_test):.3f}"
)

# How often each pixel is lit (non-zero) in the training digits.
lit = (X_train > 0).mean(axis=0)
groups = {
    "never lit": lit == 0,
    "lit in < 1% of digits": (lit > 0) & (lit < 0.01),
    "lit in >= 10% of digits": lit >= 0.1,
}
print("mean |weight| of the pixels")
for name, pixels in groups.items():
    strong_w = np.abs(clf.coefs_[0][pixels]).mean()
    weak_w = np.abs(weak.coefs_[0][pixels]).mean()
    print(
        f"  {name:24s} ({pixels.sum():3d} pixels): "
        f"alpha=5 {strong_w:.4f}, alpha=1e-4 {weak_w:.4f}"
    )

show_units(weak.coefs_[0], 2, 8, "First-layer weights, alpha=1e-4 (first 16 units)")
plt.show()
