"""A notebook executor that no submission can stop.

nbgrader's ``Execute`` preprocessor gives up on the whole notebook when the
kernel dies (``os._exit`` in one function drops every point of the
submission), waits on a cell that ignores interrupts, and keeps every byte a
cell prints.  ``RobustExecute`` is a drop-in replacement in nbgrader's
autograde pipeline (see ``config.apply_robust_pipeline``) that

- starts the kernel with the seeding environment of :func:`kernel_env`
  (student, assignment, notebook, course secret; with ``hide_secret`` or a
  sandbox, per-exercise seeds ``CONVCOURSE_SEEDS`` instead of the secret; given
  ``seeds``, those the grader derived, and no secret at all), and
  sends warnings to stdout (nbgrader fails a test cell that writes to stderr);
- with a ``sandbox_config``, runs the kernel in the sandbox
  (``sandbox.SandboxedKernelManager``) in a private copy of the notebook's
  folder, removed afterwards (nothing the kernel writes reaches the output);
- gives each cell ``timeout`` seconds of the kernel's CPU time (or ``timeout``
  seconds idle, for a cell that sleeps or waits; never more than ``wall_timeout``
  seconds in all), then interrupts it.  CPU time, not the clock: on a busy
  machine an honest cell that needs one second of CPU may take twenty on the
  clock, and must not be stopped for it.  A cell that still
  does not stop, or a kernel that dies, gets an error output saying so, the
  kernel is restarted, the notebook's definition cells that ran before are run
  again (silently), and execution continues with the next cell;
- keeps at most ``max_output_chars`` characters of each stream per cell: the
  first and the last half, with a note of how much was dropped in between;
- keeps rich output (display data, a cell's value) only while it stays within
  ``max_display_bytes`` per cell and ``max_notebook_display_bytes`` per
  notebook: an output past either is replaced by a short note.

A definition cell is any code cell that is not an nbgrader test cell (grade
without solution); cells that killed the kernel or timed out are not re-run,
and of the others only the statements that are not bare expressions (plots,
displays) are (``definitions_only``).
"""

from __future__ import annotations

import ast
import asyncio
import functools
import json
import os
import sys
import time
import traceback
from pathlib import Path

import jsonschema
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async
from nbformat import NotebookNode
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import (BaseMetadataValidator, SchemaTooNewError,
                                            SchemaTooOldError)
from nbgrader.preprocessors import CheckCellMetadata, Execute, OverwriteCells
from traitlets import Any, Bool, Enum, Float, Integer, Unicode

from .nbfacts import (ALLOW_PLAIN_NBGRADER, PLAIN_NBGRADER_REFUSAL, PUBLIC_SECRET,
                      PUBLIC_SECRET_WARNING, copy_regular_files, is_test_cell)

__all__ = ["RobustExecute", "QuietOverwriteCells", "CellClock", "wall_limit", "is_test_cell",
           "kernel_env", "INLINE_BACKEND",
           "KERNEL_DIED", "CELL_TIMEOUT", "KERNEL_SETUP", "definitions_only"]

KERNEL_DIED = "KernelDied"
CELL_TIMEOUT = "CellTimeoutError"


#: Run silently in every fresh kernel: warnings go to stdout, not stderr, because
#: nbgrader gives 0 to any test cell that writes to stderr and a warning is not an error.
KERNEL_SETUP = """\
import sys as _cc_sys, warnings as _cc_warnings
def _cc_showwarning(message, category, filename, lineno, file=None, line=None):
    _cc_sys.stdout.write(_cc_warnings.formatwarning(message, category, filename, lineno, line))
_cc_warnings.showwarning = _cc_showwarning
del _cc_showwarning
"""


#: matplotlib's backend in grading kernels (ipykernel's own default in JupyterLab)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def pythonpath_with_package(pythonpath: str) -> str:
    """``pythonpath`` with the folder holding this ``convcourse`` first (once), so that a
    kernel imports it even when it is not installed."""
    package_parent = str(Path(__file__).resolve().parents[2])
    paths = [package_parent] + [p for p in pythonpath.split(os.pathsep) if p]
    return os.pathsep.join(dict.fromkeys(paths))


