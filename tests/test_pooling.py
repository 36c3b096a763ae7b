"""Tests for convcourse.pooling: hand-worked cases, naive vs vectorised,
numerical gradients, scipy as an oracle, dtypes and errors.

torch as an oracle lives in tests/test_pooling_torch.py.
"""

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convcourse.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    global_max_pool2d,
    global_max_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
)

MAX_FORWARDS = [max_pool2d, max_pool2d_naive]
AVG_FORWARDS = [avg_pool2d, avg_pool2d_naive]
MAX_BACKWARDS = [max_pool2d_backward, max_pool2d_backward_naive]
AVG_BACKWARDS = [avg_pool2d_backward, avg_pool2d_backward_naive]


def row(*values):
    """A (1, 1, 1, W) batch holding one row of values."""
    return np.array(values, dtype=float).reshape(1, 1, 1, -1)


def distinct(rng, shape):
    """Random values without ties (gaps of at least 0.1), for central differences."""
    return (rng.permutation(int(np.prod(shape))) * 0.1 + rng.uniform(0, 0.01)).reshape(shape) - 1.0


def numerical_grad(f, x, grad_output, eps=1e-6):
    """Central differences of sum(f(x) * grad_output) with respect to x."""
    grad = np.zeros_like(x)
    for pos in np.ndindex(x.shape):
        old = x[pos]
        x[pos] = old + eps
        plus = np.sum(f(x) * grad_output)
        x[pos] = old - eps
        minus = np.sum(f(x) * grad_output)
        x[pos] = old
        grad[pos] = (plus - minus) / (2 * eps)
    return grad


# --------------------------------------------------------------------------
# Hand-worked forward cases
# --------------------------------------------------------------------------

@pytest.mark.parametrize("pool", MAX_FORWARDS)
def test_max_pool_2x2_on_arange(pool):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out, idx = pool(x, 2, return_indices=True)
    np.testing.assert_array_equal(out, [[[[5, 7], [13, 15]]]])
    np.testing.assert_array_equal(idx, [[[[5, 7], [13, 15]]]])
    assert idx.dtype == np.int64


@pytest.mark.parametrize("pool", MAX_FORWARDS)
@pytest.mark.parametrize("kwargs, expected, expected_idx", [
    # overlapping windows, stride 1
    (dict(kernel_size=(1, 2), stride=1), [5, 5, 4, 4], [1, 1, 3, 3]),
    # dilation 2: windows {0, 2}, {1, 3}, {2, 4}
    (dict(kernel_size=(1, 2), stride=1, dilation=(1, 2)), [2, 5, 3], [2, 1, 4]),
    # floor drops the last element, ceil keeps a half window
    (dict(kernel_size=(1, 2), stride=2), [5, 4], [1, 3]),
    (dict(kernel_size=(1, 2), stride=2, ceil_mode=True), [5, 4, 3], [1, 3, 4]),
    # padding 1 on the left/right only (H padding 0)
    (dict(kernel_size=(1, 2), padding=(0, 1)), [1, 5, 4], [0, 1, 3]),
])
def test_max_pool_one_row(pool, kwargs, expected, expected_idx):
    x = row(1, 5, 2, 4, 3)
    out, idx = pool(x, return_indices=True, **kwargs)
    np.testing.assert_array_equal(out.ravel(), expected)
    np.testing.assert_array_equal(idx.ravel(), expected_idx)


@pytest.mark.parametrize("pool", MAX_FORWARDS)
def test_max_pool_pads_with_minus_infinity(pool):
    # every window holds one negative element and three padding cells:
    # zero padding would give 0, -inf padding gives the element
    x = -np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out, idx = pool(x, 2, padding=1, return_indices=True)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(idx, [[[[0, 1], [2, 3]]]])


@pytest.mark.parametrize("pool", MAX_FORWARDS)
def test_max_pool_ties_index_first_maximum(pool):
    x = np.array([[[[7.0, 7.0], [7.0, 7.0]]]])
    _, idx = pool(x, 2, return_indices=True)
    assert idx.item() == 0


@pytest.mark.parametrize("pool", MAX_FORWARDS)
def test_max_pool_nan_wins(pool):
    x = row(1.0, np.nan, 3.0, 0.0)
    out, idx = pool(x, (1, 2), return_indices=True)
    np.testing.assert_array_equal(out.ravel(), [np.nan, 3.0])
    np.testing.assert_array_equal(idx.ravel(), [1, 2])


@pytest.mark.parametrize("pool", MAX_FORWARDS)
def test_max_pool_several_nans_index_the_last(pool):
    # torch replaces its maximum at every NaN, so the last NaN is reported
    out, idx = pool(row(np.nan, 1.0, np.nan, 2.0), (1, 4), return_indices=True)
    assert np.isnan(out.item())
    assert idx.item() == 2


