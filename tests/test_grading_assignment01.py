"""The source notebook of 01-convolution: nbgrader metadata, and its tests against its own solutions.

Runs the notebook's setup, solution and test cells in-process (not the pictures; the
whole notebook runs end to end in `convcourse validate`): the solutions earn every
point, and stubs (what students receive) earn none.  The shared parts are in
`notebook_helpers`.
"""

import pytest

import notebook_helpers as nbh
from convcourse.grading import EXERCISES

SIGNATURES = {
    "correlate2d_valid": "(image, kernel)",
    "convolve2d_valid": "(image, kernel)",
    "pad2d": "(image, padding)",
    "output_size": "(size, kernel_size, stride=1, padding=0, dilation=1)",
    "correlate2d_general": "(image, kernel, stride=1, padding=0, dilation=1)",
    "sobel_edges": "(image)",
}

_is_setup = nbh.SETUP_CELLS["01-convolution"]


@pytest.fixture(scope="module")
def nb():
    return nbh.read_notebook("01-convolution")


def test_nbgrader_metadata(nb):
    nbh.assert_metadata(nb, 18)


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_each_exercise_has_a_visible_and_a_hidden_cell(nb, name):
    nbh.assert_exercise_cells(nb, name, EXERCISES[name])


def test_solutions_earn_every_point(nb, capsys):
    nbh.assert_solutions_earn_every_point(nb, _is_setup, SIGNATURES, 33, capsys)


def test_stubs_earn_nothing(nb, capsys):
    nbh.assert_stubs_earn_nothing(nb, _is_setup, capsys)
