"""Robustness, part 2: numerical safety, interruptions, repeatability.

See ``test_robustness_inputs.py`` for what the robustness suite proves and
which bugs it found.
"""

from __future__ import annotations

import copy
import re
import threading
import warnings

import numpy as np
import pytest
from robustness_support import (  # noqa: F401 - module fixtures
    _BASE_X,
    _BASE_Y,
    _BASE_YML,
    BASES,
    SOLVERS,
    STOCHASTIC,
    _cleanup_tmpdir,
    _finish_then_interrupt,
    _raise_on_call,
    _report_case_count,
    assert_state_unchanged,
    assert_valid_model,
    base_model,
    base_y,
    flat_weights,
    patched,
    quiet,
    same_weights,
    small,
)
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import skmlp._classifier
import skmlp._lbfgs
import skmlp._training
from skmlp import NumpyMLPClassifier
from skmlp._network import loss_and_gradient


# ================================================================ section 2
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y


def _unscaled(name, digits):
    X, y = digits
    if name == "pixels-0-255":
        return (X * 255 / 16).round().astype(np.uint8), y
    if name == "random-uint8-image":
        rng = np.random.RandomState(3)
        Xr = rng.randint(0, 256, size=(600, 784)).astype(np.uint8)
        yr = (Xr[:, :392].mean(axis=1) > Xr[:, 392:].mean(axis=1)).astype(int)
        return Xr, yr
    if name == "scale-1e6":
        return X / 16 * 1e6, y
    raise AssertionError(name)


@pytest.mark.parametrize("scale", ["pixels-0-255", "random-uint8-image", "scale-1e6"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "solver,lr",
    [("sgd", 1e-3), ("adam", 1e-3), ("lbfgs", 1e-3), ("sgd", 10.0), ("adam", 10.0)],
)
def test_unscaled_inputs_and_extreme_rates_stay_finite(
    digits, scale, dtype, solver, lr
):
    """Raw pixels, 1e6 feature scales and learning_rate_init=10: no
    RuntimeWarning escapes, weights finite, probabilities valid; if the loss
    went non-finite, a ConvergenceWarning said so."""
    X, y = _unscaled(scale, digits)
    est = small(solver, dtype, max_iter=8, learning_rate_init=lr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, y)
        assert_valid_model(est, X[:300], None)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if est.n_iter_ < 8 and solver != "lbfgs":
        # (n_iter_no_change=10 cannot stop 8 epochs: only a non-finite loss)
        stops = [str(w.message) for w in caught]
        assert any("non-finite" in s for s in stops), stops


def overflowing_inputs(scale, n=100, f=6, seed=0):
    """Inputs that overflow float32 arithmetic.  'pm3.4e38': entries of
    +-3.4e38 with random signs, which overflow the very first forward pass
    whatever the weights."""
    rng = np.random.RandomState(seed)
    if scale == "pm3.4e38":
        return np.where(rng.rand(n, f) > 0.5, 3.4e38, -3.4e38)
    return rng.rand(n, f) * scale


OVERFLOW_SCALES = (1e20, 1e30, 3e37, "pm3.4e38")


@pytest.mark.parametrize("solver", SOLVERS)
def test_overflowing_training_leaks_no_runtime_warning(solver):
    """Inputs that overflow float32 arithmetic: with RuntimeWarning as an
    error, fit must still end in a finite model or a ValueError."""
    y = np.arange(100) % 3
    leaked = {}
    for scale in OVERFLOW_SCALES:
        est = small(solver, max_iter=5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("error", RuntimeWarning)
            try:
                est.fit(overflowing_inputs(scale), y)
            except RuntimeWarning as exc:
                leaked[scale] = str(exc)
                continue
            except ValueError as exc:
                assert "non-finite" in str(exc) or "too large" in str(exc)
                continue
        assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)
    assert not leaked, leaked


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_nonfinite_epoch_warns_and_keeps_previous_weights(solver, how):
    """A loss that turns non-finite in the first epoch of a continued fit:
    ConvergenceWarning, and the weights are exactly the previous ones."""
    rng = np.random.RandomState(0)
    X = rng.rand(200, 6).astype(np.float32)
    y = np.arange(200) % 3
    est = small(solver, learning_rate_init=0.01, batch_size=50)
    with quiet():
        if how == "partial_fit":
            est.partial_fit(X, y, classes=[0, 1, 2])
        else:
            est.fit(X, y)
            est.set_params(warm_start=True)
    previous = copy.deepcopy(est.coefs_ + est.intercepts_)
    X_bad = overflowing_inputs("pm3.4e38", n=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match="non-finite"):
            if how == "partial_fit":
                est.partial_fit(X_bad, y)
            else:
                est.fit(X_bad, y)
    for a, b in zip(previous, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert_valid_model(est, X)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_extreme_learning_rate_stops_with_warning_and_finite_weights(solver):
    """learning_rate_init=1e30 blows the weights up after one step: the
    epoch is rejected with a ConvergenceWarning, the weights stay finite and
    the model predicts labels among classes_.  (Whether the probabilities of
    such a model are finite is the subject of the predict-overflow xfails.)"""
    rng = np.random.RandomState(0)
    X = rng.rand(200, 6)
    y = np.arange(200) % 3
    est = small(solver, learning_rate_init=1e30, batch_size=50, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match="non-finite"):
            est.fit(X, y)
        assert est.n_iter_ < 20
        assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)
        assert est.predict_proba(X).shape == (200, 3)
        assert set(est.predict(X)) <= set(est.classes_)


@pytest.mark.parametrize(
    "solver,scale", [("sgd", "pm3.4e38"), ("adam", "pm3.4e38"), ("adam", 1e30)]
)
def test_partial_fit_after_nonfinite_chunk_is_as_if_never_seen(solver, scale):
    """A chunk that blows up is rejected with a ConvergenceWarning and the
    model is left as it was: the next partial_fit gives exactly the weights
    of a model that never saw that chunk."""
    rng = np.random.RandomState(0)
    X = rng.rand(200, 6).astype(np.float32)
    y = np.arange(200) % 3

    def make():
        est = small(solver, learning_rate_init=0.01, batch_size=50)
        with quiet():
            est.partial_fit(X, y, classes=[0, 1, 2])
        return est

    ref, est = make(), make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match="non-finite"):
            est.partial_fit(overflowing_inputs(scale, n=200), y)
    with quiet():
        ref.partial_fit(X, y)
        est.partial_fit(X, y)
    assert same_weights(ref, est)


