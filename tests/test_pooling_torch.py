"""convcourse.pooling against torch.nn.functional (forward, indices, autograd).

Skips cleanly where torch is not installed.
"""

import itertools

import numpy as np
import pytest

from convcourse.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    global_max_pool2d,
    global_max_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.torch

SHAPES = [(2, 3, 7, 7), (1, 2, 5, 8), (2, 1, 6, 4), (1, 1, 3, 2)]
MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0)),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1), dilation=(2, 1)),
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=(3, 2), padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=2, padding=1, dilation=(1, 2), ceil_mode=True),
]
AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(4, 3), stride=3, padding=(2, 1), ceil_mode=True),
    dict(kernel_size=2, stride=(3, 2), padding=1, ceil_mode=True),
]


def _torch_or_none(f, *args, **kwargs):
    """torch's result, or None when torch rejects the geometry."""
    try:
        return f(*args, **kwargs)
    except RuntimeError:
        return None


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", MAX_CASES)
def test_max_pool_equals_torch(shape, kwargs, rng):
    x = rng.integers(-3, 4, size=shape).astype(np.float64)     # plenty of ties
    expected = _torch_or_none(F.max_pool2d, torch.tensor(x), return_indices=True, **kwargs)
    if expected is None:
        with pytest.raises(ValueError):
            max_pool2d(x, **kwargs)
        return
    out, idx = max_pool2d(x, return_indices=True, **kwargs)
    np.testing.assert_array_equal(out, expected[0].numpy())
    np.testing.assert_array_equal(idx, expected[1].numpy())
    np.testing.assert_array_equal(max_pool2d(x, **kwargs), out)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", MAX_CASES)
def test_max_pool_backward_equals_autograd(shape, kwargs, rng):
    x = rng.integers(-3, 4, size=shape).astype(np.float64)     # ties: first maximum wins
    xt = torch.tensor(x, requires_grad=True)
    out = _torch_or_none(F.max_pool2d, xt, **kwargs)
    if out is None:
        return
    g = rng.standard_normal(tuple(out.shape))
    out.backward(torch.tensor(g))
    np.testing.assert_allclose(max_pool2d_backward(g, x, **kwargs), xt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", AVG_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_and_backward_equal_torch(shape, kwargs, count_include_pad, rng):
    x = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    out = _torch_or_none(F.avg_pool2d, xt, count_include_pad=count_include_pad, **kwargs)
    if out is None:
        with pytest.raises(ValueError):
            avg_pool2d(x, count_include_pad=count_include_pad, **kwargs)
        return
    np.testing.assert_allclose(avg_pool2d(x, count_include_pad=count_include_pad, **kwargs),
                               out.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(tuple(out.shape))
    out.backward(torch.tensor(g))
    grad = avg_pool2d_backward(g, x, count_include_pad=count_include_pad, **kwargs)
    np.testing.assert_allclose(grad, xt.grad.numpy(), atol=1e-12)


GEOMETRIES_1D = [
    (size, k, s, p, d)
    for size, k, s, d in itertools.product(range(1, 7), [1, 2, 3, 4], [1, 2, 3], [1, 2])
    for p in range(k // 2 + 1)
]


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_output_size_and_acceptance_match_torch(ceil_mode):
    """Same output length, and the same geometries rejected, as torch (one axis, 288 cases)."""
    for size, k, s, p, d in GEOMETRIES_1D:
        case = f"size={size} k={k} s={s} p={p} d={d} ceil_mode={ceil_mode}"
        x = np.arange(float(size)).reshape(1, 1, 1, size)
        kwargs = dict(kernel_size=(1, k), stride=(1, s), padding=(0, p), dilation=(1, d),
                      ceil_mode=ceil_mode)
        expected = _torch_or_none(F.max_pool2d, torch.tensor(x), return_indices=True, **kwargs)
        if expected is None:
            with pytest.raises(ValueError, match="output size"):
                max_pool2d(x, **kwargs)
            continue
        # windows lying wholly in the padding included: -inf, and torch's index
        out, idx = max_pool2d(x, return_indices=True, **kwargs)
        np.testing.assert_array_equal(out, expected[0].numpy(), err_msg=case)
        np.testing.assert_array_equal(idx, expected[1].numpy(), err_msg=case)
        if d == 1:
            t_avg = F.avg_pool2d(torch.tensor(x), **{a: b for a, b in kwargs.items() if a != "dilation"})
            ours = avg_pool2d(x, **{a: b for a, b in kwargs.items() if a != "dilation"})
            np.testing.assert_allclose(ours, t_avg.numpy(), atol=1e-12, err_msg=case)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_matches_torch_float32(dtype, rng):
    x = rng.standard_normal((2, 4, 9, 9)).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    out = F.avg_pool2d(xt, 3, stride=2, padding=1, ceil_mode=True)
    g = rng.standard_normal(tuple(out.shape)).astype(dtype)
    out.backward(torch.tensor(g))
    ours = avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
    assert ours.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours, out.detach().numpy(), atol=tol)
    grad = avg_pool2d_backward(g, x, 3, stride=2, padding=1, ceil_mode=True)
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, xt.grad.numpy(), atol=tol)
    out_m, idx = max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    assert out_m.dtype == dtype
    t_out, t_idx = F.max_pool2d(torch.tensor(x), 3, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(out_m, t_out.numpy())
    np.testing.assert_array_equal(idx, t_idx.numpy())


def test_ties_in_a_4x4_go_to_the_top_left_like_torch():
    x = np.ones((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = 5.0
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, 0, 0], expected[0, 0, 0, 2], expected[0, 0, 2, 0], expected[0, 0, 2, 2] = 1, 2, 3, 4
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool2d(xt, 2).backward(torch.tensor(g))
    np.testing.assert_array_equal(xt.grad.numpy(), expected)
    np.testing.assert_array_equal(max_pool2d_backward(g, x, 2), expected)


@pytest.mark.parametrize("x", [
    np.array([[[[np.nan, 1.0, np.nan, 2.0], [0.0, np.nan, 3.0, 3.0]]]]),
    np.full((1, 1, 2, 4), -np.inf),
    np.array([[[[-np.inf, 1.0, -np.inf, -np.inf], [-np.inf, -np.inf, -np.inf, 2.0]]]]),
])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2, padding=1), dict(kernel_size=(2, 3), stride=1)])
def test_nan_and_infinity_like_torch(x, kwargs):
    t_out, t_idx = F.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    out, idx = max_pool2d(x, return_indices=True, **kwargs)
    np.testing.assert_array_equal(out, t_out.numpy())
    np.testing.assert_array_equal(idx, t_idx.numpy())


