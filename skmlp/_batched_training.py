"""Train many ``NumpyMLPClassifier`` fits of one network shape at once.

:func:`fit_stack` takes members that share the training data ``X`` (one
cross-validation fold), the layer sizes, activation, solver, batch size,
dtype and shuffling, and trains them as one stacked network
(:mod:`skmlp._batched`).  Every member keeps everything else of its own:
initial weights, early-stopping split, shuffles and dropout masks (each
drawn from its own ``random_state`` in the order ``fit`` draws them),
hyperparameters, learning-rate schedule, stopping rule and stopping epoch.
A member's result is the same computation as its standalone ``fit``.

The epoch loop mirrors :func:`skmlp._training.fit_stochastic` rule for rule
(rate, shuffle, batches, non-finite checks, monitor, plateau, max_iter);
after the training-loop redesign (issue 14) its per-member bookkeeping
should become that redesign's monitor and schedule objects.

Members whose rows come in the same order in an epoch (same fold, same
``random_state``, no diverging dropout draws) read one shared batch (one
gather of its rows; their first layer can be one wide product, off by
default: see ``skmlp._batched.WIDE_FIRST_LAYER``); the others gather their
own rows.  Each member's update is its standalone fit's optimizer step
(:func:`skmlp._training.apply_update`).  A finished member leaves the
stack.
"""

import functools
import os
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

from ._batched import (
    Workspace,
    as_stacked,
    backward_stacked,
    forward_stacked,
    loss_stacked,
)
from ._fit_data import Hyperparameters, network_output
from ._fit_state import make_optimizer, pack_optimizer_state
from ._fpenv import flush_subnormals
from ._losses import LOSSES, smooth_targets
from ._member_adapter import (
    finish_member,
    has_callbacks,
    start_member,
    validated_data,
)
from ._monitor import EarlyStopping
from ._network import as_params, l2_coefficient, loss, predict_output
from ._schedules import Clock
from ._sparse_rows import SparseRowTaker, skips_zeros
from ._training import (
    apply_update,
    blas_limit,
    blas_threads,
    effective_blas_limit,
    non_finite_problem,
    shuffled,
)

__all__ = ["stack_key", "fit_stack"]


def stack_key(est):
    """What members must share to train in one stack (besides the data).

    Parameters
    ----------
    est : NumpyMLPClassifier

    Returns
    -------
    key : tuple or None
        None when ``est`` cannot be trained in a stack (then it is fitted
        on its own).
    """
    p = est.get_params()
    if (
        p["solver"] not in ("sgd", "adam")
        or p["warm_start"]
        or p["verbose"]
        or has_callbacks(est)
        # A per-batch transform of the inputs: the stack has none.
        or p.get("augment") is not None
    ):
        return None
    hidden = p["hidden_layer_sizes"]
    hidden = tuple(hidden) if hasattr(hidden, "__iter__") else (hidden,)
    return (
        hidden,
        p["activation"],
        p["solver"],
        p["batch_size"],
        # None (follow X's dtype) kept apart from an explicit dtype.
        None if p["dtype"] is None else np.dtype(p["dtype"]).name,
        bool(p["shuffle"]),
        bool(p["nesterovs_momentum"]) if p["solver"] == "sgd" else None,
        bool(p["early_stopping"]),
        float(p["validation_fraction"]) if p["early_stopping"] else None,
        p["class_weight"] is None,
    )


