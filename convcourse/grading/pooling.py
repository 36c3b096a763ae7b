"""Checks for assignment ``03-pooling``.

One check per exercise, called by the notebook's test cells with the student's
function, in the two forms of :mod:`convcourse.grading.convolution`::

    check_max_pool2d_forward(max_pool2d_forward)                          # visible cell
    check_max_pool2d_forward(max_pool2d_forward, points=5, hidden=True)   # hidden cell

The graded functions take ``x`` of shape ``(N, C, H, W)``, no padding, and
``kernel_size`` and ``stride`` each an int or a pair ``(height, width)``; the
output has ``floor((H - kH) / sH) + 1`` rows (leftover rows and columns that no
whole window covers are dropped, as torch does by default).

Answers are compared with the reference (:mod:`convcourse.pooling`) and with an
independent oracle written here: plain loops for max pooling and its gradient
(``np.argmax`` of a window is its first maximum in row-major order),
a sliding-window correlation (:mod:`._oracle`) with a box kernel for average
pooling, and the convolution of the zero-upsampled gradient for its backward.
Array answers must have the expected shape and agree within
``1e-5 * (1 + max|expected|) + 1e-4 * |expected|`` (float32 results pass).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..pooling import (avg_pool2d, avg_pool2d_backward, global_avg_pool2d, max_pool2d,
                       max_pool2d_backward)
from . import _oracle
from ._builders import as_float as _as_float, normal as _normal, pair as _pair
from ._cases import Case, Exercise, make_check, make_reproduce
from ._mistakes import Mistake
from ._runner import Forbidden

__all__ = [
    "EXERCISES", "reproduce",
    "check_max_pool2d_forward", "check_avg_pool2d_forward", "check_global_avg_pool2d",
    "check_max_pool2d_backward", "check_avg_pool2d_backward",
]

_FORBIDDEN = Forbidden(
    modules=("torch", "tensorflow", "jax", "skimage", "cv2", "scipy.ndimage", "scipy.signal",
             "convcourse.pooling", "convcourse.nn", "convcourse.conv", "convcourse.separable",
             "convcourse.filtering"),
)
_FORBIDDEN_TEXT = ("write the pooling yourself with numpy; convcourse.pooling and convcourse.nn, "
                   "torch, scipy.ndimage, scipy.signal and skimage are not allowed")

_NOT_4D = "x must have 4 dimensions (N, C, H, W)"
_TOO_BIG = "the window is larger than the input"
_BAD_STRIDE = "the stride must be at least 1"
_BAD_GRAD = "grad_output must have the shape of the forward's output"


# ---------------------------------------------------------------- helpers


def _out_shape(shape, k, s) -> tuple:
    return tuple((n - ki) // si + 1 for n, ki, si in zip(shape[2:], k, s))


def _windows(x, k, s) -> np.ndarray:
    """(N, C, H_out, W_out, kH, kW) view of the windows of ``x`` (no padding)."""
    return sliding_window_view(_as_float(x), k, axis=(2, 3))[:, :, ::s[0], ::s[1]]


def _pool(x, k, s, how: str) -> np.ndarray | None:
    """Pool ``x`` (for the mistakes); None when the window does not fit."""
    k, s = _pair(k), _pair(s)
    if min(k) < 1 or min(s) < 1 or any(ki > n for ki, n in zip(k, np.shape(x)[2:])):
        return None
    win = _windows(x, k, s)
    if how == "max":
        return win.max(axis=(4, 5))
    if how == "mean":
        return win.mean(axis=(4, 5))
    if how == "sum":
        return win.sum(axis=(4, 5))
    raise ValueError(f"how must be 'max', 'mean' or 'sum', got {how!r}")


def _safe(func, *args):
    """``func(*args)``, or None when the mistake has no answer on this case."""
    try:
        return func(*args)
    except (ValueError, IndexError):
        return None


# ------------------------------------------------------------- references

def _reference_max(x, k, s):
    return _as_float(max_pool2d(_as_float(x), _pair(k), _pair(s)))


def _reference_avg(x, k, s):
    return _as_float(avg_pool2d(_as_float(x), _pair(k), _pair(s)))


def _oracle_max(x, k, s):
    """Max pooling as loops over windows."""
    x, k, s = _as_float(x), _pair(k), _pair(s)
    n, c = x.shape[:2]
    oh, ow = _out_shape(x.shape, k, s)
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def _oracle_avg(x, k, s):
    """Average pooling from the oracle: a box-kernel correlation, subsampled by the stride."""
    x, k, s = _as_float(x), _pair(k), _pair(s)
    box = np.full(k, 1.0 / (k[0] * k[1]))
    oh, ow = _out_shape(x.shape, k, s)
    out = np.empty(x.shape[:2] + (oh, ow))
    for idx in np.ndindex(*x.shape[:2]):
        full = _oracle.correlate2d(x[idx], box, mode="valid")
        out[idx] = full[::s[0], ::s[1]][:oh, :ow]
    return out


def _route_max(g, x, k, s, pick="first", add=True, window_step=None):
    """The max-pooling gradient as loops, and its typical mistakes.

    ``pick``: which maximum of a window receives the gradient: ``'first'``
    (row-major, the right one), ``'last'``, ``'column'`` (first in
    column-major order) or ``'all'`` (every tied maximum).  ``add=False``
    overwrites where windows overlap.  ``window_step`` places window (i, j)
    at ``(i * step[0], j * step[1])`` (the stride by default).
    """
    g, x, k, s = _as_float(g), _as_float(x), _pair(k), _pair(s)
    step = s if window_step is None else window_step
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape[:2]):
        for i in range(g.shape[2]):
            for j in range(g.shape[3]):
                r0, c0 = i * step[0], j * step[1]
                window = x[idx][r0:r0 + k[0], c0:c0 + k[1]]
                if window.shape != k:
                    return None
                if pick == "first":
                    cells = [np.unravel_index(np.argmax(window), k)]
                elif pick == "last":
                    flat = window.ravel()[::-1]
                    cells = [np.unravel_index(flat.size - 1 - np.argmax(flat), k)]
                elif pick == "column":
                    b, a = np.unravel_index(np.argmax(window.T), k[::-1])
                    cells = [(a, b)]
                elif pick == "all":
                    cells = list(zip(*np.nonzero(window == window.max())))
                else:
                    raise ValueError("pick must be 'first', 'last', 'column' or 'all', "
                                     f"got {pick!r}")
                for a, b in cells:
                    target = idx + (r0 + a, c0 + b)
                    grad[target] = grad[target] + g[idx + (i, j)] if add else g[idx + (i, j)]
    return grad


def _spread_avg(g, x, k, s, add=True, window_step=None, divisor=None):
    """The average-pooling gradient as loops (and its mistakes): g / divisor per window cell."""
    g, x, k, s = _as_float(g), _as_float(x), _pair(k), _pair(s)
    step = s if window_step is None else window_step
    divisor = k[0] * k[1] if divisor is None else divisor
    grad = np.zeros_like(x)
    for i in range(g.shape[2]):
        for j in range(g.shape[3]):
            r0, c0 = i * step[0], j * step[1]
            if r0 + k[0] > x.shape[2] or c0 + k[1] > x.shape[3]:
                return None
            share = (g[:, :, i, j] / divisor)[:, :, None, None]
            region = grad[:, :, r0:r0 + k[0], c0:c0 + k[1]]
            if add:
                region += share
            else:
                region[...] = share
    return grad


def _reference_max_backward(g, x, k, s):
    return _as_float(max_pool2d_backward(_as_float(g), _as_float(x), _pair(k), _pair(s)))


def _reference_avg_backward(g, x, k, s):
    return _as_float(avg_pool2d_backward(_as_float(g), _as_float(x), _pair(k), _pair(s)))


def _oracle_avg_backward(g, x, k, s):
    """From the oracle: insert stride - 1 zeros between the gradients, convolve ('full') with
    the box kernel, and pad the rows and columns that no window covered with zeros."""
    g, k, s = _as_float(g), _pair(k), _pair(s)
    h, w = np.shape(x)[2:]
    box = np.full(k, 1.0 / (k[0] * k[1]))
    grad = np.zeros(np.shape(x))
    for idx in np.ndindex(*g.shape[:2]):
        up = np.zeros(((g.shape[2] - 1) * s[0] + 1, (g.shape[3] - 1) * s[1] + 1))
        up[::s[0], ::s[1]] = g[idx]
        full = _oracle.convolve2d(up, box, mode="full")
        grad[idx][:full.shape[0], :full.shape[1]] = full[:h, :w]
    return grad


# ------------------------------------------------------------ case builders


def _grid(rows) -> np.ndarray:
    """A hand-written 2-D grid as an (1, 1, H, W) float batch."""
    return np.array(rows, dtype=np.float64)[None, None]


#: a 4x4 grid whose maxima sit in different corners of the 2x2 windows
_GRID = _grid([[1, 3, 2, 0],
               [4, -1, 5, 6],
               [0, 2, -3, 1],
               [7, 1, 2, 8]])
#: every value negative: a maximum started at 0 stays 0
_NEGATIVE = _grid([[-1, -3, -2, -5],
                   [-4, -2, -6, -7],
                   [-9, -8, -3, -1],
                   [-5, -6, -4, -2]])


def _forward_fixed() -> list:
    return [
        Case("basic", (_GRID, 2, 2)),
        Case("basic", (_NEGATIVE, 2, 2)),
        Case("basic", (_grid(np.arange(25).reshape(5, 5) % 7), 2, 2)),   # last row/column left over
        Case("basic", (_grid(np.arange(36).reshape(6, 6) % 11), 3, 3)),
        Case("stride", (_GRID, 2, 1)),                                   # overlapping windows
        Case("stride", (_grid(np.arange(25).reshape(5, 5) % 6), 3, 2)),
        Case("stride", (_grid(np.arange(49).reshape(7, 7) % 10), 2, 3)),  # gaps between windows
        Case("pairs", (_grid(np.arange(24).reshape(4, 6) % 9), (2, 3), (2, 3))),
        Case("pairs", (_grid(np.arange(30).reshape(5, 6) % 8), (3, 2), (1, 2))),
        Case("pairs", (_grid(np.arange(24).reshape(6, 4) % 7), (1, 2), (2, 1))),
        Case("batch", (np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4) % 13 - 6.0, 2, 2)),
        Case("batch", (np.arange(32).reshape(1, 2, 4, 4) % 5, 2, 2)),     # an integer array
        Case("errors", (np.ones((4, 4)), 2, 2), error=ValueError, why=_NOT_4D),
        Case("errors", (np.ones((1, 3, 4)), 2, 2), error=ValueError, why=_NOT_4D),
        Case("errors", (np.ones((1, 1, 3, 3)), 4, 1), error=ValueError, why=_TOO_BIG),
        Case("errors", (np.ones((1, 1, 4, 4)), 2, 0), error=ValueError, why=_BAD_STRIDE),
    ]


def _forward_random(rng) -> list:
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    cases = []
    for _ in range(2):
        k = pick(2, 3)
        side = pick(k + 1, 9)
        cases.append(Case("basic", (_normal(rng, (1, 1, side, side)), k, k)))
    for _ in range(3):
        k = pick(2, 4)
        s = pick(1, 4)
        while s == k:
            s = pick(1, 4)
        cases.append(Case("stride", (_normal(rng, (1, 1, pick(k + 2, 10), pick(k + 2, 10))), k, s)))
    for _ in range(3):
        k = (pick(1, 3), pick(1, 3))
        while k[0] == k[1]:
            k = (pick(1, 3), pick(1, 3))
        s = (pick(1, 3), pick(1, 3))
        cases.append(Case("pairs", (_normal(rng, (1, 1, pick(4, 9), pick(4, 9))), k, s)))
    for dtype in (np.float64, np.float32):
        shape = (pick(2, 3), pick(2, 4), pick(4, 8), pick(4, 8))
        k = pick(2, 3)
        cases.append(Case("batch", (_normal(rng, shape, dtype), k, pick(1, 3))))
    return cases


def _forward_mistakes(case: Case, how: str) -> list:
    x, k, s = case.args
    k, s = _pair(k), _pair(s)
    other = "mean" if how == "max" else "max"
    right = _pool(x, k, s, how)
    m = [
        Mistake("stride ignored", "step the window by the stride: output row i starts at "
                "input row i * stride", _pool(x, k, (1, 1), how)),
        Mistake("stride taken to be the window size", "use the stride argument: windows "
                "overlap when the stride is smaller than the window", _pool(x, k, k, how)),
        Mistake("window and stride swapped", "kernel_size is the window's size, stride the "
                "step between windows", _pool(x, s, k, how)),
        Mistake("pair swapped", "a pair means (height, width): the first number is for the rows",
                _pool(x, k[::-1], s[::-1], how)),
        Mistake("average instead of maximum" if how == "max" else "maximum instead of average",
                "this is the other pooling: take the " + ("largest value" if how == "max"
                                                          else "mean") + " of each window",
                _pool(x, k, s, other)),
        Mistake("leftover rows or columns pooled", "drop the rows and columns that no whole "
                "window covers: H_out = (H - kH) // sH + 1",
                _safe(lambda: _as_float((max_pool2d if how == "max" else avg_pool2d)(
                    _as_float(x), k, s, ceil_mode=True)))),
    ]
    if right is not None and right.shape[:2] == (1, 1):
        m.append(Mistake("batch and channel axes dropped", "return shape (N, C, H_out, W_out), "
                         "even for one image with one channel", right[0, 0]))
    if right is not None:
        m.append(Mistake("channels mixed", "pool each image and each channel separately: "
                         "windows slide over H and W only",
                         np.broadcast_to(right.max(axis=1, keepdims=True) if how == "max"
                                         else right.mean(axis=1, keepdims=True), right.shape)))
    if how == "max" and right is not None:
        m.append(Mistake("maximum started at 0", "start from the window's first value (or "
                         "use np.max), not from 0: every value can be negative",
                         np.maximum(right, 0.0)))
    if how == "mean" and right is not None:
        m += [
            Mistake("sum instead of average", "divide each window's sum by kH * kW",
                    _pool(x, k, s, "sum")),
            Mistake("divided by the window's side", "the window holds kH * kW values: "
                    "divide by their number", _pool(x, k, s, "sum") / k[0]),
        ]
        if np.asarray(x).dtype.kind in "iub":
            m.append(Mistake("integer output", "the output took the integer dtype of x, so "
                             "the averages were cut: create it with dtype=float", np.trunc(right)))
    return m


def _global_fixed() -> list:
    return [
        Case("basic", (_grid([[1, 5, 3], [3, 2, 4]]),)),
        Case("basic", (_grid([[-2, 0], [4, 6], [1, 3]]),)),
        Case("basic", (_grid([[7]]),)),
        Case("batch", (np.arange(2 * 3 * 2 * 4).reshape(2, 3, 2, 4) % 7 - 2.0,)),
        Case("batch", (np.arange(24).reshape(3, 2, 2, 2),)),           # an integer array
        Case("batch", (np.arange(8.0).reshape(1, 4, 2, 1),)),
        Case("errors", (np.ones((3, 4, 4)),), error=ValueError, why=_NOT_4D),
        Case("errors", (np.ones((4, 4)),), error=ValueError, why=_NOT_4D),
    ]


def _global_random(rng) -> list:
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    cases = [Case("basic", (_normal(rng, (1, 1, pick(2, 7), pick(2, 7))),)) for _ in range(2)]
    for dtype in (np.float64, np.float32):
        cases.append(Case("batch", (_normal(rng, (pick(2, 4), pick(2, 5), pick(1, 6),
                                                   pick(2, 6)), dtype),)))
    return cases


def _global_mistakes(case: Case) -> list:
    x = _as_float(case.args[0])
    return [
        Mistake("output of shape (N, C)", "keep the two pooled axes: the output has shape "
                "(N, C, 1, 1) (keepdims=True, or reshape)", x.mean(axis=(2, 3))),
        Mistake("global maximum instead of average", "take the mean of each channel plane",
                x.max(axis=(2, 3), keepdims=True)),
        Mistake("sum instead of mean", "divide by H * W", x.sum(axis=(2, 3), keepdims=True)),
        Mistake("averaged over the wrong axes", "average each channel plane: axes 2 and 3 "
                "(H and W), not the channels", x.mean(axis=(1, 2, 3), keepdims=True)),
        Mistake("averaged over the wrong axes", "average each channel plane: axes 2 and 3 "
                "(H and W), not the batch", x.mean(axis=(0, 2, 3), keepdims=True)),
        Mistake("averaged over the wrong axes", "average over H and W both: this is the mean "
                "of the rows only", x.mean(axis=2, keepdims=True)),
        Mistake("averaged over the wrong axes", "average each channel plane: axes 2 and 3, "
                "this averaged axes 1 and 2", x.mean(axis=(1, 2), keepdims=True)),
        Mistake("output of shape (N, C)", "keep the two pooled axes: the output has shape "
                "(N, C, 1, 1)", x.mean(axis=(2, 3))[:, :, None]),
    ]


def _grad_case(group, x, k, s, g=None, rng=None, dtype=np.float64, **extra):
    """A backward case: ``g`` defaults to distinct values with the output's shape."""
    x = np.asarray(x)
    shape = x.shape[:2] + _out_shape(x.shape, _pair(k), _pair(s))
    if g is None:
        if rng is None:
            g = (np.arange(1, int(np.prod(shape)) + 1) * 10.0).reshape(shape)
        else:
            g = _normal(rng, shape)
    return Case(group, (np.asarray(g).astype(dtype), x.astype(dtype) if x.dtype.kind == "f"
                        else x, k, s), **extra)


