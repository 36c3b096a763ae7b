"""``convcourse grade``: autograde a class with nbgrader, robustly.

One run, in an output folder that is an nbgrader course directory, in four
phases that hand one :class:`GradingRun` along:

1. :func:`prepare_source`: copy ``solutions/`` to ``OUTPUT/source`` and run
   ``generate_assignment`` (``OUTPUT/release`` is the stub every submission is
   normalised against), registering the assignments in the run's *template
   gradebook* (``OUTPUT/scratch``), the one every task starts from;
2. :func:`collect_submissions`: read the submissions (a folder or a zip) and the
   roster, normalise each notebook (``submissions.normalize_notebook``) into
   ``OUTPUT/submitted``; a notebook that is missing or not valid JSON is not
   graded and earns 0, with the reason; one task per notebook;
   then, grading locally, :func:`prepare_pictures`: each picture of the instructor's
   notebooks is drawn once, ever (``pictures.py``), and the kernels show it from a
   folder bound read-only into their sandbox instead of drawing it again;
3. :func:`autograde.grade_notebook`, once per notebook (``--jobs`` at a time, in a
   process pool: :func:`grade_locally`, its processes started by :func:`start_pool`
   before phase 1, warming up meanwhile; or on the workers of a Dask cluster:
   ``cluster.grade_on_cluster``): a pure task, whose inputs are data (the notebook,
   the assignment's source, the template gradebook, seeds derived from the course
   secret, never the secret) and plain settings, and whose result is plain data,
   writing only in a scratch folder of its own.  nbgrader's autograde with the
   robust pipeline of ``config.apply_robust_pipeline``, then the judge, then the feedback (hidden
   tests stripped).  Every kernel runs in the sandbox (``sandbox.py``; a uid of
   its own per task, and another for its judge workers, a private copy of the
   notebook's folder, no course secret: per-exercise seeds instead); then the
   judge (``judge.py``) scores each graded cell that calls a check, running the
   submission's functions in sandboxed workers, and its scores replace the
   kernel's (a difference is recorded as "tampering suspected", unless the
   kernel timed out or died on that cell: then it reported nothing); where no
   sandbox can be created the run says so loudly and the judge still decides;
4. :func:`write_outputs`: the only writer of the class's gradebook: registers the
   students and assignments, merges the tasks' rows in a fixed order, moves
   their notebooks and feedback into the output folder, reads the gradebook
   back into ``grades.csv`` and ``cells.csv``, and writes the summary
   (``summary.py``).

Re-running gives the same files: every student's folders are rebuilt from the
submissions, and the checks' random cases are seeded from the student, the
assignment, the notebook, the course secret and the hash of each graded
function's code (``judge.code_hashes``; a changed function meets new cases).

A class may mix languages: a submission is matched against the English source
by grade id (a Russian notebook has the same cells and checksums), and its
language (``metadata.convcourse.lang``) goes to its kernel as
``CONVCOURSE_LANG``, so that its checks report, and its feedback reads, in it.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import dataclasses
import json
import multiprocessing
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from ..i18n import DEFAULT_LANGUAGE, LANGUAGES
from .autograde import (UNTRUSTED_STAGES, NotebookResult, NotebookTask, grade_notebook,
                        judged_cell_text, kernel_did_not_finish, progress_line, read_files,
                        record_name, task_failure, warm_up)
from .config import assignments as list_assignments
from .config import check_db_url, course_root, notebook_names, resolve_secret
from .execute import wall_limit
from .feedback import missing_feedback_html
from .gradebook import (COURSE_ID, register_students, registration_lock, remove_assignments,
                        retry_when_locked, shared_engine)
from .nbfacts import ANSI as _ANSI
from .nbfacts import GRADE_PUBLIC_SECRET_WARNING, split_grade_id
from .nbfacts import grade_id as _grade_id
from .release import generate_assignment, release_template
from .sandbox import compile_packages
from .submissions import (MAX_NOTEBOOK_BYTES, NotebookProblem, find_submissions,
                          normalize_notebook, read_roster)

__all__ = ["grade", "GradingRun", "start_run", "prepare_source", "collect_submissions",
           "grade_notebook", "start_pool", "grade_locally", "write_outputs", "cell_message",
           "task_failure", "progress_line", "record_name",
           "collect_results", "TAMPERING", "UNFINISHED", "kernel_did_not_finish",
           "judged_message", "judged_cell_text", "submitted_language"]

#: how cells.csv and the summary flag a cell whose kernel score the judge contradicts
TAMPERING = "tampering suspected"
#: a kernel that timed out or died on a cell reported nothing: not tampering
UNFINISHED = "your notebook's kernel did not finish this cell"

_FLOOD = re.compile(r"characters of (stdout|stderr) dropped: this cell printed (\d+) characters")
_KERNEL_FILE = re.compile(r"/\S*?ipykernel_\d+/\d+\.py")  # differs per run: not in messages
#: the reason of a (student, assignment, notebook) with no submission at all
NOT_SUBMITTED = "nothing was submitted"
_SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
_ERROR_PLACE = re.compile(r"\s*\((?:[^()]*?), line (\d+)\)\s*$")


def judged_message(verdict: dict, kernel_message: str) -> str:
    """A cell's message when the judge's score replaced the kernel's ('' when it did not).

    Examples
    --------
    >>> v = {"kernel": 0.0, "judge": 5.0, "points": 5.0, "report": "8/8 cases passed",
    ...      "tampering": False, "unfinished": True}
    >>> judged_message(v, "CellTimeoutError: the cell used more than 5 s of CPU time")
    "your notebook's kernel did not finish this cell; the judge ran your function and scored it 5/5 | CellTimeoutError: the cell used more than 5 s of CPU time | 8/8 cases passed"
    >>> judged_message(dict(v, tampering=True, unfinished=False), "")
    "tampering suspected: the notebook's kernel reported 0/5, the judge scored 5 | 8/8 cases passed"
    """
    if verdict.get("tampering"):
        message = (f"{TAMPERING}: the notebook's kernel reported {verdict['kernel']:g}/"
                   f"{verdict['points']:g}, the judge scored {verdict['judge']:g} | "
                   f"{verdict['report']}")
    elif verdict.get("unfinished"):
        message = " | ".join(p for p in (
            f"{UNFINISHED}; the judge ran your function and scored it {verdict['judge']:g}/"
            f"{verdict['points']:g}", kernel_message, verdict["report"]) if p)
    else:
        return ""
    return message  # whole: cells.csv keeps every message as it is


def answer_cell_errors(nb) -> dict[str, str]:
    """``{answer cell grade_id: message}`` for answer cells Python could not even compile.

    A syntax error leaves the function undefined, so its test cells fail later
    with a ``NameError``; the message names the real cause and its line.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> cell = new_code_cell("def f(:", metadata={"nbgrader": {"solution": True, "grade_id": "f"}})
    >>> cell.outputs = [new_output("error", ename="SyntaxError", traceback=[],
    ...                            evalue="invalid syntax (3409276140.py, line 1)")]
    >>> answer_cell_errors(new_notebook(cells=[cell]))
    {'f': "SyntaxError in your answer cell 'f', line 1: invalid syntax"}
    """
    found = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("solution"):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error" or output.get("ename") not in _SYNTAX_ERRORS:
                continue
            evalue = _ANSI.sub("", str(output.get("evalue", "")))
            place = _ERROR_PLACE.search(evalue)
            line = place.group(1) if place else next(
                (m.group(1) for t in output.get("traceback", [])
                 for m in [re.search(r"line (\d+)", _ANSI.sub("", t))] if m), "?")
            reason = _ERROR_PLACE.sub("", evalue) or output["ename"]
            found[meta.get("grade_id", "?")] = (f"{output['ename']} in your answer cell "
                                                f"'{meta.get('grade_id', '?')}', line {line}: {reason}")
    return found


def _syntax_note(grade_id: str, message: str, broken: dict[str, str], sources: dict[str, str]) -> str:
    """The answer cell's syntax error that explains this test cell's failure, or ''."""
    exercise = split_grade_id(grade_id)[0]
    if exercise in broken:
        return broken[exercise]
    missing = re.search(r"NameError: name '(\w+)' is not defined", message)
    if missing:
        for gid, note in broken.items():
            if re.search(rf"\bdef\s+{missing.group(1)}\b", sources.get(gid, "")):
                return note
    return ""


def _text(output) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else str(text)


def cell_message(cell) -> str:
    """The message for one graded cell: why it failed, or what its check printed.

    Errors come first (a dead kernel or a timeout before the student's own
    exception), then stderr, then the check's stdout.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_output
    >>> cell = new_code_cell("check(f)")
    >>> cell.outputs = [new_output("stream", name="stdout", text="case 3 failed\\n"),
    ...                 new_output("error", ename="ValueError", evalue="bad", traceback=[])]
    >>> cell_message(cell)
    'ValueError: bad | case 3 failed'
    """
    errors, stderr, stdout = [], [], []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "error":
            errors.append(_ANSI.sub("", f"{output.get('ename', '')}: {output.get('evalue', '')}").strip())
        elif kind == "stream" and output.get("name") == "stderr":
            stderr.append(_text(output))
        elif kind == "stream":
            stdout.append(_text(output))
    errors = [e + " (the code called sys.exit or raised SystemExit)" if e.startswith("SystemExit")
              else e for e in errors]
    special = [e for e in errors if e.startswith(("KernelDied", "CellTimeoutError"))]
    parts = []
    if special:
        parts.append(special[0])
    elif errors:
        parts.append(errors[-1])
    if stderr:
        parts.append("wrote to stderr: " + _ANSI.sub("", "".join(stderr)).strip())
    if stdout:
        text = _ANSI.sub("", "".join(stdout)).strip()
        flood = _FLOOD.search(text)
        if flood:
            parts.append(f"the cell printed {flood.group(2)} characters of {flood.group(1)}; "
                         "the middle was dropped")
        parts.append(text)
    # whole: a CSV field holds any length and newlines (the kernel already capped the streams)
    return _KERNEL_FILE.sub("<student code>", " | ".join(p for p in parts if p))


def collect_results(out: Path, db_url: str, students: list[str], plan: dict[str, list[str]],
                    problems: dict, cell_notes: dict) -> tuple[list[dict], list[dict]]:
    """Read scores from the gradebook and messages from the autograded notebooks.

    Returns
    -------
    grades : list of dict
        student_id, assignment, score, max_score, and submitted (False when
        nothing at all was submitted for the assignment).
    cells : list of dict
        student_id, assignment, notebook, grade_id, score, max_score, message.
    """
    from nbgrader.api import Gradebook, MissingEntry

    grades, cells = [], []
    with Gradebook(db_url, "convcourse") as gb:
        for student in students:
            for assignment, notebooks in plan.items():
                try:
                    sub = gb.find_submission(assignment, student)
                    score, max_score = sub.score, sub.max_score
                except MissingEntry:
                    score, max_score = 0.0, gb.find_assignment(assignment).max_score
                submitted = not all(problems.get((student, assignment, nb)) == NOT_SUBMITTED
                                    for nb in notebooks)
                grades.append({"student_id": student, "assignment": assignment,
                               "score": _num(score), "max_score": _num(max_score),
                               "submitted": submitted})
                for notebook in notebooks:
                    nb_def = gb.find_notebook(notebook, assignment)
                    order = {c.name: i for i, c in enumerate(_cell_order(out, assignment, notebook))}
                    problem = problems.get((student, assignment, notebook))
                    scores = {}
                    if problem is None:
                        try:
                            subnb = gb.find_submission_notebook(notebook, assignment, student)
                            scores = {g.name: g.score for g in subnb.grades}
                        except MissingEntry:
                            problem = "not graded (see the grading log)"
                    autograded = _read(out / "autograded" / student / assignment / f"{notebook}.ipynb")
                    by_id = {}
                    broken = answer_cell_errors(autograded) if autograded is not None else {}
                    if autograded is not None:
                        for c in autograded.cells:
                            gid = _grade_id(c)
                            if gid and gid not in by_id:
                                by_id[gid] = c
                    notes = cell_notes.get((student, assignment, notebook), {})
                    judged = _judge_record(out, student, assignment).get(notebook, {}).get("cells", {})
                    for gc in sorted(nb_def.grade_cells, key=lambda c: order.get(c.name, 1e9)):
                        if problem is not None:
                            message, cell_score = problem, 0.0
                        else:
                            cell_score = scores.get(gc.name) or 0.0
                            message = cell_message(by_id[gc.name]) if gc.name in by_id else ""
                            if broken and cell_score < float(gc.max_score):
                                sources = {g: c.source for g, c in by_id.items()}
                                note = _syntax_note(gc.name, message, broken, sources)
                                if note:
                                    message = note + (" | " + message if message else "")
                            if gc.name in notes:
                                message = notes[gc.name] + (" | " + message if message else "")
                            message = judged_message(judged.get(gc.name) or {}, message) or message
                        cells.append({"student_id": student, "assignment": assignment,
                                      "notebook": notebook, "grade_id": gc.name,
                                      "score": _num(cell_score), "max_score": _num(gc.max_score),
                                      "message": message})
    for row in grades:
        if any((row["student_id"], row["assignment"], n) in problems
               for n in plan[row["assignment"]]):
            # a notebook not graded, or whose grading failed: the table counts what its
            # cells scored (0 for that notebook), never a half-written gradebook entry
            row["score"] = _num(sum(c["score"] for c in cells
                                    if c["student_id"] == row["student_id"]
                                    and c["assignment"] == row["assignment"]))
    return grades, cells


def collect_mistakes(out: Path, students: list[str], plan: dict[str, list[str]]) -> list[dict]:
    """The named mistakes the judge recognised, one row per student, exercise and mistake.

    Read from the judge's records (``judge/<student>--<assignment>.json``, each
    cell's declared ``mistakes``), never from message text; a mistake seen in
    both the visible and the hidden cell of an exercise counts once.

    Returns
    -------
    list of dict
        student_id, assignment, exercise, mistake.
    """
    rows, seen = [], set()
    for student in students:
        for assignment, notebooks in plan.items():
            record = _judge_record(out, student, assignment)
            for notebook in notebooks:
                for grade_id, cell in sorted(record.get(notebook, {}).get("cells", {}).items()):
                    exercise = cell.get("exercise") or split_grade_id(grade_id)[0]
                    for mistake in cell.get("mistakes", []):
                        key = (student, assignment, exercise, mistake)
                        if key not in seen:
                            seen.add(key)
                            rows.append(dict(zip(("student_id", "assignment", "exercise",
                                                  "mistake"), key)))
    return rows


def _judge_record(out: Path, student: str, assignment: str) -> dict:
    path = out / "judge" / f"{record_name(student, assignment)}.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text()).get("notebooks", {})
    except ValueError:
        return {}


def _cell_order(out: Path, assignment: str, notebook: str):
    nb = _read(out / "release" / assignment / f"{notebook}.ipynb")
    order = []
    for c in (nb.cells if nb else []):
        gid = _grade_id(c)
        if gid:
            order.append(type("C", (), {"name": gid}))
    return order


def _read(path: Path):
    if not path.is_file():
        return None
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001
        return None


def _num(x) -> float:
    return round(float(x or 0.0), 6)


def _default_db(out: Path) -> str:
    return f"sqlite:///{out / 'gradebook.db'}?timeout=120"


@dataclass
class GradingRun:
    """One grading run's state, handed from phase to phase.

    Set when the run starts: where (``root``, the course; ``out``, the output
    folder; ``db_url``, the class's gradebook) and how (``secret``, ``timeout``,
    ``jobs``, ``sandboxed``, ``judge``, ``max_notebook_bytes``).  Filled in by the
    phases: ``wanted`` (assignment -> notebooks of the course) by
    :func:`prepare_source`; ``plan`` (the assignments graded), ``students`` (the
    class), ``todo`` (graded now), ``problems`` and ``cell_notes`` (by (student,
    assignment, notebook)) and ``tasks`` by :func:`collect_submissions`.
    """

    root: Path
    out: Path
    db_url: str
    secret: str
    timeout: int
    jobs: int
    max_notebook_bytes: int
    sandboxed: bool
    sandbox_reason: str
    judge: bool
    echo: Callable
    started: float
    unsandboxed_note: str = ""
    wanted: dict = field(default_factory=dict)
    plan: dict = field(default_factory=dict)
    students: list = field(default_factory=list)
    todo: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)
    cell_notes: dict = field(default_factory=dict)
    tasks: list = field(default_factory=list)

    @property
    def template_db(self) -> Path:
        """The gradebook every task starts from: the assignments, registered, no student."""
        return self.out / "scratch" / "gradebook-template.db"

    def scratch(self, student: str, assignment: str, notebook: str) -> Path:
        """The scratch folder of one task (all it writes goes there)."""
        return self.out / "scratch" / record_name(student, assignment) / notebook


def grade(submissions, *, output="output", jobs: int = 1, db_url: str | None = None,
          roster=None, student: str | None = None, timeout: int = 60,
          secret_file=None, demo: bool = False, course=None, echo=None,
          sandbox: bool | None = None, judge: bool = True,
          max_notebook_bytes: int = MAX_NOTEBOOK_BYTES, scheduler: str | None = None,
          pictures: bool = True) -> dict:
    """Grade a class; write grades.csv, cells.csv, feedback and a summary.

    Parameters
    ----------
    submissions : path
        nbgrader's submitted layout (``<student>/<assignment>/<notebook>.ipynb``)
        or a zip of it.
    output : path
        The output folder (an nbgrader course directory).
    jobs : int
        Notebooks graded at once, each in a process of a pool.
    db_url : str, optional
        SQLAlchemy URL of the gradebook (default SQLite in ``output``).
    roster : path, optional
        CSV of student ids; every one gets a row (0 without a submission).
    student : str, optional
        Regrade only this student (the tables still list everybody).
    timeout : int
        Seconds a notebook cell may run.
    secret_file : path, optional
        File holding the course secret.
    demo : bool
        Use the public secret without warning.
    course : path, optional
        The course directory (default: found from the current directory).
    echo : callable
        Where progress and the summary are printed.
    sandbox : bool, optional
        Run kernels and judge workers in the sandbox: None (default) where one
        can be created, False never (the run then says it is unsandboxed).
    judge : bool
        Let the judge decide the scores (default True; False only to measure
        what it costs: the kernel's scores then stand, unchecked).
    max_notebook_bytes : int
        Largest submitted notebook read (default 20 MiB); a larger one scores 0
        with the reason.
    scheduler : str, optional
        The address of a Dask scheduler (``tcp://HOST:8786``): grade on its workers
        (``cluster.py``; needs the ``cluster`` extra) instead of ``jobs`` local
        processes.  The results come back here, and only this process writes the
        gradebook and the outputs.
    pictures : bool
        Draw each picture of the instructor's notebooks once (:func:`prepare_pictures`)
        and let the kernels show it instead of drawing it again (default True; local
        grading only: a cluster's workers draw every picture).

    Returns
    -------
    result : dict
        ``grades``, ``cells`` (lists of rows), ``output`` (Path), ``timings``
        (seconds per student's assignment), ``seconds`` (total), ``failures``.

    Raises
    ------
    ValueError
        On a bad ``jobs``, ``timeout`` or ``scheduler``, or a ``student`` that is not in
        the class.
    RuntimeError
        When ``scheduler`` is given and ``distributed`` is not installed, or the
        scheduler cannot be reached.
    """
    if scheduler is not None:
        from .cluster import check_scheduler

        scheduler = check_scheduler(scheduler)  # before minutes of preparation
    run = start_run(submissions, output=output, jobs=jobs, db_url=db_url, timeout=timeout,
                    secret_file=secret_file, demo=demo, course=course, echo=echo,
                    sandbox=sandbox, judge=judge, max_notebook_bytes=max_notebook_bytes)
    # the local pool's processes start now and warm up while this one prepares
    pool = start_pool(run) if scheduler is None else None
    try:
        prepare_source(run)
        collect_submissions(run, submissions, roster=roster, student=student)
        if pictures and scheduler is None:
            prepare_pictures(run)
        if scheduler is not None:
            from .cluster import grade_on_cluster

            results = grade_on_cluster(run, scheduler)
        else:
            results = grade_locally(run, pool)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return write_outputs(run, results)


def start_run(submissions, *, output, jobs, db_url, timeout, secret_file, demo, course, echo,
              sandbox, judge, max_notebook_bytes) -> GradingRun:
    """Check the arguments, find the course, the secret and the sandbox: a new run.

    Says loudly (on ``echo`` and stderr) when grading will run unsandboxed or with
    the public secret.
    """
    from .._validation import check_int
    from .sandbox import sandbox_available

    echo = _printable_echo(echo or _say)
    jobs = check_int(jobs, "jobs", minimum=1)
    max_notebook_bytes = check_int(max_notebook_bytes, "max_notebook_bytes", minimum=1)
    timeout = check_int(timeout, "timeout", minimum=1)
    started = time.perf_counter()
    root = course_root(course)
    if not Path(submissions).exists():
        raise FileNotFoundError(f"submissions {str(submissions)!r} does not exist")
    out = Path(output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    secret, public = resolve_secret(secret_file, demo=demo)
    if public and not demo:
        print(GRADE_PUBLIC_SECRET_WARNING, file=sys.stderr)
    db_url = check_db_url(db_url) if db_url else _default_db(out)
    status = sandbox_available()
    sandboxed = bool(status) if sandbox is None else bool(sandbox) and bool(status)
    run = GradingRun(root=root, out=out, db_url=db_url, secret=secret, timeout=timeout,
                     jobs=jobs, max_notebook_bytes=max_notebook_bytes, sandboxed=sandboxed,
                     sandbox_reason=status.reason, judge=bool(judge), echo=echo,
                     started=started)
    if not sandboxed:
        why = (status.reason if not status
               else "the sandbox was turned off: --no-sandbox, or sandbox=False")
        run.unsandboxed_note = (f"WARNING: UNSANDBOXED GRADING ({why}): submissions' code runs "
                                "with the grader's rights; the judge still decides the scores")
        echo(run.unsandboxed_note)
        print(run.unsandboxed_note, file=sys.stderr)
    return run


def prepare_source(run: GradingRun) -> None:
    """Copy ``solutions/`` to ``OUTPUT/source`` and release every assignment into
    ``OUTPUT/release`` (the stub submissions are normalised against), registering it
    in the run's template gradebook (the one every task copies; the class's gradebook
    is written by :func:`write_outputs` only); from the cache of an earlier run of
    the same source (:func:`release.release_template`)."""
    assignments = list_assignments(run.root / "solutions")
    if not assignments:
        raise FileNotFoundError(f"no assignment in {run.root / 'solutions'}")
    shutil.rmtree(run.out / "source", ignore_errors=True)
    for name in assignments:
        shutil.copytree(run.root / "solutions" / name, run.out / "source" / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    run.wanted = {a: notebook_names(run.out / "source" / a) for a in assignments}
    shutil.rmtree(run.out / "scratch", ignore_errors=True)
    run.template_db.parent.mkdir(parents=True)
    release_template(run.out, assignments, run.template_db)
    compile_packages()  # the kernels and workers see it read-only: compiled once, here


#: fewer submissions of a notebook (in one language) than this, and its pictures are not
#: recorded by the run (recording costs about one notebook's grading)
MIN_NOTEBOOKS_TO_RECORD = 4


def prepare_pictures(run: GradingRun, folder=None) -> None:
    """Record the pictures of the instructor's notebooks that the run's tasks grade, in
    the languages they are graded in (``course/pictures.py``; each once, ever), and point
    the tasks' kernels at them.

    Recording a notebook costs about as much as grading one, and saves 2 to 5 s of each
    notebook graded after it: a notebook and language with fewer than
    :data:`MIN_NOTEBOOKS_TO_RECORD` submissions in the run is not recorded (what an
    earlier run recorded is used all the same).
    A notebook whose recording fails is drawn in every kernel, as without the cache;
    the run says so and goes on.  Unsandboxed, nothing is recorded or shown: a kernel
    with the grader's rights could write pictures that other students would see.
    """
    from .pictures import default_folder, record_pictures, recorded_marker

    if not run.sandboxed:
        return

    folder = Path(default_folder() if folder is None else folder)
    counts = collections.Counter((t.assignment, t.notebook, t.lang) for t in run.tasks)
    wanted = sorted(counts)

    def record(which):
        assignment, notebook, lang = which
        source = run.out / "source" / assignment
        path = source / f"{notebook}.ipynb"
        if (counts[which] < MIN_NOTEBOOKS_TO_RECORD and path.is_file()
                and not recorded_marker(folder, path.read_bytes(), lang).exists()):
            return ""  # recording costs about one notebook: not worth it for a few
        begun = time.perf_counter()
        try:
            recorded = record_pictures(source, notebook, lang, folder,
                                       timeout=wall_limit(run.timeout))
        except Exception as exc:  # noqa: BLE001 - the pictures are drawn in the kernels then
            return (f"the pictures of {assignment}/{notebook} ({lang}) were not recorded "
                    f"({type(exc).__name__}: {exc}); every kernel draws them")
        return (f"recorded the pictures of {assignment}/{notebook} ({lang}) in "
                f"{time.perf_counter() - begun:.1f} s") if recorded else ""

    # a kernel each, run.jobs at a time: the threads only wait for them
    with ThreadPoolExecutor(max_workers=run.jobs) as pool:
        for said in pool.map(record, wanted):
            if said:
                run.echo(said)
    if folder.is_dir():
        run.tasks = [dataclasses.replace(t, pictures=str(folder)) for t in run.tasks]


def collect_submissions(run: GradingRun, submissions, *, roster=None, student=None) -> None:
    """Read the submissions (a folder or a zip) and the roster; normalise each notebook
    (``submissions.normalize_notebook``) into ``OUTPUT/submitted``; one task per notebook.

    A notebook that is missing or cannot be read is not graded: it earns 0, with the
    reason (``run.problems``).  The folders of every student graded now are rebuilt.
    """
    skipped: list = []
    found, folders = find_submissions(submissions, run.wanted, run.out,
                                      max_bytes=run.max_notebook_bytes, skipped=skipped)
    for name, why in skipped:
        run.echo(f"not graded: {name!r} in the submissions ({why})")
    plan_names = sorted({a for subs in found.values() for a in subs}) or list(run.wanted)
    run.plan = {a: run.wanted[a] for a in plan_names}
    students = read_roster(roster) if roster else list(folders)
    run.students = students + [s for s in folders if s not in students]
    if student is not None and student not in run.students:
        raise ValueError(f"student {student!r} is not in the class (roster or submissions)")
    run.todo = [student] if student is not None else list(run.students)
    langs, sources = {}, {}
    for s in run.todo:
        for assignment, notebooks in run.plan.items():
            for step in ("submitted", "autograded", "feedback"):
                shutil.rmtree(run.out / step / s / assignment, ignore_errors=True)
            (run.out / "judge" / f"{record_name(s, assignment)}.json").unlink(missing_ok=True)
            sub = found.get(s, {}).get(assignment)
            graded = [n for n in notebooks if _normalise(run, s, assignment, n, sub, langs)]
            # a student's assignment is checked in one language: its first notebook's
            lang = langs.get((s, assignment), DEFAULT_LANGUAGE)
            if graded and assignment not in sources:
                sources[assignment] = read_files(run.out / "source" / assignment)
            for notebook in graded:  # one at a time: a task's uids follow from its number
                run.tasks.append(_task(run, s, assignment, notebook, lang, sources[assignment]))
    _save_state(run.out, run.problems, run.cell_notes, run.todo)
    run.problems, run.cell_notes = _load_state(run.out)


def _normalise(run: GradingRun, student: str, assignment: str, notebook: str, sub,
               langs: dict) -> bool:
    """Write one submitted notebook, normalised, into ``OUTPUT/submitted``; or record in
    ``run.problems`` why it is not graded.  Whether it is graded."""
    key = (student, assignment, notebook)
    path = sub.notebooks.get(notebook) if sub else None
    if sub is None:
        run.problems[key] = NOT_SUBMITTED
        return False
    if notebook in sub.refused:
        run.problems[key] = sub.refused[notebook]
        return False
    if path is None:
        run.problems[key] = f"no notebook {notebook}.ipynb in the submission"
        return False
    release_nb = nbformat.read(run.out / "release" / assignment / f"{notebook}.ipynb",
                               as_version=4)
    try:
        nb, notes, per_cell = normalize_notebook(path, release_nb,
                                                 max_bytes=run.max_notebook_bytes)
    except NotebookProblem as exc:
        run.problems[key] = str(exc)
        return False
    except Exception as exc:  # noqa: BLE001 - one bad notebook never stops the class
        run.problems[key] = (f"the notebook could not be read ({type(exc).__name__}: "
                             f"{str(exc)[:300]})")
        return False
    lang = submitted_language(path)
    nb.metadata = copy.deepcopy(nb.metadata)
    nb.metadata.setdefault("convcourse", {})["lang"] = lang
    langs[(student, assignment)] = langs.get((student, assignment)) or lang
    if sub.notes.get(notebook):
        first = next((c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                      if c.get("metadata", {}).get("nbgrader", {}).get("grade")
                      and not c.metadata["nbgrader"].get("solution")), None)
        if first:
            per_cell[first] = "; ".join(sub.notes[notebook] + [per_cell.get(first, "")]).strip("; ")
    dest = run.out / "submitted" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / f"{notebook}.ipynb")
    run.cell_notes[key] = per_cell
    return True


def _task(run: GradingRun, student: str, assignment: str, notebook: str, lang: str,
          source: tuple) -> NotebookTask:
    """The task of one notebook: data and plain settings (see ``autograde.NotebookTask``);
    its seeds are derived here, where the course secret is, from the notebook's code."""
    from .judge import notebook_seeds
    from .sandbox import POLICY

    submitted = (run.out / "submitted" / student / assignment / f"{notebook}.ipynb").read_bytes()
    seeds = notebook_seeds(nbformat.reads(submitted.decode("utf-8"), as_version=4), run.secret,
                           student, assignment, notebook)
    return NotebookTask(
        student=student, assignment=assignment, notebook=notebook, lang=lang,
        submitted=submitted, source=source, seeds=seeds, timeout=run.timeout,
        sandboxed=run.sandboxed, uid=POLICY.task_uid(run.out, len(run.tasks)), judge=run.judge)


def start_pool(run: GradingRun, workers: int | None = None) -> ProcessPoolExecutor:
    """The pool of processes that grade the run's notebooks, started now.

    Each process runs :func:`autograde.warm_up` as it starts, so that its first
    notebook costs what the others do; started before the run prepares (as
    :func:`grade` does), the processes warm up meanwhile.  Processes are reused:
    student code runs in kernels and judge workers, never in them.

    Parameters
    ----------
    run : GradingRun
    workers : int, optional
        Processes (default ``run.jobs``).
    """
    workers = run.jobs if workers is None else workers
    pool = ProcessPoolExecutor(max_workers=workers, initializer=warm_up,
                               mp_context=multiprocessing.get_context("spawn"))
    for _ in range(workers):  # the pool starts a process per task submitted, up to workers
        pool.submit(int)
    return pool


def grade_locally(run: GradingRun, pool: ProcessPoolExecutor | None = None
                  ) -> list[NotebookResult]:
    """Run every task in a pool of ``run.jobs`` processes; the results, as they finish.

    ``pool``: a pool of :func:`start_pool` to use (the caller shuts it down); by
    default one is started for the run's tasks and shut down after them.  A task that
    raises (its process died) is that notebook's failure, never the class's.
    """
    tasks = run.tasks
    total = len(tasks)
    run.echo(f"grading {total} notebook(s) of {len(run.todo)} student(s) with "
             f"{min(run.jobs, max(total, 1))} job(s); output in {run.out}")
    results = []
    if not total:
        return results
    template = run.template_db.read_bytes()
    begun = time.perf_counter()
    with (contextlib.nullcontext(pool) if pool is not None
          else start_pool(run, min(run.jobs, total))) as pool:
        futures = {pool.submit(grade_notebook, t, str(run.scratch(t.student, t.assignment,
                                                                  t.notebook)), template): t
                   for t in tasks}
        for done, fut in enumerate(as_completed(futures), 1):
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - one notebook's failure is its 0
                res = task_failure(futures[fut], exc)
            run.echo(progress_line(res, done, total, time.perf_counter() - begun))
            results.append(res)
    return results


def write_outputs(run: GradingRun, results: list[NotebookResult]) -> dict:
    """Everything a run leaves: the class's gradebook, the notebooks, feedback and logs,
    grades.csv, cells.csv, mistakes.csv and the summary.

    The only phase that writes the gradebook: it registers the class and the
    assignments, then merges the tasks' rows in a fixed order (student, assignment,
    notebook), whatever order they finished in.
    """
    results = sorted(results, key=lambda r: (r.student, r.assignment, r.notebook))
    failures = [r for r in results if not r.ok]
    for res in failures:
        if res.stage in UNTRUSTED_STAGES:
            # no score of this notebook can be trusted: 0, with the reason
            run.problems.setdefault((res.student, res.assignment, res.notebook), res.error)
    with shared_engine(run.db_url):  # one engine for every opening of the gradebook below
        _register(run)
        _merge_into_gradebook(run, results)
        _place_task_files(run, results)
        _save_state(run.out, run.problems, run.cell_notes, run.todo)
        grades, cells = collect_results(run.out, run.db_url, run.students, run.plan,
                                        run.problems, run.cell_notes)
    _missing_feedback(run, cells)
    mistakes, picture, heatmap = _write_tables(run, grades, cells)
    tampered = [r for r in cells if r["message"].startswith(TAMPERING)]
    _report(run, grades, cells, tampered, picture, heatmap)
    timings, judge_timings = {}, {}
    for res in results:
        key = f"{res.student}/{res.assignment}"
        timings[key] = timings.get(key, 0.0) + res.seconds
        judge_timings[key] = judge_timings.get(key, 0.0) + res.judge_seconds
    return {"grades": grades, "cells": cells, "mistakes": mistakes, "output": run.out,
            "timings": timings, "seconds": time.perf_counter() - run.started,
            "failures": [_failure(r) for r in failures], "sandboxed": run.sandboxed,
            "tampered": tampered, "judge_timings": judge_timings}


def _failure(res: NotebookResult) -> dict:
    return {"student": res.student, "assignment": res.assignment, "notebook": res.notebook,
            "ok": False, "stage": res.stage, "error": res.error, "seconds": res.seconds}


def _register(run: GradingRun) -> None:
    """The class and the assignments in the gradebook, one run at a time.

    A new SQLite gradebook starts as a copy of the run's template (every assignment
    registered, no student), without the assignments the run does not grade: what
    registering the graded ones one by one makes, without nbgrader's creation of a
    gradebook (it runs ``alembic`` in a subprocess, about 5 s) and its 1 to 2 s an
    assignment.
    """
    with registration_lock(run.db_url):
        if _new_sqlite_copy(run.db_url, run.template_db):
            remove_assignments(run.db_url, sorted(set(run.wanted) - set(run.plan)))
            register_students(run.db_url, run.students)
            return
        register_students(run.db_url, run.students)
        for name in run.plan:
            retry_when_locked(lambda: generate_assignment(run.out, name, db_url=run.db_url))


def _new_sqlite_copy(db_url: str, template: Path) -> bool:
    """Create the SQLite file of ``db_url`` as a copy of ``template`` if it does not exist
    (exclusively: a file another run created meanwhile is left alone).  Whether it did."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    try:
        with open(url.database, "xb") as f:
            f.write(template.read_bytes())
    except FileExistsError:
        return False
    return True


def _merge_into_gradebook(run: GradingRun, results: list[NotebookResult]) -> None:
    """Copy each task's rows into the class's gradebook, one student's assignment at a time.

    As nbgrader's autograde does, a notebook of a graded assignment that was not graded
    (missing, unreadable) scores 0 in the gradebook.
    """
    from nbgrader.api import Comment, Grade, Gradebook
    from sqlalchemy.orm import joinedload

    by_submission: dict = {}
    for res in results:
        if res.grades:
            by_submission.setdefault((res.student, res.assignment), []).append(res)

    def merge(student, assignment, graded):
        with Gradebook(run.db_url, COURSE_ID) as gb:
            gb.update_or_create_submission(assignment, student)
            rows = {r.notebook: r for r in graded}
            for notebook in run.plan.get(assignment, []):
                subnb = gb.find_submission_notebook(notebook, assignment, student)
                res = rows.get(notebook)
                # the grades and comments with their cells, whose names they go by, in one
                # query each (``subnb.grades`` loads each grade's cell by itself, a query
                # per cell: 0.02 s a notebook)
                for g in gb.db.query(Grade).options(joinedload(Grade.cell)).filter(
                        Grade.notebook_id == subnb.id):
                    g.auto_score = res.grades.get(g.name) if res else 0
                    # as nbgrader's SaveAutoGrades: a manual score, or no automatic one,
                    # needs the instructor (a notebook not graded does not)
                    g.needs_manual_grade = bool(res) and (g.manual_score is not None
                                                          or g.auto_score is None)
                comments = gb.db.query(Comment).options(joinedload(Comment.cell)).filter(
                    Comment.notebook_id == subnb.id) if res else []
                for c in comments:
                    c.auto_comment = res.comments.get(c.name)
            gb.db.commit()

    for (student, assignment), graded in sorted(by_submission.items()):
        retry_when_locked(lambda: merge(student, assignment, graded))


def _place_task_files(run: GradingRun, results: list[NotebookResult]) -> None:
    """Move what the tasks wrote into the output folder: autograded notebooks, feedback,
    the log and the judge's record of each student's assignment; then their scratch."""
    records: dict = {}
    logs: dict = {}
    for res in results:
        where = (res.student, res.assignment)
        for kind, folder in (("autograded", res.autograded), ("feedback", res.feedback)):
            if folder and Path(folder).is_dir():
                shutil.copytree(folder, run.out / kind / res.student / res.assignment,
                                symlinks=True, dirs_exist_ok=True)
        if res.log and Path(res.log).is_file():
            logs.setdefault(where, []).append(Path(res.log).read_text(errors="replace"))
        if res.judged is not None:
            record = records.setdefault(where, {"student": res.student,
                                                "assignment": res.assignment,
                                                "sandboxed": res.sandboxed, "notebooks": {},
                                                "seconds": 0.0})
            if res.judged:
                record["notebooks"][res.notebook] = res.judged
            record["seconds"] = round(record["seconds"] + res.judge_seconds, 3)
    for (student, assignment), texts in logs.items():
        path = run.out / "logs" / f"{record_name(student, assignment)}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(texts))
    for (student, assignment), record in records.items():
        path = run.out / "judge" / f"{record_name(student, assignment)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1, sort_keys=True))
    for res in results:  # the scratch of a student's assignment: all its notebooks placed
        shutil.rmtree(run.scratch(res.student, res.assignment, res.notebook).parent,
                      ignore_errors=True)


def _missing_feedback(run: GradingRun, cells: list[dict]) -> None:
    """A feedback page saying why, for every notebook that could not be graded."""
    for (s, assignment, notebook), reason in run.problems.items():
        if s not in run.students or assignment not in run.plan:
            continue
        path = run.out / "feedback" / s / assignment / f"{notebook}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        max_score = sum(r["max_score"] for r in cells if r["student_id"] == s
                        and r["assignment"] == assignment and r["notebook"] == notebook)
        path.write_text(missing_feedback_html(s, assignment, notebook, reason, max_score))


def _write_tables(run: GradingRun, grades: list, cells: list) -> tuple:
    """grades.csv, cells.csv, mistakes.csv, the pictures and summary.txt."""
    from . import summary as summary_mod

    out = run.out
    summary_mod.write_csv(out / "grades.csv", grades,
                          ["student_id", "assignment", "score", "max_score"])
    summary_mod.write_csv(out / "cells.csv", cells,
                          ["student_id", "assignment", "notebook", "grade_id", "score",
                           "max_score", "message"])
    mistakes = summary_mod.count_mistakes(collect_mistakes(out, run.students, run.plan))
    summary_mod.write_csv(out / "mistakes.csv", mistakes,
                          ["assignment", "exercise", "mistake", "students"])
    picture = summary_mod.plot_summary(grades, cells, out / "summary.png", mistakes=mistakes)
    heatmap = summary_mod.plot_heatmap(grades, cells, out / "heatmap.png")
    (out / "summary.txt").write_text(summary_mod.table(grades, cells) + "\n")
    return mistakes, picture, heatmap


def _report(run: GradingRun, grades, cells, tampered, picture, heatmap) -> None:
    """The summary on ``echo``: the table, tampering, the sandbox, where the files are."""
    from . import summary as summary_mod

    out = run.out
    run.echo(summary_mod.table(grades, cells, rates=False))
    if tampered:
        run.echo(f"{TAMPERING} in {len(tampered)} cell(s) (the judge's score counts): " + ", ".join(
            f"{r['student_id']}/{r['notebook']}/{r['grade_id']}" for r in tampered[:20])
            + (" ..." if len(tampered) > 20 else ""))
    run.echo(run.unsandboxed_note or "sandbox: every kernel and judge worker ran in bubblewrap "
             f"({run.sandbox_reason})")
    run.echo(f"grades: {out / 'grades.csv'}\ncells: {out / 'cells.csv'}\n"
             f"feedback: {out / 'feedback'}/<student>/<assignment>/<notebook>.html\n"
             f"picture: {picture}\nheat map: {heatmap}\nmistakes: {out / 'mistakes.csv'}\n"
             f"summary (grades and full marks per exercise): {out / 'summary.txt'}")


def submitted_language(path: Path) -> str:
    """The language a submitted notebook records (English when it records none or an unknown one).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".ipynb", delete=False) as f:
    ...     _ = f.write('{"metadata": {"convcourse": {"lang": "ru"}}, "cells": []}')
    >>> submitted_language(Path(f.name))
    'ru'
    """
    try:
        meta = json.loads(Path(path).read_text(encoding="utf-8", errors="replace")).get("metadata", {})
        lang = (meta.get("convcourse") or {}).get("lang", DEFAULT_LANGUAGE)
    except (OSError, ValueError, AttributeError):
        return DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def _say(*args) -> None:
    print(*args, flush=True)


def _printable_echo(echo):
    """``echo``, with the control characters of what it prints removed (a student id
    or a message may hold terminal escapes)."""
    from .summary import printable

    def say(*args):
        echo(*(printable(str(a), keep_newlines=True) for a in args))

    return say


def _save_state(out: Path, problems: dict, cell_notes: dict, regraded: list[str]) -> None:
    """Keep the reasons and notes of every student across runs (``--student`` regrades one)."""
    path = out / "grading-notes.json"
    old = json.loads(path.read_text()) if path.is_file() else {"problems": [], "notes": []}
    keep_p = [p for p in old["problems"] if p[0] not in regraded]
    keep_n = [n for n in old["notes"] if n[0] not in regraded]
    state = {
        "problems": sorted(keep_p + [[*k, v] for k, v in problems.items()]),
        "notes": sorted(keep_n + [[*k, v] for k, v in cell_notes.items()]),
    }
    path.write_text(json.dumps(state, indent=1, sort_keys=True))


def _load_state(out: Path) -> tuple[dict, dict]:
    state = json.loads((out / "grading-notes.json").read_text())
    problems = {(s, a, n): v for s, a, n, v in state["problems"]}
    notes = {(s, a, n): v for s, a, n, v in state["notes"]}
    return problems, notes
