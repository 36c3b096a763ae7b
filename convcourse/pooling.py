"""Max, average, adaptive and global pooling in 1, 2 and 3 dimensions, forward and backward.

Every function follows ``torch.nn.functional``: ``x`` has shape
``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)`` (the batch dimension is
required); for the sliding-window poolings ``stride`` defaults to
``kernel_size``, ``padding`` is implicit (``-inf`` for max pooling, zeros for
average pooling) and may be at most half the kernel size, and ``ceil_mode``
lets the last window run off the end of the input as torch's does.  A max
window lying wholly in the padding (possible with dilation) gives ``-inf``, as
torch, and its gradient goes nowhere.  Adaptive pooling splits each axis of
length ``L`` into ``out`` bins ``[floor(i L / out), ceil((i + 1) L / out))``,
torch's edges; global pooling is adaptive pooling to one bin.

Each operation comes twice: a vectorised default and a readable loop
version (``*_naive``).  Both run on one N-d core for every dimension and
both kinds of window (:mod:`convcourse._pool_core`), as the convolutions
share one N-d core.  The tests hold them against each other and against torch.

Gradients follow torch's rules: in a max window the gradient goes to the
*first* maximum in row-major order (a NaN counts as the maximum; with several
NaNs, the last one, as in torch); where windows overlap, gradients add up.
"""

from __future__ import annotations

import numpy as np

from . import _pool_core as core
from ._validation import check_bool, check_int, result_dtype

__all__ = [
    "max_pool1d", "max_pool1d_naive", "max_pool1d_backward", "max_pool1d_backward_naive",
    "max_pool2d", "max_pool2d_naive", "max_pool2d_backward", "max_pool2d_backward_naive",
    "max_pool3d", "max_pool3d_naive", "max_pool3d_backward", "max_pool3d_backward_naive",
    "avg_pool1d", "avg_pool1d_naive", "avg_pool1d_backward", "avg_pool1d_backward_naive",
    "avg_pool2d", "avg_pool2d_naive", "avg_pool2d_backward", "avg_pool2d_backward_naive",
    "avg_pool3d", "avg_pool3d_naive", "avg_pool3d_backward", "avg_pool3d_backward_naive",
    "adaptive_avg_pool1d", "adaptive_avg_pool1d_naive", "adaptive_avg_pool1d_backward",
    "adaptive_avg_pool1d_backward_naive",
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_naive", "adaptive_avg_pool2d_backward",
    "adaptive_avg_pool2d_backward_naive",
    "adaptive_avg_pool3d", "adaptive_avg_pool3d_naive", "adaptive_avg_pool3d_backward",
    "adaptive_avg_pool3d_backward_naive",
    "adaptive_max_pool1d", "adaptive_max_pool1d_naive", "adaptive_max_pool1d_backward",
    "adaptive_max_pool1d_backward_naive",
    "adaptive_max_pool2d", "adaptive_max_pool2d_naive", "adaptive_max_pool2d_backward",
    "adaptive_max_pool2d_backward_naive",
    "adaptive_max_pool3d", "adaptive_max_pool3d_naive", "adaptive_max_pool3d_backward",
    "adaptive_max_pool3d_backward_naive",
    "global_max_pool2d", "global_avg_pool2d", "global_max_pool2d_backward",
    "global_avg_pool2d_backward",
]


# --------------------------------------------------------------------------
# The shared bodies: validate, then run the vectorised or the loop core
# --------------------------------------------------------------------------

def _check_divisor(divisor_override):
    """``None`` or a non-zero int, as torch's ``divisor_override``."""
    if divisor_override is None:
        return None
    value = check_int(divisor_override, "divisor_override")
    if value == 0:
        raise ValueError(f"divisor_override must be a non-zero int or None, got {value}")
    return value


