"""Separable kernels and depthwise-separable convolutions.

Two ideas that make convolutions cheap:

* a rank-1 ``kH x kW`` kernel is the outer product of a column and a row, so a
  2-D correlation with it is two 1-D passes (``kH + kW`` instead of ``kH kW``
  multiplications per pixel), as ``scipy.ndimage.gaussian_filter`` does;
* a depthwise-separable convolution (MobileNet) filters each channel on its
  own (:func:`depthwise_conv2d`, torch's ``groups=C``) and then mixes channels
  with a ``1 x 1`` convolution (:func:`pointwise_conv2d`).

Image filtering (:func:`separable_correlate2d`) follows
``scipy.signal.correlate2d``; the network operations follow
``torch.nn.functional.conv2d`` (NCHW, torch's argument names).
"""

from __future__ import annotations

import numpy as np

from ._padding import pad_spatial
from ._validation import (
    _describe,
    as_array,
    as_network_array,
    check_choice,
    check_ndim,
    check_shape,
    result_dtype,
)
from .conv import _conv_forward, _parse
from .filtering import _swap_needed

__all__ = [
    "separate_kernel",
    "is_separable",
    "separable_correlate2d",
    "separable_correlate2d_naive",
    "depthwise_conv2d",
    "depthwise_conv2d_naive",
    "pointwise_conv2d",
    "pointwise_conv2d_naive",
    "depthwise_separable_conv2d",
    "depthwise_separable_conv2d_naive",
]

_MODES = ("full", "valid", "same")


# --- separable kernels ------------------------------------------------------------------

def _as_real_kernel(kernel, name="kernel"):
    k = as_array(kernel, name)
    if k.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real-valued array, got dtype {k.dtype}")
    if k.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (kH, kW), got shape {k.shape}")
    if k.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {k.shape}")
    k = k.astype(np.float64)
    if not np.all(np.isfinite(k)):
        raise ValueError(f"{name} must contain only finite values, got {_describe(kernel)}")
    return k


def _check_atol(atol):
    if isinstance(atol, bool) or not isinstance(atol, (int, float, np.integer, np.floating)):
        raise TypeError(f"atol must be a real number, got {_describe(atol)}")
    if not atol >= 0:
        raise ValueError(f"atol must be >= 0, got {atol!r}")
    return float(atol)


