"""Many networks of one shape as one stacked network (pure functions).

A *stack* holds ``M`` member networks of the same layer sizes in one array
of shape ``(M, n_params)``: row ``m`` is exactly member ``m``'s flat vector
of :mod:`skmlp._network` (all weights, then all biases), so
``as_params(flat[m], layer_units)`` is that member as a single network.
The per-layer views gain a leading member axis: ``coefs[l]`` has shape
``(M, n_units[l], n_units[l+1])`` and ``intercepts[l]`` ``(M, n_units[l+1])``.

The math is the single network's, applied along the member axis: the same
activation functions (:data:`~skmlp._activations.ACTIVATIONS`, elementwise,
so they work on any shape), the same output activations and loss gradients
(row-wise, applied to the stack seen as ``(M * n_samples, n_outputs)``
rows), the same loss (:func:`skmlp._network.loss`, called per member), and
batched ``np.matmul`` for the products, which runs one BLAS product per
member.  Each function here is tested member by member against its
single-network counterpart.

A batch is either *shared* (``X`` of shape ``(n_samples, n_features)``:
every member reads the same rows in the same order, and the first layer is
one product of ``X`` with all members' weights) or *per member* (``X`` of
shape ``(M, n_samples, n_features)``).

There is no stacked optimizer: each member's update is its standalone
fit's (:func:`skmlp._training.apply_update` on its row of the stack, with
its own :class:`~skmlp._optimizers.Adam` or :class:`~skmlp._optimizers.SGD`),
one fused pass per member with the compiled kernels.  With them, the
elementwise passes here are also the single network's kernels, member by
member (:mod:`skmlp._kernels_stacked`).
"""

import os
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from . import _kernels
from ._activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from ._losses import LOSS_GRADIENTS, clip_eps, clipped_log
from ._network import as_params, predict_output
from ._sparse_rows import SparseRows

__all__ = [
    "StackedParams",
    "Workspace",
    "as_stacked",
    "member",
    "forward_stacked",
    "backward_stacked",
    "loss_stacked",
    "predict_stacked",
]

# Whether a shared dense batch's first layer is one wide product ``X @ [W_1
# ... W_M]`` (True), one product per member with the same ``X`` (False), or
# chosen by the number of inputs (None: wide from WIDE_MIN_INPUTS on).  (A
# SparseRows batch always takes the wide zero-skipping product.)  Off by
# default: in float32 the wide BLAS product sums in another order than the
# member's own product, so a member no longer gets its standalone fit's
# floats (with thin products it does, bit for bit); in float64 it does on
# the benchmark machine, but there it did not pay.  Measured (speed pass 3
# of benchmarks/RESULTS_search.md, one thread): a fold of 12 MNIST members
# (float32) 10% faster wide; a fold of 12 digits members (float64) 37%
# slower, its (200, 768) activations and errors copied in and out of the
# wide layout costing more than the product gains (the products alone are
# within 6%).  The SKMLP_WIDE_FIRST_LAYER environment variable (0, 1;
# "auto" for the rule) sets it for benchmarks (benchmarks/bench_search.py
# --wide; search workers inherit it).
WIDE_FIRST_LAYER = {"1": True, "auto": None}.get(
    os.environ.get("SKMLP_WIDE_FIRST_LAYER"), False
)
WIDE_MIN_INPUTS = 256


def _wide(X):
    """Whether the first layer of this batch is one wide product."""
    if isinstance(X, SparseRows):
        # Zeros skipped: each output sums its row's stored entries in their
        # order whatever the number of columns, so the wide product gives
        # each member the floats of its own zero-skipping product, and it
        # is the fast one (one long row of weights per stored entry).
        return True
    if X.ndim != 2:  # each member its own rows: no shared product
        return False
    if WIDE_FIRST_LAYER is None:
        return X.shape[1] >= WIDE_MIN_INPUTS
    return WIDE_FIRST_LAYER


class StackedParams(NamedTuple):
    """Flat vectors of ``M`` networks and their stacked per-layer views.

    Attributes
    ----------
    flat : ndarray of shape (n_members, n_params)
        Row ``m`` is member ``m``'s flat vector (weights, then biases).
    coefs : list of ndarray
        ``coefs[l]``, a view of shape (n_members, n_units[l], n_units[l+1]).
    intercepts : list of ndarray
        ``intercepts[l]``, a view of shape (n_members, n_units[l+1]).
    n_coef : int
        Weights per member: ``flat[:, :n_coef]`` are the weights.
    """

    flat: np.ndarray
    coefs: list
    intercepts: list
    n_coef: int


