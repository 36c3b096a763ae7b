"""Layers: each a :class:`~convcourse.nn.module.Module` with ``forward`` and ``backward``.

Names, argument order, hyperparameter attributes and weight layouts are
torch's (``Conv2d.weight`` is ``(out_channels, in_channels/groups, kH, kW)``,
``Linear.weight`` is ``(out_features, in_features)``), so a model can be
rebuilt from its layers' types and attributes and weights copied to and from
``torch.nn``.  The arithmetic is done by the reference operations in
:mod:`convcourse.conv` and :mod:`convcourse.pooling`; nothing is
re-implemented here.

Every ``backward(grad_output)`` returns the gradient with respect to the
input of the last ``forward`` and adds the parameter gradients into
``Parameter.grad``.
"""

from __future__ import annotations

import math

import numpy as np

from .._padding import resolve_padding
from ..conv import conv2d, conv2d_backward
from ..pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from .._validation import (
    _describe,
    as_network_array,
    check_bool,
    check_int,
    check_ndim,
    check_shape,
    ntuple,
)
from .module import Module, Parameter

__all__ = [
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool2d",
    "ReLU",
    "Flatten",
    "Linear",
    "Sequential",
]


def _float_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be a floating dtype, got {dtype!r}") from exc
    if dt.kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {dtype!r}")
    return dt


def _uniform(rng, bound: float, shape: tuple, dtype: np.dtype) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def _check_grad_output(grad_output, shape: tuple) -> np.ndarray:
    grad_output = as_network_array(grad_output, "grad_output")
    check_shape(grad_output, shape, "grad_output")
    return grad_output


