"""Compiled (numba) kernels: the memory-bound passes of training, fused.

Imported only through :mod:`skmlp._kernels`, and only when numba is
installed and the compiled backend is selected.  Every kernel computes the
NumPy reference's operations in the reference's order, element by element
(no fast-math, no fused multiply-add: numba leaves floating-point
contraction off), so that the two give the same floats; the exceptions are
named in their docstrings and bounded in ``tests/test_kernels.py``.

Why fusion pays: NumPy makes one pass over memory per operation, and
Adam's step is ten of them over the whole parameter vector (plus two for
the L2 term of the gradient).  For a float64 784-256-128-10 network that is
1.9 MB per pass, more than a core's L2 cache; one fused pass reads each
element once.

Conventions: scalars arrive already in the arrays' dtype (the caller casts
Python floats exactly as NumPy casts them for an in-place operation), and
constants are made in it (``Z.dtype.type(1)``): numba would turn
``1 - x`` of a float32 ``x`` into float64 arithmetic.
``error_model="numpy"`` drops the ZeroDivisionError check, whose branch
would stop the loops from being vectorised.
"""

import math
import platform

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_PARALLEL = dict(_JIT, parallel=True)

# Elements per parallel chunk: large enough that a chunk outlasts the cost of
# handing it to a thread (a few microseconds), small enough for two cores
# to share a 235k-element vector evenly.
CHUNK = 16384


# --- the floating-point mode of numba's worker threads ----------------------
# The training loop flushes subnormal floats to zero in its own thread
# (skmlp._fpenv sets FTZ/DAZ in the x86 MXCSR register, which is per thread).
# numba's worker threads keep whatever mode they had when the pool was
# created, so a parallel kernel copies the calling thread's MXCSR into each
# worker for the duration of its chunk: every element is then computed in
# the same mode as on one thread, and the two give the same floats.
def _mxcsr_call(builder, name, slot):
    i8p = ir.IntType(8).as_pointer()
    fnty = ir.FunctionType(ir.VoidType(), [i8p])
    fn = cgutils.get_or_insert_function(builder.module, fnty, name)
    builder.call(fn, [builder.bitcast(slot, i8p)])


@intrinsic
def _x86_get_mxcsr(typingctx):
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once(builder, ir.IntType(32))
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", slot)
        return builder.load(slot)

    return types.uint32(), codegen


@intrinsic
def _x86_set_mxcsr(typingctx, value):
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once(builder, ir.IntType(32))
        builder.store(args[0], slot)
        _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()

    return types.none(types.uint32), codegen


if platform.machine() in ("x86_64", "AMD64"):
    get_fp_mode, set_fp_mode = _x86_get_mxcsr, _x86_set_mxcsr
else:  # skmlp._fpenv changes no mode there: nothing to copy

    @numba.njit(**_JIT)
    def get_fp_mode():
        return np.uint32(0)

    @numba.njit(**_JIT)
    def set_fp_mode(value):
        pass


# --- two LLVM operations numba does not offer -------------------------------
# (Here, not in a module of their own: numba's disk cache keys each kernel on
# the contents of its own file, so a kernel would keep its cached code after
# a change to an operation imported from elsewhere.)
#
# tile_sum: one 256-bit register's worth of columns (8 float32 or 4
# float64) of a row of the forward product, summed over the row's stored
# entries in a register and stored once.  LLVM vectorises numba's loop over
# a row only in blocks of four registers (32 float32 columns), so a 25-unit
# layer ran in scalar code; and numba's loop adds each group of entries to
# the output row in memory, a load and a store per group on the row's
# critical path.  Each lane computes what the scalar code computes, in the
# same order, without fused multiply-add: the same floats.
#
# prefetch: asks the CPU to start loading the cache line of a[i].  A
# minibatch's rows lie at random places in the training set's CSR arrays,
# each row a new stream the hardware prefetcher has not seen; asking for the
# next row while this one is summed hides part of that latency.
_I32 = ir.IntType(32)


