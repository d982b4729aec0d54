"""The training progress display of the ``skmlp`` command (see ``_cli``).

:class:`EpochProgress` is a scikit-learn callback (the ``sklearn.callback``
protocol, set with ``set_callbacks`` on the classifier): after every epoch
it reads the classifier's public fitted attributes (``loss_curve_``,
``validation_scores_``, ...) and shows what a user wants to see: the epoch,
the training loss, the validation accuracy, the best so far, how long early
stopping still waits, and the time per epoch.  On a terminal it draws a
full-width rich progress bar with a status line under it; otherwise it
prints one plain line per epoch.
"""

from __future__ import annotations

import sys
import time

__all__ = ["EpochProgress", "callbacks_supported", "epoch_status"]


def callbacks_supported(clf) -> bool:
    """Whether ``clf`` takes scikit-learn callbacks (scikit-learn >= 1.9)."""
    try:
        import sklearn.callback  # noqa: F401
    except ImportError:
        return False
    return hasattr(clf, "set_callbacks")


def _epochs_without_improvement(scores, tol):
    """Epochs since the validation score last improved by ``tol``.

    The count early stopping keeps (scikit-learn's rule): an epoch whose
    score is below the best before it plus ``tol`` adds one, any other
    resets it to 0; training stops when it exceeds ``n_iter_no_change``.
    """
    count, best = 0, -float("inf")
    for score in scores:
        count = count + 1 if score < best + tol else 0
        best = max(best, score)
    return count


def epoch_status(clf, epoch, seconds) -> dict:
    """What the display shows after ``epoch`` (1-based) of ``clf``'s fit.

    Returns
    -------
    status : dict
        ``epoch``, ``max_epochs``, ``seconds`` (this epoch's time), and when
        known ``loss`` (training loss), ``score`` (validation accuracy),
        ``best`` and ``best_epoch``, ``waited`` and ``patience`` (epochs
        without improvement, and how many early stopping allows).
    """
    status = {"epoch": epoch, "max_epochs": clf.max_iter, "seconds": seconds}
    curve = getattr(clf, "loss_curve_", None) or []
    if len(curve) >= epoch:
        status["loss"] = curve[epoch - 1]
    scores = getattr(clf, "validation_scores_", None) or []
    if len(scores) >= epoch:
        scores = scores[:epoch]
        best = max(range(len(scores)), key=scores.__getitem__)
        status.update(score=scores[-1], best=scores[best], best_epoch=best + 1)
        if clf.early_stopping and clf.n_iter_no_change < clf.max_iter:
            status["waited"] = _epochs_without_improvement(scores, clf.tol)
            status["patience"] = clf.n_iter_no_change
    return status


def format_status(status) -> str:
    """One line of text for an :func:`epoch_status`."""
    width = len(str(status["max_epochs"]))
    parts = [f"epoch {status['epoch']:>{width}}/{status['max_epochs']}"]
    if "loss" in status:
        parts.append(f"training loss {status['loss']:.4f}")
    if "score" in status:
        parts.append(f"validation {status['score']:.2%}")
        parts.append(f"best {status['best']:.2%} (epoch {status['best_epoch']})")
    if "patience" in status:
        # Early stopping ends training at the (patience + 1)-th.
        parts.append(
            f"{status['waited']}/{status['patience'] + 1} epochs without improvement"
        )
    parts.append(f"{status['seconds']:.2f} s/epoch")
    return "  ".join(parts)


class EpochProgress:
    """A ``sklearn.callback`` callback showing each epoch of a fit.

    Parameters
    ----------
    live : bool, default=None
        Draw a rich progress bar (True) or print one line per epoch
        (False); None chooses the bar when ``stream`` is a terminal.
    stream : file object, default=None
        Where to write; None for ``sys.stdout`` at the time of the fit.
    console : rich.console.Console, default=None
        The console of the live display (tests pass one that records).
    """

    def __init__(self, *, live=None, stream=None, console=None):
        self.live = live
        self.stream = stream
        self.console = console
        self._progress = None
        self.last_status = None

    # The sklearn.callback hooks ------------------------------------------
    def setup(self, estimator, context):
        self._stream = self.stream if self.stream is not None else sys.stdout
        live = self.live
        if live is None:
            live = hasattr(self._stream, "isatty") and self._stream.isatty()
        self._epoch_start = time.perf_counter()
        if live:
            self._progress = _start_live(estimator.max_iter, self.console)

    def on_fit_task_begin(self, estimator, context):
        self._epoch_start = time.perf_counter()

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **_):
        if context.max_subtasks != 0:  # the whole fit, not an epoch (a leaf)
            return False
        seconds = time.perf_counter() - self._epoch_start
        # The model as of this epoch (its curves so far); the estimator
        # itself gets its fitted attributes only when the fit ends.
        model = estimator if fitted_estimator is None else fitted_estimator
        status = epoch_status(model, context.task_id + 1, seconds)
        self.last_status = status
        if self._progress is not None:
            progress, task = self._progress
            progress.status = format_status(status).split("  ", 1)[-1]
            progress.update(task, completed=status["epoch"])
        else:
            print(format_status(status), file=self._stream, flush=True)
        return False

    def teardown(self, estimator, context):
        if self._progress is not None:
            # The bar stays where training ended (an early stop does not
            # jump to 100%); the summary printed next says why.
            self._progress[0].stop()
            self._progress = None


def _start_live(max_epochs, console):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class _Progress(Progress):
        """A progress bar with the epoch's status on the line below it."""

        status = ""

        def get_renderables(self):
            yield self.make_tasks_table(self.tasks)
            yield self.status

    progress = _Progress(
        TextColumn("Epoch"),
        MofNCompleteColumn(),
        BarColumn(bar_width=None),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left at most"),
        console=console,
        expand=True,
    )
    task = progress.add_task("training", total=max_epochs)
    progress.start()
    return progress, task