def _max(nd, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, naive):
    x = core.check_input(x, nd)
    axes = core.sliding_axes(x, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_result(x, axes, return_indices, naive)


def _max_result(x, axes, return_indices, naive):
    return_indices = check_bool(return_indices, "return_indices")
    if naive:
        values, indices = core.max_pool_loops(x, axes)
        return (values, indices) if return_indices else values
    return core.max_pool(x, axes, with_index=return_indices)


def _max_backward(nd, grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                  return_indices, naive):
    x = core.check_input(x, nd)
    axes = core.sliding_axes(x, kernel_size, stride, padding, dilation, ceil_mode)
    check_bool(return_indices, "return_indices")
    return _max_gradient(grad_output, x, axes, naive)


def _max_gradient(grad_output, x, axes, naive):
    grad_output = core.check_grad_output(grad_output, core.out_shape(x, axes))
    backward = core.max_pool_backward_loops if naive else core.max_pool_backward
    return backward(grad_output, x, axes, result_dtype(x, grad_output))


def _avg(nd, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, naive):
    x = core.check_input(x, nd)
    axes = core.sliding_axes(x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    divisor_override = _check_divisor(divisor_override)
    forward = core.avg_pool_loops if naive else core.avg_pool
    return forward(x, axes, count_include_pad, divisor_override)


def _avg_backward(nd, grad_output, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override, naive):
    x = core.check_input(x, nd)
    axes = core.sliding_axes(x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    divisor_override = _check_divisor(divisor_override)
    grad_output = core.check_grad_output(grad_output, core.out_shape(x, axes))
    backward = core.avg_pool_backward_loops if naive else core.avg_pool_backward
    return backward(grad_output, x, axes, result_dtype(x, grad_output), count_include_pad,
                    divisor_override)


def _adaptive_avg(nd, x, output_size, naive):
    x = core.check_input(x, nd)
    axes = core.adaptive_axes(x, output_size)
    return (core.avg_pool_loops if naive else core.avg_pool)(x, axes)


def _adaptive_avg_backward(nd, grad_output, x, output_size, naive):
    x = core.check_input(x, nd)
    axes = core.adaptive_axes(x, output_size)
    grad_output = core.check_grad_output(grad_output, core.out_shape(x, axes))
    backward = core.avg_pool_backward_loops if naive else core.avg_pool_backward
    return backward(grad_output, x, axes, result_dtype(x, grad_output))


def _adaptive_max(nd, x, output_size, return_indices, naive):
    x = core.check_input(x, nd)
    return _max_result(x, core.adaptive_axes(x, output_size), return_indices, naive)


def _adaptive_max_backward(nd, grad_output, x, output_size, return_indices, naive):
    x = core.check_input(x, nd)
    axes = core.adaptive_axes(x, output_size)
    check_bool(return_indices, "return_indices")
    return _max_gradient(grad_output, x, axes, naive)


# --------------------------------------------------------------------------
# Docstrings: one text per family, filled in with each dimension's shapes
# --------------------------------------------------------------------------

_SHAPES = {
    1: dict(layout="(N, C, L)", out="(N, C, L_out)", k="(kL,)", s="(sL,)", p="(pL,)", d="(dL,)",
            flat="``l``", per_axis="``L_out``"),
    2: dict(layout="(N, C, H, W)", out="(N, C, H_out, W_out)", k="(kH, kW)", s="(sH, sW)",
            p="(pH, pW)", d="(dH, dW)", flat="``h * W + w``", per_axis="``H_out`` (likewise ``W_out``)"),
    3: dict(layout="(N, C, D, H, W)", out="(N, C, D_out, H_out, W_out)", k="(kD, kH, kW)",
            s="(sD, sH, sW)", p="(pD, pH, pW)", d="(dD, dH, dW)", flat="``(d * H + h) * W + w``",
            per_axis="``D_out`` (likewise ``H_out``, ``W_out``)"),
}


# the errors of every sliding-window pooling
_SLIDING_RAISES = """Raises
------
TypeError
    ``x`` complex/object, a size argument that is not an int or a tuple of
    {nd} ints, or a flag that is not a bool.
ValueError
    ``x`` not {ndim}-D, a size below 1, negative padding, padding above
    ``kernel_size // 2``, or a kernel larger than the padded input.
"""


# what every vectorised backward returns and raises
_BACKWARD_RETURNS = """Returns
-------
grad_input : ndarray, shape {layout}
    Dtype of ``grad_output`` and ``x`` promoted together.

Raises
------
TypeError, ValueError
    As the forward; ``ValueError`` also when ``grad_output`` does not have
    the forward's output shape.
"""


def _doc(template, nd, example, **extra):
    """Set a function's docstring from its family's template, with dimension ``nd``'s shapes."""
    def decorate(fn):
        fn.__doc__ = template.format(nd=nd, ndim=nd + 2, example=example.strip("\n"),
                                     sliding_raises=_SLIDING_RAISES.format(nd=nd, ndim=nd + 2),
                                     backward_returns=_BACKWARD_RETURNS.format(**_SHAPES[nd]),
                                     **_SHAPES[nd], **extra)
        return fn
    return decorate


_MAX = """{nd}-D max pooling over an {layout} batch, as ``torch.nn.functional.max_pool{nd}d``.

Parameters
----------
x : ndarray, shape {layout}
    Input batch.  Float arrays keep their dtype; int and bool compute in float64.
kernel_size : int or tuple {k}
    Window size.
stride : int or tuple {s}, optional
    Step between windows; defaults to ``kernel_size``.
padding : int or tuple {p}, optional
    Implicit ``-inf`` padding on both sides; at most ``kernel_size // 2``.
dilation : int or tuple {d}, optional
    Spacing between window elements; 1 means no dilation.
ceil_mode : bool, optional
    Round the output size up, so a last partial window is kept when it
    starts inside the input or the left padding.
return_indices : bool, optional
    Also return the position of each maximum.

Returns
-------
out : ndarray, shape {out}
    Maximum of each window, dtype of ``x`` (float64 for int/bool input);
    ``-inf`` for a window lying wholly in the padding, as torch.
indices : ndarray of int64, shape {out}
    Only with ``return_indices``: the flat index {flat} of each maximum in
    its input plane (torch's convention: the first maximum in row-major
    order on ties, the last NaN; for an all ``-inf`` window its first tap at
    or after position 0, which lies outside the input for a window in the
    padding).

{sliding_raises}
See Also
--------
max_pool{nd}d_naive : the same computation written as loops.
max_pool{nd}d_backward : its gradient.

Notes
-----
Along each axis window ``i`` has taps at ``i*s - p + a*d`` for ``0 <= a < k``;
the output is the maximum over all taps, the padding counting as ``-inf``.
{per_axis} ``= floor((L + 2p - d(k - 1) - 1) / s) + 1`` (``ceil`` with
``ceil_mode``, dropping a last window that would start in the right padding).

Examples
--------
{example}
"""

_MAX_NAIVE = """Max pooling written as plain loops (teaching version of :func:`max_pool{nd}d`).

Parameters
----------
x : ndarray, shape {layout}
    Input batch.
kernel_size, stride, padding, dilation, ceil_mode, return_indices
    As in :func:`max_pool{nd}d`.

Returns
-------
out : ndarray, shape {out}
    Maximum of each window.
indices : ndarray of int64, shape {out}
    Only with ``return_indices``: flat index {flat} of each maximum.

Raises
------
TypeError, ValueError
    As :func:`max_pool{nd}d`.

Notes
-----
For each window, visit its elements that lie inside the input in row-major
order and keep the first one that is strictly larger than the best so far
(so ties go to the first maximum; a NaN always wins, as in torch).  Padding
is never visited, which is the same as padding with ``-inf``; a window with
no element inside the input gives ``-inf``.

Examples
--------
{example}
"""

_MAX_BACKWARD = """Gradient of :func:`max_pool{nd}d` with respect to its input.

Parameters
----------
grad_output : ndarray, shape {out}
    Gradient of the loss with respect to the pooling output.
x : ndarray, shape {layout}
    The forward's input.
kernel_size, stride, padding, dilation, ceil_mode
    As in the forward.
return_indices : bool, optional
    Accepted so that the forward's keyword arguments can be passed
    unchanged; it does not affect the gradient.

{backward_returns}
See Also
--------
max_pool{nd}d_backward_naive : the same computation written as loops.

Notes
-----
Each window routes its gradient to one element, its (first) maximum;
overlapping windows add up.  A window lying wholly in the padding has no
input element and sends nothing.

Examples
--------
{example}
"""

_MAX_BACKWARD_NAIVE = """Gradient of :func:`max_pool{nd}d` written as loops (teaching version).

Parameters
----------
grad_output : ndarray, shape {out}
    Gradient with respect to the pooling output.
x : ndarray, shape {layout}
    The forward's input.
kernel_size, stride, padding, dilation, ceil_mode, return_indices
    As in :func:`max_pool{nd}d_backward`.

Returns
-------
grad_input : ndarray, shape {layout}
    Gradient with respect to ``x``.

Raises
------
TypeError, ValueError
    As :func:`max_pool{nd}d_backward`.

Notes
-----
Find each window's maximum as :func:`max_pool{nd}d_naive` does, then add
the window's gradient to that one element.

Examples
--------
{example}
"""

_AVG = """{nd}-D average pooling over an {layout} batch, as ``torch.nn.functional.avg_pool{nd}d``.

Parameters
----------
x : ndarray, shape {layout}
    Input batch.  Float arrays keep their dtype; int and bool compute in float64.
kernel_size : int or tuple {k}
    Window size.
stride : int or tuple {s}, optional
    Step between windows; defaults to ``kernel_size``.
padding : int or tuple {p}, optional
    Implicit zero padding on both sides; at most ``kernel_size // 2``.
ceil_mode : bool, optional
    Round the output size up (see :func:`max_pool{nd}d`).
count_include_pad : bool, optional
    Count the zero padding in the divisor.{override_param}

Returns
-------
out : ndarray, shape {out}
    Mean of each window, dtype of ``x`` (float64 for int/bool input).

{sliding_raises}
See Also
--------
avg_pool{nd}d_naive : the same computation written as loops.
avg_pool{nd}d_backward : its gradient.

Notes
-----
Each window's sum over its taps inside the input, divided by ``D``.  The
divisor follows torch: along each axis a window spans ``[i*s - p, i*s - p + k)``,
first clipped to the padded input ``[-p, L + p)`` (a ceil_mode window that
runs off the end is shortened even with ``count_include_pad``); ``D`` is the
clipped window's size, or, with ``count_include_pad=False``, the size of its
part inside the input.  Output sizes as :func:`max_pool{nd}d` (dilation 1).

Examples
--------
{example}
"""

_OVERRIDE_PARAM = """
divisor_override : int, optional
    When given (non-zero), the divisor of every window instead of its size."""

_AVG_NAIVE = """Average pooling written as plain loops (teaching version of :func:`avg_pool{nd}d`).

Parameters
----------
x : ndarray, shape {layout}
    Input batch.
kernel_size, stride, padding, ceil_mode, count_include_pad{override_name}
    As in :func:`avg_pool{nd}d`.

Returns
-------
out : ndarray, shape {out}
    Mean of each window.

Raises
------
TypeError, ValueError
    As :func:`avg_pool{nd}d`.

Notes
-----
Sum the window's elements inside the input, then divide by the number of
elements counted (``count_include_pad=False``) or by the window's size
clipped to the padded input (``count_include_pad=True``).

Examples
--------
{example}
"""

_AVG_BACKWARD = """Gradient of :func:`avg_pool{nd}d` with respect to its input{how}.

Parameters
----------
grad_output : ndarray, shape {out}
    Gradient of the loss with respect to the pooling output.
x : ndarray, shape {layout}
    The forward's input (only its shape and dtype are used).
kernel_size, stride, padding, ceil_mode, count_include_pad{override_name}
    As in the forward.

{backward_returns}
Notes
-----
Each window shares its gradient equally (``/ D``, the forward's divisor)
among the input elements it covers; the shares of padding are dropped.

Examples
--------
{example}
"""

_ADAPTIVE = """{nd}-D adaptive {kind} pooling{naive_note}, as ``torch.nn.functional.adaptive_{kind}_pool{nd}d``.

Parameters
----------
x : ndarray, shape {layout}
    Input batch.  Float arrays keep their dtype; int and bool compute in float64.
output_size : int or tuple {o}
    The output's spatial size; ``None`` in the tuple keeps that axis's size
    (0 gives an empty output, as torch).{indices_param}

Returns
-------
out : ndarray, shape {out}
    The {kind} of each bin.{indices_return}

Raises
------
TypeError
    ``x`` complex/object, or an ``output_size`` that is not an int or a
    tuple of {nd} ints or None.
ValueError
    ``x`` not {ndim}-D or with a zero C or spatial size, or a negative output size.

See Also
--------
{see_also}

Notes
-----
Along an axis of length ``L`` split into ``out`` bins, bin ``i`` covers
``[floor(i L / out), ceil((i + 1) L / out))`` (torch's edges: neighbouring
bins overlap when ``out`` does not divide ``L``).  {rule}

Examples
--------
{example}
"""

_ADAPTIVE_BACKWARD = """Gradient of :func:`adaptive_{kind}_pool{nd}d` with respect to its input{how}.

Parameters
----------
grad_output : ndarray, shape {out}
    Gradient of the loss with respect to the pooling output.
x : ndarray, shape {layout}
    The forward's input.
output_size{indices_name}
    As in the forward.

{backward_returns}
Notes
-----
{rule}

Examples
--------
{example}
"""

_O = {1: "(L_out,)", 2: "(H_out, W_out)", 3: "(D_out, H_out, W_out)"}


def _adaptive_doc(kind, nd, naive, example):
    """The adaptive pooling forward's docstring."""
    fields = dict(kind=kind, o=_O[nd], naive_note=" written as loops" if naive else "")
    if kind == "max":
        fields.update(
            indices_param="\nreturn_indices : bool, optional\n    Also return the position of each maximum.",
            indices_return=("\nindices : ndarray of int64, shape {out}\n    Only with ``return_indices``: "
                            "flat index {flat} of each maximum\n    in its input plane (first maximum "
                            "in row-major order on ties).").format(**_SHAPES[nd]),
            rule="The output is the maximum of the bin (a NaN wins, the first maximum on ties).")
    else:
        fields.update(indices_param="", indices_return="",
                      rule="The output is the mean of the bin.")
    twin = f"adaptive_{kind}_pool{nd}d" + ("" if naive else "_naive")
    fields["see_also"] = (f"{twin} : the {'vectorised' if naive else 'loop'} version.\n"
                          f"adaptive_{kind}_pool{nd}d_backward : its gradient.")
    return _doc(_ADAPTIVE, nd, example, **fields)


def _adaptive_backward_doc(kind, nd, naive, example):
    """The adaptive pooling backward's docstring."""
    rule = ("Each bin routes its gradient to its (first) maximum; overlapping bins add up."
            if kind == "max" else
            "Each bin shares its gradient equally among its elements; overlapping bins add up.")
    return _doc(_ADAPTIVE_BACKWARD, nd, example, kind=kind, rule=rule,
                how=", written as loops" if naive else "",
                indices_name=", return_indices" if kind == "max" else "")


# --------------------------------------------------------------------------
# Max pooling
# --------------------------------------------------------------------------

@_doc(_MAX, 1, """
>>> max_pool1d(np.array([[[1., 5., 2., 4., 3.]]]), 2)
array([[[5., 4.]]])
>>> max_pool1d(np.array([[[1., 5., 2., 4., 3.]]]), 2, stride=1, return_indices=True)
(array([[[5., 5., 4., 4.]]]), array([[[1, 1, 3, 3]]]))
""")
def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max(1, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, naive=False)


@_doc(_MAX, 2, """
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> max_pool2d(x, 2)
array([[[[ 5.,  7.],
         [13., 15.]]]])
>>> out, idx = max_pool2d(x, 3, stride=1, return_indices=True)
>>> idx
array([[[[10, 11],
         [14, 15]]]])
>>> max_pool2d(np.ones((1, 1, 1, 3)), (1, 2), padding=(0, 1), dilation=(1, 4))  # taps at -1 and 3
array([[[[-inf]]]])
""")
def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max(2, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, naive=False)


@_doc(_MAX, 3, """
>>> x = np.arange(27.0).reshape(1, 1, 3, 3, 3)
>>> max_pool3d(x, 2, stride=1)[0, 0]
array([[[13., 14.],
        [16., 17.]],
<BLANKLINE>
       [[22., 23.],
        [25., 26.]]])
>>> max_pool3d(x, 3, return_indices=True)
(array([[[[[26.]]]]]), array([[[[[26]]]]]))
""")
def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max(3, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, naive=False)


@_doc(_MAX_NAIVE, 1, """
>>> max_pool1d_naive(np.array([[[3., 1., 3.]]]), 2, stride=1, return_indices=True)
(array([[[3., 3.]]]), array([[[0, 2]]]))
""")
def max_pool1d_naive(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=False):
    return _max(1, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, naive=True)


@_doc(_MAX_NAIVE, 2, """
>>> x = np.array([[[[1., 3., 3.], [2., 0., 3.]]]])
>>> max_pool2d_naive(x, (2, 2), stride=1, return_indices=True)
(array([[[[3., 3.]]]]), array([[[[1, 1]]]]))
""")
def max_pool2d_naive(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=False):
    return _max(2, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, naive=True)


@_doc(_MAX_NAIVE, 3, """
>>> max_pool3d_naive(np.arange(8.0).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
(array([[[[[7.]]]]]), array([[[[[7]]]]]))
""")
def max_pool3d_naive(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=False):
    return _max(3, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, naive=True)


@_doc(_MAX_BACKWARD, 1, """
>>> max_pool1d_backward(np.array([[[1., 10.]]]), np.array([[[1., 3., 2.]]]), 2, stride=1)
array([[[ 0., 11.,  0.]]])
""")
def max_pool1d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False, return_indices=False):
    return _max_backward(1, grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices, naive=False)


@_doc(_MAX_BACKWARD, 2, """
>>> x = np.array([[[[1., 2.], [2., 0.]]]])
>>> max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
array([[[[0., 1.],
         [0., 0.]]]])
""")
def max_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False, return_indices=False):
    return _max_backward(2, grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices, naive=False)


@_doc(_MAX_BACKWARD, 3, """
>>> g = max_pool3d_backward(np.full((1, 1, 1, 1, 1), 5.0), np.arange(8.0).reshape(1, 1, 2, 2, 2), 2)
>>> g[0, 0, 1]
array([[0., 0.],
       [0., 5.]])
""")
def max_pool3d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False, return_indices=False):
    return _max_backward(3, grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices, naive=False)


