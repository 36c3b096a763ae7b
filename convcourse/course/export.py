"""Grades where the institution keeps them: Canvas, Moodle or plain CSV.

``convcourse grade`` writes ``grades.csv`` in long form (one row per student and
assignment).  An LMS imports a wide table instead: one row per student, one
column per assignment, and the LMS's own columns that identify the student.
Those identifiers come from the roster, whose extra columns are read here
(``read_roster`` in ``submissions`` reads only the ids):

==================  ===========================================================
roster column       used as
==================  ===========================================================
``student_id``      the id the submissions are filed under (required)
``name``            Canvas "Student" (else "last_name, first_name", else the id)
``first_name``      Moodle "First name"
``last_name``       Moodle "Last name"
``email``           Moodle "Email address"
``canvas_id``       Canvas "ID" (the LMS's numeric user id)
``sis_user_id``     Canvas "SIS User ID"
``sis_login_id``    Canvas "SIS Login ID" (else the student id)
``section``         Canvas "Section"
``username``        Moodle "Username" (else the student id)
``id_number``       Moodle "ID number"
==================  ===========================================================

Formats (the import formats of each gradebook):

- ``canvas``: Canvas's gradebook CSV: ``Student, ID, SIS User ID, SIS Login ID,
  Section``, one column per assignment, and a second row ``Points Possible``
  with each assignment's maximum, as Canvas's own export writes it.  Canvas
  matches students by ID, SIS User ID or SIS Login ID, and creates an
  assignment for a column whose name it does not know.
- ``moodle``: Moodle's CSV grade import: ``First name, Last name, Username,
  ID number, Email address``, then one column per assignment.  On import,
  map one identifier column ("Map from") to the user field it holds ("Map to",
  e.g. Username → username) and each assignment column to a grade item.
- ``csv``: ``student_id``, the roster's other columns as they are, one column
  per assignment and ``total``; the second row, ``points_possible``, holds the
  maxima.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

__all__ = ["FORMATS", "read_grades", "read_roster_records", "export_table", "export"]

FORMATS = ("canvas", "moodle", "csv")

CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_ID_COLUMNS = ("First name", "Last name", "Username", "ID number", "Email address")


def read_grades(path: str | Path) -> tuple[list[str], list[str], dict, dict]:
    """Read ``grades.csv`` (long form) written by ``convcourse grade``.

    Returns
    -------
    students : list of str
        In the order of the file.
    assignments : list of str
        In the order of the file.
    scores : dict
        ``(student, assignment) -> score``.
    maxima : dict
        ``assignment -> max_score``.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When a column is missing or a score is not a number (naming the row).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"grades {str(path)!r} does not exist (run convcourse grade first)")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"student_id", "assignment", "score", "max_score"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"grades {str(path)!r} lacks the column(s) {sorted(missing)}")
        students, assignments, scores, maxima = {}, {}, {}, {}
        for line, row in enumerate(reader, start=2):
            student, assignment = row["student_id"], row["assignment"]
            try:
                score, max_score = float(row["score"]), float(row["max_score"])
            except ValueError:
                raise ValueError(f"grades {str(path)!r} line {line}: score {row['score']!r} or "
                                 f"max_score {row['max_score']!r} is not a number") from None
            students[student] = None
            assignments[assignment] = None
            scores[(student, assignment)] = score
            maxima[assignment] = max(maxima.get(assignment, 0.0), max_score)
    return list(students), list(assignments), scores, maxima


def read_roster_records(path: str | Path | None) -> dict[str, dict[str, str]]:
    """``student_id -> {column: value}`` of a roster CSV, column names lower-cased.

    The student id column is ``student_id``, ``id`` or the first one, as for
    grading.  ``None`` gives an empty roster.
    """
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"roster {str(path)!r} does not exist")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise ValueError(f"roster {str(path)!r} is empty")
    header = [h.strip().lower() for h in rows[0]]
    key = next((k for k in ("student_id", "id") if k in header), header[0])
    records = {}
    for row in rows[1:]:
        record = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        if record.get(key):
            record["student_id"] = record[key]
            records[record[key]] = record
    return records


