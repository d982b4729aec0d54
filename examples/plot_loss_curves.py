"""
=================================================
Loss curves, learning-rate schedule, best weights
=================================================

Train on the real handwritten digits shipped with skmlp while watching a
separate validation set, with a cosine learning-rate schedule and a linear
warm-up, and keep the weights of the best epoch instead of the last one.

Everything shown here is recorded by
:class:`~skmlp.NumpyMLPClassifier` during ``fit``:

* ``loss_curve_``: the training loss after each epoch (as in
  scikit-learn);
* ``validation_loss_curve_`` and ``validation_scores_``: the log loss and
  the accuracy on the validation set passed as ``fit(X, y, X_val=...,
  y_val=...)``;
* ``learning_rate_curve_``: the learning rate used in each epoch.
"""

# %%
# The data
# --------
# :func:`~skmlp.datasets.load_digits_sample` returns 3,000 real MNIST digits
# (28 x 28 grey levels, 0-255) embedded in the package.  We keep 2,000 for
# training, 500 to watch during training and 500 for a final test.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skmlp import NumpyMLPClassifier
from skmlp.datasets import load_digits_sample

X, y = load_digits_sample()
X = X / 255.0  # pixels in [0, 1]
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, test_size=1000, stratify=y, random_state=0
)
X_val, X_test, y_val, y_test = train_test_split(
    X_rest, y_rest, test_size=500, stratify=y_rest, random_state=0
)
print(f"train {X_train.shape}, validation {X_val.shape}, test {X_test.shape}")

# %%
# Training
# --------
# Adam with a cosine schedule: the rate starts at ``learning_rate_init`` and
# decays to zero at ``max_iter`` epochs, after a linear warm-up over the
# first ``warmup_epochs`` epochs.  ``n_iter_no_change=max_iter`` lets every
# epoch run so that the whole schedule is visible.  ``restore_best_weights``
# keeps the weights of the epoch with the best validation accuracy
# (``early_stopping_monitor="score"``, the default; ``"loss"`` would keep
# the lowest validation loss).

max_iter = 40
clf = NumpyMLPClassifier(
    hidden_layer_sizes=(64,),
    learning_rate_init=3e-3,
    lr_schedule="cosine",
    warmup_epochs=5,
    max_iter=max_iter,
    n_iter_no_change=max_iter,
    restore_best_weights=True,
    random_state=0,
    dtype=np.float32,
)
with warnings.catch_warnings():
    # Running all max_iter epochs is the point here, not a failure.
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)

# %%
# Which epoch was kept
# --------------------
# The kept epoch is the first one that reached the best validation
# accuracy.  The restored model scores exactly that accuracy on the
# validation set, not the accuracy of the last epoch.

epochs = np.arange(1, clf.n_iter_ + 1)
best = int(np.argmax(clf.validation_scores_))  # first epoch with the best score
print(f"epochs run: {clf.n_iter_}")
print(f"best validation accuracy {clf.best_validation_score_:.3f} at epoch {best + 1}")
print(f"last epoch's validation accuracy: {clf.validation_scores_[-1]:.3f}")
print(f"restored model on the validation set: {clf.score(X_val, y_val):.3f}")
print(f"restored model on the test set: {clf.score(X_test, y_test):.3f}")

# %%
# The schedule in numbers
# -----------------------
# During warm-up, epoch ``e`` (counting from 0) uses ``(e + 1) / 6`` of the
# cosine rate; afterwards the rate is
# ``3e-3 * (1 + cos(pi * e / 40)) / 2``.

rates = clf.learning_rate_curve_
print("first 7 epochs:", " ".join(f"{r:.2e}" for r in rates[:7]))
print(f"epoch 20: {rates[19]:.2e}, last epoch: {rates[-1]:.2e}")

# %%
# The curves
# ----------
# The training loss keeps falling, while the validation loss stops
# improving after about fifteen epochs: from then on the network mostly
# memorises its 2,000 training digits.  The validation accuracy flattens
# out too, and moves by a digit or two out of 500 from one epoch to the
# next; the dashed line marks the epoch whose weights were kept.  The
# bottom panel shows the learning rate: five warm-up epochs rising
# linearly, then the cosine decay towards zero.

fig, axes = plt.subplots(3, 1, figsize=(7, 8), sharex=True)

axes[0].plot(epochs, clf.loss_curve_, label="training loss")
axes[0].plot(epochs, clf.validation_loss_curve_, label="validation loss")
axes[0].set_yscale("log")
axes[0].set_ylabel("log loss")
axes[0].legend()

axes[1].plot(epochs, clf.validation_scores_, color="C2")
axes[1].set_ylabel("validation accuracy")

axes[2].plot(epochs, clf.learning_rate_curve_, color="C3")
axes[2].set_ylabel("learning rate")
axes[2].set_xlabel("epoch")

for ax in axes:
    ax.axvline(best + 1, color="k", linestyle="--", linewidth=1)
    ax.grid(alpha=0.3)
axes[1].annotate(
    f"kept: epoch {best + 1}",
    xy=(best + 1, clf.best_validation_score_),
    xytext=(10, -30),
    textcoords="offset points",
    arrowprops={"arrowstyle": "->"},
)
fig.suptitle("NumpyMLPClassifier on 2,000 real digits")
fig.tight_layout()
plt.show()

# %%
# Keeping the lowest validation loss instead
# ------------------------------------------
# ``early_stopping_monitor="loss"`` makes ``restore_best_weights`` (and
# early stopping) follow the validation log loss, which is smoother than
# the accuracy on 500 digits but rewards confident predictions rather than
# correct ones.  Same data, same seed, another epoch kept:

by_loss = NumpyMLPClassifier(**{**clf.get_params(), "early_stopping_monitor": "loss"})
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    by_loss.fit(X_train, y_train, X_val=X_val, y_val=y_val)
kept = int(np.argmin(by_loss.validation_loss_curve_))
print(
    f"lowest validation loss {by_loss.best_validation_loss_:.3f} at epoch {kept + 1}; "
    f"test accuracy {by_loss.score(X_test, y_test):.3f} "
    f"(best-accuracy model: {clf.score(X_test, y_test):.3f})"
)
