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