@_doc(_MAX_BACKWARD_NAIVE, 1, """
>>> max_pool1d_backward_naive(np.array([[[1., 10.]]]), np.array([[[1., 3., 2.]]]), 2, stride=1)
array([[[ 0., 11.,  0.]]])
""")
def max_pool1d_backward_naive(grad_output, x, kernel_size, stride=None, padding=0, dilation=1,
                              ceil_mode=False, return_indices=False):
    return _max_backward(1, grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices, naive=True)


@_doc(_MAX_BACKWARD_NAIVE, 2, """
>>> x = np.array([[[[1., 3., 2.]]]])
>>> max_pool2d_backward_naive(np.array([[[[1., 10.]]]]), x, (1, 2), stride=1)
array([[[[ 0., 11.,  0.]]]])
""")
def max_pool2d_backward_naive(grad_output, x, kernel_size, stride=None, padding=0, dilation=1,
                              ceil_mode=False, return_indices=False):
    return _max_backward(2, grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices, naive=True)


@_doc(_MAX_BACKWARD_NAIVE, 3, """
>>> x = np.zeros((1, 1, 1, 1, 2))
>>> max_pool3d_backward_naive(np.ones((1, 1, 1, 1, 1)), x, (1, 1, 2))   # a tie: the first wins
array([[[[[1., 0.]]]]])
""")
def max_pool3d_backward_naive(grad_output, x, kernel_size, stride=None, padding=0, dilation=1,
                              ceil_mode=False, return_indices=False):
    return _max_backward(3, grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices, naive=True)


