"""Metadata routing, pandas feature names and the HTML repr.

With ``enable_metadata_routing=True``, ``sample_weight`` requested through
``set_fit_request`` must reach ``NumpyMLPClassifier.fit`` from a Pipeline
and from GridSearchCV; we prove it arrived by comparing with a direct
weighted fit (identical weights) and with an unweighted one (different).
"""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

from skmlp import NumpyMLPClassifier


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture
def routing():
    """Enable metadata routing for one test; the previous setting comes back."""
    before = sklearn.get_config()["enable_metadata_routing"]
    with sklearn.config_context(enable_metadata_routing=True):
        yield
    assert sklearn.get_config()["enable_metadata_routing"] == before


def _data():
    X, y = make_classification(
        240, 6, n_informative=4, n_classes=3, class_sep=1.5, random_state=0
    )
    # Zero weight on class 0: a model that sees the weights learns nothing
    # about it and stops predicting it.
    sample_weight = np.where(y == 0, 0.0, 1.0)
    return X, y, sample_weight


def _model(**params):
    defaults = dict(
        hidden_layer_sizes=(10,),
        learning_rate_init=0.01,
        max_iter=40,
        random_state=0,
    )
    return NumpyMLPClassifier(**{**defaults, **params})


def _assert_same_weights(a, b):
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(Wa, Wb)


def _assert_different_weights(a, b):
    assert not all(
        np.array_equal(Wa, Wb)
        for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    )


def test_routing_fixture_restores_the_config(routing):
    assert sklearn.get_config()["enable_metadata_routing"] is True


def test_set_fit_request_records_the_request(routing):
    clf = _model().set_fit_request(sample_weight=True)
    assert clf.get_metadata_routing().fit.requests["sample_weight"] is True
    # partial_fit takes sample_weight and classes, requested separately.
    clf.set_partial_fit_request(sample_weight=True, classes=True)
    requests = clf.get_metadata_routing().partial_fit.requests
    assert requests["sample_weight"] is True and requests["classes"] is True
    # The validation set is metadata too, unrequested by default.
    assert requests["X_val"] is None and requests["y_val"] is None


def test_sample_weight_reaches_fit_through_a_pipeline(routing):
    X, y, sw = _data()
    pipe = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        _model().set_fit_request(sample_weight=True),
    )
    pipe.fit(X, y, sample_weight=sw)
    clf = pipe[-1]

    # Same as fitting the classifier directly with the weights...
    Xs = StandardScaler().fit_transform(X)
    direct = _model().fit(Xs, y, sample_weight=sw)
    _assert_same_weights(clf, direct)
    # ...and not the same as fitting without them.
    unweighted = _model().fit(Xs, y)
    _assert_different_weights(clf, unweighted)

    # The zero-weighted class is all but forgotten.
    class0 = y == 0
    assert (unweighted.predict(Xs[class0]) == 0).mean() > 0.5
    assert (pipe.predict(X[class0]) == 0).mean() < 0.1
    assert pipe.predict_proba(X[class0])[:, 0].mean() < 0.1


def test_pipeline_refuses_weights_nobody_requested(routing):
    X, y, sw = _data()
    pipe = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False), _model()
    )
    with pytest.raises(Exception, match="sample_weight"):
        pipe.fit(X, y, sample_weight=sw)


def test_sample_weight_reaches_fit_through_grid_search(routing):
    X, y, sw = _data()
    cv = StratifiedKFold(3)
    search = GridSearchCV(
        _model()
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=False),
        {"alpha": [1e-4, 1e-2]},
        cv=cv,
    )
    search.fit(X, y, sample_weight=sw)

    # The refit on all the data got the weights...
    best = search.best_estimator_
    direct = _model(**search.best_params_).fit(X, y, sample_weight=sw)
    _assert_same_weights(best, direct)
    _assert_different_weights(best, _model(**search.best_params_).fit(X, y))
    # ...and so did every fold: zero-weighted class 0 is never predicted,
    # so the accuracy on the (unweighted) test folds cannot exceed 2/3.
    assert search.best_score_ < 0.7
    unweighted = GridSearchCV(_model(), {"alpha": [1e-4, 1e-2]}, cv=cv).fit(X, y)
    assert unweighted.best_score_ > 0.8


def test_dataframe_input_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y, _ = _data()
    columns = [f"feature_{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=columns)

    clf = _model().fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, columns)
    assert clf.n_features_in_ == len(columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_numpy = clf.predict(X)
    np.testing.assert_array_equal(clf.predict(df), from_numpy)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df[columns[::-1]])

    # Through a pipeline whose scaler outputs pandas, the classifier itself
    # sees the names.
    pipe = make_pipeline(StandardScaler().set_output(transform="pandas"), _model()).fit(
        df, y
    )
    np.testing.assert_array_equal(pipe.feature_names_in_, columns)
    np.testing.assert_array_equal(pipe[-1].feature_names_in_, columns)

    # Without column names there are none.
    assert not hasattr(_model().fit(X, y), "feature_names_in_")


def test_html_repr_renders():
    X, y, _ = _data()
    clf = _model(hidden_layer_sizes=(7, 3))
    html = estimator_html_repr(clf)
    assert "NumpyMLPClassifier" in html
    assert "hidden_layer_sizes" in html and "(7, 3)" in html
    assert "<style" in html

    pipe = make_pipeline(StandardScaler(), clf)
    unfitted = estimator_html_repr(pipe)
    pipe.fit(X, y)
    fitted = estimator_html_repr(pipe)
    for html in (unfitted, fitted):
        assert "StandardScaler" in html and "NumpyMLPClassifier" in html
    # scikit-learn marks fitted estimators in the diagram.
    assert "fitted" in fitted and fitted != unfitted
    assert "NumpyMLPClassifier" in clf._repr_html_()


def test_validation_set_is_routed_and_transformed_by_a_pipeline(routing):
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    X = X * 1000 + 500  # unscaled: the scaler matters
    X_tr, y_tr, X_val, y_val = X[:200], y[:200], X[200:], y[200:]
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    clf = NumpyMLPClassifier(**params).set_fit_request(X_val=True, y_val=True)
    pipe = sklearn.pipeline.Pipeline(
        [("scale", StandardScaler()), ("mlp", clf)], transform_input=["X_val"]
    )
    pipe.fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    mlp = pipe.named_steps["mlp"]
    # What the model saw is the scaled validation set: its last recorded
    # score equals the pipeline's score on the raw one.
    assert len(mlp.validation_scores_) == 5
    assert mlp.validation_scores_[-1] == pytest.approx(pipe.score(X_val, y_val))
    scaler = pipe.named_steps["scale"]
    direct = NumpyMLPClassifier(**params).fit(
        scaler.transform(X_tr), y_tr, X_val=scaler.transform(X_val), y_val=y_val
    )
    np.testing.assert_allclose(
        mlp.validation_loss_curve_, direct.validation_loss_curve_
    )
