"""The multilayer perceptron as pure functions of arrays.

Notation (as in the user guide): layer ``l = 0 .. L-1`` maps ``A_l`` to
``A_{l+1} = f(Z_{l+1})`` with ``Z_{l+1} = A_l W_l + b_l``; ``A_0 = X``;
``W_l = coefs[l]`` has shape ``(n_units[l], n_units[l+1])``; the last layer
uses the output activation (softmax or logistic) instead of ``f``.

All parameters live in **one flat vector** (:class:`Params`); ``coefs`` and
``intercepts`` are reshaped views into it (all weight matrices first, then
all bias vectors: scikit-learn's packing order).  That makes an optimizer
step a single vectorised update, gives L-BFGS its packed vector for free,
and lets the L2 term be added to the gradient in one call.
"""

import functools
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from . import _kernels
from ._activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from ._losses import LOSS_GRADIENTS, LOSSES, l2_penalty
from ._sparse_rows import SparseRows

__all__ = [
    "Params",
    "n_params",
    "as_params",
    "glorot_uniform",
    "forward",
    "predict_output",
    "backward",
    "l2_coefficient",
    "loss",
    "loss_and_gradient",
]


class Params(NamedTuple):
    """A flat vector and its per-layer views.

    Used both for the parameters and for their gradient.

    Attributes
    ----------
    flat : ndarray of shape (n_params,)
        All weights, then all biases.
    coefs : list of ndarray
        ``coefs[l]``, a view of shape (n_units[l], n_units[l+1]).
    intercepts : list of ndarray
        ``intercepts[l]``, a view of shape (n_units[l+1],).
    n_coef : int
        Number of weights: ``flat[:n_coef]`` are the weights.
    """

    flat: np.ndarray
    coefs: list
    intercepts: list
    n_coef: int


def n_params(layer_units):
    """Number of weights plus biases of a network.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input and output included.

    Returns
    -------
    n_coef : int
        Number of weights (they come first in the flat vector).
    n_total : int
        Weights plus biases.
    """
    n_coef = sum(a * b for a, b in pairwise(layer_units))
    return n_coef, n_coef + sum(layer_units[1:])


def as_params(flat, layer_units):
    """View a flat vector as per-layer weight matrices and bias vectors.

    Parameters
    ----------
    flat : ndarray of shape (n_params,)
        Flat parameter (or gradient) vector.
    layer_units : sequence of int
        Units per layer, input and output included.

    Returns
    -------
    params : Params
        ``flat`` with its views; writing to a view writes to ``flat``.
    """
    coefs, intercepts = [], []
    start = 0
    for fan_in, fan_out in pairwise(layer_units):
        end = start + fan_in * fan_out
        coefs.append(flat[start:end].reshape(fan_in, fan_out))
        start = end
    n_coef = start
    for fan_out in layer_units[1:]:
        intercepts.append(flat[start : start + fan_out])
        start += fan_out
    return Params(flat, coefs, intercepts, n_coef)


def glorot_uniform(layer_units, activation, random_state, dtype):
    """Glorot-uniform initial parameters, drawn as scikit-learn draws them.

    For each layer in turn the weight matrix and then the bias vector are
    drawn from ``U(-bound, bound)`` with ``bound = sqrt(6 / (fan_in +
    fan_out))`` (``2`` instead of ``6`` for the logistic activation), in
    float64 and then cast, so that the same ``random_state`` gives the same
    network as :class:`sklearn.neural_network.MLPClassifier`.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input and output included.
    activation : str
        Hidden activation name.
    random_state : numpy.random.RandomState
        Source of the draws (advanced in place).
    dtype : numpy dtype
        Precision of the returned parameters.

    Returns
    -------
    params : Params
        A new flat vector and its views.
    """
    params = as_params(np.empty(n_params(layer_units)[1], dtype=dtype), layer_units)
    factor = 2.0 if activation == "logistic" else 6.0
    for W, b in zip(params.coefs, params.intercepts):
        bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
        W[...] = random_state.uniform(-bound, bound, W.shape)
        b[...] = random_state.uniform(-bound, bound, b.shape)
    return params


