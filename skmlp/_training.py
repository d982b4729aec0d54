"""Training loops: the stochastic epoch loop and the L-BFGS driver.

This is the estimator side of the code: it owns epochs, batching, early
stopping and the fitted counters, and calls the pure core
(:mod:`skmlp._network`, :mod:`skmlp._optimizers`) for the math.  The core
never imports from here.

The loops reproduce scikit-learn 1.9's ``MLPClassifier`` step for step
(same random draws in the same order, same stopping rules, same messages),
so that ``dtype=float64`` and the same ``random_state`` give the same
``coefs_``.
"""

import warnings
from typing import NamedTuple

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches, shuffle

from ._fpenv import flush_subnormals
from ._losses import LOSSES, smooth_targets
from ._network import as_params, backward, forward, loss, loss_and_gradient
from ._optimizers import SGD, Adam
from ._schedules import scheduled_rate

__all__ = ["TrainingSet", "ValidationSet", "fit_stochastic", "fit_lbfgs"]


def _make_optimizer(est, flat):
    if est.solver == "sgd":
        return SGD(
            flat,
            learning_rate=est.learning_rate_init,
            momentum=est.momentum,
            nesterov=est.nesterovs_momentum,
        )
    return Adam(
        flat,
        learning_rate=est.learning_rate_init,
        beta_1=est.beta_1,
        beta_2=est.beta_2,
        epsilon=est.epsilon,
    )


class TrainingSet(NamedTuple):
    """Training data in the model's dtype.

    Attributes
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets (the training loops apply ``label_smoothing``).
    sample_weight : ndarray of shape (n_samples,) or None
        Sample weights, class weights folded in.
    rows : ndarray of shape (n_rows,) or None, default=None
        The rows of ``X`` (and of ``Y`` and ``sample_weight``) to train on;
        None for all.  The early-stopping split hands out indices instead
        of copies, so that a fit holds one working copy of X.
    """

    X: object
    Y: np.ndarray
    sample_weight: object
    rows: object = None


class ValidationSet(NamedTuple):
    """Held-out data scored after every epoch.

    Attributes
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Labels, as accuracy needs them.
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets, for the validation loss.
    sample_weight : ndarray of shape (n_samples,) or None
    rows : ndarray of shape (n_samples,) or None, default=None
        The rows of ``X`` that form the validation set (``y``, ``Y`` and
        ``sample_weight`` are already those rows' only); None for all.
    """

    X: object
    y: np.ndarray
    Y: np.ndarray
    sample_weight: object
    rows: object = None


def _validation_split(est, train, random_state):
    """Hold out ``validation_fraction`` of the data, as scikit-learn does.

    Like scikit-learn the split is stratified when there is one output
    column (binary targets); the draw comes from the same ``random_state``
    right after the weights are initialised.
    """
    X, Y, sample_weight, _ = train
    # Boolean labels, as scikit-learn passes them: same split, same messages.
    stratify = Y.astype(bool) if est.n_outputs_ == 1 else None
    # Splitting the row numbers draws exactly what splitting the arrays
    # would (the draws depend only on the number of rows and the labels),
    # and hands out indices instead of a second copy of X.
    try:
        train_rows, val_rows = train_test_split(
            np.arange(X.shape[0]),
            random_state=random_state,
            test_size=est.validation_fraction,
            stratify=stratify,
        )
    except ValueError as exc:
        if stratify is None or "least populated" not in str(exc):
            raise
        # scikit-learn's message (kept: its tests match it) names the
        # boolean stand-ins of the split, not the labels.
        counts = np.bincount(stratify.ravel().astype(int), minlength=2)
        rare = int(np.argmin(counts))
        raise ValueError(
            f"{exc} This is the early-stopping validation split, stratified "
            f"for binary targets: {str(bool(rare))!r} stands for class "
            f"{est.classes_[rare].item()!r}, which has {counts[rare]} "
            "sample(s). Use more data or early_stopping=False."
        ) from exc
    if val_rows.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    Y_val = Y[val_rows]
    sw_val = None if sample_weight is None else sample_weight[val_rows]
    if sample_weight is not None:
        for part, rows in (("validation", val_rows), ("training", train_rows)):
            if not sample_weight[rows].sum(dtype=float):
                raise ValueError(
                    f"Every sample of the early-stopping {part} split has "
                    "weight zero. Change random_state or validation_fraction, "
                    "or pass X_val and y_val."
                )
    y_val = est._label_binarizer.inverse_transform(Y_val)
    return TrainingSet(X, Y, sample_weight, train_rows), ValidationSet(
        X, y_val, Y_val, sw_val, val_rows
    )