def kernel_env(student: str, assignment: str, notebook: str, secret: str) -> dict[str, str]:
    """The environment of the kernel that runs one student's notebook.

    The seeding contract with ``convcourse.grading``: the checks read
    ``CONVCOURSE_STUDENT``, ``CONVCOURSE_ASSIGNMENT``, ``CONVCOURSE_NOTEBOOK``
    and ``CONVCOURSE_SECRET``.  ``PYTHONPATH`` lets the kernel import this
    ``convcourse`` even when it is not installed.

    Examples
    --------
    >>> env = kernel_env("alice", "01-convolution", "01-convolution", "s3cret")
    >>> env["CONVCOURSE_STUDENT"], env["CONVCOURSE_NOTEBOOK"]
    ('alice', '01-convolution')
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = pythonpath_with_package(env.get("PYTHONPATH", ""))
    env["CONVCOURSE_STUDENT"] = student
    env["CONVCOURSE_ASSIGNMENT"] = assignment
    env["CONVCOURSE_NOTEBOOK"] = notebook
    env["CONVCOURSE_SECRET"] = secret
    # nbgrader calls `alembic`, and kernels are found, through the interpreter's bin/
    bindir = str(Path(sys.executable).parent)
    if bindir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONHASHSEED", "0")
    # the inline backend: every figure a cell shows becomes a PNG in the autograded notebook
    # and so in the feedback (Agg would leave the text "<Figure size 1200x460 with 3 Axes>")
    env["MPLBACKEND"] = INLINE_BACKEND
    return env


def definitions_only(source: str) -> str:
    r"""The statements of a cell worth re-running after a restart: all but bare expressions.

    Bare expressions (a plot, a display) define nothing, and re-running them
    only costs time.  Source that is not plain Python (magics) is kept whole.

    Examples
    --------
    >>> definitions_only("import numpy as np\nviz.show(x)\ny = 2")
    'import numpy as np\ny = 2'
    >>> definitions_only("viz.show(x)")
    ''
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines()
    kept = []
    for node in tree.body:
        if isinstance(node, ast.Expr):
            continue
        kept.extend(lines[node.lineno - 1:node.end_lineno])
    return "\n".join(kept)


def wall_limit(timeout: float) -> float:
    """Seconds on the clock a step limited to ``timeout`` CPU seconds may take at most.

    Generous (20 times, at least 5 minutes): on a loaded machine a process gets a
    small share of a CPU, and the clock is only the backstop for code that waits.

    >>> wall_limit(5), wall_limit(60)
    (300, 1200)
    """
    return max(20 * timeout, 300)


def _process_tree_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by process ``pid`` and its descendants.

    Descendants that have already exited count too: their time is in their
    parent's ``children_user``/``children_system`` once reaped.  Without it a
    cell that runs many short subprocesses (each finished between two looks of
    :class:`CellClock`) looked idle while it worked, and was stopped as
    "idle".  None when the process cannot be read (gone, or psutil missing).
    """
    try:
        import psutil
    except ImportError:  # pragma: no cover - ipykernel depends on psutil
        return None
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:  # exited meanwhile
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


class CellClock:
    """Decides when a running cell has had its time: CPU time, idle time, then the clock.

    A cell is over its limit when the kernel (with its child processes) has used
    ``cpu_limit`` CPU seconds since the cell started, or has been idle (less than
    1% of a CPU between two looks) for ``cpu_limit`` seconds in all, or when
    ``wall_limit`` seconds have passed.  ``cpu`` is a function returning the
    kernel's CPU seconds so far, or None when they cannot be read: then the
    clock alone decides, after ``cpu_limit`` seconds.

    Examples
    --------
    >>> used = [0.0]
    >>> clock = CellClock(lambda: used[0], cpu_limit=5, wall_limit=100, now=lambda: t[0])
    >>> t = [0.0]; clock.start()
    >>> t[0], used[0] = 20.0, 2.0   # a busy machine: 20 s on the clock, 2 s of CPU
    >>> clock.over_limit()
    ''
    >>> t[0], used[0] = 30.0, 5.5
    >>> clock.over_limit()
    'used more than 5 s of CPU time'
    """

    IDLE_SHARE = 0.01

    def __init__(self, cpu, *, cpu_limit: float, wall_limit: float, now=time.monotonic):
        self.cpu, self.cpu_limit, self.wall_limit, self.now = cpu, cpu_limit, wall_limit, now

    def start(self) -> None:
        self.t0 = self.t_last = self.now()
        self.cpu0 = self.cpu_last = self.cpu()
        self.idle = 0.0

    def over_limit(self) -> str:
        """Why the cell must stop now, or '' while it may go on."""
        t = self.now()
        wall = t - self.t0
        if wall >= self.wall_limit:
            return f"ran for more than {self.wall_limit:g} s"
        cpu = self.cpu() if self.cpu0 is not None else None
        if cpu is None:
            return f"ran for more than {self.cpu_limit:g} s" if wall >= self.cpu_limit else ""
        if cpu - self.cpu_last < self.IDLE_SHARE * (t - self.t_last):
            self.idle += t - self.t_last
        self.t_last, self.cpu_last = t, max(cpu, self.cpu_last)
        if self.cpu_last - self.cpu0 >= self.cpu_limit:
            return f"used more than {self.cpu_limit:g} s of CPU time"
        if self.idle >= self.cpu_limit:
            return f"was idle (sleeping or waiting) for more than {self.cpu_limit:g} s"
        return ""


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


_WARNED = [False]  # the public-secret warning, once per process


class QuietOverwriteCells(OverwriteCells):
    """nbgrader's OverwriteCells without the warning every clean submission caused.

    A test cell with hidden tests is released without them, so its checksum in
    a submission always differs from the source's ("Attribute 'checksum' for cell
    ..._hidden has changed!"); the cell is overwritten with the source anyway.
    When the submitted cell is exactly the released one, that is logged at debug
    level; any other change (a student edited a locked cell) still warns.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        submitted = cell.get("source", "")
        self._changes = []
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        for name, attr, old, new in self._changes:
            if attr == "checksum" and _as_released(cell) == submitted:
                self.log.debug("cell %s: only its hidden tests differ (released without them)", name)
            else:
                super().report_change(name, attr, old, new)
        return cell, resources

    def report_change(self, name, attr, old, new):
        self._changes.append((name, attr, old, new))


