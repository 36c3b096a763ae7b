"""Tests of convcourse.course.pictures: the instructor's pictures recorded once, shown
by the grading kernels (plain and sandboxed) with the outputs they would have drawn.
"""

import json
import os
import shutil
import types
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from convcourse import _picture_cache as pc
from convcourse.course import autograde, pictures, sandbox
from convcourse.course.autograde import NotebookTask
from convcourse.course.execute import INLINE_BACKEND
from convcourse.course.grade import MIN_NOTEBOOKS_TO_RECORD, prepare_pictures

pytestmark = pytest.mark.slow  # kernels run the notebooks

STATUS = sandbox.sandbox_available()
needs_sandbox = pytest.mark.skipif(not STATUS, reason=f"no sandbox here: {STATUS.reason}")

SOLUTION = {"nbgrader": {"solution": True, "grade": False, "grade_id": "double",
                         "locked": False, "schema_version": 3}}
TEST = {"nbgrader": {"solution": False, "grade": True, "grade_id": "double_test",
                     "points": 1, "locked": True, "schema_version": 3}}


def notebook(factor):
    """An assignment: prose pictures, a picture of the student's function, a test cell
    that draws (as a check could)."""
    return new_notebook(cells=[
        new_code_cell("import numpy as np\nfrom convcourse import viz"),
        new_code_cell("viz.conv_dimensions()"),
        new_code_cell(f"def double(x):\n    return {factor} * x", metadata=SOLUTION),
        new_code_cell("viz.image_grid([double(np.eye(3))], ['doubled'])"),
        new_code_cell("viz.show_animation(viz.animate_conv2d(4, 3))"),
        new_code_cell("viz.sliding_dot_product_1d([7, 7, 7], [1])", metadata=TEST),
    ])


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The instructor's notebook recorded into a fresh picture folder."""
    root = tmp_path_factory.mktemp("pictures")
    source, folder = root / "source", root / "pictures"
    source.mkdir()
    nbformat.write(notebook(2), source / "nb.ipynb")
    first = pictures.record_pictures(source, "nb", "en", folder)
    again = pictures.record_pictures(source, "nb", "en", folder)
    return root, source, folder, first, again


def run(nb, env, km=None):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    client = NotebookClient(nb, km=km, timeout=120, startup_timeout=60, kernel_name="python3")
    client.execute(env={**os.environ, "MPLBACKEND": INLINE_BACKEND, **env}, cleanup_kc=True)
    return nb


def outputs(nb):
    """Each cell's outputs, without what differs between two runs of any player (ids)."""
    found = []
    for cell in nb.cells:
        shown = []
        for out in cell.get("outputs", []):
            data = dict(out.get("data", {}))
            if "text/html" in data:
                data["text/html"] = len(data["text/html"])
            shown.append((out["output_type"], out.get("text"), json.dumps(data, sort_keys=True)))
        found.append(shown)
    return found


def entries(folder):
    return sorted(p.suffix for p in Path(folder).iterdir() if p.is_file())


def test_recording_stores_the_pictures_but_not_the_test_cells(recorded):
    _, _, folder, first, again = recorded
    assert first is True and again is False  # the marker: recorded once
    # conv_dimensions and image_grid (a PNG and its text each), the animation (a marker:
    # its stand-in is made from the key) and its player; not the test cell's picture
    assert entries(folder) == [".animation", ".b64", ".b64", ".html", ".txt", ".txt"]
    assert len(list((folder / "recorded").glob("*.lock"))) == 1


def test_the_kernel_shows_what_it_would_have_drawn(recorded):
    _, _, folder, _, _ = recorded
    before = sorted(p.name for p in folder.iterdir())
    for factor in (2, 3):  # the instructor's answer (all stored), a wrong one (drawn)
        drawn = run(notebook(factor), {})
        shown = run(notebook(factor), {pc.PICTURES_VAR: str(folder)})
        assert outputs(shown) == outputs(drawn)
        assert all("image/png" in cell.outputs[0]["data"] for cell in shown.cells[1:4:2])
        # no warning of an animation that was never drawn, nothing on stderr
        assert not [o for c in shown.cells for o in c.outputs if o.get("name") == "stderr"]
    assert sorted(p.name for p in folder.iterdir()) == before  # reading writes nothing


