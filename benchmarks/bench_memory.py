"""Memory of fit and of partial_fit over a memory-mapped array.

Run from the repository root::

    python benchmarks/bench_memory.py                 # both parts, ~3 min
    python benchmarks/bench_memory.py --part fit
    python benchmarks/bench_memory.py --part memmap --rows 1000000

``fit``: the tracemalloc peak of one ``fit`` (784-256-128-10, 2 epochs)
on 60,000 rows of MNIST-shaped data given as uint8, float32 and float64,
with and without ``early_stopping``, in units of one float32 copy of X
(188 MB here).  The goal: at most one float32 working copy plus buffers
of the size of a batch.

``memmap``: ``partial_fit`` over a ``np.memmap`` of ``--rows`` uint8 rows
(784 columns, on disk in the temporary directory, deleted afterwards),
10,000 rows per call.  Printed: the process's anonymous resident memory
(``RssAnon`` in /proc/self/status, i.e. not counting the file's pages,
which the kernel can drop at any time) after every tenth call, and its
growth from the tenth call to the last.  The goal: flat.

Each part runs in a fresh process so that one does not inherit the
other's heap.
"""

import argparse
import multiprocessing as mp
import re
import sys
import tempfile
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from skmlp import NumpyMLPClassifier  # noqa: E402

N_FEATURES = 784
HIDDEN = (256, 128)


def _data(n, dtype, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randint(0, 256, size=(n, N_FEATURES)).astype(np.uint8)
    y = rng.randint(0, 10, size=n)
    if dtype != np.uint8:
        X = X.astype(dtype) / dtype(255)
    return X, y


def _fit_peak(dtype, early_stopping, n, queue):
    X, y = _data(n, dtype)
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=HIDDEN,
        max_iter=2,
        early_stopping=early_stopping,
        random_state=0,
    )
    warnings.simplefilter("ignore")
    tracemalloc.start()
    clf.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    queue.put(peak)


def _rss_anon_mib():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"RssAnon:\s+(\d+)", status).group(1)) / 1024


def _memmap_run(rows, chunk, queue):
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "X.u8"
        X = np.memmap(path, dtype=np.uint8, mode="w+", shape=(rows, N_FEATURES))
        rng = np.random.RandomState(0)
        for start in range(0, rows, 100_000):  # written in pieces: no big array
            stop = min(start + 100_000, rows)
            X[start:stop] = rng.randint(0, 256, size=(stop - start, N_FEATURES))
        X.flush()
        del X
        X = np.memmap(path, dtype=np.uint8, mode="r", shape=(rows, N_FEATURES))
        y = np.random.RandomState(1).randint(0, 10, size=rows)
        clf = NumpyMLPClassifier(hidden_layer_sizes=HIDDEN, random_state=0)
        classes = np.arange(10)
        readings = []
        for i, start in enumerate(range(0, rows, chunk), start=1):
            clf.partial_fit(
                X[start : start + chunk], y[start : start + chunk], classes=classes
            )
            if i % 10 == 0:
                readings.append((i, _rss_anon_mib()))
        queue.put(readings)


def _in_child(target, *args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def part_fit(n):
    copy_mb = n * N_FEATURES * 4 / 1e6
    print(f"fit: {n} rows x {N_FEATURES}, one float32 copy of X = {copy_mb:.0f} MB")
    print("| input | early_stopping | tracemalloc peak MB | in float32 copies of X |")
    print("|---|---|---:|---:|")
    for dtype in (np.uint8, np.float32, np.float64):
        for early in (False, True):
            peak = _in_child(_fit_peak, dtype, early, n) / 1e6
            print(
                f"| {np.dtype(dtype).name} | {early} | {peak:.0f} | "
                f"{peak / copy_mb:.2f} |",
                flush=True,
            )


def part_memmap(rows, chunk):
    print(
        f"partial_fit over a np.memmap of {rows} uint8 rows x {N_FEATURES} "
        f"({rows * N_FEATURES / 1e6:.0f} MB on disk), {chunk} rows per call"
    )
    readings = _in_child(_memmap_run, rows, chunk)
    for i, mib in readings:
        print(f"  after call {i:4d}: RssAnon {mib:7.1f} MiB")
    first, last = readings[0][1], readings[-1][1]
    print(
        f"growth from call {readings[0][0]} to call {readings[-1][0]}: "
        f"{last - first:+.1f} MiB"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("fit", "memmap", "both"), default="both")
    parser.add_argument("--fit-rows", type=int, default=60_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.part in ("fit", "both"):
        part_fit(args.fit_rows)
    if args.part in ("memmap", "both"):
        part_memmap(args.rows, args.chunk)


if __name__ == "__main__":
    main()
