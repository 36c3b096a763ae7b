"""Facts about nbgrader notebooks and the grading route, shared by the course's modules.

This module imports nothing else of the package (and nothing outside the standard
library), so that any module may import it: ``config`` and ``execute`` used to
import each other for these few names, and ``check`` (which must run without
nbgrader) kept a copy of ``is_test_cell``.

- which cell is a test cell, and a cell's grade id;
- the course's grade-id convention (``<exercise>_visible``, ``<exercise>_hidden``);
- the public demo secret and the warnings about it;
- the refusal of plain ``nbgrader autograde``;
- the terminal escapes removed from every message;
- the copy of a notebook's folder that a sandboxed kernel or a judge worker gets.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

__all__ = ["PUBLIC_SECRET", "PUBLIC_SECRET_WARNING", "GRADE_PUBLIC_SECRET_WARNING",
           "ALLOW_PLAIN_NBGRADER", "PLAIN_NBGRADER_REFUSAL", "ANSI", "is_test_cell",
           "grade_id", "split_grade_id", "copy_regular_files"]

#: The fixed secret that demo runs and tests use; grading with it prints a warning.
#: (``convcourse.grading`` holds the same value: the checks cannot import the course's tools.)
PUBLIC_SECRET = "convcourse-public-demo-secret"

#: what plain nbgrader (``RobustExecute`` outside ``convcourse grade``) prints on the public secret
PUBLIC_SECRET_WARNING = (
    "convcourse: warning: grading with the public demo secret: students can predict their "
    "random cases.  Set CONVCOURSE_SECRET (or use `convcourse grade --secret-file FILE`)."
)

#: what ``convcourse grade`` prints on the public secret (unless it is a demo run)
GRADE_PUBLIC_SECRET_WARNING = (
    "warning: grading with the public demo secret: students can predict their random cases. "
    "Set CONVCOURSE_SECRET, ~/.config/convcourse/secret or --secret-file."
)

#: set to 1 to let plain ``nbgrader autograde`` run (no sandbox, no judge)
ALLOW_PLAIN_NBGRADER = "CONVCOURSE_ALLOW_PLAIN_NBGRADER"

PLAIN_NBGRADER_REFUSAL = (
    "convcourse: refusing to autograde with plain nbgrader: it would run the students' code "
    "without the sandbox and score it without the judge (a submission that redefines a check "
    "gets full marks).  Grade with `convcourse grade SUBMISSIONS --secret-file FILE` instead.  "
    f"To run nbgrader's autograde anyway, set {ALLOW_PLAIN_NBGRADER}=1 "
    "(or c.RobustExecute.allow_plain_nbgrader = True)."
)

#: a terminal escape (colours in tracebacks): never part of a message or a page
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def is_test_cell(cell) -> bool:
    """Whether ``cell`` is an nbgrader autograder test cell (graded, not a solution).

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell
    >>> is_test_cell(new_code_cell("check()", metadata={"nbgrader": {"grade": True, "solution": False}}))
    True
    >>> is_test_cell(new_code_cell("def f(): pass"))
    False
    """
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def grade_id(cell) -> str | None:
    """The nbgrader grade id of ``cell``, or None when it has none.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell
    >>> grade_id(new_code_cell("", metadata={"nbgrader": {"grade_id": "add-hidden"}}))
    'add-hidden'
    >>> grade_id(new_code_cell("")) is None
    True
    """
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or None


def split_grade_id(grade_id: str) -> tuple[str, str]:
    """``(exercise, kind)`` of a test cell named by the course's convention.

    A function's test cells are ``<function>_visible`` (public cases the
    student can run) and ``<function>_hidden`` (the graded cases; ``-`` works
    as the separator too); any other name is its own exercise, of kind "".

    Examples
    --------
    >>> split_grade_id("pad2d_visible"), split_grade_id("add-hidden"), split_grade_id("bonus")
    (('pad2d', 'visible'), ('add', 'hidden'), ('bonus', ''))
    """
    match = re.fullmatch(r"(.+)[-_](visible|hidden)", grade_id)
    return (match.group(1), match.group(2)) if match else (grade_id, "")


def copy_regular_files(src, dest) -> None:
    """Copy the regular files of folder ``src`` into ``dest``: not symlinks, not notebooks.

    What a sandboxed kernel and a judge worker get of a submission's folder: a
    private copy (nothing they write reaches the grader's files), without the
    notebooks (the kernel has its notebook through nbgrader, the worker its
    code through the judge).  A missing ``src`` copies nothing.

    Examples
    --------
    >>> import tempfile
    >>> src, dest = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (src / "data.csv").write_text("1,2"), (src / "a.ipynb").write_text("{}")
    >>> copy_regular_files(src, dest); sorted(p.name for p in dest.iterdir())
    ['data.csv']
    """
    src, dest = Path(src), Path(dest)
    if not src.is_dir():
        return
    for path in src.iterdir():
        if path.is_symlink() or not path.is_file() or path.suffix == ".ipynb":
            continue
        shutil.copyfile(path, dest / path.name, follow_symlinks=False)
