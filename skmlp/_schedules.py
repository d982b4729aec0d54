"""Learning-rate schedules: pure rate functions, the clock, the schedule.

``epoch`` counts completed epochs (0 before the first one) and ``t`` the
training samples seen.  Every rate function returns the *base* learning
rate of the coming epoch; Adam's bias correction applies on top of it.

:class:`Schedule` is what a training loop holds: the rate function of the
estimator's parameters, with "is the rate adaptive?" settled once when it
is built.  'adaptive' is not a rate function: it is the constant rate,
divided by 5 each time the monitored quantity plateaus
(:meth:`Schedule.on_plateau`).  :class:`Clock` is the schedule's position.
"""

import math
from dataclasses import dataclass

__all__ = [
    "RATES",
    "SCHEDULES",
    "Clock",
    "Schedule",
    "scheduled_rate",
    "warmup_factor",
]


def constant(lr0, *, epoch, t, max_epochs, power_t, decay, step_epochs):
    """``lr0`` throughout."""
    return lr0


def invscaling(lr0, *, epoch, t, max_epochs, power_t, decay, step_epochs):
    """scikit-learn's ``lr0 / (t + 1) ** power_t``, ``t`` the samples seen."""
    return lr0 / (t + 1) ** power_t


def cosine(lr0, *, epoch, t, max_epochs, power_t, decay, step_epochs):
    """Cosine annealing from ``lr0`` to 0 over ``max_epochs`` epochs."""
    progress = min(epoch / max(max_epochs, 1), 1.0)
    return lr0 * 0.5 * (1.0 + math.cos(math.pi * progress))


