"""The judge and its worker (convcourse/course/judge.py, _judge_worker.py).

Most of these run without bubblewrap: the judge decides the score wherever grading
runs.  The six assignments' solutions and stubs are judged through the sandboxed
worker where bubblewrap works (the unsandboxed one elsewhere); the sandboxed
end-to-end run of the attackers is tests/test_course_redteam.py.
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


def test_judge_sees_the_model_the_kernel_sees_biases_included():
    """build_model: the judge's copy of a model counts and rebuilds its biases as the kernel's
    check does (it once left them out: 10,140 weights and another accuracy than the student saw)."""
    from convcourse.course.judge import _rebuild_model
    from convcourse.grading.cnn import describe_model, rebuild_model
    from convcourse.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential

    model = Sequential(Conv2d(1, 16, 3, padding=1), ReLU(), MaxPool2d(2),
                       Conv2d(16, 32, 3, padding=1, bias=False), ReLU(), MaxPool2d(2),
                       Flatten(), Linear(128, 10))
    arrays = {}
    judged = wire.decode(wire.encode(model, arrays), arrays, resolve_model=_rebuild_model)
    kernel_view, judge_view = describe_model(model), describe_model(judged)
    # 16*9 + 16 biases, 32*16*9 without bias, 128*10 + 10 biases
    assert kernel_view["parameters"] == judge_view["parameters"] == 160 + 4608 + 1290
    copies = [rebuild_model(m, rng=0) for m in (model, judged)]
    for a, b in zip(*(c.layers for c in copies)):
        assert repr(a) == repr(b)
        assert [p.data.tolist() for p in a.parameters()] == [p.data.tolist() for p in b.parameters()]


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
    """``importlib.import_module`` raises no ``import`` audit event: the reference's
    file itself must be refused (it was not, and only the call monitor caught it)."""
    result = _judge(course, "importref")
    assert "import convcourse.arithmetic" in result["refused"]
    assert any(r.startswith("open ") and r.endswith("/convcourse/arithmetic.py")
               for r in result["refused"])
    report = result["verdicts"]["output_size_hidden"].report
    assert "calls convcourse.arithmetic" not in report  # never even loaded
    assert result["verdicts"]["output_size_hidden"].score == 0.0


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


# ------------------------------------------------------------------ the six assignments

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir()
                     if p.is_dir() and any(p.glob("*.ipynb")))
SECRET = "judge-test-secret"


def _worker_sandbox():
    """The judge's workers as grading runs them: sandboxed where bubblewrap works."""
    from convcourse.course.sandbox import POLICY, sandbox_available

    if not sandbox_available():
        return None
    return POLICY.worker()


def _run_source(source: str, namespace: dict):
    """Run a cell as IPython does: its last bare expression is its value."""
    import ast

    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
    return None


def _in_kernel_scores(source_nb, assignment, monkeypatch):
    """Each judged cell's score as the instructor's notebook earns it in a grading kernel.

    The instructor's definitions (and every import) run in this process, then
    each judged test cell runs with the grading environment's seeds.
    """
    import ast

    from convcourse.course.judge import needed_statements
    from convcourse.course._judge_worker import strip_magics

    for name, value in (("CONVCOURSE_SECRET", SECRET), ("CONVCOURSE_STUDENT", "ann"),
                        ("CONVCOURSE_ASSIGNMENT", assignment),
                        ("CONVCOURSE_NOTEBOOK", assignment)):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CONVCOURSE_SEEDS", raising=False)
    cells = judged_cells(source_nb)
    program = student_program(source_nb)
    run = needed_statements(program, {c.exercise for c in cells.values()})
    namespace = {"__name__": "__main__"}
    for ci, (_, source) in enumerate(program):
        for si, node in enumerate(ast.parse(strip_magics(source)).body):
            if isinstance(node, (ast.Import, ast.ImportFrom)) or (ci, si) in run:
                exec(compile(ast.Module([node], type_ignores=[]), "<cell>", "exec"), namespace)
    scores = {}
    for cell in source_nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid not in cells:
            continue
        if cells[gid].hidden:
            scores[gid] = float(_run_source(cell.source, namespace))
        else:
            try:
                _run_source(cell.source, namespace)
                scores[gid] = cells[gid].points
            except AssertionError:
                scores[gid] = 0.0
    return scores


@pytest.fixture(scope="module")
def worker_sandbox():
    return _worker_sandbox()