def separate_kernel(kernel, atol=1e-8):
    """Split a rank-1 kernel into a column and a row.

    Parameters
    ----------
    kernel : array_like, shape (kH, kW)
        A real 2-D kernel.
    atol : float, optional
        Absolute tolerance: singular values at or below ``atol`` count as
        zero.  Default ``1e-8``.

    Returns
    -------
    column : ndarray, shape (kH,)
    row : ndarray, shape (kW,)
        float64 vectors with ``np.outer(column, row) == kernel`` (within
        ``atol``).

    Raises
    ------
    TypeError
        If ``kernel`` is not real-valued, or ``atol`` is not a number.
    ValueError
        If ``kernel`` is not 2-D, is empty or not finite, or is not rank 1
        within ``atol`` (the message gives the rank and the second singular
        value).

    Notes
    -----
    The singular value decomposition ``kernel = sum_i s_i u_i v_i^T`` has
    one non-zero ``s_i`` exactly when the kernel is separable; then
    ``kernel = (sqrt(s_1) u_1)(sqrt(s_1) v_1)^T``.  The factors are unique up
    to a scale ``c -> a c, r -> r / a``, fixed here so results read well:

    * integer-valued kernels give integer factors: the row is a row of the
      kernel divided by the greatest common divisor of its entries, and the
      column carries the scale (the outer product is then exact);
    * other kernels split the scale evenly, ``sqrt(s_1)`` each (a normalised
      2-D Gaussian gives the normalised 1-D Gaussian twice);
    * in both cases the largest-magnitude entry of ``column`` is positive.

    An all-zero kernel (rank 0) gives two zero vectors.

    Examples
    --------
    >>> column, row = separate_kernel([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    >>> column, row
    (array([1., 2., 1.]), array([ 1.,  0., -1.]))
    >>> column, row = separate_kernel(np.outer([0.25, 0.5, 0.25], [0.25, 0.5, 0.25]))
    >>> column
    array([0.25, 0.5 , 0.25])
    >>> separate_kernel([[1, 0], [0, 1]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: kernel is not separable: it has rank 2 (singular values [1. 1.]), ...
    """
    k = _as_real_kernel(kernel)
    atol = _check_atol(atol)
    u, s, vt = np.linalg.svd(k)
    rank = int(np.sum(s > atol))
    if rank > 1:
        raise ValueError(
            f"kernel is not separable: it has rank {rank} (singular values "
            f"{np.array2string(s, precision=3)}), its second singular value "
            f"{s[1]:.3g} exceeds atol={atol:g}"
        )
    if rank == 0:
        return np.zeros(k.shape[0]), np.zeros(k.shape[1])
    integer = np.all(k == np.round(k)) and np.max(np.abs(k)) < 2.0**52
    if integer:
        column, row = _integer_factors(k)
        if not np.allclose(np.outer(column, row), k, rtol=0, atol=max(atol, 1e-12)):
            integer = False  # nearly rank 1 only: fall back to the SVD factors
    if not integer:
        column = u[:, 0] * np.sqrt(s[0])
        row = vt[0] * np.sqrt(s[0])
    if column[np.argmax(np.abs(column))] < 0:
        column, row = -column, -row
    return column + 0.0, row + 0.0  # "+ 0.0" turns -0.0 into 0.0


def _integer_factors(k):
    """Integer column and primitive integer row of an integer rank-1 kernel."""
    ki = np.round(k).astype(np.int64)
    j = int(np.argmax(np.abs(ki).max(axis=1)))        # a row with the largest entry
    row = ki[j] // np.gcd.reduce(ki[j])
    i = int(np.argmax(np.abs(row)))
    column = k[:, i] / row[i]
    return column, row.astype(np.float64)


def is_separable(kernel, atol=1e-8):
    """Whether a 2-D kernel is an outer product of a column and a row.

    Parameters
    ----------
    kernel : array_like, shape (kH, kW)
        A real 2-D kernel.
    atol : float, optional
        Singular values at or below ``atol`` count as zero.  Default ``1e-8``.

    Returns
    -------
    bool
        True when the kernel has rank at most 1 within ``atol``.

    Raises
    ------
    TypeError, ValueError
        As :func:`separate_kernel`, except that a rank above 1 gives False.

    Notes
    -----
    Rank 1 means the second singular value ``s_2`` is at most ``atol``.

    Examples
    --------
    >>> is_separable(np.ones((3, 5)))
    True
    >>> is_separable([[0, 1, 0], [1, -4, 1], [0, 1, 0]])   # the Laplacian
    False
    """
    k = _as_real_kernel(kernel)
    atol = _check_atol(atol)
    s = np.linalg.svd(k, compute_uv=False)
    return bool(s.size < 2 or s[1] <= atol)


# --- separable image filtering (scipy semantics) -----------------------------------------

def _check_image_and_taps(image, column, row):
    image = as_array(image, "image")
    column = as_array(column, "column")
    row = as_array(row, "row")
    for arr, name in ((image, "image"), (column, "column"), (row, "row")):
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if image.ndim != 2:
        raise ValueError(f"image must be a 2-D array of shape (H, W), got shape {image.shape}")
    for arr, name, symbol in ((column, "column", "kH"), (row, "row", "kW")):
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D array of shape ({symbol},), "
                             f"got shape {arr.shape}")
    dtype = np.result_type(image, column, row)
    if dtype == np.bool_ or dtype == np.float16:
        raise ValueError(
            f"image, column and row of dtypes {image.dtype}, {column.dtype} and {row.dtype} "
            f"give a {dtype} result, which scipy.signal.correlate2d does not support; "
            f"convert them to an integer or float dtype"
        )
    return image, column, row


