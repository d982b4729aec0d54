"""
=============================================
The seed notebook, its four bugs and the fix
=============================================

skmlp started from a Kaggle notebook that trained a small network on the
"Digit Recognizer" data in hand-written NumPy: 784 pixels, two hidden ReLU
layers of 25 and 15 units, 10 softmax outputs, full-batch gradient descent
with an L2 penalty.  It never learnt, because of four bugs:

1. ``X`` and ``y`` were shuffled *separately*, which scrambles the labels;
2. the softmax was normalised over the wrong axis (over the batch instead of
   over the classes);
3. the output gradient ``A3 - Y`` used the integer labels instead of one-hot
   rows;
4. the raw 0-255 pixels went into weights drawn from N(0, 1), so the logits
   were in the thousands and ``exp`` overflowed.

This example reproduces each bug in a few lines of NumPy and measures what
it did, then trains the same 784-25-15-10 network with
:class:`~skmlp.NumpyMLPClassifier`: by full-batch gradient descent, as in
the notebook, and with the default solver (Adam).

It uses ``../shared/data/mnist-10k.csv.gz`` (10,000 MNIST digits; train on
the first 8,000, test on the last 2,000) when the repository sits next to
that folder, and otherwise the 3,000 digits embedded in skmlp (a stratified
80/20 split), so numbers printed by the gallery build may differ from the
ones quoted in the text, which are for mnist-10k.
"""

# %%
# The data
# --------
# Grey levels 0-255, one row of 784 pixels per image, labels 0-9.

import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skmlp import NumpyMLPClassifier
from skmlp.datasets import load_digits_sample, load_kaggle_train


def find_mnist_10k():
    """``../shared/data/mnist-10k.csv.gz`` next to the repository, if any."""
    if os.environ.get("SKMLP_EXAMPLE_DATA") == "sample":
        return None  # force the embedded sample (used by the test suite)
    try:
        repo = Path(__file__).resolve().parents[1]
    except NameError:  # run where __file__ is undefined (e.g. a notebook)
        repo = Path.cwd().parent
    path = repo.parent / "shared" / "data" / "mnist-10k.csv.gz"
    return path if path.is_file() else None


start = time.perf_counter()
path = find_mnist_10k()
if path is not None:
    X, y = load_kaggle_train(path)
    X_train, y_train, X_test, y_test = X[:8000], y[:8000], X[8000:], y[8000:]
    data_name = "mnist-10k (first 8,000 / last 2,000)"
else:
    X, y = load_digits_sample()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    data_name = "embedded sample (stratified 80/20 split)"
print(f"{data_name}: train {X_train.shape}, test {X_test.shape}, {X.dtype}")

# %%
# The seed network in NumPy
# -------------------------
# The notebook's training loop, repaired, with a ``bug`` switch that puts
# one of the four bugs back.  Rows are images (scikit-learn's layout).  The
# softmax is the notebook's, ``exp(Z) / sum(exp(Z))`` without subtracting
# the maximum first, which is harmless once the inputs are scaled.


def softmax(Z, axis):
    E = np.exp(Z)
    return E / E.sum(axis=axis, keepdims=True)


def seed_fit(X, y, bug=None, iterations=100, lr=0.5, alpha=0.001, seed=0):
    """Full-batch gradient descent on 784-25-15-10; returns predict, losses."""
    rng = np.random.default_rng(seed)
    sizes = [784, 25, 15, 10]
    pairs = list(zip(sizes[:-1], sizes[1:]))
    if bug == "raw pixels":  # bug 4: 0-255 inputs, N(0, 1) weights
        scale = 1.0
        W = [rng.standard_normal((a, b)) for a, b in pairs]
    else:  # fixed: inputs in [0, 1], He-scaled weights
        scale = 1 / 255
        W = [rng.standard_normal((a, b)) * np.sqrt(2 / a) for a, b in pairs]
    b = [np.zeros(k) for k in sizes[1:]]
    X = X * scale
    n = len(y)
    Y = np.eye(10)[y]  # one-hot rows
    target = y[:, None] if bug == "integer labels" else Y  # bug 3
    axis = 0 if bug == "softmax axis" else 1  # bug 2: 0 = over the batch

    losses = []
    for _ in range(iterations):
        A1 = np.maximum(X @ W[0] + b[0], 0)
        A2 = np.maximum(A1 @ W[1] + b[1], 0)
        A3 = softmax(A2 @ W[2] + b[2], axis)
        losses.append(-np.sum(Y * np.log(A3)) / n)
        dZ3 = (A3 - target) / n
        dZ2 = (dZ3 @ W[2].T) * (A2 > 0)
        dZ1 = (dZ2 @ W[1].T) * (A1 > 0)
        for i, (A, dZ) in enumerate([(X, dZ1), (A1, dZ2), (A2, dZ3)]):
            W[i] -= lr * (A.T @ dZ + alpha / n * W[i])
            b[i] -= lr * dZ.sum(axis=0)

    def predict(X_new):
        A1 = np.maximum(X_new * scale @ W[0] + b[0], 0)
        A2 = np.maximum(A1 @ W[1] + b[1], 0)
        return np.argmax(A2 @ W[2] + b[2], axis=1)

    return predict, losses