def step(lr0, *, epoch, t, max_epochs, power_t, decay, step_epochs):
    """``lr0 * decay ** (epoch // step_epochs)``: a drop every ``step_epochs``."""
    return lr0 * decay ** (epoch // step_epochs)


def exponential(lr0, *, epoch, t, max_epochs, power_t, decay, step_epochs):
    """``lr0 * decay ** epoch``."""
    return lr0 * decay**epoch


RATES = {
    "constant": constant,
    "invscaling": invscaling,
    "cosine": cosine,
    "step": step,
    "exponential": exponential,
}
"""Rate functions by name."""

SCHEDULES = frozenset({*RATES, "adaptive"})
"""The names ``lr_schedule`` accepts: the rate functions, and 'adaptive'."""


def warmup_factor(epoch, warmup_epochs):
    """Linear warm-up: ``(epoch + 1) / (warmup_epochs + 1)`` for the first
    ``warmup_epochs`` epochs, then 1.

    Parameters
    ----------
    epoch : int
        Completed epochs.
    warmup_epochs : int
        Length of the warm-up.

    Returns
    -------
    factor : float
        Multiplier of the scheduled rate, in (0, 1].
    """
    if epoch >= warmup_epochs:
        return 1.0
    return (epoch + 1) / (warmup_epochs + 1)


def scheduled_rate(
    name,
    lr0,
    *,
    epoch,
    t,
    max_epochs,
    power_t=0.5,
    decay=0.9,
    step_epochs=10,
    warmup_epochs=0,
):
    """Base learning rate of the coming epoch.

    Parameters
    ----------
    name : str
        A key of :data:`RATES`.
    lr0 : float
        Initial learning rate.
    epoch : int
        Completed epochs.
    t : int
        Training samples seen so far.
    max_epochs : int
        Planned number of epochs (for ``cosine``).
    power_t : float, default=0.5
        Exponent of ``invscaling``.
    decay : float, default=0.9
        Factor of ``step`` and ``exponential``.
    step_epochs : int, default=10
        Epochs between two drops of ``step``.
    warmup_epochs : int, default=0
        Epochs of linear warm-up applied on top of the schedule.

    Returns
    -------
    lr : float
    """
    rate = RATES[name](
        lr0,
        epoch=epoch,
        t=t,
        max_epochs=max_epochs,
        power_t=power_t,
        decay=decay,
        step_epochs=step_epochs,
    )
    return rate * warmup_factor(epoch, warmup_epochs)


@dataclass
class Clock:
    """Where the schedule of one optimizer stands.

    Attributes
    ----------
    epoch : int, default=0
        Completed epochs of this optimizer (across calls while its state is
        kept).
    drops : int, default=0
        Times the 'adaptive' rate was divided by 5.
    t : int, default=0
        Training samples seen by the estimator (its ``t_``): 'invscaling'
        reads it.  Not saved with the optimizer state: ``t_`` is.
    """

    epoch: int = 0
    drops: int = 0
    t: int = 0

    def saved(self):
        """The part saved with the optimizer state, as plain numbers."""
        return {"epoch": int(self.epoch), "drops": int(self.drops)}


@dataclass(frozen=True)
class Schedule:
    """The learning rate of each epoch, and what a plateau does to it.

    Build it with :meth:`of`, which settles the estimator's two schedule
    parameters (``lr_schedule`` and scikit-learn's ``learning_rate``) into
    one rate function and one ``adaptive`` flag.

    Attributes
    ----------
    name : str
        A key of :data:`RATES`.
    adaptive : bool
        Divide the rate by 5 on a plateau (and stop below 1e-6) instead of
        stopping.
    lr0 : float
        ``learning_rate_init``.
    max_epochs : int
        ``max_iter`` (the length of 'cosine').
    power_t, decay, step_epochs, warmup_epochs
        As :func:`scheduled_rate`.
    """

    name: str
    adaptive: bool
    lr0: float
    max_epochs: int
    power_t: float = 0.5
    decay: float = 0.9
    step_epochs: int = 10
    warmup_epochs: int = 0

    @classmethod
    def of(cls, *, lr_schedule, learning_rate, solver, **rate_params):
        """The schedule an estimator's parameters ask for.

        Without ``lr_schedule`` this is scikit-learn's: ``learning_rate``
        drives 'sgd' and 'adam' stays constant.

        Parameters
        ----------
        lr_schedule : str or None
            A name of :data:`SCHEDULES`, or None for scikit-learn's choice.
        learning_rate : {'constant', 'invscaling', 'adaptive'}
            scikit-learn's schedule parameter ('sgd' only).
        solver : {'sgd', 'adam'}
        **rate_params
            ``lr0``, ``max_epochs``, ``power_t``, ``decay``,
            ``step_epochs``, ``warmup_epochs``.
        """
        name = lr_schedule
        if name is None:
            name = learning_rate if solver == "sgd" else "constant"
        adaptive = name == "adaptive"
        return cls("constant" if adaptive else name, adaptive, **rate_params)

    def rate(self, clock):
        """Base learning rate of the coming epoch.

        A fresh optimizer (``clock.epoch == 0``) starts at the rate of
        ``t = 0``, as scikit-learn builds a new optimizer per fit.

        Parameters
        ----------
        clock : Clock

        Returns
        -------
        rate : float
        """
        rate = scheduled_rate(
            self.name,
            self.lr0,
            epoch=clock.epoch,
            t=clock.t if clock.epoch > 0 else 0,
            max_epochs=self.max_epochs,
            power_t=self.power_t,
            decay=self.decay,
            step_epochs=self.step_epochs,
            warmup_epochs=self.warmup_epochs,
        )
        # Divided by 5 once per drop, as scikit-learn does (not 0.2 ** drops:
        # that rounds differently and can move the 1e-6 stopping threshold).
        for _ in range(clock.drops):
            rate /= 5.0
        return rate

    def on_plateau(self, clock):
        """React to ``n_iter_no_change`` epochs without improvement.

        Parameters
        ----------
        clock : Clock
            Its ``drops`` grows by one when the rate is divided.

        Returns
        -------
        go_on : bool
            True when the rate was divided by 5 and training goes on;
            False when training must stop (not adaptive, or the rate is
            already at most 1e-6).
        """
        if not self.adaptive or self.rate(clock) <= 1e-6:
            return False
        clock.drops += 1
        return True

    def has_ended(self, clock):
        """True when a 'cosine' rate has reached 0 for good."""
        return self.name == "cosine" and clock.epoch >= self.max_epochs