def _vector_type(context, dtype):
    """The LLVM vector of ``dtype`` that fills a 256-bit register."""
    return ir.VectorType(context.get_data_type(dtype), 256 // dtype.bitwidth)


def _splat(builder, x, vectype):
    """The vector whose every lane is ``x``."""
    undef = ir.Constant(vectype, ir.Undefined)
    one = builder.insert_element(undef, x, ir.Constant(_I32, 0))
    zeros = ir.Constant(ir.VectorType(_I32, vectype.count), None)
    return builder.shuffle_vector(one, undef, zeros)


@intrinsic
def tile_sum(typingctx, o, k, data, indices, W, lo, hi):
    """``o[k:k+L] = sum of data[p] * W[indices[p], k:k+L]`` for ``p`` in ``[lo, hi)``.

    ``L = lanes(o)``.  Four entries at a time, ``(p0 + p1) + (p2 + p3)``,
    added to a register that starts at zero, then the tail one by one: the
    order of :func:`_add_rows`'s forward sums.  ``o`` 1-d and ``W`` 2-d,
    C-contiguous, of one dtype, ``k + L <= W.shape[1]`` (not checked).
    """
    if o.layout != "C" or W.layout != "C" or W.ndim != 2:
        return None  # W's rows are read at data + i * n_columns + k
    if not o.dtype == data.dtype == W.dtype:
        return None  # one vector type for the values, the rows and the sum
    signature = types.none(o, k, data, indices, W, lo, hi)

    def codegen(context, builder, signature, args):
        vectype = _vector_type(context, o.dtype)
        intp = context.get_value_type(types.intp)
        k_, lo_, hi_ = (
            context.cast(builder, v, t, types.intp)
            for v, t in ((args[1], k), (args[5], lo), (args[6], hi))
        )
        values = context.make_array(data)(context, builder, args[2]).data
        index = context.make_array(indices)(context, builder, args[3])
        w = context.make_array(W)(context, builder, args[4])
        n_columns = cgutils.unpack_tuple(builder, w.shape, 2)[1]

        def term(p):  # data[p] * W[indices[p], k:k+L]
            i = builder.load(builder.gep(index.data, [p]))
            i = context.cast(builder, i, indices.dtype, types.intp)
            at = builder.gep(w.data, [builder.add(builder.mul(i, n_columns), k_)])
            row = builder.load(builder.bitcast(at, vectype.as_pointer()), align=1)
            v = _splat(builder, builder.load(builder.gep(values, [p])), vectype)
            return builder.fmul(v, row)

        # A stack slot LLVM turns into a register (mem2reg).
        acc = cgutils.alloca_once_value(builder, ir.Constant(vectype, None))
        four = ir.Constant(intp, 4)
        n_fours = builder.sdiv(builder.sub(hi_, lo_), four)
        with cgutils.for_range(builder, n_fours, intp=intp) as loop:
            p = builder.add(lo_, builder.mul(loop.index, four))
            t = [term(builder.add(p, ir.Constant(intp, j))) for j in range(4)]
            s = builder.fadd(builder.fadd(t[0], t[1]), builder.fadd(t[2], t[3]))
            builder.store(builder.fadd(builder.load(acc), s), acc)
        tail = builder.add(lo_, builder.mul(n_fours, four))
        one = ir.Constant(intp, 1)
        with cgutils.for_range_slice(builder, tail, hi_, one, intp=intp) as (p, _):
            builder.store(builder.fadd(builder.load(acc), term(p)), acc)
        out = context.make_array(o)(context, builder, args[0]).data
        at = builder.bitcast(builder.gep(out, [k_]), vectype.as_pointer())
        builder.store(builder.load(acc), at, align=1)
        return context.get_dummy_value()

    return signature, codegen


@numba.njit(inline="always", **_JIT)
def lanes(o):
    """Elements of ``o``'s dtype in one 256-bit register."""
    return 32 // o.itemsize


@intrinsic
def prefetch(typingctx, a, i):
    """Start loading the cache line of ``a[i]`` (1-d array); no value changes."""
    signature = types.none(a, i)

    def codegen(context, builder, signature, args):
        data = context.make_array(a)(context, builder, args[0]).data
        i8p = ir.IntType(8).as_pointer()
        address = builder.bitcast(builder.gep(data, [args[1]]), i8p)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, _I32, _I32, _I32])
        # The intrinsic's name carries its pointer type: "p0" once LLVM's
        # pointers are opaque (llvmlite's typed pointers give "p0i8").
        name = (
            "llvm.prefetch.p0"
            if getattr(i8p, "is_opaque", False)
            else "llvm.prefetch.p0i8"
        )
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        # read, keep in all cache levels, data cache
        flags = [ir.Constant(_I32, 0), ir.Constant(_I32, 3), ir.Constant(_I32, 1)]
        builder.call(fn, [address, *flags])
        return context.get_dummy_value()

    return signature, codegen


