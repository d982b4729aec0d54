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

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches, shuffle

from ._network import as_params, backward, forward, loss, loss_and_gradient
from ._optimizers import SGD, Adam

__all__ = ["fit_stochastic", "fit_lbfgs"]


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


def _validation_split(est, X, Y, sample_weight, random_state):
    """Hold out ``validation_fraction`` of the data, as scikit-learn does.

    Like scikit-learn the split is stratified when there is one output
    column (binary targets); the draw comes from the same ``random_state``
    right after the weights are initialised.
    """
    # Boolean labels, as scikit-learn passes them: same split, same messages.
    stratify = Y.astype(bool) if est.n_outputs_ == 1 else None
    arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
    parts = train_test_split(
        *arrays,
        random_state=random_state,
        test_size=est.validation_fraction,
        stratify=stratify,
    )
    X_train, X_val, Y_train, Y_val = parts[:4]
    sw_train, sw_val = parts[4:] if sample_weight is not None else (None, None)
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    y_val = est._label_binarizer.inverse_transform(Y_val)
    return X_train, Y_train, sw_train, X_val, y_val, sw_val


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
        if isinstance(rows, slice):
            return self.X[rows]
        if self.buffer is None:
            return self.X[rows]
        out = self.buffer[: len(rows)]
        return np.take(self.X, rows, axis=0, out=out)


def _validation_accuracy(est, params, X, y, sample_weight):
    """Accuracy of the current weights on the held-out set.

    NaN when the network output is not finite, as in scikit-learn.
    """
    P = est._output(X, params)
    if not np.isfinite(P).all():
        return np.nan
    return accuracy_score(y, est._labels(P), sample_weight=sample_weight)


def _update_no_improvement_count(est, early_stopping, X_val, y_val, sw_val, params):
    if early_stopping:
        score = _validation_accuracy(est, params, X_val, y_val, sw_val)
        est.validation_scores_.append(score)
        if est.verbose:
            print("Validation score: %f" % score)
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_flat = params.flat.copy()
    else:
        if est.loss_curve_[-1] > est.best_loss_ - est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if est.loss_curve_[-1] < est.best_loss_:
            est.best_loss_ = est.loss_curve_[-1]


def _plateau(est, optimizer, msg):
    """Handle ``n_iter_no_change`` epochs without improvement.

    Returns True when training must stop.  With ``learning_rate='adaptive'``
    (sgd) the rate is divided by 5 instead, until it falls below 1e-6.
    """
    if est.solver == "sgd" and est.learning_rate == "adaptive":
        if optimizer.learning_rate <= 1e-6:
            if est.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        optimizer.learning_rate /= 5.0
        if est.verbose:
            print(msg + " Setting learning rate to %f" % optimizer.learning_rate)
        return False
    if est.verbose:
        print(msg + " Stopping.")
    return True


