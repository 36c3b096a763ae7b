"""One notebook graded as a pure task (convcourse/course/autograde.py, issue 11).

The task is what a later cluster backend sends to another machine, so it is held
to its contract here: its inputs are paths and plain settings (it crosses a process
boundary by pickle), its result is plain data, it writes only under its own scratch
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

from convcourse.course.autograde import NotebookResult, NotebookTask, grade_notebook
from convcourse.course.grade import (collect_submissions, grade_locally, prepare_source,
                                     start_run, write_outputs)

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import faulty_class  # noqa: E402


def snapshot(folder: Path, skip: Path) -> dict:
    """Every file under ``folder`` but those under ``skip``: its bytes."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and skip not in p.parents}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A run over two students of the faulty class, prepared up to its tasks."""
    tmp = tmp_path_factory.mktemp("autograde")
    course = tmp / "course"
    shutil.copytree(FIXTURES / "course", course)
    faulty_class.build(course / "notebooks" / "00-fixture" / "fixture.ipynb", tmp / "class")
    for folder in (tmp / "class").iterdir():
        if folder.name not in ("good", "partial"):
            shutil.rmtree(folder)
    run = start_run(tmp / "class", output=tmp / "out", jobs=1, db_url=None, timeout=5,
                    secret_file=None, demo=True, course=course, echo=lambda *a: None,
                    sandbox=None, judge=True, max_notebook_bytes=2**20)
    prepare_source(run)
    collect_submissions(run, tmp / "class")
    return run


def test_a_task_is_paths_and_plain_settings(prepared):
    task = prepared.tasks[0]
    assert pickle.loads(pickle.dumps(task)) == task
    for f in dataclasses.fields(NotebookTask):
        assert type(getattr(task, f.name)) in (str, int, bool), f.name
    assert [(t.student, t.notebook) for t in prepared.tasks] == [("good", "fixture"),
                                                                ("partial", "fixture")]
    # two uids per task: the kernel's and its judge workers'
    assert prepared.tasks[1].uid == prepared.tasks[0].uid + 2


@pytest.mark.slow
def test_a_task_in_another_process_writes_only_its_scratch_and_returns_plain_data(prepared):
    out, task = prepared.out, prepared.tasks[0]
    scratch = Path(task.scratch)
    before = snapshot(out, skip=out / "scratch")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(grade_notebook, task).result()
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
