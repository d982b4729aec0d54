"""Flushing subnormals to zero during float32 training (skmlp._fpenv)."""

import contextlib
import warnings

import numpy as np
import pytest

import skmlp._fpenv as fpenv
import skmlp._lbfgs as lbfgs
import skmlp._training as training
from skmlp import NumpyMLPClassifier

TINY32 = np.finfo(np.float32).tiny  # smallest normal float32, ~1.2e-38

needs_flush = pytest.mark.skipif(
    not fpenv.subnormal_flush_supported(),
    reason="no MXCSR control here (flushing is x86-64 Linux/glibc only)",
)


def _halved_tiny():
    # Computed at call time, so it sees the current floating-point mode.
    return np.full(8, TINY32, dtype=np.float32) * np.float32(0.5)


def _n_subnormal(arrays):
    return sum(int(np.sum((a != 0) & (np.abs(a) < TINY32))) for a in arrays)


@needs_flush
def test_flush_inside_the_block_only():
    assert np.all(_halved_tiny() > 0)  # subnormal results exist by default
    with fpenv.flush_subnormals() as active:
        assert active
        assert np.all(_halved_tiny() == 0)
    assert np.all(_halved_tiny() > 0)


@needs_flush
def test_mode_restored_after_an_exception():
    with pytest.raises(KeyError), fpenv.flush_subnormals():
        raise KeyError("boom")
    assert np.all(_halved_tiny() > 0)


@needs_flush
def test_subnormal_inputs_read_as_zero():
    sub = _halved_tiny()  # made in the default mode: subnormal
    with fpenv.flush_subnormals():
        assert np.all(sub * np.float32(1) == 0)


def test_disabled_or_unsupported_changes_nothing(monkeypatch):
    with fpenv.flush_subnormals(enabled=False) as active:
        assert not active
        assert np.all(_halved_tiny() > 0)
    monkeypatch.setattr(fpenv, "_LIBC", None)
    assert not fpenv.subnormal_flush_supported()
    with fpenv.flush_subnormals() as active:
        assert not active
        assert np.all(_halved_tiny() > 0)


def _decaying_fit(dtype):
    """A fit whose dead-input weights the L2 penalty drives below TINY32.

    Ten of the 20 features are always zero, so their first-layer weights
    only feel ``alpha`` and decay geometrically (as MNIST's blank border
    pixels do); without flushing, hundreds of weights and Adam moments end
    subnormal (about 400 with this seed).
    """
    rng = np.random.RandomState(0)
    X = rng.rand(200, 20).astype(np.float32)
    X[:, 10:] = 0
    y = (X[:, 0] + X[:, 1] > 1).astype(int) + (X[:, 2] > 0.5)
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=(16,),
        alpha=10.0,
        learning_rate_init=0.01,
        batch_size=10,
        max_iter=100,
        tol=0,
        n_iter_no_change=10**6,
        random_state=0,
        dtype=dtype,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached on purpose
        clf.fit(X, y)
    state = clf._optimizer_state["optimizer"]
    return clf, _n_subnormal([*clf.coefs_, state["m"], state["v"]])


@needs_flush
def test_float32_training_keeps_no_subnormals(monkeypatch):
    clf, n_flushed = _decaying_fit(np.float32)
    assert n_flushed == 0
    # The caller's mode is back after fit (and predict works in it).
    assert np.all(_halved_tiny() > 0)
    proba = clf.predict_proba(np.zeros((2, 20), dtype=np.float32))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)

    # The same fit without the flush does produce subnormals, so the
    # assertion above can fail.
    monkeypatch.setattr(
        training, "flush_subnormals", lambda enabled=True: contextlib.nullcontext(False)
    )
    _, n_kept = _decaying_fit(np.float32)
    assert n_kept > 50


@pytest.fixture
def flush_calls(monkeypatch):
    """The ``enabled`` argument of every flush_subnormals call of the trainers."""
    calls = []
    real = training.flush_subnormals

    def spy(enabled=True):
        calls.append(enabled)
        return real(enabled)

    monkeypatch.setattr(training, "flush_subnormals", spy)
    monkeypatch.setattr(lbfgs, "flush_subnormals", spy)
    return calls


@needs_flush
def test_float64_training_is_not_flushed(flush_calls):
    # float64 stays bit-exact with scikit-learn: the flag is never set.
    calls = flush_calls
    _decaying_fit(np.float64)
    assert calls and not any(calls)
    calls.clear()
    _decaying_fit(np.float32)
    assert calls and all(calls)


@needs_flush
def test_lbfgs_objective_is_flushed_for_float32(flush_calls):
    calls = flush_calls
    X = np.random.RandomState(0).rand(30, 4)
    y = (X[:, 0] > 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        NumpyMLPClassifier(
            solver="lbfgs", max_iter=5, random_state=0, dtype=np.float32
        ).fit(X, y)
    assert calls and all(calls)
    assert np.all(_halved_tiny() > 0)
