"""The README tells the truth: its example prints what it says, its course map matches the notebooks."""

import contextlib
import io
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _section(title):
    start = README.index(title)
    end = README.find("\n## ", start + len(title))
    return README[start:end if end != -1 else None]


def test_ten_line_example_prints_what_the_readme_says():
    section = _section("## A ten-line example")
    code, printed = re.findall(r"```(?:python)?\n(.*?)```", section, flags=re.S)
    assert len([line for line in code.splitlines() if line.strip()]) <= 14
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README example", "exec"), {})
    assert out.getvalue() == printed


def _graded_points(notebook):
    points = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            name = re.sub(r"_(visible|hidden)$", "", meta["grade_id"])
            points[name] = points.get(name, 0) + meta["points"]
    return points


def test_course_map_lists_every_assignment_with_its_graded_functions_and_points():
    rows = re.findall(r"^\| `([\w-]+)` \|[^|]*\|([^|]*)\| (\d+) \|$", _section("## The course"), flags=re.M)
    assignments = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    assert [name for name, _, _ in rows] == assignments
    for name, functions, total in rows:
        listed = {f: float(p) for f, p in re.findall(r"`(\w+)` \(([\d.]+)\)", functions)}
        actual = _graded_points(ROOT / "solutions" / name / f"{name}.ipynb")
        assert listed == actual, name
        assert float(total) == sum(actual.values()), name


def test_the_new_assignment_checklist_holds_for_every_assignment():
    """Each item of the developers' checklist, checked against every assignment there is."""
    import csv

    import notebook_helpers as nbh
    from convcourse.grading import ASSIGNMENT_MODULES

    section = _section("## Adding an assignment (developers)")
    items = re.findall(r"^\d+\. (.*?)(?=^\d+\. |\Z)", section, flags=re.M | re.S)
    assert len(items) == 6
    exported = re.findall(r"`(\w+)`", items[1].split("exports", 1)[1])
    assert exported[:2] == ["EXERCISES", "reproduce"] and "check_" in items[1]
    assignments = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    assert sorted(ASSIGNMENT_MODULES) == assignments
    graded = {row["assignment"] for row in csv.DictReader(
        (ROOT / "examples" / "sample-class" / "expected-grades.csv").open())}
    course_map = _section("## The course")
    for assignment, module in ASSIGNMENT_MODULES.items():
        number = assignment.split("-")[0]
        short = module.__name__.rsplit(".", 1)[1]
        # 1. source and release
        assert (ROOT / "solutions" / assignment / f"{assignment}.ipynb").is_file()
        assert (ROOT / "notebooks" / assignment / f"{assignment}.ipynb").is_file()
        # 2. the module's exports
        names = set(module.__all__)
        assert {"EXERCISES", "reproduce"} <= names, assignment
        assert {f"check_{name}" for name in module.EXERCISES} <= names, assignment
        assert all(callable(getattr(module, f"check_{n}")) for n in module.EXERCISES)
        # 3. explicit weights (validated when built)
        assert all(isinstance(ex.groups, dict) for ex in module.EXERCISES.values())
        # 4. tests and setup cells
        assert (ROOT / "tests" / f"test_grading_{short}.py").is_file(), assignment
        assert (ROOT / "tests" / f"test_grading_assignment{number}.py").is_file(), assignment
        assert assignment in nbh.SETUP_CELLS
        # 5. the course map, 6. the sample class
        assert f"| `{assignment}` |" in course_map
        assert assignment in graded


def test_the_feedback_screenshot_is_there_and_small():
    """The README shows a student's feedback page: docs/feedback.png, made by the tests' offline
    browser (docs/make_feedback_screenshot.py), small enough to keep in the repository."""
    assert "![A student's feedback page" in README and "(docs/feedback.png)" in README
    png = ROOT / "docs" / "feedback.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size < 300_000
