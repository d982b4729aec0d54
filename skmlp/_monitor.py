"""Early stopping and best weights: one object per stochastic fit.

:class:`EarlyStopping` owns everything the "has training stopped
improving?" question needs: the no-improvement count, the best training
loss, the best validation score and loss, the weights that scored them and
whether early stopping has ended a run of ``partial_fit`` calls.  It is
resumed from the fitted attributes in one place (:meth:`resume`) and hands
them back in one place (:meth:`attributes`).
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["EarlyStopping", "MonitorSettings"]


@dataclass(frozen=True)
class MonitorSettings:
    """What the estimator's parameters ask of the monitor.

    Attributes
    ----------
    early_stopping : bool
        Watch a validation set (else the training loss).
    watch : {'score', 'loss'}
        ``early_stopping_monitor``: validation accuracy or log loss.
    tol : float
    n_iter_no_change : int or float
    restore : bool
        Go back to the best weights at the end (``early_stopping`` or
        ``restore_best_weights``).
    """

    early_stopping: bool
    watch: str
    tol: float
    n_iter_no_change: float
    restore: bool

    def plateau_message(self):
        """The sentence printed (verbose) when a plateau is reached."""
        if self.early_stopping:
            what = "Validation score" if self.watch == "score" else "Validation loss"
            return "%s did not improve more than tol=%f for %d consecutive epochs." % (
                what,
                self.tol,
                self.n_iter_no_change,
            )
        return (
            "Training loss did not improve more than tol=%f"
            " for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
        )


@dataclass
class EarlyStopping:
    """No-improvement counting and best weights of a stochastic fit.

    Stopping follows the validation score (scikit-learn) or loss
    (``early_stopping_monitor='loss'``) with early stopping, the training
    loss otherwise.  The best weights follow the validation set whenever
    there is one, the training loss otherwise.

    Attributes
    ----------
    settings : MonitorSettings
    no_improvement_count : int
        Epochs in a row without an improvement of ``tol``.
    best_loss : float
        Lowest training loss (inf before any; not tracked with early
        stopping).
    best_validation_score, best_validation_loss : float or None
        Best validation accuracy and lowest validation loss; None while no
        validation set was ever scored.
    best_flat : ndarray of shape (n_params,)
        The weights of the best epoch.  Replaced, never written into: the
        fitted model's array is shared until the first improvement.
    stopped_early : bool
        Early stopping ended a run of ``partial_fit`` calls.
    """

    settings: MonitorSettings
    no_improvement_count: int
    best_loss: float
    best_validation_score: object
    best_validation_loss: object
    best_flat: np.ndarray
    stopped_early: bool

    @classmethod
    def resume(cls, settings, fitted, flat, validating, incremental):
        """The monitor of a fit, continuing the fitted one.

        Parameters
        ----------
        settings : MonitorSettings
        fitted : mapping
            The fitted attributes to continue (``vars(est)``), or an empty
            mapping for a fresh start.
        flat : ndarray of shape (n_params,)
            The starting weights (the best ones of a fresh start).
        validating : bool
            Whether this fit scores a validation set.
        incremental : bool
            A ``partial_fit`` call: an earlier early stop still holds.
        """
        best_loss = fitted.get("best_loss_")
        score = fitted.get("best_validation_score_")
        value = fitted.get("best_validation_loss_")
        if validating and score is None:
            score, value = -np.inf, np.inf
        best_flat = fitted.get("_best_flat")
        return cls(
            settings,
            no_improvement_count=fitted.get("_no_improvement_count", 0),
            # None is scikit-learn's public value under early stopping,
            # when the training loss is not tracked.
            best_loss=np.inf if best_loss is None else best_loss,
            best_validation_score=score,
            best_validation_loss=value,
            best_flat=flat.copy() if best_flat is None else best_flat,
            stopped_early=incremental and fitted.get("_stopped_early", False),
        )

    def update(self, train_loss, validation, flat):
        """Count an epoch as an improvement or not; keep the best weights.

        Parameters
        ----------
        train_loss : float
            The epoch's training loss.
        validation : tuple of (float, float) or None
            The epoch's validation (accuracy, log loss), None without a
            validation set.
        flat : ndarray of shape (n_params,)
            The weights after the epoch (copied if they are the best).
        """
        s = self.settings
        train_improved = train_loss < self.best_loss and not s.early_stopping
        if validation is not None:
            score, value = validation
            if s.watch == "score":
                val_improved = score > self.best_validation_score
            else:
                val_improved = value < self.best_validation_loss

        if not s.early_stopping:
            worse = train_loss > self.best_loss - s.tol
        elif s.watch == "score":
            worse = score < self.best_validation_score + s.tol
        else:
            worse = value > self.best_validation_loss - s.tol
        self.no_improvement_count = self.no_improvement_count + 1 if worse else 0

        if train_improved:
            self.best_loss = train_loss
        if validation is not None:
            self.best_validation_score = max(self.best_validation_score, score)
            self.best_validation_loss = min(self.best_validation_loss, value)
        if val_improved if validation is not None else train_improved:
            # Kept whether or not this fit restores: the best score above
            # outlives the call (warm start, partial_fit), and the weights
            # restored later must be the ones that scored it.
            self.best_flat = flat.copy()

    @property
    def plateau(self):
        """More than ``n_iter_no_change`` epochs in a row without improvement."""
        return self.no_improvement_count > self.settings.n_iter_no_change

    def should_stop(self, go_on, incremental):
        """Whether a plateau ends training, given what the schedule did.

        Parameters
        ----------
        go_on : bool
            :meth:`Schedule.on_plateau`'s answer: the rate was lowered.
        incremental : bool
            A ``partial_fit`` call: a validation plateau ends the run of
            calls (a training-loss plateau does not, as in scikit-learn).

        Returns
        -------
        stop : bool
        """
        if go_on:
            self.no_improvement_count = 0
            return False
        if incremental and self.settings.early_stopping:
            self.stopped_early = True
        return True

    def restore_best(self, flat, incremental):
        """Write the best weights into ``flat`` when this fit restores them.

        ``fit`` restores at its end; ``partial_fit`` only once early
        stopping has ended the run of calls.
        """
        if self.settings.restore and (not incremental or self.stopped_early):
            flat[...] = self.best_flat

    def attributes(self):
        """The fitted attributes this monitor owns: ``{name: value}``."""
        return {
            # scikit-learn's public value: None with early stopping.
            "best_loss_": None if self.settings.early_stopping else self.best_loss,
            "best_validation_score_": self.best_validation_score,
            "best_validation_loss_": self.best_validation_loss,
            "_no_improvement_count": self.no_improvement_count,
            "_best_flat": self.best_flat,
            "_stopped_early": self.stopped_early,
        }