# --------------------------------------------------------------------------
# Average pooling
# --------------------------------------------------------------------------

_WITH_OVERRIDE = dict(override_param=_OVERRIDE_PARAM, override_name=", divisor_override")
_WITHOUT_OVERRIDE = dict(override_param="", override_name="")   # torch's avg_pool1d has none


@_doc(_AVG, 1, """
>>> avg_pool1d(np.array([[[1., 2., 3., 4.]]]), 2)
array([[[1.5, 3.5]]])
>>> avg_pool1d(np.array([[[1., 2.]]]), 2, padding=1, count_include_pad=False)
array([[[1., 2.]]])
""", **_WITHOUT_OVERRIDE)
def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg(1, x, kernel_size, stride, padding, ceil_mode, count_include_pad, None, naive=False)


@_doc(_AVG, 2, """
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
>>> avg_pool2d(x, 2, divisor_override=1)   # window sums
array([[[[10., 18.],
         [42., 50.]]]])
""", **_WITH_OVERRIDE)
def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg(2, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                naive=False)


@_doc(_AVG, 3, """
>>> avg_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 2)
array([[[[[3.5]]]]])
>>> avg_pool3d(np.ones((1, 1, 2, 2, 2)), 2, divisor_override=2)
array([[[[[4.]]]]])
""", **_WITH_OVERRIDE)
def avg_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg(3, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                naive=False)