class Workspace:
    """Reused buffers of one batch size for a stack (no allocation per batch).

    Parameters
    ----------
    n_members, n_samples : int
    layer_units : sequence of int
    dtype : numpy dtype

    Attributes
    ----------
    out : list of ndarray
        ``out[l]`` of shape (n_members, n_samples, n_units[l+1]): the layer
        outputs (:func:`forward_stacked`'s ``out``).
    deltas : list of ndarray
        ``deltas[l - 1]`` of shape (n_members, n_samples, n_units[l]): the
        error of hidden layer ``l`` (:func:`backward_stacked`).
    log : ndarray of shape (n_members, n_samples, n_outputs)
        The clipped logarithm of the output (:func:`loss_stacked`).
    ones : ndarray of shape (n_samples,)
    sw_sum, sw_sum_cast : ndarray of shape (n_members,)
        ``S`` of an unweighted batch (its number of rows), in float64 and in
        ``dtype``; ``placeholder`` stands for the unread sample weights.
    """

    def __init__(self, n_members, n_samples, layer_units, dtype):
        shape = (n_members, n_samples)
        self.out = [np.empty((*shape, u), dtype) for u in layer_units[1:]]
        self.deltas = [np.empty((*shape, u), dtype) for u in layer_units[1:-1]]
        self.log = np.empty((*shape, layer_units[-1]), dtype)
        self.ones = np.ones(n_samples, dtype)
        self.sw_sum = np.full(n_members, float(n_samples))
        self.sw_sum_cast = self.sw_sum.astype(dtype)
        self.placeholder = np.empty(shape, dtype)


def as_stacked(flat, layer_units):
    """View an ``(n_members, n_params)`` array as stacked layers.

    Parameters
    ----------
    flat : ndarray of shape (n_members, n_params)
        C-contiguous stacked flat vectors.
    layer_units : sequence of int
        Units per layer, input and output included.

    Returns
    -------
    params : StackedParams
        ``flat`` with its views; writing to a view writes to ``flat``.
    """
    M = flat.shape[0]
    coefs, intercepts = [], []
    start = 0
    for fan_in, fan_out in pairwise(layer_units):
        end = start + fan_in * fan_out
        coefs.append(flat[:, start:end].reshape(M, fan_in, fan_out))
        start = end
    n_coef = start
    for fan_out in layer_units[1:]:
        intercepts.append(flat[:, start : start + fan_out])
        start += fan_out
    return StackedParams(flat, coefs, intercepts, n_coef)


def member(params, m, layer_units):
    """Member ``m`` of a stack as a single network's :class:`Params` (a view).

    Parameters
    ----------
    params : StackedParams
    m : int
        Member index.
    layer_units : sequence of int

    Returns
    -------
    params : Params
    """
    return as_params(params.flat[m], layer_units)


def _stacked_kernels():
    """:mod:`skmlp._kernels_stacked` when the compiled kernels are in use."""
    if _kernels.compiled() is None:
        return None
    from . import _kernels_stacked

    return _kernels_stacked


def _bias_activation(Z, b, name, output, kernels):
    """``Z[m] <- f(Z[m] + b[m])`` in place; returns what the derivative reads.

    The stacked twin of :func:`skmlp._network`'s step of ``forward``: with
    the compiled kernels, ReLU and softmax run the single network's fused
    kernel member by member (the same floats as a standalone fit); the
    rest, and the NumPy backend, the reference's calls on the whole stack.
    """
    if (
        kernels is not None
        and name == ("softmax" if output else "relu")
        and kernels.supports(Z, b)
    ):
        fused = kernels.bias_softmax_stacked if output else kernels.bias_relu_stacked
        fused(Z, b)
        return None
    Z += b[:, np.newaxis, :]
    if output:
        kept = Z.copy() if name == "logistic" else None
        OUTPUT_ACTIVATIONS[name](_rows(Z))  # row-wise
        return kept
    act = ACTIVATIONS[name]
    kept = Z.copy() if act.needs_input else None
    act.function(Z)
    return kept


