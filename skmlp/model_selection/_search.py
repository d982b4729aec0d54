"""scikit-learn's searches, with the network fits trained as stacks.

How it works
------------
``fit`` is scikit-learn's own, run with two changes:

1. Before scikit-learn evaluates a list of candidates (the hook is
   ``_run_search``, which scikit-learn provides for custom searches), every
   candidate x fold fit is trained here: the network fits that share a
   fold and a network shape as one stacked network
   (:func:`skmlp._batched_training.fit_stack`), the others on their own,
   all through joblib with the search's ``n_jobs``.  Pipeline steps before
   the network are fitted per fold as scikit-learn would fit them.
2. scikit-learn's loop then runs (in this process) with a stand-in
   estimator, :class:`_Prefitted`, whose ``fit`` takes the already trained
   model for its parameters and training rows from that store instead of
   training.  The training rows reach it as a per-sample fit parameter
   (``skmlp_rows``, ``arange(n_samples)`` that scikit-learn splits with
   the data); a fit that is not in the store (the refit, or splits that
   differ between two ``cv.split`` calls) trains for real.

Scoring, ``cv_results_``, ``refit``, ``error_score`` and metadata routing
are scikit-learn's code; ``best_estimator_`` is a plain estimator.  The
one visible difference: ``mean_fit_time``/``std_fit_time`` time the
lookup, not the (shared) training.
"""

import copy
import hashlib

import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs
from joblib import hash as joblib_hash
from sklearn import get_config
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV as _SkGridSearchCV
from sklearn.model_selection import RandomizedSearchCV as _SkRandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, get_tags, indexable
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.multiclass import type_of_target

# scikit-learn's joblib wrappers: the workers get the caller's scikit-learn
# configuration (metadata routing, ...) and warning filters, as in its search.
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from .._batched_training import fit_stack, stack_key
from .._classifier import NumpyMLPClassifier

__all__ = ["GridSearchCV", "RandomizedSearchCV"]

# Bytes one stack may take (weights, optimizer state, checkpoints, batch
# activations); larger groups are split into several stacks.
MEMBER_BUDGET = 512 * 2**20

_ROWS = "skmlp_rows"

# Networks with fewer parameters than this are scored and refitted with one
# BLAS thread in the search's own process: their products are too small to
# share between threads.  Measured on the shared 2-core machine of
# benchmarks/RESULTS_search.md (other processes busy): one fit of the
# digits pipeline (4,810 parameters) took 35-60 s with OpenBLAS's two
# threads against 1.0 s with one; the MNIST row's (20,175) 24 s against
# 1.7 s.  The workers that train the stacks already run one thread each.
SMALL_NETWORK = 2**17

# A dense X stored by column (what pandas' ``to_numpy`` gives) is copied to
# row order once, up to this size: scikit-learn's loop then copies every
# fold's rows as blocks.  MNIST's 10,000 float32 rows: ``X[train]`` of
# 8,000 rows 7.5 ms by column against 3.1 by row, 60 fits x (train + test)
# in the search's own process; the copy itself 20 ms.
MAX_REORDERED_BYTES = 256 * 2**20


def _n_params(network, n_features, n_outputs):
    """Parameter count of ``network`` on ``n_features`` inputs (an estimate
    when Pipeline steps before it change the number of features)."""
    hidden = network.hidden_layer_sizes
    hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
    units = [n_features, *hidden, n_outputs]
    return sum(a * b + b for a, b in zip(units[:-1], units[1:]))


def _network_of(estimator):
    """The NumpyMLPClassifier that ``estimator`` is or ends in, or None."""
    if isinstance(estimator, NumpyMLPClassifier):
        return estimator
    if isinstance(estimator, Pipeline) and estimator.steps:
        last = estimator.steps[-1][1]
        if isinstance(last, NumpyMLPClassifier):
            return last
    return None


def _candidate_key(params):
    """A stable key of one candidate's parameter dict."""
    return repr(sorted(params.items()))


def _rows_key(rows):
    return hashlib.sha1(np.asarray(rows, dtype=np.int64).tobytes()).hexdigest()


class _Store(dict):
    """Trained models by (candidate key, rows key); shared, never copied.

    ``clone`` deep-copies non-estimator parameters: the store is handed on
    as itself so that every clone of the stand-in reads the same models.
    """

    def __deepcopy__(self, memo):
        return self


