"""What a notebook's test cell calls, ``check_<name>``, kept in a short file of its own.

A failing visible check raises ``AssertionError`` in the student's kernel, and IPython
shows each frame of the traceback with the source around its line: it parses and
highlights the whole file of every frame to do so.  The checks' work is done in
:mod:`convcourse.grading._cases` (a thousand lines), which returns the report; only the
raise happens here, after that work has returned.  The traceback the student reads is
then their cell and one short frame, instead of four frames of the grader's internals
that told them nothing, and it is formatted in about 0.15 s instead of 0.45 s.
"""

from __future__ import annotations

__all__ = ["checker"]


def checker(run_visible, run_hidden):
    """``check(func, *, points=None, hidden=False)`` from the two runs of one exercise.

    Parameters
    ----------
    run_visible : callable
        ``run_visible(func, points)``: the report of the public cases when one failed
        (the check raises it), None when they passed.
    run_hidden : callable
        ``run_hidden(func, points)``: the score of the graded cases (the check returns it).

    Examples
    --------
    >>> check = checker(lambda f, p: None if f() else "it failed", lambda f, p: 1.0)
    >>> check(lambda: True), check(lambda: False, hidden=True)
    (None, 1.0)
    >>> check(lambda: False)
    Traceback (most recent call last):
    AssertionError: it failed
    """

    def check(func, *, points=None, hidden=False):
        if hidden:
            return run_hidden(func, points)
        failure = run_visible(func, points)
        if failure is not None:
            raise AssertionError(failure)
        return None

    return check
