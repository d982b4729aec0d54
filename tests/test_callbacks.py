"""scikit-learn's callback API (sklearn.callback) on NumpyMLPClassifier."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import NumpyMLPClassifier

callback = pytest.importorskip("sklearn.callback")


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16, y[:600]


class Recorder:
    """A FitCallback that records every task and can ask to stop."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []
        self.scores = []

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, fitted_estimator=None
    ):
        self.events.append(("end", context.task_name, context.task_id))
        if context.task_name in ("epoch", "lbfgs-iter") and fitted_estimator:
            self.scores.append(fitted_estimator.score(X, y))
        return (
            self.stop_after is not None
            and context.task_name in ("epoch", "lbfgs-iter")
            and context.task_id + 1 >= self.stop_after
        )


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_one_task_per_epoch(data, solver):
    X, y = data
    rec = Recorder()
    clf = NumpyMLPClassifier((16,), solver=solver, max_iter=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_callbacks(rec).fit(X, y)
    name = "lbfgs-iter" if solver == "lbfgs" else "epoch"
    ends = [e for e in rec.events if e[0] == "end" and e[1] == name]
    assert len(ends) >= clf.n_iter_ == 4
    assert rec.events[0] == ("setup", "fit") and rec.events[-1] == ("teardown", "fit")
    # Each epoch's fitted copy predicts with that epoch's weights.
    assert len(rec.scores) == 4 and rec.scores[-1] == pytest.approx(clf.score(X, y))
    assert rec.scores[-1] > rec.scores[0]


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_stop_request_ends_training(data, solver):
    X, y = data
    clf = NumpyMLPClassifier((16,), solver=solver, max_iter=50, random_state=0)
    clf.set_callbacks(Recorder(stop_after=3)).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    assert all(np.isfinite(W).all() for W in clf.coefs_)


def test_progress_bar_alone_in_pipeline_and_in_grid_search(data, capsys):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        NumpyMLPClassifier((8,), max_iter=3).set_callbacks(callback.ProgressBar()).fit(
            X, y
        )
        make_pipeline(
            StandardScaler(), NumpyMLPClassifier((8,), max_iter=3)
        ).set_callbacks(callback.ProgressBar()).fit(X, y)
        GridSearchCV(
            NumpyMLPClassifier((8,), max_iter=3), {"alpha": [1e-4, 1e-2]}, cv=2
        ).set_callbacks(callback.ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "NumpyMLPClassifier - fit" in out
    assert "Pipeline - fit" in out and "GridSearchCV - fit" in out


def test_scoring_monitor_logs_each_epoch(data):
    X, y = data
    monitor = callback.ScoringMonitor(scoring="accuracy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        NumpyMLPClassifier((8,), max_iter=5, random_state=0).set_callbacks(monitor).fit(
            X, y
        )
    text = repr(monitor.get_logs())
    assert "NumpyMLPClassifier" in text


def test_callbacks_are_torn_down_when_fit_fails(data):
    X, y = data

    class Failing(Recorder):
        def on_fit_task_end(self, estimator, context, **kwargs):
            super().on_fit_task_end(estimator, context)
            if context.task_name == "epoch" and context.task_id == 1:
                raise RuntimeError("callback failed")

    fitted = NumpyMLPClassifier((8,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X, y)
    before = [W.copy() for W in fitted.coefs_]
    rec = Failing()
    with pytest.raises(RuntimeError, match="callback failed"):
        fitted.set_callbacks(rec).fit(X, y)
    assert rec.events[-1] == ("teardown", "fit")
    # The failed fit left the fitted model as it was.
    for a, b in zip(before, fitted.coefs_):
        np.testing.assert_array_equal(a, b)
