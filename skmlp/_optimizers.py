"""Stochastic optimizers: small state holders over the flat parameter vector.

An optimizer takes its state's shape from the parameters when it is built,
and ``step(params, grad)`` updates ``params`` in place.  Because the network
keeps all parameters in one flat vector, a step is a handful of vectorised
calls however many layers there are, and a preallocated scratch buffer
means a step allocates nothing.

``learning_rate`` is the *base* rate; a schedule may change it between
steps.  Adam applies its bias correction on top of it.
"""

import math

import numpy as np

__all__ = ["SGD", "Adam"]


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

    def step(self, params, grad):
        """Update ``params`` in place from the gradient ``grad``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Parameters, updated in place.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``params``.
        """
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

    def step(self, params, grad):
        """Update ``params`` in place from the gradient ``grad``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Parameters, updated in place.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``params``.
        """
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        m, v, tmp = self.m, self.v, self._scratch
        m *= b1
        m += grad
        np.multiply(grad, grad, out=tmp)
        v *= b2
        v += tmp
        # Python floats (math.sqrt, float()): a NumPy float64 scalar would make
        # every float32 operation below run in float64 (NEP 50), 8x slower.
        root = math.sqrt(1 - b2)
        lr_t = float(self.learning_rate) * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        np.sqrt(v, out=tmp)
        tmp += self.epsilon / root
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t * (1 - b1) / root
        params -= tmp

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