class _Run:
    """One member's state beside the stacked arrays (its fit's counters)."""

    def __init__(self, est, start):
        self.est, self.start = est, start
        self.rows = start.train_rows
        self.clock = {"epoch": 0, "drops": 0}
        # The member's hyperparameters as its standalone fit reads them.
        self.hp = Hyperparameters.of(
            est.get_params(), out_activation=start.out_activation, dropout=start.dropout
        )
        self.schedule = self.hp.schedule()
        # The standalone fit's optimizer, stepping the member's row of the
        # stack (apply_update: the L2 term, clipping and decay folded in).
        self.optimizer = make_optimizer(self.hp, start.flat)
        self.n_iter = self.t = 0
        self.loss_curve, self.rate_curve = [], []
        es = est.early_stopping
        self.val_scores = [] if es else None
        self.val_losses = [] if es else None
        # The standalone fit's monitor: counters, best scores, best weights.
        self.early = EarlyStopping.resume(
            self.hp.monitor_settings(), {}, start.flat, validating=es, incremental=False
        )
        self.loss = None
        self.acc = 0.0  # the epoch's loss times rows, summed over batches
        self.epoch_rate = None  # the base rate of the current epoch
        self.problem = None  # why the current epoch went non-finite
        self.done = False
        self.l2 = {}  # the L2 coefficient of an unweighted batch, by its rows

    def l2_of(self, Y, sample_weight):
        """``l2_coefficient`` of this member for a batch (``train_step``'s)."""
        if sample_weight is not None:
            return l2_coefficient(self.hp.alpha, Y, sample_weight)
        m = Y.shape[0]
        c = self.l2.get(m)
        if c is None:
            c = self.l2[m] = l2_coefficient(self.hp.alpha, Y, None)
        return c

    def _clock(self):
        return Clock(self.clock["epoch"], self.clock["drops"], self.t)

    def rate(self):
        """Base rate of the coming epoch, from the fit's own Schedule."""
        return self.schedule.rate(self._clock())

    def monitor(self, score, value, flat_row):
        """Record the epoch's validation scores, then update the monitor."""
        validation = None
        if self.start.val is not None:
            self.val_scores.append(score)
            self.val_losses.append(value)
            validation = (score, value)
        self.early.update(self.loss_curve[-1], validation, flat_row)

    def plateau(self):
        """True when a plateau ends training (``Schedule.on_plateau``)."""
        clock = self._clock()
        go_on = self.schedule.on_plateau(clock)
        self.clock["drops"] = clock.drops
        return not go_on


