"""What the notebook tests share (``tests/test_grading_assignmentNN.py``).

Reading an assignment's source notebook, running its cells in-process (the
setup and solution cells, then the test cells), stubbing the solutions as
nbgrader releases them, and the assertions every assignment's notebook must
pass: nbgrader metadata, a visible and a hidden test cell per exercise, the
solutions earning every point and the stubs none.  Each test file keeps what is
specific to its notebook (counts, totals, pictures, signatures).
"""

import ast
import inspect
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: which cells nbgrader does not know are run before the solutions (imports, given
#: helpers), by assignment: a predicate on the cell's source
SETUP_CELLS = {
    "01-convolution": lambda source: "import" in source or "SOBEL_X =" in source,
    "02-conv-layer": lambda source: "import" in source,
    "03-pooling": lambda source: "import" in source or "def as_pair" in source,
    "04-backprop": lambda source: source.startswith("import"),
    "05-separable": lambda source: "import" in source,
    "06-cnn": lambda source: "import" in source,
}


def notebook_path(assignment: str) -> Path:
    """``solutions/<assignment>/<assignment>.ipynb``."""
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def read_notebook(assignment: str):
    return nbformat.read(notebook_path(assignment), as_version=4)


def meta(cell) -> dict:
    """The cell's nbgrader metadata ({} for a cell nbgrader does not know)."""
    return cell.metadata.get("nbgrader", {})


def cells_by_id(nb) -> dict:
    return {meta(c)["grade_id"]: c for c in nb.cells if meta(c)}


def run_cell(source, namespace):
    """Exec a cell; return the value of its last expression (as IPython displays it)."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, "<cell>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None


def stub(source):
    """What nbgrader releases: the solution replaced by `raise NotImplementedError()`."""
    return re.sub(r"( *)### BEGIN SOLUTION.*?### END SOLUTION",
                  r"\1# YOUR CODE HERE\n\1raise NotImplementedError()", source, flags=re.S)


def namespace(nb, is_setup, stubbed=False) -> dict:
    """Run the setup cells (those nbgrader does not know, chosen by ``is_setup(source)``,
    see :data:`SETUP_CELLS`) and the solution cells (stubbed if asked); return the namespace."""
    ns = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        m = meta(cell)
        if m.get("solution"):
            run_cell(stub(cell.source) if stubbed else cell.source, ns)
        elif not m and is_setup(cell.source):
            run_cell(cell.source, ns)
    return ns


def assert_metadata(nb, n_ids, *, locked=False):
    """Unique grade ids (``n_ids`` of them), schema 3, solution markers, and a
    one-line docstring and positive points on every graded cell (locked, if asked)."""
    ids = [meta(c)["grade_id"] for c in nb.cells if meta(c)]
    assert len(ids) == len(set(ids)) == n_ids
    for cell in nb.cells:
        m = meta(cell)
        if not m:
            continue
        assert m["schema_version"] == 3
        if m["solution"]:
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if m["grade"]:
            first = cell.source.splitlines()[0]
            assert first.startswith('"""') and first.endswith('"""') and len(first) > 10
            assert m["points"] > 0
            if locked:
                assert m["locked"]


def assert_outputs_cleared(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def assert_exercise_cells(nb, name, exercise):
    """The solution cell ``name``, its visible cell calling ``check_<name>(<name>)`` and
    its hidden cell calling it with the cell's points, one point per group of cases.

    Returns ``(visible, hidden)`` for the caller's own assertions.
    """
    by_id = cells_by_id(nb)
    assert meta(by_id[name])["solution"]
    visible, hidden = by_id[f"{name}_visible"], by_id[f"{name}_hidden"]
    assert f"check_{name}({name})" in visible.source
    assert "### BEGIN HIDDEN TESTS" not in visible.source
    assert_visible_cell_names_the_mistake_first(nb, name, visible.source)
    points = meta(hidden)["points"]
    assert f"check_{name}({name}, points={points}, hidden=True)" in hidden.source
    assert re.search(r"### BEGIN HIDDEN TESTS.*check_.*### END HIDDEN TESTS", hidden.source, re.S)
    # one point per group of cases, as the notebook tells the students
    assert points == exercise.default_points == len(exercise.groups)
    return visible, hidden


def assert_visible_cell_names_the_mistake_first(nb, name, source):
    """A visible cell runs its check first (after the docstring and imports), so that a failing
    student first reads the check's named mistake; every assert after it carries a message;
    and it calls no other graded function of the notebook (one function judged per cell)."""
    tree = ast.parse(source)
    body = [s for s in tree.body[1:] if not isinstance(s, (ast.Import, ast.ImportFrom))]
    assert isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant)
    first = body[0]
    assert (isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
            and getattr(first.value.func, "id", None) == f"check_{name}"), (
        f"{name}_visible: the check must come first, got {ast.unparse(first)!r}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            assert node.msg is not None, f"{name}_visible: assert without a message: {ast.unparse(node)}"
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr.startswith("assert_")):
            assert any(k.arg == "err_msg" for k in node.keywords), (
                f"{name}_visible: {node.func.attr} without err_msg: {ast.unparse(node)[:80]}")
    graded = {meta(c)["grade_id"] for c in nb.cells if meta(c).get("solution")}
    called = {n.func.id for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    others = sorted(called & (graded - {name}))
    assert not others, f"{name}_visible also calls the graded {others}: a cell judges one function"


def assert_solutions_earn_every_point(nb, is_setup, signatures, total, capsys):
    """Each solution has its documented signature; every graded cell earns its points."""
    ns = namespace(nb, is_setup)
    for name, signature in signatures.items():
        assert str(inspect.signature(ns[name])) == signature
    earned = 0.0
    for cell in nb.cells:
        m = meta(cell)
        if m.get("grade"):
            value = run_cell(cell.source, ns)
            score = m["points"] if value is None else value
            assert type(score) in (int, float) and score == m["points"], m["grade_id"]
            earned += score
    assert earned == total
    assert capsys.readouterr().err == ""


def assert_stubs_earn_nothing(nb, is_setup, capsys):
    """With the stubs students receive, visible cells raise and hidden cells score 0."""
    ns = namespace(nb, is_setup, stubbed=True)
    for cell in nb.cells:
        m = meta(cell)
        if not m.get("grade"):
            continue
        if m["grade_id"].endswith("_visible"):
            with pytest.raises((AssertionError, NotImplementedError)):
                run_cell(cell.source, ns)
        else:
            assert run_cell(cell.source, ns) == 0.0
    assert "NotImplementedError" in capsys.readouterr().out
