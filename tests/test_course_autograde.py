"""One notebook graded as a pure task (convcourse/course/autograde.py, issue 11).

The task is what a process of the pool or a Dask worker on another machine gets, so
it is held to its contract here: its inputs are data and plain settings (it crosses
a process boundary by pickle), with seeds instead of the course secret; its result
is plain data, its files travel as data; it writes only under its own scratch
folder, and it never opens the class's gradebook.
"""

import dataclasses
import multiprocessing
import pickle
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import nbformat

from convcourse.course.autograde import (NotebookResult, NotebookTask, grade_notebook,
                                         pack_files, unpack_files)
from convcourse.course.grade import (collect_submissions, grade_locally, prepare_source,
                                     start_run, write_outputs)
from convcourse.course.judge import notebook_seeds

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import faulty_class  # noqa: E402


def snapshot(folder: Path, skip: Path) -> dict:
    """Every file under ``folder`` but those under ``skip``: its bytes."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and skip not in p.parents}


SECRET = "a-course-secret-only-the-grader-knows"


def prepare(tmp, secret_file=None, students=("good", "partial")):
    """A run over some students of the faulty class, prepared up to its tasks."""
    course = tmp / "course"
    shutil.copytree(FIXTURES / "course", course)
    faulty_class.build(course / "notebooks" / "00-fixture" / "fixture.ipynb", tmp / "class")
    for folder in (tmp / "class").iterdir():
        if folder.name not in students:
            shutil.rmtree(folder)
    run = start_run(tmp / "class", output=tmp / "out", jobs=1, db_url=None, timeout=5,
                    secret_file=secret_file, demo=secret_file is None, course=course,
                    echo=lambda *a: None, sandbox=None, judge=True, max_notebook_bytes=2**20)
    prepare_source(run)
    collect_submissions(run, tmp / "class")
    return run


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A run over two students of the faulty class, prepared up to its tasks."""
    return prepare(tmp_path_factory.mktemp("autograde"))


def test_a_task_is_data_and_plain_settings(prepared):
    task = prepared.tasks[0]
    assert pickle.loads(pickle.dumps(task)) == task
    for f in dataclasses.fields(NotebookTask):
        assert type(getattr(task, f.name)) in (str, int, bool, bytes, tuple), f.name
    assert [(t.student, t.notebook) for t in prepared.tasks] == [("good", "fixture"),
                                                                ("partial", "fixture")]
    # the notebook as normalised into the output folder, the assignment's source folder
    out = prepared.out
    submitted = out / "submitted" / "good" / "00-fixture" / "fixture.ipynb"
    assert task.submitted == submitted.read_bytes()
    assert task.source == (("fixture.ipynb",
                            (out / "source" / "00-fixture" / "fixture.ipynb").read_bytes()),)
    # two uids per task: the kernel's and its judge workers'
    assert prepared.tasks[1].uid == prepared.tasks[0].uid + 2


