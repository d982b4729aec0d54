"""Log losses of the output layer, defined exactly as scikit-learn 1.9 does.

With per-sample weights ``s_i`` summing to ``S`` (``s_i = 1`` without
weights), the data term is ``(1/S) sum_i s_i l_i`` and the L2 penalty is
``(alpha / 2) sum_l ||W_l||^2 / S``.

Probabilities are clipped to ``[eps, 1 - eps]`` (``eps`` of their dtype)
before the logarithm, so a confident wrong prediction costs a large but
finite loss instead of ``inf``.
"""

import numpy as np
from scipy.special import expit

__all__ = [
    "clip_eps",
    "clipped_log",
    "log_loss",
    "log_loss_gradient",
    "binary_log_loss",
    "binary_log_loss_gradient",
    "LOSSES",
    "LOSS_GRADIENTS",
    "l2_penalty",
    "smooth_targets",
]


def _row_sums(A):
    """``A.sum(axis=1)`` as a matrix-vector product.

    NumPy reduces the short rows of an ``(n_samples, n_outputs)`` array one
    row at a time; BLAS does the whole matrix in one call, several times
    faster for the few columns of an output layer.
    """
    return A @ np.ones(A.shape[1], dtype=A.dtype)


# np.finfo costs microseconds per call, and the loss is taken every batch.
_EPS = {np.dtype(t): np.finfo(t).eps for t in (np.float16, np.float32, np.float64)}


def clip_eps(dtype):
    """``np.finfo(dtype).eps``, from the table for the usual dtypes: the
    clipping bound of the probabilities whose log the losses take."""
    eps = _EPS.get(dtype)
    return np.finfo(dtype).eps if eps is None else eps


def clipped_log(P, out=None):
    """``log(clip(P, eps, 1 - eps))`` with ``eps`` of P's dtype, into ``out``
    (one new array when None)."""
    eps = clip_eps(P.dtype)
    out = np.maximum(P, eps, out=out)
    np.minimum(out, 1 - eps, out=out)
    return np.log(out, out=out)


def _cross_entropy(Y, logP, sample_weight):
    """``-(1/S) sum_i s_i sum_j Y_ij logP_ij``: the data term of both losses."""
    if sample_weight is None:
        # One dot product over the whole matrix instead of row sums then a
        # mean (np.mean alone costs more than the rest of the loss).
        return -float(np.vdot(Y, logP)) / Y.shape[0]
    per_sample = _row_sums(Y * logP)
    # In float64: large float32 weights times a loss of ~16 (the clipped
    # log) would overflow a float32 sum.
    weighted = np.dot(per_sample, sample_weight.astype(np.float64))
    return -float(weighted) / float(sample_weight.sum(dtype=np.float64))


def log_loss(Y, P, sample_weight=None):
    """Categorical cross-entropy of a softmax output.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_classes)
        One-hot (or smoothed) targets.
    P : ndarray of shape (n_samples, n_classes)
        Predicted probabilities, rows summing to one.
    sample_weight : ndarray of shape (n_samples,), default=None
        Per-sample weights; the loss is their weighted mean.

    Returns
    -------
    loss : float
    """
    return _cross_entropy(Y, clipped_log(P), sample_weight)


def log_loss_gradient(P, Y, Z=None):
    """Gradient of :func:`log_loss` w.r.t. the logits, ``P - Y``, in place.

    Computed so that it stays accurate when the model is confident.  For
    the most probable class ``t`` of a row, ``p_t`` rounds to 1 in float32
    long before ``1 - p_t`` is negligible, so ``p_t - y_t`` is evaluated as
    ``(1 - y_t) - sum_{k != t} p_k``: a sum of small, accurately known
    probabilities instead of a cancellation.  Without this, the gradient of
    a confident float32 model is rounding noise, which Adam rescales into
    full-size steps.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_classes)
        Softmax probabilities; overwritten with the gradient.
    Y : ndarray of shape (n_samples, n_classes)
        Targets, rows summing to one.
    Z : None
        Unused (the logits are not needed for softmax).

    Returns
    -------
    delta : ndarray of shape (n_samples, n_classes)
        ``P`` itself, holding ``P - Y``.
    """
    top = np.arange(P.shape[0]), P.argmax(axis=1)
    P[top] = 0
    rest = _row_sums(P)
    P -= Y
    P[top] = (1 - Y[top]) - rest
    return P


