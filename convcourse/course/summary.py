"""The summary of a grading run: CSV files, a terminal table and the class's pictures.

What a teacher uses on Monday: per exercise (its visible and hidden cells
together) the share of the students who submitted that got full marks, a
student x exercise heat map, and the named mistakes counted over the class
(``mistakes.csv``).  Students who submitted nothing are counted apart: they
are not in a pass rate or the score distribution.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

__all__ = ["write_csv", "read_csv", "table", "pass_rates", "exercise_of", "exercise_full_marks",
           "count_mistakes", "plot_summary", "plot_heatmap", "printable", "spreadsheet_safe"]

# C0 and C1 control characters, DEL, and the bidirectional overrides and isolates that
# reorder what a terminal or a spreadsheet shows
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: columns whose text may span lines
_MULTILINE = ("message",)


def printable(text: str, *, keep_newlines: bool = False) -> str:
    r"""``text`` without control characters (terminal escapes, carriage returns, bidi
    overrides); tabs become spaces, newlines stay with ``keep_newlines``.

    Examples
    --------
    >>> printable("ann\x1b]0;owned\x07\r\tX")
    'ann]0;owned X'
    >>> printable("a\nb", keep_newlines=True)
    'a\nb'
    """
    text = text.replace("\t", " ")
    return (_CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL).sub("", text)


def spreadsheet_safe(value, *, keep_newlines: bool = False):
    r"""A CSV field that a spreadsheet shows as text: control characters removed, and a
    text starting with ``=``, ``+``, ``-`` or ``@`` (a formula), or with a tab or a
    carriage return, prefixed with ``'``, as spreadsheet exports do.  Numbers are left
    alone.

    Examples
    --------
    >>> spreadsheet_safe('=HYPERLINK("http://x","y")')
    '\'=HYPERLINK("http://x","y")'
    >>> spreadsheet_safe("\t=1+1"), spreadsheet_safe(-2.5), spreadsheet_safe("ann")
    ("' =1+1", -2.5, 'ann')
    """
    if not isinstance(value, str):
        return value
    original = value
    value = printable(value, keep_newlines=keep_newlines)
    if value.startswith(("=", "+", "-", "@")) or original[:1] in ("\t", "\r"):
        value = "'" + value
    return value


def write_csv(path: str | Path, rows: list[dict], columns: list[str]) -> Path:
    """Write ``rows`` to a CSV file with ``columns`` in that order.

    Parameters
    ----------
    path : path
    rows : list of dict
        Each holds at least ``columns``; floats are written with ``%g``; text
        goes through :func:`spreadsheet_safe` (newlines kept in a ``message``).
    columns : list of str

    Returns
    -------
    path : Path
    """
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _fmt(spreadsheet_safe(row[c], keep_newlines=c in _MULTILINE))
                             for c in columns})
    return path


def read_csv(path: str | Path) -> list[dict]:
    """Read a CSV file into a list of dicts.

    Parameters
    ----------
    path : path

    Returns
    -------
    rows : list of dict
        Column name -> value, every value a string.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _fmt(value):
    if isinstance(value, float):
        return f"{value:g}"
    return value


def _submitted(grades: list[dict]) -> set:
    """(student, assignment) pairs with a submission (rows read back from a CSV count as one)."""
    return {(g["student_id"], g["assignment"]) for g in grades if g.get("submitted", True)}


def _of_submitters(cells: list[dict], grades: list[dict] | None) -> list[dict]:
    if grades is None:
        return cells
    done = _submitted(grades)
    return [r for r in cells if (r.get("student_id"), r["assignment"]) in done]


def pass_rates(cells: list[dict], grades: list[dict] | None = None) -> dict[tuple[str, str], float]:
    """Fraction of students with full marks, per (assignment, grade_id).

    With ``grades``, only the students who submitted the assignment count.

    Examples
    --------
    >>> rows = [{"assignment": "a", "grade_id": "ex1", "score": 2, "max_score": 2},
    ...         {"assignment": "a", "grade_id": "ex1", "score": 1, "max_score": 2}]
    >>> pass_rates(rows)
    {('a', 'ex1'): 0.5}
    """
    full, count = defaultdict(int), defaultdict(int)
    for row in _of_submitters(cells, grades):
        key = (row["assignment"], row["grade_id"])
        count[key] += 1
        full[key] += float(row["score"]) >= float(row["max_score"]) > 0
    return {key: full[key] / count[key] for key in count}


