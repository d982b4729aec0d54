"""scikit-learn's MLPClassifier as an oracle.

With ``dtype=np.float64`` and the same ``random_state``, NumpyMLPClassifier
draws the same initial weights, shuffles, and validation split in the same
order, so after several epochs its ``coefs_`` equal MLPClassifier's.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skmlp import NumpyMLPClassifier


def _data(target):
    if target == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=120, n_features=8, n_classes=3, random_state=0
        )
    else:
        X, y = make_classification(
            n_samples=150,
            n_features=8,
            n_informative=5,
            n_classes=2 if target == "binary" else 4,
            random_state=0,
        )
    return X, y


def _fit_both(X, y, sample_weight=None, **params):
    ours = NumpyMLPClassifier(dtype=np.float64, random_state=3, **params)
    theirs = MLPClassifier(random_state=3, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y, sample_weight=sample_weight)
        theirs.fit(X, y, sample_weight=sample_weight)
    return ours, theirs


STOCHASTIC = [
    dict(solver="adam"),
    dict(solver="sgd"),
    dict(solver="sgd", nesterovs_momentum=False, momentum=0.5),
    dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.05),
    dict(solver="sgd", learning_rate="adaptive", tol=0.5, n_iter_no_change=2),
    dict(solver="adam", early_stopping=True),
    dict(solver="sgd", early_stopping=True, validation_fraction=0.2),
    dict(solver="adam", shuffle=False),
]


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("params", STOCHASTIC, ids=str)
@pytest.mark.parametrize("weighted", [False, True])
def test_stochastic_coefs_match_sklearn(target, params, weighted):
    X, y = _data(target)
    sw = np.random.RandomState(0).uniform(0.2, 2, len(y)) if weighted else None
    ours, theirs = _fit_both(
        X, y, sw, hidden_layer_sizes=(7, 5), max_iter=12, batch_size=32, **params
    )
    assert ours.n_iter_ == theirs.n_iter_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-10)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-7)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6
    )
    for name in ["n_layers_", "n_outputs_", "out_activation_", "t_"]:
        assert getattr(ours, name) == getattr(theirs, name)
    if theirs.best_loss_ is None:
        assert ours.best_loss_ is None
    else:
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-9)
    if params.get("early_stopping"):
        assert ours.validation_scores_ == theirs.validation_scores_
        assert ours.best_validation_score_ == theirs.best_validation_score_


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_lbfgs_matches_sklearn(target, activation):
    X, y = _data(target)
    ours, theirs = _fit_both(
        X,
        y,
        solver="lbfgs",
        activation=activation,
        hidden_layer_sizes=(6,),
        max_iter=40,
    )
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_matches_sklearn(solver):
    X, y = _data("multiclass")
    ours = NumpyMLPClassifier(solver=solver, dtype=np.float64, random_state=0)
    theirs = MLPClassifier(solver=solver, random_state=0)
    classes = np.unique(y)
    for start in range(0, 150, 50):
        ours.partial_fit(X[start : start + 50], y[start : start + 50], classes=classes)
        theirs.partial_fit(
            X[start : start + 50], y[start : start + 50], classes=classes
        )
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-10)


def test_warm_start_matches_sklearn():
    X, y = _data("multiclass")
    ours = NumpyMLPClassifier(
        dtype=np.float64, random_state=0, max_iter=3, warm_start=True
    )
    theirs = MLPClassifier(random_state=0, max_iter=3, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            ours.fit(X, y)
            theirs.fit(X, y)
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-10)
    assert ours.loss_curve_ == pytest.approx(theirs.loss_curve_, rel=1e-7)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_default_parameters_give_mlpclassifiers_coefs(solver):
    # The drop-in promise: no argument changed, float64 input, same weights.
    X, y = _data("multiclass")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = NumpyMLPClassifier(solver=solver, random_state=0).fit(X, y)
        theirs = MLPClassifier(solver=solver, random_state=0).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.dtype == b.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)
