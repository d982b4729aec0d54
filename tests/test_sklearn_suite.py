"""scikit-learn's own MLPClassifier tests, pointed at NumpyMLPClassifier.

Each test below is the function from ``sklearn/neural_network/tests/
test_mlp.py`` of the installed scikit-learn, run unchanged except that the
module's ``MLPClassifier`` name is bound to :class:`NumpyMLPClassifier`.

Left out, and why:

* ``test_learning_rate_warmstart`` and ``test_adaptive_learning_rate``: read
  the private ``_optimizer``; both schedules are tested in
  ``test_classifier.py``.
* ``test_gradient``: calls the private ``_loss_grad_lbfgs``; our own central
  difference checks live in ``test_network.py``.
* Regressor-only tests (``MLPRegressor`` is not part of skmlp).
"""

import numpy as np
import pytest

from skmlp import NumpyMLPClassifier

skt = pytest.importorskip("sklearn.neural_network.tests.test_mlp")


@pytest.fixture(autouse=True)
def _use_skmlp(monkeypatch):
    monkeypatch.setattr(skt, "MLPClassifier", NumpyMLPClassifier)


PLAIN = [
    "test_alpha",
    "test_fit",
    "test_multilabel_classification",
    "test_partial_fit_classes_error",
    "test_partial_fit_classification",
    "test_partial_fit_unseen_classes",
    "test_partial_fit_errors",
    "test_predict_proba_binary",
    "test_predict_proba_multiclass",
    "test_predict_proba_multilabel",
    "test_shuffle",
    "test_tolerance",
    "test_warm_start",
    "test_n_iter_no_change",
    "test_n_iter_no_change_inf",
    "test_early_stopping_stratified",
    "test_mlp_early_stopping_string_labels",
    "test_mlp_classifier_dtypes_casting",
    "test_mlp_sample_weight_with_early_stopping",
    "test_minimum_input_sample_size",
]

WITH_ESTIMATOR = [
    "test_early_stopping",
    "test_warm_start_full_iteration",
    "test_preserve_feature_names",
    "test_mlp_warm_start_with_early_stopping",
    "test_mlp_partial_fit_after_fit",
]


def _sklearn_test(name):
    if not hasattr(skt, name):
        pytest.skip(f"{name} is not in this scikit-learn version's test_mlp.py")
    return getattr(skt, name)


@pytest.mark.parametrize("name", PLAIN)
def test_sklearn_plain(name):
    _sklearn_test(name)()


@pytest.mark.parametrize("name", WITH_ESTIMATOR)
def test_sklearn_with_estimator(name):
    func = _sklearn_test(name)
    arg = "MLPEstimator" if "MLPEstimator" in func.__code__.co_varnames else "Estimator"
    func(**{arg: NumpyMLPClassifier})


@pytest.mark.parametrize("index", range(2))
def test_sklearn_lbfgs_classification(index):
    X, y = skt.classification_datasets[index]
    _sklearn_test("test_lbfgs_classification")(X, y)
    _sklearn_test("test_lbfgs_classification_maxfun")(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_sklearn_warm_start_no_convergence(solver):
    _sklearn_test("test_mlp_warm_start_no_convergence")(NumpyMLPClassifier, solver)


def test_sklearn_sparse_matrices():
    for container in skt.CSR_CONTAINERS:
        _sklearn_test("test_sparse_matrices")(container)


def test_sklearn_verbose_sgd(capsys):
    _sklearn_test("test_verbose_sgd")(capsys)


def test_sklearn_joblib_partial_fit(tmp_path):
    _sklearn_test("test_mlp_loading_from_joblib_partial_fit")(tmp_path)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sklearn_param_dtypes(dtype):
    # The default dtype follows the input's, as MLPClassifier's does.
    _sklearn_test("test_mlp_param_dtypes")(dtype, NumpyMLPClassifier)
