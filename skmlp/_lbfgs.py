"""The full-batch trainer: scipy's L-BFGS-B on the network's loss.

Like :mod:`skmlp._training`, it takes a :class:`~skmlp._fit_data.FitProblem`
and returns a :class:`~skmlp._fit_data.FitResult`, never touching the
estimator; it reproduces scikit-learn 1.9's ``MLPClassifier`` with
``solver="lbfgs"`` (the same options, warning and iteration count).
"""

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ._fit_data import FitResult
from ._fpenv import flush_subnormals
from ._network import as_params, loss_and_gradient
from ._sparse_rows import SparseRowTaker, skips_zeros

__all__ = ["fit_lbfgs"]


def _lbfgs_options(hp):
    options = {"maxfun": hp.max_fun, "maxiter": hp.max_iter, "gtol": hp.tol}
    # scipy < 1.15 prints through ``iprint``; newer versions removed it.
    scipy_version = tuple(int(p) for p in scipy.__version__.split(".")[:2])
    if scipy_version < (1, 15):
        options["iprint"] = 1 if hp.verbose else -1
    return options


def _lbfgs_objective(problem):
    """``objective(x) -> (loss, float64 gradient)`` at scipy's point ``x``.

    The loss is :func:`skmlp._network.loss_and_gradient` in the model's
    dtype; scipy works on a float64 copy of the flat vector.
    """
    hp, (X, Y, sample_weight, _) = problem.hp, problem.train
    if skips_zeros(X, problem.layer_units[1]):  # every iteration skips them
        X = SparseRowTaker(X)(slice(0, X.shape[0]))
    work = problem.params.flat.copy()  # the point scipy asks about, in our dtype
    flush = work.dtype == np.float32  # as in the epoch loop; not scipy's float64

    def objective(x):
        work[...] = x
        with flush_subnormals(flush):
            value, grad = loss_and_gradient(
                work,
                X,
                Y,
                problem.layer_units,
                hp.activation,
                hp.out_activation,
                hp.alpha,
                sample_weight,
            )
        return value, grad.astype(np.float64)

    return objective


class _LbfgsProgress:
    """scipy's per-iteration callback: the loss curve, the last iterate and
    the callback tasks (which may stop the run)."""

    def __init__(self, problem, tasks):
        self.problem, self.tasks = problem, tasks
        self.curve, self.x, self.stopped = [], None, False

    def __call__(self, intermediate_result):
        # scipy calls this once per completed iteration.
        self.curve.append(float(intermediate_result.fun))
        self.x = intermediate_result.x.copy()
        dtype = self.problem.params.flat.dtype
        reached = as_params(self.x.astype(dtype), self.problem.layer_units)
        if self.tasks.end(reached):
            self.stopped = True
            if self.problem.hp.verbose:
                print("A callback asked to stop training.")
            raise StopIteration  # scipy ends the run cleanly
        self.tasks.begin(reached, name="lbfgs-iter")


def _lbfgs_warning(result, n_iter, max_iter):
    msg = (
        f"lbfgs failed to converge after {n_iter} iteration(s) "
        f"(status={result.status}):\n{result.message}\n"
    )
    if n_iter == max_iter:
        msg += (
            "\nIncrease the number of iterations to improve the "
            f"convergence (max_iter={max_iter})."
        )
    msg += (  # the whole of scikit-learn's message
        "\nYou might also want to scale the data as shown in:\n"
        "    https://scikit-learn.org/stable/modules/preprocessing.html"
    )
    warnings.warn(msg, ConvergenceWarning, stacklevel=3)


def fit_lbfgs(problem, tasks):
    """Minimise the full-batch loss with scipy's L-BFGS-B.

    Parameters
    ----------
    problem : FitProblem
        The prepared fit (no validation set: 'lbfgs' ignores early
        stopping); ``problem.params`` receive the solution.
    tasks : FitTasks
        Callback tasks; one is opened per L-BFGS iteration.

    Returns
    -------
    result : FitResult
        Sets ``n_iter_``, ``loss_`` and ``loss_curve_``.
    """
    params, hp = problem.params, problem.hp
    progress = _LbfgsProgress(problem, tasks)
    tasks.begin(params, name="lbfgs-iter")
    try:
        # A non-finite result is rejected by the caller with a clear error;
        # NumPy's overflow warnings on the way would only be noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = scipy.optimize.minimize(
                _lbfgs_objective(problem),
                params.flat.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                options=_lbfgs_options(hp),
                callback=progress,
            )
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")
        if progress.x is not None:
            params.flat[...] = progress.x
        curve = progress.curve
        return FitResult(
            params,
            {
                "n_iter_": len(curve),
                "loss_": curve[-1] if curve else np.nan,
                "loss_curve_": curve,
            },
        )
    n_iter = min(result.nit, hp.max_iter)
    if result.status != 0 and not progress.stopped:
        _lbfgs_warning(result, n_iter, hp.max_iter)
    params.flat[...] = result.x.astype(params.flat.dtype)
    return FitResult(
        params,
        {"n_iter_": n_iter, "loss_": float(result.fun), "loss_curve_": progress.curve},
    )
