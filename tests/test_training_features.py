"""The training features scikit-learn declined: each test fails without its
feature."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from skmlp import NumpyMLPClassifier


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    return X[:1200], y[:1200], X[1200:], y[1200:]


def fit(X, y, **params):
    params.setdefault("random_state", 0)
    params.setdefault("hidden_layer_sizes", (32,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return NumpyMLPClassifier(**params).fit(X, y)


# --------------------------------------------------------------- class_weight
def test_class_weight_moves_the_boundary_towards_the_light_class():
    X, y = make_classification(
        n_samples=400, n_features=5, class_sep=0.3, flip_y=0.2, random_state=0
    )
    plain = fit(X, y, max_iter=100)
    heavy = fit(X, y, max_iter=100, class_weight={0: 1.0, 1: 10.0})
    assert (heavy.predict(X) == 1).mean() > (plain.predict(X) == 1).mean() + 0.1


def test_balanced_class_weight_equals_its_sample_weights(data):
    X, y, _, _ = data
    keep = (y != 3) | (np.arange(len(y)) % 5 == 0)  # make class 3 rare
    X, y = X[keep], y[keep]
    sw = np.random.RandomState(0).uniform(0.5, 2, len(y))
    a = fit(X, y, max_iter=3, class_weight="balanced").fit(X, y, sample_weight=sw)
    # The class frequencies count the sample weights.
    per_class = compute_class_weight(
        "balanced", classes=np.unique(y), y=y, sample_weight=sw
    )
    b = fit(X, y, max_iter=3).fit(X, y, sample_weight=sw * per_class[y])
    for p, q in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-7)
    unweighted = fit(X, y, max_iter=3).fit(
        X, y, sample_weight=sw * compute_sample_weight("balanced", y)
    )
    assert not np.allclose(a.coefs_[0], unweighted.coefs_[0])


def test_balanced_weighted_fit_equals_repeated_rows_fit(data):
    X, y, _, _ = data
    X, y = X[:300], y[:300]
    sw = np.random.RandomState(1).randint(0, 4, len(y))
    X_rep, y_rep = X.repeat(sw, axis=0), y.repeat(sw)
    # One full batch each: the same data, once weighted, once repeated.
    params = dict(class_weight="balanced", shuffle=False, max_iter=5)
    weighted = fit(X, y, batch_size=len(y), **params).fit(X, y, sample_weight=sw)
    repeated = fit(X_rep, y_rep, batch_size=len(y_rep), **params)
    assert weighted.coefs_[0].dtype == np.float64
    for p, q in zip(
        weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_
    ):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


def test_balanced_class_weight_hides_partial_fit(data):
    X, y, _, _ = data
    clf = NumpyMLPClassifier(class_weight="balanced")
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError) as exc:
        clf.partial_fit(X, y, classes=np.arange(10))
    # available_if chains the reason, as for MLPClassifier's lbfgs.
    assert "compute_class_weight" in str(exc.value.__cause__)
    # A dict works, and set_params brings partial_fit back.
    assert hasattr(clf.set_params(class_weight={0: 2.0}), "partial_fit")
    clf.partial_fit(X, y, classes=np.arange(10))


def test_multilabel_class_weight_as_random_forest():
    rng = np.random.RandomState(0)
    X = rng.rand(60, 4)
    Y = (rng.rand(60, 3) < [0.2, 0.5, 0.8]).astype(int)
    cw = [{0: 1.0, 1: 3.0}, {0: 2.0, 1: 1.0}, {0: 1.0, 1: 1.0}]
    params = dict(max_iter=3, hidden_layer_sizes=(8,))
    a = fit(X, Y, class_weight=cw, **params)
    b = fit(X, Y, **params).fit(X, Y, sample_weight=compute_sample_weight(cw, Y))
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10)
    c = fit(X, Y, class_weight="balanced", **params)
    d = fit(X, Y, **params).fit(
        X, Y, sample_weight=compute_sample_weight("balanced", Y)
    )
    np.testing.assert_allclose(c.coefs_[0], d.coefs_[0], rtol=1e-10)
    assert not np.allclose(a.coefs_[0], c.coefs_[0])


def test_class_weight_errors(data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match="not among the classes"):
        fit(X, y, max_iter=1, class_weight={42: 2.0})
    with pytest.raises(ValueError, match="for multilabel targets"):
        fit(X, y, max_iter=1, class_weight=[{0: 1.0}])
    Y = np.eye(3)[np.arange(30) % 3].astype(int)
    with pytest.raises(ValueError, match="list of 3 dicts"):
        fit(np.ones((30, 2)), Y, max_iter=1, class_weight={0: 1.0})
    with pytest.raises(ValueError, match="2 dicts but y has 3 labels"):
        fit(np.ones((30, 2)), Y, max_iter=1, class_weight=[{0: 1}, {1: 2}])
    with pytest.raises(ValueError, match=r"not among the classes \[0, 1\]"):
        fit(np.ones((30, 2)), Y, max_iter=1, class_weight=[{2: 1}] * 3)
    with pytest.raises(ValueError, match="values must be finite"):
        fit(np.ones((30, 2)), Y, max_iter=1, class_weight=[{1: -1}] * 3)


# ------------------------------------------------------------ label smoothing
def test_label_smoothing_caps_confidence(data):
    X, y, _, _ = data
    eps = 0.2
    sharp = fit(X, y, max_iter=150)
    smooth = fit(X, y, max_iter=150, label_smoothing=eps)
    cap = 1 - eps + eps / 10
    assert np.median(sharp.predict_proba(X).max(axis=1)) > cap + 0.1
    top = smooth.predict_proba(X).max(axis=1)
    assert abs(np.median(top) - cap) < 0.05
    assert smooth.score(X, y) > 0.97


def test_label_smoothing_leaves_the_early_stopping_split_on_true_labels(data):
    # With 10 classes and eps=0.6 a smoothed target row peaks at 0.46: the
    # split once rounded it back with "> 0.5" and scored every validation
    # row as class 0.
    X, y, _, _ = data
    clf = fit(X, y, max_iter=40, early_stopping=True, label_smoothing=0.6)
    assert clf.best_validation_score_ > 0.8
    assert clf.score(X, y) > 0.8


def test_label_smoothing_keeps_the_binary_split_stratified(monkeypatch):
    import skmlp._training

    real = skmlp._training.train_test_split
    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs["stratify"])
        return real(*args, **kwargs)

    monkeypatch.setattr(skmlp._training, "train_test_split", spy)
    X, y = make_classification(n_samples=200, weights=[0.95], random_state=0)
    for eps in (0.0, 0.3):
        fit(X, y, max_iter=2, early_stopping=True, label_smoothing=eps)
    np.testing.assert_array_equal(np.ravel(seen[0]), y == 1)
    np.testing.assert_array_equal(seen[1], seen[0])


# -------------------------------------------------- weight decay and clipping
def test_weight_decay_shrinks_weights_but_not_to_zero(data):
    X, y, _, _ = data
    plain = fit(X, y, max_iter=20, alpha=0)
    decayed = fit(X, y, max_iter=20, alpha=0, weight_decay=5.0)
    norm = [sum(np.abs(W).sum() for W in m.coefs_) for m in (plain, decayed)]
    assert norm[1] < 0.6 * norm[0]
    assert decayed.score(X, y) > 0.8
    same = fit(X, y, max_iter=20, alpha=0, weight_decay=0.0)
    np.testing.assert_array_equal(same.coefs_[0], plain.coefs_[0])


def test_gradient_clipping_bounds_the_step(data):
    X, y, _, _ = data
    params = dict(
        solver="sgd",
        momentum=0,
        learning_rate_init=1.0,
        batch_size=len(y),
        max_iter=1,
        random_state=0,
        hidden_layer_sizes=(16,),
    )
    start = fit(X, y, **{**params, "learning_rate_init": 1e-12})
    w0 = np.concatenate([W.ravel() for W in start.coefs_ + start.intercepts_])
    for max_norm, bounded in [(None, False), (1e-3, True)]:
        clf = fit(X, y, **params, max_grad_norm=max_norm)
        w1 = np.concatenate([W.ravel() for W in clf.coefs_ + clf.intercepts_])
        step = np.linalg.norm(w1 - w0)
        assert (step <= 1e-3 * 1.0001) == bounded, step


# ------------------------------------------------------------------ schedules
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize(
    "schedule, expected",
    [
        ("cosine", lambda e, n: 0.01 * 0.5 * (1 + np.cos(np.pi * e / 8))),
        ("step", lambda e, n: 0.01 * 0.5 ** (e // 3)),
        ("exponential", lambda e, n: 0.01 * 0.5**e),
        ("invscaling", lambda e, n: 0.01 / ((e * n if e else 0) + 1) ** 0.5),
        ("constant", lambda e, n: 0.01),
    ],
)
def test_recorded_rates_follow_the_schedule(data, solver, schedule, expected):
    X, y, _, _ = data
    clf = fit(
        X,
        y,
        solver=solver,
        learning_rate_init=0.01,
        lr_schedule=schedule,
        lr_decay=0.5,
        lr_step_epochs=3,
        max_iter=8,
        tol=0,
        n_iter_no_change=100,
    )
    want = [expected(e, len(y)) for e in range(8)]
    np.testing.assert_allclose(clf.learning_rate_curve_, want, rtol=1e-12)


def test_warmup_ramps_linearly(data):
    X, y, _, _ = data
    clf = fit(X, y, learning_rate_init=0.004, warmup_epochs=3, max_iter=6, tol=0)
    np.testing.assert_allclose(
        clf.learning_rate_curve_, [0.001, 0.002, 0.003, 0.004, 0.004, 0.004]
    )


def test_cosine_schedule_at_its_end_warns_instead_of_training_at_zero(data):
    # Kept optimizer state counts epochs across partial_fit calls; after
    # max_iter of them the cosine rate is 0 and a call changes nothing.
    X, y, _, _ = data
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, lr_schedule="cosine", random_state=0
    )
    for _call in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            clf.partial_fit(X, y, classes=np.arange(10))
    before = [W.copy() for W in clf.coefs_]
    with pytest.warns(UserWarning, match="lr_schedule='cosine' ended"):
        clf.partial_fit(X, y)
    assert clf.learning_rate_curve_[-1] == 0
    for a, b in zip(before, clf.coefs_):
        np.testing.assert_array_equal(a, b)


def test_adam_schedule_changes_training(data):
    X, y, _, _ = data
    plain = fit(X, y, max_iter=5)
    sklearn_like = fit(X, y, max_iter=5, learning_rate="invscaling")  # ignored
    scheduled = fit(X, y, max_iter=5, lr_schedule="exponential", lr_decay=0.5)
    np.testing.assert_array_equal(plain.coefs_[0], sklearn_like.coefs_[0])
    assert not np.allclose(plain.coefs_[0], scheduled.coefs_[0])


# ------------------------------------------------------ validation and stopping
def test_user_validation_set_is_used_instead_of_a_split(data):
    X, y, X_val, y_val = data
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=(16,), early_stopping=True, max_iter=30, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.t_ == clf.n_iter_ * len(y)  # no sample was held out of X
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.best_validation_score_ == pytest.approx(clf.score(X_val, y_val))


def test_validation_curves_without_early_stopping(data):
    X, y, X_val, y_val = data
    clf = NumpyMLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert len(clf.validation_loss_curve_) == 5
    assert clf.validation_loss_curve_[-1] < clf.validation_loss_curve_[0]
    assert clf.best_loss_ == min(clf.loss_curve_)


@pytest.mark.parametrize("monitor", ["score", "loss"])
def test_restore_best_weights_returns_the_best_epoch(data, monitor):
    X, y, X_val, y_val = data
    # 150 training samples and a wide net overfit: validation gets worse
    # after its best epoch.
    X, y = X[:150], y[:150]
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=(64,),
        alpha=0,
        learning_rate_init=0.03,
        max_iter=40,
        tol=0,
        n_iter_no_change=100,
        restore_best_weights=True,
        early_stopping_monitor=monitor,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    from sklearn.metrics import log_loss

    if monitor == "loss":
        best = int(np.argmin(clf.validation_loss_curve_))
        final = log_loss(y_val, clf.predict_proba(X_val), labels=clf.classes_)
        assert final == pytest.approx(clf.validation_loss_curve_[best], rel=1e-4)
    else:
        best = int(np.argmax(clf.validation_scores_))
        assert clf.score(X_val, y_val) == clf.validation_scores_[best]
    assert best < clf.n_iter_ - 1, "test needs a run whose best epoch is not the last"


@pytest.mark.parametrize(
    "later", [{"early_stopping": True}, {"restore_best_weights": True}]
)
def test_best_weights_restored_are_those_of_the_best_score(later):
    # The best validation score outlives a call (warm start): the weights
    # restored against it must be the ones that scored it, even when the
    # earlier call did not restore (it once kept the initial weights).
    X, y = make_classification(400, 5, n_informative=3, n_classes=3, random_state=0)
    X_train, y_train, X_val, y_val = X[:300], y[:300], X[300:], y[300:]
    clf = NumpyMLPClassifier(hidden_layer_sizes=(20,), warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
        best = clf.best_validation_score_
        # A rate so large that no epoch of the second call beats it.
        clf.set_params(n_iter_no_change=3, max_iter=5, learning_rate_init=1.0)
        clf.set_params(**later)
        clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert max(clf.validation_scores_[-5:]) <= best
    assert clf.best_validation_score_ == best
    assert clf.score(X_val, y_val) == best


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_early_stopping_can_be_turned_off_after_a_fit(data, method):
    X, y, _, _ = data
    clf = fit(X, y, max_iter=3, early_stopping=True, warm_start=True)
    assert clf.best_loss_ is None  # as scikit-learn, with early stopping
    clf.set_params(early_stopping=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        getattr(clf, method)(X, y)
    assert clf.best_loss_ == min(clf.loss_curve_[3:])


def test_early_stopping_on_validation_loss(data):
    X, y, X_val, y_val = data
    clf = fit(
        X,
        y,
        early_stopping=True,
        early_stopping_monitor="loss",
        n_iter_no_change=3,
        max_iter=300,
        learning_rate_init=0.01,
    )
    assert clf.n_iter_ < 300
    from sklearn.metrics import log_loss

    assert clf.best_validation_loss_ == min(clf.validation_loss_curve_)
    assert np.argmin(clf.validation_loss_curve_) <= clf.n_iter_ - 1 - 3
    # The split is internal: check the restored weights through the curve.
    assert len(clf.validation_scores_) == clf.n_iter_
    assert log_loss(y, clf.predict_proba(X)) < clf.loss_curve_[-1] + 0.05


def test_partial_fit_early_stopping(data):
    X, y, X_val, y_val = data
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        n_iter_no_change=2,
        learning_rate_init=0.05,
        random_state=0,
    )
    with pytest.raises(ValueError, match="X_val and y_val"):
        clf.partial_fit(X, y, classes=np.arange(10))
    for _call in range(200):
        clf.partial_fit(
            X[:300], y[:300], classes=np.arange(10), X_val=X_val, y_val=y_val
        )
        if clf._stopped_early:
            break
    assert clf._stopped_early
    before = [W.copy() for W in clf.coefs_]
    with pytest.warns(UserWarning, match="Early stopping ended training"):
        clf.partial_fit(X[:300], y[:300], X_val=X_val, y_val=y_val)
    for a, b in zip(before, clf.coefs_):
        np.testing.assert_array_equal(a, b)
    assert clf.score(X_val, y_val) == max(clf.validation_scores_)


def test_training_loss_plateau_does_not_freeze_partial_fit(data):
    X, y, _, _ = data
    clf = NumpyMLPClassifier(hidden_layer_sizes=(8,), tol=10.0, n_iter_no_change=1)
    for _ in range(5):
        clf.partial_fit(X, y, classes=np.arange(10))
    before = clf.coefs_[0].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.partial_fit(X, y)
    assert not np.array_equal(before, clf.coefs_[0])


def test_validation_set_errors(data):
    X, y, X_val, y_val = data
    with pytest.raises(ValueError, match="both X_val and y_val"):
        fit(X, y, max_iter=1).fit(X, y, X_val=X_val)
    with pytest.raises(ValueError, match="not in the training classes"):
        fit(X, y, max_iter=1).fit(X, y, X_val=X_val[:5], y_val=np.full(5, 77))
    with pytest.raises(ValueError, match="features"):
        fit(X, y, max_iter=1).fit(X, y, X_val=X_val[:, :5], y_val=y_val)


# ----------------------------------------------------------- optimizer state
def test_keep_optimizer_state_makes_warm_start_continue(data):
    X, y, _, _ = data
    base = dict(hidden_layer_sizes=(16,), shuffle=False, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        once = NumpyMLPClassifier(max_iter=6, **base).fit(X, y)
        kept = NumpyMLPClassifier(
            max_iter=3, warm_start=True, optimizer_state="keep", **base
        )
        kept.fit(X, y).fit(X, y)
        reset = NumpyMLPClassifier(max_iter=3, warm_start=True, **base)
        reset.fit(X, y).fit(X, y)
    np.testing.assert_array_equal(kept.coefs_[0], once.coefs_[0])
    assert not np.allclose(reset.coefs_[0], once.coefs_[0])


def test_reset_optimizer_state_in_partial_fit(data):
    X, y, _, _ = data
    auto = NumpyMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    reset = NumpyMLPClassifier(
        hidden_layer_sizes=(8,), random_state=0, optimizer_state="reset"
    )
    for clf in (auto, reset):
        for _ in range(3):
            clf.partial_fit(X, y, classes=np.arange(10))
    assert auto._optimizer_state["optimizer"]["t"] == 3 * int(np.ceil(len(y) / 200))
    assert reset._optimizer_state["optimizer"]["t"] == int(np.ceil(len(y) / 200))
    assert not np.allclose(auto.coefs_[0], reset.coefs_[0])


# -------------------------------------------------------------------- dropout
def test_dropout_changes_training_not_prediction(data):
    X, y, X_val, y_val = data
    plain = fit(X, y, max_iter=5)
    dropped = fit(X, y, max_iter=5, dropout=0.3)
    again = fit(X, y, max_iter=5, dropout=0.3)
    assert not np.allclose(plain.coefs_[0], dropped.coefs_[0])
    np.testing.assert_array_equal(dropped.coefs_[0], again.coefs_[0])  # seeded
    # No dropout at predict time: deterministic and unscaled.
    np.testing.assert_array_equal(
        dropped.predict_proba(X_val), dropped.predict_proba(X_val)
    )
    # It still learns: at 40 epochs, within a few points of no dropout.
    long_plain = fit(X, y, max_iter=40)
    long_dropped = fit(X, y, max_iter=40, dropout=0.2)
    assert long_dropped.score(X_val, y_val) > long_plain.score(X_val, y_val) - 0.05


def test_dropout_per_layer_and_errors(data):
    X, y, _, _ = data
    clf = fit(X, y, hidden_layer_sizes=(16, 8), max_iter=2, dropout=[0.5, 0.0])
    assert clf.n_layers_ == 4
    for bad in ([0.1, 0.2, 0.3], [0.1, 1.0], -0.1):
        with pytest.raises(ValueError, match="dropout"):
            fit(X, y, hidden_layer_sizes=(16, 8), max_iter=1, dropout=bad)


@pytest.mark.parametrize("activation", ["relu", "logistic", "gelu"])
def test_dropout_gradient_central_difference(activation):
    from skmlp._network import as_params, backward, forward, glorot_uniform, loss

    rng = np.random.RandomState(0)
    X = rng.normal(size=(9, 4))
    Y = np.eye(3)[rng.randint(0, 3, 9)]
    units = [4, 6, 5, 3]
    params = glorot_uniform(units, activation, rng, np.float64)
    rates = [0.5, 0.3]

    def value(flat):
        p = as_params(flat, units)
        acts, _, _ = forward(
            X,
            p,
            activation,
            "softmax",
            dropout=rates,
            random_state=np.random.RandomState(7),
        )
        return loss(Y, acts[-1], "softmax", p, 0.1)

    acts, inputs, masks = forward(
        X,
        params,
        activation,
        "softmax",
        dropout=rates,
        random_state=np.random.RandomState(7),
    )
    assert sum(m is not None for m in masks) == 2
    grad = as_params(np.empty_like(params.flat), units)
    backward(acts, inputs, Y, params, activation, "softmax", 0.1, grad, masks=masks)
    h = 1e-6
    numeric = np.array(
        [
            (value(params.flat + h * e) - value(params.flat - h * e)) / (2 * h)
            for e in np.eye(params.flat.size)
        ]
    )
    rel = np.linalg.norm(numeric - grad.flat) / np.linalg.norm(numeric)
    assert rel < 1e-6, rel
