"""The pictures of 03-pooling build with the Agg backend and draw what they claim."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import ConnectionPatch  # noqa: E402

from convcourse.viz import pooling as viz  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_activation_memory_of_resnet18():
    rows = viz.activation_memory(batch=32, bytes_per_value=4)
    assert [r["channels"] for r in rows[2:6]] == [64, 128, 256, 512]
    # hand-worked: 32 images x 3 x 224 x 224 float32 = 19,267,584 bytes
    assert rows[0]["bytes"] == rows[0]["bytes_without"] == 32 * 3 * 224 * 224 * 4
    # layer4: 512 x 7 x 7 per image, against 512 x 224 x 224 without downsampling (1024 times more)
    assert rows[5]["bytes"] == 32 * 512 * 49 * 4
    assert rows[5]["bytes_without"] == rows[5]["bytes"] * 1024
    # global average pooling: 512 x 1 x 1 at any resolution, with or without downsampling
    assert rows[6]["name"] == "global average pool"
    assert rows[6]["bytes"] == rows[6]["bytes_without"] == 32 * 512 * 4
    assert viz.activation_memory(batch=1, bytes_per_value=2)[1]["bytes"] == 64 * 112 * 112 * 2
    with pytest.raises(ValueError, match="batch"):
        viz.activation_memory(batch=0)


def test_memory_per_stage_tabulates_and_plots():
    fig = viz.memory_per_stage(batch=32)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    table = fig.axes[0].tables[0]
    cells = {(r, c): cell.get_text().get_text() for (r, c), cell in table.get_celld().items()}
    assert cells[(6, 1)] == "512 × 7 × 7" and cells[(6, 2)] == "3.21 MB"
    assert cells[(6, 3)] == "3.29 GB"
    widths = sorted(p.get_width() for p in fig.axes[1].patches)
    assert widths[0] == 32 * 512 * 4 and widths[-1] == 32 * 512 * 224 * 224 * 4
    assert not plt.get_fignums()  # detached: a notebook shows it once


def test_pooling_grid_writes_max_and_mean():
    x = [[1, 3, 2, 0], [4, -1, 5, 6], [0, 2, -3, 1], [7, 1, 2, 8]]
    fig = viz.pooling_grid(x, 2)
    assert _texts(fig.axes[1]) == ["4", "6", "7", "8"]
    assert _texts(fig.axes[2]) == ["1.75", "3.25", "2.5", "2"]   # (1 + 3 + 4 - 1) / 4 = 1.75 ...
    fig = viz.pooling_grid(np.arange(25).reshape(5, 5), 3, 2)
    assert _texts(fig.axes[1]) == ["12", "14", "22", "24"]   # overlapping 3x3 windows
    assert "overlapping" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        viz.pooling_grid(np.zeros((1, 1, 4, 4)))


def test_pooling_photo_pools_by_the_window(rng):
    image = rng.random((24, 16))
    fig = viz.pooling_photo(image, 4)
    assert len(fig.axes) == 6
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(),
                               image.reshape(6, 4, 4, 4).max(axis=(1, 3)))
    np.testing.assert_allclose(fig.axes[2].images[0].get_array(),
                               image.reshape(6, 4, 4, 4).mean(axis=(1, 3)))
    assert fig.axes[4].get_title() == "max pooling 4×4 → 6×4"


def test_global_pooling_writes_each_channel_mean():
    fig = viz.global_pooling(np.arange(12.0).reshape(3, 2, 2))
    assert _texts(fig.axes[-1]) == ["1.5", "5.5", "9.5"]
    assert fig.axes[0].get_title() == "channel 0: mean 1.5"
    with pytest.raises(ValueError, match="feature_maps must have shape"):
        viz.global_pooling(np.zeros((2, 2)))


def test_shift_invariance_same_output_inside_a_window():
    fig = viz.shift_invariance(positions=[(1, 1), (2, 0), (0, 3), (1, 5)], kernel_size=4, size=8)
    titles = [ax.get_title() for ax in fig.axes[4:8]]
    assert titles == ["max pooling: same as the first"] * 3 + ["max pooling: changed"]
    assert _texts(fig.axes[4])[0] == "9" and _texts(fig.axes[7])[1] == "9"
    with pytest.raises(ValueError, match="positions must lie inside"):
        viz.shift_invariance(positions=[(8, 0)])


def test_gradient_routing_adds_overlapping_windows():
    fig = viz.gradient_routing()
    grad_texts = _texts(fig.axes[2])
    # the 9 is the maximum of the two top windows: it receives 1 + 2
    assert grad_texts[1 * 5 + 2] == "3" and "1 + 2" in grad_texts
    arrows = [a for a in fig.artists if isinstance(a, ConnectionPatch)]
    assert len(arrows) == 4
    fig = viz.gradient_routing(mode="avg")
    # the centre cell lies in all four 3x3 windows: (1 + 2 + 3 + 4) / 9 = 1.1
    assert _texts(fig.axes[2])[2 * 5 + 2] == "1.1"
    with pytest.raises(ValueError, match="mode must be one of 'max', 'avg'; got 'min'"):
        viz.gradient_routing(mode="min")
    with pytest.raises(ValueError, match="grad_output must have the output's shape"):
        viz.gradient_routing(grad_output=np.ones((3, 3)))
