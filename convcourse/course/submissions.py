"""Reading a class's submissions, whatever state they are in.

``find_submissions`` reads nbgrader's submitted layout
(``<student>/<assignment>/<notebook>.ipynb``), from a folder or a zip of one.
Below the submissions folder it reads regular files only, never through a
symbolic link (a student folder, an assignment folder or a notebook that is a
link, a named pipe or a device is refused with the reason, for that student
only) and never more than ``max_bytes`` of a notebook.  Every student folder
gets a row, whatever its name; only the folders tools leave in archives
(``__MACOSX``, ``.ipynb_checkpoints``) are skipped, and the caller is told.
``normalize_notebook`` turns one submitted notebook into one nbgrader can
grade fairly: invalid JSON is reported instead of crashing the run; the graded
cells are put back in the release's order, deleted test cells restored and
deleted solution cells replaced by the release's stub, each change written down
as a grading note.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = ["Submission", "NotebookProblem", "find_submissions", "safe_extract",
           "normalize_notebook", "read_roster", "read_submitted_file", "MAX_NOTEBOOK_BYTES",
           "NOT_STUDENTS"]

#: largest notebook read (a bigger one is refused: a 200 MiB notebook took 4.8 GiB)
MAX_NOTEBOOK_BYTES = 20 * 2**20
#: folders that tools leave in a class's archive: skipped (and reported), never students
NOT_STUDENTS = ("__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git")


class NotebookProblem(Exception):
    """A submitted notebook that cannot be graded at all (the message says why)."""


@dataclass
class Submission:
    """One student's files for one assignment: notebook name -> path (None if missing).

    ``refused``: notebook name -> why its file was not read (a link, not a regular
    file, too large); such a notebook is not graded and earns 0, with the reason.
    """

    student: str
    assignment: str
    notebooks: dict[str, Path | None] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def _size(n: int) -> str:
    """A size in words: MiB from a tenth of one, else bytes."""
    return f"{n / 2**20:.3g} MiB" if n >= 2**20 / 10 else f"{n} bytes"


def _not_regular(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def read_submitted_file(path: str | Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of a submitted file: a regular file, not a link, at most ``max_bytes``.

    Opened with ``O_NOFOLLOW`` (a link is refused, not followed) and
    ``O_NONBLOCK`` (a named pipe cannot hang the grader), then checked with
    ``fstat`` on what was opened; never more than ``max_bytes + 1`` bytes read.

    Raises
    ------
    NotebookProblem
        Saying what the file is, or how large.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "nb.ipynb").write_text("{}") and read_submitted_file(d / "nb.ipynb")
    b'{}'
    >>> (d / "link.ipynb").symlink_to(d / "nb.ipynb")
    >>> read_submitted_file(d / "link.ipynb")
    Traceback (most recent call last):
    ...
    convcourse.course.submissions.NotebookProblem: link.ipynb is a symbolic link: only regular files are graded
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            raise NotebookProblem(f"{path.name} is {_not_regular(mode)}: only regular files "
                                  "are graded") from None
        raise NotebookProblem(f"{path.name} could not be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotebookProblem(f"{path.name} is {_not_regular(info.st_mode)}: only regular "
                                  "files are graded")
        if info.st_size > max_bytes:
            raise NotebookProblem(f"{path.name} is {_size(info.st_size)}, more than "
                                  f"the {_size(max_bytes)} a notebook may be")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise NotebookProblem(f"{path.name} is more than the {_size(max_bytes)} a "
                              "notebook may be")
    return data


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


def _is_real_dir(path: Path) -> bool:
    """A folder, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _class_root(folder: Path, assignments: list[str]) -> Path:
    """The folder whose sub-folders are students (descend through wrapper folders)."""
    for _ in range(4):
        subdirs = [p for p in folder.iterdir() if _is_real_dir(p) and p.name not in NOT_STUDENTS]
        if any(_is_real_dir(d / a) for d in subdirs for a in assignments):
            return folder
        if len(subdirs) != 1:
            return folder
        folder = subdirs[0]
    return folder


