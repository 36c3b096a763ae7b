"""Calling a student's function safely.

:func:`call_student` runs one call of a submitted function and records what
happened instead of letting it escape into the notebook cell:

- the function gets deep copies of the arguments, and a change to any of them
  is reported (``mutated``);
- warnings are recorded and ``sys.stdout`` / ``sys.stderr`` are captured (a
  test cell that writes to stderr gets 0 points in nbgrader, so a student's
  harmless ``RuntimeWarning`` must not reach it); only the first few thousand
  characters are kept, so printing 100 MB costs memory of neither kind;
- an exception, even ``SystemExit``, is caught and summarised with the line of
  the student's code that raised it;
- the call runs under a time limit (``signal.setitimer`` in the main thread;
  elsewhere, without a limit);
- every Python call and C call made during the call is inspected
  (``sys.setprofile``), so a function that hands the job to a library is
  caught whatever name it was imported under.

Calling a function in another process
--------------------------------------
The grader's judge (:mod:`convcourse.course.judge`) passes the checks a proxy
that runs the student's function in a sandboxed worker, where the worker's own
:func:`call_student` watches the call.  The proxy reports what the worker saw
with :func:`report_remote` (forbidden call, modified input, warnings, the
error's summary), and :func:`call_student` merges it into its result; inside
:func:`remote_timing` the time limit is the worker's, not a local alarm.
"""

from __future__ import annotations

import copy
import io
import signal
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Forbidden", "CallResult", "CheckTimeout", "call_student", "summarise_exception",
           "current_call", "report_remote", "remote_timing"]

#: characters of a student's printed output kept (the rest is counted, not stored)
_KEEP_OUTPUT = 2000


class CheckTimeout(BaseException):
    """Raised inside a student's function when its time limit is up.

    A ``BaseException``, so a student's ``except Exception`` does not swallow it.
    """


@dataclass(frozen=True)
class Forbidden:
    """What a student's function may not call.

    Parameters
    ----------
    modules : tuple of str
        Module-name prefixes: a call into ``scipy.signal`` or any of its
        submodules matches ``"scipy.signal"``.
    functions : tuple of (str, str)
        ``(module prefix, function name)`` pairs for single functions, such as
        ``("numpy", "convolve")``.
    """

    modules: tuple = ()
    functions: tuple = ()

    def match(self, module: str, name: str) -> bool:
        """True when ``module.name`` is forbidden."""
        if not module:
            return False
        for prefix in self.modules:
            if module == prefix or module.startswith(prefix + "."):
                return True
        for prefix, func in self.functions:
            if name == func and (module == prefix or module.startswith(prefix + ".")):
                return True
        return False

    def describe(self) -> str:
        """A readable list of what is forbidden."""
        items = [f"{m}.*" for m in self.modules]
        items += [f"{_public_module(m)}.{f}" for m, f in self.functions]
        return ", ".join(items)


def _public_module(module: str) -> str:
    """``numpy._core.numeric`` -> ``numpy``: the name a student would write."""
    if module.split(".")[0] == "numpy":
        return "numpy"  # numpy re-exports its functions at the top
    parts = []
    for part in module.split("."):
        if part.startswith("_"):
            break
        parts.append(part)
    return ".".join(parts) if parts else module


@dataclass
class CallResult:
    """What happened during one call of a student's function."""

    value: object = None
    error: BaseException | None = None
    error_summary: str = ""
    timed_out: bool = False
    forbidden: str | None = None
    profiler_removed: bool = False
    mutated: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    output: str = ""
    output_chars: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """The call returned normally and broke none of the rules."""
        return (self.error is None and not self.timed_out and self.forbidden is None
                and not self.profiler_removed and not self.mutated)


