"""Training batches whose zeros the first layer skips (compiled kernels).

Image-like inputs are mostly zeros: 81% of MNIST's pixels are 0.  A dense
matrix product multiplies every one of them; the compiled CSR kernels
(``csr_rows_matmul`` and ``csr_rows_t_matmul`` of
:mod:`skmlp._kernels_numba`) visit only the stored entries, for the first
layer's forward product ``X_batch @ W`` and its weight gradient
``X_batch.T @ delta`` -- the two largest products of an MNIST network
(measurements in ``benchmarks/RESULTS.md``).

:class:`SparseRows` is such a batch: some rows of one CSR matrix, kept as
that matrix's arrays and the row numbers, so taking a batch copies nothing.
:class:`SparseRowTaker` makes them; :func:`skips_zeros` decides, once per
fit, whether a training set is worth it.

The floats: each output element adds the stored entries' products in their
stored order (the weight gradient exactly as scipy's product of the
transposed batch; the forward product four at a time), not in BLAS's order:
the two differ by rounding only, within the error bound of a sum of that
many products (tested in ``tests/test_sparse_rows.py``).  The NumPy backend
never makes these batches (its dense products are the reference), so
``SKMLP_KERNELS=numpy`` trains exactly as before.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from . import _kernels

__all__ = [
    "BY_COLUMN_MIN_WIDTH",
    "MAX_DENSITY",
    "MIN_WIDTH",
    "PARALLEL_MIN_WIDTH",
    "SparseRowTaker",
    "SparseRows",
    "skips_zeros",
]

MAX_DENSITY = 0.3
"""Largest fraction of nonzero inputs for which a dense training set is
taken as sparse rows.  The zero-skipping products do one multiply-add per
stored entry but at a fraction of BLAS's rate per multiply-add."""

MIN_WIDTH = {np.dtype(np.float32): 8, np.dtype(np.float64): 8}
"""Narrowest first hidden layer for which a dense training set is taken as
sparse rows, by dtype.  Since narrow rows are summed in registers
(``tile_sum``, session 8), whole 20-epoch fits on 8,000 MNIST rows, one
thread, 5 interleaved pairs, sparse rows against BLAS: float32 0.75x the
time at (8,), 0.73x at (16,), 0.77x at (16, 10); float64 0.52x at (8,),
0.55x at (12,).  The products alone (``bench_sparse_rows.py --fresh``,
forward plus gradient, BLAS's side with the gather of the dense rows):
float32 0.80x BLAS's speed at 4 units, 2.39x at 8, 1.67x at 25; float64
2.16x at 4, 2.90x at 8, 2.02x at 25.  (Before: 24 float32 and 16 float64
units, when narrow rows were summed in memory.)"""


BY_COLUMN_MIN_WIDTH = {np.dtype(np.float32): 256, np.dtype(np.float64): 128}
"""Narrowest weight gradient, by dtype, computed one output row at a time
(``csr_rows_t_matmul_by_column``, the same floats as the scatter of
``csr_rows_t_matmul``).  MNIST batches of 200 rows, one thread, against the
scatter (load 2.3-2.6): float32 0.75-1.19x at 64 units, 0.95 at 128, 1.31-1.35
at 256, 1.55-1.58 at 512; float64 0.81-0.87 at 64, 1.25-1.32 at 128,
1.41-1.60 at 256, 1.34-1.48 at 512."""

PARALLEL_MIN_WIDTH = 64
"""Narrowest output for which the ``numba-parallel`` backend splits a
product's columns over threads (each thread's share must outlast waking
it)."""