def _dot(A, W, out=None):
    """``A @ W`` for dense or sparse ``A``, written into ``out`` when given."""
    if type(A) is np.ndarray:  # the common case first: sp.issparse is slow
        return np.matmul(A, W, out=out)
    if isinstance(A, SparseRows):  # a training batch whose zeros are skipped
        return A.dot(W, out)
    if sp.issparse(A):
        result = np.asarray(A @ W)
        if out is None:
            return result
        out[...] = result
        return out
    return np.matmul(A, W, out=out)


def _bias_activation(Z, b, name, output, kernels):
    """``Z <- f(Z + b)`` in place; returns what f's derivative will read.

    The compiled kernels fuse the bias and ReLU (the same floats) or the
    bias and softmax (within a few ulps) into one pass; other activations,
    and the NumPy backend, take the reference's calls.

    Returns
    -------
    kept : ndarray of shape Z.shape or None
        A copy of ``Z + b`` when the derivative needs the input (and for a
        logistic output layer, whose loss gradient reads the logits); else
        None.
    """
    fused = kernels is not None and kernels.supports(Z, b)
    if fused and name == ("softmax" if output else "relu"):
        (kernels.bias_softmax if output else kernels.bias_relu)(Z, b)
        return None
    Z += b
    if output:
        # The logistic loss gradient reads the logits (see
        # binary_log_loss_gradient); softmax's does not.
        kept = Z.copy() if name == "logistic" else None
        OUTPUT_ACTIVATIONS[name](Z)
        return kept
    act = ACTIVATIONS[name]
    kept = Z.copy() if act.needs_input else None
    act.function(Z)
    return kept


def forward(
    X, params, activation, out_activation, out=None, dropout=None, random_state=None
):
    """Forward pass keeping every layer's output (for :func:`backward`).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Input batch, in the parameters' dtype.
    params : Params
        The network's parameters.
    activation : str
        Hidden activation name, a key of ``ACTIVATIONS``.
    out_activation : {"softmax", "logistic"}
        Output activation.
    out : list of ndarray, default=None
        Preallocated outputs, ``out[l]`` of shape (n_samples, n_units[l+1]);
        reusing them across batches avoids an allocation per layer per batch.
    dropout : sequence of float, default=None
        Inverted dropout: ``dropout[l]`` is the probability of zeroing each
        unit of hidden layer ``l + 1``; kept units are scaled by
        ``1 / (1 - rate)`` so that no rescaling is needed at predict time.
    random_state : numpy.random.RandomState, default=None
        Source of the dropout masks (required with ``dropout``).

    Returns
    -------
    activations : list of ndarray
        ``[X, A_1, ..., A_L]`` (hidden outputs after dropout); ``A_L`` of
        shape (n_samples, n_outputs) holds the predicted probabilities.
    inputs : list of ndarray or None
        What each layer's derivative needs when it is not ``activations[l]``:
        ``Z_l`` for activations that ``needs_input`` and for a logistic
        output layer, ``f(Z_l)`` before dropout for dropped layers, else
        None.
    masks : list of ndarray or None
        ``masks[l]``, the scaled dropout mask of layer ``l``, or None.
    """
    kernels = _kernels.compiled()
    activations, inputs, masks = [X], [None], [None]
    last = len(params.coefs) - 1
    for l, (W, b) in enumerate(zip(params.coefs, params.intercepts)):
        Z = _dot(activations[l], W, None if out is None else out[l])
        if l == last:
            inputs.append(_bias_activation(Z, b, out_activation, True, kernels))
            masks.append(None)
        else:
            inputs.append(_bias_activation(Z, b, activation, False, kernels))
            rate = 0.0 if dropout is None else dropout[l]
            if rate:
                if inputs[-1] is None:  # the derivative reads f(Z) undropped
                    inputs[-1] = Z.copy()
                keep = random_state.random_sample(Z.shape) >= rate
                mask = keep.astype(Z.dtype)
                mask *= 1 / (1 - rate)
                Z *= mask
                masks.append(mask)
            else:
                masks.append(None)
        activations.append(Z)
    return activations, inputs, masks