def _backward_fixed(kind: str) -> list:
    # in centre the middle value is the maximum of all four 2x2 windows (stride 1)
    centre = _grid([[1, 2, 0], [3, 9, 4], [0, 5, 2]])
    wide = _grid(np.array([[2, 1, 3, 0, 1], [0, 4, 1, 2, 0], [1, 3, 8, 1, 2],
                           [2, 0, 1, 5, 1], [0, 2, 1, 3, 2]]))
    cases = [
        _grad_case("basic", _GRID, 2, 2),
        _grad_case("basic", _NEGATIVE, 2, 2),
        _grad_case("basic", _grid(np.arange(25).reshape(5, 5) % 7), 2, 2),
        _grad_case("overlapping", centre, 2, 1),
        _grad_case("overlapping", wide, 3, 2),
        _grad_case("overlapping", _GRID, 3, 1),
        _grad_case("pairs", _grid(np.arange(24).reshape(4, 6) % 9), (2, 3), (2, 3)),
        _grad_case("pairs", _grid(np.arange(30).reshape(5, 6) % 8), (3, 2), (1, 2)),
        _grad_case("pairs", _grid(np.arange(24).reshape(6, 4) % 7), (1, 2), (2, 1)),
        _grad_case("batch", np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4) % 13 - 6.0, 2, 2),
        _grad_case("batch", np.arange(100).reshape(2, 2, 5, 5) * 7 % 23 - 11.0, 3, 2),
        Case("errors", (np.ones((1, 1, 4, 4)), np.ones((1, 1, 4, 4)), 2, 2),
             error=ValueError, why=_BAD_GRAD + ", (1, 1, 2, 2); this one has x's shape"),
        Case("errors", (np.ones((1, 1, 2, 3)), np.ones((1, 1, 4, 4)), 2, 2),
             error=ValueError, why=_BAD_GRAD + ", (1, 1, 2, 2)"),
        Case("errors", (np.ones((1, 1, 1, 1)), np.ones((1, 1, 3, 3)), 4, 4),
             error=ValueError, why=_TOO_BIG),
    ]
    if kind == "max":
        # the first tie is not a constant window: there, every tied maximum and every element
        # of the window are different answers (the report shows a group's first failing case)
        ties = [
            _grad_case("ties", _grid([[0, 5], [5, 0]]), 2, 2),
            _grad_case("ties", _grid([[1, 1], [1, 1]]), 2, 2),
            _grad_case("ties", _grid([[2, 2, 0, 1], [2, 1, 1, 1], [0, 3, 3, 0], [3, 0, 0, 3]]),
                       2, 2),
            _grad_case("ties", _grid([[1, 2, 2], [2, 2, 1], [0, 2, 1]]), 2, 1),
        ]
        cases = cases[:6] + ties + cases[6:]
    return cases


