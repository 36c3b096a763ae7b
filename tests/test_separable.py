"""Tests for convcourse.separable: separable kernels and depthwise-separable convolutions."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from convcourse.separable import (
    depthwise_conv2d,
    depthwise_conv2d_naive,
    depthwise_separable_conv2d,
    depthwise_separable_conv2d_naive,
    is_separable,
    pointwise_conv2d,
    pointwise_conv2d_naive,
    separable_correlate2d,
    separable_correlate2d_naive,
    separate_kernel,
)

SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])


# --- separate_kernel / is_separable ------------------------------------------------------

def test_separate_sobel_recovers_integer_factors():
    column, row = separate_kernel(SOBEL_X)
    np.testing.assert_array_equal(column, [1, 2, 1])
    np.testing.assert_array_equal(row, [1, 0, -1])
    np.testing.assert_array_equal(np.outer(column, row), SOBEL_X)


@pytest.mark.parametrize(
    "kernel, column, row",
    [
        (SOBEL_X.T, [1, 0, -1], [1, 2, 1]),
        (-SOBEL_X, [1, 2, 1], [-1, 0, 1]),             # sign moves to the row
        (np.ones((2, 3)), [1, 1], [1, 1, 1]),
        ([[2, 4], [3, 6]], [2, 3], [1, 2]),             # row primitive, column carries the scale
        ([[0, 0], [0, 5]], [0, 5], [0, 1]),
        ([[-3]], [3], [-1]),
    ],
)
def test_separate_integer_kernels(kernel, column, row):
    got_column, got_row = separate_kernel(kernel)
    np.testing.assert_array_equal(got_column, column)
    np.testing.assert_array_equal(got_row, row)
    np.testing.assert_array_equal(np.outer(got_column, got_row), kernel)


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (5, 2), (1, 7), (6, 1)])
def test_separate_random_rank_one(shape, rng):
    kernel = np.outer(rng.standard_normal(shape[0]), rng.standard_normal(shape[1]))
    column, row = separate_kernel(kernel)
    assert column.shape == (shape[0],) and row.shape == (shape[1],)
    assert column.dtype == row.dtype == np.float64
    np.testing.assert_allclose(np.outer(column, row), kernel, atol=1e-12)
    assert column[np.argmax(np.abs(column))] > 0
    # the scale is split evenly for non-integer kernels
    assert np.linalg.norm(column) == pytest.approx(np.linalg.norm(row))


def test_separate_normalised_gaussian_gives_1d_gaussian():
    g = np.exp(-0.5 * (np.arange(-3, 4) / 1.3) ** 2)
    g /= g.sum()
    column, row = separate_kernel(np.outer(g, g))
    np.testing.assert_allclose(column, g, atol=1e-14)
    np.testing.assert_allclose(row, g, atol=1e-14)


def test_separate_zero_kernel():
    column, row = separate_kernel(np.zeros((2, 3)))
    np.testing.assert_array_equal(column, [0, 0])
    np.testing.assert_array_equal(row, [0, 0, 0])


@pytest.mark.parametrize(
    "kernel",
    [
        [[1, 0], [0, 1]],
        [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    ],
)
def test_separate_rejects_rank_two(kernel):
    with pytest.raises(ValueError, match=r"not separable: it has rank [23].*second singular value"):
        separate_kernel(kernel)
    assert is_separable(kernel) is False


def test_atol_decides_near_rank_one(rng):
    kernel = np.outer([1.0, 2.0, 3.0], [1.0, -1.0]) + 1e-10 * rng.standard_normal((3, 2))
    assert is_separable(kernel) is True
    np.testing.assert_allclose(np.outer(*separate_kernel(kernel)), kernel, atol=1e-9)
    assert is_separable(kernel, atol=1e-13) is False
    with pytest.raises(ValueError, match=r"rank 2.*atol=1e-13"):
        separate_kernel(kernel, atol=1e-13)


@pytest.mark.parametrize("kernel, expected", [(np.ones((3, 3)), True), (SOBEL_X, True),
                                              ([[5.0]], True), (np.eye(3), False)])
def test_is_separable(kernel, expected):
    assert is_separable(kernel) is expected


@pytest.mark.parametrize("func", [separate_kernel, is_separable])
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"kernel": [1, 2, 3]}, ValueError, r"kernel must be a 2-D array.*got shape \(3,\)"),
        ({"kernel": np.ones((2, 2, 2))}, ValueError, r"kernel must be a 2-D.*\(2, 2, 2\)"),
        ({"kernel": np.ones((0, 3))}, ValueError, r"kernel must not be empty.*\(0, 3\)"),
        ({"kernel": np.ones((2, 2), complex)}, TypeError, r"kernel must be a real-valued array.*complex128"),
        ({"kernel": np.array([["a"]])}, TypeError, r"kernel must be a real-valued array.*<U1"),
        ({"kernel": [[1.0, np.nan]]}, ValueError, r"kernel must contain only finite"),
        ({"kernel": np.ones((2, 2)), "atol": -1.0}, ValueError, r"atol must be >= 0, got -1\.0"),
        ({"kernel": np.ones((2, 2)), "atol": "0"}, TypeError, r"atol must be a real number, got '0'"),
    ],
)
def test_separate_rejects(func, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(**kwargs)


# --- separable_correlate2d ---------------------------------------------------------------

@given(
    h=st.integers(1, 8), w=st.integers(1, 8), kh=st.integers(1, 6), kw=st.integers(1, 6),
    mode=st.sampled_from(["full", "valid", "same"]), seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=80)
def test_separable_correlate2d_equals_scipy(h, w, kh, kw, mode, seed):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((h, w))
    column, row = rng.standard_normal(kh), rng.standard_normal(kw)
    kernel = np.outer(column, row)
    mixed = (h - kh) * (w - kw) < 0
    if mode == "valid" and mixed:
        with pytest.raises(ValueError, match="For 'valid' mode"):
            scipy.signal.correlate2d(image, kernel, mode)
        with pytest.raises(ValueError, match=r"in 'valid' mode one input .*image of shape"):
            separable_correlate2d(image, column, row, mode)
        return
    expected = scipy.signal.correlate2d(image, kernel, mode)
    got = separable_correlate2d(image, column, row, mode)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("image_shape, kh, kw", [((5, 6), 3, 2), ((4, 4), 4, 1), ((2, 3), 4, 5)])
def test_naive_equals_vectorised(mode, image_shape, kh, kw, rng):
    image = rng.standard_normal(image_shape)
    column, row = rng.standard_normal(kh), rng.standard_normal(kw)
    np.testing.assert_allclose(separable_correlate2d_naive(image, column, row, mode),
                               separable_correlate2d(image, column, row, mode), atol=1e-12)


def test_separable_correlate2d_hand_worked():
    image = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    # kernel [[1, -1], [2, -2]]: out = (I[i,j] - I[i,j+1]) + 2 (I[i+1,j] - I[i+1,j+1])
    np.testing.assert_array_equal(separable_correlate2d(image, [1, 2], [1, -1]), [[-3.0, -3.0]])


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_integer_inputs_keep_scipy_dtype(mode, rng):
    image = rng.integers(-5, 6, size=(6, 7))
    column, row = np.array([1, 2, 1]), np.array([1, 0, -1])
    expected = scipy.signal.correlate2d(image, np.outer(column, row), mode)
    got = separable_correlate2d(image, column, row, mode)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_float32_and_complex_follow_scipy(rng):
    image = rng.standard_normal((5, 5)).astype(np.float32)
    column, row = np.ones(3, np.float32), np.arange(3, dtype=np.float32)
    expected = scipy.signal.correlate2d(image, np.outer(column, row), "same")
    got = separable_correlate2d(image, column, row, "same")
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    column = np.array([1 + 2j, 3 - 1j])                     # scipy conjugates the kernel
    expected = scipy.signal.correlate2d(image, np.outer(column, row), "full")
    np.testing.assert_allclose(separable_correlate2d(image, column, row, "full"), expected, rtol=1e-6)


def test_separating_then_filtering_equals_full_kernel(rng):
    image = rng.standard_normal((9, 11))
    column, row = separate_kernel(SOBEL_X)
    np.testing.assert_allclose(separable_correlate2d(image, column, row, "same"),
                               scipy.signal.correlate2d(image, SOBEL_X, "same"), atol=1e-12)


@pytest.mark.parametrize("func", [separable_correlate2d, separable_correlate2d_naive])
@pytest.mark.parametrize(
    "args, error, match",
    [
        ((np.ones(4), [1], [1]), ValueError, r"image must be a 2-D array.*\(4,\)"),
        ((np.ones((3, 3)), np.ones((2, 2)), [1]), ValueError, r"column must be a non-empty 1-D.*\(2, 2\)"),
        ((np.ones((3, 3)), [1], []), ValueError, r"row must be a non-empty 1-D.*\(0,\)"),
        ((np.ones((3, 3)), [1], [1], "middle"), ValueError, r"mode must be one of.*'middle'"),
        ((np.array([["a"]]), [1], [1]), TypeError, r"image must be a numeric array.*<U1"),
        ((np.ones((3, 5)), np.ones(4), np.ones(2)), ValueError, r"'valid' mode.*image of shape \(3, 5\).*np.outer\(column, row\) of shape \(4, 2\)"),
        ((np.ones((3, 3), bool), np.ones(2, bool), np.ones(2, bool)), ValueError, r"give a bool result.*not support"),
        ((np.ones((3, 3), np.float16), np.ones(2, np.float16), np.ones(1, np.int8)), ValueError, r"float16, float16 and int8 give a float16"),
    ],
)
def test_separable_correlate2d_rejects(func, args, error, match):
    with pytest.raises(error, match=match):
        func(*args)


# --- depthwise / pointwise ---------------------------------------------------------------

def _depthwise_oracle(x, weight, bias, stride, padding, dilation):
    """Built from scipy only: explicit padding, zero-inserted kernel, subsampling."""
    n, c = x.shape[:2]
    m = weight.shape[0] // c
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    out = []
    for b in range(n):
        maps = []
        for o in range(weight.shape[0]):
            kh, kw = weight.shape[2:]
            dilated = np.zeros((dh * (kh - 1) + 1, dw * (kw - 1) + 1))
            dilated[::dh, ::dw] = weight[o, 0]
            padded = np.pad(x[b, o // m], ((ph, ph), (pw, pw)))
            y = scipy.signal.correlate2d(padded, dilated, "valid")[::sh, ::sw]
            maps.append(y + (0 if bias is None else bias[o]))
        out.append(maps)
    return np.array(out)


DEPTHWISE_CASES = [
    # (N, C, H, W), m, (kH, kW), stride, padding, dilation, bias
    ((2, 3, 7, 6), 1, (3, 3), (1, 1), (0, 0), (1, 1), False),
    ((1, 2, 8, 9), 2, (3, 2), (2, 1), (1, 0), (1, 1), True),
    ((2, 4, 9, 9), 1, (2, 3), (1, 2), (2, 1), (2, 1), True),
    ((1, 1, 5, 5), 3, (1, 1), (3, 3), (0, 0), (1, 1), False),
    ((1, 2, 6, 7), 1, (3, 3), (2, 2), (1, 1), (2, 2), True),
]


@pytest.mark.parametrize("shape, m, kernel, stride, padding, dilation, with_bias", DEPTHWISE_CASES)
def test_depthwise_equals_scipy_oracle_and_naive(shape, m, kernel, stride, padding, dilation,
                                                 with_bias, rng):
    x = rng.standard_normal(shape)
    weight = rng.standard_normal((shape[1] * m, 1) + kernel)
    bias = rng.standard_normal(shape[1] * m) if with_bias else None
    expected = _depthwise_oracle(x, weight, bias, stride, padding, dilation)
    got = depthwise_conv2d(x, weight, bias, stride, padding, dilation)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose(depthwise_conv2d_naive(x, weight, bias, stride, padding, dilation),
                               expected, atol=1e-12)


@pytest.mark.parametrize("shape, m, kernel, stride, padding, dilation, with_bias", DEPTHWISE_CASES)
def test_depthwise_equals_torch_groups(shape, m, kernel, stride, padding, dilation, with_bias, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape)
    weight = rng.standard_normal((shape[1] * m, 1) + kernel)
    bias = rng.standard_normal(shape[1] * m) if with_bias else None
    expected = torch.nn.functional.conv2d(
        torch.from_numpy(x), torch.from_numpy(weight),
        None if bias is None else torch.from_numpy(bias),
        stride, padding, dilation, groups=shape[1]).numpy()
    np.testing.assert_allclose(depthwise_conv2d(x, weight, bias, stride, padding, dilation),
                               expected, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_depthwise_string_padding_equals_torch(padding, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((1, 3, 6, 7))
    weight = rng.standard_normal((3, 1, 4, 3))
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight),
                                          padding=padding, dilation=(1, 2), groups=3).numpy()
    got = depthwise_conv2d(x, weight, padding=padding, dilation=(1, 2))
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_depthwise_equals_package_conv2d_groups(rng):
    conv = pytest.importorskip("convcourse.conv")
    x = rng.standard_normal((2, 3, 6, 6))
    weight = rng.standard_normal((6, 1, 3, 3))
    bias = rng.standard_normal(6)
    np.testing.assert_allclose(depthwise_conv2d(x, weight, bias, 2, 1, 1),
                               conv.conv2d(x, weight, bias, 2, 1, 1, groups=3), atol=1e-12)


def test_pointwise_hand_worked_and_naive(rng):
    x = np.arange(12.0).reshape(1, 3, 2, 2)
    weight = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    bias = np.array([0.0, -1.0])
    expected = np.stack([x[0, 0], x[0].sum(axis=0) - 1.0])[None]
    np.testing.assert_array_equal(pointwise_conv2d(x, weight, bias), expected)
    np.testing.assert_array_equal(pointwise_conv2d(x, weight[:, :, None, None], bias), expected)
    x = rng.standard_normal((2, 4, 3, 5))
    weight = rng.standard_normal((6, 4, 1, 1))
    np.testing.assert_allclose(pointwise_conv2d_naive(x, weight), pointwise_conv2d(x, weight),
                               atol=1e-12)


def test_pointwise_equals_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 4, 3, 5))
    weight, bias = rng.standard_normal((6, 4, 1, 1)), rng.standard_normal(6)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight),
                                          torch.from_numpy(bias)).numpy()
    np.testing.assert_allclose(pointwise_conv2d(x, weight, bias), expected, atol=1e-12)


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, "same", 2)])
def test_depthwise_separable_equals_full_convolution(stride, padding, dilation, rng):
    """Without the middle bias, depthwise-then-pointwise is one convolution with a combined weight."""
    x = rng.standard_normal((2, 3, 7, 8))
    m, k = 2, 4
    dw = rng.standard_normal((3 * m, 1, 3, 3))
    pw = rng.standard_normal((k, 3 * m))
    pb = rng.standard_normal(k)
    # W[k, c, a, b] = sum_j P[k, c*m + j] D[c*m + j, 0, a, b]
    full = np.einsum("kcj,cjab->kcab", pw.reshape(k, 3, m), dw.reshape(3, m, 3, 3))
    pads = (dilation, dilation) if padding == "same" else (padding, padding)
    expected = np.zeros_like(depthwise_separable_conv2d(x, dw, pw, None, pb, stride, padding, dilation))
    for n in range(2):
        for kk in range(k):
            total = sum(_depthwise_oracle(x[n:n + 1, c:c + 1], full[kk, c][None, None], None,
                                          (stride, stride), pads, (dilation, dilation))[0, 0]
                        for c in range(3))
            expected[n, kk] = total + pb[kk]
    got = depthwise_separable_conv2d(x, dw, pw, None, pb, stride, padding, dilation)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose(
        depthwise_separable_conv2d_naive(x, dw, pw, None, pb, stride, padding, dilation),
        expected, atol=1e-12)


def test_depthwise_separable_with_biases_equals_torch(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = rng.standard_normal((2, 3, 6, 6))
    dw, db = rng.standard_normal((3, 1, 3, 3)), rng.standard_normal(3)
    pw, pb = rng.standard_normal((5, 3, 1, 1)), rng.standard_normal(5)
    t = torch.from_numpy
    expected = F.conv2d(F.conv2d(t(x), t(dw), t(db), 2, 1, groups=3), t(pw), t(pb)).numpy()
    got = depthwise_separable_conv2d(x, dw, pw, db, pb, stride=2, padding=1)
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize(
    "x_dtype, w_dtype, expected",
    [(np.float32, np.float32, np.float32), (np.float64, np.float64, np.float64),
     (np.float32, np.float64, np.float64), (np.int64, np.int32, np.float64),
     (np.bool_, np.float32, np.float64)],
)
def test_network_dtypes(x_dtype, w_dtype, expected, rng):
    x = (rng.standard_normal((1, 2, 4, 4)) * 3).astype(x_dtype)
    dw = (rng.standard_normal((2, 1, 2, 2)) * 3).astype(w_dtype)
    pw = (rng.standard_normal((3, 2)) * 3).astype(w_dtype)
    assert depthwise_conv2d(x, dw).dtype == expected
    assert pointwise_conv2d(x, pw).dtype == expected
    assert depthwise_separable_conv2d(x, dw, pw).dtype == expected
    assert depthwise_conv2d_naive(x, dw).dtype == expected


X = np.ones((1, 2, 5, 5))
W = np.ones((2, 1, 3, 3))


@pytest.mark.parametrize("func", [depthwise_conv2d, depthwise_conv2d_naive])
@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.ones((2, 5, 5)), W), {}, ValueError, r"x must be a batched 4-D array of shape \(N, C_in, H, W\), got shape \(2, 5, 5\)"),
        ((X, np.ones((2, 2, 3, 3))), {}, ValueError, r"weight must have shape \(C\*m, 1, kH, kW\).*C = 2.*\(2, 2, 3, 3\)"),
        ((X, np.ones((3, 1, 3, 3))), {}, ValueError, r"weight must have shape.*\(3, 1, 3, 3\)"),
        ((X, np.ones((2, 3, 3))), {}, ValueError, r"weight must be a 4-D.*\(2, 3, 3\)"),
        ((X, W, np.ones(3)), {}, ValueError, r"bias must have shape \(2,\), got shape \(3,\)"),
        ((X, W), {"stride": 0}, ValueError, r"stride must be >= 1.*0"),
        ((X, W), {"stride": 1.5}, TypeError, r"stride.*1\.5"),
        ((X, W), {"padding": -1}, ValueError, r"padding must be >= 0.*-1"),
        ((X, W), {"padding": "same", "stride": 2}, ValueError, r"padding='same'.*stride=\(2, 2\)"),
        ((X, W), {"padding": "full"}, ValueError, r"padding must be .*'valid' or 'same'; got 'full'"),
        ((X, np.ones((2, 1, 6, 3))), {}, ValueError, r"the kernel is larger than the padded input: weight gives kernel size \(6, 3\).*padded input is \(5, 5\)"),
        ((X, W), {"dilation": 3}, ValueError, r"the kernel is larger than the padded input: weight gives kernel size \(3, 3\) \(dilation \(3, 3\)"),
        ((np.ones((1, 0, 5, 5)), W), {}, ValueError, r"x must have at least one channel.*\(1, 0, 5, 5\)"),
        ((X.astype(complex), W), {}, TypeError, r"x must be a real-valued.*complex128"),
        ((X, W.astype(object)), {}, TypeError, r"weight must be a real-valued.*object"),
    ],
)
def test_depthwise_rejects(func, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(*args, **kwargs)


@pytest.mark.parametrize("func", [pointwise_conv2d, pointwise_conv2d_naive])
@pytest.mark.parametrize(
    "args, error, match",
    [
        ((np.ones((2, 5, 5)), np.ones((3, 2))), ValueError, r"x must be a 4-D.*\(2, 5, 5\)"),
        ((X, np.ones((3, 4))), ValueError, r"weight has 4 input channels but x has 2"),
        ((X, np.ones((3, 4, 1, 1))), ValueError, r"weight has 4 input channels.*got weight of shape \(3, 4, 1, 1\)"),
        ((X, np.ones((3, 2, 3, 3))), ValueError, r"weight must have shape \(K, C\) or \(K, C, 1, 1\), got shape \(3, 2, 3, 3\)"),
        ((X, np.ones((3, 2)), np.ones((2, 1))), ValueError, r"bias must have shape \(3,\), got shape \(2, 1\)"),
        ((X, np.ones((3, 2), complex)), TypeError, r"weight must be a real-valued.*complex128"),
    ],
)
def test_pointwise_rejects(func, args, error, match):
    with pytest.raises(error, match=match):
        func(*args)


@pytest.mark.parametrize("func", [depthwise_separable_conv2d, depthwise_separable_conv2d_naive])
@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((X, W, np.ones((4, 3))), {}, r"pointwise_weight has 3 input channels but the depthwise "
                                      r"output has 2: got pointwise_weight of shape \(4, 3\)"),
        ((X, W, np.ones((4, 3, 1, 1))), {}, r"pointwise_weight .* of shape \(4, 3, 1, 1\)"),
        ((X, np.ones((2, 2, 3, 3)), np.ones((4, 2))), {}, r"depthwise_weight must have shape \(C\*m, 1, kH, kW\).*\(2, 2, 3, 3\)"),
        ((X, W, np.ones((4, 2))), {"depthwise_bias": np.ones(4)}, r"depthwise_bias must have shape \(2,\), got shape \(4,\)"),
        ((X, W, np.ones((4, 2))), {"pointwise_bias": np.ones(2)}, r"pointwise_bias must have shape \(4,\), got shape \(2,\)"),
        ((X, np.ones((2, 1, 7, 1)), np.ones((4, 2))), {}, r"the kernel is larger than the padded input: depthwise_weight gives kernel size \(7, 1\)"),
    ],
)
def test_depthwise_separable_rejects_with_argument_names(func, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(*args, **kwargs)


def test_inputs_not_modified(rng):
    x, dw, pw = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((2, 1, 3, 3)), rng.standard_normal((3, 2))
    copies = [a.copy() for a in (x, dw, pw)]
    depthwise_separable_conv2d(x, dw, pw, padding=1)
    for a, c in zip((x, dw, pw), copies):
        np.testing.assert_array_equal(a, c)
