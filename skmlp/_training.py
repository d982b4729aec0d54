"""The stochastic trainer: the epoch loop and its parts.

The layer between the estimator and the pure core
(:mod:`skmlp._network`, :mod:`skmlp._optimizers`).  A trainer takes a
:class:`~skmlp._fit_data.FitProblem` (what the estimator prepared) and
returns a :class:`~skmlp._fit_data.FitResult` (what the estimator commits);
it never reads nor writes the estimator.  The core never imports from here.

(The full-batch L-BFGS trainer is :mod:`skmlp._lbfgs`.)  Top down:

- :func:`fit_stochastic` builds a :class:`FitRun` and runs it;
- :meth:`FitRun.run` is the epoch loop: ``begin_epoch``, ``run_epoch``,
  ``end_epoch`` until one says stop;
- :meth:`FitRun.run_epoch` feeds the minibatches to :func:`train_step`;
- :func:`train_step` is one minibatch: forward, loss, backward, then
  :func:`apply_update` (clipping, optimizer step, weight decay).

The loops reproduce scikit-learn 1.9's ``MLPClassifier`` step for step
(same random draws in the same order, same stopping rules, same messages),
so that ``dtype=float64`` and the same ``random_state`` give the same
``coefs_``.
"""

import contextlib
import functools
import warnings
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

from ._fit_data import (
    BatchTaker,
    FitResult,
    TrainingSet,
    ValidationSet,
    network_output,
)
from ._fit_state import Checkpoint, History, pack_optimizer_state, resume_optimizer
from ._fpenv import flush_subnormals
from ._losses import LOSSES, smooth_targets
from ._monitor import EarlyStopping
from ._network import (
    as_params,
    backward,
    forward,
    l2_coefficient,
    loss,
)
from ._schedules import Clock
from ._sparse_rows import SparseRowTaker, skips_zeros

__all__ = [
    "FitRun",
    "SMALL_PRODUCT",
    "TrainingSet",
    "ValidationSet",
    "apply_update",
    "blas_limit",
    "blas_threads",
    "effective_blas_limit",
    "fit_stochastic",
    "non_finite_problem",
    "resume_monitor",
    "shuffled",
    "train_step",
    "training_sets",
    "validation_split",
]


def validation_split(train, fraction, classes, decode, random_state):
    """Hold out ``fraction`` of the training data, as scikit-learn does.

    Like scikit-learn the split is stratified when there is one output
    column (binary targets); the draw comes from the same ``random_state``
    right after the weights are initialised.

    Parameters
    ----------
    train : TrainingSet
        All the training data, hard targets.
    fraction : float
        ``validation_fraction``.
    classes : ndarray of shape (n_classes,)
        The class labels (for the error message).
    decode : callable
        ``decode(Y) -> labels`` of binarized targets.
    random_state : numpy.random.RandomState

    Returns
    -------
    train : TrainingSet
        The kept rows (indices into the same X).
    val : ValidationSet
    """
    X, Y, sample_weight, _ = train
    # Boolean labels, as scikit-learn passes them: same split, same messages.
    stratify = Y.astype(bool) if Y.shape[1] == 1 else None
    # Splitting the row numbers draws exactly what splitting the arrays
    # would (the draws depend only on the number of rows and the labels),
    # and hands out indices instead of a second copy of X.
    try:
        train_rows, val_rows = train_test_split(
            np.arange(X.shape[0]),
            random_state=random_state,
            test_size=fraction,
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
            f"{classes[rare].item()!r}, which has {counts[rare]} "
            "sample(s). Use more data or early_stopping=False."
        ) from exc
    if val_rows.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    sw_val = None if sample_weight is None else sample_weight[val_rows]
    if sample_weight is not None:
        for part, rows in (("validation", val_rows), ("training", train_rows)):
            if not sample_weight[rows].sum(dtype=float):
                raise ValueError(
                    f"Every sample of the early-stopping {part} split has "
                    "weight zero. Change random_state or validation_fraction, "
                    "or pass X_val and y_val."
                )
    Y_val = Y[val_rows]
    return TrainingSet(X, Y, sample_weight, train_rows), ValidationSet(
        X, decode(Y_val), Y_val, sw_val, val_rows
    )


