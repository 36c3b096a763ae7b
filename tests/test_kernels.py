"""Tests for convcourse.kernels: classic kernels, gradient magnitude, Harris response."""

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

from convcourse.kernels import (
    box,
    emboss,
    gaussian,
    gradient_magnitude,
    harris_response,
    laplacian,
    prewitt,
    scharr,
    sharpen,
    sobel,
)
from convcourse.separable import is_separable, separate_kernel

ALL_KERNELS = {
    "box": (box(3), 1.0),
    "box_rect": (box((2, 5)), 1.0),
    "gaussian": (gaussian(5, 1.2), 1.0),
    "gaussian_rect": (gaussian((4, 7), (0.8, 2.0)), 1.0),
    "sobel0": (sobel(0), 0.0),
    "sobel1": (sobel(1), 0.0),
    "prewitt0": (prewitt(0), 0.0),
    "prewitt1": (prewitt(1), 0.0),
    "scharr0": (scharr(0), 0.0),
    "scharr1": (scharr(1), 0.0),
    "laplacian": (laplacian(), 0.0),
    "laplacian_diag": (laplacian(diagonal=True), 0.0),
    "sharpen": (sharpen(), 1.0),
    "emboss": (emboss(), 1.0),
}


@pytest.mark.parametrize("name", sorted(ALL_KERNELS))
def test_kernels_sum_as_documented(name):
    kernel, total = ALL_KERNELS[name]
    assert kernel.dtype == np.float64 and kernel.ndim == 2
    assert kernel.sum() == pytest.approx(total, abs=1e-12)


