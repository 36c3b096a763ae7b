"""The judge: scores a submission's graded cells outside the student's kernel.

The in-kernel test cells make the student's feedback, but a submission's code
runs in that kernel and can fool anything there.  The judge decides the score:

- it reads the *instructor's* notebook (never the submission's) to find which
  graded cell calls which check: ``check_<name>(<name>, points=P, hidden=True)``
  (hidden: the judge's score counts) or ``check_<name>(<name>)`` (visible: the
  kernel's points count only if the public cases pass in the judge);
- it never runs student code: it generates the cases (seeded from the course
  secret, as :func:`convcourse.grading._cases.grading_seed` does), computes the
  expected answers with the reference and scores them with the same
  :class:`~convcourse.grading._cases.Exercise` machinery;
- the submission's functions run in a separate worker process
  (``_judge_worker.py``, in the sandbox where there is one), built from the
  submitted notebook's code cells (test cells and IPython magics left out),
  with the exercise's forbidden modules and functions made unusable; the two
  exchange plain data only (JSON and raw arrays, never pickled);
- a worker runs only the statements that can define what the graded
  functions read (:func:`needed_statements`: their helpers, constants and
  imports, transitively), not the notebook's pictures, demos or training
  runs; one worker serves every exercise with the same forbidden set.  A
  worker per forbidden set, rather than one per notebook switching its rules
  per call, because a module the submission could import while loading stays
  reachable afterwards (Python 3.11 has no audit event for starting a thread,
  and a call from C to C escapes the call monitor): each worker's blocked
  modules are never importable in it at all.  A notebook's workers are
  launched together, before the first check, so that their starts overlap.

A cell whose test is not one call of a known check (an instructor's own assert
code) is not judged: its kernel score stands, and the verdict says so.
"""

from __future__ import annotations

import ast
import builtins
import copy
import dataclasses
import importlib.util
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _judge_worker as wire
from .nbfacts import copy_regular_files, is_test_cell
from .sandbox import POLICY

__all__ = ["JudgedCell", "CellVerdict", "judged_cells", "student_program", "needed_statements",
           "code_hashes", "Worker", "judge_notebook", "WORKER_PATH"]

WORKER_PATH = str(Path(wire.__file__).resolve())
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
_RUNNER_PATH = str(Path(_PACKAGE_DIR) / "grading" / "_runner.py")
#: modules no submission's function may reach in the worker, whatever the exercise
_ALWAYS_BLOCKED = ("convcourse.grading", "convcourse.course")
#: parts of convcourse a sandboxed worker never has (the tools around the reference)
_NEVER_MOUNTED = ("convcourse.cli", "convcourse.viz", "convcourse.data", "convcourse.__main__")
#: where a sandboxed worker finds its program, the call monitor and its packages
_VIEW = "/judge"


@dataclass(frozen=True)
class JudgedCell:
    """A graded cell the judge can score: which check, hidden or visible, how many points."""

    grade_id: str
    exercise: str
    hidden: bool
    points: float


@dataclass
class CellVerdict:
    """The judge's verdict on one graded cell.

    ``score`` is the judge's score for a hidden cell; for a visible cell,
    ``passed`` says whether the public cases pass (the kernel's points count
    only then).  ``died`` is True when the worker died during the check.
    ``mistakes`` names the typical mistakes the check recognised
    (``Outcome.mistakes``), for the class's count of mistakes.
    """

    grade_id: str
    exercise: str
    hidden: bool
    points: float
    score: float = 0.0
    passed: bool = False
    report: str = ""
    died: bool = False
    mistakes: list = field(default_factory=list)


def judged_cells(source_nb, exercises=None) -> dict:
    """The graded cells of an instructor's notebook that call one known check.

    Parameters
    ----------
    source_nb : nbformat.NotebookNode
        The instructor's notebook (solutions and hidden tests).
    exercises : dict, optional
        Exercise name -> Exercise (default: every exercise of the course).

    Returns
    -------
    dict
        grade_id -> :class:`JudgedCell`.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "p", "points": 4}}
    >>> nb = new_notebook(cells=[new_code_cell("check_pad2d(pad2d, points=4, hidden=True)",
    ...                                        metadata=meta)])
    >>> judged_cells(nb)["p"]
    JudgedCell(grade_id='p', exercise='pad2d', hidden=True, points=4.0)
    """
    if exercises is None:
        from ..grading import EXERCISES as exercises
    found = {}
    for cell in source_nb.cells:
        if not is_test_cell(cell):
            continue
        meta = cell.metadata["nbgrader"]
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name) and n.func.id.startswith("check_")]
        if len(calls) != 1:
            continue
        call = calls[0]
        name = call.func.id[len("check_"):]
        if name not in exercises or not call.args or not isinstance(call.args[0], ast.Name):
            continue
        hidden = any(k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True
                     for k in call.keywords)
        found[meta["grade_id"]] = JudgedCell(meta["grade_id"], name, hidden,
                                             float(meta.get("points", 0) or 0))
    return found