def training_sets(train, val, hp, classes, decode, random_state):
    """The data a trainer gets: split off a validation set if needed, smooth.

    Parameters
    ----------
    train : TrainingSet
        All the training data, hard targets.
    val : ValidationSet or None
        The user's validation set.
    hp : Hyperparameters
    classes, decode, random_state
        As :func:`validation_split`.

    Returns
    -------
    train : TrainingSet
        Targets smoothed (``label_smoothing``), rows those the
        early-stopping split kept.
    val : ValidationSet or None
        None for 'lbfgs', which scores no validation set.
    """
    if hp.solver == "lbfgs":
        val = None
    elif val is None and hp.early_stopping:
        train, val = validation_split(
            train, hp.validation_fraction, classes, decode, random_state
        )
    # After the split, which stratifies on (and scores against) true labels.
    Y = smooth_targets(train.Y, hp.label_smoothing, hp.out_activation)
    return train._replace(Y=Y), val


# ------------------------------------------------------------------ one step
def train_step(params, grad, X, Y, sample_weight, optimizer, hp, rate, out, rng):
    """Train on one minibatch: forward, loss, backward, update.

    Parameters
    ----------
    params : Params
        Parameters, updated in place.
    grad : Params
        Gradient buffer of the same layout, overwritten.
    X : {ndarray, sparse matrix} of shape (n_batch, n_features)
    Y : ndarray of shape (n_batch, n_outputs)
    sample_weight : ndarray of shape (n_batch,) or None
    optimizer : SGD or Adam
        Its ``learning_rate`` is already the epoch's ``rate``.
    hp : Hyperparameters
        ``activation``, ``out_activation``, ``alpha``, ``dropout``,
        ``max_grad_norm`` and ``weight_decay`` are read.
    rate : float
        The epoch's base learning rate (for the weight decay).
    out : list of ndarray of shape (n_batch, n_units)
        Preallocated layer outputs, one per layer after the input.
    rng : numpy.random.RandomState
        Source of the dropout masks.

    Returns
    -------
    batch_loss : float
        The batch's loss before the update.  When it is not finite the
        parameters are left as they were.
    """
    acts, inputs, masks = forward(
        X,
        params,
        hp.activation,
        hp.out_activation,
        out=out,
        dropout=hp.dropout,
        random_state=rng,
    )
    batch_loss = loss(Y, acts[-1], hp.out_activation, params, hp.alpha, sample_weight)
    if not np.isfinite(batch_loss):
        return batch_loss
    # The L2 term goes into the optimizer's single pass over the parameters,
    # unless clipping needs the whole gradient's norm first.
    fold_l2 = hp.max_grad_norm is None
    backward(
        acts,
        inputs,
        Y,
        params,
        hp.activation,
        hp.out_activation,
        hp.alpha,
        grad,
        sample_weight,
        masks,
        add_l2=not fold_l2,
    )
    l2 = l2_coefficient(hp.alpha, Y, sample_weight) if fold_l2 else 0.0
    apply_update(params, grad, optimizer, hp, rate, l2)
    return batch_loss


def apply_update(params, grad, optimizer, hp, rate, l2=0.0):
    """Gradient post-processing, optimizer step and decoupled weight decay.

    The whole update of one batch from its gradient, in one optimizer call:
    the L2 term, the clipping scale and the decay are folded into the
    step's single pass over the parameters (one compiled loop with the
    numba kernels; the NumPy reference gives the same floats).

    Parameters
    ----------
    params : Params
        Parameters, updated in place.
    grad : Params
        The batch's gradient (its content afterwards is unspecified).
    optimizer : SGD or Adam
    hp : Hyperparameters
        ``max_grad_norm`` and ``weight_decay`` are read.
    rate : float
        The epoch's base learning rate.
    l2 : float, default=0.0
        The L2 coefficient ``alpha / S`` when ``grad`` lacks the L2 term
        (:func:`~skmlp._network.backward` with ``add_l2=False``).
    """
    scale = 1.0
    if hp.max_grad_norm is not None:
        # The gradient is one vector: its global norm is one call.
        norm = np.linalg.norm(grad.flat)
        if norm > hp.max_grad_norm:
            scale = hp.max_grad_norm / norm
    optimizer.step(
        params.flat,
        grad.flat,
        l2=l2,
        n_coef=params.n_coef,
        scale=scale,
        # Decoupled (AdamW-style) decay of the weights, not biases.
        decay=rate * hp.weight_decay,
    )