@pytest.mark.parametrize("backward", MAX_BACKWARDS)
def test_max_backward_nan_gets_gradient(backward):
    grad = backward(row(7.0), row(np.nan, 1.0, np.nan, 2.0), (1, 4))
    np.testing.assert_array_equal(grad.ravel(), [0, 0, 7, 0])


def test_global_max_backward_nan_gets_gradient():
    grad = global_max_pool2d_backward(row(7.0), row(1.0, np.nan, 3.0, np.nan))
    np.testing.assert_array_equal(grad.ravel(), [0, 0, 0, 7])


@pytest.mark.parametrize("pool", MAX_FORWARDS)
def test_max_pool_all_minus_infinity_indexes_first_input_cell(pool):
    # the window at (0, 0) starts in the padding; torch reports the first
    # cell inside the input, never a padding position
    x = np.full((1, 1, 2, 2), -np.inf)
    out, idx = pool(x, 2, padding=1, return_indices=True)
    assert np.all(out == -np.inf)
    np.testing.assert_array_equal(idx, [[[[0, 1], [2, 3]]]])


@pytest.mark.parametrize("pool", MAX_FORWARDS)
def test_max_pool_non_square_kernel_and_stride(pool):
    x = np.arange(24.0).reshape(1, 1, 4, 6)
    out = pool(x, (2, 3), stride=(2, 1))
    # row-wise maxima of windows: bottom-right corner of each window
    np.testing.assert_array_equal(out, [[[[8, 9, 10, 11], [20, 21, 22, 23]]]])


@pytest.mark.parametrize("pool", AVG_FORWARDS)
def test_avg_pool_2x2_on_arange(pool):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_allclose(pool(x, 2), [[[[2.5, 4.5], [10.5, 12.5]]]])


@pytest.mark.parametrize("pool", AVG_FORWARDS)
@pytest.mark.parametrize("count_include_pad, expected", [
    (True, [[4 / 9, 6 / 9, 4 / 9], [6 / 9, 1, 6 / 9], [4 / 9, 6 / 9, 4 / 9]]),
    (False, np.ones((3, 3))),
])
def test_avg_pool_count_include_pad(pool, count_include_pad, expected):
    out = pool(np.ones((1, 1, 3, 3)), 3, stride=1, padding=1,
               count_include_pad=count_include_pad)
    np.testing.assert_allclose(out[0, 0], expected)


@pytest.mark.parametrize("pool", AVG_FORWARDS)
@pytest.mark.parametrize("count_include_pad, expected", [
    # windows [-2, 2), [1, 5), [4, 8) clipped to [4, 7) (padded extent is 7):
    # the last divides by 3 even though the kernel has 4 cells
    (True, [3 / 4, 14 / 4, 5 / 3]),
    (False, [3 / 2, 14 / 4, 5 / 1]),
])
def test_avg_pool_ceil_mode_window_running_off_the_end(pool, count_include_pad, expected):
    x = row(1, 2, 3, 4, 5)
    out = pool(x, (1, 4), stride=(1, 3), padding=(0, 2), ceil_mode=True,
               count_include_pad=count_include_pad)
    np.testing.assert_allclose(out.ravel(), expected)


@pytest.mark.parametrize("pool", AVG_FORWARDS)
def test_avg_pool_ceil_mode_without_padding(pool):
    out = pool(row(0, 1, 2, 3), (1, 3), stride=(1, 2), ceil_mode=True)
    np.testing.assert_allclose(out.ravel(), [1.0, 2.5])


@pytest.mark.parametrize("pool", MAX_FORWARDS + AVG_FORWARDS)
def test_ceil_mode_keeps_a_window_longer_than_the_input(pool):
    # torch: 2x2 input, kernel 3, stride 2, ceil_mode -> one window
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out = pool(x, 3, stride=2, ceil_mode=True)
    expected = 4.0 if pool in MAX_FORWARDS else 2.5
    np.testing.assert_allclose(out, [[[[expected]]]])
    with pytest.raises(ValueError, match="output size"):
        pool(x, 3, stride=2)
    # but not when the kernel overshoots by the stride or more (torch: size 0)
    with pytest.raises(ValueError, match=r"output size would be \(0, 0\)"):
        pool(x, 5, stride=2, ceil_mode=True)


def test_ceil_mode_drops_window_starting_in_right_padding():
    # 5 + 2*1 - 2 = 5 -> ceil(5/3) + 1 = 3 windows, but the third would start
    # at 6 - 1 = 5 (inside the right padding), so torch keeps 2
    out = max_pool2d(row(1, 2, 3, 4, 5), (1, 2), stride=(1, 3), padding=(0, 1), ceil_mode=True)
    np.testing.assert_array_equal(out.ravel(), [1, 4])


def test_global_pools_hand_worked():
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]], [[0.0, -1.0], [-2.0, 4.0]]]])
    np.testing.assert_array_equal(global_max_pool2d(x), [[[[5.0]], [[4.0]]]])
    np.testing.assert_allclose(global_avg_pool2d(x), [[[[2.75]], [[0.25]]]])