class _BoundedText(io.TextIOBase):
    """A text stream that keeps the first characters and counts the rest."""

    def __init__(self, keep: int = _KEEP_OUTPUT):
        self.keep = keep
        self.parts: list[str] = []
        self.kept = 0
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        self.total += len(text)
        if self.kept < self.keep:
            piece = text[: self.keep - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


#: the calls of :func:`call_student` in progress, innermost last (see :func:`current_call`)
_CALLS: list = []
_REMOTE_TIMING = [False]


def current_call():
    """The innermost :func:`call_student` in progress, or None.

    A dict with ``forbidden``, ``time_limit`` and ``arg_names`` of that call, for
    a proxy that runs the real function elsewhere.

    Examples
    --------
    >>> current_call() is None
    True
    >>> call_student(lambda: current_call()["time_limit"], time_limit=2.5).value
    2.5
    """
    return _CALLS[-1] if _CALLS else None


def report_remote(report: dict) -> None:
    """Record what a remote worker saw during the current call (merged by :func:`call_student`).

    ``report`` may hold ``forbidden`` (str), ``profiler_removed`` (bool),
    ``mutated`` (list of str), ``warnings`` (list of str) and ``output`` (str).

    Examples
    --------
    >>> call_student(lambda: report_remote({"forbidden": "numpy.convolve"})).forbidden
    'numpy.convolve'
    """
    if _CALLS:
        _CALLS[-1]["remote"].append(dict(report))


class remote_timing:
    """Within this context, :func:`call_student` sets no alarm: a worker enforces the limit.

    Examples
    --------
    >>> with remote_timing():
    ...     call_student(lambda: 1, time_limit=0.001).timed_out
    False
    """

    def __enter__(self):
        self._old = _REMOTE_TIMING[0]
        _REMOTE_TIMING[0] = True
        return self

    def __exit__(self, *exc):
        _REMOTE_TIMING[0] = self._old
        return False


def summarise_exception(exc: BaseException) -> str:
    """``"ZeroDivisionError: division by zero (line 7: out[i, j] = 1 / 0)"``.

    The line is the innermost one of the student's own code (not numpy's, not
    this package's), when there is one.
    """
    text = f"{type(exc).__name__}: {exc}".strip()
    if len(text) > 300:
        text = text[:297] + "..."
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if _is_student_file(f.filename)]
    if own:
        f = own[-1]
        where = f"in {f.name}, line {f.lineno}"
        if f.line:
            where += f": {f.line.strip()}"
        text += f" ({where})"
    return text


#: the installed package's own folder, resolved: its files are never the student's.  Decided
#: from where the package really is, not from a name in the path, because a checkout made by
#: ``git clone`` sits in a folder that is itself named ``convcourse``.
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _is_student_file(filename: str) -> bool:
    """Code typed in a notebook or a script, not a library or this package."""
    if filename.startswith("<ipython-input") or "ipykernel_" in filename:
        return True
    if filename.startswith("<"):  # code compiled from a string (<string>, <cell 3>) is typed
        return not filename.startswith("<frozen")  # <frozen importlib._bootstrap> is Python's
    lowered = filename.replace("\\", "/")
    if "/site-packages/" in lowered or "/dist-packages/" in lowered or "/lib/python" in lowered:
        return False
    try:
        Path(filename).resolve().relative_to(_PACKAGE_DIR)
    except (ValueError, OSError):
        return True
    return False


