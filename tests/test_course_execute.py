"""The robust executor on a real kernel (convcourse/course/execute.py)."""

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from convcourse.course import execute
from convcourse.course.config import ALLOW_PLAIN_NBGRADER, PUBLIC_SECRET
from convcourse.course.execute import (CELL_TIMEOUT, KERNEL_DIED, CellClock, QuietOverwriteCells,
                                       RobustExecute, is_test_cell)

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


class FakeKernel:
    """A clock and a CPU counter moved by hand: a cell's life, second by second."""

    def __init__(self, cpu=0.0):
        self.t, self.used = 0.0, cpu

    def run(self, seconds, cpu_share):
        self.t += seconds
        self.used += seconds * cpu_share

    def clock(self, cpu_limit=5, wall_limit=100, readable=True):
        clock = CellClock(lambda: self.used if readable else None, cpu_limit=cpu_limit,
                          wall_limit=wall_limit, now=lambda: self.t)
        clock.start()
        return clock


def test_a_starved_cell_is_not_stopped_by_the_clock():
    # a busy machine: the cell gets a tenth of a CPU; 40 s on the clock are 4 s of CPU
    kernel = FakeKernel(cpu=12.0)  # what the kernel used before this cell does not count
    clock = kernel.clock(cpu_limit=5)
    for _ in range(80):
        kernel.run(0.5, cpu_share=0.1)
        assert clock.over_limit() == ""
    kernel.run(10, cpu_share=0.1)  # 5 s of CPU
    assert clock.over_limit() == "used more than 5 s of CPU time"


def test_a_sleeping_cell_is_stopped_after_as_many_idle_seconds():
    kernel = FakeKernel()
    clock = kernel.clock(cpu_limit=5)
    kernel.run(0.5, cpu_share=1.0)  # some work, then it sleeps
    assert clock.over_limit() == ""
    reasons = []
    for _ in range(10):
        kernel.run(0.5, cpu_share=0.0)
        reasons.append(clock.over_limit())
    assert reasons[:9] == [""] * 9  # 4.5 s idle: not yet
    assert reasons[9] == "was idle (sleeping or waiting) for more than 5 s"


def test_the_wall_limit_and_an_unreadable_kernel_fall_back_to_the_clock():
    kernel = FakeKernel()
    clock = kernel.clock(cpu_limit=5, wall_limit=30)
    kernel.run(30, cpu_share=0.1)
    assert clock.over_limit() == "ran for more than 30 s"
    kernel = FakeKernel()
    clock = kernel.clock(cpu_limit=5, readable=False)
    kernel.run(4.9, cpu_share=1.0)
    assert clock.over_limit() == ""
    kernel.run(0.2, cpu_share=1.0)
    assert clock.over_limit() == "ran for more than 5 s"


def test_the_cpu_of_children_that_already_exited_is_counted():
    # a parent that runs short CPU-bound children one after another, as a cell calling
    # subprocesses does: once they exit, their time must still count (else: "idle")
    import subprocess
    import sys
    burn = "import time; t = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time\n"
                               f"for _ in range(3): subprocess.run([sys.executable, '-c', {burn!r}])\n"
                               "print('done', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "done"
        # only the parent is alive now, and it used little CPU itself
        assert execute._process_tree_cpu(parent.pid) >= 0.85
    finally:
        parent.kill()
        parent.wait()


