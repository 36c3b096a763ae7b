"""The judge's speed-ups (issue 11 §2) change its cost, not its verdicts."""

import sys

import numpy as np
import pytest

from convcourse.course import judge
from convcourse.course.judge import Worker, _Proxy
from convcourse.grading import EXERCISES
from convcourse.grading._runner import Forbidden, _CallMonitor, call_student, remote_timing

PROGRAM = [("<ipython-input-1>", "import numpy as np\n"
            "def echo(*args, **kwargs):\n    return args, kwargs\n"
            "def apply(f, x):\n    return f(x)\n"
            "def fail(x):\n    raise ValueError(x)\n")]


def _every_forbidden() -> Forbidden:
    """Every module and function any exercise forbids, in one rule set."""
    modules, functions = [], []
    for ex in EXERCISES.values():
        modules += [m for m in ex.forbidden.modules if m not in modules]
        functions += [tuple(f) for f in ex.forbidden.functions if tuple(f) not in functions]
    return Forbidden(tuple(modules), tuple(functions))


def _sandbox():
    from convcourse.course.sandbox import POLICY, sandbox_available

    return POLICY.worker() if sandbox_available() else None


def test_the_judges_transport_calls_nothing_any_exercise_forbids():
    """The proxy pauses the judge's call monitor while it starts a worker and moves the
    messages: that changes no verdict only because nothing there is a call the monitor of
    any exercise would flag.  Run it all under a monitor of every exercise's rules."""
    forbidden = _every_forbidden()
    worker = Worker(PROGRAM, sandbox=_sandbox())
    values = (np.arange(6.0).reshape(2, 3), np.float32(2.5), (1, [2, 3]), {"k": (1, 2.5)},
              "text", None, 2**70)
    monitor = _CallMonitor(forbidden)
    try:
        sys.setprofile(monitor)
        try:
            worker.start()
            replies = [worker.call("echo", values, {"kw": np.zeros((1, 2), np.int16)},
                                   forbidden=forbidden, time_limit=3.0),
                       worker.call("fail", ("no",), {}, forbidden=forbidden, time_limit=3.0)]
        finally:
            sys.setprofile(None)
    finally:
        worker.close()
    assert monitor.hit == []
    assert "value" in replies[0][0] and replies[1][0]["error"]["type"] == "ValueError"


def test_a_proxy_pauses_the_call_monitor_for_the_transport_but_not_for_a_callback(monkeypatch):
    """The transport runs unwatched (it was half the judge's time in the checks); a callback,
    a check's own function the submission calls, still runs under the monitor, which still
    catches a forbidden call there."""
    profiles = []
    send = Worker._send

    def spy(self, header, arrays=None):
        profiles.append(sys.getprofile())
        send(self, header, arrays)

    monkeypatch.setattr(Worker, "_send", spy)
    seen = []

    def callback(x):
        from fractions import Fraction

        seen.append(sys.getprofile())
        return float(Fraction(int(x), 3))

    worker = Worker(PROGRAM)
    try:
        proxy = _Proxy(worker, "apply", {})
        with remote_timing():
            res = call_student(proxy, (callback, 6), forbidden=Forbidden(("fractions",)))
    finally:
        worker.close()
    assert res.value == 2.0 and not res.profiler_removed
    assert profiles and all(p is None for p in profiles)
    assert len(seen) == 1 and isinstance(seen[0], _CallMonitor)
    assert res.forbidden == "fractions.__new__"


def _notebook(*tests):
    """A notebook of one code cell and test cells ``(grade id, source, points)``."""
    from nbformat.v4 import new_code_cell, new_notebook

    code = ("def output_size(size, kernel_size, stride=1, padding=0, dilation=1):\n"
            "    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1\n"
            "def pad2d(x, padding):\n    return x\n")
    cells = [new_code_cell(code)]
    for gid, source, points in tests:
        cells.append(new_code_cell(source, metadata={"nbgrader": {
            "grade": True, "solution": False, "grade_id": gid, "points": points}}))
    return new_notebook(cells=cells)


TWO_SETS = (("size", "check_output_size(output_size, points=2, hidden=True)", 2),
            ("pad", "check_pad2d(pad2d, points=2, hidden=True)", 2))


def test_a_notebooks_workers_are_all_launched_before_the_first_check(monkeypatch):
    """Their starts overlap (about 0.2 s each, one to four a notebook): every worker's
    process exists before the first call is sent; before, each started at its first
    check."""
    events = []
    popen, call = judge.subprocess.Popen, Worker.call

    def spy_popen(*args, **kwargs):
        events.append("process")
        return popen(*args, **kwargs)

    def spy_call(self, *args, **kwargs):
        events.append("call")
        return call(self, *args, **kwargs)

    monkeypatch.setattr(judge.subprocess, "Popen", spy_popen)
    monkeypatch.setattr(Worker, "call", spy_call)
    nb = _notebook(*TWO_SETS)
    result = judge.judge_notebook(nb, nb, student="s", assignment="a", notebook="n",
                                  secret="k", sandbox=None, timeout=10)
    assert result["workers"] == 2 and events[:2] == ["process", "process"]
    assert events.count("process") == 2 and "process" not in events[2:]
    assert result["verdicts"]["size"].score > 0  # the worker answered


def test_a_worker_launched_ahead_that_no_check_needs_counts_as_never_started(monkeypatch):
    """A check that fails before calling the function (here: no seed for it) never takes
    its worker: it is killed with the others and, as before the workers were launched
    ahead, not counted."""
    import json

    killed = []
    close = Worker.close

    def spy_close(self):
        if self.proc is not None:
            killed.append(self.blocked_modules)
        close(self)

    monkeypatch.setattr(Worker, "close", spy_close)
    nb = _notebook(*TWO_SETS)
    seeds = json.loads(judge.notebook_seeds(nb, "k", "s", "a", "n"))
    del seeds["seeds"]["pad2d"]
    result = judge.judge_notebook(nb, nb, student="s", assignment="a", notebook="n",
                                  seeds=json.dumps(seeds), sandbox=None, timeout=10)
    assert result["workers"] == 1
    assert "no seed for exercise 'pad2d'" in result["verdicts"]["pad"].report
    assert len(killed) == 2
