"""The named parts of the training layer, one at a time.

FitMode, Schedule and Clock, the EarlyStopping monitor, History, the saved
optimizer state, train_step / apply_update, and the stochastic trainer run
without an estimator (what a second trainer builds on).
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state

from skmlp import NumpyMLPClassifier
from skmlp._callbacks import NoTasks
from skmlp._fit_data import FitProblem, Hyperparameters, TrainingSet
from skmlp._fit_state import (
    FitMode,
    History,
    pack_optimizer_state,
    unpack_optimizer_state,
)
from skmlp._monitor import EarlyStopping, MonitorSettings
from skmlp._network import as_params, glorot_uniform
from skmlp._optimizers import SGD
from skmlp._schedules import Clock, Schedule
from skmlp._training import apply_update, fit_stochastic, train_step


# ------------------------------------------------------------------ FitMode
@pytest.mark.parametrize(
    "fitted, warm_start, incremental, name, keeps_auto",
    [
        (False, False, False, "first fit", False),
        (False, True, False, "first fit", False),
        (True, False, False, "first fit", False),
        (True, True, False, "warm start", False),
        (False, False, True, "first partial_fit", False),
        (True, False, True, "partial_fit", True),
        (True, True, True, "partial_fit", True),
    ],
)
def test_fit_mode_follows_scikit_learns_table(
    fitted, warm_start, incremental, name, keeps_auto
):
    mode = FitMode.of(fitted, warm_start, incremental)
    assert mode.name == name
    assert mode.incremental == incremental
    assert mode.keeps_optimizer("auto") == keeps_auto
    assert not mode.keeps_optimizer("reset")
    # 'keep' continues whatever was fitted, a fresh start has nothing to keep.
    assert mode.keeps_optimizer("keep") == (not mode.fresh)


# ---------------------------------------------------------------- schedules
def _schedule(**kw):
    params = dict(lr_schedule=None, learning_rate="constant", solver="sgd")
    params.update(kw)
    return Schedule.of(**params, lr0=0.1, max_epochs=10, power_t=0.5)


@pytest.mark.parametrize(
    "lr_schedule, learning_rate, solver, name, adaptive",
    [
        (None, "adaptive", "sgd", "constant", True),
        (None, "adaptive", "adam", "constant", False),  # adam ignores it
        (None, "invscaling", "sgd", "invscaling", False),
        (None, "invscaling", "adam", "constant", False),
        ("adaptive", "constant", "adam", "constant", True),
        ("cosine", "adaptive", "sgd", "cosine", False),  # lr_schedule wins
    ],
)
def test_schedule_settles_adaptive_once(
    lr_schedule, learning_rate, solver, name, adaptive
):
    schedule = _schedule(
        lr_schedule=lr_schedule, learning_rate=learning_rate, solver=solver
    )
    assert (schedule.name, schedule.adaptive) == (name, adaptive)


def test_schedule_rate_reads_the_clock_only():
    schedule = _schedule(learning_rate="invscaling")
    # A fresh optimizer starts at lr0 whatever the samples seen before.
    assert schedule.rate(Clock(epoch=0, t=10_000)) == 0.1
    assert schedule.rate(Clock(epoch=1, t=99)) == pytest.approx(0.1 / 10)


def test_on_plateau_divides_an_adaptive_rate_until_1e_6():
    schedule, clock = _schedule(learning_rate="adaptive"), Clock()
    drops = 0
    while schedule.on_plateau(clock):
        drops += 1
        assert clock.drops == drops
        assert schedule.rate(clock) == pytest.approx(0.1 / 5**drops)
    assert schedule.rate(clock) <= 1e-6 < schedule.rate(Clock(drops=drops - 1))

    constant, clock = _schedule(), Clock()
    assert not constant.on_plateau(clock)
    assert clock.drops == 0


# ------------------------------------------------------------------ monitor
def _monitor(early_stopping, fitted=None, validating=None, n_iter_no_change=2):
    settings = MonitorSettings(
        early_stopping=early_stopping,
        watch="score",
        tol=0.1,
        n_iter_no_change=n_iter_no_change,
        restore=early_stopping,
    )
    validating = early_stopping if validating is None else validating
    return EarlyStopping.resume(
        settings, fitted or {}, np.zeros(3), validating, incremental=True
    )


def test_monitor_counts_epochs_without_improvement_and_keeps_best_weights():
    monitor = _monitor(early_stopping=True)
    scores = [0.5, 0.55, 0.7, 0.65, 0.7, 0.75]
    plateaus = []
    for i, score in enumerate(scores):
        monitor.update(1.0, (score, 1.0), np.full(3, i, dtype=float))
        plateaus.append(monitor.plateau)
    # 0.55 and 0.75 improve on the best by less than tol; 0.65, 0.7 not at all.
    assert monitor.no_improvement_count == 3
    assert plateaus == [False, False, False, False, False, True]
    assert monitor.best_validation_score == 0.75
    np.testing.assert_array_equal(monitor.best_flat, [5, 5, 5])  # strictly best
    assert monitor.should_stop(go_on=False, incremental=True)
    assert monitor.stopped_early
    attributes = monitor.attributes()
    assert attributes["best_loss_"] is None  # scikit-learn's, with early stopping
    assert attributes["best_validation_score_"] == 0.75
    assert attributes["_no_improvement_count"] == 3
    assert attributes["_stopped_early"]


def test_monitor_tracks_the_training_loss_after_early_stopping_is_turned_off():
    # best_loss_ None (an early-stopping fit) is only the public value.
    fitted = {"best_loss_": None, "_no_improvement_count": 4}
    monitor = _monitor(early_stopping=False, fitted=fitted)
    monitor.update(2.0, None, np.ones(3))
    assert monitor.best_loss == 2.0
    assert monitor.no_improvement_count == 0
    assert monitor.attributes()["best_loss_"] == 2.0
    np.testing.assert_array_equal(monitor.best_flat, np.ones(3))


def test_lowered_rate_resets_the_count_and_goes_on():
    monitor = _monitor(early_stopping=False, n_iter_no_change=0)
    monitor.update(1.0, None, np.ones(3))
    monitor.update(1.0, None, np.ones(3))
    assert monitor.plateau
    assert not monitor.should_stop(go_on=True, incremental=False)
    assert monitor.no_improvement_count == 0 and not monitor.stopped_early


# ------------------------------------------------------------------ history
def test_history_works_on_copies_and_names_every_curve():
    fitted = {"loss_curve_": [3.0, 2.0], "learning_rate_curve_": [0.1, 0.1]}
    history = History.resume(fitted, validating=True)
    history.loss.append(1.0)
    assert fitted["loss_curve_"] == [3.0, 2.0]
    assert history.attributes() == {
        "loss_curve_": [3.0, 2.0, 1.0],
        "learning_rate_curve_": [0.1, 0.1],
        "validation_scores_": [],
        "validation_loss_curve_": [],
    }
    assert (
        History.resume({}, validating=False).attributes()["validation_scores_"] is None
    )


# ---------------------------------------------------------- optimizer state
def test_optimizer_state_round_trips_and_reads_version_1():
    state = {"learning_rate": 0.1, "velocity": np.arange(3.0)}
    packed = pack_optimizer_state("sgd", state, Clock(epoch=4, drops=1, t=50))
    assert packed["version"] == 2 and packed["clock"] == {"epoch": 4, "drops": 1}
    solver, unpacked, clock = unpack_optimizer_state(packed, t=50)
    assert solver == "sgd" and unpacked["velocity"] is state["velocity"]
    assert clock == Clock(epoch=4, drops=1, t=50)

    flat = {"solver": "sgd", "epoch": 4, "drops": 1, **state}  # version 1
    solver, unpacked, clock = unpack_optimizer_state(flat, t=50)
    assert solver == "sgd" and sorted(unpacked) == ["learning_rate", "velocity"]
    assert clock == Clock(epoch=4, drops=1, t=50)
    assert "epoch" in flat  # the saved dict is not changed

    with pytest.raises(ValueError, match="version 3"):
        unpack_optimizer_state({**packed, "version": 3})


# ------------------------------------------------------------ one minibatch
def _hp(**kw):
    est = NumpyMLPClassifier(**kw)
    return Hyperparameters.of(est.get_params(), out_activation="softmax", dropout=None)


def _network(seed=0):
    layer_units = [4, 5, 3]
    params = glorot_uniform(layer_units, "relu", check_random_state(seed), np.float64)
    rng = np.random.RandomState(seed)
    X = rng.randn(8, 4)
    Y = np.eye(3)[rng.randint(0, 3, 8)]
    return layer_units, params, X, Y


def _buffers(layer_units, params, n):
    grad = as_params(np.empty_like(params.flat), layer_units)
    return grad, [np.empty((n, u)) for u in layer_units[1:]]


def test_apply_update_clips_steps_and_decays():
    layer_units, params, X, Y = _network()
    hp = _hp(max_grad_norm=0.5, weight_decay=0.1)
    grad = as_params(np.ones_like(params.flat), layer_units)
    before = params.flat.copy()
    optimizer = SGD(params.flat, learning_rate=0.2, momentum=0.0)
    apply_update(params, grad, optimizer, hp, rate=0.2)
    clipped = 0.5 / np.sqrt(params.flat.size)
    expected = before - 0.2 * clipped
    expected[: params.n_coef] *= 1 - 0.2 * 0.1  # weights decay, biases not
    # The clipped step itself (the gradient buffer's content afterwards is
    # unspecified: the step may fold the scale into its one pass).
    np.testing.assert_allclose(params.flat, expected, rtol=1e-12)


def test_train_step_takes_no_step_on_a_non_finite_loss():
    layer_units, params, X, Y = _network()
    hp = _hp(alpha=0.0)
    grad, out = _buffers(layer_units, params, len(X))
    optimizer = SGD(params.flat, learning_rate=0.1)
    before = params.flat.copy()
    with np.errstate(all="ignore"):
        value = train_step(
            params, grad, X * np.inf, Y, None, optimizer, hp, 0.1, out, None
        )
    assert not np.isfinite(value)
    np.testing.assert_array_equal(params.flat, before)
    value = train_step(params, grad, X, Y, None, optimizer, hp, 0.1, out, None)
    assert np.isfinite(value) and not np.array_equal(params.flat, before)


# ------------------------------------------------- a trainer, no estimator
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_fit_stochastic_runs_without_an_estimator(solver):
    """What a second (batched) trainer does: build the problem by hand and
    get the estimator's exact weights and fitted attributes."""
    X, y = make_classification(90, 5, n_informative=3, n_classes=3, random_state=0)
    params = dict(
        hidden_layer_sizes=(6,), solver=solver, max_iter=7, batch_size=16,
        random_state=0, dtype=np.float64,
    )  # fmt: skip
    est = NumpyMLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)

        binarizer = LabelBinarizer().fit(y)
        Y = binarizer.transform(y).astype(np.float64)
        layer_units = [5, 6, 3]
        random_state = check_random_state(0)
        start = glorot_uniform(layer_units, "relu", random_state, np.float64)
        problem = FitProblem(
            hp=Hyperparameters.of(
                est.get_params(), out_activation="softmax", dropout=None
            ),
            mode=FitMode.of(False, False, False),
            layer_units=layer_units,
            params=start,
            train=TrainingSet(X, Y, None),
            val=None,
            random_state=random_state,
            fitted={},
            decode=binarizer.inverse_transform,
        )
        result = fit_stochastic(problem, NoTasks())

    for a, b in zip(
        result.params.coefs + result.params.intercepts, est.coefs_ + est.intercepts_
    ):
        np.testing.assert_array_equal(a, b)
    attributes = result.attributes
    assert attributes["n_iter_"] == est.n_iter_ == 7
    assert attributes["loss_curve_"] == est.loss_curve_
    assert attributes["t_"] == est.t_ == 7 * 90
    assert attributes["_optimizer_state"]["clock"] == {"epoch": 7, "drops": 0}