def _number(x: float) -> str:
    return f"{x:g}"


def _canvas_name(student: str, rec: dict) -> str:
    if rec.get("name"):
        return rec["name"]
    if rec.get("last_name") or rec.get("first_name"):
        return ", ".join(p for p in (rec.get("last_name", ""), rec.get("first_name", "")) if p)
    return student


def export_table(fmt: str, students, assignments, scores, maxima, roster=None) -> list[list[str]]:
    """The rows (header first) of the export in format ``fmt``.

    Students in the roster but not in the grades get 0 in every assignment;
    students in the grades but not in the roster keep their id as the
    identifier.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    roster = roster or {}
    everyone = list(dict.fromkeys(list(students) + list(roster)))

    def marks(student):
        return [_number(scores.get((student, a), 0.0)) for a in assignments]

    if fmt == "canvas":
        rows = [list(CANVAS_ID_COLUMNS) + list(assignments),
                ["    Points Possible", "", "", "", ""] + [_number(maxima[a]) for a in assignments]]
        for s in everyone:
            rec = roster.get(s, {})
            rows.append([_canvas_name(s, rec), rec.get("canvas_id", ""), rec.get("sis_user_id", ""),
                         rec.get("sis_login_id") or s, rec.get("section", "")] + marks(s))
        return rows
    elif fmt == "moodle":
        rows = [list(MOODLE_ID_COLUMNS) + list(assignments)]
        for s in everyone:
            rec = roster.get(s, {})
            rows.append([rec.get("first_name", ""), rec.get("last_name", ""),
                         rec.get("username") or s, rec.get("id_number", ""),
                         rec.get("email", "")] + marks(s))
        return rows
    else:  # fmt == "csv"
        extra = list(dict.fromkeys(k for rec in roster.values() for k in rec
                                   if k not in ("student_id", "id")))
        rows = [["student_id"] + extra + list(assignments) + ["total"],
                ["points_possible"] + [""] * len(extra) + [_number(maxima[a]) for a in assignments]
                + [_number(sum(maxima.values()))]]
        for s in everyone:
            rec = roster.get(s, {})
            total = sum(scores.get((s, a), 0.0) for a in assignments)
            rows.append([s] + [rec.get(k, "") for k in extra] + marks(s) + [_number(total)])
        return rows


def _safe(field: str) -> str:
    # A field that starts like a formula is run by spreadsheets (CSV injection):
    # neutralise it with a quote, as spreadsheet exports do.  Numbers are left alone.
    if field and field[0] in "=+-@\t\r":
        try:
            float(field)
        except ValueError:
            return "'" + field
    return field


def export(out: str | Path, *, fmt: str = "csv", grades: str | Path = "output/grades.csv",
           roster: str | Path | None = None) -> Path:
    """Write the gradebook in an LMS's import format.

    Parameters
    ----------
    out : path
        The CSV to write.
    fmt : str {'canvas', 'moodle', 'csv'}
        The format (see the module's docstring).
    grades : path
        ``grades.csv`` written by ``convcourse grade``.
    roster : path, optional
        The roster CSV with the LMS's identifier columns.

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> rows = export_table("canvas", ["ann"], ["01-convolution"],
    ...                     {("ann", "01-convolution"): 31.0}, {"01-convolution": 33.0})
    >>> rows[0][:5] == list(CANVAS_ID_COLUMNS), rows[1][-1], rows[2]
    (True, '33', ['ann', '', '', 'ann', '', '31'])
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    students, assignments, scores, maxima = read_grades(grades)
    rows = export_table(fmt, students, assignments, scores, maxima, read_roster_records(roster))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_safe(str(f)) for f in row])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # For the LMS files a BOM says "this is UTF-8" to Canvas, Moodle and Excel alike (names in
    # Cyrillic stay readable); the plain CSV is for programs, which read it without one.
    out.write_text(buf.getvalue(), encoding="utf-8" if fmt == "csv" else "utf-8-sig", newline="")
    return out
