"""The compiled kernels against the NumPy reference, and the backend switch.

The optimizer steps, the ReLU passes and the L2 term must give the same
floats on both backends (compared bit for bit); the softmax and its
log-loss gradient a bounded number of units in the last place apart.
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from skmlp import _kernels
from skmlp._network import (
    as_params,
    backward,
    forward,
    glorot_uniform,
    l2_coefficient,
)
from skmlp._optimizers import SGD, Adam

REPO = Path(__file__).resolve().parents[1]
DTYPES = [np.float32, np.float64]
needs_numba = pytest.mark.skipif(
    _kernels.backend() == "numpy", reason="numba not installed, or SKMLP_KERNELS=numpy"
)

# Documented bound (skmlp._kernels): softmax and its log-loss gradient, in
# units of the last place of the reference's value.
SOFTMAX_ULPS = 8


def _same_bits(a, b):
    return a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8))


def _ulps(reference, value):
    """Largest difference in units of the reference's last place."""
    return float(np.max(np.abs(value - reference) / np.spacing(np.abs(reference))))


def _both(run):
    """``run()`` under the NumPy backend, then under numba."""
    with _kernels.use("numpy"):
        expected = run()
    with _kernels.use("numba"):
        got = run()
    return expected, got


# ------------------------------------------------------------------ switch
def test_unknown_env_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(_kernels.ENV_VAR, "fortran")
    with pytest.raises(ValueError, match="SKMLP_KERNELS='fortran'"):
        _kernels._initial_backend()


@pytest.mark.parametrize(
    "value, have_numba, expected",
    [
        ("numpy", True, "numpy"),
        ("NumPy ", True, "numpy"),
        ("auto", True, "numba"),
        ("", True, "numba"),
        ("auto", False, "numpy"),
        ("numba", True, "numba"),
    ],
)
def test_env_value_selects_backend(monkeypatch, value, have_numba, expected):
    monkeypatch.setenv(_kernels.ENV_VAR, value)
    spec = object() if have_numba else None
    monkeypatch.setattr(_kernels.importlib.util, "find_spec", lambda name: spec)
    assert _kernels._initial_backend() == expected


def test_numba_asked_for_but_missing_is_an_import_error(monkeypatch):
    monkeypatch.setenv(_kernels.ENV_VAR, "numba")
    monkeypatch.setattr(_kernels.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"skmlp\[fast\]"):
        _kernels._initial_backend()


def test_use_restores_the_previous_backend():
    before = _kernels.backend()
    with _kernels.use("numpy") as kernels:
        assert kernels is None and _kernels.compiled() is None
    assert _kernels.backend() == before
    with pytest.raises(ValueError, match="unknown kernel backend"):
        with _kernels.use("cuda"):
            pass