def test_nonfinite_warning_message_is_truthful():
    """learning_rate_init=1e39 overflows float32 in the first step: the
    weights become inf while the epoch's loss is finite."""
    X = np.random.RandomState(0).rand(100, 6)
    y = np.arange(100) % 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        small("sgd", max_iter=3, batch_size=100, learning_rate_init=1e39).fit(X, y)
    messages = [str(w.message) for w in caught if "non-finite" in str(w.message)]
    assert messages
    for message in messages:
        quoted = re.search(r"loss became non-finite \(([^)]*)\)", message)
        if quoted:
            assert not np.isfinite(float(quoted.group(1))), message


@pytest.mark.parametrize("value", [3.4e38])
def test_predict_on_near_float32_max_inputs_is_finite_or_raises(value):
    rng = np.random.RandomState(0)
    X = rng.rand(60, 4)
    y = np.arange(60) % 3
    with quiet():
        est = small("adam", max_iter=50).fit(X, y)
    X_test = np.full((5, 4), value)
    X_test[1:] *= np.where(rng.rand(4, 4) > 0.5, 1, -1)  # rows of mixed signs
    try:
        with quiet():
            P = est.predict_proba(X_test)
    except ValueError as exc:
        assert "large" in str(exc) or "finite" in str(exc)
        return
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-5)


def test_model_fitted_near_float32_max_predicts_finite_probabilities():
    """(Found by test_fit_near_float32_limits_gives_finite_weights_or_error.)"""
    X = np.full((3, 1), 1e38)
    with quiet():
        est = small("sgd").fit(X, [2, 0, 1])
        assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)
        P = est.predict_proba(np.full((3, 1), 10.0))
    assert np.isfinite(P).all()


