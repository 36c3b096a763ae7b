"""Max, average and global pooling, forward and backward (torch-compatible).

Every function follows ``torch.nn.functional``: ``x`` has shape
``(N, C, H, W)`` (the batch dimension is required), ``stride`` defaults to
``kernel_size``, ``padding`` is implicit (``-inf`` for max pooling, zeros for
average pooling) and may be at most half the kernel size, and ``ceil_mode``
lets the last window run off the end of the input as torch's does.

Each operation comes twice: a readable loop version (``*_naive``, the
teaching code) and a vectorised default built on ``sliding_window_view``.
The tests hold them against each other and against torch.

Gradients follow torch's rules: in a max window the gradient goes to the
*first* maximum in row-major order (a NaN counts as the maximum; with several
NaNs, the last one, as in torch); where windows overlap, gradients add up.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._padding import output_length, pad_spatial
from ._validation import as_network_array, check_bool, check_ndim, check_shape, ntuple, result_dtype

__all__ = [
    "max_pool2d",
    "max_pool2d_naive",
    "max_pool2d_backward",
    "max_pool2d_backward_naive",
    "avg_pool2d",
    "avg_pool2d_naive",
    "avg_pool2d_backward",
    "avg_pool2d_backward_naive",
    "global_max_pool2d",
    "global_avg_pool2d",
    "global_max_pool2d_backward",
    "global_avg_pool2d_backward",
]

_LAYOUT = "(N, C, H, W)"


# --------------------------------------------------------------------------
# Validation and geometry shared by every pooling function
# --------------------------------------------------------------------------

def _check_input(x, name: str = "x") -> np.ndarray:
    """Convert ``x`` with the dtype rules and require a non-empty (N, C, H, W)."""
    x = as_network_array(x, name)
    check_ndim(x, 4, name, _LAYOUT)
    if 0 in x.shape[1:]:
        raise ValueError(
            f"{name} must have non-zero C, H and W (only the batch may be empty), "
            f"got shape {x.shape}"
        )
    return x


def _geometry(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Validate the pooling arguments; return ``(k, s, p, d, out_hw)``.

    Every value is a pair (height, width).  Raises what torch raises, with
    messages that name the argument and the value received.
    """
    k = ntuple(kernel_size, 2, "kernel_size")
    s = k if stride is None else ntuple(stride, 2, "stride")
    p = ntuple(padding, 2, "padding", minimum=0)
    d = ntuple(dilation, 2, "dilation")
    ceil_mode = check_bool(ceil_mode, "ceil_mode")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(
            f"padding must be at most half of kernel_size in each dimension "
            f"(padding <= kernel_size // 2), got padding={p} with kernel_size={k}"
        )
    sizes = x.shape[2:]
    out = tuple(output_length(n, ki, si, pi, pi, di, ceil_mode)
                for n, ki, si, pi, di in zip(sizes, k, s, p, d))
    if min(out) < 1:
        raise ValueError(
            f"output size {out} is too small: kernel_size={k}, stride={s}, "
            f"padding={p}, dilation={d}, ceil_mode={ceil_mode} on input of "
            f"shape {x.shape}; the (dilated) kernel must fit in the padded input"
        )
    for axis, (n, ki, si, pi, di, oi) in enumerate(zip(sizes, k, s, p, d, out)):
        starts = np.arange(oi) * si - pi
        taps = starts[:, None] + np.arange(ki) * di
        inside = ((taps >= 0) & (taps < n)).any(axis=1)
        if not inside.all():
            raise ValueError(
                f"a pooling window covers only padding along {'HW'[axis]}: "
                f"kernel_size={k}, stride={s}, padding={p}, dilation={d} on "
                f"input of shape {x.shape}"
            )
    return k, s, p, d, out


def _check_grad_output(grad_output, expected_shape):
    """Convert ``grad_output`` and require the forward's output shape."""
    grad_output = as_network_array(grad_output, "grad_output")
    check_shape(grad_output, expected_shape, "grad_output")
    return grad_output