def predict_output(X, params, activation, out_activation):
    """Forward pass keeping only the output layer.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Input, in the parameters' dtype.
    params : Params
        The network's parameters.
    activation : str
        Hidden activation name.
    out_activation : {"softmax", "logistic"}
        Output activation.

    Returns
    -------
    P : ndarray of shape (n_samples, n_outputs)
        Output probabilities; NaN in the rows where the pass overflowed.
    """
    act = ACTIVATIONS[activation]
    A = X
    last = len(params.coefs) - 1
    for l, (W, b) in enumerate(zip(params.coefs, params.intercepts)):
        A = _dot(A, W)
        A += b
        if l == last:
            # An infinite logit means the pass overflowed (here or in a
            # hidden layer); the logistic would turn it into a finite 0 or 1
            # of either sign, so the row is marked NaN instead, as softmax's
            # inf - inf marks it, for the caller to recompute or report.
            overflowed = (
                None
                if out_activation != "logistic" or np.isfinite(A).all()
                else ~np.isfinite(A).all(axis=1)
            )
            OUTPUT_ACTIVATIONS[out_activation](A)
            if overflowed is not None:
                A[overflowed] = np.nan
        else:
            act.function(A)
    return A


def predict_chunked(X, params, activation, out_activation, chunk=8192, rows=None):
    """:func:`predict_output` over ``chunk`` rows at a time.

    The hidden activations of a chunk are the only temporaries, so memory
    stays flat however many rows are predicted.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Input; cast to the parameters' dtype one chunk at a time.
    params : Params
        The network's parameters (only the per-layer views are read).
    activation : str
        Hidden activation name.
    out_activation : {"softmax", "logistic"}
        Output activation.
    chunk : int, default=8192
        Rows per forward pass.
    rows : ndarray of shape (n_rows,), default=None
        Predict only these rows of ``X``, gathered a chunk at a time (so a
        held-out part of X is never copied whole); None for all rows.

    Returns
    -------
    P : ndarray of shape (n_samples, n_outputs) or (n_rows, n_outputs)
        Output probabilities.
    """

    dtype = params.coefs[0].dtype

    def cast(A):  # a chunk at a time: X of another dtype is never copied whole
        return A if A.dtype == dtype else A.astype(dtype)

    n = X.shape[0] if rows is None else rows.shape[0]
    if n <= chunk:  # one chunk: no output buffer, no copy of it
        part = X if rows is None else X[rows]
        return predict_output(cast(part), params, activation, out_activation)

    def part(start, stop):
        return cast(X[start:stop] if rows is None else X[rows[start:stop]])

    P = np.empty((n, params.intercepts[-1].shape[0]), dtype=dtype)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        P[start:stop] = predict_output(
            part(start, stop), params, activation, out_activation
        )
    return P


def widen_overflowing_rows(P, X, params, activation, out_activation):
    """Recompute in float64 the rows whose float32 output is not finite.

    Inputs large enough to overflow a float32 forward pass almost always
    fit in float64, so those rows get probabilities instead of NaN.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Output of :func:`predict_chunked`; its non-finite rows are
        overwritten.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The input that produced ``P``.
    params : Params
        The parameters that produced ``P``.
    activation : str
        Hidden activation name.
    out_activation : {"softmax", "logistic"}
        Output activation.

    Returns
    -------
    bad : ndarray of shape (n_samples,), dtype=bool
        Rows that are still not finite (too large even for float64).
    """
    bad = ~np.isfinite(P).all(axis=1)
    if bad.any() and P.dtype != np.float64:
        wide = Params(
            None,
            [W.astype(np.float64) for W in params.coefs],
            [b.astype(np.float64) for b in params.intercepts],
            None,
        )
        P[bad] = predict_output(
            X[np.flatnonzero(bad)].astype(np.float64), wide, activation, out_activation
        )
        bad = ~np.isfinite(P).all(axis=1)
    return bad