class SparseRows(NamedTuple):
    """Rows ``rows`` of the CSR matrix ``(data, indices, indptr)``.

    Only what the network's products need of an input batch: ``shape``,
    ``dtype``, ``T``, :meth:`dot` and ``@``.

    Attributes
    ----------
    indptr : ndarray of shape (n_matrix_rows + 1,)
    indices : ndarray of shape (nnz,)
    data : ndarray of shape (nnz,)
        The whole matrix's CSR arrays (not copied).
    rows : ndarray of shape (n_rows,)
        The batch's rows of the matrix, in batch order.
    n_columns : int
    transposed : bool, default=False
        True for the batch's transpose (what ``T`` returns).
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    rows: np.ndarray
    n_columns: int
    transposed: bool = False

    @property
    def shape(self):
        shape = (self.rows.shape[0], self.n_columns)
        return shape[::-1] if self.transposed else shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def T(self):
        return self._replace(transposed=not self.transposed)

    def dot(self, W, out=None):
        """``self @ W``, written into ``out`` when given.

        Parameters
        ----------
        W : ndarray of shape (self.shape[1], n_units)
        out : ndarray of shape (self.shape[0], n_units), default=None

        Returns
        -------
        out : ndarray of shape (self.shape[0], n_units)
        """
        if out is None:
            out = np.empty((self.shape[0], W.shape[1]), dtype=self.dtype)
        kernels = _kernels.compiled()
        if kernels is None or not kernels.supports(self.data, W, out):
            # Only if the backend was switched mid-fit, or an unusual
            # layout: scipy's product, within rounding of the kernels'.
            out[...] = self.as_scipy() @ W
            return out
        arrays = self.indptr, self.indices, self.data, self.rows
        by_column = self.transposed and out.shape[1] >= BY_COLUMN_MIN_WIDTH.get(
            out.dtype, np.inf
        )
        if _kernels.parallel() and by_column:
            # The gradient's rows split over threads (the same floats).
            kernels.csr_rows_t_matmul_by_column_parallel(
                *arrays, W, out, kernels.threads()
            )
        elif _kernels.parallel() and out.shape[1] >= PARALLEL_MIN_WIDTH:
            # The same floats, see skmlp._kernels_numba.
            kernels.csr_rows_product_parallel(
                *arrays, W, out, self.transposed, kernels.threads()
            )
        elif by_column:
            kernels.csr_rows_t_matmul_by_column(*arrays, W, out)
        elif self.transposed:
            kernels.csr_rows_t_matmul(*arrays, W, out)
        else:
            kernels.csr_rows_matmul(*arrays, W, out)
        return out

    def __matmul__(self, W):
        """``self @ W``: :meth:`dot` into a new array."""
        return self.dot(W)

    def as_scipy(self):
        """The batch as a scipy CSR matrix (or its transpose)."""
        n_matrix_rows = self.indptr.shape[0] - 1
        # scipy takes int32 or int64 indices (dense_to_csr may give uint16).
        indices = self.indices.astype(np.int32, copy=False)
        matrix = sp.csr_matrix(
            (self.data, indices, self.indptr),
            shape=(n_matrix_rows, self.n_columns),
        )
        batch = matrix[self.rows]
        return batch.T if self.transposed else batch


class SparseRowTaker:
    """Takes the rows of each batch of X as :class:`SparseRows`, copying nothing.

    The same call as :class:`skmlp._fit_data.BatchTaker`.

    Parameters
    ----------
    X : {ndarray, csr_matrix} of shape (n_samples, n_features)
        Converted to CSR once (a dense X of density d takes about
        ``1.5 d`` of its own memory in float32, ``1.25 d`` in float64); a
        CSR matrix is used as it is unless it stores zeros or duplicates or
        has unsorted columns (then a canonical copy).
    """

    def __init__(self, X):
        kernels = _kernels.compiled()
        if sp.issparse(X) or kernels is None or X.shape[1] >= 2**31:
            matrix = X if sp.issparse(X) and X.format == "csr" else sp.csr_matrix(X)
            if not matrix.has_canonical_format or not matrix.data.all():
                # Stored zeros, duplicates or unsorted columns would change
                # the order (so the rounding) of the sums: every CSR form of
                # a matrix gets the floats of its dense form.
                matrix = matrix.copy()
                matrix.sum_duplicates()
                matrix.eliminate_zeros()
            arrays = matrix.indptr, matrix.indices, matrix.data
        else:
            arrays = kernels.dense_to_csr(X)
        self.indptr, self.indices, self.data = arrays
        self.n_columns = X.shape[1]
        self.all_rows = np.arange(X.shape[0])

    def __call__(self, rows):
        """The rows ``rows`` (a slice or an index array) of ``X``."""
        if isinstance(rows, slice):
            rows = self.all_rows[rows]
        return SparseRows(self.indptr, self.indices, self.data, rows, self.n_columns)


def skips_zeros(X, first_width, augment=None):
    """Whether the training batches of X should be :class:`SparseRows`.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The training set, in the model's dtype.
    first_width : int
        Units of the first layer after the input.
    augment : object or None, default=None
        A batch transform (it works on dense batches: never skipped).

    Returns
    -------
    skips : bool
        True with the compiled kernels when X is a CSR matrix (its batches
        are then taken without scipy's copy), or dense with at most
        ``MAX_DENSITY`` nonzeros and a first layer at least
        ``MIN_WIDTH[X.dtype]`` wide.
    """
    kernels = _kernels.compiled()
    if augment is not None or kernels is None:
        return False
    if sp.issparse(X):
        return X.format == "csr"
    if first_width < MIN_WIDTH.get(X.dtype, np.inf) or X.size == 0:
        return False
    return kernels.count_nonzero(X) <= MAX_DENSITY * X.size
