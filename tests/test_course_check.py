"""`convcourse check NOTEBOOK`: a student's check before submitting (convcourse/course/check.py)."""

import copy
import sys
from pathlib import Path

import nbformat
import pytest

from convcourse.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
RELEASED = FIXTURES / "course" / "notebooks" / "00-fixture" / "fixture.ipynb"
sys.path.insert(0, str(FIXTURES))
import faulty_class  # noqa: E402


def _notebook_with(folder: Path, add: str | None) -> Path:
    """The released fixture notebook, in a folder with no course around it, ``add`` answered."""
    nb = nbformat.read(RELEASED, as_version=4)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if add is not None and gid == "add-answer":
            cell.source = add
        elif add is not None and gid == "square-answer":
            cell.source = faulty_class.SQUARE
    folder.mkdir(parents=True)
    path = folder / "fixture.ipynb"
    nbformat.write(nb, path)
    return path


def test_check_names_a_missing_or_foreign_file(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.ipynb")]) == 2
    assert "no such file" in capsys.readouterr().err
    text = tmp_path / "notes.ipynb"
    text.write_text("not json")
    assert main(["check", str(text)]) == 2
    assert "is not a readable notebook" in capsys.readouterr().err


@pytest.mark.slow
def test_check_runs_the_visible_tests_without_a_course_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a student's bundle: no solutions/, no course
    for name in [m for m in sys.modules if m == "nbgrader" or m.startswith("nbgrader.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "nbgrader", None)  # the student extra has no nbgrader
    stub = _notebook_with(tmp_path / "stub", None)
    assert main(["check", str(stub)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  add-visible: NotImplementedError" in out
    assert "HIDDEN add-hidden: graded on hidden cases when you submit" in out
    assert "0 of 2 visible test cells passed" in out

    wrong = _notebook_with(tmp_path / "wrong", faulty_class.ANSWERS["partial"][0])
    good = _notebook_with(tmp_path / "good", faulty_class.ADD)
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "PASS  add-visible" in out and "PASS  square-visible" in out
    assert "2 of 2 visible test cells passed" in out
    # abs(a) + b passes the visible case (1, 2): the hidden cases find it, not the check
    assert main(["check", str(wrong)]) == 0
    assert "the hidden tests may still find mistakes" in capsys.readouterr().out
