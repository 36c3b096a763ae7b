"""The sample class grades to the scores reasoned in examples/sample-class/README.md
(convcourse/course/demo.py)."""

from pathlib import Path

import pytest

from convcourse.cli import main
from convcourse.course.summary import read_csv

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "examples" / "sample-class"

pytestmark = pytest.mark.skipif(
    not (ROOT / "solutions" / "01-convolution").is_dir() or not (SAMPLE / "submitted").is_dir(),
    reason="needs solutions/01-convolution and the sample class",
)


@pytest.mark.slow
def test_demo_grades_the_sample_class_to_the_expected_scores(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["--course", str(ROOT), "demo", "--output", str(out), "--jobs", "2"]) == 0
    got = {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"]))
           for r in read_csv(out / "grades.csv")}
    expected = {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"]))
                for r in read_csv(SAMPLE / "expected-grades.csv")}
    assert got == expected
    printed = capsys.readouterr().out
    assert "ada" in printed and "summary.png" in printed
    cells = {(r["student_id"], r["grade_id"]): r for r in read_csv(out / "cells.csv")}
    assert "KernelDied" in cells[("crasher", "sobel_edges_hidden")]["message"]
    assert "CellTimeoutError" in cells[("looper", "convolve2d_valid_visible")]["message"]
    assert cells[("missing", "pad2d_hidden")]["message"] == "nothing was submitted"
    for student in ("ada", "flipper", "crasher"):
        page = (out / "feedback" / student / "01-convolution" / "01-convolution.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in page and "hidden=True" not in page