def backward(
    activations,
    inputs,
    Y,
    params,
    activation,
    out_activation,
    alpha,
    grad,
    sample_weight=None,
    masks=None,
    add_l2=True,
):
    """Back-propagate the error of one forward pass into ``grad``.

    With ``S`` the sum of the sample weights, the output error of the
    canonical pairs softmax/log-loss and logistic/binary-log-loss is
    ``delta_L = (P - Y) * s``; it travels back as
    ``delta_l = (delta_{l+1} W_l^T) * f'(Z_l)``, and
    ``dW_l = (A_l^T delta_{l+1} + alpha W_l) / S``,
    ``db_l = sum_i delta_{l+1,i} / S``.

    Parameters
    ----------
    activations : list of ndarray
        From :func:`forward`. The output layer's array is overwritten with
        the output error (it is not needed afterwards).
    inputs : list of ndarray or None
        From :func:`forward`.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets (one-hot rows for softmax).
    params : Params
        Parameters used in the forward pass.
    activation : str
        Hidden activation name.
    out_activation : {"softmax", "logistic"}
        Output activation; selects the loss gradient.
    alpha : float
        L2 strength.
    grad : Params
        Gradient vector and its views; overwritten.
    sample_weight : ndarray of shape (n_samples,), default=None
        Per-sample weights.
    masks : list of ndarray or None, default=None
        Dropout masks from :func:`forward`; a dropped unit passes no error
        back.
    add_l2 : bool, default=True
        Add the L2 term ``alpha W_l / S``.  False leaves it out, for an
        optimizer step that adds it in the same pass as its update
        (``step(..., l2=l2_coefficient(alpha, Y, sample_weight))``).

    Returns
    -------
    grad : Params
        The same object, now holding the gradient of :func:`loss` (without
        its L2 term if ``add_l2`` is False).
    """
    kernels = _kernels.compiled()
    sw_sum = _weight_sum(Y, sample_weight)
    delta = _output_error(
        activations[-1], Y, inputs[-1], out_activation, sample_weight, sw_sum, kernels
    )
    # Column sums as a vector-matrix product: one BLAS call, several times
    # faster than np.sum(delta, axis=0) on a batch-sized delta.
    ones = _ones(delta.shape[0], delta.dtype)
    for l in range(len(params.coefs) - 1, -1, -1):
        _dot(activations[l].T, delta, out=grad.coefs[l])
        np.matmul(ones, delta, out=grad.intercepts[l])
        if l > 0:
            delta = delta @ params.coefs[l].T
            # inputs[l] holds Z (needs_input) or f(Z) before dropout.
            A = activations[l] if inputs[l] is None else inputs[l]
            _derivative(activation, A, delta, kernels)
            if masks is not None and masks[l] is not None:
                delta *= masks[l]
    if alpha and add_l2:
        # float(): a NumPy float64 alpha would promote float32 to float64.
        _add_l2(grad, params, float(alpha / sw_sum), kernels)
    return grad


@functools.lru_cache(maxsize=8)
def _ones(n, dtype):
    """A read-only vector of ``n`` ones (the same few sizes every batch)."""
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def _derivative(activation, A, delta, kernels):
    """``delta *= f'(Z)`` in place; ReLU's mask is one compiled pass."""
    if activation == "relu" and kernels is not None and kernels.supports(A, delta):
        kernels.relu_mask(A, delta)  # the same floats as the NumPy mask
    else:
        ACTIVATIONS[activation].derivative(A, delta)


def _add_l2(grad, params, c, kernels):
    """``dW += c W`` for every layer: one call, as the weights come first."""
    n_coef = params.n_coef
    if kernels is not None and kernels.supports(grad.flat, params.flat):
        kernels.add_l2(grad.flat, params.flat, n_coef, grad.flat.dtype.type(c))
    else:
        grad.flat[:n_coef] += c * params.flat[:n_coef]


def _weight_sum(Y, sample_weight):
    """``S``: the sum of the sample weights, or the number of rows."""
    return Y.shape[0] if sample_weight is None else float(sample_weight.sum())