def _window(n, k, mode, swapped):
    """(start, length) of the output inside the 'full' correlation along one axis.

    ``swapped`` is filtering's 'valid'-mode rule (:func:`~convcourse.filtering._swap_needed`):
    when the kernel is the larger input, scipy correlates it with the image
    and reverses the result, which is the window of the full correlation
    starting at ``n - 1`` instead of ``k - 1``.
    """
    if mode == "full":
        return 0, n + k - 1
    elif mode == "same":
        return k // 2, n                    # scipy's centring for correlate2d
    elif mode == "valid":
        return (n if swapped else k) - 1, abs(n - k) + 1
    else:
        raise ValueError(f"mode must be one of 'full', 'valid', 'same'; got {mode!r}")


def _valid_swap(image, column, row, mode):
    """filtering's 'valid'-mode swap rule, with this function's argument names."""
    return _swap_needed(mode, image.shape, (column.size, row.size),
                        names=("image", "the kernel np.outer(column, row)"))


def _correlate_axis(x, taps, axis, start, length):
    """1-D zero-filled correlation of ``x`` with ``taps`` along ``axis``.

    Returns ``length`` samples of the 'full' correlation starting at ``start``.
    """
    k = taps.size
    x = np.moveaxis(x, axis, 0)
    padded = np.zeros((x.shape[0] + 2 * (k - 1),) + x.shape[1:], dtype=np.result_type(x, taps))
    padded[k - 1:k - 1 + x.shape[0]] = x
    out = np.zeros((length,) + x.shape[1:], dtype=padded.dtype)
    for a in range(k):                       # one shifted copy per tap
        out += taps[a] * padded[start + a:start + a + length]
    return np.moveaxis(out, 0, axis)


def separable_correlate2d(image, column, row, mode="valid"):
    """2-D cross-correlation with the kernel ``np.outer(column, row)``, as two 1-D passes.

    Parameters
    ----------
    image : array_like, shape (H, W)
        The image.
    column : array_like, shape (kH,)
        Vertical factor of the kernel.
    row : array_like, shape (kW,)
        Horizontal factor of the kernel.
    mode : str {'full', 'valid', 'same'}, optional
        As in ``scipy.signal.correlate2d`` (zero fill): ``'valid'`` (the
        default here) keeps positions where the kernel lies inside the image,
        ``'full'`` every overlap, ``'same'`` an output the size of ``image``
        centred as scipy centres it.

    Returns
    -------
    ndarray, shape (H_out, W_out)
        Equal to ``scipy.signal.correlate2d(image, np.outer(column, row), mode)``,
        with the dtype numpy's promotion of the three inputs gives.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``image`` is not 2-D, a factor is not a non-empty 1-D array,
        ``mode`` is unknown, the result dtype would be bool or float16, or,
        in ``'valid'`` mode, the image is larger than the kernel along one
        axis and smaller along the other (all as scipy).

    Notes
    -----
    .. math:: (I \\star c r^T)[i, j] = \\sum_a c_a \\sum_b r_b\\, I[i + a, j + b]

    The inner sum is a 1-D correlation of every row, the outer one of every
    column of the result: ``kH + kW`` multiplications per output pixel instead
    of ``kH kW``.  As in scipy, complex factors are conjugated.  Integer
    results equal scipy's unless they overflow the integer dtype (the two
    passes and scipy's single pass then wrap around differently).

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> separable_correlate2d(image, [1, 1], [1, -1])
    array([[-2., -2., -2.],
           [-2., -2., -2.],
           [-2., -2., -2.]])
    >>> separable_correlate2d(image, [1, 2, 1], [1, 0, -1], mode="same").shape
    (4, 4)
    """
    image, column, row = _check_image_and_taps(image, column, row)
    mode = check_choice(mode, _MODES, "mode")
    swapped = _valid_swap(image, column, row, mode)
    start_h, length_h = _window(image.shape[0], column.size, mode, swapped)
    start_w, length_w = _window(image.shape[1], row.size, mode, swapped)
    out = _correlate_axis(image, np.conj(row), 1, start_w, length_w)
    out = _correlate_axis(out, np.conj(column), 0, start_h, length_h)
    return out.astype(np.result_type(image, column, row), copy=False)


