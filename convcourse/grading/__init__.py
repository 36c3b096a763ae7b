"""Grading checks: what the notebooks' test cells call with a student's function.

Each check runs fixed edge cases and random cases, compares the answers with
the reference, names the mistake it recognises and scores by groups of cases
(see :mod:`convcourse.grading.convolution`).  One module per assignment
(:data:`ASSIGNMENT_MODULES`); each defines ``EXERCISES`` and a ``check_<name>``
per graded function (made by :func:`~convcourse.grading._cases.make_check`), which the
notebook imports from that module.  A graded run seeds the random
cases from the environment the grader sets (``CONVCOURSE_SECRET``,
``CONVCOURSE_STUDENT``, ``CONVCOURSE_ASSIGNMENT``, ``CONVCOURSE_NOTEBOOK``);
:func:`reproduce` replays the cases of a printed seed.
"""

from __future__ import annotations

from . import backprop, cnn, conv_layer, convolution, pooling, separable
from ._cases import ENV_VARS, PUBLIC_SECRET, derive_seed, reproduce_in
from .convolution import (SOBEL_X, SOBEL_Y, check_convolve2d_valid,
                          check_correlate2d_general, check_correlate2d_valid,
                          check_output_size, check_pad2d, check_sobel_edges)

#: one module of checks per assignment, in course order
ASSIGNMENT_MODULES = {
    "01-convolution": convolution,
    "02-conv-layer": conv_layer,
    "03-pooling": pooling,
    "04-backprop": backprop,
    "05-separable": separable,
    "06-cnn": cnn,
}


def _all_exercises() -> dict:
    """Every exercise of the course by name; names are unique across assignments."""
    merged = {}
    for assignment, module in ASSIGNMENT_MODULES.items():
        for name, exercise in module.EXERCISES.items():
            if name in merged:
                raise RuntimeError(f"exercise {name!r} of {assignment} is defined twice")
            merged[name] = exercise
    return merged


EXERCISES = _all_exercises()

__all__ = [
    "check_correlate2d_valid", "check_convolve2d_valid", "check_pad2d", "check_output_size",
    "check_correlate2d_general", "check_sobel_edges", "reproduce", "cases",
    "derive_seed", "PUBLIC_SECRET", "ENV_VARS", "SOBEL_X", "SOBEL_Y", "EXERCISES",
    "ASSIGNMENT_MODULES",
]


def cases(exercise: str, seed: int) -> list:
    """The cases a check runs with ``seed``: fixed edge cases, then random ones.

    Parameters
    ----------
    exercise : str
        The graded function's name, e.g. ``'correlate2d_valid'``.
    seed : int
        The seed printed in a report.

    Returns
    -------
    list of Case
        Each with ``group``, ``args``, ``kwargs`` and, for an error case,
        ``error`` (the exception class the call must raise).

    Examples
    --------
    >>> first = cases("pad2d", seed=1)[0]
    >>> first.group, first.args[1]
    ('int', 1)
    """
    return _exercise(exercise).cases(int(seed))


def reproduce(exercise: str, func, seed: int | None = None, *, code=None, secret=None,
              student="", assignment="", notebook="", points=None, verbose=True):
    """Re-run a check with the seed printed in its report, every case shown.

    Works for every exercise of the course, those whose answer is a tuple, a
    pair or a model included (each assignment's own ``reproduce``, where there
    is one, is the same for its exercises only).

    Parameters
    ----------
    exercise : str
        The graded function's name, e.g. ``'correlate2d_valid'``.
    func : callable
        The (student's) function to check.
    seed : int, optional
        The seed from the report (``(seed 1234...)``).
    code : str, optional
        Instead of ``seed`` (for the instructor): the hash of the graded
        function's code (``convcourse.course.judge.code_hashes`` of the
        submission), with the course ``secret`` and the ``student``,
        ``assignment`` and ``notebook`` the grader seeded it with.
    secret, student, assignment, notebook : str, optional
        With ``code``: what the seed is derived from.
    points : float, optional
        Points of the cell (default: the exercise's default points).
    verbose : bool, optional
        Print the report (default True).

    Returns
    -------
    Outcome
        With ``score``, ``group_passed``, ``mistakes`` and per-case ``results``
        (each holds its ``case``, so the failing call can be repeated by hand).

    Raises
    ------
    ValueError
        If ``exercise`` is not an exercise of the course, or neither ``seed``
        nor ``code`` and ``secret`` are given.

    Examples
    --------
    >>> def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    ...     out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    ...     if out < 1:
    ...         raise ValueError(f"no output for size={size}")
    ...     return out
    >>> outcome = reproduce("output_size", output_size, seed=7, verbose=False)
    >>> outcome.score, outcome.points
    (5.0, 5.0)

    A ``separate_kernel`` returning its pair the wrong way round:

    >>> import numpy as np
    >>> def separate_kernel(kernel):
    ...     u, s, vt = np.linalg.svd(kernel)
    ...     if s[1] > 1e-8 * s[0]:
    ...         raise ValueError("not separable")
    ...     return vt[0] * s[0], u[:, 0]
    >>> reproduce("separate_kernel", separate_kernel, seed=3, verbose=False).mistakes
    ['column and row swapped']
    """
    return reproduce_in(EXERCISES, exercise, func, seed, code=code, secret=secret,
                        student=student, assignment=assignment, notebook=notebook,
                        points=points, verbose=verbose)


def _exercise(name: str):
    if name not in EXERCISES:
        raise ValueError(f"exercise must be one of {', '.join(map(repr, EXERCISES))}; got {name!r}")
    return EXERCISES[name]
