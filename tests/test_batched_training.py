"""fit_stack: every member equals its standalone fit (float64)."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skmlp import NumpyMLPClassifier, _kernels
from skmlp._batched_training import fit_stack, stack_key
from skmlp._sparse_rows import MIN_WIDTH


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16, y[:400]


GRID = [
    {"alpha": a, "learning_rate_init": lr} for a in (1e-4, 1.0) for lr in (1e-3, 1e-2)
]

CASES = {
    "adam": {},
    "early_stopping": {"early_stopping": True, "n_iter_no_change": 3},
    "early_stopping_loss": {
        "early_stopping": True,
        "early_stopping_monitor": "loss",
        "n_iter_no_change": 2,
    },
    "sgd_adaptive": {
        "solver": "sgd",
        "learning_rate": "adaptive",
        "n_iter_no_change": 1,
        "tol": 0.05,
    },
    "sgd_invscaling_plain": {
        "solver": "sgd",
        "learning_rate": "invscaling",
        "nesterovs_momentum": False,
    },
    "extras": {
        "dropout": 0.2,
        "label_smoothing": 0.1,
        "weight_decay": 0.01,
        "max_grad_norm": 0.5,
        "lr_schedule": "cosine",
        "warmup_epochs": 2,
        "restore_best_weights": True,
    },
    "class_weight": {"class_weight": "balanced"},
    "no_shuffle_batch": {"shuffle": False, "batch_size": 64},
}


def _assert_same_fit(stacked, alone, X):
    assert stacked.n_iter_ == alone.n_iter_
    assert stacked.t_ == alone.t_
    for a, b in zip(
        stacked.coefs_ + stacked.intercepts_, alone.coefs_ + alone.intercepts_
    ):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(stacked.loss_curve_, alone.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(stacked.loss_, alone.loss_, rtol=1e-6)
    assert stacked.learning_rate_curve_ == alone.learning_rate_curve_
    assert stacked.validation_scores_ == alone.validation_scores_
    # Bit for bit: the members' validation outputs are their fits' own
    # (predict_output), not the fused softmax's (last bits apart).
    assert stacked.validation_loss_curve_ == alone.validation_loss_curve_
    for name in ("best_loss_", "best_validation_loss_"):
        a, b = getattr(stacked, name), getattr(alone, name)
        assert a == b if b is None else a == pytest.approx(b, rel=1e-6)
    assert stacked.best_validation_score_ == alone.best_validation_score_
    assert stacked._optimizer_state.keys() == alone._optimizer_state.keys()
    np.testing.assert_array_equal(stacked.classes_, alone.classes_)
    np.testing.assert_array_equal(stacked.predict(X), alone.predict(X))


def _fit_both(members, X, y, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stacked = fit_stack([clone(m) for m in members], X, y, sample_weight)
        alone = [clone(m).fit(X, y, sample_weight=sample_weight) for m in members]
    return stacked, alone


@pytest.mark.parametrize("case", sorted(CASES))
def test_members_equal_standalone_fits(digits, case):
    X, y = digits
    base = NumpyMLPClassifier(
        (16,), dtype=np.float64, random_state=0, max_iter=12, **CASES[case]
    )
    members = [clone(base).set_params(**p) for p in GRID]
    assert len({stack_key(m) for m in members}) == 1
    stacked, alone = _fit_both(members, X, y)
    for s, a in zip(stacked, alone):
        _assert_same_fit(s, a, X)


def test_members_with_own_rows_weights_and_stopping_epochs(digits):
    """Different seeds (no shared rows), max_iter and sample weights."""
    X, y = digits
    rng = np.random.RandomState(0)
    sw = rng.uniform(0.0, 2.0, size=len(y))
    sw[:150] = 0  # whole zero-weight batches are skipped, as fit skips them
    members = [
        NumpyMLPClassifier(
            (16, 8),
            activation="tanh",
            dtype=np.float64,
            random_state=seed,
            max_iter=max_iter,
            batch_size=50,
            shuffle=False if seed == 3 else True,
        )
        for seed, max_iter in ((0, 5), (1, 9), (2, 7), (3, 9))
    ]
    stacked, alone = _fit_both(members, X, y, sw)
    assert [s.n_iter_ for s in stacked] == [5, 9, 7, 9]
    for s, a in zip(stacked, alone):
        _assert_same_fit(s, a, X)


def test_binary_target_and_early_stopping(digits):
    X, y = digits
    y = (y > 4).astype(int)
    base = NumpyMLPClassifier(
        (8,), dtype=np.float64, random_state=1, max_iter=30, early_stopping=True
    )
    members = [clone(base).set_params(alpha=a) for a in (1e-4, 1e-1, 10.0)]
    stacked, alone = _fit_both(members, X, y)
    for s, a in zip(stacked, alone):
        _assert_same_fit(s, a, X)


def test_a_failing_member_gets_its_error_and_the_others_train(digits):
    X, y = digits
    good = NumpyMLPClassifier((8,), dtype=np.float64, random_state=0, max_iter=3)
    bad = clone(good).set_params(class_weight={"no such class": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        out = fit_stack([good, bad], X, y)
    assert isinstance(out[1], ValueError)
    assert "class_weight" in str(out[1])
    assert out[0] is good and good.n_iter_ == 3


def test_unstackable_estimators_have_no_key():
    assert stack_key(NumpyMLPClassifier(solver="lbfgs")) is None
    assert stack_key(NumpyMLPClassifier(warm_start=True)) is None
    a = stack_key(NumpyMLPClassifier((8,), alpha=1.0))
    assert a == stack_key(NumpyMLPClassifier([8], alpha=2.0, random_state=3))
    assert a != stack_key(NumpyMLPClassifier((8,), batch_size=32))


def test_members_with_callbacks_are_not_stacked():
    callback = pytest.importorskip("sklearn.callback")
    est = NumpyMLPClassifier((8,))
    assert stack_key(est) is not None
    est.set_callbacks(callback.ProgressBar())
    assert stack_key(est) is None


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_float32_members_equal_standalone_fits(digits, backend):
    """Bit for bit, on either backend: the stack runs each member's kernels."""
    if backend == "numba":
        pytest.importorskip("numba")
    X, y = digits
    base = NumpyMLPClassifier(
        (16,), dtype=np.float32, random_state=0, max_iter=10, early_stopping=True
    )
    members = [clone(base).set_params(**p) for p in GRID]
    with _kernels.use(backend):
        stacked, alone = _fit_both(members, X, y)
    for s, a in zip(stacked, alone):
        assert s.coefs_[0].dtype == np.float32
        _assert_same_fit(s, a, X)
        for p, q in zip(s.coefs_ + s.intercepts_, a.coefs_ + a.intercepts_):
            np.testing.assert_array_equal(p, q)


