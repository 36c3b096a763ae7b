"""Cases, seeds, scoring and the report: the machinery every check shares.

An :class:`Exercise` describes one graded function: its groups of cases, the
fixed edge cases, a generator of random cases, the reference answer, the
independent oracle, the typical mistakes and what the function may not call.
:func:`run_exercise` calls the student's function on every case (through
:func:`convcourse.grading._runner.call_student`), scores the groups and writes
the report.  :func:`make_check` turns an exercise into the documented
``check_<name>`` a notebook calls, and :func:`reproduce_in` replays a seed.

Answers that are not one array
------------------------------
Three optional hooks of :class:`Exercise` let every exercise run through
:func:`run_exercise` (so that checks, :func:`convcourse.grading.reproduce` and
the tests treat them all alike):

- ``adapt`` wraps the student's function before the cases run, turning what it
  returns into the one answer compared (a pair into its outer product, a tuple
  of arrays into one flat array, one value out of a pair); a malformed answer
  raises an exception whose message the report shows;
- ``revise`` rewrites the failing cases' messages after the run (from what the
  adapted function recorded), before the report is written;
- ``runner`` replaces the case-by-case comparison altogether, for an answer
  judged as a whole (a model) or several exercises merged into one.

Seeds
-----
The random cases of a graded run are seeded with
``sha256(secret, student, assignment, notebook, exercise)``, read from the
environment variables ``CONVCOURSE_SECRET``, ``CONVCOURSE_STUDENT``,
``CONVCOURSE_ASSIGNMENT`` and ``CONVCOURSE_NOTEBOOK`` that the grader sets:
a student cannot predict them, a re-run gives the same cases, and the seed
printed in a report reproduces them (:func:`convcourse.grading.reproduce`).
Without those variables (a student working) the cases are public.

A sandboxed kernel never sees the secret: the grader gives it
``CONVCOURSE_SEEDS`` instead, a JSON object ``{"seeds": {exercise: seed},
"public": bool}`` of the seeds derived above (:func:`derive_seeds`), so that
the in-kernel report shows the same cases as the judge that scores them.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._mistakes import (arrays_close, as_answer_array, format_array, match_mistakes,
                        max_error, shape_difference)
from ._runner import Forbidden, call_student
from ..i18n import translate

__all__ = ["PUBLIC_SECRET", "ENV_VARS", "Case", "Exercise", "CaseResult", "Outcome",
           "derive_seed", "derive_seeds", "SEEDS_VAR", "public_seed", "grading_seed", "run_exercise", "make_check",
           "make_reproduce", "reproduce_in", "ARRAY_TOLERANCE_TEXT", "INTEGER_ANSWER_TEXT"]

#: the secret of the demo and the tests; grading with it prints a warning
PUBLIC_SECRET = "convcourse-public-demo-secret"
ENV_VARS = ("CONVCOURSE_SECRET", "CONVCOURSE_STUDENT", "CONVCOURSE_ASSIGNMENT",
            "CONVCOURSE_NOTEBOOK")
#: the variable that hands a sandboxed kernel its seeds instead of the secret
SEEDS_VAR = "CONVCOURSE_SEEDS"


def derive_seed(secret: str, student: str, assignment: str, notebook: str, exercise: str) -> int:
    """The seed of one student's random cases for one exercise (a 63-bit int)."""
    text = "\0".join([secret, student, assignment, notebook, exercise])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def derive_seeds(secret: str, student: str, assignment: str, notebook: str,
                 exercises) -> str:
    """The value of ``CONVCOURSE_SEEDS``: every exercise's seed, as JSON, without the secret.

    Examples
    --------
    >>> text = derive_seeds("s", "ann", "a1", "nb", ["pad2d"])
    >>> json.loads(text)["seeds"]["pad2d"] == derive_seed("s", "ann", "a1", "nb", "pad2d")
    True
    """
    seeds = {name: derive_seed(secret, student, assignment, notebook, name) for name in exercises}
    return json.dumps({"seeds": seeds, "public": secret == PUBLIC_SECRET}, sort_keys=True)


def _seeds_from(text: str, exercise: str):
    try:
        data = json.loads(text)
        seed = data["seeds"][exercise]
        public = bool(data.get("public", False))
    except (ValueError, TypeError, KeyError):
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        return None
    return seed, public


