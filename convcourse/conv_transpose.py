"""Transposed convolutions ``conv_transpose1d/2d/3d`` and their gradients.

As ``torch.nn.functional.conv_transpose2d``: NCHW layout, weight
``(C_in, C_out/groups, kH, kW)``, torch's argument order (``groups`` before
``dilation``) and output size
``H_out = (H - 1)*sH - 2*pH + dH*(kH - 1) + output_padding + 1``.

What it is
----------
A convolution with stride, padding and dilation maps an ``H_out``-sized
input to an ``H``-sized output through a linear map ``A``.  The transposed
convolution is ``A^T``: it sends each input pixel back along every path the
convolution would have taken, i.e. it *is* the input-gradient of that
convolution (``conv2d_backward(g, y, w)[0] == conv_transpose2d(g, w)`` for
``y`` of size ``H_out``).  The weight is the convolution's weight, unchanged:
the convolution's ``(C_out, C_in/groups, k...)`` read as
``(C_in, C_out/groups, k...)`` from the transposed side.  ``output_padding``
chooses among the sizes ``H_out`` a strided convolution maps to the same
``H`` (it adds rows at the end that no window would otherwise reach).

How it is computed
------------------
On the convolution core of :mod:`convcourse.conv` (its polyphase layout and
padded-width buffers, see that module's header), without a flipped kernel or a
zero-inserted input whatever the stride:

- forward: the input, laid out as the convolution's padded-width output, goes
  through one matrix product per kernel tap, ``w_tap^T @ x_wide``, scattered
  back into the window positions that tap read (as the convolution's backward
  does for ``grad_input``);
- backward: ``grad_input`` is the forward convolution of ``grad_output`` with
  the same weight (so it takes the convolution's fast paths, Winograd
  included), and ``grad_weight`` is the convolution's weight gradient with the
  roles of input and ``grad_output`` exchanged.
"""

from __future__ import annotations

import math

import numpy as np

from ._padding import output_length, pad_spatial
from ._validation import check_int, ntuple
from .arithmetic import transposed_spatial_output
from .conv import (_batched_arrays, _common_dtype, _conv_backward, _conv_forward, _crop_wide,
                   _from_phases, _layout, _map_chunks, _Spec, _weight_matrix)

__all__ = [
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv_transpose1d_backward",
    "conv_transpose2d_backward",
    "conv_transpose3d_backward",
    "conv_transpose2d_naive",
    "conv_transpose2d_backward_naive",
]

_X_LAYOUT = {1: "(N, C_in, L)", 2: "(N, C_in, H, W)", 3: "(N, C_in, D, H, W)"}
_W_LAYOUT = {1: "(C_in, C_out/groups, kL)", 2: "(C_in, C_out/groups, kH, kW)",
             3: "(C_in, C_out/groups, kD, kH, kW)"}


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

def _parse(x, weight, bias, stride, padding, output_padding, groups, dilation, nd,
           grad_output=None, has_grad_output=False):
    """Check and convert every argument; return arrays in the result dtype and a conv _Spec.

    The spec's ``out_size`` is the transposed convolution's output size.
    """
    x, weight = _batched_arrays(x, weight, _X_LAYOUT[nd], _W_LAYOUT[nd], nd)
    groups = check_int(groups, "groups", minimum=1)
    stride = ntuple(stride, nd, "stride", minimum=1)
    padding = ntuple(padding, nd, "padding", minimum=0)  # torch takes no 'same'/'valid' here
    output_padding = ntuple(output_padding, nd, "output_padding", minimum=0)
    dilation = ntuple(dilation, nd, "dilation", minimum=1)

    c_in, kernel = x.shape[1], weight.shape[2:]
    if min(kernel) < 1:
        raise ValueError(f"weight must have a kernel size >= 1 on every axis, got shape {weight.shape}")
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels of x, C_in={c_in}")
    if weight.shape[0] != c_in:
        raise ValueError(
            f"weight must have shape {_W_LAYOUT[nd]} with C_in={c_in} (the channels of x, shape "
            f"{x.shape}), got weight shape {weight.shape}"
        )
    out_size = transposed_spatial_output(x.shape[2:], kernel, stride, padding, output_padding, dilation)

    arrays, dtype = _common_dtype(x, weight, bias, grad_output, has_grad_output,
                                  (x.shape[0], weight.shape[1] * groups) + out_size)
    return arrays, _Spec(stride, dilation, tuple((p, p) for p in padding), groups, out_size, dtype)


