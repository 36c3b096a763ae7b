"""Image filtering: cross-correlation and convolution, scipy-compatible.

Every function here gives what its namesake in :mod:`scipy.signal` gives, dtype
included (``method='direct'`` for the N-d pair):

* :func:`correlate2d` and :func:`convolve2d`: 2-D, with a ``boundary``
  ('fill', 'wrap' or 'symm') and a ``fillvalue``;
* :func:`correlate` and :func:`convolve`: any number of dimensions, zero fill.

One engine does all the work.  The first input is padded (with the boundary
rule) so that each output element is the dot product of the kernel with one
window of the padded input; a convolution is a correlation with the kernel
flipped along every axis.  Correlation conjugates a complex kernel, as scipy
does.  The four modes of operation differ only in how much padding goes before
and after each axis:

============  =============================  ==============================
mode          padding before                 padding after
============  =============================  ==============================
``'full'``    ``k - 1``                      ``k - 1``
``'valid'``   ``0``                          ``0``
``'same'``    ``k // 2``                     ``(k - 1) // 2``
============  =============================  ==============================

(``k`` is the kernel length along the axis.)  :func:`correlate2d` alone centres
``'same'`` the other way round, ``(k - 1) // 2`` before and ``k // 2`` after;
it differs from :func:`correlate` by one sample for even-sized kernels, exactly
as scipy's two functions do.

The ``*_naive`` functions compute the same thing with one explicit dot product
per output element; they are the teaching version, and the tests hold the
vectorised ones to them.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import _describe, as_array, check_choice

__all__ = [
    "correlate2d",
    "convolve2d",
    "correlate",
    "convolve",
    "correlate2d_naive",
    "convolve2d_naive",
    "correlate_naive",
    "convolve_naive",
]

_MODES = ("full", "valid", "same")

# scipy's boundary names (and their aliases) -> np.pad's mode names
_BOUNDARIES = {
    "fill": "constant",
    "pad": "constant",
    "wrap": "wrap",
    "circular": "wrap",
    "symm": "symmetric",
    "symmetric": "symmetric",
}


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

def _as_numeric_array(x, name: str) -> np.ndarray:
    """``np.asarray(x)``, rejecting ragged, non-numeric and empty input."""
    arr = as_array(x, name)
    if arr.dtype.kind not in "biufc":
        raise TypeError(
            f"{name} must be a numeric (bool, int, float or complex) array, "
            f"got dtype {arr.dtype}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def _result_dtype(in1: np.ndarray, in2: np.ndarray, *, small_types_ok: bool) -> np.dtype:
    """scipy's output dtype: numpy's promotion of the two input dtypes.

    scipy's compiled kernels have no bool or float16 version; only its 1-D
    path through ``np.correlate`` (``small_types_ok``) accepts those.
    """
    dtype = np.result_type(in1.dtype, in2.dtype)
    if not small_types_ok and (dtype == np.bool_ or dtype == np.float16):
        raise ValueError(
            f"in1 and in2 of dtypes {in1.dtype} and {in2.dtype} give a {dtype} "
            f"result, which scipy.signal does not support here; convert them to "
            f"an integer or float dtype"
        )
    return dtype


def _swap_needed(mode: str, shape1: tuple, shape2: tuple, names=("in1", "in2")) -> bool:
    """Whether 'valid' mode must swap the inputs (the second larger than the first).

    Raises unless one input is at least as large as the other along every
    axis, as scipy does.  ``names`` are the two inputs' names in the message
    (:func:`~convcourse.separable.separable_correlate2d` shares this rule).
    """
    if mode != "valid":
        return False
    in1_larger = all(n1 >= n2 for n1, n2 in zip(shape1, shape2))
    in2_larger = all(n2 >= n1 for n1, n2 in zip(shape1, shape2))
    if not (in1_larger or in2_larger):
        raise ValueError(
            f"in 'valid' mode one input must be at least as large as the other "
            f"in every dimension, got {names[0]} of shape {tuple(shape1)} and "
            f"{names[1]} of shape {tuple(shape2)}"
        )
    return not in1_larger


def _check_fillvalue(fillvalue, dtype: np.dtype):
    """``fillvalue`` as a scalar of the output dtype.

    Like scipy: a scalar or an array with one element.  Stricter than scipy: a
    value that would not survive the cast (a complex value for a real output,
    NaN or an out-of-range number for an integer output) is an error rather
    than a warning.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fill = np.asarray(fillvalue, dtype=dtype)
    except (TypeError, ValueError, OverflowError, Warning) as exc:
        raise ValueError(
            f"fillvalue must be a number that converts to the output dtype {dtype}, "
            f"got {_describe(fillvalue)}"
        ) from exc
    if fill.size != 1:
        raise ValueError(
            f"fillvalue must be a scalar or an array with one element, "
            f"got {_describe(fillvalue)}"
        )
    return fill.reshape(())[()]