def exercise_of(grade_id: str) -> str:
    """The exercise a graded cell belongs to: its grade id without ``_visible``/``_hidden``.

    Examples
    --------
    >>> exercise_of("pad2d_visible"), exercise_of("pad2d_hidden"), exercise_of("pad2d")
    ('pad2d', 'pad2d', 'pad2d')
    """
    from .nbfacts import split_grade_id

    return split_grade_id(grade_id)[0]


def _exercise_scores(cells: list[dict]) -> dict:
    """{(student, assignment, exercise): [score, max]} over the exercise's cells."""
    totals: dict = defaultdict(lambda: [0.0, 0.0])
    for row in cells:
        key = (row["student_id"], row["assignment"], exercise_of(row["grade_id"]))
        totals[key][0] += float(row["score"])
        totals[key][1] += float(row["max_score"])
    return totals


def exercise_full_marks(grades: list[dict], cells: list[dict]) -> dict[tuple[str, str], float]:
    """Share of the submitting students with full marks on an exercise (visible and hidden
    cells together), per (assignment, exercise).

    Examples
    --------
    >>> grades = [{"student_id": s, "assignment": "a", "submitted": s != "cy"} for s in "ann bob cy".split()]
    >>> cells = [{"student_id": s, "assignment": "a", "grade_id": g, "score": v, "max_score": m}
    ...          for s, g, v, m in [("ann", "f_visible", 1, 1), ("ann", "f_hidden", 4, 4),
    ...                             ("bob", "f_visible", 1, 1), ("bob", "f_hidden", 3, 4),
    ...                             ("cy", "f_visible", 0, 1), ("cy", "f_hidden", 0, 4)]]
    >>> exercise_full_marks(grades, cells)
    {('a', 'f'): 0.5}
    """
    full, count = defaultdict(int), defaultdict(int)
    for (_, assignment, exercise), (score, top) in _exercise_scores(
            _of_submitters(cells, grades)).items():
        count[(assignment, exercise)] += 1
        full[(assignment, exercise)] += score >= top > 0
    return {key: full[key] / count[key] for key in count}


def count_mistakes(rows: list[dict]) -> list[dict]:
    """How many students made each named mistake, most frequent first.

    Parameters
    ----------
    rows : list of dict
        One per student, assignment, exercise and mistake
        (``grade.collect_mistakes``).

    Returns
    -------
    list of dict
        assignment, exercise, mistake, students (a count).

    Examples
    --------
    >>> rows = [{"student_id": s, "assignment": "a", "exercise": "conv", "mistake": m}
    ...         for s, m in [("ann", "kernel flipped"), ("bob", "kernel flipped"), ("bob", "off by one")]]
    >>> [(r["mistake"], r["students"]) for r in count_mistakes(rows)]
    [('kernel flipped', 2), ('off by one', 1)]
    """
    who = defaultdict(set)
    for row in rows:
        who[(row["assignment"], row["exercise"], row["mistake"])].add(row["student_id"])
    counted = [{"assignment": a, "exercise": e, "mistake": m, "students": len(s)}
               for (a, e, m), s in who.items()]
    return sorted(counted, key=lambda r: (-r["students"], r["assignment"], r["exercise"], r["mistake"]))


