"""The stacked network math against the single-network core, member by member."""

import numpy as np
import pytest

from skmlp import _batched, _kernels, _sparse_rows
from skmlp._activations import ACTIVATIONS
from skmlp._batched import (
    as_stacked,
    backward_stacked,
    forward_stacked,
    loss_stacked,
    member,
    predict_stacked,
)
from skmlp._network import (
    as_params,
    backward,
    forward,
    glorot_uniform,
    loss,
    predict_output,
)

LAYERS = [5, 7, 4, 3]


def _stack(M, activation, dtype=np.float64):
    rng = np.random.RandomState(0)
    flats = [glorot_uniform(LAYERS, activation, rng, dtype).flat for _ in range(M)]
    return as_stacked(np.stack(flats), LAYERS)


def _targets(M, n, out, rng):
    if out == "softmax":
        return np.stack([np.eye(3)[rng.randint(0, 3, n)] for _ in range(M)])
    return rng.randint(0, 2, size=(M, n, 3)).astype(float)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("out", ["softmax", "logistic"])
@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_forward_backward_loss_equal_single_network(
    activation, out, shared, weighted, wide, backend, monkeypatch
):
    """Both backends: with numba the stack runs the single kernels per member."""
    if backend == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(_batched, "WIDE_FIRST_LAYER", wide)
    with _kernels.use(backend):
        _check_forward_backward_loss(activation, out, shared, weighted)


def _check_forward_backward_loss(activation, out, shared, weighted):
    M, n = 4, 9
    rng = np.random.RandomState(1)
    params = _stack(M, activation)
    X = rng.normal(size=(n, 5)) if shared else rng.normal(size=(M, n, 5))
    Y = _targets(M, n, out, rng)
    sw = rng.uniform(0.2, 2.0, size=(M, n)) if weighted else None
    alpha = np.array([0.0, 1e-3, 0.5, 2.0])
    acts, inputs, masks = forward_stacked(X, params, activation, out)
    losses = loss_stacked(Y, acts[-1], out, params, alpha, LAYERS, sw)
    P = acts[-1].copy()
    grad = as_stacked(np.empty_like(params.flat), LAYERS)
    backward_stacked(acts, inputs, Y, params, activation, out, alpha, grad, sw, masks)
    for m in range(M):
        single = member(params, m, LAYERS)
        X_m = X if shared else X[m]
        sw_m = None if sw is None else sw[m]
        a, i, k = forward(X_m, single, activation, out)
        np.testing.assert_array_equal(P[m], a[-1])
        assert losses[m] == loss(Y[m], a[-1], out, single, alpha[m], sw_m)
        g = as_params(np.empty_like(single.flat), LAYERS)
        backward(a, i, Y[m], single, activation, out, alpha[m], g, sw_m, k)
        np.testing.assert_allclose(grad.flat[m], g.flat, rtol=1e-13, atol=1e-16)