# --------------------------------------------------------------------------
# The two cores: valid-mode correlation of an already padded input
# --------------------------------------------------------------------------

def _correlate_valid(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Vectorised ``out[p] = sum_q padded[p + q] * kernel[q]`` (no conjugation).

    Loops over whichever is smaller: the kernel's offsets (adding one shifted
    view of the input per kernel element) or the output's positions (one dot
    product per output element, for kernels larger than the output).
    """
    out_shape = tuple(n - k + 1 for n, k in zip(padded.shape, kernel.shape))
    out = np.zeros(out_shape, dtype=padded.dtype)
    if kernel.size <= out.size:
        for offset in np.ndindex(kernel.shape):
            window = tuple(slice(o, o + n) for o, n in zip(offset, out_shape))
            out += kernel[offset] * padded[window]
    else:
        windows = sliding_window_view(padded, kernel.shape)
        for position in np.ndindex(out_shape):
            out[position] = np.sum(windows[position] * kernel, dtype=out.dtype)
    return out


def _correlate_valid_naive(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The loop version: at each output position, a dot product with the kernel."""
    out_shape = tuple(n - k + 1 for n, k in zip(padded.shape, kernel.shape))
    out = np.zeros(out_shape, dtype=padded.dtype)
    for position in np.ndindex(out_shape):
        # the window of the input that sits under the kernel at this position
        window = padded[tuple(slice(p, p + k) for p, k in zip(position, kernel.shape))]
        out[position] = np.sum(window * kernel, dtype=out.dtype)
    return out