class _Stack:
    """The stacked arrays of the members still training, in ``runs`` order."""

    def __init__(self, runs, X, rows_of_X, fits_skip):
        first = runs[0].est
        self.X, self.runs = X, runs
        self.layer_units = runs[0].start.layer_units
        self.activation = first.activation
        self.out = runs[0].start.out_activation
        self.dtype = X.dtype
        self.n_train = runs[0].rows.shape[0]
        self.batch_size = runs[0].hp.resolved_batch_size(self.n_train)
        # An epoch's batches (gen_batches checks its arguments, every call).
        self.batches = list(gen_batches(self.n_train, self.batch_size))
        self.flat = np.stack([r.start.flat for r in runs])
        Ys = [smooth_targets(r.start.Y, r.est.label_smoothing, self.out) for r in runs]
        # Members with the same targets bit for bit (the same smoothing and
        # class encoding: a grid over other hyperparameters) share one array,
        # and a batch gathers its rows once for all of them.
        same = all(_same_bits(Ys[0], Y) for Y in Ys[1:])
        self.Y_shared = Ys[0] if same else None
        self.Y = self._broadcast_Y(len(runs)) if same else np.stack(Ys)
        sws = [r.start.sample_weight for r in runs]
        self.sw = None if sws[0] is None else np.stack(sws)
        self.taker = _sparse_taker(
            X, self.layer_units[1], len(runs), fits_skip, rows_of_X
        )
        # The members' fits' BLAS threads (OpenBLAS rounds some products
        # differently on one thread and on two): their floats.
        self.blas_limit = effective_blas_limit(
            blas_threads(self.layer_units, self.batch_size, fits_skip)
        )
        self.alpha = np.array([r.est.alpha for r in runs], dtype=float)
        # Members that clip add the L2 term in the backward pass (the norm
        # needs it); the others in their optimizer step, as train_step does.
        self.fold_l2 = np.array([r.hp.max_grad_norm is None for r in runs])
        self.dropout = any(r.start.dropout is not None for r in runs)
        self._views()

    def _views(self):
        """Each member's Params views of ``flat`` and of the gradient buffer."""
        self.grad = np.empty_like(self.flat)
        self.member = [as_params(row, self.layer_units) for row in self.flat]
        self.member_grad = [as_params(row, self.layer_units) for row in self.grad]
        self.stacked = as_stacked(self.flat, self.layer_units)
        self.stacked_grad = as_stacked(self.grad, self.layer_units)
        # The L2 strength backward_stacked adds (0 where the step adds it).
        self.backward_alpha = np.where(self.fold_l2, 0.0, self.alpha)
        self.work = {}  # Workspace and gather buffers, by batch rows

    def _broadcast_Y(self, M):
        """The shared targets seen as every member's (a read-only view)."""
        return np.broadcast_to(self.Y_shared, (M, *self.Y_shared.shape))

    def workspace(self, m, shared):
        """Buffers for a batch of ``m`` rows of every member (reused)."""
        key = (m, shared)
        found = self.work.get(key)
        if found is None:
            M, X = len(self.runs), self.X
            n_x = (m,) if shared else (M, m)
            found = self.work[key] = (
                Workspace(M, m, self.layer_units, self.dtype),
                # a SparseRows batch is not gathered into a buffer
                None
                if shared and self.taker is not None
                else np.empty((*n_x, X.shape[1]), X.dtype),
                # shared rows of shared targets: one block for all members
                np.empty(
                    (*(n_x if self.Y_shared is not None else (M, m)), self.Y.shape[2]),
                    self.Y.dtype,
                ),
                None if self.sw is None else np.empty((M, m), self.sw.dtype),
            )
        return found

    def keep(self, live):
        """Drop the members not in ``live`` (indices into ``runs``)."""
        self.runs = [self.runs[i] for i in live]
        self.flat = self.flat[live]
        self.Y = (
            self._broadcast_Y(len(live)) if self.Y_shared is not None else self.Y[live]
        )
        self.sw = None if self.sw is None else self.sw[live]
        self.alpha = self.alpha[live]
        self.fold_l2 = self.fold_l2[live]
        self._views()

    def checkpoint(self):
        """Copies of the weights, optimizer states and clocks (epoch start)."""
        return (
            self.flat.copy(),
            [_copied(r.optimizer.state()) for r in self.runs],
            [dict(r.clock) for r in self.runs],
        )

    def restore(self, saved, i):
        """Put member ``i`` back to ``saved`` (from :meth:`checkpoint`)."""
        flat, states, clocks = saved
        self.flat[i] = flat[i]
        self.runs[i].optimizer.load_state(states[i])
        self.runs[i].clock.update(clocks[i])

    def params(self, flat=None):
        if flat is None:
            return self.stacked
        return as_stacked(flat, self.layer_units)


# Which shared batches of mostly-zero inputs skip their zeros: "fit", those
# of the members' standalone fits (skips_zeros of one member's first layer),
# so that every member keeps its fit's floats; or "wide", in float32 also
# when the stack's first layers side by side are wide enough (float32 fits
# skip zeros from MIN_WIDTH units).  "wide" was faster on MNIST's 12 x 25 units
# while their fits took BLAS's products (a fold 1.36x) but a float32
# member's floats then differ from its fit's by rounding, and on the
# issue-15 MNIST row that moved two candidates' mean scores by 0.004 and
# changed best_params_ (benchmarks/RESULTS_search.md, speed pass 3): not
# the default.  Set by SKMLP_STACK_SKIP_ZEROS (search workers inherit it).
SKIP_ZEROS = os.environ.get("SKMLP_STACK_SKIP_ZEROS", "fit")


