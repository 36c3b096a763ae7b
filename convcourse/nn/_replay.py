"""Training runs done once: the grader's record of :func:`~convcourse.nn.train.fit`.

Issue 11 §2.  The last notebook trains the student's CNN twice in the grading kernel,
3 to 4 s each: its hidden check trains the model rebuilt with new weights, and the
notebook's own training cell trains the same rebuilt model.  Both start from the same
state, on the same data, with the same recipe, as the instructor's notebook's training
cell does, so they compute the same numbers for every student whose architecture is
the instructor's.  The picture cache (:mod:`convcourse._picture_cache`) is where the
grader keeps what every kernel would compute alike, and this module keeps training
runs there too:

- the grader's run of the instructor's notebook (``CONVCOURSE_PICTURES_RECORD`` set)
  stores, for each ``fit`` call, the model's state after training (every attribute of
  the model and of its layers: parameters, gradients, the caches of the last batch)
  and the loss history, keyed by everything the training starts from;
- a grading kernel (``CONVCOURSE_PICTURES`` set, the folder bound read-only) whose
  ``fit`` starts from a stored key puts that state into the model (the parameters'
  arrays updated in place, as the optimizer does) and returns that history, without
  the seconds;
- neither set (a student's Jupyter, the tests, the judge, which decides the score
  with its own training): ``fit`` trains, exactly as without this module.

The key (:func:`training_key`) is a SHA-256 of: the package's code and data with
numpy's version (:func:`~convcourse._picture_cache.fingerprint`); what decides the
floating-point arithmetic on this machine (the BLAS thread variables, the processor's
model and features, which choose the BLAS kernels); the model's type and start state
(:func:`feed_model`: each layer's type by importable name, every attribute by value);
the data; and the recipe.  A model or argument that cannot be hashed by value (a layer
class of the notebook's, a ``Generator`` as ``seed``) trains.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from .._picture_cache import (PICTURES_VAR, RECORD_VAR, Unhashable, _importable_name, _write,
                              feed_value, fingerprint, register_feeder)
from .module import Module, Parameter

__all__ = ["feed_model", "training_key", "run_key", "replayed", "record"]

#: the format of the keys and of the stored runs; change it when either changes
_VERSION = b"convcourse-training-1"
_SUFFIX = ".training.npz"
#: variables that choose how many threads, and which kernels, numpy's BLAS uses
NUMERIC_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "OPENBLAS_CORETYPE", "OPENBLAS_VERBOSE", "MKL_CBWR", "NPY_DISABLE_CPU_FEATURES")


def _parts(model) -> list:
    """The objects whose attributes are the model's state: the model, then its layers
    (a :class:`~convcourse.nn.Sequential`'s ``layers``), in order."""
    layers = vars(model).get("layers")
    return [model] + (list(layers) if type(layers) is list else [])


def feed_model(h, model) -> None:
    """Feed ``model``'s type and state to hash ``h``, or raise
    :class:`~convcourse._picture_cache.Unhashable`: the model and each of its layers by
    their type's importable name (a class of the notebook's is Unhashable) and every
    attribute by value (:func:`~convcourse._picture_cache.feed_value`; a
    :class:`Parameter` by its data and gradient), in order."""
    for i, part in enumerate(_parts(model)):
        name = _importable_name(type(part))
        if name is None:
            raise Unhashable
        h.update(f"L{i}:{name}\0".encode())
        for attribute, value in sorted(vars(part).items()):
            if i == 0 and attribute == "layers":
                continue  # fed as the parts that follow
            h.update(f"A{attribute}\0".encode())
            feed_value(h, value)


def _feed_parameter(h, value) -> None:
    if type(value) is not Parameter:  # a subclass may behave differently
        raise Unhashable
    h.update(b"P")
    feed_value(h, (value.data, value.grad))


def _feed_module(h, value) -> None:
    h.update(b"m")
    feed_model(h, value)


# a picture of a model (its architecture, its feature maps) is keyed by the model's value
register_feeder(Parameter, _feed_parameter)
register_feeder(Module, _feed_module)


@functools.cache
def _processor() -> str:
    """The processor's model name and features (they choose the BLAS kernels), from the
    first processor of ``/proc/cpuinfo``; empty where it cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return ""
    first = text.split("\n\n", 1)[0]
    keep = ("vendor_id", "model name", "flags", "Features", "CPU implementer", "CPU part")
    return "\n".join(line for line in first.splitlines() if line.split(":")[0].strip() in keep)


def training_key(model, x, y, recipe: dict) -> str | None:
    """The key of training ``model`` on ``(x, y)`` with ``recipe`` (``fit``'s keyword
    arguments), or None if something cannot be hashed by value.

    Examples
    --------
    >>> from convcourse.nn.train import make_cnn
    >>> x, y = np.zeros((4, 1, 4, 4)), np.array([0, 1, 0, 1])
    >>> recipe = dict(epochs=1, batch_size=2, lr=0.1, seed=0)
    >>> key = training_key(make_cnn(image_size=4, channels=(2,), rng=0), x, y, recipe)
    >>> key == training_key(make_cnn(image_size=4, channels=(2,), rng=0), x, y, recipe)
    True
    >>> key == training_key(make_cnn(image_size=4, channels=(2,), rng=1), x, y, recipe)
    False
    >>> training_key(make_cnn(image_size=4, channels=(2,), rng=0), x, y,
    ...              dict(recipe, seed=np.random.default_rng(0))) is None
    True
    """
    h = hashlib.sha256(_VERSION + b"\0" + fingerprint())
    h.update(repr([(name, os.environ.get(name)) for name in NUMERIC_VARS]).encode() + b"\0")
    h.update(_processor().encode() + b"\0")
    try:
        feed_model(h, model)
        feed_value(h, (x, y))
        feed_value(h, sorted(recipe.items()))
    except Unhashable:
        return None
    return h.hexdigest()


def run_key(model, x, y, recipe: dict) -> str | None:
    """:func:`training_key`, in the grader's kernels only (either variable set); None
    elsewhere, at no cost: ``fit`` then trains."""
    if not (os.environ.get(PICTURES_VAR) or os.environ.get(RECORD_VAR)):
        return None
    return training_key(model, x, y, recipe)


# ------------------------------------------------------------- the stored state

def _encode(value, arrays: dict):
    """``value`` as JSON, its arrays named into ``arrays``; Unhashable for anything
    else than None, bool, int, float, str, tuples and lists of those, arrays, numpy
    scalars and :class:`Parameter` objects."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind in (tuple, list):
        return {"t": kind.__name__, "v": [_encode(item, arrays) for item in value]}
    if kind is np.ndarray or isinstance(value, np.generic):
        if np.asarray(value).dtype.hasobject:
            raise Unhashable
        name = f"a{len(arrays)}"
        arrays[name] = np.asarray(value)
        return {"t": "array" if kind is np.ndarray else "scalar", "v": name}
    if kind is Parameter:
        return {"t": "parameter", "data": _encode(value.data, arrays),
                "grad": _encode(value.grad, arrays)}
    raise Unhashable


def _decode(value, arrays):
    if not isinstance(value, dict):
        return value
    kind = value["t"]
    if kind in ("tuple", "list"):
        items = [_decode(item, arrays) for item in value["v"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "array":
        return np.array(arrays[value["v"]])  # a writeable array of its own
    if kind == "scalar":
        return arrays[value["v"]][()]
    raise ValueError(f"unknown stored value {kind!r}")


def _stored_bytes(model, history) -> bytes:
    """The model's state after training and the history, as one ``.npz`` (no pickles)."""
    arrays: dict = {}
    state = [{name: _encode(value, arrays) for name, value in vars(part).items()
              if not (i == 0 and name == "layers")}
             for i, part in enumerate(_parts(model))]
    manifest = json.dumps({"state": state, "history": _encode(history, arrays)})
    buffer = io.BytesIO()
    np.savez(buffer, manifest=np.frombuffer(manifest.encode(), dtype=np.uint8), **arrays)
    return buffer.getvalue()


def _restore(model, stored) -> list:
    """Put the stored state into ``model``; return the stored history.  Everything is
    read and checked before the model is changed: a run that cannot be read (ValueError,
    KeyError, TypeError) leaves the model as it was."""
    manifest = json.loads(stored["manifest"].tobytes().decode())
    parts = _parts(model)
    if len(parts) != len(manifest["state"]):
        raise ValueError("the stored run has another number of layers")
    changes = []
    for part, state in zip(parts, manifest["state"]):
        for name, value in state.items():
            if isinstance(value, dict) and value.get("t") == "parameter":
                if type(vars(part).get(name)) is not Parameter:
                    raise ValueError(f"the stored run has a parameter {name!r} the model has not")
                value = (_decode(value["data"], stored), _decode(value["grad"], stored))
                changes.append((part, name, value, True))
            else:
                changes.append((part, name, _decode(value, stored), False))
    history = _decode(manifest["history"], stored)
    for part, name, value, is_parameter in changes:
        if not is_parameter:
            setattr(part, name, value)
            continue
        current, (data, grad) = getattr(part, name), value
        if (current.data.shape == data.shape and current.data.dtype == data.dtype
                and current.data.flags.writeable):
            current.data[...] = data  # in place, as the optimizer updates it
        else:
            current.data = data
        current.grad = grad
    return history


def replayed(key: str | None, model):
    """The history of the stored run ``key``, its state put into ``model``; or None
    (not in a grading kernel, no such run, or one that cannot be read): train."""
    folder = os.environ.get(PICTURES_VAR)
    if not folder or key is None:
        return None
    path = Path(folder) / f"{key}{_SUFFIX}"
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        return _restore(model, arrays)
    except (OSError, EOFError, zipfile.BadZipFile, ValueError, KeyError, TypeError):
        return None  # no such run, or a broken file


def record(key: str | None, model, history) -> None:
    """Store the run ``key`` (the model just trained, its history), when recording."""
    folder = os.environ.get(RECORD_VAR)
    if not folder or key is None:
        return
    try:
        data = _stored_bytes(model, history)
    except Unhashable:  # an attribute that cannot be stored: this run is not replayed
        return
    _write(Path(folder) / f"{key}{_SUFFIX}", data)
