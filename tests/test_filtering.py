"""Tests for convcourse.filtering, with scipy.signal as the oracle.

Property tests draw small integer-valued arrays, so that every dtype (int,
float32, float64, complex) computes exactly and results can be compared with
``assert_array_equal``; one test per function pair uses random floats with a
tolerance.
"""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.exceptions import ComplexWarning
from numpy.testing import assert_allclose, assert_array_equal
from scipy import signal

from convcourse.filtering import (
    convolve,
    convolve2d,
    convolve2d_naive,
    convolve_naive,
    correlate,
    correlate2d,
    correlate2d_naive,
    correlate_naive,
)

MODES = ["full", "valid", "same"]
BOUNDARIES = ["fill", "wrap", "symm"]

# (ours, scipy's), scipy style: every test runs on both functions of a pair
PAIRS_2D = [
    pytest.param(correlate2d, signal.correlate2d, id="correlate2d"),
    pytest.param(convolve2d, signal.convolve2d, id="convolve2d"),
]
PAIRS_ND = [
    pytest.param(correlate, signal.correlate, id="correlate"),
    pytest.param(convolve, signal.convolve, id="convolve"),
]
# (vectorised, naive)
NAIVE_2D = [
    pytest.param(correlate2d, correlate2d_naive, id="correlate2d"),
    pytest.param(convolve2d, convolve2d_naive, id="convolve2d"),
]
NAIVE_ND = [
    pytest.param(correlate, correlate_naive, id="correlate"),
    pytest.param(convolve, convolve_naive, id="convolve"),
]
ALL_FUNCTIONS = [correlate2d, convolve2d, correlate, convolve,
                 correlate2d_naive, convolve2d_naive, correlate_naive, convolve_naive]

IMAGE = np.array([[1, 2, 3],
                  [4, 5, 6],
                  [7, 8, 9]])
KERNEL = np.array([[1, 2],
                   [3, 4]])  # asymmetric: flipping it changes every result


def scipy_nd(reference, in1, in2, mode):
    """scipy's N-d function with the direct method (the one we reproduce)."""
    return reference(in1, in2, mode, method="direct")


def with_dtype(values, dtype):
    """Integer-valued ``values`` as ``dtype``; complex gets a varying imaginary part."""
    values = np.asarray(values)
    if np.dtype(dtype).kind == "c":
        imaginary = np.flip(values) % 3 - 1
        return (values + 1j * imaginary).astype(dtype)
    return values.astype(dtype)


def assert_same_result(ours, expected):
    """Same dtype, same shape, same values (exact: inputs are integer-valued)."""
    assert ours.dtype == expected.dtype, (ours.dtype, expected.dtype)
    assert ours.shape == expected.shape, (ours.shape, expected.shape)
    assert_array_equal(ours, expected)


def small_arrays(ndim, max_side):
    """Integer arrays with every side in 1..max_side (rows, columns, non-square)."""
    shapes = hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=max_side)
    return hnp.arrays(np.int64, shapes, elements=st.integers(-9, 9))


DTYPES = st.sampled_from([np.int64, np.float32, np.float64, np.complex128])


# --------------------------------------------------------------------------
# Hand-worked results
# --------------------------------------------------------------------------

def test_correlate2d_full_by_hand():
    # out[i, j] = sum_ab IMAGE[i + a - 1, j + b - 1] * KERNEL[a, b], zero outside
    expected = np.array([[4, 11, 18, 9],
                         [18, 37, 47, 21],
                         [36, 67, 77, 33],
                         [14, 23, 26, 9]])
    assert_same_result(correlate2d(IMAGE, KERNEL), expected)
    assert_same_result(correlate(IMAGE, KERNEL), expected)


@pytest.mark.parametrize("function, expected", [
    # 1*1 + 2*2 + 4*3 + 5*4 = 37, and so on
    pytest.param(correlate2d, [[37, 47], [67, 77]], id="correlate2d"),
    pytest.param(correlate, [[37, 47], [67, 77]], id="correlate"),
    # the kernel flipped: 1*4 + 2*3 + 4*2 + 5*1 = 23
    pytest.param(convolve2d, [[23, 33], [53, 63]], id="convolve2d"),
    pytest.param(convolve, [[23, 33], [53, 63]], id="convolve"),
])
def test_valid_by_hand(function, expected):
    assert_same_result(function(IMAGE, KERNEL, mode="valid"), np.array(expected))


