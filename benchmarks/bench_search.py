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

Besides wall-clock seconds each run records the CPU seconds of this
process (``time.process_time``): with ``--n-jobs 1`` that is all the work
done, a figure much less sensitive to a loaded machine than wall time
(with ``n_jobs=-1`` the workers' CPU time is not in it).
``--blas-threads 1`` limits this process's BLAS threads (where every
contender scores and refits; ``skmlp`` does so by itself for small
networks), so that the contenders differ in their
training only.  ``--wide`` turns
on the wide first-layer product (``skmlp._batched.WIDE_FIRST_LAYER``) in
this process and, through ``SKMLP_WIDE_FIRST_LAYER=1``, in the workers;
``--skip-zeros-wide`` lets float32 stacks skip the inputs' zeros whenever
their first layers side by side are wide enough
(``skmlp._batched_training.SKIP_ZEROS = "wide"``, and
``SKMLP_STACK_SKIP_ZEROS=wide`` for the workers): faster on the MNIST row,
but not its standalone fits' floats.
"""

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

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


def _time(row, name, n_jobs, blas_threads=None):
    search_cls, net_cls = CONTENDERS[name]
    est, grid, X, y = (_digits if row == "digits" else _mnist)(net_cls)
    search = search_cls(est, grid, cv=5, n_jobs=n_jobs)
    start, cpu = time.perf_counter(), time.process_time()
    with (
        warnings.catch_warnings(),
        threadpool_limits(limits=blas_threads, user_api="blas"),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    seconds = time.perf_counter() - start, time.process_time() - cpu
    return seconds, search.best_params_, search.best_score_


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", nargs="+", default=["digits", "mnist"])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS))
    parser.add_argument("--wide", action="store_true")
    parser.add_argument("--skip-zeros-wide", action="store_true")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="BLAS threads of this process (scoring and refit), for every contender",
    )
    args = parser.parse_args()
    if args.wide:
        import os

        import skmlp._batched

        skmlp._batched.WIDE_FIRST_LAYER = True
        os.environ["SKMLP_WIDE_FIRST_LAYER"] = "1"  # the search's workers
    if args.skip_zeros_wide:
        import os

        import skmlp._batched_training

        skmlp._batched_training.SKIP_ZEROS = "wide"
        os.environ["SKMLP_STACK_SKIP_ZEROS"] = "wide"  # the search's workers
    names = args.contenders
    rows = [r for r in args.rows if r != "mnist" or MNIST.exists()]
    report = {}
    for row in rows:
        times = {name: [] for name in names}
        cpu = {name: [] for name in names}
        best = {}
        for repeat in range(args.repeats):
            order = list(names)
            if repeat % 2:  # alternate the order: the machine drifts
                order.reverse()
            for name in order:
                (wall, used), params, score = _time(
                    row, name, args.n_jobs, args.blas_threads
                )
                times[name].append(wall)
                cpu[name].append(used)
                best[name] = (params, score)
                print(
                    f"{row} {name}: {wall:.2f} s wall, {used:.2f} s cpu, "
                    f"best={params} {score:.4f}",
                    flush=True,
                )
        med = {name: statistics.median(t) for name, t in times.items()}
        med_cpu = {name: statistics.median(t) for name, t in cpu.items()}
        report[row] = {
            "n_jobs": args.n_jobs,
            "blas_threads": args.blas_threads,
            "wall": times,
            "cpu": cpu,
            "median_wall": med,
            "median_cpu": med_cpu,
            "best": {k: [str(v[0]), v[1]] for k, v in best.items()},
        }
    print("\n| data | search | median wall s | median cpu s | wall ratio to skmlp |")
    print("|---|---|---|---|---|")
    for row, r in report.items():
        m = r["median_wall"]
        for name in names:
            ratio = m[name] / m["skmlp"] if "skmlp" in m else float("nan")
            print(
                f"| {row} | {name} | {m[name]:.2f} | {r['median_cpu'][name]:.2f} "
                f"| {ratio:.2f}x |"
            )
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