def test_global_pools_equal_full_window_pools(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(global_max_pool2d(x), max_pool2d(x, (4, 5)))
    np.testing.assert_allclose(global_avg_pool2d(x), avg_pool2d(x, (4, 5)))
    g = rng.standard_normal((2, 3, 1, 1))
    np.testing.assert_array_equal(global_max_pool2d_backward(g, x), max_pool2d_backward(g, x, (4, 5)))
    np.testing.assert_allclose(global_avg_pool2d_backward(g, x), avg_pool2d_backward(g, x, (4, 5)))


# --------------------------------------------------------------------------
# Hand-worked backward cases: ties and overlapping windows
# --------------------------------------------------------------------------

@pytest.mark.parametrize("backward", MAX_BACKWARDS)
def test_max_backward_ties_go_to_top_left(backward):
    x = np.ones((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = 5.0          # a window of four equal maxima
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = np.zeros((4, 4))
    expected[0, 0], expected[0, 2], expected[2, 0], expected[2, 2] = 1, 2, 3, 4
    np.testing.assert_array_equal(backward(g, x, 2)[0, 0], expected)


@pytest.mark.parametrize("backward", MAX_BACKWARDS)
def test_max_backward_overlapping_windows_add_up(backward):
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 9.0            # the maximum of all four 2x2 windows
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = np.zeros((3, 3))
    expected[1, 1] = 10.0
    np.testing.assert_array_equal(backward(g, x, 2, stride=1)[0, 0], expected)


@pytest.mark.parametrize("backward", MAX_BACKWARDS)
def test_max_backward_overlapping_windows_with_ties(backward):
    # all equal: each 2x2 window (stride 1) picks its own top-left cell
    x = np.ones((1, 1, 3, 3))
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = [[1, 2, 0], [3, 4, 0], [0, 0, 0]]
    np.testing.assert_array_equal(backward(g, x, 2, stride=1)[0, 0], expected)


@pytest.mark.parametrize("backward", MAX_BACKWARDS)
def test_max_backward_tie_across_overlap(backward):
    # windows {0,1,2} and {2,3,4} (stride 2) each hold 3 twice: the first wins
    x = row(3, 1, 3, 0, 3)
    g = row(10, 100)
    np.testing.assert_array_equal(backward(g, x, (1, 3), stride=(1, 2)).ravel(), [10, 0, 100, 0, 0])


def test_global_max_backward_ties_go_to_first():
    x = np.array([[[[1.0, 5.0], [5.0, 5.0]]]])
    np.testing.assert_array_equal(global_max_pool2d_backward(np.full((1, 1, 1, 1), 2.0), x),
                                  [[[[0.0, 2.0], [0.0, 0.0]]]])


@pytest.mark.parametrize("backward", AVG_BACKWARDS)
def test_avg_backward_hand_worked(backward):
    g = np.array([[[[4.0, 8.0]]]])
    out = backward(g, np.zeros((1, 1, 2, 3)), 2, stride=1)
    np.testing.assert_allclose(out[0, 0], [[1, 3, 2], [1, 3, 2]])


@pytest.mark.parametrize("backward", AVG_BACKWARDS)
def test_avg_backward_drops_padding_share(backward):
    # one 2x2 window covering the single input cell and three padding cells
    out = backward(np.array([[[[4.0]]]]), np.zeros((1, 1, 1, 1)), 2, padding=1)
    np.testing.assert_allclose(out, [[[[1.0]]]])
    out = backward(np.array([[[[4.0]]]]), np.zeros((1, 1, 1, 1)), 2, padding=1,
                   count_include_pad=False)
    np.testing.assert_allclose(out, [[[[4.0]]]])


def test_global_avg_backward_spreads_evenly():
    out = global_avg_pool2d_backward(np.array([[[[6.0]], [[-3.0]]]]), np.zeros((1, 2, 2, 3)))
    np.testing.assert_allclose(out[0, 0], np.ones((2, 3)))
    np.testing.assert_allclose(out[0, 1], -0.5 * np.ones((2, 3)))


# --------------------------------------------------------------------------
# Naive against vectorised, numerical gradients
# --------------------------------------------------------------------------

MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=(3, 2), stride=2, padding=1, dilation=(1, 2)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=(2, 3), padding=1, ceil_mode=True),
]
AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(4, 3), stride=3, padding=(2, 1), ceil_mode=True),
    dict(kernel_size=(4, 3), stride=3, padding=(2, 1), ceil_mode=True, count_include_pad=False),
]


@pytest.mark.parametrize("kwargs", MAX_CASES)
def test_max_naive_equals_vectorised(kwargs, rng):
    x = rng.integers(-2, 3, size=(2, 3, 6, 7)).astype(float)   # many ties
    out, idx = max_pool2d(x, return_indices=True, **kwargs)
    out_n, idx_n = max_pool2d_naive(x, return_indices=True, **kwargs)
    np.testing.assert_array_equal(out, out_n)
    np.testing.assert_array_equal(idx, idx_n)
    np.testing.assert_array_equal(max_pool2d(x, **kwargs), out)
    g = rng.standard_normal(out.shape)
    np.testing.assert_allclose(max_pool2d_backward(g, x, **kwargs),
                               max_pool2d_backward_naive(g, x, **kwargs), atol=1e-12)