@_doc(_AVG_NAIVE, 1, """
>>> avg_pool1d_naive(np.array([[[1., 2., 3.]]]), 2, ceil_mode=True)
array([[[1.5, 3. ]]])
""", **_WITHOUT_OVERRIDE)
def avg_pool1d_naive(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg(1, x, kernel_size, stride, padding, ceil_mode, count_include_pad, None, naive=True)


@_doc(_AVG_NAIVE, 2, """
>>> x = np.array([[[[1., 2., 3.]]]])
>>> avg_pool2d_naive(x, (1, 2), stride=2, ceil_mode=True)
array([[[[1.5, 3. ]]]])
""", **_WITH_OVERRIDE)
def avg_pool2d_naive(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                     divisor_override=None):
    return _avg(2, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                naive=True)


@_doc(_AVG_NAIVE, 3, """
>>> avg_pool3d_naive(np.ones((1, 1, 1, 1, 1)), 2, padding=1)   # one input among 8 cells
array([[[[[0.125]]]]])
""", **_WITH_OVERRIDE)
def avg_pool3d_naive(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                     divisor_override=None):
    return _avg(3, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                naive=True)


@_doc(_AVG_BACKWARD, 1, """
>>> avg_pool1d_backward(np.array([[[4., 8.]]]), np.zeros((1, 1, 3)), 2, stride=1)
array([[[2., 6., 4.]]])
""", how="", **_WITHOUT_OVERRIDE)
def avg_pool1d_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True):
    return _avg_backward(1, grad_output, x, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, None, naive=False)


