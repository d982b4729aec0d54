"""``NumpyMLPClassifier``: the scikit-learn estimator around the NumPy core."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target

from ._callbacks import FitTasks
from ._fit_data import (
    GATHER_CHUNK,
    PREDICT_CHUNK,
    FitProblem,
    Hyperparameters,
    TrainingSet,
    continued_params,
)
from ._fit_state import FitMode, atomic, with_parameter_defaults
from ._lbfgs import fit_lbfgs
from ._network import (
    Params,
    glorot_uniform,
    predict_chunked,
    widen_overflowing_rows,
)
from ._training import fit_stochastic, training_sets
from ._validation import (
    PARAMETER_CONSTRAINTS,
    STOCHASTIC_SOLVERS,
    dropout_rates,
    hidden_layer_sizes,
    partial_fit_available,
    prediction_data,
    training_data,
    training_sample_weight,
    validation_set,
)

try:  # scikit-learn >= 1.9: the experimental callback API
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - older scikit-learn

    class CallbackSupportMixin:
        """Stand-in without ``set_callbacks``: callbacks are unavailable."""


__all__ = ["NumpyMLPClassifier"]


class NumpyMLPClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier written in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters with the same names, defaults and meaning, and the
    same fitted attributes.  By default it follows ``MLPClassifier``'s dtype
    rules (float32 input trains in float32, any other input in float64), so
    with the same ``random_state`` it computes the same weights.
    ``dtype=np.float32`` trains in single precision whatever the input:
    faster, and half the memory.

    The base classes are ``(CallbackSupportMixin, ClassifierMixin,
    BaseEstimator)``: ``ClassifierMixin`` must come before ``BaseEstimator``
    so that its tags take effect.  The reverse order fails scikit-learn's
    ``check_mixin_order``, after which every classifier-specific check is
    silently skipped.

    Callbacks: with scikit-learn >= 1.9, ``set_callbacks`` accepts the
    callbacks of :mod:`sklearn.callback` (``ProgressBar``,
    ``ScoringMonitor``, ...).  Each epoch (each L-BFGS iteration) is one
    task; a callback that asks to stop ends training after the current
    epoch, keeping its weights.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', \
            'elu', 'softplus', 'silu', 'gelu'}, default='relu'
        Activation function of the hidden layers.

        - 'identity': ``f(x) = x``
        - 'logistic': ``f(x) = 1 / (1 + exp(-x))``
        - 'tanh': ``f(x) = tanh(x)``
        - 'relu': ``f(x) = max(0, x)``
        - 'leaky_relu': ``f(x) = max(x, 0.01 x)``
        - 'elu': ``f(x) = x`` if ``x > 0`` else ``exp(x) - 1``
        - 'softplus': ``f(x) = log(1 + exp(x))``
        - 'silu' (swish): ``f(x) = x / (1 + exp(-x))``
        - 'gelu': ``f(x) = x Phi(x)``, Phi the standard normal CDF

        The last five are beyond ``MLPClassifier``.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The weight optimizer: 'lbfgs' (scipy's L-BFGS-B on the full batch,
        often best on small data sets), 'sgd' (stochastic gradient descent
        with momentum) or 'adam' (Kingma & Ba's Adam, a good default on
        large data sets).

    alpha : float, default=0.0001
        Strength of the L2 penalty ``(alpha / 2) sum ||W||^2``, divided by
        the sum of the sample weights like the data term.

    batch_size : int or 'auto', default='auto'
        Minibatch size of the stochastic solvers; 'auto' is
        ``min(200, n_samples)``.  Ignored by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of ``solver='sgd'``:

        - 'constant': ``learning_rate_init`` throughout.
        - 'invscaling': ``learning_rate_init / (t + 1) ** power_t`` after
          each epoch, ``t`` being the number of samples seen.
        - 'adaptive': divided by 5 whenever more than ``n_iter_no_change``
          epochs in a row fail to improve by ``tol``; training stops below
          1e-6.

    learning_rate_init : float, default=0.001
        Initial learning rate of 'sgd' and 'adam'.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations
        ('lbfgs').

    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch (stochastic
        solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffles and the early-stopping
        split.  Pass an int for reproducible results.

    tol : float, default=1e-4
        Tolerance of the optimisation: training stops (or the adaptive rate
        drops) when the loss or validation score does not improve by at
        least ``tol`` for more than ``n_iter_no_change`` epochs in a row
        (as in scikit-learn); for 'lbfgs'
        it is the gradient tolerance ``gtol``.

    verbose : bool, default=False
        Print progress messages.

    warm_start : bool, default=False
        Reuse the previous solution as initialisation of the next ``fit``.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum ('sgd' with ``momentum > 0``).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its accuracy has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the weights of the best epoch are kept.  As in
        scikit-learn the split is stratified for binary targets.
        Stochastic solvers only.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement tolerated before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    dtype : {np.float32, np.float64} or None, default=None
        Precision the network trains and predicts in.  None follows
        :class:`~sklearn.neural_network.MLPClassifier`: float32 input (dense
        or sparse, or a DataFrame of float32 columns) gives a float32 model,
        every other input (float64, integers, booleans, ...) a float64
        model; a warm start or ``partial_fit`` keeps the dtype of the fitted
        model and casts the new input to it.  ``np.float32`` or
        ``np.float64`` (or their names) force that precision whatever the
        input: float32 is about twice as fast and uses half the memory.
        While a float32 network trains (x86-64 Linux), subnormal numbers are
        flushed to zero, which keeps late epochs as fast as early ones.

    The parameters below go beyond ``MLPClassifier``; each defaults to
    ``MLPClassifier``'s behaviour.

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Inverted dropout on the hidden layers during training: each unit is
        zeroed with this probability and the kept ones are scaled by
        ``1 / (1 - dropout)``; off at predict time.  One rate for every
        hidden layer or one per layer, each in [0, 1).  The masks are drawn
        from ``random_state``, so fits stay reproducible.  Stochastic solvers
        only.

    class_weight : dict, list of dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{label: weight}`` of finite non-negative numbers, or 'balanced' for
        ``n_samples / (n_classes * bincount(y))``, the counts weighted by
        ``sample_weight`` (so a weighted fit equals the fit on repeated
        rows, as :func:`~sklearn.utils.class_weight.compute_class_weight`
        counts them).  Multilabel targets take, as
        :class:`~sklearn.ensemble.RandomForestClassifier` does, a list of
        one ``{0: w, 1: w}`` dict per label, or 'balanced' for each label;
        a sample's weights over its labels are multiplied.  With 'balanced',
        ``partial_fit`` is not offered (one chunk's frequencies are not the
        data set's): pass a dict computed once on all labels.

    label_smoothing : float, default=0.0
        Train on targets mixed with the uniform distribution:
        ``y (1 - label_smoothing) + label_smoothing / K`` (``K`` classes for
        multiclass, 2 per output for binary and multilabel).  In [0, 1).

    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW / SGDW): after each step the weights
        (not the biases) shrink by ``learning_rate * weight_decay`` of
        themselves.  Unlike ``alpha`` it is not scaled by Adam's moments.
        Stochastic solvers only.

    max_grad_norm : float or None, default=None
        Clip the gradient of each batch to this global L2 norm.
        Stochastic solvers only.

    lr_schedule : {'constant', 'invscaling', 'adaptive', 'cosine', 'step', \
            'exponential'} or None, default=None
        Learning-rate schedule for *both* stochastic solvers (with None,
        scikit-learn's behaviour: ``learning_rate`` drives 'sgd', 'adam' is
        constant):

        - 'constant', 'invscaling', 'adaptive': as ``learning_rate``.
        - 'cosine': ``lr0 (1 + cos(pi epoch / max_iter)) / 2``, 0 from
          epoch ``max_iter`` of the optimizer on (epochs count across calls
          when the optimizer state is kept; a warning says so).
        - 'step': ``lr0 * lr_decay ** (epoch // lr_step_epochs)``.
        - 'exponential': ``lr0 * lr_decay ** epoch``.

        The rate used in each epoch is recorded in ``learning_rate_curve_``.

    lr_decay : float, default=0.9
        Factor of the 'step' and 'exponential' schedules, in (0, 1].

    lr_step_epochs : int, default=10
        Epochs between two drops of the 'step' schedule.

    warmup_epochs : int, default=0
        Epochs of linear warm-up, ``(epoch + 1) / (warmup_epochs + 1)`` times
        the scheduled rate.

    early_stopping_monitor : {'score', 'loss'}, default='score'
        What early stopping watches on the validation set: accuracy
        (scikit-learn) or log loss.

    restore_best_weights : bool, default=False
        At the end of ``fit``, return to the weights of the best epoch: best
        validation score/loss when there is a validation set, best training
        loss otherwise.  Early stopping always restores (as scikit-learn).

    optimizer_state : {'auto', 'keep', 'reset'}, default='auto'
        What a warm-start ``fit`` and ``partial_fit`` do with the optimizer's
        state (Adam moments, momentum, schedule position): 'auto' is
        scikit-learn's (``partial_fit`` continues it, a warm-start ``fit``
        starts afresh), 'keep' continues it in both, 'reset' in neither.

    augment : object or None, default=None
        A training-time transform of each minibatch, e.g.
        :class:`skmlp.augment.ImageShift`: ``augment.transform_batch(X_batch,
        random_state)`` is applied to the training rows of every batch (fresh
        draws each epoch, from ``random_state``), never to validation rows
        nor at predict time.  Stochastic solvers, dense input only.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    loss_ : float
        Loss at the end of training.

    best_loss_ : float or None
        Minimum training loss reached (None with early stopping).

    loss_curve_ : list of float
        Training loss after each epoch (each iteration for 'lbfgs').

    validation_scores_ : list of float or None
        Validation accuracy after each epoch when there is a validation set
        (early stopping, or ``X_val``/``y_val`` passed to fit), else None.

    best_validation_score_ : float or None
        Best validation accuracy when there is a validation set (early
        stopping, or ``X_val``/``y_val`` passed to fit), else None.

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer i, of shape
        (n_units[i], n_units[i + 1]).

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer i + 1, of shape
        (n_units[i + 1],).

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs (iterations for 'lbfgs') run by the last fit.

    learning_rate_curve_ : list of float
        Base learning rate used in each epoch (stochastic solvers).

    validation_loss_curve_ : list of float or None
        Validation log loss after each epoch when there is a validation set
        (early stopping, or ``X_val``/``y_val`` passed to fit), else None.

    best_validation_loss_ : float or None
        Lowest validation loss, when there is a validation set.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Output activation: 'softmax' (multiclass) or 'logistic' (binary,
        multilabel).

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Notes
    -----
    Differences from scikit-learn: input is cast to the model's dtype (the
    one of the first fit, or ``dtype``), except that at predict time rows
    whose float32 output overflows are recomputed in float64; 'lbfgs' also
    records ``loss_curve_``;
    a non-finite loss stops training with a ``ConvergenceWarning`` and keeps
    the last finite weights instead of raising; a fit or partial_fit that
    raises leaves an already fitted model unchanged.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skmlp import NumpyMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> clf = NumpyMLPClassifier(max_iter=300, random_state=0).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.95
    True
    """

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dtype=None,
        dropout=0.0,
        class_weight=None,
        label_smoothing=0.0,
        weight_decay=0.0,
        max_grad_norm=None,
        lr_schedule=None,
        lr_decay=0.9,
        lr_step_epochs=10,
        warmup_epochs=0,
        early_stopping_monitor="score",
        restore_best_weights=False,
        optimizer_state="auto",
        augment=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype
        self.dropout = dropout
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.weight_decay = weight_decay
        self.max_grad_norm = max_grad_norm
        self.lr_schedule = lr_schedule
        self.lr_decay = lr_decay
        self.lr_step_epochs = lr_step_epochs
        self.warmup_epochs = warmup_epochs
        self.early_stopping_monitor = early_stopping_monitor
        self.restore_best_weights = restore_best_weights
        self.optimizer_state = optimizer_state
        self.augment = augment

    # ------------------------------------------------------------------ fit
    @atomic
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data; converted to ``dtype``.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a label indicator matrix for multilabel
            classification.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            A validation set, scored after every epoch (stochastic
            solvers): ``validation_scores_`` and ``validation_loss_curve_``
            record it, early stopping watches it instead of holding out
            ``validation_fraction`` of ``X``, and ``restore_best_weights``
            picks its best epoch.  In a :class:`~sklearn.pipeline.Pipeline`,
            request it with ``set_fit_request(X_val=True, y_val=True)`` and
            let the pipeline transform it with ``transform_input=["X_val"]``.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), \
                default=None
            Labels of ``X_val``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, False, X_val, y_val)

    @available_if(partial_fit_available)
    @atomic
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X, y, sample_weight=None, classes=None, X_val=None, y_val=None
    ):
        """Update the model with a single epoch over the given data.

        Unlike scikit-learn, early stopping works here when a validation
        set is passed: after more than ``n_iter_no_change`` calls without
        improvement
        the best weights are restored and later calls leave the model as it
        is (with a warning) until the next ``fit``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array-like of shape (n_classes,), default=None
            All the classes that may appear across calls.  Required on the
            first call; ``y`` need not contain every class.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            A validation set, scored after every epoch (stochastic
            solvers): ``validation_scores_`` and ``validation_loss_curve_``
            record it, early stopping watches it instead of holding out
            ``validation_fraction`` of ``X``, and ``restore_best_weights``
            picks its best epoch.  In a :class:`~sklearn.pipeline.Pipeline`,
            request it with ``set_fit_request(X_val=True, y_val=True)`` and
            let the pipeline transform it with ``transform_input=["X_val"]``.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), \
                default=None
            Labels of ``X_val``.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, True, X_val, y_val)

    def __setstate__(self, state):
        # Older model files lack the parameters added since: their defaults.
        super().__setstate__(with_parameter_defaults(type(self), state))

    def __sklearn_is_fitted__(self):
        # check_is_fitted would otherwise scan every attribute on each call.
        return hasattr(self, "coefs_")

    @property
    def _dtype(self):
        """The precision of the current (or last) fit, as a NumPy dtype.

        Stored as a name (``_fit_dtype``, set by
        :func:`skmlp._validation.training_data`) so that the fitted state
        stays plain for skops; models saved before it existed were fitted
        with an explicit ``dtype``.
        """
        return np.dtype(getattr(self, "_fit_dtype", None) or self.dtype)

    def _dropout_rates(self):
        """One dropout rate per hidden layer, or None when there is none."""
        return dropout_rates(self)

    def _initialize(self, Y, layer_units, random_state):
        """First-fit state: output layer, counters, Glorot weights.

        The stochastic fitted state of an earlier fit (curves, monitor,
        optimizer) is not read by a fresh fit; the private part of it is
        dropped here so that no later call continues it.
        """
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        if self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"
        for name in (
            "_optimizer_state",
            "_best_flat",
            "_no_improvement_count",
            "_stopped_early",
        ):
            self.__dict__.pop(name, None)
        return glorot_uniform(layer_units, self.activation, random_state, self._dtype)

    def _fit(self, X, y, sample_weight, incremental, X_val, y_val):
        """Prepare, train, commit: the whole of ``fit`` and ``partial_fit``.

        The trainers (:func:`~skmlp._training.fit_stochastic`,
        :func:`~skmlp._lbfgs.fit_lbfgs`) never touch the estimator: they
        take the :class:`~skmlp._fit_data.FitProblem` that
        :meth:`_prepare` builds and return a
        :class:`~skmlp._fit_data.FitResult` that :meth:`_commit` writes.
        """
        mode = FitMode.of(hasattr(self, "coefs_"), self.warm_start, incremental)
        problem, (X, y, sample_weight) = self._prepare(
            X, y, sample_weight, mode, X_val, y_val
        )
        if self.solver in STOCHASTIC_SOLVERS:
            n_epochs = 1 if incremental else self.max_iter
            tasks = FitTasks(self, X, y, sample_weight, n_epochs)
            result = fit_stochastic(problem, tasks)
        else:
            # One task per iteration, plus the one scipy opens but never runs.
            tasks = FitTasks(self, X, y, sample_weight, self.max_iter + 1)
            result = fit_lbfgs(problem, tasks)
        tasks.finish(result.params)
        return self._commit(result)

    def _prepare(self, X, y, sample_weight, mode, X_val, y_val):
        """Validate the inputs and set up one fit (weights, data sets).

        Sets what a fit sets before training (``classes_``, on a fresh fit
        the output layer and counters); draws the initial weights and the
        early-stopping split from ``random_state``, in scikit-learn's order.

        Parameters
        ----------
        X, y, sample_weight, X_val, y_val
            As passed to ``fit`` / ``partial_fit``.
        mode : FitMode

        Returns
        -------
        problem : FitProblem
            What a trainer needs.
        checked : tuple of (X, y, sample_weight)
            The validated inputs, for the callback hooks.
        """
        hidden = hidden_layer_sizes(self)
        dropout = self._dropout_rates()  # fail on a bad rate before any work
        if mode.incremental and self.early_stopping and X_val is None:
            raise ValueError(
                "partial_fit does not support early_stopping=True without a "
                "validation set: pass X_val and y_val to partial_fit."
            )
        X, y, Y = training_data(self, X, y, mode.incremental, reset=mode.fresh)
        sample_weight = training_sample_weight(self, X, y, sample_weight)
        val = validation_set(self, X_val, y_val)

        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        random_state = check_random_state(self.random_state)
        if mode.fresh:
            params = self._initialize(Y, layer_units, random_state)
        else:
            params = continued_params(
                self.coefs_, self.intercepts_, layer_units, self._dtype
            )
        self._layer_units = layer_units
        hp = Hyperparameters.of(
            self.get_params(), out_activation=self.out_activation_, dropout=dropout
        )
        train, val = training_sets(
            TrainingSet(X, Y, sample_weight), val, hp, self.classes_, self._labels,
            random_state,
        )  # fmt: skip
        problem = FitProblem(
            hp=hp,
            mode=mode,
            layer_units=layer_units,
            params=params,
            train=train,
            val=val,
            random_state=random_state,
            fitted={} if mode.fresh else vars(self),
            decode=self._labels,
        )
        return problem, (X, y, sample_weight)

    def _commit(self, result):
        """Write a trainer's result: the fitted attributes, then the weights.

        Parameters
        ----------
        result : FitResult

        Returns
        -------
        self : NumpyMLPClassifier
        """
        params = result.params
        if not np.isfinite(params.flat).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data "
                "may contain large values and need to be preprocessed."
            )
        if result.attributes is not None:
            self.__dict__.update(result.attributes)
        self.coefs_ = params.coefs
        self.intercepts_ = params.intercepts
        return self

    # -------------------------------------------------------------- predict
    def _output(self, X, params=None, rows=None):
        """Network output for validated X (or its ``rows``), in chunks of rows.

        ``params`` defaults to the fitted weights; training passes the
        weights it is updating to score the validation set, a part of the
        training X given by ``rows``.
        """
        if params is None:
            # predict_chunked reads only the per-layer views.
            params = Params(None, self.coefs_, self.intercepts_, None)
        chunk = PREDICT_CHUNK if rows is None else GATHER_CHUNK
        return predict_chunked(
            X, params, self.activation, self.out_activation_, chunk, rows
        )

    def _predicted_output(self, X):
        """Validated network output; a clear error where it overflowed."""
        X = self._validate_X_predict(X)
        with np.errstate(over="ignore", invalid="ignore"):
            # X is cast to the model's dtype a chunk at a time.  A float64
            # value beyond float32's range becomes inf there; the float64
            # retry below reads the uncast X and gets it right.
            P = self._output(X)
            if np.isfinite(P).all():  # the common case, in one reduction
                return P
            params = Params(None, self.coefs_, self.intercepts_, None)
            bad = widen_overflowing_rows(
                P, X, params, self.activation, self.out_activation_
            )
        if bad.any():
            raise ValueError(
                f"The network's output is not finite for {bad.sum()} of "
                f"{len(bad)} rows (first: row {np.flatnonzero(bad)[0]}): their "
                "values are too large even for float64. Scale the inputs "
                "(e.g. StandardScaler)."
            )
        return P

    def _labels(self, P):
        """Class labels (or indicator matrix) from network outputs."""
        if self.n_outputs_ == 1:
            P = P.ravel()
        return self._label_binarizer.inverse_transform(P)

    def _validate_X_predict(self, X):
        """Checked X in float32 or float64, not yet cast to the model's dtype."""
        return prediction_data(self, X)

    def predict(self, X):
        """Predict class labels (or the label indicator matrix).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return self._labels(self._predicted_output(X))

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns ordered as ``classes_``.
        """
        P = self._predicted_output(X)
        if self.n_outputs_ == 1:
            return np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        P = self.predict_proba(X)
        with np.errstate(divide="ignore"):  # log(0) = -inf, as MLPClassifier
            return np.log(P, out=P)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags
