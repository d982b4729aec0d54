"""``skmlp train``'s default against MLPClassifier() at the Kaggle set's size.

The Kaggle "Digit Recognizer" ``train.csv`` has 42,000 rows; this project
has 15,000 real MNIST digits (the shared 10,000 and the 5,000 unseen ones of
``unseen_digits.py``).  This *proxy* trains on 42,000 rows made of 13,000
real digits (the shared file plus 3,000 unseen ones, a stratified draw per
seed) and 29,000 copies of them shifted by one or two pixels (each copy its
own random shift, as ``skmlp.augment.ImageShift`` draws them), and tests on
the other 2,000 unseen digits.  The shifted copies make the time of an
epoch and the number of epochs MLPClassifier() takes realistic for 42,000
images; they are not new digits, so the accuracies say less than the
times.  One BLAS thread per fit.

Run from the repository root (after ``unseen_digits.py --fetch``)::

    python benchmarks/kaggle_size_proxy.py --seeds 0 1 \\
        --out benchmarks/results/kaggle_size_proxy.json
"""

import argparse
import json
import os
import sys

import numpy as np
from threadpoolctl import threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from unseen_digits import (  # noqa: E402
    CANDIDATES,
    DEFAULT_DATA,
    DEFAULT_UNSEEN,
    load_unseen,
    make_model,
    measure,
    splits,
)

from skmlp.datasets import load_kaggle_train  # noqa: E402

N_PROXY = 42000
CANDIDATES.setdefault("25 epochs", dict(epochs=25))


def shifted_copies(X, n, rng):
    """``n`` rows of X (28x28 uint8 images), each shifted by a random 1-2 pixels."""
    picks = rng.integers(0, len(X), n)
    images = X[picks].reshape(n, 28, 28)
    out = np.zeros_like(images)
    for i in range(n):
        while True:
            dy, dx = rng.integers(-2, 3, 2)
            if dy or dx:
                break
        src = images[i, max(0, -dy) : 28 - max(0, dy), max(0, -dx) : 28 - max(0, dx)]
        out[
            i,
            max(0, dy) : max(0, dy) + src.shape[0],
            max(0, dx) : max(0, dx) + src.shape[1],
        ] = src
    return out.reshape(n, 784), picks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--only",
        nargs="+",
        default=["MLPClassifier()", "skmlp train (default)", "25 epochs"],
    )
    parser.add_argument("--out")
    args = parser.parse_args()
    Xs, ys = load_kaggle_train(DEFAULT_DATA, dtype=np.uint8)
    Xu, yu = load_unseen(DEFAULT_UNSEEN, Xs)
    in_select = np.zeros(len(yu), dtype=bool)  # no halves here
    results = []
    with threadpool_limits(1):
        for _, seed, X13, y13, test in splits([13000], args.seeds, (Xs, ys), (Xu, yu)):
            rng = np.random.default_rng(seed)
            extra, picks = shifted_copies(X13, N_PROXY - len(X13), rng)
            X = np.concatenate([X13, extra])
            y = np.concatenate([y13, y13[picks]])
            for name in args.only:
                model = make_model(name, seed, len(y))
                r = measure(model, X, y, Xu[test], yu[test], in_select[test])
                r.update(name=name, seed=seed)
                results.append(r)
                print(
                    f"seed {seed} {name:24s} acc {r['accuracy']:.4f} "
                    f"wall {r['wall']:6.1f} s cpu {r['cpu']:6.1f} s "
                    f"epochs {r['epochs']} load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