# Members trained at once, at most: a fit_stack of more trains them in
# chunks, one after the other.  Larger stacks leave the caches.  One
# fold's 12 fits of issue 15's grid, one thread, CPU s (speed pass 3 of
# benchmarks/RESULTS_search.md), chunks of 12, 6, 4, 3 members: digits
# (64,) float64 at 20 epochs each 0.86, 0.63, 0.55, 0.60 s and again 0.92,
# 0.65, 0.75 (12 standalone fits 0.73); with their own stopping epochs
# 3.08 against 2.81 s for 12 and 6 (fits 3.44).  (Zen 4, session 8: 1.45
# against 1.51 s for 12 and 6: the larger L2 cache; 6 stays, as the
# slower machine lost more.)
MAX_MEMBERS = 6

# Members trained at once when their first layer skips X's zeros: one
# zero-skipping product serves all of them, and it costs less per column
# the wider it is (MNIST float32 batches of 200, us per 25 columns:
# forward 64 at 150 columns, 48 at 300; gradient 71 and 51).  One MNIST
# (25, 15) float32 fold, 10 epochs, 5 interleaved runs (session 8,
# bench_stack_fold.py): 12 standalone fits 1.92 s CPU, stacks of 6 1.12,
# one stack of 12 0.90.
MAX_SKIPPING_MEMBERS = 12


def _sparse_taker(X, width, n_members, fits_skip, rows_of_X):
    """A :class:`SparseRowTaker` of X when shared batches skip its zeros.

    When the standalone fit skips them (``fits_skip``, :func:`skips_zeros`
    of its first layer): a member's floats are then its fit's, as the
    zero-skipping sums do not depend on the number of columns.  With
    ``SKIP_ZEROS == "wide"``, float32 stacks also when ``n_members * width``
    columns are wide enough.  ``rows_of_X()`` gives the taker, built once
    for all the stacks of one X.
    """
    skips = fits_skip
    if SKIP_ZEROS == "wide" and X.dtype == np.float32:
        skips = skips_zeros(X, width * n_members)
    return rows_of_X() if skips else None


def _same_bits(a, b):
    """Whether two arrays hold the same floats, bit for bit."""
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _copied(state):
    """An optimizer state with its arrays copied."""
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in state.items()}


def _dropout_masks(runs, live, m, stack):
    """Each live member's masks for one batch, drawn from its own generator.

    Drawn layer by layer as :func:`skmlp._network.forward` draws them; a
    member without dropout on a layer gets a mask of ones (exact no-op).
    """
    n_hidden = len(stack.layer_units) - 2
    if all(runs[i].start.dropout is None for i in live):
        return None
    masks = []
    per_member = {i: [] for i in live}
    for i in live:
        rates = runs[i].start.dropout
        for l in range(n_hidden):
            shape = (m, stack.layer_units[l + 1])
            if rates is None or not rates[l]:
                per_member[i].append(np.ones(shape, dtype=stack.dtype))
                continue
            keep = runs[i].start.random_state.random_sample(shape) >= rates[l]
            mask = keep.astype(stack.dtype)
            mask *= 1 / (1 - rates[l])
            per_member[i].append(mask)
    for l in range(n_hidden):
        masks.append(np.stack([per_member[i][l] for i in live]))
    return masks