class _SchemaOnce(BaseMetadataValidator):
    """nbgrader's check of one cell's metadata, with the schema's validator made once.

    ``jsonschema.validate(instance, schema)`` checks ``schema`` against its meta-schema
    and builds a validator at every call: for nbgrader, at every cell of every
    notebook, twice per autograde (0.15 s of each notebook).  Here the validator of
    each schema is built once per process; the errors are the same, chosen by
    ``best_match`` as ``jsonschema.validate`` chooses them.
    """

    _validators: dict = {}

    def validate_cell(self, cell: NotebookNode) -> None:
        # BaseMetadataValidator.validate_cell, but for the schema's validator
        if "nbgrader" not in cell.metadata:
            return
        schema = cell.metadata["nbgrader"].get("schema_version", 0)
        if schema < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {schema} (expected "
                                    f"{self.schema_version})", schema, self.schema_version)
        if schema > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {schema} (expected "
                                    f"{self.schema_version})", schema, self.schema_version)
        error = jsonschema.exceptions.best_match(
            self._validator().iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error

    def _validator(self):
        key = self._schema_key
        if key not in self._validators:
            cls = jsonschema.validators.validator_for(self.schema)
            cls.check_schema(self.schema)
            self._validators[key] = cls(self.schema)
        return self._validators[key]

    @functools.cached_property
    def _schema_key(self) -> str:
        """The schema as text: the key of its validator (written once per notebook's
        validator, not once per cell)."""
        return json.dumps(self.schema, sort_keys=True)


class FastMetadataValidator(MetadataValidator, _SchemaOnce):
    """nbgrader's current metadata validator (its own checks of grade ids, points and
    duplicates), over :class:`_SchemaOnce`'s check of each cell against the schema."""


class CheckCellMetadataOnce(CheckCellMetadata):
    """nbgrader's CheckCellMetadata, validating with :class:`FastMetadataValidator`."""

    def preprocess(self, nb, resources):
        # nbgrader's CheckCellMetadata.preprocess, but for the validator
        try:
            FastMetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg)
        return nb, resources


def _as_released(cell) -> str:
    """The source of ``cell`` as nbgrader releases it (hidden tests removed)."""
    import copy

    from nbgrader.preprocessors import ClearHiddenTests

    released = copy.deepcopy(cell)
    ClearHiddenTests()._remove_hidden_test_region(released)
    return released.source


