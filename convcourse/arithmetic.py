"""Convolution arithmetic: output sizes, parameter counts, multiplications, receptive fields.

These are the numbers a course asks students to work out by hand: how big the
output of a layer is, how many weights it has, how many multiplications one
image costs, and how far into the input a unit of a deep layer can see.  All
sizes go through the package's one output-size formula
(:func:`convcourse._padding.output_length`).
"""

from __future__ import annotations

import math

from ._padding import output_size, resolve_padding
from ._validation import _describe, check_bool, check_int, ntuple

__all__ = [
    "conv_output_size",
    "conv_params",
    "conv_mults",
    "depthwise_separable_mults",
    "receptive_field",
]


def _spatial_output(sizes, kernel_size, stride, padding, dilation, ceil_mode, nd,
                    input_name="size", input_shape=None):
    """Output size per axis, validated; raises when an axis would be empty."""
    kernel = ntuple(kernel_size, nd, "kernel_size")
    strides = ntuple(stride, nd, "stride")
    dilations = ntuple(dilation, nd, "dilation")
    pads = resolve_padding(padding, kernel, strides, dilations)
    return output_size(sizes, kernel, strides, pads, dilations, ceil_mode, kernel_name="kernel_size",
                       input_name=input_name, input_shape=input_shape)


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1, ceil_mode=False):
    """Output size of a convolution or pooling layer.

    Parameters
    ----------
    size : int or tuple of int, shape (n_dims,)
        Input length (``W``), or one length per spatial axis (``(H, W)``,
        ``(D, H, W)``, ...).
    kernel_size : int or tuple of int
        A single number or one per axis, e.g. ``(kH, kW)``.
    stride : int or tuple of int, optional
        A single number or one per axis, ``(sH, sW)``.  Default 1.
    padding : int, tuple of int, or str {'valid', 'same'}, optional
        Zeros added on both sides of each axis, as in torch.  ``'same'``
        requires stride 1.  Default 0.
    dilation : int or tuple of int, optional
        Spacing between kernel elements; 1 means no dilation.  Default 1.
    ceil_mode : bool, optional
        Round the division up instead of down, as torch's pooling layers do
        (the last window must still start inside the input or the left
        padding).  Default False.

    Returns
    -------
    int or tuple of int
        An int when ``size`` is an int, otherwise a tuple with one length
        per axis.

    Raises
    ------
    TypeError
        If a size is not an int (for example ``1.5``), or ``ceil_mode`` is not
        a bool.
    ValueError
        If a size is below 1 (padding below 0), tuples have different lengths,
        ``padding='same'`` is used with a stride above 1, or the output would
        be empty (the dilated kernel is larger than the padded input).

    Notes
    -----
    For each axis, with input size ``H``, padding ``P`` on each side, kernel
    size ``K``, stride ``S`` and dilation ``D``:

    .. math:: H_{out} = \\left\\lfloor \\frac{H + 2P - D(K-1) - 1}{S} \\right\\rfloor + 1

    Examples
    --------
    >>> conv_output_size(15, 3)
    13
    >>> conv_output_size((32, 32), 3, stride=2, padding=1)
    (16, 16)
    >>> conv_output_size(7, 3, dilation=2)
    3
    >>> conv_output_size(5, 2, stride=2, ceil_mode=True)
    3
    """
    scalar = not isinstance(size, (tuple, list))
    if scalar:
        sizes = (check_int(size, "size", minimum=1),)
    else:
        if len(size) == 0:
            raise ValueError(f"size must be an int or a non-empty tuple of ints, got {size!r}")
        sizes = ntuple(size, len(size), "size")
    check_bool(ceil_mode, "ceil_mode")
    out = _spatial_output(sizes, kernel_size, stride, padding, dilation, ceil_mode, len(sizes))
    return out[0] if scalar else out


