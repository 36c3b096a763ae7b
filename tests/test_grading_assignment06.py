"""The source notebook of 06-cnn: nbgrader metadata, and its tests against its own solutions.

Runs the notebook's setup, solution and test cells in-process (not the pictures or the
training section; the whole notebook runs end to end in `convcourse validate`): the
solutions earn every point, and stubs (what students receive) earn none.  The shared
parts are in `notebook_helpers`.
"""

import pytest

import notebook_helpers as nbh
from convcourse.grading.cnn import EXERCISES

SIGNATURES = {
    "relu_forward": "(x)",
    "relu_backward": "(grad_output, x)",
    "softmax_cross_entropy": "(logits, labels)",
    "build_model": "()",
}
TOTAL_POINTS = 4 + 5 + 5 + 5

_is_setup = nbh.SETUP_CELLS["06-cnn"]


@pytest.fixture(scope="module")
def nb():
    return nbh.read_notebook("06-cnn")


def test_nbgrader_metadata(nb):
    nbh.assert_metadata(nb, 12)


def test_outputs_are_cleared_and_cells_use_the_package(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "plt." not in cell.source and "matplotlib" not in cell.source
    pictures = [c.source for c in nb.cells if c.cell_type == "code" and "pictures." in c.source]
    for name in ("architecture", "stacked_3x3", "training_curve", "confusion_matrix",
                 "misclassified", "filters", "feature_maps"):
        assert any(f"pictures.{name}(" in source for source in pictures), name


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_each_exercise_has_a_visible_and_a_hidden_cell(nb, name):
    visible, hidden = nbh.assert_exercise_cells(nb, name, EXERCISES[name])
    assert nbh.meta(visible)["points"] == 1
    for group in EXERCISES[name].groups:
        assert group in hidden.source.splitlines()[0]


def test_solutions_earn_every_point(nb, capsys):
    nbh.assert_solutions_earn_every_point(nb, _is_setup, SIGNATURES, TOTAL_POINTS, capsys)


def test_stubs_earn_nothing(nb, capsys):
    nbh.assert_stubs_earn_nothing(nb, _is_setup, capsys)
