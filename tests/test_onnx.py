"""ONNX export: the converted graph, run by onnxruntime, matches the model."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import NumpyMLPClassifier

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

from skmlp._activations import ACTIVATIONS  # noqa: E402
from skmlp._onnx import register_onnx_converter, to_onnx  # noqa: E402

# The activations MLPClassifier has, whose skl2onnx ops the first test names.
SKLEARN_ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
# Every other activation of the registry: a new one is exported by the tests.
NEWER_ACTIVATIONS = sorted(set(ACTIVATIONS) - set(SKLEARN_ACTIVATIONS))
ATOL = 1e-5


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(n_classes, n_samples=300, n_features=10, seed=0):
    X, y = make_classification(
        n_samples,
        n_features,
        n_informative=6,
        n_classes=n_classes,
        random_state=seed,
    )
    return X.astype(np.float32), y


def _run(onx, X):
    """Run an ONNX model; returns (labels, probabilities)."""
    sess = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = sess.run(None, {sess.get_inputs()[0].name: X})
    return labels, proba


def _check(est, onx, X):
    labels, proba = _run(onx, X)
    expected = est.predict_proba(X)
    assert proba.shape == expected.shape
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(labels, est.predict(X))
    return labels, proba


@pytest.mark.parametrize("activation", SKLEARN_ACTIVATIONS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_skl2onnx_to_onnx_matches_predict_proba(n_classes, activation):
    X, y = _data(n_classes)
    est = NumpyMLPClassifier(
        (16, 8), activation=activation, max_iter=60, random_state=0
    ).fit(X, y)
    register_onnx_converter()
    onx = skl2onnx.to_onnx(
        est, X[:1].astype(np.float32), options={NumpyMLPClassifier: {"zipmap": False}}
    )
    labels, proba = _check(est, onx, X)
    assert labels.dtype == np.int64
    assert proba.dtype == np.float32
    # The graph computes what the model computes: MatMul/Add per layer and
    # the activations it was fitted with.
    ops = [node.op_type for node in onx.graph.node]
    assert ops.count("MatMul") == len(est.coefs_)
    out_op = "Softmax" if n_classes > 2 else "Sigmoid"
    assert out_op in ops
    hidden_ops = [op for op in ops if op in ("Relu", "Sigmoid", "Tanh")]
    if out_op == "Sigmoid":
        hidden_ops.remove("Sigmoid")
    # skl2onnx's optimiser drops Identity nodes.
    expected = {"identity": [], "logistic": ["Sigmoid"], "tanh": ["Tanh"]}
    assert hidden_ops == expected.get(activation, ["Relu"]) * len(est.coefs_[1:])
    # Not a constant model: the probabilities really vary with the input.
    assert proba[:, -1].std() > 1e-2


@pytest.mark.parametrize("activation", NEWER_ACTIVATIONS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_newer_activations_export(n_classes, activation):
    X, y = _data(n_classes)
    est = NumpyMLPClassifier(
        (16, 8), activation=activation, max_iter=60, random_state=0
    ).fit(X, y)
    labels, proba = _check(est, to_onnx(est, X[:1]), X)
    assert proba[:, -1].std() > 1e-2


@pytest.mark.parametrize("n_classes", [2, 3])
def test_string_labels(n_classes):
    X, y = _data(n_classes)
    y = np.array(["cat", "dog", "emu"])[y]
    est = NumpyMLPClassifier((12,), max_iter=60, random_state=0).fit(X, y)
    labels, _ = _check(est, to_onnx(est, X[:1]), X)
    assert set(labels) <= {"cat", "dog", "emu"}
    assert len(set(labels)) == n_classes


def test_large_integer_labels_are_not_truncated():
    X, y = _data(3)
    y = np.array([-7, 3_000_000_000, 2**40])[y]
    est = NumpyMLPClassifier((12,), max_iter=60, random_state=0).fit(X, y)
    _check(est, to_onnx(est, X[:1]), X)


@pytest.mark.parametrize("n_labels", [2, 4])
def test_multilabel(n_labels):
    X, Y = make_multilabel_classification(300, 10, n_classes=n_labels, random_state=0)
    X = (X / X.max()).astype(np.float32)
    est = NumpyMLPClassifier((16,), max_iter=80, random_state=0).fit(X, Y)
    labels, proba = _check(est, to_onnx(est, X[:1]), X)
    # One column per label (two labels are not mistaken for binary).
    assert labels.shape == proba.shape == (X.shape[0], n_labels)
    assert labels.dtype == np.int64


def test_scaler_pipeline():
    X, y = _data(3)
    X = X * 40 + 7  # needs the scaler
    pipe = make_pipeline(
        StandardScaler(), NumpyMLPClassifier((16,), max_iter=80, random_state=0)
    ).fit(X, y)
    register_onnx_converter()
    onx = skl2onnx.to_onnx(
        pipe, X[:1].astype(np.float32), options={NumpyMLPClassifier: {"zipmap": False}}
    )
    assert "Scaler" in [node.op_type for node in onx.graph.node]
    _check(pipe, onx, X.astype(np.float32))
    # The helper converts the same pipeline to the same predictions.
    _check(pipe, to_onnx(pipe, X[:1]), X.astype(np.float32))


def test_float64_model_float64_graph():
    X, y = _data(3)
    X64 = X.astype(np.float64)
    est = NumpyMLPClassifier((16,), max_iter=60, random_state=0, dtype=np.float64).fit(
        X64, y
    )
    onx = to_onnx(est, X64[:1])
    labels, proba = _run(onx, X64)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, est.predict_proba(X64), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(labels, est.predict(X64))
    # float32 input: computed in float32, still within tolerance.
    _check(est, to_onnx(est, X[:1]), X)


def test_zipmap_default_of_skl2onnx_is_kept():
    X, y = _data(3)
    est = NumpyMLPClassifier((8,), max_iter=30, random_state=0).fit(X, y)
    register_onnx_converter()
    register_onnx_converter()  # idempotent
    labels, proba = _run(skl2onnx.to_onnx(est, X[:1]), X[:5])
    assert isinstance(proba, list) and sorted(proba[0]) == [0, 1, 2]
    expected = est.predict_proba(X[:5])
    for row, exp in zip(proba, expected):
        np.testing.assert_allclose([row[c] for c in est.classes_], exp, atol=ATOL)
    # The helper defaults to a plain tensor, overridable per call.
    _, proba = _run(to_onnx(est, X[:1], zipmap=True), X[:5])
    assert isinstance(proba, list)
    _, proba = _run(to_onnx(est, X[:1]), X[:5])
    assert isinstance(proba, np.ndarray)


def test_unfitted_model_is_refused():
    X, _ = _data(2)
    with pytest.raises(NotFittedError):
        to_onnx(NumpyMLPClassifier(), X[:1])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_float_and_bool_labels_come_out_as_int64(n_classes):
    X, y = _data(n_classes)
    for labels_in in (y.astype(np.float64), y == 1):
        est = NumpyMLPClassifier((8,), max_iter=30, random_state=0).fit(X, labels_in)
        labels, _ = _check(est, to_onnx(est, X[:1]), X)
        assert labels.dtype == np.int64


def test_import_without_onnx_packages_gives_a_clear_error():
    code = (
        "import sys\n"
        "sys.modules['onnx'] = None\n"
        "sys.modules['skl2onnx'] = None\n"
        "import skmlp\n"
        "from skmlp import _onnx\n"
        "try:\n"
        "    _onnx.register_onnx_converter()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    print('no error')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "skmlp[onnx]" in out and "onnx" in out
    assert "no error" not in out


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_double_graphs_run_in_onnxruntime(activation, target):
    # onnxruntime has no double LeakyRelu, Elu, Softplus, Erf or Binarizer:
    # graphs that used them could not even be loaded.
    rng = np.random.RandomState(0)
    X = rng.randn(80, 4) * 3
    y = {
        "binary": rng.randint(0, 2, 80),
        "multiclass": rng.randint(0, 3, 80),
        "multilabel": (rng.rand(80, 3) > 0.5).astype(int),
    }[target]
    for dtype in (np.float64, np.float32):
        est = NumpyMLPClassifier(
            (5,), activation=activation, dtype=dtype, max_iter=10, random_state=0
        ).fit(X, y)
        labels, proba = _run(to_onnx(est, X[:1]), X)
        assert proba.dtype == np.float64
        # float64 model: exact but for GELU's erf, computed in float32.
        exact = dtype == np.float64 and activation != "gelu"
        np.testing.assert_allclose(
            proba, est.predict_proba(X), rtol=0, atol=1e-12 if exact else 1e-6
        )
        np.testing.assert_array_equal(labels, est.predict(X))