def _batch_size(est, n_samples):
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than "
            "sample size. It is going to be clipped"
        )
    return int(np.clip(est.batch_size, 1, n_samples))


class _BatchTaker:
    """Copies the rows of each shuffled batch into one reused buffer.

    scikit-learn fancy-indexes a fresh copy of every batch; taking into a
    preallocated buffer does the same gather without an allocation, and a
    batch that is a plain slice (no shuffling) is a view with no copy.
    """

    def __init__(self, X, batch_size):
        self.X = X
        self.buffer = (
            None
            if sp.issparse(X)
            else np.empty((batch_size, X.shape[1]), dtype=X.dtype)
        )

    def __call__(self, rows):
        if isinstance(rows, slice) or self.buffer is None:
            return self.X[rows]
        # mode="clip": with the default mode="raise" NumPy gathers into a
        # temporary and then copies it into ``out`` (3.5x slower); the rows
        # are a permutation of range(n_samples), always in bounds.
        return np.take(self.X, rows, axis=0, out=self.buffer[: len(rows)], mode="clip")


def _evaluate(est, params, val):
    """Accuracy and log loss of the current weights on the validation set.

    Accuracy is NaN when the network output is not finite, as in
    scikit-learn; the loss is the data term only (no L2 penalty).
    """
    P = est._output(val.X, params, rows=val.rows)
    if not np.isfinite(P).all():
        return np.nan, np.nan
    value = LOSSES[est.out_activation_](val.Y, P, val.sample_weight)
    score = accuracy_score(val.y, est._labels(P), sample_weight=val.sample_weight)
    return score, value


def _monitor(est, params, val):
    """Update the no-improvement count after an epoch; keep the best weights.

    Stopping follows the validation score (scikit-learn) or loss
    (``early_stopping_monitor='loss'``) with early stopping, the training
    loss otherwise.  The best weights follow the validation set whenever
    there is one, the training loss otherwise.
    """
    train_loss = est.loss_curve_[-1]
    train_improved = (
        train_loss < est.best_loss_ if est.best_loss_ is not None else False
    )
    if val is not None:
        score, value = _evaluate(est, params, val)
        est.validation_scores_.append(score)
        est.validation_loss_curve_.append(value)
        if est.verbose:
            print("Validation score: %f" % score)
        if est.early_stopping_monitor == "score":
            val_improved = score > est.best_validation_score_
        else:
            val_improved = value < est.best_validation_loss_

    if not est.early_stopping:
        worse = train_loss > est.best_loss_ - est.tol
    elif est.early_stopping_monitor == "score":
        worse = score < est.best_validation_score_ + est.tol
    else:
        worse = value > est.best_validation_loss_ - est.tol
    est._no_improvement_count = est._no_improvement_count + 1 if worse else 0

    if not est.early_stopping and train_improved:
        est.best_loss_ = train_loss
    if val is not None:
        est.best_validation_score_ = max(est.best_validation_score_, score)
        est.best_validation_loss_ = min(est.best_validation_loss_, value)
    improved = val_improved if val is not None else train_improved
    if improved:
        # Kept whether or not this call restores: the best score above
        # outlives the call (warm start, partial_fit), and the weights
        # restored later must be the ones that scored it.
        est._best_flat = params.flat.copy()