# busy for 0.1 s of the kernel's CPU, then asleep for 0.25 s, ten times: 1 s of CPU and
# at least 3.5 s on the clock (more on a loaded machine)
SLOW_ON_THE_CLOCK = """\
import time
for _ in range(10):
    start = time.process_time()
    while time.process_time() - start < 0.1:
        pass
    time.sleep(0.25)
print('finished')
"""


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
        new_code_cell(SLOW_ON_THE_CLOCK, metadata=TEST),
        new_code_cell("import time\ntime.sleep(600)", metadata=TEST),
    ]
    nb = new_notebook(cells=cells)
    resources = {"metadata": {"path": str(tmp_path)},
                 "nbgrader": {"student": "ann", "assignment": "a1", "notebook": "nb1"}}
    pre = RobustExecute(timeout=2, max_output_chars=1000, graded_by_convcourse=True)
    nb, _ = pre.preprocess(nb, resources)
    died, after, flood, loop, warn, last, slow, sleeps = nb.cells[1:]
    assert errors(died) == [KERNEL_DIED]
    assert stream(after).strip() == "ann/test-secret"  # definitions re-run after the restart
    text = stream(flood)
    assert text.startswith("head") and text.rstrip().endswith("tail")
    assert len(text) < 1300 and "dropped" in text
    assert CELL_TIMEOUT in errors(loop)
    assert "used more than 2 s of CPU time" in loop.outputs[-1].evalue
    assert "careful" in stream(warn) and stream(warn, "stderr") == ""
    assert stream(last).strip() == "still ann/test-secret"
    # the limit is CPU time: a cell longer than 2 s on the clock but with 1 s of CPU finishes
    assert errors(slow) == [] and stream(slow).strip() == "finished"
    assert CELL_TIMEOUT in errors(sleeps) and "idle" in sleeps.outputs[-1].evalue


def test_plain_nbgrader_is_refused_before_any_kernel_starts(monkeypatch):
    monkeypatch.delenv(ALLOW_PLAIN_NBGRADER, raising=False)
    nb = new_notebook(cells=[new_code_cell("open('/tmp/should-not-run', 'w')")])
    with pytest.raises(RuntimeError, match="refusing to autograde.*convcourse grade"):
        RobustExecute().preprocess(nb, {"metadata": {"path": "."}})


@pytest.mark.parametrize("secret, warned", [(None, True), (PUBLIC_SECRET, True), ("s3cret", False)])
def test_the_public_secret_is_announced_on_stderr(monkeypatch, capsys, secret, warned):
    monkeypatch.setattr(execute, "_WARNED", [False])
    if secret is None:
        monkeypatch.delenv("CONVCOURSE_SECRET", raising=False)
    else:
        monkeypatch.setenv("CONVCOURSE_SECRET", secret)
    RobustExecute(allow_plain_nbgrader=True)._check_route()
    assert ("public demo secret" in capsys.readouterr().err) is warned
    # convcourse grade warns on its own terminal: its kernels stay quiet
    RobustExecute(graded_by_convcourse=True)._check_route()
    assert capsys.readouterr().err == ""


HIDDEN = "check(f)\n### BEGIN HIDDEN TESTS\ncheck(f, hidden=True)\n### END HIDDEN TESTS\n"


@pytest.mark.parametrize("submitted, warns", [
    ("check(f)\n", False),                  # the released cell: only the hidden tests differ
    ("print('full marks')\n", True),        # a student edited the locked cell
])
def test_overwrite_cells_warns_only_about_real_changes(monkeypatch, caplog, submitted, warns):
    from nbgrader.preprocessors import OverwriteCells

    def overwrite(self, cell, resources, index):  # what nbgrader does with a locked test cell
        self.report_change("t_hidden", "checksum", "abc", "def")
        cell.source = HIDDEN
        return cell, resources

    monkeypatch.setattr(OverwriteCells, "preprocess_cell", overwrite)
    import logging

    pre = QuietOverwriteCells()
    with caplog.at_level(logging.DEBUG, logger=pre.log.name):
        cell, _ = pre.preprocess_cell(new_code_cell(submitted, metadata=TEST), {}, 0)
    assert cell.source == HIDDEN
    assert ("has changed!" in caplog.text) is warns


GOOD = {"grade": True, "grade_id": "a", "locked": False, "points": 2, "schema_version": 3,
        "solution": True}