# --------------------------------------------------------------------------
# the computation, on the convolution core
# --------------------------------------------------------------------------

def _zero_garbage(wide, in_size, q_shape):
    """Zero the padded-width columns of ``wide`` (..., O_1 * Q_2 * ...) that are no pixel.

    A tap's product there is ``w * 0``, which is NaN when ``w`` is NaN or inf:
    scattered into the output it would reach real pixels.  Assigning zeros
    (not multiplying by a mask) keeps the output NaN exactly where torch has NaN.
    """
    shaped = wide.reshape(wide.shape[:-1] + (in_size[0],) + tuple(q_shape[1:]))
    for axis in range(1, len(in_size)):
        index = (Ellipsis, slice(in_size[axis], None)) + (slice(None),) * (len(in_size) - 1 - axis)
        shaped[index] = 0


def _transpose_forward(x, weight, bias, spec: _Spec):
    """The convolution's input-gradient, with ``x`` in the role of its ``grad_output``."""
    n, c_in = x.shape[:2]
    groups, cg = spec.groups, weight.shape[1]
    kg, c_out = c_in // groups, cg * groups
    in_size = x.shape[2:]
    padded = tuple(o + pb + pa for o, (pb, pa) in zip(spec.out_size, spec.pads))
    # the convolution this one transposes: padded input of size `padded`, output of size >= in_size
    lay = _layout(padded, weight.shape[2:], spec.stride, spec.dilation, in_size)
    L, q_len = lay.length, math.prod(lay.q_shape)
    w_t = _weight_matrix(weight, groups).transpose(0, 2, 3, 1)  # (g, taps, cg, kg): tap k's w^T per group
    crop = tuple(slice(pb, pb + o) for (pb, _), o in zip(spec.pads, spec.out_size))
    out = np.empty((n, c_out) + spec.out_size, dtype=spec.dtype)
    bias_b = None if bias is None else bias.reshape((c_out,) + (1,) * len(in_size))

    def images(n0, n1):
        with np.errstate(invalid="ignore"):  # inf - inf is NaN, as in torch; errstate is per thread
            _scatter_images(n0, n1)

    def _scatter_images(n0, n1):
        m = n1 - n0
        src = np.zeros((m, c_in, lay.wide_len), dtype=spec.dtype)
        _crop_wide(src, in_size, lay.q_shape)[...] = x[n0:n1]
        src = src.reshape(m, groups, kg, lay.wide_len)[..., :L]
        phases = np.zeros((math.prod(spec.stride), m, c_out, q_len), dtype=spec.dtype)
        product = np.empty((m, groups, cg, lay.wide_len), dtype=spec.dtype)
        for k, (phase, start, _) in enumerate(lay.taps):
            np.matmul(w_t[:, k], src, out=product[..., :L])
            _zero_garbage(product, in_size, lay.q_shape)
            phases[phase, :, :, start:start + L].reshape(m, groups, cg, L)[...] += product[..., :L]
        full = _from_phases(phases, spec.stride, lay.q_shape, padded)[(Ellipsis,) + crop]
        if bias_b is None:
            out[n0:n1] = full
        else:
            np.add(full, bias_b, out=out[n0:n1])

    bytes_per_image = (c_in + (1 + math.prod(spec.stride)) * c_out) * lay.wide_len * spec.dtype.itemsize
    _map_chunks(images, n, bytes_per_image, 2 * n * c_in * cg * len(lay.taps) * L)
    return out


