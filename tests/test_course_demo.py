"""The sample class grades to the scores reasoned in examples/sample-class/README.md
(convcourse/course/demo.py), and its generator examples/sample-class/make_class.py."""

from pathlib import Path

import pytest

from convcourse.course.summary import read_csv

import browser  # tests/browser.py: chromium with no network
from sample_class import load_make_class

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "examples" / "sample-class"

pytestmark = pytest.mark.skipif(
    not (ROOT / "solutions").is_dir() or not (SAMPLE / "submitted").is_dir(),
    reason="needs solutions/ and the sample class",
)


make_class = load_make_class()


def _named_in(student):
    """The name of a mistake as that student's messages give it (in the edition's language)."""
    from convcourse import i18n

    lang = make_class.LANGUAGE.get(student, "")
    return lambda mistake: i18n.gettext(mistake.named, lang) if lang else mistake.named


def _scores(path):
    return {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"]))
            for r in read_csv(path)}


# ------------------------------------------------------------------- the generator (fast)

def test_committed_submissions_equal_a_fresh_build(tmp_path):
    """submitted/ and roster.csv come from make_class.py: rerun it after `convcourse release`."""
    make_class.build(ROOT, tmp_path / "submitted")
    fresh = sorted(p.relative_to(tmp_path / "submitted") for p in (tmp_path / "submitted").rglob("*.ipynb"))
    committed = sorted(p.relative_to(SAMPLE / "submitted") for p in (SAMPLE / "submitted").rglob("*.ipynb"))
    assert fresh == committed
    for rel in fresh:
        assert (tmp_path / "submitted" / rel).read_bytes() == (SAMPLE / "submitted" / rel).read_bytes(), (
            f"{rel} is stale: run examples/sample-class/make_class.py")
    assert (tmp_path / "roster.csv").read_text() == (SAMPLE / "roster.csv").read_text()


def test_the_class_covers_every_assignment_with_one_mistake_per_mistake_student():
    assignments = make_class.assignments(ROOT)
    assert len(assignments) == 6
    for student in make_class.MISTAKE_STUDENTS:
        assert sorted(make_class.MISTAKES[student]) == assignments
    expected = _scores(SAMPLE / "expected-grades.csv")
    roster = [r["student_id"] for r in read_csv(SAMPLE / "roster.csv")]
    assert set(expected) == {(s, a) for s in roster for a in assignments}
    assert "missing" in roster and not (SAMPLE / "submitted" / "missing").exists()


def test_an_edit_that_no_longer_applies_stops_the_generator():
    wrong = make_class.Mistake("conv2d_forward", "kernel flipped", (("code that is not there", ""),))
    with pytest.raises(SystemExit, match="not in the solution of conv2d_forward; update MISTAKES"):
        make_class.submission(ROOT, "02-conv-layer", "02-conv-layer", wrong)
    gone = make_class.Mistake("no_such_function", "x", ())
    with pytest.raises(SystemExit, match="no answer cell 'no_such_function'"):
        make_class.submission(ROOT, "02-conv-layer", "02-conv-layer", gone)


def test_each_edit_changes_exactly_the_answer_it_names():
    for student in make_class.MISTAKE_STUDENTS:
        for assignment, mistake in make_class.MISTAKES[student].items():
            right = make_class.submission(ROOT, assignment, assignment, None)
            wrong = make_class.submission(ROOT, assignment, assignment, mistake)
            changed = [c.metadata.get("nbgrader", {}).get("grade_id")
                       for c, d in zip(right.cells, wrong.cells) if c.source != d.source]
            assert changed == [mistake.function], (student, assignment)


# ------------------------------------------------------------- one real grading run (slow)

# `demo_run` (tests/conftest.py): one `convcourse demo --jobs 2` per session, shared with test_i18n.py


@pytest.mark.slow
@pytest.mark.xdist_group("sample-class")
def test_demo_command_grades_the_sample_class_to_the_expected_scores(demo_run):
    out, status, printed = demo_run
    assert status == 0
    assert _scores(out / "grades.csv") == _scores(SAMPLE / "expected-grades.csv")
    assert "ada" in printed and "summary.png" in printed
    # the terminal gets the grade table and the paths; the pass rates are in summary.txt
    assert "full marks per exercise (of" not in printed and "summary.txt" in printed
    assert "full marks per exercise (of the students who submitted)" in (out / "summary.txt").read_text()
    assert (out / "summary.png").stat().st_size > 10_000


