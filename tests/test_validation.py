"""Tests for convcourse._validation: the shared argument checks."""

import numpy as np
import pytest

from convcourse._validation import (
    as_array,
    as_network_array,
    check_choice,
    check_int,
    check_ndim,
    check_shape,
    ntuple,
    result_dtype,
)


@pytest.mark.parametrize("value, expected", [(3, (3, 3)), ((1, 2), (1, 2)), ([4, 5], (4, 5)),
                                             (np.int64(2), (2, 2)), (np.array([1, 3]), (1, 3))])
def test_ntuple_accepts_int_or_pair(value, expected):
    result = ntuple(value, 2, "stride")
    assert result == expected
    assert all(type(v) is int for v in result)


@pytest.mark.parametrize("value, exc, match", [
    (1.5, TypeError, r"stride must be an int .* got 1\.5"),
    (1.0, TypeError, r"stride .* got 1\.0"),
    (True, TypeError, r"stride .* got True"),
    ("2", TypeError, r"stride .* got '2'"),
    ((1, 2, 3), ValueError, r"stride must be an int or a sequence of 2 ints, got \(1, 2, 3\)"),
    ((1, 2.5), TypeError, r"stride .* got \(1, 2\.5\)"),
    (0, ValueError, r"stride must be >= 1 .* got 0"),
    ((-1, 1), ValueError, r"stride must be >= 1 .* got \(-1, 1\)"),
])
def test_ntuple_rejects_with_name_and_value(value, exc, match):
    with pytest.raises(exc, match=match):
        ntuple(value, 2, "stride")


def test_ntuple_minimum_zero_allows_zero_padding():
    assert ntuple(0, 3, "padding", minimum=0) == (0, 0, 0)
    with pytest.raises(ValueError, match=r"padding must be >= 0 .* got -1"):
        ntuple(-1, 3, "padding", minimum=0)


def test_check_int():
    assert check_int(np.int32(4), "groups", minimum=1) == 4
    with pytest.raises(ValueError, match="groups must be >= 1, got 0"):
        check_int(0, "groups", minimum=1)
    with pytest.raises(TypeError, match="groups must be an int, got 2.0"):
        check_int(2.0, "groups")


def test_check_choice_lists_acceptable_values():
    assert check_choice("same", ("full", "valid", "same"), "mode") == "same"
    with pytest.raises(ValueError, match=r"mode must be one of 'full', 'valid', 'same'; got 'fulll'"):
        check_choice("fulll", ("full", "valid", "same"), "mode")
    with pytest.raises(ValueError, match="mode must be one of"):
        check_choice(None, ("full",), "mode")


@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64),
                                             (np.float16, np.float16), (np.int8, np.float64),
                                             (np.uint16, np.float64), (bool, np.float64)])
def test_as_network_array_dtype_rules(dtype, expected):
    assert as_network_array(np.zeros(3, dtype=dtype), "x").dtype == expected


@pytest.mark.parametrize("bad", [np.zeros(2, complex), np.array([object(), 1], dtype=object),
                                 np.array(["a", "b"])])
def test_as_network_array_rejects_non_real(bad):
    with pytest.raises(TypeError, match="weight must be a real-valued"):
        as_network_array(bad, "weight")


@pytest.mark.parametrize("convert", [as_array, as_network_array])
def test_ragged_input_is_a_value_error_naming_the_argument(convert):
    """One converter, one error for a ragged sequence (issue 12): numpy's own words never leak."""
    with pytest.raises(ValueError, match=r"^weight must be an array or a rectangular nested "
                                         r"sequence of numbers, got \[\[1, 2\], \[3\]\]$"):
        convert([[1, 2], [3]], "weight")


def test_result_dtype_promotes_like_numpy():
    a, b = np.zeros(1, np.float32), np.zeros(1, np.float64)
    assert result_dtype(a, a) == np.float32
    assert result_dtype(a, b, None) == np.float64


def test_check_ndim_and_shape_messages():
    with pytest.raises(ValueError, match=r"x must be a 4-D array of shape \(N, C, H, W\), got shape \(3, 4\)"):
        check_ndim(np.zeros((3, 4)), 4, "x", "(N, C, H, W)")
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\), got shape \(4,\)"):
        check_shape(np.zeros(4), (5,), "bias")
