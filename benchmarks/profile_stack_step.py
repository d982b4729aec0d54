"""Where a member-step's time goes: one fold of issue 15's grid, by part.

A *member-step* is one minibatch of one member (one network's forward,
loss, backward and optimizer step).  This script trains one
cross-validation fold's 12 fits of the grid (alpha x4,
learning_rate_init x3) twice, interleaved ``--repeats`` times: as 12
standalone ``fit`` calls and as ``fit_stack``.  Every part of the loop
(the functions of :mod:`skmlp._training` and :mod:`skmlp._batched_training`
listed in ``STANDALONE`` and ``STACKED``) is wrapped in a timer that keeps
its *exclusive* time (its callees' time is given to them), so the parts
add up to the whole fit.  Printed: microseconds per member-step of each
part (medians over the repeats) and the number of member-steps.

Wrapping adds about a microsecond per wrapped call (a handful per
member-step), charged to the caller.  Run from the repository root at one
BLAS thread::

    python benchmarks/profile_stack_step.py --row digits --repeats 5
"""

import argparse
import statistics
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_stack_fold import _data  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skmlp import (  # noqa: E402
    _batched,
    _batched_training,
    _fit_data,
    _training,
)

# (owner, attribute) of every timed part: owner a module or a class.
STANDALONE = [
    (_training, "forward"),
    (_training, "loss"),
    (_training, "backward"),
    (_training, "apply_update"),
    (_training, "non_finite"),
    (_training, "shuffled"),
    (_training.FitRun, "begin_epoch"),
    (_training.FitRun, "end_epoch"),
    (_training.FitRun, "run_epoch"),
    (_fit_data.BatchTaker, "__call__"),
    (_training, "fit_stochastic"),
]
STACKED = [
    (_batched_training, "forward_stacked"),
    (_batched_training, "loss_stacked"),
    (_batched_training, "backward_stacked"),
    (_batched_training, "apply_update"),
    (_batched_training, "l2_coefficient"),
    (_batched_training, "_take"),
    (_batched_training, "_dropout_masks"),
    (_batched_training, "_train_batch"),
    (_batched_training, "_end_epoch"),
    (_batched_training, "_validation_scores"),
    (_batched_training, "shuffled"),
    (_batched_training, "_run_epoch"),
    (_batched_training, "_train"),
    (_batched_training, "_Stack"),
    (_batched_training, "fit_stack"),
    (_batched_training._Stack, "checkpoint"),
    (_batched_training._Stack, "keep"),
    (_batched_training, "_result"),
    (_batched, "_bias_activation"),
    (_batched, "_output_error"),
    (_batched, "_cross_entropies"),
]


class Timer:
    """Exclusive times of nested wrapped calls (perf_counter)."""

    def __init__(self):
        self.total = defaultdict(float)
        self.calls = defaultdict(int)
        self.stack = []  # [name, start, children]

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            frame = [name, time.perf_counter(), 0.0]
            self.stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - frame[1]
                self.stack.pop()
                self.total[name] += elapsed - frame[2]
                self.calls[name] += 1
                if self.stack:
                    self.stack[-1][2] += elapsed

        return timed


def patched(parts, timer):
    """Wrap ``parts``; returns the originals to put back."""
    saved = []
    for owner, attr in parts:
        fn = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
        saved.append((owner, attr, fn))
        setattr(owner, attr, timer.wrap(attr, fn))
    return saved


def restore(saved):
    for owner, attr, fn in saved:
        setattr(owner, attr, fn)


def run(kind, grid, X, y):
    """One timed fold; returns ({part: seconds}, member-steps, cpu seconds)."""
    timer = Timer()
    steps = [0]
    if kind == "standalone":
        saved = patched(STANDALONE, timer)
        inner = _training.train_step

        def counting(*a, **k):
            steps[0] += 1
            return inner(*a, **k)

        _training.train_step = counting
        saved.append((_training, "train_step", inner))
    else:
        saved = patched(STACKED, timer)
        take = _batched_training._take  # wrapped: count the members it serves

        def counting(stack, R, shared):
            steps[0] += len(stack.runs)
            return take(stack, R, shared)

        _batched_training._take = counting
        saved.append((_batched_training, "_take", take))
    try:
        start_cpu, start = time.process_time(), time.perf_counter()
        if kind == "standalone":
            for e in grid:
                timer.wrap("fit (whole)", clone(e).fit)(X, y)
        else:
            timer.wrap("fit (whole)", _batched_training.fit_stack)(
                [clone(e) for e in grid], X, y
            )
        wall = time.perf_counter() - start
        cpu = time.process_time() - start_cpu
    finally:
        restore(saved[::-1])
    return dict(timer.total), dict(timer.calls), steps[0], cpu, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--row", default="digits", choices=["digits", "mnist"])
    parser.add_argument("--epochs", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--kinds", nargs="+", default=["standalone", "stacked"])
    args = parser.parse_args()
    grid, X, y = _data(args.row, args.epochs)
    results = {k: [] for k in args.kinds}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _batched_training.fit_stack([clone(e) for e in grid[:2]], X[:400], y[:400])
        for repeat in range(args.repeats):
            order = args.kinds if repeat % 2 == 0 else args.kinds[::-1]
            for kind in order:
                results[kind].append(run(kind, grid, X, y))
                r = results[kind][-1]
                print(
                    f"{kind}: cpu {r[3]:.3f} s, wall {r[4]:.3f} s, {r[2]} member-steps",
                    flush=True,
                )
    for kind in args.kinds:
        rs = results[kind]
        steps = rs[0][2]
        print(f"\n== {kind}: {steps} member-steps, medians of {len(rs)}")
        names = sorted({n for r in rs for n in r[0]}, key=lambda n: -rs[0][0][n])
        total = 0.0
        for n in names:
            us = statistics.median(r[0].get(n, 0.0) for r in rs) / steps * 1e6
            calls = rs[0][1].get(n, 0)
            total += us
            print(f"  {n:22s} {us:8.1f} us/member-step  ({calls} calls)")
        cpu = statistics.median(r[3] for r in rs) / steps * 1e6
        wall = statistics.median(r[4] for r in rs) / steps * 1e6
        print(f"  {'sum of parts':22s} {total:8.1f}; wall {wall:.1f}, cpu {cpu:.1f}")


if __name__ == "__main__":
    main()
