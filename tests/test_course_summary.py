"""Grade tables and the summary picture (convcourse/course/summary.py)."""

import pytest

from convcourse.course.summary import pass_rates, plot_summary, read_csv, table, write_csv

GRADES = [
    {"student_id": "ann", "assignment": "a1", "score": 6.0, "max_score": 6.0},
    {"student_id": "bob", "assignment": "a1", "score": 1.5, "max_score": 6.0},
]
CELLS = [
    {"assignment": "a1", "grade_id": "ex1", "score": 3.0, "max_score": 3.0},
    {"assignment": "a1", "grade_id": "ex1", "score": 1.5, "max_score": 3.0},
    {"assignment": "a1", "grade_id": "ex2", "score": 0.0, "max_score": 3.0},
    {"assignment": "a1", "grade_id": "ex2", "score": 0.0, "max_score": 3.0},
]


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
    assert short.splitlines() == lines[:3] and "pass rate" not in short


def test_csv_round_trip_keeps_column_order_and_text(tmp_path):
    rows = [{"b": "x, with comma\nand newline", "a": 1.0}]
    path = write_csv(tmp_path / "t.csv", rows, ["a", "b"])
    assert path.read_text().splitlines()[0] == "a,b"
    assert read_csv(path) == [{"a": "1", "b": "x, with comma\nand newline"}]


def test_plot_summary_writes_a_png(tmp_path):
    path = plot_summary(GRADES, CELLS, tmp_path / "s.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("grades", [[], [{"student_id": "x", "assignment": "a", "score": 0, "max_score": 0}]])
def test_plot_summary_survives_empty_or_zero_max(tmp_path, grades):
    assert plot_summary(grades, [], tmp_path / "e.png").is_file()
