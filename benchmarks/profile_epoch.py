"""Per-batch cost of each part of skmlp's training step, optionally A/B.

Run from the repository root::

    python benchmarks/profile_epoch.py                    # both networks
    python benchmarks/profile_epoch.py --hidden 25,15 --threads 2
    python benchmarks/profile_epoch.py --base HEAD~3      # working tree vs a commit
    python benchmarks/profile_epoch.py --kernels          # NumPy vs numba kernels
    python benchmarks/profile_epoch.py --kernels --fold-l2   # numba with the L2 folded
    python benchmarks/profile_epoch.py --dtype float32 float64

It drives the core (:mod:`skmlp._network`, :mod:`skmlp._optimizers`)
exactly as the epoch loop does (gather, forward, loss, backward, Adam step)
on MNIST-shaped batches of 200 and prints the median microseconds of each
part over all batches.  With ``--base`` the same batches also go through the
core of another commit (extracted with ``git archive``), alternating batch
by batch, and the median *paired* difference of each part is printed: on a
busy machine that is the only comparison worth reading.  With ``--kernels``
the working tree's core runs twice the same way, once on each backend of
:mod:`skmlp._kernels` (NumPy as "base", numba as "tree").  The data are
the first 8,000 rows of ``../shared/data/mnist-10k.csv.gz`` (random
numbers of that shape without it).
"""

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import threadpoolctl

REPO = Path(__file__).resolve().parents[1]
PARTS = ("gather", "forward", "loss", "backward", "step", "total")


def load_core(path, name):
    """Import ``path/skmlp`` as the package ``name`` (its own module objects)."""
    sys.path.insert(0, str(path))
    try:
        network = importlib.import_module(f"{name}._network")
        optimizers = importlib.import_module(f"{name}._optimizers")
    finally:
        sys.path.pop(0)
    return network, optimizers


def core_of_commit(commit, workdir):
    """Extract ``skmlp/`` of ``commit`` as package ``skmlp_base`` in workdir."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "skmlp"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", workdir], input=archive, check=True)
    (Path(workdir) / "skmlp").rename(Path(workdir) / "skmlp_base")
    return load_core(workdir, "skmlp_base")


DATA = REPO.parent / "shared" / "data" / "mnist-10k.csv.gz"


def data(dtype, n=8000, n_features=784, n_classes=10, seed=0):
    """MNIST's first ``n`` rows scaled to [0, 1], or random data of that shape."""
    if DATA.exists():
        import pandas as pd

        raw = pd.read_csv(DATA, nrows=n).to_numpy(dtype=np.float64)
        X, y = raw[:, 1:] / 255.0, raw[:, 0].astype(int)
    else:
        rng = np.random.RandomState(seed)
        X, y = rng.rand(n, n_features), rng.randint(0, n_classes, n)
    return np.ascontiguousarray(X, dtype=dtype), np.eye(n_classes, dtype=dtype)[y]


class Runner:
    """One core (network + optimizer modules) training its own copy."""

    def __init__(
        self, network, optimizers, units, batch, dtype, backend=None, fold=False
    ):
        self.N = network
        self.backend, self.fold = backend, fold
        rng = np.random.RandomState(0)
        self.params = network.glorot_uniform(units, "relu", rng, dtype)
        self.grad = network.as_params(np.empty_like(self.params.flat), units)
        self.n_coef = self.params.n_coef
        self.opt = optimizers.Adam(self.params.flat)
        self.out = [np.empty((batch, u), dtype) for u in units[1:]]
        self.times = {part: [] for part in PARTS}

    def batch(self, X, Y, rows):
        if self.backend is None:
            return self._batch(X, Y, rows)
        from skmlp import _kernels

        with _kernels.use(self.backend):
            return self._batch(X, Y, rows)

    def _batch(self, X, Y, rows):
        N, t = self.N, [time.perf_counter()]
        X_batch = X[rows]
        Y_batch = Y[rows]
        t.append(time.perf_counter())
        result = N.forward(X_batch, self.params, "relu", "softmax", out=self.out)
        acts, inputs = result[0], result[1]
        t.append(time.perf_counter())
        N.loss(Y_batch, acts[-1], "softmax", self.params, 1e-4)
        t.append(time.perf_counter())
        args = (acts, inputs, Y_batch, self.params, "relu", "softmax", 1e-4, self.grad)
        if self.fold:  # the L2 term in the step's pass (see --fold-l2)
            N.backward(*args, add_l2=False)
            t.append(time.perf_counter())
            l2 = N.l2_coefficient(1e-4, Y_batch)
            self.opt.step(self.params.flat, self.grad.flat, l2=l2, n_coef=self.n_coef)
        else:
            N.backward(*args)
            t.append(time.perf_counter())
            self.opt.step(self.params.flat, self.grad.flat)
        t.append(time.perf_counter())
        for part, start, stop in zip(PARTS, t, t[1:]):
            self.times[part].append(stop - start)
        self.times["total"].append(t[-1] - t[0])