def test_default_dtype_follows_float32_input_in_every_member(digits):
    """dtype=None: float32 X trains every member in float32, as fit does."""
    X, y = digits
    X = X.astype(np.float32)
    base = NumpyMLPClassifier((16,), random_state=0, max_iter=5)
    members = [clone(base).set_params(**p) for p in GRID]
    assert stack_key(base) != stack_key(clone(base).set_params(dtype=np.float64))
    with _kernels.use("numpy"):
        stacked, alone = _fit_both(members, X, y)
    for s, a in zip(stacked, alone):
        assert s.coefs_[0].dtype == a.coefs_[0].dtype == np.float32
        _assert_same_fit(s, a, X)


def test_a_member_that_overflows_stops_as_its_fit_stops(digits):
    """Non-finite loss/weights: back to the last finite epoch, with a warning."""
    X, y = digits
    X = X * 1e3
    base = NumpyMLPClassifier((16,), dtype=np.float32, random_state=0, max_iter=6)
    members = [
        clone(base).set_params(learning_rate_init=lr, solver="sgd", momentum=0.9)
        for lr in (1e-6, 1e3, 1e6)
    ]
    with pytest.warns(ConvergenceWarning, match="Training stopped in epoch"):
        fit_stack([clone(m) for m in members], X, y)
    stacked, alone = _fit_both(members, X, y)
    assert min(s.n_iter_ for s in stacked) < 6  # one of them did overflow
    for s, a in zip(stacked, alone):
        assert (
            s._optimizer_state["optimizer"]["learning_rate"]
            == a._optimizer_state["optimizer"]["learning_rate"]
        )
        _assert_same_fit(s, a, X)


