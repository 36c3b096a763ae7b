"""Tests of convcourse.nn._replay: a training run the grader recorded is replayed by fit,
with the state and history training gives, and only where everything it starts from is
the same."""

import hashlib

import numpy as np
import pytest

from convcourse import _picture_cache as pc
from convcourse.nn import Conv2d, Linear, ReLU, Sequential, Flatten, MaxPool2d, _replay
from convcourse.nn import train as train_module
from convcourse.nn.loss import softmax_cross_entropy
from convcourse.nn.module import Parameter
from convcourse.nn.train import fit, make_cnn

RECIPE = dict(epochs=2, batch_size=8, lr=1e-2, seed=0)


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((20, 1, 4, 4))
    return x, (x[:, 0, 0, 0] > 0).astype(int)


def small(rng=0):
    return make_cnn(image_size=4, channels=(2,), num_classes=2, rng=rng)


def state(model):
    """Every attribute of the model and its layers, arrays as (dtype, shape, bytes)."""
    def plain(value):
        if type(value) is Parameter:
            return ("P", plain(value.data), plain(value.grad))
        if isinstance(value, np.ndarray):
            return (value.dtype.str, value.shape, value.tobytes())
        if isinstance(value, (list, tuple)):
            return type(value)(plain(v) for v in value)
        return (type(value).__name__, value)
    parts = [model] + model.layers
    return [{k: plain(v) for k, v in vars(p).items() if k != "layers"} for p in parts]


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """A folder in which the grader's run recorded ``fit(small(), *data(), **RECIPE)``;
    the trained model and its history, trained for real."""
    monkeypatch.delenv(pc.PICTURES_VAR, raising=False)
    monkeypatch.setenv(pc.RECORD_VAR, str(tmp_path))
    model = small()
    history = fit(model, *data(), **RECIPE)
    monkeypatch.delenv(pc.RECORD_VAR)
    return tmp_path, model, history


@pytest.fixture
def no_training(monkeypatch):
    """Make a real training step fail: a replayed run takes none."""
    def refuse(*args):
        raise AssertionError("fit trained")
    monkeypatch.setattr(train_module, "softmax_cross_entropy", refuse)


def test_outside_the_grader_fit_trains_and_keys_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(pc.PICTURES_VAR, raising=False)
    monkeypatch.delenv(pc.RECORD_VAR, raising=False)
    assert _replay.run_key(small(), *data(), RECIPE) is None
    a, b = small(), small()
    assert fit(a, *data(), **RECIPE) == fit(b, *data(), **RECIPE)
    assert state(a) == state(b)


def test_a_recorded_run_is_replayed_with_the_state_training_gives(recorded, monkeypatch,
                                                                  no_training):
    folder, trained, history = recorded
    assert [p.name.endswith(".training.npz") for p in folder.iterdir()] == [True]
    monkeypatch.setenv(pc.PICTURES_VAR, str(folder))
    model = small()
    weight = model[0].weight
    held = weight.data  # an array taken before training sees the trained values
    replayed = fit(model, *data(), **RECIPE)
    assert replayed == history and [type(v) for v in replayed] == [type(v) for v in history]
    assert state(model) == state(trained)  # parameters, gradients, last batch's caches
    assert model[0].weight is weight and held is weight.data
    assert np.array_equal(held, trained[0].weight.data)
    # the replayed model goes on like the trained one
    monkeypatch.setattr(train_module, "softmax_cross_entropy", softmax_cross_entropy)
    x, y = data(1)
    assert fit(model, x, y, **RECIPE) == fit(trained, x, y, **RECIPE)


@pytest.mark.parametrize("change", ["weights", "data", "labels", "recipe", "optimizer",
                                    "threads", "gradient"])
