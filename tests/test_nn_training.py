"""Behaviour test: the course's CNN, built from convcourse.nn, learns the real 8x8 digits."""

import time

import numpy as np
import pytest

from convcourse.data import load_digits, train_test_split
from convcourse.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU
from convcourse.nn.train import DIGITS_RECIPE, accuracy, digits_cnn, fit, make_cnn, predict


def load_split():
    """The bundled digits, (N, 1, 8, 8) in [0, 1], and the package's seeded 80/20 split."""
    images, labels = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_fraction=0.2, seed=0)
    return x_train, y_train, x_test, y_test


@pytest.fixture(scope="module")
def trained():
    x_train, y_train, x_test, y_test = load_split()
    model = digits_cnn(rng=0)
    start = time.perf_counter()
    history = fit(model, x_train, y_train, **DIGITS_RECIPE)
    seconds = time.perf_counter() - start
    return model, history, seconds, (x_train, y_train, x_test, y_test)


def test_digits_cnn_reaches_95_percent_on_held_out_split(trained):
    model, history, seconds, (_, _, x_test, y_test) = trained
    assert len(x_test) >= 350  # a real held-out fifth, not a handful
    acc = accuracy(model, x_test, y_test)
    assert acc >= 0.95, f"held-out accuracy {acc:.3f} after {seconds:.1f} s"


def test_training_loss_falls(trained):
    _, history, _, _ = trained
    assert len(history) == DIGITS_RECIPE["epochs"]
    assert history[0] < np.log(10) + 0.5  # starts near chance
    assert history[-1] < history[0] / 5
    assert all(b < a for a, b in zip(history, history[1:3]))


def test_predictions_cover_every_class(trained):
    model, _, _, (_, _, x_test, y_test) = trained
    pred = predict(model, x_test)
    assert pred.shape == y_test.shape and pred.dtype == np.int64
    assert set(pred) == set(range(10))


def test_training_is_reproducible():
    x, y, _, _ = load_split()
    x, y = x[:96], y[:96]
    runs = []
    for _ in range(2):
        model = digits_cnn(rng=3)
        history = fit(model, x, y, epochs=1, batch_size=32, lr=1e-2, seed=5)
        runs.append((history, model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for key in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][key], runs[1][1][key])
    other = fit(digits_cnn(rng=3), x, y, epochs=1, batch_size=32, lr=1e-2, seed=6)
    assert other != runs[0][0]  # the seed drives the shuffling


def test_digits_cnn_architecture():
    model = digits_cnn(rng=0)
    assert [type(m) for m in model] == [Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d,
                                        Flatten, Linear]
    assert (model[0].in_channels, model[0].out_channels, model[0].padding) == (1, 16, (1, 1))
    assert (model[3].in_channels, model[3].out_channels) == (16, 32)
    assert (model[7].in_features, model[7].out_features) == (128, 10)
    assert model.forward(np.zeros((2, 1, 8, 8))).shape == (2, 10)


def test_make_cnn_blocks_of_several_convolutions():
    model = make_cnn(in_channels=3, num_classes=4, image_size=16, channels=(4, 6, 8),
                     convs_per_block=2, kernel_size=5, rng=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"] * 3 + ["Flatten", "Linear"]
    assert [m.out_channels for m in model if isinstance(m, Conv2d)] == [4, 4, 6, 6, 8, 8]
    assert model[-1].in_features == 8 * 2 * 2
    assert model.forward(np.zeros((1, 3, 16, 16))).shape == (1, 4)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: make_cnn(image_size=6, channels=(4, 4)), ValueError, "image_size must be divisible by .* 4, got 6"),
    (lambda: make_cnn(kernel_size=4), ValueError, "kernel_size must be odd, got 4"),
    (lambda: make_cnn(channels=()), ValueError, "channels must be a non-empty sequence"),
    (lambda: fit(digits_cnn(rng=0), np.zeros((4, 1, 8, 8)), np.zeros(3, int), 1, 2, 0.1),
     ValueError, r"y must have shape \(4,\) .* got shape \(3,\)"),
    (lambda: fit(digits_cnn(rng=0), np.zeros((4, 8, 8)), np.zeros(4, int), 1, 2, 0.1),
     ValueError, r"x must be a 4-D array .* got shape \(4, 8, 8\)"),
    (lambda: fit(digits_cnn(rng=0), np.zeros((4, 1, 8, 8)), np.zeros(4, int), 0, 2, 0.1),
     ValueError, "epochs must be >= 1, got 0"),
    (lambda: fit(digits_cnn(rng=0), np.zeros((4, 1, 8, 8)), np.zeros(4, int), 1, 2, -0.1),
     ValueError, "lr must be a positive number, got -0.1"),
    (lambda: fit(digits_cnn(rng=0), np.zeros((4, 1, 8, 8)), np.zeros(4, int), 1, 2, 0.1,
                 optimizer="rmsprop"), ValueError, "optimizer must be one of .* 'rmsprop'"),
])
def test_rejects_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