@_doc(_AVG_BACKWARD, 2, """
>>> g = np.ones((1, 1, 1, 2))
>>> avg_pool2d_backward(g, np.zeros((1, 1, 2, 3)), 2, stride=1)
array([[[[0.25, 0.5 , 0.25],
         [0.25, 0.5 , 0.25]]]])
""", how="", **_WITH_OVERRIDE)
def avg_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    return _avg_backward(2, grad_output, x, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override, naive=False)


@_doc(_AVG_BACKWARD, 3, """
>>> avg_pool3d_backward(np.array([[[[[8.]]]]]), np.zeros((1, 1, 2, 2, 2)), 2)[0, 0, 0]
array([[1., 1.],
       [1., 1.]])
""", how="", **_WITH_OVERRIDE)
def avg_pool3d_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    return _avg_backward(3, grad_output, x, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override, naive=False)


@_doc(_AVG_BACKWARD, 1, """
>>> avg_pool1d_backward_naive(np.array([[[4.]]]), np.zeros((1, 1, 1)), 2, padding=1)
array([[[2.]]])
""", how=", written as loops", **_WITHOUT_OVERRIDE)
def avg_pool1d_backward_naive(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                              count_include_pad=True):
    return _avg_backward(1, grad_output, x, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, None, naive=True)


@_doc(_AVG_BACKWARD, 2, """
>>> g = np.array([[[[4.0]]]])
>>> avg_pool2d_backward_naive(g, np.zeros((1, 1, 1, 1)), 2, padding=1)
array([[[[1.]]]])
""", how=", written as loops", **_WITH_OVERRIDE)
def avg_pool2d_backward_naive(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                              count_include_pad=True, divisor_override=None):
    return _avg_backward(2, grad_output, x, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override, naive=True)


@_doc(_AVG_BACKWARD, 3, """
>>> avg_pool3d_backward_naive(np.array([[[[[8.]]]]]), np.zeros((1, 1, 1, 1, 1)), 2, padding=1)
array([[[[[1.]]]]])
""", how=", written as loops", **_WITH_OVERRIDE)
def avg_pool3d_backward_naive(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                              count_include_pad=True, divisor_override=None):
    return _avg_backward(3, grad_output, x, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override, naive=True)


# --------------------------------------------------------------------------
# Adaptive pooling
# --------------------------------------------------------------------------

@_adaptive_doc("avg", 1, False, """
>>> adaptive_avg_pool1d(np.array([[[1., 2., 3., 4., 5.]]]), 2)   # bins [0, 3) and [2, 5)
array([[[2., 4.]]])
""")
def adaptive_avg_pool1d(x, output_size):
    return _adaptive_avg(1, x, output_size, naive=False)


@_adaptive_doc("avg", 2, False, """
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> adaptive_avg_pool2d(x, 2)
array([[[[ 2.5,  4.5],
         [10.5, 12.5]]]])
>>> adaptive_avg_pool2d(x, (1, None)).shape
(1, 1, 1, 4)
""")
def adaptive_avg_pool2d(x, output_size):
    return _adaptive_avg(2, x, output_size, naive=False)


@_adaptive_doc("avg", 3, False, """
>>> adaptive_avg_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 1)
array([[[[[3.5]]]]])
""")
def adaptive_avg_pool3d(x, output_size):
    return _adaptive_avg(3, x, output_size, naive=False)


