"""What one fit starts from and leaves behind (estimator side).

- :class:`FitMode`: first fit, warm start or ``partial_fit``, decided once.
- :class:`History`: the curves of a stochastic fit, kept local to the fit
  and committed to the estimator in one place.
- :func:`pack_optimizer_state` / :func:`unpack_optimizer_state`: the
  versioned optimizer state saved in model files (``_optimizer_state``);
  :func:`resume_optimizer` builds a fit's optimizer and clock from it.
- :class:`Checkpoint`: the weights, optimizer state and clock an epoch that
  fails goes back to.

Everything saved with a model is plain dicts, lists, numbers and arrays, so
that skops loads it without trusting any type of ours.
"""

import dataclasses
import functools
import inspect
from dataclasses import dataclass, field

import numpy as np

from ._optimizers import SGD, Adam
from ._schedules import Clock

__all__ = [
    "STATE_VERSION",
    "with_parameter_defaults",
    "atomic",
    "Checkpoint",
    "FitMode",
    "History",
    "make_optimizer",
    "pack_optimizer_state",
    "resume_optimizer",
    "unpack_optimizer_state",
]

# scikit-learn's decision (sklearn/neural_network/_multilayer_perceptron.py,
# ``_fit`` and ``_fit_stochastic``), which FitMode reproduces:
#
#   call          fitted?  warm_start   weights & curves     optimizer
#   ------------  -------  ----------   -----------------    -----------------
#   fit           no       any          new (_initialize)    new
#   fit           yes      False        new (_initialize)    new
#   fit           yes      True         continued            new
#   partial_fit   no       any          new (_initialize)    new
#   partial_fit   yes      any          continued            continued
#
# ``first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not
# incremental)`` decides the weights; the optimizer is rebuilt unless
# ``incremental and hasattr(self, "_optimizer")``.  skmlp's
# ``optimizer_state`` ('keep' / 'reset') overrides the last column;
# 'auto' is the table.


@dataclass(frozen=True)
class FitMode:
    """How a ``fit`` or ``partial_fit`` call relates to the fitted state.

    Attributes
    ----------
    fresh : bool
        Start from new weights, counters and curves (a first fit, or ``fit``
        without ``warm_start``).
    incremental : bool
        A ``partial_fit`` call: one epoch; 'auto' keeps the optimizer.
    """

    fresh: bool
    incremental: bool

    @classmethod
    def of(cls, fitted, warm_start, incremental):
        """The mode of a call, by scikit-learn's table (see the module).

        Parameters
        ----------
        fitted : bool
            Whether the estimator has fitted weights.
        warm_start : bool
            The estimator's ``warm_start``.
        incremental : bool
            True for ``partial_fit``.
        """
        return cls(
            fresh=not fitted or not (warm_start or incremental),
            incremental=bool(incremental),
        )

    @property
    def name(self):
        """'first fit', 'warm start', 'partial_fit' or 'first partial_fit'."""
        if self.incremental:
            return "first partial_fit" if self.fresh else "partial_fit"
        return "first fit" if self.fresh else "warm start"

    def keeps_optimizer(self, optimizer_state):
        """Whether the saved optimizer state is continued.

        Parameters
        ----------
        optimizer_state : {'auto', 'keep', 'reset'}
            The estimator parameter: 'auto' continues in ``partial_fit``
            only (scikit-learn), 'keep' always, 'reset' never.
        """
        if self.fresh:
            return False
        return optimizer_state == "keep" or (
            optimizer_state == "auto" and self.incremental
        )


_CURVES = {
    "loss": "loss_curve_",
    "learning_rate": "learning_rate_curve_",
    "validation_scores": "validation_scores_",
    "validation_loss": "validation_loss_curve_",
}
"""History field -> fitted attribute."""


@dataclass
class History:
    """The per-epoch curves of a stochastic fit.

    A fit appends to its own copies; :meth:`attributes` hands them to the
    estimator at the end, so a fit that raises leaves the fitted curves as
    they were.  A new curve is one field here and one entry of the
    field-to-attribute table.

    Attributes
    ----------
    loss : list of float
        Training loss of each epoch (``loss_curve_``).
    learning_rate : list of float
        Base learning rate of each epoch (``learning_rate_curve_``).
    validation_scores, validation_loss : list of float or None
        Validation accuracy and log loss of each epoch; None while no
        validation set was ever used (``validation_scores_``,
        ``validation_loss_curve_``).
    """

    loss: list = field(default_factory=list)
    learning_rate: list = field(default_factory=list)
    validation_scores: list = None
    validation_loss: list = None

    @classmethod
    def resume(cls, fitted, validating):
        """Copies of the fitted curves, or empty ones.

        Parameters
        ----------
        fitted : mapping
            The estimator's fitted attributes to continue (``vars(est)``),
            or an empty mapping for a fresh start.
        validating : bool
            Whether this fit scores a validation set: its curves start
            empty if there were none.
        """
        curves = {
            name: None if fitted.get(attr) is None else list(fitted[attr])
            for name, attr in _CURVES.items()
        }
        history = cls(**{k: v for k, v in curves.items() if v is not None})
        if validating and history.validation_scores is None:
            history.validation_scores, history.validation_loss = [], []
        return history

    def attributes(self):
        """The curves as fitted attributes: ``{attribute name: list or None}``."""
        return {attr: getattr(self, name) for name, attr in _CURVES.items()}


