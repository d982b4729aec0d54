"""Make ``skmlp/datasets/data/digits_sample.csv.gz``, the embedded digit sample.

Takes a class-stratified random sample (fixed seed) of ``--n-rows`` rows from the
FIRST 8,000 data rows of ``mnist-10k.csv.gz`` (Kaggle ``train.csv`` layout) and
writes them, in their original order, as a gzip-compressed (level 9) CSV with the
same header. Data rows 8,001-10,000 are held out as a test set by the benchmarks
and are never read.

Usage (from the repository root)::

    python tools/make_digits_sample.py
    python tools/make_digits_sample.py --source ../shared/data/mnist-10k.csv.gz \
        --n-rows 3000 --seed 0

Allocation: each class gets ``n_rows * n_class / 8000`` rows, rounded by the
largest-remainder method so the total is exactly ``n_rows``; within a class the
rows are drawn without replacement with ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "mnist-10k.csv.gz"
DEFAULT_OUTPUT = REPO / "skmlp" / "datasets" / "data" / "digits_sample.csv.gz"
N_POOL = 8_000  # only these first data rows may be shipped
MAX_BYTES = 1_000_000
HEADER = ["label", *(f"pixel{i}" for i in range(784))]


def stratified_indices(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted indices of a class-stratified sample of ``n`` of ``len(y)`` rows."""
    classes, counts = np.unique(y, return_counts=True)
    quota = n * counts / counts.sum()
    alloc = np.floor(quota).astype(int)
    # Largest remainder; ties broken by class order (stable sort).
    order = np.argsort(-(quota - alloc), kind="stable")
    alloc[order[: n - alloc.sum()]] += 1
    rng = np.random.default_rng(seed)
    picked = [
        rng.choice(np.flatnonzero(y == c), size=k, replace=False)
        for c, k in zip(classes, alloc, strict=True)
    ]
    return np.sort(np.concatenate(picked))


def write_gzip_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV, gzip level 9, with mtime 0 for reproducibility."""
    text = frame.to_csv(index=False, lineterminator="\n").encode("ascii")
    with open(path, "wb") as raw:
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
        ) as gz:
            gz.write(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--n-rows", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    # nrows=N_POOL: the held-out rows 8,001-10,000 are never even parsed.
    pool = pd.read_csv(args.source, nrows=N_POOL)
    if list(pool.columns) != HEADER or len(pool) != N_POOL:
        raise SystemExit(
            f"{args.source}: unexpected header or fewer than {N_POOL} rows"
        )
    values = pool.to_numpy()
    if values.dtype.kind not in "iu" or values.min() < 0 or values.max() > 255:
        raise SystemExit(f"{args.source}: values are not integers 0-255")
    y = values[:, 0]
    if not np.isin(y, np.arange(10)).all():
        raise SystemExit(f"{args.source}: labels are not 0-9")

    idx = stratified_indices(y, args.n_rows, args.seed)
    assert idx.max() < N_POOL and len(np.unique(idx)) == args.n_rows
    sample = pool.iloc[idx].astype(np.uint8)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_gzip_csv(sample, args.output)

    size = args.output.stat().st_size
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    per_class = np.bincount(sample["label"].to_numpy(), minlength=10)
    print(f"wrote {args.output} ({len(sample)} rows, {size} bytes, sha256 {digest})")
    print("rows per class 0-9:", per_class.tolist())
    print(f"source data rows used (1-based): {idx.min() + 1} to {idx.max() + 1}")
    if size > MAX_BYTES:
        raise SystemExit(f"{size} bytes > {MAX_BYTES}: rerun with a smaller --n-rows")


if __name__ == "__main__":
    main()