def test_the_kernel_shows_the_stored_picture_not_a_drawn_one(recorded, tmp_path):
    _, _, folder, _, _ = recorded
    marked = tmp_path / "marked"
    shutil.copytree(folder, marked)
    for path in marked.glob("*.b64"):
        path.write_text("TUFSS0VE\n")  # base64 of b"MARKED"
    for path in marked.glob("*.html"):
        path.write_text("<p>stored player</p>")
    right = run(notebook(2), {pc.PICTURES_VAR: str(marked)})
    wrong = run(notebook(3), {pc.PICTURES_VAR: str(marked)})
    pngs = [[o["data"].get("image/png") for o in c.get("outputs", []) if "data" in o]
            for c in right.cells]
    assert pngs[1] == pngs[3] == ["TUFSS0VE\n"]
    assert right.cells[4].outputs[0]["data"]["text/html"] == "<p>stored player</p>"
    assert wrong.cells[1].outputs[0]["data"]["image/png"] == "TUFSS0VE\n"
    assert wrong.cells[3].outputs[0]["data"]["image/png"] not in ("TUFSS0VE\n", None)


def test_a_kernel_whose_pictures_are_all_stored_never_imports_pyplot(recorded):
    """pyplot is half a second of every kernel: the picture modules import it when they
    draw (viz._draw.lazy_module), and looking a picture up does not."""
    _, _, folder, _, _ = recorded
    probe = new_code_cell("import sys\nprint(sorted(m for m in sys.modules if m in "
                          "('matplotlib.pyplot', 'matplotlib_inline.backend_inline')))")
    for factor, env, imported in [
            (2, {pc.PICTURES_VAR: str(folder)}, "[]"),  # the instructor's answer: stored
            (3, {pc.PICTURES_VAR: str(folder)}, "['matplotlib.pyplot', "
                                                "'matplotlib_inline.backend_inline']"),
            (2, {}, "['matplotlib.pyplot', 'matplotlib_inline.backend_inline']")]:
        nb = notebook(factor)
        nb.cells = nb.cells[:4] + [probe]  # the pictures, not the animation or the test
        shown = run(nb, env)
        assert shown.cells[-1].outputs[0]["text"].strip() == imported, (factor, env)
        assert "image/png" in shown.cells[3].outputs[0]["data"]


def test_the_key_is_the_same_before_and_after_pyplot_is_imported():
    """The key of a call looked up before anything drew (no pyplot, the inline backend not
    active yet) is the key of the same call after a figure was drawn, and it follows the
    inline backend's settings even when they are configured before it is active."""
    settings = ("from convcourse._picture_cache import picture_key as key\n"
                "from convcourse.viz import conv_dimensions as f\n")
    nb = new_notebook(cells=[
        new_code_cell(settings + "before = key(f, (), {})"),
        new_code_cell("import matplotlib.pyplot as plt\nplt.close(plt.figure())\n"
                      "print(before == key(f, (), {}))"),
        new_code_cell("%config InlineBackend.figure_formats = ['svg']\n"
                      "print(before == key(f, (), {}))"),
    ])
    configured = new_notebook(cells=[
        new_code_cell("%config InlineBackend.figure_formats = ['svg']\n"
                      + settings + "early = key(f, (), {})"),
        new_code_cell("import matplotlib.pyplot as plt\nplt.close(plt.figure())\n"
                      "print(early == key(f, (), {}))"),
    ])
    ran, early = run(nb, {}), run(configured, {})
    assert [c.outputs[0]["text"].strip() for c in ran.cells[1:]] == ["True", "False"]
    assert early.cells[1].outputs[0]["text"].strip() == "True"