@pytest.mark.parametrize("kwargs", AVG_CASES)
def test_avg_naive_equals_vectorised(kwargs, rng):
    x = rng.standard_normal((2, 3, 6, 7))
    out = avg_pool2d(x, **kwargs)
    np.testing.assert_allclose(out, avg_pool2d_naive(x, **kwargs), atol=1e-12)
    g = rng.standard_normal(out.shape)
    np.testing.assert_allclose(avg_pool2d_backward(g, x, **kwargs),
                               avg_pool2d_backward_naive(g, x, **kwargs), atol=1e-12)


@pytest.mark.parametrize("kwargs", MAX_CASES)
def test_max_backward_equals_numerical_gradient(kwargs, rng):
    x = distinct(rng, (2, 2, 5, 6))
    g = rng.standard_normal(max_pool2d(x, **kwargs).shape)
    expected = numerical_grad(lambda v: max_pool2d(v, **kwargs), x, g)
    np.testing.assert_allclose(max_pool2d_backward(g, x, **kwargs), expected, atol=1e-6)


@pytest.mark.parametrize("kwargs", AVG_CASES)
def test_avg_backward_equals_numerical_gradient(kwargs, rng):
    x = rng.standard_normal((2, 2, 5, 6))
    g = rng.standard_normal(avg_pool2d(x, **kwargs).shape)
    expected = numerical_grad(lambda v: avg_pool2d(v, **kwargs), x, g)
    np.testing.assert_allclose(avg_pool2d_backward(g, x, **kwargs), expected, atol=1e-6)


@pytest.mark.parametrize("forward, backward", [
    (global_max_pool2d, global_max_pool2d_backward),
    (global_avg_pool2d, global_avg_pool2d_backward),
])
def test_global_backward_equals_numerical_gradient(forward, backward, rng):
    x = distinct(rng, (2, 3, 3, 4))
    g = rng.standard_normal((2, 3, 1, 1))
    np.testing.assert_allclose(backward(g, x), numerical_grad(forward, x, g), atol=1e-6)