def find_submissions(path: str | Path, assignments: dict[str, list[str]],
                     workdir: str | Path, *, max_bytes: int = MAX_NOTEBOOK_BYTES,
                     skipped: list | None = None,
                     ) -> tuple[dict[str, dict[str, Submission]], list[str]]:
    """Find every student's submission of every assignment.

    Parameters
    ----------
    path : path
        A folder in nbgrader's submitted layout, or a zip of one.
    assignments : dict
        assignment name -> its notebook names (from the course's source).
    workdir : path
        Where a zip is extracted.
    max_bytes : int
        Largest notebook read (a larger one is refused, with the reason).
    skipped : list, optional
        Filled with ``(name, reason)`` for every entry of the class folder that
        is not graded as a student (files, :data:`NOT_STUDENTS`).

    Returns
    -------
    submissions : dict
        student -> assignment -> Submission (assignments the student has a
        folder for; every assignment, all refused, for a student folder that is
        a link).
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
    skipped = [] if skipped is None else skipped
    students = []
    for entry in sorted(root.iterdir()):
        if entry.name in NOT_STUDENTS:
            skipped.append((entry.name, "a folder tools leave in archives, not a student"))
        elif entry.is_symlink() or _is_real_dir(entry):
            students.append(entry.name)
        else:
            skipped.append((entry.name, "a file, not a student folder"))
    for student in students:
        found[student] = {}
        for assignment, names in assignments.items():
            folder = root / student / assignment
            link = (root / student).is_symlink() and "the student folder" or \
                folder.is_symlink() and "the assignment folder"
            if link:
                sub = Submission(student, assignment, dict.fromkeys(names))
                sub.refused = dict.fromkeys(names, f"{link} is a symbolic link: only regular "
                                                   "files are graded")
                found[student][assignment] = sub
                continue
            if not _is_real_dir(folder):
                continue
            sub = Submission(student, assignment)
            present = {}
            for p in sorted(folder.iterdir()):
                if p.suffix == ".ipynb":
                    present[p.stem] = p
                    mode = os.lstat(p).st_mode
                    if not stat.S_ISREG(mode):
                        sub.refused[p.stem] = (f"{p.name} is {_not_regular(mode)}: only "
                                               "regular files are graded")
                    elif os.lstat(p).st_size > max_bytes:
                        sub.refused[p.stem] = (f"{p.name} is {_size(os.lstat(p).st_size)}, "
                                               f"more than the {_size(max_bytes)} a notebook "
                                               "may be")
            for name in names:
                sub.notebooks[name] = present.get(name)
            unknown = sorted(set(present) - set(names))
            if len(names) == 1 and sub.notebooks[names[0]] is None and len(unknown) == 1:
                sub.notebooks[names[0]] = present[unknown[0]]
                if unknown[0] in sub.refused:
                    sub.refused[names[0]] = sub.refused[unknown[0]]
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


def _nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata, or ``{}`` when it is not a dict (a forged one)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell) -> str | None:
    gid = _nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _kind(cell) -> str:
    meta = _nbgrader_meta(cell)
    if meta.get("solution"):
        return "solution"
    if meta.get("grade"):
        return "test"
    return "read-only"


def normalize_notebook(submitted: Path, release: nbformat.NotebookNode, *,
                       max_bytes: int = MAX_NOTEBOOK_BYTES):
    """Rebuild a submitted notebook in the release's cell order.

    Parameters
    ----------
    submitted : Path
        The student's notebook file.
    release : NotebookNode
        The released notebook (stubs, visible tests, nbgrader metadata).
    max_bytes : int
        Largest file read (:func:`read_submitted_file`).

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
        When the file is not a regular file of at most ``max_bytes``, not
        valid JSON (or nested too deeply to read) or not a notebook.

    Notes
    -----
    The student's nbgrader metadata is never trusted: an answer cell gets the
    release's, and every other cell of the student's loses its own (forged
    metadata made nbgrader fail on the whole notebook).
    """
    raw = read_submitted_file(submitted, max_bytes)
    try:
        json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise NotebookProblem(f"the notebook is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise NotebookProblem("the notebook's JSON is nested too deeply to read") from None
    try:
        student = nbformat.reads(raw.decode("utf-8", errors="replace"), as_version=4)
        cells = list(student.cells)
        for cell in cells:
            if not isinstance(cell, dict) or not isinstance(cell.get("metadata", {}), dict):
                raise TypeError("a cell or its metadata is not a JSON object")
            if not isinstance(cell.source, str):  # every cell must have a source
                raise TypeError("a cell's source is not text")
    except RecursionError:
        raise NotebookProblem("the notebook's JSON is nested too deeply to read") from None
    except Exception as exc:  # noqa: BLE001 - any malformed notebook is reported, not raised
        raise NotebookProblem(f"the file is not a readable notebook ({type(exc).__name__}: "
                              f"{str(exc)[:300]})") from None

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
    out = [_ungraded(c) for c in trailing[None]]
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
            else:  # the student's answer, the release's metadata
                chosen.metadata["nbgrader"] = json.loads(json.dumps(cell.metadata["nbgrader"]))
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
        out.extend(_ungraded(c) for c in trailing.get(gid, []))
    extra = sorted(set(by_id) - set(release_ids))
    for gid in extra:
        notes.append(f"cell {gid!r} is not part of the assignment; it was kept as ordinary code")
        out.append(_ungraded(by_id[gid]))
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


def _ungraded(cell):
    """A student's cell that is no graded cell of the release: no nbgrader metadata at all."""
    if isinstance(cell.get("metadata"), dict):
        cell.metadata.pop("nbgrader", None)
    return cell
