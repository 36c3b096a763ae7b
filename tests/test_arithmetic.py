"""Tests for convcourse.arithmetic: sizes, parameter counts, multiplications, receptive fields."""

import numpy as np
import pytest
import scipy.signal

from convcourse.arithmetic import (
    conv_mults,
    conv_output_size,
    conv_params,
    depthwise_separable_mults,
    receptive_field,
)


# --- conv_output_size -----------------------------------------------------------------

@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((15, 3), {}, 13),
        ((32, 3), {"padding": 1}, 32),
        ((32, 3), {"stride": 2, "padding": 1}, 16),   # floor(31/2) + 1
        ((7, 3), {"dilation": 2}, 3),                 # dilated kernel spans 5
        ((5, 2), {"stride": 2}, 2),
        ((5, 2), {"stride": 2, "ceil_mode": True}, 3),
        ((10, 3), {"padding": "same"}, 10),
        ((10, 4), {"padding": "same", "dilation": 3}, 10),
        ((10, 3), {"padding": "valid"}, 8),
        (((28, 20), (5, 3)), {"stride": (1, 2)}, (24, 9)),
        (((8, 9, 10), 3), {"padding": (0, 1, 2)}, (6, 9, 12)),
    ],
)
def test_conv_output_size_hand_worked(args, kwargs, expected):
    assert conv_output_size(*args, **kwargs) == expected


def test_conv_output_size_matches_actual_convolution(rng):
    """The formula gives the shape of a real strided, dilated, padded correlation."""
    for n, k, s, p, d in [(11, 3, 2, 1, 1), (12, 2, 3, 0, 2), (9, 4, 1, 2, 3), (6, 1, 4, 0, 1)]:
        x = np.pad(rng.standard_normal(n), p)
        dilated = np.zeros(d * (k - 1) + 1)
        dilated[::d] = 1.0
        full = scipy.signal.correlate(x, dilated, mode="valid")[::s]
        assert conv_output_size(n, k, s, p, d) == full.shape[0]


def test_conv_output_size_matches_torch_ceil_mode():
    torch = pytest.importorskip("torch")
    for n, k, s, p in [(5, 2, 2, 0), (6, 3, 2, 1), (7, 3, 3, 1), (10, 4, 3, 2)]:
        out = torch.nn.functional.max_pool1d(torch.zeros(1, 1, n), k, s, p, ceil_mode=True)
        assert conv_output_size(n, k, s, p, ceil_mode=True) == out.shape[-1]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"size": 2, "kernel_size": 3}, ValueError, r"the kernel is larger than the padded input: kernel_size gives kernel size 3.*size of shape 2"),
        ({"size": 5, "kernel_size": 3, "dilation": 3}, ValueError, r"dilation 3: spans 7\) but the padded input is 5"),
        ({"size": (5, 2), "kernel_size": 3}, ValueError, r"kernel size \(3, 3\).*padded input is \(5, 2\).*output size would be \(3, 0\)"),
        ({"size": 0, "kernel_size": 1}, ValueError, r"size must be >= 1, got 0"),
        ({"size": 5.0, "kernel_size": 3}, TypeError, r"size must be an int, got 5\.0"),
        ({"size": 5, "kernel_size": 3, "stride": 0}, ValueError, r"stride.*got 0"),
        ({"size": 5, "kernel_size": 3, "stride": 1.5}, TypeError, r"stride.*1\.5"),
        ({"size": 5, "kernel_size": 3, "padding": -1}, ValueError, r"padding.*-1"),
        ({"size": 5, "kernel_size": 3, "padding": "half"}, ValueError, r"padding.*'half'"),
        ({"size": 5, "kernel_size": 3, "padding": "same", "stride": 2}, ValueError, r"stride=2"),
        ({"size": (5, 5), "kernel_size": (3, 3, 3)}, ValueError, r"kernel_size.*\(3, 3, 3\)"),
        ({"size": 5, "kernel_size": 3, "ceil_mode": 1}, TypeError, r"ceil_mode.*1"),
    ],
)
def test_conv_output_size_rejects(kwargs, error, match):
    with pytest.raises(error, match=match):
        conv_output_size(**kwargs)