@numba.njit(**_JIT)
def _adam_range(p, g, m, v, lo, hi, l2, scale, b1, b2, lr_c, eps_c, keep, weights):
    """Adam on ``[lo, hi)``; ``weights``: the range holds weights (L2, decay)."""
    if weights and l2 != 0:
        for i in range(lo, hi):
            gi = (g[i] + l2 * p[i]) * scale
            mi = m[i] * b1 + gi
            vi = v[i] * b2 + gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = (p[i] - mi / (math.sqrt(vi) + eps_c) * lr_c) * keep
    elif weights:
        for i in range(lo, hi):
            gi = g[i] * scale
            mi = m[i] * b1 + gi
            vi = v[i] * b2 + gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = (p[i] - mi / (math.sqrt(vi) + eps_c) * lr_c) * keep
    else:
        for i in range(lo, hi):
            gi = g[i] * scale
            mi = m[i] * b1 + gi
            vi = v[i] * b2 + gi * gi
            m[i] = mi
            v[i] = vi
            p[i] -= mi / (math.sqrt(vi) + eps_c) * lr_c


@numba.njit(**_JIT)
def adam_step(p, g, m, v, n_coef, l2, scale, b1, b2, lr_c, eps_c, keep):
    """One Adam step in skmlp's running-sum form, L2, clipping and decay fused.

    Per element, in the reference's order: ``g' = (g + l2 w) s`` (L2 on the
    weights only), ``M = M b1 + g'``, ``V = V b2 + g'^2``,
    ``w = (w - M / (sqrt(V) + eps_c) lr_c) keep`` (decay on the weights).
    """
    _adam_range(p, g, m, v, 0, n_coef, l2, scale, b1, b2, lr_c, eps_c, keep, True)
    n = p.shape[0]
    _adam_range(p, g, m, v, n_coef, n, l2, scale, b1, b2, lr_c, eps_c, keep, False)


@numba.njit(**_PARALLEL)
def adam_step_parallel(p, g, m, v, n_coef, l2, scale, b1, b2, lr_c, eps_c, keep):
    """:func:`adam_step` with the vector split in chunks over numba's threads."""
    n = p.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    mode = get_fp_mode()  # the calling thread's
    for c in numba.prange(n_chunks):
        saved = get_fp_mode()
        set_fp_mode(mode)
        lo, hi = c * CHUNK, min((c + 1) * CHUNK, n)
        a, b = min(lo, n_coef), min(hi, n_coef)  # the weights in [lo, hi)
        _adam_range(p, g, m, v, a, b, l2, scale, b1, b2, lr_c, eps_c, keep, True)
        a, b = max(lo, n_coef), max(hi, n_coef)  # the biases in [lo, hi)
        _adam_range(p, g, m, v, a, b, l2, scale, b1, b2, lr_c, eps_c, keep, False)
        set_fp_mode(saved)


@numba.njit(**_JIT)
def _sgd_range(p, g, vel, lo, hi, l2, scale, lr, mu, nesterov, keep, weights):
    """SGD with momentum on ``[lo, hi)`` (see :func:`sgd_step`)."""
    for i in range(lo, hi):
        gi = g[i] + l2 * p[i] if weights and l2 != 0 else g[i]
        s = gi * scale * lr
        vi = vel[i] * mu - s
        vel[i] = vi
        if nesterov:
            w = p[i] - s + vi * mu
        else:
            w = p[i] + vi
        p[i] = w * keep if weights else w


