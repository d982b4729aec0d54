"""Behaviour of NumpyMLPClassifier as a scikit-learn estimator."""

import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import NumpyMLPClassifier


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _state(est):
    """Every attribute, arrays as copies, for before/after comparisons."""
    out = {}
    for k, v in vars(est).items():
        if isinstance(v, list):
            out[k] = [x.copy() if isinstance(x, np.ndarray) else x for x in v]
        elif isinstance(v, dict):
            out[k] = {
                a: b.copy() if isinstance(b, np.ndarray) else b for a, b in v.items()
            }
        elif isinstance(v, np.ndarray):
            out[k] = v.copy()
        else:
            out[k] = v
    return out


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, list):
            assert len(x) == len(y), k
            for p, q in zip(x, y):
                np.testing.assert_array_equal(p, q, err_msg=k)
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), k
            for j in x:
                np.testing.assert_array_equal(x[j], y[j], err_msg=f"{k}[{j}]")
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=k)
        elif k != "_label_binarizer":
            assert x == y or (x != x and y != y), k


def test_base_class_order():
    mro = NumpyMLPClassifier.__mro__
    assert mro.index(ClassifierMixin) < mro.index(BaseEstimator)
    assert (
        "ClassifierMixin, BaseEstimator"
        in NumpyMLPClassifier.__doc__.replace("\n", " ").replace("    ", " ")
        or "``(CallbackSupportMixin, ClassifierMixin," in NumpyMLPClassifier.__doc__
    )


def test_same_parameters_and_defaults_as_sklearn():
    from sklearn.neural_network import MLPClassifier

    ours = NumpyMLPClassifier().get_params()
    theirs = MLPClassifier().get_params()
    assert set(theirs) <= set(ours)
    assert {k: ours[k] for k in theirs} == theirs
    assert ours["dtype"] is None  # MLPClassifier's dtype rules


def test_same_parameter_constraints_as_sklearn():
    # A value MLPClassifier accepts must not be refused here, nor the
    # reverse; only 'activation' accepts more names.
    from sklearn.neural_network import MLPClassifier

    def described(constraints):
        # Options print their set in hash order: compare the sets.
        return [
            (type(c).__name__, frozenset(c.options))
            if hasattr(c, "options")
            else str(c)
            for c in constraints
        ]

    ours = NumpyMLPClassifier._parameter_constraints
    for name, theirs in MLPClassifier._parameter_constraints.items():
        if name == "activation":
            assert theirs[0].options <= ours[name][0].options
        else:
            assert described(ours[name]) == described(theirs), name


def test_readme_usage_example_runs(capsys):
    # The README's "Use it like MLPClassifier" block, as a newcomer copies it.
    readme = Path(__file__).resolve().parents[1] / "README.md"
    text = readme.read_text(encoding="utf-8")
    section = text.split("## Use it like MLPClassifier", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 12
    namespace = {}
    exec(compile(code, str(readme), "exec"), namespace)
    search = namespace["search"]
    assert search.best_score_ > 0.9
    assert "numpymlpclassifier__hidden_layer_sizes" in capsys.readouterr().out


def test_learns_digits_in_a_pipeline(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(
        StandardScaler(), NumpyMLPClassifier(max_iter=60, random_state=0)
    )
    _quiet_fit(pipe, X_train, y_train)
    assert pipe.score(X_test, y_test) >= 0.95


def test_grid_search_and_cross_val_score(digits):
    X_train, _, y_train, _ = digits
    pipe = make_pipeline(
        StandardScaler(), NumpyMLPClassifier(max_iter=30, random_state=0)
    )
    search = GridSearchCV(
        pipe, {"numpymlpclassifier__hidden_layer_sizes": [(8,), (32,)]}, cv=3
    )
    _quiet_fit(search, X_train, y_train)
    assert search.best_params_["numpymlpclassifier__hidden_layer_sizes"] == (32,)
    assert search.best_score_ > 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipe, X_train, y_train, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85


def test_pickle_round_trip(digits):
    X_train, X_test, y_train, _ = digits
    clf = _quiet_fit(
        NumpyMLPClassifier(max_iter=20, random_state=0), X_train / 16, y_train
    )
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        loaded.predict_proba(X_test / 16), clf.predict_proba(X_test / 16)
    )
    # and it can keep training
    loaded.partial_fit(X_train / 16, y_train)
    clf.partial_fit(X_train / 16, y_train)
    for a, b in zip(loaded.coefs_, clf.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, "float32", "float64"])
