"""``convcourse validate`` (convcourse/course/validate.py)."""

import shutil
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from convcourse.course.validate import check_metadata, validate

FIXTURE = Path(__file__).parent / "fixtures" / "course"


def cell(gid, points=1, solution=False, grade=True):
    meta = {"nbgrader": {"grade": grade, "solution": solution, "grade_id": gid, "points": points}}
    return new_code_cell("pass", metadata=meta)


@pytest.mark.parametrize("cells, fragment", [
    ([cell("a"), cell("a")], "grade id 'a' is used by 2 cells"),
    ([cell("a", points=0)], "has points 0"),
    ([cell("a", points="2")], "has points '2'"),
    ([new_code_cell("pass", metadata={"nbgrader": {"grade": True, "solution": False}})], "no grade_id"),
])
def test_check_metadata_finds_problems(cells, fragment):
    problems = check_metadata(new_notebook(cells=cells), "nb")
    assert len(problems) == 1 and fragment in problems[0]


def test_check_metadata_accepts_a_good_notebook():
    cells = [cell("ans", points=0, solution=True, grade=False), cell("t1"), cell("t2", points=2.5)]
    assert check_metadata(new_notebook(cells=cells), "nb") == []


@pytest.mark.slow
def test_validate_passes_the_fixture_and_catches_a_stale_release(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(FIXTURE, course)
    stale = course / "notebooks" / "00-fixture" / "fixture.ipynb"
    stale.write_text(stale.read_text().replace("Fixture assignment", "Fixture assignment (edited)"))
    problems = validate(course, echo=lambda *a: None)
    # the solution earned every point and the stub none; only the edited release is reported
    assert len(problems) == 1, problems
    assert "differs from a fresh release" in problems[0]