def test_model_kept_after_nonfinite_stop_predicts_its_training_data():
    """Unscaled (|x| up to 1e6) data, sgd with batch_size=1: whatever the
    training did, the fitted model must give finite probabilities on the very
    data it was fitted on."""
    bad = []
    for seed in range(40):
        rng = np.random.RandomState(seed)
        n = rng.randint(5, 20)
        X = rng.choice([0.0, 3.0, 9e4, -8e5, 1e6, -1e6], size=(n, 3))
        y = rng.randint(0, 4, n)
        with quiet():
            est = small("sgd", batch_size=1, max_iter=5).fit(X, y)
            assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)
            P = est.predict_proba(X)
        if not np.isfinite(P).all():
            bad.append(seed)
    assert not bad, "NaN probabilities on the training data for seeds %s" % bad


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_float32_and_float64_agree(digits, solver):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    kwargs = dict(hidden_layer_sizes=(32,), solver=solver, max_iter=60, random_state=0)
    if solver == "sgd":
        kwargs["learning_rate_init"] = 0.05
    with quiet():
        p32 = NumpyMLPClassifier(dtype=np.float32, **kwargs).fit(X_train, y_train)
        p64 = NumpyMLPClassifier(dtype=np.float64, **kwargs).fit(X_train, y_train)
    a32, a64 = p32.predict(X_test), p64.predict(X_test)
    assert p32.coefs_[0].dtype == np.float32 and p64.coefs_[0].dtype == np.float64
    assert (a32 == a64).mean() >= 0.99
    assert (a32 == y_test).mean() > 0.9  # a well-conditioned, learnt problem


# ================================================================ section 3
def _interrupting(module, name, n):
    real = getattr(module, name)
    return patched(module, name, _raise_on_call(real, n, KeyboardInterrupt()))


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_keyboard_interrupt_stochastic_keeps_last_completed_epoch(solver):
    """Interrupted in the middle of epoch 3: warning, n_iter_ == 2 and the
    weights bit-identical to a 2-epoch fit."""
    rng = np.random.RandomState(0)
    X = rng.rand(300, 6)
    y = (X[:, 0] > X[:, 1]).astype(int) + (X[:, 2] > 0.5)
    kwargs = dict(batch_size=50, learning_rate_init=0.01)  # 6 batches / epoch
    est = small(solver, max_iter=20, **kwargs)
    with quiet(runtime="error"):
        with _interrupting(skmlp._training, "backward", 2 * 6 + 3):
            with pytest.warns(UserWarning, match="Training interrupted by user"):
                est.fit(X, y)
        ref = small(solver, max_iter=2, **kwargs).fit(X, y)
    assert est.n_iter_ == 2
    assert est.loss_curve_ == ref.loss_curve_
    assert same_weights(est, ref)
    assert_valid_model(est, X, y)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_keyboard_interrupt_in_partial_fit_leaves_usable_model(solver):
    rng = np.random.RandomState(0)
    X = rng.rand(300, 6)
    y = np.arange(300) % 3
    est = small(solver, batch_size=50)
    with quiet():
        est.partial_fit(X, y, classes=[0, 1, 2])
    before = copy.deepcopy(est.coefs_ + est.intercepts_)
    with _interrupting(skmlp._training, "backward", 3):
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            est.partial_fit(X, y)
    for a, b in zip(before, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(a, b)
    with quiet(runtime="error"):
        assert_valid_model(est, X, y)
        est.partial_fit(X, y)  # and the stream goes on
        assert_valid_model(est, X, y)


@pytest.mark.parametrize("n", [1, 2, 10, 30])
def test_keyboard_interrupt_lbfgs_leaves_usable_model(n):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    est = small("lbfgs", max_iter=200)
    with quiet(runtime="error"):
        with _interrupting(skmlp._lbfgs, "loss_and_gradient", n):
            with pytest.warns(UserWarning, match="Training interrupted by user"):
                est.fit(X, y)
        assert est.n_iter_ <= n
        assert len(est.loss_curve_) == est.n_iter_
        P = est.predict_proba(X)
        assert np.isfinite(P).all()
        np.testing.assert_allclose(P.sum(axis=1), 1, atol=1e-5)
        assert set(est.predict(X)) <= set(est.classes_)
        assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)