def _same(a, b) -> bool:
    """Deep equality for the argument types the checks pass (arrays, ints, tuples)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


class _CallMonitor:
    """The ``sys.setprofile`` hook of one call: records the first forbidden call.

    Python calls (``call``) are named by their frame's module and function;
    C calls (``c_call``) by the builtin's ``__module__`` or, for a method, its
    owner's type's module.  It runs for every call the student's function makes, so
    each ``(module, name)`` of plain strings is matched against the rules once per
    call of :func:`call_student` (a loop calling ``np.sum`` a thousand times is
    matched once); anything else is matched every time, as it comes.
    """

    def __init__(self, forbidden: Forbidden):
        self.forbidden = forbidden
        self.hit: list[str] = []
        self._seen: dict = {}

    def __call__(self, frame, event, arg):
        if self.hit:
            return
        if event == "call":
            module = frame.f_globals.get("__name__", "")
            name = frame.f_code.co_name
        elif event == "c_call":
            module = getattr(arg, "__module__", None) or ""
            name = getattr(arg, "__name__", "")
            if not module:
                owner = getattr(arg, "__self__", None)
                module = getattr(type(owner), "__module__", "") if owner is not None else ""
        else:
            return
        if type(module) is str and type(name) is str:
            key = (module, name)
            found = self._seen.get(key)
            if found is None:
                found = self._seen[key] = self.forbidden.match(module, name)
        else:
            found = self.forbidden.match(module, name)
        if found:
            self.hit.append(f"{_public_module(module)}.{name}")


class _Alarm:
    """The time limit of one call: ``SIGALRM`` raising :class:`CheckTimeout` in the call.

    Armed only in the main thread, with a limit, outside :class:`remote_timing`.
    Once disarmed, a late alarm raises nowhere.  The interval timer re-fires
    every 50 ms, in case a bare ``except:`` in the student's code swallowed
    the first one.
    """

    def __init__(self, time_limit: float):
        self.time_limit = time_limit
        self.active = bool(threading.current_thread() is threading.main_thread() and time_limit
                           and not _REMOTE_TIMING[0])
        self.armed = False
        self.old_handler = None

    def install(self) -> None:
        if self.active:
            self.armed = True
            self.old_handler = signal.signal(signal.SIGALRM, self._on_alarm)

    def _on_alarm(self, signum, frame):
        if self.armed:
            raise CheckTimeout(f"still running after {self.time_limit:g} s")

    def start(self) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, self.time_limit, 0.05)

    def stop(self) -> None:
        self.armed = False
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)

    def uninstall(self) -> None:
        self.stop()
        if self.active and self.old_handler is not None:
            signal.signal(signal.SIGALRM, self.old_handler)
            self.old_handler = None


def _merge_remote(result: CallResult, reports) -> None:
    """Add what a remote worker saw (:func:`report_remote`) to ``result``."""
    for report in reports:
        if report.get("forbidden") and result.forbidden is None:
            result.forbidden = str(report["forbidden"])
        if report.get("profiler_removed"):
            result.profiler_removed = True
        for name in report.get("mutated") or []:
            if str(name) not in result.mutated:
                result.mutated.append(str(name))
        result.warnings += [str(w) for w in report.get("warnings") or []]
        result.output += str(report.get("output") or "")


def _find_mutations(result: CallResult, args, call_args, kwargs, call_kwargs, arg_names) -> None:
    """Name every argument the call changed (the originals against the copies it received)."""
    names = list(arg_names or [])
    for i, (before, after) in enumerate(zip(args, call_args)):
        if not _same(before, after):
            result.mutated.append(names[i] if i < len(names) else f"argument {i + 1}")
    for key, before in kwargs.items():
        if not _same(before, call_kwargs[key]):
            result.mutated.append(key)


def call_student(func, args=(), kwargs=None, *, forbidden: Forbidden = Forbidden(),
                 time_limit: float = 3.0, arg_names=None) -> CallResult:
    """Call ``func(*args, **kwargs)`` on copies of the arguments and record what happened.

    The phases: copy the arguments; install the alarm and capture the
    streams and warnings; run the call under the monitor and the alarm,
    recording its value, error or timeout; restore everything, whatever
    happened; merge what a remote worker reported (:func:`_merge_remote`);
    compare the arguments with their copies (:func:`_find_mutations`).  The
    call itself stays in this function's body: the judge's worker lets only
    this function's code switch the call monitor (``sys.setprofile``) on and off.

    Parameters
    ----------
    func : callable
        The student's function.
    args : tuple
        Positional arguments (copied before the call; the originals are kept to
        detect a function that modifies its inputs).
    kwargs : dict, optional
        Keyword arguments (copied likewise).
    forbidden : Forbidden
        Modules and functions the call may not use.
    time_limit : float
        Seconds before the call is interrupted (main thread only).
    arg_names : sequence of str, optional
        Names of the positional arguments, for the report of a modified input.

    Returns
    -------
    CallResult
    """
    kwargs = dict(kwargs or {})
    call_args = copy.deepcopy(tuple(args))
    call_kwargs = copy.deepcopy(kwargs)
    result = CallResult()
    monitor = _CallMonitor(forbidden)
    alarm = _Alarm(time_limit)
    context = {"forbidden": forbidden, "time_limit": time_limit,
               "arg_names": tuple(arg_names or ()), "remote": []}
    _CALLS.append(context)
    alarm.install()
    out, err = _BoundedText(), _BoundedText()
    old_out, old_err = sys.stdout, sys.stderr
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sys.stdout, sys.stderr = out, err
            try:
                alarm.start()
                sys.setprofile(monitor)
                try:
                    result.value = func(*call_args, **call_kwargs)
                finally:
                    alarm.armed = False
                    current = sys.getprofile()
                    sys.setprofile(None)
                    alarm.stop()
                    if current is not monitor:
                        result.profiler_removed = True
            except CheckTimeout:
                result.timed_out = True
            except BaseException as exc:  # noqa: BLE001 - SystemExit and friends too
                if isinstance(exc, KeyboardInterrupt):
                    raise
                result.error = exc
                result.error_summary = (getattr(exc, "_convcourse_remote_summary", None)
                                        or summarise_exception(exc))
            finally:
                sys.stdout, sys.stderr = old_out, old_err
        result.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    finally:
        if _CALLS and _CALLS[-1] is context:
            _CALLS.pop()
        sys.setprofile(None)
        alarm.uninstall()
        sys.stdout, sys.stderr = old_out, old_err
    result.seconds = time.perf_counter() - start
    result.output = out.getvalue() + err.getvalue()
    result.output_chars = out.total + err.total
    if monitor.hit:
        result.forbidden = monitor.hit[0]
    _merge_remote(result, context["remote"])
    _find_mutations(result, args, call_args, kwargs, call_kwargs, arg_names)
    return result