def student_program(nb) -> list:
    """``[(filename, source), ...]``: the code cells a worker runs, test cells left out.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell(
    ...     "assert x", metadata={"nbgrader": {"grade": True, "solution": False}})])
    >>> student_program(nb)
    [('<ipython-input-1>', 'x = 1')]
    """
    program = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or is_test_cell(cell) or not cell.source.strip():
            continue
        program.append((f"<ipython-input-{index + 1}>", cell.source))
    return program


def _statement_names(node) -> tuple:
    """``(binds, uses, side_binds)`` of one top-level statement.

    ``binds``: names the statement binds at module level (assignment targets,
    imports, ``def``/``class``, ``del``, and the base name of a subscript or
    attribute it assigns to); ``uses``: the global names it reads, including
    those read inside its functions, classes, lambdas and comprehensions;
    ``side_binds``: globals its functions assign through ``global`` (bound only
    when called).  A star import binds ``"*"``.
    """
    import symtable

    source = ast.unparse(node)
    try:
        table = symtable.symtable(source, "<statement>", "exec")
    except (SyntaxError, ValueError):
        return {"*"}, set(), set()
    binds, uses, side = set(), set(), set()
    for sym in table.get_symbols():
        if sym.is_assigned() or sym.is_imported() or sym.is_namespace():
            binds.add(sym.get_name())
        if sym.is_referenced():
            uses.add(sym.get_name())

    def scope(tab):
        for sym in tab.get_symbols():
            if sym.is_global() and sym.is_referenced():
                uses.add(sym.get_name())
            if sym.is_declared_global() and sym.is_assigned():
                side.add(sym.get_name())
        for child in tab.get_children():
            scope(child)

    for child in table.get_children():
        scope(child)
    def module_level(tree):
        """The nodes of ``tree`` outside any function, class or lambda body."""
        todo = [tree]
        while todo:
            sub = todo.pop()
            yield sub
            if not isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                    ast.ClassDef)):
                todo.extend(ast.iter_child_nodes(sub))

    for sub in module_level(node):
        targets = []
        if isinstance(sub, ast.Assign):
            targets = sub.targets
        elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
            targets = [sub.target]
        elif isinstance(sub, ast.Delete):
            targets = sub.targets
        for target in targets:
            for t in ast.walk(target):
                while isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
                    t = t.value
                if isinstance(t, ast.Name):
                    binds.add(t.id)
        if isinstance(sub, ast.ImportFrom) and any(a.name == "*" for a in sub.names):
            binds.add("*")
    return binds, uses, side


def needed_statements(program, roots):
    r"""The top-level statements of ``program`` that can define what ``roots`` need.

    A worker needs the graded functions (``roots``) and everything they read,
    transitively: the statements binding those names (a helper, a constant, an
    import) and, in turn, what those statements read.  Statements that define
    nothing needed (a picture, a demo, training a model) are left out.  The
    analysis is conservative: when a needed name is bound by no top-level
    statement (it may come from a ``global`` assignment or an ``exec``), it
    returns None: run everything.

    Parameters
    ----------
    program : list of (str, str)
        :func:`student_program`.
    roots : iterable of str
        Names of the functions the judge calls.

    Returns
    -------
    set of (int, int) or None
        ``(cell index, statement index)`` in the worker's numbering, or None.

    Examples
    --------
    >>> program = [("c1", "import numpy as np\nimport matplotlib"),
    ...            ("c2", "K = np.ones(2)\npicture = matplotlib.figure()\ndef f(x):\n    return K * x")]
    >>> sorted(needed_statements(program, ["f"]))
    [(0, 0), (1, 0), (1, 2)]
    """
    return _needed(_statement_table(program), roots)


def _statement_table(program) -> list:
    """``[(key, node, binds, uses, side_binds), ...]``: the program's top-level statements.

    ``key`` is ``(cell index, statement index)``; bare expressions are left
    out (the worker never runs them); a cell that does not parse has none.
    """
    table = []
    for ci, (_, source) in enumerate(program):
        try:
            tree = ast.parse(wire.strip_magics(source))
        except SyntaxError:
            continue
        for si, node in enumerate(tree.body):
            if isinstance(node, ast.Expr):
                continue  # the worker never runs bare expressions
            table.append(((ci, si), node, *_statement_names(node)))
    return table


