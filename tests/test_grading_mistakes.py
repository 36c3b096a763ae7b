"""How answers are printed in a report (format_array), and that N-d answers show values."""

import numpy as np
import pytest

from convcourse.grading._cases import Case, Exercise, run_exercise
from convcourse.grading._mistakes import format_array
from convcourse.grading._runner import Forbidden


@pytest.mark.parametrize("shape", [(1, 1, 2, 3), (1, 2, 3), (1, 1, 1, 2, 3)])
def test_leading_axes_of_size_one_are_dropped(shape):
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).reshape(shape)
    assert format_array(values) == "[[1., 2., 3.],\n       [4., 5., 6.]]"


@pytest.mark.parametrize("values, text", [
    (np.array([[1.0, 2.0, 3.0]]), "[[1., 2., 3.]]"),           # 2-D: printed as it is
    (np.array([[1.0], [2.0]]), "[[1.],\n       [2.]]"),
    (np.array([0.5, -0.25]), "[ 0.5 , -0.25]"),
    (np.array(2.5), "2.5"),
    (np.array([[[[7.0]]]]), "[[7.]]"),                        # down to two axes, no further
    (np.array([[[1, 2]], [[3, 4]]]), "[[[1., 2.]],\n       [[3., 4.]]]"),  # ints as floats
])
def test_small_arrays_print_their_values(values, text):
    assert format_array(values) == text


def test_small_nd_arrays_print_nested_rows_without_blank_lines():
    text = format_array(np.arange(8.0).reshape(2, 1, 2, 2))
    assert text.splitlines() == ["[[[[0., 1.],", "         [2., 3.]]],",
                                 "       [[[4., 5.],", "         [6., 7.]]]]"]


def test_large_arrays_print_their_shape():
    assert format_array(np.zeros((1, 1, 7, 7))) == "<array of shape (1, 1, 7, 7)>"
    assert format_array(np.zeros(10), limit=9) == "<array of shape (10,)>"
    assert format_array(np.zeros(9), limit=9).startswith("[0.")


def test_a_4d_answer_shows_its_values_in_the_report():
    # the regression: pooling and conv answers (N, C, H, W) printed only their shape
    ex = Exercise(
        name="halve", arg_names=("x",), groups={"basic": 1}, forbidden=Forbidden(),
        forbidden_text="", fixed_cases=lambda: [Case("basic", (np.full((1, 1, 2, 2), 4.0),))],
        random_cases=lambda rng: [], reference=lambda case: case.args[0] / 2)
    report = run_exercise(ex, lambda x: x / 4, seed=0, points=1).report
    assert "expected: [[2., 2.],\n" in report and "received: [[1., 1.],\n" in report
    assert "<array of shape" not in report