# --- conv_params ------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [1, 3, 64])
@pytest.mark.parametrize("filters", [1, 10, 128])
def test_conv_params_seed_formula(depth, filters):
    assert conv_params(depth, filters, 3) == filters * (3 * 3 * depth + 1)


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((3, 10, (5, 3)), {}, 10 * (5 * 3 * 3) + 10),
        ((3, 10, 3), {"bias": False}, 270),
        ((8, 16, 3), {"groups": 4}, 16 * 9 * 2 + 16),
        ((4, 6, (7,)), {}, 6 * 7 * 4 + 6),
        ((2, 5, (3, 3, 3)), {}, 5 * 27 * 2 + 5),
    ],
)
def test_conv_params_hand_worked(args, kwargs, expected):
    assert conv_params(*args, **kwargs) == expected


def test_conv_params_matches_torch():
    torch = pytest.importorskip("torch")
    for c, k, ks, bias, groups in [(3, 10, 3, True, 1), (8, 16, (3, 5), False, 4), (6, 6, 3, True, 6)]:
        layer = torch.nn.Conv2d(c, k, ks, bias=bias, groups=groups)
        assert conv_params(c, k, ks, bias=bias, groups=groups) == sum(p.numel() for p in layer.parameters())


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((3, 10, 3), {"groups": 2}, ValueError, r"groups must divide in_channels \(3\).*groups=2"),
        ((0, 10, 3), {}, ValueError, r"in_channels must be >= 1, got 0"),
        ((3, 10, 3), {"bias": "yes"}, TypeError, r"bias must be a bool, got 'yes'"),
        ((3, 10.0, 3), {}, TypeError, r"out_channels must be an int, got 10\.0"),
        ((3, 10, 0), {}, ValueError, r"kernel_size.*got 0"),
    ],
)
def test_conv_params_rejects(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        conv_params(*args, **kwargs)


# --- multiplications --------------------------------------------------------------------

def test_seed_example_mults():
    """15x15x3 input, ten 3x3 filters, no padding: the numbers of the seed lecture."""
    assert conv_mults((3, 15, 15), 10, 3) == 45_630            # 13*13*10*27
    assert depthwise_separable_mults((3, 15, 15), 10, 3) == 9_633  # 13*13*3*9 + 13*13*3*10


def test_bottleneck_saving():
    """A 1x1 layer cutting 256 channels to 64 before a 3x3 layer saves most multiplications."""
    direct = conv_mults((256, 28, 28), 256, 3, padding=1)
    reduce_ = conv_mults((256, 28, 28), 64, 1)
    bottleneck = reduce_ + conv_mults((64, 28, 28), 256, 3, padding=1)
    assert direct == 28 * 28 * 256 * 9 * 256
    assert bottleneck == 28 * 28 * 64 * 256 + 28 * 28 * 256 * 9 * 64
    # (64*256 + 9*64*256) / (9*256*256) = 10/36
    assert bottleneck / direct == pytest.approx(10 / 36)


@pytest.mark.parametrize(
    "input_shape, k, kwargs, expected",
    [
        ((3, 15, 15), 10, {"stride": 2}, 7 * 7 * 10 * 27),
        ((4, 10, 12), 6, {"kernel_size": (3, 5), "padding": (1, 2)}, 10 * 12 * 6 * 15 * 4),
        ((4, 10, 10), 8, {"groups": 2}, 8 * 8 * 8 * 9 * 2),
        ((2, 9, 9), 3, {"dilation": 2}, 5 * 5 * 3 * 9 * 2),
        ((1, 5, 5), 1, {"padding": "same"}, 25 * 9),
    ],
)
def test_conv_mults_hand_worked(input_shape, k, kwargs, expected):
    kwargs.setdefault("kernel_size", 3)
    assert conv_mults(input_shape, k, **kwargs) == expected


def test_depthwise_separable_is_depthwise_plus_pointwise():
    shape, k = (32, 20, 20), 64
    depthwise = conv_mults(shape, 32, 3, stride=2, padding=1, groups=32)
    pointwise = conv_mults((32, 10, 10), k, 1)
    assert depthwise_separable_mults(shape, k, 3, stride=2, padding=1) == depthwise + pointwise
    ratio = depthwise_separable_mults(shape, k, 3, padding=1) / conv_mults(shape, k, 3, padding=1)
    assert ratio == pytest.approx(1 / k + 1 / 9)


@pytest.mark.parametrize("func", [conv_mults, depthwise_separable_mults])
@pytest.mark.parametrize(
    "args, error, match",
    [
        (((15, 15), 10, 3), ValueError, r"input_shape must be a tuple \(C, H, W\).*\(15, 15\)"),
        (((3, 2, 15), 10, 3), ValueError, r"the kernel is larger than the padded input.*input_shape of shape \(3, 2, 15\)"),
        (((3, 15, 15), 0, 3), ValueError, r"out_channels must be >= 1, got 0"),
        (((3, 15.5, 15), 10, 3), TypeError, r"input_shape.*15\.5"),
    ],
)
def test_mults_reject(func, args, error, match):
    with pytest.raises(error, match=match):
        func(*args)


def test_conv_mults_rejects_bad_groups():
    with pytest.raises(ValueError, match=r"groups.*got groups=4"):
        conv_mults((6, 8, 8), 8, 3, groups=4)


# --- receptive field --------------------------------------------------------------------

@pytest.mark.parametrize(
    "layers, expected",
    [
        ([], 1),
        ([(3, 1)], 3),
        ([(3, 1), (3, 1)], 5),          # two 3x3 = one 5x5
        ([(3, 1)] * 3, 7),              # three 3x3 = one 7x7
        ([(7, 2), (3, 2)], 11),         # 7 + 2*2
        ([(3, 1), (2, 2), (3, 1)], 8),
        ([(3, 1, 2)], 5),
        ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15),
        ([(1, 2), (1, 2)], 1),
    ],
)
def test_receptive_field_hand_worked(layers, expected):
    assert receptive_field(layers) == expected


