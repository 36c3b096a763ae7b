"""The source notebook of 03-pooling: nbgrader metadata, and its tests against its own solutions.

Runs the notebook's setup, helper, solution and test cells in-process (not the pictures; the
whole notebook runs end to end in `convcourse validate`): the solutions earn every point,
and stubs (what students receive) earn none.  The shared parts are in `notebook_helpers`.
"""

import pytest

import notebook_helpers as nbh
from convcourse.grading.pooling import EXERCISES

SIGNATURES = {
    "max_pool2d_forward": "(x, kernel_size, stride)",
    "avg_pool2d_forward": "(x, kernel_size, stride)",
    "global_avg_pool2d": "(x)",
    "max_pool2d_backward": "(grad_output, x, kernel_size, stride)",
    "avg_pool2d_backward": "(grad_output, x, kernel_size, stride)",
}

_is_setup = nbh.SETUP_CELLS["03-pooling"]


@pytest.fixture(scope="module")
def nb():
    return nbh.read_notebook("03-pooling")


def test_nbgrader_metadata(nb):
    nbh.assert_metadata(nb, 15)
    for cell in nb.cells:
        assert not cell.get("outputs")  # the source keeps no outputs


def test_pictures_come_from_the_package(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "matplotlib" not in code and "plt." not in code
    for picture in ("memory_per_stage", "pooling_grid", "pooling_photo", "global_pooling",
                    "shift_invariance", "gradient_routing"):
        assert f"pool_viz.{picture}(" in code


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_each_exercise_has_a_visible_and_a_hidden_cell(nb, name):
    visible, _ = nbh.assert_exercise_cells(nb, name, EXERCISES[name])
    assert nbh.meta(visible)["points"] == 1


def test_solutions_earn_every_point(nb, capsys):
    nbh.assert_solutions_earn_every_point(nb, _is_setup, SIGNATURES, 29, capsys)


def test_stubs_earn_nothing(nb, capsys):
    nbh.assert_stubs_earn_nothing(nb, _is_setup, capsys)