@pytest.mark.parametrize("boundary, fillvalue, expected", [
    # the last row and column see zeros below and to the right
    ("fill", 0, [[37, 47, 21], [67, 77, 33], [23, 26, 9]]),
    # ... or ones: 3*1 + 1*2 + 6*3 + 1*4 = 27
    ("fill", 1, [[37, 47, 27], [67, 77, 39], [30, 33, 18]]),
    # ... or the first row and column again: 3*1 + 1*2 + 6*3 + 4*4 = 39
    ("wrap", 0, [[37, 47, 39], [67, 77, 69], [34, 44, 36]]),
    # ... or the edge repeated: 3*1 + 3*2 + 6*3 + 6*4 = 51
    ("symm", 0, [[37, 47, 51], [67, 77, 81], [76, 86, 90]]),
])
def test_correlate2d_same_boundaries_by_hand(boundary, fillvalue, expected):
    out = correlate2d(IMAGE, KERNEL, mode="same", boundary=boundary, fillvalue=fillvalue)
    assert_same_result(out, np.array(expected))


def test_same_centring_of_correlate_and_correlate2d_differ_for_even_kernels():
    """Regression: scipy centres 'same' differently in correlate and correlate2d.

    For a 2x2 kernel correlate2d pads after (taking the bottom-right 3x3 of the
    'full' output) and correlate pads before (the top-left 3x3); getting these
    the wrong way round is an off-by-one that only even kernels reveal.
    """
    full = correlate2d(IMAGE, KERNEL)
    assert_same_result(correlate2d(IMAGE, KERNEL, mode="same"), full[1:, 1:])
    assert_same_result(correlate(IMAGE, KERNEL, mode="same"), full[:3, :3])
    # convolution: both take the top-left 3x3 of the 'full' convolution
    full = convolve2d(IMAGE, KERNEL)
    assert_same_result(convolve2d(IMAGE, KERNEL, mode="same"), full[:3, :3])
    assert_same_result(convolve(IMAGE, KERNEL, mode="same"), full[:3, :3])


def test_correlation_conjugates_the_kernel_and_convolution_does_not():
    assert_same_result(correlate2d([[1j]], [[1j]]), np.array([[1 + 0j]]))
    assert_same_result(convolve2d([[1j]], [[1j]]), np.array([[-1 + 0j]]))
    # 1 * conj(1j) = -1j and 2j * conj(1j) = 2
    assert_same_result(correlate([1, 2j], [1j]), np.array([-1j, 2]))
    assert_same_result(convolve([1, 2j], [1j]), np.array([1j, -2]))


def test_valid_mode_swaps_inputs_when_in2_is_larger():
    """Regression: 'valid' with the kernel larger than the image, as scipy.

    The lags run from -1 to 0: out = [1*2 + 2*3, 1*1 + 2*2] = [8, 5].
    """
    assert_same_result(correlate2d([[1, 2]], [[1, 2, 3]], mode="valid"), np.array([[8, 5]]))
    assert_same_result(correlate([1, 2], [1, 2, 3], mode="valid"), np.array([8, 5]))
    # convolution commutes: swapping changes nothing
    assert_same_result(convolve2d([[1, 2]], [[1, 2, 3]], mode="valid"),
                       convolve2d([[1, 2, 3]], [[1, 2]], mode="valid"))


