"""Choose the defaults of ``skmlp train`` (and of ``--augment``) by measurement.

Data: ``../shared/data/mnist-10k.csv.gz``, 10,000 real MNIST digits (the
MNIST test set) in the Kaggle ``train.csv`` layout -- the only MNIST rows on
this machine, so "digits never trained on" means rows held out of it:

- the *pool*, rows 0-7,999.  The package's embedded sample
  (``skmlp/datasets/data``) was drawn from these rows, and the search
  behind the library's recipe (``benchmarks/search_recipe.py``) selected
  its settings on them.
- the *test rows*, 8,000-9,999: in no file of the package, and used by
  neither this script's selection nor the recipe search.

Stage ``select`` compares the candidates on the pool only, at two
training-set sizes (2,000 and 6,400 rows, a stratified draw per seed)
scored on 1,600 other pool rows.  Stage ``confirm`` then measures
MLPClassifier(), the chosen default and the chosen ``--augment`` default on
the test rows: two folds, each training on 9,000 rows (the pool and one
half of the test rows) and testing on the other 1,000 test rows, with two
seeds per fold.

Every model is a Pipeline whose first step is the command's own scaling
(``FunctionTransformer(scale_pixels)``: pixels / 255 as float32, which is
also MLPClassifier's faster input), so only the classifier differs.  The
candidates are built by ``skmlp._cli.build_pipeline``: exactly what ``skmlp
train`` fits with those options.  For each split and seed the models are
fitted one after the other (interleaved), MLPClassifier() first, so that a
change of load on the shared machine hits them alike; times are quoted as
ratios to the MLPClassifier() fit of the same split and seed.  Wall time
is what a user waits; CPU time (one BLAS thread) is the steadier measure
on a loaded machine.

Run from the repository root::

    python benchmarks/choose_cli_defaults.py --stage select
    python benchmarks/choose_cli_defaults.py --stage confirm

Results: ``benchmarks/RESULTS_cli_defaults.md``.  ``unseen_digits.py``
measures the chosen defaults on 5,000 digits from outside the shared file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from skmlp._cli import build_pipeline, scale_pixels  # noqa: E402
from skmlp.datasets import load_kaggle_train  # noqa: E402

DEFAULT_DATA = os.path.join(
    os.path.dirname(HERE), "..", "shared", "data", "mnist-10k.csv.gz"
)
N_POOL = 8000

# The library's recipe (benchmarks/RESULTS_recipe.md): (512,), alpha 0.1,
# lr 2e-3, batch 200, label smoothing 0.2, cosine schedule.
RECIPE = dict(
    hidden=(512,),
    alpha=0.1,
    learning_rate=2e-3,
    batch_size=200,
    label_smoothing=0.2,
    lr_schedule="cosine",
)

# name -> build_pipeline keyword arguments (None: MLPClassifier()).
# "val 0.1" holds out 10% of the rows to report (and keep the best epoch
# on) a validation score; "es" stops early after --patience 10 epochs
# without improvement, "no stop" never does (--patience = --epochs).
CANDIDATES = {
    "MLPClassifier()": None,
    "previous default (256,128) bs128 lr2e-3 val 0.1 es": dict(
        hidden=(256, 128), batch_size=128, learning_rate=2e-3, epochs=200
    ),
    "recipe 30 ep, val 0.1 es": dict(RECIPE, epochs=30),
    "recipe 30 ep, val 0.1 no stop": dict(RECIPE, epochs=30, patience=30),
    "recipe 20 ep, val 0.1 no stop": dict(RECIPE, epochs=20, patience=20),
    "recipe 30 ep, no val": dict(RECIPE, epochs=30, validation_fraction=0.0),
    "recipe 40 ep, no val": dict(RECIPE, epochs=40, validation_fraction=0.0),
    "recipe 30 ep, no val, bs128": dict(
        RECIPE, epochs=30, validation_fraction=0.0, batch_size=128
    ),
    "recipe 30 ep, no val, (1024,)": dict(
        RECIPE, epochs=30, validation_fraction=0.0, hidden=(1024,)
    ),
    "recipe 30 ep, no val, dropout 0.2": dict(
        RECIPE, epochs=30, validation_fraction=0.0, dropout=0.2
    ),
    "augment 40 ep, no val": dict(
        RECIPE, epochs=40, validation_fraction=0.0, augment=True
    ),
    "augment 60 ep, no val": dict(
        RECIPE, epochs=60, validation_fraction=0.0, augment=True
    ),
    "augment 60 ep, no val, shift 1": dict(
        RECIPE, epochs=60, validation_fraction=0.0, augment=True, max_shift=1
    ),
    "augment 60 ep, val 0.1 no stop": dict(
        RECIPE, epochs=60, patience=60, augment=True
    ),
}

# The stage-2 contenders; set after the selection stage.
CHOSEN = [
    "MLPClassifier()",
    "recipe 30 ep, val 0.1 no stop",
    "augment 60 ep, val 0.1 no stop",
]


def make_model(name, seed):
    options = CANDIDATES[name]
    if options is None:
        return Pipeline(
            [
                ("scale", FunctionTransformer(scale_pixels)),
                ("mlp", MLPClassifier(random_state=seed)),
            ]
        )
    return build_pipeline(seed=seed, **options)


def measure(name, seed, X_train, y_train, X_test, y_test):
    pipe = make_model(name, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wall, cpu = time.perf_counter(), time.process_time()
        pipe.fit(X_train, y_train)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "accuracy": float(pipe.score(X_test, y_test)),
        "wall": wall,
        "cpu": cpu,
        "epochs": int(pipe[-1].n_iter_),
    }


def splits(stage, X, y, seeds):
    """(label, seed, X_train, y_train, X_test, y_test) for each run."""
    if stage == "select":
        pool_X, pool_y = X[:N_POOL], y[:N_POOL]
        for size in (2000, 6400):
            for seed in seeds:
                rest, val = train_test_split(
                    np.arange(N_POOL), test_size=1600, stratify=pool_y,
                    random_state=seed,
                )  # fmt: skip
                train = rest[:size]  # rest is already shuffled
                yield (
                    f"select n={size}",
                    seed,
                    pool_X[train],
                    pool_y[train],
                    pool_X[val],
                    pool_y[val],
                )
    else:
        for fold in (0, 1):
            test = np.arange(N_POOL + 1000 * fold, N_POOL + 1000 * (fold + 1))
            train = np.setdiff1d(np.arange(len(y)), test)
            for seed in seeds:
                yield (
                    f"confirm fold {fold} n=9000",
                    seed,
                    X[train],
                    y[train],
                    X[test],
                    y[test],
                )


def summarise(results, names):
    """Per split label: accuracy and time ratios to MLPClassifier()."""
    lines = []
    for label in dict.fromkeys(r["split"] for r in results):
        runs = [r for r in results if r["split"] == label]
        seeds = sorted({r["seed"] for r in runs})
        lines.append(f"\n{label} (seeds {', '.join(map(str, seeds))})")
        lines.append(
            f"  {'model':42s} {'accuracy % mean [min, max]':>27s} "
            f"{'wall s':>7s} {'wall/MLP':>8s} {'cpu/MLP':>8s} {'epochs':>6s}"
        )
        base = {
            r["seed"]: r for r in runs if r["model"] == "MLPClassifier()"
        }  # fmt: skip
        for name in names:
            rs = [r for r in runs if r["model"] == name]
            if not rs:
                continue
            acc = np.array([r["accuracy"] for r in rs]) * 100
            wall = np.median([r["wall"] for r in rs])
            ratio = {
                kind: np.median([r[kind] / base[r["seed"]][kind] for r in rs])
                if all(r["seed"] in base for r in rs)
                else np.nan
                for kind in ("wall", "cpu")
            }
            ep = np.mean([r["epochs"] for r in rs])
            lines.append(
                f"  {name:42s} {acc.mean():8.2f} [{acc.min():6.2f}, "
                f"{acc.max():6.2f}]   {wall:7.1f} {ratio['wall']:8.2f} "
                f"{ratio['cpu']:8.2f} {ep:6.0f}"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", choices=("select", "confirm"), required=True)
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--only", nargs="*", help="substrings of model names")
    parser.add_argument("--out", help="JSON file for the raw results")
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads (0: library default)"
    )
    args = parser.parse_args(argv)

    X, y = load_kaggle_train(args.data)
    names = list(CANDIDATES) if args.only or args.stage == "select" else CHOSEN
    if args.only:
        names = [n for n in names if n == "MLPClassifier()" or any(
            s in n for s in args.only
        )]  # fmt: skip
    limits = threadpool_limits(args.threads) if args.threads > 0 else None
    results = []
    for label, seed, X_train, y_train, X_test, y_test in splits(
        args.stage, X, y, args.seeds
    ):
        for name in names:
            r = measure(name, seed, X_train, y_train, X_test, y_test)
            r.update(split=label, seed=seed, model=name)
            results.append(r)
            print(
                f"{label}  seed {seed}  {name:42s} acc {r['accuracy']:.4f}  "
                f"wall {r['wall']:6.1f} s  cpu {r['cpu']:6.1f} s  "
                f"epochs {r['epochs']}",
                flush=True,
            )
            if args.out:
                with open(args.out, "w") as fh:
                    json.dump(results, fh, indent=1)
    print(summarise(results, names))
    if limits is not None:
        limits.restore_original_limits()


if __name__ == "__main__":
    main()