# ------------------------------------------------------------- BLAS threads
SMALL_PRODUCT = 2**21
"""Multiply-adds of a training step's largest BLAS product below which the
minibatches run on one BLAS thread.  Such products are too small to share:
on the quiet 2-core machine of ``benchmarks/RESULTS.md`` a second thread
bought 4% on the 784-25-15-10 network in float64 (whose products after the
sparse first layer are 200 x 25 x 15), while with one other busy process
``skmlp train``'s default (768 units: 200 x 768 x 10 after the sparse first
layer) took 23-35 s on OpenBLAS's two threads against 7.7 s on one, every
small product waiting for the busy core.  (OpenBLAS rounds some small
float32 products differently on one thread and on two: such a fit's floats
now do not depend on the number of cores.)"""


def blas_threads(layer_units, batch_size, sparse_first):
    """BLAS threads for the minibatches: 1 when every product is small.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input and output included.
    batch_size : int
    sparse_first : bool
        Whether the first layer's products skip zeros (compiled, not BLAS).

    Returns
    -------
    limit : int or None
        1, or None to leave BLAS's thread count as it is.
    """
    sizes = [batch_size * a * b for a, b in pairwise(layer_units)]
    if sparse_first:
        sizes = sizes[1:]
    return 1 if max(sizes, default=0) < SMALL_PRODUCT else None


@functools.cache
def _blas_controller():
    # Built once: a fresh threadpool_limits scans the loaded libraries
    # (5 ms), the controller's limit does not (0.06 ms, every epoch).
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def effective_blas_limit(limit):
    """``limit``, or None when BLAS runs on no more threads already.

    Entering a limit that changes nothing (in a search's worker, or at one
    thread) costs tens of microseconds an epoch for nothing; asked once a
    fit.
    """
    if limit is None:
        return None
    libraries = _blas_controller().select(user_api="blas").lib_controllers
    return None if all(lib.num_threads <= limit for lib in libraries) else limit


def shuffled(rows, random_state):
    """``sklearn.utils.shuffle(rows, random_state=random_state)``, cheaply.

    The same draw without its input checks, which cost more than the
    permutation itself once an epoch: ``shuffle`` permutes ``arange(n)``
    with ``random_state.shuffle`` and indexes with it; the same swaps on a
    copy of the rows give the same order (the draws do not depend on the
    values).  A test holds it to scikit-learn's.
    """
    order = rows.copy()
    random_state.shuffle(order)
    return order


def blas_limit(limit):
    """A context running BLAS on at most ``limit`` threads (None: unchanged)."""
    if limit is None:
        return contextlib.nullcontext()
    return _blas_controller().limit(limits=limit, user_api="blas")


# -------------------------------------------------------------- around epochs
def _stochastic_state(problem):
    """The fitted state a stochastic fit continues: the estimator's, or none
    for a fresh fit and a warm start from 'lbfgs' (which has no curves)."""
    fitted = problem.fitted
    return fitted if "learning_rate_curve_" in fitted else {}


def resume_monitor(problem):
    """The :class:`~skmlp._monitor.EarlyStopping` monitor of a fit."""
    return EarlyStopping.resume(
        problem.hp.monitor_settings(),
        _stochastic_state(problem),
        problem.params.flat,
        validating=problem.val is not None,
        incremental=problem.mode.incremental,
    )


def evaluate(params, val, hp, decode):
    """Accuracy and log loss of ``params`` on the validation set.

    Accuracy is NaN when the network output is not finite, as in
    scikit-learn; the loss is the data term only (no L2 penalty).
    """
    P = network_output(val.X, params, hp, rows=val.rows)
    if not np.isfinite(P).all():
        return np.nan, np.nan
    value = LOSSES[hp.out_activation](val.Y, P, val.sample_weight)
    score = accuracy_score(val.y, decode(P), sample_weight=val.sample_weight)
    return score, value


def non_finite(params, optimizer, X_batch, hp):
    """What became non-finite during an epoch, or None.

    Beyond the weights and the optimizer state (Adam's ``v`` can overflow to
    inf and silently freeze the weights), the new weights must give a finite
    output on the epoch's last batch: finite but huge weights would
    otherwise be kept and predict NaN.
    """
    return non_finite_problem(
        np.isfinite(params.flat).all(),
        optimizer,
        lambda: np.isfinite(network_output(X_batch, params, hp)).all(),
    )


def non_finite_problem(weights_finite, optimizer, output_finite):
    """:func:`non_finite`'s checks in their order, on what the caller knows.

    Parameters
    ----------
    weights_finite : bool
    optimizer : SGD or Adam
        Its state is checked here.
    output_finite : callable
        ``() -> bool``, asked only when the weights and the state are finite.

    Returns
    -------
    problem : str or None
    """
    if not weights_finite:
        return "the weights became non-finite"
    for value in optimizer.state().values():
        if isinstance(value, np.ndarray) and not np.isfinite(value).all():
            return "the optimizer state became non-finite"
    if not output_finite():
        return "the network's output became non-finite"
    return None