def _backward_random(kind: str):
    def random_cases(rng) -> list:
        pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
        cases = []
        for _ in range(2):
            k = pick(2, 3)
            cases.append(_grad_case("basic", _normal(rng, (1, 1, pick(k + 1, 8), pick(k + 1, 8))),
                                    k, k, rng=rng))
        for _ in range(2):
            k = pick(2, 4)
            s = pick(1, k - 1)
            cases.append(_grad_case("overlapping",
                                    _normal(rng, (1, 1, pick(k + 2, 9), pick(k + 2, 9))), k, s,
                                    rng=rng))
        if kind == "max":
            for _ in range(2):   # small integers: many ties, in overlapping windows too
                k = pick(2, 3)
                x = rng.integers(0, 3, size=(1, pick(1, 2), pick(k + 1, 7), pick(k + 1, 7)))
                cases.append(_grad_case("ties", x.astype(np.float64), k, pick(1, k), rng=rng))
        for _ in range(2):
            k = (pick(1, 3), pick(1, 3))
            while k[0] == k[1]:
                k = (pick(1, 3), pick(1, 3))
            s = (pick(1, 3), pick(1, 3))
            cases.append(_grad_case("pairs", _normal(rng, (1, 1, pick(4, 8), pick(4, 8))), k, s,
                                    rng=rng))
        for dtype in (np.float64, np.float32):
            shape = (pick(2, 3), pick(2, 3), pick(4, 7), pick(4, 7))
            k = pick(2, 3)
            cases.append(_grad_case("batch", _normal(rng, shape), k, pick(1, k), rng=rng,
                                    dtype=dtype))
        return cases
    return random_cases


