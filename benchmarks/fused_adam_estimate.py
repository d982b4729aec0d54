"""What a compiled, fused Adam step would buy (evidence for a decision).

skmlp's NumPy Adam is ten passes over the parameter vector, plus two for
the L2 term of the gradient; each pass runs at memory speed, and NumPy
cannot fuse them.  This script was the evidence for shipping a compiled
kernel (it is now ``skmlp._kernels_numba.adam_step``, used when numba is
installed; ``profile_epoch.py --kernels`` compares the shipped backends).
It keeps its own copy of the loop, with the backends pinned to NumPy, so
that its figures stay comparable: the same training batches (gather,
forward, loss, backward, step) run

* ``numpy``: skmlp's core as it is (L2 term in the backward pass, then
  ``Adam.step``);
* ``fused``: the same core with ``alpha=0`` in the backward pass and one
  numba loop doing the L2 term and the whole Adam update in a single pass
  (the same arithmetic, per element);
* ``bound``: only the batch's matrix products (the GEMM-only bound of
  ``bench_fit.py``),

alternating batch by batch, one BLAS thread, and prints the median
microseconds per batch and the ratios.  It needs numba (``pip install
"skmlp[fast]"``); without it the script says so and stops.

Run: ``python benchmarks/fused_adam_estimate.py`` (about ten seconds).

Measured on 2026-11-29 (numba 0.68.1, two runs): the fused pass gives the
same weights bit for bit and makes a large-network batch 1.27-1.29x
faster (skmlp / bound 1.67-1.68 -> 1.30-1.32); the small network gains
1-2%, its time being per-call overhead, not passes over the parameters.
"""

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import threadpoolctl

# This repository's skmlp, not an installed one (as bench_fit.py does).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from skmlp import _kernels  # noqa: E402
from skmlp import _network as N  # noqa: E402
from skmlp._optimizers import Adam  # noqa: E402

try:
    import numba
except ImportError:  # pragma: no cover - optional
    numba = None


def fused_step(p, g, m, v, n_coef, l2, b1, b2, lr_c, eps_c):
    """L2 term plus Adam, per element, in the running-sum form of skmlp's Adam.

    The operations and their order are those of the NumPy version, so the
    two give the same floats; two loops (weights with the L2 term, then
    biases) keep each free of branches, so the compiler can vectorise them.
    """
    for i in range(n_coef):
        gi = g[i] + l2 * p[i]
        mi = m[i] * b1 + gi
        vi = v[i] * b2 + gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (math.sqrt(vi) + eps_c) * lr_c
    for i in range(n_coef, p.shape[0]):
        gi = g[i]
        mi = m[i] * b1 + gi
        vi = v[i] * b2 + gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (math.sqrt(vi) + eps_c) * lr_c


class FusedAdam(Adam):
    """skmlp's Adam with the L2 term and the update in one compiled pass."""

    def __init__(self, params, alpha_over_s, **kwargs):
        super().__init__(params, **kwargs)
        self.l2 = alpha_over_s
        # error_model="numpy": no ZeroDivisionError check, whose branch
        # would stop the loops from being vectorised (3x slower).
        self.kernel = numba.njit(error_model="numpy")(fused_step)
        scratch = np.zeros(2, dtype=params.dtype)  # compile now, off the clock
        one = np.float32(1)
        self.kernel(scratch, scratch, scratch, scratch, 1, one, one, one, one, one)

    def step_with_l2(self, params, grad, n_coef):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        root = math.sqrt(1 - b2)
        lr_t = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self.kernel(
            params,
            grad,
            self.m,
            self.v,
            n_coef,
            np.float32(self.l2),
            np.float32(b1),
            np.float32(b2),
            np.float32(lr_t * (1 - b1) / root),
            np.float32(self.epsilon / root),
        )


def data(n=8000, seed=0):
    try:
        from skmlp.datasets import load_kaggle_train

        X, y = load_kaggle_train("../shared/data/mnist-10k.csv.gz")
        X = (X[:n] / 255).astype(np.float32)
        y = y[:n]
    except (OSError, ValueError):
        rng = np.random.RandomState(seed)
        X = rng.rand(n, 784).astype(np.float32)
        y = rng.randint(0, 10, n)
    return np.ascontiguousarray(X), np.eye(10, dtype=np.float32)[y]