def test_dropout_masks_equal_single_network():
    """A stacked mask of ones is the single network's 'no dropout'."""
    M, n = 3, 6
    rng = np.random.RandomState(2)
    params = _stack(M, "relu")
    X = rng.normal(size=(n, 5))
    Y = _targets(M, n, "softmax", rng)
    alpha = np.full(M, 1e-2)
    seeds = [np.random.RandomState(s) for s in (5, 6, 7)]
    masks = []
    for units in LAYERS[1:-1]:
        layer = []
        for m, rs in enumerate(seeds):
            if m == 0:  # member 0 without dropout
                layer.append(np.ones((n, units)))
                continue
            keep = rs.random_sample((n, units)) >= 0.3
            layer.append(keep.astype(float) / 0.7)
        masks.append(np.stack(layer))
    acts, inputs, kept = forward_stacked(X, params, "relu", "softmax", masks)
    grad = as_stacked(np.empty_like(params.flat), LAYERS)
    backward_stacked(
        acts, inputs, Y, params, "relu", "softmax", alpha, grad, None, kept
    )
    for m, rs in enumerate([None, np.random.RandomState(6), np.random.RandomState(7)]):
        single = member(params, m, LAYERS)
        dropout = None if m == 0 else [0.3, 0.3]
        a, i, k = forward(
            X, single, "relu", "softmax", dropout=dropout, random_state=rs
        )
        g = as_params(np.empty_like(single.flat), LAYERS)
        backward(a, i, Y[m], single, "relu", "softmax", alpha[m], g, None, k)
        np.testing.assert_allclose(grad.flat[m], g.flat, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("shared", [True, False])
def test_predict_stacked_equals_predict_output(shared):
    rng = np.random.RandomState(3)
    params = _stack(3, "tanh")
    X = rng.normal(size=(8, 5)) if shared else rng.normal(size=(3, 8, 5))
    P = predict_stacked(X, params, "tanh", "softmax", LAYERS)
    for m in range(3):
        expected = predict_output(
            X if shared else X[m], member(params, m, LAYERS), "tanh", "softmax"
        )
        np.testing.assert_array_equal(P[m], expected)


def _sparse_batch(rng, n_rows, n_features, dtype, density=0.2):
    """A SparseRows batch (rows repeated, one all-zero row) and its dense rows."""
    from skmlp._sparse_rows import SparseRowTaker

    X = rng.normal(size=(30, n_features)) * (
        rng.random_sample((30, n_features)) < density
    )
    X[4] = 0.0
    X = X.astype(dtype)
    rows = np.r_[4, rng.randint(0, 30, size=n_rows - 2), 7]
    return SparseRowTaker(X)(rows), X[rows]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [3, 40])  # the wide gradient row by row, by column
def test_sparse_shared_batch_gives_each_member_its_sparse_fit_floats(
    dtype, width, monkeypatch
):
    """A SparseRows batch: one wide zero-skipping product for the first layer.

    Each member's output, loss and gradient are the single network's on the
    same SparseRows batch (its standalone fit that skips zeros), bit for bit.
    """
    pytest.importorskip("numba")
    # The wide gradient summed by column (the same floats as the scatter).
    monkeypatch.setattr(
        _sparse_rows, "BY_COLUMN_MIN_WIDTH", {np.dtype(dtype): 4 * width}
    )
    layers = [50, width, 4, 3]
    M, n = 4, 23
    rng = np.random.RandomState(2)
    with _kernels.use("numba"):
        flats = [glorot_uniform(layers, "relu", rng, dtype).flat for _ in range(M)]
        params = as_stacked(np.stack(flats), layers)
        X, dense = _sparse_batch(rng, n, 50, dtype)
        Y = _targets(M, n, "softmax", rng).astype(dtype)
        alpha = np.array([0.0, 1e-3, 0.5, 2.0])
        acts, inputs, masks = forward_stacked(X, params, "relu", "softmax")
        P = acts[-1].copy()
        losses = loss_stacked(Y, P, "softmax", params, alpha, layers)
        grad = as_stacked(np.empty_like(params.flat), layers)
        backward_stacked(
            acts, inputs, Y, params, "relu", "softmax", alpha, grad, None, masks
        )
        for m in range(M):
            single = as_params(params.flat[m], layers)
            a, i, k = forward(X, single, "relu", "softmax")
            np.testing.assert_array_equal(P[m], a[-1])
            assert losses[m] == loss(Y[m], a[-1], "softmax", single, alpha[m])
            g = as_params(np.empty_like(single.flat), layers)
            backward(a, i, Y[m], single, "relu", "softmax", alpha[m], g, None, k)
            np.testing.assert_array_equal(grad.flat[m], g.flat)
        # and within rounding of the dense batch's products
        dense_acts, _, _ = forward_stacked(dense, params, "relu", "softmax")
        np.testing.assert_allclose(
            P, dense_acts[-1], rtol=1e-3 if dtype == np.float32 else 1e-10
        )
        # predict_stacked is each member's predict_output (what its fit
        # scores a validation set with), whose softmax sums a row as the
        # NumPy reference does, not as the fused kernel above.
        predicted = predict_stacked(X, params, "relu", "softmax", layers)
        for m in range(M):
            single = as_params(params.flat[m], layers)
            expected = predict_output(X, single, "relu", "softmax")
            np.testing.assert_array_equal(predicted[m], expected)