def _rows(A):
    """An ``(..., k)`` array seen as ``(-1, k)`` rows (a view when contiguous)."""
    return A.reshape(-1, A.shape[-1])


def forward_stacked(X, params, activation, out_activation, masks=None, out=None):
    """Forward pass of every member, keeping each layer (for the backward).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or \
            (n_members, n_samples, n_features), or SparseRows
        A shared batch, or one batch per member; a shared batch as
        :class:`~skmlp._sparse_rows.SparseRows` has its zeros skipped by
        one wide first-layer product (forward and weight gradient).
    params : StackedParams
    activation : str
        Hidden activation, a key of ``ACTIVATIONS``.
    out_activation : {"softmax", "logistic"}
    masks : list of (ndarray of shape (n_members, n_samples, n_units) or None)
        ``masks[l]``, the scaled inverted-dropout masks of hidden layer
        ``l + 1`` (a member without dropout there has a mask of ones), or
        None: drawn by the caller from each member's own random state, in
        the order :func:`skmlp._network.forward` draws them.
    out : list of ndarray, default=None
        Preallocated C-contiguous layer outputs, ``out[l]`` of shape
        (n_members, n_samples, n_units[l+1]) (as :func:`skmlp._network.forward`'s
        ``out``: the same products, no allocation per batch).

    Returns
    -------
    activations : list of ndarray
        ``[X, A_1, ..., A_L]``, ``A_l`` of shape (n_members, n_samples,
        n_units[l]).
    inputs : list of ndarray or None
        As :func:`skmlp._network.forward`'s, stacked.
    masks : list of ndarray or None
        ``[None, *masks, None]``, aligned with ``activations``.
    """
    kernels = _stacked_kernels()
    activations, inputs, kept = [X], [None], [None]
    last = len(params.coefs) - 1
    for l, (W, b) in enumerate(zip(params.coefs, params.intercepts)):
        if l == 0 and _wide(X):
            Z = _first_layer_shared(X, W)
        else:
            Z = np.matmul(activations[l], W, out=None if out is None else out[l])
        if l == last:
            inputs.append(_bias_activation(Z, b, out_activation, True, kernels))
            kept.append(None)
        else:
            inputs.append(_bias_activation(Z, b, activation, False, kernels))
            mask = None if masks is None else masks[l]
            if mask is not None:
                if inputs[-1] is None:  # the derivative reads f(Z) undropped
                    inputs[-1] = Z.copy()
                Z *= mask
            kept.append(mask)
        activations.append(Z)
    return activations, inputs, kept


def _first_layer_shared(X, W):
    """Every member's ``X @ W_m`` as one wide product, ``X @ [W_1 ... W_M]``.

    The weights are copied side by side for the product, and its result
    back to one contiguous block per member (the layers after it, and the
    compiled kernels, read those): two copies that cost about a fifth of
    what the wide product saves where it pays (see WIDE_MIN_INPUTS).

    Returns
    -------
    Z : ndarray of shape (n_members, n_samples, n_units)
    """
    M, n_in, h = W.shape
    wide = np.empty((n_in, M, h), dtype=W.dtype)
    np.copyto(wide, W.transpose(1, 0, 2))
    Z = X @ wide.reshape(n_in, M * h)
    return np.ascontiguousarray(Z.reshape(X.shape[0], M, h).transpose(1, 0, 2))


def _first_layer_gradient_shared(X, delta, out):
    """``out[m] = X.T @ delta[m]`` for every member as one wide product.

    A :class:`~skmlp._sparse_rows.SparseRows` batch takes the single
    network's zero-skipping gradient (summed column by column when wide,
    the same floats either way: :meth:`SparseRows.dot
    <skmlp._sparse_rows.SparseRows.dot>`).
    """
    M, B, h = delta.shape
    wide = np.empty((B, M, h), dtype=delta.dtype)
    np.copyto(wide, delta.transpose(1, 0, 2))
    G = X.T @ wide.reshape(B, M * h)
    np.copyto(out, G.reshape(X.shape[1], M, h).transpose(1, 0, 2))


