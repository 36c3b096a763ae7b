"""The course pictures build with the Agg backend and draw what they claim."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from convcourse import viz  # noqa: E402
from convcourse.arithmetic import conv_output_size  # noqa: E402


# an animation built but never played warns when it is collected; these tests inspect, not play
pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_sliding_1d_writes_each_dot_product():
    fig = viz.sliding_dot_product_1d([1, 2, 0, -1, 3], [1, 0, -1])
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    titles = [ax.get_title() for ax in fig.axes]
    # hand-worked: 1*1 + 2*0 + 0*(-1) = 1, 2 - (-1) = 3, 0 - 3 = -3
    assert titles[0].endswith("= 1") and titles[1].endswith("= 3") and titles[2].endswith("= -3")
    fig.canvas.draw()


def test_sliding_1d_rejects_a_long_kernel():
    with pytest.raises(ValueError, match="kernel must not be longer than signal"):
        viz.sliding_dot_product_1d([1, 2], [1, 2, 3])


def test_sliding_2d_highlights_the_window_and_the_output_cell():
    image = np.arange(16).reshape(4, 4)
    fig = viz.sliding_dot_product_2d(image, [[1, 0], [0, -1]], position=(1, 2))
    # out[1, 2] = image[1, 2] - image[2, 3] = 6 - 11 = -5
    assert fig.texts[0].get_text().endswith("= -5")
    orange = [p for p in fig.axes[0].patches if p.get_facecolor()[:3] == matplotlib.colors.to_rgb("#ff7f0e")]
    assert sorted((p.get_x(), p.get_y()) for p in orange) == [(2, -3), (2, -2), (3, -3), (3, -2)]
    with pytest.raises(ValueError, match="position"):
        viz.sliding_dot_product_2d(image, np.ones((2, 2)), position=(3, 0))


def test_correlation_vs_convolution_on_a_spike():
    fig = viz.correlation_vs_convolution(kernel=[1, 2, 3])
    corr, conv = fig.axes[2], fig.axes[3]
    heights = lambda ax: [b.get_height() for b in ax.patches if b.get_height()]  # noqa: E731
    assert heights(corr) == [3, 2, 1]   # cross-correlation writes the kernel backwards
    assert heights(conv) == [1, 2, 3]   # convolution writes it as it is


def test_correlation_vs_convolution_places_each_output_where_its_formula_does():
    # a spike at p = 4: (x ⋆ k)[i] = k[p - i] at i = 2, 3, 4; (x * k)[i] = k[i - p] at i = 4, 5, 6
    fig = viz.correlation_vs_convolution(kernel=[1, 2, 3])
    corr, conv = fig.axes[2], fig.axes[3]
    where = lambda ax: {round(b.get_x() + b.get_width() / 2): b.get_height()  # noqa: E731
                        for b in ax.patches if b.get_height()}
    assert where(corr) == {2: 3, 3: 2, 4: 1}
    assert where(conv) == {4: 1, 5: 2, 6: 3}


def test_conv_dimensions_has_three_panels():
    fig = viz.conv_dimensions()
    assert len(fig.axes) == 3 and fig.axes[2].name == "3d"
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["1-D", "2-D", "3-D"]
    fig.canvas.draw()


@pytest.mark.parametrize("input_shape, kernel_size, stride, padding, dilation", [
    (5, 3, 1, 0, 1),
    (5, 3, 2, 1, 1),
    (7, 3, 1, 0, 2),
    ((6, 7), (2, 3), (1, 2), (1, 0), (2, 1)),
    ((4, 9), 2, 3, 2, 1),
])
def test_animation_has_one_frame_per_output_position(input_shape, kernel_size, stride, padding,
                                                    dilation):
    anim = viz.animate_conv2d(input_shape, kernel_size, stride, padding, dilation)
    assert isinstance(anim, FuncAnimation)
    size = input_shape if isinstance(input_shape, tuple) else (input_shape, input_shape)
    oh, ow = conv_output_size(size, kernel_size, stride, padding, dilation)
    assert anim.output_shape == (oh, ow) and anim.n_frames == oh * ow
    frames = list(anim.new_frame_seq())
    assert len(frames) == oh * ow
    # the last frame puts the kernel's last tap at the bottom-right window
    anim._func(frames[-1])
    taps = [p for p in anim.figure.axes[0].patches
            if isinstance(p, Rectangle) and p.get_alpha() == 0.75]
    k = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
    assert len(taps) == k[0] * k[1]
    s = stride if isinstance(stride, tuple) else (stride, stride)
    d = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    last = taps[-1]
    assert last.get_x() == (ow - 1) * s[1] + (k[1] - 1) * d[1]
    assert last.get_y() == -((oh - 1) * s[0] + (k[0] - 1) * d[0]) - 1


def test_animation_rejects_a_kernel_that_does_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        viz.animate_conv2d(3, 3, dilation=2)
    with pytest.raises(ValueError, match="stride"):
        viz.animate_conv2d(5, 3, stride=0)


def test_show_animation_is_inline_html():
    anim = viz.animate_conv2d(3, 2)
    html = viz.show_animation(anim)
    assert "<script" in html.data and html.data.count("data:image/png") == 4
    assert not plt.get_fignums()  # closed: the notebook shows the player only


def _player_frames(html):
    """The frames of a ``to_jshtml`` player, as RGBA arrays."""
    import base64
    import io
    import re

    from PIL import Image

    found = re.findall(r'data:image/png;base64,([^"]+)"', html)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(f.replace("\\n", ""))))) for f in found]


def test_show_animation_draws_each_frame_once_and_shows_what_to_jshtml_shows(monkeypatch):
    from matplotlib.figure import Figure

    expected = _player_frames(viz.animate_conv2d(5, 3, stride=2, padding=1).to_jshtml())
    draws = []
    original = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: (draws.append(1),
                                                               original(self, renderer))[1])
    anim = viz.animate_conv2d(5, 3, stride=2, padding=1)
    frames = _player_frames(viz.show_animation(anim).data)
    # 9 frames: one draw each (the stock writer drew each three times), at most one more
    assert anim.n_frames == len(frames) == len(expected) == 9
    assert len(draws) <= anim.n_frames + 1, f"{len(draws)} draws for {anim.n_frames} frames"
    for ours, stock in zip(frames, expected):
        assert ours.shape == stock.shape
        assert np.abs(ours.astype(int) - stock.astype(int)).max() <= 2
    assert not np.array_equal(frames[0], frames[1])  # the window moves


def test_figures_are_detached_from_pyplot():
    viz.image_grid([np.eye(3)])
    assert not plt.get_fignums()


def test_image_grid_titles_and_layout(rng):
    images = [rng.random((5, 5)) for _ in range(5)]
    fig = viz.image_grid(images, [f"im{i}" for i in range(5)], ncols=3, vmin=0, vmax=1)
    assert [ax.get_title() for ax in fig.axes] == [f"im{i}" for i in range(5)]
    assert fig.axes[0].images[0].get_clim() == (0, 1)


def test_kernel_gallery_filters_the_image(rng):
    image = rng.random((12, 10))
    fig = viz.kernel_gallery(image, {"identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
                                     "shift": [[0, 0, 0], [0, 0, -1], [0, 0, 0]]},
                             absolute={"shift"})
    assert len(fig.axes) == 4
    np.testing.assert_allclose(fig.axes[2].images[0].get_array(), image)  # identity kernel
    shifted = fig.axes[3].images[0].get_array()
    np.testing.assert_allclose(shifted[:, :-1], image[:, 1:])  # |-x[i, j+1]|


def test_corners_overlay_marks_the_square_corners():
    image = np.zeros((30, 30))
    image[8:22, 8:22] = 1.0
    response = np.zeros_like(image)
    for y, x in [(8, 8), (8, 21), (21, 8), (21, 21)]:
        response[y, x] = 1.0
    fig = viz.corners_overlay(image, response, n=10, min_distance=3)
    points = fig.axes[1].collections[0].get_offsets()
    assert sorted(map(tuple, np.asarray(points).tolist())) == [(8, 8), (8, 21), (21, 8), (21, 21)]
    with pytest.raises(ValueError, match="response must have the image's shape"):
        viz.corners_overlay(image, response[:5])
