"""The pictures of 06-cnn build with the Agg backend and draw what they claim."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from convcourse.arithmetic import conv_params  # noqa: E402
from convcourse.nn import (Conv2d, Flatten, GlobalAvgPool2d, Linear, MaxPool2d, ReLU,  # noqa: E402
                           Sequential)
from convcourse.viz import cnn as pictures  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def model():
    return Sequential(Conv2d(1, 4, 3, padding=1, rng=0), ReLU(), MaxPool2d(2),
                      Conv2d(4, 6, 3, padding=1, rng=1), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(24, 10, rng=2))


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_stacked_3x3_counts_weights_with_the_arithmetic_module():
    fig = pictures.stacked_3x3(channels=8, max_layers=4)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    bars = [p.get_height() for p in fig.axes[2].patches]
    # n stacked 3x3 layers: n * 9 * 8 * 8; one (2n+1) x (2n+1) kernel: (2n+1)^2 * 8 * 8
    assert bars[:3] == [2 * 576, 3 * 576, 4 * 576]
    assert bars[3:] == [25 * 64, 49 * 64, 81 * 64]
    assert bars[0] == 2 * conv_params(8, 8, 3, bias=False)
    assert "receptive field 5x5" in fig.axes[0].get_title()
    assert "receptive field 5x5" in fig.axes[1].get_title()
    fig.canvas.draw()


@pytest.mark.parametrize("channels, max_layers", [(0, 3), (8, 1), (2.5, 3)])
def test_stacked_3x3_rejects_bad_arguments(channels, max_layers):
    with pytest.raises(ValueError, match="channels|max_layers"):
        pictures.stacked_3x3(channels, max_layers)


def test_softmax_bars_are_probabilities():
    fig = pictures.softmax_bars([0.0, np.log(3.0)], 1)
    probs = [p.get_height() for p in fig.axes[1].patches]
    np.testing.assert_allclose(probs, [0.25, 0.75])  # hand-worked: e^0 : e^log3 = 1 : 3
    assert "loss = -log p[1] = 0.288" in fig.axes[1].get_title()
    # huge logits draw the same probabilities (the maximum is subtracted)
    big = pictures.softmax_bars([1000.0, 1000.0 + np.log(3.0)], 1)
    np.testing.assert_allclose([p.get_height() for p in big.axes[1].patches], [0.25, 0.75])
    with pytest.raises(ValueError, match="label must be an int in \\[0, 1\\], got 2"):
        pictures.softmax_bars([1.0, 2.0], 2)


def test_digit_samples_one_column_per_class(rng):
    images = rng.random((30, 1, 8, 8))
    labels = np.arange(30) % 3
    fig = pictures.digit_samples(images, labels, per_class=2)
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:3]] == ["0", "1", "2"]
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), images[0, 0])
    with pytest.raises(ValueError, match="labels must have shape"):
        pictures.digit_samples(images, labels[:5])


def test_architecture_writes_every_shape(model):
    fig = pictures.architecture(model)
    texts = _texts(fig.axes[0])
    shapes = ["4 x 8 x 8", "4 x 8 x 8", "4 x 4 x 4", "6 x 4 x 4", "6 x 4 x 4", "6 x 2 x 2",
              "24", "10"]
    assert [t for t in texts if t in shapes or t == "10"] == shapes
    # hand-counted weights: 4*9+4 = 40, 6*4*9+6 = 222, 24*10+10 = 250
    assert ["40 weights", "222 weights", "250 weights"] == [t for t in texts if "weights" in t]
    assert fig.axes[0].get_title().endswith("512 weights")
    with pytest.raises(TypeError, match="Sequential"):
        pictures.architecture([Conv2d(1, 2, 3)])


def test_training_curve_plots_the_history():
    fig = pictures.training_curve([2.0, 1.0, 0.5])
    line = fig.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [2.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="history"):
        pictures.training_curve([])


def test_confusion_matrix_counts_pairs():
    fig = pictures.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], num_classes=4)
    counts = np.asarray(fig.axes[0].images[0].get_array())
    expected = np.zeros((4, 4), dtype=int)
    for t, p in [(0, 0), (0, 1), (1, 1), (2, 2), (2, 2), (2, 0)]:
        expected[t, p] += 1
    np.testing.assert_array_equal(counts, expected)
    assert fig.axes[0].get_title() == "2 of 6 wrong"


def test_misclassified_shows_only_the_mistakes(rng):
    images = rng.random((5, 1, 8, 8))
    fig = pictures.misclassified(images, [0, 1, 2, 3, 4], [0, 7, 2, 3, 1])
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == ["1 \u2192 7", "4 \u2192 1"]
    np.testing.assert_array_equal(titled[1].images[0].get_array(), images[4, 0])
    none = pictures.misclassified(images, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
    assert "no image misclassified" in _texts(none.axes[0])


def test_filters_share_one_symmetric_scale(model):
    weight = model[0].weight.data
    fig = pictures.filters(weight, ncols=2)
    assert len(fig.axes) == 4
    vmax = np.abs(weight).max()
    for i, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), weight[i, 0])
        assert ax.images[0].get_clim() == pytest.approx((-vmax, vmax))
    with pytest.raises(ValueError, match="weight must have shape"):
        pictures.filters(weight[0])


def test_feature_maps_follow_the_image_through_the_model(model, rng):
    image = rng.random((1, 8, 8))
    fig = pictures.feature_maps(model, image, max_maps=3)
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["input\n1 x 8 x 8", "after 1: ReLU\n4 x 8 x 8",
                      "after 2: MaxPool2d\n4 x 4 x 4", "after 4: ReLU\n6 x 4 x 4",
                      "after 5: MaxPool2d\n6 x 2 x 2", "softmax"]
    first_relu = [ax for ax in fig.axes if ax.get_ylabel().startswith("after 1")][0]
    expected = np.maximum(model[0].forward(image[None])[0, 0], 0)
    np.testing.assert_allclose(first_relu.images[0].get_array(), expected)
    probs = [p.get_height() for p in fig.axes[-1].patches]
    assert len(probs) == 10 and sum(probs) == pytest.approx(1.0)


def test_feature_maps_with_global_pooling_and_2d_image(rng):
    m = Sequential(Conv2d(1, 2, 3, padding=1, rng=0), ReLU(), GlobalAvgPool2d(), Flatten(),
                   Linear(2, 10, rng=0))
    fig = pictures.feature_maps(m, rng.random((8, 8)))
    assert fig.axes[-1].get_title().startswith("prediction: ")
    with pytest.raises(ValueError, match="image must have shape"):
        pictures.feature_maps(m, np.zeros(8))


def test_figures_are_detached_from_pyplot(model):
    pictures.architecture(model)
    pictures.feature_maps(model, np.zeros((8, 8)))
    assert not plt.get_fignums()


def test_drawing_a_model_leaves_it_as_it_was(model, rng):
    """The pictures run a copy of the model: its caches of the last batch stay the
    caller's (a stored picture, which runs nothing, leaves them the same)."""
    model.forward(rng.random((3, 1, 8, 8)))
    before = [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(l).items()}
              for l in model]
    pictures.architecture(model)
    pictures.feature_maps(model, rng.random((8, 8)))
    for layer, saved in zip(model, before):
        assert vars(layer).keys() == saved.keys()
        for name, value in saved.items():
            if isinstance(value, np.ndarray):
                assert np.array_equal(vars(layer)[name], value), name
            else:
                assert vars(layer)[name] is value or vars(layer)[name] == value, name
