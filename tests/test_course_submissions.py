"""Reading and normalising submissions (convcourse/course/submissions.py)."""

import copy
import zipfile
from pathlib import Path

import nbformat
import pytest

from convcourse.course.submissions import (
    NotebookProblem,
    find_submissions,
    normalize_notebook,
    read_roster,
    safe_extract,
)

FIXTURE = Path(__file__).parent / "fixtures" / "course"
RELEASE = FIXTURE / "notebooks" / "00-fixture" / "fixture.ipynb"


@pytest.fixture
def release():
    return nbformat.read(RELEASE, as_version=4)


def gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_untouched_notebook_keeps_its_cells_and_order(release, tmp_path):
    nb, notes, cell_notes = normalize_notebook(write(release, tmp_path / "a.ipynb"), release)
    assert notes == [] and cell_notes == {}
    assert [c.source for c in nb.cells] == [c.source for c in release.cells]


def test_reordered_cells_are_put_back_with_their_free_cells(release, tmp_path):
    student = copy.deepcopy(release)
    helper = nbformat.v4.new_code_cell("def helper(): return 1")
    ids = [gid(c) for c in student.cells]
    student.cells.insert(ids.index("square-answer") + 1, helper)  # a helper after square's answer
    ids = [gid(c) for c in student.cells]
    start = ids.index("square-answer")
    student.cells = student.cells[start:] + student.cells[:start]  # exercise 2 first
    nb, notes, _ = normalize_notebook(write(student, tmp_path / "a.ipynb"), release)
    order = [gid(c) for c in nb.cells if gid(c)]
    assert order == [gid(c) for c in release.cells if gid(c)]
    assert any("moved" in n for n in notes)
    sources = [c.source for c in nb.cells]
    assert sources.index(helper.source) == sources.index(
        next(c.source for c in nb.cells if gid(c) == "square-answer")) + 1
    assert nb.cells[0].cell_type == "markdown" and "Grading notes" in nb.cells[0].source


@pytest.mark.parametrize("deleted, kind, noted_cell", [
    ("square-visible", "restored", "square-visible"),
    ("square-answer", "stub", "square-visible"),
])
def test_deleted_cells_are_restored_and_noted(release, tmp_path, deleted, kind, noted_cell):
    student = copy.deepcopy(release)
    student.cells = [c for c in student.cells if gid(c) != deleted]
    nb, notes, cell_notes = normalize_notebook(write(student, tmp_path / "a.ipynb"), release)
    assert deleted in [gid(c) for c in nb.cells]
    assert kind in cell_notes[noted_cell] and deleted in cell_notes[noted_cell]


def test_test_cells_come_from_the_release_not_the_student(release, tmp_path):
    student = copy.deepcopy(release)
    for cell in student.cells:
        if gid(cell) == "add-visible":
            cell.source = "pass  # the student emptied the test"
    nb, _, _ = normalize_notebook(write(student, tmp_path / "a.ipynb"), release)
    cell = next(c for c in nb.cells if gid(c) == "add-visible")
    assert "assert add(1, 2) == 3" in cell.source


@pytest.mark.parametrize("text, match", [
    ('{"cells": [ nope', "not valid JSON"),
    ('{"cells": 3}', "not a readable notebook"),
    ("", "not valid JSON"),
])
def test_unreadable_notebooks_raise_notebookproblem(release, tmp_path, text, match):
    path = tmp_path / "bad.ipynb"
    path.write_text(text)
    with pytest.raises(NotebookProblem, match=match):
        normalize_notebook(path, release)