@needs_sandbox
def test_a_sandboxed_kernel_reads_the_folder_and_cannot_write_it(recorded, tmp_path):
    _, source, folder, _, _ = recorded
    task = types.SimpleNamespace(sandboxed=True, uid=64500, pictures=str(folder))
    kernel_config, _ = autograde._sandbox_configs(task)
    assert (str(folder), pictures.SANDBOX_PICTURES) in kernel_config.views
    nb = notebook(2)
    nb.cells.append(new_code_cell(
        "import os\ntry:\n"
        f"    open(os.path.join(os.environ['{pc.PICTURES_VAR}'], 'x.png'), 'w')\n"
        "except OSError as exc:\n    print(type(exc).__name__)"))
    km = sandbox.SandboxedKernelManager(sandbox_config=kernel_config, workdir=str(tmp_path))
    shown = run(nb, {}, km=km)
    drawn = run(notebook(2), {})
    assert outputs(shown)[:-1] == outputs(drawn)
    assert "".join(shown.cells[-1].outputs[0]["text"]) in ("PermissionError\n", "OSError\n")
    assert not (folder / "x.png").exists()


def test_only_sandboxed_kernels_get_the_folder(tmp_path):
    task = NotebookTask(student="a", assignment="01", notebook="nb", lang="en",
                        submitted=b"{}", source=(), seeds="", timeout=30, sandboxed=True,
                        uid=64500, pictures=str(tmp_path))
    kernel, worker = autograde._sandbox_configs(task)
    assert dict(kernel.env)[pc.PICTURES_VAR] == pictures.SANDBOX_PICTURES
    assert kernel.views == ((str(tmp_path), pictures.SANDBOX_PICTURES),)
    assert worker.views == () and pc.PICTURES_VAR not in dict(worker.env)
    kernel, _ = autograde._sandbox_configs(NotebookTask(**{**task.__dict__, "pictures": ""}))
    assert pc.PICTURES_VAR not in dict(kernel.env) and kernel.views == ()
    # the grader's own variables never reach a kernel, sandboxed or not
    env = autograde._task_env(task)
    assert env[pc.PICTURES_VAR] is None and env[pc.RECORD_VAR] is None
    said = []
    unsandboxed = NotebookTask(**{**task.__dict__, "sandboxed": False, "pictures": ""})
    run_ = types.SimpleNamespace(tasks=[unsandboxed], out=tmp_path, timeout=30, jobs=1,
                                 sandboxed=False, echo=said.append)
    prepare_pictures(run_, tmp_path / "pictures")
    assert run_.tasks[0].pictures == "" and not (tmp_path / "pictures").exists() and said == []


def test_a_notebook_that_cannot_be_recorded_is_drawn_in_every_kernel(tmp_path, monkeypatch):
    said = []
    task = NotebookTask(student="a", assignment="01", notebook="nb", lang="en",
                        submitted=b"{}", source=(), seeds="", timeout=30, sandboxed=True,
                        uid=64500)
    run_ = types.SimpleNamespace(tasks=[task], out=tmp_path, timeout=30, jobs=2, sandboxed=True,
                                 echo=said.append)
    prepare_pictures(run_, tmp_path / "pictures")  # no source notebook there
    assert len(said) == 1 and "01/nb (en) were not recorded (FileNotFoundError" in said[0]
    assert "every kernel draws them" in said[0]
    assert run_.tasks[0].pictures == ""