@pytest.mark.parametrize("input_dtype", [np.uint8, np.float32, np.float64])
def test_computes_in_dtype_whatever_the_input(dtype, input_dtype):
    X, y = load_digits(return_X_y=True)
    clf = _quiet_fit(
        NumpyMLPClassifier((10,), max_iter=3, dtype=dtype), X.astype(input_dtype), y
    )
    expected = np.dtype(dtype)
    assert all(W.dtype == expected for W in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X[:5].astype(input_dtype)).dtype == expected


@pytest.mark.parametrize(
    "make_input, expected",
    [
        (lambda X: X.astype(np.float32), np.float32),
        (lambda X: X.astype(np.float64), np.float64),
        (lambda X: X.astype(np.float16), np.float64),
        (lambda X: X.astype(np.int64), np.float64),
        (lambda X: X.astype(np.uint8), np.float64),
        (lambda X: X > 8, np.float64),
        (lambda X: X.tolist(), np.float64),
        (lambda X: sp.csr_matrix(X.astype(np.float32)), np.float32),
        (lambda X: sp.csr_matrix(X), np.float64),
    ],
    ids=["f32", "f64", "f16", "int64", "uint8", "bool", "list", "csr32", "csr64"],
)
def test_default_dtype_follows_the_input_as_mlpclassifier(make_input, expected):
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = make_input(X[:200])
    ours = _quiet_fit(NumpyMLPClassifier((10,), max_iter=2), X, y[:200])
    theirs = _quiet_fit(MLPClassifier((10,), max_iter=2), X, y[:200])
    assert ours.coefs_[0].dtype == theirs.coefs_[0].dtype == expected
    assert ours.predict_proba(X).dtype == theirs.predict_proba(X).dtype == expected


def test_default_dtype_follows_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X[:100].astype(np.float32))
    clf = _quiet_fit(NumpyMLPClassifier((5,), max_iter=2), frame, y[:100])
    assert clf.coefs_[0].dtype == np.float32
    clf = _quiet_fit(NumpyMLPClassifier((5,), max_iter=2), frame.astype(int), y[:100])
    assert clf.coefs_[0].dtype == np.float64


@pytest.mark.parametrize(
    "first, second", [(np.float32, np.float64), (np.float64, np.float32)]
)
def test_continued_training_keeps_the_fitted_dtype(first, second):
    X, y = load_digits(return_X_y=True)
    X = X / 16
    warm = _quiet_fit(
        NumpyMLPClassifier((5,), max_iter=2, warm_start=True), X.astype(first), y
    )
    _quiet_fit(warm, X.astype(second), y)
    assert all(W.dtype == first for W in warm.coefs_ + warm.intercepts_)
    inc = NumpyMLPClassifier((5,)).partial_fit(
        X.astype(first), y, classes=np.arange(10)
    )
    inc.partial_fit(X.astype(second), y)
    assert all(W.dtype == first for W in inc.coefs_ + inc.intercepts_)
    # A refit starts again from the new input's dtype.
    assert (
        _quiet_fit(warm.set_params(warm_start=False), X.astype(second), y)
        .coefs_[0]
        .dtype
        == second
    )


def test_float32_and_float64_agree(digits):
    X_train, X_test, y_train, _ = digits
    preds = [
        _quiet_fit(
            NumpyMLPClassifier((50,), max_iter=30, random_state=0, dtype=dt),
            X_train / 16,
            y_train,
        ).predict(X_test / 16)
        for dt in (np.float32, np.float64)
    ]
    assert (preds[0] == preds[1]).mean() >= 0.99


