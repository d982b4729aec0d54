"""Time skmlp's GridSearchCV against scikit-learn's, on the issue-15 rows.

Contenders, all with ``n_jobs=-1`` and the same grid (``alpha`` x4,
``learning_rate_init`` x3, ``cv=5``: 60 fits):

- ``sk+skmlp``: ``sklearn.model_selection.GridSearchCV(NumpyMLPClassifier)``
- ``skmlp``: ``skmlp.model_selection.GridSearchCV(NumpyMLPClassifier)``
  (the fits trained as stacks)
- ``sk+sk``: ``sklearn.model_selection.GridSearchCV(MLPClassifier)``

Rows: ``digits`` (load_digits, StandardScaler + (64,), default max_iter
and dtype) and ``mnist`` (mnist-10k float32 /255, (25, 15), 30 epochs;
skipped when ``../shared/data/mnist-10k.csv.gz`` is missing).  The
contenders run interleaved, ``--repeats`` times each; medians and the
ratios of medians are printed (and written as JSON with ``--out``).  Each
run also checks that the two skmlp searches chose the same
``best_params_``.

Run from the repository root::

    python benchmarks/bench_search.py --repeats 3 --out benchmarks/results/search.json
"""

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV as SkGridSearchCV  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmlp import NumpyMLPClassifier  # noqa: E402
from skmlp.model_selection import GridSearchCV  # noqa: E402

MNIST = REPO.parent / "shared" / "data" / "mnist-10k.csv.gz"
ALPHAS = [1e-4, 1e-3, 1e-2, 1e-1]
RATES = [1e-3, 3e-3, 1e-2]


def _digits(cls):
    X, y = load_digits(return_X_y=True)
    est = make_pipeline(StandardScaler(), cls((64,), random_state=0))
    name = est.steps[-1][0]
    grid = {f"{name}__alpha": ALPHAS, f"{name}__learning_rate_init": RATES}
    return est, grid, X, y


def _mnist(cls):
    import pandas as pd

    data = pd.read_csv(MNIST)
    X = data.drop(columns="label").to_numpy(np.float32) / np.float32(255)
    y = data["label"].to_numpy()
    est = cls((25, 15), max_iter=30, random_state=0)
    return est, {"alpha": ALPHAS, "learning_rate_init": RATES}, X, y


CONTENDERS = {
    "sk+skmlp": (SkGridSearchCV, NumpyMLPClassifier),
    "skmlp": (GridSearchCV, NumpyMLPClassifier),
    "sk+sk": (SkGridSearchCV, MLPClassifier),
}


def _time(row, name):
    search_cls, net_cls = CONTENDERS[name]
    est, grid, X, y = (_digits if row == "digits" else _mnist)(net_cls)
    search = search_cls(est, grid, cv=5, n_jobs=-1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return time.perf_counter() - start, search.best_params_, search.best_score_


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", nargs="+", default=["digits", "mnist"])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows = [r for r in args.rows if r != "mnist" or MNIST.exists()]
    report = {}
    for row in rows:
        times = {name: [] for name in CONTENDERS}
        best = {}
        for repeat in range(args.repeats):
            order = list(CONTENDERS)
            if repeat % 2:  # alternate the order: the machine drifts
                order.reverse()
            for name in order:
                seconds, params, score = _time(row, name)
                times[name].append(seconds)
                best[name] = (params, score)
                print(f"{row} {name}: {seconds:.2f} s best={params} {score:.4f}")
            same = best["skmlp"][0] == best["sk+skmlp"][0]
            print(f"  same best_params_ as sklearn's search: {same}")
        med = {name: statistics.median(t) for name, t in times.items()}
        report[row] = {
            "seconds": times,
            "median": med,
            "speedup_vs_sk+skmlp": med["sk+skmlp"] / med["skmlp"],
            "speedup_vs_sk+sk": med["sk+sk"] / med["skmlp"],
            "best": {k: [str(v[0]), v[1]] for k, v in best.items()},
        }
    print("\n| data | sk+skmlp s | skmlp s | sk+sk s | vs sk+skmlp | vs sk+sk |")
    print("|---|---|---|---|---|---|")
    for row, r in report.items():
        m = r["median"]
        print(
            f"| {row} | {m['sk+skmlp']:.2f} | {m['skmlp']:.2f} | {m['sk+sk']:.2f} "
            f"| {r['speedup_vs_sk+skmlp']:.2f}x | {r['speedup_vs_sk+sk']:.2f}x |"
        )
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