def _transpose_backward(grad_output, x, weight, spec: _Spec):
    in_size = x.shape[2:]
    # the convolution's output size for an input of spec.out_size: in_size, plus one row per
    # axis where output_padding >= stride (allowed when it is below the dilation)
    conv_size = tuple(output_length(o, k, s, pb, pa, d) for o, k, s, (pb, pa), d in zip(
        spec.out_size, weight.shape[2:], spec.stride, spec.pads, spec.dilation))
    conv_spec = spec._replace(out_size=conv_size)
    # grad_input: A^T's adjoint is A, the convolution itself
    grad_input = _conv_forward(grad_output, weight, None, conv_spec)
    grad_input = np.ascontiguousarray(grad_input[(Ellipsis,) + tuple(slice(0, s) for s in in_size)])
    # grad_weight: the convolution's weight gradient with input grad_output and grad_output x
    # (its input-gradient, also computed there, is not needed)
    x_ext = pad_spatial(x, [(0, c - s) for c, s in zip(conv_size, in_size)])
    _, grad_weight, _ = _conv_backward(x_ext, grad_output, weight, conv_spec)
    grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
    return grad_input, grad_weight, grad_bias


def _forward(nd, x, weight, bias, stride, padding, output_padding, groups, dilation):
    (x, weight, bias, _), spec = _parse(x, weight, bias, stride, padding, output_padding,
                                        groups, dilation, nd)
    return _transpose_forward(x, weight, bias, spec)


def _backward(nd, grad_output, x, weight, stride, padding, output_padding, groups, dilation):
    (x, weight, _, grad_output), spec = _parse(
        x, weight, None, stride, padding, output_padding, groups, dilation, nd,
        grad_output=grad_output, has_grad_output=True)
    return _transpose_backward(grad_output, x, weight, spec)


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------

