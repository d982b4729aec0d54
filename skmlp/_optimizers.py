"""Stochastic optimizers: small state holders over the flat parameter vector.

An optimizer takes its state's shape from the parameters when it is built,
and ``step(params, grad)`` updates ``params`` in place.  Because the network
keeps all parameters in one flat vector, a step is a handful of vectorised
calls however many layers there are, and a preallocated scratch buffer
means a step allocates nothing.

``learning_rate`` is the *base* rate; a schedule may change it between
steps.  Adam applies its bias correction on top of it.

``step`` can also fold in the parts of a training step that are passes
over the same vector: the L2 term of the gradient (``l2``), gradient
clipping's scale (``scale``) and decoupled weight decay (``decay``).  With
the compiled kernels (:mod:`skmlp._kernels`) the whole step is one pass
over memory; the NumPy path computes the same floats in separate calls.
"""

import math

import numpy as np

from . import _kernels

__all__ = ["SGD", "Adam"]


def _prepare(params, grad, l2, n_coef, scale):
    """The NumPy reference of the folded gradient: ``(grad + l2 w) * scale``.

    ``grad`` is overwritten (left alone with ``l2=0`` and ``scale=1``);
    ``w`` is ``params[:n_coef]``, the weights.  Returns ``n_coef`` as an int
    (the whole vector for None).
    """
    n_coef = params.shape[0] if n_coef is None else int(n_coef)
    if l2:
        # float(): a NumPy float64 l2 would promote float32 to float64.
        grad[:n_coef] += float(l2) * params[:n_coef]
    if scale != 1:
        np.multiply(grad, float(scale), out=grad)
    return n_coef


def _decay(params, n_coef, decay):
    """Decoupled weight decay of the weights: ``w *= 1 - decay``."""
    params[: params.shape[0] if n_coef is None else int(n_coef)] *= 1 - decay