def table(grades: list[dict], cells: list[dict], *, rates: bool = True) -> str:
    """The grade table, then (with ``rates``) the submissions and the pass rates.

    A run prints the grade table only; the whole text goes to ``summary.txt``.

    Examples
    --------
    >>> print(table([{"student_id": "ann", "assignment": "a", "score": 3, "max_score": 4}], []))
    student  assignment  score  max  percent
    ann      a           3      4    75%
    <BLANKLINE>
    1 submission graded, 0 missing (nothing submitted)
    full marks per exercise (of the students who submitted):
    """
    header = ("student", "assignment", "score", "max", "percent")
    body = []
    for g in grades:
        mx = float(g["max_score"])
        pct = f"{100 * float(g['score']) / mx:.0f}%" if mx else "-"
        if not g.get("submitted", True):
            pct += " (nothing submitted)"
        body.append((g["student_id"], g["assignment"], f"{float(g['score']):g}", f"{mx:g}", pct))
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *body]]
    graded = len(_submitted(grades))
    lines.append("")
    lines.append(f"{graded} submission{'s' if graded != 1 else ''} graded, "
                 f"{len(grades) - graded} missing (nothing submitted)")
    if not rates:
        return "\n".join(lines)
    lines.append("full marks per exercise (of the students who submitted):")
    for (assignment, exercise), rate in exercise_full_marks(grades, cells).items():
        lines.append(f"  {assignment}/{exercise}: {100 * rate:.0f}%")
    return "\n".join(lines)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_summary(grades: list[dict], cells: list[dict], path: str | Path,
                 mistakes: list[dict] = ()) -> Path:
    """Save a PNG: score distribution, full marks per exercise, and the class's named mistakes.

    Parameters
    ----------
    grades : list of dict
        Rows of ``grades.csv`` (score, max_score; ``submitted`` False for a
        student who submitted nothing: counted apart, not in the histogram).
    cells : list of dict
        Rows of ``cells.csv`` (student_id, assignment, grade_id, score, max_score).
    path : path
        The PNG to write.
    mistakes : list of dict
        :func:`count_mistakes` (the 25 most frequent are drawn).

    Returns
    -------
    path : Path
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    rates = exercise_full_marks(grades, cells)
    mistakes = list(mistakes)[:25]
    several = len({a for a, _ in rates}) > 1
    rows = max(len(rates), len(mistakes), 1)
    height = max(4.0, 0.24 * rows + 1.4)
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(18, height), constrained_layout=True,
                                        gridspec_kw={"width_ratios": [1, 1.2, 1.5]})
    done = [g for g in grades if g.get("submitted", True) and float(g["max_score"])]
    pct = [100 * float(g["score"]) / float(g["max_score"]) for g in done]
    ax1.hist(pct, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], color="#4477aa",
             edgecolor="white")
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_xlabel("score (% of the maximum)")
    ax1.set_ylabel("submissions")
    missing = len(grades) - len(_submitted(grades))
    ax1.set_title(f"Score distribution ({len(pct)} submissions graded;\n"
                  f"{missing} missing, not shown)")
    labels = [f"{a}/{e}" if several else e for a, e in rates]
    ax2.barh(range(len(rates)), [100 * r for r in rates.values()], color="#228833")
    ax2.set_yticks(range(len(rates)), labels, fontsize=8 if len(rates) > 20 else 10)
    ax2.invert_yaxis()
    ax2.set_xlim(0, 100)
    ax2.set_xlabel("students with full marks (% of those who submitted)")
    ax2.set_title("Full marks per exercise (visible and hidden tests)")
    if mistakes:
        ax3.barh(range(len(mistakes)), [m["students"] for m in mistakes], color="#cc6677")
        ax3.set_yticks(range(len(mistakes)),
                       [f"{m['exercise']}: {m['mistake']}" for m in mistakes],
                       fontsize=8 if len(mistakes) > 20 else 10)
        ax3.invert_yaxis()
        ax3.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax3.text(0.5, 0.5, "no named mistake recognised", ha="center", va="center")
        ax3.set_yticks([])
    ax3.set_xlabel("students")
    ax3.set_title("Named mistakes over the class (mistakes.csv)")
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


def plot_heatmap(grades: list[dict], cells: list[dict], path: str | Path) -> Path:
    """Save a PNG: one row per student, one column per exercise, coloured by the share of
    the exercise's points earned; an assignment the student did not submit is grey.

    Returns
    -------
    path : Path
    """
    import numpy as np

    plt = _pyplot()
    path = Path(path)
    totals = _exercise_scores(cells)
    students = list(dict.fromkeys(g["student_id"] for g in grades)) or ["-"]
    columns = list(dict.fromkeys((a, e) for _, a, e in totals)) or [("-", "-")]
    done = _submitted(grades)
    share = np.full((len(students), len(columns)), np.nan)
    for i, student in enumerate(students):
        for j, (assignment, exercise) in enumerate(columns):
            score, top = totals.get((student, assignment, exercise), (0.0, 0.0))
            if (student, assignment) in done and top > 0:
                share[i, j] = score / top
    fig, ax = plt.subplots(figsize=(max(6.0, 0.32 * len(columns) + 2.5),
                                    max(3.0, 0.3 * len(students) + 2.2)), constrained_layout=True)
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="#bbbbbb")
    image = ax.imshow(np.ma.masked_invalid(share), cmap=cmap, vmin=0, vmax=1, aspect="auto",
                      interpolation="nearest")
    several = len({a for a, _ in columns}) > 1
    ax.set_xticks(range(len(columns)), [f"{a[:2]} {e}" if several else e for a, e in columns],
                  rotation=90, fontsize=8)
    ax.set_yticks(range(len(students)), students, fontsize=8 if len(students) > 30 else 10)
    ax.set_title("Share of each exercise's points (grey: nothing submitted)")
    fig.colorbar(image, ax=ax, fraction=0.03, label="points earned / points")
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path