def _sw_sums(Y, sample_weight, work=None):
    """Per-member sums of the sample weights, as :func:`backward` takes them
    (an unweighted batch's from its ``work``space, when given)."""
    if sample_weight is None and work is not None:
        return work.sw_sum
    if sample_weight is None:
        return np.full(Y.shape[0], float(Y.shape[1]))
    return np.array([float(s.sum()) for s in sample_weight])


def backward_stacked(
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
    work=None,
):
    """Back-propagate every member's error into ``grad``.

    Member ``m``'s gradient is :func:`skmlp._network.backward`'s for that
    member (same operations in the same order).

    Parameters
    ----------
    activations, inputs, masks : list
        From :func:`forward_stacked`; the output layer is overwritten.
    Y : ndarray of shape (n_members, n_samples, n_outputs)
        Each member's targets.
    params : StackedParams
    activation : str
    out_activation : {"softmax", "logistic"}
    alpha : ndarray of shape (n_members,)
        L2 strength of each member whose gradient gets the L2 term (0 for
        a member whose optimizer step adds it, ``add_l2=False`` in
        :func:`skmlp._network.backward`).
    grad : StackedParams
        Overwritten with the gradients.
    sample_weight : ndarray of shape (n_members, n_samples), default=None
    work : Workspace, default=None
        Buffers of this batch's size (the errors of the hidden layers, the
        unweighted sums): the same floats, no allocation per batch.

    Returns
    -------
    grad : StackedParams
    """
    kernels = _stacked_kernels()
    unweighted = work if sample_weight is None else None  # unweighted sums
    sw_sum = _sw_sums(Y, sample_weight, work)
    P, Z, out = activations[-1], inputs[-1], out_activation
    delta = _output_error(P, Y, Z, out, sample_weight, sw_sum, kernels, unweighted)
    ones = np.ones(delta.shape[1], delta.dtype) if work is None else work.ones
    for l in range(len(params.coefs) - 1, -1, -1):
        if l == 0 and _wide(activations[0]):
            _first_layer_gradient_shared(activations[0], delta, grad.coefs[0])
        else:
            np.matmul(np.swapaxes(activations[l], -1, -2), delta, out=grad.coefs[l])
        np.matmul(ones, delta, out=grad.intercepts[l])
        if l > 0:
            delta = _hidden_error(
                delta,
                params.coefs[l],
                activations[l] if inputs[l] is None else inputs[l],
                activation,
                None if masks is None else masks[l],
                kernels,
                None if work is None else work.deltas[l - 1],
            )
    # As backward's L2 term, member by member (none for a member whose
    # optimizer step adds it).
    for m in np.flatnonzero(alpha):
        c = float(alpha[m] / sw_sum[m])
        grad.flat[m, : params.n_coef] += c * params.flat[m, : params.n_coef]
    return grad


def _hidden_error(delta, W, A, activation, mask, kernels, out):
    """The error of the layer below: ``(delta W^T) * f'(Z)`` (* its dropout
    mask), each member's as :func:`skmlp._network.backward` computes it."""
    delta = np.matmul(delta, np.swapaxes(W, -1, -2), out=out)
    if activation == "relu" and kernels is not None and kernels.supports(A, delta):
        kernels.relu_mask_stacked(A, delta)  # the single network's kernel
    else:
        ACTIVATIONS[activation].derivative(A, delta)
    if mask is not None:
        delta *= mask
    return delta


def _output_error(P, Y, Z, out_activation, sample_weight, sw_sum, kernels, work=None):
    """Every member's ``(P - Y) s_i / S``, in place in ``P``.

    The stacked twin of :func:`skmlp._network`'s output error: the single
    network's compiled softmax kernel member by member, or the reference's
    calls on the whole stack.  ``work`` (unweighted batches only) holds the
    placeholder weights and ``sw_sum`` cast to P's dtype.
    """
    dtype = P.dtype
    if (
        out_activation == "softmax"
        and kernels is not None
        and kernels.supports(P, Y)
        and (sample_weight is None or kernels.supports(sample_weight))
    ):
        if work is not None:
            kernels.log_loss_delta_stacked(
                P, Y, work.placeholder, False, work.sw_sum_cast
            )
            return P
        # The weights are unread if None (a placeholder of the right type).
        weights = (
            np.empty(P.shape[:2], dtype) if sample_weight is None else sample_weight
        )
        kernels.log_loss_delta_stacked(
            P, Y, weights, sample_weight is not None, sw_sum.astype(dtype)
        )
        return P
    LOSS_GRADIENTS[out_activation](
        _rows(P), _rows(Y), None if Z is None else _rows(Z)
    )  # row-wise, in place
    if sample_weight is not None:
        P *= sample_weight[:, :, np.newaxis]
    # Cast as backward's Python-float divisor is (NEP 50): same rounding.
    P /= sw_sum.astype(dtype)[:, np.newaxis, np.newaxis]
    return P


