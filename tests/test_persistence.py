"""Persistence of fitted NumpyMLPClassifier models: skops, pickle and joblib.

A model loaded back must predict exactly what the original predicts, carry
exactly the same fitted state (dtypes included), need no trust beyond its
own class with skops, and continue ``partial_fit`` exactly as the original
would.
"""

import io
import json
import pickle
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from v1_scenarios import SCENARIOS
from v1_scenarios import X as V1_X

from skmlp import NumpyMLPClassifier

sio = pytest.importorskip("skops.io")
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

OUR_TYPE = "skmlp._classifier.NumpyMLPClassifier"

SOLVERS = ["adam", "sgd", "lbfgs"]
DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def _quiet_convergence():
    # The models are trained for a few epochs only, on purpose.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(kind, n_samples=160, n_features=8, seed=0):
    """X and y for a target kind: binary, multiclass, multilabel, str labels."""
    if kind == "multilabel":
        X, y = make_multilabel_classification(
            n_samples, n_features, n_classes=3, random_state=seed
        )
        return X / X.max(), y
    n_classes = 2 if kind in ("binary", "binary-str") else 3
    X, y = make_classification(
        n_samples,
        n_features,
        n_informative=5,
        n_classes=n_classes,
        random_state=seed,
    )
    if kind.endswith("-str"):
        y = np.array(["cat", "dog", "emu"])[y]
    return X, y


def _model(**params):
    defaults = dict(hidden_layer_sizes=(7, 5), max_iter=15, random_state=0)
    return NumpyMLPClassifier(**{**defaults, **params})


def assert_same_state(a, b, path="estimator"):
    """Recursively compare two fitted states: values, containers and dtypes."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), path
        assert a.dtype == b.dtype, f"{path}: {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, dict):
        assert isinstance(b, dict), path
        assert sorted(a) == sorted(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            assert_same_state(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_state(x, y, f"{path}[{i}]")
    elif isinstance(a, BaseEstimator):
        assert type(a) is type(b), path
        assert_same_state(vars(a), vars(b), path)
    elif isinstance(a, np.random.RandomState):
        assert isinstance(b, np.random.RandomState), path
        assert_same_state(list(a.get_state()), list(b.get_state()), path)
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), path
    else:
        assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
        assert a == b, f"{path}: {a!r} != {b!r}"


def assert_same_predictions(a, b, X):
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    pa, pb = a.predict_proba(X), b.predict_proba(X)
    assert pa.dtype == pb.dtype
    np.testing.assert_array_equal(pa, pb)


def skops_roundtrip(est, tmp_path):
    """Dump to a file, check what it asks to trust, load it back."""
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    assert sio.get_untrusted_types(file=path) == [OUR_TYPE]
    # Nothing trusted: refused, because our class is not on skops' list.
    with pytest.raises(UntrustedTypesFoundException, match="NumpyMLPClassifier"):
        sio.load(path)
    return sio.load(path, trusted=[OUR_TYPE])


# ----------------------------------------------------------------- skops
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", SOLVERS)
def test_skops_roundtrip_each_solver_and_dtype(solver, dtype, tmp_path):
    X, y = _data("multiclass")
    est = _model(solver=solver, dtype=dtype).fit(X, y)
    loaded = skops_roundtrip(est, tmp_path)

    assert type(loaded) is NumpyMLPClassifier
    assert loaded.coefs_[0].dtype == np.dtype(dtype)
    assert loaded.get_params() == est.get_params()
    assert_same_state(vars(est), vars(loaded))
    assert_same_predictions(est, loaded, X)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize(
    "kind", ["binary", "multiclass", "multilabel", "binary-str", "multiclass-str"]
)
def test_skops_roundtrip_targets_and_early_stopping(kind, early_stopping, tmp_path):
    X, y = _data(kind)
    est = _model(early_stopping=early_stopping, validation_fraction=0.2).fit(X, y)
    if early_stopping:
        assert est.validation_scores_ and est.best_validation_score_ is not None
    loaded = skops_roundtrip(est, tmp_path)

    assert_same_state(vars(est), vars(loaded))
    assert_same_predictions(est, loaded, X)
    np.testing.assert_array_equal(loaded.classes_, est.classes_)
    assert loaded.out_activation_ == est.out_activation_
    assert loaded.n_outputs_ == est.n_outputs_
    if kind.startswith("binary"):
        assert loaded.n_outputs_ == 1
        assert loaded.predict_proba(X).shape == (X.shape[0], 2)


def test_skops_roundtrip_keeps_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _data("multiclass")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = _model().fit(df, y)
    loaded = skops_roundtrip(est, tmp_path)

    np.testing.assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    assert_same_predictions(est, loaded, df)
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(df.rename(columns={"f0": "renamed"}))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_skops_mid_training_partial_fit_continues_identically(solver, dtype, tmp_path):
    X, y = _data("multiclass", n_samples=240)
    chunks = np.array_split(np.arange(X.shape[0]), 6)
    classes = np.unique(y)

    est = _model(solver=solver, dtype=dtype, learning_rate_init=0.01)
    for rows in chunks[:3]:
        est.partial_fit(X[rows], y[rows], classes=classes)
    loaded = skops_roundtrip(est, tmp_path)
    assert_same_state(vars(est), vars(loaded))

    for rows in chunks[3:]:
        est.partial_fit(X[rows], y[rows])
        loaded.partial_fit(X[rows], y[rows])
    assert est.t_ == loaded.t_ == X.shape[0]
    for W_est, W_loaded in zip(
        est.coefs_ + est.intercepts_, loaded.coefs_ + loaded.intercepts_
    ):
        np.testing.assert_array_equal(W_est, W_loaded)
    assert_same_state(vars(est), vars(loaded))
    assert_same_predictions(est, loaded, X)


def test_partial_fit_continuation_depends_on_the_saved_optimizer_state(tmp_path):
    """The check above can fail: without the optimizer state Adam diverges."""
    X, y = _data("multiclass", n_samples=240)
    chunks = np.array_split(np.arange(X.shape[0]), 4)
    est = _model(learning_rate_init=0.01)
    for rows in chunks[:2]:
        est.partial_fit(X[rows], y[rows], classes=np.unique(y))
    loaded = skops_roundtrip(est, tmp_path)
    assert "_optimizer_state" in vars(loaded)
    del loaded._optimizer_state  # what a lossy format would do

    for rows in chunks[2:]:
        est.partial_fit(X[rows], y[rows])
        loaded.partial_fit(X[rows], y[rows])
    assert not np.array_equal(est.coefs_[0], loaded.coefs_[0])


def test_skops_warm_start_fit_continues_identically(tmp_path):
    X, y = _data("multiclass")
    est = _model(warm_start=True, max_iter=5).fit(X, y)
    loaded = skops_roundtrip(est, tmp_path)
    est.fit(X, y)
    loaded.fit(X, y)
    assert_same_state(vars(est), vars(loaded))
    assert_same_predictions(est, loaded, X)


def test_skops_random_state_instance_param(tmp_path):
    X, y = _data("binary")
    est = _model(random_state=np.random.RandomState(3)).fit(X, y)
    loaded = skops_roundtrip(est, tmp_path)
    assert_same_state(vars(est), vars(loaded))
    assert_same_predictions(est, loaded, X)


def test_skops_unfitted_model_roundtrip(tmp_path):
    est = _model(hidden_layer_sizes=(4,), dtype="float64", alpha=0.5)
    loaded = skops_roundtrip(est, tmp_path)
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "coefs_")


class _Payload:
    """A class that is not scikit-learn's, numpy's nor skmlp's."""

    def __init__(self):
        self.message = "should never be loaded"