def _use_parallel(kernels, size):
    """Whether a step over ``size`` elements goes to numba's thread pool."""
    return (
        _kernels.parallel() and size >= kernels.PARALLEL_MIN and kernels.threads() > 1
    )


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum.

    With velocity ``v``, rate ``eta`` and momentum ``mu``, one step is
    ``v <- mu v - eta g``, then ``w <- w + v`` or, with Nesterov's momentum,
    ``w <- w + mu v - eta g`` (scikit-learn's formulation).

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        The parameters the optimizer will update (only their shape and dtype
        are read here).
    learning_rate : float, default=0.1
        Base step size ``eta``.
    momentum : float, default=0.9
        ``mu``, in [0, 1].
    nesterov : bool, default=True
        Use Nesterov's momentum.

    Attributes
    ----------
    velocity : ndarray of shape (n_params,)
        The velocity ``v``.
    """

    def __init__(self, params, learning_rate=0.1, momentum=0.9, nesterov=True):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = np.zeros_like(params)
        self._scratch = np.empty_like(params)

    def step(self, params, grad, *, l2=0.0, n_coef=None, scale=1.0, decay=0.0):
        """Update ``params`` in place from the gradient ``grad``.

        The gradient used is ``(grad + l2 * w) * scale`` with ``w`` the
        weights ``params[:n_coef]`` (the L2 term on the weights only, then
        clipping's scale); after the update the weights are multiplied by
        ``1 - decay``.  The compiled kernels (:mod:`skmlp._kernels`) do it
        all in one pass; the NumPy path gives the same floats.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Parameters, updated in place.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``params``, without the L2 term when
            ``l2`` is given.  Left unchanged with the default ``l2`` and
            ``scale``; otherwise its content afterwards is unspecified.
        l2 : float, default=0.0
            Coefficient of the L2 term (``alpha / sum of sample weights``).
        n_coef : int, default=None
            Number of weights, which come first in ``params``; None for all.
        scale : float, default=1.0
            Factor of the whole gradient (gradient clipping).
        decay : float, default=0.0
            Decoupled weight decay of this step (``rate * weight_decay``).
        """
        kernels = _kernels.compiled()
        if kernels is not None and kernels.supports(params, grad, self.velocity):
            n = params.shape[0] if n_coef is None else int(n_coef)
            t = params.dtype.type
            kernel = (
                kernels.sgd_step_parallel
                if _use_parallel(kernels, params.shape[0])
                else kernels.sgd_step
            )
            kernel(
                params,
                grad,
                self.velocity,
                n,
                t(l2),
                t(scale),
                t(self.learning_rate),
                t(self.momentum),
                self.nesterov,
                t(1 - decay),
            )
            return
        if l2 or scale != 1:  # the plain step pays no extra call
            n_coef = _prepare(params, grad, l2, n_coef, scale)
        v, step = self.velocity, self._scratch
        # float(): a rate set from a NumPy computation (a schedule) would be a
        # float64 scalar and make the float32 products run in float64 (NEP 50).
        np.multiply(grad, float(self.learning_rate), out=step)  # eta g
        v *= self.momentum
        v -= step  # v = mu v - eta g
        if self.nesterov:
            params -= step
            np.multiply(v, self.momentum, out=step)
            params += step  # w += mu v - eta g
        else:
            params += v
        if decay:
            _decay(params, n_coef, decay)

    def state(self):
        """The optimizer's state as plain numbers and arrays.

        Returns
        -------
        state : dict
            ``learning_rate`` and ``velocity``; safe to persist (skops).
        """
        return {"learning_rate": self.learning_rate, "velocity": self.velocity}

    def load_state(self, state):
        """Continue from a :meth:`state` (arrays are copied).

        Parameters
        ----------
        state : dict
            As returned by :meth:`state`.
        """
        self.learning_rate = float(state["learning_rate"])
        self.velocity[...] = state["velocity"]


class Adam:
    """Adam (Kingma & Ba, 2014).

    With step count ``t``, ``m <- b1 m + (1 - b1) g``,
    ``v <- b2 v + (1 - b2) g^2``, and
    ``w <- w - eta_t m / (sqrt(v) + eps)`` where
    ``eta_t = eta sqrt(1 - b2^t) / (1 - b1^t)`` folds in the bias correction.

    The moments are stored as running sums without their ``(1 - b)``
    factors, ``M = m / (1 - b1)`` and ``V = v / (1 - b2)``, so that each
    update is two calls (``M <- b1 M + g``) instead of three; the factors
    are folded into two scalars of the step,
    ``w <- w - eta_t (1 - b1) / sqrt(1 - b2) * M / (sqrt(V) + eps / sqrt(1 - b2))``,
    which is the same update.  Adam's cost is memory traffic over the
    whole parameter vector, so this saves a sixth of it.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        The parameters the optimizer will update (only their shape and dtype
        are read here).
    learning_rate : float, default=0.001
        Base step size ``eta``.
    beta_1 : float, default=0.9
        Decay of the first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay of the second-moment estimate, in [0, 1).
    epsilon : float, default=1e-8
        Added to ``sqrt(v)`` for numerical stability.

    Attributes
    ----------
    t : int
        Number of steps taken.
    m, v : ndarray of shape (n_params,)
        First and second moment running sums ``M`` and ``V``: the moment
        estimates are ``(1 - beta_1) * m`` and ``(1 - beta_2) * v``.
    """

    def __init__(
        self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        self.learning_rate = float(learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.m = np.zeros_like(params)
        self.v = np.zeros_like(params)
        self._scratch = np.empty_like(params)

    def step(self, params, grad, *, l2=0.0, n_coef=None, scale=1.0, decay=0.0):
        """Update ``params`` in place from the gradient ``grad``.

        The gradient used is ``(grad + l2 * w) * scale`` with ``w`` the
        weights ``params[:n_coef]``; after the update the weights are
        multiplied by ``1 - decay`` (see :meth:`SGD.step`).

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Parameters, updated in place.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``params``, without the L2 term when
            ``l2`` is given.  Left unchanged with the default ``l2`` and
            ``scale``; otherwise its content afterwards is unspecified.
        l2 : float, default=0.0
            Coefficient of the L2 term (``alpha / sum of sample weights``).
        n_coef : int, default=None
            Number of weights, which come first in ``params``; None for all.
        scale : float, default=1.0
            Factor of the whole gradient (gradient clipping).
        decay : float, default=0.0
            Decoupled weight decay of this step (``rate * weight_decay``).
        """
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # Python floats (math.sqrt, float()): a NumPy float64 scalar would make
        # every float32 operation below run in float64 (NEP 50), 8x slower.
        root = math.sqrt(1 - b2)
        lr_t = float(self.learning_rate) * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        kernels = _kernels.compiled()
        if kernels is not None and kernels.supports(params, grad, self.m, self.v):
            t = params.dtype.type
            kernel = (
                kernels.adam_step_parallel
                if _use_parallel(kernels, params.shape[0])
                else kernels.adam_step
            )
            kernel(
                params,
                grad,
                self.m,
                self.v,
                params.shape[0] if n_coef is None else int(n_coef),
                t(l2),
                t(scale),
                t(b1),
                t(b2),
                t(lr_t * (1 - b1) / root),
                t(self.epsilon / root),
                t(1 - decay),
            )
            return
        if l2 or scale != 1:  # the plain step pays no extra call
            n_coef = _prepare(params, grad, l2, n_coef, scale)
        m, v, tmp = self.m, self.v, self._scratch
        m *= b1
        m += grad
        np.multiply(grad, grad, out=tmp)
        v *= b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.epsilon / root
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t * (1 - b1) / root
        params -= tmp
        if decay:
            _decay(params, n_coef, decay)

    def state(self):
        """The optimizer's state as plain numbers and arrays.

        Returns
        -------
        state : dict
            ``learning_rate``, ``t``, ``m`` and ``v``; safe to persist (skops).
        """
        return {
            "learning_rate": self.learning_rate,
            "t": self.t,
            "m": self.m,
            "v": self.v,
        }

    def load_state(self, state):
        """Continue from a :meth:`state` (arrays are copied).

        Parameters
        ----------
        state : dict
            As returned by :meth:`state`.
        """
        self.learning_rate = float(state["learning_rate"])
        self.t = int(state["t"])
        self.m[...] = state["m"]
        self.v[...] = state["v"]