@_adaptive_doc("avg", 1, True, """
>>> adaptive_avg_pool1d_naive(np.array([[[1., 2., 3.]]]), 2)   # bins [0, 2) and [1, 3)
array([[[1.5, 2.5]]])
""")
def adaptive_avg_pool1d_naive(x, output_size):
    return _adaptive_avg(1, x, output_size, naive=True)


@_adaptive_doc("avg", 2, True, """
>>> adaptive_avg_pool2d_naive(np.arange(6.0).reshape(1, 1, 2, 3), 1)
array([[[[2.5]]]])
""")
def adaptive_avg_pool2d_naive(x, output_size):
    return _adaptive_avg(2, x, output_size, naive=True)


@_adaptive_doc("avg", 3, True, """
>>> adaptive_avg_pool3d_naive(np.arange(8.0).reshape(1, 1, 2, 2, 2), (1, 1, 2))
array([[[[[3., 4.]]]]])
""")
def adaptive_avg_pool3d_naive(x, output_size):
    return _adaptive_avg(3, x, output_size, naive=True)


@_adaptive_backward_doc("avg", 1, False, """
>>> adaptive_avg_pool1d_backward(np.array([[[3., 6.]]]), np.zeros((1, 1, 5)), 2)
array([[[1., 1., 3., 2., 2.]]])
""")
def adaptive_avg_pool1d_backward(grad_output, x, output_size):
    return _adaptive_avg_backward(1, grad_output, x, output_size, naive=False)


@_adaptive_backward_doc("avg", 2, False, """
>>> adaptive_avg_pool2d_backward(np.array([[[[4.]]]]), np.zeros((1, 1, 2, 2)), 1)
array([[[[1., 1.],
         [1., 1.]]]])
""")
def adaptive_avg_pool2d_backward(grad_output, x, output_size):
    return _adaptive_avg_backward(2, grad_output, x, output_size, naive=False)


@_adaptive_backward_doc("avg", 3, False, """
>>> adaptive_avg_pool3d_backward(np.array([[[[[2., 4.]]]]]), np.zeros((1, 1, 1, 1, 2)), (1, 1, 2))
array([[[[[2., 4.]]]]])
""")
def adaptive_avg_pool3d_backward(grad_output, x, output_size):
    return _adaptive_avg_backward(3, grad_output, x, output_size, naive=False)


@_adaptive_backward_doc("avg", 1, True, """
>>> adaptive_avg_pool1d_backward_naive(np.array([[[3., 6.]]]), np.zeros((1, 1, 5)), 2)
array([[[1., 1., 3., 2., 2.]]])
""")
def adaptive_avg_pool1d_backward_naive(grad_output, x, output_size):
    return _adaptive_avg_backward(1, grad_output, x, output_size, naive=True)


@_adaptive_backward_doc("avg", 2, True, """
>>> adaptive_avg_pool2d_backward_naive(np.array([[[[4.]]]]), np.zeros((1, 1, 1, 2)), 1)
array([[[[2., 2.]]]])
""")
def adaptive_avg_pool2d_backward_naive(grad_output, x, output_size):
    return _adaptive_avg_backward(2, grad_output, x, output_size, naive=True)


@_adaptive_backward_doc("avg", 3, True, """
>>> adaptive_avg_pool3d_backward_naive(np.array([[[[[6.]]]]]), np.zeros((1, 1, 1, 1, 3)), 1)
array([[[[[2., 2., 2.]]]]])
""")
def adaptive_avg_pool3d_backward_naive(grad_output, x, output_size):
    return _adaptive_avg_backward(3, grad_output, x, output_size, naive=True)


@_adaptive_doc("max", 1, False, """
>>> adaptive_max_pool1d(np.array([[[1., 5., 2., 4., 3.]]]), 2, return_indices=True)
(array([[[5., 4.]]]), array([[[1, 3]]]))
""")
def adaptive_max_pool1d(x, output_size, return_indices=False):
    return _adaptive_max(1, x, output_size, return_indices, naive=False)


@_adaptive_doc("max", 2, False, """
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> adaptive_max_pool2d(x, 2)
array([[[[ 5.,  7.],
         [13., 15.]]]])
>>> adaptive_max_pool2d(x, (1, 3), return_indices=True)[1]
array([[[[13, 14, 15]]]])
""")
def adaptive_max_pool2d(x, output_size, return_indices=False):
    return _adaptive_max(2, x, output_size, return_indices, naive=False)


@_adaptive_doc("max", 3, False, """
>>> adaptive_max_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 1, return_indices=True)
(array([[[[[7.]]]]]), array([[[[[7]]]]]))
""")
def adaptive_max_pool3d(x, output_size, return_indices=False):
    return _adaptive_max(3, x, output_size, return_indices, naive=False)


@_adaptive_doc("max", 1, True, """
>>> adaptive_max_pool1d_naive(np.array([[[2., 2., 1.]]]), 2, return_indices=True)
(array([[[2., 2.]]]), array([[[0, 1]]]))
""")
def adaptive_max_pool1d_naive(x, output_size, return_indices=False):
    return _adaptive_max(1, x, output_size, return_indices, naive=True)


