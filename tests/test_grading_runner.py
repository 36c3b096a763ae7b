"""Calling a student's function safely: copies, output, errors, time limit, forbidden calls."""

import sys
import threading
import time
import warnings

import numpy as np
import pytest
import scipy.signal
from scipy.signal import correlate2d as sneaky_alias

from convcourse.grading._runner import Forbidden, call_student, summarise_exception

CORRELATION = Forbidden(modules=("scipy.signal", "scipy.ndimage", "torch", "convcourse.filtering"),
                        functions=(("numpy", "convolve"), ("numpy", "correlate")))


def test_returns_the_value_and_passes_copies(rng):
    image = rng.normal(size=(3, 4))
    seen = []

    def func(a, b=None):
        seen.append(a)
        return a.sum() + b

    res = call_student(func, (image,), {"b": 2.0})
    assert res.ok
    assert res.value == pytest.approx(image.sum() + 2.0)
    assert seen[0] is not image and np.array_equal(seen[0], image)


@pytest.mark.parametrize("where", ["args", "kwargs"])
def test_reports_a_function_that_modifies_its_input(rng, where):
    image = rng.normal(size=(3, 3))
    original = image.copy()

    def func(image, kernel=None):
        image[0, 0] = 99.0
        if kernel is not None:
            kernel[0] = 1.0
        return image

    if where == "args":
        res = call_student(func, (image,), arg_names=("image",))
        assert res.mutated == ["image"]
    else:
        res = call_student(func, (image,), {"kernel": np.zeros(2)}, arg_names=("image",))
        assert res.mutated == ["image", "kernel"]
    assert not res.ok
    assert np.array_equal(image, original)  # the caller's array is untouched


def test_warnings_and_stderr_are_captured(capsys):
    def noisy():
        warnings.warn("careful", RuntimeWarning)
        print("to stdout")
        print("to stderr", file=sys.stderr)
        with np.errstate(divide="warn"):
            np.log(np.zeros(1))
        return 1

    res = call_student(noisy)
    assert res.ok and res.value == 1
    assert any("careful" in w for w in res.warnings)
    assert any("divide by zero" in w for w in res.warnings)
    assert "to stdout" in res.output and "to stderr" in res.output
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_huge_output_is_counted_not_kept():
    def chatty():
        for _ in range(100):
            print("x" * 100_000)

    res = call_student(chatty)
    assert res.output_chars == 100 * 100_001
    assert len(res.output) <= 2000


@pytest.mark.parametrize("exc, text", [
    (ZeroDivisionError, "ZeroDivisionError"),
    (SystemExit, "SystemExit"),
])
def test_exceptions_are_caught_and_summarised(exc, text):
    def broken(x):
        y = x + 1
        raise exc("boom")

    res = call_student(broken, (1,))
    assert isinstance(res.error, exc)
    assert text in res.error_summary and "boom" in res.error_summary
    assert "raise exc(\"boom\")" in res.error_summary  # the student's own line


def test_summary_names_the_students_line_not_numpy():
    def bad(a):
        return np.zeros((2, 2)) @ np.zeros((3, 3))

    res = call_student(bad, (0,))
    assert "ValueError" in res.error_summary
    assert "line" in res.error_summary and "np.zeros((2, 2)) @" in res.error_summary
    assert summarise_exception(KeyError("k")).startswith("KeyError: 'k'")


def test_a_students_file_in_a_folder_named_convcourse_is_still_the_students(tmp_path):
    # `git clone` makes a folder named convcourse: a path containing /convcourse/ is not
    # therefore the package's own code.
    folder = tmp_path / "convcourse" / "homework"
    folder.mkdir(parents=True)
    script = folder / "student_code.py"
    script.write_text("def broken(x):\n    y = x + 1\n    return y / 0  # the student's line\n")
    namespace = {}
    exec(compile(script.read_text(), str(script), "exec"), namespace)

    res = call_student(namespace["broken"], (1,))
    assert "ZeroDivisionError" in res.error_summary
    assert "in broken, line 3: return y / 0" in res.error_summary


def test_the_packages_own_files_are_never_the_students():
    import convcourse.conv as own

    def calls_the_package():
        return own.conv2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), stride=0)

    res = call_student(calls_the_package)
    assert res.error is not None
    assert "in calls_the_package" in res.error_summary  # the test's line, not convcourse's


