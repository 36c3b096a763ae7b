"""``convcourse demo``: grade the bundled sample class (``examples/sample-class``)."""

from __future__ import annotations

from pathlib import Path

from .config import course_root

__all__ = ["demo", "sample_class"]


def sample_class(course=None) -> Path:
    """The sample class folder (submissions plus ``roster.csv``).

    Raises
    ------
    FileNotFoundError
        When the course has no ``examples/sample-class``.
    """
    folder = course_root(course) / "examples" / "sample-class"
    if not (folder / "submitted").is_dir():
        raise FileNotFoundError(f"no sample class at {folder}/submitted")
    return folder


def demo(output="demo-output", *, jobs: int = 1, timeout: int = 30, course=None, echo=None) -> dict:
    """Grade the sample class with the public demo secret; see ``grade.grade``."""
    from .grade import grade

    folder = sample_class(course)
    roster = folder / "roster.csv"
    return grade(folder / "submitted", output=output, jobs=jobs, timeout=timeout,
                 roster=roster if roster.is_file() else None, demo=True,
                 course=course, echo=echo)
