"""One optimizer step against its closed form, and against scikit-learn's."""

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skmlp import _kernels
from skmlp._optimizers import SGD, Adam

# Every test runs on the NumPy reference and, unless numba is missing or
# SKMLP_KERNELS=numpy, on the compiled kernels (skmlp._kernels).
BACKENDS = ["numpy"] + (["numba"] if _kernels.backend() != "numpy" else [])


@pytest.fixture(autouse=True, params=BACKENDS)
def kernel_backend(request):
    with _kernels.use(request.param):
        yield request.param


@pytest.fixture
def wg():
    rng = np.random.RandomState(0)
    return rng.normal(size=20), rng.normal(size=20), rng.normal(size=20)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_two_steps_closed_form(wg, nesterov, momentum):
    w0, g1, g2 = wg
    lr = 0.05
    w = w0.copy()
    opt = SGD(w, learning_rate=lr, momentum=momentum, nesterov=nesterov)
    opt.step(w, g1)
    opt.step(w, g2)
    v1 = -lr * g1
    v2 = momentum * v1 - lr * g2
    if nesterov:
        expected = w0 + (momentum * v1 - lr * g1) + (momentum * v2 - lr * g2)
    else:
        expected = w0 + v1 + v2
    np.testing.assert_allclose(w, expected, rtol=1e-13)
    np.testing.assert_allclose(opt.velocity, v2, rtol=1e-13)


def test_adam_two_steps_closed_form(wg):
    w0, g1, g2 = wg
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-7
    w = w0.copy()
    opt = Adam(w, learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    opt.step(w, g1)
    opt.step(w, g2)
    expected = w0.copy()
    m = v = 0
    for t, g in enumerate([g1, g2], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        # The bias correction folded into the rate differs from the textbook
        # form only in where epsilon sits: eps * sqrt(1 - b2^t).
        expected -= lr * m_hat / (np.sqrt(v_hat) + eps / np.sqrt(1 - b2**t))
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    assert opt.t == 2


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (
            lambda p: SGD(p, 0.1, 0.9, True),
            lambda p: SGDOptimizer(p, 0.1, "constant", 0.9, True),
        ),
        (
            lambda p: SGD(p, 0.1, 0.5, False),
            lambda p: SGDOptimizer(p, 0.1, "constant", 0.5, False),
        ),
        (lambda p: Adam(p, 0.01), lambda p: AdamOptimizer(p, 0.01)),
    ],
)
def test_matches_sklearn_optimizers(wg, ours, theirs):
    w0, g1, g2 = wg
    w = w0.copy()
    opt = ours(w)
    sk_w = [w0.copy()]
    sk = theirs(sk_w)
    for g in [g1, g2, g1]:
        opt.step(w, g)
        sk.update_params(sk_w, [g])
    np.testing.assert_allclose(w, sk_w[0], rtol=1e-13)


@pytest.mark.parametrize("make", [lambda p: SGD(p, 0.1), lambda p: Adam(p, 0.01)])
def test_state_round_trip_continues_identically(wg, make):
    w0, g1, g2 = wg
    a_w, b_w = w0.copy(), w0.copy()
    a = make(a_w)
    a.step(a_w, g1)
    b = make(b_w)
    b_w[...] = a_w
    b.load_state(a.state())
    a.step(a_w, g2)
    b.step(b_w, g2)
    np.testing.assert_array_equal(a_w, b_w)
    # load_state copies: stepping b must not move a's state
    assert all(
        not np.shares_memory(x, y)
        for x, y in zip(a.state().values(), b.state().values())
        if isinstance(x, np.ndarray)
    )


def test_step_allocates_no_new_state(wg):
    w0, g1, _ = wg
    w = w0.copy()
    opt = Adam(w)
    m, v = opt.m, opt.v
    opt.step(w, g1)
    assert opt.m is m and opt.v is v
