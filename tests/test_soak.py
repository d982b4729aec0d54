"""Soak tests: hundreds of ``partial_fit`` calls over streamed chunks.

Excluded from the quick run (``-m 'not soak'`` in pyproject); run them with
``python -m pytest -m soak tests/test_soak.py``.

* memory stays flat over 300 calls of 500 x 784 uint8 chunks (tracemalloc:
  no per-call leak), and the peak of one call does not grow;
* a model saved half-way (pickle, and skops.io when installed) and reloaded
  continues exactly like the original: bit-identical weights and state.

Chunks are generated from their index, so they are reproducible and never
all held in memory.  The labels are a function of the pixels (which block
of pixels has the largest sum), so there is something to learn.
"""

from __future__ import annotations

import gc
import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
from robustness_support import state_diff

from skmlp import NumpyMLPClassifier

pytestmark = pytest.mark.soak

N_CALLS = 300
CHUNK_ROWS = 500
N_FEATURES = 784
CLASSES = np.arange(10)
HALF = N_CALLS // 2


def chunk(i):
    """Chunk ``i`` of the stream: 500 raw uint8 'images' and their labels."""
    rng = np.random.default_rng(10_000 + i)
    X = rng.integers(0, 256, size=(CHUNK_ROWS, N_FEATURES), dtype=np.uint8)
    blocks = X[:, :780].reshape(CHUNK_ROWS, 10, 78).sum(axis=2, dtype=np.int64)
    return X, blocks.argmax(axis=1)


def make_model():
    # Default stopping rules: a plateau of the per-chunk loss must not stop
    # the stream (assert_training_happened checks every call trained).
    return NumpyMLPClassifier(hidden_layer_sizes=(32,), random_state=0)


def feed(est, i):
    X, y = chunk(i)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est.partial_fit(X, y, classes=CLASSES)


def assert_training_happened(est, n_calls):
    assert len(est.loss_curve_) == n_calls
    assert est.t_ == n_calls * CHUNK_ROWS
    assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)


def test_partial_fit_memory_is_flat_over_300_calls():
    est = make_model()
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(N_CALLS):
            tracemalloc.reset_peak()
            before_call = tracemalloc.get_traced_memory()[0]
            feed(est, i)
            peak = tracemalloc.get_traced_memory()[1] - before_call
            if i + 1 == 50:
                gc.collect()
                current_50 = tracemalloc.get_traced_memory()[0]
                snapshot_50 = tracemalloc.take_snapshot()
                peak_50 = peak
            if i + 1 == N_CALLS:
                peak_300 = peak
        gc.collect()
        current_300 = tracemalloc.get_traced_memory()[0]
        snapshot_300 = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()

    assert_training_happened(est, N_CALLS)
    growth = current_300 - current_50
    print(
        "\ntraced memory after call 50: %d B, after call 300: %d B (growth %d B);"
        " peak of call 50: %d B, of call 300: %d B"
        % (current_50, current_300, growth, peak_50, peak_300)
    )
    top = "\n".join(
        str(stat) for stat in snapshot_300.compare_to(snapshot_50, "lineno")[:10]
    )
    # 250 calls: a leak of even 4 KB per call would show; loss_curve_ and
    # learning_rate_curve_ legitimately grow by ~2 floats a call (< 20 KB).
    assert growth < 1_000_000, "traced memory grew by %d bytes:\n%s" % (growth, top)
    # One call's temporary memory does not grow with the number of calls.
    assert peak_300 < peak_50 + 1_000_000, (peak_50, peak_300)
    # ... and stays of the order of the chunk (a float32 copy is 1.5 MB).
    assert peak_300 < 40 * CHUNK_ROWS * N_FEATURES, peak_300


def _skops_io():
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - skops is optional
        return None
    return sio


def test_resume_after_pickle_and_skops_is_bit_identical():
    """Save after 150 calls, reload, continue all copies on the same 150
    chunks: identical weights, curves, counters and optimizer state."""
    est = make_model()
    for i in range(HALF):
        feed(est, i)
    snapshot = [W.copy() for W in est.coefs_]

    clones = {"pickle": pickle.loads(pickle.dumps(est))}
    sio = _skops_io()
    if sio is not None:
        data = sio.dumps(est)
        untrusted = sio.get_untrusted_types(data=data)
        # Only the estimator class itself needs trusting: the fitted state
        # (optimizer state included) is made of plain, skops-safe types.
        assert untrusted == ["skmlp._classifier.NumpyMLPClassifier"], untrusted
        clones["skops"] = sio.loads(data, trusted=untrusted)

    for name, clone in clones.items():
        diff = state_diff(est.__dict__, clone.__dict__)
        assert not diff, "%s reload differs:\n%s" % (name, "\n".join(diff))

    for i in range(HALF, N_CALLS):
        feed(est, i)
        for clone in clones.values():
            feed(clone, i)

    assert_training_happened(est, N_CALLS)
    # The second half really changed the model (the comparison is not
    # between three frozen copies).
    assert not all(np.array_equal(a, b) for a, b in zip(snapshot, est.coefs_))
    for name, clone in clones.items():
        diff = state_diff(est.__dict__, clone.__dict__)
        assert not diff, "%s resume diverged:\n%s" % (name, "\n".join(diff))
        X, _ = chunk(N_CALLS + 1)
        np.testing.assert_array_equal(est.predict_proba(X), clone.predict_proba(X))
    if sio is None:  # pragma: no cover
        pytest.skip("skops not installed: only the pickle resume was checked")
