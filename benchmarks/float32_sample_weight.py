"""Why a float32 model fails scikit-learn's sample-weight equivalence checks.

``check_sample_weight_equivalence_on_dense_data`` (and ``..._on_sparse_data``)
fits one model on 15 rows with integer sample weights and one on the same
rows repeated that many times, then compares ``predict_proba`` at
``rtol=1e-7``.  This script measures, on the check's own data:

1. the gap between the two fits for several float32 settings and for
   float64 (``random_state`` 0 to 3);
2. how a float32 matrix product's rows depend on the other rows of the
   batch: the check's two fits put the same sample in batches of 15 and of
   ~30 rows, and OpenBLAS computes a row of ``A @ W`` differently (by one or
   two units in the last place) depending on the row count and the row's
   position.  So the two fits differ from their very first forward passes,
   however the sums over samples are accumulated.

An experiment beyond this script (2026-11-29) accumulated every sum over
samples in float64 -- weight and bias gradients, with the sample weights
applied inside the sum -- so that only the row-wise float32 work remained:
the gradients at the initial weights then agreed bit for bit under any row
order, yet the two fits still ended 6.7e-7 (dense) and 6.9e-5 (sparse)
apart, their first difference being an output-layer row one unit in the
last place apart in epoch 2 (part 2 below).  Only a float64 forward pass
removes that, i.e. float64 training.

Run: ``python benchmarks/float32_sample_weight.py`` (a few seconds).
"""

import warnings

import numpy as np
from sklearn.utils import shuffle

from skmlp import NumpyMLPClassifier

SETTINGS = {
    "float32, adam (default)": {},
    "float32, adam, epsilon=1e-5": {"epsilon": 1e-5},
    "float32, sgd": {"solver": "sgd"},
    "float32, lbfgs": {"solver": "lbfgs"},
    "float64, adam": {"dtype": np.float64},
}


def check_data():
    """The data of scikit-learn's check, as it builds it."""
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    X_rep, y_rep = X.repeat(sw, axis=0), y.repeat(sw)
    X_w, y_w, sw_w = shuffle(X, y, sw, random_state=0)
    return X, (X_rep, y_rep), (X_w, y_w, sw_w)


def fit_gaps(seeds=range(4)):
    X, (X_rep, y_rep), (X_w, y_w, sw_w) = check_data()
    print("1. max relative gap of predict_proba, weighted vs repeated fit")
    print("   (the check asks < 1e-7)")
    for name, params in SETTINGS.items():
        gaps = []
        for seed in seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning
                rep = NumpyMLPClassifier(random_state=seed, **params)
                wei = NumpyMLPClassifier(random_state=seed, **params)
                P_rep = rep.fit(X_rep, y_rep).predict_proba(X)
                P_wei = wei.fit(X_w, y_w, sample_weight=sw_w).predict_proba(X)
            gaps.append(np.max(np.abs(P_rep - P_wei) / np.abs(P_wei)))
        print(f"   {name:30s} " + "  ".join(f"{g:8.1e}" for g in gaps))


def row_dependence(n_rows=30, fan_in=100, widths=(3, 15, 100), seed=0):
    rng = np.random.RandomState(seed)
    A = rng.rand(n_rows, fan_in).astype(np.float32)
    print("\n2. rows of A[:m] @ W that differ bitwise from the same rows of A @ W")
    print(f"   (A of {n_rows} x {fan_in}, float32; m = 1 .. {n_rows - 1})")
    for width in widths:
        W = rng.standard_normal((fan_in, width)).astype(np.float32)
        full = A @ W
        differing = [
            int((A[:m] @ W != full[:m]).any(axis=1).sum()) for m in range(1, n_rows)
        ]
        print(
            f"   W with {width:3d} columns: {sum(differing)} of "
            f"{sum(range(1, n_rows))} rows differ, in {sum(map(bool, differing))} "
            f"of {n_rows - 1} batch sizes"
        )


if __name__ == "__main__":
    fit_gaps()
    row_dependence()