def _dropped_axes(case: Case, reference) -> list:
    g, x = case.args[:2]
    if np.shape(x)[:2] != (1, 1):
        return []
    return [Mistake("batch and channel axes dropped", "return an array of the shape of x, "
                    "(N, C, H, W), even for one image with one channel",
                    reference(*case.args)[0, 0])]


def _max_backward_mistakes(case: Case) -> list:
    g, x, k, s = case.args
    k, s = _pair(k), _pair(s)
    every_tie, every_cell = _route_max(g, x, k, s, pick="all"), _spread_avg(g, x, k, s, divisor=1)
    if every_tie is not None and every_cell is not None and np.array_equal(every_tie, every_cell):
        # every window constant: the case cannot tell the two apart, so it names neither
        every_tie = every_cell = None
    return _dropped_axes(case, _reference_max_backward) + [
        Mistake("gradient to every tied maximum", "when a window holds its maximum twice, "
                "only the first one in row-major order gets the gradient (as torch does)",
                every_tie),
        Mistake("gradient to every element of the window", "max pooling passes each window's "
                "gradient to the window's maximum only (its first one, row-major), not to all "
                "kH * kW inputs: the other inputs do not change the output", every_cell),
        Mistake("gradient to the last maximum", "on a tie the FIRST maximum (row-major) gets "
                "the gradient: compare with > rather than >=, or use np.argmax",
                _route_max(g, x, k, s, pick="last")),
        Mistake("first maximum in column-major order", "on a tie the first maximum in "
                "row-major order (along the row first) gets the gradient",
                _route_max(g, x, k, s, pick="column")),
        Mistake("overlapping windows overwrite instead of adding", "where windows overlap, an "
                "input that is the maximum of several windows receives the SUM of their "
                "gradients: use +=, not =", _route_max(g, x, k, s, add=False)),
        Mistake("gradient spread over the window", "that is average pooling's backward: max "
                "pooling passes the gradient to the maximum only", _spread_avg(g, x, k, s)),
        Mistake("stride ignored", "window (i, j) starts at input row i * stride, column j * stride",
                _route_max(g, x, k, s, window_step=(1, 1))),
        Mistake("grad_output not used", "multiply the mask of maxima by grad_output: each "
                "maximum receives its window's gradient, not 1",
                _route_max(np.ones(np.shape(g)), x, k, s)),
        Mistake("pair swapped", "a pair means (height, width): the first number is for the rows",
                _safe(_route_max, g, x, k[::-1], s[::-1])),
    ]


