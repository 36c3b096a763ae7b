"""The pictures of 02-conv-layer build with Agg and draw what they claim; GIF export."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from convcourse.arithmetic import conv_output_size  # noqa: E402
from convcourse.viz import conv_layer as viz  # noqa: E402
from convcourse.viz.convolution import animate_conv2d  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("d, k, size, expected", [
    (3, 4, 3, "4 × (3·3·3 + 1) = 112 weights"),
    (16, 8, (3, 5), "8 × (3·5·16 + 1) = 1928 weights"),
    (1, 1, 1, "1 × (1·1·1 + 1) = 2 weights"),
])
def test_layer_diagram_counts_the_weights(d, k, size, expected):
    fig = viz.layer_diagram(d, k, size)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title().endswith(expected)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert sum(t.startswith("filter ") for t in texts) == min(k, 4)
    assert any(f"output: {k} channel" in t for t in texts)
    assert not plt.get_fignums()


def test_layer_diagram_rejects_bad_counts():
    with pytest.raises(ValueError, match="in_channels must be >= 1, got 0"):
        viz.layer_diagram(0, 4, 3)
    with pytest.raises(ValueError, match="input_size"):
        viz.layer_diagram(3, 4, 5, input_size=4)


def test_conv_matrix_sparsity_shows_the_matrix_and_its_zero_share():
    # a 2x2 kernel of ones on a 4x4 image: 9 rows of 16, each with 4 ones -> 75% zeros
    fig = viz.conv_matrix_sparsity((4, 4), np.ones((2, 2)), row=4)
    assert fig.axes[0].get_title() == "M: 9 × 16, 75% zeros"
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (9, 16) and int(np.ma.count(shown)) == 36  # zeros are masked
    # row 4 is output position (1, 1): the kernel covers pixels (1..2, 1..2)
    row = np.ma.filled(fig.axes[1].images[0].get_array(), 0)
    expected = np.zeros((4, 4))
    expected[1:3, 1:3] = 1
    np.testing.assert_array_equal(row, expected)
    assert "output (1, 1)" in fig.axes[1].get_title()


def test_conv_matrix_sparsity_takes_a_students_matrix_and_checks_its_shape():
    kernel = np.array([[1.0, -1.0]])
    m = np.zeros((6, 9))
    fig = viz.conv_matrix_sparsity((3, 3), kernel, matrix=m)
    assert "100% zeros" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match=r"matrix must have shape \(6, 9\)"):
        viz.conv_matrix_sparsity((3, 3), kernel, matrix=np.zeros((9, 6)))
    with pytest.raises(ValueError, match="larger than image_shape"):
        viz.conv_matrix_sparsity((2, 2), np.ones((3, 3)))


def test_conv_matrix_sparsity_curve_is_one_minus_area_ratio():
    fig = viz.conv_matrix_sparsity((5, 5), np.ones((3, 3)))
    sides, share = fig.axes[2].lines[0].get_data()
    np.testing.assert_allclose(share, 100 * (1 - 9 / sides.astype(float) ** 2))


@pytest.mark.parametrize("layers, field", [
    ([(3, 1), (3, 1)], 5), ([(3, 1), (3, 1), (3, 1)], 7), ([(3, 1), (2, 2), (3, 1)], 8),
])
def test_receptive_field_growth_colours_the_field(layers, field):
    fig = viz.receptive_field_growth(layers)
    ax = fig.axes[0]
    assert ax.get_title().startswith(f"receptive field of one unit after {len(layers)} layers: "
                                     f"{field} input pixels")
    orange = matplotlib.colors.to_rgba("#ff7f0e")
    inputs = ax.collections[0]  # the input row is drawn first
    coloured = [tuple(c) == orange for c in inputs.get_facecolors()]
    assert sum(coloured) == field
    # the coloured input pixels are contiguous
    first = coloured.index(True)
    assert all(coloured[first:first + field])


def test_receptive_field_growth_needs_a_layer():
    with pytest.raises(ValueError, match="at least one"):
        viz.receptive_field_growth([])


def test_learning_a_kernel_converges_to_the_target(rng):
    target = np.array([[0.0, 1.0], [-1.0, 0.5]])
    fig = viz.learning_a_kernel(rng.random((16, 16)), target, steps=300, snapshots=(0, 50))
    np.testing.assert_allclose(fig.learned, target, atol=0.05)
    assert fig.losses[-1] < 1e-3 * fig.losses[0]
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["step 0", "step 50", "step 300", "hand-made target", "mean squared error"]


def test_channel_mixing_draws_inputs_weights_outputs(rng):
    x = rng.random((3, 5, 6))
    w = np.array([[1.0, 0.0, 0.0], [0.5, -0.5, 0.0]])
    y = np.einsum("kc,chw->khw", w, x)
    fig = viz.channel_mixing(x, y, w, ["r", "g", "b"], ["red", "r - g"])
    assert [ax.get_title() for ax in fig.axes][:3] == ["r", "g", "b"]
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), w)
    assert fig.axes[5].images[0].get_cmap().name == "coolwarm"  # r - g has negative values
    with pytest.raises(ValueError, match="do not match"):
        viz.channel_mixing(x, y, w.T)


@pytest.mark.parametrize("input_shape, kernel, stride, padding", [
    (4, 3, 2, 1), ((3, 4), (2, 3), 1, 0),
])
def test_save_gif_writes_one_frame_per_output_position(tmp_path, input_shape, kernel, stride,
                                                       padding):
    anim = animate_conv2d(input_shape, kernel, stride=stride, padding=padding)
    path = viz.save_gif(anim, tmp_path / "conv.gif", fps=4)
    assert path.read_bytes()[:6] == b"GIF89a"
    size = input_shape if isinstance(input_shape, tuple) else (input_shape, input_shape)
    oh, ow = conv_output_size(size, kernel, stride, padding)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == oh * ow == anim.n_frames
        assert gif.info["duration"] == 250  # 4 frames per second
    assert not plt.get_fignums()


def test_save_gif_rejects_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="anim must be a matplotlib animation, got Figure"):
        viz.save_gif(plt.figure(), tmp_path / "x.gif")
    anim = animate_conv2d(3, 2)
    with pytest.raises(ValueError, match="fps must be a positive number, got 0"):
        viz.save_gif(anim, tmp_path / "x.gif", fps=0)
    assert viz.save_gif(anim, tmp_path / "x.gif", fps=1).exists()