def _take(stack, R, shared):
    """The batch's inputs, targets and weights: shared rows or each its own.

    Dense rows are gathered into the stack's reused buffers for a batch of
    this size (``np.take(..., out=..., mode="clip")``: the same values as
    fancy indexing, without a new array; the rows are always in bounds).
    """
    m = R.shape[1]
    _, xbuf, ybuf, swbuf = stack.workspace(m, shared)
    if shared:
        rows = R[0]
        if stack.taker is None:
            Xb = stack.X.take(rows, axis=0, out=xbuf, mode="clip")
        else:
            Xb = stack.taker(rows)
        # One C-contiguous block per member, as the compiled kernels (which
        # give each member its standalone fit's floats) need it; shared
        # targets are gathered once, the same block for every member.
        if stack.Y_shared is not None:
            Yb = np.broadcast_to(
                stack.Y_shared.take(rows, axis=0, out=ybuf, mode="clip"),
                (len(R), *ybuf.shape),
            )
        else:
            Yb = np.take(stack.Y, rows, axis=1, out=ybuf, mode="clip")
        swb = (
            None
            if stack.sw is None
            else np.take(stack.sw, rows, axis=1, out=swbuf, mode="clip")
        )
    else:
        Xb = stack.X.take(R, axis=0, out=xbuf, mode="clip")
        for i, rows in enumerate(R):
            Y = stack.Y[i] if stack.Y_shared is None else stack.Y_shared
            Y.take(rows, axis=0, out=ybuf[i], mode="clip")
            if swbuf is not None:
                stack.sw[i].take(rows, out=swbuf[i], mode="clip")
        Yb, swb = ybuf, swbuf
    return Xb, Yb, swb


def _train_batch(stack, R, shared):
    """One minibatch step of every member that takes it (``train_step``).

    A member skips a batch whose rows all weigh zero, and stops taking
    batches once its loss is not finite, as ``fit_stochastic`` does.

    Returns
    -------
    Xb : ndarray
        The batch's inputs (the epoch's last one is checked for overflow).
    """
    runs = stack.runs
    Xb, Yb, swb = _take(stack, R, shared)
    live = [
        i
        for i, run in enumerate(runs)
        if run.problem is None and (swb is None or swb[i].sum(dtype=float))
    ]
    if not live:
        return Xb
    every = len(live) == len(runs)
    m = Xb.shape[-2]
    if every:
        # The stack's own arrays and views, and buffers of this batch size.
        Xb_l, flat, params, grad = Xb, stack.flat, stack.stacked, stack.stacked_grad
        work = stack.workspace(m, shared)[0]
        alpha, fold = stack.alpha, stack.fold_l2
        backward_alpha = stack.backward_alpha
    else:
        Xb_l = Xb if shared else Xb[live]
        Yb, swb = Yb[live], None if swb is None else swb[live]
        flat = stack.flat[live]
        params = stack.params(flat)
        grad = stack.params(np.empty_like(flat))
        work = None
        alpha, fold = stack.alpha[live], stack.fold_l2[live]
        backward_alpha = np.where(fold, 0.0, alpha)
    masks = _dropout_masks(runs, live, m, stack) if stack.dropout else None
    acts, inputs, masks = forward_stacked(
        Xb_l, params, stack.activation, stack.out, masks,
        None if work is None else work.out,
    )  # fmt: skip
    losses = loss_stacked(
        Yb, acts[-1], stack.out, params, alpha, stack.layer_units, swb, work
    )
    backward_stacked(
        acts, inputs, Yb, params, stack.activation, stack.out,
        backward_alpha, grad, swb, masks, work,
    )  # fmt: skip
    finite = np.isfinite(losses)
    for j, i in enumerate(live):
        run = runs[i]
        if not finite[j]:
            run.problem = "the loss became non-finite (%r)" % losses[j]
            continue
        # The member's update is its standalone fit's (train_step).
        g = (
            stack.member_grad[i]
            if every
            else as_params(grad.flat[j], stack.layer_units)
        )
        sw = None if swb is None else swb[j]
        l2 = run.l2_of(Yb[j], sw) if fold[j] else 0.0
        apply_update(stack.member[i], g, run.optimizer, run.hp, run.epoch_rate, l2)
        run.acc += losses[j] * m
    return Xb


def _accuracy(Y, P, sample_weight, out_activation):
    """``accuracy_score`` of the labels ``P`` decodes to, against binarized ``Y``.

    As the label binarizer decodes: the arg-max class for softmax, ``P >
    0.5`` for logistic outputs (every output right for multilabel rows).
    """
    if out_activation == "softmax":
        right = P.argmax(axis=1) == Y.argmax(axis=1)
    else:
        right = ((P > 0.5) == (Y == 1)).all(axis=1)
    return float(np.average(right, weights=sample_weight))


