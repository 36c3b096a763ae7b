"""Torch-compatible convolutions ``conv1d/2d/3d`` and their gradients.

These are the network convolutions of ``torch.nn.functional``: NCHW layout,
torch's argument names and order, cross-correlation (the kernel is not
flipped), stride, padding (int, tuple, ``'valid'``, ``'same'``), dilation,
groups and bias.  One N-d implementation serves 1-D, 2-D and 3-D.

How the fast version works
--------------------------
The textbook vectorisation, *im2col*, copies every input pixel ``kh*kw``
times into a big matrix and does one matrix product.  The copies cost more
than the arithmetic.  Here no patch matrix is built:

1. Pad the input once and flatten its spatial axes, so image ``n`` is a
   ``(C, Hp*Wp)`` matrix.
2. For the kernel offset ``(i, j)`` the pixels the kernel tap ``w[:, :, i, j]``
   multiplies are ``xp[n, :, i*Wp + j : i*Wp + j + L]``: a plain slice, i.e. a
   *view* with rows ``Hp*Wp`` apart and unit stride inside a row.  BLAS takes
   such a matrix as it is, without a copy.  So the convolution is a sum of
   ``kh*kw`` matrix products ``w[:, :, i, j] @ view``.
3. The result is laid out in "padded-width" coordinates: output pixel
   ``(h, w)`` sits at column ``h*Wp + w``.  The columns with ``w >= W_out``
   are garbage (they straddle two rows) and are sliced off at the end; they
   cost ``(Wp - W_out)/Wp`` extra work, a few percent.
4. Stride: split the padded input into its ``s*s`` *polyphase* components
   ``xp[..., a::s, b::s]`` (one copy of the input in total).  Offset ``(i, j)``
   reads component ``(i % s, j % s)`` shifted by ``(i // s, j // s)``, with
   stride 1 again; dilation only changes the offsets.
5. Few input channels per group (a first layer, a depthwise convolution):
   each tap's product is then a thin matrix, slow in BLAS, and the
   accumulation passes dominate.  There we copy the receptive fields of an
   image or two into one ``(kh*kw*C + 1, H_out*W_out)`` matrix (im2col, but
   only a step at a time, in cache; the last row is ones and multiplies the
   bias) with one copy from a strided view, and one product writes the
   output in place (:func:`_im2col_forward`).
6. Images are processed in chunks small enough to keep the accumulator in
   cache.  The chunks are shared among as many threads as numpy's BLAS has,
   each running BLAS single-threaded (see :func:`_map_chunks` for why).
7. 3x3 layers with stride 1, no dilation, one group, 16 or more input and
   output channels and enough output (256 tiles of 4x4 over the batch): the
   layers that dominate a ResNet or a VGG, take another
   algorithm: Winograd F(4x4, 3x3), 4x fewer multiplications as 36 batched
   matrix products over the channels (:mod:`convcourse._winograd`).  The
   per-tap products of step 2 already run near the BLAS peak, so doing less
   arithmetic was the remaining lever.  :func:`_algorithm` chooses per call;
   the price is a larger float32 rounding error (see :func:`conv2d`'s Notes).

The backward pass reuses the same views: ``grad_weight[:, :, i, j]`` is
``grad_out_wide @ view.T`` summed over images (``grad_out_wide`` is
``grad_output`` laid out padded-width, zeros in the garbage columns), and
``grad_input`` scatters ``w[:, :, i, j].T @ grad_out_wide`` back into the
same view.  No flipped kernel and no zero-inserted gradient are needed,
whatever the stride.

Garbage columns and non-finite values: a zero times a garbage column adds
nothing only when the garbage is finite; ``0 * inf`` and ``0 * nan`` are NaN.
So the input-gradient products have their garbage columns set to zero before
they are scattered when the weight is not all finite, and ``grad_weight``
multiplies copies of the valid columns (with ``grad_output`` itself) when a
chunk of input is not all finite.  The finite checks are two reductions, a
small fraction of the products; finite input takes the fast path unchanged.

Timings against torch are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from . import _winograd
from ._padding import output_size, pad_spatial, resolve_padding
from ._validation import as_network_array, check_int, check_shape, ntuple, result_dtype

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv1d_backward",
    "conv2d_backward",
    "conv3d_backward",
    "conv2d_naive",
    "conv2d_backward_naive",
]

# Layout strings used in error messages, per number of spatial dimensions.
_X_LAYOUT = {1: "(N, C_in, L)", 2: "(N, C_in, H, W)", 3: "(N, C_in, D, H, W)"}
_W_LAYOUT = {1: "(C_out, C_in/groups, kL)", 2: "(C_out, C_in/groups, kH, kW)",
             3: "(C_out, C_in/groups, kD, kH, kW)"}

# The accumulator of a chunk of images should fit in a core's L2 cache.
_CHUNK_BYTES = 1 << 20
_PARALLEL_FLOPS = 2e7  # below this, one thread (a first layer, 8x3x64x64 -> 16, is 2.8e7)
_THIN_CHANNELS = 32  # fewer input channels per group than this: one im2col product
# Winograd F(4x4, 3x3) for 3x3 stride-1 layers with at least this many input and output
# channels: below it the 36 products are too thin to gain from doing 4x less arithmetic
_WINOGRAD_MIN_CHANNELS = 16
# and at least this many 4x4 output tiles per call (and per chunk of images): fewer, and the
# weight transform (36 x C_out x C_in) and the thin products cost more than they save
# (8 x 512 x 7 x 7: 32 tiles, 3x slower than direct; 8 x 256 x 14 x 14: 128 tiles, even)
_WINOGRAD_TILES = 256
# and per chunk of images at least this many (one 56x56 image, 196 tiles, makes a chunk: measured
# 2-3% faster in float64 than two images, whose temporaries no longer fit the shared L3 cache)
_WINOGRAD_CHUNK_TILES = 128
_BLAS = False  # threadpoolctl's view of numpy's BLAS, looked up on first use
_POOL = None  # ((pid, workers), ThreadPoolExecutor)


class _Spec(NamedTuple):
    """Validated convolution arguments."""

    stride: tuple
    dilation: tuple
    pads: tuple  # ((before, after), ...) per spatial axis
    groups: int
    out_size: tuple  # spatial output size
    dtype: np.dtype


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

def _parse(x, weight, bias, stride, padding, dilation, groups, nd, grad_output=None,
           has_grad_output=False, weight_name="weight", bias_name="bias"):
    """Check and convert every argument; return arrays in the result dtype and a _Spec.

    ``weight_name`` and ``bias_name`` are the names the messages give those
    arguments (a depthwise-separable convolution has two weights).
    """
    x, weight = _batched_arrays(x, weight, _X_LAYOUT[nd], _W_LAYOUT[nd], nd, weight_name)
    groups = check_int(groups, "groups", minimum=1)
    stride = ntuple(stride, nd, "stride", minimum=1)
    dilation = ntuple(dilation, nd, "dilation", minimum=1)

    c_in, c_out, kernel = x.shape[1], weight.shape[0], weight.shape[2:]
    if min(kernel) < 1:
        raise ValueError(
            f"{weight_name} must have a kernel size >= 1 on every axis, got shape {weight.shape}"
        )
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels of x, C_in={c_in}")
    if c_out % groups:
        raise ValueError(
            f"groups={groups} must divide the output channels of {weight_name}, C_out={c_out} "
            f"({weight_name} shape {weight.shape})"
        )
    if c_in != weight.shape[1] * groups:
        raise ValueError(
            f"x has C_in={c_in} channels but {weight_name} expects {weight_name}.shape[1] * "
            f"groups = {weight.shape[1]} * {groups} = {weight.shape[1] * groups} "
            f"(x shape {x.shape}, {weight_name} shape {weight.shape})"
        )

    pads = resolve_padding(padding, kernel, stride, dilation)
    out_size = output_size(x.shape[2:], kernel, stride, pads, dilation, kernel_name=weight_name,
                           input_shape=x.shape)

    arrays, dtype = _common_dtype(x, weight, bias, grad_output, has_grad_output,
                                  (x.shape[0], c_out) + out_size, bias_name)
    return arrays, _Spec(stride, dilation, pads, groups, out_size, dtype)


def _batched_arrays(x, weight, x_layout, w_layout, nd, weight_name="weight"):
    """``x`` and ``weight`` as network arrays of rank ``nd + 2`` (batched); shared with
    :mod:`convcourse.conv_transpose`, whose weight layout differs."""
    x = as_network_array(x, "x")
    weight = as_network_array(weight, weight_name)
    if x.ndim == nd + 1:
        raise ValueError(
            f"x must be a batched {nd + 2}-D array of shape {x_layout}, got shape "
            f"{x.shape} (unbatched input is not supported: add a batch axis with x[None])"
        )
    if x.ndim != nd + 2:
        raise ValueError(f"x must be a {nd + 2}-D array of shape {x_layout}, got shape {x.shape}")
    if weight.ndim != nd + 2:
        raise ValueError(
            f"{weight_name} must be a {nd + 2}-D array of shape {w_layout}, got shape {weight.shape}"
        )
    return x, weight


def _common_dtype(x, weight, bias, grad_output, has_grad_output, out_shape, bias_name="bias"):
    """Check bias ``(C_out,)`` and grad_output ``out_shape``; cast all four to the result dtype."""
    if bias is not None:
        bias = as_network_array(bias, bias_name)
        check_shape(bias, out_shape[1:2], bias_name)
    if has_grad_output:
        grad_output = as_network_array(grad_output, "grad_output")
        check_shape(grad_output, out_shape, "grad_output")
    dtype = result_dtype(x, weight, bias, grad_output)
    arrays = [None if a is None else a.astype(dtype, copy=False)
              for a in (x, weight, bias, grad_output)]
    return arrays, dtype


# --------------------------------------------------------------------------
# the shared N-d core
# --------------------------------------------------------------------------

class _Layout(NamedTuple):
    """Where each kernel tap reads in the flattened polyphase input."""

    taps: list  # per kernel offset (row-major): (phase index, flat start, corner)
    q_shape: tuple  # spatial shape of one polyphase component
    wide_len: int  # O_1 * Q_2 * ... * Q_nd: the "padded-width" output buffer
    length: int  # L: the columns actually computed (the last valid one + 1)


def _layout(padded_shape, kernel, stride, dilation, out_size) -> _Layout:
    """Where each kernel tap reads, in the flattened polyphase components.

    Tap ``i`` (per axis) sits at ``pos = i * dilation`` in the padded input;
    output ``o`` reads ``o * stride + pos``, which is element ``o + pos // stride``
    of polyphase component ``pos % stride``.  Flattened with the component's
    strides ``q_strides``, consecutive outputs are consecutive columns, so
    each tap reads one contiguous run of ``length`` columns from ``start``.
    """
    q_shape = tuple(-(-p // s) for p, s in zip(padded_shape, stride))
    q_strides = [math.prod(q_shape[d + 1:]) for d in range(len(q_shape))]
    taps = []
    for index in itertools.product(*(range(k) for k in kernel)):
        pos = [i * d for i, d in zip(index, dilation)]
        phase = int(np.ravel_multi_index([p % s for p, s in zip(pos, stride)], stride))
        corner = tuple(p // s for p, s in zip(pos, stride))  # where the run starts, per axis
        start = sum(c * qs for c, qs in zip(corner, q_strides))
        taps.append((phase, start, corner))
    wide_len = out_size[0] * q_strides[0]
    length = sum((o - 1) * qs for o, qs in zip(out_size, q_strides)) + 1
    return _Layout(taps, q_shape, wide_len, length)


def _to_phases(xp, stride, q_shape):
    """(N, C, *Sp) -> (prod(stride), N, C, prod(Q)): the polyphase components, flattened.

    Component ``(a, b)`` holds ``xp[..., a::s0, b::s1]``.  With stride 1 this is
    a free reshape of ``xp``.
    """
    n, c, nd = xp.shape[0], xp.shape[1], len(stride)
    if all(s == 1 for s in stride):
        return xp.reshape(1, n, c, math.prod(q_shape))
    full = pad_spatial(xp, [(0, q * s - p) for q, s, p in zip(q_shape, stride, xp.shape[2:])])
    split = full.reshape((n, c) + tuple(v for q, s in zip(q_shape, stride) for v in (q, s)))
    # axes: n, c, q0, s0, q1, s1, ...  ->  s0, s1, ..., n, c, q0, q1, ...
    order = tuple(3 + 2 * d for d in range(nd)) + (0, 1) + tuple(2 + 2 * d for d in range(nd))
    return np.ascontiguousarray(split.transpose(order)).reshape(
        math.prod(stride), n, c, math.prod(q_shape))


def _from_phases(phases, stride, q_shape, padded_shape):
    """Inverse of :func:`_to_phases`: (P, N, C, prod(Q)) -> (N, C, *Sp)."""
    n, c, nd = phases.shape[1], phases.shape[2], len(stride)
    if all(s == 1 for s in stride):
        return phases.reshape((n, c) + tuple(padded_shape))
    split = phases.reshape(tuple(stride) + (n, c) + tuple(q_shape))
    order = (nd, nd + 1) + tuple(v for d in range(nd) for v in (nd + 2 + d, d))
    full = split.transpose(order).reshape((n, c) + tuple(q * s for q, s in zip(q_shape, stride)))
    return full[(Ellipsis,) + tuple(slice(0, p) for p in padded_shape)]


def _blas():
    """threadpoolctl's handle on numpy's BLAS, or None without threadpoolctl."""
    global _BLAS
    if _BLAS is False:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # then BLAS threads the products themselves
            _BLAS = None
        else:
            _BLAS = ThreadpoolController().select(user_api="blas")
    return _BLAS


def _executor(workers):
    """A thread pool, created once per process (a forked child makes its own)."""
    global _POOL
    if _POOL is None or _POOL[0] != (os.getpid(), workers):
        if _POOL is not None and _POOL[0][0] == os.getpid():
            _POOL[1].shutdown(wait=False)  # the BLAS thread count changed
        _POOL = ((os.getpid(), workers), ThreadPoolExecutor(workers, thread_name_prefix="convcourse"))
    return _POOL[1]


def _map_chunks(fn, n_images, bytes_per_image, flops, min_images=1, setup=None):
    """Call ``fn(n0, n1)`` on chunks of images; return the results in order.

    ``setup()``, if given, runs first, on the calling thread with BLAS
    single-threaded like the chunks: work that makes matrix products before the
    chunks belongs there.  With numpy's BLAS at two threads, one product wakes
    OpenBLAS's own worker thread, which then spins for milliseconds on the core
    the second chunk thread needs (see ``WinogradF4x4.transform_weight``).

    A chunk holds as many images as keep its accumulator in cache, but at
    least ``min_images`` (Winograd wants enough tiles per matrix product).  On
    threads: numpy's BLAS splits every matrix product over its threads, which
    then wait for each other at the end of the product.  We make many
    small products, and on a machine whose cores are busy with other work a
    thread that lost its core stalls the others at every one of them (we
    measured 5x slowdowns).  So, when threadpoolctl is available, we use the
    same number of threads differently: each takes whole chunks of images and
    runs its products single-threaded, with nothing to wait for but the end.
    Small problems (under ``_PARALLEL_FLOPS``) run on the calling thread,
    BLAS single-threaded too: waking threads costs more than they take.  While the pool runs, BLAS is
    single-threaded for the whole process (threadpoolctl's limit is global).
    """
    blas = _blas()
    # the libraries' own setters, not threadpoolctl's info() and limit(): those cost 27
    # microseconds a call, a few percent of a first layer's
    libs = blas.lib_controllers if blas else []
    threads = [lib.num_threads or 1 for lib in libs]
    workers = max(threads, default=1)
    per_chunk = max(1, min(max(_CHUNK_BYTES // max(bytes_per_image, 1), min_images),
                           -(-n_images // workers)))
    chunks = [(n0, min(n_images, n0 + per_chunk)) for n0 in range(0, n_images, per_chunk)]
    for lib in libs:  # none without threadpoolctl: then one worker, on this thread
        lib.set_num_threads(1)
    try:
        if setup is not None:
            setup()
        if workers < 2 or len(chunks) < 2 or flops < _PARALLEL_FLOPS:
            return [fn(n0, n1) for n0, n1 in chunks]
        return _share(fn, chunks, workers)
    finally:
        for lib, n in zip(libs, threads):
            lib.set_num_threads(n)


def _share(fn, chunks, workers):
    """``[fn(*chunk) for chunk in chunks]`` on ``workers`` threads, the calling one among them.

    Each thread takes the next chunk until none is left.  The calling thread works
    too instead of waiting for the pool: waking a pool thread and waiting for its
    future costs about 70 microseconds, a tenth of a first layer's call.
    """
    results = [None] * len(chunks)
    taken = itertools.count()  # next() on a count is atomic under the GIL

    def work():
        while (i := next(taken)) < len(chunks):
            results[i] = fn(*chunks[i])

    pool = _executor(workers - 1)
    helpers = [pool.submit(work) for _ in range(workers - 1)]
    try:
        work()
    finally:  # a chunk that raised on the calling thread still waits for the helpers
        for helper in helpers:
            helper.result()
    return results


def _crop_wide(wide, out_size, q_shape):
    """(..., O_1 * Q_2 * ... ) -> (..., O_1, O_2, ...): drop the garbage columns."""
    shaped = wide.reshape(wide.shape[:-1] + (out_size[0],) + tuple(q_shape[1:]))
    return shaped[(Ellipsis,) + tuple(slice(0, o) for o in out_size)]


def _weight_matrix(weight, groups):
    """(C_out, C_in/g, *k) -> (g, C_out/g, taps, C_in/g), contiguous.

    ``w[:, :, t, :]`` is tap ``t``'s matrix per group; the reshape to
    ``(g, C_out/g, taps * C_in/g)`` is the im2col weight matrix.
    """
    c_out, cg = weight.shape[:2]
    w = weight.reshape(groups, c_out // groups, cg, math.prod(weight.shape[2:]))
    return np.ascontiguousarray(w.transpose(0, 1, 3, 2))


def _stack_taps(weight, groups):
    """Whether to copy the taps into one tall matrix (im2col on a chunk).

    With few input channels per group a tap's product is a thin matrix times
    a wide one: slow in BLAS, and its output is written once per tap.  Copying
    the taps' views into one ``(taps * C_in/g, L)`` matrix and making a single
    product is then cheaper.  With many channels the per-tap products are
    efficient and the copies would cost more than the accumulation.
    """
    return weight.shape[1] < _THIN_CHANNELS


def _padded_size(x, pads):
    return tuple(s + pb + pa for s, (pb, pa) in zip(x.shape[2:], pads))


def _algorithm(x, weight, spec: _Spec) -> str:
    """'winograd' or 'direct': the forward algorithm for these arguments.

    Winograd F(4x4, 3x3) needs a 2-D 3x3 kernel, stride 1, dilation 1 and one
    group, and pays off when the 36 matrix products are large enough: many
    channels (a first layer with 3 input channels stays direct) and many 4x4
    output tiles over the batch (``_WINOGRAD_TILES``).  Float32 and float64 alike (the error it adds is
    documented in :func:`conv2d`).  Non-finite weights stay direct: Winograd
    would spread a NaN or inf over whole tiles.
    """
    if (weight.ndim == 4 and weight.shape[2:] == (3, 3) and spec.stride == (1, 1)
            and spec.dilation == (1, 1) and spec.groups == 1
            and min(x.shape[1], weight.shape[0]) >= _WINOGRAD_MIN_CHANNELS
            and min(spec.out_size) >= _winograd.M_OUT and spec.dtype in (np.float32, np.float64)
            and x.shape[0] * math.prod(-(-o // _winograd.M_OUT) for o in spec.out_size) >= _WINOGRAD_TILES
            and np.isfinite(weight).all()):
        return "winograd"
    return "direct"


def _winograd_forward(x, weight, bias, spec: _Spec):
    """The forward by Winograd F(4x4, 3x3) (see :mod:`convcourse._winograd`).

    A chunk whose result is not all finite (NaN or inf in its input, or an
    overflow in the transforms) is recomputed by the direct path, so that
    non-finite values land exactly where the formula puts them.
    """
    n, c_out = x.shape[0], weight.shape[0]
    plan = _winograd.WinogradF4x4(weight, spec.pads, x.shape[2:], spec.out_size, spec.dtype)
    out = np.empty((n, c_out) + spec.out_size, dtype=spec.dtype)

    def images(n0, n1):
        with np.errstate(invalid="ignore", over="ignore"):  # such chunks are redone below
            plan(x[n0:n1], out=out[n0:n1], bias=bias)
            # one pass, no boolean array: a NaN or inf anywhere makes the sum non-finite (a
            # sum that overflows only costs a needless, exact recomputation)
            finite = np.isfinite(np.add.reduce(out[n0:n1], axis=None))
        return None if finite else (n0, n1)

    tiles = math.prod(plan.tiles)
    for redo in _map_chunks(images, n, plan.bytes_per_image(), plan.flops(n),
                            min_images=-(-_WINOGRAD_CHUNK_TILES // tiles), setup=plan.transform_weight):
        if redo is not None:  # on this thread: the direct path may use the thread pool itself
            out[slice(*redo)] = _direct_forward(x[slice(*redo)], weight, bias, spec)
    return out


def _conv_forward(x, weight, bias, spec: _Spec):
    if _algorithm(x, weight, spec) == "winograd":
        return _winograd_forward(x, weight, bias, spec)
    return _direct_forward(x, weight, bias, spec)


def _direct_forward(x, weight, bias, spec: _Spec):
    if _stack_taps(weight, spec.groups):
        return _im2col_forward(x, weight, bias, spec)
    n, c_in = x.shape[:2]
    c_out, groups = weight.shape[0], spec.groups
    kg, cg = c_out // groups, c_in // groups
    lay = _layout(_padded_size(x, spec.pads), weight.shape[2:], spec.stride, spec.dilation,
                  spec.out_size)
    taps, L = len(lay.taps), lay.length
    w = _weight_matrix(weight, groups)
    out = np.empty((n, c_out) + spec.out_size, dtype=spec.dtype)
    bias_b = None if bias is None else bias.reshape((c_out,) + (1,) * len(spec.out_size))

    def images(n0, n1):
        with np.errstate(invalid="ignore"):  # inf - inf is NaN, as in torch; errstate is per thread
            _forward_images(n0, n1)

    def _forward_images(n0, n1):
        m = n1 - n0
        xp = np.ascontiguousarray(pad_spatial(x[n0:n1], spec.pads))  # unit inner stride, for BLAS
        phases = _to_phases(xp, spec.stride, lay.q_shape)
        wide = np.empty((m, groups, kg, lay.wide_len), dtype=spec.dtype)
        acc = wide[..., :L]
        tmp = np.empty(acc.shape, dtype=spec.dtype)
        for k, (phase, start, _) in enumerate(lay.taps):
            # tap k reads (m, C_in, L): a strided view, seen as (m, groups, C_in/g, L); no copy
            view = phases[phase, :, :, start:start + L].reshape(m, groups, cg, L)
            if k == 0:
                np.matmul(w[:, :, k], view, out=acc)
            else:
                np.matmul(w[:, :, k], view, out=tmp)
                acc += tmp
        result = _crop_wide(wide.reshape(m, c_out, lay.wide_len), spec.out_size, lay.q_shape)
        if bias_b is None:
            out[n0:n1] = result
        else:
            np.add(result, bias_b, out=out[n0:n1])

    _map_chunks(images, n, c_out * lay.wide_len * spec.dtype.itemsize, 2 * n * c_out * cg * taps * L)
    return out


def _windows(xp, kernel, stride, dilation, out_size, groups):
    """The receptive fields of ``xp (m, C, *padded)`` as a read-only strided view, no copy.

    Shape ``(m, groups, *kernel, C/groups, *out_size)``: element
    ``[n, g, *t, c, *o]`` is ``xp[n, g*C/g + c, *(o*stride + t*dilation)]``, so that
    copying it into a ``(m, groups, taps*C/g, prod(out_size))`` matrix gives
    im2col's columns, taps major and channels minor, as :func:`_weight_matrix`
    orders the weight.
    """
    m, c = xp.shape[:2]
    sn, sc, *sp = xp.strides
    shape = (m, groups) + tuple(kernel) + (c // groups,) + tuple(out_size)
    strides = ((sn, sc * (c // groups)) + tuple(s * d for s, d in zip(sp, dilation)) + (sc,)
               + tuple(s * st for s, st in zip(sp, stride)))
    # np.ndarray on xp's buffer: as_strided builds the same view through __array_interface__,
    # 20 microseconds a call
    view = np.ndarray(shape, xp.dtype, buffer=xp, strides=strides)
    view.flags.writeable = False
    return view


def _im2col_forward(x, weight, bias, spec: _Spec):
    """The forward of a layer with few input channels per group: im2col a few images at a time.

    Each tap's product would be a thin matrix (C_in/g rows) times a wide one,
    slow in BLAS, and the accumulator would be written once per tap.  So each
    thread pads its chunk of images once and then, a step of a few images at a
    time, copies their receptive fields into one ``(taps*C_in/g + 1, P)``
    matrix per group (one copy from a strided view, :func:`_windows`) and makes
    one product that writes the output in place; the bias rides along as a
    last column of the weight times a row of ones.  A step's matrix stays in a
    core's cache and is reused for the next step.  Two numpy calls per step, not
    nine copies and an accumulation per image: with many small calls two
    threads queued for the GIL and took longer than one.  Measured on the
    first-layer benchmark (8x3x64x64 -> 16, idle, 2026-12-03): 1.2 ms on two
    threads against 2.7 ms for the earlier version (taps copied into a
    padded-width matrix for four images at once, cropped and the bias added
    afterwards).
    """
    n, c_in = x.shape[:2]
    c_out, groups = weight.shape[0], spec.groups
    kg, cg = c_out // groups, c_in // groups
    kernel, out_size = weight.shape[2:], spec.out_size
    taps, positions = math.prod(kernel), math.prod(out_size)
    rows = taps * cg + (bias is not None)
    w = _weight_matrix(weight, groups).reshape(groups, kg, taps * cg)
    if bias is not None:  # (groups, C_out/g, taps*C_in/g + 1): the bias is the last column
        w = np.concatenate([w, bias.reshape(groups, kg, 1)], axis=2)
    out = np.empty((n, c_out) + out_size, dtype=spec.dtype)
    step = max(1, min(n, _CHUNK_BYTES // (groups * rows * positions * spec.dtype.itemsize)))

    def images(n0, n1):
        # the chunk padded at once (x itself without padding): per step, only the copy and the product
        xp = np.ascontiguousarray(pad_spatial(x[n0:n1], spec.pads))
        windows = _windows(xp, kernel, spec.stride, spec.dilation, out_size, groups)
        cols = np.empty((min(step, n1 - n0), groups, rows, positions), dtype=spec.dtype)
        if bias is not None:
            cols[:, :, -1] = 1
        taps_part = cols[:, :, :taps * cg].reshape(cols.shape[:2] + tuple(kernel) + (cg,) + tuple(out_size))
        with np.errstate(invalid="ignore"):  # inf - inf is NaN, as in torch; errstate is per thread
            for a in range(n0, n1, step):
                m = min(n1, a + step) - a
                np.copyto(taps_part[:m], windows[a - n0:a - n0 + m])
                np.matmul(w, cols[:m], out=out[a:a + m].reshape(m, groups, kg, positions))

    _map_chunks(images, n, groups * rows * positions * spec.dtype.itemsize,
                2 * n * c_out * cg * taps * positions, min_images=n)
    return out


def _valid_view(flat_phases, phase, corner, out_size, q_shape):
    """The (m, C, O_1, ..., O_nd) view of what a tap reads at the valid output positions.

    ``flat_phases`` is (P, m, C, prod(Q)); the tap reads component ``phase``
    from the multi-index ``corner`` on, one element per output position.
    Unlike the flat run of ``length`` columns, this view has no garbage columns.
    """
    component = flat_phases[phase].reshape(flat_phases.shape[1:3] + tuple(q_shape))
    return component[(Ellipsis,) + tuple(slice(c, c + o) for c, o in zip(corner, out_size))]


def _all_finite(a) -> bool:
    """Whether ``a`` holds no NaN and no infinity (two reductions, no temporary array)."""
    return bool(np.isfinite(a.min()) and np.isfinite(a.max())) if a.size else True


def _zero_garbage(wide, out_size, q_shape):
    """Set the garbage columns of a padded-width buffer (..., O_1 * Q_2 * ... * Q_nd) to zero."""
    shaped = wide.reshape(wide.shape[:-1] + (out_size[0],) + tuple(q_shape[1:]))
    for axis in range(1, len(out_size)):
        shaped[(Ellipsis,) + (slice(None),) * axis + (slice(out_size[axis], None),)
               + (slice(None),) * (len(out_size) - 1 - axis)] = 0


def _grad_input_as_forward(grad_output, x, weight, spec: _Spec):
    """The input gradient as a forward convolution, when that forward is Winograd's; else None.

    For stride 1 and dilation 1 the input gradient is the correlation of
    ``grad_output``, padded by ``k - 1 - p`` on each side, with the kernel flipped
    and its two channel axes swapped (the transposed convolution of
    :func:`convcourse.conv_transpose2d`).  A 3x3 layer then has a 3x3, stride-1
    forward again, which Winograd F(4x4, 3x3) computes with 4x fewer
    multiplications.  Only where the forward's own rules choose Winograd (many
    channels and tiles, a finite weight) and the padding is at most 2 per side.
    """
    if (x.ndim != 4 or weight.shape[2:] != (3, 3) or any(b > 2 or a > 2 for b, a in spec.pads)
            or set(spec.stride) != {1} or set(spec.dilation) != {1} or spec.groups != 1):
        return None  # decided before the kernel is copied: most layers stop here
    flipped = np.ascontiguousarray(weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
    spec_t = spec._replace(pads=tuple((2 - b, 2 - a) for b, a in spec.pads), out_size=x.shape[2:])
    if _algorithm(grad_output, flipped, spec_t) != "winograd":
        return None
    return _winograd_forward(grad_output, flipped, None, spec_t)


def _conv_backward(grad_output, x, weight, spec: _Spec):
    n, c_in = x.shape[:2]
    c_out, groups = weight.shape[0], spec.groups
    kg, cg = c_out // groups, c_in // groups
    padded = _padded_size(x, spec.pads)
    lay = _layout(padded, weight.shape[2:], spec.stride, spec.dilation, spec.out_size)
    taps, L, P = len(lay.taps), lay.length, math.prod(spec.out_size)
    w = _weight_matrix(weight, groups)
    stacked = _stack_taps(weight, groups)
    crop = tuple(slice(pb, pb + s) for (pb, _), s in zip(spec.pads, x.shape[2:]))
    grad_input = _grad_input_as_forward(grad_output, x, weight, spec)
    input_done = grad_input is not None  # then the products below make grad_weight only
    if not input_done:
        grad_input = np.empty(x.shape, dtype=spec.dtype)
    with np.errstate(invalid="ignore"):  # inf - inf is NaN here as in torch, silently
        grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
    # 0 * w is 0 in the garbage columns of the input-gradient products only for a finite w
    weight_finite = _all_finite(weight)

    def images(n0, n1, xp, phases, g_phases):
        """grad_weight of images n0:n1; their input gradient accumulates in g_phases."""
        m = n1 - n0
        # grad_output in the forward's padded-width layout, zeros in the garbage columns
        wide = np.zeros((m, c_out, lay.wide_len), dtype=spec.dtype)
        _crop_wide(wide, spec.out_size, lay.q_shape)[...] = grad_output[n0:n1]
        g = wide.reshape(m, groups, kg, lay.wide_len)[..., :L]
        # where tap k read its input, and where its input gradient goes
        reads = [phases[phase, :, :, start:start + L].reshape(m, groups, cg, L)
                 for phase, start, _ in lay.taps]
        writes = [] if input_done else [g_phases[phase, :, :, start:start + L].reshape(m, groups, cg, L)
                                        for phase, start, _ in lay.taps]
        # grad_weight multiplies the garbage columns of the reads by zeros: harmless
        # for finite input only.  If the chunk holds an inf or a NaN, it multiplies
        # copies of the valid columns with grad_output itself instead.
        finite = _all_finite(xp)
        if not finite:
            g_valid = grad_output[n0:n1].reshape(m, groups, kg, P)
            reads_valid = [
                _valid_view(phases, phase, corner, spec.out_size, lay.q_shape).reshape(m, groups, cg, P)
                for phase, _, corner in lay.taps]
        wide_buffer = np.empty((m, groups, taps * cg if stacked else cg, lay.wide_len), dtype=spec.dtype)
        if stacked:
            cols = np.empty((m, groups, taps, cg, L if finite else P), dtype=spec.dtype)
            for k, view in enumerate(reads if finite else reads_valid):
                cols[:, :, k] = view
            cols = cols.reshape(m, groups, taps * cg, -1)
            # grad_weight: grad_out times the im2col matrix, summed over images
            gw = np.matmul(g if finite else g_valid, cols.swapaxes(-1, -2)).sum(axis=0)
            gw = gw.reshape(groups, kg, taps, cg)
            if input_done:
                return gw
            # grad of the im2col matrix, scattered back to where each tap read
            np.matmul(w.reshape(groups, kg, taps * cg).swapaxes(-1, -2), g, out=wide_buffer[..., :L])
            if not weight_finite:
                _zero_garbage(wide_buffer, spec.out_size, lay.q_shape)
            g_cols = wide_buffer[..., :L].reshape(m, groups, taps, cg, L)
            for k, target in enumerate(writes):
                target += g_cols[:, :, k]
            return gw
        gw = np.empty((groups, kg, taps, cg), dtype=spec.dtype)
        tmp = wide_buffer[..., :L]
        for k in range(taps):
            # grad_weight, tap k: sum over images and positions of grad_out * input
            if finite:
                gw[:, :, k] = np.matmul(g, reads[k].swapaxes(-1, -2)).sum(axis=0)
            else:
                gw[:, :, k] = np.matmul(g_valid, reads_valid[k].swapaxes(-1, -2)).sum(axis=0)
            if input_done:
                continue
            # grad_input: scatter the tap's contribution back where it was read
            np.matmul(w[:, :, k].swapaxes(-1, -2), g, out=tmp)
            if not weight_finite:
                _zero_garbage(wide_buffer, spec.out_size, lay.q_shape)
            writes[k] += tmp
        return gw

    def chunk(n0, n1):
        with np.errstate(invalid="ignore"):  # inf - inf is NaN, as in torch; errstate is per thread
            xp = np.ascontiguousarray(pad_spatial(x[n0:n1], spec.pads))
            phases = _to_phases(xp, spec.stride, lay.q_shape)
            g_phases = None if input_done else np.zeros_like(phases)
            gw = images(n0, n1, xp, phases, g_phases)
            if not input_done:
                grad_input[n0:n1] = _from_phases(g_phases, spec.stride, lay.q_shape, padded)[
                    (Ellipsis,) + crop]
        return gw

    rows = max(c_in, c_out) + (2 * c_in * taps if stacked else 0)
    parts = _map_chunks(chunk, n, rows * lay.wide_len * spec.dtype.itemsize, 4 * n * c_out * cg * taps * L)
    with np.errstate(invalid="ignore"):  # the chunks' inf and -inf add up to NaN, as in torch
        gw = sum(parts) if parts else np.zeros((groups, kg, taps, cg), dtype=spec.dtype)
    grad_weight = gw.transpose(0, 1, 3, 2).reshape(weight.shape)
    return grad_input, grad_weight, grad_bias


def _forward(nd, x, weight, bias, stride, padding, dilation, groups):
    (x, weight, bias, _), spec = _parse(x, weight, bias, stride, padding, dilation, groups, nd)
    return _conv_forward(x, weight, bias, spec)


def _backward(nd, grad_output, x, weight, stride, padding, dilation, groups):
    (x, weight, _, grad_output), spec = _parse(
        x, weight, None, stride, padding, dilation, groups, nd,
        grad_output=grad_output, has_grad_output=True,
    )
    return _conv_backward(grad_output, x, weight, spec)


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------

def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over a batch, as ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
        Input batch.  The batch axis is required.
    weight : ndarray, shape (C_out, C_in/groups, kH, kW)
        Filters.
    bias : ndarray, shape (C_out,), optional
        Added to every output position of each output channel.
    stride : int or tuple (sH, sW), optional
        Step of the kernel, >= 1.
    padding : int or tuple (pH, pW) or str {'valid', 'same'}, optional
        Zeros added on both sides of each spatial axis.  ``'valid'`` is no
        padding; ``'same'`` pads so the output has the input's size (stride
        must be 1; an odd total is split as torch does: the extra zero goes
        after).
    dilation : int or tuple (dH, dW), optional
        Spacing between kernel taps, >= 1 (1 means none).
    groups : int, optional
        Split the input and output channels into ``groups`` independent
        convolutions; ``groups == C_in`` is a depthwise convolution.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        Float dtype: the input dtypes promoted (integer and bool inputs give
        float64).

    Raises
    ------
    ValueError
        Wrong number of dimensions (including an unbatched input), channel
        mismatch, ``groups`` not dividing the channels, non-positive stride or
        dilation, negative padding, ``'same'`` with stride > 1, a kernel larger
        than the padded input, or a bias of the wrong shape.
    TypeError
        Complex, object or string arrays; non-integer stride, padding,
        dilation or groups.

    See Also
    --------
    conv2d_backward : the gradients.
    conv2d_naive : the same computation written as loops.

    Notes
    -----
    With ``g`` the group of output channel ``k`` and ``C_g = C_in/groups``:

    ``out[n, k, i, j] = bias[k] + sum_{c < C_g, u < kH, v < kW}
    weight[k, c, u, v] * xp[n, g*C_g + c, i*sH + u*dH, j*sW + v*dW]``

    where ``xp`` is ``x`` zero-padded.  The kernel is not flipped (this is
    cross-correlation, as in every deep-learning library).  Output size:
    ``H_out = floor((H + 2*pH - dH*(kH - 1) - 1) / sH) + 1``, likewise ``W_out``.

    Algorithms and precision.  A 3x3 kernel with stride 1, dilation 1,
    ``groups=1``, at least 16 input and 16 output channels and at least 256
    output tiles of 4x4 over the batch (e.g. 8 images of 28x28) is computed by
    Winograd's F(4x4, 3x3) algorithm (4x fewer multiplications); everything else by direct per-tap (or im2col) matrix
    products.  With ``S`` the largest sum of ``|weight| * |x|`` over one
    window, the error against the exact result is at most about
    ``1e-6 * S`` for the direct path in float32 and ``1e-5 * S`` for Winograd
    in float32 (measured up to ``3e-6 * S``: its transforms multiply by
    coefficients up to 8 and 1/24); in float64 both stay below ``1e-13 * S``.
    ``tests/test_winograd.py`` holds both paths to these bounds.  NaN and
    inf land where the formula puts them on both paths (a Winograd chunk
    with a non-finite result is recomputed directly).

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 2, 2))
    >>> conv2d(x, w)
    array([[[[10., 14., 18.],
             [26., 30., 34.],
             [42., 46., 50.]]]])
    >>> conv2d(x, w, stride=2, bias=np.array([0.5]))
    array([[[[10.5, 18.5],
             [42.5, 50.5]]]])
    >>> conv2d(x, w, padding="same").shape
    (1, 1, 4, 4)
    """
    return _forward(2, x, weight, bias, stride, padding, dilation, groups)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over a batch, as ``torch.nn.functional.conv1d``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, L)
        Input batch.  The batch axis is required.
    weight : ndarray, shape (C_out, C_in/groups, kL)
        Filters.
    bias : ndarray, shape (C_out,), optional
        Added to each output channel.
    stride : int or tuple (sL,), optional
        Step of the kernel, >= 1.
    padding : int or tuple (pL,) or str {'valid', 'same'}, optional
        Zeros on both ends; ``'same'`` needs stride 1.
    dilation : int or tuple (dL,), optional
        Spacing between kernel taps, >= 1.
    groups : int, optional
        Number of independent channel groups.

    Returns
    -------
    out : ndarray, shape (N, C_out, L_out)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d`.

    Notes
    -----
    ``out[n, k, i] = bias[k] + sum_{c, u} weight[k, c, u] * xp[n, g*C_g + c, i*s + u*d]``,
    ``L_out = floor((L + 2p - d(kL - 1) - 1) / s) + 1``.

    Examples
    --------
    >>> conv1d(np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, -1.0]]]))
    array([[[-1., -1., -1.]]])
    """
    return _forward(1, x, weight, bias, stride, padding, dilation, groups)


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over a batch, as ``torch.nn.functional.conv3d``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, D, H, W)
        Input batch.  The batch axis is required.
    weight : ndarray, shape (C_out, C_in/groups, kD, kH, kW)
        Filters.
    bias : ndarray, shape (C_out,), optional
        Added to each output channel.
    stride : int or tuple (sD, sH, sW), optional
        Step of the kernel, >= 1.
    padding : int or tuple (pD, pH, pW) or str {'valid', 'same'}, optional
        Zeros on both sides of each spatial axis; ``'same'`` needs stride 1.
    dilation : int or tuple (dD, dH, dW), optional
        Spacing between kernel taps, >= 1.
    groups : int, optional
        Number of independent channel groups.

    Returns
    -------
    out : ndarray, shape (N, C_out, D_out, H_out, W_out)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d`.

    Notes
    -----
    As :func:`conv2d` with a third spatial axis;
    ``D_out = floor((D + 2*pD - dD*(kD - 1) - 1) / sD) + 1``.

    Examples
    --------
    >>> x = np.ones((1, 1, 3, 3, 3))
    >>> conv3d(x, np.ones((2, 1, 2, 2, 2))).shape
    (1, 2, 2, 2, 2)
    >>> float(conv3d(x, np.ones((1, 1, 3, 3, 3)))[0, 0, 0, 0, 0])
    27.0
    """
    return _forward(3, x, weight, bias, stride, padding, dilation, groups)


def conv2d_backward(grad_output, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv2d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, H_out, W_out)
        Gradient of the loss with respect to the output of ``conv2d``; must
        have exactly the forward output's shape.
    x : ndarray, shape (N, C_in, H, W)
        The forward input.
    weight : ndarray, shape (C_out, C_in/groups, kH, kW)
        The forward weight.
    stride, padding, dilation, groups
        The forward arguments (see :func:`conv2d`).

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, H, W)
    grad_weight : ndarray, shape (C_out, C_in/groups, kH, kW)
    grad_bias : ndarray, shape (C_out,)
        Always returned, whether or not the forward had a bias.

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d`, and when ``grad_output`` does not have the forward
        output's shape.

    Notes
    -----
    With ``G = grad_output`` and the forward's ``xp`` (padded ``x``):

    - ``grad_bias[k] = sum_{n, i, j} G[n, k, i, j]``
    - ``grad_weight[k, c, u, v] = sum_{n, i, j} G[n, k, i, j] xp[n, g*C_g + c, i*sH + u*dH, j*sW + v*dW]``
    - ``grad_xp[n, g*C_g + c, i*sH + u*dH, j*sW + v*dW] += G[n, k, i, j] weight[k, c, u, v]``,
      and ``grad_input`` is ``grad_xp`` without its padding.

    Input pixels that no window reaches get a zero gradient.

    Algorithms.  For a layer whose forward would be Winograd's (see
    :func:`conv2d`: 3x3, stride 1, many channels and tiles) with padding at most
    2, ``grad_input`` is computed as that forward of ``G`` padded by ``2 - p``
    with the kernel flipped and its channel axes swapped (the transposed
    convolution), by Winograd F(4x4, 3x3), within the same float32 error
    bound, ``1e-5`` times the largest sum of ``|weight| * |G|`` over a window;
    ``grad_weight`` stays direct.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = np.ones((1, 1, 2, 2))
    >>> gx, gw, gb = conv2d_backward(np.ones((1, 1, 2, 2)), x, w)
    >>> gx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> gw[0, 0]
    array([[ 8., 12.],
           [20., 24.]])
    >>> gb
    array([4.])
    """
    return _backward(2, grad_output, x, weight, stride, padding, dilation, groups)