@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (1, 1, 1, 1), (1, 2, 1, 6)])
def test_global_pools_equal_adaptive_pools(shape, rng):
    x = rng.integers(-2, 3, size=shape).astype(np.float64)     # ties in max
    g = rng.standard_normal(shape[:2] + (1, 1))
    for ours, ours_back, theirs in [
        (global_max_pool2d, global_max_pool2d_backward, lambda t: F.adaptive_max_pool2d(t, 1)),
        (global_avg_pool2d, global_avg_pool2d_backward, lambda t: F.adaptive_avg_pool2d(t, 1)),
    ]:
        xt = torch.tensor(x, requires_grad=True)
        out = theirs(xt)
        out.backward(torch.tensor(g))
        np.testing.assert_allclose(ours(x), out.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(ours_back(g, x), xt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=0), dict(kernel_size=-1), dict(kernel_size=2, stride=0),
    dict(kernel_size=2, stride=-1), dict(kernel_size=3, padding=2),
    dict(kernel_size=(3, 1), padding=(1, 1)), dict(kernel_size=2, padding=-1),
    dict(kernel_size=5), dict(kernel_size=6, stride=2, ceil_mode=True),
])
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_rejects_what_torch_rejects(kwargs, name):
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(RuntimeError):
        getattr(F, name)(torch.tensor(x), **kwargs)
    ours = {"max_pool2d": max_pool2d, "avg_pool2d": avg_pool2d}[name]
    with pytest.raises(ValueError):
        ours(x, **kwargs)


# --------------------------------------------------------------------------
# The whole family in 1, 2 and 3 dimensions (issue 12): randomized cases,
# float32 and float64, every option; forward, indices and autograd
# --------------------------------------------------------------------------

import convcourse  # noqa: E402  (the functions are looked up by torch's names)

FAMILY_SEEDS = range(40)


def _torch_name_and_ours(kind, nd):
    return f"{kind}{nd}d", getattr(convcourse, f"{kind}{nd}d")


