"""The shared machinery of the checks: make_check, the Exercise hooks, reproduce_in.

A toy exercise (double an array) stands in for a real one, so each behaviour is
seen on its own: the check a notebook calls, the hooks that let a tuple, a pair
or a model go through `run_exercise`, and the replay of a printed seed.
"""

import dataclasses
import inspect
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from convcourse.grading._cases import (Case, CaseResult, Exercise, Outcome, make_check,
                                       make_reproduce, reproduce_in, run_exercise)
from convcourse.grading._mistakes import Mistake
from convcourse.grading._runner import Forbidden

ENV = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "ada",
       "CONVCOURSE_ASSIGNMENT": "toy", "CONVCOURSE_NOTEBOOK": "toy"}


def _toy(**changes) -> Exercise:
    ex = Exercise(
        name="double", arg_names=("x",), groups={"basic": 1, "shapes": 1},
        forbidden=Forbidden(functions=(("numpy", "multiply"),)),
        forbidden_text="write x + x yourself",
        fixed_cases=lambda: [Case("basic", (np.array([1.0, 2.0]),)),
                             Case("shapes", (np.arange(6.0).reshape(2, 3),))],
        random_cases=lambda rng: [Case("basic", (np.round(rng.normal(size=3), 3),))],
        reference=lambda case: 2.0 * np.asarray(case.args[0]),
        mistakes=lambda case: [Mistake("not doubled", "return 2 * x", case.args[0])],
        default_points=2.0,
    )
    return dataclasses.replace(ex, **changes)


def double(x):
    return x + x


def identity(x):
    return np.array(x)


@pytest.fixture
def toy_check():
    exercises = {"double": _toy()}
    return exercises, make_check(exercises, "double", "2 * x, element-wise.", __name__)


# ------------------------------------------------------------------ make_check

def test_make_check_returns_the_documented_check(toy_check):
    _, check = toy_check
    assert check.__name__ == "check_double" and check.__module__ == __name__
    assert str(inspect.signature(check)) == "(func, *, points=None, hidden=False)"
    doc = check.__doc__
    assert doc.startswith("Check a student's ``double``: 2 * x, element-wise.")
    assert "(default 2)" in doc and "(basic, shapes)" in doc
    assert "may not call:\n    numpy.multiply." in doc
    assert "1e-5 * (1 + max|expected|)" in doc  # the array tolerance, by default


def test_the_docstring_of_an_int_exercise_states_the_int_rule():
    exercises = {"double": _toy(integer_answer=True)}
    doc = make_check(exercises, "double", "a count.", __name__).__doc__
    assert "must be an int" in doc and "1e-5" not in doc
    doc = make_check(exercises, "double", "a count.", __name__, answer="Said here.").__doc__
    assert "Said here." in doc and "must be an int" not in doc


def test_the_visible_form_passes_quietly_or_raises_the_report(toy_check, capsys):
    _, check = toy_check
    assert check(double) is None
    # 2 fixed, 1 random, 1 rescaled copy of the fixed 'shapes' case (a group without random cases)
    assert capsys.readouterr().out == "double: all 4 public cases passed (basic, shapes).\n"
    with pytest.raises(AssertionError, match=r"(?s)double \(public cases\): 0/2.*not doubled"):
        check(identity)


def test_a_failing_check_shows_the_student_its_call_and_one_short_frame(toy_check):
    # IPython formats every frame of a traceback with its source: the check raises from
    # its own short file after the grader's work has returned, so the student reads
    # their call, the check's name and the report (and the grader's thousand lines of
    # _cases.py are neither shown nor parsed: 0.3 s of every failing test cell)
    from IPython.core.ultratb import VerboseTB

    _, check = toy_check
    try:
        check(identity)
    except AssertionError:
        etype, value, tb = sys.exc_info()
    frames = []
    while tb is not None:
        frames.append((Path(tb.tb_frame.f_code.co_filename).name, tb.tb_frame.f_code.co_name))
        tb = tb.tb_next
    assert frames == [("test_grading_cases.py", inspect.currentframe().f_code.co_name),
                      ("_check.py", "check_double")]
    text = VerboseTB(theme_name="nocolor").text(etype, value, value.__traceback__)
    assert "grading/_cases.py" not in text and "check_double" in text and "not doubled" in text


def test_the_hidden_form_prints_the_report_and_returns_a_float(toy_check, graded_env, capsys):
    _, check = toy_check
    score = check(double, points=4, hidden=True)
    assert type(score) is float and score == 4.0
    assert check(identity, points=4, hidden=True) == 0.0
    out = capsys.readouterr().out
    seed = int(out.split("(seed ")[-1].split(")")[0])
    assert f"To reproduce these cases: convcourse.grading.reproduce('double', double, " \
           f"seed={seed})" in out
    assert "likely mistake: not doubled (return 2 * x)" in out