def _optimizer_for(est, flat, incremental):
    """A new optimizer, continuing the saved state when it should.

    ``optimizer_state='auto'`` does what scikit-learn does: ``partial_fit``
    continues the optimizer (Adam moments, momentum, schedule), a warm-start
    ``fit`` starts a fresh one.  'keep' continues in both, 'reset' in
    neither.

    Returns
    -------
    optimizer : SGD or Adam
    clock : dict
        The schedule's state: completed ``epoch``s of this optimizer and
        adaptive ``drops`` of the rate.
    """
    keep = est.optimizer_state == "keep" or (
        est.optimizer_state == "auto" and incremental
    )
    saved = getattr(est, "_optimizer_state", None)
    optimizer = _make_optimizer(est, flat)
    clock = {"epoch": 0, "drops": 0}
    if keep and saved is not None and saved["solver"] == est.solver:
        # load_state copies: a failed call leaves the fitted state untouched.
        optimizer.load_state(saved)
        clock = {"epoch": saved["epoch"], "drops": saved["drops"]}
    return optimizer, clock


def _epoch_rate(est, clock):
    """Base learning rate of the coming epoch.

    Without ``lr_schedule`` this is scikit-learn's: ``learning_rate`` drives
    'sgd' and 'adam' stays constant.  A fresh optimizer starts at
    ``learning_rate_init`` (scikit-learn builds a new optimizer per fit).
    """
    name = est.lr_schedule
    if name is None:
        name = est.learning_rate if est.solver == "sgd" else "constant"
    rate = scheduled_rate(
        name,
        est.learning_rate_init,
        epoch=clock["epoch"],
        t=est.t_ if clock["epoch"] > 0 else 0,
        max_epochs=est.max_iter,
        power_t=est.power_t,
        decay=est.lr_decay,
        step_epochs=est.lr_step_epochs,
        warmup_epochs=est.warmup_epochs,
    )
    # Divided by 5 once per drop, as scikit-learn does (not 0.2 ** drops:
    # that rounds differently and can move the 1e-6 stopping threshold).
    for _ in range(clock["drops"]):
        rate /= 5.0
    return rate


def _plateau(est, clock, msg):
    """Handle ``n_iter_no_change`` epochs without improvement.

    Returns True when training must stop.  With the 'adaptive' schedule the
    rate is divided by 5 instead, until it falls below 1e-6.
    """
    adaptive = (est.lr_schedule or est.learning_rate) == "adaptive" and (
        est.lr_schedule == "adaptive" or est.solver == "sgd"
    )
    if adaptive:
        if _epoch_rate(est, clock) <= 1e-6:
            if est.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        clock["drops"] += 1
        if est.verbose:
            print(msg + " Setting learning rate to %f" % _epoch_rate(est, clock))
        return False
    if est.verbose:
        print(msg + " Stopping.")
    return True


def _plateau_message(est):
    if est.early_stopping:
        what = (
            "Validation score"
            if est.early_stopping_monitor == "score"
            else ("Validation loss")
        )
        return "%s did not improve more than tol=%f for %d consecutive epochs." % (
            what,
            est.tol,
            est.n_iter_no_change,
        )
    return (
        "Training loss did not improve more than tol=%f"
        " for %d consecutive epochs." % (est.tol, est.n_iter_no_change)
    )


class _Checkpoint:
    """Weights and optimizer state at the start of the current epoch.

    An epoch that ends non-finite, or is interrupted, is undone as a whole:
    weights, optimizer moments and schedule clock all go back here.
    """

    def __init__(self, params, optimizer, clock):
        self.flat = params.flat.copy()
        self.state = None
        self.clock = dict(clock)

    def save(self, params, optimizer, clock):
        self.flat[...] = params.flat
        self.state = {
            k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in optimizer.state().items()
        }
        self.clock = dict(clock)

    def restore(self, params, optimizer, clock):
        params.flat[...] = self.flat
        if self.state is not None:
            optimizer.load_state(self.state)
        clock.update(self.clock)


def _non_finite(est, params, optimizer, X_batch):
    """What became non-finite during an epoch, or None.

    Beyond the weights and the optimizer state (Adam's ``v`` can overflow to
    inf and silently freeze the weights), the new weights must give a finite
    output on the epoch's last batch: finite but huge weights would
    otherwise be kept and predict NaN.
    """
    if not np.isfinite(params.flat).all():
        return "the weights became non-finite"
    for value in optimizer.state().values():
        if isinstance(value, np.ndarray) and not np.isfinite(value).all():
            return "the optimizer state became non-finite"
    if not np.isfinite(est._output(X_batch, params)).all():
        return "the network's output became non-finite"
    return None


