"""What a trainer is given and what it gives back (estimator side).

The interface between the estimator and the trainers of
:mod:`skmlp._training`:

- :class:`Hyperparameters`: the estimator parameters training reads, frozen;
- :class:`TrainingSet` / :class:`ValidationSet`: the data, in the model dtype;
- :class:`FitProblem`: one prepared fit (all of the above, the starting
  parameters and the fitted state to continue);
- :class:`FitResult`: the trained parameters and the fitted attributes to
  set, which the estimator commits in one place;
- :func:`continued_params`, :func:`network_output` and
  :class:`BatchTaker`: parameters, outputs and batches for a trainer.

The estimator side is ``NumpyMLPClassifier._fit``: ``mode =
FitMode.of(...)``, ``problem = self._prepare(...)``, ``result =
fit_stochastic(problem, tasks)`` (or ``fit_lbfgs``), ``self._commit(result)``.
A trainer that fits many networks at once builds one :class:`FitProblem`
per network (or shares its data) and returns one :class:`FitResult` each.
"""

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ._fit_state import FitMode
from ._monitor import MonitorSettings
from ._network import Params, as_params, n_params, predict_chunked
from ._schedules import Schedule

__all__ = [
    "GATHER_CHUNK",
    "PREDICT_CHUNK",
    "BatchTaker",
    "FitProblem",
    "FitResult",
    "Hyperparameters",
    "TrainingSet",
    "ValidationSet",
    "continued_params",
    "network_output",
]


class TrainingSet(NamedTuple):
    """Training data in the model's dtype.

    Attributes
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets (smoothed once prepared, see :class:`FitProblem`).
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


@dataclass(frozen=True)
class Hyperparameters:
    """The estimator parameters that training reads, by the same names.

    Build it with :meth:`of`; the steps and loops of
    :mod:`skmlp._training` read nothing else of the estimator.  Two fields
    are fitted values rather than parameters: ``out_activation`` (the
    output layer the targets call for) and ``dropout`` (the checked rates).
    """

    activation: str
    out_activation: str
    dropout: object  # list of float (one per hidden layer) or None
    alpha: float
    solver: str
    batch_size: object
    learning_rate: str
    learning_rate_init: float
    power_t: float
    max_iter: int
    shuffle: bool
    tol: float
    verbose: bool
    momentum: float
    nesterovs_momentum: bool
    early_stopping: bool
    validation_fraction: float
    beta_1: float
    beta_2: float
    epsilon: float
    n_iter_no_change: float
    max_fun: int
    label_smoothing: float
    weight_decay: float
    max_grad_norm: object  # float or None
    lr_schedule: object  # str or None
    lr_decay: float
    lr_step_epochs: int
    warmup_epochs: int
    early_stopping_monitor: str
    restore_best_weights: bool
    optimizer_state: str
    augment: object = None  # a per-minibatch training transform, or None

    @classmethod
    def of(cls, params, *, out_activation, dropout):
        """The fields of an estimator's ``get_params()``.

        Parameters
        ----------
        params : mapping
            ``est.get_params()``; other keys are ignored.
        out_activation : {'softmax', 'logistic'}
        dropout : list of float or None
            One rate per hidden layer (checked), or None.
        """
        given = {"out_activation": out_activation, "dropout": dropout}
        names = [f.name for f in fields(cls) if f.name not in given]
        return cls(**given, **{name: params[name] for name in names})

    def schedule(self):
        """The learning-rate :class:`~skmlp._schedules.Schedule`."""
        return Schedule.of(
            lr_schedule=self.lr_schedule,
            learning_rate=self.learning_rate,
            solver=self.solver,
            lr0=self.learning_rate_init,
            max_epochs=self.max_iter,
            power_t=self.power_t,
            decay=self.lr_decay,
            step_epochs=self.lr_step_epochs,
            warmup_epochs=self.warmup_epochs,
        )

    def monitor_settings(self):
        """The early-stopping :class:`~skmlp._monitor.MonitorSettings`."""
        return MonitorSettings(
            early_stopping=self.early_stopping,
            watch=self.early_stopping_monitor,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            restore=self.early_stopping or self.restore_best_weights,
        )

    def resolved_batch_size(self, n_samples):
        """``batch_size`` for ``n_samples`` rows ('auto': ``min(200, n)``)."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))


