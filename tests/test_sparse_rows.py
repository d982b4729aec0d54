"""Zero-skipping first-layer products (skmlp._sparse_rows and its kernels).

The compiled products must be the dense product within the rounding error
bound of a sum of that many terms, the weight gradient the same floats as
scipy's product of the transposed batch, and a fit must take the sparse
path exactly when :func:`skips_zeros` says so and then train the same model
as the dense NumPy reference, up to rounding.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from skmlp import NumpyMLPClassifier, _kernels
from skmlp import _sparse_rows as sparse_rows
from skmlp._sparse_rows import (
    BY_COLUMN_MIN_WIDTH,
    MIN_WIDTH,
    SparseRows,
    SparseRowTaker,
    skips_zeros,
)

DTYPES = [np.float32, np.float64]
needs_numba = pytest.mark.skipif(
    _kernels.backend() == "numpy", reason="numba not installed, or SKMLP_KERNELS=numpy"
)


def _mostly_zeros(n, d, density, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(n, d))
    X[rng.random((n, d)) >= density] = 0.0
    return X.astype(dtype)


def _within_sum_bound(got, A, B):
    """|got - A @ B| within gamma_n |A| |B|, n the terms of each sum.

    The standard bound of a computed sum of n products (each product and
    each addition rounded once): gamma_n = n u / (1 - n u), u the unit
    roundoff of got's dtype; the exact product is taken in float64 from the
    (exactly representable) inputs.
    """
    A64, B64 = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    n = A64.shape[1]
    u = np.finfo(got.dtype).eps / 2
    gamma = n * u / (1 - n * u)
    error = np.abs(got.astype(np.float64) - A64 @ B64)
    return np.all(error <= gamma * (np.abs(A64) @ np.abs(B64)) + 1e-300)


def _batch(X, rows):
    taker = SparseRowTaker(X)
    return taker(rows)


# ---------------------------------------------------------------- products
@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("width", [1, 7, 25, 64])
def test_forward_product_within_rounding_bound(dtype, width):
    X = _mostly_zeros(60, 50, 0.25, dtype)
    rng = np.random.default_rng(1)
    W = rng.standard_normal((50, width)).astype(dtype)
    rows = rng.permutation(60)[:37]
    with _kernels.use("numba"):
        got = _batch(X, rows).dot(W)
    assert got.dtype == dtype and got.shape == (37, width)
    assert _within_sum_bound(got, X[rows], W)
    # And it is not the dense product by accident of the test data.
    assert not np.array_equal(got, np.zeros_like(got))


def _forward_in_kernel_order(X, rows, W):
    """The forward product as the kernel sums it, one NumPy row operation
    per step: each row's stored entries four at a time, ``(p0 + p1) + (p2
    + p3)`` added to the row, the last ``count % 4`` one by one."""
    A = sp.csr_matrix(X)
    out = np.zeros((len(rows), W.shape[1]), dtype=W.dtype)
    for r, i in enumerate(rows):
        cols = A.indices[A.indptr[i] : A.indptr[i + 1]]
        vals = A.data[A.indptr[i] : A.indptr[i + 1]]
        o = out[r]
        full = len(cols) - len(cols) % 4
        for p in range(0, full, 4):
            t = [vals[p + j] * W[cols[p + j]] for j in range(4)]
            o += (t[0] + t[1]) + (t[2] + t[3])
        for p in range(full, len(cols)):
            o += vals[p] * W[cols[p]]
    return out


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "width", [1, 3, 4, 5, 7, 8, 9, 15, 16, 25, 31, 32, 33, 63, 64, 65]
)
def test_forward_product_sums_in_the_kernels_order(dtype, width):
    # Rows of 1 to 8 registers are summed a register of columns at a time
    # (skmlp._kernels_numba.tile_sum, the last register overlapping), the
    # others by numba's loop: either way every element is the same sum in
    # the same order.
    X = _mostly_zeros(40, 70, 0.3, dtype, seed=3)
    rng = np.random.default_rng(4)
    W = rng.standard_normal((70, width)).astype(dtype)
    rows = rng.permutation(40)[:29]
    X[rows[3]] = 0.0  # a row without stored entries: zeros, not stale values
    got = np.full((len(rows), width), np.nan, dtype=dtype)
    with _kernels.use("numba"):
        _batch(X, rows).dot(W, got)
    np.testing.assert_array_equal(got, _forward_in_kernel_order(X, rows, W))


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("width", [1, 25, 64, 128, 300])
def test_weight_gradient_is_scipys_transposed_product(dtype, width):
    X = _mostly_zeros(60, 50, 0.25, dtype)
    rng = np.random.default_rng(2)
    rows = rng.permutation(60)[:41]
    D = rng.standard_normal((41, width)).astype(dtype)
    with _kernels.use("numba"):
        got = _batch(X, rows).T.dot(D)
    assert got.shape == (50, width)
    expected = np.asarray(sp.csr_matrix(X)[rows].T @ D)
    np.testing.assert_array_equal(got, expected)
    assert _within_sum_bound(got, X[rows].T, D)


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("width", [1, 3, 8, 33])
def test_gradient_by_column_gives_the_scatters_bits(dtype, width):
    from skmlp import _kernels_numba as k

    # Columns with 0-9 stored entries in the batch (the four-at-a-time loop
    # and its tail), all-zero rows, and a row taken twice.
    X = _mostly_zeros(40, 30, 0.2, dtype, seed=5)
    X[3] = 0.0
    rows = np.array([7, 3, 11, 7, *range(20, 40)])
    taker = SparseRowTaker(X)
    indptr, indices, data = taker.indptr, taker.indices, taker.data
    D = np.random.default_rng(6).standard_normal((len(rows), width)).astype(dtype)
    scatter = np.full((30, width), np.nan, dtype=dtype)
    by_column = np.full((30, width), np.nan, dtype=dtype)
    k.csr_rows_t_matmul(indptr, indices, data, rows, D, scatter)
    k.csr_rows_t_matmul_by_column(indptr, indices, data, rows, D, by_column)
    np.testing.assert_array_equal(by_column, scatter)
    assert _within_sum_bound(by_column, X[rows].T, D)


@needs_numba
@pytest.mark.parametrize("dtype, width, by_column", [
    (np.float32, 255, False), (np.float32, 256, True),
    (np.float64, 127, False), (np.float64, 128, True),
])  # fmt: skip
def test_wide_weight_gradients_are_summed_by_column(
    monkeypatch, dtype, width, by_column
):
    from skmlp import _kernels_numba as k

    called = []
    for name in ("csr_rows_t_matmul", "csr_rows_t_matmul_by_column"):
        kernel = getattr(k, name)
        monkeypatch.setattr(
            k, name, lambda *a, _n=name, _k=kernel: called.append(_n) or _k(*a)
        )
    X = _mostly_zeros(20, 16, 0.3, dtype)
    D = np.ones((5, width), dtype=dtype)
    with _kernels.use("numba"):
        _batch(X, np.arange(5)).T.dot(D)
    assert called == [
        "csr_rows_t_matmul_by_column" if by_column else "csr_rows_t_matmul"
    ]


@needs_numba
def test_products_write_into_out_and_skip_all_zero_rows():
    X = _mostly_zeros(10, 8, 0.3, np.float64)
    X[3] = 0.0  # a row with no stored entry
    W = np.arange(16, dtype=np.float64).reshape(8, 2)
    out = np.full((10, 2), np.nan)
    with _kernels.use("numba"):
        result = _batch(X, slice(0, 10)).dot(W, out)
    assert result is out
    np.testing.assert_array_equal(out[3], [0.0, 0.0])
    np.testing.assert_allclose(out, X @ W, rtol=1e-14)


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("flush", [False, True])
def test_parallel_products_same_bits_as_one_thread(dtype, flush):
    # Columns split over threads: each element is the same sum.  Subnormal
    # weights check that every thread computes in the caller's flush mode.
    import numba

    from skmlp._fpenv import flush_subnormals

    X = _mostly_zeros(70, 40, 0.3, dtype)
    rng = np.random.default_rng(5)
    W = rng.standard_normal((40, 160)).astype(dtype)
    W[::3] *= np.finfo(dtype).tiny  # subnormal products
    D = rng.standard_normal((70, 160)).astype(dtype)
    D[::2] *= np.finfo(dtype).tiny
    batch = _batch(X, rng.permutation(70))
    # 160 units: the gradient by column in float64 (rows split over the
    # threads), the scatter's columns split in float32.
    assert (160 >= BY_COLUMN_MIN_WIDTH[np.dtype(dtype)]) == (dtype == np.float64)
    results = {}
    saved = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        for backend in ("numba", "numba-parallel"):
            with _kernels.use(backend), flush_subnormals(flush):
                results[backend] = batch.dot(W), batch.T.dot(D)
    finally:
        numba.set_num_threads(saved)
    for one, many in zip(results["numba"], results["numba-parallel"]):
        assert one.tobytes() == many.tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_backend_fallback_is_scipys_product(dtype):
    X = _mostly_zeros(30, 20, 0.3, dtype)
    rows = np.array([5, 0, 29, 7])
    W = np.random.default_rng(3).standard_normal((20, 3)).astype(dtype)
    D = np.random.default_rng(4).standard_normal((4, 3)).astype(dtype)
    batch = _batch(X, rows)
    with _kernels.use("numpy"):
        forward, gradient = batch.dot(W), batch.T.dot(D)
    np.testing.assert_array_equal(forward, np.asarray(sp.csr_matrix(X)[rows] @ W))
    np.testing.assert_array_equal(gradient, np.asarray(sp.csr_matrix(X)[rows].T @ D))


def test_sparse_rows_shape_dtype_transpose_and_taker():
    X = _mostly_zeros(12, 5, 0.4, np.float32)
    taker = SparseRowTaker(X)
    batch = taker(slice(2, 9))
    assert isinstance(batch, SparseRows)
    assert batch.shape == (7, 5) and batch.T.shape == (5, 7) and batch.T.T == batch
    assert batch.dtype == np.float32
    W = np.arange(15, dtype=np.float32).reshape(5, 3)
    np.testing.assert_array_equal(batch @ W, batch.dot(W))
    np.testing.assert_allclose(batch @ W, X[2:9] @ W, rtol=1e-6)
    np.testing.assert_array_equal(batch.as_scipy().toarray(), X[2:9])
    np.testing.assert_array_equal(
        taker(np.array([4, 1])).as_scipy().toarray(), X[[4, 1]]
    )
    # A CSR X is used as it is: no copy of its arrays.
    C = sp.csr_matrix(X)
    assert SparseRowTaker(C).data is C.data


@needs_numba
def test_every_csr_form_of_a_matrix_gives_the_dense_floats():
    # Stored zeros, duplicates and unsorted columns would regroup the
    # forward product's sums (four entries at a time): a canonical copy.
    X = _mostly_zeros(30, 12, 0.3, np.float32)
    W = np.random.default_rng(6).standard_normal((12, 5)).astype(np.float32)
    canonical = sp.csr_matrix(X)
    stored_zeros = canonical.copy()
    stored_zeros.data[::3] = 0.0  # not X any more: compare with its dense form
    dense_of_zeros = stored_zeros.toarray()
    rows = np.arange(30)
    with _kernels.use("numba"):
        expected = SparseRowTaker(X)(rows).dot(W)
        assert SparseRowTaker(canonical)(rows).dot(W).tobytes() == expected.tobytes()
        got = SparseRowTaker(stored_zeros)(rows).dot(W)
        assert got.tobytes() == SparseRowTaker(dense_of_zeros)(rows).dot(W).tobytes()
        # Unsorted columns and a duplicate split in two halves.
        coo = canonical.tocoo()
        order = np.random.default_rng(7).permutation(coo.nnz)
        data = np.concatenate([coo.data[order] / 2, coo.data[order] / 2])
        rows_, cols = np.tile(coo.row[order], 2), np.tile(coo.col[order], 2)
        messy = sp.csr_matrix((data, (rows_, cols)), shape=X.shape)
        messy.has_canonical_format = False
        assert SparseRowTaker(messy)(rows).dot(W).tobytes() == expected.tobytes()
    assert stored_zeros.nnz == canonical.nnz  # the caller's matrix untouched


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_to_csr_gives_scipys_arrays(dtype):
    X = _mostly_zeros(40, 13, 0.3, dtype)
    X[5, 7] = np.nan  # not 0: stored, as scipy stores it
    X[6] = 0.0
    expected = sp.csr_matrix(X)
    with _kernels.use("numba") as kernels:
        indptr, indices, data = kernels.dense_to_csr(X)
        taker = SparseRowTaker(np.asfortranarray(X))
    np.testing.assert_array_equal(indptr, expected.indptr)
    np.testing.assert_array_equal(indices, expected.indices)
    np.testing.assert_array_equal(data, expected.data)  # NaN == NaN here
    assert data.dtype == dtype and indices.dtype == np.uint16
    np.testing.assert_array_equal(taker(slice(0, 40)).as_scipy().toarray(), X)


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
def test_compiled_count_nonzero_is_numpys(dtype, order):
    X = _mostly_zeros(50, 37, 0.2, dtype, seed=8)
    X[1, 2], X[3, 4], X[5, 6], X[7, 8] = np.nan, -0.0, np.inf, -np.inf
    X = np.asarray(X, order=order)
    with _kernels.use("numba") as kernels:
        assert kernels.count_nonzero(X) == np.count_nonzero(X)
        assert kernels.count_nonzero(X[:0]) == 0


@needs_numba
def test_dense_to_csr_takes_int32_indices_past_65536_columns():
    X = np.zeros((2, 2**16 + 3), dtype=np.float32)
    X[0, 2**16 + 1] = 2.0  # column 65537: not a uint16
    X[1, 3] = 1.0
    with _kernels.use("numba") as kernels:
        indptr, indices, data = kernels.dense_to_csr(X)
        got = _batch(X, np.array([1, 0])).dot(np.ones((X.shape[1], 2), np.float32))
    assert indices.dtype == np.int32
    np.testing.assert_array_equal(indices, [2**16 + 1, 3])
    np.testing.assert_array_equal(got, [[1.0, 1.0], [2.0, 2.0]])


# ---------------------------------------------------------------- decision
@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
def test_skips_zeros_decision(dtype):
    width = MIN_WIDTH[np.dtype(dtype)]
    sparse = _mostly_zeros(40, 30, 0.15, dtype)
    dense = _mostly_zeros(40, 30, 0.9, dtype)
    with _kernels.use("numba"):
        assert skips_zeros(sparse, width)
        assert not skips_zeros(sparse, width - 1)
        assert not skips_zeros(dense, width)
        assert not skips_zeros(sparse, width, augment=object())
        assert skips_zeros(sp.csr_matrix(dense), 1)
        assert not skips_zeros(sp.csc_matrix(sparse), width)
    with _kernels.use("numpy"):
        assert not skips_zeros(sparse, width)
        assert not skips_zeros(sp.csr_matrix(sparse), width)


# -------------------------------------------------------------------- fits
def _fit(X, y, dtype, **params):
    model = NumpyMLPClassifier((64,), max_iter=4, random_state=0, dtype=dtype, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _spy_takes(monkeypatch):
    taken = []
    original = SparseRowTaker.__call__

    def spy(self, rows):
        taken.append(rows)
        return original(self, rows)

    monkeypatch.setattr(SparseRowTaker, "__call__", spy)
    return taken


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_on_mostly_zero_input_skips_zeros_and_matches_dense_reference(
    dtype, monkeypatch
):
    X = _mostly_zeros(300, 40, 0.2, dtype)
    y = (X[:, :20].sum(axis=1) > X[:, 20:].sum(axis=1)).astype(int) + 2 * (X[:, 0] > 0)
    taken = _spy_takes(monkeypatch)
    with _kernels.use("numba"):
        got = _fit(X, y, dtype)
    assert len(taken) == 4 * 2  # 4 epochs of 2 batches (300 rows, batch 200)
    with _kernels.use("numpy"):
        reference = _fit(X, y, dtype)
    assert len(taken) == 8  # the NumPy reference never takes sparse rows
    rtol = 2e-4 if dtype == np.float32 else 1e-9
    for a, b in zip(reference.coefs_, got.coefs_):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol * np.abs(a).max())
    np.testing.assert_array_equal(reference.predict(X), got.predict(X))


@needs_numba
def test_fit_on_csr_input_is_the_same_model_as_on_dense_input(monkeypatch):
    X = _mostly_zeros(250, 30, 0.2, np.float64)
    y = (X.sum(axis=1) > np.median(X.sum(axis=1))).astype(int)
    taken = _spy_takes(monkeypatch)
    with _kernels.use("numba"):
        dense = _fit(X, y, np.float64)
        sparse = _fit(sp.csr_matrix(X), y, np.float64)
    assert len(taken) == 2 * 4 * 2
    for a, b in zip(dense.coefs_, sparse.coefs_):
        np.testing.assert_array_equal(a, b)


@needs_numba
def test_lbfgs_on_mostly_zero_input_skips_zeros_and_matches_dense_reference(
    monkeypatch,
):
    X = _mostly_zeros(200, 30, 0.2, np.float64)
    y = (X[:, :15].sum(axis=1) > X[:, 15:].sum(axis=1)).astype(int)
    taken = _spy_takes(monkeypatch)
    with _kernels.use("numba"):
        got = _fit(X, y, np.float64, solver="lbfgs")
    assert len(taken) == 1  # all rows, once per fit
    with _kernels.use("numpy"):
        reference = _fit(X, y, np.float64, solver="lbfgs")
    assert len(taken) == 1
    assert got.n_iter_ == reference.n_iter_
    for a, b in zip(reference.coefs_, got.coefs_):
        np.testing.assert_allclose(b, a, rtol=1e-7, atol=1e-9 * np.abs(a).max())


@needs_numba
def test_augmented_or_dense_input_takes_dense_batches(monkeypatch):
    from skmlp.augment import ImageShift

    taken = _spy_takes(monkeypatch)
    X = _mostly_zeros(200, 30, 0.9, np.float64)  # too dense to pay
    y = (X[:, 0] > 0.5).astype(int)
    with _kernels.use("numba"):
        _fit(X, y, np.float64)
        assert taken == []
        assert sparse_rows.MAX_DENSITY < 0.9
        sparse = _mostly_zeros(200, 30, 0.2, np.float64)
        _fit(sparse, y, np.float64, augment=ImageShift(shape=(5, 6), max_shift=1))
        assert taken == []  # the transform works on dense images
        _fit(sparse, y, np.float64)
        assert len(taken) == 4
