"""Scaling out on Dask: grid search on a local cluster, out-of-core training.

A two-worker ``LocalCluster`` (separate processes, bound to 127.0.0.1, no
dashboard) is started once for the module and shut down by its fixture.
"""

import os
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    check_cv,
    train_test_split,
)

from skmlp import NumpyMLPClassifier

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
Incremental = dask_ml_wrappers.Incremental


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        client.wait_for_workers(2, timeout=60)
        yield client
    finally:
        client.close()
        cluster.close()


def _worker_pids(client):
    return set(client.run(os.getpid).values())


def _executed(client):
    """Tasks each worker has executed so far, summed over the workers."""
    counts = client.run(lambda dask_worker: dask_worker.state.executed_count)
    return sum(counts.values())


def _pid_scorer():
    """A 'score' that reports which process fitted and scored the model.

    Made in a function, like :func:`_counting_mlp`, so that Dask ships it by
    value (cloudpickle): the workers need not import this test module.
    """
    return lambda estimator, X, y: float(os.getpid())


def test_cluster_is_local_only(client):
    info = client.scheduler_info()
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert len(info["workers"]) == 2
    for address, worker in info["workers"].items():
        assert address.startswith("tcp://127.0.0.1:")
        assert worker["nthreads"] == 1
    # Separate processes, none of them this one.
    pids = _worker_pids(client)
    assert len(pids) == 2 and os.getpid() not in pids


def test_grid_search_runs_on_the_cluster_workers(client):
    X, y = make_classification(300, 10, n_informative=5, class_sep=1.5, random_state=0)
    param_grid = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-1]}
    search = GridSearchCV(
        NumpyMLPClassifier(learning_rate_init=0.01, max_iter=30, random_state=0),
        param_grid,
        cv=3,
        n_jobs=-1,
        scoring={"accuracy": "accuracy", "pid": _pid_scorer()},
        refit="accuracy",
    )
    executed_before = _executed(client)
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)

    n_fits = 4 * 3
    results = search.cv_results_
    assert len(results["params"]) == 4
    assert np.isfinite(results["mean_test_accuracy"]).all()
    assert search.best_score_ == results["mean_test_accuracy"].max()
    assert search.best_score_ > 0.75
    assert search.best_estimator_.score(X, y) > 0.75

    # Every fit+score ran in a worker process, never in this one.
    pids = {int(results[f"split{i}_test_pid"][c]) for i in range(3) for c in range(4)}
    assert pids <= _worker_pids(client)
    assert os.getpid() not in pids
    # joblib may batch several fits into one task, so at least one task and
    # at most one per fit ran on the workers.
    assert 1 <= _executed(client) - executed_before <= n_fits


def test_grid_search_same_results_as_local_joblib(client):
    X, y = make_classification(200, 6, n_informative=4, random_state=1)
    param_grid = {"alpha": [1e-4, 1.0]}
    est = NumpyMLPClassifier((6,), learning_rate_init=0.01, max_iter=20, random_state=0)

    with joblib.parallel_config(backend="dask"):
        on_dask = GridSearchCV(est, param_grid, cv=3, n_jobs=-1).fit(X, y)
    local = GridSearchCV(est, param_grid, cv=3, n_jobs=1).fit(X, y)

    np.testing.assert_allclose(
        on_dask.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert on_dask.best_params_ == local.best_params_


def _counting_mlp(*args, **kwargs):
    """A NumpyMLPClassifier that records the rows of each partial_fit call.

    The class is local so that Dask ships it to the workers by value.
    """

    class CountingMLP(NumpyMLPClassifier):
        def partial_fit(self, X, y, sample_weight=None, classes=None):
            sizes = [*getattr(self, "partial_fit_rows_", []), X.shape[0]]
            super().partial_fit(X, y, sample_weight=sample_weight, classes=classes)
            self.partial_fit_rows_ = sizes
            return self

    return CountingMLP(*args, **kwargs)


def _chunked_problem(n_samples=3000, chunk=500):
    X, y = make_classification(
        n_samples,
        20,
        n_informative=8,
        n_classes=3,
        class_sep=1.5,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=1000, random_state=0, stratify=y
    )
    X_train = da.from_array(X_train, chunks=(chunk, X.shape[1]))
    y_train = da.from_array(y_train, chunks=chunk)
    return X_train, X_test, y_train, y_test


def test_incremental_trains_out_of_core_one_partial_fit_per_chunk(client):
    X_train, X_test, y_train, y_test = _chunked_problem()
    assert X_train.numblocks == (4, 1)

    model = Incremental(
        _counting_mlp((32,), learning_rate_init=0.01, batch_size=50, random_state=0),
        scoring="accuracy",
    )
    executed_before = _executed(client)
    model.fit(X_train, y_train, classes=[0, 1, 2])
    # The partial_fit chain ran as tasks on the cluster (the client is the
    # default scheduler), at least one per chunk.
    assert _executed(client) - executed_before >= 4

    fitted = model.estimator_
    assert fitted.partial_fit_rows_ == [500] * 4
    assert fitted.t_ == 2000
    np.testing.assert_array_equal(fitted.classes_, [0, 1, 2])
    # Learns: chance is 1/3.
    assert fitted.score(X_test, y_test) > 0.7
    # The wrapper predicts blockwise on dask arrays too.
    X_test_dask = da.from_array(X_test, chunks=(250, X_test.shape[1]))
    predicted = model.predict(X_test_dask)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), fitted.predict(X_test))


def test_incremental_passes_classes_to_every_call_not_only_the_first(client):
    # The first chunk holds only two of the three classes: without
    # ``classes`` reaching partial_fit, class 2 would be unknown.
    X, y = make_classification(600, 8, n_informative=5, n_classes=3, random_state=2)
    order = np.argsort(y == 2, kind="stable")  # class 2 rows last
    X_train = da.from_array(X[order], chunks=(200, 8))
    y_train = da.from_array(y[order], chunks=200)
    assert 2 not in y[order][:200]

    model = Incremental(_counting_mlp((8,), random_state=0))
    model.fit(X_train, y_train, classes=[0, 1, 2])
    assert model.estimator_.partial_fit_rows_ == [200, 200, 200]
    np.testing.assert_array_equal(model.estimator_.classes_, [0, 1, 2])


def test_dask_ml_wrapper_loses_the_classifier_tag():
    """Documented caveat: a stratified ``cv`` must be passed explicitly.

    If this starts failing, dask-ml forwards the estimator's tags again and
    the caveat in the docs can go.
    """
    est = NumpyMLPClassifier()
    wrapped = Incremental(est)
    assert is_classifier(est)
    assert not is_classifier(wrapped)
    y = np.array([0, 1] * 10)
    # So an integer cv means KFold, not StratifiedKFold, inside a search.
    assert isinstance(check_cv(3, y, classifier=is_classifier(wrapped)), KFold)
    assert isinstance(check_cv(3, y, classifier=is_classifier(est)), StratifiedKFold)


def test_incremental_in_a_search_with_explicit_stratified_cv(client):
    X, y = make_classification(400, 8, n_informative=5, class_sep=2.0, random_state=3)
    search = GridSearchCV(
        Incremental(NumpyMLPClassifier((8,), random_state=0), scoring="accuracy"),
        {"estimator__learning_rate_init": [0.01, 0.05]},
        cv=StratifiedKFold(3),
        scoring="accuracy",
    )
    search.fit(X, y, classes=[0, 1])
    assert isinstance(search.cv, StratifiedKFold)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_score_ > 0.7
