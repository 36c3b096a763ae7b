"""``unfold`` (im2col) and its adjoint ``fold`` (col2im), as ``torch.nn.functional``.

``unfold`` copies every window a 2-D convolution reads into one column of a
matrix; a convolution is then a single matrix product with the flattened
filters, which is how the course explains why a convolution *is* a matrix
product (and why GPUs run them as GEMMs).  ``fold`` adds the columns back into
an image, summing where windows overlap: it is the transpose of ``unfold``,
the same way the transposed convolution is the transpose of the convolution.

As in torch, both take batched 4-D images / 3-D column matrices:
``x (N, C, H, W) -> (N, C*kH*kW, L)`` with ``L = H_out * W_out`` windows in
row-major order, rows ordered channel first, then kernel row, then kernel
column (so ``weight.reshape(C_out, -1)`` multiplies them directly).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ._padding import output_length, pad_spatial
from ._validation import _describe, as_network_array, ntuple

__all__ = ["unfold", "fold", "unfold_naive", "fold_naive"]


class _Blocks:
    """Validated window geometry: kernel, dilation, padding, stride and the block grid."""

    def __init__(self, size, kernel_size, dilation, padding, stride, size_name, size_text):
        self.kernel = ntuple(kernel_size, 2, "kernel_size")
        self.dilation = ntuple(dilation, 2, "dilation")
        self.padding = ntuple(padding, 2, "padding", minimum=0)
        self.stride = ntuple(stride, 2, "stride")
        self.pads = tuple((p, p) for p in self.padding)
        self.grid = tuple(output_length(n, k, s, p, p, d) for n, k, s, p, d in zip(
            size, self.kernel, self.stride, self.padding, self.dilation))
        if min(self.grid) < 1:
            span = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))
            padded = tuple(n + 2 * p for n, p in zip(size, self.padding))
            raise ValueError(
                f"kernel_size={self.kernel} (dilation {self.dilation}: spans {span}) is larger "
                f"than the padded {size_name} {padded} ({size_text}, padding {self.padding}): "
                f"no block fits"
            )

    def window(self, i, j):
        """Index of the padded image that block ``(i, j)`` covers."""
        (kh, kw), (dh, dw), (sh, sw) = self.kernel, self.dilation, self.stride
        return (slice(i * sh, i * sh + dh * (kh - 1) + 1, dh),
                slice(j * sw, j * sw + dw * (kw - 1) + 1, dw))

    def tap(self, u, v):
        """Index of the padded image that kernel tap ``(u, v)`` reads over all blocks."""
        (oh, ow), (dh, dw), (sh, sw) = self.grid, self.dilation, self.stride
        return (slice(u * dh, u * dh + sh * (oh - 1) + 1, sh),
                slice(v * dw, v * dw + sw * (ow - 1) + 1, sw))


def _parse_unfold(x, kernel_size, dilation, padding, stride):
    x = as_network_array(x, "x")
    if x.ndim != 4:
        hint = " (unbatched input is not supported: add a batch axis with x[None])" if x.ndim == 3 else ""
        raise ValueError(f"x must be a batched 4-D array of shape (N, C, H, W), got shape {x.shape}{hint}")
    blocks = _Blocks(x.shape[2:], kernel_size, dilation, padding, stride, "input", f"x shape {x.shape}")
    return x, blocks


def _parse_fold(x, output_size, kernel_size, dilation, padding, stride):
    x = as_network_array(x, "x")
    if x.ndim != 3:
        hint = " (unbatched input is not supported: add a batch axis with x[None])" if x.ndim == 2 else ""
        raise ValueError(
            f"x must be a batched 3-D array of shape (N, C*kH*kW, L), got shape {x.shape}{hint}")
    size = ntuple(output_size, 2, "output_size")
    blocks = _Blocks(size, kernel_size, dilation, padding, stride, "output",
                     f"output_size {_describe(output_size)}")
    taps = math.prod(blocks.kernel)
    if x.shape[1] % taps:
        raise ValueError(
            f"x.shape[1] must be C * kH * kW, a multiple of {taps} for kernel_size={blocks.kernel}, "
            f"got x shape {x.shape}")
    if x.shape[2] != math.prod(blocks.grid):
        raise ValueError(
            f"x must have L = {blocks.grid[0]} * {blocks.grid[1]} = {math.prod(blocks.grid)} blocks "
            f"(output_size={size}, kernel_size={blocks.kernel}, dilation={blocks.dilation}, "
            f"padding={blocks.padding}, stride={blocks.stride}), got x shape {x.shape}")
    return x, size, blocks


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks as columns (im2col), as ``torch.nn.functional.unfold``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch.  The batch axis is required.
    kernel_size : int or tuple (kH, kW)
        Size of a block.
    dilation : int or tuple (dH, dW), optional
        Spacing between the elements of a block, >= 1.
    padding : int or tuple (pH, pW), optional
        Zeros added on both sides of each spatial axis, >= 0.
    stride : int or tuple (sH, sW), optional
        Step between blocks, >= 1.

    Returns
    -------
    cols : ndarray, shape (N, C*kH*kW, L)
        Column ``l`` holds block ``l`` (row-major over the ``H_out x W_out``
        grid, ``L = H_out * W_out``), its rows ordered ``(c, u, v)``: channel,
        kernel row, kernel column.  Same dtype as ``x`` (integers and bools
        become float64).

    Raises
    ------
    ValueError
        ``x`` not 4-D (including an unbatched 3-D image), non-positive
        kernel_size, stride or dilation, negative padding, or a block larger
        than the padded image.
    TypeError
        Complex, object or string arrays; non-integer arguments.

    See Also
    --------
    fold : its adjoint (col2im), summing overlapping blocks.
    unfold_naive : the same written as loops.

    Notes
    -----
    ``cols[n, (c*kH + u)*kW + v, i*W_out + j] = xp[n, c, i*sH + u*dH, j*sW + v*dW]``
    with ``xp`` the zero-padded input; ``H_out`` as for :func:`conv2d`.

    A convolution is a matrix product with it: for ``weight`` of shape
    ``(F, C, kH, kW)``, ``conv2d(x, weight)`` equals
    ``(weight.reshape(F, -1) @ unfold(x, (kH, kW))).reshape(N, F, H_out, W_out)``.
    Every input pixel is copied up to ``kH*kW`` times, which is why
    :mod:`convcourse.conv` avoids building this matrix.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> unfold(x, 2)
    array([[[0., 1., 3., 4.],
            [1., 2., 4., 5.],
            [3., 4., 6., 7.],
            [4., 5., 7., 8.]]])

    A convolution is one matrix product with the unfolded input:

    >>> from convcourse.conv import conv2d
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    >>> cols = unfold(x, (3, 3), padding=1, stride=2)       # (2, 27, 9)
    >>> out = (w.reshape(4, -1) @ cols).reshape(2, 4, 3, 3)
    >>> bool(np.allclose(out, conv2d(x, w, padding=1, stride=2)))
    True
    """
    x, blocks = _parse_unfold(x, kernel_size, dilation, padding, stride)
    n, c = x.shape[:2]
    xp = pad_spatial(x, blocks.pads)
    # one strided view per kernel tap, copied into its rows of the column matrix
    cols = np.empty((n, c) + blocks.kernel + blocks.grid, dtype=x.dtype)
    for u, v in itertools.product(*map(range, blocks.kernel)):
        cols[:, :, u, v] = xp[(Ellipsis,) + blocks.tap(u, v)]
    return cols.reshape(n, c * math.prod(blocks.kernel), math.prod(blocks.grid))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns back into an image (col2im), as ``torch.nn.functional.fold``.

    Parameters
    ----------
    x : ndarray, shape (N, C*kH*kW, L)
        One column per block, laid out as :func:`unfold` returns them.
    output_size : int or tuple (H, W)
        Spatial size of the image to build (before padding is cut off: the
        size of the ``x`` that :func:`unfold` took).
    kernel_size : int or tuple (kH, kW)
        Size of a block.
    dilation, padding, stride : int or tuple, optional
        As :func:`unfold`.  ``L`` must equal the number of blocks these give
        for ``output_size``.

    Returns
    -------
    out : ndarray, shape (N, C, H, W)
        Where blocks overlap their values add up.

    Raises
    ------
    ValueError
        ``x`` not 3-D (including an unbatched 2-D matrix), ``x.shape[1]`` not
        a multiple of ``kH*kW``, ``L`` not the number of blocks, bad sizes as
        in :func:`unfold`.
    TypeError
        Complex, object or string arrays; non-integer arguments.

    See Also
    --------
    unfold : of which this is the adjoint.
    fold_naive : the same written as loops.

    Notes
    -----
    ``outp[n, c, i*sH + u*dH, j*sW + v*dW] += x[n, (c*kH + u)*kW + v, i*W_out + j]``;
    ``out`` is ``outp`` without its padding.  ``fold`` is the transpose of
    ``unfold``: ``sum(fold(y) * x) == sum(y * unfold(x))`` for all ``x``,
    ``y``, and ``fold(unfold(x))`` is ``x`` times the number of blocks that
    cover each pixel (the gradient of im2col is col2im).

    Examples
    --------
    >>> x = np.ones((1, 1, 3, 3))
    >>> fold(unfold(x, 2), (3, 3), 2)[0, 0]     # how many 2x2 blocks cover each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> fold(np.arange(4.0).reshape(1, 4, 1), 2, 2)[0, 0]
    array([[0., 1.],
           [2., 3.]])
    """
    x, size, blocks = _parse_fold(x, output_size, kernel_size, dilation, padding, stride)
    n, c = x.shape[0], x.shape[1] // math.prod(blocks.kernel)
    cols = x.reshape((n, c) + blocks.kernel + blocks.grid)
    outp = np.zeros((n, c) + tuple(s + 2 * p for s, p in zip(size, blocks.padding)), dtype=x.dtype)
    for u, v in itertools.product(*map(range, blocks.kernel)):
        outp[(Ellipsis,) + blocks.tap(u, v)] += cols[:, :, u, v]
    (ph, pw) = blocks.padding
    return outp[:, :, ph:ph + size[0], pw:pw + size[1]].copy()


def unfold_naive(x, kernel_size, dilation=1, padding=0, stride=1):
    """:func:`unfold` written as a loop over blocks (slow, readable).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, dilation, padding, stride
        As :func:`unfold` (validated the same way).

    Returns
    -------
    cols : ndarray, shape (N, C*kH*kW, L)

    Raises
    ------
    ValueError, TypeError
        As :func:`unfold`.

    Notes
    -----
    Block ``(i, j)`` of the padded image, flattened, becomes column ``i*W_out + j``.

    Examples
    --------
    >>> unfold_naive(np.arange(6.0).reshape(1, 1, 2, 3), (2, 2))
    array([[[0., 1.],
            [1., 2.],
            [3., 4.],
            [4., 5.]]])
    """
    x, blocks = _parse_unfold(x, kernel_size, dilation, padding, stride)
    n, c = x.shape[:2]
    xp = pad_spatial(x, blocks.pads)
    oh, ow = blocks.grid
    cols = np.empty((n, c * math.prod(blocks.kernel), oh * ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            rows, columns = blocks.window(i, j)
            cols[:, :, i * ow + j] = xp[:, :, rows, columns].reshape(n, -1)
    return cols


def fold_naive(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """:func:`fold` written as a loop over blocks (slow, readable).

    Parameters
    ----------
    x : ndarray, shape (N, C*kH*kW, L)
    output_size, kernel_size, dilation, padding, stride
        As :func:`fold` (validated the same way).

    Returns
    -------
    out : ndarray, shape (N, C, H, W)

    Raises
    ------
    ValueError, TypeError
        As :func:`fold`.

    Notes
    -----
    Column ``i*W_out + j``, reshaped to a ``(C, kH, kW)`` block, is added
    into block ``(i, j)`` of the padded image.

    Examples
    --------
    >>> fold_naive(np.ones((1, 4, 2)), (2, 3), (2, 2))
    array([[[[1., 2., 1.],
             [1., 2., 1.]]]])
    """
    x, size, blocks = _parse_fold(x, output_size, kernel_size, dilation, padding, stride)
    n, c = x.shape[0], x.shape[1] // math.prod(blocks.kernel)
    (ph, pw), (oh, ow) = blocks.padding, blocks.grid
    outp = np.zeros((n, c, size[0] + 2 * ph, size[1] + 2 * pw), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            rows, columns = blocks.window(i, j)
            outp[:, :, rows, columns] += x[:, :, i * ow + j].reshape((n, c) + blocks.kernel)
    return outp[:, :, ph:ph + size[0], pw:pw + size[1]].copy()