@dataclass
class FitProblem:
    """One prepared fit: everything a trainer needs, and nothing else.

    Attributes
    ----------
    hp : Hyperparameters
    mode : FitMode
    layer_units : list of int
        Units of every layer, input and output included.
    params : Params
        Starting parameters (a fresh copy: training writes into them).
    train : TrainingSet
        Training data, targets smoothed, after the early-stopping split.
    val : ValidationSet or None
        The validation set scored after each epoch, if any.
    random_state : numpy.random.RandomState
        Source of the shuffles and dropout masks.
    fitted : mapping
        The fitted attributes this fit continues (``vars(est)``); empty for
        a fresh fit.  Read through :func:`~skmlp._fit_state.History.resume`,
        :meth:`~skmlp._monitor.EarlyStopping.resume` and the saved
        optimizer state.
    decode : callable
        ``decode(P) -> labels``: class labels (or indicator matrix) of a
        network output, for the validation accuracy.
    """

    hp: Hyperparameters
    mode: FitMode
    layer_units: list
    params: Params
    train: TrainingSet
    val: object
    random_state: np.random.RandomState
    fitted: Mapping
    decode: Callable


@dataclass
class FitResult:
    """What a trainer hands back.

    Attributes
    ----------
    params : Params
        The parameters to keep (the best ones when restoring).
    attributes : dict or None
        Fitted attributes to set on the estimator, ``{name: value}``
        (``n_iter_``, ``loss_``, the curves, the monitor's, the optimizer
        state...); None when the call changed nothing.
    """

    params: Params
    attributes: object


class BatchTaker:
    """Copies the rows of each shuffled batch into one reused buffer.

    scikit-learn fancy-indexes a fresh copy of every batch; taking into a
    preallocated buffer does the same gather without an allocation, and a
    batch that is a plain slice (no shuffling) is a view with no copy.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_columns)
    batch_size : int
    """

    def __init__(self, X, batch_size):
        self.X = X
        self.buffer = (
            None
            if sp.issparse(X)
            else np.empty((batch_size, X.shape[1]), dtype=X.dtype)
        )

    def __call__(self, rows):
        """The rows ``rows`` (a slice or an index array) of ``X``."""
        if isinstance(rows, slice) or self.buffer is None:
            return self.X[rows]
        # mode="clip": with the default mode="raise" NumPy gathers into a
        # temporary and then copies it into ``out`` (3.5x slower); the rows
        # are a permutation of range(n_samples), always in bounds.
        return self.X.take(rows, axis=0, out=self.buffer[: len(rows)], mode="clip")


PREDICT_CHUNK = 8192
"""Rows per forward pass when predicting: bounds the memory of a large X
to O(chunk * widest layer) whatever n_samples is."""

GATHER_CHUNK = 1024
"""Rows gathered at a time to score a part of X given by row indices (the
early-stopping validation rows): 3 MB of MNIST, a fraction of X's copy."""


def network_output(X, params, hp, rows=None):
    """Network output for validated X (or its ``rows``), in chunks of rows.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    params : Params
    hp : Hyperparameters
        Its ``activation`` and ``out_activation`` are read.
    rows : ndarray of shape (n_rows,), default=None
        Only these rows of X; None for all.

    Returns
    -------
    P : ndarray of shape (n_samples, n_outputs) or (n_rows, n_outputs)
    """
    chunk = PREDICT_CHUNK if rows is None else GATHER_CHUNK
    return predict_chunked(X, params, hp.activation, hp.out_activation, chunk, rows)


def continued_params(coefs, intercepts, layer_units, dtype):
    """A fresh flat copy of fitted weights, to continue training on.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        The fitted ``coefs_`` and ``intercepts_``.
    layer_units : list of int
        The layers the current parameters and data need.
    dtype : numpy.dtype
        The model's dtype.

    Returns
    -------
    params : Params
    """
    expected = [(a, b) for a, b in zip(layer_units[:-1], layer_units[1:])]
    found = [W.shape for W in coefs]
    if found != expected:
        raise ValueError(
            "The fitted network has layer shapes %s but the current "
            "parameters and data need %s; hidden_layer_sizes or the "
            "number of outputs changed since the last fit. Set "
            "warm_start=False to refit from scratch." % (found, expected)
        )
    params = as_params(np.empty(n_params(layer_units)[1], dtype=dtype), layer_units)
    for dst, src in zip(params.coefs + params.intercepts, coefs + intercepts):
        dst[...] = src
    return params
