"""The small sample of real MNIST digits embedded in the package."""

from __future__ import annotations

from importlib import resources

import numpy as np

from ._kaggle import PIXEL_COLUMNS, iter_validated

_DATA_PACKAGE = "skmlp.datasets"
_SAMPLE_FILE = "digits_sample.csv.gz"
_README_FILE = "README.txt"


def _data_file(name: str):
    return resources.files(_DATA_PACKAGE).joinpath("data").joinpath(name)


def load_digits_sample(*, return_X_y=True):
    """Load the embedded sample of 3,000 real MNIST digits (Kaggle layout).

    The rows are a class-stratified random sample (fixed seed) of the first
    8,000 images of the MNIST test set, kept in their original order; see
    ``skmlp/datasets/data/README.txt`` for the attribution (MNIST, CC BY-SA 3.0)
    and ``tools/make_digits_sample.py`` for how the sample was made. It needs no
    download and is small enough for examples, smoke tests and doctests.

    Parameters
    ----------
    return_X_y : bool, default=True
        If True, return ``(X, y)``. If False, return a
        :class:`sklearn.utils.Bunch` with ``data``, ``target``, ``images``,
        ``feature_names``, ``target_names`` and ``DESCR``.

    Returns
    -------
    X : ndarray of shape (n_samples, 784), dtype uint8
        Pixel intensities 0-255, row-major 28x28 images (n_samples is 3,000).
    y : ndarray of shape (n_samples,), dtype int64
        Digit labels 0-9; every class is present.
    bunch : sklearn.utils.Bunch
        Only if ``return_X_y=False``: ``data`` (= X), ``target`` (= y),
        ``images`` (view of X of shape (n_samples, 28, 28)), ``feature_names``
        (``["pixel0", ..., "pixel783"]``), ``target_names`` (``arange(10)``)
        and ``DESCR`` (the attribution README).

    Examples
    --------
    >>> from skmlp.datasets import load_digits_sample
    >>> X, y = load_digits_sample()
    >>> X.shape, X.dtype, y.dtype
    ((3000, 784), dtype('uint8'), dtype('int64'))
    """
    source = f"embedded sample {_SAMPLE_FILE!r}"
    with _data_file(_SAMPLE_FILE).open("rb") as fh:
        chunks = list(
            iter_validated(
                fh,
                has_label=True,
                chunksize=100_000,
                dtype=np.dtype(np.uint8),
                compression="gzip",
                source=source,
            )
        )
    X = np.concatenate([c[0] for c in chunks])
    y = np.concatenate([c[1] for c in chunks])
    if return_X_y:
        return X, y

    from sklearn.utils import Bunch

    return Bunch(
        data=X,
        target=y,
        images=X.reshape(-1, 28, 28),
        feature_names=list(PIXEL_COLUMNS),
        target_names=np.arange(10),
        DESCR=_data_file(_README_FILE).read_text(encoding="utf-8"),
    )