# ---------------------------------------------------------------- the run
@dataclass
class FitRun:
    """Everything one stochastic fit carries, and its named steps.

    Built by :meth:`start` from a :class:`~skmlp._fit_data.FitProblem`;
    :meth:`run` trains and returns the :class:`~skmlp._fit_data.FitResult`.
    Nothing here reads or writes the estimator: the fitted state it
    continues comes in through the problem, and what it leaves goes out
    through the result.

    Attributes
    ----------
    problem : FitProblem
    schedule : Schedule
    monitor : EarlyStopping
    history : History
        This fit's curves (copies of the fitted ones when continuing).
    optimizer : SGD or Adam
    clock : Clock
    checkpoint : Checkpoint
    tasks : FitTasks
        Callback tasks, one per epoch (anything with ``begin``, ``end`` and
        ``abandon``).
    grad : Params
        Gradient buffer.
    out : list of ndarray of shape (batch_size, n_units)
        Layer-output buffers, one per layer after the input.
    take, take_y : BatchTaker or SparseRowTaker
        Gather the rows of a batch of X and Y into reused buffers (X's as
        sparse rows when its zeros are worth skipping).
    sample_idx : ndarray of shape (n_samples,)
        Positions of the training rows in X, in this epoch's order.
    batch_size : int
    batches : list of slice
        The epoch's minibatches, positions in ``sample_idx`` (the same every
        epoch: made once).
    blas_limit : int or None
        BLAS threads for the minibatches (:func:`blas_threads`), None when
        BLAS runs on no more already (:func:`effective_blas_limit`).
    n_iter : int
        Epochs completed by this call.
    loss : float or None
        Training loss of the last completed epoch (the fitted ``loss_``
        until then).
    rate : float
        The current epoch's base learning rate.
    epoch_loss : float
        Mean training loss of the epoch :meth:`run_epoch` just ran.
    """

    problem: object
    schedule: object
    monitor: EarlyStopping
    history: History
    optimizer: object
    clock: Clock
    checkpoint: Checkpoint
    tasks: object
    grad: object
    out: list
    take: object
    take_y: BatchTaker
    sample_idx: np.ndarray
    batch_size: int
    batches: list
    blas_limit: object = None
    n_iter: int = 0
    loss: object = None
    rate: float = 0.0
    epoch_loss: float = 0.0

    @classmethod
    def start(cls, problem, tasks, monitor):
        """The run of ``problem``: optimizer, history and buffers.

        Parameters
        ----------
        problem : FitProblem
        tasks : FitTasks
        monitor : EarlyStopping
            See :func:`resume_monitor`.
        """
        hp, train, params = problem.hp, problem.train, problem.params
        optimizer, clock = resume_optimizer(problem)
        rows = train.rows
        sample_idx = np.arange(train.X.shape[0], dtype=int) if rows is None else rows
        batch_size = hp.resolved_batch_size(sample_idx.shape[0])
        sparse = skips_zeros(train.X, problem.layer_units[1], hp.augment)
        return cls(
            problem=problem,
            schedule=hp.schedule(),
            monitor=monitor,
            history=History.resume(_stochastic_state(problem), problem.val is not None),
            optimizer=optimizer,
            clock=clock,
            checkpoint=Checkpoint(params, clock),
            tasks=tasks,
            grad=as_params(np.empty_like(params.flat), problem.layer_units),
            out=[
                np.empty((batch_size, units), dtype=params.flat.dtype)
                for units in problem.layer_units[1:]
            ],
            take=SparseRowTaker(train.X) if sparse else BatchTaker(train.X, batch_size),
            take_y=BatchTaker(train.Y, batch_size),  # 14 against 34 us for Y[rows]
            sample_idx=sample_idx,
            batch_size=batch_size,
            blas_limit=effective_blas_limit(
                blas_threads(problem.layer_units, batch_size, sparse)
            ),
            batches=list(gen_batches(len(sample_idx), batch_size)),
            loss=problem.fitted.get("loss_"),
        )

    def run(self):
        """Train epoch after epoch until a stop; the result to commit.

        Overflow is detected (non-finite loss, weights, optimizer state or
        output) and answered with a ConvergenceWarning and the last good
        weights, so NumPy's own RuntimeWarnings would only be noise.
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                for _ in range(self.problem.hp.max_iter):
                    self.begin_epoch()
                    failure = self.run_epoch()
                    if failure:
                        self.abandon_epoch(failure)
                        break
                    if self.end_epoch():
                        break
            except KeyboardInterrupt:
                # The batch in flight may have been half-applied: go back to
                # the last completed epoch, optimizer state included.
                self.undo_epoch()
                warnings.warn("Training interrupted by user.")
            if self.loss is None:
                self.loss = self.kept_loss()
        return self.result()

    def begin_epoch(self):
        """Checkpoint, open the epoch's task, set its rate, shuffle."""
        params, hp = self.problem.params, self.problem.hp
        self.checkpoint.save(params, self.optimizer, self.clock)
        self.tasks.begin(params)
        self.rate = self.schedule.rate(self.clock)
        self.optimizer.learning_rate = self.rate
        if hp.shuffle:
            # Same draw as scikit-learn: the previous order, permuted.
            self.sample_idx = shuffled(self.sample_idx, self.problem.random_state)

    def run_epoch(self):
        """One pass over the training rows, a minibatch at a time.

        Returns
        -------
        failure : str or None
            What became non-finite, or None for a good epoch (whose mean
            loss is then ``self.epoch_loss``).
        """
        p = self.problem
        params, hp, (_, _, sample_weight, train_rows) = p.params, p.hp, p.train
        n_samples = self.sample_idx.shape[0]
        slices = train_rows is None and not hp.shuffle
        accumulated_loss = 0.0
        # float32 weights that the L2 penalty decays go subnormal after a
        # few dozen epochs and slow every operation on them several-fold
        # (see skmlp._fpenv); float64 is left exact: it is the oracle.  Only
        # around the NumPy updates: callbacks and the validation pass run
        # in the caller's floating-point mode.
        with (
            flush_subnormals(params.flat.dtype == np.float32),
            blas_limit(self.blas_limit),
        ):
            for batch in self.batches:
                rows = batch if slices else self.sample_idx[batch]
                X_batch, Y_batch = self.take(rows), self.take_y(rows)
                if hp.augment is not None:  # training rows only, never predict
                    X_batch = hp.augment.transform_batch(X_batch, p.random_state)
                sw_batch = None if sample_weight is None else sample_weight[rows]
                if sw_batch is not None and not sw_batch.sum(dtype=float):
                    # Only zero-weight rows: nothing to learn from (and
                    # nothing to normalise by). No step.
                    continue
                m = X_batch.shape[0]
                out = [o[:m] for o in self.out]
                batch_loss = train_step(
                    params, self.grad, X_batch, Y_batch, sw_batch,
                    self.optimizer, hp, self.rate, out, p.random_state,
                )  # fmt: skip
                if not np.isfinite(batch_loss):
                    return "the loss became non-finite (%r)" % batch_loss
                accumulated_loss += batch_loss * m
        self.epoch_loss = accumulated_loss / n_samples
        return non_finite(params, self.optimizer, X_batch, hp)

    def end_epoch(self):
        """Close a completed epoch; True when training must stop.

        The order matters:

        1. record the epoch: counters, clock, loss and rate curves;
        2. monitor: score the validation set, count (no) improvement, keep
           the best weights;
        3. callbacks: close the epoch's task, which may ask to stop;
        4. plateau: after more than ``n_iter_no_change`` epochs without
           improvement the schedule lowers the rate ('adaptive') or
           training stops;
        5. a callback's stop request ends training;
        6. ``partial_fit`` runs one epoch;
        7. ``max_iter`` reached: warn that training has not converged.
        """
        hp = self.problem.hp
        self.record_epoch()
        self.monitor_epoch()
        stop_requested = self.tasks.end(self.problem.params, self.progress)
        if self.monitor.plateau and self.on_plateau():
            return True
        if stop_requested:
            if hp.verbose:
                print("A callback asked to stop training.")
            return True
        if self.problem.mode.incremental:
            return True
        if self.n_iter == hp.max_iter:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached "
                "and the optimization hasn't converged yet." % hp.max_iter,
                ConvergenceWarning,
            )
        return False

    def record_epoch(self):
        """Count the epoch and record its loss and rate."""
        self.n_iter += 1
        self.clock.epoch += 1
        self.clock.t += self.sample_idx.shape[0]
        self.loss = self.epoch_loss
        self.history.loss.append(self.loss)
        self.history.learning_rate.append(self.rate)
        if self.problem.hp.verbose:
            print("Iteration %d, loss = %.8f" % (self.n_iter, self.loss))

    def monitor_epoch(self):
        """Score the validation set, if any, and update the monitor."""
        p = self.problem
        validation = None
        if p.val is not None:
            validation = evaluate(p.params, p.val, p.hp, p.decode)
            self.history.validation_scores.append(validation[0])
            self.history.validation_loss.append(validation[1])
            if p.hp.verbose:
                print("Validation score: %f" % validation[0])
        self.monitor.update(self.loss, validation, p.params.flat)

    def on_plateau(self):
        """Lower the rate or stop after a plateau; True when training stops."""
        msg = self.monitor.settings.plateau_message()
        go_on = self.schedule.on_plateau(self.clock)
        if self.problem.hp.verbose:
            if go_on:
                rate = self.schedule.rate(self.clock)
                print(msg + " Setting learning rate to %f" % rate)
            elif self.schedule.adaptive:
                print(msg + " Learning rate too small. Stopping.")
            else:
                print(msg + " Stopping.")
        return self.monitor.should_stop(go_on, self.problem.mode.incremental)

    def undo_epoch(self):
        """Go back to the epoch's checkpoint and abandon its task."""
        self.checkpoint.restore(self.problem.params, self.optimizer, self.clock)
        self.tasks.abandon()

    def abandon_epoch(self, failure):
        """Undo an epoch that became non-finite, and say so."""
        self.undo_epoch()
        warnings.warn(
            "Training stopped in epoch %d: %s. The weights of the last finite "
            "epoch are kept. Scale the inputs (e.g. StandardScaler) or lower "
            "learning_rate_init." % (self.n_iter + 1, failure),
            ConvergenceWarning,
        )

    def kept_loss(self):
        """Loss of the kept weights, when no epoch completed (``loss_``)."""
        p = self.problem
        X, Y, sample_weight, rows = p.train
        P = network_output(X, p.params, p.hp, rows=rows)
        if rows is not None:
            Y = Y[rows]
            sample_weight = None if sample_weight is None else sample_weight[rows]
        return loss(Y, P, p.hp.out_activation, p.params, p.hp.alpha, sample_weight)

    def progress(self):
        """The public fitted attributes so far (copies), for callbacks."""
        public = {**self.history.attributes(), **self.monitor.attributes()}
        return {
            "n_iter_": self.n_iter,
            "loss_": self.loss,
            "t_": self.clock.t,
            **{
                name: list(value) if isinstance(value, list) else value
                for name, value in public.items()
                if not name.startswith("_")
            },
        }

    def result(self):
        """The parameters to keep and the fitted attributes to set."""
        p = self.problem
        self.monitor.restore_best(p.params.flat, p.mode.incremental)
        attributes = {
            "n_iter_": self.n_iter,
            "loss_": self.loss,
            "t_": self.clock.t,
            # Kept as plain arrays and numbers so that skops can load it.
            "_optimizer_state": pack_optimizer_state(
                p.hp.solver, self.optimizer.state(), self.clock
            ),
            **self.history.attributes(),
            **self.monitor.attributes(),
        }
        return FitResult(p.params, attributes)


