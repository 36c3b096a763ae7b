"""The source notebook of 05-separable: nbgrader metadata, and its tests against its own solutions.

Runs the notebook's setup, solution and test cells in-process (not the pictures; the
whole notebook runs end to end in `convcourse validate`): the solutions earn every
point, and stubs (what students receive) earn none.  The shared parts are in
`notebook_helpers`.
"""

import pytest

import notebook_helpers as nbh
from convcourse.grading import EXERCISES, separable

SIGNATURES = {
    "separate_kernel": "(kernel)",
    "separable_correlate2d": "(image, column, row)",
    "depthwise_conv2d": "(x, weight)",
    "pointwise_conv2d": "(x, weight)",
    "count_mults": "(input_shape, out_channels, kernel_size, depthwise_separable=False)",
}

_is_setup = nbh.SETUP_CELLS["05-separable"]


@pytest.fixture(scope="module")
def nb():
    return nbh.read_notebook("05-separable")


def test_nbgrader_metadata(nb):
    nbh.assert_metadata(nb, 15)


def test_outputs_are_cleared(nb):
    nbh.assert_outputs_cleared(nb)


def test_pictures_come_from_the_package(nb):
    """No plotting code in the cells: every picture is one call of convcourse.viz.separable."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "matplotlib" not in code and "plt." not in code
    for name in ("outer_product", "singular_values", "two_passes",
                 "depthwise_separable_diagram", "mults_vs_out_channels", "channel_maps"):
        assert f"pictures.{name}(" in code


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_each_exercise_has_a_visible_and_a_hidden_cell(nb, name):
    assert EXERCISES[name] is separable.EXERCISES[name]
    nbh.assert_exercise_cells(nb, name, EXERCISES[name])


def test_solutions_earn_every_point(nb, capsys):
    nbh.assert_solutions_earn_every_point(nb, _is_setup, SIGNATURES, 25, capsys)


def test_stubs_earn_nothing(nb, capsys):
    nbh.assert_stubs_earn_nothing(nb, _is_setup, capsys)


def test_the_worked_example_is_in_the_text(nb):
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "45{,}630" in text and "9{,}633" in text and "15\\times15" in text