def _numba_threads(threads):
    """As many threads for numba's parallel kernels as for BLAS."""
    try:
        import numba
    except ImportError:
        return
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def profile(hidden, threads, epochs, base, dtype, fold=False):
    X, Y = data(dtype)
    units = [X.shape[1], *hidden, Y.shape[1]]
    if base == "kernels":
        core = load_core(REPO, "skmlp")
        runners = {
            "tree": Runner(*core, units, 200, dtype, "numba", fold),
            "base": Runner(*core, units, 200, dtype, "numpy"),
        }
    else:
        tree = load_core(REPO, "skmlp")
        runners = {"tree": Runner(*tree, units, 200, dtype, None, fold)}
    if base is not None and base != "kernels":
        runners["base"] = Runner(*base, units, 200, dtype)
    rng = np.random.RandomState(1)
    _numba_threads(threads)
    with threadpoolctl.threadpool_limits(threads):
        for _ in range(epochs):
            order = rng.permutation(X.shape[0])
            for i, start in enumerate(range(0, X.shape[0], 200)):
                rows = order[start : start + 200]
                names = list(runners) if i % 2 else list(runners)[::-1]
                for name in names:
                    runners[name].batch(X, Y, rows)
    print(
        f"\n{'-'.join(map(str, units))} {np.dtype(dtype).name}, "
        f"{threads} BLAS thread(s), median us per batch"
    )
    tree = runners["tree"].times
    if base is None:
        for part in PARTS:
            print(f"  {part:9s} {np.median(tree[part]) * 1e6:9.1f}")
        return
    other = runners["base"].times
    print(f"  {'part':9s} {'base':>9s} {'tree':>9s} {'paired diff':>12s}")
    for part in PARTS:
        a, b = np.array(other[part]), np.array(tree[part])
        print(
            f"  {part:9s} {np.median(a) * 1e6:9.1f} {np.median(b) * 1e6:9.1f} "
            f"{np.median(b - a) * 1e6:+12.1f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", nargs="+", default=["256,128", "25,15"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--base", help="a commit whose core to compare against")
    parser.add_argument(
        "--kernels",
        action="store_true",
        help="compare the NumPy backend (base) with the numba kernels (tree)",
    )
    parser.add_argument(
        "--fold-l2",
        action="store_true",
        help="tree: backward(add_l2=False) and the L2 term in the optimizer "
        "step (step(..., l2=...)), as a training loop that folds it",
    )
    parser.add_argument(
        "--dtype", nargs="+", choices=["float32", "float64"], default=["float32"]
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        base = None if args.base is None else core_of_commit(args.base, workdir)
        if args.kernels:
            base = "kernels"
        for dtype in args.dtype:
            for hidden in args.hidden:
                profile(
                    tuple(int(h) for h in hidden.split(",")),
                    args.threads,
                    args.epochs,
                    base,
                    np.dtype(dtype).type,
                    args.fold_l2,
                )


if __name__ == "__main__":
    main()