def separable_correlate2d_naive(image, column, row, mode="valid"):
    """Loop version of :func:`separable_correlate2d`, for teaching and cross-checks.

    Parameters
    ----------
    image : array_like, shape (H, W)
    column : array_like, shape (kH,)
    row : array_like, shape (kW,)
    mode : str {'full', 'valid', 'same'}, optional

    Returns
    -------
    ndarray, shape (H_out, W_out)
        The same values as :func:`separable_correlate2d`.

    Raises
    ------
    TypeError, ValueError
        As :func:`separable_correlate2d`.

    Notes
    -----
    First every row of the zero-padded image is correlated with ``row``,
    then every column of that result with ``column``:
    ``tmp[p, j] = sum_b row[b] P[p, j + b]``, ``out[i, j] = sum_a column[a] tmp[i + a, j]``.

    Examples
    --------
    >>> separable_correlate2d_naive(np.eye(3), [1, 1], [1, 1])
    array([[2., 1.],
           [1., 2.]])
    """
    image, column, row = _check_image_and_taps(image, column, row)
    mode = check_choice(mode, _MODES, "mode")
    swapped = _valid_swap(image, column, row, mode)
    (h, w), kh, kw = image.shape, column.size, row.size
    start_h, length_h = _window(h, kh, mode, swapped)
    start_w, length_w = _window(w, kw, mode, swapped)
    dtype = np.result_type(image, column, row)
    padded = np.zeros((h + 2 * (kh - 1), w + 2 * (kw - 1)), dtype=dtype)
    padded[kh - 1:kh - 1 + h, kw - 1:kw - 1 + w] = image
    tmp = np.zeros((padded.shape[0], length_w), dtype=dtype)
    for p in range(padded.shape[0]):               # horizontal pass
        for j in range(length_w):
            for b in range(kw):
                tmp[p, j] += np.conj(row[b]) * padded[p, start_w + j + b]
    out = np.zeros((length_h, length_w), dtype=dtype)
    for i in range(length_h):                      # vertical pass
        for j in range(length_w):
            for a in range(kh):
                out[i, j] += np.conj(column[a]) * tmp[start_h + i + a, j]
    return out


# --- depthwise and pointwise convolutions (torch semantics) ------------------------------

def _check_bias(bias, n_out, name):
    if bias is None:
        return None
    b = as_network_array(bias, name)
    check_shape(b, (n_out,), name)
    return b


def _prepare_depthwise(x, weight, bias, stride, padding, dilation, wname="weight", bname="bias"):
    """Validate a depthwise convolution: ``conv2d`` with ``groups = C``.

    Only the depthwise weight layout is checked here; everything else
    (ranks, sizes, padding, a kernel larger than the padded input, bias,
    dtypes) is the convolution's own validation, with ``wname`` and
    ``bname`` naming the weight and bias in its messages.
    Returns ``(x, weight, bias, spec)`` as :func:`convcourse.conv._parse` does.
    """
    x = as_network_array(x, "x")
    weight = as_network_array(weight, wname)
    c = x.shape[1] if x.ndim == 4 else None
    if c == 0:
        raise ValueError(f"x must have at least one channel, got shape {x.shape}")
    if c is not None and weight.ndim == 4 and (weight.shape[1] != 1 or weight.shape[0] == 0
                                               or weight.shape[0] % c):
        raise ValueError(
            f"{wname} must have shape (C*m, 1, kH, kW) with C = {c} input channels "
            f"(one or more filters per channel), got shape {weight.shape}"
        )
    (x, weight, bias, _), spec = _parse(x, weight, bias, stride, padding, dilation, c or 1, 2,
                                        weight_name=wname, bias_name=bname)
    return x, weight, bias, spec