@_adaptive_doc("max", 2, True, """
>>> adaptive_max_pool2d_naive(np.array([[[[1., 5.], [5., 2.]]]]), 1, return_indices=True)
(array([[[[5.]]]]), array([[[[1]]]]))
""")
def adaptive_max_pool2d_naive(x, output_size, return_indices=False):
    return _adaptive_max(2, x, output_size, return_indices, naive=True)


@_adaptive_doc("max", 3, True, """
>>> adaptive_max_pool3d_naive(np.arange(8.0).reshape(1, 1, 2, 2, 2), (2, 1, 1)).ravel()
array([3., 7.])
""")
def adaptive_max_pool3d_naive(x, output_size, return_indices=False):
    return _adaptive_max(3, x, output_size, return_indices, naive=True)


@_adaptive_backward_doc("max", 1, False, """
>>> adaptive_max_pool1d_backward(np.array([[[1., 2.]]]), np.array([[[0., 9., 0.]]]), 2)
array([[[0., 3., 0.]]])
""")
def adaptive_max_pool1d_backward(grad_output, x, output_size, return_indices=False):
    return _adaptive_max_backward(1, grad_output, x, output_size, return_indices, naive=False)


@_adaptive_backward_doc("max", 2, False, """
>>> x = np.array([[[[1., 5.], [5., 2.]]]])
>>> adaptive_max_pool2d_backward(np.array([[[[2.]]]]), x, 1)
array([[[[0., 2.],
         [0., 0.]]]])
""")
def adaptive_max_pool2d_backward(grad_output, x, output_size, return_indices=False):
    return _adaptive_max_backward(2, grad_output, x, output_size, return_indices, naive=False)


@_adaptive_backward_doc("max", 3, False, """
>>> adaptive_max_pool3d_backward(np.ones((1, 1, 1, 1, 1)), np.array([[[[[1., 3., 2.]]]]]), 1)
array([[[[[0., 1., 0.]]]]])
""")
def adaptive_max_pool3d_backward(grad_output, x, output_size, return_indices=False):
    return _adaptive_max_backward(3, grad_output, x, output_size, return_indices, naive=False)


@_adaptive_backward_doc("max", 1, True, """
>>> adaptive_max_pool1d_backward_naive(np.array([[[1., 2.]]]), np.array([[[0., 9., 0.]]]), 2)
array([[[0., 3., 0.]]])
""")
def adaptive_max_pool1d_backward_naive(grad_output, x, output_size, return_indices=False):
    return _adaptive_max_backward(1, grad_output, x, output_size, return_indices, naive=True)


@_adaptive_backward_doc("max", 2, True, """
>>> adaptive_max_pool2d_backward_naive(np.array([[[[2.]]]]), np.array([[[[1., 5.], [5., 2.]]]]), 1)
array([[[[0., 2.],
         [0., 0.]]]])
""")
def adaptive_max_pool2d_backward_naive(grad_output, x, output_size, return_indices=False):
    return _adaptive_max_backward(2, grad_output, x, output_size, return_indices, naive=True)


@_adaptive_backward_doc("max", 3, True, """
>>> adaptive_max_pool3d_backward_naive(np.ones((1, 1, 1, 1, 1)), np.array([[[[[1., 3., 2.]]]]]), 1)
array([[[[[0., 1., 0.]]]]])
""")
def adaptive_max_pool3d_backward_naive(grad_output, x, output_size, return_indices=False):
    return _adaptive_max_backward(3, grad_output, x, output_size, return_indices, naive=True)


# --------------------------------------------------------------------------
# Global pooling: adaptive pooling to one bin
# --------------------------------------------------------------------------

def global_max_pool2d(x):
    """Maximum over each whole channel plane: ``adaptive_max_pool2d(x, 1)``.

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
    ``out[n, c, 0, 0] = max_{h, w} x[n, c, h, w]`` (a NaN wins, as in torch).

    Examples
    --------
    >>> global_max_pool2d(np.array([[[[1., 5.], [3., 2.]]]]))
    array([[[[5.]]]])
    """
    return adaptive_max_pool2d(x, 1)


def global_avg_pool2d(x):
    """Mean over each whole channel plane: ``adaptive_avg_pool2d(x, 1)``.

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
    return adaptive_avg_pool2d(x, 1)


def global_max_pool2d_backward(grad_output, x):
    """Gradient of :func:`global_max_pool2d`: ``adaptive_max_pool2d_backward(grad_output, x, 1)``.

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
    A NaN counts as the maximum; with several, the last, as torch's index.

    Examples
    --------
    >>> x = np.array([[[[1., 5.], [5., 2.]]]])
    >>> global_max_pool2d_backward(np.array([[[[2.]]]]), x)
    array([[[[0., 2.],
             [0., 0.]]]])
    """
    return adaptive_max_pool2d_backward(grad_output, x, 1)


def global_avg_pool2d_backward(grad_output, x):
    """Gradient of :func:`global_avg_pool2d`: ``adaptive_avg_pool2d_backward(grad_output, x, 1)``.

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
    return adaptive_avg_pool2d_backward(grad_output, x, 1)