@pytest.mark.parametrize("size, sigma", [(5, 1.0), (4, 0.7), ((3, 7), (1.0, 2.5)), (1, 3.0)])
def test_gaussian_symmetric_and_peaked(size, sigma):
    g = gaussian(size, sigma)
    np.testing.assert_allclose(g, g[::-1], atol=1e-15)
    np.testing.assert_allclose(g, g[:, ::-1], atol=1e-15)
    if g.shape[0] == g.shape[1] and np.ndim(sigma) == 0:
        np.testing.assert_allclose(g, g.T, atol=1e-15)
    centre = (g.shape[0] // 2, g.shape[1] // 2)
    assert g[centre] == g.max()
    assert is_separable(g)


def test_gaussian_hand_worked():
    # 1-D taps exp(-1/2), 1, exp(-1/2), normalised
    e = np.exp(-0.5)
    g1 = np.array([e, 1.0, e]) / (1.0 + 2.0 * e)
    np.testing.assert_allclose(gaussian(3, 1.0), np.outer(g1, g1), rtol=1e-14)
    # a different sigma per axis
    np.testing.assert_allclose(gaussian((3, 1), (1.0, 5.0)), g1[:, None], rtol=1e-14)


def test_gaussian_equals_scipy_ndimage_filter(rng):
    image = rng.standard_normal((15, 12))
    sigma, radius = 1.5, 4
    expected = scipy.ndimage.gaussian_filter(image, sigma, mode="reflect", truncate=radius / sigma)
    got = scipy.signal.correlate2d(image, gaussian(2 * radius + 1, sigma), "same", boundary="symm")
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_box_hand_worked():
    np.testing.assert_array_equal(box((1, 2)), [[0.5, 0.5]])
    np.testing.assert_array_equal(box(3), np.full((3, 3), 1 / 9))


@pytest.mark.parametrize("func, smoothing", [(sobel, [1, 2, 1]), (prewitt, [1, 1, 1]),
                                             (scharr, [3, 10, 3])])
def test_derivative_kernels_separable(func, smoothing):
    column, row = separate_kernel(func(1))
    np.testing.assert_array_equal(column, smoothing)
    np.testing.assert_array_equal(row, [-1, 0, 1])
    column, row = separate_kernel(func(0))
    np.testing.assert_array_equal(column, [1, 0, -1])   # sign convention moves the minus
    np.testing.assert_array_equal(row, np.negative(smoothing))
    np.testing.assert_array_equal(func(0), func(1).T)
    np.testing.assert_array_equal(func(-1), func(1))
    np.testing.assert_array_equal(func(-2), func(0))


@pytest.mark.parametrize("func, oracle", [(sobel, scipy.ndimage.sobel), (prewitt, scipy.ndimage.prewitt)])
@pytest.mark.parametrize("axis", [0, 1])
def test_derivative_kernels_match_scipy_ndimage(func, oracle, axis, rng):
    image = rng.standard_normal((9, 11))
    got = scipy.signal.correlate2d(image, func(axis), "same", boundary="symm")
    np.testing.assert_allclose(got, oracle(image, axis=axis, mode="reflect"), atol=1e-12)


@pytest.mark.parametrize("func", [sobel, prewitt, scharr])
def test_derivative_direction(func):
    """axis=1 responds to brightness growing to the right, axis=0 to growing downwards."""
    ramp_x = np.tile(np.arange(6.0), (6, 1))
    gx = scipy.signal.correlate2d(ramp_x, func(1), "valid")
    gy = scipy.signal.correlate2d(ramp_x, func(0), "valid")
    scale = np.abs(func(1)).sum() / 2            # total weight of one side
    np.testing.assert_allclose(gx, 2 * scale)    # slope 1 over a distance of 2
    np.testing.assert_allclose(gy, 0.0)
    np.testing.assert_allclose(scipy.signal.correlate2d(ramp_x.T, func(0), "valid"), 2 * scale)


def test_laplacian_and_sharpen_hand_worked(rng):
    ramp = np.add.outer(np.arange(5.0), 2 * np.arange(5.0))      # linear: Laplacian 0
    for diagonal in (False, True):
        np.testing.assert_allclose(scipy.signal.correlate2d(ramp, laplacian(diagonal), "valid"), 0.0)
    dot = np.zeros((5, 5))
    dot[2, 2] = 1.0
    np.testing.assert_array_equal(scipy.signal.correlate2d(dot, laplacian(), "same"),
                                  np.pad(laplacian(), 1))
    image = rng.standard_normal((6, 6))
    np.testing.assert_allclose(
        scipy.signal.correlate2d(image, sharpen(), "same"),
        image - scipy.signal.correlate2d(image, laplacian(), "same"), atol=1e-12)
    assert not is_separable(laplacian()) and not is_separable(laplacian(True))


def test_emboss_responds_along_diagonal():
    diagonal_ramp = np.add.outer(np.arange(5.0), np.arange(5.0))   # grows to the bottom-right
    anti = np.add.outer(np.arange(5.0), -np.arange(5.0))           # constant along that diagonal
    e = emboss()
    flat = scipy.signal.correlate2d(np.ones((5, 5)), e, "valid")
    np.testing.assert_allclose(flat, 1.0)
    # the centre weight returns the pixel itself; the rest is the diagonal change
    response = scipy.signal.correlate2d(diagonal_ramp, e, "valid") - diagonal_ramp[1:-1, 1:-1]
    np.testing.assert_allclose(response, 12.0)     # 2*2*2 + 2*1*2 along x and y
    response = scipy.signal.correlate2d(anti, e, "valid") - anti[1:-1, 1:-1]
    np.testing.assert_allclose(response, 0.0)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: box(0), ValueError, r"size must be >= 1.*0"),
        (lambda: box(2.5), TypeError, r"size must be an int.*2\.5"),
        (lambda: box((2, 3, 4)), ValueError, r"size must be an int or a sequence of 2 ints"),
        (lambda: gaussian(3, 0), ValueError, r"sigma must be a finite number > 0, got 0"),
        (lambda: gaussian(3, -1.0), ValueError, r"sigma must be .*> 0, got -1\.0"),
        (lambda: gaussian(3, float("nan")), ValueError, r"sigma must be a finite number"),
        (lambda: gaussian(3, "1"), TypeError, r"sigma must be a real number, got '1'"),
        (lambda: gaussian(3, (1.0, 2.0, 3.0)), ValueError, r"sigma must be a number or a pair"),
        (lambda: gaussian(-1, 1.0), ValueError, r"size must be >= 1.*-1"),
        (lambda: sobel(2), ValueError, r"axis must be 0 .* or 1 .*got 2"),
        (lambda: sobel("x"), TypeError, r"axis must be an int, got 'x'"),
        (lambda: prewitt(1.0), TypeError, r"axis must be an int, got 1\.0"),
        (lambda: scharr(-3), ValueError, r"axis must be 0.*got -3"),
        (lambda: laplacian("yes"), TypeError, r"diagonal must be a bool, got 'yes'"),
    ],
)
def test_kernel_arguments_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- gradient magnitude ---------------------------------------------------------------

def test_gradient_magnitude_step_edge_peaks_on_edge():
    image = np.zeros((8, 10))
    image[:, 5:] = 1.0                       # a vertical step between columns 4 and 5
    mag = gradient_magnitude(image)          # 'same', mirrored border
    assert mag.shape == image.shape
    expected_row = np.array([0, 0, 0, 0, 4, 4, 0, 0, 0, 0], dtype=float)
    np.testing.assert_allclose(mag, np.tile(expected_row, (8, 1)), atol=1e-12)
    assert set(np.argmax(mag, axis=1)) <= {4, 5}


@pytest.mark.parametrize("operator, peak", [("sobel", 4.0), ("prewitt", 3.0), ("scharr", 16.0)])
def test_gradient_magnitude_horizontal_step(operator, peak):
    image = np.zeros((7, 5))
    image[4:] = 2.0
    mag = gradient_magnitude(image, operator=operator, mode="valid")
    assert mag.shape == (5, 3)
    np.testing.assert_allclose(mag[:, 0], [0, 0, 2 * peak, 2 * peak, 0], atol=1e-12)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_gradient_magnitude_equals_scipy_composition(mode, boundary, rng):
    image = rng.standard_normal((9, 8))
    gx = scipy.signal.correlate2d(image, sobel(1), mode, boundary)
    gy = scipy.signal.correlate2d(image, sobel(0), mode, boundary)
    np.testing.assert_allclose(gradient_magnitude(image, mode=mode, boundary=boundary),
                               np.hypot(gx, gy), atol=1e-12)