@numba.njit(**_JIT)
def sgd_step(p, g, vel, n_coef, l2, scale, lr, mu, nesterov, keep):
    """One SGD step with (Nesterov) momentum, L2, clipping and decay fused.

    Per element: ``g' = (g + l2 w) s``, ``step = g' eta``,
    ``v = v mu - step``, ``w = w - step + v mu`` (Nesterov) or ``w = w + v``,
    then ``w = w keep`` on the weights.
    """
    _sgd_range(p, g, vel, 0, n_coef, l2, scale, lr, mu, nesterov, keep, True)
    n = p.shape[0]
    _sgd_range(p, g, vel, n_coef, n, l2, scale, lr, mu, nesterov, keep, False)


@numba.njit(**_PARALLEL)
def sgd_step_parallel(p, g, vel, n_coef, l2, scale, lr, mu, nesterov, keep):
    """:func:`sgd_step` with the vector split in chunks over numba's threads."""
    n = p.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    mode = get_fp_mode()  # the calling thread's
    for c in numba.prange(n_chunks):
        saved = get_fp_mode()
        set_fp_mode(mode)
        lo, hi = c * CHUNK, min((c + 1) * CHUNK, n)
        a, b = min(lo, n_coef), min(hi, n_coef)
        _sgd_range(p, g, vel, a, b, l2, scale, lr, mu, nesterov, keep, True)
        a, b = max(lo, n_coef), max(hi, n_coef)
        _sgd_range(p, g, vel, a, b, l2, scale, lr, mu, nesterov, keep, False)
        set_fp_mode(saved)


@numba.njit(**_JIT)
def add_l2(g, p, n_coef, c):
    """``g[:n_coef] += c * p[:n_coef]`` in one pass (NumPy makes two)."""
    for i in range(n_coef):
        g[i] += c * p[i]


@numba.njit(**_JIT)
def bias_relu(Z, b):
    """``Z = maximum(Z + b, 0)`` row by row, in place.

    As ``np.maximum``: NaN propagates and ``-0.0`` becomes ``+0.0``.
    """
    n, k = Z.shape
    zero = Z.dtype.type(0)
    for r in range(n):
        for j in range(k):
            z = Z[r, j] + b[j]
            Z[r, j] = z if z > zero or z != z else zero


@numba.njit(**_JIT)
def bias_add(Z, b):
    """``Z += b`` row by row, in place (the identity activation's forward)."""
    n, k = Z.shape
    for r in range(n):
        for j in range(k):
            Z[r, j] += b[j]


@numba.njit(**_JIT)
def relu_mask(A, delta):
    """``delta *= (A > 0)`` in place: 0 where the unit was off (NaN stays NaN)."""
    n, k = delta.shape
    zero, one = delta.dtype.type(0), delta.dtype.type(1)
    for r in range(n):
        for j in range(k):
            delta[r, j] = delta[r, j] * (one if A[r, j] > zero else zero)


@numba.njit(**_JIT)
def bias_softmax(Z, b):
    """Row-wise softmax of ``Z + b``, in place (the maximum subtracted first).

    Not bit-identical to the NumPy reference: the row sum is added left to
    right here and by BLAS there, and float32 ``exp`` is NumPy's own SIMD
    routine there and the C library's here (each within an ulp or two).
    """
    n, k = Z.shape
    for r in range(n):
        top = Z.dtype.type(-np.inf)
        for j in range(k):
            z = Z[r, j] + b[j]
            Z[r, j] = z
            # As np.maximum.reduce: a NaN logit makes the row NaN.
            top = z if z > top or z != z else top
        total = Z.dtype.type(0)
        for j in range(k):
            e = math.exp(Z[r, j] - top)
            Z[r, j] = e
            total += e
        for j in range(k):
            Z[r, j] /= total