@st.composite
def pool_geometry(draw, dilation=True):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    shape = (draw(st.integers(0, 2)), draw(st.integers(1, 2)),
             draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    return shape, k, s, p, d


def _accepted(f, *args, **kwargs):
    """Call f, turning a ValueError (geometry rejected) into a hypothesis reject."""
    try:
        return f(*args, **kwargs)
    except ValueError:
        assume(False)


@settings(max_examples=40)
@given(pool_geometry(), st.booleans(), st.integers(0, 2**32 - 1))
def test_property_max_naive_equals_vectorised(geometry, ceil_mode, seed):
    shape, k, s, p, d = geometry
    x = np.random.default_rng(seed).integers(-2, 3, size=shape).astype(float)
    out, idx = _accepted(max_pool2d, x, k, s, p, d, ceil_mode, return_indices=True)
    out_n, idx_n = max_pool2d_naive(x, k, s, p, d, ceil_mode, return_indices=True)
    np.testing.assert_array_equal(out, out_n)
    np.testing.assert_array_equal(idx, idx_n)
    g = np.random.default_rng(seed + 1).standard_normal(out.shape)
    np.testing.assert_allclose(max_pool2d_backward(g, x, k, s, p, d, ceil_mode),
                               max_pool2d_backward_naive(g, x, k, s, p, d, ceil_mode))


@settings(max_examples=40)
@given(pool_geometry(dilation=False), st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_property_avg_naive_equals_vectorised(geometry, ceil_mode, include, seed):
    shape, k, s, p, _ = geometry
    x = np.random.default_rng(seed).standard_normal(shape)
    out = _accepted(avg_pool2d, x, k, s, p, ceil_mode, include)
    np.testing.assert_allclose(out, avg_pool2d_naive(x, k, s, p, ceil_mode, include), atol=1e-12)
    g = np.random.default_rng(seed + 1).standard_normal(out.shape)
    np.testing.assert_allclose(avg_pool2d_backward(g, x, k, s, p, ceil_mode, include),
                               avg_pool2d_backward_naive(g, x, k, s, p, ceil_mode, include),
                               atol=1e-12)


# --------------------------------------------------------------------------
# scipy as an independent oracle (no ceil_mode: scipy has no such notion)
# --------------------------------------------------------------------------

@settings(max_examples=40)
@given(pool_geometry(), st.integers(0, 2**32 - 1))
def test_property_max_pool_equals_scipy_maximum_filter(geometry, seed):
    shape, k, s, p, d = geometry
    x = np.random.default_rng(seed).standard_normal(shape)
    out = _accepted(max_pool2d, x, k, s, p, d)
    footprint = np.zeros((d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1), dtype=bool)
    footprint[::d[0], ::d[1]] = True
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-np.inf)
    filtered = scipy.ndimage.maximum_filter(xp, footprint=footprint[None, None], mode="nearest")
    c0, c1 = footprint.shape[0] // 2, footprint.shape[1] // 2
    expected = filtered[:, :, c0::s[0], c1::s[1]][:, :, :out.shape[2], :out.shape[3]]
    np.testing.assert_array_equal(out, expected)


@settings(max_examples=40)
@given(pool_geometry(dilation=False), st.booleans(), st.integers(0, 2**32 - 1))
def test_property_avg_pool_equals_scipy_correlate2d(geometry, include, seed):
    shape, k, s, p, _ = geometry
    x = np.random.default_rng(seed).standard_normal(shape)
    out = _accepted(avg_pool2d, x, k, s, p, count_include_pad=include)
    pads = ((p[0], p[0]), (p[1], p[1]))
    ones = np.ones(k)
    count = scipy.signal.correlate2d(np.pad(np.ones(shape[2:]), pads), ones, "valid")
    divisor = ones.size if include else count
    for n in range(shape[0]):
        for c in range(shape[1]):
            total = scipy.signal.correlate2d(np.pad(x[n, c], pads), ones, "valid")
            expected = (total / divisor)[::s[0], ::s[1]]
            np.testing.assert_allclose(out[n, c], expected, atol=1e-12)


# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------

FORWARD_CALLS = [
    ("max_pool2d", lambda x: max_pool2d(x, 2)),
    ("max_pool2d_naive", lambda x: max_pool2d_naive(x, 2)),
    ("avg_pool2d", lambda x: avg_pool2d(x, 2, padding=1)),
    ("avg_pool2d_naive", lambda x: avg_pool2d_naive(x, 2, padding=1)),
    ("global_max_pool2d", global_max_pool2d),
    ("global_avg_pool2d", global_avg_pool2d),
]
BACKWARD_CALLS = [
    ("max_pool2d_backward", lambda g, x: max_pool2d_backward(g, x, 2), (1, 2, 2, 2)),
    ("max_pool2d_backward_naive", lambda g, x: max_pool2d_backward_naive(g, x, 2), (1, 2, 2, 2)),
    ("avg_pool2d_backward", lambda g, x: avg_pool2d_backward(g, x, 2, padding=1), (1, 2, 3, 3)),
    ("avg_pool2d_backward_naive", lambda g, x: avg_pool2d_backward_naive(g, x, 2, padding=1), (1, 2, 3, 3)),
    ("global_max_pool2d_backward", global_max_pool2d_backward, (1, 2, 1, 1)),
    ("global_avg_pool2d_backward", global_avg_pool2d_backward, (1, 2, 1, 1)),
]


@pytest.mark.parametrize("name, call", FORWARD_CALLS)
@pytest.mark.parametrize("dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64), (np.float16, np.float16),
    (np.int32, np.float64), (np.uint8, np.float64), (bool, np.float64),
])
def test_forward_dtype(name, call, dtype, expected):
    x = (np.arange(2 * 4 * 4).reshape(1, 2, 4, 4) % 3).astype(dtype)
    out = call(x)
    assert out.dtype == expected, name
    np.testing.assert_allclose(out, call(x.astype(np.float64)), rtol=1e-3)


@pytest.mark.parametrize("name, call, gshape", BACKWARD_CALLS)
@pytest.mark.parametrize("x_dtype, g_dtype, expected", [
    (np.float32, np.float32, np.float32),
    (np.float64, np.float64, np.float64),
    (np.float32, np.float64, np.float64),
    (np.int64, np.float32, np.float64),
])
def test_backward_dtype(name, call, gshape, x_dtype, g_dtype, expected, rng):
    x = rng.integers(0, 50, (1, 2, 4, 4)).astype(x_dtype)
    g = rng.standard_normal(gshape).astype(g_dtype)
    out = call(g, x)
    assert out.dtype == expected, name
    assert out.shape == x.shape
    np.testing.assert_allclose(out, call(g.astype(float), x.astype(float)), rtol=1e-5, atol=1e-6)


def test_empty_batch_is_allowed():
    x = np.zeros((0, 3, 4, 4), dtype=np.float32)
    assert max_pool2d(x, 2).shape == (0, 3, 2, 2)
    assert avg_pool2d(x, 2).dtype == np.float32
    assert max_pool2d_backward(np.zeros((0, 3, 2, 2)), x, 2).shape == (0, 3, 4, 4)


def test_inputs_are_not_modified(rng):
    x = rng.standard_normal((1, 2, 5, 5))
    g = rng.standard_normal((1, 2, 3, 3))
    x0, g0 = x.copy(), g.copy()
    max_pool2d_backward(g, x, 3, stride=2, padding=1)
    avg_pool2d_backward(g, x, 3, stride=2, padding=1)
    max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)