def test_a_run_records_a_notebook_only_for_enough_submissions(tmp_path, recorded):
    _, _, done, _, _ = recorded
    source = tmp_path / "source" / "01"
    source.mkdir(parents=True)
    nbformat.write(notebook(5), source / "nb.ipynb")
    said = []

    def prepared(n, folder):
        task = NotebookTask(student="a", assignment="01", notebook="nb", lang="en",
                            submitted=b"{}", source=(), seeds="", timeout=30, sandboxed=True,
                            uid=64500)
        run_ = types.SimpleNamespace(tasks=[task] * n, out=tmp_path, timeout=30, jobs=1,
                                     sandboxed=True, echo=said.append)
        prepare_pictures(run_, folder)
        return run_

    few = MIN_NOTEBOOKS_TO_RECORD - 1
    assert prepared(few, tmp_path / "new").tasks[0].pictures == "" and said == []
    # a folder recorded before is used even for one submission
    assert prepared(1, done).tasks[0].pictures == str(done) and said == []
    run_ = prepared(MIN_NOTEBOOKS_TO_RECORD, tmp_path / "new")
    assert [t.pictures for t in run_.tasks] == [str(tmp_path / "new")] * MIN_NOTEBOOKS_TO_RECORD
    assert len(said) == 1 and said[0].startswith("recorded the pictures of 01/nb (en) in ")
    assert prepared(1, tmp_path / "new").tasks[0].pictures == str(tmp_path / "new")
    assert len(said) == 1


def training_notebook():
    """A notebook that trains a small model with fit, and says whether a training step ran
    (a probe around the loss fit calls at each step)."""
    return new_notebook(cells=[
        new_code_cell("import numpy as np\nimport convcourse.nn.train as T\n"
                      "from convcourse.nn.train import fit, make_cnn\n"
                      "steps = []\nloss = T.softmax_cross_entropy\n"
                      "T.softmax_cross_entropy = lambda *a: (steps.append(1), loss(*a))[1]"),
        new_code_cell("rng = np.random.default_rng(0)\nx = rng.standard_normal((40, 1, 4, 4))\n"
                      "y = (x[:, 0, 0, 0] > 0).astype(int)\n"
                      "model = make_cnn(image_size=4, channels=(4,), num_classes=2, rng=0)\n"
                      "history = fit(model, x, y, epochs=3, batch_size=8, lr=1e-2)\n"
                      "print([float(h).hex() for h in history])\n"
                      "print(model[0].weight.data.tobytes().hex())\n"
                      "print(model[-1].bias.grad.tobytes().hex())"),
        new_code_cell("print(len(steps) > 0)"),
    ])


@needs_sandbox
def test_a_sandboxed_kernel_replays_the_recorded_training(tmp_path):
    """fit in a grading kernel takes the run the grader recorded (convcourse.nn._replay):
    the same history, weights and gradients as training, and no training step."""
    source, folder = tmp_path / "source", tmp_path / "pictures"
    source.mkdir()
    nbformat.write(training_notebook(), source / "nb.ipynb")
    assert pictures.record_pictures(source, "nb", "en", folder)
    assert len(list(folder.glob("*.training.npz"))) == 1
    task = types.SimpleNamespace(sandboxed=True, uid=64500, pictures=str(folder))
    kernel_config, _ = autograde._sandbox_configs(task)
    km = sandbox.SandboxedKernelManager(sandbox_config=kernel_config, workdir=str(tmp_path))
    replayed = run(training_notebook(), {}, km=km)
    # trained as the recording was: one BLAS thread
    one_thread = dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"), "1")
    trained = run(training_notebook(), one_thread)
    assert outputs(replayed)[1] == outputs(trained)[1]
    assert [o["text"] for o in replayed.cells[2].outputs] == ["False\n"]
    assert [o["text"] for o in trained.cells[2].outputs] == ["True\n"]


def test_the_recording_kernel_computes_as_a_sandboxed_kernel(monkeypatch, tmp_path):
    """The variables that decide numpy's arithmetic (a recorded training run is keyed by
    them) are a sandboxed kernel's in the recording kernel, whatever the grader's are."""
    from convcourse.nn._replay import NUMERIC_VARS

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    env = pictures._recording_env(tmp_path, "en", str(tmp_path))
    kernel_config, _ = sandbox.POLICY.task_configs(64500)
    sandboxed = sandbox._environment(kernel_config, dict(os.environ))
    assert {n: env.get(n) for n in NUMERIC_VARS} == {n: sandboxed.get(n) for n in NUMERIC_VARS}
    assert "OPENBLAS_CORETYPE" not in env and env["OMP_NUM_THREADS"] == "1"