def fit_stochastic(est, params, train, val, random_state, incremental, tasks):
    """Run sgd/adam epochs on ``params`` and record the fitted counters.

    Parameters
    ----------
    est : NumpyMLPClassifier
        The estimator being fitted; its counters and curves are updated.
    params : Params
        The parameters to train, updated in place.
    train : TrainingSet
        Training data in the model dtype.
    val : ValidationSet or None
        A user-supplied validation set; with ``early_stopping`` and none
        given, ``validation_fraction`` of ``train`` is held out.
    random_state : numpy.random.RandomState
        Source of the validation split and the shuffles.
    incremental : bool
        True for ``partial_fit``: one epoch, optimizer state kept.
    tasks : FitTasks
        Callback tasks; one is opened per epoch.

    Returns
    -------
    params : Params
        The parameters to keep (the best ones when restoring).
    """
    if incremental and getattr(est, "_stopped_early", False):
        warnings.warn(
            "Early stopping ended training in an earlier partial_fit call; "
            "this call does not change the model. Call fit to start again.",
            UserWarning,
        )
        return params
    optimizer, clock = _optimizer_for(est, params.flat, incremental)
    if est.lr_schedule == "cosine" and clock["epoch"] >= est.max_iter:
        # The cosine counts the optimizer's epochs across calls (kept state,
        # partial_fit) and ends at 0 after max_iter of them: say so rather
        # than train at rate 0 in silence.
        warnings.warn(
            f"lr_schedule='cosine' ended after max_iter={est.max_iter} epochs "
            "of this optimizer, so its learning rate is 0 and this call does "
            "not change the weights. Raise max_iter, or start the schedule "
            "again with optimizer_state='reset' or a new fit.",
            UserWarning,
        )
    if val is None and est.early_stopping:
        train, val = _validation_split(est, train, random_state)
    # After the split, which stratifies on (and scores against) true labels.
    train = train._replace(
        Y=smooth_targets(train.Y, est.label_smoothing, est.out_activation_)
    )
    if val is not None and est.validation_scores_ is None:
        # A user validation set without early stopping: record it too.
        est.validation_scores_, est.validation_loss_curve_ = [], []
        est.best_validation_score_, est.best_validation_loss_ = -np.inf, np.inf
    if not est.early_stopping and est.best_loss_ is None:
        # Early stopping was on in an earlier call (it tracks no best
        # training loss); the training loss is tracked from here on.
        est.best_loss_ = np.inf
    restore = est.early_stopping or est.restore_best_weights

    X, Y, sample_weight, train_rows = train
    # Positions of the training rows in X: all of them, or those the
    # early-stopping split kept.
    sample_idx = np.arange(X.shape[0], dtype=int) if train_rows is None else train_rows
    n_samples = sample_idx.shape[0]
    batch_size = _batch_size(est, n_samples)
    take = _BatchTaker(X, batch_size)
    take_y = _BatchTaker(Y, batch_size)  # 14 against 34 us for Y[rows]
    grad = as_params(np.empty_like(params.flat), est._layer_units)
    out = [
        np.empty((batch_size, units), dtype=params.flat.dtype)
        for units in est._layer_units[1:]
    ]
    checkpoint = _Checkpoint(params, optimizer, clock)
    n_coef = params.n_coef
    dropout = est._dropout_rates()
    # float32 weights that the L2 penalty decays go subnormal after a few
    # dozen epochs and slow every operation on them several-fold (see
    # skmlp._fpenv). float64 is left exact: it is the scikit-learn oracle.
    flush = params.flat.dtype == np.float32

    # Overflow is detected below (non-finite loss, weights, optimizer state
    # or output) and answered with a ConvergenceWarning and the last good
    # weights, so NumPy's own RuntimeWarnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            est.n_iter_ = 0
            for _ in range(est.max_iter):
                checkpoint.save(params, optimizer, clock)
                tasks.begin(params)
                rate = _epoch_rate(est, clock)
                optimizer.learning_rate = rate
                if est.shuffle:
                    # Same draw as scikit-learn: the previous order, permuted.
                    sample_idx = shuffle(sample_idx, random_state=random_state)
                accumulated_loss = 0.0
                problem = None
                # Only around the NumPy updates: callbacks and the
                # validation pass run in the caller's floating-point mode.
                with flush_subnormals(flush):
                    for batch in gen_batches(n_samples, batch_size):
                        rows = (
                            batch
                            if train_rows is None and not est.shuffle
                            else sample_idx[batch]
                        )
                        X_batch = take(rows)
                        if est.augment is not None:  # training rows only
                            X_batch = est.augment.transform_batch(X_batch, random_state)
                        Y_batch = take_y(rows)
                        sw_batch = (
                            None if sample_weight is None else sample_weight[rows]
                        )
                        if sw_batch is not None and not sw_batch.sum(dtype=float):
                            # Only zero-weight rows: nothing to learn from
                            # (and nothing to normalise by). No step.
                            continue
                        m = X_batch.shape[0]
                        acts, inputs, masks = forward(
                            X_batch,
                            params,
                            est.activation,
                            est.out_activation_,
                            out=[o[:m] for o in out],
                            dropout=dropout,
                            random_state=random_state,
                        )
                        batch_loss = loss(
                            Y_batch,
                            acts[-1],
                            est.out_activation_,
                            params,
                            est.alpha,
                            sw_batch,
                        )
                        if not np.isfinite(batch_loss):
                            problem = "the loss became non-finite (%r)" % batch_loss
                            break
                        backward(
                            acts,
                            inputs,
                            Y_batch,
                            params,
                            est.activation,
                            est.out_activation_,
                            est.alpha,
                            grad,
                            sw_batch,
                            masks,
                        )
                        if est.max_grad_norm is not None:
                            # The gradient is one vector: its global norm is one call.
                            norm = np.linalg.norm(grad.flat)
                            if norm > est.max_grad_norm:
                                np.multiply(
                                    grad.flat, est.max_grad_norm / norm, out=grad.flat
                                )
                        optimizer.step(params.flat, grad.flat)
                        if est.weight_decay:
                            # Decoupled (AdamW-style) decay of the weights, not biases.
                            params.flat[:n_coef] *= 1 - rate * est.weight_decay
                        accumulated_loss += batch_loss * m

                problem = problem or _non_finite(est, params, optimizer, X_batch)
                if problem:
                    checkpoint.restore(params, optimizer, clock)
                    tasks.abandon()
                    warnings.warn(
                        "Training stopped in epoch %d: %s. The weights of the "
                        "last finite epoch are kept. Scale the inputs (e.g. "
                        "StandardScaler) or lower learning_rate_init."
                        % (est.n_iter_ + 1, problem),
                        ConvergenceWarning,
                    )
                    break

                est.n_iter_ += 1
                clock["epoch"] += 1
                est.loss_ = accumulated_loss / n_samples
                est.t_ += n_samples
                est.loss_curve_.append(est.loss_)
                est.learning_rate_curve_.append(rate)
                if est.verbose:
                    print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))
                _monitor(est, params, val)

                # The epoch is complete: close its callback task before
                # deciding whether training goes on.
                stop_requested = tasks.end(params)
                if est._no_improvement_count > est.n_iter_no_change:
                    if _plateau(est, clock, _plateau_message(est)):
                        # Only validation-based early stopping ends a run of
                        # partial_fit calls; a training-loss plateau does not
                        # (scikit-learn's partial_fit carries on).
                        if incremental and est.early_stopping:
                            est._stopped_early = True
                        break
                    est._no_improvement_count = 0
                if stop_requested:
                    if est.verbose:
                        print("A callback asked to stop training.")
                    break
                if incremental:
                    break
                if est.n_iter_ == est.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) reached "
                        "and the optimization hasn't converged yet." % est.max_iter,
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            # The batch in flight may have been half-applied: go back to the
            # last completed epoch, optimizer state included.
            checkpoint.restore(params, optimizer, clock)
            tasks.abandon()
            warnings.warn("Training interrupted by user.")

        if not hasattr(est, "loss_"):
            # Stopped in the very first epoch: report the kept weights' loss.
            P = est._output(X, params, rows=train_rows)
            if train_rows is not None:
                Y = Y[train_rows]
                sample_weight = (
                    None if sample_weight is None else sample_weight[train_rows]
                )
            est.loss_ = loss(
                Y, P, est.out_activation_, params, est.alpha, sample_weight
            )

    # Kept as plain arrays and numbers so that skops can load it safely.
    est._optimizer_state = {"solver": est.solver, **optimizer.state(), **clock}
    if restore and (not incremental or getattr(est, "_stopped_early", False)):
        params.flat[...] = est._best_flat
    return params