def public_seed(exercise: str) -> int:
    """The seed of the public cases (the same for everyone)."""
    return derive_seed("public", "", "", "", exercise)


def grading_seed(exercise: str, environ=None) -> tuple[int, bool, list]:
    """``(seed, graded, notes)`` for a hidden check, from the environment.

    ``graded`` is True when the four ``CONVCOURSE_*`` variables are set; notes
    are lines for the report (a warning when the public secret is in use).
    """
    env = os.environ if environ is None else environ
    if env.get(SEEDS_VAR) and not env.get("CONVCOURSE_SECRET"):
        found = _seeds_from(env[SEEDS_VAR], exercise)
        if found is not None and all(env.get(n) for n in ENV_VARS[1:]):
            seed, public = found
            notes = (["WARNING: graded with the public demo secret: "
                      "students can predict these cases"] if public else [])
            return seed, True, notes
    values = {name: env.get(name, "") for name in ENV_VARS}
    present = [name for name, value in values.items() if value]
    if len(present) < len(ENV_VARS):
        notes = ["(not a grading run: these are the public random cases; "
                 "your grade uses other random cases of the same kinds)"]
        if present:
            missing = ", ".join(n for n in ENV_VARS if n not in present)
            notes = [f"WARNING: grading environment incomplete (missing {missing}); "
                     "using the public cases"]
        return public_seed(exercise), False, notes
    notes = []
    if values["CONVCOURSE_SECRET"] == PUBLIC_SECRET:
        notes.append("WARNING: graded with the public demo secret: "
                     "students can predict these cases")
    seed = derive_seed(values["CONVCOURSE_SECRET"], values["CONVCOURSE_STUDENT"],
                       values["CONVCOURSE_ASSIGNMENT"], values["CONVCOURSE_NOTEBOOK"], exercise)
    return seed, True, notes


@dataclass
class Case:
    """One call of the student's function.

    ``error`` is the exception class the call must raise (an error case), or
    None when it must return the reference answer.
    """

    group: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    error: type | None = None
    why: str = ""  # for an error case: why the call must fail

    def describe(self, arg_names) -> str:
        """``image shape (5, 7), kernel shape (2, 3), stride=2``."""
        parts = []
        for name, value in zip(arg_names, self.args):
            parts.append(_describe_value(name, value))
        for name, value in self.kwargs.items():
            parts.append(f"{name}={value!r}")
        return ", ".join(parts)


def _describe_value(name, value) -> str:
    if isinstance(value, np.ndarray):
        text = f"{name} shape {value.shape}"
        if value.dtype != np.float64:
            text += f" dtype {value.dtype}"
        return text
    return f"{name}={value!r}"


@dataclass
class Exercise:
    """Everything a check needs to know about one graded function.

    ``reference`` may be None only for an exercise with a ``runner``.  The
    hooks ``adapt``, ``revise`` and ``runner`` are described in the module's
    docstring; ``seeded`` is False for an exercise without random cases (its
    reports show no seed); ``visible`` is the exercise a visible test cell runs
    when it differs from the graded one (its default points are then used), and
    ``passed_message`` what that cell prints when every group passes (default:
    ``"<name>: all <n> public cases passed (<groups>)."``).
    """

    name: str
    arg_names: tuple
    groups: tuple
    forbidden: Forbidden
    forbidden_text: str
    fixed_cases: Callable[[], list]
    random_cases: Callable[[np.random.Generator], list]
    reference: Callable[[Case], object] | None = None
    oracle: Callable[[Case], object] | None = None
    mistakes: Callable[[Case], list] = lambda case: []
    integer_answer: bool = False
    default_points: float = 1.0
    time_limit: float = 2.0
    adapt: Callable[[Callable], Callable] | None = None
    revise: Callable[["Outcome", Callable], None] | None = None
    runner: Callable[..., "Outcome"] | None = None
    seeded: bool = True
    visible: "Exercise | None" = None
    passed_message: str = ""

    def cases(self, seed: int) -> list:
        """Fixed edge cases then random cases, in group order."""
        rng = np.random.default_rng(seed)
        cases = list(self.fixed_cases()) + list(self.random_cases(rng))
        order = {g: i for i, g in enumerate(self.groups)}
        return sorted(cases, key=lambda c: order[c.group])


