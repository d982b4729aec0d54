"""Activation functions, each beside its derivative.

Every hidden activation is a pair of pure array functions:

* ``f(Z)`` overwrites the pre-activation ``Z`` with ``f(Z)`` and returns it.
  Working in place halves the memory of a forward pass: the pre-activation
  is never needed again for the activations whose derivative can be written
  in terms of the output.
* ``df(A, delta)`` multiplies the back-propagated error ``delta`` in place by
  ``f'(Z)``, written in terms of the layer's *output* ``A = f(Z)`` whenever
  that is possible (relu, logistic, tanh, ...).  An activation whose
  derivative needs the input instead declares ``needs_input=True``; the
  forward pass then keeps ``Z`` for it and passes ``Z`` as the first argument.

Adding an activation is one entry in :data:`ACTIVATIONS` (every estimator
parameter check and test reads it), plus its ONNX graph in
:data:`skmlp._onnx.ONNX_ACTIVATIONS`: a test fails until it is there.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit, ndtr

__all__ = ["ACTIVATIONS", "Activation", "softmax", "logistic"]


class Activation(NamedTuple):
    """A hidden-layer activation: the function and its derivative.

    Attributes
    ----------
    function : callable
        ``function(Z) -> A``, computed in place in ``Z``.
    derivative : callable
        ``derivative(A_or_Z, delta) -> None``; multiplies ``delta`` by
        ``f'(Z)`` in place.
    needs_input : bool
        If True, ``derivative`` receives the pre-activation ``Z`` instead of
        the output ``A``.
    """

    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], None]
    needs_input: bool = False


# --- identity -------------------------------------------------------------
def identity(Z):
    """f(z) = z."""
    return Z


def identity_derivative(A, delta):
    """f'(z) = 1: nothing to do."""


# --- logistic -------------------------------------------------------------
def logistic(Z):
    """f(z) = 1 / (1 + exp(-z)); scipy's ``expit`` never overflows."""
    return expit(Z, out=Z)


def logistic_derivative(A, delta):
    """f'(z) = f(z) (1 - f(z)) = A (1 - A)."""
    delta *= A
    delta *= 1 - A


# --- tanh -----------------------------------------------------------------
def tanh(Z):
    """f(z) = tanh(z)."""
    return np.tanh(Z, out=Z)


def tanh_derivative(A, delta):
    """f'(z) = 1 - tanh(z)^2 = 1 - A^2."""
    delta *= 1 - A**2


# --- relu -----------------------------------------------------------------
def relu(Z):
    """f(z) = max(z, 0)."""
    return np.maximum(Z, 0, out=Z)


def relu_derivative(A, delta):
    """f'(z) = 1 if z > 0 else 0, and z > 0 exactly where A > 0."""
    # Multiplying by the boolean mask is faster than masked assignment
    # (``delta[A == 0] = 0``) and keeps NaN propagation identical.
    np.multiply(delta, A > 0, out=delta)


# --- leaky relu -----------------------------------------------------------
_LEAK = 0.01


def leaky_relu(Z):
    """f(z) = z if z > 0 else 0.01 z (the larger of the two)."""
    return np.maximum(Z, _LEAK * Z, out=Z)


def leaky_relu_derivative(A, delta):
    """f'(z) = 1 if z > 0 else 0.01, and z > 0 exactly where A > 0."""
    delta[A <= 0] *= _LEAK


# --- elu --------------------------------------------------------------------
def elu(Z):
    """f(z) = z if z > 0 else exp(z) - 1."""
    negative_part = np.expm1(np.minimum(Z, 0))
    np.maximum(Z, 0, out=Z)
    Z += negative_part
    return Z


def elu_derivative(A, delta):
    """f'(z) = 1 if z > 0 else exp(z) = A + 1."""
    delta *= np.where(A > 0, 1, A + 1)


# --- softplus -------------------------------------------------------------
def softplus(Z):
    """f(z) = log(1 + exp(z)), computed without overflow."""
    return np.logaddexp(0, Z, out=Z)


def softplus_derivative(A, delta):
    """f'(z) = sigmoid(z) = 1 - exp(-A)."""
    delta *= -np.expm1(-A)


# --- silu (swish) ---------------------------------------------------------
def silu(Z):
    """f(z) = z sigmoid(z)."""
    Z *= expit(Z)
    return Z


def silu_derivative(Z, delta):
    """f'(z) = s (1 + z (1 - s)) with s = sigmoid(z): needs the input."""
    s = expit(Z)
    delta *= s * (1 + Z * (1 - s))


# --- gelu -----------------------------------------------------------------
def gelu(Z):
    """f(z) = z Phi(z), Phi the standard normal CDF (the exact GELU)."""
    Z *= ndtr(Z)
    return Z


def gelu_derivative(Z, delta):
    """f'(z) = Phi(z) + z phi(z): needs the input."""
    delta *= ndtr(Z) + Z * np.exp(-0.5 * Z * Z) / np.sqrt(2 * np.pi).astype(Z.dtype)


ACTIVATIONS = {
    "identity": Activation(identity, identity_derivative),
    "logistic": Activation(logistic, logistic_derivative),
    "tanh": Activation(tanh, tanh_derivative),
    "relu": Activation(relu, relu_derivative),
    "leaky_relu": Activation(leaky_relu, leaky_relu_derivative),
    "elu": Activation(elu, elu_derivative),
    "softplus": Activation(softplus, softplus_derivative),
    "silu": Activation(silu, silu_derivative, needs_input=True),
    "gelu": Activation(gelu, gelu_derivative, needs_input=True),
}
"""Registry of hidden activations by name."""


# --- output activations (their derivative is folded into the loss) --------
def softmax(Z):
    """Row-wise softmax, in place; the row maximum is subtracted first.

    Subtracting the maximum makes every exponent <= 0, so ``exp`` cannot
    overflow however large the logits are (the seed notebook's raw 0-255
    pixels reached logits in the thousands).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_classes)
        Logits; overwritten with the probabilities.

    Returns
    -------
    P : ndarray of shape (n_samples, n_classes)
        ``Z`` itself, each row summing to one.
    """
    # NumPy reduces the few columns of an output layer one row at a time,
    # slowly: the maximum is taken down the columns of the transposed copy
    # and the sum as a matrix-vector product, several times faster.
    Z -= np.maximum.reduce(Z.T.copy(), axis=0)[:, np.newaxis]
    np.exp(Z, out=Z)
    Z /= (Z @ np.ones(Z.shape[1], dtype=Z.dtype))[:, np.newaxis]
    return Z


OUTPUT_ACTIVATIONS = {"softmax": softmax, "logistic": logistic}
"""Output activations by name (``out_activation_``)."""
