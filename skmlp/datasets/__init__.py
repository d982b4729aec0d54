"""Data I/O for the Kaggle "Digit Recognizer" workflow, built on pandas.

Readers (:func:`load_kaggle_train`, :func:`load_kaggle_test`,
:func:`iter_kaggle_train`) validate the files and name the offending row and
column on error; :func:`write_submission` writes ``ImageId,Label`` files;
:func:`load_digits_sample` returns a small embedded sample of real MNIST digits.
"""

from ._kaggle import (
    iter_kaggle_train,
    load_kaggle_test,
    load_kaggle_train,
    write_submission,
)
from ._samples import load_digits_sample

__all__ = [
    "iter_kaggle_train",
    "load_digits_sample",
    "load_kaggle_test",
    "load_kaggle_train",
    "write_submission",
]