def _cross_entropies(Y, logP, sample_weight):
    """Each member's ``-(1/S) sum_i s_i sum_j Y_ij logP_ij``.

    The reductions are :mod:`skmlp._losses`' own, member by member (the
    same BLAS dot products in the same order), so each value is the one
    :func:`skmlp._network.loss` gives; only the elementwise logarithm is
    taken once for the whole stack.
    """
    if sample_weight is None:
        return [-float(np.vdot(Y[m], logP[m])) / Y.shape[1] for m in range(len(Y))]
    ones = np.ones(Y.shape[2], dtype=logP.dtype)
    out = []
    for m in range(len(Y)):
        per_sample = (Y[m] * logP[m]) @ ones
        weighted = np.dot(per_sample, sample_weight[m].astype(np.float64))
        total = float(sample_weight[m].sum(dtype=np.float64))
        out.append(-float(weighted) / total)
    return out


def loss_stacked(
    Y, P, out_activation, params, alpha, layer_units, sample_weight=None, work=None
):
    """Each member's :func:`skmlp._network.loss` (data term plus L2).

    Parameters
    ----------
    Y : ndarray of shape (n_members, n_samples, n_outputs)
    P : ndarray of shape (n_members, n_samples, n_outputs)
    out_activation : {"softmax", "logistic"}
    params : StackedParams
    alpha : ndarray of shape (n_members,)
    layer_units : sequence of int
    sample_weight : ndarray of shape (n_members, n_samples), default=None
    work : Workspace, default=None
        Buffers of this batch's size (the clipped logarithm of a softmax
        output, the unweighted sums): the same floats, no allocation.

    Returns
    -------
    losses : ndarray of shape (n_members,)
        Equal to :func:`skmlp._network.loss` of each member (tested).
    """
    if out_activation == "softmax":
        logP = clipped_log(P, out=None if work is None else work.log)
        data = _cross_entropies(Y, logP, sample_weight)
    else:  # binary log loss: both terms, as _losses.binary_log_loss
        eps = clip_eps(P.dtype)
        clipped = np.clip(P, eps, 1 - eps)
        positive = _cross_entropies(Y, np.log(clipped), sample_weight)
        negative = _cross_entropies(1 - Y, np.log1p(-clipped), sample_weight)
        data = [a + b for a, b in zip(positive, negative)]
    sw_sum = _sw_sums(Y, sample_weight, work)
    n_coef = params.n_coef
    losses = np.empty(len(data))
    for m, value in enumerate(data):
        w = params.flat[m, :n_coef]
        penalty = (
            0.0 if alpha[m] == 0 else 0.5 * alpha[m] * float(np.dot(w, w)) / sw_sum[m]
        )
        losses[m] = value + penalty
    return losses


def predict_stacked(X, params, activation, out_activation, layer_units):
    """Every member's output on ``X`` (no dropout, nothing kept).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or \
            (n_members, n_samples, n_features), or SparseRows
    params : StackedParams
    activation : str
    out_activation : {"softmax", "logistic"}
    layer_units : sequence of int

    Returns
    -------
    P : ndarray of shape (n_members, n_samples, n_outputs)
        Each member's :func:`~skmlp._network.predict_output`, bit for bit
        (what its standalone fit scores the validation set with): that
        function member by member, as the reference's softmax sums a row
        (one matrix-vector product for all rows) other than the fused
        kernel of :func:`forward_stacked` does.
    """
    M = params.flat.shape[0]
    per_member = not isinstance(X, SparseRows) and X.ndim == 3
    return np.stack(
        [
            predict_output(
                X[m] if per_member else X,
                member(params, m, layer_units),
                activation,
                out_activation,
            )
            for m in range(M)
        ]
    )
