"""The pure network core: gradients, losses, initialisation."""

import numpy as np
import pytest
from sklearn.neural_network._base import LOSS_FUNCTIONS

from skmlp import _kernels
from skmlp._activations import ACTIVATIONS
from skmlp._losses import binary_log_loss_gradient, log_loss_gradient
from skmlp._network import (
    as_params,
    backward,
    forward,
    glorot_uniform,
    loss,
    loss_and_gradient,
    n_params,
    predict_chunked,
    predict_output,
    widen_overflowing_rows,
)

# Every test runs on the NumPy reference and, unless numba is missing or
# SKMLP_KERNELS=numpy, on the compiled kernels (skmlp._kernels).
BACKENDS = ["numpy"] + (["numba"] if _kernels.backend() != "numpy" else [])


@pytest.fixture(autouse=True, params=BACKENDS)
def kernel_backend(request):
    with _kernels.use(request.param):
        yield request.param


TARGETS = ["binary", "multiclass", "multilabel"]


def _problem(target, n_samples=13, n_features=5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    if target == "binary":
        Y = rng.randint(0, 2, size=(n_samples, 1)).astype(float)
        out = "logistic"
    elif target == "multiclass":
        Y = np.eye(4)[rng.randint(0, 4, size=n_samples)]
        out = "softmax"
    else:
        Y = rng.randint(0, 2, size=(n_samples, 3)).astype(float)
        out = "logistic"
    return X, Y, out


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_central_difference(activation, target, alpha, weighted):
    X, Y, out = _problem(target)
    layer_units = [X.shape[1], 6, 4, Y.shape[1]]
    rng = np.random.RandomState(1)
    flat = glorot_uniform(layer_units, activation, rng, np.float64).flat
    sw = rng.uniform(0.1, 3.0, size=X.shape[0]) if weighted else None

    def f(theta):
        return loss_and_gradient(theta, X, Y, layer_units, activation, out, alpha, sw)

    value, grad = f(flat)
    h = 1e-6
    numeric = np.empty_like(flat)
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = h
        numeric[i] = (f(flat + e)[0] - f(flat - e)[0]) / (2 * h)
    rel = np.linalg.norm(numeric - grad) / max(
        np.linalg.norm(numeric), np.linalg.norm(grad)
    )
    assert rel < 1e-6, rel


@pytest.mark.parametrize("target", TARGETS)
def test_loss_matches_sklearn_definition(target):
    X, Y, out = _problem(target)
    layer_units = [X.shape[1], 7, Y.shape[1]]
    params = glorot_uniform(layer_units, "relu", np.random.RandomState(0), np.float64)
    sw = np.random.RandomState(2).uniform(0.5, 2, size=X.shape[0])
    P = predict_output(X, params, "relu", out)
    alpha = 0.1
    sk_name = "log_loss" if out == "softmax" else "binary_log_loss"
    expected = (
        LOSS_FUNCTIONS[sk_name](Y, P, sw)
        + 0.5 * alpha * sum((W**2).sum() for W in params.coefs) / sw.sum()
    )
    assert loss(Y, P, out, params, alpha, sw) == pytest.approx(expected, rel=1e-12)


def test_glorot_uniform_draws_like_sklearn():
    from sklearn.neural_network import MLPClassifier

    for activation in ["relu", "logistic"]:
        sk = MLPClassifier((5, 4), activation=activation, max_iter=1, random_state=7)
        sk._random_state = np.random.RandomState(7)
        sk.n_layers_ = 4
        layer_units = [6, 5, 4, 3]
        ours = glorot_uniform(layer_units, activation, np.random.RandomState(7), float)
        for i in range(3):
            W, b = sk._init_coef(layer_units[i], layer_units[i + 1], np.float64)
            np.testing.assert_array_equal(ours.coefs[i], W)
            np.testing.assert_array_equal(ours.intercepts[i], b)
            bound = np.sqrt((2 if activation == "logistic" else 6) / sum(W.shape))
            assert np.abs(ours.coefs[i]).max() <= bound


def test_params_are_views_of_one_vector():
    layer_units = [3, 4, 2]
    n_coef, n_total = n_params(layer_units)
    assert (n_coef, n_total) == (3 * 4 + 4 * 2, 3 * 4 + 4 * 2 + 4 + 2)
    params = as_params(np.arange(n_total, dtype=float), layer_units)
    assert params.coefs[0].shape == (3, 4) and params.coefs[1].shape == (4, 2)
    assert params.intercepts[1].shape == (2,)
    params.intercepts[1][:] = -1
    assert (params.flat[-2:] == -1).all()
    assert params.n_coef == n_coef


def test_forward_reuses_buffers_and_matches_predict_output():
    X, Y, out = _problem("multiclass")
    layer_units = [X.shape[1], 8, Y.shape[1]]
    params = glorot_uniform(layer_units, "tanh", np.random.RandomState(0), np.float64)
    buffers = [np.empty((X.shape[0], u)) for u in layer_units[1:]]
    acts, _, _ = forward(X, params, "tanh", out, out=buffers)
    assert acts[-1] is buffers[-1]
    np.testing.assert_allclose(acts[-1], predict_output(X, params, "tanh", out))


def test_backward_matches_plain_formula():
    # delta_L = P - Y; dW = A^T delta / n + alpha W / n (no weights).
    X, Y, out = _problem("multiclass")
    layer_units = [X.shape[1], Y.shape[1]]
    params = glorot_uniform(layer_units, "relu", np.random.RandomState(0), np.float64)
    P = predict_output(X, params, "relu", out)
    acts, inputs, _ = forward(X, params, "relu", out)
    grad = as_params(np.empty_like(params.flat), layer_units)
    backward(acts, inputs, Y, params, "relu", out, 0.5, grad)
    n = X.shape[0]
    np.testing.assert_allclose(
        grad.coefs[0], (X.T @ (P - Y) + 0.5 * params.coefs[0]) / n, rtol=1e-12
    )
    np.testing.assert_allclose(grad.intercepts[0], (P - Y).sum(axis=0) / n)


def test_output_error_is_accurate_for_confident_float32_rows():
    # p_true rounds to 1 in float32; P - Y would be 0 (or noise), the exact
    # error is -(sum of the other probabilities).
    Z = np.array([[20.0, 0.0, -1.0], [0.0, 25.0, 3.0]])
    P64 = np.exp(Z - Z.max(axis=1, keepdims=True))
    P64 /= P64.sum(axis=1, keepdims=True)
    Y = np.eye(3)[[0, 1]]
    exact = P64 - Y
    P32 = P64.astype(np.float32)
    assert P32[0, 0] == 1.0  # the naive difference would be exactly 0
    delta = log_loss_gradient(P32.copy(), Y.astype(np.float32))
    np.testing.assert_allclose(delta, exact, rtol=1e-5)

    z = np.array([[30.0, -30.0, 2.0]])
    y = np.array([[1.0, 0.0, 1.0]])
    p = 1 / (1 + np.exp(-z))
    # sigmoid(z) - 1 = -sigmoid(-z): the right side has no cancellation.
    exact = np.where(y == 1, -1 / (1 + np.exp(z)), p)
    delta = binary_log_loss_gradient(
        p.astype(np.float32), y.astype(np.float32), z.astype(np.float32)
    )
    np.testing.assert_allclose(delta, exact, rtol=1e-5)


@pytest.mark.parametrize("out", ["softmax", "logistic"])
def test_output_error_equals_p_minus_y_for_soft_targets(out):
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(10, 4))
    Y = rng.dirichlet(np.ones(4), size=10)
    if out == "softmax":
        P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        delta = log_loss_gradient(P.copy(), Y)
    else:
        P = 1 / (1 + np.exp(-Z))
        delta = binary_log_loss_gradient(P.copy(), Y, Z)
    np.testing.assert_allclose(delta, P - Y, atol=1e-15)