def test_correlate2d_swapped_complex_result_is_conjugated_as_in_scipy():
    """Regression: scipy's correlate2d, unlike correlate, does not conjugate after a swap.

    The exact correlation of [[1j]] with [[1, 1j]] at lags -1 and 0 is
    [1j * conj(1j), 1j * conj(1)] = [1, 1j]; correlate gives that and
    correlate2d gives its conjugate, as scipy's two functions do.
    """
    assert_same_result(correlate([[1j]], [[1, 1j]], mode="valid"), np.array([[1, 1j]]))
    assert_same_result(correlate2d([[1j]], [[1, 1j]], mode="valid"), np.array([[1, -1j]]))
    assert_same_result(correlate2d([[1j]], [[1, 1j]], mode="valid"),
                       signal.correlate2d([[1j]], [[1, 1j]], mode="valid"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_convolve2d_is_correlate2d_with_the_kernel_flipped(mode, boundary):
    rng = np.random.default_rng(7)
    image = rng.integers(-9, 10, size=(5, 6))
    flipped = KERNEL[::-1, ::-1]
    odd_kernel = rng.integers(-9, 10, size=(3, 3))
    # 'same' centres even kernels differently in the two functions (see above)
    if mode != "same":
        assert_same_result(convolve2d(image, KERNEL, mode, boundary),
                           correlate2d(image, flipped, mode, boundary))
    assert_same_result(convolve2d(image, odd_kernel, mode, boundary),
                       correlate2d(image, odd_kernel[::-1, ::-1], mode, boundary))
    assert not np.array_equal(convolve2d(image, KERNEL, mode, boundary),
                              correlate2d(image, KERNEL, mode, boundary))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_convolve_is_correlate_with_the_kernel_flipped(mode, ndim):
    rng = np.random.default_rng(ndim)
    signal_ = rng.integers(-9, 10, size=(4,) * ndim)
    kernel = rng.integers(-9, 10, size=(2,) * ndim)
    assert_same_result(convolve(signal_, kernel, mode), correlate(signal_, np.flip(kernel), mode))


@pytest.mark.parametrize("alias, name", [("pad", "fill"), ("circular", "wrap"), ("symmetric", "symm")])
@pytest.mark.parametrize("function, reference", PAIRS_2D)
def test_boundary_aliases_accepted_as_by_scipy(function, reference, alias, name):
    out = function(IMAGE, KERNEL, "same", alias, 2)
    assert_same_result(out, function(IMAGE, KERNEL, "same", name, 2))
    assert_same_result(out, reference(IMAGE, KERNEL, "same", alias, 2))


# --------------------------------------------------------------------------
# Property tests against scipy
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("function, reference", PAIRS_2D)
@settings(max_examples=15)
@given(in1=small_arrays(2, 7), in2=small_arrays(2, 9), dtype=DTYPES,
       fillvalue=st.sampled_from([0, 1, -3, 2.5]))
def test_2d_equals_scipy(function, reference, mode, boundary, in1, in2, dtype, fillvalue):
    """Every mode x boundary, any shapes (kernels larger than the image included)."""
    in1, in2 = with_dtype(in1, dtype), with_dtype(in2, dtype)
    try:
        expected = reference(in1, in2, mode, boundary, fillvalue)
    except ValueError:  # 'valid' with neither input the larger
        with pytest.raises(ValueError, match="valid.*in1 of shape"):
            function(in1, in2, mode, boundary, fillvalue)
        return
    assert_same_result(function(in1, in2, mode, boundary, fillvalue), expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("function, reference", PAIRS_ND)
@settings(max_examples=15)
@given(data=st.data(), dtype=DTYPES)
def test_nd_equals_scipy(function, reference, ndim, mode, data, dtype):
    in1 = with_dtype(data.draw(small_arrays(ndim, 5), label="in1"), dtype)
    in2 = with_dtype(data.draw(small_arrays(ndim, 6), label="in2"), dtype)
    try:
        expected = scipy_nd(reference, in1, in2, mode)
    except ValueError:
        with pytest.raises(ValueError, match="valid.*in1 of shape"):
            function(in1, in2, mode)
        return
    assert_same_result(function(in1, in2, mode), expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("function, reference", PAIRS_2D)
def test_2d_random_floats_close_to_scipy(function, reference, mode, boundary, rng):
    in1 = rng.standard_normal((13, 9))
    in2 = rng.standard_normal((4, 5))
    expected = reference(in1, in2, mode, boundary, 0.5)
    assert_allclose(function(in1, in2, mode, boundary, 0.5), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", [((50,), (7,)), ((9, 11), (4, 3)), ((6, 5, 7), (2, 3, 4))])
@pytest.mark.parametrize("function, reference", PAIRS_ND)
def test_nd_random_floats_close_to_scipy_default_method(function, reference, shapes, mode, rng):
    """scipy's default method (fft or direct) agrees within floating-point rounding."""
    in1 = rng.standard_normal(shapes[0]) + 1j * rng.standard_normal(shapes[0])
    in2 = rng.standard_normal(shapes[1]) + 1j * rng.standard_normal(shapes[1])
    assert_allclose(function(in1, in2, mode), reference(in1, in2, mode), rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------
# dtypes: whatever scipy returns
# --------------------------------------------------------------------------

DTYPE_PAIRS = [
    (np.int64, np.int64), (np.int8, np.int8), (np.uint8, np.int8), (np.int16, np.uint8),
    (np.int32, np.float32), (np.float32, np.float32), (np.float32, np.float64),
    (np.bool_, np.float32), (np.uint64, np.int64), (np.int64, np.complex64),
    (np.complex64, np.float32), (np.complex128, np.complex128),
]


@pytest.mark.parametrize("dtype1, dtype2", DTYPE_PAIRS)
@pytest.mark.parametrize("function, reference", PAIRS_2D)
def test_2d_output_dtype_is_scipys(function, reference, dtype1, dtype2):
    in1, in2 = IMAGE.astype(dtype1), KERNEL.astype(dtype2)
    out = function(in1, in2, "same", "symm")
    assert out.dtype == reference(in1, in2, "same", "symm").dtype
    assert_same_result(out, reference(in1, in2, "same", "symm"))


@pytest.mark.parametrize("function, reference", PAIRS_2D + PAIRS_ND)
def test_integer_overflow_wraps_as_in_scipy(function, reference):
    in1 = np.full((3, 3), 100, dtype=np.int8)
    in2 = np.full((2, 2), 100, dtype=np.int8)
    expected = (reference(in1, in2) if function in (correlate2d, convolve2d)
                else scipy_nd(reference, in1, in2, "full"))
    assert_same_result(function(in1, in2), expected)  # 40000 mod 256 = 64


@pytest.mark.parametrize("ndim", [1, 2])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.bool_, np.float16, np.int8, np.float32, np.complex64])
@pytest.mark.parametrize("function, reference", PAIRS_ND)
def test_nd_dtype_accepted_and_rejected_as_by_scipy(function, reference, dtype, mode, ndim):
    """scipy's 1-D path (np.correlate) takes bool and float16; its N-d kernel does not."""
    in1 = np.array([1, 0, 2, 1, 3][: 5 - ndim] * ndim).reshape((-1,) + (1,) * (ndim - 1))
    in2 = np.array([1, 1, 0]).reshape((3,) + (1,) * (ndim - 1))
    in1, in2 = in1.astype(dtype), in2.astype(dtype)
    for first, second in [(in1, in2), (in2, in1)]:
        try:
            expected = scipy_nd(reference, first, second, mode)
        except ValueError:
            with pytest.raises(ValueError, match="in1 and in2 of dtypes"):
                function(first, second, mode)
            continue
        assert_same_result(function(first, second, mode), expected)


@pytest.mark.parametrize("function, reference", PAIRS_ND)
def test_two_scalars_give_their_product(function, reference):
    assert_same_result(function(np.array(2 + 1j), np.array(3 + 1j)),
                       np.asarray(scipy_nd(reference, 2 + 1j, 3 + 1j, "full")))


# --------------------------------------------------------------------------
# The naive loops against the vectorised versions
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("shapes", [
    ((8, 7), (3, 2)),    # small kernel: the vectorised version loops over kernel offsets
    ((3, 4), (6, 7)),    # kernel larger than the output: it loops over output positions
    ((1, 9), (1, 3)),    # a single row
    ((9, 1), (2, 1)),    # a single column
])
@pytest.mark.parametrize("vectorised, naive", NAIVE_2D)
def test_2d_naive_equals_vectorised(vectorised, naive, shapes, boundary, mode, rng):
    in1 = rng.standard_normal(shapes[0]) + 1j * rng.standard_normal(shapes[0])
    in2 = rng.standard_normal(shapes[1]) + 1j * rng.standard_normal(shapes[1])
    expected = naive(in1, in2, mode, boundary, 1.5)
    out = vectorised(in1, in2, mode, boundary, 1.5)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("vectorised, naive", NAIVE_ND)
@settings(max_examples=10)
@given(data=st.data(), dtype=DTYPES)
def test_nd_naive_equals_vectorised(vectorised, naive, ndim, mode, data, dtype):
    in1 = with_dtype(data.draw(small_arrays(ndim, 5), label="in1"), dtype)
    in2 = with_dtype(data.draw(small_arrays(ndim, 6), label="in2"), dtype)
    try:
        expected = naive(in1, in2, mode)
    except ValueError:
        with pytest.raises(ValueError, match="valid"):
            vectorised(in1, in2, mode)
        return
    assert_same_result(vectorised(in1, in2, mode), expected)


@pytest.mark.parametrize("function", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_inputs_are_not_modified(function, rng):
    in1 = rng.standard_normal((5, 4))
    in2 = rng.standard_normal((2, 3))
    copies = in1.copy(), in2.copy()
    out = function(in1, in2, mode="same")
    out[...] = 0
    assert_array_equal(in1, copies[0])
    assert_array_equal(in2, copies[1])


# --------------------------------------------------------------------------
# An extra oracle: torch's conv2d is a cross-correlation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("shapes", [((7, 9), (3, 2)), ((5, 5), (5, 1))])
def test_correlate2d_valid_equals_torch_conv2d(shapes, rng):
    torch = pytest.importorskip("torch")
    image = rng.standard_normal(shapes[0])
    kernel = rng.standard_normal(shapes[1])
    expected = torch.nn.functional.conv2d(torch.from_numpy(image)[None, None],
                                          torch.from_numpy(kernel)[None, None])[0, 0].numpy()
    assert_allclose(correlate2d(image, kernel, mode="valid"), expected, rtol=1e-12, atol=1e-12)
    assert_allclose(convolve2d(image, kernel[::-1, ::-1], mode="valid"), expected,
                    rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# Invalid input: ValueError or TypeError naming the argument and the value
# --------------------------------------------------------------------------

TWO_D = [correlate2d, convolve2d, correlate2d_naive, convolve2d_naive]
N_D = [correlate, convolve, correlate_naive, convolve_naive]


@pytest.mark.parametrize("function", ALL_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kwargs, error, match", [
    ({"in1": IMAGE, "in2": KERNEL, "mode": "nope"}, ValueError, r"mode must be one of .*got 'nope'"),
    ({"in1": IMAGE, "in2": KERNEL, "mode": 2}, ValueError, r"mode must be one of .*got 2"),
    ({"in1": IMAGE, "in2": KERNEL, "mode": None}, ValueError, r"mode .*got None"),
    ({"in1": np.ones((3, 2)), "in2": np.ones((2, 3)), "mode": "valid"}, ValueError,
     r"'valid' mode .*in1 of shape \(3, 2\) and in2 of shape \(2, 3\)"),
    ({"in1": np.ones((0, 3)), "in2": KERNEL}, ValueError, r"in1 must not be empty, got shape \(0, 3\)"),
    ({"in1": IMAGE, "in2": np.ones((2, 0))}, ValueError, r"in2 must not be empty, got shape \(2, 0\)"),
    ({"in1": IMAGE.astype(object), "in2": KERNEL}, TypeError, "in1 must be a numeric .*object"),
    ({"in1": IMAGE, "in2": np.array([["a", "b"]])}, TypeError, "in2 must be a numeric .*<U1"),
    ({"in1": [[1, 2], [3]], "in2": KERNEL}, ValueError, r"in1 must be an array or a rectangular nested sequence of numbers, got \[\[1, 2\], \[3\]\]"),
    ({"in1": IMAGE > 4, "in2": KERNEL > 2}, ValueError, "in1 and in2 of dtypes bool and bool"),
    ({"in1": IMAGE.astype(np.float16), "in2": KERNEL.astype(np.float16)}, ValueError,
     "in1 and in2 of dtypes float16 and float16"),
])
def test_invalid_input_raises_naming_argument(function, kwargs, error, match):
    with pytest.raises(error, match=match):
        function(**kwargs)


@pytest.mark.parametrize("function", TWO_D, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kwargs, match", [
    ({"in1": [1, 2, 3], "in2": KERNEL}, r"in1 must be a 2-D array, got shape \(3,\)"),
    ({"in1": IMAGE, "in2": np.ones((2, 2, 2))}, r"in2 must be a 2-D array, got shape \(2, 2, 2\)"),
    ({"in1": 5, "in2": KERNEL}, r"in1 must be a 2-D array, got shape \(\)"),
    ({"in1": IMAGE, "in2": KERNEL, "boundary": "reflect"}, r"boundary must be one of .*got 'reflect'"),
    ({"in1": IMAGE, "in2": KERNEL, "boundary": None}, r"boundary .*got None"),
    ({"in1": IMAGE, "in2": KERNEL, "fillvalue": [1, 2]}, r"fillvalue must be a scalar .*got \[1, 2\]"),
    ({"in1": IMAGE, "in2": KERNEL, "fillvalue": []}, r"fillvalue must be a scalar .*got \[\]"),
    ({"in1": IMAGE, "in2": KERNEL, "fillvalue": 1j}, r"fillvalue must be a number .*int64, got 1j"),
    ({"in1": IMAGE, "in2": KERNEL, "fillvalue": float("nan")}, r"fillvalue .*int64, got nan"),
    ({"in1": IMAGE.astype(np.uint8), "in2": KERNEL.astype(np.uint8), "fillvalue": -1},
     r"fillvalue .*uint8, got -1"),
])
def test_invalid_2d_input_raises_naming_argument(function, kwargs, match):
    with pytest.raises(ValueError, match=match):
        function(**kwargs)


@pytest.mark.parametrize("function", N_D, ids=lambda f: f.__name__)
@pytest.mark.parametrize("in1, in2", [
    (np.ones(3), np.ones((2, 2))),
    (np.ones((3, 3)), np.ones(2)),
    (np.array(1.0), np.ones(2)),
])
def test_nd_dimension_mismatch_raises(function, in1, in2):
    message = f"same number of dimensions, got in1 of shape {in1.shape} and in2 of shape {in2.shape}"
    with pytest.raises(ValueError, match=re.escape(message)):
        function(in1, in2)


@pytest.mark.parametrize("function, reference", PAIRS_2D)
@pytest.mark.parametrize("kwargs", [
    {"in1": [1, 2, 3], "in2": [[1]]},
    {"in1": IMAGE, "in2": KERNEL, "mode": "nope"},
    {"in1": IMAGE, "in2": KERNEL, "boundary": "reflect"},
    {"in1": IMAGE, "in2": KERNEL, "fillvalue": [1, 2]},
    {"in1": IMAGE, "in2": KERNEL, "fillvalue": 1j},
    {"in1": np.ones((3, 2)), "in2": np.ones((2, 3)), "mode": "valid"},
    {"in1": IMAGE > 4, "in2": KERNEL > 2},
])
def test_2d_rejects_what_scipy_rejects(function, reference, kwargs):
    with pytest.raises(ValueError), warnings.catch_warnings():
        warnings.simplefilter("ignore", ComplexWarning)  # scipy warns before raising
        reference(**kwargs)
    with pytest.raises(ValueError):
        function(**kwargs)


@pytest.mark.parametrize("function, reference", PAIRS_2D)
@pytest.mark.parametrize("fillvalue", [2.5, np.array([3]), True])
def test_fillvalue_accepted_as_by_scipy(function, reference, fillvalue):
    """A scalar or one-element array, cast to the output dtype (2.5 -> 2 for ints)."""
    assert_same_result(function(IMAGE, KERNEL, fillvalue=fillvalue),
                       reference(IMAGE, KERNEL, fillvalue=fillvalue))


@pytest.mark.parametrize("function, reference", PAIRS_2D)
def test_fillvalue_ignored_by_wrap_and_symm(function, reference):
    """scipy only reads fillvalue for boundary='fill'."""
    for boundary in ("wrap", "symm"):
        assert_same_result(function(IMAGE, KERNEL, "full", boundary, [1, 2]),
                           reference(IMAGE, KERNEL, "full", boundary, [1, 2]))
