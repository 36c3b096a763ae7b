"""Grading a class that tries everything (convcourse/course/grade.py).

ONE real ``convcourse grade`` run (nbgrader, kernels, two jobs) over the
fixture assignment's faulty class (tests/fixtures/faulty_class.py: a student
per fault, expected scores reasoned there), asserted student by student.
"""

import shutil
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_output

from convcourse.cli import main
from convcourse.course.grade import (TAMPERING, UNFINISHED, cell_message, judged_message,
                                     kernel_did_not_finish)
from convcourse.course.summary import read_csv

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import faulty_class  # noqa: E402

# the module-scoped grading run below is made once: every test of this file on one xdist
# worker (otherwise each of `make test`'s two workers grades the whole class again)
pytestmark = pytest.mark.xdist_group("fault-class")


@pytest.mark.parametrize("outputs, expected", [
    ([], ""),
    ([new_output("stream", name="stdout", text="3/4 cases passed\n")], "3/4 cases passed"),
    ([new_output("error", ename="ValueError", evalue="bad", traceback=[]),
      new_output("error", ename="KernelDied", evalue="restarted", traceback=[])], "KernelDied: restarted"),
    ([new_output("error", ename="SystemExit", evalue="1", traceback=[])],
     "SystemExit: 1 (the code called sys.exit or raised SystemExit)"),
    ([new_output("stream", name="stderr", text="oops\n")], "wrote to stderr: oops"),
    ([new_output("stream", name="stdout", text="/tmp/ipykernel_123/456.py:2: UserWarning: w")],
     "<student code>:2: UserWarning: w"),
    ([new_output("stream", name="stdout",
                 text="a\n[... 5 characters of stdout dropped: this cell printed 9 characters, ...]\nb")],
     "the cell printed 9 characters of stdout; the middle was dropped | a\n[... 5 characters of stdout"
     " dropped: this cell printed 9 characters, ...]\nb"),
])
def test_cell_message(outputs, expected):
    cell = new_code_cell("check()")
    cell.outputs = outputs
    assert cell_message(cell) == expected


def test_cell_message_keeps_the_whole_text():
    """cells.csv holds the whole message (the kernel already capped what a cell prints)."""
    cell = new_code_cell("check()")
    text = "case 1 failed\n" + "a" * 5000 + "\nlikely mistake: kernel flipped\nEND"
    cell.outputs = [new_output("stream", name="stdout", text=text)]
    assert cell_message(cell) == text


@pytest.mark.parametrize("ename, evalue, expected", [
    ("SyntaxError", "invalid syntax (3409276140.py, line 4)",
     "SyntaxError in your answer cell 'f', line 4: invalid syntax"),
    ("IndentationError", "expected an indented block after function definition on line 1 "
     "(1234.py, line 2)", "IndentationError in your answer cell 'f', line 2: expected an "
     "indented block after function definition on line 1"),
])
def test_answer_cell_errors_name_the_error_and_its_line(ename, evalue, expected):
    from nbformat.v4 import new_notebook

    from convcourse.course.grade import answer_cell_errors

    cell = new_code_cell("def f(x)\n    return x", metadata={"nbgrader": {"solution": True,
                                                                        "grade_id": "f"}})
    cell.outputs = [new_output("error", ename=ename, evalue=evalue, traceback=[])]
    test = new_code_cell("check_f(f)", metadata={"nbgrader": {"grade": True, "grade_id": "f_visible"}})
    test.outputs = [new_output("error", ename="NameError", evalue="x", traceback=[])]
    assert answer_cell_errors(new_notebook(cells=[cell, test])) == {"f": expected}


def test_a_judged_cell_never_says_it_failed_with_full_marks():
    from convcourse.course.grade import judged_cell_text

    full = judged_cell_text(5, 5, "")
    assert "failed" not in full and "scored it 5 of 5 points" in full
    assert judged_cell_text(2, 5, "stride ignored").endswith("stride ignored\n")


VERDICT = {"kernel": 0.0, "judge": 5.0, "points": 5.0, "report": "8/8 cases passed",
           "hidden": True}


