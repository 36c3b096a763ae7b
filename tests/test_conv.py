"""Tests for ``convcourse.conv``: conv1d/2d/3d, their backward functions, the naive loops.

The oracle below is built only from ``scipy.signal.correlate``: explicit zero
padding, one 'valid' correlation per (image, output channel, input channel of
its group) summed over the group, subsampling for stride, and a zero-inserted
kernel for dilation.  torch is a second oracle in ``test_conv_torch.py``.
"""

import time
import warnings

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from conv_cases import ALL_CASES, SMALL_CASES, conv_kwargs, make_arrays
from convcourse.conv import (
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_naive,
    conv3d,
    conv3d_backward,
)

FORWARD = {1: conv1d, 2: conv2d, 3: conv3d}
BACKWARD = {1: conv1d_backward, 2: conv2d_backward, 3: conv3d_backward}


# --------------------------------------------------------------------------
# oracles
# --------------------------------------------------------------------------

def scipy_conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch's convolution rebuilt from scipy.signal.correlate alone."""
    nd = x.ndim - 2
    kernel = weight.shape[2:]
    as_tuple = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd  # noqa: E731
    stride, dilation = as_tuple(stride), as_tuple(dilation)
    if padding == "valid":
        pads = [(0, 0)] * nd
    elif padding == "same":  # torch puts the odd zero after
        pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation)]
    else:
        pads = [(p, p) for p in as_tuple(padding)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    # dilation: insert d - 1 zeros between kernel taps
    dilated = np.zeros(weight.shape[:2] + tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation)))
    dilated[(Ellipsis,) + tuple(slice(None, None, d) for d in dilation)] = weight
    c_out, c_group = weight.shape[:2]
    per_group = c_out // groups
    outs = []
    for n in range(x.shape[0]):
        channels = []
        for k in range(c_out):
            first = (k // per_group) * c_group
            acc = sum(
                scipy.signal.correlate(xp[n, first + c], dilated[k, c], mode="valid")
                for c in range(c_group)
            )
            acc = acc[tuple(slice(None, None, s) for s in stride)]  # stride: subsample
            channels.append(acc + (0.0 if bias is None else bias[k]))
        outs.append(channels)
    return np.array(outs)


def numerical_gradient(f, arr, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to each element of ``arr``."""
    grad = np.zeros_like(arr)
    for index in np.ndindex(arr.shape):
        old = arr[index]
        arr[index] = old + eps
        plus = f()
        arr[index] = old - eps
        minus = f()
        arr[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


# --------------------------------------------------------------------------
# forward against the scipy oracle
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nd, opts", ALL_CASES)
def test_forward_matches_scipy_oracle(nd, opts, rng):
    x, weight, bias = make_arrays(opts, rng)
    got = FORWARD[nd](x, weight, bias, **conv_kwargs(opts))
    expected = scipy_conv(x, weight, bias, **conv_kwargs(opts))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=40)
@given(
    data=st.data(),
    batch=st.integers(1, 2),
    groups=st.integers(1, 3),
    c_group=st.integers(1, 2),
    per_group=st.integers(1, 2),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
)
def test_conv2d_property_matches_scipy_oracle(data, batch, groups, c_group, per_group, kernel,
                                             stride, dilation, padding):
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    h = data.draw(st.integers(max(1, span[0] - 2 * padding[0]), 12), label="H")
    w = data.draw(st.integers(max(1, span[1] - 2 * padding[1]), 12), label="W")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.standard_normal((batch, groups * c_group, h, w))
    weight = rng.standard_normal((groups * per_group, c_group) + kernel)
    bias = rng.standard_normal(groups * per_group)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(conv2d(x, weight, bias, **kw), scipy_conv(x, weight, bias, **kw),
                               rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------
# hand-worked cases
# --------------------------------------------------------------------------

def test_conv1d_stride_and_dilation_by_hand():
    x = np.arange(1.0, 8.0).reshape(1, 1, 7)  # 1..7
    weight = np.array([[[1.0, 10.0]]])
    # taps 2 apart, windows 2 apart: x[2i] + 10 x[2i + 2]
    np.testing.assert_array_equal(conv1d(x, weight, stride=2, dilation=2), [[[31.0, 53.0, 75.0]]])


def test_same_padding_with_even_kernel_puts_the_extra_zero_after():
    x = np.array([[[1.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(conv1d(x, np.ones((1, 1, 2)), padding="same"), [[[3.0, 5.0, 3.0]]])


def test_conv2d_is_cross_correlation_not_convolution():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # an impulse: correlation returns the kernel flipped
    weight = np.arange(9.0).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(conv2d(x, weight, padding=1)[0, 0], weight[0, 0, ::-1, ::-1])


def test_groups_keep_channels_apart():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]])
    weight = np.array([2.0, 3.0]).reshape(2, 1, 1, 1)
    out = conv2d(x, weight, bias=np.array([0.5, -1.0]), groups=2)
    np.testing.assert_array_equal(out, [[2 * x[0, 0] + 0.5, 3 * x[0, 1] - 1.0]])


def test_conv2d_backward_by_hand():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    weight = np.array([[[[1.0, 2.0]]]])  # 1x2 kernel: out[i] = x[i, 0] + 2 x[i, 1]
    grad_output = np.array([[[[1.0], [10.0]]]])
    gx, gw, gb = conv2d_backward(grad_output, x, weight)
    np.testing.assert_array_equal(gx, [[[[1.0, 2.0], [10.0, 20.0]]]])
    np.testing.assert_array_equal(gw, [[[[1.0 + 30.0, 2.0 + 40.0]]]])
    np.testing.assert_array_equal(gb, [11.0])


def test_strided_backward_leaves_unreached_pixels_at_zero():
    x = np.ones((1, 1, 5))
    gx, _, _ = conv1d_backward(np.ones((1, 1, 2)), x, np.ones((1, 1, 2)), stride=3)
    np.testing.assert_array_equal(gx, [[[1.0, 1.0, 0.0, 1.0, 1.0]]])


# --------------------------------------------------------------------------
# backward: central differences
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nd, opts", SMALL_CASES)
def test_backward_matches_central_differences(nd, opts, rng):
    x, weight, bias = make_arrays(opts, rng)
    if bias is None:
        bias = np.zeros(opts["c_out"])
    kw = conv_kwargs(opts)
    out_shape = FORWARD[nd](x, weight, bias, **kw).shape
    grad_output = rng.standard_normal(out_shape)

    def loss():
        return float(np.sum(FORWARD[nd](x, weight, bias, **kw) * grad_output))

    gx, gw, gb = BACKWARD[nd](grad_output, x, weight, **kw)
    for analytic, arr in ((gx, x), (gw, weight), (gb, bias)):
        assert analytic.shape == arr.shape
        np.testing.assert_allclose(analytic, numerical_gradient(loss, arr), rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------
# naive loops against the vectorised version
# --------------------------------------------------------------------------

CASES_2D = [case for case in ALL_CASES if case.values[0] == 2]


@pytest.mark.parametrize("nd, opts", CASES_2D)
def test_naive_matches_vectorised(nd, opts, rng):
    x, weight, bias = make_arrays(opts, rng)
    kw = conv_kwargs(opts)
    out = conv2d(x, weight, bias, **kw)
    np.testing.assert_allclose(conv2d_naive(x, weight, bias, **kw), out, rtol=1e-12, atol=1e-12)
    grad_output = rng.standard_normal(out.shape)
    for naive, fast in zip(conv2d_backward_naive(grad_output, x, weight, **kw),
                           conv2d_backward(grad_output, x, weight, **kw)):
        np.testing.assert_allclose(naive, fast, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# dtypes and array handling
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "x_dtype, w_dtype, expected",
    [
        (np.float32, np.float32, np.float32),
        (np.float64, np.float64, np.float64),
        (np.float16, np.float16, np.float16),
        (np.float32, np.float64, np.float64),
        (np.int64, np.int64, np.float64),
        (np.int32, np.float32, np.float64),  # integers compute in float64 first
        (np.uint8, np.int16, np.float64),
        (np.bool_, np.float64, np.float64),
    ],
)
@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
def test_dtype_rules(fn, x_dtype, w_dtype, expected, rng):
    x = rng.integers(0, 2, (2, 2, 5, 5)).astype(x_dtype)
    weight = rng.integers(-2, 3, (3, 2, 3, 3)).astype(w_dtype)
    out = fn(x, weight, padding=1)
    assert out.dtype == expected
    exact = scipy_conv(x.astype(np.float64), weight.astype(np.float64), padding=1)
    np.testing.assert_array_equal(out, exact)  # small integers: exact in every float dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backward", [conv2d_backward, conv2d_backward_naive])
def test_backward_keeps_float_dtype(backward, dtype, rng):
    x = rng.standard_normal((2, 2, 5, 5)).astype(dtype)
    weight = rng.standard_normal((3, 2, 3, 3)).astype(dtype)
    grads = backward(rng.standard_normal((2, 3, 3, 3)).astype(dtype), x, weight)
    assert [g.dtype for g in grads] == [dtype] * 3


def test_backward_promotes_integer_inputs_to_float64():
    grads = conv1d_backward(np.ones((1, 1, 2), dtype=np.int32), np.ones((1, 1, 3), dtype=np.int8),
                            np.ones((1, 1, 2), dtype=np.int64))
    assert [g.dtype for g in grads] == [np.float64] * 3


def test_float32_agrees_with_float64(rng):
    x = rng.standard_normal((2, 8, 12, 12))
    weight = rng.standard_normal((4, 8, 3, 3))
    out32 = conv2d(x.astype(np.float32), weight.astype(np.float32), padding=1, stride=2)
    np.testing.assert_allclose(out32, conv2d(x, weight, padding=1, stride=2), rtol=1e-4, atol=1e-4)


def test_accepts_lists_and_non_contiguous_views(rng):
    x = rng.standard_normal((2, 3, 6, 5))
    weight = rng.standard_normal((2, 3, 2, 2))
    expected = conv2d(x, weight, stride=(1, 2))
    x_view = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    np.testing.assert_allclose(conv2d(x_view, weight, stride=(1, 2)), expected, rtol=1e-12)
    np.testing.assert_allclose(conv2d(x.tolist(), weight.tolist(), stride=(1, 2)), expected, rtol=1e-12)
    wide = np.zeros((2, 3, 6, 10))
    wide[..., ::2] = x
    np.testing.assert_allclose(conv2d(wide[..., ::2], weight, stride=(1, 2)), expected, rtol=1e-12)


def test_inputs_are_not_modified(rng):
    x, weight, bias = rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((4, 2, 3, 3)), np.ones(4)
    grad_output = rng.standard_normal((2, 4, 2, 2))
    copies = [a.copy() for a in (x, weight, bias, grad_output)]
    conv2d(x, weight, bias, stride=2, padding=1, dilation=2, groups=2)
    conv2d_backward(grad_output, x, weight, stride=2, padding=1, dilation=2, groups=2)
    for a, b in zip((x, weight, bias, grad_output), copies):
        np.testing.assert_array_equal(a, b)


def test_empty_batch_gives_empty_output():
    out = conv2d(np.zeros((0, 2, 5, 5)), np.zeros((3, 2, 3, 3)))
    assert out.shape == (0, 3, 3, 3)


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

X = np.zeros((2, 4, 5, 5))
W = np.zeros((6, 4, 3, 3))

BAD_FORWARD = [
    (dict(x=np.zeros((4, 5, 5))), ValueError, r"x must be a batched 4-D .*got shape \(4, 5, 5\)"),
    (dict(x=np.zeros((1, 2, 4, 5, 5))), ValueError, r"x must be a 4-D array .*got shape \(1, 2, 4, 5, 5\)"),
    (dict(weight=np.zeros((6, 4, 3))), ValueError, r"weight must be a 4-D array .*got shape \(6, 4, 3\)"),
    (dict(weight=np.zeros((6, 3, 3, 3))), ValueError, r"x has C_in=4 channels .*weight.shape\[1\] \* groups = 3 \* 1 = 3"),
    (dict(weight=np.zeros((6, 1, 3, 3)), groups=3), ValueError, r"groups=3 must divide the input channels of x, C_in=4"),
    (dict(weight=np.zeros((5, 2, 3, 3)), groups=2), ValueError, r"groups=2 must divide the output channels of weight, C_out=5"),
    (dict(groups=0), ValueError, r"groups must be >= 1, got 0"),
    (dict(groups=1.0), TypeError, r"groups must be an int, got 1.0"),
    (dict(stride=0), ValueError, r"stride must be >= 1 .*got 0"),
    (dict(stride=-1), ValueError, r"stride must be >= 1 .*got -1"),
    (dict(stride=1.5), TypeError, r"stride must be an int .*got 1.5"),
    (dict(stride=(1, 2, 3)), ValueError, r"stride must be an int or a sequence of 2 ints, got \(1, 2, 3\)"),
    (dict(padding=-1), ValueError, r"padding must be >= 0 .*got -1"),
    (dict(padding=(1, -2)), ValueError, r"padding must be >= 0 .*got \(1, -2\)"),
    (dict(padding="full"), ValueError, r"padding must be an int, a tuple of 2 ints, 'valid' or 'same'; got 'full'"),
    (dict(padding="same", stride=2), ValueError, r"padding='same' is not supported for strided convolutions, got stride=\(2, 2\)"),
    (dict(dilation=0), ValueError, r"dilation must be >= 1 .*got 0"),
    (dict(weight=np.zeros((6, 4, 6, 3))), ValueError, r"the kernel is larger than the padded input: weight gives kernel size \(6, 3\).*padded input is \(5, 5\)"),
    (dict(weight=np.zeros((6, 4, 3, 3)), dilation=3), ValueError, r"spans \(7, 7\)\) but the padded input is \(5, 5\)"),
    (dict(weight=np.zeros((6, 4, 0, 3))), ValueError, r"weight must have a kernel size >= 1 .*\(6, 4, 0, 3\)"),
    (dict(bias=np.zeros(5)), ValueError, r"bias must have shape \(6,\), got shape \(5,\)"),
    (dict(bias=np.zeros((6, 1))), ValueError, r"bias must have shape \(6,\), got shape \(6, 1\)"),
    (dict(x=X.astype(complex)), TypeError, r"x must be a real-valued .*complex128"),
    (dict(weight=W.astype(object)), TypeError, r"weight must be a real-valued .*object"),
    (dict(bias=np.array(["a"] * 6)), TypeError, r"bias must be a real-valued .*<U1"),
]


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
@pytest.mark.parametrize("changes, error, match", BAD_FORWARD)
def test_forward_rejects_bad_arguments(fn, changes, error, match):
    kwargs = dict(x=X, weight=W) | changes
    with pytest.raises(error, match=match):
        fn(**kwargs)


@pytest.mark.parametrize("fn", [conv2d_backward, conv2d_backward_naive])
@pytest.mark.parametrize(
    "changes, error, match",
    [c for c in BAD_FORWARD if "bias" not in c[0]]
    + [
        (dict(grad_output=np.zeros((2, 6, 3, 4))), ValueError, r"grad_output must have shape \(2, 6, 3, 3\), got shape \(2, 6, 3, 4\)"),
        (dict(grad_output=np.zeros((6, 3, 3))), ValueError, r"grad_output must have shape \(2, 6, 3, 3\), got shape \(6, 3, 3\)"),
        (dict(grad_output=np.zeros((2, 6, 3, 3), dtype=complex)), TypeError, r"grad_output must be a real-valued .*complex128"),
    ],
)
def test_backward_rejects_bad_arguments(fn, changes, error, match):
    kwargs = dict(grad_output=np.zeros((2, 6, 3, 3)), x=X, weight=W) | changes
    with pytest.raises(error, match=match):
        fn(**kwargs)


@pytest.mark.parametrize(
    "fn, x, weight, match",
    [
        (conv1d, np.zeros((4, 5)), np.zeros((2, 4, 3)), r"x must be a batched 3-D array of shape \(N, C_in, L\), got shape \(4, 5\)"),
        (conv3d, np.zeros((4, 5, 5, 5)), np.zeros((2, 4, 3, 3, 3)), r"x must be a batched 5-D .*got shape \(4, 5, 5, 5\)"),
        (conv1d, np.zeros((1, 4, 5)), np.zeros((2, 4, 3, 3)), r"weight must be a 3-D array .*got shape \(2, 4, 3, 3\)"),
        (conv3d_backward, np.zeros((1, 4, 2, 2, 2)), np.zeros((2, 4, 3, 3, 3)), r"kernel size \(3, 3, 3\)"),
    ],
)
def test_1d_and_3d_validate(fn, x, weight, match):
    args = (np.zeros((1, 2, 1, 1, 1)), x, weight) if fn is conv3d_backward else (x, weight)
    with pytest.raises(ValueError, match=match):
        fn(*args)


# --------------------------------------------------------------------------
# the fast path's internal strategies all agree
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nd, opts", ALL_CASES)
def test_per_tap_and_im2col_strategies_and_threads_agree(nd, opts, rng, monkeypatch):
    """The grid has few channels (im2col strategy, one thread); force the others."""
    import convcourse.conv as conv

    x, weight, bias = make_arrays(opts, rng)
    kw = conv_kwargs(opts)
    out = FORWARD[nd](x, weight, bias, **kw)
    grad_output = rng.standard_normal(out.shape)
    grads = BACKWARD[nd](grad_output, x, weight, **kw)
    monkeypatch.setattr(conv, "_THIN_CHANNELS", 0)  # one product per kernel tap
    monkeypatch.setattr(conv, "_PARALLEL_FLOPS", 0)  # thread pool whenever BLAS has 2+ threads
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)  # one image per chunk
    np.testing.assert_allclose(FORWARD[nd](x, weight, bias, **kw), out, rtol=1e-12, atol=1e-12)
    for per_tap, im2col in zip(BACKWARD[nd](grad_output, x, weight, **kw), grads):
        np.testing.assert_allclose(per_tap, im2col, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# non-finite input: NaN where and only where the formula has NaN (issue 12 §1)
# --------------------------------------------------------------------------

def receptive_field(n, k, o, weight_shape, groups, stride, dilation):
    """The index of the padded input that output ``(n, k, *o)`` reads: its group's channels,
    and per axis the kernel's span from ``o * stride`` in steps of the dilation."""
    per_group, c_group = weight_shape[0] // groups, weight_shape[1]
    first = (k // per_group) * c_group
    return (n, slice(first, first + c_group)) + tuple(
        slice(oi * s, oi * s + d * (kk - 1) + 1, d)
        for oi, s, kk, d in zip(o, stride, weight_shape[2:], dilation))


def loop_backward(grad_output, x, weight, stride, pads, dilation, groups):
    """The backward formula of any dimension, one output position at a time.

    ``pads`` holds (before, after) per axis.  Only the windows' own products
    enter each sum, so a NaN or an inf contributes exactly where the formula
    says: the independent reference for the fast path's garbage columns.
    """
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    grad_xp = np.zeros_like(xp)
    grad_weight = np.zeros_like(weight)
    with np.errstate(invalid="ignore"):
        for n in range(x.shape[0]):
            for k in range(weight.shape[0]):
                for o in np.ndindex(*grad_output.shape[2:]):
                    window = receptive_field(n, k, o, weight.shape, groups, stride, dilation)
                    g = grad_output[(n, k) + o]
                    grad_weight[k] += g * xp[window]
                    grad_xp[window] += g * weight[k]
        grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
    crop = tuple(slice(pb, pb + size) for (pb, _), size in zip(pads, x.shape[2:]))
    return grad_xp[(Ellipsis,) + crop], grad_weight, grad_bias


def loop_forward(x, weight, bias, stride, pads, dilation, groups):
    """The forward formula of any dimension, one output value at a time (see ``loop_backward``)."""
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    span = [d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation)]
    out_size = [(p - sp) // s + 1 for p, sp, s in zip(xp.shape[2:], span, stride)]
    out = np.empty((x.shape[0], weight.shape[0]) + tuple(out_size))
    with np.errstate(invalid="ignore"):
        for n, k in np.ndindex(*out.shape[:2]):
            for o in np.ndindex(*out_size):
                window = receptive_field(n, k, o, weight.shape, groups, stride, dilation)
                out[(n, k) + o] = np.sum(xp[window] * weight[k]) + bias[k]
    return out


def sprinkle(rng, a, fraction):
    """A copy of ``a`` with NaN, +inf and -inf at random places."""
    a = a.copy()
    hit = rng.random(a.shape) < fraction
    a[hit] = rng.choice([np.nan, np.inf, -np.inf], size=int(hit.sum()))
    return a


def assert_same_nan_pattern(ours, expected, what):
    """NaN where and only where ``expected`` has one; the same infinities; equal elsewhere."""
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected), err_msg=f"{what}: NaN pattern")
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=what)