def test_find_submissions_reads_a_zip_with_a_wrapper_folder(release, tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/ann/00-fixture/fixture.ipynb", nbformat.writes(release))
        zf.writestr("export/bob/00-fixture/renamed copy.ipynb", nbformat.writes(release))
        zf.writestr("export/cy/other/x.ipynb", "{}")
    found, students = find_submissions(archive, {"00-fixture": ["fixture"]}, tmp_path / "work")
    assert students == ["ann", "bob", "cy"]
    assert found["ann"]["00-fixture"].notebooks["fixture"].name == "fixture.ipynb"
    bob = found["bob"]["00-fixture"]
    assert bob.notebooks["fixture"].name == "renamed copy.ipynb"
    assert "renamed copy.ipynb" in bob.notes["fixture"][0]
    assert found["cy"] == {}


def test_find_submissions_missing_notebook_is_none(tmp_path):
    (tmp_path / "subs" / "ann" / "00-fixture").mkdir(parents=True)
    found, _ = find_submissions(tmp_path / "subs", {"00-fixture": ["fixture"]}, tmp_path)
    assert found["ann"]["00-fixture"].notebooks == {"fixture": None}


def test_find_submissions_rejects_a_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        find_submissions(tmp_path / "nowhere", {}, tmp_path)


def test_safe_extract_refuses_zip_slip(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.txt", "gotcha")
    with pytest.raises(ValueError, match="outside"):
        safe_extract(archive, tmp_path / "dest")
    assert not (tmp_path / "escaped.txt").exists()


def test_safe_extract_rejects_a_non_zip(tmp_path):
    path = tmp_path / "x.zip"
    path.write_text("not a zip")
    with pytest.raises(ValueError, match="not a zip"):
        safe_extract(path, tmp_path / "d")


@pytest.mark.parametrize("text, expected", [
    ("student_id,name\nann,Ann\nbob,Bob\n", ["ann", "bob"]),
    ("name,id\nAnn,ann\nAnn again,ann\n", ["ann"]),
    ("ann\nbob\n", ["ann", "bob"]),
])
def test_read_roster(tmp_path, text, expected):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    assert read_roster(path) == expected


def test_read_roster_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="roster"):
        read_roster(tmp_path / "none.csv")
    (tmp_path / "empty.csv").write_text("student_id\n")
    with pytest.raises(ValueError, match="no student"):
        read_roster(tmp_path / "empty.csv")


# ------------------------------------------------------------------ issue 9 §3

def test_links_pipes_and_huge_notebooks_are_refused_for_that_student_only(release, tmp_path):
    """Regression: links were followed (another student's notebook, solutions/), a named
    pipe was read to 512 MiB or hung, and a 200 MiB notebook took 4.8 GiB."""
    import os

    subs = tmp_path / "subs"
    ann = write(release, subs / "ann" / "00-fixture" / "fixture.ipynb")
    (subs / "linked").symlink_to(subs / "ann")
    (subs / "half").mkdir()
    (subs / "half" / "00-fixture").symlink_to(subs / "ann" / "00-fixture")
    (subs / "copy" / "00-fixture").mkdir(parents=True)
    (subs / "copy" / "00-fixture" / "fixture.ipynb").symlink_to(ann)
    (subs / "pipe" / "00-fixture").mkdir(parents=True)
    os.mkfifo(subs / "pipe" / "00-fixture" / "fixture.ipynb")
    write(release, subs / "big" / "00-fixture" / "fixture.ipynb")
    for name in (".dot", "__dunder"):
        write(release, subs / name / "00-fixture" / "fixture.ipynb")
    (subs / "__MACOSX").mkdir()
    (subs / "README.txt").write_text("not a student")
    skipped = []
    size = ann.stat().st_size
    found, students = find_submissions(subs, {"00-fixture": ["fixture"]}, tmp_path,
                                       max_bytes=size, skipped=skipped)
    assert students == [".dot", "__dunder", "ann", "big", "copy", "half", "linked", "pipe"]
    assert sorted(skipped) == [("README.txt", "a file, not a student folder"),
                               ("__MACOSX", "a folder tools leave in archives, not a student")]
    refused = {s: found[s]["00-fixture"].refused.get("fixture") for s in students}
    assert refused == {
        ".dot": None, "__dunder": None, "ann": None, "big": None,
        "copy": "fixture.ipynb is a symbolic link: only regular files are graded",
        "half": "the assignment folder is a symbolic link: only regular files are graded",
        "linked": "the student folder is a symbolic link: only regular files are graded",
        "pipe": "fixture.ipynb is a named pipe: only regular files are graded"}
    # a file that grew, or a pipe reached another way, is refused when read
    with pytest.raises(NotebookProblem, match="named pipe"):
        normalize_notebook(subs / "pipe" / "00-fixture" / "fixture.ipynb", release)
    with pytest.raises(NotebookProblem, match="is .* bytes, more than the 100 bytes a notebook may be"):
        normalize_notebook(ann, release, max_bytes=100)


@pytest.mark.parametrize("forge", ["list", "string", "forged"])
def test_forged_nbgrader_metadata_is_never_trusted(release, tmp_path, forge):
    """Regression: a list as a grade id or a string as the nbgrader metadata stopped the
    class; forged metadata made nbgrader fail on the notebook with no message."""
    student = copy.deepcopy(release)
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader")
        if forge == "string":
            cell.metadata["nbgrader"] = "yes"
        elif forge == "list" and meta and meta.get("solution"):
            meta["grade_id"] = [meta["grade_id"]]
        elif forge == "forged":
            cell.metadata["nbgrader"] = {"grade": True, "solution": True, "points": 1000,
                                         "grade_id": (meta or {}).get("grade_id", "mine"),
                                         "schema_version": 99}
    nb, _, _ = normalize_notebook(write(student, tmp_path / "a.ipynb"), release)
    graded = {gid(c): c.metadata["nbgrader"] for c in nb.cells if gid(c)}
    assert graded == {gid(c): c.metadata["nbgrader"] for c in release.cells if gid(c)}
    assert all(isinstance(c.metadata.get("nbgrader", {}), dict) for c in nb.cells)


def test_deeply_nested_json_is_a_notebook_problem(release, tmp_path):
    path = tmp_path / "deep.ipynb"
    path.write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(NotebookProblem, match="nested too deeply"):
        normalize_notebook(path, release)