def test_time_limit_stops_an_infinite_loop():
    def forever():
        while True:
            pass

    start = time.perf_counter()
    res = call_student(forever, time_limit=0.2)
    assert res.timed_out and not res.ok
    assert time.perf_counter() - start < 2.0


def test_time_limit_is_not_swallowed_by_except_exception():
    def stubborn():
        while True:
            try:
                sum(range(1000))
            except Exception:
                pass

    res = call_student(stubborn, time_limit=0.2)
    assert res.timed_out


def test_outside_the_main_thread_runs_without_a_timer():
    box = []
    thread = threading.Thread(target=lambda: box.append(call_student(lambda: 5, time_limit=0.1)))
    thread.start()
    thread.join()
    assert box[0].ok and box[0].value == 5


def _with_alias(a, b):
    return sneaky_alias(a, b, "valid")


def _with_module(a, b):
    return scipy.signal.fftconvolve(a, b, mode="valid")


def _with_np_convolve(a, b):
    return np.convolve(a.ravel(), b.ravel())


def _with_np_correlate_alias(a, b):
    corr = np.correlate
    return corr(a.ravel(), b.ravel())


@pytest.mark.parametrize("func, name", [
    (_with_alias, "scipy.signal.correlate2d"),
    (_with_module, "scipy.signal.fftconvolve"),
    (_with_np_convolve, "numpy.convolve"),
    (_with_np_correlate_alias, "numpy.correlate"),
])
def test_forbidden_calls_are_caught_under_any_name(rng, func, name):
    a, b = rng.normal(size=(4, 4)), rng.normal(size=(2, 2))
    res = call_student(func, (a, b), forbidden=CORRELATION)
    assert res.forbidden == name
    assert not res.ok


def test_allowed_numpy_calls_are_not_flagged(rng):
    from numpy.lib.stride_tricks import sliding_window_view

    def vectorised(a, b):
        return np.einsum("ijkl,kl->ij", sliding_window_view(a, b.shape), b)

    res = call_student(vectorised, (rng.normal(size=(5, 5)), np.ones((2, 2))), forbidden=CORRELATION)
    assert res.ok and res.forbidden is None


def test_torch_is_caught():
    torch = pytest.importorskip("torch")

    def with_torch(a, b):
        t = torch.from_numpy(a)[None, None]
        k = torch.from_numpy(b)[None, None]
        return torch.nn.functional.conv2d(t, k)[0, 0].numpy()

    res = call_student(with_torch, (np.ones((4, 4)), np.ones((2, 2))), forbidden=CORRELATION)
    assert res.forbidden is not None and res.forbidden.startswith("torch")


def test_switching_off_the_monitor_is_reported():
    def sly():
        sys.setprofile(None)
        return 1

    res = call_student(sly, forbidden=CORRELATION)
    assert res.profiler_removed and not res.ok
    assert sys.getprofile() is None


def test_the_monitor_matches_each_name_once_per_call_and_still_catches():
    """The monitor runs for every call the function makes; the rules are matched once per
    ``(module, name)`` (it was a third of a judge worker's time in a loop of numpy calls),
    and a forbidden call after a thousand allowed ones is still the one reported."""
    matched = []

    class Counting(Forbidden):
        def match(self, module, name):
            matched.append((module, name))
            return super().match(module, name)

    def loop(a):
        for _ in range(1000):
            a = a + 0.0 * np.sum(a) * abs(-1.0) * len(a)  # a Python call and C calls, each time
        return scipy.signal.correlate2d(a, a)

    res = call_student(loop, (np.ones((2, 2)),), forbidden=Counting(("scipy.signal",)))
    assert res.forbidden == "scipy.signal.correlate2d"
    assert len(matched) == len(set(matched)) and len(matched) < 50


def test_a_frame_with_an_odd_module_name_is_matched_as_it_comes():
    """A submission can give its functions' globals any ``__name__``: an unhashable one is
    not remembered, it goes to the rules each time as before (whose error stops the
    monitor, which is reported)."""
    namespace = {"__name__": ["not", "a", "str"]}
    exec("def odd():\n    return 1\n", namespace)
    res = call_student(lambda: namespace["odd"](), forbidden=CORRELATION)
    assert res.profiler_removed and isinstance(res.error, AttributeError)