def _validation_scores(stack, members):
    """Accuracy and loss of each of ``members`` on its validation rows.

    Each member's output is its standalone fit's (``network_output`` of
    its validation rows, as ``_training.evaluate`` takes it), bit for bit.
    """
    runs = stack.runs
    vals = [runs[i].start.val for i in members]
    P = [
        network_output(
            stack.X, as_params(stack.flat[i], stack.layer_units), runs[i].hp, v.rows
        )
        for i, v in zip(members, vals)
    ]
    out = []
    for P_m, v in zip(P, vals):
        if not np.isfinite(P_m).all():
            out.append((np.nan, np.nan))
            continue
        value = LOSSES[stack.out](v.Y, P_m, v.sample_weight)
        out.append((_accuracy(v.Y, P_m, v.sample_weight, stack.out), value))
    return out


def _end_epoch(stack, saved, last_X):
    """Close the epoch of every member, in ``fit_stochastic``'s order.

    1. non-finite weights, optimizer state or last-batch output: back to
       the epoch's start, warn, stop; 2. counters and curves; 3. monitor
       (validation pass); 4. plateau (stop, or an adaptive rate drop);
    5. ``max_iter`` reached: warn, stop.
    """
    runs = stack.runs
    # Whether the last batch's output is finite: the stacked forward pass
    # (its fused softmax is finite exactly where the reference's is).
    P = forward_stacked(last_X, stack.params(), stack.activation, stack.out)[0][-1]
    finite_P = np.isfinite(P).reshape(len(runs), -1).all(axis=1)
    finite_flat = np.isfinite(stack.flat).all(axis=1)
    ok = []
    for i, run in enumerate(runs):
        # _training.non_finite's checks, on the whole stack's flags.
        problem = run.problem or non_finite_problem(
            finite_flat[i], run.optimizer, lambda i=i: finite_P[i]
        )
        if problem:
            stack.restore(saved, i)
            warnings.warn(
                "Training stopped in epoch %d: %s. The weights of the "
                "last finite epoch are kept. Scale the inputs (e.g. "
                "StandardScaler) or lower learning_rate_init."
                % (run.n_iter + 1, problem),
                ConvergenceWarning,
            )
            run.done = True
            continue
        run.n_iter += 1
        run.clock["epoch"] += 1
        run.loss = run.acc / stack.n_train
        run.t += stack.n_train
        run.loss_curve.append(run.loss)
        run.rate_curve.append(run.epoch_rate)
        ok.append(i)
    with_val = [i for i in ok if runs[i].start.val is not None]
    scores = (
        dict(zip(with_val, _validation_scores(stack, with_val))) if with_val else {}
    )
    for i in ok:
        run, est = runs[i], runs[i].est
        run.monitor(*scores.get(i, (None, None)), stack.flat[i])
        if run.early.plateau and run.early.should_stop(not run.plateau(), False):
            run.done = True
            continue
        if run.n_iter == est.max_iter:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached "
                "and the optimization hasn't converged yet." % est.max_iter,
                ConvergenceWarning,
            )
            run.done = True


