"""``convcourse validate``: is the course ready to hand out?

Checks, for every assignment in ``solutions/``:

- grade ids are unique within each notebook, every test cell has positive
  points, and the points of a notebook add up to nbgrader's maximum for it;
- ``notebooks/`` is byte-for-byte what ``convcourse release`` generates;
- graded by the real pipeline, the solution notebook earns every point and
  the released stub earns none on any test cell.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

import nbformat

from .config import assignments, course_root, notebook_names

__all__ = ["validate", "check_metadata"]


def check_metadata(nb, where: str) -> list[str]:
    """Problems with the nbgrader metadata of a source notebook.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook, new_code_cell
    >>> meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    >>> nb = new_notebook(cells=[new_code_cell("pass", metadata=meta) for _ in range(2)])
    >>> check_metadata(nb, "nb")
    ["nb: grade id 't' is used by 2 cells"]
    """
    problems, seen = [], {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            if meta.get("grade") or meta.get("solution"):
                problems.append(f"{where}: an nbgrader cell has no grade_id")
            continue
        seen[gid] = seen.get(gid, 0) + 1
        if meta.get("grade"):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                problems.append(f"{where}: grade cell {gid!r} has points {points!r}; expected a positive number")
    problems += [f"{where}: grade id {gid!r} is used by {n} cells" for gid, n in seen.items() if n > 1]
    return problems


def _points(nb) -> float:
    return sum(float(c.metadata["nbgrader"].get("points", 0)) for c in nb.cells
               if c.get("metadata", {}).get("nbgrader", {}).get("grade"))


def validate(course=None, *, output=None, timeout: int = 120, echo=print) -> list[str]:
    """Run every check; return the problems found (empty when the course is ready).

    Parameters
    ----------
    course : path, optional
        The course directory (default: found from the current directory).
    output : path, optional
        Scratch folder for the grading run (default: a temporary folder).
    timeout : int
        Seconds a cell of the solution may run.
    echo : callable
        Where the grading run's progress goes.

    Returns
    -------
    problems : list of str
    """
    from .grade import grade
    from .release import release

    root = course_root(course)
    names = assignments(root / "solutions")
    if not names:
        return [f"no assignment in {root / 'solutions'}"]
    problems: list[str] = []
    expected_points = {}
    for name in names:
        for nb_name in notebook_names(root / "solutions" / name):
            nb = nbformat.read(root / "solutions" / name / f"{nb_name}.ipynb", as_version=4)
            problems += check_metadata(nb, f"solutions/{name}/{nb_name}.ipynb")
            expected_points[(name, nb_name)] = _points(nb)

    with tempfile.TemporaryDirectory(prefix="convcourse-validate-") as tmp:
        tmp = Path(tmp)
        fresh = tmp / "fresh"
        release(root, dest=fresh, bundle=False)
        for name in names:
            ours, theirs = root / "notebooks" / name, fresh / name
            if not ours.is_dir():
                problems.append(f"notebooks/{name} is missing: run `convcourse release`")
                continue
            for path in sorted(theirs.rglob("*")):
                rel = path.relative_to(theirs)
                if path.is_file() and not (ours / rel).is_file():
                    problems.append(f"notebooks/{name}/{rel} is missing: run `convcourse release`")
                elif path.is_file() and not filecmp.cmp(path, ours / rel, shallow=False):
                    problems.append(f"notebooks/{name}/{rel} differs from a fresh release: run `convcourse release`")

        subs = tmp / "submitted"
        for name in names:
            shutil.copytree(root / "solutions" / name, subs / "solution" / name)
            shutil.copytree(fresh / name, subs / "stub" / name)
        result = grade(subs, output=output or tmp / "out", timeout=timeout, demo=True,
                       course=root, echo=echo)
    for row in result["grades"]:
        if row["student_id"] == "solution" and row["score"] != row["max_score"]:
            problems.append(f"{row['assignment']}: the solution scores {row['score']:g} of {row['max_score']:g}")
    per_nb: dict[tuple[str, str], float] = {}
    for row in result["cells"]:
        where = f"{row['assignment']}/{row['notebook']} cell {row['grade_id']!r}"
        if row["student_id"] == "solution":
            per_nb[(row["assignment"], row["notebook"])] = per_nb.get(
                (row["assignment"], row["notebook"]), 0.0) + row["max_score"]
            if row["score"] < row["max_score"]:
                problems.append(f"{where}: the solution fails ({row['score']:g}/{row['max_score']:g}): {row['message']}")
        elif row["student_id"] == "stub" and row["score"] > 0:
            problems.append(f"{where}: the released stub passes ({row['score']:g}/{row['max_score']:g})")
    for key, points in expected_points.items():
        if key in per_nb and abs(per_nb[key] - points) > 1e-9:
            problems.append(f"{key[0]}/{key[1]}: cell points add up to {points:g} but nbgrader's maximum is {per_nb[key]:g}")
    return problems
