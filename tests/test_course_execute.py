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


def test_figures_become_png_outputs_with_the_inline_backend(tmp_path, monkeypatch):
    """A figure a cell returns (viz functions close theirs) and one pyplot leaves open are
    both PNG images in the graded notebook, not the text "<Figure size ... with 1 Axes>"."""
    import base64

    monkeypatch.setenv("MPLBACKEND", "Agg")  # the grader's own backend must not leak in
    cells = [
        new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\n"
                      "ax.plot([0, 1], [1, 0])\nplt.close(fig)\nfig"),
        new_code_cell("plt.plot([0, 1], [0, 1]);"),
    ]
    nb = new_notebook(cells=cells)
    resources = {"metadata": {"path": str(tmp_path)},
                 "nbgrader": {"student": "ann", "assignment": "a1", "notebook": "nb1"}}
    nb, _ = RobustExecute(timeout=60).preprocess(nb, resources)
    for cell in nb.cells:
        pngs = [o.data["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(pngs) == 1, cell.outputs
        assert base64.b64decode(pngs[0])[:8] == b"\x89PNG\r\n\x1a\n"
        texts = [o.data.get("text/plain", "") for o in cell.outputs if "data" in o]
        assert all("image/png" in o.get("data", {}) for o in cell.outputs if "data" in o), texts


@pytest.mark.slow
def test_rich_output_is_capped_per_cell_and_per_notebook(tmp_path):
    """Regression (issue 9 §4): only streams were capped; 200 MiB of display data went
    into the notebook and the feedback."""
    def show(letter, n):
        return f"display({{'text/plain': {letter!r} * {n}}}, raw=True)"

    cells = [new_code_cell("from IPython.display import display\n" + show("a", 1000) + "\n"
                           + show("b", 3000)),
             new_code_cell(show("c", 1500)), new_code_cell(show("e", 1200)),
             new_code_cell(show("f", 900))]
    nb = new_notebook(cells=cells)
    resources = {"metadata": {"path": str(tmp_path)},
                 "nbgrader": {"student": "ann", "assignment": "a1", "notebook": "nb1"}}
    pre = RobustExecute(timeout=20, max_display_bytes=2500, max_notebook_display_bytes=3500)
    nb, _ = pre.preprocess(nb, resources)
    shown = [[o.data["text/plain"] for o in c.outputs if o.output_type == "display_data"]
             for c in nb.cells]
    assert shown[0] == ["a" * 1000, "[an output of 3000 bytes was dropped: more than this "
                                    "cell's 2500 bytes of pictures and displays]"]
    assert shown[1] == ["c" * 1500]  # 2500 of the notebook's 3500 used ...
    assert "dropped: more than the notebook's" in shown[2][0]  # ... 1200 more is too much
    assert shown[3] == ["f" * 900]  # what was dropped does not count
