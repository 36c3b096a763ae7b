"""Tests for convcourse.data: the bundled photograph, the digits, the split."""

import subprocess
import sys

import numpy as np
import pytest

from convcourse.data import load_digits, load_photo, train_test_split


# --- photograph ---------------------------------------------------------------------------

def test_photo_gray_shape_dtype_range():
    photo = load_photo()
    assert photo.shape == (600, 512) and photo.dtype == np.float64
    assert 0.0 <= photo.min() < 0.1 and 0.9 < photo.max() <= 1.0   # uses the whole range
    assert photo.std() > 0.1                                        # a picture, not a flat field


def test_photo_colour_and_luma():
    rgb = load_photo(gray=False)
    assert rgb.shape == (600, 512, 3) and rgb.dtype == np.float64
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0
    np.testing.assert_allclose(rgb * 255, np.round(rgb * 255), atol=1e-9)   # 8-bit values
    np.testing.assert_allclose(load_photo(), 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1]
                               + 0.114 * rgb[..., 2], atol=1e-12)
    assert not np.allclose(rgb[..., 0], rgb[..., 2])                         # really in colour


def test_photo_deterministic_and_independent_copies():
    first = load_photo()
    first[:] = 0.0
    second = load_photo()
    assert second.max() > 0.9
    np.testing.assert_array_equal(second, load_photo())


def test_photo_rejects_non_bool():
    with pytest.raises(TypeError, match=r"gray must be a bool, got 'yes'"):
        load_photo(gray="yes")


# --- digits ----------------------------------------------------------------------------

def test_digits_shapes_dtypes_ranges():
    images, labels = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    np.testing.assert_array_equal(images * 16, np.round(images * 16))      # counts 0..16
    assert set(labels.tolist()) == set(range(10))
    assert np.bincount(labels).min() >= 170


