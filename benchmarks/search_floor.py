"""The matrix-product floor of issue 15's digits grid search.

Trains the search's 60 fits (StandardScaler + (64,), alpha x4,
learning_rate_init x3, ``StratifiedKFold(5)`` as ``GridSearchCV(cv=5)``
splits a classifier's rows) with ``fit_stack`` to get each fit's own
number of epochs, counts the multiply-adds of their matrix products
(forward, weight and bias gradients, the error passed back; not the first
layer's input error, which is never computed), adds the refit of the best
candidate on all rows, and divides by the float64 GEMM rate measured here
on one core (a 1000 x 1000 product, and the (200, 64) x (64, 64) product
of a digits batch).  Prints the CPU seconds of products alone, and the
wall seconds on ``--cores`` cores with perfect balance.

Run from the repository root at one BLAS thread::

    python benchmarks/search_floor.py
"""

import argparse
import sys
import time
import warnings
from itertools import pairwise
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmlp import NumpyMLPClassifier  # noqa: E402
from skmlp._batched_training import fit_stack  # noqa: E402

ALPHAS = [1e-4, 1e-3, 1e-2, 1e-1]
RATES = [1e-3, 3e-3, 1e-2]


def macs_per_row(units):
    """Multiply-adds of one row's training step (forward and backward)."""
    forward = sum(a * b for a, b in pairwise(units))
    weight_grads = forward
    bias_grads = sum(units[1:])
    errors_back = sum(a * b for a, b in pairwise(units[1:]))  # not into X
    return forward + weight_grads + bias_grads + errors_back


def gemm_rate(shape, repeats=7, calls=200):
    """Best-of-``repeats`` multiply-adds per second of ``A @ B`` (float64)."""
    m, k, n = shape
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    out = np.empty((m, n))
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(A, B, out=out)
        best = min(best, (time.perf_counter() - start) / calls)
    return m * k * n / best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    base = NumpyMLPClassifier((64,), random_state=0)
    grid = [(a, r) for a in ALPHAS for r in RATES]
    units = [X.shape[1], 64, len(np.unique(y))]
    per_row = macs_per_row(units)
    total, epochs, scores = 0, {}, {p: [] for p in grid}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for train, test in StratifiedKFold(5).split(X, y):
            scaler = StandardScaler().fit(X[train])
            members = [
                clone(base).set_params(alpha=a, learning_rate_init=r) for a, r in grid
            ]
            fitted = fit_stack(members, scaler.transform(X[train]), y[train])
            for p, est in zip(grid, fitted):
                total += est.n_iter_ * len(train) * per_row
                epochs.setdefault(p, []).append(est.n_iter_)
                scores[p].append(est.score(scaler.transform(X[test]), y[test]))
        best = max(grid, key=lambda p: np.mean(scores[p]))
        refit = clone(base).set_params(alpha=best[0], learning_rate_init=best[1])
        refit.fit(StandardScaler().fit_transform(X), y)
        refit_macs = refit.n_iter_ * len(X) * per_row
        big = gemm_rate((1000, 1000, 1000), calls=5)
        small = gemm_rate((200, 64, 64))
    n_epochs = sum(sum(v) for v in epochs.values())
    print(f"multiply-adds per row and step: {per_row}")
    print(f"epochs of the 60 fits: {n_epochs} (per candidate: {epochs})")
    print(f"best {best}, refit {refit.n_iter_} epochs")
    macs = total + refit_macs
    print(
        f"multiply-adds: {total / 1e9:.2f} G (fits) + {refit_macs / 1e9:.2f} G (refit)"
    )
    for name, rate in (("1000^3", big), ("200x64x64", small)):
        cpu = macs / rate
        print(
            f"GEMM {name}: {2 * rate / 1e9:.1f} GFLOP/s -> products alone "
            f"{cpu:.2f} CPU s, {total / rate / args.cores + refit_macs / rate:.2f} "
            f"s wall on {args.cores} cores"
        )


if __name__ == "__main__":
    main()
