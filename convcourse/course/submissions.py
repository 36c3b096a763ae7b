"""Reading a class's submissions, whatever state they are in.

``find_submissions`` reads nbgrader's submitted layout
(``<student>/<assignment>/<notebook>.ipynb``), from a folder or a zip of one.
``normalize_notebook`` turns one submitted notebook into one nbgrader can
grade fairly: invalid JSON is reported instead of crashing the run; the graded
cells are put back in the release's order, deleted test cells restored and
deleted solution cells replaced by the release's stub, each change written down
as a grading note.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = ["Submission", "NotebookProblem", "find_submissions", "safe_extract",
           "normalize_notebook", "read_roster"]


class NotebookProblem(Exception):
    """A submitted notebook that cannot be graded at all (the message says why)."""


@dataclass
class Submission:
    """One student's files for one assignment: notebook name -> path (None if missing)."""

    student: str
    assignment: str
    notebooks: dict[str, Path | None] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)


def safe_extract(archive: str | Path, dest: str | Path) -> Path:
    """Extract a zip into ``dest``, refusing members that would land outside it.

    Raises
    ------
    ValueError
        When ``archive`` is not a zip file or a member escapes ``dest``.
    """
    dest = Path(dest).resolve()
    if not zipfile.is_zipfile(archive):
        raise ValueError(f"submissions {str(archive)!r} is not a zip file")
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            target = (dest / member.filename).resolve()
            if target != dest and dest not in target.parents:
                raise ValueError(
                    f"submissions zip member {member.filename!r} would extract outside {dest}"
                )
        zf.extractall(dest)
    return dest


def _class_root(folder: Path, assignments: list[str]) -> Path:
    """The folder whose sub-folders are students (descend through wrapper folders)."""
    for _ in range(4):
        subdirs = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
        if any((d / a).is_dir() for d in subdirs for a in assignments):
            return folder
        if len(subdirs) != 1:
            return folder
        folder = subdirs[0]
    return folder


