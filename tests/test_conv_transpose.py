"""``convcourse.conv_transpose`` and ``conv_transpose_output_size``.

Oracles: the naive loops, the convolution's own input-gradient (which the
transposed convolution is), numerical gradients, and torch (forward and
autograd) where it is installed.
"""

import numpy as np
import pytest

from convcourse.arithmetic import conv_output_size, conv_transpose_output_size
from convcourse.conv import conv1d, conv2d, conv2d_backward, conv3d, conv3d_backward
from convcourse.conv_transpose import (conv_transpose1d, conv_transpose1d_backward, conv_transpose2d,
                                       conv_transpose2d_backward, conv_transpose2d_backward_naive,
                                       conv_transpose2d_naive, conv_transpose3d,
                                       conv_transpose3d_backward)

FORWARD = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}
BACKWARD = {1: conv_transpose1d_backward, 2: conv_transpose2d_backward, 3: conv_transpose3d_backward}
CONV = {1: conv1d, 2: conv2d, 3: conv3d}


def random_case(nd, seed):
    """Random arguments covering every option: groups, stride, padding, output_padding
    (including output_padding >= stride, allowed when below the dilation), dilation,
    asymmetric kernels and sizes, bias or not."""
    rng = np.random.default_rng(seed)
    while True:
        groups = int(rng.choice([1, 1, 2, 3]))
        c_in, cg = groups * int(rng.integers(1, 3)), int(rng.integers(1, 3))
        kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
        stride = tuple(int(s) for s in rng.integers(1, 4, nd))
        dilation = tuple(int(d) for d in rng.integers(1, 4, nd))
        padding = tuple(int(p) for p in rng.integers(0, 3, nd))
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        size = tuple(int(n) for n in rng.integers(1, 6 if nd < 3 else 4, nd))
        out = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
               for n, k, s, p, op, d in zip(size, kernel, stride, padding, output_padding, dilation)]
        if min(out) >= 1:
            break
    x = rng.standard_normal((int(rng.integers(1, 3)), c_in) + size)
    weight = rng.standard_normal((c_in, cg) + kernel)
    bias = rng.standard_normal(cg * groups) if rng.random() < 0.6 else None
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
              dilation=dilation)
    return x, weight, bias, kw


CASES = [pytest.param(nd, seed, id=f"{nd}d-{seed}") for nd in (1, 2, 3) for seed in range(25)]


# --------------------------------------------------------------------------
# the transposed convolution is the convolution's input-gradient
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nd, seed", CASES)
def test_forward_is_the_input_gradient_of_the_convolution(nd, seed):
    x, weight, bias, kw = random_case(nd, seed)
    out = FORWARD[nd](x, weight, bias, **kw)
    expected_size = conv_transpose_output_size(
        x.shape[2:], weight.shape[2:], kw["stride"], kw["padding"], kw["output_padding"], kw["dilation"])
    assert out.shape == (x.shape[0], weight.shape[1] * kw["groups"]) + expected_size
    # the convolution with the same arguments maps out's size back to x's (plus a row per axis
    # where output_padding >= stride); its input-gradient for grad_output x is our output
    conv_kw = {k: kw[k] for k in ("stride", "padding", "dilation", "groups")}
    y = np.zeros(out.shape)
    g = np.zeros(CONV[nd](y, weight, **conv_kw).shape)
    g[(slice(None), slice(None)) + tuple(slice(0, s) for s in x.shape[2:])] = x
    from convcourse.conv import conv1d_backward
    backward = {1: conv1d_backward, 2: conv2d_backward, 3: conv3d_backward}[nd]
    grad_y = backward(g, y, weight, **conv_kw)[0]
    if bias is not None:
        grad_y = grad_y + bias.reshape((-1,) + (1,) * nd)
    np.testing.assert_allclose(out, grad_y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(25))
