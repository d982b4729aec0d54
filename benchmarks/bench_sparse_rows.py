"""The first layer's zero-skipping products against BLAS's dense ones.

Run from the repository root (numba installed)::

    python benchmarks/bench_sparse_rows.py
    python benchmarks/bench_sparse_rows.py --widths 25 64 --repeats 9

For MNIST batches of 200 rows (pixels / 255, 81% zeros; random rows of the
same density without ``../shared/data/mnist-10k.csv.gz``) and first layers
of several widths, it times, at one thread and in both precisions, the
forward product ``X_batch @ W`` and the weight gradient
``X_batch.T @ delta`` as BLAS computes them (``np.matmul`` into a
preallocated output, the batch already gathered) and as the compiled
kernels of ``skmlp._kernels_numba`` do on sparse rows (nothing gathered),
and prints the medians (CPU microseconds per call, ``time.process_time``)
and the ratios.  These ratios chose ``skmlp._sparse_rows.MIN_WIDTH``.
"""

import argparse
import os
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-10k.csv.gz"


def pixels():
    if DATA.exists():
        import pandas as pd

        frame = pd.read_csv(DATA)
        return np.ascontiguousarray(frame.to_numpy()[:, 1:]) / 255.0, "MNIST"
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(10_000, 784))
    X[rng.random(X.shape) >= 0.19] = 0.0
    return X, "random, 19% nonzero (no MNIST file)"


def median_us(call, number, repeats):
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            call()
        times.append((time.process_time() - start) / number * 1e6)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[25, 64, 128, 256])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--number", type=int, default=50)
    args = parser.parse_args()

    from skmlp import _kernels
    from skmlp._sparse_rows import SparseRowTaker

    X, source = pixels()
    print(f"data: {source}; batch 200; one thread; load {os.getloadavg()}")
    print("| dtype | units | BLAS fwd us | sparse fwd us | BLAS grad us "
          "| sparse grad us | fwd ratio | grad ratio | both ratio |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    rows = rng.permutation(X.shape[0])[:200]
    with _kernels.use("numba"):
        for dtype in (np.float32, np.float64):
            Xd = X.astype(dtype)
            batch = SparseRowTaker(Xd)(rows)
            dense = Xd[rows]
            for width in args.widths:
                W = (rng.standard_normal((784, width)) * 0.05).astype(dtype)
                D = rng.standard_normal((200, width)).astype(dtype)
                out, grad = np.empty((200, width), dtype), np.empty((784, width), dtype)
                batch.dot(W, out), batch.T.dot(D, grad)  # compile
                calls = (
                    partial(np.matmul, dense, W, out=out),
                    partial(batch.dot, W, out),
                    partial(np.matmul, dense.T, D, out=grad),
                    partial(batch.T.dot, D, grad),
                )
                t = [median_us(call, args.number, args.repeats) for call in calls]
                print(
                    f"| {np.dtype(dtype).name} | {width} | {t[0]:.0f} | {t[1]:.0f} "
                    f"| {t[2]:.0f} | {t[3]:.0f} | {t[0] / t[1]:.2f} "
                    f"| {t[2] / t[3]:.2f} | {(t[0] + t[2]) / (t[1] + t[3]):.2f} |",
                    flush=True,
                )
    print(f"load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