def _on_canvas(X):
    """8x8 digits in the middle of a 16x16 zero image: 13% nonzero, as MNIST."""
    canvas = np.zeros((X.shape[0], 16, 16))
    canvas[:, 4:12, 4:12] = X.reshape(-1, 8, 8)
    return canvas.reshape(X.shape[0], 256)


@pytest.fixture
def takers(monkeypatch):
    """What each stack's _sparse_taker gave (None: dense batches)."""
    from skmlp import _batched_training

    made = []
    original = _batched_training._sparse_taker

    def recording(*args):
        made.append(original(*args))
        return made[-1]

    monkeypatch.setattr(_batched_training, "_sparse_taker", recording)
    return made


def test_float64_members_skip_zeros_as_their_fits_do_bit_for_bit(digits, takers):
    """Mostly-zero inputs, float64: the stack's wide zero-skipping product
    gives each member the floats of its standalone fit, which skips zeros."""
    pytest.importorskip("numba")
    X, y = digits
    X = _on_canvas(X)
    base = NumpyMLPClassifier((16,), dtype=np.float64, random_state=0, max_iter=8)
    members = [clone(base).set_params(**p) for p in GRID]
    with _kernels.use("numba"):
        stacked, alone = _fit_both(members, X, y)
    assert takers and all(t is not None for t in takers)
    for s, a in zip(stacked, alone):
        _assert_same_fit(s, a, X)
        for p, q in zip(s.coefs_ + s.intercepts_, a.coefs_ + a.intercepts_):
            np.testing.assert_array_equal(p, q)


def test_float32_members_below_the_fits_width_keep_their_floats(digits, takers):
    """By default a stack skips zeros only where its members' fits do:
    below MIN_WIDTH float32 units they do not, so neither does the stack
    (bit-equal)."""
    X, y = digits
    X = _on_canvas(X).astype(np.float32)
    width = MIN_WIDTH[np.dtype(np.float32)] - 1
    base = NumpyMLPClassifier((width,), dtype=np.float32, random_state=0, max_iter=4)
    members = [clone(base).set_params(**p) for p in GRID]
    stacked, alone = _fit_both(members, X, y)
    assert takers == [None]
    for s, a in zip(stacked, alone):
        for p, q in zip(s.coefs_ + s.intercepts_, a.coefs_ + a.intercepts_):
            np.testing.assert_array_equal(p, q)


def test_float32_wide_skipping_is_within_rounding_of_the_fits(
    digits, takers, monkeypatch
):
    """SKIP_ZEROS="wide", float32, 4 members side by side: the stack skips
    zeros where the standalone fit (below MIN_WIDTH units) takes BLAS's products,
    so a member's floats differ from its fit's by rounding only (small
    after a few epochs)."""
    pytest.importorskip("numba")
    from skmlp import _batched_training

    monkeypatch.setattr(_batched_training, "SKIP_ZEROS", "wide")
    X, y = digits
    X = _on_canvas(X).astype(np.float32)
    width = MIN_WIDTH[np.dtype(np.float32)] - 1
    base = NumpyMLPClassifier((width,), dtype=np.float32, random_state=0, max_iter=5)
    members = [clone(base).set_params(**p) for p in GRID]
    with _kernels.use("numba"):
        stacked, alone = _fit_both(members, X, y)
    assert takers and all(t is not None for t in takers)
    some_differ = False
    for s, a in zip(stacked, alone):
        assert s.n_iter_ == a.n_iter_
        for p, q in zip(s.coefs_ + s.intercepts_, a.coefs_ + a.intercepts_):
            assert p.dtype == np.float32
            np.testing.assert_allclose(p, q, rtol=0, atol=2e-4)
            some_differ |= not np.array_equal(p, q)
        np.testing.assert_allclose(s.loss_curve_, a.loss_curve_, rtol=1e-4)
    assert some_differ  # the sums really ran in another order