def test_without_numba_skmlp_trains_silently():
    # numba made unimportable: skmlp picks NumPy, says nothing, and fits.
    code = (
        "import sys, warnings; sys.modules['numba'] = None\n"
        "warnings.simplefilter('error')\n"
        "from sklearn.datasets import load_digits\n"
        "from sklearn.exceptions import ConvergenceWarning\n"
        "import skmlp\n"
        "from skmlp import _kernels\n"
        "warnings.simplefilter('ignore', ConvergenceWarning)\n"
        "X, y = load_digits(return_X_y=True)\n"
        "skmlp.NumpyMLPClassifier((8,), max_iter=20, random_state=0)"
        ".fit(X / 16, y)\n"
        "print(_kernels.backend(), _kernels.compiled())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != _kernels.ENV_VAR}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["numpy", "None"]
    assert done.stderr == ""


# --------------------------------------------------------- optimizer steps
def _vectors(dtype, n=70_001, n_coef=50_000, seed=0):
    rng = np.random.RandomState(seed)
    p = rng.normal(size=n).astype(dtype)
    grads = [rng.normal(size=n).astype(dtype) for _ in range(3)]
    grads[1][::7] = 0  # a zero gradient keeps Adam's division exact
    return p, grads, n_coef


OPTIMIZERS = {
    "adam": lambda p: Adam(p, learning_rate=0.01),
    "sgd": lambda p: SGD(p, learning_rate=0.05, momentum=0.9, nesterov=False),
    "nesterov": lambda p: SGD(p, learning_rate=0.05, momentum=0.9, nesterov=True),
}


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize(
    "folded",
    [{}, {"l2": 3e-3}, {"scale": 0.37}, {"decay": 1e-3}, {"l2": 3e-3, "scale": 0.5}],
)
def test_step_same_bits_on_both_backends(dtype, name, folded):
    p0, grads, n_coef = _vectors(dtype)

    def run():
        p = p0.copy()
        opt = OPTIMIZERS[name](p)
        for g in grads:
            opt.step(p, g.copy(), n_coef=n_coef, **folded)
        return p, opt.state()

    (p_ref, s_ref), (p_got, s_got) = _both(run)
    assert _same_bits(p_ref, p_got)
    for key, value in s_ref.items():
        if isinstance(value, np.ndarray):
            assert _same_bits(value, s_got[key]), key


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_folded_step_equals_separate_passes(dtype, name, backend):
    # What the training loop did before: L2 term, clipping, step, decay.
    if backend == "numba" and _kernels.backend() == "numpy":
        pytest.skip("numba not installed, or SKMLP_KERNELS=numpy")
    p0, grads, n_coef = _vectors(dtype)
    l2, scale, decay = 2e-3, 0.6, 5e-4
    with _kernels.use("numpy"):
        p_ref = p0.copy()
        opt = OPTIMIZERS[name](p_ref)
        for g in grads:
            g = g.copy()
            g[:n_coef] += l2 * p_ref[:n_coef]
            np.multiply(g, scale, out=g)
            opt.step(p_ref, g)
            p_ref[:n_coef] *= 1 - decay
    with _kernels.use(backend):
        p = p0.copy()
        opt = OPTIMIZERS[name](p)
        for g in grads:
            opt.step(p, g.copy(), l2=l2, n_coef=n_coef, scale=scale, decay=decay)
    assert _same_bits(p_ref, p)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_adam_folded_step_closed_form(backend):
    # One step from zero moments, as scikit-learn's Adam (eps added to the
    # uncorrected sqrt(v)): w - lr g' / (|g'| + eps / sqrt(1 - beta_2)), with
    # g' = (g + l2 w) * scale; then w *= 1 - decay.
    if backend == "numba" and _kernels.backend() == "numpy":
        pytest.skip("numba not installed, or SKMLP_KERNELS=numpy")
    rng = np.random.RandomState(3)
    w0, g = rng.normal(size=40), rng.normal(size=40)
    n_coef, l2, scale, decay, lr = 25, 0.1, 0.5, 0.01, 0.001
    with _kernels.use(backend):
        w = w0.copy()
        Adam(w, learning_rate=lr).step(
            w, g.copy(), l2=l2, n_coef=n_coef, scale=scale, decay=decay
        )
    g_eff = g.copy()
    g_eff[:n_coef] += l2 * w0[:n_coef]
    g_eff *= scale
    expected = w0 - lr * g_eff / (np.abs(g_eff) + 1e-8 / np.sqrt(1 - 0.999))
    expected[:n_coef] *= 1 - decay
    np.testing.assert_allclose(w, expected, rtol=1e-12)


# ------------------------------------------------------ forward / backward
def _network(dtype, activation="relu", seed=0):
    rng = np.random.RandomState(seed)
    units = [30, 17, 9, 5]
    X = rng.normal(size=(40, 30)).astype(dtype)
    Y = np.eye(5, dtype=dtype)[rng.randint(0, 5, 40)]
    params = glorot_uniform(units, activation, np.random.RandomState(seed), dtype)
    params.flat[...] *= 3  # confident rows, as late in training
    return X, Y, units, params


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_layers_same_bits_and_softmax_within_bound(dtype):
    X, Y, units, params = _network(dtype)
    X[0, :] = np.nan  # NaN propagates the same way on both backends

    def run():
        acts, _, _ = forward(X, params, "relu", "softmax")
        return [A.copy() for A in acts[1:]]

    ref, got = _both(run)
    for A_ref, A_got in zip(ref[:-1], got[:-1]):
        assert _same_bits(A_ref, A_got)
    assert np.isnan(got[-1][0]).all()
    assert _ulps(ref[-1][1:], got[-1][1:]) <= SOFTMAX_ULPS


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_backward_within_bound_of_reference(dtype, weighted):
    # Same forward output on both sides, so only the backward pass differs.
    X, Y, units, params = _network(dtype)
    sw = np.random.RandomState(1).uniform(0.5, 2, X.shape[0]) if weighted else None
    with _kernels.use("numpy"):
        acts, inputs, _ = forward(X, params, "relu", "softmax")

    def run():
        grad = as_params(np.empty_like(params.flat), units)
        a = [A.copy() for A in acts]
        backward(a, inputs, Y, params, "relu", "softmax", 0.3, grad, sw)
        return grad.flat

    ref, got = _both(run)
    # Sums of products of the output error: compare against their scale.
    scale = np.abs(ref).max()
    np.testing.assert_allclose(got, ref, rtol=0, atol=SOFTMAX_ULPS * np.spacing(scale))


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_mask_same_bits(dtype):
    kernels = _kernels.compiled()
    rng = np.random.RandomState(2)
    A = np.maximum(rng.normal(size=(50, 13)), 0).astype(dtype)
    A[3, 4] = np.nan
    delta = rng.normal(size=(50, 13)).astype(dtype)
    delta[5, 6] = np.inf
    ref = np.multiply(delta, A > 0)
    got = delta.copy()
    kernels.relu_mask(A, got)
    assert _same_bits(ref, got)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("weighted", [False, True])
def test_backward_without_l2_plus_folded_step_is_the_same_step(backend, weighted):
    # add_l2=False and step(l2=l2_coefficient(...)) == add_l2=True and step().
    if backend == "numba" and _kernels.backend() == "numpy":
        pytest.skip("numba not installed, or SKMLP_KERNELS=numpy")
    X, Y, units, params = _network(np.float32)
    sw = np.random.RandomState(1).uniform(0.5, 2, X.shape[0]) if weighted else None
    alpha = 0.7
    with _kernels.use(backend):
        results = []
        for fold in (False, True):
            p = as_params(params.flat.copy(), units)
            grad = as_params(np.empty_like(p.flat), units)
            acts, inputs, _ = forward(X, p, "relu", "softmax")
            backward(
                acts, inputs, Y, p, "relu", "softmax", alpha, grad, sw, add_l2=not fold
            )
            l2 = l2_coefficient(alpha, Y, sw) if fold else 0.0
            Adam(p.flat).step(p.flat, grad.flat, l2=l2, n_coef=p.n_coef)
            results.append(p.flat)
    assert l2_coefficient(alpha, Y, sw) == alpha / (40 if sw is None else sw.sum())
    assert _same_bits(*results)


@needs_numba
def test_fit_on_both_backends_agrees():
    # A whole float64 fit: the trajectories part only by the softmax's ulps.
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning

    from skmlp import NumpyMLPClassifier

    X, y = load_digits(return_X_y=True)
    X, y = X[:600] / 16, y[:600]

    def run():
        model = NumpyMLPClassifier(
            (20,), max_iter=5, random_state=0, dtype=np.float64, alpha=1e-3
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # 5 epochs only
            model.fit(X, y)
        return model

    ref, got = _both(run)
    for a, b in zip(ref.coefs_, got.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(ref.predict(X), got.predict(X))


# ---------------------------------------------------------- parallel steps
@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["adam", "nesterov"])
@pytest.mark.parametrize("flush", [False, True])
def test_parallel_step_same_bits_as_one_thread(dtype, name, flush):
    # Subnormal inputs: with the flush on, every worker thread must flush
    # them as the calling thread does (the worker's own mode is restored).
    import numba

    from skmlp._fpenv import flush_subnormals

    kernels = _kernels.compiled()
    p0, grads, n_coef = _vectors(dtype, n=kernels.PARALLEL_MIN + 12_345)
    p0[1::5] = np.finfo(dtype).tiny / 3
    saved_threads = numba.get_num_threads()
    results = {}
    try:
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        for backend in ("numba", "numba-parallel", "numba"):
            with _kernels.use(backend), flush_subnormals(flush):
                p = p0.copy()
                opt = OPTIMIZERS[name](p)
                for g in grads:
                    opt.step(p, g.copy(), l2=1e-3, n_coef=n_coef, decay=1e-4)
            # The last run is on one thread again, after the pool has
            # run in the other mode: the mode did not leak into it.
            assert backend not in results or _same_bits(results[backend], p)
            results[backend] = p
    finally:
        numba.set_num_threads(saved_threads)
    assert _same_bits(results["numba"], results["numba-parallel"])