def _avg_backward_mistakes(case: Case) -> list:
    g, x, k, s = case.args
    k, s = _pair(k), _pair(s)
    return _dropped_axes(case, _reference_avg_backward) + [
        Mistake("not divided by the window size", "each of the kH * kW inputs of a window "
                "gets grad / (kH * kW), since it counts for that much of the average",
                _spread_avg(g, x, k, s, divisor=1)),
        Mistake("divided by the window's side", "divide by kH * kW, the number of values "
                "in a window", _spread_avg(g, x, k, s, divisor=k[0])),
        Mistake("overlapping windows overwrite instead of adding", "where windows overlap, "
                "an input receives the SUM of the shares of every window it belongs to: use "
                "+=, not =", _spread_avg(g, x, k, s, add=False)),
        Mistake("stride ignored", "window (i, j) starts at input row i * stride, column j * stride",
                _spread_avg(g, x, k, s, window_step=(1, 1))),
        Mistake("gradient routed to the maximum", "that is max pooling's backward: average "
                "pooling spreads the gradient evenly over the window", _route_max(g, x, k, s)),
        Mistake("pair swapped", "a pair means (height, width): the first number is for the rows",
                _safe(_spread_avg, g, x, k[::-1], s[::-1])),
    ]


# ---------------------------------------------------------------- exercises

