"""CPU seconds of one cross-validation fold's 12 fits: stacked against standalone.

The fits of issue 15's grid (alpha x4, learning_rate_init x3) on one
fold's training rows, one BLAS thread, in one process: ``standalone``
(12 ``fit`` calls, what scikit-learn's search does in a worker), and
``fit_stack`` with each variant named by ``--variants``: ``base``;
``dense``: shared batches never skip zeros; ``widezeros``: float32 stacks
skip zeros when their first layers side by side are wide enough
(``SKIP_ZEROS="wide"``); ``rowgrad``: so, with the weight gradient row by
row; ``widedense``: dense, the first layer one wide BLAS product;
``stack12``: the 12 members in one stack (``MAX_MEMBERS = 12``).  The
contenders run
interleaved, ``--repeats`` times; medians of ``time.process_time`` are
printed, and with ``--check`` the largest difference of a stacked
member's ``coefs_`` from its standalone fit.

Run from the repository root::

    python benchmarks/bench_stack_fold.py --row mnist --epochs 10 --repeats 3
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmlp import (  # noqa: E402
    NumpyMLPClassifier,
    _batched,
    _batched_training,
    _sparse_rows,
)

MNIST = REPO.parent / "shared" / "data" / "mnist-10k.csv.gz"
ALPHAS = [1e-4, 1e-3, 1e-2, 1e-1]
RATES = [1e-3, 3e-3, 1e-2]


def _data(row, epochs):
    if row == "digits":
        X, y = load_digits(return_X_y=True)
        est = NumpyMLPClassifier((64,), random_state=0)
        if epochs:
            est.set_params(max_iter=epochs)
    else:
        import pandas as pd

        data = pd.read_csv(MNIST)
        X = data.drop(columns="label").to_numpy(np.float32) / np.float32(255)
        y = data["label"].to_numpy()
        est = NumpyMLPClassifier((25, 15), max_iter=epochs or 30, random_state=0)
    train, _ = next(KFold(5).split(X))
    X, y = X[train], y[train]
    if row == "digits":
        X = StandardScaler().fit_transform(X)
    grid = [
        clone(est).set_params(alpha=a, learning_rate_init=r)
        for a in ALPHAS
        for r in RATES
    ]
    return grid, X, y


# Each variant: (module, attribute, value) patches for the stacked fit.
VARIANTS = {
    "base": [],
    "dense": [(_batched_training, "_sparse_taker", lambda *a: None)],
    "stack12": [(_batched_training, "MAX_MEMBERS", 12)],
    "widezeros": [(_batched_training, "SKIP_ZEROS", "wide")],
    "rowgrad": [
        (_batched_training, "SKIP_ZEROS", "wide"),
        (_sparse_rows, "BY_COLUMN_MIN_WIDTH", {}),
    ],
    "widedense": [
        (_batched_training, "_sparse_taker", lambda *a: None),
        (_batched, "WIDE_FIRST_LAYER", True),
    ],
}


def _stacked(grid, X, y, variant):
    patches = VARIANTS[variant]
    saved = [getattr(module, name) for module, name, _ in patches]
    for module, name, value in patches:
        setattr(module, name, value)
    try:
        return _batched_training.fit_stack([clone(e) for e in grid], X, y)
    finally:
        for (module, name, _), value in zip(patches, saved):
            setattr(module, name, value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--row", default="mnist", choices=["digits", "mnist"])
    parser.add_argument("--epochs", type=int, default=0, help="max_iter (0: default)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", nargs="+", default=["base"])
    parser.add_argument("--no-standalone", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    grid, X, y = _data(args.row, args.epochs)
    names = ([] if args.no_standalone else ["standalone"]) + args.variants
    cpu = {n: [] for n in names}
    fitted = {}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _stacked(grid[:2], X[:400], y[:400], args.variants[0])  # compile
        for repeat in range(args.repeats):
            order = names if repeat % 2 == 0 else names[::-1]
            for name in order:
                start = time.process_time()
                if name == "standalone":
                    fitted[name] = [clone(e).fit(X, y) for e in grid]
                else:
                    fitted[name] = _stacked(grid, X, y, name)
                cpu[name].append(time.process_time() - start)
                print(f"{name}: {cpu[name][-1]:.2f} s cpu", flush=True)
    med = {n: statistics.median(v) for n, v in cpu.items()}
    for n in names:
        extra = ""
        if "standalone" in med:
            extra = f", standalone / this {med['standalone'] / med[n]:.2f}x"
        if args.check and n != "standalone" and "standalone" in fitted:
            diff = max(
                float(np.max(np.abs(a - b) / (np.abs(b) + 1e-30)))
                for s, t in zip(fitted["standalone"], fitted[n])
                for a, b in zip(t.coefs_, s.coefs_)
            )
            extra += f", max rel coef diff {diff:.2e}"
        print(f"{n}: median {med[n]:.2f} s cpu ({cpu[n]}){extra}")


if __name__ == "__main__":
    main()