@numba.njit(**_JIT)
def log_loss_delta(P, Y, sample_weight, weighted, sw_sum):
    """``(P - Y) * s_i / S`` of a softmax output, in place.

    The most probable class's entry is ``(1 - y_t) - sum_{k != t} p_k`` (as
    ``skmlp._losses.log_loss_gradient``).  The sum runs left to right here
    and in BLAS's order there, so it may differ in the last bit.
    """
    n, k = P.shape
    one = P.dtype.type(1)
    for r in range(n):
        t = 0  # np.argmax: the first maximum, or the first NaN
        for j in range(1, k):
            p, top = P[r, j], P[r, t]
            if top == top and (p > top or p != p):
                t = j
        rest = P.dtype.type(0)
        for j in range(k):
            if j != t:
                rest += P[r, j]
        for j in range(k):
            d = P[r, j] - Y[r, j] if j != t else (one - Y[r, j]) - rest
            if weighted:  # rounded to P's dtype, as NumPy's in-place product
                d = P.dtype.type(d * sample_weight[r])
            P[r, j] = d / sw_sum


# The zero-skipping forward product adds four stored entries' products
# before adding them to the output row, which is then loaded and stored once
# per four entries, not per entry (1.5-1.6x faster than one at a time on
# MNIST batches, 64-256 units).  inline="always": called as functions, the
# loops were not vectorised (2-3x slower).
@numba.njit(inline="always", **_JIT)
def _add4(o, v0, a0, v1, a1, v2, a2, v3, a3):
    for k in range(o.shape[0]):
        o[k] += (v0 * a0[k] + v1 * a1[k]) + (v2 * a2[k] + v3 * a3[k])


@numba.njit(inline="always", **_JIT)
def _add1(o, v, a):
    for k in range(o.shape[0]):
        o[k] += v * a[k]


NARROW_LANES = 8


@numba.njit(inline="always", **_JIT)
def _sum_row(o, values, index, M, lo, hi):
    """``o = sum of values[p] * M[index[p]]`` for ``p`` in ``[lo, hi)``: the
    forward product's row, four entries at a time (:func:`_add_rows`).

    Rows of one to NARROW_LANES registers are summed a register of columns
    at a time in a register (:func:`tile_sum`; the last register's columns
    overlap the one before when the width is not a multiple: the same
    floats again).  Fresh MNIST batches of 200, one thread, us per call,
    numba's loop against the registers: float32 16 units 95 against 39,
    25 113 against 71, 32 140 against 70, 56 154 against 109; float64 16
    151 against 96, 25 171 against 141; at 8 registers (float64 32) the
    registers lost (160 against 223).
    """
    n = o.shape[0]
    step = lanes(o)
    if step <= n < NARROW_LANES * step:
        n_vec = n - n % step
        for k in range(0, n_vec, step):
            tile_sum(o, k, values, index, M, lo, hi)
        if n_vec < n:
            tile_sum(o, n - step, values, index, M, lo, hi)
        return
    o[:] = o.dtype.type(0)
    _add_rows(o, values, index, M, lo, hi, False)


@numba.njit(inline="always", **_JIT)
def _add4_in_order(o, v0, a0, v1, a1, v2, a2, v3, a3):
    # Four entries added one after the other (the same floats as four
    # separate passes), with o loaded and stored once.
    for k in range(o.shape[0]):
        o[k] = (((o[k] + v0 * a0[k]) + v1 * a1[k]) + v2 * a2[k]) + v3 * a3[k]


@numba.njit(inline="always", **_JIT)
def _add_rows(o, values, index, M, lo, hi, in_order):
    """``o += values[p] * M[index[p]]`` for ``p`` in ``[lo, hi)``, four at a time.

    Four products are summed ``(p0 + p1) + (p2 + p3)`` before ``o`` (the
    forward product), or, ``in_order``, added to ``o`` one after the other
    (the floats of one pass per entry: the weight gradient); the tail one
    by one.  ``in_order`` is a constant at each call: inlined, the branch
    goes.
    """
    p = lo
    while p + 4 <= hi:
        if in_order:
            _add4_in_order(
                o,
                values[p], M[index[p]], values[p + 1], M[index[p + 1]],
                values[p + 2], M[index[p + 2]], values[p + 3], M[index[p + 3]],
            )  # fmt: skip
        else:
            _add4(
                o,
                values[p], M[index[p]], values[p + 1], M[index[p + 1]],
                values[p + 2], M[index[p + 2]], values[p + 3], M[index[p + 3]],
            )  # fmt: skip
        p += 4
    while p < hi:
        _add1(o, values[p], M[index[p]])
        p += 1