def conv_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
    """Number of learnable parameters of a convolution layer.

    Parameters
    ----------
    in_channels : int
        Input channels ``C``.
    out_channels : int
        Output channels (filters) ``K``.
    kernel_size : int or tuple of int
        An int means a square 2-D kernel ``(k, k)``; a tuple gives the kernel
        size per axis (``(kW,)``, ``(kH, kW)``, ``(kD, kH, kW)``).
    bias : bool, optional
        Whether the layer has one bias per output channel.  Default True.
    groups : int, optional
        Number of groups; must divide both ``in_channels`` and
        ``out_channels``.  Default 1.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a count is below 1 or ``groups`` does not divide the channels.

    Notes
    -----
    The weight has shape ``(K, C/groups, kH, kW)``, so

    .. math:: \\text{params} = K \\cdot k_H k_W \\cdot C/\\text{groups} + K\\,[\\text{bias}]

    Examples
    --------
    >>> conv_params(3, 10, 3)              # 10 * (3*3*3 + 1)
    280
    >>> conv_params(64, 64, 3, bias=False, groups=64)   # depthwise
    576
    >>> conv_params(16, 32, (3, 3, 3))
    13856
    """
    c_in = check_int(in_channels, "in_channels", minimum=1)
    c_out = check_int(out_channels, "out_channels", minimum=1)
    g = _check_groups(groups, c_in, c_out)
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) == 0:
            raise ValueError(f"kernel_size must be an int or a non-empty tuple, got {kernel_size!r}")
        kernel = ntuple(kernel_size, len(kernel_size), "kernel_size")
    else:
        kernel = ntuple(kernel_size, 2, "kernel_size")
    check_bool(bias, "bias")
    return c_out * math.prod(kernel) * (c_in // g) + (c_out if bias else 0)


def _check_groups(groups, c_in, c_out):
    g = check_int(groups, "groups", minimum=1)
    if c_in % g or c_out % g:
        raise ValueError(
            f"groups must divide in_channels ({c_in}) and out_channels ({c_out}), got groups={g}"
        )
    return g


def _check_input_shape(input_shape):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(
            f"input_shape must be a tuple (C, H, W) for one image, got {_describe(input_shape)}"
        )
    return ntuple(input_shape, 3, "input_shape")


def conv_mults(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1):
    """Multiplications a 2-D convolution layer performs on one image.

    Parameters
    ----------
    input_shape : tuple of int, shape (3,)
        ``(C, H, W)``: channels, height and width of one image (no batch).
    out_channels : int
        Number of filters ``K``.
    kernel_size : int or tuple of int
        ``k`` or ``(kH, kW)``.
    stride, padding, dilation : int or tuple of int, optional
        As in :func:`conv_output_size` (``padding`` may also be ``'valid'``
        or ``'same'``).
    groups : int, optional
        Must divide ``C`` and ``K``.  Default 1.

    Returns
    -------
    int

    Raises
    ------
    TypeError, ValueError
        On invalid arguments, or when the output would be empty.

    Notes
    -----
    Each of the ``H_out W_out K`` outputs is a dot product over
    ``kH kW C/groups`` inputs:

    .. math:: \\text{mults} = H_{out} W_{out} \\cdot K \\cdot k_H k_W \\cdot C/\\text{groups}

    Bias additions are not counted.

    Examples
    --------
    >>> conv_mults((3, 15, 15), 10, 3)     # 13 * 13 * 10 * (3*3*3)
    45630
    """
    c, h, w = _check_input_shape(input_shape)
    k = check_int(out_channels, "out_channels", minimum=1)
    g = _check_groups(groups, c, k)
    kh, kw = ntuple(kernel_size, 2, "kernel_size")
    h_out, w_out = _spatial_output((h, w), (kh, kw), stride, padding, dilation, False, 2,
                                   "input_shape", input_shape)
    return h_out * w_out * k * kh * kw * (c // g)


def depthwise_separable_mults(input_shape, out_channels, kernel_size, stride=1, padding=0,
                              dilation=1):
    """Multiplications of a depthwise-separable convolution on one image.

    A depthwise convolution (one ``kH x kW`` filter per input channel,
    ``groups=C``) followed by a pointwise ``1 x 1`` convolution from ``C`` to
    ``K`` channels, as in MobileNet.

    Parameters
    ----------
    input_shape : tuple of int, shape (3,)
        ``(C, H, W)`` of one image.
    out_channels : int
        Output channels ``K`` of the pointwise step.
    kernel_size : int or tuple of int
        Depthwise kernel ``k`` or ``(kH, kW)``.
    stride, padding, dilation : int or tuple of int, optional
        Of the depthwise step, as in :func:`conv_output_size`.

    Returns
    -------
    int

    Raises
    ------
    TypeError, ValueError
        On invalid arguments, or when the output would be empty.

    Notes
    -----
    .. math:: \\underbrace{H_{out} W_{out} \\cdot C \\cdot k_H k_W}_{\\text{depthwise}}
              + \\underbrace{H_{out} W_{out} \\cdot C \\cdot K}_{\\text{pointwise}}

    Compared with :func:`conv_mults` the cost shrinks by the factor
    ``1/K + 1/(kH kW)``.

    Examples
    --------
    >>> depthwise_separable_mults((3, 15, 15), 10, 3)   # 13*13*3*9 + 13*13*3*10
    9633
    """
    c, h, w = _check_input_shape(input_shape)
    k = check_int(out_channels, "out_channels", minimum=1)
    kh, kw = ntuple(kernel_size, 2, "kernel_size")
    h_out, w_out = _spatial_output((h, w), (kh, kw), stride, padding, dilation, False, 2,
                                   "input_shape", input_shape)
    return h_out * w_out * c * kh * kw + h_out * w_out * c * k


def receptive_field(layers):
    """Receptive field, in input pixels, of a unit after a stack of layers.

    Parameters
    ----------
    layers : sequence of tuple
        One ``(kernel_size, stride)`` or ``(kernel_size, stride, dilation)``
        per layer, first layer first, each entry an int (convolutions and
        pooling layers count alike).  An empty sequence gives 1.

    Returns
    -------
    int
        The side length of the input region one output unit depends on.

    Raises
    ------
    TypeError
        If ``layers`` is not a sequence of tuples of ints.
    ValueError
        If a layer has the wrong length or a value below 1.

    Notes
    -----
    With ``r_0 = 1`` and ``j_0 = 1`` (the distance, in input pixels, between
    neighbouring units of the current layer):

    .. math:: r_l = r_{l-1} + (k_l - 1)\\, d_l \\prod_{i<l} s_i, \\qquad
              j_l = j_{l-1} s_l

    Two stacked 3x3 layers see 5x5 pixels, three see 7x7: the reason VGG
    replaces large kernels by stacks of 3x3 ones.

    Examples
    --------
    >>> receptive_field([(3, 1), (3, 1)])
    5
    >>> receptive_field([(3, 1), (2, 2), (3, 1)])
    8
    >>> receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])
    15
    """
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a sequence of (kernel_size, stride[, dilation]) tuples, "
                        f"got {_describe(layers)}")
    field, jump = 1, 1
    for index, layer in enumerate(layers):
        name = f"layers[{index}]"
        if not isinstance(layer, (tuple, list)):
            raise TypeError(f"{name} must be a tuple (kernel_size, stride[, dilation]), "
                            f"got {_describe(layer)}")
        if len(layer) == 2:
            (k, s), d = layer, 1
        elif len(layer) == 3:
            k, s, d = layer
        else:
            raise ValueError(f"{name} must be (kernel_size, stride) or "
                             f"(kernel_size, stride, dilation), got {_describe(layer)}")
        k = check_int(k, f"{name} kernel_size", minimum=1)
        s = check_int(s, f"{name} stride", minimum=1)
        d = check_int(d, f"{name} dilation", minimum=1)
        field += (k - 1) * d * jump
        jump *= s
    return field
