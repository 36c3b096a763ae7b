"""The source notebook of 06-cnn: nbgrader metadata, and its tests against its own solutions.

Runs the notebook's setup, solution and test cells in-process (not the pictures or the
training section; the whole notebook runs end to end in `convcourse validate`): the
solutions earn every point, and stubs (what students receive) earn none.
"""

import ast
import inspect
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pytest  # noqa: E402

from convcourse.grading.cnn import EXERCISES  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "solutions" / "06-cnn" / "06-cnn.ipynb"
SIGNATURES = {
    "relu_forward": "(x)",
    "relu_backward": "(grad_output, x)",
    "softmax_cross_entropy": "(logits, labels)",
    "build_model": "()",
}
TOTAL_POINTS = 4 + 5 + 5 + 5


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _run(source, namespace):
    """Exec a cell; return the value of its last expression (as IPython displays it)."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, "<cell>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None


def _stub(source):
    """What nbgrader releases: the solution replaced by `raise NotImplementedError()`."""
    return re.sub(r"( *)### BEGIN SOLUTION.*?### END SOLUTION",
                  r"\1# YOUR CODE HERE\n\1raise NotImplementedError()", source, flags=re.S)


def test_nbgrader_metadata(nb):
    ids = [_meta(c)["grade_id"] for c in nb.cells if _meta(c)]
    assert len(ids) == len(set(ids)) == 12
    for cell in nb.cells:
        meta = _meta(cell)
        if not meta:
            continue
        assert meta["schema_version"] == 3
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if meta["grade"]:
            first = cell.source.splitlines()[0]
            assert first.startswith('"""') and first.endswith('"""') and len(first) > 10
            assert meta["points"] > 0


def test_outputs_are_cleared_and_cells_use_the_package(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "plt." not in cell.source and "matplotlib" not in cell.source
    pictures = [c.source for c in nb.cells if c.cell_type == "code" and "pictures." in c.source]
    for name in ("architecture", "stacked_3x3", "training_curve", "confusion_matrix",
                 "misclassified", "filters", "feature_maps"):
        assert any(f"pictures.{name}(" in source for source in pictures), name


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_each_exercise_has_a_visible_and_a_hidden_cell(nb, name):
    by_id = {_meta(c)["grade_id"]: c for c in nb.cells if _meta(c)}
    assert _meta(by_id[name])["solution"]
    visible, hidden = by_id[f"{name}_visible"], by_id[f"{name}_hidden"]
    assert _meta(visible)["points"] == 1
    assert f"check_{name}({name})" in visible.source
    assert "### BEGIN HIDDEN TESTS" not in visible.source
    points = _meta(hidden)["points"]
    assert f"check_{name}({name}, points={points}, hidden=True)" in hidden.source
    assert re.search(r"### BEGIN HIDDEN TESTS.*check_.*### END HIDDEN TESTS", hidden.source, re.S)
    # one point per group of cases, as the notebook tells the students
    assert points == EXERCISES[name].default_points == len(EXERCISES[name].groups)
    for group in EXERCISES[name].groups:
        assert group in hidden.source.splitlines()[0]


def _namespace(nb, stub=False):
    ns = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = _meta(cell)
        if meta.get("solution"):
            _run(_stub(cell.source) if stub else cell.source, ns)
        elif not meta and "import" in cell.source:
            _run(cell.source, ns)
    return ns


def test_solutions_earn_every_point(nb, capsys):
    ns = _namespace(nb)
    for name, signature in SIGNATURES.items():
        assert str(inspect.signature(ns[name])) == signature
    total = 0.0
    for cell in nb.cells:
        meta = _meta(cell)
        if meta.get("grade"):
            value = _run(cell.source, ns)
            score = meta["points"] if value is None else value
            assert type(score) in (int, float) and score == meta["points"], meta["grade_id"]
            total += score
    assert total == TOTAL_POINTS
    assert capsys.readouterr().err == ""


def test_stubs_earn_nothing(nb, capsys):
    ns = _namespace(nb, stub=True)
    for cell in nb.cells:
        meta = _meta(cell)
        if not meta.get("grade"):
            continue
        if meta["grade_id"].endswith("_visible"):
            with pytest.raises((AssertionError, NotImplementedError)):
                _run(cell.source, ns)
        else:
            assert _run(cell.source, ns) == 0.0
    assert "NotImplementedError" in capsys.readouterr().out
