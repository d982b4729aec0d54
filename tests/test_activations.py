"""Each activation's derivative against a central difference of the function."""

import numpy as np
import pytest

from skmlp._activations import ACTIVATIONS, OUTPUT_ACTIVATIONS, softmax


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_central_difference(name):
    act = ACTIVATIONS[name]
    rng = np.random.RandomState(0)
    Z = rng.uniform(-3, 3, size=(50, 7))
    # Keep away from relu's kink, where the derivative is not defined.
    Z[np.abs(Z) < 1e-3] = 0.5
    h = 1e-6
    numeric = (act.function(Z + h) - act.function(Z - h)) / (2 * h)

    A = act.function(Z.copy())
    delta = np.ones_like(Z)
    act.derivative(Z if act.needs_input else A, delta)
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_function_works_in_place(name):
    Z = np.linspace(-2, 2, 12).reshape(3, 4)
    out = ACTIVATIONS[name].function(Z)
    assert out is Z or np.shares_memory(out, Z)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_for_huge_logits(dtype):
    # Raw 0-255 pixels times unit weights give logits in the thousands.
    Z = np.array([[1e4, 0.0, -1e4], [3000.0, 3001.0, 2999.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        P = softmax(Z)
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    assert P[0, 0] == 1
    assert P[1, 1] > P[1, 0] > P[1, 2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_is_stable_for_huge_logits(dtype):
    Z = np.array([[-1e4, 1e4, 0.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        P = OUTPUT_ACTIVATIONS["logistic"](Z)
    np.testing.assert_array_equal(P, [[0.0, 1.0, 0.5]])


def test_softmax_normalises_rows_not_columns():
    # The seed notebook's bug: dividing by a sum over the wrong axis.
    Z = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    P = softmax(Z.copy())
    np.testing.assert_allclose(P.sum(axis=1), [1, 1])
    np.testing.assert_allclose(P[1], [1 / 3] * 3)


def test_every_activation_has_an_onnx_builder():
    # Here rather than in test_onnx.py, which needs the optional onnx
    # packages: a new activation must fail without them too.
    from skmlp._onnx import ONNX_ACTIVATIONS

    names = set(ACTIVATIONS) | set(OUTPUT_ACTIVATIONS)
    assert not names - set(ONNX_ACTIVATIONS), "add an ONNX builder for these"
    assert not set(ONNX_ACTIVATIONS) - names, "a builder for no activation"
