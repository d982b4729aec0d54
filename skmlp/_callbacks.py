"""scikit-learn callback tasks for the training loops (estimator side)."""

__all__ = ["FitTasks", "NoTasks"]


class FitTasks:
    """The ``sklearn.callback`` tasks of one fit: a root task, one per epoch.

    With scikit-learn >= 1.9 the estimator has ``CallbackSupportMixin`` and
    every fit opens a root context with one subtask per epoch (per L-BFGS
    iteration); callbacks set with ``set_callbacks`` (``ProgressBar``,
    ``ScoringMonitor``, ...) see each epoch begin and end, can ask for a
    fitted copy of the model at that point, and can ask training to stop.
    Without ``sklearn.callback`` every method is a no-op.

    Parameters
    ----------
    est : NumpyMLPClassifier
        The estimator being fitted.
    X, y : array-like
        The training data, as passed to the hooks.
    sample_weight : ndarray of shape (n_samples,) or None
        Passed to the hooks as metadata.
    max_subtasks : int
        Upper bound on the number of epochs (iterations).
    """

    def __init__(self, est, X, y, sample_weight, max_subtasks):
        self.est, self.X, self.y = est, X, y
        self.metadata = (
            None if sample_weight is None else {"sample_weight": sample_weight}
        )
        self.root = None
        self.current = None
        if hasattr(est, "_init_callback_context"):
            self.root = est._init_callback_context(max_subtasks=max_subtasks)
            self.root.call_on_fit_task_begin(
                estimator=est, X=X, y=y, metadata=self.metadata
            )

    def _hook_args(self, params, progress=None):
        # A callable is evaluated only if some callback asks for a fitted
        # estimator, so epochs without such callbacks copy nothing.
        def attributes():
            return {
                "coefs_": [W.copy() for W in params.coefs],
                "intercepts_": [b.copy() for b in params.intercepts],
                **({} if progress is None else progress()),
            }

        return dict(
            estimator=self.est,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=attributes,
        )

    def begin(self, params, name="epoch"):
        """Open the next epoch's task."""
        if self.root is not None:
            self.current = self.root.subcontext(task_name=name)
            self.current.call_on_fit_task_begin(**self._hook_args(params))

    def end(self, params, progress=None):
        """Close the current epoch's task; True if a callback asks to stop.

        ``progress``, a callable returning ``{fitted attribute: value}``
        (the curves and counters so far), completes the fitted copy of the
        estimator that a callback may ask for: the estimator itself gets
        its fitted attributes only when the fit ends.
        """
        if self.current is None:
            return False
        stop = self.current.call_on_fit_task_end(**self._hook_args(params, progress))
        self.current = None
        return bool(stop)

    def abandon(self):
        """Close a task whose epoch never completed (nothing to report)."""
        if self.current is not None:
            self.current.call_on_fit_task_end(estimator=self.est)
            self.current = None

    def finish(self, params):
        """Close the root task once training is over."""
        self.abandon()
        if self.root is not None:
            self.root.call_on_fit_task_end(**self._hook_args(params))


class NoTasks:
    """Callback tasks that do nothing: for a trainer run without callbacks.

    Has the methods the trainers call on :class:`FitTasks`; ``end`` never
    asks to stop.
    """

    def begin(self, params, name="epoch"):
        """Open nothing."""

    def end(self, params, progress=None):
        """Close nothing; never asks to stop."""
        return False

    def abandon(self):
        """Close nothing."""

    def finish(self, params):
        """Close nothing."""