@settings(max_examples=40)
@given(data=st.data(), nd=st.sampled_from([1, 2, 3]), per_tap=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_backward_with_nan_and_inf_matches_the_loop_formula(data, nd, per_tap, seed):
    """NaN and +-inf at random in x, weight, bias and grad_output; both strategies (im2col, per tap).

    The forward too: im2col carries the bias as a column of the weight times a row of ones.
    """
    import convcourse.conv as conv

    rng = np.random.default_rng(seed)
    groups = data.draw(st.sampled_from([1, 2]))
    c_in = groups * data.draw(st.integers(1, 2))
    c_out = groups * data.draw(st.integers(1, 2))
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(data.draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(nd))
    pad = tuple(data.draw(st.integers(0, 2)) for _ in range(nd))
    size = tuple(d * (k - 1) + 1 + data.draw(st.integers(0, 3)) for k, d in zip(kernel, dilation))
    x = rng.standard_normal((data.draw(st.integers(1, 2)), c_in) + size)
    weight = rng.standard_normal((c_out, c_in // groups) + kernel)
    kw = dict(stride=stride, padding=pad, dilation=dilation, groups=groups)
    grad_output = rng.standard_normal(FORWARD[nd](x, weight, **kw).shape)
    fraction = data.draw(st.sampled_from([0.02, 0.2]))
    targets = data.draw(st.sets(st.sampled_from(["x", "weight", "grad_output", "bias"]), min_size=1))
    bias = rng.standard_normal(c_out)
    bias = sprinkle(rng, bias, 0.5) if "bias" in targets else bias
    x = sprinkle(rng, x, fraction) if "x" in targets else x
    weight = sprinkle(rng, weight, fraction) if "weight" in targets else weight
    grad_output = sprinkle(rng, grad_output, fraction) if "grad_output" in targets else grad_output

    expected = loop_backward(grad_output, x, weight, stride, [(p, p) for p in pad], dilation, groups)
    thin = conv._THIN_CHANNELS
    conv._THIN_CHANNELS = 0 if per_tap else 10**6
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)      # torch is silent too
            ours = BACKWARD[nd](grad_output, x, weight, **kw)
            naive = conv2d_backward_naive(grad_output, x, weight, **kw) if nd == 2 else expected
            forward = FORWARD[nd](x, weight, bias, **kw)
    finally:
        conv._THIN_CHANNELS = thin
    assert_same_nan_pattern(forward, loop_forward(x, weight, bias, stride, [(p, p) for p in pad],
                                                  dilation, groups), "forward")
    for got, want, name in zip(ours + naive, expected + expected,
                               ("grad_input", "grad_weight", "grad_bias") * 2):
        assert_same_nan_pattern(got, want, name)


def test_nan_in_x_stays_out_of_grad_weight_taps_that_never_read_it():
    """Regression (issue 12): a NaN in a column only garbage columns read gave NaN in grad_weight."""
    x = np.zeros((1, 1, 3, 4))
    x[0, 0, 0, 3] = np.nan
    w, g = np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 3))
    np.testing.assert_array_equal(conv2d_backward(g, x, w)[1].ravel(), [0, np.nan, 0, 0])
    np.testing.assert_array_equal(conv2d_backward_naive(g, x, w)[1].ravel(), [0, np.nan, 0, 0])


