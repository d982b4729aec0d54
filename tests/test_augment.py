"""Tests of skmlp.augment and of the estimator's ``augment`` parameter."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import NumpyMLPClassifier
from skmlp.augment import ImageShift


def _one_pixel_images(n, size=5, at=(2, 2)):
    X = np.zeros((n, size * size), dtype=np.float32)
    X[:, at[0] * size + at[1]] = 1.0
    return X


# --------------------------------------------------------------- ImageShift
def test_image_shift_moves_each_image_by_at_most_max_shift():
    X = _one_pixel_images(2000)
    out = ImageShift(shape=(5, 5), max_shift=2).transform_batch(
        X, np.random.RandomState(0)
    )
    assert out.shape == X.shape and out.dtype == X.dtype
    # The pixel at the centre never leaves a 5x5 image for shifts <= 2.
    assert np.array_equal(out.sum(axis=1), np.ones(2000, dtype=np.float32))
    rows, cols = np.divmod(out.argmax(axis=1), 5)
    shifts = set(zip((rows - 2).tolist(), (cols - 2).tolist()))
    # Every one of the 25 shifts is drawn, and no other.
    assert shifts == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}


def test_image_shift_fills_with_zeros_and_keeps_the_input():
    X = np.arange(1, 10, dtype=np.float64).reshape(1, 9).repeat(200, axis=0)
    before = X.copy()
    out = ImageShift(shape=(3, 3), max_shift=1).transform_batch(
        X, np.random.RandomState(1)
    )
    assert np.array_equal(X, before)
    for image in out.reshape(-1, 3, 3):
        # Each output is the input moved by (dy, dx): find that shift.
        matches = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if np.array_equal(image, _shift_reference(before[0], 3, dy, dx))
        ]
        assert len(matches) == 1


def _shift_reference(flat, size, dy, dx):
    image = flat.reshape(size, size)
    out = np.zeros_like(image)
    for r in range(size):
        for c in range(size):
            if 0 <= r - dy < size and 0 <= c - dx < size:
                out[r, c] = image[r - dy, c - dx]
    return out


def test_image_shift_zero_is_the_identity_and_draws_are_seeded():
    X = np.random.default_rng(0).random((7, 12)).astype(np.float32)
    same = ImageShift(shape=(3, 4), max_shift=0).transform_batch(
        X, np.random.RandomState(0)
    )
    assert np.array_equal(same, X)
    shift = ImageShift(shape=(3, 4), max_shift=1)
    a = shift.transform_batch(X, np.random.RandomState(3))
    b = shift.transform_batch(X, np.random.RandomState(3))
    c = shift.transform_batch(X, np.random.RandomState(4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(shape=(28, 28)), "product is the number of features"),
        (dict(shape=(5,)), "height x width"),
        (dict(shape=(5, 5), max_shift=-1), "non-negative integer"),
        (dict(shape=(5, 5), max_shift=1.5), "non-negative integer"),
    ],
)
def test_image_shift_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        ImageShift(**params).transform_batch(
            _one_pixel_images(3), np.random.RandomState(0)
        )


def test_image_shift_refuses_sparse_batches():
    X = sp.csr_matrix(_one_pixel_images(3))
    with pytest.raises(TypeError, match="sparse"):
        ImageShift(shape=(5, 5)).transform_batch(X, np.random.RandomState(0))


# ------------------------------------------------ the estimator's parameter
class _Spy:
    """An augmentation that records the batches it is given."""

    def __init__(self):
        self.rows = []

    def transform_batch(self, X_batch, random_state):
        self.rows.append(X_batch.shape[0])
        return X_batch + 0  # a copy, unchanged


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 25)).astype(np.float32)
    y = (X[:, :12].sum(axis=1) > X[:, 13:].sum(axis=1)).astype(int)
    return X, y


def test_augment_sees_training_rows_only_never_validation_or_predict():
    X, y = _data()
    spy = _Spy()
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=3,
        n_iter_no_change=100,
        early_stopping=True,
        validation_fraction=0.2,
        batch_size=50,
        augment=spy,
        random_state=0,
    )
    clf.fit(X, y)
    assert clf.n_iter_ == 3
    # 240 training rows per epoch in batches of 50; the 60 validation rows
    # never go through the augmentation.
    assert spy.rows == [50, 50, 50, 50, 40] * 3
    spy.rows.clear()
    clf.predict(X)
    clf.predict_proba(X)
    clf.score(X, y)
    assert spy.rows == []


def test_augment_applies_to_partial_fit_batches_too():
    X, y = _data()
    spy = _Spy()
    clf = NumpyMLPClassifier(hidden_layer_sizes=(8,), batch_size=100, augment=spy)
    clf.partial_fit(X, y, classes=[0, 1])
    assert spy.rows == [100, 100, 100]


def test_augment_changes_training_reproducibly():
    X, y = _data()
    shift = ImageShift(shape=(5, 5), max_shift=1)
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    plain = NumpyMLPClassifier(**kw).fit(X, y)
    a = NumpyMLPClassifier(augment=shift, **kw).fit(X, y)
    b = NumpyMLPClassifier(augment=clone(shift), **kw).fit(X, y)
    assert not np.allclose(plain.coefs_[0], a.coefs_[0])
    assert np.array_equal(a.coefs_[0], b.coefs_[0])
    # max_shift=0 draws numbers but trains on the rows as they are.
    zero = NumpyMLPClassifier(augment=ImageShift(shape=(5, 5), max_shift=0), **kw)
    zero.fit(X, y)
    assert np.isfinite(zero.coefs_[0]).all()


def test_augment_sparse_input_is_refused_and_leaves_the_model_unchanged():
    X, y = _data()
    clf = NumpyMLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    clf.fit(X, y)
    before = [W.copy() for W in clf.coefs_]
    clf.set_params(augment=ImageShift(shape=(5, 5)))
    with pytest.raises(TypeError, match="sparse"):
        clf.fit(sp.csr_matrix(X), y)
    assert all(np.array_equal(W, V) for W, V in zip(before, clf.coefs_))


def test_augment_wrong_image_shape_is_a_clear_error():
    X, y = _data()
    clf = NumpyMLPClassifier(max_iter=2, augment=ImageShift(shape=(28, 28)))
    with pytest.raises(ValueError, match="number of features \\(25\\)"):
        clf.fit(X, y)


def test_augment_must_have_transform_batch():
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="augment"):
        NumpyMLPClassifier(augment="shift").fit(X, y)


def test_augment_grid_searchable_through_nested_params():
    clf = NumpyMLPClassifier(augment=ImageShift())
    clf.set_params(augment__max_shift=3)
    assert clf.get_params()["augment__max_shift"] == 3


def test_model_with_augment_persists_with_skops(tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = _data()
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=3,
        augment=ImageShift(shape=(5, 5), max_shift=1),
        random_state=0,
    ).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert "skmlp.augment.ImageShift" in untrusted
    loaded = sio.load(path, trusted=untrusted)
    assert loaded.augment.get_params() == {"shape": (5, 5), "max_shift": 1}
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