class Linear(Module):
    """A fully connected layer, ``y = x W^T + b`` (torch's ``nn.Linear``).

    Parameters
    ----------
    in_features : int
        Size of each input sample, ``F_in``.
    out_features : int
        Size of each output sample, ``F_out``.
    bias : bool, optional
        Whether to learn an additive bias (default True).
    rng : numpy.random.Generator or int or None, optional
        Source of the initial weights (a seed is accepted).
    dtype : floating dtype, optional
        dtype of the parameters (default float64).

    Attributes
    ----------
    weight : Parameter, shape (F_out, F_in)
    bias : Parameter, shape (F_out,), or None

    Notes
    -----
    Forward: ``y = x W^T + b``.  Backward, for ``g = dL/dy`` of shape
    ``(N, F_out)``: ``dL/dx = g W``, ``dL/dW = g^T x``, ``dL/db = sum_n g``.
    Initialisation is torch's: ``W`` and ``b`` uniform in
    ``[-1/sqrt(F_in), 1/sqrt(F_in)]`` (Kaiming-uniform with ``a = sqrt(5)``).

    Examples
    --------
    >>> layer = Linear(3, 2, rng=0)
    >>> layer
    Linear(in_features=3, out_features=2, bias=True)
    >>> layer.forward(np.ones((4, 3))).shape
    (4, 2)
    """

    _param_names = ("weight", "bias")

    def __init__(self, in_features, out_features, bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        self.in_features = check_int(in_features, "in_features", minimum=1)
        self.out_features = check_int(out_features, "out_features", minimum=1)
        use_bias = check_bool(bias, "bias")
        dt = _float_dtype(dtype)
        rng = np.random.default_rng(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = Parameter(_uniform(rng, bound, (self.out_features, self.in_features), dt))
        self.bias = Parameter(_uniform(rng, bound, (self.out_features,), dt)) if use_bias else None
        self._x = None

    def forward(self, x):
        """Return ``x W^T + b``, shape (N, F_out), for ``x`` of shape (N, F_in)."""
        x = as_network_array(x, "x")
        check_ndim(x, 2, "x", "(N, in_features)")
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"x must have in_features={self.in_features} columns, got shape {x.shape}"
            )
        self._x = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y = y + self.bias.data
        return y

    def backward(self, grad_output):
        """Return ``dL/dx``, shape (N, F_in); accumulate ``dL/dW`` and ``dL/db``."""
        x = self._cached("_x")
        g = _check_grad_output(grad_output, (x.shape[0], self.out_features))
        self.weight.accumulate(g.T @ x)
        if self.bias is not None:
            self.bias.accumulate(g.sum(axis=0))
        return g @ self.weight.data

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    """Rectified linear unit, ``y = max(x, 0)``, element-wise.

    Notes
    -----
    Backward: ``dL/dx = dL/dy * [x > 0]`` (the gradient at 0 is 0, as in torch).

    Examples
    --------
    >>> relu = ReLU()
    >>> relu.forward(np.array([[-1.0, 0.0, 2.0]]))
    array([[0., 0., 2.]])
    >>> relu.backward(np.array([[5.0, 5.0, 5.0]]))
    array([[0., 0., 5.]])
    """

    def __init__(self):
        super().__init__()
        self._mask = None

    def forward(self, x):
        """Return ``max(x, 0)``, same shape as ``x``."""
        x = as_network_array(x, "x")
        self._mask = x > 0
        return np.where(self._mask, x, np.zeros((), dtype=x.dtype))

    def backward(self, grad_output):
        """Return ``grad_output * [x > 0]``."""
        mask = self._cached("_mask")
        g = _check_grad_output(grad_output, mask.shape)
        return np.where(mask, g, np.zeros((), dtype=g.dtype))


class Flatten(Module):
    """Flatten the axes ``start_dim..end_dim`` into one (torch's ``nn.Flatten``).

    Parameters
    ----------
    start_dim : int, optional
        First axis to flatten (default 1: keep the batch axis).
    end_dim : int, optional
        Last axis to flatten (default -1).

    Notes
    -----
    ``(N, C, H, W) -> (N, C*H*W)`` with the defaults; backward reshapes the
    gradient back to the input's shape.

    Examples
    --------
    >>> Flatten().forward(np.zeros((2, 3, 4, 5))).shape
    (2, 60)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = check_int(start_dim, "start_dim")
        self.end_dim = check_int(end_dim, "end_dim")
        self._shape = None

    def forward(self, x):
        """Return ``x`` with axes ``start_dim..end_dim`` merged."""
        x = as_network_array(x, "x")
        nd = x.ndim
        start = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        end = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not 0 <= start < max(nd, 1):
            raise ValueError(f"start_dim must be an axis of x (ndim {nd}), got {self.start_dim}")
        if not start <= end < max(nd, 1):
            raise ValueError(
                f"end_dim must be an axis of x (ndim {nd}) not before start_dim, got {self.end_dim}"
            )
        self._shape = x.shape
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])

    def backward(self, grad_output):
        """Return ``grad_output`` reshaped to the input's shape."""
        shape = self._cached("_shape")
        g = as_network_array(grad_output, "grad_output")
        if g.size != math.prod(shape):
            raise ValueError(
                f"grad_output must have {math.prod(shape)} elements to reshape to {shape}, "
                f"got shape {g.shape}"
            )
        return g.reshape(shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Conv2d(Module):
    """2-D convolution layer (torch's ``nn.Conv2d``; cross-correlation, NCHW).

    Parameters
    ----------
    in_channels : int
        Channels of the input, ``C``.
    out_channels : int
        Channels of the output (number of filters), ``F``.
    kernel_size : int or tuple (kH, kW)
    stride : int or tuple (sH, sW), optional
    padding : int, tuple (pH, pW), 'valid' or 'same', optional
        Zero padding; 'same' needs stride 1.
    dilation : int or tuple (dH, dW), optional
    groups : int, optional
        Must divide both ``in_channels`` and ``out_channels``.
    bias : bool, optional
    rng : numpy.random.Generator or int or None, optional
        Source of the initial weights.
    dtype : floating dtype, optional
        dtype of the parameters (default float64).

    Attributes
    ----------
    weight : Parameter, shape (F, C/groups, kH, kW)
    bias : Parameter, shape (F,), or None
    kernel_size, stride, dilation : tuple of 2 ints
    padding : tuple of 2 ints, or the string 'valid' / 'same'

    Notes
    -----
    ``y[n, f] = b[f] + sum_c x_pad[n, c] * w[f, c]`` (cross-correlation over
    the channels of ``f``'s group), computed by :func:`convcourse.conv.conv2d`;
    ``H_out = floor((H + 2P - D(K-1) - 1)/S) + 1``.  Backward is
    :func:`convcourse.conv.conv2d_backward`.  Initialisation is torch's:
    uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` with
    ``fan_in = C/groups * kH * kW`` (Kaiming-uniform with ``a = sqrt(5)``).

    Examples
    --------
    >>> conv = Conv2d(1, 4, 3, padding=1, rng=0)
    >>> conv
    Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> conv.weight.shape
    (4, 1, 3, 3)
    >>> conv.forward(np.zeros((2, 1, 8, 8))).shape
    (2, 4, 8, 8)
    """

    _param_names = ("weight", "bias")

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", minimum=1)
        self.kernel_size = ntuple(kernel_size, 2, "kernel_size")
        self.stride = ntuple(stride, 2, "stride")
        self.dilation = ntuple(dilation, 2, "dilation")
        self.groups = check_int(groups, "groups", minimum=1)
        if self.in_channels % self.groups:
            raise ValueError(
                f"in_channels must be divisible by groups={self.groups}, got {self.in_channels}"
            )
        if self.out_channels % self.groups:
            raise ValueError(
                f"out_channels must be divisible by groups={self.groups}, got {self.out_channels}"
            )
        resolve_padding(padding, self.kernel_size, self.stride, self.dilation)  # validates
        self.padding = padding if isinstance(padding, str) else ntuple(padding, 2, "padding",
                                                                       minimum=0)
        use_bias = check_bool(bias, "bias")
        dt = _float_dtype(dtype)
        rng = np.random.default_rng(rng)
        fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(_uniform(rng, bound, shape, dt))
        self.bias = Parameter(_uniform(rng, bound, (self.out_channels,), dt)) if use_bias else None
        self._x = None

    def forward(self, x):
        """Return the convolution of ``x`` (N, C, H, W): shape (N, F, H_out, W_out)."""
        x = as_network_array(x, "x")
        out = conv2d(x, self.weight.data, None if self.bias is None else self.bias.data,
                     stride=self.stride, padding=self.padding, dilation=self.dilation,
                     groups=self.groups)
        self._x = x
        self._out_shape = out.shape
        return out

    def backward(self, grad_output):
        """Return ``dL/dx`` (N, C, H, W); accumulate ``dL/dweight`` and ``dL/dbias``."""
        x = self._cached("_x")
        g = _check_grad_output(grad_output, self._out_shape)
        grad_input, grad_weight, grad_bias = conv2d_backward(
            g, x, self.weight.data, stride=self.stride, padding=self.padding,
            dilation=self.dilation, groups=self.groups)
        self.weight.accumulate(grad_weight)
        if self.bias is not None:
            self.bias.accumulate(grad_bias)
        return grad_input

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"  # torch prints padding=same, unquoted
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class MaxPool2d(Module):
    """2-D max pooling layer (torch's ``nn.MaxPool2d``).

    Parameters
    ----------
    kernel_size : int or tuple (kH, kW)
    stride : int or tuple (sH, sW) or None, optional
        Default: ``kernel_size``.
    padding : int or tuple (pH, pW), optional
        Implicit ``-inf`` padding, at most half the kernel size.
    dilation : int or tuple (dH, dW), optional
    ceil_mode : bool, optional
        Round the output size up instead of down.

    Notes
    -----
    ``y[n, c, i, j] = max`` over the window at ``(i*sH, j*sW)``;
    ``H_out = floor((H + 2P - D(K-1) - 1)/S) + 1``.  Backward sends each
    output gradient to the first maximum of its window (row-major), as
    torch does, via :func:`convcourse.pooling.max_pool2d_backward`.

    Examples
    --------
    >>> pool = MaxPool2d(2)
    >>> pool
    MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False)
    >>> pool.forward(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 2, "kernel_size")
        self.stride = self.kernel_size if stride is None else ntuple(stride, 2, "stride")
        self.padding = ntuple(padding, 2, "padding", minimum=0)
        self.dilation = ntuple(dilation, 2, "dilation")
        self.ceil_mode = check_bool(ceil_mode, "ceil_mode")
        self._x = None

    def _kwargs(self) -> dict:
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                    dilation=self.dilation, ceil_mode=self.ceil_mode)

    def forward(self, x):
        """Return the pooled ``x`` (N, C, H, W): shape (N, C, H_out, W_out)."""
        x = as_network_array(x, "x")
        out = max_pool2d(x, **self._kwargs())
        self._x = x
        self._out_shape = out.shape
        return out

    def backward(self, grad_output):
        """Return ``dL/dx``, shape (N, C, H, W)."""
        x = self._cached("_x")
        g = _check_grad_output(grad_output, self._out_shape)
        return max_pool2d_backward(g, x, **self._kwargs())

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """2-D average pooling layer (torch's ``nn.AvgPool2d``).

    Parameters
    ----------
    kernel_size : int or tuple (kH, kW)
    stride : int or tuple (sH, sW) or None, optional
        Default: ``kernel_size``.
    padding : int or tuple (pH, pW), optional
        Implicit zero padding, at most half the kernel size.
    ceil_mode : bool, optional
    count_include_pad : bool, optional
        Whether the padded zeros count in the divisor (default True).

    Notes
    -----
    ``y[n, c, i, j] = (1/|window|) sum`` over the window;
    ``H_out = floor((H + 2P - K)/S) + 1``.  Backward spreads each output
    gradient evenly over its window (:func:`convcourse.pooling.avg_pool2d_backward`).

    Examples
    --------
    >>> AvgPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 2, "kernel_size")
        self.stride = self.kernel_size if stride is None else ntuple(stride, 2, "stride")
        self.padding = ntuple(padding, 2, "padding", minimum=0)
        self.ceil_mode = check_bool(ceil_mode, "ceil_mode")
        self.count_include_pad = check_bool(count_include_pad, "count_include_pad")
        self._x = None

    def _kwargs(self) -> dict:
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                    ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad)

    def forward(self, x):
        """Return the pooled ``x`` (N, C, H, W): shape (N, C, H_out, W_out)."""
        x = as_network_array(x, "x")
        out = avg_pool2d(x, **self._kwargs())
        self._x = x
        self._out_shape = out.shape
        return out

    def backward(self, grad_output):
        """Return ``dL/dx``, shape (N, C, H, W)."""
        x = self._cached("_x")
        g = _check_grad_output(grad_output, self._out_shape)
        return avg_pool2d_backward(g, x, **self._kwargs())

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}, count_include_pad={self.count_include_pad}")