def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Depthwise 2-D convolution: each input channel filtered on its own.

    Equal to ``conv2d(x, weight, bias, stride, padding, dilation, groups=C)``
    (torch's ``groups=in_channels``).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        A batch of images.
    weight : ndarray, shape (C*m, 1, kH, kW)
        ``m`` filters per input channel (the depth multiplier); output
        channel ``o`` filters input channel ``o // m``.
    bias : ndarray, shape (C*m,), optional
    stride : int or tuple (sH, sW), optional
        Default 1.
    padding : int, tuple (pH, pW), or str {'valid', 'same'}, optional
        Zero padding on both sides; ``'same'`` needs stride 1.  Default 0.
    dilation : int or tuple (dH, dW), optional
        1 means no dilation.  Default 1.

    Returns
    -------
    ndarray, shape (N, C*m, H_out, W_out)
        float dtype of the inputs (integers compute in float64).

    Raises
    ------
    TypeError
        If an array is complex, object or string, or a size is not an int.
    ValueError
        If ``x`` is not 4-D, ``weight`` is not ``(C*m, 1, kH, kW)``, ``bias``
        has the wrong shape, a size is out of range, or the kernel is larger
        than the padded input.

    Notes
    -----
    .. math:: y[n, cm + j, i, l] = b[cm + j] + \\sum_{a, b}
              w[cm + j, 0, a, b]\\; x_p[n, c, s_H i + d_H a, s_W l + d_W b]

    with ``x_p`` the padded input and
    ``H_out = floor((H + 2P - D(K-1) - 1)/S) + 1``.  It costs
    ``H_out W_out C m kH kW`` multiplications per image instead of the
    ``C`` times more of a full convolution.

    Examples
    --------
    >>> x = np.arange(18.0).reshape(1, 2, 3, 3)
    >>> weight = np.stack([np.ones((1, 2, 2)), -np.ones((1, 2, 2))])
    >>> depthwise_conv2d(x, weight)
    array([[[[  8.,  12.],
             [ 20.,  24.]],
    <BLANKLINE>
            [[-44., -48.],
             [-56., -60.]]]])
    """
    return _conv_forward(*_prepare_depthwise(x, weight, bias, stride, padding, dilation))


def depthwise_conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Loop version of :func:`depthwise_conv2d`, for teaching and cross-checks.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    weight : ndarray, shape (C*m, 1, kH, kW)
    bias : ndarray, shape (C*m,), optional
    stride, padding, dilation : int or tuple, optional
        As :func:`depthwise_conv2d`.

    Returns
    -------
    ndarray, shape (N, C*m, H_out, W_out)

    Raises
    ------
    TypeError, ValueError
        As :func:`depthwise_conv2d`.

    Notes
    -----
    One loop per index of the formula in :func:`depthwise_conv2d`.

    Examples
    --------
    >>> depthwise_conv2d_naive(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    array([[[[4., 4.],
             [4., 4.]]]])
    """
    return _depthwise_loops(*_prepare_depthwise(x, weight, bias, stride, padding, dilation))


def _depthwise_loops(x, weight, bias, spec):
    h_out, w_out = spec.out_size
    n, c = x.shape[:2]
    c_out, _, kh, kw = weight.shape
    m = c_out // c
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    xp = pad_spatial(x, spec.pads)
    out = np.zeros((n, c_out, h_out, w_out), dtype=spec.dtype)
    for b_ in range(n):
        for o in range(c_out):
            channel = o // m
            for i in range(h_out):
                for j in range(w_out):
                    total = 0.0 if bias is None else bias[o]
                    for a in range(kh):
                        for b in range(kw):
                            total += weight[o, 0, a, b] * xp[b_, channel, i * sh + a * dh, j * sw + b * dw]
                    out[b_, o, i, j] = total
    return out


def _prepare_pointwise(x, weight, bias, wname="weight", bname="bias", xname="x"):
    """Validate the arguments of a pointwise convolution; ``weight`` becomes (K, C).

    ``wname``, ``bname`` and ``xname`` name the arguments in error messages.
    """
    x = as_network_array(x, "x")
    weight = as_network_array(weight, wname)
    check_ndim(x, 4, "x", "(N, C, H, W)")
    shape = weight.shape
    if weight.ndim == 4 and shape[2:] == (1, 1):
        weight = weight[:, :, 0, 0]
    if weight.ndim != 2:
        raise ValueError(f"{wname} must have shape (K, C) or (K, C, 1, 1), got shape {shape}")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"{wname} has {weight.shape[1]} input channels but {xname} has {x.shape[1]}: "
            f"got {wname} of shape {shape} and {xname} of shape {x.shape}"
        )
    bias = _check_bias(bias, weight.shape[0], bname)
    return x, weight, bias, result_dtype(x, weight, bias)