@dataclass
class CaseResult:
    """The verdict on one case."""

    case: Case
    passed: bool
    message: str = ""
    mistakes: list = field(default_factory=list)


@dataclass
class Outcome:
    """A check's verdict: per-group results, score and report."""

    exercise: str
    seed: int
    results: list
    group_passed: dict
    score: float
    points: float
    report: str = ""
    warnings: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(self.group_passed.values())

    @property
    def mistakes(self) -> list:
        """Names of every mistake recognised, in order."""
        names = []
        for r in self.results:
            for m in r.mistakes:
                if m.name not in names:
                    names.append(m.name)
        return names


def _check_answer(ex: Exercise, case: Case, value, expected):
    """``(passed, lines, mistakes)`` for a returned value."""
    if ex.integer_answer:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            if isinstance(value, (float, np.floating)) and float(value).is_integer() \
                    and int(value) == expected:
                return False, [f"returned {value!r}, a float: the output size is an int "
                               "(use // for the division, or int(...))"], []
            if value is None:
                return False, ["your function returned None: did you forget `return`?"], []
            if isinstance(value, np.ndarray):
                return False, [f"returned an array of shape {value.shape}: the answer is "
                               "one int"], []
            received = value
        else:
            received = int(value)
        if received == expected:
            return True, [], []
        lines = [f"expected {expected}, received {received!r}"]
        found = match_mistakes(received, ex.mistakes(case), expected)
        return False, lines, found

    received, why = as_answer_array(value)
    if received is None:
        return False, [why], []
    expected = np.asarray(expected, dtype=np.float64)
    if arrays_close(received, expected):
        return True, [], []
    lines = []
    found = match_mistakes(received, ex.mistakes(case), expected)
    if received.shape != expected.shape:
        lines.append(f"expected shape {expected.shape}, received shape {received.shape}")
        diff = shape_difference(received.shape, expected.shape)
        if diff and not found:
            lines.append(f"{diff}: check the number of output positions "
                         "(the output-size formula)")
    else:
        err = max_error(received, expected)
        lines.append(f"shape {received.shape} is right; largest error {err:.3g}")
        if not np.all(np.isfinite(received)):
            lines.append("your output contains NaN or infinity (an uninitialised "
                         "np.empty array?)")
    if received.size <= 36 and expected.size <= 36:
        lines.append(f"expected: {format_array(expected)}")
        lines.append(f"received: {format_array(received)}")
    return False, lines, found


def _evaluate(ex: Exercise, func, case: Case) -> CaseResult:
    label = case.describe(ex.arg_names)
    expected = None
    if case.error is None:
        expected = ex.reference(case)
        if ex.oracle is not None:
            oracle = ex.oracle(case)
            same = (expected == oracle) if ex.integer_answer else arrays_close(
                np.asarray(expected, dtype=np.float64), np.asarray(oracle, dtype=np.float64))
            if not same:
                raise RuntimeError(f"grading error in {ex.name}: the reference and the "
                                   f"independent oracle disagree on {label}; "
                                   "please tell the instructor")
    res = call_student(func, case.args, case.kwargs, forbidden=ex.forbidden,
                       time_limit=ex.time_limit, arg_names=ex.arg_names)
    lines: list[str] = []
    found: list = []
    passed = False
    if res.timed_out:
        lines.append(f"did not finish within {ex.time_limit:g} s: an infinite loop? "
                     "(a while loop whose condition never changes, or a loop variable "
                     "that is never increased)")
    elif res.forbidden:
        lines.append(f"your function calls {res.forbidden}, which this exercise does not "
                     f"allow: {ex.forbidden_text}")
    elif res.profiler_removed:
        lines.append("your function switched off the check's call monitor (sys.setprofile)")
    elif case.error is not None:
        if res.error is not None and isinstance(res.error, case.error):
            passed = True
        elif res.error is not None:
            lines.append(f"expected {case.error.__name__} ({case.why}); your function raised "
                         f"{res.error_summary}")
        else:
            try:
                got = "a value of shape " + str(np.shape(res.value))
            except Exception:  # a ragged list and the like
                got = f"a {type(res.value).__name__}"
            lines.append(f"expected {case.error.__name__} ({case.why}); your function "
                         f"returned {'None' if res.value is None else got}")
    elif res.error is not None:
        lines.append(f"your function raised {res.error_summary}")
    else:
        passed, lines, found = _check_answer(ex, case, res.value, expected)
    if res.mutated and not res.timed_out:
        passed = False
        lines.append(f"your function modified its input {', '.join(res.mutated)}: "
                     "leave the arguments unchanged (work on a copy or a new array)")
    if found:
        lines.append("likely mistake: " + "; or ".join(f"{m.name} ({m.hint})" for m in found))
    message = ""
    if not passed:
        message = f"[{case.group}] {ex.name}({label})\n    " + "\n    ".join(lines)
    result = CaseResult(case, passed, message, found)
    result.warnings = res.warnings
    return result