def find_submissions(path: str | Path, assignments: dict[str, list[str]],
                     workdir: str | Path) -> tuple[dict[str, dict[str, Submission]], list[str]]:
    """Find every student's submission of every assignment.

    Parameters
    ----------
    path : path
        A folder in nbgrader's submitted layout, or a zip of one.
    assignments : dict
        assignment name -> its notebook names (from the course's source).
    workdir : path
        Where a zip is extracted.

    Returns
    -------
    submissions : dict
        student -> assignment -> Submission (only assignments the student has a
        folder for).
    students : list of str
        Every student folder found, sorted.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"submissions {str(path)!r} does not exist")
    if path.is_file():
        target = Path(workdir) / "unzipped"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        path = safe_extract(path, target)
    root = _class_root(path, list(assignments))
    found: dict[str, dict[str, Submission]] = {}
    students = sorted(p.name for p in root.iterdir()
                      if p.is_dir() and not p.name.startswith((".", "__")))
    for student in students:
        found[student] = {}
        for assignment, names in assignments.items():
            folder = root / student / assignment
            if not folder.is_dir():
                continue
            sub = Submission(student, assignment)
            present = {p.stem: p for p in folder.glob("*.ipynb")}
            for name in names:
                sub.notebooks[name] = present.get(name)
            unknown = sorted(set(present) - set(names))
            if len(names) == 1 and sub.notebooks[names[0]] is None and len(unknown) == 1:
                sub.notebooks[names[0]] = present[unknown[0]]
                sub.notes.setdefault(names[0], []).append(
                    f"the notebook was submitted as {unknown[0]}.ipynb and graded as {names[0]}.ipynb"
                )
            found[student][assignment] = sub
    return found, students


def read_roster(path: str | Path) -> list[str]:
    """Student ids of a roster CSV (column ``student_id``, ``id``, or the first one).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the roster holds no student.
    """
    import csv

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"roster {str(path)!r} does not exist")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise ValueError(f"roster {str(path)!r} is empty")
    header = [h.strip().lower() for h in rows[0]]
    for key in ("student_id", "id"):
        if key in header:
            col, body = header.index(key), rows[1:]
            break
    else:
        col, body = 0, rows
    ids = [r[col].strip() for r in body if len(r) > col and r[col].strip()]
    if not ids:
        raise ValueError(f"roster {str(path)!r} lists no student")
    return list(dict.fromkeys(ids))


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _kind(cell) -> str:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("solution"):
        return "solution"
    if meta.get("grade"):
        return "test"
    return "read-only"


def normalize_notebook(submitted: Path, release: nbformat.NotebookNode):
    """Rebuild a submitted notebook in the release's cell order.

    Parameters
    ----------
    submitted : Path
        The student's notebook file.
    release : NotebookNode
        The released notebook (stubs, visible tests, nbgrader metadata).

    Returns
    -------
    nb : NotebookNode
        The notebook to grade.
    notes : list of str
        What was changed, for the feedback.
    cell_notes : dict
        grade_id -> note, for the cells the changes affect.

    Raises
    ------
    NotebookProblem
        When the file is not valid JSON or not a notebook.
    """
    raw = submitted.read_bytes()
    try:
        json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise NotebookProblem(f"the notebook is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    try:
        student = nbformat.reads(raw.decode("utf-8", errors="replace"), as_version=4)
        cells = list(student.cells)
        for cell in cells:
            cell.get("metadata", {})
            cell.source  # noqa: B018 - every cell must have a source
    except Exception as exc:  # noqa: BLE001 - any malformed notebook is reported, not raised
        raise NotebookProblem(f"the file is not a readable notebook ({type(exc).__name__}: {exc})") from None

    # student's cells grouped behind the graded cell they follow
    by_id: dict[str, object] = {}
    trailing: dict[str | None, list] = {None: []}
    order: list[str] = []
    anchor: str | None = None
    notes: list[str] = []
    for cell in cells:
        gid = _grade_id(cell)
        if gid is not None and gid not in by_id:
            by_id[gid] = cell
            order.append(gid)
            anchor = gid
            trailing.setdefault(gid, [])
        elif gid is not None:
            notes.append(f"cell {gid!r} appears twice; the first copy was graded")
        else:
            trailing.setdefault(anchor, []).append(cell)

    release_ids = [_grade_id(c) for c in release.cells if _grade_id(c) is not None]
    cell_notes: dict[str, str] = {}
    known = [g for g in order if g in release_ids]
    if known != [g for g in release_ids if g in by_id]:
        notes.append("graded cells were moved; they were graded in the assignment's order")
    out = list(trailing[None])
    pending_solution_note: str | None = None
    for cell in release.cells:
        gid = _grade_id(cell)
        if gid is None:
            continue
        kind = _kind(cell)
        if gid in by_id:
            chosen = by_id[gid]
            if kind != "solution":
                chosen = nbformat.from_dict(json.loads(json.dumps(cell)))
        else:
            chosen = nbformat.from_dict(json.loads(json.dumps(cell)))
            if kind == "solution":
                note = f"the answer cell {gid!r} was deleted; the empty stub was graded"
                pending_solution_note = note
            else:
                note = f"the {kind} cell {gid!r} was deleted; it was restored for grading"
                if kind == "test":
                    cell_notes[gid] = note
            notes.append(note)
        if kind == "test" and pending_solution_note:
            cell_notes[gid] = pending_solution_note
            pending_solution_note = None
        out.append(chosen)
        out.extend(trailing.get(gid, []))
    extra = sorted(set(by_id) - set(release_ids))
    for gid in extra:
        notes.append(f"cell {gid!r} is not part of the assignment; it was kept as ordinary code")
        cell = by_id[gid]
        cell.metadata.pop("nbgrader", None)
        out.append(cell)
    if notes:
        text = "**Grading notes.** " + " ".join(f"({i + 1}) {n}." for i, n in enumerate(notes))
        out.insert(0, nbformat.v4.new_markdown_cell(text))
    nb = nbformat.v4.new_notebook(cells=out, metadata=release.metadata)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        if cell.get("cell_type") == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return nb, notes, cell_notes