def test_gradient_magnitude_diagonal_edge_is_rotation_consistent(rng):
    image = rng.standard_normal((10, 10))
    np.testing.assert_allclose(gradient_magnitude(image.T).T, gradient_magnitude(image), atol=1e-12)
    np.testing.assert_allclose(gradient_magnitude(-image), gradient_magnitude(image), atol=1e-12)


@pytest.mark.parametrize("dtype, expected", [(np.uint8, np.float64), (np.int64, np.float64),
                                             (np.float32, np.float32), (np.float64, np.float64)])
def test_gradient_magnitude_dtype(dtype, expected, rng):
    image = (rng.uniform(size=(6, 6)) * 100).astype(dtype)
    assert gradient_magnitude(image).dtype == expected
    assert harris_response(image).dtype == expected


# --- Harris -----------------------------------------------------------------------------

def test_harris_white_square_corners_positive_edges_negative():
    image = np.zeros((30, 30))
    image[8:22, 8:22] = 1.0
    R = harris_response(image, k=0.05, sigma=1.0)
    assert R.shape == image.shape
    corners = [(8, 8), (8, 21), (21, 8), (21, 21)]
    for r, c in corners:
        assert R[r, c] > 0
        assert R[r, c] == pytest.approx(R.max())            # all four corners alike
    for r, c in [(8, 15), (21, 15), (15, 8), (15, 21)]:      # middles of the edges
        assert R[r, c] < 0
    assert abs(R[15, 15]) < 1e-9 and abs(R[2, 2]) < 1e-9    # flat: inside and outside
    top4 = np.argsort(R, axis=None)[-4:]
    assert {tuple(int(v) for v in np.unravel_index(i, R.shape)) for i in top4} == set(corners)


def test_harris_matches_definition(rng):
    image = rng.uniform(size=(12, 11))
    k, sigma = 0.04, 0.8
    ix = scipy.signal.correlate2d(image, sobel(1), "same", "symm")
    iy = scipy.signal.correlate2d(image, sobel(0), "same", "symm")
    w = gaussian(2 * 3 + 1, sigma)                         # 2 * ceil(3 * 0.8) + 1
    sxx, syy, sxy = (scipy.signal.correlate2d(a, w, "same", "symm") for a in (ix * ix, iy * iy, ix * iy))
    expected = sxx * syy - sxy ** 2 - k * (sxx + syy) ** 2
    np.testing.assert_allclose(harris_response(image, k=k, sigma=sigma), expected, atol=1e-10)


def test_harris_larger_k_suppresses_edges():
    image = np.zeros((20, 20))
    image[5:15, 5:15] = 1.0
    assert harris_response(image, k=0.15)[5, 10] < harris_response(image, k=0.04)[5, 10] < 0


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: gradient_magnitude(np.ones(5)), ValueError, r"image must be a 2-D array.*\(5,\)"),
        (lambda: gradient_magnitude(np.ones((4, 4), complex)), TypeError, r"image must be a real-valued array.*complex128"),
        (lambda: gradient_magnitude(np.array([["a"]])), TypeError, r"image must be a real-valued array.*<U1"),
        (lambda: gradient_magnitude(np.ones((0, 4))), ValueError, r"image must not be empty"),
        (lambda: gradient_magnitude(np.ones((4, 4)), operator="canny"), ValueError, r"operator must be one of 'sobel', 'prewitt', 'scharr'; got 'canny'"),
        (lambda: gradient_magnitude(np.ones((4, 4)), mode="middle"), ValueError, r"mode must be one of.*'middle'"),
        (lambda: gradient_magnitude(np.ones((4, 4)), boundary="reflect"), ValueError, r"boundary must be one of.*'reflect'"),
        (lambda: gradient_magnitude(np.ones((2, 4)), mode="valid"), ValueError, r"at least 3x3.*\(2, 4\)"),
        (lambda: harris_response(np.ones((4, 4)), k=-0.1), ValueError, r"k must be a finite number >= 0, got -0\.1"),
        (lambda: harris_response(np.ones((4, 4)), k="0.05"), TypeError, r"k must be a real number, got '0\.05'"),
        (lambda: harris_response(np.ones((4, 4)), sigma=0), ValueError, r"sigma must be a finite number > 0, got 0"),
        (lambda: harris_response(np.ones((2, 2, 2))), ValueError, r"image must be a 2-D.*\(2, 2, 2\)"),
    ],
)
def test_filters_reject(call, error, match):
    with pytest.raises(error, match=match):
        call()