def run_exercise(ex: Exercise, func, *, seed: int, points: float, title: str = "",
                 notes=(), full=False) -> Outcome:
    """Run every case of ``ex`` against ``func``; score by group; write the report.

    A group earns its share of ``points`` when every one of its cases passes.
    The cases of a group stop at its first failure (unless ``full``).  An
    exercise with a ``runner`` is run by it; otherwise ``func`` is first wrapped
    by the exercise's ``adapt`` and the results revised by its ``revise``.
    """
    if not callable(func):
        raise TypeError(f"check_{ex.name} needs your function, got {func!r}")
    if ex.runner is not None:
        return ex.runner(ex, func, seed=seed, points=points, title=title, notes=notes,
                         full=full)
    adapted = ex.adapt(func) if ex.adapt is not None else func
    results = []
    failed_groups: set = set()
    timeouts = 0
    for case in ex.cases(seed):
        if case.group in failed_groups and not full:
            continue
        if timeouts >= 2:
            results.append(CaseResult(case, False, f"[{case.group}] not run: "
                                      "two earlier calls ran out of time"))
            failed_groups.add(case.group)
            continue
        r = _evaluate(ex, adapted, case)
        if "did not finish within" in r.message:
            timeouts += 1
        results.append(r)
        if not r.passed:
            failed_groups.add(case.group)
    group_passed = {g: g not in failed_groups for g in ex.groups}
    share = sum(group_passed.values()) / len(ex.groups)
    score = round(float(points) * share, 4)
    warned = []
    for r in results:
        for w in getattr(r, "warnings", []):
            if w not in warned:
                warned.append(w)
    outcome = Outcome(ex.name, seed, results, group_passed, score, float(points), warnings=warned)
    if ex.revise is not None:
        ex.revise(outcome, adapted)
    outcome.report = _report(ex, outcome, title, notes)
    return outcome


def _report(ex: Exercise, outcome: Outcome, title: str, notes, sections=None) -> str:
    """The report: a headline, the notes, one line per group, then what failed.

    ``sections`` (optional) is a list of ``(heading, results)``: the failures
    are then listed under each heading (those of ``results`` that failed).
    """
    n_groups = len(ex.groups)
    n_passed = sum(outcome.group_passed.values())
    seed = f"  (seed {outcome.seed})" if ex.seeded else ""
    lines = [f"{title or ex.name}: {n_passed}/{n_groups} groups of cases passed, "
             f"score {outcome.score:g}/{outcome.points:g}{seed}"]
    lines += list(notes)
    for group in ex.groups:
        ran = [r for r in outcome.results if r.case.group == group]
        mark = "PASS" if outcome.group_passed[group] else "FAIL"
        lines.append(f"  {mark} {group} ({len(ran)} case{'s' if len(ran) != 1 else ''} run)")
    failures = [r for r in outcome.results if not r.passed]
    if failures:
        lines.append("What failed (the first failing case of each group):")
        for heading, results in (sections or [(None, failures)]):
            shown = [r for r in results if not r.passed]
            if not shown:
                continue
            if heading:
                lines.append(f"  {heading}")
            for r in shown:
                lines.append("  " + r.message.replace("\n", "\n  "))
    if outcome.warnings:
        shown = "; ".join(outcome.warnings[:3])
        lines.append(f"(your function raised warnings, which do not cost points: {shown})")
    return "\n".join(lines)


# -------------------------------------------------------------------- checks

