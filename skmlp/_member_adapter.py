"""Every access of the batched trainer to ``NumpyMLPClassifier`` internals.

To be rewired to the issue-14 interface (the fit-run object with
``train_step``/``run_epoch``, the monitor and the schedule objects): the
batched trainer (:mod:`skmlp._batched_training`) and the search
(:mod:`skmlp.model_selection`) reach the estimator only through the
functions below, so that redesign changes this module alone.

The accesses, in the order a member's fit makes them:

1. ``est._validate_params()`` (scikit-learn's parameter check, as ``fit``
   runs it);
2. ``skmlp._validation.training_data`` (sets ``classes_``,
   ``_label_binarizer``, ``n_features_in_``, ``feature_names_in_``),
   ``training_sample_weight``, ``hidden_layer_sizes``, ``dropout_rates``;
3. ``est._initialize`` (Glorot weights from ``random_state``, the output
   activation, the empty curves) and ``est._layer_units``;
4. ``skmlp._training.validation_split`` (the early-stopping split, drawn
   right after the weights);
5. the fitted attributes written at the end (:func:`finish_member`),
   including the private ``_best_flat``, ``_optimizer_state``,
   ``_no_improvement_count`` and ``_stopped_early``;
6. scikit-learn's ``_skl_callbacks`` (callbacks set with
   ``set_callbacks``; such a member is fitted on its own).
"""

from typing import NamedTuple

import numpy as np
from sklearn.utils import check_random_state

from ._fit_data import TrainingSet
from ._network import as_params
from ._training import validation_split
from ._validation import (
    dropout_rates,
    hidden_layer_sizes,
    training_data,
    training_sample_weight,
)

__all__ = [
    "MemberStart",
    "has_callbacks",
    "validated_data",
    "start_member",
    "finish_member",
]

_DATA_ATTRIBUTES = (
    "classes_",
    "_label_binarizer",
    "n_features_in_",
    "feature_names_in_",
    # The precision validated_data settled (dtype=None follows X's dtype):
    # without it a member would initialise in the default float64.
    "_fit_dtype",
)


class MemberStart(NamedTuple):
    """What one member's fit has drawn and checked before its first epoch.

    Attributes
    ----------
    flat : ndarray of shape (n_params,)
        Initial (Glorot) parameters.
    random_state : numpy.random.RandomState
        The member's generator, advanced past the init and the split.
    train_rows : ndarray of shape (n_train,)
        Rows of the stack's X the member trains on.
    val : ValidationSet or None
        The early-stopping validation rows, or None.
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets of all rows (not smoothed).
    sample_weight : ndarray of shape (n_samples,) or None
        Sample weights with class weights folded in.
    layer_units : list of int
    dropout : list of float or None
        One rate per hidden layer, or None.
    out_activation : str
    """

    flat: np.ndarray
    random_state: object
    train_rows: np.ndarray
    val: object
    Y: np.ndarray
    sample_weight: object
    layer_units: list
    dropout: object
    out_activation: str


def has_callbacks(est):
    """Whether callbacks were set on ``est`` (``set_callbacks``)."""
    return bool(getattr(est, "_skl_callbacks", None))


def validated_data(est, X, y):
    """Check ``X``, ``y`` as ``est.fit`` does; sets the class attributes.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        In the estimator's dtype, C-ordered.
    y : ndarray of shape (n_samples,)
    Y : ndarray of shape (n_samples, n_outputs)
        Binarized targets.
    """
    est._validate_params()
    return training_data(est, X, y, incremental=False, reset=True)


def start_member(est, X, y, Y, sample_weight, data_from=None):
    """Initialise one member as the first epochs of ``est.fit`` would.

    Parameters
    ----------
    est : NumpyMLPClassifier
        An unfitted member, its hyperparameters set.
    X, y, Y : ndarray
        From :func:`validated_data` (called on ``data_from``).
    sample_weight : ndarray of shape (n_samples,) or None
    data_from : NumpyMLPClassifier, default=None
        The member :func:`validated_data` was called on; its class and
        feature attributes are copied (the data are checked once a stack).

    Returns
    -------
    start : MemberStart
    """
    est._validate_params()
    if data_from is not None and data_from is not est:
        for name in _DATA_ATTRIBUTES:
            if hasattr(data_from, name):
                setattr(est, name, getattr(data_from, name))
    hidden = hidden_layer_sizes(est)
    dropout = dropout_rates(est)
    sample_weight = training_sample_weight(est, X, y, sample_weight)
    layer_units = [X.shape[1], *hidden, Y.shape[1]]
    random_state = check_random_state(est.random_state)
    params = est._initialize(Y, layer_units, random_state)
    est._layer_units = layer_units
    train = TrainingSet(X, Y, sample_weight)
    val = None
    if est.early_stopping:
        train, val = validation_split(
            train, est.validation_fraction, est.classes_, est._labels, random_state
        )
    rows = np.arange(X.shape[0]) if train.rows is None else train.rows
    return MemberStart(
        params.flat.copy(),
        random_state,
        rows,
        val,
        Y,
        sample_weight,
        layer_units,
        dropout,
        est.out_activation_,
    )


def finish_member(est, result):
    """Write a member's fitted attributes, as the end of ``est.fit`` does.

    Parameters
    ----------
    est : NumpyMLPClassifier
        The member (started with :func:`start_member`).
    result : dict
        The trained state: ``flat``, ``best_flat``, ``loss``, the curves and
        counters, and ``optimizer_state``.

    Returns
    -------
    est : NumpyMLPClassifier
        Fitted.

    Raises
    ------
    ValueError
        When the weights are not finite, as ``fit`` raises.
    """
    flat = result["flat"]
    if not np.isfinite(flat).all():
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data "
            "may contain large values and need to be preprocessed."
        )
    params = as_params(flat, est._layer_units)
    est.n_iter_ = result["n_iter"]
    est.t_ = result["t"]
    est.loss_ = result["loss"]
    est.loss_curve_ = result["loss_curve"]
    est.learning_rate_curve_ = result["learning_rate_curve"]
    est.best_loss_ = result["best_loss"]
    est.validation_scores_ = result["validation_scores"]
    est.validation_loss_curve_ = result["validation_loss_curve"]
    est.best_validation_score_ = result["best_validation_score"]
    est.best_validation_loss_ = result["best_validation_loss"]
    est._no_improvement_count = result["no_improvement_count"]
    est._stopped_early = False
    est._best_flat = result["best_flat"]
    est._optimizer_state = result["optimizer_state"]
    est.coefs_ = params.coefs
    est.intercepts_ = params.intercepts
    return est