def _layer(x, kernel, stride, dilation):
    """One 2-D layer built from scipy only: dilated kernel, 'valid' correlation, subsampling."""
    k = kernel.shape[0]
    dilated = np.zeros((dilation * (k - 1) + 1,) * 2)
    dilated[::dilation, ::dilation] = kernel
    return scipy.signal.correlate2d(x, dilated, mode="valid")[::stride, ::stride]


@pytest.mark.parametrize(
    "layers",
    [
        [(3, 1), (3, 1)],
        [(3, 1), (3, 1), (3, 1)],
        [(5, 2), (3, 1)],
        [(3, 2), (3, 2), (2, 1)],
        [(3, 1, 2), (3, 1, 3)],
        [(2, 2, 1), (3, 1, 2)],
    ],
)
def test_receptive_field_brute_force(layers, rng):
    """Perturb each input pixel in turn; the pixels that move output (0, 0) span the field."""
    size = 24
    kernels = [rng.uniform(0.5, 1.5, size=(layer[0], layer[0])) for layer in layers]

    def network(x):
        for layer, kernel in zip(layers, kernels):
            k, s, d = (tuple(layer) + (1,))[:3]
            x = _layer(x, kernel, s, d)
        return x

    base = rng.uniform(size=(size, size))
    reference = network(base)[0, 0]
    moved = np.zeros((size, size), dtype=bool)
    for i in range(size):
        for j in range(size):
            probe = base.copy()
            probe[i, j] += 1.0
            moved[i, j] = network(probe)[0, 0] != reference
    rows, cols = np.nonzero(moved)
    expected = receptive_field(layers)
    assert rows.max() - rows.min() + 1 == expected
    assert cols.max() - cols.min() + 1 == expected
    assert expected < size  # the field fits, so the test could have failed


@pytest.mark.parametrize(
    "layers, error, match",
    [
        (3, TypeError, r"layers must be a sequence.*got 3"),
        ([3], TypeError, r"layers\[0\] must be a tuple.*got 3"),
        ([(3, 1), (3,)], ValueError, r"layers\[1\] must be \(kernel_size, stride\).*\(3,\)"),
        ([(3, 0)], ValueError, r"layers\[0\] stride must be >= 1, got 0"),
        ([(3, 1, 0)], ValueError, r"layers\[0\] dilation must be >= 1, got 0"),
        ([(2.5, 1)], TypeError, r"layers\[0\] kernel_size must be an int, got 2\.5"),
    ],
)
def test_receptive_field_rejects(layers, error, match):
    with pytest.raises(error, match=match):
        receptive_field(layers)