#: the Notes of a check whose answer is an array (the default)
ARRAY_TOLERANCE_TEXT = (
    "Array answers may be lists or arrays of any float dtype; they must have the expected\n"
    "    shape and agree within ``1e-5 * (1 + max|expected|) + 1e-4 * |expected|``.")
#: the Notes of a check whose answer is an int
INTEGER_ANSWER_TEXT = ("The answer must be an int equal to the expected one (a float such as\n"
                       "    ``5.0`` fails, and the report says so).")


def _quietly(run):
    """Run ``run()`` with warnings and numpy's floating-point warnings silenced.

    A check must never write to stderr: nbgrader gives 0 to a cell that does.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return run()


def _hidden_check(ex: Exercise, func, points) -> float:
    points = ex.default_points if points is None else float(points)
    seed, _, notes = grading_seed(ex.name)
    if not ex.seeded:
        notes = []  # no random cases: nothing depends on the seed
    outcome = run_exercise(ex, func, seed=seed, points=points, notes=notes)
    text = outcome.report
    if not outcome.passed and ex.seeded:
        text += (f"\nTo reproduce these cases: convcourse.grading.reproduce("
                 f"{ex.name!r}, {ex.name}, seed={seed})")
    print(translate(text))
    return float(min(outcome.score, points))


def _visible_check(ex: Exercise, func, points) -> None:
    shown = ex.visible or ex
    if shown is ex:
        points = ex.default_points if points is None else float(points)
    else:
        points = shown.default_points
    if shown.seeded:
        outcome = run_exercise(shown, func, seed=public_seed(ex.name), points=points,
                               title=f"{ex.name} (public cases)")
    else:
        outcome = run_exercise(shown, func, seed=0, points=points,
                               title=f"{ex.name} (visible check)")
    if not outcome.passed:
        raise AssertionError("\n" + translate(outcome.report))
    print(translate(shown.passed_message or f"{ex.name}: all {len(outcome.results)} public cases "
                    f"passed ({', '.join(ex.groups)})."))
    if outcome.warnings:
        print(translate(f"(your function raised warnings, which do not cost points: "
                        f"{outcome.warnings[0]})"))
    return None


_CHECK_DOC = """Check a student's ``{name}``: {what}

    Parameters
    ----------
    func : callable
        The student's ``{name}``.
    points : float, optional
        The test cell's points (default {points:g}); each group of cases
        ({groups}) earns an equal share.
    hidden : bool, optional
        False (a visible test cell): run the public cases and raise
        ``AssertionError`` with the report if one fails.  True (a hidden,
        graded cell): run the cases of this submission, print the report and
        return the score.

    Returns
    -------
    float or None
        With ``hidden=True``, the score: a plain Python float in
        ``[0, points]`` (nbgrader's partial credit).  Otherwise None.

    Raises
    ------
    AssertionError
        With ``hidden=False``, when a case fails; the message says which case,
        what was expected and received (shape, largest error) and the likely
        mistake.
    TypeError
        If ``func`` is not callable.

    Notes
    -----
    {answer}
    The function receives copies of its inputs (modifying one fails the case),
    runs with a time limit of {time_limit:g} s per call, and may not call:
    {forbidden}.

    Examples
    --------
    A stub, as released to students, earns nothing and says why:

    >>> def stub(*args, **kwargs):
    ...     raise NotImplementedError()
    >>> check_{name}(stub, points={n}, hidden=True)  # doctest: +ELLIPSIS
    {name}: 0/{n} groups of cases passed, score 0/{n}...
    ...NotImplementedError...
    0.0
    """


def make_check(exercises: dict, name: str, what: str, module: str, *,
               answer: str | None = None):
    """The ``check_<name>`` function of an exercise, documented, for a notebook to call.

    Parameters
    ----------
    exercises : dict
        The assignment's ``EXERCISES``; the check reads ``exercises[name]``
        each time it runs.
    name : str
        The graded function's name.
    what : str
        One line on what the student's function computes (the docstring's summary).
    module : str
        The ``__name__`` of the module that exports the check (its doctest runs there).
    answer : str, optional
        The docstring's Notes on how answers are compared (default: the array
        tolerance, or the int rule for an ``integer_answer`` exercise).

    Returns
    -------
    callable
        ``check_<name>(func, *, points=None, hidden=False)``: with
        ``hidden=False`` it runs the public cases (or the ``visible`` exercise)
        and raises ``AssertionError`` with the report when a group fails; with
        ``hidden=True`` it runs the cases seeded for the submission, prints the
        report and returns the score, a plain ``float`` in ``[0, points]``.

    Examples
    --------
    >>> from convcourse.grading.convolution import EXERCISES
    >>> check = make_check(EXERCISES, "pad2d", "zero padding.", __name__)
    >>> check.__name__
    'check_pad2d'
    >>> check(lambda image, padding: None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: ...did you forget the `return` statement?...
    """
    ex = exercises[name]
    if answer is None:
        answer = INTEGER_ANSWER_TEXT if ex.integer_answer else ARRAY_TOLERANCE_TEXT

    def check(func, *, points=None, hidden=False):
        if hidden:
            return _quietly(lambda: _hidden_check(exercises[name], func, points))
        return _quietly(lambda: _visible_check(exercises[name], func, points))

    check.__name__ = check.__qualname__ = f"check_{name}"
    check.__module__ = module  # so that doctest finds the example in that module
    check.__doc__ = _CHECK_DOC.format(
        name=ex.name, what=what, points=ex.default_points, groups=", ".join(ex.groups),
        answer=answer, time_limit=ex.time_limit, forbidden=ex.forbidden.describe(),
        n=len(ex.groups))
    return check


def reproduce_in(exercises: dict, exercise: str, func, seed: int, *, points=None,
                 verbose=True) -> Outcome:
    """Re-run the check of ``exercises[exercise]`` with a printed seed, every case shown.

    What :func:`convcourse.grading.reproduce` and each assignment's
    ``reproduce`` do; see there.

    Examples
    --------
    >>> from convcourse.grading.separable import EXERCISES
    >>> outcome = reproduce_in(EXERCISES, "separate_kernel",
    ...                        lambda kernel: ([1.0], [1.0]), seed=1, verbose=False)
    >>> outcome.score
    0.0
    """
    if exercise not in exercises:
        raise ValueError(f"exercise must be one of {', '.join(map(repr, exercises))}; "
                         f"got {exercise!r}")
    ex = exercises[exercise]
    points = ex.default_points if points is None else float(points)
    outcome = _quietly(lambda: run_exercise(ex, func, seed=int(seed), points=points, full=True,
                                            title=f"{exercise} (reproduced)"))
    if verbose:
        print(translate(outcome.report))
    return outcome


def make_reproduce(exercises: dict, module: str):
    """An assignment's ``reproduce``: :func:`reproduce_in` for its exercises only.

    Parameters
    ----------
    exercises : dict
        The assignment's ``EXERCISES``.
    module : str
        The ``__name__`` of the assignment's module.

    Returns
    -------
    callable
        ``reproduce(exercise, func, seed, *, points=None, verbose=True)``.

    Examples
    --------
    >>> from convcourse.grading.cnn import EXERCISES
    >>> replay = make_reproduce(EXERCISES, __name__)
    >>> replay("relu_forward", lambda x: x, seed=3, verbose=False).mistakes[0]
    'negative values kept'
    """
    names = list(exercises)

    def reproduce(exercise: str, func, seed: int, *, points=None, verbose=True) -> Outcome:
        return reproduce_in(exercises, exercise, func, seed, points=points, verbose=verbose)

    reproduce.__module__ = module
    reproduce.__doc__ = f"""Re-run a check of this assignment with a printed seed, every case shown.

    The same as :func:`convcourse.grading.reproduce`, for this assignment's
    exercises only ({", ".join(names)}).

    Parameters
    ----------
    exercise : str
        The graded function's name, e.g. ``{names[0]!r}``.
    func : callable
        The (student's) function.
    seed : int
        The seed from the report (``(seed 1234...)``).
    points : float, optional
        Points of the cell (default: the exercise's default points).
    verbose : bool, optional
        Print the report (default True).

    Returns
    -------
    Outcome
        With ``score``, ``group_passed``, ``mistakes`` and per-case ``results``.

    Raises
    ------
    ValueError
        If ``exercise`` is not one of this assignment's.

    Examples
    --------
    >>> def stub(*args, **kwargs):
    ...     raise NotImplementedError()
    >>> reproduce({names[0]!r}, stub, seed=1, verbose=False).score
    0.0
    """
    return reproduce