class _Prefitted(BaseEstimator):
    """Stand-in whose ``fit`` takes a model trained beforehand.

    Parameters
    ----------
    estimator : estimator
        The search's estimator; ``set_params`` goes to it.
    store : _Store
        Trained models (or the exception their fit raised).
    """

    __metadata_request__fit = {_ROWS: True}

    def __init__(self, estimator, store):
        self.estimator = estimator
        self.store = store

    def set_params(self, **params):
        own = {k: params.pop(k) for k in ("estimator", "store") if k in params}
        super().set_params(**own)
        if params:
            self.candidate_ = dict(params)
            self.estimator.set_params(**params)
        return self

    def fit(self, X, y=None, skmlp_rows=None, **fit_params):
        """Take the trained model for these parameters and rows, or train."""
        key = (_candidate_key(getattr(self, "candidate_", {})), None)
        if skmlp_rows is not None:
            key = (key[0], _rows_key(skmlp_rows))
        if key in self.store:
            found = self.store[key]
            if isinstance(found, BaseException):
                raise found
            self.fitted_ = found
            return self
        if get_config()["enable_metadata_routing"]:
            fit_params = process_routing(self, "fit", **fit_params).estimator.fit
        self.fitted_ = clone(self.estimator).fit(X, y, **fit_params)
        return self

    def __getattr__(self, name):
        # Only reached for what the stand-in lacks: the fitted model's (or,
        # before fit, the estimator's) public methods and attributes.  Not
        # private ones: the stand-in's own metadata requests must not be
        # read from the estimator.
        if name.startswith("_") or name in ("estimator", "store", "fitted_"):
            raise AttributeError(name)
        target = self.__dict__.get("fitted_", self.__dict__.get("estimator"))
        if target is None:
            raise AttributeError(name)
        return getattr(target, name)

    def __sklearn_tags__(self):
        return copy.deepcopy(get_tags(self.estimator))

    def get_metadata_routing(self):
        """Route as the estimator, plus the stand-in's own ``skmlp_rows``."""
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self.estimator,
                method_mapping=MethodMapping()
                .add(caller="fit", callee="fit")
                .add(caller="score", callee="score"),
            )
        )


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _in_row_order(X):
    """X, or its copy in row order when it is a dense array stored by column
    and at most MAX_REORDERED_BYTES (the same values)."""
    if (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and not X.flags.c_contiguous
        and X.nbytes <= MAX_REORDERED_BYTES
    ):
        return np.ascontiguousarray(X)
    return X


def _index_params(params, rows, n_samples):
    """Per-sample fit parameters restricted to ``rows``, as sklearn does."""
    return {
        k: _safe_indexing(v, rows)
        if hasattr(v, "__len__") and not isinstance(v, str) and len(v) == n_samples
        else v
        for k, v in params.items()
    }


def _stack_params(estimator, params):
    """(prefix, network, sample_weight name) for a stackable fit, else None.

    A fit is stackable when the only fit parameter is the network's
    ``sample_weight`` and the network has a :func:`stack_key`.
    """
    network = _network_of(estimator)
    if network is None or stack_key(network) is None:
        return None
    if isinstance(estimator, Pipeline):
        if estimator.memory is not None or getattr(estimator, "transform_input", None):
            return None
        if get_config()["enable_metadata_routing"]:
            name = _routed_to_network_only(estimator, params)
            if name is False:
                return None
        else:
            name = f"{estimator.steps[-1][0]}__sample_weight"
            if set(params) - {name}:
                return None
        return estimator[:-1], network, name
    if set(params) - {"sample_weight"}:
        return None
    return None, network, "sample_weight"


def _routed_to_network_only(pipeline, params):
    """With metadata routing: the fit parameter that the pipeline routes to
    its network as ``sample_weight`` (None if none), or False when it
    routes anything else (to a transformer, or another network parameter).
    """
    if not params:
        return None
    routed = process_routing(pipeline, "fit", **params)
    for name, _ in pipeline.steps[:-1]:
        if any(routed[name].get(method) for method in ("fit", "fit_transform")):
            return False
    to_network = routed[pipeline.steps[-1][0]].fit
    if set(to_network) != {"sample_weight"}:
        return False
    # The caller's name for it (an alias set with set_fit_request).
    names = [k for k, v in params.items() if v is to_network["sample_weight"]]
    return names[0] if len(names) == 1 else False


def _member_bytes(network, n_features, n_outputs, n_samples):
    hidden = network.hidden_layer_sizes
    hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
    units = [n_features, *hidden, n_outputs]
    n_params = sum(a * b + b for a, b in zip(units[:-1], units[1:]))
    batch = 200 if network.batch_size == "auto" else int(network.batch_size)
    itemsize = np.dtype(network.dtype).itemsize
    # weights, gradient, 2 moments, checkpoints, best weights; activations,
    # their copies and errors; targets and weights of every row.
    return itemsize * (
        8 * n_params + 4 * batch * sum(units) + n_samples * (n_outputs + 2)
    )