def l2_coefficient(alpha, Y, sample_weight=None):
    """The L2 term's coefficient in the gradient: ``alpha / S``.

    What :func:`backward` multiplies the weights by; an optimizer step that
    adds the L2 term itself takes it as ``l2`` (with ``add_l2=False`` in
    :func:`backward`), and then gives the same floats.

    Parameters
    ----------
    alpha : float
        L2 strength.
    Y : ndarray of shape (n_samples, n_outputs)
        The batch's targets (only their number of rows is read).
    sample_weight : ndarray of shape (n_samples,), default=None
        The batch's sample weights; ``S`` is their sum.

    Returns
    -------
    c : float
        0.0 when ``alpha`` is 0.
    """
    return float(alpha / _weight_sum(Y, sample_weight)) if alpha else 0.0


def _output_error(P, Y, Z, out_activation, sample_weight, sw_sum, kernels):
    """``delta_L = (P - Y) s_i / S``, in place in ``P``.

    The compiled kernel does the softmax case in one pass per row (within
    a few ulps of the reference: its sums run in another order).
    """
    if (
        out_activation == "softmax"
        and kernels is not None
        and kernels.supports(P, Y)
        and (sample_weight is None or sample_weight.flags.c_contiguous)
    ):
        weights = P[0] if sample_weight is None else sample_weight  # unread if None
        dtype = P.dtype.type
        kernels.log_loss_delta(P, Y, weights, sample_weight is not None, dtype(sw_sum))
        return P
    delta = LOSS_GRADIENTS[out_activation](P, Y, Z)
    if sample_weight is not None:
        delta *= sample_weight[:, np.newaxis]
    # Every gradient is linear in the output error, so dividing it (a few
    # rows by n_outputs) by S here scales them all: no pass over the whole
    # gradient vector afterwards.
    delta /= sw_sum
    return delta


def loss(Y, P, out_activation, params, alpha, sample_weight=None):
    """Loss of predictions ``P``: weighted log loss plus the L2 penalty.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    P : ndarray of shape (n_samples, n_outputs)
        Predicted probabilities.
    out_activation : {"softmax", "logistic"}
        Selects categorical or binary log loss.
    params : Params
        Parameters (for the penalty).
    alpha : float
        L2 strength.
    sample_weight : ndarray of shape (n_samples,), default=None
        Per-sample weights.

    Returns
    -------
    loss : float
    """
    sw_sum = Y.shape[0] if sample_weight is None else float(sample_weight.sum())
    data = LOSSES[out_activation](Y, P, sample_weight)
    # Weights come first in the flat vector: one dot product over all of
    # them costs half of one per layer (30 against 68 us for 235k weights).
    weights = params.coefs if params.flat is None else [params.flat[: params.n_coef]]
    return data + l2_penalty(weights, alpha, sw_sum)


def loss_and_gradient(
    flat, X, Y, layer_units, activation, out_activation, alpha, sample_weight=None
):
    """Loss and flat gradient at ``flat``: the objective L-BFGS minimises.

    Parameters
    ----------
    flat : ndarray of shape (n_params,)
        Flat parameters, in the network's dtype.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Inputs, in the network's dtype.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    layer_units : sequence of int
        Units per layer, input and output included.
    activation : str
        Hidden activation name.
    out_activation : {"softmax", "logistic"}
        Output activation.
    alpha : float
        L2 strength.
    sample_weight : ndarray of shape (n_samples,), default=None
        Per-sample weights.

    Returns
    -------
    loss : float
    grad : ndarray of shape (n_params,)
    """
    params = as_params(flat, layer_units)
    activations, inputs, _ = forward(X, params, activation, out_activation)
    value = loss(Y, activations[-1], out_activation, params, alpha, sample_weight)
    grad = as_params(np.empty_like(flat), layer_units)
    backward(
        activations,
        inputs,
        Y,
        params,
        activation,
        out_activation,
        alpha,
        grad,
        sample_weight,
    )
    return value, grad.flat