def test_the_check_writes_nothing_to_stderr(toy_check, graded_env, capsys):
    _, check = toy_check

    def noisy(x):
        warnings.warn("careful", RuntimeWarning)
        return np.log(np.zeros(1)) * 0 + x + x  # a numpy warning too

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning escaping the check would raise here
        check(noisy, points=2, hidden=True)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "RuntimeWarning: careful" in captured.out


def test_the_check_reads_the_exercise_when_it_runs(toy_check, capsys):
    exercises, check = toy_check
    exercises["double"] = _toy(reference=lambda case: np.asarray(case.args[0]))
    assert check(identity) is None


def test_a_check_needs_a_function(toy_check):
    _, check = toy_check
    with pytest.raises(TypeError, match="check_double needs your function, got 'double'"):
        check("double")


# ------------------------------------------------------------------ hooks

class NotAPair(Exception):
    pass


def _sum_of_pair(func):
    def adapted(x):
        value = func(x)
        if not isinstance(value, tuple) or len(value) != 2:
            raise NotAPair(f"double must return a pair (half, half); it returned {value!r}")
        return np.asarray(value[0]) + np.asarray(value[1])
    return adapted


def test_adapt_turns_the_answer_into_the_one_compared():
    ex = _toy(adapt=_sum_of_pair)
    assert run_exercise(ex, lambda x: (x, x), seed=1, points=2).score == 2.0
    outcome = run_exercise(ex, lambda x: x + x, seed=1, points=2)
    assert outcome.score == 0.0
    assert "your function raised NotAPair: double must return a pair (half, half)" \
        in outcome.report


def test_revise_rewrites_the_failures_before_the_report():
    seen = []

    def revise(outcome, adapted):
        seen.append(adapted)
        for result in outcome.results:
            if not result.passed:
                result.message += "\n    (revised)"

    ex = _toy(adapt=_sum_of_pair, revise=revise)
    outcome = run_exercise(ex, lambda x: (x, 0 * x), seed=1, points=2)
    assert len(seen) == 1 and seen[0] is not None and seen[0].__name__ == "adapted"
    assert outcome.report.count("(revised)") == 2  # one failing case per group


def _whole_runner(ex, func, *, seed, points, title="", notes=(), full=False):
    value = func()
    passed = {group: value == 42 for group in ex.groups}
    results = [CaseResult(Case(group, ()), ok, "" if ok else f"[{group}] answer() gave {value}")
               for group, ok in passed.items()]
    return Outcome(ex.name, seed, results, passed, points * sum(passed.values()) / len(passed),
                   float(points), report=f"{title or ex.name}: ran whole")


def test_a_runner_replaces_the_case_by_case_comparison():
    ex = _toy(name="answer", arg_names=(), reference=None, runner=_whole_runner, seeded=False)
    assert run_exercise(ex, lambda: 42, seed=0, points=2).score == 2.0
    outcome = reproduce_in({"answer": ex}, "answer", lambda: 41, seed=5, verbose=False)
    assert outcome.score == 0.0 and outcome.report == "answer (reproduced): ran whole"
    with pytest.raises(TypeError, match="check_answer needs your function"):
        run_exercise(ex, 42, seed=0, points=2)


def test_an_unseeded_exercise_shows_no_seed(graded_env, capsys):
    exercises = {"double": _toy(seeded=False)}
    check = make_check(exercises, "double", "2 * x.", __name__)
    assert check(identity, points=2, hidden=True) == 0.0
    out = capsys.readouterr().out
    assert out.startswith("double: 0/2 groups of cases passed, score 0/2\n")
    assert "seed" not in out and "reproduce" not in out


def test_the_visible_cell_may_run_another_exercise(capsys):
    fewer = _toy(groups={"basic": 1}, default_points=1.0, seeded=False,
                 fixed_cases=lambda: [Case("basic", (np.array([1.0, 2.0]),))],
                 random_cases=lambda rng: [],
                 passed_message="double: the basic cases pass; the graded check runs more.")
    exercises = {"double": _toy(visible=fewer)}
    check = make_check(exercises, "double", "2 * x.", __name__)
    assert check(double) is None
    assert capsys.readouterr().out == "double: the basic cases pass; the graded check runs more.\n"
    with pytest.raises(AssertionError, match=r"double \(visible check\): 0/1 groups of cases "
                                             r"passed, score 0/1\n"):
        check(identity)


# ------------------------------------------------------------------ reproduce

def test_reproduce_in_runs_every_case_of_the_seed():
    exercises = {"double": _toy()}
    outcome = reproduce_in(exercises, "double", identity, seed=3, verbose=False)
    assert outcome.seed == 3 and outcome.points == 2.0
    # full: the cases after a group's first failure too (and the 'shapes' case's rescaled copy)
    assert len(outcome.results) == 4
    assert outcome.report.startswith("double (reproduced): 0/2 groups")
    with pytest.raises(ValueError, match="exercise must be one of 'double'; got 'triple'"):
        reproduce_in(exercises, "triple", identity, seed=3)


