"""Comparing a student's answer with the expected one, and naming the mistake.

A check computes, besides the right answer, the answers that typical mistakes
produce (the kernel flipped, the stride ignored, ...).  When a student's answer
is wrong and equals one of those, the report names the mistake.

Tolerances (documented in every check): an array answer is right when it has
the expected shape and ``|received - expected| <= ATOL_SCALE * (1 + max|expected|)
+ RTOL * |expected|`` everywhere, loose enough for float32 arithmetic, tight
enough to catch every mistake the checks name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RTOL", "ATOL_SCALE", "Mistake", "as_answer_array", "arrays_close",
           "max_error", "shape_difference", "match_mistakes", "format_array"]

RTOL = 1e-4
ATOL_SCALE = 1e-5


@dataclass
class Mistake:
    """A typical mistake: its name, a hint, and the answer it produces."""

    name: str
    hint: str
    answer: object


def as_answer_array(value):
    """``(array, None)`` for a numeric answer, ``(None, why)`` otherwise.

    Lists and tuples are converted with ``np.asarray``; integer, bool and float
    arrays are accepted; ``None``, ragged lists and complex or object arrays are not.
    """
    if value is None:
        return None, "your function returned None: did you forget the `return` statement?"
    try:
        with np.errstate(all="ignore"):
            arr = np.asarray(value)
    except Exception:  # ragged nested lists
        return None, f"your function returned a {type(value).__name__} that is not a rectangular array"
    if arr.dtype.kind not in "biuf":
        return None, (f"your function returned values of dtype {arr.dtype}; "
                      "expected real numbers (an array of floats)")
    return arr.astype(np.float64), None


def arrays_close(received: np.ndarray, expected: np.ndarray) -> bool:
    """Same shape and equal within the documented tolerance (no NaN allowed)."""
    if received.shape != expected.shape:
        return False
    if not np.all(np.isfinite(received)):
        return False
    scale = 1.0 + (float(np.max(np.abs(expected))) if expected.size else 0.0)
    return bool(np.all(np.abs(received - expected) <= ATOL_SCALE * scale + RTOL * np.abs(expected)))


def max_error(received: np.ndarray, expected: np.ndarray) -> float | None:
    """The largest absolute difference, or None when the shapes differ."""
    if received.shape != expected.shape or received.size == 0:
        return None
    with np.errstate(all="ignore"):
        if not np.any(np.isfinite(received)):
            return float("nan")
        return float(np.nanmax(np.abs(received - expected)))


def shape_difference(received_shape, expected_shape) -> str | None:
    """Describe a 2-D shape off by a little: ``"one row short and one column long"``."""
    if len(received_shape) != 2 or len(expected_shape) != 2:
        return None
    parts = []
    for got, want, what in zip(received_shape, expected_shape, ("row", "column")):
        diff = got - want
        if diff == 0:
            continue
        count = {1: "one", 2: "two"}.get(abs(diff), str(abs(diff)))
        plural = "" if abs(diff) == 1 else "s"
        parts.append(f"{count} {what}{plural} {'long' if diff > 0 else 'short'}")
    if not parts:
        return None
    return "the output is " + " and ".join(parts)


def match_mistakes(received, mistakes, expected) -> list:
    """The mistakes whose answer equals ``received`` (and differs from ``expected``).

    Each name appears once: variants of one mistake (``gx`` and ``|gx|`` for "only one
    Sobel direction") can give the same answer on a case, and the report must not say
    the same thing twice.

    Examples
    --------
    >>> a = np.array([1.0, 2.0])
    >>> twice = [Mistake("m", "hint", a), Mistake("m", "hint", np.abs(a))]
    >>> [m.name for m in match_mistakes(a, twice, np.zeros(2))]
    ['m']
    """
    found = []
    for mistake in mistakes:
        answer = mistake.answer
        if answer is None or any(m.name == mistake.name for m in found):
            continue
        if isinstance(received, np.ndarray):
            answer = np.asarray(answer, dtype=np.float64)
            if answer.shape == expected.shape and arrays_close(answer, expected):
                continue  # this "mistake" gives the right answer on this case
            if arrays_close(received, answer):
                found.append(mistake)
        else:
            if answer != expected and received == answer:
                found.append(mistake)
    return found


def format_array(arr: np.ndarray, limit: int = 36) -> str:
    """A small array printed on a few lines, or just its shape when large.

    Leading axes of size 1 are dropped while more than two axes remain, so a
    ``(1, 1, 2, 3)`` answer prints as its 2 x 3 values; a small array of more
    dimensions prints as nested rows (blank lines between blocks left out).
    Arrays of at most two axes print as they are.

    Parameters
    ----------
    arr : ndarray
        The array (any real dtype).
    limit : int, optional
        Above this many elements only the shape is printed (default 36).

    Returns
    -------
    str
        The values (rounded to 3 decimals), continuation lines indented by six
        spaces to sit under ``"expected: "``, or ``"<array of shape (...)>"``.

    Examples
    --------
    >>> print(format_array(np.arange(4.0).reshape(1, 1, 2, 2)))
    [[0., 1.],
           [2., 3.]]
    >>> format_array(np.zeros((8, 8)))
    '<array of shape (8, 8)>'
    """
    arr = np.asarray(arr, dtype=np.float64)
    if arr.size > limit:
        return f"<array of shape {arr.shape}>"
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    text = np.array2string(arr, precision=3, suppress_small=True, separator=", ")
    lines = [line for line in text.split("\n") if line.strip()]
    return "\n      ".join(lines)