def _windows(xp, k, s, d, out):
    """View of shape (N, C, H_out, W_out, kH, kW) of the padded input ``xp``.

    ``view[..., a, b]`` is the (H_out, W_out) grid of the elements at offset
    ``(a, b)`` of every window; the vectorised functions loop over the
    ``kH * kW`` offsets, each step one whole-array operation.
    """
    span = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))
    view = sliding_window_view(xp, span, axis=(2, 3))
    view = view[:, :, ::s[0], ::s[1], ::d[0], ::d[1]]
    return view[:, :, :out[0], :out[1]]


def _offset_slice(a, b, s, d, out):
    """Index of the padded input holding offset ``(a, b)`` of every window."""
    return (slice(None), slice(None),
            slice(a * d[0], a * d[0] + s[0] * (out[0] - 1) + 1, s[0]),
            slice(b * d[1], b * d[1] + s[1] * (out[1] - 1) + 1, s[1]))


def _pads(shape, k, s, p, d, out):
    """``((before, after), ...)``: ``p`` each side, plus what a ceil_mode window needs."""
    pads = []
    for n, ki, si, pi, di, oi in zip(shape[2:], k, s, p, d, out):
        need = (oi - 1) * si + di * (ki - 1) + 1
        pads.append((pi, pi + max(0, need - (n + 2 * pi))))
    return tuple(pads)


def _padded(x, k, s, p, d, out, value):
    """``x`` padded with ``value`` as :func:`_pads` says."""
    return pad_spatial(x, _pads(x.shape, k, s, p, d, out), value=value)


def _zeros_padded(shape, k, s, p, d, out, dtype):
    """Zeros with the padded shape, to accumulate a gradient into."""
    pads = _pads(shape, k, s, p, d, out)
    return np.zeros(tuple(shape[:2]) + tuple(n + a + b for n, (a, b) in zip(shape[2:], pads)),
                    dtype=dtype)