# --------------------------------------------------------------------------
# Errors: the message names the argument and the value received
# --------------------------------------------------------------------------

X = np.zeros((1, 2, 4, 4))
ALL_MAX = MAX_FORWARDS + [
    lambda x, *a, **k: max_pool2d_backward(np.zeros((1, 2, 2, 2)), x, *a, **k),
    lambda x, *a, **k: max_pool2d_backward_naive(np.zeros((1, 2, 2, 2)), x, *a, **k),
]
ALL_AVG = AVG_FORWARDS + [
    lambda x, *a, **k: avg_pool2d_backward(np.zeros((1, 2, 2, 2)), x, *a, **k),
    lambda x, *a, **k: avg_pool2d_backward_naive(np.zeros((1, 2, 2, 2)), x, *a, **k),
]


@pytest.mark.parametrize("pool", ALL_MAX + ALL_AVG)
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(kernel_size=0), ValueError, r"kernel_size must be >= 1.*got 0"),
    (dict(kernel_size=-1), ValueError, r"kernel_size must be >= 1.*got -1"),
    (dict(kernel_size=1.5), TypeError, r"kernel_size must be an int.*1\.5"),
    (dict(kernel_size=(2, 2, 2)), ValueError, r"kernel_size must be an int or a sequence of 2"),
    (dict(kernel_size=2, stride=0), ValueError, r"stride must be >= 1.*got 0"),
    (dict(kernel_size=2, stride=-1), ValueError, r"stride must be >= 1.*got -1"),
    (dict(kernel_size=2, stride=1.5), TypeError, r"stride must be an int.*1\.5"),
    (dict(kernel_size=2, padding=-1), ValueError, r"padding must be >= 0.*got -1"),
    (dict(kernel_size=2, padding="same"), TypeError, r"padding must be an int.*'same'"),
    (dict(kernel_size=3, padding=2), ValueError, r"padding must be at most half of kernel_size.*padding=\(2, 2\).*kernel_size=\(3, 3\)"),
    (dict(kernel_size=(3, 1), padding=1), ValueError, r"at most half.*padding=\(1, 1\).*kernel_size=\(3, 1\)"),
    (dict(kernel_size=5), ValueError, r"the kernel is larger than the padded input: kernel_size gives kernel size \(5, 5\).*output size would be \(0, 0\)"),
    (dict(kernel_size=2, ceil_mode="yes"), TypeError, r"ceil_mode must be a bool, got 'yes'"),
])
def test_bad_geometry(pool, kwargs, error, match):
    with pytest.raises(error, match=match):
        pool(X, **kwargs)


@pytest.mark.parametrize("pool", ALL_MAX)
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(dilation=0), ValueError, r"dilation must be >= 1.*got 0"),
    (dict(dilation=1.5), TypeError, r"dilation must be an int.*1\.5"),
    (dict(return_indices=1), TypeError, r"return_indices must be a bool, got 1"),
])
def test_bad_max_arguments(pool, kwargs, error, match):
    with pytest.raises(error, match=match):
        pool(X, 2, **kwargs)


@pytest.mark.parametrize("pool", ALL_AVG)
def test_bad_count_include_pad(pool):
    with pytest.raises(TypeError, match=r"count_include_pad must be a bool, got None"):
        pool(X, 2, count_include_pad=None)


@pytest.mark.parametrize("pool", MAX_FORWARDS)
def test_window_of_only_padding_gives_minus_infinity(pool):
    # kernel 2 with dilation 4 and padding 1 on width 3: the middle row's
    # window has taps at -1 and 3, both padding.  torch returns -inf there and
    # the index of its first tap at or after 0 (3: outside the row).
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    out, idx = pool(x, (1, 2), padding=(0, 1), dilation=(1, 4), return_indices=True)
    np.testing.assert_array_equal(out.ravel(), [-np.inf, -np.inf, -np.inf])
    np.testing.assert_array_equal(idx.ravel(), [3, 6, 9])


@pytest.mark.parametrize("backward", MAX_BACKWARDS)
def test_window_of_only_padding_sends_no_gradient(backward):
    # the same windows: their index points at no element of the window (and
    # 3 and 6 alias the next row's first element), so nothing may arrive there
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    grad = backward(np.ones((1, 1, 3, 1)), x, (1, 2), padding=(0, 1), dilation=(1, 4))
    np.testing.assert_array_equal(grad, np.zeros_like(x))


ANY_X_CALLS = [
    lambda x: max_pool2d(x, 1), lambda x: max_pool2d_naive(x, 1),
    lambda x: avg_pool2d(x, 1), lambda x: avg_pool2d_naive(x, 1),
    global_max_pool2d, global_avg_pool2d,
    lambda x: max_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 1),
    lambda x: max_pool2d_backward_naive(np.zeros((1, 1, 2, 2)), x, 1),
    lambda x: avg_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 1),
    lambda x: avg_pool2d_backward_naive(np.zeros((1, 1, 2, 2)), x, 1),
    lambda x: global_max_pool2d_backward(np.zeros((1, 1, 1, 1)), x),
    lambda x: global_avg_pool2d_backward(np.zeros((1, 1, 1, 1)), x),
]


