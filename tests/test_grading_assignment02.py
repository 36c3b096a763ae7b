"""The source notebook of 02-conv-layer: nbgrader metadata, and its tests against its own solutions.

Runs the notebook's setup, solution and test cells in-process (not the pictures; the
whole notebook runs end to end in `convcourse validate`): the solutions earn every
point, and stubs (what students receive) earn none.  The shared parts are in
`notebook_helpers`.
"""

import pytest

import notebook_helpers as nbh
from convcourse.grading import EXERCISES
from convcourse.grading.conv_layer import EXERCISES as OWN

SIGNATURES = {
    "conv_layer_params": "(in_channels, out_channels, kernel_size, bias=True)",
    "conv2d_forward": "(x, weight, bias, stride=1, padding=0)",
    "conv1x1": "(x, weight)",
    "conv_matrix": "(image_shape, kernel)",
    "receptive_field": "(layers)",
}

_is_setup = nbh.SETUP_CELLS["02-conv-layer"]


@pytest.fixture(scope="module")
def nb():
    return nbh.read_notebook("02-conv-layer")


def test_the_registry_holds_this_assignment():
    assert set(OWN) == set(SIGNATURES)
    assert all(EXERCISES[name] is OWN[name] for name in SIGNATURES)


def test_nbgrader_metadata(nb):
    nbh.assert_metadata(nb, 3 * len(SIGNATURES), locked=True)
    nbh.assert_outputs_cleared(nb)


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_each_exercise_has_a_visible_and_a_hidden_cell(nb, name):
    visible, hidden = nbh.assert_exercise_cells(nb, name, OWN[name])
    assert nbh.meta(visible)["points"] == 1
    assert f"({', '.join(OWN[name].groups)})" in hidden.source.splitlines()[0]


def test_the_notebook_uses_the_package_for_pictures(nb):
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "plt." not in sources and "matplotlib" not in sources  # no plotting code in cells
    for picture in ("layer_diagram", "conv_matrix_sparsity", "receptive_field_growth",
                    "save_gif", "animate_conv2d(6, 3, stride=2, padding=1)"):
        assert picture in sources


def test_solutions_earn_every_point(nb, capsys):
    nbh.assert_solutions_earn_every_point(nb, _is_setup, SIGNATURES, 27, capsys)


def test_stubs_earn_nothing(nb, capsys):
    nbh.assert_stubs_earn_nothing(nb, _is_setup, capsys)
