"""Argument checking shared by every public function.

One place for the rules in ``DESIGN.md``: int-or-tuple normalisation, mode
strings, array dtypes and ranks.  Every helper raises ``ValueError`` or
``TypeError`` whose message names the argument, the value received and what is
allowed.  Nothing here uses ``assert``.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

__all__ = [
    "check_int",
    "check_bool",
    "ntuple",
    "check_choice",
    "as_array",
    "as_network_array",
    "check_ndim",
    "result_dtype",
    "check_shape",
]


def _describe(value) -> str:
    """A short repr of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_int(value, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as a Python int, or raise naming ``name``.

    Accepts Python and numpy integers (not ``bool``, not floats such as 1.0 or
    1.5).  ``minimum`` is inclusive.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {_describe(value)}")
    value = operator.index(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a bool; only ``bool`` and ``numpy.bool_`` pass (not 0 or 1)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {_describe(value)}")
    return bool(value)


def ntuple(value, n: int, name: str, *, minimum: int | None = 1) -> tuple[int, ...]:
    """Normalise an int or a length-``n`` sequence of ints to a tuple.

    This is torch's "a single number or a tuple (sH, sW)" rule, the only
    int-or-tuple normaliser in the package.

    Examples
    --------
    >>> ntuple(2, 2, "stride")
    (2, 2)
    >>> ntuple((1, 3), 2, "stride")
    (1, 3)
    """
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(
                f"{name} must be an int or a sequence of {n} ints, got {_describe(value)}"
            )
        items = value
    elif isinstance(value, np.ndarray) and value.ndim == 1 and value.shape[0] == n:
        items = list(value)
    else:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{name} must be an int or a sequence of {n} ints, got {_describe(value)}"
            )
        items = [value] * n
    out = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            raise TypeError(
                f"{name} must be an int or a sequence of {n} ints, got {_describe(value)}"
            )
        item = operator.index(item)
        if minimum is not None and item < minimum:
            raise ValueError(f"{name} must be >= {minimum} in every dimension, got {_describe(value)}")
        out.append(item)
    return tuple(out)


def check_choice(value, allowed, name: str) -> str:
    """Return ``value`` if it is one of the strings in ``allowed``.

    The message lists the acceptable values, as scipy's mode checks do.
    """
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {_describe(value)}")
    return value


def as_array(x, name: str) -> np.ndarray:
    """``np.asarray(x)``: the package's one array converter.

    A ragged nested sequence (rows of different lengths) is a ``ValueError``
    naming ``name``, as numpy's own error is, but with the argument and the
    value in the message; the caller then checks the dtype.
    """
    try:
        return np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists and the like
        raise ValueError(
            f"{name} must be an array or a rectangular nested sequence of numbers, "
            f"got {_describe(x)}"
        ) from exc


def as_network_array(x, name: str) -> np.ndarray:
    """Convert ``x`` for a network operation, applying the dtype rules.

    Floating arrays keep their dtype; integer and bool arrays become float64;
    anything else (complex, object, strings, datetimes) is a ``TypeError``.
    """
    arr = as_array(x, name)
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "iub":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name} must be a real-valued (float, int or bool) array, got dtype {arr.dtype}"
    )


def result_dtype(*arrays) -> np.dtype:
    """The float dtype numpy promotion gives for the (already converted) arrays."""
    return np.result_type(*[a.dtype for a in arrays if a is not None])


def check_ndim(x: np.ndarray, ndim: int, name: str, layout: str) -> None:
    """Raise ``ValueError`` unless ``x.ndim == ndim``; ``layout`` names the axes."""
    if x.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array of shape {layout}, got shape {x.shape}"
        )


def check_shape(x: np.ndarray, shape: tuple, name: str) -> None:
    """Raise ``ValueError`` unless ``x.shape == shape``."""
    if tuple(x.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got shape {x.shape}")
