"""Shared helpers, strategies and fixtures of the robustness tests.

Used by ``test_robustness_inputs.py`` (generated inputs, atomic failures)
and ``test_robustness_numerics.py`` (numerical safety, interruptions,
repeatability).
"""

from __future__ import annotations

import collections
import functools
import os
import pickle
import shutil
import tempfile
import warnings
from contextlib import contextmanager, nullcontext

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning

from skmlp import NumpyMLPClassifier

# --------------------------------------------------------------- hypothesis
_EXAMPLES = int(os.environ.get("SKMLP_HYPOTHESIS_EXAMPLES", "100"))
settings.register_profile(
    "skmlp-robustness",
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI cannot flake
    database=None,  # no .hypothesis/ directory in the checkout
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
settings.register_profile(
    "skmlp-robustness-explore",
    parent=settings.get_profile("skmlp-robustness"),
    max_examples=max(_EXAMPLES, 300),
    derandomize=False,
)
# Applied per test (not loaded globally) so that other test modules keep
# their own hypothesis settings.
ROBUST = settings.get_profile(
    os.environ.get("SKMLP_HYPOTHESIS_PROFILE", "skmlp-robustness")
)

CASES: collections.Counter = collections.Counter()


def _count(name):
    CASES[name] += 1


@pytest.fixture(scope="module", autouse=True)
def _report_case_count(request):
    yield
    total = sum(CASES.values())
    detail = ", ".join("%s=%d" % kv for kv in sorted(CASES.items()))
    line = "\nhypothesis cases run by the robustness suite so far: %d (%s)" % (
        total,
        detail,
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    # Module teardown runs under output capture: lift it to be seen.
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        if reporter is not None:
            reporter.write_line(line)
        else:  # pragma: no cover - pytest without its terminal reporter
            print(line)


_TMPDIR = tempfile.mkdtemp(prefix="skmlp-robustness-")
_MEMMAP_IDS = iter(range(10**9))


@pytest.fixture(scope="module", autouse=True)
def _cleanup_tmpdir():
    yield
    shutil.rmtree(_TMPDIR, ignore_errors=True)


# ------------------------------------------------------------------ helpers
SOLVERS = ("sgd", "adam", "lbfgs")
STOCHASTIC = ("sgd", "adam")


def small(solver="adam", dtype=np.float32, **kwargs):
    """A small, fast network."""
    params = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        max_iter=4,
        random_state=0,
        dtype=dtype,
    )
    params.update(kwargs)
    return NumpyMLPClassifier(**params)


@contextmanager
def quiet(runtime="ignore"):
    """Silence ConvergenceWarning; RuntimeWarning as asked ('error' or 'ignore')."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter(runtime, RuntimeWarning)
        yield


def flat_weights(est):
    return np.concatenate(
        [W.ravel() for W in est.coefs_] + [b.ravel() for b in est.intercepts_]
    )


def same_weights(a, b):
    return len(a.coefs_) == len(b.coefs_) and all(
        np.array_equal(x, y)
        for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    )


def state_diff(a, b, path="__dict__"):
    """Paths where two (deep-copied) attribute structures differ."""
    if isinstance(a, type) or isinstance(b, type):
        return [] if a is b else ["%s: %r != %r" % (path, a, b)]
    if type(a) is not type(b):
        return ["%s: type %s != %s" % (path, type(a).__name__, type(b).__name__)]
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return ["%s: %s%s != %s%s" % (path, a.dtype, a.shape, b.dtype, b.shape)]
        equal_nan = a.dtype.kind in "fc"
        if not np.array_equal(a, b, equal_nan=equal_nan):
            return ["%s: array values differ" % path]
        return []
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return ["%s: keys %s != %s" % (path, sorted(a), sorted(b))]
        return [d for k in a for d in state_diff(a[k], b[k], "%s[%r]" % (path, k))]
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return ["%s: length %d != %d" % (path, len(a), len(b))]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b))
            for d in state_diff(x, y, "%s[%d]" % (path, i))
        ]
    if isinstance(a, (float, np.floating)):
        if (np.isnan(a) and np.isnan(b)) or a == b:
            return []
        return ["%s: %r != %r" % (path, a, b)]
    if hasattr(a, "__dict__"):
        return state_diff(vars(a), vars(b), path + ".__dict__")
    return [] if a == b else ["%s: %r != %r" % (path, a, b)]


def assert_state_unchanged(before, est):
    diff = state_diff(before, est.__dict__)
    assert not diff, "attributes changed by a failed call:\n" + "\n".join(diff)


def assert_valid_model(est, X, y=None):
    """The fitted-model contract: finite weights, proper probabilities."""
    dtype = np.dtype(est.dtype)
    n_classes = len(est.classes_)
    if y is not None:
        assert list(est.classes_) == sorted(set(np.asarray(y).tolist()))
    assert len(est.coefs_) == len(est.intercepts_) == est.n_layers_ - 1
    for W, b in zip(est.coefs_, est.intercepts_):
        assert W.dtype == dtype and b.dtype == dtype
        assert np.isfinite(W).all() and np.isfinite(b).all()
        assert W.shape[1] == b.shape[0]
    assert est.coefs_[0].shape[0] == est.n_features_in_
    assert np.isfinite(est.loss_)

    P = est.predict_proba(X)
    n = X.shape[0]
    # scikit-learn (and so skmlp) returns two columns for a one-class fit.
    assert P.shape == (n, max(n_classes, 2))
    assert np.isfinite(P).all(), "predict_proba returned non-finite values"
    assert (P >= 0).all() and (P <= 1).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-5)

    pred = est.predict(X)
    assert pred.shape == (n,)
    assert set(np.asarray(pred).tolist()) <= set(est.classes_.tolist())
    if n_classes >= 2:
        np.testing.assert_array_equal(pred, est.classes_[P.argmax(axis=1)])
    return P, pred


# -------------------------------------------------------------- strategies
MODERATE = st.one_of(
    st.floats(-10, 10, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-45, -1e-45, 1e-40, 1.2e-38, 255.0, 1e6, -1e6]),
)
NEAR_LIMITS = st.sampled_from(
    [1e38, -1e38, 3e38, -3e38, 3.4e38, -3.4e38, 1e-45, -1e-45, 1e-40]
)
DENSE_LAYOUTS = ("C", "F", "strided", "readonly", "memmap", "list", "object")
# float32 input: the model may use it without a copy (it must not write to it)
F32_LAYOUTS = ("float32-readonly", "float32-F")
SPARSE_LAYOUTS = ("csr", "csc", "csr0", "csc0")
LAYOUTS = DENSE_LAYOUTS + F32_LAYOUTS + SPARSE_LAYOUTS

LABEL_VOCABULARIES = {
    # Sorted vocabularies: mapping codes through them keeps the class order,
    # so every kind of label must give bit-identical weights.
    "int": np.array([0, 1, 2, 3]),
    "sparse-int": np.array([-7, 3, 100, 10**9]),
    "float": np.array([-1.0, 0.0, 2.0, 5.0]),  # integral floats are classes
    "str": np.array(["ant", "bee", "cat", "dog"]),
    "object": np.array(["ant", "bee", "cat", "dog"], dtype=object),
    "bool": np.array([False, True]),
}


@st.composite
def matrices(draw, elements=MODERATE, max_rows=24, max_cols=5):
    n = draw(st.integers(1, max_rows))
    f = draw(st.integers(1, max_cols))
    X = draw(hnp.arrays(np.float64, (n, f), elements=elements))
    for j in range(f):
        mode = draw(st.sampled_from(["free", "free", "free", "constant", "zero"]))
        if mode == "constant":
            X[:, j] = draw(elements)
        elif mode == "zero":
            X[:, j] = 0.0
    return X


@st.composite
def label_codes(draw, n, max_classes=4):
    k = draw(st.integers(1, max_classes))
    codes = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return codes


def as_layout(X, layout):
    """The same float64 matrix in another container or memory layout."""
    X = np.asarray(X, dtype=np.float64)
    if layout == "C":
        return np.ascontiguousarray(X)
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "strided":
        big = np.full((2 * X.shape[0], 2 * X.shape[1] + 1), np.nan)
        big[::2, 1::2] = X
        view = big[::2, 1::2]
        if X.size > 1:  # (a 1 x 1 view is contiguous whatever its strides)
            assert not view.flags.c_contiguous and not view.flags.f_contiguous
        return view
    if layout == "readonly":
        out = X.copy()
        out.setflags(write=False)
        return out
    if layout == "memmap":
        path = os.path.join(_TMPDIR, "X%d.dat" % next(_MEMMAP_IDS))
        mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
        mm[...] = X
        mm.flush()
        del mm
        return np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    if layout == "list":
        return X.tolist()
    if layout == "object":
        return X.astype(object)
    if layout == "float32-readonly":
        out = X.astype(np.float32)
        out.setflags(write=False)
        return out
    if layout == "float32-F":
        return np.asfortranarray(X.astype(np.float32))
    if layout in ("csr", "csc"):
        return sp.csr_matrix(X) if layout == "csr" else sp.csc_matrix(X)
    if layout in ("csr0", "csc0"):
        # Every entry stored, the zeros included (explicit zeros).
        rows, cols = np.indices(X.shape)
        M = sp.csr_matrix((X.ravel(), (rows.ravel(), cols.ravel())), shape=X.shape)
        assert M.nnz == X.size
        return M if layout == "csr0" else M.tocsc()
    raise AssertionError(layout)


def n_rows(X):
    return len(X) if isinstance(X, list) else X.shape[0]


def with_rows(X):
    """Something with .shape for assert_valid_model (lists -> arrays)."""
    return np.asarray(X) if isinstance(X, list) else X


# ---------------------------------------------- fitted bases and patching
_BASE_X = np.random.RandomState(0).rand(40, 4)
_BASE_Y = np.arange(40) % 3
_BASE_YML = np.c_[_BASE_Y == 0, _BASE_Y == 1, _BASE_Y != 1].astype(int)
BASES = (
    "adam-fit",
    "sgd-fit",
    "lbfgs-fit",
    "adam-partial",
    "sgd-partial",
    "adam-early",
    "adam-multilabel",
)


@functools.cache
def _base_bytes(base):
    solver = base.split("-")[0]
    with quiet():
        if base.endswith("partial"):
            est = small(solver)
            est.partial_fit(_BASE_X, _BASE_Y, classes=[0, 1, 2])
            est.partial_fit(_BASE_X, _BASE_Y)
        elif base == "adam-early":
            est = small(solver, early_stopping=True, validation_fraction=0.2)
            est.fit(_BASE_X, _BASE_Y)
        elif base == "adam-multilabel":
            est = small(solver).fit(_BASE_X, _BASE_YML)
        else:
            est = small(solver).fit(_BASE_X, _BASE_Y)
    return pickle.dumps(est)


def base_model(base):
    return pickle.loads(_base_bytes(base))


def base_y(base):
    return _BASE_YML if base == "adam-multilabel" else _BASE_Y


def _raise_on_call(real, n, exc):
    calls = [0]

    @functools.wraps(real)
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] >= n:
            raise exc
        return real(*args, **kwargs)

    return wrapper


@contextmanager
def patched(module, name, replacement):
    real = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, real)


def _finish_then_interrupt(real):
    """Run the real solver (mutating the estimator), then raise."""

    def wrapper(est, *args, **kwargs):
        real(est, *args, **kwargs)
        raise KeyboardInterrupt

    return wrapper