_MAX_FORWARD = Exercise(
    name="max_pool2d_forward", arg_names=("x", "kernel_size", "stride"),
    groups={"basic": 1, "stride": 1, "pairs": 1, "batch": 1, "errors": 1},
    forbidden=_FORBIDDEN, forbidden_text=_FORBIDDEN_TEXT,
    fixed_cases=_forward_fixed, random_cases=_forward_random,
    reference=lambda c: _reference_max(*c.args),
    oracle=lambda c: _oracle_max(*c.args),
    mistakes=lambda c: _forward_mistakes(c, "max"), default_points=5.0,
)

_AVG_FORWARD = Exercise(
    name="avg_pool2d_forward", arg_names=("x", "kernel_size", "stride"),
    groups={"basic": 1, "stride": 1, "pairs": 1, "batch": 1, "errors": 1},
    forbidden=_FORBIDDEN, forbidden_text=_FORBIDDEN_TEXT,
    fixed_cases=_forward_fixed, random_cases=_forward_random,
    reference=lambda c: _reference_avg(*c.args),
    oracle=lambda c: _oracle_avg(*c.args),
    mistakes=lambda c: _forward_mistakes(c, "mean"), default_points=5.0,
)

_GLOBAL_AVG = Exercise(
    name="global_avg_pool2d", arg_names=("x",),
    groups={"basic": 1, "batch": 1, "errors": 1},
    forbidden=_FORBIDDEN, forbidden_text=_FORBIDDEN_TEXT,
    fixed_cases=_global_fixed, random_cases=_global_random,
    reference=lambda c: _as_float(global_avg_pool2d(_as_float(c.args[0]))),
    oracle=lambda c: _oracle_avg(c.args[0], np.shape(c.args[0])[2:], np.shape(c.args[0])[2:]),
    mistakes=_global_mistakes, default_points=3.0,
)