def test_digits_are_real_handwriting():
    """Class means differ, and a nearest-class-mean rule already beats chance by far."""
    images, labels = load_digits()
    flat = images.reshape(len(images), -1)
    means = np.stack([flat[labels == d].mean(axis=0) for d in range(10)])
    predicted = np.argmin(((flat[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
    assert (predicted == labels).mean() > 0.8


def test_digits_float32_and_fresh_copies():
    images, labels = load_digits(np.float32)
    assert images.dtype == np.float32
    images[:] = -1.0
    labels[:] = -1
    again, again_labels = load_digits()
    assert again.min() == 0.0 and again_labels.min() == 0


def test_digits_are_sklearns_read_without_importing_sklearn(monkeypatch):
    code = ("import sys; from convcourse.data import load_digits; x, y = load_digits(); "
            "print('sklearn' in sys.modules, x.shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split(None, 1) == ["False", "(1797, 1, 8, 8)\n"]
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    bunch = sklearn_datasets.load_digits()
    images, labels = load_digits()
    assert np.array_equal(images[:, 0] * 16, bunch.images)
    assert np.array_equal(labels, bunch.target) and labels.dtype == np.int64
    # where the file is not found, scikit-learn's own function gives the same
    from convcourse import data
    monkeypatch.setattr(data, "_sklearn_digits_file", lambda: None)
    data._digits.cache_clear()
    try:
        fallback, fallback_labels = load_digits()
    finally:
        data._digits.cache_clear()
    assert np.array_equal(fallback, images) and np.array_equal(fallback_labels, labels)


@pytest.mark.parametrize("dtype, match", [(np.int64, r"dtype must be a floating dtype.*int64"),
                                          ("nonsense", r"dtype must be a floating dtype")])
def test_digits_rejects_dtype(dtype, match):
    with pytest.raises(TypeError, match=match):
        load_digits(dtype)


# --- train_test_split ------------------------------------------------------------------

def test_split_digits_deterministic_stratified_disjoint():
    images, labels = load_digits()
    parts = train_test_split(images, labels)
    again = train_test_split(images, labels, seed=0)
    for a, b in zip(parts, again):
        np.testing.assert_array_equal(a, b)
    x_train, x_test, y_train, y_test = parts
    assert len(x_train) + len(x_test) == 1797 and len(y_test) == len(x_test)
    assert abs(len(x_test) - 0.2 * 1797) <= 10
    # every class in the same proportion (to rounding)
    counts = np.bincount(labels)
    np.testing.assert_array_equal(np.bincount(y_test), np.round(0.2 * counts))
    # disjoint and complete: each image (with its label) appears exactly once
    flat = images.reshape(1797, -1)
    keys = {(row.tobytes(), int(lab)) for row, lab in zip(flat, labels)}
    split_keys = [(row.tobytes(), int(lab)) for row, lab in
                  zip(np.concatenate([x_train, x_test]).reshape(1797, -1), np.concatenate([y_train, y_test]))]
    assert set(split_keys) == keys and len(split_keys) == 1797


def test_split_seed_changes_split():
    images, labels = np.arange(200.0).reshape(100, 2), np.arange(100) % 4
    one = train_test_split(images, labels, seed=1)
    two = train_test_split(images, labels, seed=2)
    assert not np.array_equal(np.sort(one[1], axis=0), np.sort(two[1], axis=0))
    assert len(one[3]) == len(two[3]) == 20


def test_split_images_follow_their_labels():
    labels = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3] * 3)
    images = labels[:, None, None] * np.ones((30, 2, 2))            # each image carries its label
    # stratified: round(0.3 * 6) = 2 from each of 3 classes, round(0.3 * 3) = 1 from each of 4
    for stratify, n_test in ((True, 10), (False, 9)):
        x_train, x_test, y_train, y_test = train_test_split(images, labels, 0.3, seed=5, stratify=stratify)
        np.testing.assert_array_equal(x_train[:, 0, 0], y_train)
        np.testing.assert_array_equal(x_test[:, 0, 0], y_test)
        assert len(y_test) == n_test and len(y_train) == 30 - n_test


def test_split_unstratified_hand_count():
    x_train, x_test, y_train, y_test = train_test_split(np.zeros((10, 3)), np.zeros(10, int), 0.25,
                                                        stratify=False)
    assert (len(x_train), len(x_test)) == (8, 2)       # round(2.5) = 2


def test_split_does_not_modify_inputs():
    images, labels = np.arange(10.0), np.arange(10) % 2
    copies = images.copy(), labels.copy()
    train_test_split(images, labels)
    np.testing.assert_array_equal(images, copies[0])
    np.testing.assert_array_equal(labels, copies[1])


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.ones((4, 2)), np.ones((4, 1))), {}, ValueError, r"labels must be a 1-D array.*\(4, 1\)"),
        ((np.ones((4, 2)), np.ones(5)), {}, ValueError, r"same length N, got 4 images and 5 labels"),
        ((np.ones(10), np.arange(10)), {"test_fraction": 1.0}, ValueError, r"test_fraction must be in \(0, 1\), got 1\.0"),
        ((np.ones(10), np.arange(10)), {"test_fraction": "0.2"}, TypeError, r"test_fraction must be a number.*'0\.2'"),
        ((np.ones(10), np.arange(10)), {"seed": 1.5}, TypeError, r"seed must be an int, got 1\.5"),
        ((np.ones(10), np.arange(10)), {"seed": -1}, ValueError, r"seed must be >= 0, got -1"),
        ((np.ones(10), np.arange(10)), {"stratify": "yes"}, TypeError, r"stratify must be a bool"),
        ((np.ones(10), np.arange(10)), {}, ValueError, r"leaves an empty test set"),   # one sample per class
        ((np.ones(3), np.zeros(3)), {"test_fraction": 0.9}, ValueError, r"leaves an empty training set"),
    ],
)
def test_split_rejects(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        train_test_split(*args, **kwargs)


def test_photo_is_matplotlibs_image_decoded_without_its_drawing_machinery():
    # the same bytes as matplotlib.image.imread, without importing it (and backend_bases)
    from matplotlib import cbook
    from matplotlib import image as mpimg

    expected = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    np.testing.assert_array_equal(load_photo(gray=False), expected / 255.0)
    code = ("import sys; from convcourse.data import load_photo; load_photo(); "
            "print(sorted(m for m in ('matplotlib.image', 'matplotlib.backend_bases', "
            "'matplotlib.pyplot') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