def test_no_task_holds_the_course_secret_only_seeds_derived_from_it(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    run = prepare(tmp_path, secret_file=secret_file)
    assert run.secret == SECRET and len(run.tasks) == 2
    for task in run.tasks:
        shipped = pickle.dumps(task) + run.template_db.read_bytes()
        for form in (SECRET.encode(), SECRET.encode("utf-16-le"), SECRET[::-1].encode()):
            assert form not in shipped
        nb = nbformat.reads(task.submitted.decode(), as_version=4)
        assert task.seeds == notebook_seeds(nb, SECRET, task.student, task.assignment,
                                            task.notebook)
        assert task.seeds != notebook_seeds(nb, "another secret", task.student,
                                            task.assignment, task.notebook)
    # two students, two sets of seeds
    assert run.tasks[0].seeds != run.tasks[1].seeds


def test_files_travel_as_data_and_never_leave_their_folder(tmp_path):
    made = tmp_path / "worker"
    (made / "ag" / "sub").mkdir(parents=True)
    (made / "fb").mkdir()
    (made / "ag" / "nb.ipynb").write_bytes(b"{}")
    (made / "ag" / "sub" / "picture.png").write_bytes(bytes(range(256)))
    (made / "fb" / "nb.html").write_text("<p>feedback</p>")
    (tmp_path / "outside.txt").write_text("the worker's own file")
    (made / "ag" / "link.txt").symlink_to(tmp_path / "outside.txt")
    (made / "log").write_text("graded\n")
    res = NotebookResult("ann", "a1", "nb", autograded=str(made / "ag"),
                         feedback=str(made / "fb"), log=str(made / "log"))
    packed = pickle.loads(pickle.dumps(pack_files(res)))
    assert set(packed["autograded"]) == {"nb.ipynb", "sub/picture.png"}  # no symlink followed
    here = tmp_path / "client" / "scratch"
    unpack_files(res, packed, here)
    assert Path(res.autograded) == here / "autograded" / "ann" / "a1"
    assert (Path(res.autograded) / "sub" / "picture.png").read_bytes() == bytes(range(256))
    assert (Path(res.feedback) / "nb.html").read_text() == "<p>feedback</p>"
    assert Path(res.log).read_text() == "graded\n"
    for bad in ("../../escaped.txt", "/tmp/absolute.txt"):
        with pytest.raises(ValueError, match="leaves its folder"):
            unpack_files(res, {"feedback": {bad: b"x"}}, here)
    assert not (tmp_path / "client" / "escaped.txt").exists()


@pytest.mark.slow
def test_a_task_in_another_process_writes_only_its_scratch_and_returns_plain_data(prepared):
    out, task = prepared.out, prepared.tasks[0]
    scratch = prepared.scratch(task.student, task.assignment, task.notebook)
    before = snapshot(out, skip=out / "scratch")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(grade_notebook, task, str(scratch),
                             prepared.template_db.read_bytes()).result()
    assert isinstance(result, NotebookResult) and result.ok, result.error
    assert snapshot(out, skip=out / "scratch") == before
    assert not (out / "gradebook.db").exists()  # the class's gradebook: written by write_outputs only
    assert pickle.loads(pickle.dumps(result)) == result
    assert result.grades == {"add-visible": 1.0, "add-hidden": 2.0, "square-visible": 1.0,
                             "square-hidden": 2.0}
    for path in (result.autograded, result.feedback, result.log):
        assert scratch in Path(path).parents
    assert (Path(result.feedback) / "fixture.html").is_file()
    assert set(result.judged["cells"]) <= set(result.grades)


def _process_state() -> dict:
    """What a pool process has done before its first notebook (run in that process)."""
    import sqlalchemy

    from convcourse.course import sandbox

    return {"modules": sorted(m for m in ("nbgrader.converters", "nbclient", "nbconvert",
                                          "jupyter_client.kernelspec", "pygments.lexers.python")
                              if m in sys.modules),
            "mappers configured": ("nbgrader.api" in sys.modules and sqlalchemy.inspect(
                sys.modules["nbgrader.api"].Student).configured),
            "sandbox probed": sandbox._probe.cache_info().currsize > 0,
            "rfc3987_syntax": sys.modules.get("rfc3987_syntax", "never imported")}


def test_a_pool_process_is_warm_before_its_first_notebook(prepared, monkeypatch, tmp_path):
    from convcourse.course.grade import start_pool
    from convcourse.course.sandbox import sandbox_available

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with start_pool(prepared, 1) as pool:
        state = pool.submit(_process_state).result()
    assert state["modules"] == ["jupyter_client.kernelspec", "nbclient", "nbconvert",
                                "nbgrader.converters", "pygments.lexers.python"]
    assert state["mappers configured"] is True
    assert state["sandbox probed"] is bool(sandbox_available())
    assert state["rfc3987_syntax"] in (None, "never imported")
    # the feedback page's templates, compiled and kept for the next process
    assert any((tmp_path / "cache" / "convcourse" / "templates").iterdir())


def test_warming_up_goes_on_past_a_step_that_fails(monkeypatch):
    from convcourse.course import autograde

    done = []

    def fails():
        raise OSError("no cache folder")

    monkeypatch.setattr(autograde, "_warm_nbgrader", fails)
    monkeypatch.setattr(autograde, "_warm_kernel_start", lambda: done.append("kernel"))
    monkeypatch.setattr(autograde, "_warm_feedback", lambda: done.append("feedback"))
    assert autograde.warm_up() is None
    assert done == ["kernel", "feedback"]


def test_grading_processes_skip_the_grammar_jsonschema_would_compile():
    """rfc3987_syntax compiles a grammar as it is imported (2.8 s): the course's tooling
    does without it, and nbformat still validates; a process that imported jsonschema
    first keeps it."""
    import importlib.util
    import subprocess
    import textwrap

    probe = textwrap.dedent("""
        import sys, convcourse.course.autograde, nbformat, jsonschema
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
        nb.cells[0].source = 7
        for check in (lambda: nbformat.validate(nb),
                      lambda: jsonschema.validate(7, {"type": "string"})):
            try:
                check()
            except jsonschema.ValidationError:
                print("invalid", end=" ")
        print(sys.modules.get("rfc3987_syntax", "never imported"))
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out in ("invalid invalid None\n", "invalid invalid never imported\n")
    if importlib.util.find_spec("rfc3987_syntax") is None:
        return
    first = ("import sys, jsonschema, convcourse.course; "
             "print(sys.modules.get('rfc3987_syntax') is not None)")
    assert subprocess.run([sys.executable, "-c", first], capture_output=True, text=True,
                          check=True).stdout == "True\n"


@pytest.mark.slow
def test_the_outputs_phase_merges_the_results_in_a_fixed_order(prepared):
    """Results arrive in any order; the gradebook and the tables do not depend on it."""
    results = grade_locally(prepared)
    result = write_outputs(prepared, list(reversed(results)))
    scores = {r["student_id"]: r["score"] for r in result["grades"]}
    assert scores == {"good": 6.0, "partial": 5.5}
    assert not any((prepared.out / "scratch").glob("*--*"))  # every task's scratch placed and gone
    assert (prepared.out / "feedback" / "partial" / "00-fixture" / "fixture.html").is_file()
    assert (prepared.out / "judge" / "partial--00-fixture.json").is_file()


@pytest.mark.parametrize("kernel_ok", [True, False])
def test_the_judge_runs_beside_the_kernel_and_is_applied_after_it(tmp_path, monkeypatch,
                                                                   kernel_ok):
    import threading

    from convcourse.course import autograde

    events, judge_started = [], threading.Event()

    def kernel(task, config, log, result):
        # the judge works while the kernel runs (on the old code it started after)
        assert judge_started.wait(10), "the judge had not started while the kernel ran"
        events.append("kernel")
        if not kernel_ok:
            result.failed("autograde", "autograde failed: the kernel died")

    def judge(task, scratch, worker_config, log):
        judge_started.set()
        events.append(("judge", threading.current_thread() is not threading.main_thread()))
        return {"verdicts": {}}

    monkeypatch.setattr(autograde, "_autograde", kernel)
    monkeypatch.setattr(autograde, "_run_judge", judge)
    monkeypatch.setattr(autograde, "_apply_judge", lambda *a: events.append("apply") or {"a": 1})
    monkeypatch.setattr(autograde, "_feedback", lambda *a: events.append("feedback"))
    monkeypatch.setattr(autograde, "_scratch_rows", lambda *a: ({}, {}))
    task = NotebookTask(student="s", assignment="01", notebook="nb", lang="en",
                        submitted=b"{}", source=(), seeds="", timeout=30, sandboxed=False,
                        uid=64500)
    result = grade_notebook(task, tmp_path / "scratch", b"")
    if kernel_ok:
        assert events == [("judge", True), "kernel", "apply", "feedback"]
        assert result.ok and result.judged == {"a": 1}
    else:  # the judge's verdicts on a notebook the kernel could not run are discarded
        assert events == [("judge", True), "kernel", "feedback"]
        assert not result.ok and result.stage == "autograde" and result.judged is None
