"""Shared test settings.

Tests that need torch as an oracle call ``pytest.importorskip("torch")`` so they
skip cleanly where it is not installed.
"""

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=60, derandomize=True)
settings.load_profile("default")


@pytest.fixture
def rng():
    """A seeded generator, so every failure reproduces."""
    return np.random.default_rng(20241102)


# The grading tests set ``ENV`` (the variables the grader gives a kernel) at module level.
@pytest.fixture
def graded_env(request, monkeypatch):
    """Run as a graded kernel would: the module's ``ENV`` in the environment."""
    for key, value in request.module.ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(autouse=True)
def no_grading_env(request, monkeypatch):
    """Unless a test asks for ``graded_env``, a module's ``ENV`` variables are unset."""
    for key in getattr(request.module, "ENV", {}):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def names_one_cause(capsys):
    """``names_one_cause(check, func, points, named, not_named)``: the visible check's failure
    and the hidden report both name ``named`` and never ``not_named`` (two causes that give the
    same answer on some cases must be told apart by the cases that separate them)."""
    def assert_names(check, func, points, named, not_named):
        with pytest.raises(AssertionError) as info:
            check(func)
        check(func, points=points, hidden=True)
        for text in (str(info.value), capsys.readouterr().out):
            assert named in text and not_named not in text
    return assert_names


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`convcourse demo --jobs 2` on the whole sample class, once per test session.

    Shared by tests/test_course_demo.py and tests/test_i18n.py (the class has two students
    on the Russian edition); both mark their tests ``xdist_group("sample-class")`` so that
    one worker makes this run once.  Yields (output folder, exit status, what it printed).
    """
    from convcourse.cli import main

    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("demo") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["--course", str(root), "demo", "--output", str(out), "--jobs", "2"])
    return out, status, printed.getvalue()