def _judge_file(source_nb, path, assignment, sandbox):
    import nbformat

    return judge_notebook(source_nb, nbformat.read(path, as_version=4), student="ann",
                          assignment=assignment, notebook=assignment, secret=SECRET,
                          sandbox=sandbox, timeout=30)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_judge_gives_the_solution_full_marks_and_the_stub_nothing(assignment, worker_sandbox,
                                                                      monkeypatch):
    """Every assignment: the instructor's solution notebook, judged as a submission in
    (sandboxed) workers, earns every point, as its own test cells give it in a kernel;
    the released stub earns nothing on any judged cell."""
    import nbformat

    source_nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = judged_cells(source_nb)
    graded = [c for c in source_nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")]
    assert cells and set(cells) == {c.metadata["nbgrader"]["grade_id"] for c in graded}
    assert {c.hidden for c in cells.values()} == {True, False}

    solution = _judge_file(source_nb, ROOT / "solutions" / assignment / f"{assignment}.ipynb",
                           assignment, worker_sandbox)
    judged = {g: (v.score if v.hidden else (v.points if v.passed else 0.0))
              for g, v in solution["verdicts"].items()}
    reports = {g: v.report for g, v in solution["verdicts"].items() if judged[g] != v.points}
    assert judged == {g: c.points for g, c in cells.items()}, reports
    assert not any(v.died for v in solution["verdicts"].values())
    assert solution["refused"] == [] and solution["not_judged"] == []
    assert judged == _in_kernel_scores(source_nb, assignment, monkeypatch)

    stub = _judge_file(source_nb, ROOT / "notebooks" / assignment / f"{assignment}.ipynb",
                       assignment, worker_sandbox)
    assert set(stub["verdicts"]) == set(cells)
    assert {g: v.score for g, v in stub["verdicts"].items() if v.hidden} == {
        g: 0.0 for g, c in cells.items() if c.hidden}
    assert not any(v.passed for v in stub["verdicts"].values())
    assert all("NotImplementedError" in v.report or "not implemented" in v.report.lower()
               for v in stub["verdicts"].values() if v.hidden), \
        {g: v.report[:300] for g, v in stub["verdicts"].items()}


# ------------------------------------------------------------------ what a worker runs

def _kept(program, roots):
    from convcourse.course.judge import needed_statements

    run = needed_statements(program, roots)
    return None if run is None else sorted(run)


@pytest.mark.parametrize("cells, roots, kept", [
    # a helper and a constant the graded function reads, and what they read, are kept;
    # pictures, demos and unrelated imports are not
    (["import numpy as np\nimport matplotlib.pyplot as plt",
      "K = np.ones(3)\nK[0] = 2\nfig = plt.figure()",
      "def helper(x):\n    return x * K\ndef f(x):\n    return helper(x)",
      "demo = f(np.arange(3))\nplt.show()"],
     ["f"], [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)]),
    # a redefinition later in the notebook is kept too, with what it reads
    (["def f(x):\n    return 1", "from math import sqrt\ndef f(x):\n    return sqrt(x)"],
     ["f"], [(0, 0), (1, 0), (1, 1)]),
    # names bound only by a function's ``global`` statement: run everything
    (["def setup():\n    global K\n    K = 3", "setup()\ndef f(x):\n    return K * x"],
     ["f"], None),
    # a name bound nowhere (exec, a magic): run everything
    (["exec('K = 3')", "def f(x):\n    return K"], ["f"], None),
    # builtins need no definition; a star import may define anything and is kept
    (["from numpy import *", "x = 5", "def f(v):\n    return abs(v) + pi"],
     ["f"], [(0, 0), (2, 0)]),
])
def test_needed_statements(cells, roots, kept):
    program = [(f"<ipython-input-{i + 1}>", src) for i, src in enumerate(cells)]
    assert _kept(program, roots) == kept


def test_a_worker_runs_only_what_the_graded_functions_need(course):
    """A statement that the graded functions do not need never runs in the worker
    (here it would kill the worker), and everything they need does."""
    import nbformat
    source, folder = course
    nb = nbformat.read(folder / "honest" / "00-redteam" / "redteam.ipynb", as_version=4)
    nb.cells.insert(1, new_code_cell("import os\nunused = os._exit(7)"))
    result = judge_notebook(source, nb, student="x", assignment="00-redteam", notebook="redteam",
                            secret="s", sandbox=None, timeout=5)
    assert {g: v.score for g, v in result["verdicts"].items() if v.hidden} == {
        "output_size_hidden": 5.0, "correlate2d_valid_hidden": 4.0}
    assert result["workers"] == 2 and result["load_errors"] == []