def test_a_kernel_that_did_not_finish_is_not_called_tampering():
    message = judged_message(dict(VERDICT, tampering=False, unfinished=True),
                             "CellTimeoutError: the cell used more than 5 s of CPU time")
    assert TAMPERING not in message
    assert message.startswith(f"{UNFINISHED}; the judge ran your function and scored it 5/5")
    assert "used more than 5 s of CPU time" in message and "8/8 cases passed" in message


def test_a_kernel_that_reported_another_score_is_tampering():
    message = judged_message(dict(VERDICT, kernel=5.0, judge=0.0, tampering=True,
                                  unfinished=False), "5/5 (all right!)")
    assert message.startswith(f"{TAMPERING}: the notebook's kernel reported 5/5, the judge scored 0")
    assert UNFINISHED not in message
    assert judged_message(dict(VERDICT, tampering=False, unfinished=False), "x") == ""


@pytest.mark.parametrize("ename, unfinished", [
    ("CellTimeoutError", True), ("KernelDied", True), ("AssertionError", False)])
def test_which_cells_the_kernel_did_not_finish(ename, unfinished):
    from nbformat.v4 import new_notebook

    cell = new_code_cell("check()", metadata={"nbgrader": {"grade_id": "t", "grade": True}})
    cell.outputs = [new_output("error", ename=ename, evalue="", traceback=[])]
    assert kernel_did_not_finish(new_notebook(cells=[cell])) == ({"t"} if unfinished else set())


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grade")
    course = tmp / "course"
    shutil.copytree(FIXTURES / "course", course)
    roster, expected = faulty_class.build(
        course / "notebooks" / "00-fixture" / "fixture.ipynb", tmp / "class")
    (tmp / "roster.csv").write_text("student_id\n" + "\n".join(roster) + "\n")
    out = tmp / "out"
    args = ["--course", str(course), "grade", str(tmp / "class"), "--output", str(out),
            "--roster", str(tmp / "roster.csv"), "--jobs", "2", "--timeout", "5"]
    status = main(args)
    return {"status": status, "out": out, "expected": expected, "args": args}


def cells_of(graded, student):
    return {r["grade_id"]: r for r in read_csv(graded["out"] / "cells.csv") if r["student_id"] == student}


@pytest.mark.slow
def test_every_student_gets_the_expected_score(graded):
    assert graded["status"] == 0
    rows = read_csv(graded["out"] / "grades.csv")
    scores = {r["student_id"]: float(r["score"]) for r in rows}
    assert scores == graded["expected"]
    assert {r["max_score"] for r in rows} == {"6"}


@pytest.mark.slow
@pytest.mark.parametrize("student, grade_id, score, fragment", [
    ("partial", "add-hidden", 1.5, "case (-1, 1): expected 0, got 2"),
    ("loops", "add-visible", 0, "CellTimeoutError"),
    ("loops", "square-hidden", 2, "4/4 cases passed"),
    ("exits", "add-hidden", 0, "KernelDied"),
    ("exits", "square-hidden", 2, "4/4 cases passed"),
    ("sysexit", "add-visible", 0, "sys.exit"),
    ("raises", "square-visible", 0, "NameError"),
    ("prints", "add-visible", 1, "printed 100000001 characters of stdout"),
    ("warns", "add-visible", 1, "UserWarning: add warns"),
    ("renamed", "add-visible", 0, "name 'add' is not defined"),
    ("syntax", "add-visible", 0, "SyntaxError in your answer cell 'add-answer', line 1"),
    ("syntax", "add-hidden", 0, "SyntaxError in your answer cell 'add-answer', line 1"),
    ("reordered", "square-visible", 1, "was deleted; it was restored"),
    ("deleted", "square-visible", 0, "answer cell 'square-answer' was deleted"),
    ("stub", "add-hidden", 0, "NotImplementedError"),
    ("badjson", "add-visible", 0, "not valid JSON"),
    ("nonotebook", "square-hidden", 0, "no notebook fixture.ipynb"),
    ("absent", "add-hidden", 0, "nothing was submitted"),
    ("good", "add-hidden", 2, "seeded for good/fixture"),  # the seeding environment reached the kernel
])
def test_cells_csv_says_what_happened(graded, student, grade_id, score, fragment):
    row = cells_of(graded, student)[grade_id]
    assert float(row["score"]) == score
    assert fragment in row["message"]


