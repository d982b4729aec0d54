"""Time per epoch over a long fit, where subnormal weights appear.

Run from the repository root::

    python benchmarks/bench_long_fit.py              # 60 epochs, ~3 min
    python benchmarks/bench_long_fit.py --epochs 80 --threads 2

``bench_fit.py`` times a few epochs at scikit-learn's default ``alpha``.
Longer fits with a real L2 penalty meet another cost: the weights of
inputs that are always zero (MNIST's blank border pixels) decay towards 0
and, after a few dozen epochs, become *subnormal* floats, on which x86
CPUs run every operation several times slower.  skmlp's float32 training
flushes subnormals to zero (``skmlp/_fpenv.py``); scikit-learn does not.

The setting is the best plain ``MLPClassifier`` of
``benchmarks/search_recipe.py`` (784-512-10, relu, adam, alpha=0.1,
learning_rate_init=2e-3, batch 200) on the first 8,000 rows of mnist-10k
(pixels / 255; synthetic data with 200 blank columns when the file is
missing).  Each contender trains with ``partial_fit``, one epoch per call
(Adam's state carries over, as in ``fit``), and the calls are interleaved
epoch by epoch (A B C A B C ...) so that machine drift hits all alike.
Printed: median seconds per epoch over the first and the last third of
the epochs, their ratios to skmlp, and the number of subnormal weights and
the held-out accuracy (rows 8,001-10,000) at the end.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import threadpoolctl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.neural_network import MLPClassifier  # noqa: E402

from skmlp import NumpyMLPClassifier  # noqa: E402
from skmlp.datasets import load_kaggle_train  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "mnist-10k.csv.gz"
SETTING = dict(
    hidden_layer_sizes=(512,),
    alpha=0.1,
    learning_rate_init=2e-3,
    batch_size=200,
    random_state=0,
)


def load(n=8000):
    """Training rows, held-out rows (X float32 in [0, 1]) and a description."""
    if DATA.exists():
        X, y = load_kaggle_train(DATA)
        X = X.astype(np.float32) / np.float32(255)
        source = DATA.name
    else:
        rng = np.random.RandomState(0)
        X = rng.rand(n + 2000, 784).astype(np.float32)
        X[:, :200] = 0  # blank "border" inputs, as in real digits
        y = X[:, 200:210].argmax(axis=1)
        source = "synthetic (mnist-10k.csv.gz not found)"
    return (X[:n], y[:n]), (X[n:], y[n:]), source


def n_subnormal(coefs):
    """Weights below the smallest normal number of their own dtype."""
    return sum(
        int(np.sum((c != 0) & (np.abs(c) < np.finfo(c.dtype).tiny))) for c in coefs
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args(argv)

    (X, y), (X_test, y_test), source = load()
    X64 = X.astype(np.float64)
    classes = np.unique(y)
    contenders = {
        "skmlp-f32": (NumpyMLPClassifier(**SETTING), X),
        "sklearn-f32": (MLPClassifier(**SETTING), X),
        "sklearn-f64": (MLPClassifier(**SETTING), X64),
    }
    times = {name: [] for name in contenders}
    print(f"data: {source}, {X.shape[0]} rows; {args.threads} BLAS thread(s)")
    with threadpoolctl.threadpool_limits(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(args.epochs):
            line = []
            for name, (model, data) in contenders.items():
                start = time.perf_counter()
                model.partial_fit(data, y, classes=classes)
                times[name].append(time.perf_counter() - start)
                line.append(f"{name} {times[name][-1]:.2f}")
            print(f"epoch {epoch + 1:3d}: " + ", ".join(line) + " s", flush=True)

    third = max(1, args.epochs // 3)
    early = {n: statistics.median(t[:third]) for n, t in times.items()}
    late = {n: statistics.median(t[-third:]) for n, t in times.items()}
    print()
    print(f"median s/epoch, epochs 1-{third} and the last {third}:")
    print(
        "| contender | early | late | late / early | early / skmlp | late / skmlp "
        "| subnormal weights at the end |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (model, _) in contenders.items():
        print(
            f"| {name} | {early[name]:.3f} | {late[name]:.3f} "
            f"| {late[name] / early[name]:.2f} "
            f"| {early[name] / early['skmlp-f32']:.2f} "
            f"| {late[name] / late['skmlp-f32']:.2f} "
            f"| {n_subnormal(model.coefs_)} |"
        )
    for name, (model, data) in contenders.items():
        acc = model.score(X_test.astype(data.dtype), y_test)
        print(f"{name}: held-out accuracy after {args.epochs} epochs {acc:.4f}")


if __name__ == "__main__":
    main()