def test_nan_in_weight_stays_out_of_grad_input_pixels_it_never_touched():
    """Regression (issue 12): a NaN weight times the zero garbage columns spread NaN."""
    x, w, g = np.ones((1, 1, 2, 2)), np.array([[[[1.0, np.nan]]]]), np.ones((1, 1, 2, 1))
    np.testing.assert_array_equal(conv2d_backward(g, x, w)[0].ravel(), [1, np.nan, 1, np.nan])


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
def test_inf_minus_inf_is_nan_without_a_warning(fn):
    x = np.array([[[[np.inf, -np.inf]]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = fn(x, np.ones((1, 1, 1, 2)))
    assert np.isnan(out).all()


# --------------------------------------------------------------------------
# the thread pool: every chunk once, results in order, errors and BLAS threads restored
# --------------------------------------------------------------------------

def _blas_threads(threadpoolctl):
    return max(lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas")


@pytest.fixture
def two_blas_threads(monkeypatch):
    """numpy's BLAS at two threads (skip where it has one), chunks of one image, always threaded."""
    import convcourse.conv as conv

    threadpoolctl = pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(conv, "_PARALLEL_FLOPS", 0)
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        if _blas_threads(threadpoolctl) < 2:
            pytest.skip("numpy's BLAS has one thread here")
        yield lambda: _blas_threads(threadpoolctl)


def test_map_chunks_runs_every_chunk_once_in_order_on_two_threads(two_blas_threads):
    import threading

    import convcourse.conv as conv

    seen, names = [], set()

    def fn(n0, n1):
        seen.append((n0, n1))
        names.add(threading.current_thread().name)
        time.sleep(0.01)  # long enough that both threads take chunks
        return n0

    assert conv._map_chunks(fn, 7, 1, 1) == list(range(7))
    assert sorted(seen) == [(i, i + 1) for i in range(7)]
    assert threading.current_thread().name in names and len(names) == 2  # the caller works too
    assert two_blas_threads() == 2  # BLAS ran single-threaded meanwhile, and is restored


def test_map_chunks_raises_a_chunks_error_after_the_others_finish(two_blas_threads):
    import convcourse.conv as conv

    done, blas_inside = [], []

    def fn(n0, n1):
        blas_inside.append(two_blas_threads())
        time.sleep(0.005)
        if n0 == 3:
            raise ArithmeticError("chunk 3")
        done.append(n0)

    with pytest.raises(ArithmeticError, match="chunk 3"):
        conv._map_chunks(fn, 6, 1, 1)
    assert sorted(done) == [0, 1, 2, 4, 5]  # the other thread went on to the end
    assert set(blas_inside) == {1}  # each chunk's products are single-threaded
    assert two_blas_threads() == 2  # restored despite the error