def _needed(table, roots):
    """:func:`needed_statements` on a :func:`_statement_table`."""
    statements = [(key, binds, uses, side) for key, _, binds, uses, side in table]
    needed, run = set(roots), set()
    changed = True
    while changed:
        changed = False
        for key, binds, uses, side in statements:
            if key in run or not (binds & needed or "*" in binds):
                continue
            run.add(key)
            changed |= bool(uses - needed)
            needed |= uses
    bound = set().union(*(b for _, b, _, _ in statements)) if statements else set()
    sided = set().union(*(s for _, _, _, s in statements)) if statements else set()
    missing = {n for n in needed - bound if not hasattr(builtins, n)}
    if (missing and "*" not in bound) or (needed & sided):
        return None
    return run


class _NoDocstrings(ast.NodeTransformer):
    """Drops the docstrings of functions and classes (they do not change what code does)."""

    def _strip(self, node):
        self.generic_visit(node)
        body = node.body
        if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _strip


def code_hashes(program, names) -> dict:
    r"""The hash of each graded function's normalised code: what seeds its hidden cases.

    A function's code is the statements :func:`needed_statements` finds for it
    (the function, the helpers, constants and imports it reads, transitively),
    each as ``ast.dump`` without line numbers and docstrings, in program
    order: comments, blank lines, spacing, docstrings and the rest of the
    notebook do not change it; any change to what the function computes does.
    When the analysis cannot tell (:func:`needed_statements` gives None) the
    whole program counts.  The grader gives the kernel seeds derived with
    these hashes and the judge derives the same from the submitted notebook
    (:func:`convcourse.grading._cases.derive_seed`).

    Parameters
    ----------
    program : list of (str, str)
        :func:`student_program`.
    names : iterable of str
        The graded functions' names.

    Returns
    -------
    dict
        name -> 16 hex digits.

    Examples
    --------
    >>> a = [("c1", "import numpy as np\ndef f(x):\n    return np.abs(x)  # magnitude")]
    >>> b = [("c1", "import numpy as np\n\n\ndef f(x):\n    return np.abs( x )")]
    >>> c = [("c1", "import numpy as np\ndef f(x):\n    return -np.abs(x)")]
    >>> code_hashes(a, ["f"]) == code_hashes(b, ["f"]), code_hashes(a, ["f"]) == code_hashes(c, ["f"])
    (True, False)
    """
    import hashlib

    table = _statement_table(program)
    dumps = {key: ast.dump(_NoDocstrings().visit(copy.deepcopy(node)))
             for key, node, *_ in table}
    hashes = {}
    for name in names:
        keep = _needed(table, [name])
        text = "\n".join([name] + [dumps[key] for key, *_ in table
                                    if keep is None or key in keep])
        hashes[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return hashes


def notebook_seeds(nb, secret, student, assignment, notebook) -> str:
    """``CONVCOURSE_SEEDS`` of one submitted notebook: every exercise's seed, no secret.

    Derived from the secret, whose notebook it is and the hash of each graded
    function's code in ``nb`` (:func:`code_hashes`; ``nb`` None: no hashes).  What
    the grader hands a grading task (``autograde.NotebookTask.seeds``) instead of the
    secret: its kernel and its judge draw their cases from these seeds.

    Examples
    --------
    >>> import json
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> from convcourse.grading._cases import derive_seed
    >>> nb = new_notebook(cells=[new_code_cell("def pad2d(x): return x")])
    >>> seeds = json.loads(notebook_seeds(nb, "s3cret", "ann", "a1", "nb"))
    >>> code = code_hashes(student_program(nb), ["pad2d"])["pad2d"]
    >>> seeds["seeds"]["pad2d"] == derive_seed("s3cret", "ann", "a1", "nb", "pad2d", code)
    True
    >>> "s3cret" in json.dumps(seeds), seeds["public"]
    (False, False)
    """
    from ..grading import EXERCISES
    from ..grading._cases import derive_seeds

    codes = code_hashes(student_program(nb), EXERCISES) if nb is not None else {}
    return derive_seeds(secret, student, assignment, notebook, list(EXERCISES), codes)


class WorkerDied(Exception):
    """The worker process died or stopped answering."""


@dataclass(frozen=True)
class Deadline:
    """One overall deadline (``time.monotonic``) for the workers of one notebook.

    Measured by the judge: no message from a worker moves it.
    """

    end: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + float(seconds), float(seconds))

    def left(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> WorkerDied:
        return WorkerDied(f"the judge's {self.seconds:g} s for this notebook ran out")


def default_deadline(timeout: float) -> float:
    """Seconds the judge gives one notebook's workers in all: ten cell timeouts, at least
    two minutes (an honest notebook needs a few seconds)."""
    return max(120.0, 10.0 * float(timeout))


def worker_view(blocked_modules) -> list:
    """``[(host path, path inside), ...]``: all a sandboxed worker is given beside the
    standard library.

    The worker's program (``_judge_worker.py``) and the call monitor
    (``grading/_runner.py``), each alone; numpy (and the shared libraries its
    wheel bundles, ``numpy.libs``); and the ``convcourse`` modules that none of
    ``blocked_modules`` names, file by file, never its ``__init__`` (the worker
    puts a stub package in its place), ``grading``, ``course`` or the tools
    around the reference (:data:`_NEVER_MOUNTED`).  No scipy, no torch, nothing
    else of the environment: what an exercise forbids is not there to load,
    under any name.
    """
    blocked = tuple(blocked_modules) + _ALWAYS_BLOCKED + _NEVER_MOUNTED
    view = [(WORKER_PATH, f"{_VIEW}/_judge_worker.py"), (_RUNNER_PATH, f"{_VIEW}/_runner.py")]
    numpy_dir = Path(np.__file__).resolve().parent
    for folder in (numpy_dir, numpy_dir.with_name("numpy.libs")):
        if folder.is_dir():
            view.append((str(folder), f"{_VIEW}/site/{folder.name}"))
    package = Path(_PACKAGE_DIR)
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if "__pycache__" in rel.parts or rel == Path("__init__.py") or path.is_symlink():
            continue
        parts = rel.with_suffix("").parts
        name = ".".join(("convcourse",) + (parts[:-1] if parts[-1] == "__init__" else parts))
        if any(name == m or name.startswith(m + ".") for m in blocked):
            continue
        view.append((str(path), f"{_VIEW}/site/convcourse/{rel.as_posix()}"))
        # its bytecode beside it, where the grader compiled it (sandbox.compile_packages):
        # else every worker compiles the modules it imports again; Python checks that the
        # bytecode matches the source's size and time, which the bind keeps
        cached = Path(importlib.util.cache_from_source(str(path)))
        if cached.is_file():
            inside = Path(f"{_VIEW}/site/convcourse") / rel.parent / "__pycache__" / cached.name
            view.append((str(cached), inside.as_posix()))
    return view


class Worker:
    """One worker process running a submission's code, answering calls.

    Parameters
    ----------
    program : list of (str, str)
        :func:`student_program`.
    blocked_modules, blocked_functions : sequence
        What the worker makes unusable (module prefixes; (module, name) pairs).
    sandbox : SandboxConfig or None
        Run in the sandbox (None: unsandboxed, with rlimits only).
    files_from : path, optional
        A folder whose regular files are copied into the worker's private folder.
    statement_seconds : float
        Alarm for each top-level statement of the program.
    only : set of (int, int), optional
        Run only these statements (:func:`needed_statements`; None: all).
    deadline : Deadline, optional
        When the judge stops waiting for this worker, whatever it sends (None:
        :func:`default_deadline` of ``statement_seconds`` from now).

    Notes
    -----
    In the sandbox the worker runs as its own uid with ``RLIMIT_NPROC`` 1: it
    cannot start a process or a thread (``fork``, ``_posixsubprocess.fork_exec``,
    ``threading``), and it sees only :func:`worker_view` beside the standard
    library.
    """

    def __init__(self, program, blocked_modules=(), blocked_functions=(), *, sandbox=None,
                 files_from=None, statement_seconds=30.0, only=None, deadline=None):
        self.program = list(program)
        self.only = None if only is None else sorted(only)
        self.blocked_modules = tuple(dict.fromkeys(tuple(blocked_modules) + _ALWAYS_BLOCKED))
        self.blocked_functions = [list(f) for f in blocked_functions]
        self.sandbox = sandbox
        self.files_from = files_from
        self.statement_seconds = float(statement_seconds)
        self.deadline = deadline or Deadline.after(default_deadline(statement_seconds))
        self.proc = None
        self.workdir = None
        self.skip: set = set()
        self.load_errors: list = []
        self.starts = 0
        self.loaded = False  # the program ran: the worker answers calls
        self._ahead = False  # launched by launch(), not yet taken by start()

    # -- process --------------------------------------------------------------

    def _command(self, workdir: str) -> list:
        if self.sandbox is None:
            return [sys.executable, "-I", WORKER_PATH]
        from .sandbox import prepare_workdir, sandboxed_command

        # whatever the caller's config: the standard library and the view only, and no
        # second task (process or thread) for this uid
        config = dataclasses.replace(self.sandbox, python="stdlib", packages=(),
                                     views=tuple(worker_view(self.blocked_modules)),
                                     max_processes=1, pass_env=())
        prepare_workdir(workdir, config)
        return sandboxed_command([os.path.realpath(sys.executable), "-I", "-S",
                                  f"{_VIEW}/_judge_worker.py", f"{_VIEW}/site"], workdir, config)

    def _load_message(self) -> dict:
        """The worker's first message: where things are, its rules, the program."""
        from .sandbox import SANDBOX_HOME

        if self.sandbox is None:
            runner, package_dir, home = _RUNNER_PATH, _PACKAGE_DIR, self.workdir
            allowed = {sys.prefix, sys.base_prefix, sys.exec_prefix, _PACKAGE_DIR}
        else:
            runner, package_dir, home = (f"{_VIEW}/_runner.py", f"{_VIEW}/site/convcourse",
                                         SANDBOX_HOME)
            allowed = {sys.base_prefix, sys.base_exec_prefix, _VIEW}
        allowed |= {"/usr/lib", "/usr/share", "/usr/local/lib", "/etc/fonts"}
        return {"op": "load", "runner": runner, "package_dir": package_dir, "workdir": home,
                "allowed_read": sorted(allowed),
                "blocked_modules": list(self.blocked_modules),
                "blocked_functions": self.blocked_functions,
                "statement_seconds": self.statement_seconds,
                "skip": sorted(self.skip), "only": self.only, "cells": self.program}

    def launch(self) -> None:
        """Start the worker's process and send it the program, without waiting for it.

        :func:`judge_notebook` launches a notebook's workers together, so that their
        starts (a sandbox, Python and numpy: about 0.2 s each) overlap; :meth:`start`
        then waits for the program to load.  Nothing counts (``starts``) until
        :meth:`start` takes the process: a worker launched ahead and never needed counts
        as never started, as before.  A failure here is left for :meth:`start` to meet.
        """
        if self.proc is not None or self.deadline.left() <= 0:
            return
        try:
            self._spawn()
        except Exception:  # noqa: BLE001 - start() launches again and meets it there
            self.close()
            return
        self._ahead = True

    def _spawn(self) -> None:
        """A new process in a new private folder, sent the load message."""
        self.workdir = tempfile.mkdtemp(prefix="convcourse-judge-")
        if self.files_from is not None:
            copy_regular_files(self.files_from, self.workdir)
        argv = self._command(self.workdir)
        env = None
        if self.sandbox is None:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.workdir,
                   "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                   "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=self.workdir, env=env, start_new_session=True,
            preexec_fn=_unsandboxed_limits if self.sandbox is None else None)
        self._send(self._load_message())

    @property
    def ready(self) -> bool:
        """The program is loaded and the process alive: calls can be sent."""
        return self.loaded and self.alive

    def start(self) -> None:
        """Start the worker (or take the one :meth:`launch` started) and run the program,
        restarting past a statement that kills it."""
        for _ in range(6):
            ahead, self._ahead = self._ahead, False
            if not ahead:
                self.close()
            if self.deadline.left() <= 0:
                self.close()
                raise self.deadline.expired()
            self.starts += 1
            if not ahead:
                self._spawn()
            at = None
            try:
                while True:
                    header, _ = self._receive(self.statement_seconds + 20)
                    if header.get("op") == "at":
                        at = tuple(header["at"])
                    elif header.get("op") == "loaded":
                        self.load_errors = list(header.get("errors", []))
                        self.loaded = True
                        return
                    else:
                        raise WorkerDied(f"unexpected message {header.get('op')!r}")
            except WorkerDied:
                if self.deadline.left() <= 0:
                    self.close()
                    raise
                if at is None or at in self.skip:
                    break
                self.skip.add(at)  # that statement killed or hung the worker: run without it
        self.close()
        raise WorkerDied("the submission's code could not be loaded in a worker")

    def close(self) -> None:
        """Kill the worker (its whole process group) and remove its private folder."""
        self.loaded = self._ahead = False
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc.wait()
            self.proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)  # never follows symlinks
            self.workdir = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- messages ---------------------------------------------------------------

    def _send(self, header: dict, arrays=None) -> None:
        try:
            wire.write_message(self.proc.stdin, header, arrays)
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise WorkerDied(f"could not write to the worker: {exc}") from None

    def _receive(self, seconds: float) -> tuple:
        """One message; at most ``seconds`` for it, and never past the overall deadline."""
        deadline = min(time.monotonic() + seconds, self.deadline.end)
        fd = self.proc.stdout.fileno()

        def read_exact(n):
            data = bytearray()
            while len(data) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    if self.deadline.left() <= 0:
                        raise self.deadline.expired()
                    raise WorkerDied(f"no answer within {seconds:g} s")
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(fd, min(n - len(data), 1 << 20))
                if not chunk:
                    raise WorkerDied("the worker process died")
                data += chunk
            return bytes(data)

        def frame(limit):
            (n,) = wire.struct.unpack(">I", read_exact(4))
            if n > limit:
                raise WorkerDied(f"the worker sent a message of {n} bytes, more than the "
                                 f"{limit} allowed")
            return read_exact(n)

        body, blob = frame(wire.MAX_HEADER), frame(wire.MAX_ARRAY_BYTES + 2**20)
        try:
            return wire.parse_message(body, blob)
        except Exception as exc:  # noqa: BLE001 - whatever the worker sent
            raise WorkerDied(f"the worker sent an unreadable message ({type(exc).__name__}: "
                             f"{str(exc)[:200]})") from None

    def call(self, name: str, args: tuple, kwargs: dict, *, forbidden, time_limit: float,
             arg_names=(), callback_profile=None) -> tuple:
        """Call the submission's ``name`` in the worker; ``(reply header, arrays)``.

        Callable arguments are kept here: the worker calls them back, and each runs with
        ``callback_profile`` as its ``sys.setprofile`` function (the caller's call monitor,
        paused while the messages move).
        """
        callables: list = []

        def keep(value):
            if callable(value) and not isinstance(value, (type, np.ndarray)):
                callables.append(value)
                return _Label(len(callables) - 1)
            if type(value) is tuple:
                return tuple(keep(v) for v in value)
            if type(value) is list:
                return [keep(v) for v in value]
            return value

        arrays: dict = {}
        header = {"op": "call", "name": name,
                  "args": wire.encode(keep(tuple(args)), arrays),
                  "kwargs": wire.encode({k: keep(v) for k, v in kwargs.items()}, arrays),
                  "forbidden_modules": list(forbidden.modules),
                  "forbidden_functions": [list(f) for f in forbidden.functions],
                  "time_limit": time_limit, "arg_names": list(arg_names)}
        self._send(header, arrays)
        while True:
            reply, reply_arrays = self._receive(time_limit + 15)
            if reply.get("op") != "callback":
                return reply, reply_arrays
            self._answer_callback(reply, reply_arrays, callables, callback_profile)

    def _answer_callback(self, request, arrays, callables, profile) -> None:
        out: dict = {}
        try:
            func = callables[int(request["id"])]
            args = wire.decode(request["args"], arrays)
            kwargs = wire.decode(request["kwargs"], arrays)
            if not isinstance(args, tuple) or not isinstance(kwargs, dict):
                raise TypeError("malformed call")
            paused = sys.getprofile()
            sys.setprofile(profile)
            try:
                value = func(*args, **{str(k): v for k, v in kwargs.items()})
            finally:
                sys.setprofile(paused)
            header = {"op": "callback_result", "value": wire.encode(value, out)}
        except Exception as exc:  # noqa: BLE001 - the student's worker asked for nonsense
            header, out = {"op": "callback_result", "error": f"{type(exc).__name__}: {exc}"}, {}
        self._send(header, out)