def test_skops_refuses_an_unexpected_type_in_the_file(tmp_path):
    X, y = _data("binary")
    est = _model().fit(X, y)
    est.payload_ = _Payload()  # smuggled into the fitted state
    path = tmp_path / "smuggled.skops"
    sio.dump(est, path)

    untrusted = sio.get_untrusted_types(file=path)
    assert OUR_TYPE in untrusted
    assert any(t.endswith("._Payload") for t in untrusted)
    with pytest.raises(UntrustedTypesFoundException, match="_Payload"):
        sio.load(path, trusted=[OUR_TYPE])


def _tamper(data, node_path, module, cls):
    """Rewrite the class of the schema node at ``node_path`` in a skops file."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    node = schema
    for key in node_path:
        node = node["content"]["content"][key]
    node["__module__"], node["__class__"] = module, cls
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            payload = json.dumps(schema) if name == "schema.json" else src.read(name)
            dst.writestr(name, payload)
    return out.getvalue()


def test_skops_refuses_a_tampered_schema(tmp_path):
    X, y = _data("multiclass")
    est = _model().fit(X, y)
    data = sio.dumps(est)
    # The untouched file loads with our class alone trusted...
    assert_same_predictions(est, sio.loads(data, trusted=[OUR_TYPE]), X)

    # ...but not once the label binarizer's node names another class.
    bad = _tamper(data, ["_label_binarizer"], "argparse", "Namespace")
    path = tmp_path / "tampered.skops"
    path.write_bytes(bad)
    assert sorted(sio.get_untrusted_types(file=path)) == sorted(
        ["argparse.Namespace", OUR_TYPE]
    )
    with pytest.raises(UntrustedTypesFoundException, match="argparse.Namespace"):
        sio.load(path, trusted=[OUR_TYPE])


# -------------------------------------------------------- pickle / joblib
@pytest.mark.parametrize(
    "kind, params",
    [
        ("binary", dict(solver="adam")),
        ("multiclass", dict(solver="sgd", dtype=np.float64)),
        ("multilabel", dict(solver="lbfgs")),
        ("multiclass-str", dict(solver="adam", early_stopping=True)),
    ],
)
def test_pickle_and_joblib_roundtrip(kind, params, tmp_path):
    X, y = _data(kind)
    est = _model(**params).fit(X, y)

    from_pickle = pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    from_joblib = joblib.load(path)

    for loaded in (from_pickle, from_joblib):
        assert type(loaded) is NumpyMLPClassifier
        assert_same_state(vars(est), vars(loaded))
        assert_same_predictions(est, loaded, X)


def test_pickle_mid_training_partial_fit_continues_identically():
    X, y = _data("binary", n_samples=200)
    chunks = np.array_split(np.arange(X.shape[0]), 4)
    est = _model(solver="sgd", learning_rate="invscaling", learning_rate_init=0.05)
    for rows in chunks[:2]:
        est.partial_fit(X[rows], y[rows], classes=[0, 1])
    loaded = pickle.loads(pickle.dumps(est))
    for rows in chunks[2:]:
        est.partial_fit(X[rows], y[rows])
        loaded.partial_fit(X[rows], y[rows])
    assert_same_state(vars(est), vars(loaded))
    assert_same_predictions(est, loaded, X)


def test_callbacks_cleared_before_saving_leave_only_the_class_untrusted():
    callback_module = pytest.importorskip("sklearn.callback")
    X, y = make_classification(60, 4, random_state=0)
    clf = NumpyMLPClassifier((5,), max_iter=3, random_state=0)
    clf.set_callbacks(callback_module.ScoringMonitor(scoring="accuracy"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    # Saved with the model, callbacks bring their own types (as the docs say).
    assert len(sio.get_untrusted_types(data=sio.dumps(clf))) > 1
    clf.set_callbacks()
    assert sio.get_untrusted_types(data=sio.dumps(clf)) == [
        "skmlp._classifier.NumpyMLPClassifier"
    ]


# ------------------------------------------------- older model file layouts
FIXTURES = Path(__file__).parent / "fixtures"


def _load_fixture(name, fmt):
    path = FIXTURES / f"v1_{name}.{fmt}"
    if fmt == "skops":
        return sio.load(path, trusted=[OUR_TYPE])
    with open(path, "rb") as f:
        return pickle.load(f)


# Rounding of another NumPy/OpenBLAS build over a few epochs: float64 sums
# that differ in the last bit stay within 1e-12 of each other.
V1_ROUNDING = dict(rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fmt", ["skops", "pkl"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_version_1_model_files_load_and_continue_training(name, fmt):
    """Files saved before the optimizer state was versioned (flat dict, see
    tests/fixtures/make_v1_models.py) continue as a model trained from
    scratch with the current code: their optimizer state is read.

    Up to rounding only: the files were trained on another machine, whose
    sums can differ from this one's in the last bit (on 2 Dec 2026 a CPU
    with AVX-512, where OpenBLAS 0.3.31 takes its SkylakeX kernels, trained
    one intercept 1e-16 away from the file's); without its optimizer state
    a file's model moves 1e-2 away (the next test).
    """
    scenario = SCENARIOS[name]
    loaded = _load_fixture(name, fmt)
    assert "version" not in loaded._optimizer_state  # really the old layout
    assert "epoch" in loaded._optimizer_state

    ref = NumpyMLPClassifier(**scenario.params)
    for call in scenario.calls[: scenario.saved_after]:
        call(ref)
    np.testing.assert_array_equal(ref.predict(V1_X), loaded.predict(V1_X))
    np.testing.assert_allclose(
        ref.predict_proba(V1_X), loaded.predict_proba(V1_X), **V1_ROUNDING
    )
    for call in scenario.calls[scenario.saved_after :]:
        call(ref)
        call(loaded)
    assert loaded._optimizer_state["version"] == 2
    np.testing.assert_allclose(loaded.loss_curve_, ref.loss_curve_, **V1_ROUNDING)
    assert loaded.t_ == ref.t_
    for a, b in zip(ref.coefs_ + ref.intercepts_, loaded.coefs_ + loaded.intercepts_):
        np.testing.assert_allclose(b, a, **V1_ROUNDING)


def test_version_1_file_without_its_optimizer_state_diverges():
    """The check above can fail: the old file's state is what continues."""
    scenario = SCENARIOS["adam_partial_fit"]
    loaded = _load_fixture("adam_partial_fit", "skops")
    ref = _load_fixture("adam_partial_fit", "skops")
    del loaded._optimizer_state
    for call in scenario.calls[scenario.saved_after :]:
        call(ref)
        call(loaded)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(loaded.coefs_[0], ref.coefs_[0], **V1_ROUNDING)


def test_unknown_optimizer_state_version_is_a_clear_error():
    X, y = _data("multiclass")
    est = _model().partial_fit(X, y, classes=np.unique(y))
    est._optimizer_state["version"] = 99
    before = [W.copy() for W in est.coefs_]
    with pytest.raises(ValueError, match="version 99"):
        est.partial_fit(X, y)
    for a, b in zip(before, est.coefs_):
        np.testing.assert_array_equal(a, b)
    # A fresh optimizer does not read the state.
    est.set_params(optimizer_state="reset").partial_fit(X, y)