@numba.njit(inline="always", **_JIT)
def _csr_rows_columns(indptr, indices, data, rows, W, out, k0, k1):
    """Columns ``[k0, k1)`` of :func:`csr_rows_matmul`."""
    zero = out.dtype.type(0)
    for r in range(rows.shape[0]):
        i = rows[r]
        o = out[r, k0:k1]
        o[:] = zero
        p, end = indptr[i], indptr[i + 1]
        while p + 4 <= end:
            _add4(
                o,
                data[p], W[indices[p], k0:k1], data[p + 1], W[indices[p + 1], k0:k1],
                data[p + 2], W[indices[p + 2], k0:k1],
                data[p + 3], W[indices[p + 3], k0:k1],
            )  # fmt: skip
            p += 4
        while p < end:
            _add1(o, data[p], W[indices[p], k0:k1])
            p += 1


@numba.njit(inline="always", **_JIT)
def _csr_rows_t_columns(indptr, indices, data, rows, D, out, k0, k1):
    """Columns ``[k0, k1)`` of :func:`csr_rows_t_matmul`."""
    zero = out.dtype.type(0)
    out[:, k0:k1] = zero
    for r in range(rows.shape[0]):
        i = rows[r]
        d = D[r, k0:k1]
        for p in range(indptr[i], indptr[i + 1]):
            _add1(out[indices[p], k0:k1], data[p], d)


