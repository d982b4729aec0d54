"""Training scenarios behind the version-1 model files in ``tests/fixtures``.

A scenario is estimator parameters and a list of calls; the file holds the
model after the first ``saved_after`` calls.
"""

from typing import NamedTuple

import numpy as np
from sklearn.datasets import make_classification


class Scenario(NamedTuple):
    params: dict
    calls: list
    saved_after: int


def _data():
    X, y = make_classification(120, 6, n_informative=4, n_classes=3, random_state=0)
    return X, y


X, Y = _data()
CHUNKS = np.array_split(np.arange(len(Y)), 4)
X_VAL, Y_VAL = X[::4], Y[::4]


def _partial(i):
    def call(est):
        est.partial_fit(X[CHUNKS[i]], Y[CHUNKS[i]], classes=np.unique(Y))

    return call


def _partial_val(i):
    def call(est):
        est.partial_fit(
            X[CHUNKS[i]], Y[CHUNKS[i]], classes=np.unique(Y), X_val=X_VAL, y_val=Y_VAL
        )

    return call


def _fit(est):
    est.fit(X, Y)


_SMALL = dict(hidden_layer_sizes=(5,), random_state=0, dtype=np.float64)

SCENARIOS = {
    "adam_partial_fit": Scenario(
        dict(_SMALL, learning_rate_init=0.01),
        [_partial(i) for i in range(4)],
        saved_after=2,
    ),
    "sgd_invscaling_validation": Scenario(
        dict(
            _SMALL,
            solver="sgd",
            learning_rate="invscaling",
            learning_rate_init=0.05,
            n_iter_no_change=1,
            tol=0.2,
        ),
        [_partial_val(i) for i in range(4)],
        saved_after=2,
    ),
    "adam_early_stopping_warm_keep": Scenario(
        dict(
            _SMALL,
            early_stopping=True,
            warm_start=True,
            max_iter=4,
            optimizer_state="keep",
            lr_schedule="adaptive",
            validation_fraction=0.2,
        ),
        [_fit, _fit],
        saved_after=1,
    ),
}
"""Scenarios by name (the fixture file is ``v1_<name>.skops`` / ``.pkl``)."""