def test_naive_matches_vectorised(seed):
    x, weight, bias, kw = random_case(2, seed)
    np.testing.assert_allclose(conv_transpose2d_naive(x, weight, bias, **kw),
                               conv_transpose2d(x, weight, bias, **kw), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(seed).standard_normal(conv_transpose2d(x, weight, **kw).shape)
    for naive, fast in zip(conv_transpose2d_backward_naive(g, x, weight, **kw),
                           conv_transpose2d_backward(g, x, weight, **kw)):
        assert naive.shape == fast.shape
        np.testing.assert_allclose(naive, fast, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd, seed", CASES[::5])
def test_backward_matches_central_differences(nd, seed):
    x, weight, bias, kw = random_case(nd, seed)
    if bias is None:
        bias = np.zeros(weight.shape[1] * kw["groups"])
    g = np.random.default_rng(seed).standard_normal(FORWARD[nd](x, weight, bias, **kw).shape)
    grads = BACKWARD[nd](g, x, weight, **kw)
    for arr, grad in zip((x, weight, bias), grads):
        numeric = np.zeros_like(arr)
        for index in np.ndindex(arr.shape):
            old = arr[index]
            arr[index] = old + 1e-6
            plus = np.sum(g * FORWARD[nd](x, weight, bias, **kw))
            arr[index] = old - 1e-6
            minus = np.sum(g * FORWARD[nd](x, weight, bias, **kw))
            arr[index] = old
            numeric[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


def test_by_hand_stride_two_doubles_the_size():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out = conv_transpose2d(x, np.ones((1, 1, 2, 2)), stride=2)
    np.testing.assert_array_equal(out[0, 0], np.kron(x[0, 0], np.ones((2, 2))))
    # padding crops, output_padding adds a zero row and column at the end
    out = conv_transpose2d(x, np.ones((1, 1, 3, 3)), stride=2, padding=1, output_padding=1)
    assert out.shape == (1, 1, 4, 4)
    np.testing.assert_array_equal(out[0, 0], [[1, 3, 2, 2], [4, 10, 6, 6], [3, 7, 4, 4], [3, 7, 4, 4]])


def test_groups_keep_channels_apart():
    x = np.zeros((1, 4, 3, 3))
    x[0, 2] = 1.0  # group 1 of 2
    out = conv_transpose2d(x, np.ones((4, 3, 2, 2)), groups=2)
    assert out.shape == (1, 6, 4, 4)
    assert not out[0, :3].any() and out[0, 3:].all()


def test_nan_and_inf_stay_where_the_loops_put_them():
    """The padded-width layout's garbage columns must not carry 0 * NaN into real pixels."""
    rng = np.random.default_rng(7)
    for trial in range(30):
        x, weight, _, kw = random_case(2, 100 + trial)
        for arr in (x, weight):
            flat = arr.reshape(-1)
            flat[rng.integers(0, flat.size, 2)] = rng.choice([np.nan, np.inf, -np.inf], 2)
        with np.errstate(invalid="ignore"):
            fast = conv_transpose2d(x, weight, **kw)
            naive = conv_transpose2d_naive(x, weight, **kw)
        np.testing.assert_array_equal(np.isnan(fast), np.isnan(naive))
        finite = np.isfinite(naive)
        np.testing.assert_allclose(fast[finite], naive[finite], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_float_dtype_and_promotes_integers(dtype):
    x, w = np.ones((1, 2, 3, 3), dtype), np.ones((2, 1, 2, 2), dtype)
    assert conv_transpose2d(x, w).dtype == dtype
    assert all(g.dtype == dtype for g in conv_transpose2d_backward(np.ones((1, 1, 4, 4), dtype), x, w))
    assert conv_transpose2d(np.ones((1, 2, 3, 3), int), np.ones((2, 1, 2, 2), int)).dtype == np.float64


def test_empty_batch():
    assert conv_transpose2d(np.zeros((0, 2, 3, 3)), np.zeros((2, 5, 2, 2))).shape == (0, 5, 4, 4)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(x=np.zeros((2, 3, 3))), ValueError, r"x must be a batched 4-D .*got shape \(2, 3, 3\)"),
        (dict(weight=np.zeros((3, 1, 2, 2))), ValueError, r"weight must have shape .*C_in=2.*\(3, 1, 2, 2\)"),
        (dict(groups=3), ValueError, r"groups=3 must divide the input channels of x, C_in=2"),
        (dict(output_padding=1), ValueError, r"output_padding must be smaller than either stride or dilation on axis 0, got output_padding=\(1, 1\)"),
        (dict(stride=2, output_padding=(0, 2)), ValueError, r"output_padding.*on axis 1.*output_padding=\(0, 2\)"),
        (dict(padding=3), ValueError, r"padding=\(3, 3\) is too large.*output size \(-2, -2\)"),
        (dict(padding="same"), TypeError, r"padding must be an int or a sequence of 2 ints, got 'same'"),
        (dict(output_padding=-1), ValueError, r"output_padding must be >= 0 .*got -1"),
        (dict(bias=np.zeros(3)), ValueError, r"bias must have shape \(1,\), got shape \(3,\)"),
    ],
)
@pytest.mark.parametrize("fn", [conv_transpose2d, conv_transpose2d_naive])
def test_rejects_bad_arguments(fn, kwargs, error, match):
    call = dict(x=np.zeros((1, 2, 3, 3)), weight=np.zeros((2, 1, 2, 2))) | kwargs
    with pytest.raises(error, match=match):
        fn(**call)


@pytest.mark.parametrize("fn", [conv_transpose2d_backward, conv_transpose2d_backward_naive])
def test_backward_rejects_wrong_grad_output(fn):
    with pytest.raises(ValueError, match=r"grad_output must have shape \(1, 1, 4, 4\), got shape \(1, 1, 3, 4\)"):
        fn(np.zeros((1, 1, 3, 4)), np.zeros((1, 2, 3, 3)), np.zeros((2, 1, 2, 2)))


# --------------------------------------------------------------------------
# conv_transpose_output_size
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((16, 3), dict(stride=2, padding=1), 31),
        ((16, 3), dict(stride=2, padding=1, output_padding=1), 32),
        ((5, 4), {}, 8),
        ((5, 3), dict(dilation=2, output_padding=1), 10),  # output_padding >= stride, < dilation
        (((4, 5), (2, 3)), dict(stride=(2, 1), dilation=(1, 2)), (8, 9)),
    ],
)
def test_conv_transpose_output_size_hand_worked(args, kwargs, expected):
    assert conv_transpose_output_size(*args, **kwargs) == expected