def _lbfgs_options(est):
    options = {"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol}
    # scipy < 1.15 prints through ``iprint``; newer versions removed it.
    scipy_version = tuple(int(p) for p in scipy.__version__.split(".")[:2])
    if scipy_version < (1, 15):
        options["iprint"] = 1 if est.verbose else -1
    return options


def fit_lbfgs(est, params, train, tasks):
    """Minimise the full-batch loss with scipy's L-BFGS-B.

    The objective is :func:`skmlp._network.loss_and_gradient` in the
    model's dtype; scipy works on a float64 copy of the flat vector.

    Parameters
    ----------
    est : NumpyMLPClassifier
        The estimator being fitted; ``n_iter_``, ``loss_`` and
        ``loss_curve_`` are set.
    params : Params
        Starting parameters, overwritten with the solution.
    train : TrainingSet
        Training data in the model dtype.
    tasks : FitTasks
        Callback tasks; one is opened per L-BFGS iteration.

    Returns
    -------
    params : Params
        The same object, holding the solution.
    """
    X, Y, sample_weight, _ = train  # no split: lbfgs ignores early_stopping
    Y = smooth_targets(Y, est.label_smoothing, est.out_activation_)
    dtype = params.flat.dtype
    work = params.flat.copy()  # the point scipy asks about, in our dtype
    layer_units = est._layer_units

    flush = dtype == np.float32  # as in fit_stochastic; not scipy's float64

    def objective(x):
        work[...] = x
        with flush_subnormals(flush):
            value, grad = loss_and_gradient(
                work,
                X,
                Y,
                layer_units,
                est.activation,
                est.out_activation_,
                est.alpha,
                sample_weight,
            )
        return value, grad.astype(np.float64)

    curve = []
    completed = {"x": None, "stopped": False}

    def end_of_iteration(intermediate_result):
        # scipy calls this once per completed iteration.
        curve.append(float(intermediate_result.fun))
        completed["x"] = intermediate_result.x.copy()
        reached = as_params(completed["x"].astype(dtype), layer_units)
        if tasks.end(reached):
            completed["stopped"] = True
            if est.verbose:
                print("A callback asked to stop training.")
            raise StopIteration  # scipy ends the run cleanly
        tasks.begin(reached, name="lbfgs-iter")

    tasks.begin(params, name="lbfgs-iter")
    try:
        # A non-finite result is rejected by the caller with a clear error;
        # NumPy's overflow warnings on the way would only be noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = scipy.optimize.minimize(
                objective,
                params.flat.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                options=_lbfgs_options(est),
                callback=end_of_iteration,
            )
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")
        if completed["x"] is not None:
            params.flat[...] = completed["x"]
        est.n_iter_ = len(curve)
        est.loss_ = curve[-1] if curve else np.nan
        est.loss_curve_ = curve
        return params

    n_iter = min(result.nit, est.max_iter)
    if result.status != 0 and not completed["stopped"]:
        msg = (
            f"lbfgs failed to converge after {n_iter} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if n_iter == est.max_iter:
            msg += (
                "\nIncrease the number of iterations to improve the "
                f"convergence (max_iter={est.max_iter})."
            )
        msg += (  # the whole of scikit-learn's message
            "\nYou might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html"
        )
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    est.n_iter_ = n_iter
    est.loss_ = float(result.fun)
    est.loss_curve_ = curve
    params.flat[...] = result.x.astype(dtype)
    return params
