"""The first layer's zero-skipping products against BLAS's dense ones.

Run from the repository root (numba installed)::

    python benchmarks/bench_sparse_rows.py
    python benchmarks/bench_sparse_rows.py --widths 25 64 --repeats 9
    python benchmarks/bench_sparse_rows.py --threads 2   # all cores

For MNIST batches of 200 rows (pixels / 255, 81% zeros; random rows of the
same density without ``../shared/data/mnist-10k.csv.gz``) and first layers
of several widths, it times, at one thread and in both precisions, the
forward product ``X_batch @ W`` and the weight gradient
``X_batch.T @ delta`` as BLAS computes them (``np.matmul`` into a
preallocated output, the batch already gathered) and as the compiled
kernels of ``skmlp._kernels_numba`` do on sparse rows (nothing gathered),
and prints the medians (CPU microseconds per call, ``time.process_time``)
and the ratios.  These ratios chose ``skmlp._sparse_rows.MIN_WIDTH``; the
last two columns, the gradient's two kernels (the scatter and the sum by
column, the same floats), chose ``BY_COLUMN_MIN_WIDTH``.

``--fresh`` takes every call's batch from a shuffled epoch, as training
does, instead of the same 200 rows each time: the rows' stored entries then
come from further than the L2 cache, which roughly doubled the kernels'
time at 25 units, and the BLAS forward column includes the gather of the
batch's dense rows (``np.take``) that training pays before the product.

``--threads N`` (N > 1) times the same products on N threads instead, in
wall-clock microseconds: BLAS on N threads, the one-thread kernels, and the
``numba-parallel`` backend's products (the forward product's columns, or
the wide gradient's rows, split over N threads: the same floats).  These ratios
decide whether the parallel products pay; ``skmlp._sparse_rows`` uses them
only with ``SKMLP_KERNELS=numba-parallel``.
"""

import argparse
import itertools
import os
import time
from functools import partial
from pathlib import Path