def _result(stack, i):
    """Member ``i``'s trained state, as :func:`finish_member` takes it."""
    run, est = stack.runs[i], stack.runs[i].est
    flat = stack.flat[i].copy()
    loss_value = run.loss
    if loss_value is None:
        # Stopped in the very first epoch: the kept weights' training loss.
        rows = run.rows
        params = as_params(flat, stack.layer_units)
        P = predict_output(stack.X[rows], params, stack.activation, stack.out)
        sw = None if stack.sw is None else stack.sw[i][rows]
        loss_value = loss(stack.Y[i][rows], P, stack.out, params, est.alpha, sw)
    if est.early_stopping or est.restore_best_weights:
        flat[...] = run.early.best_flat
    monitored = run.early.attributes()
    return {
        "flat": flat,
        "best_flat": run.early.best_flat,
        "loss": loss_value,
        "n_iter": run.n_iter,
        "t": run.t,
        "loss_curve": run.loss_curve,
        "learning_rate_curve": run.rate_curve,
        "best_loss": monitored["best_loss_"],
        "validation_scores": run.val_scores,
        "validation_loss_curve": run.val_losses,
        "best_validation_score": monitored["best_validation_score_"],
        "best_validation_loss": monitored["best_validation_loss_"],
        "no_improvement_count": monitored["_no_improvement_count"],
        # Saved as fit saves it (version 2).
        "optimizer_state": pack_optimizer_state(
            est.solver, _copied(run.optimizer.state()), run._clock()
        ),
    }


def _run_epoch(stack):
    """One epoch of every member still training."""
    runs = stack.runs
    saved = stack.checkpoint()
    for run in runs:
        run.epoch_rate = run.rate()
        run.optimizer.learning_rate = run.epoch_rate
        run.acc = 0.0
        if run.est.shuffle:
            # Same draw as fit: the previous order, permuted.
            run.rows = shuffled(run.rows, run.start.random_state)
    R = np.stack([run.rows for run in runs])
    shared = all(np.array_equal(R[0], r) for r in R[1:])
    last_X = None
    with flush_subnormals(stack.dtype == np.float32), blas_limit(stack.blas_limit):
        for batch in stack.batches:
            last_X = _train_batch(stack, R[:, batch], shared)
    _end_epoch(stack, saved, last_X)


def _train(stack, finished):
    """Run epochs until every member has stopped; collect their results."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while stack.runs:
            _run_epoch(stack)
            live = []
            for i, run in enumerate(stack.runs):
                if run.done:
                    finished[id(run.est)] = _result(stack, i)
                else:
                    live.append(i)
            if len(live) < len(stack.runs):
                stack.keep(live)


def fit_stack(estimators, X, y, sample_weight=None):
    """Fit every estimator on ``(X, y)``, all as one stacked network.

    Parameters
    ----------
    estimators : list of NumpyMLPClassifier
        Unfitted members with equal :func:`stack_key` (not None).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None
        Shared by every member (each folds in its own ``class_weight``).

    Returns
    -------
    fitted : list
        For each estimator, itself fitted (as by ``est.fit(X, y,
        sample_weight)``) or the exception its fit raised.
    """
    try:
        Xv, yv, Y = validated_data(estimators[0], X, y)
    except Exception as exc:  # every member would fail alike
        return [exc] * len(estimators)
    outcome, runs = {}, []
    for est in estimators:
        try:
            start = start_member(est, Xv, yv, Y, sample_weight, estimators[0])
            runs.append(_Run(est, start))
        except Exception as exc:
            outcome[id(est)] = exc
    finished = {}
    # Members train independently of each other: a chunk after another
    # gives each its same floats.  X's CSR arrays, if a chunk skips zeros,
    # are built once for all chunks.
    rows_of_X = functools.cache(functools.partial(SparseRowTaker, Xv))
    # Whether the members' fits skip X's zeros (one count of X's zeros).
    fits_skip = bool(runs) and skips_zeros(Xv, runs[0].start.layer_units[1])
    chunk = MAX_SKIPPING_MEMBERS if fits_skip else MAX_MEMBERS
    for start in range(0, len(runs), chunk):
        stack = _Stack(runs[start : start + chunk], Xv, rows_of_X, fits_skip)
        _train(stack, finished)
    fitted = []
    for est in estimators:
        if id(est) in outcome:
            fitted.append(outcome[id(est)])
            continue
        try:
            fitted.append(finish_member(est, finished[id(est)]))
        except Exception as exc:
            fitted.append(exc)
    return fitted
