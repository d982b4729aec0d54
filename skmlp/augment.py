"""Training-time data augmentation for :class:`~skmlp.NumpyMLPClassifier`.

An augmentation is a small object passed as the estimator's ``augment``
parameter.  The stochastic solvers ('sgd', 'adam') call its
``transform_batch(X_batch, random_state)`` on every minibatch of training
rows, so every epoch sees freshly drawn variants of the images; it is never
applied to validation rows (early stopping, ``X_val``) nor at predict time.
The draws come from the fit's ``random_state``, so a fit with a fixed
``random_state`` is reproducible.

An augmentation holds only its parameters (plain numbers and tuples), so a
fitted model that uses one persists with :mod:`skops.io` (it is one more
type to trust when loading) as well as with pickle.

Any object with a ``transform_batch`` method of that signature, returning an
array of the batch's shape and dtype and leaving ``X_batch`` unchanged, can
be used.

Examples
--------
>>> import numpy as np
>>> from skmlp import NumpyMLPClassifier
>>> from skmlp.augment import ImageShift
>>> from skmlp.datasets import load_digits_sample
>>> X, y = load_digits_sample()
>>> clf = NumpyMLPClassifier(
...     hidden_layer_sizes=(64,), augment=ImageShift(shape=(28, 28), max_shift=2),
...     max_iter=5, random_state=0,
... )
>>> clf.fit(X[:600] / np.float32(255), y[:600]).n_iter_
5
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

__all__ = ["ImageShift"]


class ImageShift(BaseEstimator):
    """Shift each training image by a random whole number of pixels.

    Every row of a minibatch is read as a ``shape`` image (row-major, as
    the Kaggle digit files store them) and moved by ``dy`` rows and ``dx``
    columns, each drawn uniformly from ``-max_shift .. max_shift``
    independently for every row and every epoch; the pixels that move in
    are 0 (the background of the MNIST digits after scaling).  This is the
    classic augmentation with which a plain MLP reaches 99% on MNIST.

    Parameters
    ----------
    shape : tuple of (int, int), default=(28, 28)
        Height and width of the images; ``height * width`` must equal the
        number of features.
    max_shift : int, default=2
        Largest shift, in pixels, along each axis; 0 leaves the images
        unchanged.

    See Also
    --------
    skmlp.NumpyMLPClassifier : Its ``augment`` parameter takes this object.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.augment import ImageShift
    >>> image = np.zeros((1, 9), dtype=np.float32)
    >>> image[0, 4] = 1.0  # the centre of a 3x3 image
    >>> shifted = ImageShift(shape=(3, 3), max_shift=1).transform_batch(
    ...     image, np.random.RandomState(0))
    >>> shifted.shape, float(shifted.sum())
    ((1, 9), 1.0)
    """

    def __init__(self, shape=(28, 28), max_shift=2):
        self.shape = shape
        self.max_shift = max_shift

    def _checked(self, n_features):
        """(height, width, max_shift) as ints; a clear error when invalid."""
        shape, s = self.shape, self.max_shift
        if not isinstance(s, Integral) or isinstance(s, bool) or s < 0:
            raise ValueError(
                f"ImageShift's max_shift must be a non-negative integer, got {s!r}."
            )
        if (
            not isinstance(shape, tuple | list)
            or len(shape) != 2
            or not all(isinstance(s, Integral) and s > 0 for s in shape)
            or shape[0] * shape[1] != n_features
        ):
            raise ValueError(
                f"ImageShift(shape={shape!r}) needs images of height x width "
                f"pixels, two positive integers whose product is the number of "
                f"features ({n_features}); e.g. shape=(28, 28) for 784 pixels."
            )
        return int(shape[0]), int(shape[1]), int(s)

    def transform_batch(self, X_batch, random_state):
        """Shifted copies of a minibatch of images.

        Parameters
        ----------
        X_batch : ndarray of shape (n_rows, height * width)
            Training rows, one flattened image each.  Left unchanged.
        random_state : numpy.random.RandomState
            Source of the shifts: two draws per row.

        Returns
        -------
        X_shifted : ndarray of shape (n_rows, height * width)
            The shifted images, in ``X_batch``'s dtype.
        """
        if sp.issparse(X_batch):
            raise TypeError(
                "ImageShift does not support sparse input: pass a dense array "
                "(e.g. X.toarray()) or augment=None."
            )
        if X_batch.ndim != 2:
            raise ValueError(f"Expected a 2-D batch of rows, got {X_batch.shape}.")
        n_rows = X_batch.shape[0]
        height, width, s = self._checked(X_batch.shape[1])
        shifts = random_state.randint(-s, s + 1, size=(n_rows, 2))
        # Pad every image with s zero pixels on each side, then read a
        # height x width window whose corner moves with the shift: one
        # gather for the whole batch, whatever the mix of shifts.
        padded = np.zeros((n_rows, height + 2 * s, width + 2 * s), X_batch.dtype)
        images = X_batch.reshape(n_rows, height, width)
        padded[:, s : s + height, s : s + width] = images
        top = (s - shifts[:, 0])[:, None, None] + np.arange(height)[None, :, None]
        left = (s - shifts[:, 1])[:, None, None] + np.arange(width)[None, None, :]
        return padded[np.arange(n_rows)[:, None, None], top, left].reshape(
            n_rows, height * width
        )