def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
        Input batch.  The batch axis is required.
    weight : ndarray, shape (C_in, C_out/groups, kH, kW)
        Filters, in torch's transposed layout (input channels first).
    bias : ndarray, shape (C_out,), optional
        Added to every output position of each output channel.
    stride : int or tuple (sH, sW), optional
        Stride of the convolution this one transposes, >= 1: each input pixel
        moves ``stride`` output pixels on.
    padding : int or tuple (pH, pW), optional
        Padding of the convolution this one transposes, >= 0: ``dilation *
        (kernel_size - 1) - padding`` zeros of implicit padding, i.e. ``padding``
        rows cropped from each side of the full result.
    output_padding : int or tuple, optional
        Rows added at the end of each axis of the output, >= 0 and smaller than
        the stride or the dilation of that axis.
    groups : int, optional
        Independent channel groups; must divide ``C_in``.
    dilation : int or tuple (dH, dW), optional
        Spacing between kernel taps, >= 1.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        ``C_out = weight.shape[1] * groups``; float dtype of the promoted inputs.

    Raises
    ------
    ValueError
        Wrong number of dimensions (including an unbatched input), ``weight``
        not having ``C_in`` rows, ``groups`` not dividing ``C_in``,
        non-positive stride or dilation, negative padding or output_padding,
        ``output_padding`` not smaller than stride or dilation, an empty output
        (too much padding), or a bias of the wrong shape.
    TypeError
        Complex, object or string arrays; non-integer (or string) arguments.

    See Also
    --------
    conv2d_backward : whose ``grad_input`` this is.
    conv_transpose2d_backward : the gradients.
    conv_transpose2d_naive : the same computation written as loops.
    conv_transpose_output_size : the output size.

    Notes
    -----
    Each input pixel scatters a weighted copy of its filter into the output:
    with ``g`` the group of input channel ``c`` and ``C_g = C_out/groups``,

    ``outp[n, g*C_g + k, i*sH + u*dH, j*sW + v*dW] += x[n, c, i, j] * weight[c, k, u, v]``,

    and ``out`` is ``outp`` without ``padding`` rows on each side (plus
    ``bias``).  ``H_out = (H - 1)*sH - 2*pH + dH*(kH - 1) + output_padding + 1``.

    This is the gradient of :func:`conv2d` with respect to its input, for the
    same weight, stride, padding, dilation and groups: the transposed
    convolution is the convolution's matrix transposed.  It upsamples (a
    stride-2 transposed convolution doubles the size), which is why decoders
    and GANs use it.

    Examples
    --------
    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> conv_transpose2d(x, np.ones((1, 1, 2, 2)))
    array([[[[ 1.,  3.,  2.],
             [ 4., 10.,  6.],
             [ 3.,  7.,  4.]]]])
    >>> conv_transpose2d(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])

    It is the input-gradient of the convolution with the same arguments:

    >>> from convcourse.conv import conv2d, conv2d_backward
    >>> rng = np.random.default_rng(0)
    >>> y, w = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((6, 2, 3, 3))
    >>> kw = dict(stride=2, padding=1, groups=2)
    >>> g = rng.standard_normal(conv2d(y, w, **kw).shape)         # (2, 6, 5, 4)
    >>> gx = conv2d_backward(g, y, w, **kw)[0]
    >>> out = conv_transpose2d(g, w, output_padding=(0, 1), **kw)  # 9 x 8, as y
    >>> out.shape, bool(np.allclose(out, gx))
    ((2, 4, 9, 8), True)
    """
    return _forward(2, x, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose1d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, L)
        Input batch.  The batch axis is required.
    weight : ndarray, shape (C_in, C_out/groups, kL)
        Filters, input channels first.
    bias : ndarray, shape (C_out,), optional
        Added to each output channel.
    stride, padding, output_padding, groups, dilation
        As :func:`conv_transpose2d`, one value (or a 1-tuple) each.

    Returns
    -------
    out : ndarray, shape (N, C_out, L_out)
        ``L_out = (L - 1)*s - 2p + d(kL - 1) + output_padding + 1``.

    Raises
    ------
    ValueError, TypeError
        As :func:`conv_transpose2d`.

    Notes
    -----
    ``outp[n, g*C_g + k, i*s + u*d] += x[n, c, i] * weight[c, k, u]``; the
    input-gradient of :func:`conv1d`.

    Examples
    --------
    >>> conv_transpose1d(np.array([[[1.0, 2.0, 3.0]]]), np.array([[[1.0, 10.0]]]), stride=2)
    array([[[ 1., 10.,  2., 20.,  3., 30.]]])
    """
    return _forward(1, x, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution, as ``torch.nn.functional.conv_transpose3d``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, D, H, W)
        Input batch.  The batch axis is required.
    weight : ndarray, shape (C_in, C_out/groups, kD, kH, kW)
        Filters, input channels first.
    bias : ndarray, shape (C_out,), optional
        Added to each output channel.
    stride, padding, output_padding, groups, dilation
        As :func:`conv_transpose2d`, with a third spatial axis.

    Returns
    -------
    out : ndarray, shape (N, C_out, D_out, H_out, W_out)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv_transpose2d`.

    Notes
    -----
    As :func:`conv_transpose2d` with a third spatial axis; the input-gradient
    of :func:`conv3d`.

    Examples
    --------
    >>> conv_transpose3d(np.ones((1, 2, 2, 2, 2)), np.ones((2, 3, 2, 2, 2)), stride=2).shape
    (1, 3, 4, 4, 4)
    """
    return _forward(3, x, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d_backward(grad_output, x, weight, stride=1, padding=0, output_padding=0,
                              groups=1, dilation=1):
    """Gradients of :func:`conv_transpose2d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, H_out, W_out)
        Gradient with respect to the forward output (exactly its shape).
    x : ndarray, shape (N, C_in, H, W)
        The forward input.
    weight : ndarray, shape (C_in, C_out/groups, kH, kW)
        The forward weight.
    stride, padding, output_padding, groups, dilation
        The forward arguments (see :func:`conv_transpose2d`).

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, H, W)
    grad_weight : ndarray, shape (C_in, C_out/groups, kH, kW)
    grad_bias : ndarray, shape (C_out,)
        Always returned, whether or not the forward had a bias.

    Raises
    ------
    ValueError, TypeError
        As :func:`conv_transpose2d`, and when ``grad_output`` does not have the
        forward output's shape.

    Notes
    -----
    With ``G = grad_output`` and ``Gp`` it zero-padded by ``padding``:

    - ``grad_input[n, c, i, j] = sum_{k, u, v} Gp[n, g*C_g + k, i*sH + u*dH, j*sW + v*dW] weight[c, k, u, v]``:
      the forward *convolution* of ``G`` with the same weight (:func:`conv2d`);
    - ``grad_weight[c, k, u, v] = sum_{n, i, j} x[n, c, i, j] Gp[n, g*C_g + k, i*sH + u*dH, j*sW + v*dW]``;
    - ``grad_bias[k] = sum_{n, i, j} G[n, k, i, j]``.

    Examples
    --------
    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> gx, gw, gb = conv_transpose2d_backward(np.ones((1, 1, 3, 3)), x, np.ones((1, 1, 2, 2)))
    >>> gx[0, 0]
    array([[4., 4.],
           [4., 4.]])
    >>> gw[0, 0]
    array([[10., 10.],
           [10., 10.]])
    >>> gb
    array([9.])
    """
    return _backward(2, grad_output, x, weight, stride, padding, output_padding, groups, dilation)


def conv_transpose1d_backward(grad_output, x, weight, stride=1, padding=0, output_padding=0,
                              groups=1, dilation=1):
    """Gradients of :func:`conv_transpose1d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, L_out)
        Gradient with respect to the forward output (exactly its shape).
    x : ndarray, shape (N, C_in, L)
        The forward input.
    weight : ndarray, shape (C_in, C_out/groups, kL)
        The forward weight.
    stride, padding, output_padding, groups, dilation
        The forward arguments.

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, L)
    grad_weight : ndarray, shape (C_in, C_out/groups, kL)
    grad_bias : ndarray, shape (C_out,)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv_transpose2d_backward`.

    Notes
    -----
    The 1-D case of the formulas in :func:`conv_transpose2d_backward`.

    Examples
    --------
    >>> gx, gw, gb = conv_transpose1d_backward(np.ones((1, 1, 3)), np.array([[[1.0, 2.0]]]),
    ...                                        np.array([[[1.0, -1.0]]]))
    >>> gx, gw, gb
    (array([[[0., 0.]]]), array([[[3., 3.]]]), array([3.]))
    """
    return _backward(1, grad_output, x, weight, stride, padding, output_padding, groups, dilation)


def conv_transpose3d_backward(grad_output, x, weight, stride=1, padding=0, output_padding=0,
                              groups=1, dilation=1):
    """Gradients of :func:`conv_transpose3d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, D_out, H_out, W_out)
        Gradient with respect to the forward output (exactly its shape).
    x : ndarray, shape (N, C_in, D, H, W)
        The forward input.
    weight : ndarray, shape (C_in, C_out/groups, kD, kH, kW)
        The forward weight.
    stride, padding, output_padding, groups, dilation
        The forward arguments.

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, D, H, W)
    grad_weight : ndarray, shape (C_in, C_out/groups, kD, kH, kW)
    grad_bias : ndarray, shape (C_out,)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv_transpose2d_backward`.

    Notes
    -----
    The 3-D case of the formulas in :func:`conv_transpose2d_backward`.

    Examples
    --------
    >>> gx, gw, gb = conv_transpose3d_backward(np.ones((1, 2, 2, 2, 2)), np.ones((1, 1, 1, 1, 1)),
    ...                                        np.ones((1, 2, 2, 2, 2)))
    >>> float(gx.item()), gw.shape, gb
    (16.0, (1, 2, 2, 2, 2), array([8., 8.]))
    """
    return _backward(3, grad_output, x, weight, stride, padding, output_padding, groups, dilation)


# --------------------------------------------------------------------------
# readable loop versions
# --------------------------------------------------------------------------

def _windows(spec, weight_shape, i, j):
    """Index of the padded output window input pixel ``(i, j)`` scatters to, per axis."""
    (sh, sw), (dh, dw), (kh, kw) = spec.stride, spec.dilation, weight_shape[2:]
    return (slice(i * sh, i * sh + dh * (kh - 1) + 1, dh),
            slice(j * sw, j * sw + dw * (kw - 1) + 1, dw))


def conv_transpose2d_naive(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                           dilation=1):
    """:func:`conv_transpose2d` written as explicit loops over input pixels (slow, readable).

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_in, C_out/groups, kH, kW)
    bias : ndarray, shape (C_out,), optional
    stride, padding, output_padding, groups, dilation
        As :func:`conv_transpose2d` (validated the same way).

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv_transpose2d`.

    Notes
    -----
    Every input value adds ``x[n, c, i, j] * weight[c]`` into the window of
    the padded output that a convolution's output ``(i, j)`` would have read;
    the padding is then cut off.

    Examples
    --------
    >>> conv_transpose2d_naive(np.array([[[[1.0, 2.0]]]]), np.ones((1, 1, 1, 2)))
    array([[[[1., 3., 2.]]]])
    """
    (x, weight, bias, _), spec = _parse(x, weight, bias, stride, padding, output_padding,
                                        groups, dilation, 2)
    n_images, c_in, h, w = x.shape
    c_group = weight.shape[1]  # output channels per group
    inputs_per_group = c_in // spec.groups
    (pt, pb), (pl, pr) = spec.pads
    h_out, w_out = spec.out_size
    outp = np.zeros((n_images, c_group * spec.groups, h_out + pt + pb, w_out + pl + pr), dtype=spec.dtype)
    for n in range(n_images):
        for c in range(c_in):
            first = (c // inputs_per_group) * c_group  # first output channel of c's group
            for i in range(h):
                for j in range(w):
                    rows, cols = _windows(spec, weight.shape, i, j)
                    outp[n, first:first + c_group, rows, cols] += x[n, c, i, j] * weight[c]
    out = outp[:, :, pt:pt + h_out, pl:pl + w_out].copy()
    if bias is not None:
        out += bias.reshape(-1, 1, 1)
    return out


def conv_transpose2d_backward_naive(grad_output, x, weight, stride=1, padding=0, output_padding=0,
                                    groups=1, dilation=1):
    """:func:`conv_transpose2d_backward` written as explicit loops (slow, readable).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, H_out, W_out)
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_in, C_out/groups, kH, kW)
    stride, padding, output_padding, groups, dilation
        As :func:`conv_transpose2d`.

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, H, W)
    grad_weight : ndarray, shape (C_in, C_out/groups, kH, kW)
    grad_bias : ndarray, shape (C_out,)

    Raises
    ------
    ValueError, TypeError
        As :func:`conv_transpose2d_backward`.

    Notes
    -----
    Input pixel ``(n, c, i, j)`` added ``x[n, c, i, j] * weight[c]`` into a
    window of the padded output, so with ``window`` that part of the padded
    ``grad_output``: its gradient is ``sum(window * weight[c])`` and
    ``weight[c]`` receives ``x[n, c, i, j] * window``.

    Examples
    --------
    >>> gx, gw, gb = conv_transpose2d_backward_naive(np.ones((1, 1, 1, 3)), np.array([[[[1.0, 2.0]]]]),
    ...                                              np.array([[[[1.0, -1.0]]]]))
    >>> gx, gw[0, 0], gb
    (array([[[[0., 0.]]]]), array([[3., 3.]]), array([3.]))
    """
    (x, weight, _, grad_output), spec = _parse(
        x, weight, None, stride, padding, output_padding, groups, dilation, 2,
        grad_output=grad_output, has_grad_output=True)
    n_images, c_in, h, w = x.shape
    c_group = weight.shape[1]
    inputs_per_group = c_in // spec.groups
    # grad_output padded to the full (uncropped) output; output_padding rows beyond it stay zero
    (pt, pb), (pl, pr) = spec.pads
    gp = pad_spatial(grad_output, ((pt, pb), (pl, pr)))
    grad_input = np.zeros(x.shape, dtype=spec.dtype)
    grad_weight = np.zeros(weight.shape, dtype=spec.dtype)
    for n in range(n_images):
        for c in range(c_in):
            first = (c // inputs_per_group) * c_group
            for i in range(h):
                for j in range(w):
                    rows, cols = _windows(spec, weight.shape, i, j)
                    window = gp[n, first:first + c_group, rows, cols]
                    grad_input[n, c, i, j] = np.sum(window * weight[c])
                    grad_weight[c] += x[n, c, i, j] * window
    grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_input, grad_weight, grad_bias