def _first_valid_tap(s, p, d, out):
    """Per output position along one axis, the first window offset inside the input."""
    starts = np.arange(out) * s - p
    return np.where(starts < 0, (-starts + d - 1) // d, 0)


def _max_offsets(x, k, s, p, d, out):
    """Each window's maximum and the offset ``a * kW + b`` torch picks for it.

    torch scans a window in row-major order and moves to an element when it
    is strictly larger than the best so far or is NaN: ties keep the first
    maximum, several NaNs the last, and a window of -inf keeps its first
    element inside the input.
    """
    win = _windows(_padded(x, k, s, p, d, out, -np.inf), k, s, d, out)
    values = win[..., 0, 0].copy()
    for a in range(k[0]):
        for b in range(k[1]):
            np.maximum(values, win[..., a, b], out=values)     # NaN propagates
    arg = np.zeros(values.shape, dtype=np.intp)
    for t in reversed(range(k[0] * k[1])):                      # first equal wins
        np.copyto(arg, t, where=win[..., t // k[1], t % k[1]] == values)
    nan = np.isnan(values)
    if nan.any():                                               # last NaN wins
        for t in range(k[0] * k[1]):
            np.copyto(arg, t, where=np.isnan(win[..., t // k[1], t % k[1]]))
    empty = values == -np.inf        # the scan may have stopped in the padding
    if empty.any():
        first = (_first_valid_tap(s[0], p[0], d[0], out[0])[:, None] * k[1]
                 + _first_valid_tap(s[1], p[1], d[1], out[1])[None, :])
        arg = np.where(empty, first, arg)
    return values, arg


def _max_indices(x, k, s, p, d, out):
    """Output values and torch's flat indices (into H*W) of the max pooling."""
    values, arg = _max_offsets(x, k, s, p, d, out)
    rows = (np.arange(out[0]) * s[0] - p[0])[:, None] + (arg // k[1]) * d[0]
    cols = (np.arange(out[1]) * s[1] - p[1])[None, :] + (arg % k[1]) * d[1]
    return values, (rows * x.shape[3] + cols).astype(np.int64)


def _avg_divisor(size, k, s, p, out, count_include_pad):
    """Torch's divisor for each window along one axis."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)    # clipped to the padded input
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


# --------------------------------------------------------------------------
# Max pooling
# --------------------------------------------------------------------------

def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode=False, return_indices=False):
    """2-D max pooling over an (N, C, H, W) batch, as ``torch.nn.functional.max_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch.  Float arrays keep their dtype; int and bool compute in float64.
    kernel_size : int or tuple (kH, kW)
        Window size.
    stride : int or tuple (sH, sW), optional
        Step between windows; defaults to ``kernel_size``.
    padding : int or tuple (pH, pW), optional
        Implicit ``-inf`` padding on both sides; at most ``kernel_size // 2``.
    dilation : int or tuple (dH, dW), optional
        Spacing between window elements; 1 means no dilation.
    ceil_mode : bool, optional
        Round the output size up, so a last partial window is kept when it
        starts inside the input or the left padding.
    return_indices : bool, optional
        Also return the position of each maximum.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        Maximum of each window, dtype of ``x`` (float64 for int/bool input).
    indices : ndarray of int64, shape (N, C, H_out, W_out)
        Only with ``return_indices``: flat index ``row * W + col`` of each
        maximum within its input plane (torch's convention; first maximum in
        row-major order on ties).

    Raises
    ------
    TypeError
        ``x`` complex/object, or a size argument that is not an int or a pair of ints.
    ValueError
        ``x`` not 4-D, a size below 1, negative padding, padding above
        ``kernel_size // 2``, or an output smaller than 1x1.

    See Also
    --------
    max_pool2d_naive : the same computation written as loops.
    max_pool2d_backward : its gradient.

    Notes
    -----
    ``out[n, c, i, j] = max_{a, b} xp[n, c, i*sH + a*dH, j*sW + b*dW]`` over
    ``0 <= a < kH``, ``0 <= b < kW``, where ``xp`` is ``x`` padded with ``-inf``.
    ``H_out = floor((H + 2pH - dH(kH - 1) - 1) / sH) + 1`` (``ceil`` with
    ``ceil_mode``, dropping a last window that would start in the right padding).

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    >>> out, idx = max_pool2d(x, 3, stride=1, return_indices=True)
    >>> idx
    array([[[[10, 11],
             [14, 15]]]])
    """
    x = _check_input(x)
    k, s, p, d, out = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    if check_bool(return_indices, "return_indices"):
        return _max_indices(x, k, s, p, d, out)
    win = _windows(_padded(x, k, s, p, d, out, -np.inf), k, s, d, out)
    result = win[..., 0, 0].copy()
    for a in range(k[0]):                    # one whole-array maximum per offset
        for b in range(k[1]):
            np.maximum(result, win[..., a, b], out=result)
    return result


def max_pool2d_naive(x, kernel_size, stride=None, padding=0, dilation=1,
                     ceil_mode=False, return_indices=False):
    """Max pooling written as plain loops (teaching version of :func:`max_pool2d`).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch.
    kernel_size, stride, padding, dilation, ceil_mode, return_indices
        As in :func:`max_pool2d`.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        Maximum of each window.
    indices : ndarray of int64, shape (N, C, H_out, W_out)
        Only with ``return_indices``: flat ``row * W + col`` of each maximum.

    Raises
    ------
    TypeError, ValueError
        As :func:`max_pool2d`.

    Notes
    -----
    For each window, visit its elements that lie inside the input in
    row-major order and keep the first one that is strictly larger than the
    best so far (so ties go to the first maximum; a NaN always wins, as in
    torch).  Padding is never visited, which is the same as padding with
    ``-inf``.

    Examples
    --------
    >>> x = np.array([[[[1., 3., 3.], [2., 0., 3.]]]])
    >>> max_pool2d_naive(x, (2, 2), stride=1, return_indices=True)
    (array([[[[3., 3.]]]]), array([[[[1, 1]]]]))
    """
    x = _check_input(x)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = _geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode)
    return_indices = check_bool(return_indices, "return_indices")
    N, C, H, W = x.shape
    out = np.empty((N, C, oh, ow), dtype=x.dtype)
    indices = np.empty((N, C, oh, ow), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    best, best_index = None, None
                    for a in range(kh):
                        row = i * sh - ph + a * dh
                        if not 0 <= row < H:
                            continue                 # padding
                        for b in range(kw):
                            col = j * sw - pw + b * dw
                            if not 0 <= col < W:
                                continue             # padding
                            value = x[n, c, row, col]
                            if best is None or value > best or np.isnan(value):
                                best, best_index = value, row * W + col
                    out[n, c, i, j] = best
                    indices[n, c, i, j] = best_index
    return (out, indices) if return_indices else out


def max_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0,
                        dilation=1, ceil_mode=False, return_indices=False):
    """Gradient of :func:`max_pool2d` with respect to its input.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out)
        Gradient of the loss with respect to the pooling output.
    x : ndarray, shape (N, C, H, W)
        The forward's input.
    kernel_size, stride, padding, dilation, ceil_mode
        As in the forward.
    return_indices : bool, optional
        Accepted so that the forward's keyword arguments can be passed
        unchanged; it does not affect the gradient.

    Returns
    -------
    grad_input : ndarray, shape (N, C, H, W)
        Dtype of ``grad_output`` and ``x`` promoted together.

    Raises
    ------
    TypeError, ValueError
        As the forward; ``ValueError`` also when ``grad_output`` does not
        have the forward's output shape.

    See Also
    --------
    max_pool2d_backward_naive : the same computation written as loops.

    Notes
    -----
    ``grad_input[n, c, r, q] = sum of grad_output[n, c, i, j]`` over the
    windows ``(i, j)`` whose (first) maximum is at ``(r, q)``: each window
    routes its gradient to one element, and overlapping windows add up.

    Examples
    --------
    >>> x = np.array([[[[1., 2.], [2., 0.]]]])
    >>> max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
    array([[[[0., 1.],
             [0., 0.]]]])
    """
    x = _check_input(x)
    k, s, p, d, out = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    check_bool(return_indices, "return_indices")
    N, C, H, W = x.shape
    grad_output = _check_grad_output(grad_output, (N, C) + out)
    dtype = result_dtype(x, grad_output)
    _, arg = _max_offsets(x, k, s, p, d, out)
    grad = _zeros_padded(x.shape, k, s, p, d, out, dtype)
    zero = np.zeros((), dtype=dtype)
    for a in range(k[0]):                    # route each window's gradient to its offset
        for b in range(k[1]):
            grad[_offset_slice(a, b, s, d, out)] += np.where(arg == a * k[1] + b, grad_output, zero)
    return grad[:, :, p[0]:p[0] + H, p[1]:p[1] + W].copy()


def max_pool2d_backward_naive(grad_output, x, kernel_size, stride=None, padding=0,
                              dilation=1, ceil_mode=False, return_indices=False):
    """Gradient of max pooling written as loops (teaching version).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out)
        Gradient with respect to the pooling output.
    x : ndarray, shape (N, C, H, W)
        The forward's input.
    kernel_size, stride, padding, dilation, ceil_mode, return_indices
        As in :func:`max_pool2d_backward`.

    Returns
    -------
    grad_input : ndarray, shape (N, C, H, W)
        Gradient with respect to ``x``.

    Raises
    ------
    TypeError, ValueError
        As :func:`max_pool2d_backward`.

    Notes
    -----
    Find each window's maximum with :func:`max_pool2d_naive`, then add the
    window's gradient to that one element.

    Examples
    --------
    >>> x = np.array([[[[1., 3., 2.]]]])
    >>> max_pool2d_backward_naive(np.array([[[[1., 10.]]]]), x, (1, 2), stride=1)
    array([[[[ 0., 11.,  0.]]]])
    """
    x = _check_input(x)
    _, _, _, _, out = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    check_bool(return_indices, "return_indices")
    N, C, H, W = x.shape
    grad_output = _check_grad_output(grad_output, (N, C) + out)
    _, indices = max_pool2d_naive(x, kernel_size, stride, padding, dilation,
                                  ceil_mode, return_indices=True)
    grad_input = np.zeros(x.shape, dtype=result_dtype(x, grad_output))
    for n in range(N):
        for c in range(C):
            for i in range(out[0]):
                for j in range(out[1]):
                    row, col = divmod(int(indices[n, c, i, j]), W)
                    grad_input[n, c, row, col] += grad_output[n, c, i, j]
    return grad_input


# --------------------------------------------------------------------------
# Average pooling
# --------------------------------------------------------------------------

def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """2-D average pooling over an (N, C, H, W) batch, as ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch.  Float arrays keep their dtype; int and bool compute in float64.
    kernel_size : int or tuple (kH, kW)
        Window size.
    stride : int or tuple (sH, sW), optional
        Step between windows; defaults to ``kernel_size``.
    padding : int or tuple (pH, pW), optional
        Implicit zero padding on both sides; at most ``kernel_size // 2``.
    ceil_mode : bool, optional
        Round the output size up (see :func:`max_pool2d`).
    count_include_pad : bool, optional
        Count the zero padding in the divisor.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        Mean of each window, dtype of ``x`` (float64 for int/bool input).

    Raises
    ------
    TypeError
        ``x`` complex/object, or a size argument that is not an int or a pair of ints.
    ValueError
        ``x`` not 4-D, a size below 1, negative padding, padding above
        ``kernel_size // 2``, or an output smaller than 1x1.

    See Also
    --------
    avg_pool2d_naive : the same computation written as loops.
    avg_pool2d_backward : its gradient.

    Notes
    -----
    ``out[n, c, i, j] = sum_{a, b} xp[n, c, i*sH + a, j*sW + b] / D[i, j]``
    with ``xp`` zero-padded and ``H_out`` as in :func:`max_pool2d` (dilation 1).
    The divisor follows torch: a window spans rows ``[h0, h0 + kH)`` with
    ``h0 = i*sH - pH``, first clipped to the padded input ``[-pH, H + pH)``
    (a ceil_mode window that runs off the end is shortened even with
    ``count_include_pad``); ``D`` is the clipped window's area, or, with
    ``count_include_pad=False``, the area of its part inside ``[0, H) x [0, W)``.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> avg_pool2d(x, 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    >>> avg_pool2d(np.ones((1, 1, 2, 2)), 2, padding=1)
    array([[[[0.25, 0.25],
             [0.25, 0.25]]]])
    >>> avg_pool2d(np.ones((1, 1, 2, 2)), 2, padding=1, count_include_pad=False)
    array([[[[1., 1.],
             [1., 1.]]]])
    """
    x = _check_input(x)
    k, s, p, d, out = _geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    win = _windows(_padded(x, k, s, p, d, out, 0), k, s, d, out)
    total = win[..., 0, 0].copy()
    for a in range(k[0]):                    # one whole-array sum per offset
        for b in range(k[1]):
            if a or b:
                total += win[..., a, b]
    divisor = np.outer(*(_avg_divisor(n, ki, si, pi, oi, count_include_pad)
                         for n, ki, si, pi, oi in zip(x.shape[2:], k, s, p, out)))
    return total / divisor.astype(x.dtype)


def avg_pool2d_naive(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True):
    """Average pooling written as plain loops (teaching version of :func:`avg_pool2d`).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch.
    kernel_size, stride, padding, ceil_mode, count_include_pad
        As in :func:`avg_pool2d`.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        Mean of each window.

    Raises
    ------
    TypeError, ValueError
        As :func:`avg_pool2d`.

    Notes
    -----
    Sum the window's elements inside the input, then divide by the number of
    elements counted (``count_include_pad=False``) or by the window's area
    clipped to the padded input (``count_include_pad=True``).

    Examples
    --------
    >>> x = np.array([[[[1., 2., 3.]]]])
    >>> avg_pool2d_naive(x, (1, 2), stride=2, ceil_mode=True)
    array([[[[1.5, 3. ]]]])
    """
    x = _check_input(x)
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = _geometry(
        x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    N, C, H, W = x.shape
    out = np.empty((N, C, oh, ow), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    h0, w0 = i * sh - ph, j * sw - pw
                    h1, w1 = min(h0 + kh, H + ph), min(w0 + kw, W + pw)
                    total, count = 0.0, 0
                    for row in range(max(h0, 0), min(h1, H)):
                        for col in range(max(w0, 0), min(w1, W)):
                            total += x[n, c, row, col]
                            count += 1
                    divisor = (h1 - h0) * (w1 - w0) if count_include_pad else count
                    out[n, c, i, j] = total / divisor
    return out


def avg_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True):
    """Gradient of :func:`avg_pool2d` with respect to its input.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out)
        Gradient of the loss with respect to the pooling output.
    x : ndarray, shape (N, C, H, W)
        The forward's input (only its shape and dtype are used).
    kernel_size, stride, padding, ceil_mode, count_include_pad
        As in the forward.

    Returns
    -------
    grad_input : ndarray, shape (N, C, H, W)
        Dtype of ``grad_output`` and ``x`` promoted together.

    Raises
    ------
    TypeError, ValueError
        As the forward; ``ValueError`` also when ``grad_output`` does not
        have the forward's output shape.

    See Also
    --------
    avg_pool2d_backward_naive : the same computation written as loops.

    Notes
    -----
    ``grad_input[n, c, r, q] = sum of grad_output[n, c, i, j] / D[i, j]`` over
    the windows ``(i, j)`` that contain ``(r, q)``, with the forward's divisor ``D``.

    Examples
    --------
    >>> g = np.ones((1, 1, 1, 2))
    >>> avg_pool2d_backward(g, np.zeros((1, 1, 2, 3)), 2, stride=1)
    array([[[[0.25, 0.5 , 0.25],
             [0.25, 0.5 , 0.25]]]])
    """
    x = _check_input(x)
    k, s, p, d, out = _geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    N, C, H, W = x.shape
    grad_output = _check_grad_output(grad_output, (N, C) + out)
    dtype = result_dtype(x, grad_output)
    divisor = np.outer(*(_avg_divisor(n, ki, si, pi, oi, count_include_pad)
                         for n, ki, si, pi, oi in zip(x.shape[2:], k, s, p, out)))
    share = grad_output.astype(dtype, copy=False) / divisor.astype(dtype)
    grad = _zeros_padded(x.shape, k, s, p, d, out, dtype)
    for a in range(k[0]):                    # one strided add per window offset
        for b in range(k[1]):
            grad[_offset_slice(a, b, s, d, out)] += share
    return grad[:, :, p[0]:p[0] + H, p[1]:p[1] + W].copy()


def avg_pool2d_backward_naive(grad_output, x, kernel_size, stride=None, padding=0,
                              ceil_mode=False, count_include_pad=True):
    """Gradient of average pooling written as loops (teaching version).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out)
        Gradient with respect to the pooling output.
    x : ndarray, shape (N, C, H, W)
        The forward's input.
    kernel_size, stride, padding, ceil_mode, count_include_pad
        As in :func:`avg_pool2d_backward`.

    Returns
    -------
    grad_input : ndarray, shape (N, C, H, W)
        Gradient with respect to ``x``.

    Raises
    ------
    TypeError, ValueError
        As :func:`avg_pool2d_backward`.

    Notes
    -----
    Each window shares its gradient equally (``/ D``) among the input
    elements it covers; the shares of padding are dropped.

    Examples
    --------
    >>> g = np.array([[[[4.0]]]])
    >>> avg_pool2d_backward_naive(g, np.zeros((1, 1, 1, 1)), 2, padding=1)
    array([[[[1.]]]])
    """
    x = _check_input(x)
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = _geometry(
        x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    N, C, H, W = x.shape
    grad_output = _check_grad_output(grad_output, (N, C, oh, ow))
    grad_input = np.zeros(x.shape, dtype=result_dtype(x, grad_output))
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    h0, w0 = i * sh - ph, j * sw - pw
                    h1, w1 = min(h0 + kh, H + ph), min(w0 + kw, W + pw)
                    rows = range(max(h0, 0), min(h1, H))
                    cols = range(max(w0, 0), min(w1, W))
                    if count_include_pad:
                        divisor = (h1 - h0) * (w1 - w0)
                    else:
                        divisor = len(rows) * len(cols)
                    for row in rows:
                        for col in cols:
                            grad_input[n, c, row, col] += grad_output[n, c, i, j] / divisor
    return grad_input


# --------------------------------------------------------------------------
# Global pooling
# --------------------------------------------------------------------------

def global_max_pool2d(x):
    """Maximum over each whole channel plane (``adaptive_max_pool2d(x, 1)`` in torch).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch.  Float arrays keep their dtype; int and bool compute in float64.

    Returns
    -------
    out : ndarray, shape (N, C, 1, 1)
        ``max`` over ``H`` and ``W``.

    Raises
    ------
    TypeError
        ``x`` complex or object.
    ValueError
        ``x`` not 4-D, or with C, H or W equal to 0.

    Notes
    -----
    ``out[n, c, 0, 0] = max_{h, w} x[n, c, h, w]``; the same as
    :func:`max_pool2d` with ``kernel_size=(H, W)``.

    Examples
    --------
    >>> global_max_pool2d(np.array([[[[1., 5.], [3., 2.]]]]))
    array([[[[5.]]]])
    """
    x = _check_input(x)
    return x.max(axis=(2, 3), keepdims=True)


def global_avg_pool2d(x):
    """Mean over each whole channel plane (``adaptive_avg_pool2d(x, 1)`` in torch).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch.  Float arrays keep their dtype; int and bool compute in float64.

    Returns
    -------
    out : ndarray, shape (N, C, 1, 1)
        Mean over ``H`` and ``W``.

    Raises
    ------
    TypeError
        ``x`` complex or object.
    ValueError
        ``x`` not 4-D, or with C, H or W equal to 0.

    Notes
    -----
    ``out[n, c, 0, 0] = sum_{h, w} x[n, c, h, w] / (H W)``.

    Examples
    --------
    >>> global_avg_pool2d(np.array([[[[1., 5.], [3., 2.]]]]))
    array([[[[2.75]]]])
    """
    x = _check_input(x)
    return x.mean(axis=(2, 3), keepdims=True)


def global_max_pool2d_backward(grad_output, x):
    """Gradient of :func:`global_max_pool2d` with respect to its input.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, 1, 1)
        Gradient with respect to the pooled output.
    x : ndarray, shape (N, C, H, W)
        The forward's input.

    Returns
    -------
    grad_input : ndarray, shape (N, C, H, W)
        Zero except at the first maximum (row-major) of each plane, which
        receives ``grad_output[n, c, 0, 0]``.

    Raises
    ------
    TypeError, ValueError
        As the forward; ``ValueError`` when ``grad_output`` is not (N, C, 1, 1).

    Notes
    -----
    ``grad_input[n, c, h, w] = grad_output[n, c, 0, 0]`` if ``(h, w)`` is the
    first position of ``max x[n, c]``, else 0 (a NaN counts as the maximum;
    with several, the last, as torch's index).

    Examples
    --------
    >>> x = np.array([[[[1., 5.], [5., 2.]]]])
    >>> global_max_pool2d_backward(np.array([[[[2.]]]]), x)
    array([[[[0., 2.],
             [0., 0.]]]])
    """
    x = _check_input(x)
    N, C, H, W = x.shape
    grad_output = _check_grad_output(grad_output, (N, C, 1, 1))
    flat = x.reshape(N, C, H * W)
    arg = flat.argmax(axis=-1)
    nan = np.isnan(np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0])
    if nan.any():
        last = H * W - 1 - np.isnan(flat[..., ::-1]).argmax(axis=-1)
        arg = np.where(nan, last, arg)
    grad = np.zeros((N, C, H * W), dtype=result_dtype(x, grad_output))
    np.put_along_axis(grad, arg[..., None], grad_output.reshape(N, C, 1), axis=-1)
    return grad.reshape(N, C, H, W)


def global_avg_pool2d_backward(grad_output, x):
    """Gradient of :func:`global_avg_pool2d` with respect to its input.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, 1, 1)
        Gradient with respect to the pooled output.
    x : ndarray, shape (N, C, H, W)
        The forward's input (only its shape and dtype are used).

    Returns
    -------
    grad_input : ndarray, shape (N, C, H, W)
        ``grad_output / (H W)`` spread over each plane.

    Raises
    ------
    TypeError, ValueError
        As the forward; ``ValueError`` when ``grad_output`` is not (N, C, 1, 1).

    Notes
    -----
    ``grad_input[n, c, h, w] = grad_output[n, c, 0, 0] / (H W)``.

    Examples
    --------
    >>> global_avg_pool2d_backward(np.array([[[[4.]]]]), np.zeros((1, 1, 2, 2)))
    array([[[[1., 1.],
             [1., 1.]]]])
    """
    x = _check_input(x)
    N, C, H, W = x.shape
    grad_output = _check_grad_output(grad_output, (N, C, 1, 1))
    dtype = result_dtype(x, grad_output)
    share = grad_output.astype(dtype, copy=False) / dtype.type(H * W)
    return np.broadcast_to(share, x.shape).copy()
