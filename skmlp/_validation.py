"""Input validation for NumpyMLPClassifier (estimator side).

Everything that turns what the user passed into what the training loops
need: checked arrays in the model's dtype, binarized targets, sample weights
with class weights folded in, smoothed targets, a validation set.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._activations import ACTIVATIONS
from ._schedules import SCHEDULES
from ._training import ValidationSet

__all__ = [
    "partial_fit_available",
    "prediction_data",
    "PARAMETER_CONSTRAINTS",
    "STOCHASTIC_SOLVERS",
    "dropout_rates",
    "hidden_layer_sizes",
    "training_data",
    "training_sample_weight",
    "validation_set",
]


# What each parameter of NumpyMLPClassifier accepts, checked by
# scikit-learn's validate_params before every fit and partial_fit.  The
# parameters MLPClassifier has take its constraints (activation accepts
# more names), so a value one accepts the other accepts too.
PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": [
        "array-like",
        Interval(Integral, 1, None, closed="left"),
    ],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
    ],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "dtype": [
        Options(type, {np.float32, np.float64}),
        StrOptions({"float32", "float64"}),
        None,
    ],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "class_weight": [dict, list, StrOptions({"balanced"}), None],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "lr_schedule": [StrOptions(set(SCHEDULES)), None],
    "lr_decay": [Interval(Real, 0, 1, closed="right")],
    "lr_step_epochs": [Interval(Integral, 1, None, closed="left")],
    "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    "early_stopping_monitor": [StrOptions({"score", "loss"})],
    "restore_best_weights": ["boolean"],
    "optimizer_state": [StrOptions({"auto", "keep", "reset"})],
    "augment": [HasMethods(["transform_batch"]), None],
}

STOCHASTIC_SOLVERS = ("sgd", "adam")
"""The solvers that train minibatch by minibatch (and offer partial_fit)."""


def hidden_layer_sizes(est):
    """``hidden_layer_sizes`` as a list of positive ints (clear error else)."""
    sizes = est.hidden_layer_sizes
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if any(not isinstance(s, Integral) or s <= 0 for s in sizes):
        raise ValueError(
            "hidden_layer_sizes must be positive integers, got %s." % sizes
        )
    return [int(s) for s in sizes]


def dropout_rates(est):
    """One dropout rate per hidden layer, or None when there is none."""
    n_hidden = len(hidden_layer_sizes(est))
    problem = ValueError(
        f"dropout must be one rate or {n_hidden} rates (one per hidden "
        f"layer), each a number in [0, 1); got {est.dropout!r}."
    )
    try:
        rates = np.asarray(est.dropout, dtype=float)
    except (TypeError, ValueError):
        raise problem from None
    if rates.ndim == 0:
        rates = np.full(n_hidden, float(rates))
    # Written so that NaN fails it too.
    if rates.shape != (n_hidden,) or not ((rates >= 0) & (rates < 1)).all():
        raise problem
    return [float(r) for r in rates] if rates.any() else None


def _model_dtype(est, reset):
    """The dtype X must be validated to: one dtype, or MLPClassifier's list.

    ``dtype=None`` follows scikit-learn: a first fit takes float32 input as
    it is and turns everything else into float64 (``check_array`` with the
    list ``[float64, float32]``); a warm start or ``partial_fit`` keeps the
    dtype of the fitted model.
    """
    if est.dtype is not None:
        return np.dtype(est.dtype)
    if not reset:
        return est.coefs_[0].dtype
    return [np.float64, np.float32]


def training_data(est, X, y, incremental, reset):
    """Validate ``X`` and ``y`` and binarize ``y`` as scikit-learn does.

    Sets ``classes_`` (and the label binarizer) on a first fit; on a warm
    start or ``partial_fit`` it checks ``y`` against the known classes.
    Settles the precision of this fit (``est._fit_dtype``, read through
    ``est._dtype``): ``dtype``, or the one of ``X`` (see
    :func:`_model_dtype`).

    Returns
    -------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        In the model's dtype, C-ordered.
    y : ndarray
        The validated labels.
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets in the model's dtype.
    """
    # scikit-learn's finiteness check sums X first; values near the float
    # limits overflow that sum and leak a RuntimeWarning (the check itself
    # still runs and still rejects NaN and inf).
    with np.errstate(over="ignore", invalid="ignore"):
        X, y = validate_data(
            est,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=_model_dtype(est, reset),
            order="C",
            reset=reset,
        )
    est._fit_dtype = X.dtype.name
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_classification_targets(y)

    if not hasattr(est, "classes_") or (not est.warm_start and not incremental):
        est._label_binarizer = LabelBinarizer().fit(y)
        est.classes_ = est._label_binarizer.classes_
    else:
        classes = unique_labels(y)
        if est.warm_start:
            if set(classes) != set(est.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same "
                    "classes as in the previous call to fit. Previously "
                    f"got {est.classes_}, `y` has {classes}"
                )
        elif len(np.setdiff1d(classes, est.classes_, assume_unique=True)):
            raise ValueError(
                "`y` has classes not in `self.classes_`. "
                f"`self.classes_` has {est.classes_}. 'y' has {classes}."
            )
    Y = est._label_binarizer.transform(y).astype(est._dtype)
    return X, y, Y


def training_sample_weight(est, X, y, sample_weight):
    """Sample weights with ``class_weight`` folded in (None if neither).

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X, dtype=est._dtype)
        # _check_sample_weight lets a NaN or infinite scalar through.
        if not np.isfinite(sample_weight).all():
            raise ValueError("sample_weight contains NaN or infinity.")
    if est.class_weight is not None:
        sample_weight = _fold_class_weight(est, y, sample_weight)
    if sample_weight is not None:
        _check_weight_total(est, sample_weight)
    return sample_weight


