"""Which implementation of the fused training passes runs: numba or NumPy.

skmlp's network math has two implementations of its memory-bound passes
(the optimizer step with its L2 term, clipping and weight decay; bias plus
ReLU; the ReLU derivative mask; bias plus softmax and the log-loss
gradient):

* ``"numpy"``: the reference, a few vectorised NumPy calls per pass;
* ``"numba"``: compiled loops (:mod:`skmlp._kernels_numba`) that make one
  pass where NumPy makes several, used when numba is installed
  (``pip install "skmlp[fast]"``).

The choice is made once, when skmlp is imported, from the environment
variable ``SKMLP_KERNELS``:

``auto`` (or unset)
    numba when it can be imported, else NumPy, silently.
``numpy``
    always the NumPy reference.
``numba``
    the compiled kernels; importing skmlp fails with an ImportError if
    numba cannot be imported.
``numba-parallel``
    as ``numba``, and the optimizer step of a large network (at least
    ``PARALLEL_MIN`` = 131,072 parameters) split over numba's threads
    (``NUMBA_NUM_THREADS``, all cores by default).  Not the default: on a
    machine whose cores are busy with other processes, a parallel step
    waits for a descheduled thread: for 235k float32 or float64
    parameters it was measured at a median of 16-35 ms against 0.4-0.8 ms
    on one thread, on the shared 2-core machine of the benchmarks, where
    it never paid (on the quiet machine too: whole fits 1.4-10x slower,
    ``benchmarks/RESULTS.md`` session 8).  Each thread computes its
    elements in the calling thread's floating-point mode, so the floats are
    the same.

Both give the same floats (the optimizer steps, the ReLU passes and the L2
term bit for bit), except the softmax and its log-loss gradient, which
agree within a few units in the last place (see
:mod:`skmlp._kernels_numba`).

numba itself is imported on the first call of :func:`compiled` (the first
training step), not with skmlp, because importing it takes about a second
(a program that never trains never pays it).  The first use of each kernel
compiles it (seconds, once per machine: the machine code is cached on disk
beside the module, or in ``NUMBA_CACHE_DIR``).

:func:`use` switches the backend for a block of code; it exists for the
tests and benchmarks that run both implementations in one process.
"""

import contextlib
import importlib.util
import os

__all__ = ["ENV_VAR", "backend", "compiled", "parallel", "use"]

ENV_VAR = "SKMLP_KERNELS"
"""Name of the environment variable that selects the backend."""

_CHOICES = ("auto", "numpy", "numba", "numba-parallel")


def _initial_backend():
    choice = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(
            f"{ENV_VAR}={os.environ[ENV_VAR]!r}: expected one of {', '.join(_CHOICES)}"
        )
    try:
        have_numba = importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # e.g. sys.modules["numba"] = None
        have_numba = False
    if choice.startswith("numba") and not have_numba:
        raise ImportError(
            f"{ENV_VAR}={choice} but numba is not installed: "
            'pip install "skmlp[fast]", or unset the variable'
        )
    if choice == "auto":
        return "numba" if have_numba else "numpy"
    return choice


_state = {"backend": _initial_backend(), "module": None}


def backend():
    """The backend in use.

    Returns
    -------
    name : {"numba", "numba-parallel", "numpy"}
    """
    return _state["backend"]


def parallel():
    """Whether large optimizer steps may use numba's thread pool.

    Returns
    -------
    parallel : bool
        True for the ``numba-parallel`` backend.
    """
    return _state["backend"] == "numba-parallel"


def compiled():
    """The compiled kernels module, or None when the NumPy path is in use.

    Returns
    -------
    kernels : module or None
        :mod:`skmlp._kernels_numba`, imported on the first call.  If numba
        is installed but fails to import (a broken install), the NumPy path
        is used from then on, as if numba were missing, unless
        ``SKMLP_KERNELS=numba`` asked for it explicitly.
    """
    module = _state["module"]
    if module is not None or _state["backend"] == "numpy":
        return module
    try:
        module = importlib.import_module("skmlp._kernels_numba")
    except ImportError:
        if os.environ.get(ENV_VAR, "").strip().lower().startswith("numba"):
            raise
        _state["backend"] = "numpy"
        return None
    _state["module"] = module
    return module


@contextlib.contextmanager
def use(name):
    """Run a block with the given backend, then restore the previous one.

    Parameters
    ----------
    name : {"numba", "numba-parallel", "numpy"}
        The backend for the block.

    Yields
    ------
    kernels : module or None
        What :func:`compiled` returns inside the block.
    """
    if name not in _CHOICES[1:]:
        raise ValueError(
            f"unknown kernel backend {name!r}: one of {', '.join(_CHOICES[1:])}"
        )
    saved = dict(_state)
    _state["backend"], _state["module"] = name, None
    try:
        kernels = compiled()
        if name != "numpy" and kernels is None:
            raise ImportError("numba is not installed: the compiled backend is off")
        yield kernels
    finally:
        _state.update(saved)
