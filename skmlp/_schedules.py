"""Learning-rate schedules as pure functions of the training clock.

``epoch`` counts completed epochs (0 before the first one) and ``t`` the
training samples seen.  Every schedule returns the *base* learning rate of
the coming epoch; Adam's bias correction applies on top of it.

``adaptive`` is not here: it reacts to plateaus of the monitored quantity,
which is the training loop's business (divide by 5 after
``n_iter_no_change`` epochs without improvement).
"""

import math

__all__ = ["SCHEDULES", "scheduled_rate", "warmup_factor"]


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


SCHEDULES = {
    "constant": constant,
    "adaptive": constant,  # plateaus are handled by the training loop
    "invscaling": invscaling,
    "cosine": cosine,
    "step": step,
    "exponential": exponential,
}
"""Schedules by name."""


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
        A key of :data:`SCHEDULES`.
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
    rate = SCHEDULES[name](
        lr0,
        epoch=epoch,
        t=t,
        max_epochs=max_epochs,
        power_t=power_t,
        decay=decay,
        step_epochs=step_epochs,
    )
    return rate * warmup_factor(epoch, warmup_epochs)