def fit_stochastic(problem, tasks):
    """Run sgd/adam epochs on a prepared fit.

    Parameters
    ----------
    problem : FitProblem
        The prepared fit; ``problem.params`` are trained in place.
    tasks : FitTasks
        Callback tasks; one is opened per epoch.

    Returns
    -------
    result : FitResult
        ``attributes`` is None when nothing was trained: a ``partial_fit``
        after early stopping ended the run of calls.
    """
    monitor = resume_monitor(problem)
    if monitor.stopped_early:
        warnings.warn(
            "Early stopping ended training in an earlier partial_fit call; "
            "this call does not change the model. Call fit to start again.",
            UserWarning,
        )
        return FitResult(problem.params, None)
    run = FitRun.start(problem, tasks, monitor)
    if run.schedule.has_ended(run.clock):
        # The cosine counts the optimizer's epochs across calls (kept state,
        # partial_fit) and ends at 0 after max_iter of them: say so rather
        # than train at rate 0 in silence.
        warnings.warn(
            f"lr_schedule='cosine' ended after max_iter={problem.hp.max_iter} "
            "epochs of this optimizer, so its learning rate is 0 and this call "
            "does not change the weights. Raise max_iter, or start the "
            "schedule again with optimizer_state='reset' or a new fit.",
            UserWarning,
        )
    return run.run()
