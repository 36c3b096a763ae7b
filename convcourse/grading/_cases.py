"""Cases, seeds, scoring and the report: the machinery every check shares.

An :class:`Exercise` describes one graded function: its groups of cases, the
fixed edge cases, a generator of random cases, the reference answer, the
independent oracle, the typical mistakes and what the function may not call.
:func:`run_exercise` calls the student's function on every case (through
:func:`convcourse.grading._runner.call_student`), scores the groups and writes
the report.

Seeds
-----
The random cases of a graded run are seeded with
``sha256(secret, student, assignment, notebook, exercise)``, read from the
environment variables ``CONVCOURSE_SECRET``, ``CONVCOURSE_STUDENT``,
``CONVCOURSE_ASSIGNMENT`` and ``CONVCOURSE_NOTEBOOK`` that the grader sets:
a student cannot predict them, a re-run gives the same cases, and the seed
printed in a report reproduces them (:func:`convcourse.grading.reproduce`).
Without those variables (a student working) the cases are public.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._mistakes import (arrays_close, as_answer_array, format_array, match_mistakes,
                        max_error, shape_difference)
from ._runner import Forbidden, call_student

__all__ = ["PUBLIC_SECRET", "ENV_VARS", "Case", "Exercise", "CaseResult", "Outcome",
           "derive_seed", "public_seed", "grading_seed", "run_exercise"]

#: the secret of the demo and the tests; grading with it prints a warning
PUBLIC_SECRET = "convcourse-public-demo-secret"
ENV_VARS = ("CONVCOURSE_SECRET", "CONVCOURSE_STUDENT", "CONVCOURSE_ASSIGNMENT",
            "CONVCOURSE_NOTEBOOK")


def derive_seed(secret: str, student: str, assignment: str, notebook: str, exercise: str) -> int:
    """The seed of one student's random cases for one exercise (a 63-bit int)."""
    text = "\0".join([secret, student, assignment, notebook, exercise])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def public_seed(exercise: str) -> int:
    """The seed of the public cases (the same for everyone)."""
    return derive_seed("public", "", "", "", exercise)


def grading_seed(exercise: str, environ=None) -> tuple[int, bool, list]:
    """``(seed, graded, notes)`` for a hidden check, from the environment.

    ``graded`` is True when the four ``CONVCOURSE_*`` variables are set; notes
    are lines for the report (a warning when the public secret is in use).
    """
    env = os.environ if environ is None else environ
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
    """Everything a check needs to know about one graded function."""

    name: str
    arg_names: tuple
    groups: tuple
    forbidden: Forbidden
    forbidden_text: str
    fixed_cases: Callable[[], list]
    random_cases: Callable[[np.random.Generator], list]
    reference: Callable[[Case], object]
    oracle: Callable[[Case], object] | None = None
    mistakes: Callable[[Case], list] = lambda case: []
    integer_answer: bool = False
    default_points: float = 1.0
    time_limit: float = 2.0

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
    The cases of a group stop at its first failure (unless ``full``).
    """
    if not callable(func):
        raise TypeError(f"check_{ex.name} needs your function, got {func!r}")
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
        r = _evaluate(ex, func, case)
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
    outcome.report = _report(ex, outcome, title, notes)
    return outcome


def _report(ex: Exercise, outcome: Outcome, title: str, notes) -> str:
    n_groups = len(ex.groups)
    n_passed = sum(outcome.group_passed.values())
    lines = [f"{title or ex.name}: {n_passed}/{n_groups} groups of cases passed, "
             f"score {outcome.score:g}/{outcome.points:g}  (seed {outcome.seed})"]
    lines += list(notes)
    for group in ex.groups:
        ran = [r for r in outcome.results if r.case.group == group]
        mark = "PASS" if outcome.group_passed[group] else "FAIL"
        lines.append(f"  {mark} {group} ({len(ran)} case{'s' if len(ran) != 1 else ''} run)")
    failures = [r for r in outcome.results if not r.passed]
    if failures:
        lines.append("What failed (the first failing case of each group):")
        for r in failures:
            lines.append("  " + r.message.replace("\n", "\n  "))
    if outcome.warnings:
        shown = "; ".join(outcome.warnings[:3])
        lines.append(f"(your function raised warnings, which do not cost points: {shown})")
    return "\n".join(lines)