def pointwise_conv2d(x, weight, bias=None):
    """Pointwise (1x1) convolution: a linear map of the channels at every pixel.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        A batch of images.
    weight : ndarray, shape (K, C) or (K, C, 1, 1)
        One row of channel weights per output channel.
    bias : ndarray, shape (K,), optional

    Returns
    -------
    ndarray, shape (N, K, H, W)
        float dtype of the inputs (integers compute in float64).

    Raises
    ------
    TypeError
        If an array is complex, object or string.
    ValueError
        If ``x`` is not 4-D, ``weight`` has another shape, its ``C`` differs
        from ``x``'s, or ``bias`` has the wrong shape.

    Notes
    -----
    .. math:: y[n, k, i, j] = b[k] + \\sum_c w[k, c]\\, x[n, c, i, j]

    Equal to ``conv2d(x, weight.reshape(K, C, 1, 1), bias)``; it costs
    ``H W C K`` multiplications per image.

    Examples
    --------
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> pointwise_conv2d(x, [[1.0, 1.0], [1.0, -1.0]])
    array([[[[ 4.,  6.],
             [ 8., 10.]],
    <BLANKLINE>
            [[-4., -4.],
             [-4., -4.]]]])
    """
    return _pointwise_vectorised(*_prepare_pointwise(x, weight, bias))


def _pointwise_vectorised(x, weight, bias, dtype):
    out = np.einsum("kc,nchw->nkhw", weight, x, optimize=True).astype(dtype, copy=False)
    if bias is not None:
        out += bias.astype(dtype, copy=False)[:, None, None]
    return out


def pointwise_conv2d_naive(x, weight, bias=None):
    """Loop version of :func:`pointwise_conv2d`, for teaching and cross-checks.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    weight : ndarray, shape (K, C) or (K, C, 1, 1)
    bias : ndarray, shape (K,), optional

    Returns
    -------
    ndarray, shape (N, K, H, W)

    Raises
    ------
    TypeError, ValueError
        As :func:`pointwise_conv2d`.

    Notes
    -----
    ``y[n, k, i, j] = b[k] + sum_c w[k, c] x[n, c, i, j]``, one loop per index.

    Examples
    --------
    >>> pointwise_conv2d_naive(np.ones((1, 3, 1, 2)), np.ones((1, 3)), bias=[0.5])
    array([[[[3.5, 3.5]]]])
    """
    return _pointwise_loops(*_prepare_pointwise(x, weight, bias))


def _pointwise_loops(x, weight, bias, dtype):
    n, c, h, w = x.shape
    k_out = weight.shape[0]
    out = np.zeros((n, k_out, h, w), dtype=dtype)
    for b_ in range(n):
        for k in range(k_out):
            for i in range(h):
                for j in range(w):
                    total = 0.0 if bias is None else bias[k]
                    for ch in range(c):
                        total += weight[k, ch] * x[b_, ch, i, j]
                    out[b_, k, i, j] = total
    return out