STATE_VERSION = 2
"""Layout of ``_optimizer_state``; version 1 (flat, unversioned) still loads."""


def pack_optimizer_state(solver, optimizer_state, clock):
    """The optimizer state to save in the model.

    Parameters
    ----------
    solver : {'sgd', 'adam'}
    optimizer_state : dict
        ``optimizer.state()``: plain numbers and arrays.
    clock : Clock

    Returns
    -------
    state : dict
        ``{"version": 2, "solver": ..., "optimizer": {...}, "clock":
        {"epoch": ..., "drops": ...}}``.
    """
    return {
        "version": STATE_VERSION,
        "solver": solver,
        "optimizer": dict(optimizer_state),
        "clock": clock.saved(),
    }


def unpack_optimizer_state(saved, t=0):
    """Read a saved optimizer state, of any version.

    Version 1 (saved before the layout was versioned) is one flat dict:
    ``solver``, the optimizer's keys, ``epoch`` and ``drops``.

    Parameters
    ----------
    saved : dict
        ``_optimizer_state`` of a fitted model.
    t : int, default=0
        The estimator's ``t_``, the clock's sample count.

    Returns
    -------
    solver : str
    optimizer_state : dict
        For ``optimizer.load_state``.
    clock : Clock
    """
    version = saved.get("version", 1)
    if version == 1:
        flat = dict(saved)
        solver = flat.pop("solver")
        clock = Clock(flat.pop("epoch"), flat.pop("drops"), t)
        return solver, flat, clock
    if version == STATE_VERSION:
        clock = Clock(saved["clock"]["epoch"], saved["clock"]["drops"], t)
        return saved["solver"], saved["optimizer"], clock
    raise ValueError(
        f"This model's optimizer state has version {version}; this skmlp "
        f"reads versions 1 to {STATE_VERSION}. Upgrade skmlp, or continue "
        "with optimizer_state='reset'."
    )


def make_optimizer(hp, flat):
    """A fresh optimizer of ``hp.solver`` for the parameters ``flat``."""
    if hp.solver == "sgd":
        return SGD(
            flat,
            learning_rate=hp.learning_rate_init,
            momentum=hp.momentum,
            nesterov=hp.nesterovs_momentum,
        )
    return Adam(
        flat,
        learning_rate=hp.learning_rate_init,
        beta_1=hp.beta_1,
        beta_2=hp.beta_2,
        epsilon=hp.epsilon,
    )


def resume_optimizer(problem):
    """The optimizer and clock of a fit, continuing the saved ones when told.

    The saved state is continued when the mode and ``optimizer_state`` say
    so (:meth:`~skmlp._fit_state.FitMode.keeps_optimizer`) and it belongs
    to the same solver; the clock's ``t`` is the fitted ``t_`` either way.

    Returns
    -------
    optimizer : SGD or Adam
    clock : Clock
    """
    hp, fitted = problem.hp, problem.fitted
    optimizer = make_optimizer(hp, problem.params.flat)
    clock = Clock(t=fitted.get("t_", 0))
    saved = fitted.get("_optimizer_state")
    if saved is not None and problem.mode.keeps_optimizer(hp.optimizer_state):
        solver, state, saved_clock = unpack_optimizer_state(saved, clock.t)
        if solver == hp.solver:
            # load_state copies: a failed call leaves the fitted state untouched.
            optimizer.load_state(state)
            clock = saved_clock
    return optimizer, clock


class Checkpoint:
    """Weights, optimizer state and clock at the start of the current epoch.

    An epoch that ends non-finite, or is interrupted, is undone as a whole:
    weights, optimizer moments and schedule clock all go back here.
    """

    def __init__(self, params, clock):
        self.flat = params.flat.copy()
        self.state = None
        self.clock = dataclasses.replace(clock)

    def save(self, params, optimizer, clock):
        """Remember the current weights, optimizer state and clock."""
        self.flat[...] = params.flat
        self.state = {
            k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in optimizer.state().items()
        }
        self.clock = dataclasses.replace(clock)

    def restore(self, params, optimizer, clock):
        """Go back to the saved point (``clock`` is updated in place)."""
        params.flat[...] = self.flat
        if self.state is not None:
            optimizer.load_state(self.state)
        vars(clock).update(vars(self.clock))


def atomic(method):
    """Undo every attribute change of a fit that raises.

    Decorates ``fit`` and ``partial_fit``.  Training works on fresh copies
    of the parameters, the optimizer state and the curves, and the
    trainer's fitted attributes are written in one place at the end (the
    estimator's ``_commit``), never mutated in place: restoring the
    attribute dict is enough to leave an already fitted model exactly as it
    was, whatever attributes a fit sets.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        snapshot = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise

    return wrapper


def with_parameter_defaults(cls, state):
    """A saved estimator's ``__dict__`` with every parameter it lacks.

    A model saved before a parameter existed (``augment``, say) loads with
    that parameter at its default, which is the behaviour it was fitted
    with; without it ``get_params``, ``clone`` and the next fit would fail.

    Parameters
    ----------
    cls : type
        The estimator class.
    state : dict
        The loaded instance dictionary.

    Returns
    -------
    state : dict
        A new dict: the defaults of the missing parameters, then ``state``.
    """
    defaults = {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty and name not in state
    }
    return {**defaults, **state}