@pytest.mark.parametrize("n_rows", [1, 7, 20])
def test_predict_chunked_equals_one_pass(n_rows):
    rng = np.random.RandomState(0)
    params = glorot_uniform([5, 4, 3], "relu", rng, np.float64)
    X = rng.randn(n_rows, 5)
    whole = predict_output(X, params, "relu", "softmax")
    chunked = predict_chunked(X, params, "relu", "softmax", chunk=7)
    np.testing.assert_array_equal(chunked, whole)
    rows = np.arange(n_rows)[::-2]  # a part of X, out of order
    gathered = predict_chunked(X, params, "relu", "softmax", chunk=3, rows=rows)
    np.testing.assert_allclose(gathered, whole[rows], rtol=1e-12)


def test_widen_overflowing_rows_recomputes_only_those_rows():
    rng = np.random.RandomState(0)
    params = glorot_uniform([3, 4, 2], "relu", rng, np.float32)
    X = rng.randn(4, 3).astype(np.float32)
    X[1] = 3e38  # overflows float32 in the first product, not float64
    X[3] = np.inf  # not finite in float64 either: stays bad
    with np.errstate(over="ignore", invalid="ignore"):
        P = predict_chunked(X, params, "relu", "softmax")
        before = P.copy()
        bad = widen_overflowing_rows(P, X, params, "relu", "softmax")
    assert not np.isfinite(before[1]).all()
    np.testing.assert_allclose(P[1].sum(), 1, rtol=1e-6)  # now probabilities
    np.testing.assert_array_equal(P[[0, 2]], before[[0, 2]])  # untouched
    assert bad.tolist() == [False, False, False, True]