def conv1d_backward(grad_output, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv1d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, L_out)
        Gradient with respect to the forward output (exactly its shape).
    x : ndarray, shape (N, C_in, L)
        The forward input.
    weight : ndarray, shape (C_out, C_in/groups, kL)
        The forward weight.
    stride, padding, dilation, groups
        The forward arguments (see :func:`conv1d`).

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, L)
    grad_weight : ndarray, shape (C_out, C_in/groups, kL)
    grad_bias : ndarray, shape (C_out,)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d_backward`.

    Notes
    -----
    The 1-D case of the formulas in :func:`conv2d_backward`.

    Examples
    --------
    >>> gx, gw, gb = conv1d_backward(np.ones((1, 1, 2)), np.array([[[1.0, 2.0, 3.0]]]),
    ...                              np.array([[[1.0, -1.0]]]))
    >>> gx, gw, gb
    (array([[[ 1.,  0., -1.]]]), array([[[3., 5.]]]), array([2.]))
    """
    return _backward(1, grad_output, x, weight, stride, padding, dilation, groups)


def conv3d_backward(grad_output, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv3d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, D_out, H_out, W_out)
        Gradient with respect to the forward output (exactly its shape).
    x : ndarray, shape (N, C_in, D, H, W)
        The forward input.
    weight : ndarray, shape (C_out, C_in/groups, kD, kH, kW)
        The forward weight.
    stride, padding, dilation, groups
        The forward arguments (see :func:`conv3d`).

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, D, H, W)
    grad_weight : ndarray, shape (C_out, C_in/groups, kD, kH, kW)
    grad_bias : ndarray, shape (C_out,)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d_backward`.

    Notes
    -----
    The 3-D case of the formulas in :func:`conv2d_backward`.

    Examples
    --------
    >>> x = np.ones((1, 1, 2, 2, 2))
    >>> gx, gw, gb = conv3d_backward(np.ones((1, 3, 1, 1, 1)), x, np.ones((3, 1, 2, 2, 2)))
    >>> gx[0, 0, 0]
    array([[3., 3.],
           [3., 3.]])
    >>> gb
    array([1., 1., 1.])
    """
    return _backward(3, grad_output, x, weight, stride, padding, dilation, groups)


# --------------------------------------------------------------------------
# readable loop versions
# --------------------------------------------------------------------------

def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """:func:`conv2d` written as explicit loops over output positions (slow, readable).

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_out, C_in/groups, kH, kW)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation, groups
        As :func:`conv2d` (validated the same way).

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d`.

    Notes
    -----
    Each output value is the dot product of one filter with the window of
    the padded input it covers: the formula in :func:`conv2d`, one position
    at a time.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_naive(x, np.ones((1, 1, 2, 2)), stride=2)
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    (x, weight, bias, _), spec = _parse(x, weight, bias, stride, padding, dilation, groups, 2)
    n_images = x.shape[0]
    c_out, c_group, kh, kw = weight.shape
    (sh, sw), (dh, dw), (h_out, w_out) = spec.stride, spec.dilation, spec.out_size
    xp = pad_spatial(x, spec.pads)
    out = np.zeros((n_images, c_out, h_out, w_out), dtype=spec.dtype)
    filters_per_group = c_out // spec.groups
    with np.errstate(invalid="ignore"):  # 0 * inf and inf - inf are NaN, silently as in torch
        for n in range(n_images):
            for k in range(c_out):
                first = (k // filters_per_group) * c_group  # first input channel of k's group
                for i in range(h_out):
                    for j in range(w_out):
                        top, left = i * sh, j * sw
                        window = xp[n, first:first + c_group,
                                    top:top + dh * (kh - 1) + 1:dh,
                                    left:left + dw * (kw - 1) + 1:dw]
                        out[n, k, i, j] = np.sum(window * weight[k])
                if bias is not None:
                    out[n, k] += bias[k]
    return out


def conv2d_backward_naive(grad_output, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """:func:`conv2d_backward` written as explicit loops (slow, readable).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, H_out, W_out)
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_out, C_in/groups, kH, kW)
    stride, padding, dilation, groups
        As :func:`conv2d`.

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, H, W)
    grad_weight : ndarray, shape (C_out, C_in/groups, kH, kW)
    grad_bias : ndarray, shape (C_out,)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d_backward`.

    Notes
    -----
    Every output value ``out[n, k, i, j]`` was ``sum(window * weight[k])``, so
    its gradient ``G = grad_output[n, k, i, j]`` flows back as
    ``G * weight[k]`` into the window of the padded input and as
    ``G * window`` into ``weight[k]``; ``bias[k]`` receives ``G``.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> gx, gw, gb = conv2d_backward_naive(np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 2, 2)))
    >>> gw[0, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    (x, weight, _, grad_output), spec = _parse(
        x, weight, None, stride, padding, dilation, groups, 2,
        grad_output=grad_output, has_grad_output=True,
    )
    n_images = x.shape[0]
    c_out, c_group, kh, kw = weight.shape
    (sh, sw), (dh, dw), (h_out, w_out) = spec.stride, spec.dilation, spec.out_size
    xp = pad_spatial(x, spec.pads)
    grad_xp = np.zeros(xp.shape, dtype=spec.dtype)
    grad_weight = np.zeros(weight.shape, dtype=spec.dtype)
    grad_bias = np.zeros(c_out, dtype=spec.dtype)
    filters_per_group = c_out // spec.groups
    with np.errstate(invalid="ignore"):  # 0 * inf and inf - inf are NaN, silently as in torch
        for n in range(n_images):
            for k in range(c_out):
                first = (k // filters_per_group) * c_group
                for i in range(h_out):
                    for j in range(w_out):
                        g = grad_output[n, k, i, j]
                        window = (n, slice(first, first + c_group),
                                  slice(i * sh, i * sh + dh * (kh - 1) + 1, dh),
                                  slice(j * sw, j * sw + dw * (kw - 1) + 1, dw))
                        grad_weight[k] += g * xp[window]
                        grad_xp[window] += g * weight[k]
                        grad_bias[k] += g
    (pt, _), (pl, _) = spec.pads
    grad_input = grad_xp[:, :, pt:pt + x.shape[2], pl:pl + x.shape[3]].copy()
    return grad_input, grad_weight, grad_bias