def _random_sliding_case(rng, nd, kind):
    """kwargs drawn over every option, and an input shape that usually fits."""
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    kwargs = dict(kernel_size=k if rng.random() < 0.7 else int(k[0]))
    if isinstance(kwargs["kernel_size"], int):
        k = (kwargs["kernel_size"],) * nd
    if rng.random() < 0.7:
        kwargs["stride"] = tuple(int(v) for v in rng.integers(1, 4, nd))
    if rng.random() < 0.7:
        kwargs["padding"] = tuple(int(rng.integers(0, ki // 2 + 1)) for ki in k)
    if kind == "max_pool" and rng.random() < 0.6:
        kwargs["dilation"] = tuple(int(v) for v in rng.integers(1, 4, nd))
    kwargs["ceil_mode"] = bool(rng.random() < 0.5)
    if kind == "avg_pool":
        kwargs["count_include_pad"] = bool(rng.random() < 0.5)
        if nd > 1 and rng.random() < 0.3:
            kwargs["divisor_override"] = int(rng.choice([1, 2, 3, -2]))
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + tuple(int(v) for v in rng.integers(1, 8, nd))
    return shape, kwargs


def _values(rng, shape, dtype):
    """Small integers (many ties, exact sums) or normals."""
    if rng.random() < 0.5:
        return rng.integers(-3, 4, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _padding_only(shape, kwargs):
    """Which windows of a sliding pooling have no tap inside the input (broadcastable mask)."""
    if "kernel_size" not in kwargs:
        return np.zeros((), dtype=bool)                       # adaptive bins lie in the input
    nd = len(shape) - 2
    per_axis = lambda v, default: (v,) * nd if isinstance(v, int) else (default,) * nd if v is None else v  # noqa: E731
    k = per_axis(kwargs["kernel_size"], None)
    s = per_axis(kwargs.get("stride"), None)
    s = k if s[0] is None else s
    p, d = per_axis(kwargs.get("padding", 0), 0), per_axis(kwargs.get("dilation", 1), 1)
    mask = np.zeros((), dtype=bool)
    ceil_mode = kwargs.get("ceil_mode", False)
    sizes = [F.max_pool1d(torch.zeros(1, 1, n), ki, si, pi, di, ceil_mode=ceil_mode).shape[-1]
             for n, ki, si, pi, di in zip(shape[2:], k, s, p, d)]   # each axis's length, torch's
    for axis, (n, ki, si, pi, di, oi) in enumerate(zip(shape[2:], k, s, p, d, sizes)):
        taps = np.arange(oi)[:, None] * si - pi + np.arange(ki) * di
        empty = ~((taps >= 0) & (taps < n)).any(axis=1)
        mask = mask | empty.reshape((-1,) + (1,) * (nd - 1 - axis))
    return mask


def _compare_with_autograd(ours_forward, ours_backward, torch_forward, x, kwargs, rng, tol,
                           indices=False):
    """Forward (and indices) and the autograd gradient against ours; both raise or neither."""
    xt = torch.tensor(x, requires_grad=True)
    try:
        expected = torch_forward(xt, **kwargs)
    except RuntimeError as exc:
        if "smaller than kernel size" in str(exc):
            # torch's avg_pool3d alone refuses an input smaller than the kernel
            # even when the padding (or ceil_mode) makes a window: we answer as
            # its avg_pool2d does (the naive loops check those cases)
            return False
        with pytest.raises(ValueError):
            ours_forward(x, **kwargs)
        return False
    if indices:
        out, idx = ours_forward(x, return_indices=True, **kwargs)
        t_out, t_idx = torch_forward(torch.tensor(x), return_indices=True, **kwargs)
        np.testing.assert_array_equal(idx, t_idx.numpy())
    out = ours_forward(x, **kwargs)
    assert out.dtype == x.dtype
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=tol, atol=tol)
    g = rng.standard_normal(tuple(expected.shape)).astype(x.dtype)
    # torch sends the gradient of a window lying wholly in the padding to its
    # index, which is outside the window (even aliasing another element); such
    # a window has no input, so we send nothing: compare with torch without them
    expected.backward(torch.tensor(np.where(_padding_only(x.shape, kwargs), 0, g)))
    grad = ours_backward(g, x, **kwargs)
    assert grad.dtype == x.dtype
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=tol, atol=tol)
    return True


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
def test_sliding_pools_equal_torch_on_random_cases(kind, nd, dtype):
    rng = np.random.default_rng([nd, len(kind), dtype().itemsize])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    name, ours = _torch_name_and_ours(kind, nd)
    backward = getattr(convcourse, f"{name}_backward")
    compared = 0
    for _ in FAMILY_SEEDS:
        shape, kwargs = _random_sliding_case(rng, nd, kind)
        x = _values(rng, shape, dtype)
        compared += _compare_with_autograd(ours, backward, getattr(F, name), x, kwargs, rng, tol,
                                           indices=kind == "max_pool")
    assert compared >= len(FAMILY_SEEDS) // 3        # most drawn geometries are valid


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kind", ["adaptive_max_pool", "adaptive_avg_pool"])
def test_adaptive_pools_equal_torch_on_random_cases(kind, nd, dtype):
    rng = np.random.default_rng([nd, len(kind), dtype().itemsize, 7])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    name, ours = _torch_name_and_ours(kind, nd)
    backward = getattr(convcourse, f"{name}_backward")
    for _ in FAMILY_SEEDS:
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + tuple(int(v) for v in rng.integers(1, 9, nd))
        out = [int(v) for v in rng.integers(1, 10, nd)]         # smaller, equal or larger than the input
        if nd > 1 and rng.random() < 0.3:
            out[int(rng.integers(nd))] = None                    # keep that axis's size
        output_size = out[0] if nd == 1 and rng.random() < 0.5 else tuple(out)
        x = _values(rng, shape, dtype)
        assert _compare_with_autograd(ours, backward, getattr(F, name), x, dict(output_size=output_size),
                                      rng, tol, indices=kind == "adaptive_max_pool")


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pools_with_nan_and_infinity_like_torch(nd, rng):
    for kind in ["max_pool", "adaptive_max_pool"]:
        name, ours = _torch_name_and_ours(kind, nd)
        for _ in range(10):
            x = rng.choice([np.nan, np.inf, -np.inf, 0.0, 1.0], size=(1, 2) + (5,) * nd)
            kwargs = (dict(kernel_size=3, stride=2, padding=1) if kind == "max_pool"
                      else dict(output_size=3))
            t_out, t_idx = getattr(F, name)(torch.tensor(x), return_indices=True, **kwargs)
            out, idx = ours(x, return_indices=True, **kwargs)
            np.testing.assert_array_equal(out, t_out.numpy())
            np.testing.assert_array_equal(idx, t_idx.numpy())


def test_max_pool1d_corner_case_of_torchs_own_test():
    """torch's test_max_pool1d_corner_cases: a window wholly in the padding gives [[-inf]]."""
    x = np.zeros((1, 1, 3))
    kwargs = dict(kernel_size=2, stride=1, padding=1, dilation=4)
    expected = F.max_pool1d(torch.tensor(x), **kwargs)
    np.testing.assert_array_equal(expected.numpy(), [[[-np.inf]]])
    for ours in (convcourse.max_pool1d, convcourse.max_pool1d_naive):
        np.testing.assert_array_equal(ours(x, **kwargs), [[[-np.inf]]])
    # torch's backward aborts the process here (it writes to its index 3, past
    # the end of the row); the window has no input, so its gradient goes nowhere
    for backward in (convcourse.max_pool1d_backward, convcourse.max_pool1d_backward_naive):
        np.testing.assert_array_equal(backward(np.ones((1, 1, 1)), x, **kwargs), np.zeros_like(x))


@pytest.mark.parametrize("output_size", [0, (0, 2), (3, 0)])
def test_adaptive_output_size_zero_gives_an_empty_output_like_torch(output_size):
    x = np.ones((2, 3, 4, 5))
    for name in ["adaptive_avg_pool2d", "adaptive_max_pool2d"]:
        expected = getattr(F, name)(torch.tensor(x), output_size)
        assert getattr(convcourse, name)(x, output_size).shape == tuple(expected.shape)


@pytest.mark.parametrize("divisor_override", [1, 3, -2])
def test_avg_pool_divisor_override_like_torch(divisor_override, rng):
    for nd in (2, 3):
        x = rng.standard_normal((2, 2) + (5,) * nd)
        xt = torch.tensor(x, requires_grad=True)
        kwargs = dict(kernel_size=3, stride=2, padding=1, divisor_override=divisor_override)
        out = getattr(F, f"avg_pool{nd}d")(xt, **kwargs)
        g = rng.standard_normal(tuple(out.shape))
        out.backward(torch.tensor(g))
        np.testing.assert_allclose(getattr(convcourse, f"avg_pool{nd}d")(x, **kwargs),
                                   out.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(getattr(convcourse, f"avg_pool{nd}d_backward")(g, x, **kwargs),
                                   xt.grad.numpy(), atol=1e-12)