def run_seed(bug, X, y):
    """Fit with one bug on; return test accuracy, losses, numpy warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        predict, losses = seed_fit(X, y, bug=bug)
        accuracy = np.mean(predict(X_test) == y_test)
    messages = sorted({str(w.message) for w in caught})
    return accuracy, np.array(losses), messages


# The bug demonstrations use 1,500 training images and 100 iterations:
# enough for the repaired loop to learn, and quick.
X_small, y_small = X_train[:1500], y_train[:1500]
results = {"repaired": run_seed(None, X_small, y_small)}

# %%
# Bug 1: ``X`` and ``y`` shuffled separately
# ------------------------------------------
# ``rng.shuffle(X); rng.shuffle(y)`` draws two different permutations, so
# after it image ``i`` carries the label of some other image: only about one
# label in ten is still right (the share of images whose label happens to
# be the same digit), and there is nothing left to learn.
# Fix: one permutation for both, ``p = rng.permutation(n); X[p], y[p]``.

rng = np.random.default_rng(0)
X_shuffled, y_shuffled = X_small.copy(), y_small.copy()
rng.shuffle(X_shuffled)
rng.shuffle(y_shuffled)
# Which label does each shuffled image really have?  Find each row again.
true_label = {row.tobytes(): label for row, label in zip(X_small, y_small)}
still_right = np.mean(
    [true_label[row.tobytes()] == lab for row, lab in zip(X_shuffled, y_shuffled)]
)
print(f"labels still matching their image after two shuffles: {still_right:.1%}")
results["1: separate shuffles"] = run_seed(None, X_shuffled, y_shuffled)

# %%
# Bug 2: softmax over the wrong axis
# ----------------------------------
# With one row per image the classes are ``axis=1``.  Normalising over
# ``axis=0`` makes each *column* (one class over the batch) sum to 1, so an
# image's ten outputs are not probabilities (their sum is anything), a class
# that scores high on many images is penalised on all of them, and the
# predicted class can change.  The loss cannot be minimised: gradient
# descent pushes the logits of the labelled classes up without end, until
# ``exp`` overflows.

Z = np.array([[3.0, 2.5, 0.0], [3.0, 0.0, 0.0], [3.0, 0.0, 1.0]])  # 3 images
for axis in (1, 0):
    P = softmax(Z, axis=axis)
    print(
        f"axis={axis}: sums over the classes {np.round(P.sum(axis=1), 2)}, "
        f"predicted classes {P.argmax(axis=1)}"
    )
results["2: softmax over the batch"] = run_seed("softmax axis", X_small, y_small)

# %%
# Bug 3: ``A3 - Y`` with integer labels
# -------------------------------------
# The gradient of softmax + cross-entropy with respect to the logits is
# ``A3 - Y`` with ``Y`` one-hot.  With the integer labels, broadcasting
# subtracts the label *value* from all ten outputs of its image: for a "7"
# every output gets ``-7``, whatever the class.  A constant shift across
# the classes carries no information about which class is right, and its
# size (up to 9) blows the hidden layers up.

A3 = softmax(np.array([[2.0, 0.5, 0.1, 0.3, 0.2, 0.1, 0.0, 3.0, 0.4, 0.2]]), axis=1)
label = np.array([7])
print("one-hot A3 - Y :", np.round(A3 - np.eye(10)[label], 2))
print("integer A3 - y :", np.round(A3 - label[:, None], 2))
results["3: integer labels"] = run_seed("integer labels", X_small, y_small)

# %%
# Bug 4: raw pixels into N(0, 1) weights
# --------------------------------------
# A digit has ~150 lit pixels of up to 255, so with N(0, 1) weights the
# first layer's outputs have a standard deviation of a few thousand and the
# logits reach 10^5: ``exp`` overflows to ``inf`` and ``inf / inf`` is NaN.
# Fix: scale the pixels to [0, 1] and draw the weights with a variance that
# keeps the activations of order 1 (He or Glorot initialisation).

rng = np.random.default_rng(0)
W_raw = [rng.standard_normal(s) for s in [(784, 25), (25, 15), (15, 10)]]
Z3 = np.maximum(np.maximum(X_small[:500] @ W_raw[0], 0) @ W_raw[1], 0) @ W_raw[2]
with np.errstate(over="ignore", invalid="ignore"):
    P = softmax(Z3, axis=1)
print(
    f"largest |logit| {np.abs(Z3).max():.3g}; exp overflows above 709; "
    f"images whose softmax is NaN: {np.isnan(P).any(axis=1).mean():.0%}"
)
results["4: raw pixels, N(0,1) weights"] = run_seed("raw pixels", X_small, y_small)

# %%
# What each bug did
# -----------------
# Test accuracy after 100 full-batch iterations on 1,500 images (chance is
# 10%), and the numerical warnings NumPy raised.

print(f"{'seed loop':32s} {'test acc':>8s}  final loss  NumPy warnings")
for name, (accuracy, losses, messages) in results.items():
    print(
        f"{name:32s} {accuracy:8.1%}  {losses[-1]:10.3f}  {'; '.join(messages) or '-'}"
    )

# %%
# The repaired network as an estimator
# ------------------------------------
# The same 784-25-15-10 ReLU network with a softmax output, L2 penalty
# ``alpha=0.001``, trained on all the training images.  Full-batch gradient
# descent is ``solver="sgd"`` with ``batch_size`` = the number of images and
# no momentum.  ``n_iter_no_change=max_iter`` keeps scikit-learn's stopping
# rule (10 epochs without a new best loss) from ending it early: plain
# gradient descent at this step size has occasional loss spikes.  The
# estimator scales its Glorot initialisation to the layer sizes and
# subtracts the row maximum inside the softmax.

X_train_01 = X_train / np.float32(255)  # pixels in [0, 1]
X_test_01 = X_test / np.float32(255)
n = len(y_train)
max_iter = 400
full_batch = NumpyMLPClassifier(
    hidden_layer_sizes=(25, 15),
    solver="sgd",
    batch_size=n,
    momentum=0,
    learning_rate_init=0.5,
    alpha=0.001,
    max_iter=max_iter,
    n_iter_no_change=max_iter,
    random_state=0,
    dtype=np.float32,
)
adam = NumpyMLPClassifier(hidden_layer_sizes=(25, 15), random_state=0, dtype=np.float32)
scores = {}
for name, clf in [("full-batch GD", full_batch), ("adam (default)", adam)]:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train_01, y_train)
    scores[name] = clf.score(X_test_01, y_test)
    print(
        f"{name:15s} held-out accuracy {scores[name]:.2%} after {clf.n_iter_} "
        f"epochs ({time.perf_counter() - t0:.1f} s)"
    )

# %%
# Raw pixels, no scaler
# ---------------------
# The estimator also trains on the raw 0-255 pixels: Glorot initialisation
# and the max-subtracted softmax keep every number finite.  We check that no
# overflow (or any other) RuntimeWarning is raised and that the weights are
# finite; scaling still helps, as the accuracies show.

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    warnings.simplefilter("ignore", ConvergenceWarning)
    raw = NumpyMLPClassifier(
        hidden_layer_sizes=(25, 15), random_state=0, dtype=np.float32
    )
    raw.fit(X_train, y_train)
runtime_warnings = [w for w in caught if issubclass(w.category, RuntimeWarning)]
finite = all(np.isfinite(W).all() for W in raw.coefs_ + raw.intercepts_)
scores["adam, raw pixels"] = raw.score(X_test, y_test)
print(
    f"raw pixels: held-out accuracy {scores['adam, raw pixels']:.2%}, "
    f"RuntimeWarnings: {len(runtime_warnings)}, all weights finite: {finite}, "
    f"finite losses: {bool(np.isfinite(raw.loss_curve_).all())}"
)

# %%
# Loss curves
# -----------
# Left: the NumPy seed loop, repaired and with each bug (a curve stops where
# the loss became NaN; with bug 4 it is NaN from the first iteration).
# Right: the estimator's training loss per epoch; full-batch gradient
# descent makes one step per epoch, Adam one per minibatch of 200 images,
# hence its much faster descent per epoch.  At this step size gradient
# descent overshoots now and then (the spikes) and recovers.

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
for name, (accuracy, losses, _) in results.items():
    label = f"{name} ({accuracy:.0%})"
    if not np.isfinite(losses).all():
        label += f", NaN from iteration {np.argmin(np.isfinite(losses)) + 1}"
    left.plot(np.where(np.isfinite(losses), losses, np.nan), label=label)
left.set(
    xlabel="iteration (full batch, 1,500 images)",
    ylabel="training loss",
    yscale="log",
    title="NumPy seed loop",
)
left.legend(fontsize=8)
for name, clf in [("full-batch GD", full_batch), ("adam (default)", adam)]:
    right.plot(
        np.arange(1, clf.n_iter_ + 1),
        clf.loss_curve_,
        label=f"{name} ({scores[name]:.1%})",
    )
right.set(
    xlabel="epoch",
    ylabel="training loss",
    yscale="log",
    title="NumpyMLPClassifier, 784-25-15-10",
)
right.legend()
fig.tight_layout()

# %%
# Measured over several seeds
# ---------------------------
# The requirements for the seed architecture, measured on mnist-10k (train
# on the first 8,000, test on the last 2,000) with default settings
# (``hidden_layer_sizes=(25, 15)``: Adam, float32), seeds 0-11, one BLAS
# thread:
#
# ========================================  =======  =====  =====  ============
# model                                     mean     min    max    seeds >= 94%
# ========================================  =======  =====  =====  ============
# NumpyMLPClassifier, pixels / 255          94.43%   93.60  94.95  10 of 12
# NumpyMLPClassifier, raw 0-255 pixels      90.71%   88.45  92.55
# MLPClassifier (scikit-learn), raw pixels  90.50%   89.15  91.80
# ========================================  =======  =====  =====  ============
#
# * With a scaling step the seed architecture reaches 94.43% on average, but
#   not with every seed: seeds 2 and 10 stop at 93.80% and 93.60%.
# * On the raw pixels it trains stably with every seed: no overflow (nor any
#   other) RuntimeWarning, no NaN loss or weight.  It does as well as
#   scikit-learn on the same raw pixels: +0.21 points on average, seed by
#   seed better 6 times, equal twice and worse 4 times (by at most 0.7),
#   a difference well within the seed-to-seed spread.
# * Full-batch gradient descent, as in the notebook, ends close to Adam
#   (94.95-95.70% for seed 0 after 400 epochs, depending on the BLAS thread
#   count, against 94.80%) but needs a tuned step size and ~3 times as many
#   passes over the data.
#
# Set ``SKMLP_EXAMPLE_SEEDS`` (e.g. to 12) to measure this again when the
# example runs; it takes several minutes.

n_seeds = int(os.environ.get("SKMLP_EXAMPLE_SEEDS", "0"))
if n_seeds:
    from sklearn.neural_network import MLPClassifier

    table = {"np, /255": [], "np, raw": [], "sklearn, raw": []}
    for seed in range(n_seeds):
        for key, make, scaled in [
            ("np, /255", NumpyMLPClassifier, True),
            ("np, raw", NumpyMLPClassifier, False),
            ("sklearn, raw", MLPClassifier, False),
        ]:
            clf = make(hidden_layer_sizes=(25, 15), random_state=seed)
            A, B = (X_train_01, X_test_01) if scaled else (X_train, X_test)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(A, y_train)
            table[key].append(clf.score(B, y_test))
    for key, accs in table.items():
        accs = np.array(accs)
        print(
            f"{key:13s} mean {accs.mean():.2%}  min {accs.min():.2%}  "
            f"max {accs.max():.2%}  ({n_seeds} seeds)"
        )

print(f"total time {time.perf_counter() - start:.0f} s")