def _training_loss(est, X, y):
    """The loss of the fitted weights on (X, y), computed independently."""
    dtype = np.dtype(est.dtype)
    Y = est._label_binarizer.transform(y).astype(dtype)
    value, _ = loss_and_gradient(
        flat_weights(est),
        np.asarray(X, dtype=dtype),
        Y,
        [est.n_features_in_, *[W.shape[1] for W in est.coefs_]],
        est.activation,
        est.out_activation_,
        est.alpha,
    )
    return value


def test_keyboard_interrupt_lbfgs_keeps_last_iterate():
    """The weights after an interrupted lbfgs fit are those of the last
    completed iteration: their loss is loss_ (found while writing this suite:
    the starting weights were kept; fixed in 9635e54)."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    est = small("lbfgs", max_iter=200)
    with _interrupting(skmlp._lbfgs, "loss_and_gradient", 30):
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            est.fit(X, y)
    assert est.n_iter_ > 5
    np.testing.assert_allclose(_training_loss(est, X, y), est.loss_, rtol=1e-4)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_interrupted_partial_fit_resumes_like_uninterrupted(solver):
    rng = np.random.RandomState(0)
    X = rng.rand(200, 6)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)

    def make():
        est = small(solver, batch_size=20, learning_rate_init=0.01)
        with quiet():
            est.partial_fit(X, y, classes=[0, 1])
        return est

    ref, est = make(), make()
    with _interrupting(skmlp._training, "backward", 5):
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            est.partial_fit(X, y)
    with quiet():
        ref.partial_fit(X, y)
        est.partial_fit(X, y)
    assert same_weights(ref, est)


FIRST_EPOCH_STOPS = [
    ("sgd", "interrupt"),
    ("adam", "interrupt"),
    ("sgd", "non-finite"),
    ("adam", "non-finite"),
    ("lbfgs", "interrupt"),
]


@pytest.mark.parametrize("solver,stop", FIRST_EPOCH_STOPS)
def test_first_epoch_stop_leaves_every_fitted_attribute(solver, stop):
    """A first fit stopped during epoch 1 keeps the initial weights; it must
    still carry every documented fitted attribute (loss_ included)."""
    rng = np.random.RandomState(0)
    X = rng.rand(100, 6)
    y = np.arange(100) % 3
    est = small(solver, batch_size=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if stop == "interrupt":
            name = "loss_and_gradient" if solver == "lbfgs" else "backward"
            trainer = skmlp._lbfgs if solver == "lbfgs" else skmlp._training
            with _interrupting(trainer, name, 2):
                est.fit(X, y)
        else:
            est.fit(overflowing_inputs("pm3.4e38"), y)
    assert est.n_iter_ == 0
    for name in (
        "classes_",
        "coefs_",
        "intercepts_",
        "loss_",
        "loss_curve_",
        "n_features_in_",
        "n_iter_",
        "n_layers_",
        "n_outputs_",
        "out_activation_",
    ):
        assert hasattr(est, name), name
    assert est.predict(X).shape == (100,)


def test_keyboard_interrupt_outside_the_loop_propagates_and_restores():
    """An interrupt that is not inside the epoch loop is re-raised and the
    fitted model is restored (the _atomic contract)."""
    est = base_model("adam-fit")
    before = copy.deepcopy(est.__dict__)
    with patched(
        skmlp._classifier,
        "fit_stochastic",
        _finish_then_interrupt(skmlp._classifier.fit_stochastic),
    ):
        with pytest.raises(KeyboardInterrupt), quiet():
            est.fit(_BASE_X[:20], _BASE_Y[:20])
    assert_state_unchanged(before, est)


def test_partial_fit_keeps_training_a_noisy_stream_like_sklearn():
    """40 chunks whose loss does not improve (pure noise labels): every call
    trains one epoch, as MLPClassifier.partial_fit does, and with float64 the
    weights stay those of scikit-learn.  (Found while writing this suite:
    partial_fit stopped for good after n_iter_no_change calls; fixed in
    c4e4526.)"""
    from sklearn.neural_network import MLPClassifier

    rng = np.random.RandomState(0)
    chunks = [(rng.rand(50, 5), rng.randint(0, 3, 50)) for _ in range(40)]
    ours = NumpyMLPClassifier((5,), random_state=0, dtype=np.float64)
    theirs = MLPClassifier((5,), random_state=0)
    with quiet(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for X, y in chunks:
            ours.partial_fit(X, y, classes=[0, 1, 2])
            theirs.partial_fit(X, y, classes=[0, 1, 2])
    assert len(theirs.loss_curve_) == 40  # the reference really trains
    assert len(ours.loss_curve_) == 40
    assert ours.t_ == theirs.t_ == 2000
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


# ================================================================ section 4
def _learnable(seed=0, n=300):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 8)
    y = (X[:, :4].sum(axis=1) > 2).astype(int) + (X[:, 4] > 0.5)
    return X, y


REPEAT_CONFIGS = {
    "sgd": dict(solver="sgd", learning_rate_init=0.05),
    "adam": dict(solver="adam"),
    "lbfgs": dict(solver="lbfgs"),
    "adam-early-stopping": dict(solver="adam", early_stopping=True),
    "sgd-adaptive": dict(solver="sgd", learning_rate="adaptive", momentum=0.5),
}


@pytest.mark.parametrize("config", sorted(REPEAT_CONFIGS))
def test_same_int_seed_is_bit_identical(config):
    X, y = _learnable()
    kwargs = dict(hidden_layer_sizes=(6,), max_iter=15, **REPEAT_CONFIGS[config])
    with quiet():
        a = NumpyMLPClassifier(random_state=42, **kwargs).fit(X, y)
        b = NumpyMLPClassifier(random_state=42, **kwargs).fit(X, y)
        c = NumpyMLPClassifier(random_state=43, **kwargs).fit(X, y)
    assert same_weights(a, b)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not same_weights(a, c)  # the seed is actually used


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_same_int_seed_partial_fit_sequence_is_bit_identical(solver):
    X, y = _learnable()
    models = []
    for _ in range(2):
        est = small(solver, random_state=7)
        with quiet():
            for i in range(5):
                rows = slice(60 * i, 60 * (i + 1))
                est.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        models.append(est)
    assert same_weights(*models)
    assert models[0].loss_curve_ == models[1].loss_curve_


@pytest.mark.parametrize("solver", SOLVERS)
def test_random_state_none_differs_between_runs(solver):
    X, y = _learnable()
    with quiet():
        fits = [small(solver, random_state=None).fit(X, y) for _ in range(3)]
    assert not same_weights(fits[0], fits[1])
    assert not same_weights(fits[1], fits[2])


def test_concurrent_predict_proba_matches_single_thread(digits):
    """8 threads predicting at once on one fitted model, each on its own
    input (so that shared scratch state would mix rows up), get exactly the
    single-threaded results."""
    X, y = digits
    with quiet():
        est = NumpyMLPClassifier(
            hidden_layer_sizes=(64, 32), max_iter=20, random_state=0
        ).fit(X / 16, y)
    before = copy.deepcopy(est.__dict__)
    # More rows than one prediction chunk (8192) so chunking is exercised.
    rng = np.random.RandomState(0)
    base = np.vstack([X / 16] * 5)
    inputs = [
        base[rng.permutation(len(base))] + rng.normal(0, 0.05, base.shape)
        for _ in range(8)
    ]
    expected = [(est.predict_proba(Xi), est.predict(Xi)) for Xi in inputs]
    assert not np.array_equal(expected[0][0], expected[1][0])
    barrier = threading.Barrier(8)
    results, errors = [None] * 8, []

    def work(i):
        try:
            barrier.wait()
            results[i] = [
                (est.predict_proba(inputs[i]), est.predict(inputs[i])) for _ in range(3)
            ]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for (P_ref, y_ref), out in zip(expected, results):
        assert out is not None and len(out) == 3
        for P, labels in out:
            np.testing.assert_array_equal(P, P_ref)
            np.testing.assert_array_equal(labels, y_ref)
    assert_state_unchanged(before, est)