def test_string_labels_and_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(
        n_samples=120,
        n_features=4,
        n_classes=3,
        n_informative=3,
        n_redundant=0,
        random_state=0,
    )
    labels = np.array(["cat", "dog", "eel"])[y]
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = _quiet_fit(NumpyMLPClassifier(max_iter=200, random_state=0), df, labels)
    assert list(clf.feature_names_in_) == ["a", "b", "c", "d"]
    assert set(clf.predict(df)) <= {"cat", "dog", "eel"}
    assert clf.score(df, labels) > 0.8
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense(fmt):
    X, y = make_classification(n_samples=80, n_features=10, random_state=0)
    X[X < 0.3] = 0
    params = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0, dtype=np.float64)
    dense = _quiet_fit(NumpyMLPClassifier(**params), X, y)
    sparse = _quiet_fit(NumpyMLPClassifier(**params), sp.csr_matrix(X).asformat(fmt), y)
    for a, b in zip(dense.coefs_, sparse.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_multilabel():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    clf = _quiet_fit(NumpyMLPClassifier(max_iter=300, random_state=0), X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    assert clf.predict(X).shape == Y.shape
    assert clf.predict_proba(X).shape == Y.shape
    assert clf.score(X, Y) > 0.5


def test_binary_predict_proba_has_two_columns():
    X, y = make_classification(n_samples=60, random_state=0)
    clf = _quiet_fit(NumpyMLPClassifier(max_iter=50, random_state=0), X, y)
    P = clf.predict_proba(X)
    assert P.shape == (60, 2) and clf.n_outputs_ == 1
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(P), rtol=1e-6)


def test_predict_log_proba_of_a_zero_probability_is_minus_inf_silently():
    # A probability that underflows to 0 has log -inf, as MLPClassifier
    # returns, without a "divide by zero" RuntimeWarning.
    X, y = make_classification(n_samples=60, random_state=0)
    clf = _quiet_fit(NumpyMLPClassifier(max_iter=50, random_state=0), X, y)
    X_far = X * 1e4  # logits far beyond float32's exp range
    P = clf.predict_proba(X_far)
    assert (P == 0).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_P = clf.predict_log_proba(X_far)
    assert np.array_equal(np.isneginf(log_P), P == 0)
    np.testing.assert_allclose(log_P[P > 0], np.log(P[P > 0]), rtol=1e-6)


def test_failed_fit_leaves_fitted_model_unchanged(digits):
    X_train, _, y_train, _ = digits
    clf = _quiet_fit(
        NumpyMLPClassifier((8,), max_iter=3, random_state=0), X_train, y_train
    )
    before = _state(clf)
    bad = X_train.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, y_train)
    _assert_same_state(before, _state(clf))
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X_train[:10], np.full(10, 99))
    _assert_same_state(before, _state(clf))
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X_train[:10, :5], y_train[:10])
    _assert_same_state(before, _state(clf))


@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e30), (np.float64, 1e300)])
def test_non_finite_loss_keeps_last_finite_weights(dtype, scale):
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 255, size=(200, 20)) * scale
    y = rng.randint(0, 3, 200)
    clf = NumpyMLPClassifier(
        solver="sgd", learning_rate_init=10.0, max_iter=20, random_state=0, dtype=dtype
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match="non-finite"):
            clf.fit(X, y)
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)


def test_raw_pixels_train_without_overflow(digits):
    # The seed notebook fed raw 0-255 pixels: no overflow warning, finite
    # weights, and at least MLPClassifier's accuracy on the same pixels.
    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, y_test = digits
    ours, theirs = [], []
    for seed in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = NumpyMLPClassifier((25, 15), random_state=seed).fit(
                X_train * 16, y_train
            )
        assert all(np.isfinite(W).all() for W in clf.coefs_)
        ours.append(clf.score(X_test * 16, y_test))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = MLPClassifier((25, 15), random_state=seed).fit(X_train * 16, y_train)
        theirs.append(sk.score(X_test * 16, y_test))
    assert np.mean(ours) >= np.mean(theirs) - 0.005
    assert min(ours) > 0.8


def test_invscaling_rate_follows_its_formula(digits):
    X_train, _, y_train, _ = digits
    clf = _quiet_fit(
        NumpyMLPClassifier(
            solver="sgd",
            learning_rate="invscaling",
            learning_rate_init=0.2,
            power_t=0.3,
            max_iter=4,
        ),
        X_train / 16,
        y_train,
    )
    n = len(y_train)
    expected = [0.2] + [0.2 / (e * n + 1) ** 0.3 for e in range(1, 4)]
    np.testing.assert_allclose(clf.learning_rate_curve_, expected, rtol=1e-12)


