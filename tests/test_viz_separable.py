"""The pictures of 05-separable build with the Agg backend and draw what they claim."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from convcourse import kernels  # noqa: E402
from convcourse.viz import separable as pictures  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_outer_product_writes_the_multiplication_table():
    fig = pictures.outer_product([1, 2, 1], [-1, 0, 1])
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    # 3 row cells, 3 column cells, 9 kernel cells
    assert len(ax.patches) == 15
    values = [t for t in _texts(ax) if t.lstrip("-").isdigit()]
    # factors: -1 0 1 and 1 2 1; kernel rows: -1 0 1, -2 0 2, -1 0 1
    assert sorted(values) == sorted(["-1", "0", "1", "1", "2", "1",
                                     "-1", "0", "1", "-2", "0", "2", "-1", "0", "1"])
    assert ax.get_title() == "np.outer(column, row): 3 + 3 = 6 numbers give 3 × 3 = 9"
    fig.canvas.draw()


def test_outer_product_rejects_a_matrix():
    with pytest.raises(ValueError, match="column must be a non-empty 1-D array, got shape"):
        pictures.outer_product(np.ones((2, 2)), [1, 2])


def test_singular_values_tell_separable_from_not():
    fig = pictures.singular_values({"Sobel": kernels.sobel(1), "Laplacian": kernels.laplacian(),
                                    "identity": np.eye(3), "Gaussian 9": kernels.gaussian(9, 2.0)})
    titles = [ax.get_title() for ax in fig.axes[4:]]
    assert titles == ["rank 1: separable", "rank 2: not separable", "rank 3: not separable",
                      "rank 1: separable"]
    # the identity's three singular values are all 1
    heights = [bar.get_height() for bar in fig.axes[6].patches]
    np.testing.assert_allclose(heights, [1.0, 1.0, 1.0])
    # the Laplacian [[0,1,0],[1,-4,1],[0,1,0]]: singular values 2 + sqrt(6), sqrt(6) - 2, 0
    lap = [bar.get_height() for bar in fig.axes[5].patches]
    np.testing.assert_allclose(lap, [1.0, (np.sqrt(6) - 2) / (2 + np.sqrt(6)), 0.0], atol=1e-12)
    fig.canvas.draw()


def test_singular_values_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one kernel"):
        pictures.singular_values({})
    with pytest.raises(ValueError, match="kernel 'v' must be a non-empty 2-D array"):
        pictures.singular_values({"v": [1, 2, 3]})


def test_two_passes_shows_each_intermediate_shape():
    image = np.arange(20).reshape(4, 5)
    fig = pictures.two_passes(image, [1, 2, 1], [1, 0, -1])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("image (4, 5)")
    assert titles[1].startswith("row pass (4, 3)") and "3 mults each" in titles[1]
    assert titles[2].startswith("column pass (2, 3)")
    assert titles[3].startswith("2-D kernel (2, 3)") and "9 mults each" in titles[3]
    # on a ramp, image[i, j] - image[i, j + 2] = -2 everywhere; the column sums 1 + 2 + 1 = 4 rows
    assert set(_texts(fig.axes[2])) == {"-8"}
    assert set(_texts(fig.axes[3])) == {"-8"}
    with pytest.raises(ValueError, match="must fit in the image"):
        pictures.two_passes(np.ones((2, 2)), [1, 1, 1], [1])


@pytest.mark.parametrize("c, k, size", [(3, 4, 3), (1, 1, 1), (6, 8, 5)])
def test_diagram_counts_the_weights(c, k, size):
    fig = pictures.depthwise_separable_diagram(c, k, size)
    top, bottom = (ax.get_title(loc="left") for ax in fig.axes)
    assert top.endswith(f"= {k * c * size * size} weights")
    assert bottom.endswith(f"= {c * size * size + k * c} weights")
    fig.canvas.draw()


def test_diagram_draws_one_kernel_per_channel():
    fig = pictures.depthwise_separable_diagram(3, 4, 3)
    bottom = fig.axes[1]
    depthwise = "depthwise:\n3 kernels of 3 × 3,\none per channel"
    assert depthwise in _texts(bottom)
    assert "pointwise:\n4 filters\nof 1 × 1 × 3" in _texts(bottom)
    with pytest.raises(ValueError, match="in_channels must be an int from 1 to 6"):
        pictures.depthwise_separable_diagram(7, 4, 3)


def test_mults_bars_match_the_worked_example():
    fig = pictures.mults_vs_out_channels((3, 15, 15), 3, out_channels=[10, 64])
    ax = fig.axes[0]
    heights = sorted(bar.get_height() for bar in ax.patches)
    # K = 10: 45,630 and 9,633; K = 64: 13*13*64*27 and 13*13*3*(9 + 64)
    assert heights == sorted([45_630, 9_633, 13 * 13 * 64 * 27, 13 * 13 * 3 * 73])
    assert _texts(ax) == [f"× {45_630 / 9_633:.1f}", f"× {64 * 27 / (3 * 73):.1f}"]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="does not fit"):
        pictures.mults_vs_out_channels((3, 2, 2), 3)


def test_image_row_and_channel_maps():
    fig = pictures.image_row({"a": np.zeros((4, 4)), "b": np.ones((4, 4, 3))})
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    with pytest.raises(ValueError, match="shape \\(H, W\\) or \\(H, W, 3\\)"):
        pictures.image_row({"bad": np.ones((2, 2, 2))})
    fig = pictures.channel_maps({"x": np.random.default_rng(0).normal(size=(3, 5, 5)),
                                 "y": np.zeros((1, 3, 3))}, names={"y": ["sum"]})
    visible = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert visible == ["x 0", "x 1", "x 2", "sum"]
    with pytest.raises(ValueError, match="must give 1 channel titles"):
        pictures.channel_maps({"y": np.zeros((1, 3, 3))}, names={"y": ["a", "b"]})
    with pytest.raises(ValueError, match="must have shape \\(C, H, W\\)"):
        pictures.channel_maps({"y": np.zeros((3, 3))})