@numba.njit(inline="always", **_JIT)
def _prefetch_row(indptr, indices, data, rows, r):
    """Start loading the stored entries of batch row ``r`` (if any).

    A batch's rows lie at random places in the training set's CSR arrays
    (12 MB for MNIST's 10,000 float32 rows); with row ``r + 1`` asked for
    while row ``r`` is summed, the float32 25-unit forward product of fresh
    batches took 123 against 145 us, the weight gradient 130 against 150.
    """
    if r < rows.shape[0]:
        i = rows[r]
        lo, hi = indptr[i], indptr[i + 1]
        for q in range(lo, hi, 64 // indices.itemsize):
            prefetch(indices, q)
        for q in range(lo, hi, 64 // data.itemsize):
            prefetch(data, q)


@numba.njit(**_JIT)
def csr_rows_matmul(indptr, indices, data, rows, W, out):
    """``out = A[rows] @ W``, A the CSR matrix of these arrays: its zeros skipped.

    Row ``r`` of ``out`` sums ``data[p] * W[indices[p]]`` over the stored
    entries of row ``rows[r]`` in their stored order, four products at a
    time (``(p0 + p1) + (p2 + p3)``), so the floats differ from a dense
    product's by rounding only.  Mostly-zero inputs (81% of MNIST's pixels
    are 0) cost a fifth of the dense product's multiply-adds.
    """
    # The same loop as _csr_rows_columns over all columns, on whole rows:
    # numba compiles row slices as contiguous, column ranges as strided
    # (10-20% slower below 64 units).
    _prefetch_row(indptr, indices, data, rows, 0)
    for r in range(rows.shape[0]):
        _prefetch_row(indptr, indices, data, rows, r + 1)
        i = rows[r]
        _sum_row(out[r], data, indices, W, indptr[i], indptr[i + 1])


@numba.njit(**_JIT)
def csr_rows_t_matmul(indptr, indices, data, rows, D, out):
    """``out = A[rows].T @ D``, A the CSR matrix of these arrays: zeros skipped.

    ``D`` has one row per entry of ``rows``; ``out`` has one row per column
    of A.  This is the first layer's weight gradient ``X_batch.T @ delta``:
    each stored entry adds ``value * D[r]`` to its column's row of ``out``,
    in batch order (the order of scipy's product of the transposed matrix).
    Sorting the batch's entries by column first, to add four at a time as
    :func:`csr_rows_matmul` does, cost more than it saved below 256 units.
    """
    zero = out.dtype.type(0)
    out[:] = zero
    _prefetch_row(indptr, indices, data, rows, 0)
    for r in range(rows.shape[0]):
        _prefetch_row(indptr, indices, data, rows, r + 1)
        i = rows[r]
        d = D[r]
        for p in range(indptr[i], indptr[i + 1]):
            _add1(out[indices[p]], data[p], d)


@numba.njit(inline="always", **_JIT)
def _entries_by_column(indptr, indices, data, rows, n_cols):
    """The batch's stored entries sorted by column, batch order within one
    (a counting sort): ``(start, entry_row, entry_value)``, column ``j``'s
    entries at ``start[j]:start[j + 1]``."""
    start = np.zeros(n_cols + 1, dtype=np.int64)
    _prefetch_row(indptr, indices, data, rows, 0)
    for r in range(rows.shape[0]):
        _prefetch_row(indptr, indices, data, rows, r + 1)
        i = rows[r]
        for p in range(indptr[i], indptr[i + 1]):
            start[indices[p] + 1] += 1
    for j in range(n_cols):
        start[j + 1] += start[j]
    fill = start[:n_cols].copy()
    entry_row = np.empty(start[n_cols], dtype=np.int64)
    entry_value = np.empty(start[n_cols], dtype=data.dtype)
    for r in range(rows.shape[0]):
        i = rows[r]
        for p in range(indptr[i], indptr[i + 1]):
            q = fill[indices[p]]
            entry_row[q], entry_value[q] = r, data[p]
            fill[indices[p]] = q + 1
    return start, entry_row, entry_value


@numba.njit(inline="always", **_JIT)
def _sum_columns(start, entry_row, entry_value, D, out, j0, j1):
    """Rows ``[j0, j1)`` of the gradient, each summed in place (in L1)."""
    zero = out.dtype.type(0)
    for j in range(j0, j1):
        o = out[j]
        o[:] = zero
        _add_rows(o, entry_value, entry_row, D, start[j], start[j + 1], True)


@numba.njit(**_JIT)
def csr_rows_t_matmul_by_column(indptr, indices, data, rows, D, out):
    """:func:`csr_rows_t_matmul`'s floats, one output row at a time.

    Each output row adds its column's stored entries in batch order, one
    after the other, as :func:`csr_rows_t_matmul` does; but the batch's
    entries are first sorted by column (a counting sort), and each row of
    ``out`` is then summed in place while it sits in the L1 cache, four
    entries per load and store, instead of every stored entry updating a
    row of an ``out`` that may not fit the L2 cache (784 x 256 float64 is
    1.6 MB).  Pays from ``skmlp._sparse_rows.BY_COLUMN_MIN_WIDTH`` columns:
    below, the sort is most of the cost.  (Written for the stacked search's
    wide first layer, issue 15.)

    indptr, indices, data : a CSR matrix A with sorted, unique columns;
    rows : (n_rows,); D : (n_rows, n_units) C-contiguous; out :
    (A's n_columns, n_units) C-contiguous.
    """
    n_cols = out.shape[0]
    start, entry_row, entry_value = _entries_by_column(
        indptr, indices, data, rows, n_cols
    )
    _sum_columns(start, entry_row, entry_value, D, out, 0, n_cols)


@numba.njit(**_PARALLEL)
def csr_rows_t_matmul_by_column_parallel(
    indptr, indices, data, rows, D, out, n_threads
):
    """:func:`csr_rows_t_matmul_by_column` with the output's rows split over
    numba's threads (each row the same sum, so the same floats)."""
    n_cols = out.shape[0]
    start, entry_row, entry_value = _entries_by_column(
        indptr, indices, data, rows, n_cols
    )
    n_blocks = min(n_threads, n_cols)
    mode = get_fp_mode()  # the calling thread's
    for c in numba.prange(n_blocks):
        saved = get_fp_mode()
        set_fp_mode(mode)
        j0, j1 = c * n_cols // n_blocks, (c + 1) * n_cols // n_blocks
        _sum_columns(start, entry_row, entry_value, D, out, j0, j1)
        set_fp_mode(saved)


# The parallel products split the output's columns over numba's threads:
# every element is then the same sum, in the same order, as on one thread.
# The thread count is an argument: numba.get_num_threads() inside a kernel
# makes it uncacheable.
@numba.njit(**_PARALLEL)
def csr_rows_product_parallel(
    indptr, indices, data, rows, B, out, transposed, n_threads
):
    """:func:`csr_rows_t_matmul` (``transposed``) or :func:`csr_rows_matmul`
    of ``B``, the output's columns split over numba's threads."""
    h = out.shape[1]
    n_blocks = min(n_threads, h)
    mode = get_fp_mode()  # the calling thread's
    for c in numba.prange(n_blocks):
        saved = get_fp_mode()
        set_fp_mode(mode)
        k0, k1 = c * h // n_blocks, (c + 1) * h // n_blocks
        if transposed:
            _csr_rows_t_columns(indptr, indices, data, rows, B, out, k0, k1)
        else:
            _csr_rows_columns(indptr, indices, data, rows, B, out, k0, k1)
        set_fp_mode(saved)


@numba.njit(inline="always", **_JIT)
def _row_nonzeros(X, i):
    zero = X.dtype.type(0)  # an int 0 would compare in float64
    count = 0
    for j in range(X.shape[1]):
        count += X[i, j] != zero
    return count


@numba.njit(**_JIT)
def count_nonzero(X):
    """``np.count_nonzero`` of a 2-d array (NaN counts): 1 against 5 ms
    on MNIST's 10,000 float32 rows, asked of every training set."""
    count = 0
    for i in range(X.shape[0]):
        count += _row_nonzeros(X, i)
    return count


@numba.njit(**_JIT)
def _csr_row_starts(X, indptr):
    """``indptr`` of X's CSR form: where each row's stored entries start."""
    for i in range(X.shape[0]):
        indptr[i + 1] = indptr[i] + _row_nonzeros(X, i)


@numba.njit(**_JIT)
def _csr_fill(X, indptr, indices, data):
    """X's stored entries, row by row, into ``indices`` and ``data``."""
    n, d = X.shape
    zero = X.dtype.type(0)
    for i in range(n):
        q = indptr[i]
        for j in range(d):
            if X[i, j] != zero:
                indices[q], data[q] = j, X[i, j]
                q += 1


def dense_to_csr(X):
    """The CSR arrays ``(indptr, indices, data)`` of a dense matrix.

    Entries other than 0 (NaN included) are stored, row by row, in column
    order: the arrays of ``scipy.sparse.csr_matrix(X)``, in two passes over
    X instead of scipy's detour through COO (0.2 s against ~10 ms for 8,000
    MNIST rows).  The column indices are ``uint16`` when X has at most
    65,536 columns (``int32`` otherwise): a quarter less to read than
    scipy's ``int32`` and no negative-index check, which made the products
    ~5% faster (MNIST batches, 25-256 units, both dtypes).
    """
    n, d = X.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    _csr_row_starts(X, indptr)
    index_dtype = np.uint16 if d <= 2**16 else np.int32
    indices = np.empty(indptr[n], dtype=index_dtype)
    data = np.empty(indptr[n], dtype=X.dtype)
    _csr_fill(X, indptr, indices, data)
    return indptr, indices, data


# Vectors shorter than this are stepped on one thread: below it, waking
# numba's thread pool costs more than the second core saves.
PARALLEL_MIN = 1 << 17

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def threads():
    """Threads numba's parallel kernels may use (``numba.set_num_threads``)."""
    return numba.get_num_threads()


def supports(first, *others):
    """Whether the kernels take these arrays: one float dtype, C-contiguous."""
    # Called several times per minibatch: a plain loop (a generator under
    # all() cost more than the small kernels it guards).
    dtype = first.dtype
    if dtype not in _FLOATS or not first.flags.c_contiguous:
        return False
    for a in others:
        if a.dtype != dtype or not a.flags.c_contiguous:
            return False
    return True