def main(hidden, epochs, alpha=1e-4, batch=200):
    X, Y = data()
    units = [X.shape[1], *hidden, 10]
    params = {
        k: N.glorot_uniform(units, "relu", np.random.RandomState(0), np.float32)
        for k in ("numpy", "fused")
    }
    grads = {k: N.as_params(np.empty_like(p.flat), units) for k, p in params.items()}
    opts = {
        "numpy": Adam(params["numpy"].flat),
        "fused": FusedAdam(params["fused"].flat, alpha / batch),
    }
    outs = {k: [np.empty((batch, u), np.float32) for u in units[1:]] for k in params}
    Xb = np.empty((batch, X.shape[1]), np.float32)
    Yb = np.empty((batch, 10), np.float32)
    bound_W = [W.copy() for W in params["numpy"].coefs]
    bound_out = [np.empty((batch, u), np.float32) for u in units[1:]]
    bound_g = [np.empty_like(W) for W in bound_W]

    def train_batch(name, rows):
        p, g, opt, out = params[name], grads[name], opts[name], outs[name]
        np.take(X, rows, axis=0, out=Xb, mode="clip")
        np.take(Y, rows, axis=0, out=Yb, mode="clip")
        acts, inputs, _ = N.forward(Xb, p, "relu", "softmax", out=out)
        N.loss(Yb, acts[-1], "softmax", p, alpha)
        if name == "numpy":
            N.backward(acts, inputs, Yb, p, "relu", "softmax", alpha, g)
            opt.step(p.flat, g.flat)
        else:
            N.backward(acts, inputs, Yb, p, "relu", "softmax", 0.0, g)
            opt.step_with_l2(p.flat, g.flat, p.n_coef)

    Xs = X[np.random.RandomState(2).permutation(X.shape[0])]
    deltas = [np.empty((batch, u), np.float32) for u in units[1:]]

    def bound_batch(rows):
        # As bench_fit.py's bound: a contiguous slice, only the products.
        inputs = [Xs[rows[0] : rows[0] + batch] if rows[0] + batch <= len(Xs) else Xb]
        for W, o in zip(bound_W, bound_out):
            inputs.append(np.matmul(inputs[-1], W, out=o))
        last = len(bound_W) - 1
        deltas[last][...] = bound_out[last]
        for l in range(last, -1, -1):
            np.matmul(inputs[l].T, deltas[l], out=bound_g[l])
            if l:
                np.matmul(deltas[l], bound_W[l].T, out=deltas[l - 1])

    runs = {
        "numpy": lambda r: train_batch("numpy", r),
        "fused": lambda r: train_batch("fused", r),
        "bound": bound_batch,
    }
    times = {k: [] for k in runs}
    rng = np.random.RandomState(1)
    with threadpoolctl.threadpool_limits(1), _kernels.use("numpy"):
        for _ in range(epochs):
            order = rng.permutation(X.shape[0])
            for i, start in enumerate(range(0, X.shape[0], batch)):
                rows = order[start : start + batch]
                names = list(runs) if i % 2 else list(runs)[::-1]
                for name in names:
                    t = time.perf_counter()
                    runs[name](rows)
                    times[name].append(time.perf_counter() - t)
    med = {k: np.median(v) * 1e6 for k, v in times.items()}
    drift = np.abs(params["numpy"].flat - params["fused"].flat).max()
    print(f"\n{'-'.join(map(str, units))}, 1 BLAS thread, median us per batch")
    for k, v in med.items():
        print(f"  {k:6s} {v:8.1f}")
    print(f"  numpy / bound {med['numpy'] / med['bound']:.2f}")
    print(f"  fused / bound {med['fused'] / med['bound']:.2f}")
    print(f"  numpy / fused {med['numpy'] / med['fused']:.2f}")
    print(f"  max |weights numpy - fused| after training: {drift:.1e}")
    if drift:  # the same floats were promised: say so loudly
        print("  WARNING: the two updates did not give the same weights")


if __name__ == "__main__":
    if numba is None:
        sys.exit("numba is not installed: pip install numba (for this script only)")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", nargs="+", default=["256,128", "25,15"])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    for h in args.hidden:
        main(tuple(int(u) for u in h.split(",")), args.epochs)