@pytest.mark.slow
def test_feedback_for_everyone_without_hidden_tests(graded):
    for student in graded["expected"]:
        page = graded["out"] / "feedback" / student / "00-fixture" / "fixture.html"
        text = page.read_text()
        assert "_hidden_case_table" not in text and "BEGIN HIDDEN TESTS" not in text
        assert page.stat().st_size < 2_000_000  # the 100 MB print was capped
    exits = (graded["out"] / "feedback" / "exits" / "00-fixture" / "fixture.html").read_text()
    assert "KernelDied" in exits
    assert "not valid JSON" in (graded["out"] / "feedback" / "badjson" / "00-fixture" / "fixture.html").read_text()
    deleted = (graded["out"] / "feedback" / "deleted" / "00-fixture" / "fixture.html").read_text()
    assert "Grading notes" in deleted


@pytest.mark.slow
def test_summary_picture_is_written(graded):
    assert (graded["out"] / "summary.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_regrading_one_student_changes_nothing(graded):
    before = {name: (graded["out"] / name).read_bytes() for name in ("grades.csv", "cells.csv")}
    assert main(graded["args"] + ["--student", "exits"]) == 0
    after = {name: (graded["out"] / name).read_bytes() for name in ("grades.csv", "cells.csv")}
    assert after == before


def test_a_new_sqlite_gradebook_starts_as_a_copy_of_the_template(tmp_path):
    from convcourse.course.grade import _new_sqlite_copy

    template = tmp_path / "template.db"
    template.write_bytes(b"SQLite format 3\0 registered")
    db = tmp_path / "class.db"
    assert _new_sqlite_copy(f"sqlite:///{db}?timeout=120", template) is True
    assert db.read_bytes() == template.read_bytes()
    db.write_bytes(b"another run's gradebook")
    assert _new_sqlite_copy(f"sqlite:///{db}", template) is False  # never overwritten
    assert db.read_bytes() == b"another run's gradebook"
    assert _new_sqlite_copy("postgresql://u@localhost/grades", template) is False
    assert _new_sqlite_copy("sqlite://", template) is False


@pytest.mark.slow
def test_a_run_of_some_assignments_starts_its_gradebook_from_the_template(tmp_path, monkeypatch):
    # nbgrader creating a gradebook runs `alembic` in a subprocess (5 s) and registering
    # each assignment takes 1 to 2 s: a new SQLite gradebook is the template instead,
    # without the assignments the run does not grade
    from nbgrader import api

    from convcourse.course import grade as g
    from convcourse.course.gradebook import COURSE_ID

    root = Path(__file__).resolve().parents[1]
    subs = tmp_path / "subs"
    shutil.copytree(root / "examples" / "sample-class" / "submitted" / "ada" / "03-pooling",
                    subs / "ada" / "03-pooling")
    run = g.start_run(subs, output=tmp_path / "out", jobs=1, db_url=None, timeout=60,
                      secret_file=None, demo=True, course=root, echo=lambda *a: None,
                      sandbox=False, judge=True, max_notebook_bytes=g.MAX_NOTEBOOK_BYTES)
    g.prepare_source(run)
    g.collect_submissions(run, subs)
    assert len(run.wanted) == 6 and list(run.plan) == ["03-pooling"]
    monkeypatch.setattr(api, "get_alembic_version",
                        lambda: pytest.fail("nbgrader created the gradebook itself"))
    g._register(run)
    with api.Gradebook(run.db_url, COURSE_ID) as gb:
        assert [a.name for a in gb.assignments] == ["03-pooling"]
        assert [s.id for s in gb.students] == ["ada"]
        assert {nb.name for nb in gb.find_assignment("03-pooling").notebooks} == {"03-pooling"}