@pytest.mark.parametrize("call", ANY_X_CALLS)
@pytest.mark.parametrize("x, error, match", [
    (np.zeros((1, 2, 2)), ValueError, r"x must be a 4-D array of shape \(N, C, H, W\), got shape \(1, 2, 2\)"),
    (np.zeros((1, 1, 1, 2, 2)), ValueError, r"x must be a 4-D.*got shape \(1, 1, 1, 2, 2\)"),
    (np.zeros((1, 0, 2, 2)), ValueError, r"x must have non-zero C, H and W.*\(1, 0, 2, 2\)"),
    (np.zeros((1, 1, 2, 2), dtype=complex), TypeError, r"x must be a real-valued.*complex128"),
    (np.zeros((1, 1, 2, 2), dtype=object), TypeError, r"x must be a real-valued.*object"),
    (np.array(["ab"]), TypeError, r"x must be a real-valued"),
])
def test_bad_x(call, x, error, match):
    with pytest.raises(error, match=match):
        call(x)


BACKWARD_GRAD_CALLS = [
    lambda g: max_pool2d_backward(g, X, 2),
    lambda g: max_pool2d_backward_naive(g, X, 2),
    lambda g: avg_pool2d_backward(g, X, 2),
    lambda g: avg_pool2d_backward_naive(g, X, 2),
    lambda g: global_max_pool2d_backward(g, X),
    lambda g: global_avg_pool2d_backward(g, X),
]


@pytest.mark.parametrize("call", BACKWARD_GRAD_CALLS)
@pytest.mark.parametrize("g, error, match", [
    (np.zeros((1, 2, 3, 3)), ValueError, r"grad_output must have shape .*got shape \(1, 2, 3, 3\)"),
    (np.zeros((2, 2)), ValueError, r"grad_output must have shape .*got shape \(2, 2\)"),
    (np.zeros((1, 2, 2, 2), dtype=complex), TypeError, r"grad_output must be a real-valued.*complex"),
])
def test_bad_grad_output(call, g, error, match):
    with pytest.raises(error, match=match):
        call(g)


# --------------------------------------------------------------------------
# The whole family in 1, 2 and 3 dimensions (issue 12)
# --------------------------------------------------------------------------

import convcourse  # noqa: E402


def family(name):
    """(forward, naive forward, backward, naive backward) of a pooling by name."""
    return tuple(getattr(convcourse, name + suffix)
                 for suffix in ("", "_naive", "_backward", "_backward_naive"))


