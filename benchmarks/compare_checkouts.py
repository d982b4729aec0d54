"""Epoch times of two skmlp checkouts, interleaved process by process.

For changes to the training layer that must not cost speed: each round
runs one fresh process per checkout (alternating, so that a busy machine
slows both alike), and each process reports, per configuration, the
fastest of a few one-epoch warm-start fits.  The summary gives the medians
and the median of the per-round ratios new/old.

Usage (from the repository root)::

    git archive <base commit> | tar -x -C /tmp/base
    python benchmarks/compare_checkouts.py /tmp/base . --rounds 10

Data: ``../shared/data/mnist-10k.csv.gz`` (its first 8,000 rows) when
present, else synthetic data of the same shape; and scikit-learn's digits
with batches of 16 rows, where the per-batch overhead of the loop shows.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-10k.csv.gz"

# Run in a child process with the checkout first on sys.path.
CHILD = r"""
import json, sys, time, warnings
import numpy as np
from sklearn.datasets import load_digits
import skmlp
from skmlp import NumpyMLPClassifier
assert skmlp.__file__.startswith(sys.path[0]), skmlp.__file__
warnings.simplefilter("ignore")
mnist = sys.argv[1]
if mnist:
    import pandas as pd
    df = pd.read_csv(mnist, nrows=8000)
    y = df.pop("label").to_numpy()
    X = (df.to_numpy() / 255.0).astype(np.float32)
else:
    rng = np.random.RandomState(0)
    y = rng.randint(0, 10, 8000)
    X = (rng.rand(10, 784)[y] + rng.rand(8000, 784)).astype(np.float32) / 2
Xd, yd = load_digits(return_X_y=True)
Xd = Xd / 16

def epoch_min(X, y, k, **kw):
    est = NumpyMLPClassifier(max_iter=1, warm_start=True, random_state=0, **kw)
    times = []
    for _ in range(k):
        t = time.perf_counter()
        est.fit(X, y)
        times.append(time.perf_counter() - t)
    return min(times)

print(json.dumps({
    "mnist-adam": epoch_min(X, y, 5, hidden_layer_sizes=(100,)),
    "mnist-sgd-es": epoch_min(
        X, y, 5, hidden_layer_sizes=(100,), solver="sgd", early_stopping=True
    ),
    "digits-b16": epoch_min(Xd, yd, 10, hidden_layer_sizes=(16,), batch_size=16),
    "digits-b16-clip-wd": epoch_min(
        Xd, yd, 10, hidden_layer_sizes=(16,), batch_size=16,
        max_grad_norm=1.0, weight_decay=1e-4,
    ),
}))
"""


def _run(checkout, mnist):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["MKL_NUM_THREADS"] = "1"
    code = f"import sys; sys.path.insert(0, {str(checkout)!r})\n" + CHILD
    out = subprocess.run(
        [sys.executable, "-c", code, mnist],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the base checkout")
    parser.add_argument("new", type=Path, help="the changed checkout")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    mnist = str(MNIST) if MNIST.exists() else ""
    old, new = [], []
    for i in range(args.rounds):
        old.append(_run(args.old.resolve(), mnist))
        new.append(_run(args.new.resolve(), mnist))
        print(f"round {i + 1}: old {old[-1]}\n         new {new[-1]}", flush=True)
    print(f"\n{args.rounds} rounds, fastest epoch per process, one thread:")
    for key in old[0]:
        a, b = [r[key] for r in old], [r[key] for r in new]
        ratios = sorted(y / x for x, y in zip(a, b))
        print(
            f"{key:20s} old {statistics.median(a) * 1e3:7.1f} ms  "
            f"new {statistics.median(b) * 1e3:7.1f} ms  new/old "
            f"{statistics.median(ratios):.3f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"
        )


if __name__ == "__main__":
    main()