def _correlate2d_valid_naive(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The 2-D loop version, written out with explicit row and column indices."""
    kh, kw = kernel.shape
    out_h = padded.shape[0] - kh + 1
    out_w = padded.shape[1] - kw + 1
    out = np.zeros((out_h, out_w), dtype=padded.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i:i + kh, j:j + kw]
            out[i, j] = np.sum(window * kernel, dtype=out.dtype)
    return out


# --------------------------------------------------------------------------
# The engine shared by every public function
# --------------------------------------------------------------------------

def _pad_widths(mode: str, kernel_shape: tuple, correlate2d_centring: bool) -> list:
    """``(before, after)`` padding of the first input for each axis (see the table above)."""
    if mode == "full":
        return [(k - 1, k - 1) for k in kernel_shape]
    elif mode == "valid":
        return [(0, 0) for _ in kernel_shape]
    elif mode == "same":
        if correlate2d_centring:  # correlate2d's centring
            return [((k - 1) // 2, k // 2) for k in kernel_shape]
        return [(k // 2, (k - 1) // 2) for k in kernel_shape]
    else:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")


def _filter(in1, in2, mode, boundary, fillvalue, *, flip: bool, two_d: bool, core):
    """Correlate (``flip=False``) or convolve (``flip=True``) in scipy's manner.

    ``two_d`` selects correlate2d/convolve2d semantics (2-D only, boundary
    modes, correlate2d's 'same' centring, its un-conjugated swap); otherwise
    correlate/convolve semantics.  ``core(padded, kernel)`` does the sums.
    """
    in1 = _as_numeric_array(in1, "in1")
    in2 = _as_numeric_array(in2, "in2")
    mode = check_choice(mode, _MODES, "mode")
    boundary = check_choice(boundary, tuple(_BOUNDARIES), "boundary")
    if two_d:
        for name, arr in (("in1", in1), ("in2", in2)):
            if arr.ndim != 2:
                raise ValueError(f"{name} must be a 2-D array, got shape {arr.shape}")
    elif in1.ndim != in2.ndim:
        raise ValueError(
            f"in1 and in2 must have the same number of dimensions, got in1 of "
            f"shape {in1.shape} and in2 of shape {in2.shape}"
        )

    # scipy's 1-D (and 0-D) path is np.correlate/np.convolve, which takes any
    # numeric dtype; its 'same' mode only runs there when in1 is the longer one.
    numpy_path = not two_d and in1.ndim <= 1 and (mode != "same" or in1.size >= in2.size)
    dtype = _result_dtype(in1, in2, small_types_ok=numpy_path)

    if in1.ndim == 0:  # two scalars: their product
        kernel = in2.astype(dtype)
        return in1.astype(dtype) * (np.conj(kernel) if dtype.kind == "c" and not flip else kernel)

    fill = 0
    if _BOUNDARIES[boundary] == "constant":
        fill = _check_fillvalue(fillvalue, dtype)

    # 'valid' needs the larger input first: scipy swaps the inputs
    swapped = _swap_needed(mode, in1.shape, in2.shape)
    if swapped:
        in1, in2 = in2, in1

    image = in1.astype(dtype, copy=False)
    kernel = in2.astype(dtype, copy=False)
    if flip:
        kernel = np.flip(kernel)
    elif kernel.dtype.kind == "c":
        kernel = np.conj(kernel)

    pads = _pad_widths(mode, kernel.shape, correlate2d_centring=two_d and not flip)
    if _BOUNDARIES[boundary] == "constant":
        padded = np.pad(image, pads, mode="constant", constant_values=fill)
    else:
        padded = np.pad(image, pads, mode=_BOUNDARIES[boundary])
    out = core(padded, kernel)

    # Undo the swap.  Convolution commutes, so it needs nothing.  scipy's
    # correlate reverses and conjugates (the exact correlation of in1 with in2);
    # its correlate2d only reverses (for complex input that is the conjugate).
    if swapped and not flip:
        out = np.flip(out)
        if not two_d and out.dtype.kind == "c":
            out = np.conj(out)
    return out


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------

_ARGS_2D = """
    Parameters
    ----------
    in1 : array_like, shape (H, W)
        The image.
    in2 : array_like, shape (kH, kW)
        The kernel.  It may be larger than the image.
    mode : str {'full', 'valid', 'same'}, optional
        The size of the output:

        ``'full'``
            every position where the kernel overlaps the image,
            shape (H + kH - 1, W + kW - 1) (default);
        ``'valid'``
            only positions where the kernel lies entirely inside the image,
            shape (H - kH + 1, W - kW + 1); one input must be at least as
            large as the other along both axes, and they are swapped if
            ``in2`` is the larger (giving shape (kH - H + 1, kW - W + 1));
        ``'same'``
            the shape of ``in1``, (H, W), centred on the 'full' output.
    boundary : str {'fill', 'wrap', 'symm'}, optional
        How the image is extended beyond its edges: ``'fill'`` (alias
        ``'pad'``) with ``fillvalue`` (default), ``'wrap'`` (alias
        ``'circular'``) periodically, ``'symm'`` (alias ``'symmetric'``)
        by reflection, the edge sample repeated.
    fillvalue : scalar, optional
        The value outside the image for ``boundary='fill'`` (default 0).
        A one-element array is accepted.

    Returns
    -------
    out : ndarray, shape (oH, oW)
        The dtype numpy promotion gives for ``in1`` and ``in2``, as scipy:
        int in gives int out (with int wrap-around), float32 stays float32,
        complex is supported.

    Raises
    ------
    ValueError
        If an input is not 2-D or is empty, if ``mode`` or ``boundary`` is not
        one of the strings above, if ``fillvalue`` is not a single value that
        converts to the output dtype, if in 'valid' mode neither input is at
        least as large as the other in every dimension, or if the inputs give a
        bool or float16 result (scipy has no kernel for them).
    TypeError
        If an input is not numeric (object, string, datetime).
"""

_ARGS_ND = """
    Parameters
    ----------
    in1 : array_like, shape (n_1, ..., n_d)
        The signal.
    in2 : array_like, shape (k_1, ..., k_d)
        The kernel, with as many dimensions as ``in1``.  It may be larger.
    mode : str {'full', 'valid', 'same'}, optional
        The size of the output:

        ``'full'``
            every position where the two overlap, shape
            (n_1 + k_1 - 1, ..., n_d + k_d - 1) (default);
        ``'valid'``
            only positions that do not rely on zero padding, shape
            (|n_1 - k_1| + 1, ...); one input must be at least as large as
            the other in every dimension;
        ``'same'``
            the shape of ``in1``, centred on the 'full' output.

    Returns
    -------
    out : ndarray
        The dtype numpy promotion gives for ``in1`` and ``in2``, as scipy.
        Two 0-d inputs give their product.

    Raises
    ------
    ValueError
        If the inputs differ in number of dimensions or are empty, if ``mode``
        is not one of the strings above, if in 'valid' mode neither input is at
        least as large as the other in every dimension, or if the inputs give a
        bool or float16 result outside scipy's 1-D path.
    TypeError
        If an input is not numeric (object, string, datetime).
"""


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """Cross-correlate two 2-D arrays, as ``scipy.signal.correlate2d``.
    {args}
    See Also
    --------
    convolve2d : the same with the kernel flipped.
    correlate2d_naive : the loop version.

    Notes
    -----
    With ``x`` the image extended by the boundary rule and ``k`` the kernel,

    .. math:: out[i, j] = \\sum_{{a=0}}^{{kH-1}} \\sum_{{b=0}}^{{kW-1}}
              x[i + a - p_H,\\, j + b - p_W] \\, \\overline{{k[a, b]}}

    where the offsets ``p`` are ``kH - 1`` (and ``kW - 1``) in 'full' mode,
    0 in 'valid' mode and ``(kH - 1) // 2`` in 'same' mode.  In 'valid' mode
    with ``in2`` the larger input, scipy correlates ``in2`` with ``in1`` and
    reverses the result (for complex input, the conjugate of the
    correlation of ``in1`` with ``in2``); so does this function.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> kernel = np.array([[1, 2], [3, 4]])
    >>> correlate2d(image, kernel, mode='valid')
    array([[37, 47],
           [67, 77]])
    >>> correlate2d(image, kernel, mode='same', boundary='wrap')
    array([[37, 47, 39],
           [67, 77, 69],
           [34, 44, 36]])
    """
    return _filter(in1, in2, mode, boundary, fillvalue, flip=False, two_d=True,
                   core=_correlate_valid)


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """Convolve two 2-D arrays, as ``scipy.signal.convolve2d``.
    {args}
    See Also
    --------
    correlate2d : the same without flipping the kernel.
    convolve2d_naive : the loop version.

    Notes
    -----
    Convolution is correlation with the kernel flipped along both axes
    (and not conjugated):

    .. math:: out[i, j] = \\sum_{{a=0}}^{{kH-1}} \\sum_{{b=0}}^{{kW-1}}
              x[i - a + q_H,\\, j - b + q_W] \\, k[a, b]

    where ``x`` is the extended image and the offsets ``q`` are 0 in 'full'
    mode, ``kH - 1`` in 'valid' mode and ``(kH - 1) // 2`` in 'same' mode.
    Convolution commutes, so swapping the inputs in 'valid' mode changes
    nothing.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> kernel = np.array([[1, 2], [3, 4]])
    >>> convolve2d(image, kernel, mode='valid')
    array([[23, 33],
           [53, 63]])
    >>> convolve2d(image, kernel[::-1, ::-1], mode='valid')  # = correlation
    array([[37, 47],
           [67, 77]])
    """
    return _filter(in1, in2, mode, boundary, fillvalue, flip=True, two_d=True,
                   core=_correlate_valid)


def correlate(in1, in2, mode="full"):
    """Cross-correlate two N-d arrays, as ``scipy.signal.correlate``.
    {args}
    See Also
    --------
    convolve : the same with the kernel flipped.
    correlate2d : 2-D, with boundary modes (note its 'same' centring).
    correlate_naive : the loop version.

    Notes
    -----
    With ``x`` the signal zero-padded,

    .. math:: out[\\mathbf{{i}}] = \\sum_{{\\mathbf{{a}}}}
              x[\\mathbf{{i}} + \\mathbf{{a}} - \\mathbf{{p}}] \\,
              \\overline{{k[\\mathbf{{a}}]}}

    where ``p_d`` is ``k_d - 1`` in 'full' mode, 0 in 'valid' mode and
    ``k_d // 2`` in 'same' mode.  This is scipy's ``method='direct'``; its
    results agree with the default method within floating-point rounding.

    Examples
    --------
    >>> correlate([1, 2, 3], [0, 1, 2])
    array([2, 5, 8, 3, 0])
    >>> correlate([1, 2, 3], [0, 1, 2], mode='same')
    array([5, 8, 3])
    """
    return _filter(in1, in2, mode, "fill", 0, flip=False, two_d=False,
                   core=_correlate_valid)


def convolve(in1, in2, mode="full"):
    """Convolve two N-d arrays, as ``scipy.signal.convolve``.
    {args}
    See Also
    --------
    correlate : the same without flipping the kernel.
    convolve2d : 2-D, with boundary modes.
    convolve_naive : the loop version.

    Notes
    -----
    With ``x`` the signal zero-padded,

    .. math:: out[\\mathbf{{i}}] = \\sum_{{\\mathbf{{a}}}}
              x[\\mathbf{{i}} - \\mathbf{{a}} + \\mathbf{{q}}] \\,
              k[\\mathbf{{a}}]

    where ``q_d`` is 0 in 'full' mode, ``k_d - 1`` in 'valid' mode and
    ``(k_d - 1) // 2`` in 'same' mode: the correlation with the kernel
    flipped along every axis.

    Examples
    --------
    >>> convolve([1, 2, 3], [0, 1, 2])
    array([0, 1, 4, 7, 6])
    >>> convolve([1, 2, 3], [0, 1, 2], mode='valid')
    array([4])
    """
    return _filter(in1, in2, mode, "fill", 0, flip=True, two_d=False,
                   core=_correlate_valid)


def correlate2d_naive(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """:func:`correlate2d` written as loops: one dot product per output pixel.
    {args}
    Notes
    -----
    After padding the image as :func:`correlate2d` does, the output at
    ``(i, j)`` is ``sum(window * conj(kernel))`` where ``window`` is the
    ``kH`` by ``kW`` patch of the padded image whose top-left corner is at
    ``(i, j)``.  Slow: for teaching and for checking :func:`correlate2d`.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> correlate2d_naive(image, np.array([[1, 2], [3, 4]]), mode='valid')
    array([[37, 47],
           [67, 77]])
    """
    return _filter(in1, in2, mode, boundary, fillvalue, flip=False, two_d=True,
                   core=_correlate2d_valid_naive)


def convolve2d_naive(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """:func:`convolve2d` written as loops: one dot product per output pixel.
    {args}
    Notes
    -----
    The loops of :func:`correlate2d_naive` with the kernel flipped along
    both axes (and not conjugated).  Slow: for teaching and for checking
    :func:`convolve2d`.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> convolve2d_naive(image, np.array([[1, 2], [3, 4]]), mode='valid')
    array([[23, 33],
           [53, 63]])
    """
    return _filter(in1, in2, mode, boundary, fillvalue, flip=True, two_d=True,
                   core=_correlate2d_valid_naive)


def correlate_naive(in1, in2, mode="full"):
    """:func:`correlate` written as a loop: one dot product per output element.
    {args}
    Notes
    -----
    After zero-padding the signal as :func:`correlate` does, the output at
    position ``p`` is ``sum(window * conj(kernel))`` where ``window`` is the
    kernel-sized block of the padded signal starting at ``p``.  Slow: for
    teaching and for checking :func:`correlate`.

    Examples
    --------
    >>> correlate_naive([1, 2, 3], [0, 1, 2])
    array([2, 5, 8, 3, 0])
    """
    return _filter(in1, in2, mode, "fill", 0, flip=False, two_d=False,
                   core=_correlate_valid_naive)


def convolve_naive(in1, in2, mode="full"):
    """:func:`convolve` written as a loop: one dot product per output element.
    {args}
    Notes
    -----
    The loop of :func:`correlate_naive` with the kernel flipped along every
    axis (and not conjugated).  Slow: for teaching and for checking
    :func:`convolve`.

    Examples
    --------
    >>> convolve_naive([1, 2, 3], [0, 1, 2])
    array([0, 1, 4, 7, 6])
    """
    return _filter(in1, in2, mode, "fill", 0, flip=True, two_d=False,
                   core=_correlate_valid_naive)


# The shared Parameters/Returns/Raises sections go into each docstring
# (skipped when Python runs with -OO and docstrings are stripped).
for _function, _args in [(correlate2d, _ARGS_2D), (convolve2d, _ARGS_2D),
                         (correlate2d_naive, _ARGS_2D), (convolve2d_naive, _ARGS_2D),
                         (correlate, _ARGS_ND), (convolve, _ARGS_ND),
                         (correlate_naive, _ARGS_ND), (convolve_naive, _ARGS_ND)]:
    if _function.__doc__:
        _function.__doc__ = _function.__doc__.format(args=_args)
del _function, _args