def test_adaptive_rate_divides_by_five_then_stops(digits):
    X_train, _, y_train, _ = digits
    clf = NumpyMLPClassifier(
        solver="sgd",
        learning_rate="adaptive",
        tol=10.0,
        max_iter=500,
        n_iter_no_change=1,
    )
    clf.fit(X_train / 16, y_train)
    rates = np.array(clf.learning_rate_curve_)
    ratios = rates[:-1] / rates[1:]
    assert set(np.round(ratios, 9)) <= {1.0, 5.0} and (ratios == 5).any()
    assert rates[-1] <= 1e-6 * 5
    assert clf.n_iter_ < 500


def test_adaptive_rate_stops_at_the_same_epoch_as_sklearn_at_a_boundary():
    # 25e-6 divided by 5 twice is 1e-6 up to rounding: scikit-learn divides
    # step by step, and the epoch it stops at depends on that rounding.
    from sklearn.neural_network import MLPClassifier

    rng = np.random.RandomState(0)
    X, y = rng.rand(60, 4), np.arange(60) % 3
    params = dict(
        hidden_layer_sizes=(5,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=1e-6 * 5**2,
        tol=10,
        n_iter_no_change=1,
        random_state=0,
    )
    theirs = _quiet_fit(MLPClassifier(**params), X, y)
    ours = _quiet_fit(NumpyMLPClassifier(dtype=np.float64, **params), X, y)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-10)


def test_early_stopping_restores_best_weights(digits):
    X_train, _, y_train, _ = digits
    clf = _quiet_fit(
        NumpyMLPClassifier(
            early_stopping=True, n_iter_no_change=3, max_iter=200, random_state=0
        ),
        X_train / 16,
        y_train,
    )
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_warm_start_shape_change_is_a_clear_error(digits):
    X_train, _, y_train, _ = digits
    clf = _quiet_fit(
        NumpyMLPClassifier((8,), max_iter=2, warm_start=True), X_train, y_train
    )
    clf.set_params(hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match="layer shapes"):
        clf.fit(X_train, y_train)


@pytest.mark.parametrize("sizes", [(0,), (5, -1), (2.5,)])
def test_bad_hidden_layer_sizes(sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        NumpyMLPClassifier(hidden_layer_sizes=sizes).fit([[0.0], [1.0]], [0, 1])


def test_bad_parameter_is_named():
    with pytest.raises(ValueError, match=re.escape("'solver' parameter")):
        NumpyMLPClassifier(solver="rmsprop").fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="'dtype' parameter"):
        NumpyMLPClassifier(dtype=np.int32).fit([[0.0], [1.0]], [0, 1])


def test_verbose_lines(capsys, digits):
    X_train, _, y_train, _ = digits
    _quiet_fit(
        NumpyMLPClassifier((5,), max_iter=2, verbose=True), X_train / 16, y_train
    )
    out = capsys.readouterr().out
    assert re.search(r"Iteration 1, loss = \d+\.\d{8}", out)
    assert "Iteration 2" in out


def test_lbfgs_records_loss_curve(digits):
    X_train, _, y_train, _ = digits
    clf = _quiet_fit(
        NumpyMLPClassifier((10,), solver="lbfgs", max_iter=15, random_state=0),
        X_train / 16,
        y_train,
    )
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_clone_keeps_params():
    clf = NumpyMLPClassifier(hidden_layer_sizes=(3, 4), dtype=np.float64, alpha=0.5)
    assert clone(clf).get_params() == clf.get_params()


def test_lbfgs_convergence_warning_is_sklearns_word_for_word():
    from sklearn.neural_network import MLPClassifier

    rng = np.random.RandomState(0)
    X, y = rng.rand(50, 4), np.arange(50) % 3
    messages = []
    for cls in (MLPClassifier, NumpyMLPClassifier):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cls(solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
        messages.append(
            [str(w.message) for w in caught if w.category is ConvergenceWarning]
        )
    assert messages[0] and messages[1] == messages[0]


def test_the_projects_own_warnings_are_errors_in_the_test_run():
    # pyproject.toml's filterwarnings: a warning raised by skmlp fails the
    # test that did not ask for it with pytest.warns.
    X, y = make_classification(n_samples=30, random_state=0)
    with pytest.raises(UserWarning, match="batch_size"):
        NumpyMLPClassifier(batch_size=100, tol=1e9, n_iter_no_change=1).fit(X, y)
    with pytest.warns(UserWarning, match="batch_size"):
        NumpyMLPClassifier(batch_size=100, tol=1e9, n_iter_no_change=1).fit(X, y)