def test_another_start_trains(recorded, monkeypatch, change):
    folder, _, _ = recorded
    monkeypatch.setenv(pc.PICTURES_VAR, str(folder))
    model, (x, y), recipe = small(), data(), dict(RECIPE)
    if change == "weights":
        model = small(rng=1)
    elif change == "data":
        x = x.copy()
        x[0, 0, 0, 1] += 1e-9
    elif change == "labels":
        y = y.copy()
        y[0] = 1 - y[0]
    elif change == "recipe":
        recipe["lr"] = 2e-2
    elif change == "optimizer":
        recipe["optimizer"] = "sgd"
    elif change == "threads":
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    elif change == "gradient":
        model[0].weight.grad = np.zeros_like(model[0].weight.data)
    expected = small(rng=1) if change == "weights" else small()
    if change == "gradient":
        expected[0].weight.grad = np.zeros_like(expected[0].weight.data)
    monkeypatch.delenv(pc.PICTURES_VAR)
    trained_history = fit(expected, x, y, **recipe)
    monkeypatch.setenv(pc.PICTURES_VAR, str(folder))
    assert fit(model, x, y, **recipe) == trained_history
    assert state(model) == state(expected)


def test_what_cannot_be_hashed_by_value_trains_and_records_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(pc.RECORD_VAR, str(tmp_path))

    class MyReLU(ReLU):  # a layer class of the notebook's: not importable by name
        pass

    mine = Sequential(Conv2d(1, 2, 3, padding=1, rng=0), MyReLU(), MaxPool2d(2), Flatten(),
                      Linear(8, 2, rng=0))
    assert _replay.run_key(mine, *data(), RECIPE) is None
    fit(mine, *data(), **RECIPE)
    seeded = dict(RECIPE, seed=np.random.default_rng(0))  # fit draws from the caller's
    assert _replay.run_key(small(), *data(), seeded) is None
    fit(small(), *data(), **seeded)
    assert list(tmp_path.iterdir()) == []


def test_a_broken_run_trains_from_the_model_as_it_was(recorded, monkeypatch):
    folder, trained, history = recorded
    (path,) = folder.iterdir()
    path.write_bytes(path.read_bytes()[:200])
    monkeypatch.setenv(pc.PICTURES_VAR, str(folder))
    model = small()
    assert fit(model, *data(), **RECIPE) == history
    assert state(model) == state(trained)


def test_a_run_of_another_model_leaves_the_model_as_it_was(recorded, monkeypatch):
    """A stored run whose layers are not the model's (a key collision, a hand-edited file)
    is refused before anything of the model changes."""
    folder, _, _ = recorded
    (path,) = folder.iterdir()
    monkeypatch.setenv(pc.PICTURES_VAR, str(folder))
    other = Sequential(Flatten(), Linear(16, 2, rng=0))
    before = state(other)
    assert _replay.replayed(path.name[:-len(".training.npz")], other) is None
    assert state(other) == before


def test_the_key_covers_the_package_and_the_processor(monkeypatch):
    key = _replay.training_key(small(), *data(), RECIPE)
    assert key == _replay.training_key(small(), *data(), RECIPE)
    monkeypatch.setattr(_replay, "fingerprint", lambda: b"another package")
    assert _replay.training_key(small(), *data(), RECIPE) != key
    monkeypatch.undo()
    monkeypatch.setattr(_replay, "_processor", lambda: "another processor")
    assert _replay.training_key(small(), *data(), RECIPE) != key


def test_feed_model_sees_every_layer_and_attribute():
    def digest(model):
        h = hashlib.sha256()
        _replay.feed_model(h, model)
        return h.hexdigest()

    key = digest(small())
    assert digest(small()) == key
    changed = small()
    changed[0].stride = (2, 2)
    assert digest(changed) != key
    changed = small()
    changed.layers.append(ReLU())
    assert digest(changed) != key
    changed = small()
    changed.train(False)
    assert digest(changed) != key
    changed = small()
    changed[0].note = {"a": object()}
    with pytest.raises(pc.Unhashable):
        digest(changed)
