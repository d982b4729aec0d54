"""The compiled passes of a single network, run over a stack of networks.

Imported by :mod:`skmlp._batched` only when :func:`skmlp._kernels.compiled`
gives the numba kernels.  Each function here loops over the member axis
and calls, for member ``m``, the very kernel the single network's
:func:`skmlp._network.forward` / :func:`~skmlp._network.backward` call:
a member's floats are those of its standalone fit, and the stack pays
one dispatch from Python per pass instead of one per member (about a
microsecond each, against a few microseconds of work per member on
digits' 200 x 64 batches).
"""

import numba
import numpy as np

from . import _kernels

__all__ = [
    "supports",
    "bias_relu_stacked",
    "bias_softmax_stacked",
    "relu_mask_stacked",
    "log_loss_delta_stacked",
]

_single = _kernels.compiled()
bias_relu = _single.bias_relu
bias_softmax = _single.bias_softmax
relu_mask = _single.relu_mask
log_loss_delta = _single.log_loss_delta

# As skmlp._kernels_numba's: no fast-math, no ZeroDivisionError branch.
_JIT = dict(cache=True, nogil=True, error_model="numpy")

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def supports(first, *others):
    """Whether these stacked arrays suit the kernels.

    One float dtype, and every member's block of each array contiguous in
    memory (``first[m]`` C-contiguous): the member axis itself may be
    strided, as the bias rows of a stacked parameter array are.
    """
    dtype = first.dtype
    if dtype not in _FLOATS:
        return False
    for a in (first, *others):
        if a.dtype != dtype or not a[0].flags.c_contiguous:
            return False
    return True


@numba.njit(**_JIT)
def bias_relu_stacked(Z, B):
    """``Z[m] = maximum(Z[m] + B[m], 0)`` for every member, in place.

    Z : (n_members, n_samples, n_units); B : (n_members, n_units).
    """
    for m in range(Z.shape[0]):
        bias_relu(Z[m], B[m])


@numba.njit(**_JIT)
def bias_softmax_stacked(Z, B):
    """Row-wise softmax of ``Z[m] + B[m]`` for every member, in place."""
    for m in range(Z.shape[0]):
        bias_softmax(Z[m], B[m])


@numba.njit(**_JIT)
def relu_mask_stacked(A, D):
    """``D[m] *= (A[m] > 0)`` for every member, in place."""
    for m in range(D.shape[0]):
        relu_mask(A[m], D[m])


@numba.njit(**_JIT)
def log_loss_delta_stacked(P, Y, SW, weighted, sw_sums):
    """``P[m] = (P[m] - Y[m]) * SW[m] / sw_sums[m]`` for every member.

    P, Y : (n_members, n_samples, n_outputs); SW : (n_members, n_samples)
    (read only when ``weighted``); sw_sums : (n_members,) in P's dtype.
    """
    for m in range(P.shape[0]):
        log_loss_delta(P[m], Y[m], SW[m], weighted, sw_sums[m])