FRAME_WALK = '''import builtins, os, posixpath, sys
def _spoil(values):
    for _v in list(values):
        for _attr in ("blocked_modules", "blocked_paths", "allowed_read", "monitor_codes"):
            try:
                setattr(_v, _attr, ())
            except Exception:
                pass
        if hasattr(_v, "armed"):
            _v.armed = False
        if isinstance(_v, (list, bytearray)):
            _v.clear()
        for _cell in getattr(_v, "__closure__", None) or ():
            try:
                _cell.cell_contents = ()
            except Exception:
                pass
# every frame up the stack, and the frames of a refusal's traceback
_f = sys._getframe()
while _f is not None:
    _spoil(list(_f.f_locals.values()) + list(_f.f_globals.values()))
    _f = _f.f_back
try:
    import convcourse.arithmetic
except BaseException as _e:
    _tb = _e.__traceback__
    while _tb is not None:
        _spoil(_tb.tb_frame.f_locals.values())
        _spoil(_tb.tb_frame.f_globals.values())
        _tb = _tb.tb_next
# patched builtins and path functions, a lying string
builtins.any = lambda *a, **k: False
os.path.realpath = posixpath.realpath = lambda p, *a, **k: "/nowhere"
os.fsdecode = lambda p: "/nowhere"
class _Name(str):
    def __str__(self):
        return "numpy"
    def startswith(self, *a):
        return False
sys.modules["_convcourse_worker_runner"].Forbidden.match = lambda *a, **k: False
def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    try:
        A = __import__(_Name("convcourse.arithmetic"), fromlist=["x"])
    except BaseException:
        import convcourse.arithmetic as A
    return A.conv_output_size(size, kernel_size, stride, padding, dilation)
'''


LOAD_BY_PATH = '''import importlib.util, sys
def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    folder = sys.modules["convcourse"].__path__[0]
    spec = importlib.util.spec_from_file_location("convcourse._mine", folder + "/arithmetic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.conv_output_size(size, kernel_size, stride, padding, dilation)
'''


def test_the_reference_cannot_be_loaded_from_its_file(course):
    """Regression: the blocked convcourse modules' files were readable in the worker
    (their paths were never computed): a submission could load one under another name."""
    import nbformat
    source, folder = course
    nb = nbformat.read(folder / "honest" / "00-redteam" / "redteam.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "output_size":
            cell.source = LOAD_BY_PATH
    result = judge_notebook(source, nb, student="x", assignment="00-redteam", notebook="redteam",
                            secret="s", sandbox=None, timeout=5)
    assert result["verdicts"]["output_size_hidden"].score == 0.0
    assert any(r.startswith("open ") and r.endswith("arithmetic.py") for r in result["refused"])


def test_walking_up_the_stack_does_not_unlock_the_worker(course):
    """Regression: the guard's rules were attributes of an object in the worker's frames;
    a submission walked up the stack, emptied them and called the reference for full marks.
    Neither the frames (up the stack, or of a refusal's traceback) nor patched builtins,
    path functions or a lying string unlock the reference now."""
    import nbformat
    source, folder = course
    nb = nbformat.read(folder / "honest" / "00-redteam" / "redteam.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "output_size":
            cell.source = FRAME_WALK
    result = judge_notebook(source, nb, student="x", assignment="00-redteam", notebook="redteam",
                            secret="s", sandbox=None, timeout=5)
    assert result["verdicts"]["output_size_hidden"].score == 0.0
    assert not result["verdicts"]["output_size_visible"].passed
    assert "import convcourse.arithmetic" in result["refused"]
    assert result["verdicts"]["correlate2d_valid_hidden"].score == 4.0


def test_verdicts_carry_the_named_mistakes_of_the_check(worker_sandbox):
    """A flipped convolution (the sample class's flipper) is named in the verdicts' declared
    ``mistakes`` field, for the visible and the hidden cell, and nowhere else."""
    import nbformat

    assignment = "01-convolution"
    source_nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    path = ROOT / "examples" / "sample-class" / "submitted" / "flipper" / assignment / f"{assignment}.ipynb"
    verdicts = _judge_file(source_nb, path, assignment, worker_sandbox)["verdicts"]
    named = {g: v.mistakes for g, v in verdicts.items() if v.mistakes}
    assert set(named) == {"convolve2d_valid_visible", "convolve2d_valid_hidden"}, named
    assert all("kernel not flipped" in m for m in named.values()), named