_MAX_BACKWARD = Exercise(
    name="max_pool2d_backward", arg_names=("grad_output", "x", "kernel_size", "stride"),
    groups={"basic": 1, "overlapping": 1, "ties": 1, "pairs": 1, "batch": 1, "errors": 1},
    forbidden=_FORBIDDEN, forbidden_text=_FORBIDDEN_TEXT,
    fixed_cases=lambda: _backward_fixed("max"), random_cases=_backward_random("max"),
    reference=lambda c: _reference_max_backward(*c.args),
    oracle=lambda c: _route_max(*c.args),
    mistakes=_max_backward_mistakes, default_points=6.0,
)

_AVG_BACKWARD = Exercise(
    name="avg_pool2d_backward", arg_names=("grad_output", "x", "kernel_size", "stride"),
    groups={"basic": 1, "overlapping": 1, "pairs": 1, "batch": 1, "errors": 1},
    forbidden=_FORBIDDEN, forbidden_text=_FORBIDDEN_TEXT,
    fixed_cases=lambda: _backward_fixed("avg"), random_cases=_backward_random("avg"),
    reference=lambda c: _reference_avg_backward(*c.args),
    oracle=lambda c: _oracle_avg_backward(*c.args),
    mistakes=_avg_backward_mistakes, default_points=5.0,
)

#: every exercise of the assignment, by function name
EXERCISES = {ex.name: ex for ex in (_MAX_FORWARD, _AVG_FORWARD, _GLOBAL_AVG, _MAX_BACKWARD,
                                    _AVG_BACKWARD)}


# -------------------------------------------------------------------- checks

check_max_pool2d_forward = make_check(
    EXERCISES, "max_pool2d_forward",
    "the maximum of each kernel_size window, windows stride apart, "
    "output (N, C, (H - kH) // sH + 1, (W - kW) // sW + 1).", __name__)
check_avg_pool2d_forward = make_check(
    EXERCISES, "avg_pool2d_forward",
    "the mean of each kernel_size window, windows stride apart.", __name__)
check_global_avg_pool2d = make_check(
    EXERCISES, "global_avg_pool2d",
    "the mean of each channel plane, output shape (N, C, 1, 1).", __name__)
check_max_pool2d_backward = make_check(
    EXERCISES, "max_pool2d_backward",
    "each window's gradient to its first maximum (row-major); overlapping windows add up.",
    __name__)
check_avg_pool2d_backward = make_check(
    EXERCISES, "avg_pool2d_backward",
    "each window's gradient spread evenly, grad / (kH * kW), over its cells; "
    "overlapping windows add up.", __name__)

reproduce = make_reproduce(EXERCISES, __name__)