def test_blas_threads_limits_small_products_only():
    from skmlp._training import SMALL_PRODUCT, blas_threads

    # skmlp train's default: 200 x 768 x 10 after the sparse first layer.
    assert blas_threads([784, 768, 10], 200, sparse_first=True) == 1
    # The same network with dense batches (--augment) keeps BLAS's threads.
    assert blas_threads([784, 768, 10], 200, sparse_first=False) is None
    assert blas_threads([784, 256, 128, 10], 200, sparse_first=True) is None
    assert blas_threads([64, 64, 10], 200, sparse_first=False) == 1
    # The bound is strict: a product of exactly SMALL_PRODUCT shares threads.
    assert blas_threads([SMALL_PRODUCT // 8, 4, 2], 2, sparse_first=False) is None
    assert blas_threads([SMALL_PRODUCT // 8 - 1, 4, 2], 2, sparse_first=False) == 1


@pytest.mark.parametrize("hidden, expected", [((8,), 1), ((1024, 512), None)])
def test_minibatches_of_small_networks_run_on_one_blas_thread(
    monkeypatch, hidden, expected
):
    import threadpoolctl

    import skmlp._training as training

    seen = []
    original = training.train_step

    def recording(*args, **kwargs):
        info = threadpoolctl.threadpool_info()
        seen.append(max(i["num_threads"] for i in info if i["user_api"] == "blas"))
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "train_step", recording)
    X, y = make_classification(n_samples=400, n_features=20, random_state=0)
    clf = NumpyMLPClassifier(hidden_layer_sizes=hidden, max_iter=2, random_state=0)
    with threadpoolctl.threadpool_limits(2, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        after = threadpoolctl.threadpool_info()
    assert seen and set(seen) == {1 if expected == 1 else 2}
    # The limit is lifted after the minibatches.
    assert max(i["num_threads"] for i in after if i["user_api"] == "blas") == 2


def test_shuffled_draws_what_sklearn_shuffle_draws():
    from sklearn.utils import shuffle

    from skmlp._training import shuffled

    rows = np.arange(3, 103)[::-1].copy()
    a, b = np.random.RandomState(7), np.random.RandomState(7)
    for _ in range(3):
        np.testing.assert_array_equal(shuffled(rows, a), shuffle(rows, random_state=b))
    assert a.random_sample() == b.random_sample()


def test_effective_blas_limit_is_none_when_blas_already_runs_that_few():
    from threadpoolctl import threadpool_info, threadpool_limits

    from skmlp._training import effective_blas_limit

    assert effective_blas_limit(None) is None
    with threadpool_limits(1, user_api="blas"):
        assert effective_blas_limit(1) is None
    with threadpool_limits(2, user_api="blas"):
        info = threadpool_info()
        threads = max(i["num_threads"] for i in info if i["user_api"] == "blas")
        expected = 1 if threads > 1 else None  # BLAS kept to one: nothing to do
        assert effective_blas_limit(1) == expected