def test_dense_inputs_and_numpy_backend_take_dense_batches(digits, takers):
    X, y = digits
    base = NumpyMLPClassifier((16,), random_state=0, max_iter=2)
    with _kernels.use("numpy"):
        fit_stack([clone(base) for _ in range(2)], _on_canvas(X), y)
    fit_stack([clone(base) for _ in range(2)], X / 16, y)  # 51% nonzero
    assert takers == [None, None]


def test_members_with_augment_are_not_stacked():
    from skmlp.augment import ImageShift

    est = NumpyMLPClassifier(augment=ImageShift(shape=(8, 8), max_shift=1))
    assert stack_key(est) is None


def test_members_beyond_max_members_train_in_chunks_with_the_same_floats(
    digits, monkeypatch
):
    """A stack of more than MAX_MEMBERS is trained in chunks: each member's
    fit is unchanged (members never read each other)."""
    from skmlp import _batched_training

    stacks = []
    original = _batched_training._Stack

    def recording(runs, *rest):
        stacks.append(len(runs))
        return original(runs, *rest)

    monkeypatch.setattr(_batched_training, "MAX_MEMBERS", 3)
    monkeypatch.setattr(_batched_training, "_Stack", recording)
    X, y = digits
    base = NumpyMLPClassifier((16,), dtype=np.float64, random_state=0, max_iter=4)
    members = [clone(base).set_params(**p) for p in GRID]
    stacked, alone = _fit_both(members, X, y)
    assert stacks == [3, 1]
    for s, a in zip(stacked, alone):
        for p, q in zip(s.coefs_ + s.intercepts_, a.coefs_ + a.intercepts_):
            np.testing.assert_array_equal(p, q)


def test_chunks_of_one_stack_share_the_sparse_rows_of_x(digits, monkeypatch):
    """Chunks that skip zeros take their batches from one SparseRowTaker of
    X: its CSR arrays are built once, not once a chunk.  Their size is
    MAX_SKIPPING_MEMBERS, not the dense stacks' MAX_MEMBERS."""
    pytest.importorskip("numba")
    from skmlp import _batched_training

    built, stacks = [], []
    original = _batched_training.SparseRowTaker
    original_stack = _batched_training._Stack

    def counting(X):
        built.append(X.shape)
        return original(X)

    def recording(runs, *rest):
        stacks.append(len(runs))
        return original_stack(runs, *rest)

    monkeypatch.setattr(_batched_training, "MAX_MEMBERS", 5)
    monkeypatch.setattr(_batched_training, "MAX_SKIPPING_MEMBERS", 2)
    monkeypatch.setattr(_batched_training, "SparseRowTaker", counting)
    monkeypatch.setattr(_batched_training, "_Stack", recording)
    X, y = digits
    X = _on_canvas(X)
    base = NumpyMLPClassifier((16,), dtype=np.float64, random_state=0, max_iter=2)
    members = [clone(base).set_params(**p) for p in GRID]
    with _kernels.use("numba"):
        stacked, alone = _fit_both(members, X, y)
    assert len(members) > 2 and len(built) == 1
    assert stacks == [2] * (len(members) // 2) + [1] * (len(members) % 2)
    for s, a in zip(stacked, alone):
        for p, q in zip(s.coefs_ + s.intercepts_, a.coefs_ + a.intercepts_):
            np.testing.assert_array_equal(p, q)


def test_members_with_other_targets_share_a_stack(digits):
    """Members whose smoothed targets differ keep their own (not shared)."""
    X, y = digits
    base = NumpyMLPClassifier((16,), dtype=np.float64, random_state=0, max_iter=6)
    members = [
        clone(base).set_params(label_smoothing=s, alpha=a)
        for s in (0.0, 0.1)
        for a in (1e-4, 1e-2)
    ]
    assert len({stack_key(m) for m in members}) == 1
    stacked, alone = _fit_both(members, X, y)
    for s, a in zip(stacked, alone):
        _assert_same_fit(s, a, X)
