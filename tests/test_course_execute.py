"""The robust executor on a real kernel (convcourse/course/execute.py)."""

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from convcourse.course.execute import CELL_TIMEOUT, KERNEL_DIED, RobustExecute, is_test_cell

TEST = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}


@pytest.mark.parametrize("meta, expected", [
    ({"nbgrader": {"grade": True, "solution": False}}, True),
    ({"nbgrader": {"grade": True, "solution": True}}, False),
    ({"nbgrader": {"grade": False, "solution": True}}, False),
    ({}, False),
])
def test_is_test_cell(meta, expected):
    assert is_test_cell(new_code_cell("x", metadata=meta)) is expected


def errors(cell):
    return [o.ename for o in cell.outputs if o.output_type == "error"]


def stream(cell, name="stdout"):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == name)


@pytest.mark.slow
def test_kernel_death_timeout_flood_and_warnings_do_not_stop_the_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVCOURSE_SECRET", "test-secret")
    cells = [
        new_code_cell("import os\nWHO = os.environ['CONVCOURSE_STUDENT'] + '/' + os.environ['CONVCOURSE_SECRET']"),
        new_code_cell("os._exit(3)", metadata=TEST),
        new_code_cell("print(WHO)", metadata=TEST),
        new_code_cell("print('head' + 'y' * 300_000 + 'tail')", metadata=TEST),
        new_code_cell("while True:\n    pass", metadata=TEST),
        new_code_cell("import warnings\nwarnings.warn('careful')", metadata=TEST),
        new_code_cell("print('still', WHO)", metadata=TEST),
    ]
    nb = new_notebook(cells=cells)
    resources = {"metadata": {"path": str(tmp_path)},
                 "nbgrader": {"student": "ann", "assignment": "a1", "notebook": "nb1"}}
    pre = RobustExecute(timeout=4, max_output_chars=1000)
    nb, _ = pre.preprocess(nb, resources)
    died, after, flood, loop, warn, last = nb.cells[1:]
    assert errors(died) == [KERNEL_DIED]
    assert stream(after).strip() == "ann/test-secret"  # definitions re-run after the restart
    text = stream(flood)
    assert text.startswith("head") and text.rstrip().endswith("tail")
    assert len(text) < 1300 and "dropped" in text
    assert CELL_TIMEOUT in errors(loop)
    assert "careful" in stream(warn) and stream(warn, "stderr") == ""
    assert stream(last).strip() == "still ann/test-secret"