def _plan(estimator, candidates, splits, X, y, fit_params):
    """The training jobs of every candidate x fold fit.

    Returns
    -------
    jobs : list of tuple
        ``("stack", train, [(key, estimator), ...], sample_weight name)``
        for fits trained together, ``("solo", train, [(key, estimator)],
        None)`` for the others.
    """
    target = type_of_target(y)
    stackable = target in ("binary", "multiclass") and not sp.issparse(X)
    n_features = X.shape[1] if hasattr(X, "shape") and len(X.shape) == 2 else 1
    n_outputs = len(np.unique(y)) if stackable else 1
    jobs = []
    for train, _ in splits:
        rows = _rows_key(train)
        groups = {}
        for params in candidates:
            est = clone(estimator).set_params(**clone(params, safe=False))
            key = (_candidate_key(params), rows)
            parts = _stack_params(est, fit_params) if stackable else None
            if parts is None:
                jobs.append(("solo", train, [(key, est)], None))
                continue
            prefix, network, sw_name = parts
            group = (
                None if prefix is None else joblib_hash(prefix),
                stack_key(network),
            )
            groups.setdefault(group, (sw_name, []))[1].append((key, est))
        for sw_name, members in groups.values():
            net = _network_of(members[0][1])
            size = _member_bytes(net, n_features, max(n_outputs, 2), len(train))
            per_stack = max(1, MEMBER_BUDGET // size)
            for start in range(0, len(members), per_stack):
                chunk = members[start : start + per_stack]
                jobs.append(("stack", train, chunk, sw_name))
    return jobs


def _balance(jobs, n_workers):
    """Largest jobs first, and stacks halved until the workers come out even.

    joblib hands each job to the next free worker, so with the largest
    first the workers finish together when the job count is a multiple of
    theirs: 5 folds of 12 members on 2 workers become 12, 12, 12, 12, 6, 6
    (30 members each) instead of 36 and 24.
    """
    jobs = sorted(jobs, key=lambda job: -len(job[2]))
    while n_workers > 1 and len(jobs) % n_workers and len(jobs[0][2]) > 1:
        kind, train, members, sw_name = jobs.pop(0)
        half = (len(members) + 1) // 2
        jobs += [
            (kind, train, members[:half], sw_name),
            (kind, train, members[half:], sw_name),
        ]
        jobs.sort(key=lambda job: -len(job[2]))
    return jobs


def _run_job(kind, train, members, sw_name, X, y, fit_params):
    """Train one job's fits on the rows ``train``; (key, model or error)."""
    X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
    params = _index_params(fit_params, train, _n_rows(X))
    if kind == "solo":
        (key, est) = members[0]
        try:
            return [(key, est.fit(X_train, y_train, **params))]
        except Exception as exc:
            return [(key, exc)]
    first = members[0][1]
    prefix = first[:-1] if isinstance(first, Pipeline) else None
    if prefix is not None:
        try:
            X_train = prefix.fit_transform(X_train, y_train)
        except Exception as exc:
            return [(key, exc) for key, _ in members]
    networks = [_network_of(est) for _, est in members]
    fitted = fit_stack(networks, X_train, y_train, params.get(sw_name))
    out = []
    for (key, est), net in zip(members, fitted):
        if isinstance(net, BaseException) or prefix is None:
            out.append((key, net))
            continue
        # Every member of a fold shares the fold's fitted prefix steps.
        est.steps = [*prefix.steps, est.steps[-1]]
        out.append((key, est))
    return out


class _FixedSplits:
    """A splitter that gives the folds it was made with."""

    def __init__(self, splits):
        self.splits = splits

    def split(self, X=None, y=None, groups=None, **params):
        return iter(self.splits)

    def get_n_splits(self, X=None, y=None, groups=None, **params):
        return len(self.splits)


class _StackedSearchMixin:
    """The stacked training, put in front of a scikit-learn search's ``fit``."""

    def fit(self, X, y=None, **params):
        """Run fit with all sets of parameters (see scikit-learn's search).

        With a NumpyMLPClassifier (or a Pipeline ending in one) the
        candidate x fold fits are trained beforehand, stacked; the rest is
        scikit-learn's ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vectors.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        **params : dict of str -> object
            Fit parameters of the estimator, the scorer and the splitter.

        Returns
        -------
        self : object
            Instance of fitted estimator.
        """
        if _network_of(self.estimator) is None or y is None or _ROWS in params:
            return super().fit(X, y, **params)
        X, y = indexable(X, y)
        X = _in_row_order(X)
        estimator, n_jobs, store = self.estimator, self.n_jobs, _Store()
        stand_in = _Prefitted(estimator, store)
        self._stacked = (X, y, params, estimator, n_jobs)
        # scikit-learn's loop only looks models up and scores them: in this
        # process, so the store is never pickled to workers.
        self.estimator, self.n_jobs = stand_in, 1
        network = _network_of(estimator)
        n_features = X.shape[1] if len(getattr(X, "shape", ())) == 2 else 1
        small = _n_params(network, n_features, len(np.unique(y))) < SMALL_NETWORK
        try:
            with threadpool_limits(limits=1 if small else None, user_api="blas"):
                super().fit(X, y, **params, **{_ROWS: np.arange(_n_rows(X))})
        finally:
            self.estimator, self.n_jobs = estimator, n_jobs
            del self._stacked
            store.clear()
        if hasattr(self, "best_estimator_"):
            self.best_estimator_ = self.best_estimator_.fitted_
        if self.scoring is None:
            self.scorer_ = check_scoring(self.estimator)
        return self

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        context = getattr(self, "_stacked", None)
        if context is None:
            return super()._run_search(evaluate_candidates, callback_ctx=callback_ctx)

        def evaluate(candidate_params, cv=None, more_results=None, **kwargs):
            candidate_params = list(candidate_params)
            splits = self._train_stacked(candidate_params, cv, context)
            # The folds trained on, handed to scikit-learn as they are: a
            # splitter that draws new folds on each call cannot differ.
            return evaluate_candidates(
                candidate_params, _FixedSplits(splits), more_results, **kwargs
            )

        return super()._run_search(evaluate, callback_ctx=callback_ctx)

    def _train_stacked(self, candidates, cv, context):
        """Train every candidate x fold fit into the stand-in's store.

        Returns
        -------
        splits : list of (train, test)
            The folds, from one call of the splitter.
        """
        X, y, params, estimator, n_jobs = context
        routed = self._get_routed_params_for_fit(
            {**params, _ROWS: np.arange(_n_rows(X))}
        )
        fit_params = {k: v for k, v in routed.estimator.fit.items() if k != _ROWS}
        cv = cv or self._checked_cv_orig
        splits = list(cv.split(X, y, **routed.splitter.split))
        jobs = _plan(estimator, candidates, splits, X, y, fit_params)
        jobs = _balance(jobs, effective_n_jobs(n_jobs))
        results = Parallel(n_jobs=n_jobs, pre_dispatch=self.pre_dispatch)(
            delayed(_run_job)(*job, X, y, fit_params) for job in jobs
        )
        store = self.estimator.store
        for result in results:
            store.update(result)
        return splits


class GridSearchCV(_StackedSearchMixin, _SkGridSearchCV):
    """:class:`sklearn.model_selection.GridSearchCV`, network fits stacked.

    Same parameters, attributes and behaviour as scikit-learn's class
    (this is a subclass).  When ``estimator`` is a
    :class:`~skmlp.NumpyMLPClassifier` or a
    :class:`~sklearn.pipeline.Pipeline` ending in one, the fits of every
    candidate on every fold that share the network's shape (hidden sizes,
    activation, solver, batch size, dtype, shuffle, early-stopping split)
    are trained together as one stacked network, each exactly as its own
    ``fit`` would train it; fits that cannot be stacked (``lbfgs``, fit
    parameters other than ``sample_weight``, multilabel or sparse data) are
    trained on their own.  Stacks run through joblib with ``n_jobs``.  Any
    other estimator runs scikit-learn's search unchanged.

    ``mean_fit_time`` and ``std_fit_time`` time taking the trained model,
    not the (shared) training.

    See :class:`sklearn.model_selection.GridSearchCV` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skmlp import NumpyMLPClassifier
    >>> from skmlp.model_selection import GridSearchCV
    >>> X, y = load_digits(return_X_y=True)
    >>> net = NumpyMLPClassifier((32,), max_iter=20, random_state=0)
    >>> search = GridSearchCV(net, {"alpha": [1e-4, 1e-1]}, cv=3)
    >>> search.fit(X / 16, y).best_params_ in [{"alpha": 1e-4}, {"alpha": 1e-1}]
    True
    """


class RandomizedSearchCV(_StackedSearchMixin, _SkRandomizedSearchCV):
    """:class:`sklearn.model_selection.RandomizedSearchCV`, network fits stacked.

    Same parameters, attributes and behaviour as scikit-learn's class (this
    is a subclass); the candidates drawn are trained as
    :class:`GridSearchCV` trains its grid.

    See :class:`sklearn.model_selection.RandomizedSearchCV` for the
    parameters.
    """
