"""``convcourse grade``: autograde a class with nbgrader, robustly.

One run, in an output folder that is an nbgrader course directory:

1. copy ``solutions/`` to ``OUTPUT/source`` and run ``generate_assignment``
   (registers the assignment in the gradebook; ``OUTPUT/release`` is the stub
   every submission is normalised against);
2. read the submissions (a folder or a zip), normalise each notebook
   (``submissions.normalize_notebook``) into ``OUTPUT/submitted``; a notebook
   that is missing or not valid JSON is not graded and earns 0, with the reason;
3. autograde each student in a separate process (``--jobs`` at a time) with
   the robust pipeline of ``config.apply_robust_pipeline``, then generate the
   feedback (hidden tests stripped);
   Every kernel runs in the sandbox (``sandbox.py``; a uid of its own per
   student's assignment, and another for its judge workers,
   a private copy of the notebook's folder, no course secret: per-exercise
   seeds instead); then the judge (``judge.py``) scores each graded cell that
   calls a check, running the submission's functions in sandboxed workers,
   and its scores replace the kernel's in the gradebook (a difference is
   recorded as "tampering suspected", unless the kernel timed out or died on
   that cell: then it reported nothing); where no sandbox can be created the run
   says so loudly and the judge still decides;
4. read the gradebook back into ``grades.csv`` and ``cells.csv``, and write the
   summary (``summary.py``).

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

import copy
import json
import logging
import multiprocessing
import os
import re
import shutil
import sys
import hashlib
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat

from .config import assignments as list_assignments
from .config import (check_db_url, course_root, nbgrader_config, notebook_names, resolve_secret,
                     split_grade_id)
from ..i18n import DEFAULT_LANGUAGE, LANG_VAR, LANGUAGES, translate
from .feedback import missing_feedback_html
from .gradebook import register_students, registration_lock
from .release import generate_assignment
from .submissions import (MAX_NOTEBOOK_BYTES, NotebookProblem, find_submissions,
                          normalize_notebook, read_roster)

__all__ = ["grade", "cell_message", "collect_results", "TAMPERING", "UNFINISHED",
           "kernel_did_not_finish", "judged_message", "submitted_language"]

#: how cells.csv and the summary flag a cell whose kernel score the judge contradicts
TAMPERING = "tampering suspected"
#: a kernel that timed out or died on a cell reported nothing: not tampering
UNFINISHED = "your notebook's kernel did not finish this cell"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FLOOD = re.compile(r"characters of (stdout|stderr) dropped: this cell printed (\d+) characters")
_KERNEL_FILE = re.compile(r"/\S*?ipykernel_\d+/\d+\.py")  # differs per run: not in messages
#: the reason of a (student, assignment, notebook) with no submission at all
NOT_SUBMITTED = "nothing was submitted"
_SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
_ERROR_PLACE = re.compile(r"\s*\((?:[^()]*?), line (\d+)\)\s*$")


def _default_db(out: Path) -> str:
    return f"sqlite:///{out / 'gradebook.db'}?timeout=120"


_MEMORY_BYTES = 3 * 2**30
#: uids a run may give: two per student's assignment (kernel, judge workers)
_UIDS_PER_RUN = 20_000


def uid_range(out: Path) -> range:
    """The uids a run into ``out`` gives its sandboxes: ``1,000,000 + k * 20,000`` onwards
    (k from the output folder), two per task (the kernels, then the judge's workers), so
    that no two students share a uid (their processes, keyrings, limits) and two runs into
    different folders rarely meet.  Past 10,000 tasks the uids are given again; the
    sandbox's prelude clears a uid's keyrings before any code of a student runs."""
    start = 1_000_000 + (zlib.crc32(str(out).encode()) % 100_000) * _UIDS_PER_RUN
    return range(start, start + _UIDS_PER_RUN)


def _sandbox_configs(task: dict):
    """``(kernel config, judge worker config)`` of this task, or ``(None, None)`` unsandboxed."""
    if not task.get("sandbox"):
        return None, None
    from .sandbox import SandboxConfig

    uid = int(task["uid"])
    base = SandboxConfig()
    kernel = SandboxConfig(uid=uid, gid=uid, memory_bytes=_MEMORY_BYTES,
                           pass_env=base.pass_env + ("CONVCOURSE_SEEDS",))
    worker = SandboxConfig(uid=uid + 1, gid=uid + 1, memory_bytes=_MEMORY_BYTES,
                           cpu_seconds=120, pass_env=())
    return kernel, worker


def _judge_task(task: dict, config_secret: str, worker_config, log) -> dict:
    """Judge every notebook of one student's assignment; fix the gradebook; write the record."""
    from nbgrader.api import Gradebook

    from .execute import wall_limit
    from .judge import judge_notebook

    out = Path(task["root"])
    student, assignment = task["student"], task["assignment"]
    record = {"student": student, "assignment": assignment,
              "sandboxed": worker_config is not None, "notebooks": {}}
    start = time.perf_counter()
    for notebook in task.get("notebooks", []):
        submitted = out / "submitted" / student / assignment / f"{notebook}.ipynb"
        autograded = out / "autograded" / student / assignment / f"{notebook}.ipynb"
        if not submitted.is_file() or autograded.is_symlink() or not autograded.is_file():
            continue
        source_nb = nbformat.read(out / "source" / assignment / f"{notebook}.ipynb", as_version=4)
        submitted_nb = nbformat.read(submitted, as_version=4)
        unfinished = kernel_did_not_finish(nbformat.read(autograded, as_version=4))
        try:
            result = judge_notebook(source_nb, submitted_nb, student=student,
                                    assignment=assignment, notebook=notebook,
                                    secret=config_secret, sandbox=worker_config,
                                    files_from=submitted.parent,
                                    # a wall-clock limit per statement: generous, so that a
                                    # busy machine does not stop an honest import
                                    timeout=wall_limit(task["timeout"]))
            failure = ""
        except Exception as exc:  # noqa: BLE001 - a judge failure must not stop the class
            log.exception("the judge failed on %s", notebook)
            from .judge import judged_cells

            failure = f"the judge could not score this cell ({type(exc).__name__}: {exc})"
            result = {"verdicts": {}, "not_judged": [], "load_errors": [], "refused": [],
                      "workers": 0, "seconds": 0.0}
            failed_cells = judged_cells(source_nb)
        cells = {}
        for attempt in range(6):
            try:
                with Gradebook(task["db_url"], "convcourse") as gb:
                    subnb = gb.find_submission_notebook(notebook, assignment, student)
                    for g in subnb.grades:
                        v = result["verdicts"].get(g.name)
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
                        cells[g.name] = {"kernel": kernel, "judge": judge,
                                         "points": float(g.max_score),
                                         "tampering": differs and g.name not in unfinished,
                                         "unfinished": differs and g.name in unfinished,
                                         "hidden": hidden, "report": report,
                                         "exercise": v.exercise if v else "",
                                         "mistakes": mistakes}
                    gb.db.commit()
                break
            except Exception as exc:  # noqa: BLE001
                if "database is locked" in str(exc) and attempt < 5:
                    time.sleep(1 + attempt)
                    continue
                raise
        _hide_tampered_outputs(autograded, cells)
        record["notebooks"][notebook] = {
            "cells": cells, "not_judged": result["not_judged"],
            "load_errors": result["load_errors"][:20], "refused": result["refused"][:20],
            "workers": result["workers"], "seconds": round(result["seconds"], 3)}
    record["seconds"] = round(time.perf_counter() - start, 3)
    path = out / "judge" / f"{record_name(student, assignment)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, sort_keys=True))
    return record


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
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid and any(o.get("output_type") == "error"
                       and o.get("ename") in ("KernelDied", "CellTimeoutError")
                       for o in cell.get("outputs", [])):
            found.add(gid)
    return found


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


def _hide_tampered_outputs(path: Path, cells: dict) -> None:
    """In the autograded notebook (the feedback's source), a cell whose kernel score the judge
    replaced shows the judge's score and report instead of what the kernel printed."""
    changed = False
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        info = cells.get(gid)
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


def _autograde_task(task: dict) -> dict:
    """Autograde one student's assignment and write its feedback (runs in a child process)."""
    os.environ.update(task["env"])
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    out = Path(task["root"])
    student, assignment = task["student"], task["assignment"]
    log_path = out / "logs" / f"{record_name(student, assignment)}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # nbgrader, SQLAlchemy and the kernels write to the terminal: send it all to the log
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    handler = logging.FileHandler(log_path, mode="a")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger(f"convcourse.grade.{student}.{assignment}")
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    start = time.perf_counter()
    kernel_config, worker_config = _sandbox_configs(task)
    config = nbgrader_config(out, db_url=task["db_url"], timeout=task["timeout"],
                             sandbox_config=kernel_config, hide_secret=True)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    result = {"student": student, "assignment": assignment, "ok": True, "error": ""}
    for attempt in range(4):
        try:
            app = Autograde(coursedir=coursedir, config=config, log=log)
            app.force = True
            app.create_student = True
            app.start()
            break
        except Exception as exc:  # noqa: BLE001 - reported per student, never fatal to the class
            locked = "database is locked" in str(exc)
            log.exception("autograde failed (attempt %d)", attempt + 1)
            if locked and attempt < 3:
                time.sleep(1 + attempt)
                continue
            result.update(ok=False, stage="autograde",
                          error=f"autograde failed: {type(exc).__name__}: {exc}")
            break
    kernel_seconds = time.perf_counter() - start
    if result["ok"] and task.get("judge", True):
        try:
            _judge_task(task, task["env"]["CONVCOURSE_SECRET"], worker_config, log)
        except Exception as exc:  # noqa: BLE001
            log.exception("judge failed")
            result.update(ok=False, stage="judge",
                          error=f"judge failed: {type(exc).__name__}: {exc}")
    result["judge_seconds"] = time.perf_counter() - start - kernel_seconds
    try:
        app = GenerateFeedback(coursedir=coursedir, config=config, log=log)
        app.force = True
        app.start()
    except Exception as exc:  # noqa: BLE001
        log.exception("generate_feedback failed")
        if result["ok"]:
            result.update(ok=False, error=f"feedback failed: {type(exc).__name__}: {exc}")
    result["seconds"] = time.perf_counter() - start
    handler.close()
    return result


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
                            gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
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
        gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
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


def grade(submissions, *, output="output", jobs: int = 1, db_url: str | None = None,
          roster=None, student: str | None = None, timeout: int = 60,
          secret_file=None, demo: bool = False, course=None, echo=None,
          sandbox: bool | None = None, judge: bool = True,
          max_notebook_bytes: int = MAX_NOTEBOOK_BYTES) -> dict:
    """Grade a class; write grades.csv, cells.csv, feedback and a summary.

    Parameters
    ----------
    submissions : path
        nbgrader's submitted layout (``<student>/<assignment>/<notebook>.ipynb``)
        or a zip of it.
    output : path
        The output folder (an nbgrader course directory).
    jobs : int
        Students graded at once, each in its own process.
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

    Returns
    -------
    result : dict
        ``grades``, ``cells`` (lists of rows), ``output`` (Path), ``timings``
        (seconds per student), ``seconds`` (total), ``failures``.

    Raises
    ------
    ValueError
        On a bad ``jobs`` or ``timeout``, or a ``student`` that is not in the class.
    """
    from . import summary as summary_mod
    from .._validation import check_int

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
        print("warning: grading with the public demo secret: students can predict their "
              "random cases. Set CONVCOURSE_SECRET, ~/.config/convcourse/secret or --secret-file.",
              file=sys.stderr)
    db_url = check_db_url(db_url) if db_url else _default_db(out)
    from .sandbox import sandbox_available

    sandbox_status = sandbox_available()
    sandboxed = bool(sandbox_status) if sandbox is None else bool(sandbox) and bool(sandbox_status)
    unsandboxed_note = ""
    if not sandboxed:
        why = (sandbox_status.reason if not sandbox_status
               else "the sandbox was turned off: --no-sandbox, or sandbox=False")
        unsandboxed_note = (f"WARNING: UNSANDBOXED GRADING ({why}): submissions' code runs with "
                            "the grader's rights; the judge still decides the scores")
        echo(unsandboxed_note)
        print(unsandboxed_note, file=sys.stderr)

    # 1. the course's assignments, registered in the gradebook
    course_assignments = list_assignments(root / "solutions")
    if not course_assignments:
        raise FileNotFoundError(f"no assignment in {root / 'solutions'}")
    shutil.rmtree(out / "source", ignore_errors=True)
    for name in course_assignments:
        shutil.copytree(root / "solutions" / name, out / "source" / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    wanted = {a: notebook_names(out / "source" / a) for a in course_assignments}

    # 2. the submissions
    skipped: list = []
    found, folders = find_submissions(submissions, wanted, out, max_bytes=max_notebook_bytes,
                                      skipped=skipped)
    for name, why in skipped:
        echo(f"not graded: {name!r} in the submissions ({why})")
    plan_names = sorted({a for subs in found.values() for a in subs}) or course_assignments
    plan = {a: wanted[a] for a in plan_names}
    students = read_roster(roster) if roster else list(folders)
    students += [s for s in folders if s not in students]
    if student is not None:
        if student not in students:
            raise ValueError(f"student {student!r} is not in the class (roster or submissions)")
        todo = [student]
    else:
        todo = list(students)
    # the gradebook, the assignments and the students, registered one run at a time
    with registration_lock(db_url):
        register_students(db_url, students)
        for name in plan:
            generate_assignment(out, name, db_url=db_url)

    problems, cell_notes, tasks, langs = {}, {}, [], {}
    for s in todo:
        for assignment, notebooks in plan.items():
            for step in ("submitted", "autograded", "feedback"):
                shutil.rmtree(out / step / s / assignment, ignore_errors=True)
            (out / "judge" / f"{record_name(s, assignment)}.json").unlink(missing_ok=True)
            sub = found.get(s, {}).get(assignment)
            dest = out / "submitted" / s / assignment
            graded_any = False
            for notebook in notebooks:
                key = (s, assignment, notebook)
                path = sub.notebooks.get(notebook) if sub else None
                if sub is None:
                    problems[key] = NOT_SUBMITTED
                    continue
                if notebook in sub.refused:
                    problems[key] = sub.refused[notebook]
                    continue
                if path is None:
                    problems[key] = f"no notebook {notebook}.ipynb in the submission"
                    continue
                release_nb = nbformat.read(out / "release" / assignment / f"{notebook}.ipynb", as_version=4)
                try:
                    nb, notes, per_cell = normalize_notebook(path, release_nb,
                                                             max_bytes=max_notebook_bytes)
                except NotebookProblem as exc:
                    problems[key] = str(exc)
                    continue
                except Exception as exc:  # noqa: BLE001 - one bad notebook never stops the class
                    problems[key] = (f"the notebook could not be read ({type(exc).__name__}: "
                                     f"{str(exc)[:300]})")
                    continue
                lang = submitted_language(path)
                nb.metadata = copy.deepcopy(nb.metadata)
                nb.metadata.setdefault("convcourse", {})["lang"] = lang
                langs[(s, assignment)] = langs.get((s, assignment)) or lang
                if sub.notes.get(notebook):
                    first = next((c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                                  if c.get("metadata", {}).get("nbgrader", {}).get("grade")
                                  and not c.metadata["nbgrader"].get("solution")), None)
                    if first:
                        per_cell[first] = "; ".join(sub.notes[notebook] + [per_cell.get(first, "")]).strip("; ")
                dest.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, dest / f"{notebook}.ipynb")
                cell_notes[key] = per_cell
                graded_any = True
            if graded_any:
                tasks.append({"student": s, "assignment": assignment,
                              "notebooks": list(notebooks),
                              "lang": langs.get((s, assignment), DEFAULT_LANGUAGE)})
    _save_state(out, problems, cell_notes, todo)
    problems, cell_notes = _load_state(out)

    # 3. autograde, one process per student
    env = {"CONVCOURSE_SECRET": secret, "PATH": os.environ["PATH"]}
    uids = uid_range(out)
    for index, task in enumerate(tasks):
        task.update(root=str(out), db_url=db_url, timeout=timeout,
                    env={**env, LANG_VAR: task["lang"]},
                    sandbox=sandboxed, uid=uids[2 * index % len(uids)], judge=bool(judge))
    timings, failures, judge_timings = {}, [], {}
    total = len(tasks)
    echo(f"grading {total} submission(s) of {len(todo)} student(s) with {min(jobs, max(total, 1))} "
         f"job(s); output in {out}")
    ctx = multiprocessing.get_context("spawn")
    if total:
        # worker processes are reused: student code runs in kernels, never in a worker
        workers = min(jobs, total)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(_autograde_task, t): t for t in tasks}
            for done, fut in enumerate(as_completed(futures), 1):
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - one student's failure is that student's 0
                    task = futures[fut]
                    res = {"student": task["student"], "assignment": task["assignment"],
                           "ok": False, "seconds": 0.0, "stage": "autograde",
                           "error": f"grading failed: {type(exc).__name__}: {str(exc)[:300]}"}
                timings[f"{res['student']}/{res['assignment']}"] = res["seconds"]
                judge_timings[f"{res['student']}/{res['assignment']}"] = res.get("judge_seconds", 0.0)
                status = "ok" if res["ok"] else res["error"]
                echo(f"[{done:>{len(str(total))}}/{total}] graded {res['student']} "
                     f"{res['assignment']} in {res['seconds']:.1f} s: {status}")
                if not res["ok"]:
                    failures.append(res)
                    if res.get("stage") in ("autograde", "judge"):
                        # no score of this task can be trusted: 0, with the reason
                        for notebook in plan.get(res["assignment"], []):
                            problems.setdefault((res["student"], res["assignment"], notebook),
                                                res["error"])

    # 4. tables, feedback for what could not be graded, summary
    _save_state(out, problems, cell_notes, todo)
    grades, cells = collect_results(out, db_url, students, plan, problems, cell_notes)
    tampered = [r for r in cells if r["message"].startswith(TAMPERING)]
    for (s, assignment, notebook), reason in problems.items():
        if s not in students or assignment not in plan:
            continue
        path = out / "feedback" / s / assignment / f"{notebook}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        max_score = sum(r["max_score"] for r in cells if r["student_id"] == s
                        and r["assignment"] == assignment and r["notebook"] == notebook)
        path.write_text(missing_feedback_html(s, assignment, notebook, reason, max_score))
    summary_mod.write_csv(out / "grades.csv", grades,
                          ["student_id", "assignment", "score", "max_score"])
    summary_mod.write_csv(out / "cells.csv", cells,
                          ["student_id", "assignment", "notebook", "grade_id", "score",
                           "max_score", "message"])
    mistakes = summary_mod.count_mistakes(collect_mistakes(out, students, plan))
    summary_mod.write_csv(out / "mistakes.csv", mistakes,
                          ["assignment", "exercise", "mistake", "students"])
    picture = summary_mod.plot_summary(grades, cells, out / "summary.png", mistakes=mistakes)
    heatmap = summary_mod.plot_heatmap(grades, cells, out / "heatmap.png")
    (out / "summary.txt").write_text(summary_mod.table(grades, cells) + "\n")
    echo(summary_mod.table(grades, cells, rates=False))
    if tampered:
        echo(f"{TAMPERING} in {len(tampered)} cell(s) (the judge's score counts): " + ", ".join(
            f"{r['student_id']}/{r['notebook']}/{r['grade_id']}" for r in tampered[:20])
            + (" ..." if len(tampered) > 20 else ""))
    echo(unsandboxed_note or "sandbox: every kernel and judge worker ran in bubblewrap "
         f"({sandbox_status.reason})")
    echo(f"grades: {out / 'grades.csv'}\ncells: {out / 'cells.csv'}\n"
         f"feedback: {out / 'feedback'}/<student>/<assignment>/<notebook>.html\npicture: {picture}\n"
         f"heat map: {heatmap}\nmistakes: {out / 'mistakes.csv'}\n"
         f"summary (grades and full marks per exercise): {out / 'summary.txt'}")
    return {"grades": grades, "cells": cells, "mistakes": mistakes, "output": out, "timings": timings,
            "seconds": time.perf_counter() - started, "failures": failures,
            "sandboxed": sandboxed, "tampered": tampered, "judge_timings": judge_timings}


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
