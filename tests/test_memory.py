"""fit holds one working copy of X (tracemalloc, deterministic; no timing).

The speed and memory *figures* come from benchmarks/bench_memory.py; these
tests pin the rule behind them: converting X is the only full-size
allocation of a fit, with or without the early-stopping split.
"""

import tracemalloc
import warnings

import numpy as np
import pytest

from skmlp import NumpyMLPClassifier

N, D = 20_000, 100  # one float32 copy: 8 MB, far above the batch buffers


def _data(dtype):
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(N, D)).astype(dtype)
    y = rng.randint(0, 3, size=N)
    return X, y


def _fit_peak(X, y, **params):
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=(16,), max_iter=2, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=2 does not converge
        # A first fit in the process imports and loads the compiled kernels
        # (skmlp._kernels, tens of MB once per process, not per fit): done on
        # a few rows before the tracing starts.
        clf.fit(X[:100], y[:100])
        tracemalloc.start()
        try:
            clf.fit(X, y)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak


@pytest.mark.parametrize("early_stopping", [False, True])
def test_float32_input_is_not_copied(early_stopping):
    X, y = _data(np.float32)
    peak = _fit_peak(X, y, early_stopping=early_stopping)
    # Before the split handed out indices, early stopping copied X (1.0x).
    assert peak < 0.35 * X.nbytes


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_other_inputs_get_one_float32_copy(dtype, early_stopping):
    X, y = _data(dtype)
    copy = X.shape[0] * X.shape[1] * 4
    peak = _fit_peak(X, y, early_stopping=early_stopping, dtype=np.float32)
    assert copy <= peak < 1.35 * copy


@pytest.mark.parametrize("early_stopping", [False, True])
def test_default_dtype_float64_input_is_not_copied(early_stopping):
    # The default follows the input: float64 trains in float64, in place.
    X, y = _data(np.float64)
    peak = _fit_peak(X, y, early_stopping=early_stopping)
    assert peak < 0.35 * X.nbytes


def test_default_dtype_uint8_input_gets_one_float64_copy():
    X, y = _data(np.uint8)
    copy = X.shape[0] * X.shape[1] * 8
    peak = _fit_peak(X, y)
    assert copy <= peak < 1.35 * copy
