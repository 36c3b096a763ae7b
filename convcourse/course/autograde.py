"""One submission's notebook, graded as a pure task: ``grade_notebook(task, scratch, template)``.

A task is the unit a grading run hands to a process of its pool or to a worker of a
Dask cluster on another machine (``cluster.py``), so it needs nothing of the run but
what it is given, and one kind of task serves both:

- its inputs are data (:class:`NotebookTask`, picklable): the normalised submitted
  notebook's bytes, the assignment's source folder's files, plain settings and the
  notebook's *seeds* (``judge.notebook_seeds``), derived by the grader from the course
  secret, which never leaves the grader; with it, ``template_db``: the bytes of the
  run's *template gradebook* (the assignments as ``generate_assignment`` registered
  them, no student), shared by every task;
- it writes only under its scratch folder (``scratch``): an nbgrader course directory
  of its own with a copy of the template gradebook, into which nbgrader's autograde
  writes the kernel's scores and the judge its own; the gradebook of the class is
  never opened here;
- its result is plain data (:class:`NotebookResult`): the scratch gradebook's rows of
  this notebook, the judge's record, what failed, and where in the scratch folder the
  autograded notebook, the feedback and the log are (:func:`pack_files` and
  :func:`unpack_files` carry those files as data from a machine that does not share
  the grader's disk).

``grade.write_outputs`` then merges the results, in a fixed order, into the
class's gradebook and output folder: the only writer of either.

Inside, the steps are those of one notebook: nbgrader's autograde with the
robust pipeline (``config.apply_robust_pipeline``: the kernel in the sandbox, the
task's seeds in its environment), the judge (``judge.py``: the graded cells that
call a check, scored by running the submission's functions in sandboxed workers
with the same seeds; its scores replace the kernel's), then the feedback (hidden
tests stripped).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .._picture_cache import PICTURES_VAR, RECORD_VAR
from ..i18n import LANG_VAR
from .gradebook import COURSE_ID, shared_engine
from .nbfacts import grade_id
from .pictures import SANDBOX_PICTURES

__all__ = ["NotebookTask", "NotebookResult", "grade_notebook", "warm_up", "pack_files",
           "unpack_files",
           "read_files", "write_files",
           "task_failure", "progress_line", "record_name",
           "kernel_did_not_finish", "judged_cell_text", "scratch_db_url"]

#: the failure of a stage that leaves no score of the notebook to trust
UNTRUSTED_STAGES = ("autograde", "judge")


@dataclass(frozen=True)
class NotebookTask:
    """What :func:`grade_notebook` needs (with the template gradebook): data and plain settings.

    Parameters
    ----------
    student, assignment, notebook, lang : str
        Whose notebook, and the language its checks report in.
    submitted : bytes
        The normalised submitted notebook (``OUTPUT/submitted/<student>/<assignment>/
        <notebook>.ipynb``).
    source : tuple of (str, bytes)
        The files of the assignment's source folder (``OUTPUT/source/<assignment>``), by
        path relative to it: the instructor's notebook tells the judge which cell calls
        which check, and nbgrader copies the other files next to the autograded notebook.
    seeds : str
        The notebook's ``CONVCOURSE_SEEDS`` (``judge.notebook_seeds``): its kernel and
        its judge draw their random cases from them.  The course secret itself is in
        no task.
    timeout : int
        CPU seconds a cell may use.
    sandboxed : bool
        Run the kernel and the judge's workers in the sandbox.
    uid : int
        The kernel's uid in the sandbox (the judge's workers get the next one); distinct
        for every task of a run, so tasks that run at once on one machine never share one.
    judge : bool
        Let the judge decide the scores.
    pictures : str
        The folder of stored pictures (``course/pictures.py``) the kernel shows instead
        of drawing them again, bound read-only into its sandbox; '' for none (always
        when unsandboxed: a kernel with the grader's rights could write into it).
    """

    student: str
    assignment: str
    notebook: str
    lang: str
    submitted: bytes
    source: tuple
    seeds: str
    timeout: int
    sandboxed: bool
    uid: int
    judge: bool = True
    pictures: str = ""


@dataclass
class NotebookResult:
    """What :func:`grade_notebook` returns: plain data, paths inside the task's scratch folder.

    ``ok`` is False when a stage failed (``stage``: 'autograde', 'judge' or 'feedback';
    ``error`` says how).  ``grades`` and ``comments`` are the notebook's scores and
    automatic comments in the scratch gradebook, by cell name (empty when autograde
    failed); ``judged`` is the judge's record of the notebook (None when the judge did
    not run, ``{}`` when it found no autograded notebook to judge); ``worker`` is the
    Dask worker that graded it ('' when graded here).
    """

    student: str
    assignment: str
    notebook: str
    ok: bool = True
    stage: str = ""
    error: str = ""
    seconds: float = 0.0
    judge_seconds: float = 0.0
    sandboxed: bool = False
    grades: dict = field(default_factory=dict)
    comments: dict = field(default_factory=dict)
    judged: dict | None = None
    autograded: str = ""
    feedback: str = ""
    log: str = ""
    worker: str = ""

    def failed(self, stage: str, error: str) -> None:
        """Record the first failure (a later stage's failure does not hide it)."""
        if self.ok:
            self.ok, self.stage, self.error = False, stage, error


def scratch_db_url(scratch) -> str:
    """The URL of the gradebook in a task's scratch folder (SQLite; only the task uses it)."""
    return f"sqlite:///{Path(scratch) / 'gradebook.db'}"


def grade_notebook(task: NotebookTask, scratch, template_db: bytes) -> NotebookResult:
    """Autograde, judge and give feedback on one submitted notebook, in folder ``scratch``.

    ``template_db`` is the bytes of the run's template gradebook (an SQLite file).
    Never raises for what the submission does: a failing stage is recorded in the
    result (``ok``, ``stage``, ``error``), and the stages after it still run where
    they can (the feedback of a notebook the judge could not score).
    """
    start = time.perf_counter()
    scratch = _fresh_scratch(task, Path(scratch), template_db)
    result = NotebookResult(task.student, task.assignment, task.notebook,
                            sandboxed=task.sandboxed, log=str(scratch / "grading.log"))
    with (_output_to(Path(result.log)) as log, _environment(_task_env(task)),
          shared_engine(scratch_db_url(scratch))):
        kernel_config, worker_config = _sandbox_configs(task)
        config = _scratch_config(task, scratch, kernel_config)
        # the judge needs the submitted notebook only, not the kernel's run: its workers
        # run beside the kernel (on another core), and its scores are written after
        with ThreadPoolExecutor(max_workers=1) as pool:
            judging = (pool.submit(_run_judge, task, scratch, worker_config, log)
                       if task.judge else None)
            _autograde(task, config, log, result)
            kernel_seconds = time.perf_counter() - start
            if judging is not None:
                try:
                    judged = judging.result()
                    if result.ok:
                        result.judged = _apply_judge(task, scratch, judged)
                except Exception as exc:  # noqa: BLE001 - reported per notebook, never fatal
                    log.exception("judge failed")
                    result.failed("judge", f"judge failed: {type(exc).__name__}: {exc}")
        # the judge's time after the kernel's: what waiting for it added
        result.judge_seconds = time.perf_counter() - start - kernel_seconds
        _feedback(task, config, log, result)
        if result.stage != "autograde":
            result.grades, result.comments = _scratch_rows(task, scratch)
    result.autograded = str(scratch / "autograded" / task.student / task.assignment)
    result.feedback = str(scratch / "feedback" / task.student / task.assignment)
    result.seconds = time.perf_counter() - start
    return result


def warm_up() -> None:
    """Pay a grading process's first-use costs before its first notebook.

    The first notebook a process grades took about 1 s longer than the others: the
    imports of nbgrader, nbclient and SQLAlchemy's mappers, the kernel spec's lookup,
    the sandbox's probes, the feedback page's templates, lexers and sanitiser.  A run's
    pool calls this in each process as it starts (``grade.start_pool``), while the
    run's own process prepares the source and the submissions, so that the first
    notebook costs what the others do.  It grades nothing and writes nothing but the
    templates' cache, and it never fails: what it could not do, the first notebook does.
    """
    for step in (_warm_nbgrader, _warm_kernel_start, _warm_feedback):
        try:
            step()
        except Exception:  # noqa: BLE001 - a cache not warmed is the only consequence
            continue


def _warm_nbgrader() -> None:
    import sqlalchemy.orm
    from nbgrader.api import Gradebook  # noqa: F401 - the mapped classes
    from nbgrader.converters import Autograde, GenerateFeedback  # noqa: F401

    from . import execute, judge  # noqa: F401

    sqlalchemy.orm.configure_mappers()


def _warm_kernel_start() -> None:
    import tempfile

    from jupyter_client.kernelspec import KernelSpecManager

    from .sandbox import POLICY, sandbox_available, sandboxed_command

    KernelSpecManager().get_kernel_spec("python3")
    config = POLICY.kernel(POLICY.worker().uid)
    if sandbox_available(config):
        with tempfile.TemporaryDirectory() as folder:
            sandboxed_command(["/bin/true"], folder, config)


def _warm_feedback() -> None:
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from .config import cache_folder
    from .feedback import FeedbackExporter, keep_compiled_templates

    keep_compiled_templates(cache_folder("templates"))
    nb = new_notebook(cells=[new_markdown_cell("$H_{out} = H - K + 1$, **warm**"),
                             new_code_cell("import numpy as np\nprint(np.ones(3))")],
                      metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    FeedbackExporter().from_notebook_node(nb)


# ------------------------------------------------------------------ results and their files as data

def task_failure(task: NotebookTask, exc: BaseException) -> NotebookResult:
    """The result of a task that raised instead of returning (its process or worker died)."""
    res = NotebookResult(task.student, task.assignment, task.notebook)
    res.failed("autograde", f"grading failed: {type(exc).__name__}: {str(exc)[:300]}")
    return res


def progress_line(res: NotebookResult, done: int, total: int,
                  elapsed: float | None = None) -> str:
    """One line of progress: which notebook was graded (where, on a cluster), how long, how;
    with ``elapsed`` (seconds since the first notebook was sent), how many are left and
    about how long they will take at the pace so far.

    Examples
    --------
    >>> res = NotebookResult("ann", "a1", "nb", seconds=12.34, worker="tcp://10.0.0.7:40123")
    >>> progress_line(res, 3, 12)
    '[ 3/12] graded ann a1/nb on tcp://10.0.0.7:40123 in 12.3 s: ok'
    >>> progress_line(res, 3, 12, elapsed=30.0)
    '[ 3/12] graded ann a1/nb on tcp://10.0.0.7:40123 in 12.3 s: ok; 9 to go, about 1 min 30 s'
    >>> progress_line(res, 12, 12, elapsed=95.0)
    '[12/12] graded ann a1/nb on tcp://10.0.0.7:40123 in 12.3 s: ok; all 12 in 1 min 35 s'
    """
    status = "ok" if res.ok else res.error
    where = f" on {res.worker}" if res.worker else ""
    line = (f"[{done:>{len(str(total))}}/{total}] graded {res.student} "
            f"{res.assignment}/{res.notebook}{where} in {res.seconds:.1f} s: {status}")
    if elapsed is None or done < 1:
        return line
    if done >= total:
        return f"{line}; all {total} in {_duration(elapsed)}"
    return f"{line}; {total - done} to go, about {_duration(elapsed / done * (total - done))}"


def _duration(seconds: float) -> str:
    """``'45 s'``, ``'3 min 05 s'``, ``'2 h 07 min'``: a time span for a person to read."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s" if seconds % 60 else f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def record_name(student: str, assignment: str) -> str:
    """The file name (no suffix) of a task's log and judge record: ``student--assignment``,
    shortened with a hash when it would not fit in a file name.

    Examples
    --------
    >>> record_name("ann", "01-convolution")
    'ann--01-convolution'
    >>> len(record_name("x" * 240, "01-convolution")) < 200
    True
    """
    name = f"{student}--{assignment}"
    if len(name.encode()) <= 180:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{student[:60]}-{digest}--{assignment[:60]}"


def pack_files(result: NotebookResult) -> dict:
    """``{"autograded" | "feedback": {relative path: bytes}, "log": bytes}``: the files a task
    made, as data, for a grader on another machine (:func:`unpack_files`).

    Regular files only: a symlink in the task's folders is left behind, never followed.
    """
    packed = {"autograded": {}, "feedback": {}, "log": b""}
    for kind in ("autograded", "feedback"):
        folder = Path(getattr(result, kind)) if getattr(result, kind) else None
        if folder is not None and not folder.is_symlink() and folder.is_dir():
            packed[kind] = dict(read_files(folder))
    log = Path(result.log) if result.log else None
    if log is not None and log.is_file() and not log.is_symlink():
        packed["log"] = log.read_bytes()
    return packed


def unpack_files(result: NotebookResult, packed: dict, scratch) -> NotebookResult:
    """Write the files of :func:`pack_files` into ``scratch`` (the grader's scratch folder of
    that task) and point ``result`` at them, as if the task had run here.

    Raises
    ------
    ValueError
        When a packed path would leave its folder (absolute, or with ``..``).
    """
    scratch = Path(scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    folders = {"autograded": scratch / "autograded" / result.student / result.assignment,
               "feedback": scratch / "feedback" / result.student / result.assignment}
    for kind, folder in folders.items():
        folder.mkdir(parents=True)
        write_files(folder, packed.get(kind, {}).items(), f"packed file of {kind}")
        setattr(result, kind, str(folder))
    result.log = str(scratch / "grading.log")
    Path(result.log).write_bytes(packed.get("log", b""))
    return result


def read_files(folder) -> tuple:
    """``((relative path, bytes), ...)``: the regular files under ``folder``, sorted; what a
    task carries of a folder (the assignment's source) or brings back (its feedback).
    Symlinks are left behind, never followed (``rglob`` does not enter symlinked folders).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.ipynb").write_text("{}"), (folder / "data").mkdir()
    >>> _ = (folder / "data" / "x.csv").write_text("1,2")
    >>> read_files(folder)
    (('a.ipynb', b'{}'), ('data/x.csv', b'1,2'))
    """
    folder = Path(folder)
    return tuple((p.relative_to(folder).as_posix(), p.read_bytes())
                 for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink())


def write_files(folder: Path, files, what: str) -> None:
    """Write ``files`` (``(relative path, bytes)`` pairs, as :func:`read_files` gives) under
    ``folder``, refusing a path that would leave it (``what`` names the files in the error)."""
    for relative, data in files:
        path = _inside(folder, relative, what)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _inside(folder: Path, relative: str, what: str) -> Path:
    """``folder / relative``, refusing a path that would leave ``folder``.

    Examples
    --------
    >>> _inside(Path("/s"), "a/b.html", "file").as_posix()
    '/s/a/b.html'
    >>> _inside(Path("/s"), "../etc/passwd", "packed file")
    Traceback (most recent call last):
    ...
    ValueError: packed file '../etc/passwd' leaves its folder
    """
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or ".." in parts:
        raise ValueError(f"{what} {relative!r} leaves its folder")
    return folder / relative


# ------------------------------------------------------------------ the task's surroundings

def _fresh_scratch(task: NotebookTask, scratch: Path, template_db: bytes) -> Path:
    """The task's scratch folder, emptied: the submitted notebook, the assignment's source
    folder and the template gradebook written in (the gradebook of the class is never
    opened by a task)."""
    shutil.rmtree(scratch, ignore_errors=True)
    submitted = scratch / "submitted" / task.student / task.assignment
    submitted.mkdir(parents=True)
    (submitted / f"{task.notebook}.ipynb").write_bytes(task.submitted)
    source = scratch / "source" / task.assignment
    source.mkdir(parents=True)
    write_files(source, task.source, "source file")
    (scratch / "gradebook.db").write_bytes(template_db)
    return scratch


@contextlib.contextmanager
def _output_to(path: Path):
    """For the ``with`` block, this process's stdout and stderr (nbgrader, SQLAlchemy and
    the kernels write there) and a logger go to ``path``; then both are restored."""
    saved = [os.dup(1), os.dup(2)]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    handler = logging.FileHandler(path, mode="a")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger(f"convcourse.grade.{path.parent.name}")
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield log
    finally:
        handler.close()
        log.handlers[:] = []
        for target, copy in zip((1, 2), saved):
            os.dup2(copy, target)
            os.close(copy)
        os.close(fd)


def _task_env(task: NotebookTask) -> dict:
    """The variables the kernel's environment starts from (``execute.kernel_env``): no course
    secret (a variable of that name in this process's environment is unset for the task;
    the task's seeds stand for it), ``PATH`` with this interpreter's bin first (nbgrader
    runs ``alembic``; kernels are found there)."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "").split(os.pathsep)
    # the picture folder reaches a sandboxed kernel only, read-only, through its config
    return {"CONVCOURSE_SECRET": None, LANG_VAR: task.lang, PICTURES_VAR: None, RECORD_VAR: None,
            "PATH": os.pathsep.join(dict.fromkeys([bindir] + [p for p in path if p]))}


@contextlib.contextmanager
def _environment(values: dict):
    """``os.environ`` with ``values`` set (None: unset) for the ``with`` block, then as it was."""
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _sandbox_configs(task: NotebookTask):
    """``(kernel config, judge worker config)`` of this task, or ``(None, None)`` unsandboxed."""
    if not task.sandboxed:
        return None, None
    from .sandbox import POLICY

    kernel, worker = POLICY.task_configs(int(task.uid))
    if task.pictures:  # read-only: what a kernel could write there, every other would show
        kernel = dataclasses.replace(
            kernel, views=kernel.views + ((task.pictures, SANDBOX_PICTURES),),
            env=kernel.env + ((PICTURES_VAR, SANDBOX_PICTURES),))
    return kernel, worker


def _scratch_config(task: NotebookTask, scratch: Path, kernel_config):
    """nbgrader's configuration of the scratch course directory: its source folder, the
    scratch gradebook, this notebook only, the task's seeds for the kernel."""
    from .config import nbgrader_config

    config = nbgrader_config(scratch, source="source", db_url=scratch_db_url(scratch),
                             timeout=task.timeout, sandbox_config=kernel_config,
                             hide_secret=True)
    config.RobustExecute.seeds = task.seeds
    config.CourseDirectory.assignment_id = task.assignment
    config.CourseDirectory.student_id = task.student
    config.CourseDirectory.notebook_id = task.notebook
    return config


# ------------------------------------------------------------------ the stages

def _autograde(task: NotebookTask, config, log, result: NotebookResult) -> None:
    """nbgrader's autograde (the robust pipeline) into the scratch folder and gradebook."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    try:
        app = Autograde(coursedir=CourseDirectory(config=config), config=config, log=log)
        app.force = True
        app.create_student = True
        app.start()
    except Exception as exc:  # noqa: BLE001 - reported per notebook, never fatal to the class
        log.exception("autograde failed")
        result.failed("autograde", f"autograde failed: {type(exc).__name__}: {exc}")


def _feedback(task: NotebookTask, config, log, result: NotebookResult) -> None:
    """nbgrader's feedback page of the autograded notebook (hidden tests stripped)."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    from .config import cache_folder
    from .feedback import keep_compiled_templates

    keep_compiled_templates(cache_folder("templates"))  # for this worker's next run
    try:
        app = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config, log=log)
        app.force = True
        app.start()
    except Exception as exc:  # noqa: BLE001
        log.exception("generate_feedback failed")
        result.failed("feedback", f"feedback failed: {type(exc).__name__}: {exc}")


def _run_judge(task: NotebookTask, scratch: Path, worker_config, log) -> dict:
    """The judge's verdicts on the submitted notebook (it runs while the kernel does):
    ``verdicts``, ``not_judged``, ``load_errors``, ``refused``, ``workers``, ``seconds``
    as :func:`judge.judge_notebook` gives them, and ``failure`` and ``failed_cells``
    when the judge itself failed (then every judged cell scores 0 with the reason)."""
    from .execute import wall_limit
    from .judge import judge_notebook, judged_cells

    submitted = scratch / "submitted" / task.student / task.assignment / f"{task.notebook}.ipynb"
    source_nb = nbformat.read(scratch / "source" / task.assignment / f"{task.notebook}.ipynb",
                              as_version=4)
    submitted_nb = nbformat.read(submitted, as_version=4)
    try:
        result = judge_notebook(source_nb, submitted_nb, student=task.student,
                                assignment=task.assignment, notebook=task.notebook,
                                seeds=task.seeds, sandbox=worker_config,
                                files_from=submitted.parent,
                                # a wall-clock limit per statement: generous, so that a
                                # busy machine does not stop an honest import
                                timeout=wall_limit(task.timeout))
        return {**result, "failure": "", "failed_cells": set()}
    except Exception as exc:  # noqa: BLE001 - a judge failure must not stop the class
        log.exception("the judge failed on %s", task.notebook)
        return {"verdicts": {}, "not_judged": [], "load_errors": [], "refused": [],
                "workers": 0, "seconds": 0.0, "failed_cells": set(judged_cells(source_nb)),
                "failure": f"the judge could not score this cell ({type(exc).__name__}: {exc})"}


def _apply_judge(task: NotebookTask, scratch: Path, judged: dict) -> dict:
    """The judge's scores over the kernel's in the scratch gradebook, and its record of the
    notebook (per cell: kernel and judge scores, tampering, report, mistakes); ``{}`` when
    there was nothing to judge (no autograded notebook)."""
    autograded = scratch / "autograded" / task.student / task.assignment / f"{task.notebook}.ipynb"
    if autograded.is_symlink() or not autograded.is_file():
        return {}
    unfinished = kernel_did_not_finish(nbformat.read(autograded, as_version=4))
    cells = _apply_verdicts(task, scratch, judged["verdicts"], unfinished, judged["failure"],
                            judged["failed_cells"])
    _hide_tampered_outputs(autograded, cells)
    return {"cells": cells, "not_judged": judged["not_judged"],
            "load_errors": judged["load_errors"][:20], "refused": judged["refused"][:20],
            "workers": judged["workers"], "seconds": round(judged["seconds"], 3)}


def _apply_verdicts(task: NotebookTask, scratch: Path, verdicts: dict, unfinished: set,
                    failure: str, failed_cells: set) -> dict:
    """Write the judge's scores over the kernel's in the scratch gradebook; the record of
    each judged cell (the scratch gradebook is the task's alone: nothing else locks it)."""
    from nbgrader.api import Gradebook

    cells = {}
    with Gradebook(scratch_db_url(scratch), COURSE_ID) as gb:
        subnb = gb.find_submission_notebook(task.notebook, task.assignment, task.student)
        for g in subnb.grades:
            v = verdicts.get(g.name)
            if v is None and not (failure and g.name in failed_cells):
                continue
            kernel = float(g.auto_score or 0.0)
            if v is None:
                judge, report, hidden, mistakes = 0.0, failure, True, []
            elif g.name in unfinished:  # the kernel's score means nothing
                judge, report, hidden, mistakes = v.score, v.report, v.hidden, list(v.mistakes)
            else:
                judge = v.score if v.hidden else (kernel if v.passed else 0.0)
                report, hidden, mistakes = v.report, v.hidden, list(v.mistakes)
            differs = abs(kernel - judge) > 1e-6
            if differs:
                g.auto_score = judge
            # tampering: the kernel ran the check to its end and reported another score
            cells[g.name] = {"kernel": kernel, "judge": judge, "points": float(g.max_score),
                             "tampering": differs and g.name not in unfinished,
                             "unfinished": differs and g.name in unfinished,
                             "hidden": hidden, "report": report,
                             "exercise": v.exercise if v else "", "mistakes": mistakes}
        gb.db.commit()
    return cells


def _scratch_rows(task: NotebookTask, scratch: Path) -> tuple[dict, dict]:
    """``(grades, comments)``: what autograde and the judge decided for this notebook in the
    scratch gradebook, as plain values: ``{cell name: auto_score}`` and ``{cell name:
    auto_comment}`` (what ``grade.write_outputs`` copies into the class's gradebook; an
    instructor's manual scores there are the instructor's, as with nbgrader's autograde)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(scratch_db_url(scratch), COURSE_ID) as gb:
        try:
            subnb = gb.find_submission_notebook(task.notebook, task.assignment, task.student)
        except MissingEntry:
            return {}, {}
        grades = {g.name: g.auto_score for g in subnb.grades}
        comments = {c.name: c.auto_comment for c in subnb.comments}
    return grades, comments


# ------------------------------------------------------------------ reading a notebook

def kernel_did_not_finish(nb) -> set:
    """grade_ids of the test cells whose kernel timed out or died: their score is no report.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> cell = new_code_cell("check()", metadata={"nbgrader": {"grade_id": "t"}})
    >>> cell.outputs = [new_output("error", ename="CellTimeoutError", evalue="", traceback=[])]
    >>> kernel_did_not_finish(new_notebook(cells=[cell]))
    {'t'}
    """
    found = set()
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid and any(o.get("output_type") == "error"
                       and o.get("ename") in ("KernelDied", "CellTimeoutError")
                       for o in cell.get("outputs", [])):
            found.add(gid)
    return found


def _hide_tampered_outputs(path: Path, cells: dict) -> None:
    """In the autograded notebook (the feedback's source), a cell whose kernel score the judge
    replaced shows the judge's score and report instead of what the kernel printed."""
    changed = False
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        info = cells.get(grade_id(cell))
        if info and info["tampering"]:
            cell.outputs = [nbformat.v4.new_output(
                "stream", name="stdout", text=judged_cell_text(info["judge"], info["points"],
                                                               info["report"]))]
            changed = True
    if changed:
        nbformat.write(nb, path)


def judged_cell_text(score: float, points: float, report: str) -> str:
    """What the feedback shows in a cell whose score the judge decided, not the kernel.

    Examples
    --------
    >>> print(judged_cell_text(5, 5, ""), end="")
    Your notebook's run of this cell did not give its score; the judge ran your function outside the notebook and scored it 5 of 5 points.
    >>> judged_cell_text(1, 4, "case 3 failed").splitlines()[1]
    'case 3 failed'
    """
    text = ("Your notebook's run of this cell did not give its score; the judge ran your "
            f"function outside the notebook and scored it {score:g} of {points:g} points.\n")
    return text + (report.strip() + "\n" if report.strip() else "")