def depthwise_separable_conv2d(x, depthwise_weight, pointwise_weight, depthwise_bias=None,
                               pointwise_bias=None, stride=1, padding=0, dilation=1):
    """Depthwise convolution followed by a pointwise (1x1) one, as in MobileNet.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        A batch of images.
    depthwise_weight : ndarray, shape (C*m, 1, kH, kW)
        Spatial filters, ``m`` per input channel.
    pointwise_weight : ndarray, shape (K, C*m) or (K, C*m, 1, 1)
        Channel mixing.
    depthwise_bias : ndarray, shape (C*m,), optional
    pointwise_bias : ndarray, shape (K,), optional
    stride, padding, dilation : int or tuple, optional
        Of the depthwise step, as in :func:`depthwise_conv2d`.

    Returns
    -------
    ndarray, shape (N, K, H_out, W_out)

    Raises
    ------
    TypeError, ValueError
        As :func:`depthwise_conv2d` and :func:`pointwise_conv2d`.

    Notes
    -----
    ``pointwise_conv2d(depthwise_conv2d(x, ...), ...)``.  Without the
    intermediate bias it equals one full convolution with the rank-limited
    weight ``W[k, c, a, b] = sum_j P[k, cm + j] D[cm + j, 0, a, b]``, at
    ``H_out W_out C m (kH kW + K)`` instead of ``H_out W_out C K kH kW``
    multiplications.

    Examples
    --------
    >>> x = np.ones((1, 2, 4, 4))
    >>> y = depthwise_separable_conv2d(x, np.ones((2, 1, 3, 3)), np.ones((5, 2)), padding=1)
    >>> y.shape
    (1, 5, 4, 4)
    >>> y[0, 0]
    array([[ 8., 12., 12.,  8.],
           [12., 18., 18., 12.],
           [12., 18., 18., 12.],
           [ 8., 12., 12.,  8.]])
    """
    hidden = _conv_forward(*_prepare_depthwise(
        x, depthwise_weight, depthwise_bias, stride, padding, dilation,
        "depthwise_weight", "depthwise_bias"))
    return _pointwise_vectorised(*_prepare_pointwise(
        hidden, pointwise_weight, pointwise_bias, "pointwise_weight", "pointwise_bias",
        "the depthwise output"))


def depthwise_separable_conv2d_naive(x, depthwise_weight, pointwise_weight, depthwise_bias=None,
                                     pointwise_bias=None, stride=1, padding=0, dilation=1):
    """Loop version of :func:`depthwise_separable_conv2d`.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    depthwise_weight : ndarray, shape (C*m, 1, kH, kW)
    pointwise_weight : ndarray, shape (K, C*m) or (K, C*m, 1, 1)
    depthwise_bias : ndarray, shape (C*m,), optional
    pointwise_bias : ndarray, shape (K,), optional
    stride, padding, dilation : int or tuple, optional

    Returns
    -------
    ndarray, shape (N, K, H_out, W_out)

    Raises
    ------
    TypeError, ValueError
        As :func:`depthwise_separable_conv2d`.

    Notes
    -----
    :func:`depthwise_conv2d_naive` then :func:`pointwise_conv2d_naive`.

    Examples
    --------
    >>> depthwise_separable_conv2d_naive(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), [[2.0]])
    array([[[[8.]]]])
    """
    hidden = _depthwise_loops(*_prepare_depthwise(
        x, depthwise_weight, depthwise_bias, stride, padding, dilation,
        "depthwise_weight", "depthwise_bias"))
    return _pointwise_loops(*_prepare_pointwise(
        hidden, pointwise_weight, pointwise_bias, "pointwise_weight", "pointwise_bias",
        "the depthwise output"))