def fit_stochastic(est, params, X, Y, sample_weight, random_state, incremental, tasks):
    """Run sgd/adam epochs on ``params`` and record the fitted counters.

    Parameters
    ----------
    est : NumpyMLPClassifier
        The estimator being fitted; its counters and curves are updated.
    params : Params
        The parameters to train, updated in place.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training inputs in the model dtype.
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets in the model dtype.
    sample_weight : ndarray of shape (n_samples,) or None
        Per-sample weights.
    random_state : numpy.random.RandomState
        Source of the validation split and the shuffles.
    incremental : bool
        True for ``partial_fit``: one epoch, optimizer state kept.
    tasks : FitTasks
        Callback tasks; one is opened per epoch.

    Returns
    -------
    params : Params
        The parameters to keep (the best ones with early stopping).
    """
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    optimizer = _make_optimizer(est, params.flat)
    saved = getattr(est, "_optimizer_state", None)
    if incremental and saved is not None and saved["solver"] == est.solver:
        # load_state copies: a failed call leaves the fitted state untouched.
        optimizer.load_state(saved)

    early_stopping = est.early_stopping
    if early_stopping:
        X, Y, sample_weight, X_val, y_val, sw_val = _validation_split(
            est, X, Y, sample_weight, random_state
        )
    else:
        X_val = y_val = sw_val = None

    n_samples = X.shape[0]
    batch_size = _batch_size(est, n_samples)
    take = _BatchTaker(X, batch_size)
    grad = as_params(np.empty_like(params.flat), est._layer_units)
    out = [
        np.empty((batch_size, units), dtype=params.flat.dtype)
        for units in est._layer_units[1:]
    ]
    sample_idx = np.arange(n_samples, dtype=int)
    last_finite = params.flat.copy()

    try:
        est.n_iter_ = 0
        for _ in range(est.max_iter):
            tasks.begin(params)
            if est.shuffle:
                # Same draw as scikit-learn: the previous order, permuted.
                sample_idx = shuffle(sample_idx, random_state=random_state)
            accumulated_loss = 0.0
            for batch in gen_batches(n_samples, batch_size):
                rows = sample_idx[batch] if est.shuffle else batch
                X_batch = take(rows)
                Y_batch = Y[rows]
                sw_batch = None if sample_weight is None else sample_weight[rows]
                m = X_batch.shape[0]
                acts, inputs = forward(
                    X_batch,
                    params,
                    est.activation,
                    est.out_activation_,
                    out=[o[:m] for o in out],
                )
                batch_loss = loss(
                    Y_batch,
                    acts[-1],
                    est.out_activation_,
                    params,
                    est.alpha,
                    sw_batch,
                )
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
                )
                optimizer.step(params.flat, grad.flat)
                accumulated_loss += batch_loss * m

            epoch_loss = accumulated_loss / n_samples
            if not (np.isfinite(epoch_loss) and np.isfinite(params.flat).all()):
                # Keep the last finite weights instead of a NaN model.
                params.flat[...] = last_finite
                warnings.warn(
                    "Training stopped at epoch %d: the loss became non-finite "
                    "(%r). The weights of the last finite epoch are kept. Scale "
                    "the inputs (e.g. StandardScaler) or lower learning_rate_init."
                    % (est.n_iter_ + 1, epoch_loss),
                    ConvergenceWarning,
                )
                break
            last_finite[...] = params.flat

            est.n_iter_ += 1
            est.loss_ = epoch_loss
            est.t_ += n_samples
            est.loss_curve_.append(est.loss_)
            if est.verbose:
                print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))

            _update_no_improvement_count(
                est, early_stopping, X_val, y_val, sw_val, params
            )
            if est.solver == "sgd" and est.learning_rate == "invscaling":
                optimizer.learning_rate = est.learning_rate_init / (
                    (est.t_ + 1) ** est.power_t
                )

            # The epoch is complete: close its callback task before deciding
            # whether training goes on.
            stop_requested = tasks.end(params)
            if est._no_improvement_count > est.n_iter_no_change:
                if early_stopping:
                    msg = (
                        "Validation score did not improve more than "
                        "tol=%f for %d consecutive epochs."
                        % (est.tol, est.n_iter_no_change)
                    )
                else:
                    msg = (
                        "Training loss did not improve more than tol=%f"
                        " for %d consecutive epochs." % (est.tol, est.n_iter_no_change)
                    )
                if _plateau(est, optimizer, msg):
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
                    "Stochastic Optimizer: Maximum iterations (%d) "
                    "reached and the optimization hasn't converged yet." % est.max_iter,
                    ConvergenceWarning,
                )
    except KeyboardInterrupt:
        # The batch in flight may have been half-applied: go back to the
        # last completed epoch.
        params.flat[...] = last_finite
        warnings.warn("Training interrupted by user.")

    # Kept as plain arrays and numbers so that skops can load it safely.
    est._optimizer_state = {"solver": est.solver, **optimizer.state()}
    if early_stopping:
        params.flat[...] = est._best_flat
    return params


def _lbfgs_options(est):
    options = {"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol}
    # scipy < 1.15 prints through ``iprint``; newer versions removed it.
    scipy_version = tuple(int(p) for p in scipy.__version__.split(".")[:2])
    if scipy_version < (1, 15):
        options["iprint"] = 1 if est.verbose else -1
    return options


def fit_lbfgs(est, params, X, Y, sample_weight, tasks):
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
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training inputs in the model dtype.
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets in the model dtype.
    sample_weight : ndarray of shape (n_samples,) or None
        Per-sample weights.
    tasks : FitTasks
        Callback tasks; one is opened per L-BFGS iteration.

    Returns
    -------
    params : Params
        The same object, holding the solution.
    """
    dtype = params.flat.dtype
    work = params.flat.copy()  # the point scipy asks about, in our dtype
    layer_units = est._layer_units

    def objective(x):
        work[...] = x
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
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    est.n_iter_ = n_iter
    est.loss_ = float(result.fun)
    est.loss_curve_ = curve
    params.flat[...] = result.x.astype(dtype)
    return params
