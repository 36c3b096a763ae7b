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