@pytest.mark.parametrize("metadata", [
    GOOD, {**GOOD, "points": "two"}, {**GOOD, "grade": "yes"}, {**GOOD, "points": -1},
    {k: v for k, v in GOOD.items() if k != "grade_id"}, {**GOOD, "grade_id": ""},
    {**GOOD, "grade_id": "a b"}, {**GOOD, "extra": 1}, {"schema_version": 3},
    {**GOOD, "schema_version": 1}, {**GOOD, "schema_version": 9}, {**GOOD, "cell_type": 3},
])
def test_metadata_checked_with_the_schema_built_once_fails_as_nbgraders_check(metadata, caplog):
    """CheckCellMetadataOnce passes and fails exactly where nbgrader's CheckCellMetadata
    does, with the same errors; the second cell is a duplicate when the first is GOOD."""
    import copy

    from nbgrader.nbgraderformat import MetadataValidator
    from nbgrader.preprocessors import CheckCellMetadata

    from convcourse.course.execute import CheckCellMetadataOnce, FastMetadataValidator

    def outcome(check):
        nb = new_notebook(cells=[
            new_code_cell("x", metadata={"nbgrader": copy.deepcopy(metadata)}),
            new_code_cell("y", metadata={"nbgrader": {**GOOD, "grade_id": "b"}}),
            new_code_cell("z", metadata={"nbgrader": {**GOOD, "grade_id": "a"}})])
        try:
            check(nb)
            return "passed"
        except Exception as exc:  # noqa: BLE001 - compared, whatever it is
            return f"{type(exc).__name__}: {exc}"

    theirs = outcome(lambda nb: MetadataValidator().validate_nb(nb))
    assert outcome(lambda nb: FastMetadataValidator().validate_nb(nb)) == theirs
    assert outcome(lambda nb: FastMetadataValidator().validate_nb(nb)) == theirs  # built: the same
    assert theirs != "passed"  # every case is wrong somewhere (GOOD's grade id comes twice)
    with caplog.at_level("ERROR"):
        assert (outcome(lambda nb: CheckCellMetadataOnce().preprocess(nb, {}))
                == outcome(lambda nb: CheckCellMetadata().preprocess(nb, {})))


def test_a_valid_notebook_passes_the_metadata_check_built_once():
    from convcourse.course.execute import CheckCellMetadataOnce

    nb = new_notebook(cells=[new_code_cell("x", metadata={"nbgrader": GOOD}),
                             new_code_cell("y", metadata={"nbgrader": {**GOOD, "grade_id": "b"}}),
                             new_code_cell("no nbgrader metadata")])
    assert CheckCellMetadataOnce().preprocess(nb, {"r": 1}) == (nb, {"r": 1})


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
    nb, _ = RobustExecute(timeout=60, graded_by_convcourse=True).preprocess(nb, resources)
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
    pre = RobustExecute(timeout=20, max_display_bytes=2500, max_notebook_display_bytes=3500,
                        graded_by_convcourse=True)
    nb, _ = pre.preprocess(nb, resources)
    shown = [[o.data["text/plain"] for o in c.outputs if o.output_type == "display_data"]
             for c in nb.cells]
    assert shown[0] == ["a" * 1000, "[an output of 3000 bytes was dropped: more than this "
                                    "cell's 2500 bytes of pictures and displays]"]
    assert shown[1] == ["c" * 1500]  # 2500 of the notebook's 3500 used ...
    assert "dropped: more than the notebook's" in shown[2][0]  # ... 1200 more is too much
    assert shown[3] == ["f" * 900]  # what was dropped does not count


def test_the_kernel_is_killed_after_the_last_cell_not_asked_to_exit(tmp_path):
    """Every output is in once the last cell has replied; a graceful exit only cost time
    (0.3 to 0.5 s a notebook; up to 5 s for hooks that stall), so the kernel is killed:
    the notebook's atexit hooks never run, and its outputs are all kept."""
    cells = [new_code_cell("import atexit, pathlib\n"
                           "atexit.register(pathlib.Path('ran-at-exit').write_text, 'yes')"),
             new_code_cell("print('last cell')")]
    nb = new_notebook(cells=cells)
    resources = {"metadata": {"path": str(tmp_path)},
                 "nbgrader": {"student": "ann", "assignment": "a1", "notebook": "nb1"}}
    nb, _ = RobustExecute(timeout=60, graded_by_convcourse=True).preprocess(nb, resources)
    assert stream(nb.cells[1]) == "last cell\n"
    assert not (tmp_path / "ran-at-exit").exists()
