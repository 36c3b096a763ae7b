"""The judge and its worker (convcourse/course/judge.py, _judge_worker.py), unsandboxed.

These run without bubblewrap: the judge decides the score wherever grading runs.
The sandboxed end-to-end run is tests/test_course_redteam.py.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from convcourse.course import _judge_worker as wire
from convcourse.course.judge import judge_notebook, judged_cells, student_program
from convcourse.grading._cases import derive_seeds, grading_seed

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import redteam_class  # noqa: E402


@pytest.mark.parametrize("value", [
    3, 2.5, None, "s", (1, (2.0, "x")), [1, 2], {"a": 1},
    np.arange(6.0).reshape(2, 3), np.float32(1.5), np.int64(7),
])
def test_wire_round_trip(value):
    arrays = {}
    got = wire.decode(wire.encode(value, arrays), arrays)
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(got, value)
        assert type(got) is np.ndarray
    else:
        assert got == value and type(got) is type(value)


def test_wire_makes_objects_opaque_and_subclasses_plain():
    class Eq(np.ndarray):
        def __eq__(self, other):
            return True

    class Any:
        def __eq__(self, other):
            return True

    arrays = {}
    sub = wire.decode(wire.encode(np.zeros(2).view(Eq), arrays), arrays)
    assert type(sub) is np.ndarray and not np.all(sub == 1)
    opaque = wire.decode(wire.encode(Any(), {}), {})
    assert isinstance(opaque, wire.Opaque) and opaque != 5
    assert isinstance(wire.decode(wire.encode(np.array([Any()]), {}), {}), wire.Opaque)


def test_seeds_in_the_kernel_match_the_secret_seeds():
    env = {"CONVCOURSE_STUDENT": "ann", "CONVCOURSE_ASSIGNMENT": "a", "CONVCOURSE_NOTEBOOK": "n"}
    with_secret = grading_seed("pad2d", {**env, "CONVCOURSE_SECRET": "s"})
    with_seeds = grading_seed("pad2d", {**env, "CONVCOURSE_SEEDS": derive_seeds(
        "s", "ann", "a", "n", ["pad2d"])})
    assert with_seeds == with_secret and with_seeds[1] is True


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("judge")
    course = redteam_class.build_course(tmp / "course")
    redteam_class.build_class(course, tmp / "class")
    import nbformat
    source = nbformat.read(course / "solutions" / "00-redteam" / "redteam.ipynb", as_version=4)
    return source, tmp / "class"


def test_judged_cells_of_the_fixture(course):
    source, _ = course
    cells = judged_cells(source)
    assert {g: (c.exercise, c.hidden, c.points) for g, c in cells.items()} == {
        "output_size_visible": ("output_size", False, 1.0),
        "output_size_hidden": ("output_size", True, 5.0),
        "correlate2d_valid_visible": ("correlate2d_valid", False, 1.0),
        "correlate2d_valid_hidden": ("correlate2d_valid", True, 4.0)}
    assert all("hidden=True" not in src and "check_output_size(output_size)" not in src
               for _, src in student_program(source))


def _judge(course, student):
    import nbformat
    source, folder = course
    nb = nbformat.read(folder / student / "00-redteam" / "redteam.ipynb", as_version=4)
    return judge_notebook(source, nb, student=student, assignment="00-redteam",
                          notebook="redteam", secret="s", sandbox=None, timeout=5)


@pytest.mark.parametrize("student, scores", [
    ("honest", {"output_size_hidden": 5.0, "correlate2d_valid_hidden": 4.0}),
    ("alwayseq", {"output_size_hidden": 0.0, "correlate2d_valid_hidden": 0.0}),
    ("ndsub", {"output_size_hidden": 0.0, "correlate2d_valid_hidden": 0.0}),
    ("helpers", {"output_size_hidden": 0.0, "correlate2d_valid_hidden": 0.0}),
    ("importref", {"output_size_hidden": 0.0, "correlate2d_valid_hidden": 0.0}),
])
def test_the_judge_scores_only_what_the_functions_earn(course, student, scores):
    result = _judge(course, student)
    got = {g: v.score for g, v in result["verdicts"].items() if v.hidden}
    assert got == scores
    visible = {v.passed for v in result["verdicts"].values() if not v.hidden}
    assert visible == {student == "honest"}


def test_the_worker_refuses_the_reference_and_new_processes(course):
    result = _judge(course, "importref")
    refused = " ".join(result["refused"])
    assert "convcourse" in refused
    report = result["verdicts"]["output_size_hidden"].report
    assert "not allowed while grading" in report or "forbidden" in report or "calls" in report


def test_a_function_that_kills_its_worker_scores_zero(course, tmp_path):
    import nbformat
    source, folder = course
    nb = nbformat.read(folder / "honest" / "00-redteam" / "redteam.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "output_size":
            cell.source = "import os\ndef output_size(*a, **k):\n    os._exit(3)\n"
    result = judge_notebook(source, nb, student="x", assignment="00-redteam", notebook="redteam",
                            secret="s", sandbox=None, timeout=5)
    assert result["verdicts"]["output_size_hidden"].score == 0.0
    assert result["verdicts"]["correlate2d_valid_hidden"].score == 4.0
