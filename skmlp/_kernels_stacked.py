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


# --- the wide first layer's weight gradient, zeros skipped ------------------
@numba.njit(inline="always", **_JIT)
def _add4_in_order(o, v0, a0, v1, a1, v2, a2, v3, a3):
    # Four entries added one after the other (the same floats as four
    # separate passes), with o loaded and stored once.
    for k in range(o.shape[0]):
        o[k] = (((o[k] + v0 * a0[k]) + v1 * a1[k]) + v2 * a2[k]) + v3 * a3[k]


@numba.njit(**_JIT)
def csr_rows_t_matmul_by_column(indptr, indices, data, rows, D, out):
    """``out = A[rows].T @ D``, A's zeros skipped, one output row at a time.

    The floats of :func:`skmlp._kernels_numba.csr_rows_t_matmul` (each
    output row adds its column's stored entries in batch order, one after
    the other), computed column by column: the batch's entries are first
    sorted by column (a counting sort), then each row of ``out`` is
    summed in place while it sits in the L1 cache, four entries per
    load and store, instead of every stored entry updating a row of an
    ``out`` larger than the L2 cache (the wide first layer of a stack:
    784 x 300 float32 is 940 kB).

    indptr, indices, data : a CSR matrix A with sorted, unique columns;
    rows : (n_rows,); D : (n_rows, n_units) C-contiguous; out :
    (A's n_columns, n_units) C-contiguous.
    """
    n_cols = out.shape[0]
    start = np.zeros(n_cols + 1, dtype=np.int64)
    for r in range(rows.shape[0]):
        i = rows[r]
        for p in range(indptr[i], indptr[i + 1]):
            start[indices[p] + 1] += 1
    for j in range(n_cols):
        start[j + 1] += start[j]
    fill = start[:n_cols].copy()
    entry_row = np.empty(start[n_cols], dtype=np.int64)
    entry_value = np.empty(start[n_cols], dtype=data.dtype)
    for r in range(rows.shape[0]):  # batch order within each column
        i = rows[r]
        for p in range(indptr[i], indptr[i + 1]):
            q = fill[indices[p]]
            entry_row[q], entry_value[q] = r, data[p]
            fill[indices[p]] = q + 1
    zero = out.dtype.type(0)
    for j in range(n_cols):
        o = out[j]
        o[:] = zero
        q, end = start[j], start[j + 1]
        while q + 4 <= end:
            _add4_in_order(
                o,
                entry_value[q], D[entry_row[q]],
                entry_value[q + 1], D[entry_row[q + 1]],
                entry_value[q + 2], D[entry_row[q + 2]],
                entry_value[q + 3], D[entry_row[q + 3]],
            )  # fmt: skip
            q += 4
        while q < end:
            ev, er = entry_value[q], entry_row[q]
            d = D[er]
            for k in range(o.shape[0]):
                o[k] += ev * d[k]
            q += 1