def _threads_asked():
    """``--threads``, read before numpy starts its BLAS thread pool."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--threads", type=int, default=1)
    return early.parse_known_args()[0].threads


if _threads_asked() == 1:
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


def median_us(call, number, repeats, clock=time.process_time):
    times = []
    for _ in range(repeats):
        start = clock()
        for _ in range(number):
            call()
        times.append((clock() - start) / number * 1e6)
    return float(np.median(times))


def _gather_dot(Xd, batches, dense, fresh, W, out):
    """BLAS's forward product, after training's gather when ``fresh``."""
    if fresh:
        np.take(Xd, next(batches).rows, axis=0, out=dense)
    np.matmul(dense, W, out=out)


def _sparse_product(batches, kernels, product, *operands):
    """A zero-skipping product of the next batch: ``"dot"`` and ``"T.dot"``
    as dispatched, or a kernel of ``skmlp._kernels_numba`` by name."""
    batch = next(batches)
    if product == "dot":
        return batch.dot(*operands)
    if product == "T.dot":
        return batch.T.dot(*operands)
    arrays = batch.indptr, batch.indices, batch.data, batch.rows
    return getattr(kernels, product)(*arrays, *operands)


def _parallel_product(kernels_module, product, B, into):
    """``product(B, into)`` as the numba-parallel backend runs it."""
    with kernels_module.use("numba-parallel"):
        product(B, into)


def parallel_table(X, widths, threads, number, repeats):
    """The products on ``threads`` threads: BLAS, one-thread and parallel kernels."""
    import numba
    from threadpoolctl import threadpool_limits

    from skmlp import _kernels
    from skmlp._sparse_rows import SparseRowTaker

    numba.set_num_threads(threads)
    print(f"{threads} threads, wall-clock us per call")
    print("| dtype | units | BLAS fwd | sparse fwd | parallel fwd | BLAS grad "
          "| sparse grad | parallel grad | BLAS / parallel, both |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    rows = rng.permutation(X.shape[0])[:200]
    clock = partial(median_us, number=number, repeats=repeats, clock=time.perf_counter)
    with threadpool_limits(threads), _kernels.use("numba"):
        for dtype in (np.float32, np.float64):
            Xd = X.astype(dtype)
            batch = SparseRowTaker(Xd)(rows)
            dense = Xd[rows]
            for width in widths:
                W = (rng.standard_normal((784, width)) * 0.05).astype(dtype)
                D = rng.standard_normal((200, width)).astype(dtype)
                out, grad = np.empty((200, width), dtype), np.empty((784, width), dtype)

                parallel = partial(_parallel_product, _kernels)
                calls = (
                    partial(np.matmul, dense, W, out=out),
                    partial(batch.dot, W, out),  # one thread (numba backend)
                    partial(parallel, batch.dot, W, out),
                    partial(np.matmul, dense.T, D, out=grad),
                    partial(batch.T.dot, D, grad),
                    partial(parallel, batch.T.dot, D, grad),
                )
                for call in calls:  # compile, warm the pools
                    call()
                t = [clock(call) for call in calls]
                print(
                    f"| {np.dtype(dtype).name} | {width} | "
                    + " | ".join(f"{x:.0f}" for x in t)
                    + f" | {(t[0] + t[3]) / (t[2] + t[5]):.2f} |",
                    flush=True,
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[25, 64, 128, 256])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--number", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--fresh", action="store_true", help="a new batch of a shuffled epoch each call"
    )
    args = parser.parse_args()
    if args.threads > 1:
        X, source = pixels()
        print(f"data: {source}; batch 200; load {os.getloadavg()}")
        parallel_table(X, args.widths, args.threads, args.number, args.repeats)
        print(f"load at end {os.getloadavg()}")
        return

    from skmlp import _kernels
    from skmlp._sparse_rows import SparseRowTaker

    X, source = pixels()
    rows = "a new batch each call (--fresh)" if args.fresh else "the same batch"
    print(f"data: {source}; batch 200, {rows}; one thread; load {os.getloadavg()}")
    print("| dtype | units | BLAS fwd us | sparse fwd us | BLAS grad us "
          "| sparse grad us | fwd ratio | grad ratio | both ratio "
          "| scatter grad us | by-column grad us |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    perm = rng.permutation(X.shape[0])
    epoch = [perm[i : i + 200] for i in range(0, X.shape[0] - 199, 200)]
    if not args.fresh:
        epoch = epoch[:1]
    with _kernels.use("numba"):
        for dtype in (np.float32, np.float64):
            Xd = X.astype(dtype)
            taker = SparseRowTaker(Xd)
            batches = itertools.cycle([taker(rows) for rows in epoch])
            dense = Xd[epoch[0]]
            for width in args.widths:
                W = (rng.standard_normal((784, width)) * 0.05).astype(dtype)
                D = rng.standard_normal((200, width)).astype(dtype)
                out, grad = np.empty((200, width), dtype), np.empty((784, width), dtype)
                kernels = _kernels.compiled()

                gather_dot = partial(_gather_dot, Xd, batches, dense, args.fresh)
                sparse = partial(_sparse_product, batches, kernels)
                sparse("dot", W, out), sparse("T.dot", D, grad)  # compile
                calls = (
                    partial(gather_dot, W, out),
                    partial(sparse, "dot", W, out),
                    partial(np.matmul, dense.T, D, out=grad),
                    partial(sparse, "T.dot", D, grad),  # what the dispatch picks
                    # The two gradient kernels (BY_COLUMN_MIN_WIDTH chose):
                    partial(sparse, "csr_rows_t_matmul", D, grad),
                    partial(sparse, "csr_rows_t_matmul_by_column", D, grad),
                )
                t = [median_us(call, args.number, args.repeats) for call in calls]
                print(
                    f"| {np.dtype(dtype).name} | {width} | {t[0]:.0f} | {t[1]:.0f} "
                    f"| {t[2]:.0f} | {t[3]:.0f} | {t[0] / t[1]:.2f} "
                    f"| {t[2] / t[3]:.2f} | {(t[0] + t[2]) / (t[1] + t[3]):.2f} "
                    f"| {t[4]:.0f} | {t[5]:.0f} |",
                    flush=True,
                )
    print(f"load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