class GlobalAvgPool2d(Module):
    """Average over all spatial positions: (N, C, H, W) -> (N, C, 1, 1).

    torch's equivalent is ``nn.AdaptiveAvgPool2d(1)``.

    Notes
    -----
    ``y[n, c] = (1/(H W)) sum_{i,j} x[n, c, i, j]``; backward gives every
    position ``dL/dy[n, c] / (H W)``.

    Examples
    --------
    >>> GlobalAvgPool2d().forward(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[[[1.5]],
    <BLANKLINE>
            [[5.5]]]])
    """

    def __init__(self):
        super().__init__()
        self._x = None

    def forward(self, x):
        """Return the spatial mean of ``x`` (N, C, H, W): shape (N, C, 1, 1)."""
        x = as_network_array(x, "x")
        out = global_avg_pool2d(x)
        self._x = x
        return out

    def backward(self, grad_output):
        """Return ``dL/dx``, shape (N, C, H, W)."""
        x = self._cached("_x")
        g = _check_grad_output(grad_output, x.shape[:2] + (1, 1))
        return global_avg_pool2d_backward(g, x)


class Sequential(Module):
    """A chain of layers: ``forward`` runs them in order, ``backward`` in reverse.

    Parameters
    ----------
    *layers : Module
        The layers, in order.  Parameters are named ``"<index>.<name>"`` as in
        torch (``"0.weight"``), so ``state_dict`` keys match torch's.

    Examples
    --------
    >>> model = Sequential(Flatten(), Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=1))
    >>> model
    Sequential(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Linear(in_features=4, out_features=3, bias=True)
      (2): ReLU()
      (3): Linear(in_features=3, out_features=2, bias=True)
    )
    >>> model.forward(np.ones((5, 1, 2, 2))).shape
    (5, 2)
    >>> [name for name, _ in model.named_parameters()]
    ['1.weight', '1.bias', '3.weight', '3.bias']
    """

    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"layers must be Module instances, got {_describe(layer)} at position {i}"
                )
        self.layers = list(layers)

    def forward(self, x):
        """Run ``x`` through every layer in order and return the last output."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_output):
        """Run ``grad_output`` back through the layers; return ``dL/dx``."""
        for layer in reversed(self.layers):
            grad_output = layer.backward(grad_output)
        return grad_output

    def named_parameters(self, prefix: str = ""):
        """Yield ``("<index>.<name>", Parameter)`` pairs, as torch names them."""
        for i, layer in enumerate(self.layers):
            yield from layer.named_parameters(prefix=f"{prefix}{i}.")

    def train(self, mode: bool = True) -> "Sequential":
        """Set training mode on this model and every layer."""
        super().train(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        if not self.layers:
            return "Sequential()"
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
