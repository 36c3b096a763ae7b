"""The summary of a grading run: CSV files, a terminal table and a picture."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

__all__ = ["write_csv", "read_csv", "table", "pass_rates", "plot_summary"]


def write_csv(path: str | Path, rows: list[dict], columns: list[str]) -> Path:
    """Write ``rows`` to a CSV file with ``columns`` in that order.

    Parameters
    ----------
    path : path
    rows : list of dict
        Each holds at least ``columns``; floats are written with ``%g``.
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
            writer.writerow({c: _fmt(row[c]) for c in columns})
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


def pass_rates(cells: list[dict]) -> dict[tuple[str, str], float]:
    """Fraction of students with full marks, per (assignment, grade_id).

    Examples
    --------
    >>> rows = [{"assignment": "a", "grade_id": "ex1", "score": 2, "max_score": 2},
    ...         {"assignment": "a", "grade_id": "ex1", "score": 1, "max_score": 2}]
    >>> pass_rates(rows)
    {('a', 'ex1'): 0.5}
    """
    full, count = defaultdict(int), defaultdict(int)
    for row in cells:
        key = (row["assignment"], row["grade_id"])
        count[key] += 1
        full[key] += float(row["score"]) >= float(row["max_score"]) > 0
    return {key: full[key] / count[key] for key in count}


def table(grades: list[dict], cells: list[dict], *, rates: bool = True) -> str:
    """The grade table, then (with ``rates``) the pass rate per exercise.

    A run prints the grade table only; the whole text goes to ``summary.txt``.

    Examples
    --------
    >>> print(table([{"student_id": "ann", "assignment": "a", "score": 3, "max_score": 4}], []))
    student  assignment  score  max  percent
    ann      a           3      4    75%
    <BLANKLINE>
    pass rate per exercise (full marks):
    """
    header = ("student", "assignment", "score", "max", "percent")
    body = []
    for g in grades:
        mx = float(g["max_score"])
        pct = f"{100 * float(g['score']) / mx:.0f}%" if mx else "-"
        body.append((g["student_id"], g["assignment"], f"{float(g['score']):g}", f"{mx:g}", pct))
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *body]]
    if not rates:
        return "\n".join(lines)
    lines.append("")
    lines.append("pass rate per exercise (full marks):")
    for (assignment, grade_id), rate in pass_rates(cells).items():
        lines.append(f"  {assignment}/{grade_id}: {100 * rate:.0f}%")
    return "\n".join(lines)


def plot_summary(grades: list[dict], cells: list[dict], path: str | Path) -> Path:
    """Save a PNG: score distribution (left) and pass rate per graded cell (right).

    Parameters
    ----------
    grades : list of dict
        Rows of ``grades.csv`` (score, max_score).
    cells : list of dict
        Rows of ``cells.csv`` (assignment, grade_id, score, max_score).
    path : path
        The PNG to write.

    Returns
    -------
    path : Path
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    rates = pass_rates(cells)
    # one bar per graded cell: grow the figure so every label has its own line
    height = max(4.0, 0.24 * len(rates) + 1.2)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, height), constrained_layout=True,
                                   gridspec_kw={"width_ratios": [1, 1.4]})
    pct = [100 * float(g["score"]) / float(g["max_score"]) for g in grades if float(g["max_score"])]
    ax1.hist(pct, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], color="#4477aa",
             edgecolor="white")
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_xlabel("score (% of the maximum)")
    ax1.set_ylabel("submissions")
    ax1.set_title(f"Score distribution ({len(pct)} submissions)")
    labels = [gid if len({a for a, _ in rates}) == 1 else f"{a}/{gid}" for a, gid in rates]
    ax2.barh(range(len(rates)), [100 * r for r in rates.values()], color="#228833")
    ax2.set_yticks(range(len(rates)), labels, fontsize=8 if len(rates) > 20 else 10)
    ax2.invert_yaxis()
    ax2.set_xlim(0, 100)
    ax2.set_xlabel("students with full marks (%)")
    ax2.set_title("Pass rate per graded cell")
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path