def _check_weight_total(est, sample_weight):
    """A total weight the training can divide by, in the model's dtype."""
    total = sample_weight.sum(dtype=np.float64)
    if total == 0:
        raise ValueError(
            "The sample weights (with class_weight applied) sum to zero: "
            "there is nothing to train on."
        )
    if not np.isfinite(sample_weight.sum(dtype=est._dtype)):
        raise ValueError(
            f"The sample weights sum to {total:.3g}, beyond the range of "
            f"{est._dtype.name}: rescale them or use dtype=np.float64."
        )


def _class_weight_per_output(est, y):
    """``class_weight`` checked, as one entry per output column of ``y``.

    Multiclass and binary targets take one dict (or 'balanced'); multilabel
    targets take, as :class:`~sklearn.ensemble.RandomForestClassifier`
    does, a list of one ``{0: w, 1: w}`` dict per label, or 'balanced'
    for every label.
    """
    class_weight = est.class_weight
    multilabel = est._label_binarizer.y_type_.startswith("multilabel")
    n_outputs = y.shape[1] if multilabel else 1
    if class_weight == "balanced":
        return ["balanced"] * n_outputs
    if multilabel and not isinstance(class_weight, list):
        raise ValueError(
            "For multilabel targets class_weight must be 'balanced' or a list "
            f"of {n_outputs} dicts, one per label, each {{0: weight, 1: weight}} "
            "(as in RandomForestClassifier); got a dict."
        )
    if not multilabel and isinstance(class_weight, list):
        raise ValueError(
            "A list of class_weight dicts is for multilabel targets (one dict "
            "per label); pass one dict {label: weight} or 'balanced'."
        )
    if not multilabel:
        class_weight, known = [class_weight], [est.classes_.tolist()]
    else:
        if len(class_weight) != n_outputs:
            raise ValueError(
                f"class_weight has {len(class_weight)} dicts but y has "
                f"{n_outputs} labels: give one dict per label."
            )
        known = [[0, 1]] * n_outputs
    for weights, labels in zip(class_weight, known):
        if not isinstance(weights, dict):
            raise ValueError(
                f"class_weight must hold dicts {{label: weight}}; got {weights!r}."
            )
        unknown = set(weights) - set(labels)
        if unknown:
            raise ValueError(
                f"class_weight has labels {sorted(unknown, key=str)} that are "
                f"not among the classes {labels}."
            )
        bad = {
            label: w
            for label, w in weights.items()
            if not isinstance(w, Real) or not 0 <= w < np.inf
        }
        if bad:
            raise ValueError(
                f"class_weight values must be finite non-negative numbers; got {bad}."
            )
    return class_weight