class RobustExecute(Execute):
    """nbgrader's Execute preprocessor, made robust to dead and stuck kernels."""

    max_output_chars = Integer(
        100_000, help="Characters of stream output kept per cell; the rest is dropped."
    ).tag(config=True)

    max_outputs = Integer(200, help="Outputs kept per cell.").tag(config=True)

    max_display_bytes = Integer(
        8 * 2**20, help="Bytes of rich output (display data, results) kept per cell."
    ).tag(config=True)

    max_notebook_display_bytes = Integer(
        32 * 2**20, help="Bytes of rich output kept per notebook."
    ).tag(config=True)

    wall_timeout = Integer(
        0, help="Seconds on the clock a cell may take, however little CPU it uses "
                "(0: 20 times timeout, at least 300 s).  Also the limit for re-running "
                "the definitions after a restart and for the kernel's set-up.",
    ).tag(config=True)

    poll_seconds = Float(
        0.5, help="How often the CPU time of a running cell is looked at.",
    ).tag(config=True)

    max_restarts = Integer(
        8, help="Kernel restarts per notebook before the remaining cells are skipped."
    ).tag(config=True)

    # Once the last cell has replied, every output is in the notebook and the kernel has
    # nothing left to give: it is killed (as for a restart), not asked to exit.  A graceful
    # exit took 0.3 to 0.5 s of every notebook (the interpreter tearing down numpy and
    # matplotlib), and up to jupyter_client's shutdown_wait_time (5 s) for a notebook whose
    # atexit hooks or signal handlers stall; none of it can change a score.
    shutdown_kernel = Enum(
        ["graceful", "immediate"], default_value="immediate",
        help="'immediate': kill the kernel after the last cell; 'graceful': let it exit "
             "(run its atexit hooks) first.",
    ).tag(config=True)

    secret = Unicode(
        None, allow_none=True,
        help="Course secret for the kernel (default: $CONVCOURSE_SECRET, else the public one).",
    ).tag(config=True)

    hide_secret = Bool(
        False, help="Give the kernel per-exercise seeds (CONVCOURSE_SEEDS), never the secret.",
    ).tag(config=True)

    seeds = Unicode(
        None, allow_none=True,
        help="The kernel's CONVCOURSE_SEEDS, derived by the grader (judge.notebook_seeds): "
             "the secret is then neither needed nor read here (a grading task never has it).",
    ).tag(config=True)

    sandbox_config = Any(
        None, allow_none=True,
        help="A sandbox.SandboxConfig: run the kernel in the sandbox, in a private copy of "
             "the notebook's folder (None: an ordinary kernel).",
    ).tag(config=True)

    graded_by_convcourse = Bool(
        False, help="Set by `convcourse grade`, which runs the judge after the kernel and "
                    "warns about the public secret itself.",
    ).tag(config=True)

    allow_plain_nbgrader = Bool(
        False, help="Autograde even without `convcourse grade` (no judge, perhaps no sandbox).",
    ).tag(config=True)

    # -- running the notebook -------------------------------------------------

    def create_kernel_manager(self):
        """An ordinary kernel manager, or a sandboxed one around a private folder."""
        if self.sandbox_config is None:
            return super().create_kernel_manager()
        from .sandbox import SandboxedKernelManager

        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        self.km = SandboxedKernelManager(kernel_name=self.kernel_name, config=self.config,
                                         sandbox_config=self.sandbox_config,
                                         workdir=self._private_dir)
        return self.km

    def _check_route(self) -> None:
        """Refuse plain nbgrader (no judge) unless allowed; say so when the secret is public."""
        allowed = self.allow_plain_nbgrader or os.environ.get(ALLOW_PLAIN_NBGRADER) == "1"
        if not (self.graded_by_convcourse or allowed):
            raise RuntimeError(PLAIN_NBGRADER_REFUSAL)
        secret = self.secret or os.environ.get("CONVCOURSE_SECRET") or PUBLIC_SECRET
        if secret == PUBLIC_SECRET and not self.graded_by_convcourse and not _WARNED[0]:
            _WARNED[0] = True
            print(PUBLIC_SECRET_WARNING, file=sys.stderr, flush=True)

    def _kernel_env(self, info, nb=None) -> dict:
        """The kernel's seeding environment; seeds include the hash of each graded
        function's code in ``nb`` (the judge derives the same from the submission)."""
        import json

        from ..grading import EXERCISES
        from ..grading._cases import CODE_VAR, SEEDS_VAR
        from .judge import code_hashes, notebook_seeds, student_program

        student, assignment, notebook = (str(info.get("student", "")),
                                         str(info.get("assignment", "")),
                                         str(info.get("notebook", "")))
        given = self.seeds is not None  # derived by the grader: no secret in this process
        secret = "" if given else (self.secret or os.environ.get("CONVCOURSE_SECRET")
                                   or PUBLIC_SECRET)
        env = kernel_env(student, assignment, notebook, secret)
        if given or self.hide_secret or self.sandbox_config is not None:
            env.pop("CONVCOURSE_SECRET", None)
            env[SEEDS_VAR] = (self.seeds if given else
                              notebook_seeds(nb, secret, student, assignment, notebook))
        else:
            codes = code_hashes(student_program(nb), EXERCISES) if nb is not None else {}
            env[CODE_VAR] = json.dumps(codes, sort_keys=True)
        return env

    def _make_private_dir(self, resources) -> None:
        """A private copy of the notebook's folder (regular files only) for a sandboxed kernel."""
        import tempfile

        self._private_dir = ""
        if self.sandbox_config is None:
            return
        self._private_dir = tempfile.mkdtemp(prefix="convcourse-kernel-home-")
        copy_regular_files((resources or {}).get("metadata", {}).get("path") or ".",
                           self._private_dir)

    def preprocess(self, nb, resources=None, km=None):
        """Execute every code cell of ``nb``; never raise because of the student's code."""
        from nbclient import NotebookClient

        self._check_route()
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        info = (resources or {}).get("nbgrader", {})
        env = self._kernel_env(info, nb)
        self._make_private_dir(resources)
        self._set_timeout_reason(f"ran for more than {self.timeout} s")
        self._clock = None
        self._definitions: list[str] = []
        self._stream_chars: dict[tuple[int, str], int] = {}
        self._stream_tail: dict[tuple[int, str], str] = {}
        self._display_bytes: dict[int, int] = {}
        self._restarts = 0
        try:
            with self.setup_kernel(env=env):
                info_msg = self.wait_for_reply(self.kc.kernel_info())
                if info_msg:
                    self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                self._setup_kernel_state()
                for index, cell in enumerate(self.nb.cells):
                    self._run_cell(cell, index)
        finally:
            if self._private_dir:
                import shutil

                shutil.rmtree(self._private_dir, ignore_errors=True)  # never follows symlinks
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _run_cell(self, cell, index: int) -> None:
        if cell.cell_type != "code" or not cell.source.strip():
            return
        if self._restarts > self.max_restarts:
            cell.outputs = [_error(
                KERNEL_DIED,
                f"not run: the kernel was restarted {self._restarts} times in this notebook",
            )]
            return
        self._clock = CellClock(self._kernel_cpu, cpu_limit=self.timeout,
                                wall_limit=self._wall_limit())
        self._clock.start()
        try:
            self.execute_cell(cell, index, store_history=True)
            self._append_tails(cell, index)
        except DeadKernelError:
            self._append_tails(cell, index)
            cell.outputs = list(cell.get("outputs", []))[: self.max_outputs]
            cell.outputs.append(_error(
                KERNEL_DIED,
                "the kernel died while running this cell (the code called os._exit, "
                "or crashed or exhausted the interpreter); it was restarted and the "
                "notebook's definitions were run again",
            ))
            self._restart()
            return
        except CellTimeoutError:
            self._append_tails(cell, index)
            cell.outputs = list(cell.get("outputs", []))[: self.max_outputs]
            cell.outputs.append(_error(
                CELL_TIMEOUT,
                f"the cell {self._timeout_reason} and did not stop when "
                "interrupted; the kernel was restarted and the notebook's definitions "
                "were run again",
            ))
            self._restart()
            return
        timed_out = any(
            o.get("output_type") == "error" and o.get("ename") == CELL_TIMEOUT
            for o in cell.outputs
        )
        if not is_test_cell(cell) and not timed_out:
            source = definitions_only(cell.source)
            if source.strip():
                self._definitions.append(source)

    # -- time limits: CPU time, not the clock -------------------------------------

    def _wall_limit(self) -> int:
        return self.wall_timeout or wall_limit(self.timeout)

    def _kernel_cpu(self) -> float | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        pid = getattr(process, "pid", None)
        return None if pid is None else _process_tree_cpu(pid)

    def _set_timeout_reason(self, reason: str) -> None:
        self._timeout_reason = reason
        text = f"the cell {reason} and was interrupted (an endless loop, or far too slow)"
        self.error_on_timeout = {"ename": CELL_TIMEOUT, "evalue": text,
                                 "traceback": [f"{CELL_TIMEOUT}: {text}"]}

    def _get_timeout(self, cell):
        """A running cell is looked at every ``poll_seconds``; other waits get the wall limit."""
        if cell is not None and self._clock is not None and self.timeout:
            return self.poll_seconds
        return self._wall_limit()

    async def _async_handle_timeout(self, timeout, cell=None):
        """Interrupt the cell only once its clock says so; until then, keep waiting."""
        if cell is not None and self._clock is not None and self.timeout:
            reason = self._clock.over_limit()
            if not reason:
                await asyncio.sleep(0.05)  # the next wait may be 0 s after an unrelated reply
                return None
            self._set_timeout_reason(reason)
            timeout = self.timeout
        return await super()._async_handle_timeout(timeout, cell)

    # -- restarting -------------------------------------------------------------

    def _setup_kernel_state(self) -> None:
        run_sync(self._async_setup_kernel_state)()

    async def _async_setup_kernel_state(self) -> None:
        msg_id = await ensure_async(self.kc.execute(KERNEL_SETUP, silent=True, store_history=False))
        await self.async_wait_for_reply(msg_id)

    def _restart(self) -> None:
        run_sync(self._async_restart)()

    async def _async_restart(self) -> None:
        while self._restarts <= self.max_restarts:
            self._restarts += 1
            self.log.warning("Restarting the kernel (restart %d)", self._restarts)
            try:
                if self.kc is not None:
                    self.kc.stop_channels()
            except Exception:  # noqa: BLE001 - a dead kernel's channels may fail to close
                pass
            await ensure_async(self.km.restart_kernel(now=True))
            await self.async_start_new_kernel_client()
            await self._async_setup_kernel_state()
            survivors = []
            try:
                for source in self._definitions:
                    msg_id = await ensure_async(self.kc.execute(source, store_history=False))
                    reply = await self.async_wait_for_reply(msg_id)
                    if reply is None:  # timed out: interrupted, do not run it again
                        continue
                    survivors.append(source)
            except DeadKernelError:
                self._definitions = survivors  # drop the cell that killed it, try again
                continue
            self._definitions = survivors
            return

    # -- capping output ---------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        """Keep the first and last ``max_output_chars // 2`` characters of each stream."""
        if msg["msg_type"] == "stream":
            name = msg["content"].get("name", "stdout")
            text = msg["content"].get("text", "")
            key = (cell_index, name)
            used = self._stream_chars.get(key, 0)
            head = self.max_output_chars // 2
            self._stream_chars[key] = used + len(text)
            if used + len(text) > head:
                keep = max(head - used, 0)
                tail = self._stream_tail.get(key, "") + text[keep:]
                self._stream_tail[key] = tail[-(self.max_output_chars - head):]
                if keep == 0:
                    return None
                msg = dict(msg)
                msg["content"] = dict(msg["content"])
                msg["content"]["text"] = text[:keep]
        elif msg["msg_type"] in ("display_data", "execute_result", "update_display_data"):
            msg = self._capped_display(msg, cell_index)
        if len(outs) >= self.max_outputs:
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _capped_display(self, msg, cell_index: int):
        """``msg``, or a note in its place when its data would pass the cell's or the
        notebook's allowance of rich output (200 MiB went into a notebook once)."""
        data = msg["content"].get("data") or {}
        size = sum(len(v) if isinstance(v, (str, bytes)) else len(str(v)) for v in data.values())
        cell_used = self._display_bytes.get(cell_index, 0)
        total_used = sum(self._display_bytes.values())
        if (cell_used + size <= self.max_display_bytes
                and total_used + size <= self.max_notebook_display_bytes):
            self._display_bytes[cell_index] = cell_used + size
            return msg
        where = ("this cell's" if cell_used + size > self.max_display_bytes
                 else "the notebook's")
        limit = (self.max_display_bytes if where == "this cell's"
                 else self.max_notebook_display_bytes)
        allowance = f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit} bytes"
        note = (f"[an output of {size} bytes was dropped: more than {where} "
                f"{allowance} of pictures and displays]")
        msg = dict(msg)
        msg["content"] = dict(msg["content"], data={"text/plain": note}, metadata={})
        return msg

    def _append_tails(self, cell, index: int) -> None:
        """Add the kept end of each truncated stream, after a note of what was dropped."""
        for (cell_index, name), tail in sorted(self._stream_tail.items()):
            if cell_index != index:
                continue
            total = self._stream_chars[(cell_index, name)]
            dropped = total - self.max_output_chars // 2 - len(tail)
            text = (f"\n[... {dropped} characters of {name} dropped: this cell printed "
                    f"{total} characters, more than the {self.max_output_chars} kept ...]\n" + tail)
            for output in cell.outputs:
                if output.get("output_type") == "stream" and output.get("name") == name:
                    output["text"] += text
                    break
            else:
                cell.outputs.append(NotebookNode(output_type="stream", name=name, text=text))
