"""Flush subnormal floats to zero while a float32 network trains.

Why: with an L2 penalty, the weights that no input ever moves (MNIST's
blank border pixels, for one) decay geometrically towards zero, and so do
their Adam moments.  After a few dozen epochs tens of thousands of them are
*subnormal* (below ``np.finfo(np.float32).tiny``, about 1.2e-38), and x86
CPUs take a slow microcode path for every operation on a subnormal operand
or result: measured on a 784-512-10 network (alpha=0.1) on MNIST, an epoch
went from 0.25 s to 1.9 s between epochs 30 and 70 (scikit-learn's float32
fits slow down the same way).  Values that small change no prediction, so
the training loop asks the CPU to treat them as zero, as GPUs and
``torch.set_flush_denormal(True)`` do.

How: the SSE control register MXCSR has two bits for this, FTZ (results
that would be subnormal become 0) and DAZ (subnormal inputs read as 0).
NumPy has no API for them, so on x86-64 Linux with glibc they are set
through ``fegetenv``/``fesetenv`` from ctypes, editing the ``__mxcsr`` field
of glibc's ``fenv_t`` (bytes 28-31; the layout is part of glibc's ABI and
checked before use).  The register is per thread: only the calling thread
(the one running the NumPy updates) is switched, and the previous
environment is put back on exit, exceptions included.  Elsewhere (other
CPUs, operating systems or C libraries) :func:`flush_subnormals` does
nothing: training is as correct, only slower once subnormals appear.
"""

import contextlib
import ctypes
import platform
import struct
import sys

__all__ = ["flush_subnormals", "subnormal_flush_supported"]

_FENV_SIZE = 32  # sizeof(fenv_t) on x86-64 glibc
_MXCSR_OFFSET = 28
_MXCSR_MASKS = 0x1F80  # the six exception-mask bits, all set by default
_FTZ_DAZ = 0x8040  # flush-to-zero (bit 15) and denormals-are-zero (bit 6)


def _load_libc():
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.fegetenv, libc.fesetenv  # noqa: B018 (both must exist)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


def _get_env():
    env = ctypes.create_string_buffer(_FENV_SIZE)
    if _LIBC.fegetenv(env) != 0:
        return None
    mxcsr = struct.unpack_from("<I", env.raw, _MXCSR_OFFSET)[0]
    # A field that does not look like MXCSR (mask bits) means a layout we do
    # not know: leave the environment alone rather than write garbage.
    if mxcsr & _MXCSR_MASKS == 0 or mxcsr > 0xFFFF:
        return None
    return env, mxcsr


def subnormal_flush_supported():
    """Whether :func:`flush_subnormals` can switch this thread's CPU mode.

    Returns
    -------
    supported : bool
        True on x86-64 Linux with glibc, where the MXCSR register is found.
    """
    return _LIBC is not None and _get_env() is not None


@contextlib.contextmanager
def flush_subnormals(enabled=True):
    """Treat subnormal floats as zero in this thread for the ``with`` block.

    Parameters
    ----------
    enabled : bool, default=True
        When False (or where unsupported) the block runs unchanged.

    Yields
    ------
    active : bool
        Whether flushing is in effect inside the block.
    """
    saved = _get_env() if enabled and _LIBC is not None else None
    if saved is None:
        yield False
        return
    env, mxcsr = saved
    flushed = ctypes.create_string_buffer(env.raw, _FENV_SIZE)
    struct.pack_into("<I", flushed, _MXCSR_OFFSET, mxcsr | _FTZ_DAZ)
    if _LIBC.fesetenv(flushed) != 0:
        yield False
        return
    try:
        yield True
    finally:
        _LIBC.fesetenv(env)