@pytest.mark.slow
@pytest.mark.xdist_group("sample-class")
def test_cells_csv_names_each_deliberate_mistake_for_the_student_who_made_it(demo_run):
    out, _, _ = demo_run
    cells = {(r["student_id"], r["assignment"], r["grade_id"]): r for r in read_csv(out / "cells.csv")}
    checked = 0
    for student, plan in make_class.MISTAKES.items():
        named_in = _named_in(student)
        for assignment, mistake in plan.items():
            row = cells[(student, assignment, mistake.graded_cell)]
            assert float(row["score"]) < float(row["max_score"]), (student, mistake)
            assert named_in(mistake) in row["message"], (student, assignment, mistake.named, row["message"])
            checked += 1
    assert checked == 4 * 6 + 2
    # nobody else is said to have made those mistakes in those cells
    for assignment, grade_id in {(a, m.graded_cell) for plan in make_class.MISTAKES.values()
                                 for a, m in plan.items()}:
        row = cells[("ada", assignment, grade_id)]
        assert float(row["score"]) == float(row["max_score"]) and "likely mistake" not in row["message"]
    assert cells[("missing", "01-convolution", "pad2d_hidden")]["message"] == "nothing was submitted"
    assert cells[("crasher", "06-cnn", "build_model_hidden")]["message"] == "nothing was submitted"
    assert all(float(r["score"]) == 0 for r in read_csv(out / "cells.csv") if r["student_id"] == "stub")


@pytest.mark.slow
@pytest.mark.xdist_group("sample-class")
def test_feedback_exists_for_every_submission_and_hides_the_hidden_tests(demo_run):
    out, _, _ = demo_run
    for student in ("ada", "flipper", "crasher", "looper", "stub", "missing"):
        for assignment in make_class.assignments(ROOT):
            page = out / "feedback" / student / assignment / f"{assignment}.html"
            text = page.read_text()
            assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, page


@pytest.mark.slow
@pytest.mark.xdist_group("sample-class")
def test_mistakes_csv_counts_each_deliberate_mistake_over_the_class(demo_run):
    """The judge's named mistakes, counted per exercise over the class: each mistake student's
    deliberate mistake is there, counted once per student who made it; nobody else's."""
    out, _, _ = demo_run
    rows = read_csv(out / "mistakes.csv")
    assert rows and list(rows[0]) == ["assignment", "exercise", "mistake", "students"]
    planned = {}
    for student in make_class.MISTAKE_STUDENTS:
        for assignment, m in make_class.MISTAKES[student].items():
            # the class report is the instructor's: English names, whatever the student's edition
            planned.setdefault((assignment, m.function, m.named), set()).add(student)
    for (assignment, function, named), students in planned.items():
        found = [r for r in rows if (r["assignment"], r["exercise"]) == (assignment, function)
                 and named in r["mistake"]]
        assert found, (assignment, function, named, rows)
        assert max(int(r["students"]) for r in found) == len(students), (named, found)
    # only the four mistake students make named mistakes (ada is right, the others crash,
    # loop or submit the stub, which the checks do not name)
    assert all(1 <= int(r["students"]) <= len(make_class.MISTAKE_STUDENTS) for r in rows)


@pytest.mark.slow
@pytest.mark.xdist_group("sample-class")
def test_summary_counts_submissions_and_writes_the_heat_map(demo_run):
    out, _, printed = demo_run
    graded = sum(1 for s, plan in make_class.MISTAKES.items() for _ in (make_class.assignments(ROOT)
                 if s == "ada" or s in make_class.MISTAKE_STUDENTS else plan))
    graded += sum(len(a) for a in make_class.UNTOUCHED.values())
    missing = 9 * 6 - graded
    assert f"{graded} submissions graded, {missing} missing (nothing submitted)" in printed
    assert (out / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.xdist_group("sample-class")
def test_feedback_pages_are_self_contained_with_pictures_and_maths(demo_run):
    import re

    from convcourse.course.safe_html import external_references

    out, _, _ = demo_run
    pages = sorted((out / "feedback").rglob("*.html"))
    assert len(pages) == 9 * 6
    for page in pages:
        text = page.read_text()
        assert external_references(text) == [], page
        assert "<script" not in text and "<Figure size" not in text, page
        assert "This check failed when your notebook was graded" not in text
    ada = (out / "feedback" / "ada" / "01-convolution" / "01-convolution.html").read_text()
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', ada)) >= 10
    assert ada.count("<math") >= 20 and "$H_{" not in ada
    assert "convolve2d_valid: hidden tests</a>" in ada
    assert not any("[...]" in r["message"] for r in read_csv(out / "cells.csv"))


@pytest.mark.slow
@pytest.mark.xdist_group("sample-class")
@pytest.mark.skipif(browser.chromium() is None, reason="chromium is not installed (`make browser`)")
def test_a_real_feedback_page_in_a_browser_without_network(demo_run, tmp_path):
    out, _, _ = demo_run
    page = out / "feedback" / "flipper" / "01-convolution" / "01-convolution.html"
    found = browser.run_checks(page, tmp_path)
    assert found["maths"] >= 20 and found["rawDollars"] == 0
    assert all(found["subscripts"]) and all(found["fractions"])
    assert len(found["images"]) >= 10 and all(i["width"] > 0 for i in found["images"])
    assert found["overflowing"] == 0
