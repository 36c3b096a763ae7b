"""The source notebook of 04-backprop: nbgrader metadata, and its tests against its own solutions.

Runs the notebook's setup, solution and test cells in-process (not the pictures; the
whole notebook runs end to end in `convcourse validate`): the solutions earn every
point, and stubs (what students receive) earn none.  The shared parts are in
`notebook_helpers`.
"""

import pytest

import notebook_helpers as nbh
from convcourse.grading.backprop import EXERCISES

SIGNATURES = {
    "conv1d_backward": "(grad_output, x, w)",
    "numerical_gradient": "(f, x, eps=1e-06)",
    "conv2d_backward": "(grad_output, x, weight, stride=1, padding=0)",
}

_is_setup = nbh.SETUP_CELLS["04-backprop"]


@pytest.fixture(scope="module")
def nb():
    return nbh.read_notebook("04-backprop")


def test_nbgrader_metadata(nb):
    nbh.assert_metadata(nb, 9)


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_each_exercise_has_a_visible_and_a_hidden_cell(nb, name):
    nbh.assert_exercise_cells(nb, name, EXERCISES[name])


def test_solutions_earn_every_point(nb, capsys):
    nbh.assert_solutions_earn_every_point(nb, _is_setup, SIGNATURES, 17, capsys)


def test_stubs_earn_nothing(nb, capsys):
    nbh.assert_stubs_earn_nothing(nb, _is_setup, capsys)


def test_source_is_clean_and_pictures_come_from_the_package(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "plt." not in cell.source and "matplotlib" not in cell.source
    sources = "\n".join(c.source for c in nb.cells)
    for picture in ("gradient_flow_1d", "backward_2d", "finite_difference_error", "checks_compared"):
        assert f"vb.{picture}(" in sources