def test_make_reproduce_is_restricted_to_its_exercises(capsys):
    exercises = {"double": _toy()}
    replay = make_reproduce(exercises, __name__)
    assert replay.__module__ == __name__ and "(double)" in replay.__doc__
    outcome = replay("double", double, seed=8, points=5)
    assert outcome.score == 5.0
    assert capsys.readouterr().out.startswith("double (reproduced): 2/2 groups of cases passed, "
                                              "score 5/5  (seed 8)")
    with pytest.raises(ValueError, match="got 'pad2d'"):
        replay("pad2d", double, seed=8)


# ------------------------------------------------------- the exercise's contract

def test_an_exercise_is_validated_when_built_and_names_the_bad_group():
    def shared_builder():  # a case builder shared by two exercises gains a group
        return [Case("basic", (np.array([1.0, 2.0]),)), Case("dilation", (np.ones(2),))]

    with pytest.raises(ValueError, match=r"exercise 'double' has a case of group 'dilation', "
                                         r"which it does not declare \(its groups: basic, "
                                         r"shapes\)"):
        _toy(fixed_cases=shared_builder)
    with pytest.raises(ValueError, match="exercise 'double' declares group 'edge' but has no case"):
        _toy(groups={"basic": 1, "shapes": 1, "edge": 1})
    with pytest.raises(TypeError, match=r"groups of exercise 'double' must be a non-empty dict "
                                        r"group -> weight"):
        _toy(groups=("basic", "shapes"))
    with pytest.raises(ValueError, match="the weight of group 'shapes' must be a positive number"):
        _toy(groups={"basic": 1, "shapes": 0})
    # a graded group of fixed cases that cannot be made the submission's own
    with pytest.raises(ValueError, match=r"exercise 'double': group 'shapes' has only fixed "
                                         r"cases .*give it random cases"):
        _toy(fixed_cases=lambda: [Case("basic", (np.array([1.0]),)),
                                  Case("shapes", (np.arange(3),))])  # ints: nothing to rescale


def test_weights_are_explicit_per_exercise():
    even = _toy()
    heavy = _toy(groups={"basic": 3, "shapes": 1})
    assert heavy.score({"basic": True, "shapes": False}, 4.0) == 3.0
    assert even.score({"basic": True, "shapes": False}, 4.0) == 2.0
    # the outcome of a run uses them
    outcome = run_exercise(heavy, lambda x: 2.0 * np.asarray(x) if np.ndim(x) == 1
                           else np.zeros(1), seed=1, points=4.0)
    assert outcome.group_passed == {"basic": True, "shapes": False} and outcome.score == 3.0


def test_case_results_declare_timeouts_and_warnings():
    names = {f.name for f in dataclasses.fields(CaseResult)}
    assert {"timed_out", "warnings", "answered"} <= names
    assert {"warnings", "gated"} <= {f.name for f in dataclasses.fields(Outcome)}

    def slow_and_noisy(x):
        import warnings as w
        w.warn("careful")
        while np.ndim(x) == 2:
            pass
        return 2.0 * np.asarray(x)

    outcome = run_exercise(_toy(time_limit=0.2), slow_and_noisy, seed=1, points=2.0)
    timed = [r for r in outcome.results if r.timed_out]
    assert len(timed) == 1 and timed[0].case.group == "shapes"
    assert outcome.warnings == ["UserWarning: careful"]
    assert outcome.group_passed == {"basic": True, "shapes": False}


def test_fixed_cases_get_rescaled_copies_of_their_own():
    ex = _toy()
    cases = ex.cases(5)
    copies = [c for c in cases if c.group == "shapes" and c.own]
    assert len(copies) == 1
    fixed = np.arange(6.0).reshape(2, 3)
    factor = copies[0].args[0][0, 1]
    assert 0.5 <= factor <= 2.0 and np.allclose(copies[0].args[0], fixed * factor)
    assert not np.allclose(ex.cases(6)[-1].args[0], copies[0].args[0])  # another seed, another
    assert [c.args[0].tolist() for c in ex.cases(5)] == [c.args[0].tolist() for c in cases]


def test_an_errors_group_counts_only_when_valid_cases_are_computed():
    errors = _toy(groups={"basic": 1, "errors": 1},
                  fixed_cases=lambda: [Case("basic", (np.array([1.0, 2.0]),)),
                                       Case("errors", (np.ones((2, 2)),), error=ValueError,
                                            why="x must be 1-D")])

    def raises(x):
        raise ValueError("no")

    def wrong(x):  # answers every valid case (wrongly) and raises where it should
        if np.ndim(x) != 1:
            raise ValueError("x must be 1-D")
        return np.asarray(x) + 1.0

    out = run_exercise(errors, raises, seed=1, points=2.0)
    assert out.score == 0.0 and out.gated == ["errors"]
    assert "counts only when the function also computes the valid cases" in out.report
    out = run_exercise(errors, wrong, seed=1, points=2.0)
    assert out.score == 1.0 and out.gated == [] and out.group_passed["errors"]