def binary_log_loss(Y, P, sample_weight=None):
    """Binary cross-entropy of logistic outputs, summed over the outputs.

    Used for binary targets (one output column) and multilabel targets (one
    independent logistic output per label).

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
        0/1 (or smoothed) targets.
    P : ndarray of shape (n_samples, n_outputs)
        Predicted probabilities of the positive class of each output.
    sample_weight : ndarray of shape (n_samples,), default=None
        Per-sample weights; the loss is their weighted mean.

    Returns
    -------
    loss : float
    """
    eps = clip_eps(P.dtype)
    P = np.clip(P, eps, 1 - eps)
    return _cross_entropy(Y, np.log(P), sample_weight) + _cross_entropy(
        1 - Y, np.log1p(-P, out=P), sample_weight
    )


def binary_log_loss_gradient(P, Y, Z):
    """Gradient of :func:`binary_log_loss` w.r.t. the logits, ``P - Y``.

    Where the logit is positive, ``sigmoid(z) - y`` is evaluated as
    ``(1 - y) - sigmoid(-z)`` from the logit itself, which stays accurate
    when ``sigmoid(z)`` rounds to 1 (see :func:`log_loss_gradient`).

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Logistic probabilities; overwritten with the gradient.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in [0, 1].
    Z : ndarray of shape (n_samples, n_outputs)
        The logits ``P`` was computed from.

    Returns
    -------
    delta : ndarray of shape (n_samples, n_outputs)
        ``P`` itself, holding ``P - Y``.
    """
    positive = Z > 0
    P -= Y
    P[positive] = (1 - Y[positive]) - expit(-Z[positive])
    return P


LOSSES = {"softmax": log_loss, "logistic": binary_log_loss}
"""The loss that goes with each output activation (the canonical link)."""

LOSS_GRADIENTS = {"softmax": log_loss_gradient, "logistic": binary_log_loss_gradient}
"""Gradient w.r.t. the logits of each output activation's loss."""


def l2_penalty(coefs, alpha, sw_sum):
    """``(alpha / 2) sum_l ||W_l||_F^2 / sw_sum``, the L2 term of the loss.

    Parameters
    ----------
    coefs : list of ndarray
        Weight matrices (``coefs[l]`` of shape (n_units[l], n_units[l+1])),
        or any arrays holding all the weights, such as the flat vector's
        weight part.
    alpha : float
        L2 strength.
    sw_sum : float
        Sum of sample weights (number of samples without weights).

    Returns
    -------
    penalty : float
    """
    if alpha == 0:
        return 0.0
    squares = sum(float(np.dot(W.ravel(), W.ravel())) for W in coefs)
    return 0.5 * alpha * squares / sw_sum


def smooth_targets(Y, label_smoothing, out_activation):
    """Mix the 0/1 targets with the uniform distribution.

    ``Y (1 - eps) + eps / K`` with ``K`` the number of classes for a softmax
    output, and ``K = 2`` (each output is its own binary problem) for
    logistic outputs.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets.
    label_smoothing : float
        ``eps`` in [0, 1).
    out_activation : {"softmax", "logistic"}
        The output layer.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_outputs)
        Smoothed targets (``Y`` itself when ``eps`` is 0).
    """
    if not label_smoothing:
        return Y
    k = Y.shape[1] if out_activation == "softmax" else 2
    return Y * (1 - label_smoothing) + label_smoothing / k