def _fold_class_weight(est, y, sample_weight):
    """``class_weight`` checked and multiplied into the sample weights.

    'balanced' counts each class by its total sample weight, among the rows
    of positive weight, so that a weighted fit equals the fit on repeated
    rows (a row of weight 0 is a row that is not there).  Multilabel
    targets multiply the weights of their labels, as
    :func:`sklearn.utils.class_weight.compute_sample_weight` does.
    """
    columns = y.reshape(len(y), -1)
    present = np.ones(len(y), bool) if sample_weight is None else sample_weight > 0
    weights = np.ones(len(y))
    for k, class_weight in enumerate(_class_weight_per_output(est, y)):
        y_k = columns[:, k]
        classes = np.unique(y_k[present])
        per_class = compute_class_weight(
            class_weight,
            classes=classes,
            y=y_k[present],
            sample_weight=None if sample_weight is None else sample_weight[present],
        )
        # Rows of a class seen only with weight 0 keep weight 0.
        index = np.searchsorted(classes, y_k).clip(0, len(classes) - 1)
        weights *= np.where(classes[index] == y_k, per_class[index], 0.0)
    weights = weights.astype(est._dtype)
    return weights if sample_weight is None else weights * sample_weight


def validation_set(est, X_val, y_val):
    """Check a user-supplied validation set against the fitted classes.

    Returns
    -------
    val : ValidationSet or None
        None when neither ``X_val`` nor ``y_val`` is given.
    """
    if X_val is None and y_val is None:
        return None
    if X_val is None or y_val is None:
        raise ValueError("Pass both X_val and y_val, or neither.")
    with np.errstate(over="ignore", invalid="ignore"):  # see training_data
        X_val = validate_data(
            est, X_val, accept_sparse=["csr", "csc"], dtype=est._dtype, reset=False
        )
    y_val = np.asarray(y_val)
    if est._label_binarizer.y_type_.startswith("multilabel"):
        if y_val.ndim != 2 or y_val.shape[1] != len(est.classes_):
            raise ValueError(
                "y_val must be a label indicator matrix with "
                f"{len(est.classes_)} columns, like y; got shape {y_val.shape}."
            )
        if not np.isin(y_val, (0, 1)).all():
            raise ValueError("y_val must hold only 0 and 1, like y.")
    else:
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        if y_val.ndim != 1:
            raise ValueError(
                f"y_val must be a 1-D array of labels, like y; got shape {y_val.shape}."
            )
    if y_val.shape[0] != X_val.shape[0]:
        raise ValueError(
            f"X_val has {X_val.shape[0]} samples but y_val has {y_val.shape[0]}."
        )
    unseen = np.setdiff1d(unique_labels(y_val), est.classes_)
    if len(unseen):
        raise ValueError(
            f"y_val has classes {unseen.tolist()} that are not in the training "
            f"classes {est.classes_.tolist()}."
        )
    Y_val = est._label_binarizer.transform(y_val).astype(est._dtype)
    return ValidationSet(X_val, y_val, Y_val, None)


def partial_fit_available(est):
    """True where ``partial_fit`` is offered; AttributeError where it is not.

    For ``available_if``, so that ``hasattr(est, "partial_fit")`` answers.
    Like MLPClassifier for 'lbfgs', it is hidden where it cannot do what it
    says: with class_weight='balanced' one chunk's class frequencies are not
    the data set's.
    """
    if est.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            "partial_fit is only available for stochastic"
            " optimizers. %s is not stochastic." % est.solver
        )
    if isinstance(est.class_weight, str) and est.class_weight == "balanced":
        raise AttributeError(
            "partial_fit is not available with class_weight='balanced': the "
            "class frequencies of one chunk are not those of the data set. "
            "Compute the weights once on all labels, e.g. dict(zip(classes, "
            "sklearn.utils.class_weight.compute_class_weight('balanced', "
            "classes=classes, y=y))), and pass that dict as class_weight."
        )
    return True


def prediction_data(est, X):
    """``X`` checked for predict, in float32 or float64 as it comes.

    Either float kind is accepted as it is (the network casts a chunk at a
    time): asking ``check_array`` for one dtype costs ~25 us per call, a
    fifth of predicting one row.
    """
    check_is_fitted(est)
    dtype = est.coefs_[0].dtype
    # See training_data: keeps sklearn's sum-overflow quiet.
    with np.errstate(over="ignore", invalid="ignore"):
        return validate_data(
            est,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[dtype, np.float64 if dtype == np.float32 else np.float32],
            reset=False,
        )