def test_conv_transpose_output_size_inverts_conv_output_size():
    """The convolution with the same arguments maps the transposed output size back."""
    for n, k, s, p, d in [(7, 3, 2, 1, 1), (9, 4, 3, 2, 2), (5, 1, 1, 0, 1), (6, 3, 2, 0, 3)]:
        for op in range(max(s, d)):
            size = conv_transpose_output_size(n, k, s, p, op, d)
            assert conv_output_size(size, k, s, p, d) == n + op // s


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(size=4, kernel_size=3, stride=2, output_padding=2), ValueError,
         r"output_padding must be smaller than either stride or dilation, got output_padding=2 \(stride=2, dilation=1\)"),
        (dict(size=1, kernel_size=1, padding=1), ValueError, r"padding=1 is too large.*output size -1"),
        (dict(size=0, kernel_size=3), ValueError, r"size must be >= 1, got 0"),
        (dict(size=4, kernel_size=1.5), TypeError, r"kernel_size must be an int .*1.5"),
        (dict(size=(4, 4), kernel_size=(3, 3, 3)), ValueError, r"kernel_size must be an int or a sequence of 2 ints"),
    ],
)
def test_conv_transpose_output_size_rejects(kwargs, error, match):
    with pytest.raises(error, match=match):
        conv_transpose_output_size(**kwargs)


# --------------------------------------------------------------------------
# torch
# --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nd, seed", CASES)
def test_forward_and_autograd_match_torch(nd, seed, dtype):
    torch = pytest.importorskip("torch")
    x, weight, bias, kw = random_case(nd, seed)
    x, weight = x.astype(dtype), weight.astype(dtype)
    bias = None if bias is None else bias.astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(weight, requires_grad=True)
    tb = None if bias is None else torch.tensor(bias, requires_grad=True)
    fn = getattr(torch.nn.functional, f"conv_transpose{nd}d")
    t_out = fn(tx, tw, tb, **kw)
    out = FORWARD[nd](x, weight, bias, **kw)
    assert out.dtype == dtype and out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out, t_out.detach().numpy(), **tol)
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    t_out.backward(torch.tensor(g))
    gx, gw, gb = BACKWARD[nd](g, x, weight, **kw)
    np.testing.assert_allclose(gx, tx.grad.numpy(), **tol)
    np.testing.assert_allclose(gw, tw.grad.numpy(), **tol)
    if tb is not None:
        np.testing.assert_allclose(gb, tb.grad.numpy(), **tol)


def test_rejects_output_padding_torch_rejects():
    torch = pytest.importorskip("torch")
    x, w = np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3))
    for kw in (dict(output_padding=1), dict(stride=2, output_padding=2), dict(dilation=2, stride=2, output_padding=2)):
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kw)
        with pytest.raises(ValueError, match="output_padding"):
            conv_transpose2d(x, w, **kw)
