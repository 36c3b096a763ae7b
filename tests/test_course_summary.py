"""Grade tables and the summary picture (convcourse/course/summary.py)."""

import pytest

from convcourse.course.summary import (count_mistakes, exercise_full_marks, pass_rates,
                                       plot_heatmap, plot_summary, read_csv, table, write_csv)

GRADES = [
    {"student_id": "ann", "assignment": "a1", "score": 6.0, "max_score": 6.0},
    {"student_id": "bob", "assignment": "a1", "score": 1.5, "max_score": 6.0},
]
CELLS = [
    {"student_id": "ann", "assignment": "a1", "grade_id": "ex1", "score": 3.0, "max_score": 3.0},
    {"student_id": "bob", "assignment": "a1", "grade_id": "ex1", "score": 1.5, "max_score": 3.0},
    {"student_id": "ann", "assignment": "a1", "grade_id": "ex2", "score": 0.0, "max_score": 3.0},
    {"student_id": "bob", "assignment": "a1", "grade_id": "ex2", "score": 0.0, "max_score": 3.0},
]
# cy submitted nothing: 0 points, but not a failed attempt
WITH_MISSING = GRADES + [{"student_id": "cy", "assignment": "a1", "score": 0.0, "max_score": 6.0,
                          "submitted": False}]
CELLS_MISSING = CELLS + [
    {"student_id": "cy", "assignment": "a1", "grade_id": g, "score": 0.0, "max_score": 3.0}
    for g in ("ex1", "ex2")]


def test_pass_rates_count_full_marks_only():
    assert pass_rates(CELLS) == {("a1", "ex1"): 0.5, ("a1", "ex2"): 0.0}


def test_table_lists_each_student_and_exercise():
    text = table(GRADES, CELLS)
    lines = text.splitlines()
    assert lines[1].split() == ["ann", "a1", "6", "6", "100%"]
    assert lines[2].split() == ["bob", "a1", "1.5", "6", "25%"]
    assert "a1/ex1: 50%" in text and "a1/ex2: 0%" in text
    # what a run prints: the grade table only (the pass rates go to summary.txt)
    short = table(GRADES, CELLS, rates=False)
    # the terminal's table: the rows and the count of submissions, not the rates
    assert short.splitlines()[:3] == lines[:3] and "pass rate" not in short
    assert short.splitlines()[-1] == "2 submissions graded, 0 missing (nothing submitted)"


def test_submissions_are_counted_apart_from_students_who_submitted_nothing():
    text = table(WITH_MISSING, CELLS_MISSING)
    assert "2 submissions graded, 1 missing (nothing submitted)" in text
    assert "cy       a1          0      6    0% (nothing submitted)" in text
    assert "a1/ex1: 50%" in text  # of ann and bob, not of three students
    assert pass_rates(CELLS_MISSING, WITH_MISSING) == {("a1", "ex1"): 0.5, ("a1", "ex2"): 0.0}
    assert pass_rates(CELLS_MISSING) == {("a1", "ex1"): 1 / 3, ("a1", "ex2"): 0.0}


def test_visible_and_hidden_cells_of_an_exercise_count_together():
    cells = [{"student_id": s, "assignment": "a", "grade_id": g, "score": v, "max_score": m}
             for s, g, v, m in [("ann", "f_visible", 1, 1), ("ann", "f_hidden", 4, 4),
                                ("bob", "f_visible", 1, 1), ("bob", "f_hidden", 2, 4),
                                ("ann", "g_visible", 0, 1), ("ann", "g_hidden", 4, 4),
                                ("bob", "g_visible", 1, 1), ("bob", "g_hidden", 4, 4)]]
    grades = [{"student_id": s, "assignment": "a"} for s in ("ann", "bob")]
    assert exercise_full_marks(grades, cells) == {("a", "f"): 0.5, ("a", "g"): 0.5}


def test_mistakes_are_counted_per_student_once():
    rows = [{"student_id": s, "assignment": "a", "exercise": e, "mistake": m}
            for s, e, m in [("ann", "conv", "kernel flipped"), ("bob", "conv", "kernel flipped"),
                            ("bob", "conv", "kernel flipped"), ("cy", "pool", "kernel flipped"),
                            ("cy", "conv", "stride ignored")]]
    assert count_mistakes(rows) == [
        {"assignment": "a", "exercise": "conv", "mistake": "kernel flipped", "students": 2},
        {"assignment": "a", "exercise": "conv", "mistake": "stride ignored", "students": 1},
        {"assignment": "a", "exercise": "pool", "mistake": "kernel flipped", "students": 1}]


def test_heatmap_and_summary_with_mistakes_write_pngs(tmp_path):
    mistakes = [{"assignment": "a1", "exercise": "ex1", "mistake": "off by one", "students": 1}]
    for path in (plot_summary(WITH_MISSING, CELLS_MISSING, tmp_path / "s.png", mistakes=mistakes),
                 plot_heatmap(WITH_MISSING, CELLS_MISSING, tmp_path / "h.png")):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_csv_round_trip_keeps_column_order_and_text(tmp_path):
    rows = [{"message": "x, with comma\nand newline", "a": 1.0}]
    path = write_csv(tmp_path / "t.csv", rows, ["a", "message"])
    assert path.read_text().splitlines()[0] == "a,message"
    assert read_csv(path) == [{"a": "1", "message": "x, with comma\nand newline"}]


def test_csv_fields_are_never_formulas_or_escapes(tmp_path):
    """Regression (issue 9 §5): student ids and messages starting with = + - @ became
    spreadsheet formulas, and control characters (terminal escapes) went through."""
    rows = [{"student_id": '=HYPERLINK("http://evil","x")', "score": -1.0,
             "message": "@SUM(A1)\x1b]0;title\x07 line\nnext\r"},
            {"student_id": "+1\x1b[31m", "score": 2.0, "message": "\t-2"}]
    path = write_csv(tmp_path / "t.csv", rows, ["student_id", "score", "message"])
    got = read_csv(path)
    assert got[0] == {"student_id": '\'=HYPERLINK("http://evil","x")', "score": "-1",
                      "message": "\'@SUM(A1)]0;title line\nnext"}
    assert got[1] == {"student_id": "\'+1[31m", "score": "2", "message": "\' -2"}
    assert "\x1b" not in path.read_text() and "\r" not in path.read_text()


def test_plot_summary_writes_a_png(tmp_path):
    path = plot_summary(GRADES, CELLS, tmp_path / "s.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("grades", [[], [{"student_id": "x", "assignment": "a", "score": 0, "max_score": 0}]])
def test_plot_summary_survives_empty_or_zero_max(tmp_path, grades):
    assert plot_summary(grades, [], tmp_path / "e.png").is_file()