class _Label:
    """A callable argument on the wire: the worker calls the judge back with its number."""

    def __init__(self, ident: int):
        self.label = ident

    def __call__(self, *args, **kwargs):  # pragma: no cover - never called here
        raise RuntimeError("a placeholder")


def _unsandboxed_limits():  # pragma: no cover - runs in the child
    import resource

    for name, value in POLICY.unsandboxed_limits():
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (ValueError, OSError):
            pass


# ------------------------------------------------------------------ calling through a worker

_BUILTIN_ERRORS = {name: obj for name, obj in vars(builtins).items()
                   if isinstance(obj, type) and issubclass(obj, Exception)}


def _rebuild_error(info: dict) -> Exception:
    """An exception of the first builtin class in the worker's exception's MRO."""
    for name in info.get("mro", []):
        cls = _BUILTIN_ERRORS.get(str(name))
        if cls is not None and cls is not BaseException:
            try:
                exc = cls(str(info.get("message", "")))
            except Exception:  # noqa: BLE001 - an exception class with odd arguments
                continue
            break
    else:
        exc = RuntimeError(str(info.get("message", "")))
    exc._convcourse_remote_summary = str(info.get("summary", ""))[:2000]
    return exc


def _rebuild_model(layers):
    """A convcourse.nn Sequential from layer types and hyperparameters (no method of the
    submission's runs: the layers are filled with the plain values sent)."""
    from .. import nn

    allowed = {"Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "ReLU", "Flatten", "Linear"}
    built = []
    for kind, attrs in layers:
        if kind not in allowed or not hasattr(nn, kind):
            return wire.Opaque(f"model with a layer of type {kind}")
        layer = object.__new__(getattr(nn, kind))
        for name, value in attrs.items():
            value = wire.decode(value, {})
            setattr(layer, str(name), tuple(value) if isinstance(value, list) else value)
        built.append(layer)
    model = object.__new__(nn.Sequential)
    model.layers = built
    return model


class _Proxy:
    """The student's function, as a check sees it: each call runs in the worker."""

    def __init__(self, worker: Worker, name: str, state: dict):
        self.worker, self.name, self.state = worker, name, state
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        from ..grading._runner import CheckTimeout, Forbidden, current_call, report_remote

        ctx = current_call() or {"forbidden": Forbidden(), "time_limit": 3.0, "arg_names": ()}
        if self.state.get("died"):
            raise RuntimeError("not run: the worker died earlier in this check")
        # The judge's call_student watches this call with its call monitor (a Python function
        # run for every call, sys.setprofile), but what runs here until the reply is the
        # judge's own code: starting the worker, writing and reading the messages; the
        # submission's function runs in the worker, under the worker's monitor.  The monitor
        # is paused meanwhile (it doubled the time of a call) and resumed for a callback,
        # which runs a check's own function as the kernel would, watched.  Nothing it could
        # match runs here: test_the_judges_transport_calls_nothing_any_exercise_forbids.
        monitor = sys.getprofile()
        sys.setprofile(None)
        try:
            if not self.worker.ready:
                self.worker.start()
            reply, arrays = self.worker.call(self.name, args, kwargs, forbidden=ctx["forbidden"],
                                             time_limit=float(ctx["time_limit"]),
                                             arg_names=ctx["arg_names"], callback_profile=monitor)
        except WorkerDied as exc:
            self.state["died"] = True
            self.worker.close()
            raise RuntimeError(f"the worker running your function died ({exc})") from None
        finally:
            sys.setprofile(monitor)
        report_remote({k: reply.get(k) for k in ("forbidden", "profiler_removed", "mutated",
                                                 "warnings", "output")})
        if reply.get("refused"):
            self.state.setdefault("refused", []).extend(reply["refused"])
        if reply.get("timed_out"):
            raise CheckTimeout("the worker's time limit")
        if reply.get("error"):
            raise _rebuild_error(reply["error"])
        return wire.decode(reply.get("value"), arrays, resolve_model=_rebuild_model)


def _forbidden_key(ex) -> tuple:
    f = ex.forbidden
    return tuple(f.modules), tuple(tuple(x) for x in f.functions)


def judge_notebook(source_nb, submitted_nb, *, student, assignment, notebook, secret=None,
                   seeds=None, sandbox=None, files_from=None, timeout=60, exercises=None,
                   deadline=None) -> dict:
    """Score the judged cells of one submitted notebook.

    Parameters
    ----------
    source_nb, submitted_nb : nbformat.NotebookNode
        The instructor's notebook (which cell calls which check) and the
        submission (whose code the workers run).
    student, assignment, notebook, secret : str
        Seed the random cases, as the grader's kernel environment does.
    seeds : str, optional
        Instead of ``secret``: the seeds the grader derived (:func:`notebook_seeds`, the
        kernel's ``CONVCOURSE_SEEDS``); a grading task has these, never the secret.
    sandbox : SandboxConfig or None
        Where the workers run (None: unsandboxed).
    files_from : path, optional
        The submission's folder (its other files are copied for the worker).
    timeout : float
        Seconds each top-level statement of the submission may run in a worker.
    exercises : dict, optional
        Exercise registry (default: the course's).
    deadline : float, optional
        Seconds the judge gives this notebook's workers in all, from now
        (default :func:`default_deadline` of ``timeout``); a cell not scored by
        then scores 0.

    Returns
    -------
    dict
        ``verdicts`` (grade_id -> :class:`CellVerdict`), ``not_judged``
        (grade ids of graded cells the judge cannot score), ``load_errors``,
        ``refused`` (what the workers' guards refused), ``workers`` (processes
        started and used: one launched ahead that no check needed does not count) and
        ``seconds``.
    """
    if (secret is None) == (seeds is None):
        raise TypeError("judge_notebook needs exactly one of secret and seeds; got "
                        f"secret={'set' if secret is not None else None}, seeds={seeds!r}")
    if exercises is None:
        from ..grading import EXERCISES as exercises
    start = time.perf_counter()
    cells = judged_cells(source_nb, exercises)
    graded = [c.metadata["nbgrader"]["grade_id"] for c in source_nb.cells if is_test_cell(c)]
    program = student_program(submitted_nb)
    seed_of = _seed_source(secret, seeds, program, student, assignment, notebook,
                           {cell.exercise for cell in cells.values()})
    overall = Deadline.after(default_deadline(timeout) if deadline is None else deadline)
    workers: dict = {}
    serves: dict = {}
    for cell in cells.values():
        serves.setdefault(_forbidden_key(exercises[cell.exercise]), set()).add(cell.exercise)
    verdicts, refused, load_errors, starts = {}, [], [], 0
    try:
        for key in serves:  # in the order of their first cells
            workers[key] = Worker(program, key[0], key[1], sandbox=sandbox,
                                  files_from=files_from, statement_seconds=timeout,
                                  only=needed_statements(program, serves[key]),
                                  deadline=overall)
        for worker in workers.values():
            worker.launch()  # all at once: their starts overlap (see Worker.launch)
        for gid, cell in cells.items():
            ex = exercises[cell.exercise]
            worker = workers[_forbidden_key(ex)]
            state: dict = {}
            proxy = _Proxy(worker, cell.exercise, state)
            verdict = CellVerdict(gid, cell.exercise, cell.hidden, cell.points)
            try:
                outcome = _judge_cell(ex, cell, proxy, *seed_of(cell.exercise))
            except Exception as exc:  # noqa: BLE001 - one cell's failure is that cell's 0
                outcome = None
                verdict.report = (f"the judge could not score this cell ({type(exc).__name__}: "
                                  f"{exc})")
            if outcome is not None:
                verdict.passed = outcome.passed
                verdict.score = (float(min(outcome.score, cell.points)) if cell.hidden
                                 else (cell.points if outcome.passed else 0.0))
                verdict.report = outcome.report
                verdict.mistakes = list(outcome.mistakes)
            if state.get("died"):
                verdict.died, verdict.score, verdict.passed = True, 0.0, False
                verdict.mistakes = []
                verdict.report = ("the process running the submission's function died during "
                                  "the check | " + verdict.report)
            refused += state.get("refused", [])
            verdicts[gid] = verdict
    finally:
        for worker in workers.values():
            load_errors += [e for e in worker.load_errors if e not in load_errors]
            starts += worker.starts
            worker.close()
    return {"verdicts": verdicts, "not_judged": [g for g in graded if g not in cells],
            "load_errors": load_errors, "refused": refused, "workers": starts,
            "seconds": time.perf_counter() - start}


def _seed_source(secret, seeds, program, student, assignment, notebook, names):
    """``seed_of(exercise) -> (seed, public)``: from the grader's seeds, or derived here from
    the secret and the hash of the graded function's code (:func:`code_hashes`), as the
    grader does for the kernel."""
    from ..grading._cases import PUBLIC_SECRET, _seeds_from, derive_seed

    if seeds is not None:
        def seed_of(exercise):
            found = _seeds_from(seeds, exercise)
            if found is None:
                raise ValueError(f"the grader's seeds have no seed for exercise {exercise!r}")
            return found
        return seed_of
    codes = code_hashes(program, names)
    return lambda exercise: (derive_seed(secret, student, assignment, notebook, exercise,
                                         codes.get(exercise, "")), secret == PUBLIC_SECRET)


def _judge_cell(ex, cell, proxy, seed, public):
    """Run one check against the proxy, as the hidden or the visible test cell would.

    The kernel's test cell and the judge run the same :func:`run_cell`, with the same
    seed (``public``: it comes from the public secret, and the report says so).
    """
    from ..grading._cases import PUBLIC_SECRET_NOTE, _quietly, run_cell
    from ..grading._runner import remote_timing

    notes = [PUBLIC_SECRET_NOTE] if public else []
    with remote_timing():
        return _quietly(lambda: run_cell(ex, proxy, hidden=cell.hidden, points=cell.points,
                                         seed=seed, notes=notes))