@st.composite
def sliding_case(draw, nd, kind):
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    kwargs = dict(kernel_size=k, stride=tuple(draw(st.integers(1, 3)) for _ in range(nd)),
                  padding=tuple(draw(st.integers(0, ki // 2)) for ki in k),
                  ceil_mode=draw(st.booleans()))
    if kind == "max_pool":
        kwargs["dilation"] = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    else:
        kwargs["count_include_pad"] = draw(st.booleans())
        if nd > 1:
            kwargs["divisor_override"] = draw(st.sampled_from([None, None, 1, 3, -2]))
    shape = (draw(st.integers(0, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(1, 6)) for _ in range(nd))
    return shape, kwargs


@st.composite
def adaptive_case(draw, nd):
    out = tuple(draw(st.one_of(st.integers(1, 7), st.none())) for _ in range(nd))
    shape = (draw(st.integers(0, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(1, 7)) for _ in range(nd))
    return shape, dict(output_size=out)


def _naive_equals_vectorised(name, shape, kwargs, seed, indices):
    forward, forward_naive, backward, backward_naive = family(name)
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=shape).astype(float)           # many ties
    x[rng.random(shape) < 0.1] = rng.choice([np.nan, np.inf, -np.inf])
    try:
        out = forward(x, **kwargs)
    except ValueError:
        with pytest.raises(ValueError):
            forward_naive(x, **kwargs)
        assume(False)
    np.testing.assert_allclose(out, forward_naive(x, **kwargs), atol=1e-12, equal_nan=True)
    if indices:
        np.testing.assert_array_equal(forward(x, return_indices=True, **kwargs)[1],
                                      forward_naive(x, return_indices=True, **kwargs)[1])
    g = rng.standard_normal(out.shape)
    np.testing.assert_allclose(backward(g, x, **kwargs), backward_naive(g, x, **kwargs),
                               atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
@settings(max_examples=25)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_property_sliding_naive_equals_vectorised_every_dimension(kind, nd, data, seed):
    shape, kwargs = data.draw(sliding_case(nd, kind))
    _naive_equals_vectorised(f"{kind}{nd}d", shape, kwargs, seed, indices=kind == "max_pool")


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kind", ["adaptive_max_pool", "adaptive_avg_pool"])
@settings(max_examples=25)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_property_adaptive_naive_equals_vectorised_every_dimension(kind, nd, data, seed):
    shape, kwargs = data.draw(adaptive_case(nd))
    _naive_equals_vectorised(f"{kind}{nd}d", shape, kwargs, seed, indices=kind == "adaptive_max_pool")


@pytest.mark.parametrize("name", ["adaptive_avg_pool1d", "adaptive_avg_pool1d_naive"])
@pytest.mark.parametrize("out, expected", [
    # torch's edges floor(i*5/out) .. ceil((i+1)*5/out)
    (2, [(1 + 2 + 3) / 3, (3 + 4 + 5) / 3]),       # [0, 3) and [2, 5): the middle is shared
    (3, [1.5, 3.0, 4.5]),                          # [0, 2), [1, 4), [3, 5)
    (5, [1, 2, 3, 4, 5]),
    (7, [1, 1.5, 2.5, 3, 3.5, 4.5, 5]),            # more bins than elements: [1, 3), [2, 4) ...
])
def test_adaptive_bins_by_hand(name, out, expected):
    np.testing.assert_allclose(getattr(convcourse, name)(row(1, 2, 3, 4, 5)[0], out).ravel(), expected)


@pytest.mark.parametrize("name", ["adaptive_max_pool2d", "adaptive_max_pool2d_naive"])
def test_adaptive_max_ties_and_nan_like_max_pool(name):
    x = np.array([[[[1.0, 3.0, 3.0, np.nan], [3.0, 0.0, np.nan, 1.0]]]])
    out, idx = getattr(convcourse, name)(x, (1, 2), return_indices=True)
    np.testing.assert_array_equal(out.ravel(), [3.0, np.nan])
    np.testing.assert_array_equal(idx.ravel(), [1, 6])          # first 3; the last NaN


@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_adaptive_backward_equals_numerical_gradient(name, rng):
    forward, _, backward, _ = family(name)
    x = distinct(rng, (2, 2, 5, 4))
    g = rng.standard_normal((2, 2, 3, 3))
    expected = numerical_grad(lambda v: forward(v, 3), x, g)
    np.testing.assert_allclose(backward(g, x, 3), expected, atol=1e-6)


@pytest.mark.parametrize("name", ["max_pool3d", "avg_pool3d", "max_pool1d", "avg_pool1d"])
def test_1d_and_3d_backward_equal_numerical_gradient(name, rng):
    forward, _, backward, _ = family(name)
    nd = int(name[-2])
    x = distinct(rng, (1, 2) + (5,) * nd)
    kwargs = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    g = rng.standard_normal(forward(x, **kwargs).shape)
    expected = numerical_grad(lambda v: forward(v, **kwargs), x, g)
    np.testing.assert_allclose(backward(g, x, **kwargs), expected, atol=1e-6)


@pytest.mark.parametrize("pool", AVG_FORWARDS)
def test_divisor_override_divides_every_window_by_it(pool):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_allclose(pool(x, 2, divisor_override=1), [[[[10, 18], [42, 50]]]])
    np.testing.assert_allclose(pool(x, 2, divisor_override=None), pool(x, 2))
    with pytest.raises(ValueError, match="divisor_override must be a non-zero int or None, got 0"):
        pool(x, 2, divisor_override=0)
    with pytest.raises(TypeError, match=r"divisor_override must be an int, got 1\.5"):
        pool(x, 2, divisor_override=1.5)


def test_global_pools_are_adaptive_pools_to_one_bin(rng):
    x = rng.integers(-2, 3, size=(2, 3, 4, 5)).astype(float)
    g = rng.standard_normal((2, 3, 1, 1))
    np.testing.assert_array_equal(global_max_pool2d(x), convcourse.adaptive_max_pool2d(x, 1))
    np.testing.assert_array_equal(global_avg_pool2d(x), convcourse.adaptive_avg_pool2d(x, 1))
    np.testing.assert_array_equal(global_max_pool2d_backward(g, x),
                                  convcourse.adaptive_max_pool2d_backward(g, x, 1))


@pytest.mark.parametrize("output_size, error, match", [
    ((2, 2, 2), ValueError, r"output_size must be an int or a sequence of 2 ints or None, got \(2, 2, 2\)"),
    (1.5, TypeError, r"output_size must be an int or a sequence of 2 ints or None, got 1\.5"),
    (None, TypeError, r"output_size .* got None"),
    ((2, -1), ValueError, r"output_size must be >= 0 in every dimension, got \(2, -1\)"),
])
@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d_naive"])
def test_adaptive_rejects_bad_output_size(name, output_size, error, match):
    with pytest.raises(error, match=match):
        getattr(convcourse, name)(np.zeros((1, 1, 4, 4)), output_size)
