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
``sha256(secret, student, assignment, notebook, exercise, code)``, read from
the environment variables ``CONVCOURSE_SECRET``, ``CONVCOURSE_STUDENT``,
``CONVCOURSE_ASSIGNMENT`` and ``CONVCOURSE_NOTEBOOK`` that the grader sets,
and ``code``, the hash of the graded function's normalised code
(:func:`convcourse.course.judge.code_hashes`, given to the kernel in
``CONVCOURSE_CODE``): a student cannot predict them, a re-run of the same code
gives the same cases, a changed function meets new ones, and the seed printed
in a report reproduces them (:func:`convcourse.grading.reproduce`).  Without
those variables (a student working) the cases are public.

A sandboxed kernel never sees the secret: the grader gives it
``CONVCOURSE_SEEDS`` instead, a JSON object ``{"seeds": {exercise: seed},
"public": bool}`` of the seeds derived above (:func:`derive_seeds`), so that
the in-kernel report shows the same cases as the judge that scores them.

Cases of the submission's own
-----------------------------
Every group of a graded exercise has cases drawn from the seed (random ones,
or for a group without, its fixed cases rescaled: :meth:`Exercise.cases`), and
an errors group earns its share only when the function also answers its own
valid cases (:func:`_gate_error_groups`): neither a table of the public cases
nor a function that only raises earns a hidden point.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._check import checker
from ._mistakes import (arrays_close, as_answer_array, format_array, match_mistakes,
                        max_error, shape_difference)
from ._runner import Forbidden, call_student
from ..i18n import translate

__all__ = ["PUBLIC_SECRET", "ENV_VARS", "Case", "Exercise", "CaseResult", "Outcome",
           "derive_seed", "derive_seeds", "SEEDS_VAR", "CODE_VAR", "PUBLIC_SECRET_NOTE",
           "public_seed",
           "grading_seed", "run_exercise", "run_cell", "make_check",
           "make_reproduce", "reproduce_in", "ARRAY_TOLERANCE_TEXT", "INTEGER_ANSWER_TEXT"]

#: the secret of the demo and the tests; grading with it prints a warning
PUBLIC_SECRET = "convcourse-public-demo-secret"
ENV_VARS = ("CONVCOURSE_SECRET", "CONVCOURSE_STUDENT", "CONVCOURSE_ASSIGNMENT",
            "CONVCOURSE_NOTEBOOK")
#: the variable that hands a sandboxed kernel its seeds instead of the secret
SEEDS_VAR = "CONVCOURSE_SEEDS"
#: the variable that hands a kernel with the secret the hashes of the graded code
CODE_VAR = "CONVCOURSE_CODE"
#: the note of a report graded with the public secret
PUBLIC_SECRET_NOTE = ("WARNING: graded with the public demo secret: students can predict "
                      "these cases")


def derive_seed(secret: str, student: str, assignment: str, notebook: str, exercise: str,
                code: str = "") -> int:
    """The seed of one student's random cases for one exercise (a 63-bit int).

    ``code`` is the hash of the graded function's normalised code
    (:func:`convcourse.course.judge.code_hashes`): a changed function gets
    other cases, an unchanged one the same.  Empty: the seed of the student
    alone (a kernel graded without the hashes).

    Examples
    --------
    >>> derive_seed("s", "ann", "a1", "nb", "pad2d", "c0de") != derive_seed(
    ...     "s", "ann", "a1", "nb", "pad2d", "c0df")
    True
    """
    parts = [secret, student, assignment, notebook, exercise] + ([code] if code else [])
    text = "\0".join(parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def derive_seeds(secret: str, student: str, assignment: str, notebook: str,
                 exercises, codes=None) -> str:
    """The value of ``CONVCOURSE_SEEDS``: every exercise's seed, as JSON, without the secret.

    ``codes`` maps an exercise to its code hash (missing: no hash).

    Examples
    --------
    >>> text = derive_seeds("s", "ann", "a1", "nb", ["pad2d"], {"pad2d": "ab"})
    >>> json.loads(text)["seeds"]["pad2d"] == derive_seed("s", "ann", "a1", "nb", "pad2d", "ab")
    True
    """
    codes = codes or {}
    seeds = {name: derive_seed(secret, student, assignment, notebook, name, codes.get(name, ""))
             for name in exercises}
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
            return seed, True, [PUBLIC_SECRET_NOTE] if public else []
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
    notes = [PUBLIC_SECRET_NOTE] if values["CONVCOURSE_SECRET"] == PUBLIC_SECRET else []
    seed = derive_seed(values["CONVCOURSE_SECRET"], values["CONVCOURSE_STUDENT"],
                       values["CONVCOURSE_ASSIGNMENT"], values["CONVCOURSE_NOTEBOOK"], exercise,
                       _code_from(env.get(CODE_VAR, ""), exercise))
    return seed, True, notes


def _code_from(text: str, exercise: str) -> str:
    """The code hash of ``exercise`` in ``CONVCOURSE_CODE`` (a JSON object), or ""."""
    try:
        code = json.loads(text).get(exercise, "") if text else ""
    except (ValueError, AttributeError):
        return ""
    return code if isinstance(code, str) else ""


@dataclass
class Case:
    """One call of the student's function.

    ``error`` is the exception class the call must raise (an error case), or
    None when it must return the reference answer.  ``own`` is True for a
    case of the submission's own (drawn from its seed), False for a fixed case
    (the same for everyone, and public); :meth:`Exercise.cases` sets it.
    """

    group: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    error: type | None = None
    why: str = ""  # for an error case: why the call must fail
    own: bool = False

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

    ``groups`` maps each group of cases to its weight, given explicitly per
    exercise (``{"basic": 1, "edge": 1, "errors": 1}``): a group earns
    ``points * weight / sum(weights)`` when all its cases pass, so a group added
    to one exercise changes no other exercise's weights, and changes this one's
    only where it is declared.  Iterating ``groups`` gives the names in report
    order; ``weights`` is the same mapping.  Building an exercise
    validates it (:meth:`validate`): a case of an undeclared group, or a
    declared group without cases, is a ``ValueError`` naming the exercise and
    the group.

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
    groups: dict
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

    def __post_init__(self):
        if not isinstance(self.groups, dict) or not self.groups:
            raise TypeError(f"groups of exercise {self.name!r} must be a non-empty dict "
                            f"group -> weight (weights are explicit), got {self.groups!r}")
        for group, weight in self.groups.items():
            if not isinstance(group, str) or not group:
                raise ValueError(f"exercise {self.name!r}: group names must be non-empty "
                                 f"strings, got {group!r}")
            if (isinstance(weight, bool) or not isinstance(weight, (int, float))
                    or not weight > 0):
                raise ValueError(f"exercise {self.name!r}: the weight of group {group!r} must "
                                 f"be a positive number, got {weight!r}")
        self.groups = dict(self.groups)
        if self.reference is None and self.runner is None:
            raise ValueError(f"exercise {self.name!r} needs a reference or a runner")
        self.validate()

    @property
    def weights(self) -> dict:
        """Group -> weight (the declared ``groups``)."""
        return self.groups

    def validate(self, seed: int = 0) -> None:
        """Check that the cases of ``seed`` use only declared groups and cover each one.

        Raises
        ------
        ValueError
            Naming the exercise and the group: a case of a group the exercise
            does not declare, a declared group with no case, or (for a
            ``seeded`` exercise) a group with no case of the submission's own
            (random, or a rescaled copy of a fixed case), which would let a
            table of the public cases earn it.
        """
        graded = self.seeded and self.runner is None
        # one draw of the seed (and, for a graded exercise, of the public seed: cases()
        # marks a case equal to a public one as not own); building every exercise at
        # import pays for this
        cases = self.cases(seed) if graded else self._draw(seed)
        for case in cases:
            if case.group not in self.weights:
                raise ValueError(f"exercise {self.name!r} has a case of group {case.group!r}, "
                                 f"which it does not declare (its groups: "
                                 f"{', '.join(self.groups)})")
        have = {c.group for c in cases}
        empty = [g for g in self.groups if g not in have]
        if empty and self.runner is None:
            raise ValueError(f"exercise {self.name!r} declares group {empty[0]!r} but has no "
                             "case of it")
        if graded:
            own = {c.group for c in cases if c.own}
            bare = [g for g in self.groups if g not in own]
            if bare:
                raise ValueError(f"exercise {self.name!r}: group {bare[0]!r} has only fixed cases "
                                 "(and no float array to rescale); a graded group needs cases "
                                 "of the submission's own: give it random cases")

    def cases(self, seed: int) -> list:
        """Fixed edge cases then random cases, in group order.

        A group with no random case also gets a rescaled copy of each of its
        fixed cases that holds a float array (:func:`_rescaled`, drawn from a
        second stream of ``seed``, so the random cases stay those of the seed):
        its cases are then the submission's own too, and a table of the public
        cases cannot earn it.
        """
        cases = self._draw(seed)
        if seed != public_seed(self.name):
            # a random case that happens to be a public one (small integer spaces) is not own
            public = {_case_key(c) for c in self._draw(public_seed(self.name)) if c.own}
            for case in cases:
                if case.own and _case_key(case) in public:
                    case.own = False
        order = {g: i for i, g in enumerate(self.groups)}
        for case in cases:
            if case.group not in order:
                raise ValueError(f"exercise {self.name!r} has a case of group {case.group!r}, "
                                 f"which it does not declare (its groups: "
                                 f"{', '.join(self.groups)})")
        return sorted(cases, key=lambda c: order[c.group])

    def _draw(self, seed: int) -> list:
        """The fixed cases, the random ones and the rescaled copies (see :meth:`cases`)."""
        rng = np.random.default_rng(seed)
        fixed = list(self.fixed_cases())
        random = list(self.random_cases(rng))
        for case in random:
            case.own = True
        drawn = {c.group for c in random}
        extra = np.random.default_rng([int(seed), 1])
        copies = [_rescaled(c, extra) for c in fixed if c.group not in drawn]
        return fixed + random + [c for c in copies if c is not None]

    def error_groups(self, cases) -> set:
        """The groups whose cases all expect an exception (the "errors" groups)."""
        kinds: dict = {}
        for case in cases:
            kinds.setdefault(case.group, set()).add(case.error is not None)
        return {g for g, k in kinds.items() if k == {True}}

    def score(self, group_passed: dict, points: float) -> float:
        """``points`` times the passed groups' share of the weights, rounded to 4 places."""
        total = sum(self.weights[g] for g in self.groups)
        earned = sum(self.weights[g] for g in self.groups if group_passed.get(g))
        return round(float(points) * earned / total, 4)


def _case_key(case: Case):
    """A hashable key of a case's call: arrays by dtype, shape and bytes, numbers and
    strings by value, any other object (a function passed in) by its type alone."""
    def key(value):
        if isinstance(value, np.ndarray):
            return ("array", value.dtype.str, value.shape, value.tobytes())
        if isinstance(value, (list, tuple)):
            return (type(value).__name__, tuple(key(v) for v in value))
        if isinstance(value, dict):
            return ("dict", tuple(sorted((str(k), key(v)) for k, v in value.items())))
        if isinstance(value, (int, float, complex, str, bytes, type(None), np.generic)):
            return ("value", type(value).__name__, repr(value))
        return ("object", type(value).__name__)

    return case.group, key(case.args), key(case.kwargs)


def _rescaled(case: Case, rng) -> Case | None:
    """A copy of a fixed case with every float array argument times one random factor.

    The factor (in [0.5, 2]) keeps what makes the case
    an edge or an error case (shapes, signs, order, ties, zeros, rank) and
    changes every value.  None when the case has no float array.
    """
    def floating(v):
        return isinstance(v, np.ndarray) and v.dtype.kind == "f"

    if not any(floating(v) for v in list(case.args) + list(case.kwargs.values())):
        return None
    factor = float(rng.uniform(0.5, 2.0))  # unrounded: no two seeds share a copy

    def scale(v):
        return (v * factor).astype(v.dtype) if floating(v) else v

    return dataclasses.replace(case, args=tuple(scale(v) for v in case.args),
                               kwargs={k: scale(v) for k, v in case.kwargs.items()}, own=True)


@dataclass
class CaseResult:
    """The verdict on one case.

    ``timed_out`` is True when the call ran out of time; ``warnings`` are the
    warnings the call raised (reported, never penalised); ``answered`` is True
    when a valid case got a computed answer, right or wrong (:func:`_is_answer`;
    what an errors group asks of the function's valid cases).
    """

    case: Case
    passed: bool
    message: str = ""
    mistakes: list = field(default_factory=list)
    timed_out: bool = False
    warnings: list = field(default_factory=list)
    answered: bool = False


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
    #: errors groups whose cases passed but that earn nothing: no valid case was computed
    gated: list = field(default_factory=list)

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
    passed = answered = False
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
        answered = passed or _is_answer(ex, res.value, expected)
    if res.mutated and not res.timed_out:
        passed = False
        lines.append(f"your function modified its input {', '.join(res.mutated)}: "
                     "leave the arguments unchanged (work on a copy or a new array)")
    if found:
        lines.append("likely mistake: " + "; or ".join(f"{m.name} ({m.hint})" for m in found))
    message = ""
    if not passed:
        message = f"[{case.group}] {ex.name}({label})\n    " + "\n    ".join(lines)
    return CaseResult(case, passed, message, found, timed_out=res.timed_out,
                      warnings=list(res.warnings), answered=answered)


def _is_answer(ex: Exercise, value, expected) -> bool:
    """A computed answer, right or wrong: a number for an int exercise, else a numeric array.

    Any shape counts (an output one row short is a wrong answer, not a refusal),
    so that a function with a mistake keeps its errors group; None, a string or
    an object does not.
    """
    if ex.integer_answer:
        return (isinstance(value, (int, float, np.integer, np.floating))
                and not isinstance(value, (bool, np.bool_)))
    received, _ = as_answer_array(value)
    return received is not None


#: how many of its own valid cases a function must be tried on for its errors groups
_GATE_CASES = 3


def _gate_error_groups(ex: Exercise, func, cases, results, group_passed) -> list:
    """Fail the errors groups of a function that does not compute its own valid cases.

    An errors group (every case must raise) earns its share only when the
    function also answers (right or wrong: :func:`_is_answer`) at least half
    of the first three valid cases of the
    submission's own, in case order: a function that raises on everything, or
    a table of the public cases, must not collect it.  Those of the three the
    run skipped (their group had already failed) are run here and left out of
    the report, so the verdict is the same whether or not a run stops a group
    at its first failure (a check and its ``reproduce`` agree).

    Returns
    -------
    list of str
        The errors groups failed this way.
    """
    errors = [g for g in ex.error_groups(cases) if group_passed.get(g)]
    if not errors:
        return []
    done = {id(r.case): r for r in results}
    tried = []
    timeouts = sum(r.timed_out for r in results)
    for case in [c for c in cases if c.own and c.error is None][:_GATE_CASES]:
        result = done.get(id(case))
        if result is None:
            if timeouts >= 2:
                break
            result = _evaluate(ex, func, case)
            timeouts += result.timed_out
        tried.append(result)
    if tried and 2 * sum(r.answered for r in tried) >= len(tried):
        return []
    for group in errors:
        group_passed[group] = False
    return errors


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
    cases = ex.cases(seed)
    for case in cases:
        if case.group in failed_groups and not full:
            continue
        if timeouts >= 2:
            results.append(CaseResult(case, False, f"[{case.group}] not run: "
                                      "two earlier calls ran out of time"))
            failed_groups.add(case.group)
            continue
        r = _evaluate(ex, adapted, case)
        if r.timed_out:
            timeouts += 1
        results.append(r)
        if not r.passed:
            failed_groups.add(case.group)
    group_passed = {g: g not in failed_groups for g in ex.groups}
    gated = _gate_error_groups(ex, adapted, cases, results, group_passed)
    warned = []
    for r in results:
        for w in r.warnings:
            if w not in warned:
                warned.append(w)
    outcome = Outcome(ex.name, seed, results, group_passed, ex.score(group_passed, points),
                      float(points), warnings=warned, gated=gated)
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
        line = f"  {mark} {group} ({len(ran)} case{'s' if len(ran) != 1 else ''} run)"
        if group in outcome.gated:
            line += (": the errors are raised, but this group counts only when the function "
                     "also computes the valid cases, and it computed none of its own")
        lines.append(line)
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


def run_cell(ex: Exercise, func, *, hidden: bool, points=None, seed: int = 0,
             notes=()) -> Outcome:
    """What one test cell runs: the hidden or the visible form of ``ex``'s check.

    The one runner of both the notebook's kernel (``check_<name>``) and the
    grader's judge (:mod:`convcourse.course.judge`), so the two cannot differ
    in which cases run or how they are scored; each supplies only the seed.

    Parameters
    ----------
    ex : Exercise
        The graded exercise.
    func : callable
        The student's function (or the judge's proxy for it).
    hidden : bool
        True: the graded cases of ``seed``, worth ``points``.  False: the
        public cases (of ``ex.visible`` where there is one), pass or fail.
    points : float, optional
        The cell's points (default: the exercise's default points).
    seed : int
        The graded seed (hidden only; :func:`grading_seed` in a kernel,
        :func:`derive_seed` in the judge).
    notes : sequence of str
        Lines for the report under its headline (hidden only; dropped for an
        exercise without random cases, where nothing depends on the seed).

    Returns
    -------
    Outcome

    Examples
    --------
    >>> from convcourse.grading.convolution import EXERCISES
    >>> run_cell(EXERCISES["pad2d"], lambda image, padding: None, hidden=False).passed
    False
    """
    if hidden:
        points = ex.default_points if points is None else float(points)
        return run_exercise(ex, func, seed=seed, points=points,
                            notes=list(notes) if ex.seeded else [])
    shown = ex.visible or ex
    if shown is ex:
        points = ex.default_points if points is None else float(points)
    else:
        points = shown.default_points
    if shown.seeded:
        return run_exercise(shown, func, seed=public_seed(ex.name), points=points,
                            title=f"{ex.name} (public cases)")
    return run_exercise(shown, func, seed=0, points=points, title=f"{ex.name} (visible check)")


def _hidden_check(ex: Exercise, func, points) -> float:
    seed, _, notes = grading_seed(ex.name)
    outcome = run_cell(ex, func, hidden=True, points=points, seed=seed, notes=notes)
    text = outcome.report
    if not outcome.passed and ex.seeded:
        text += (f"\nTo reproduce these cases: convcourse.grading.reproduce("
                 f"{ex.name!r}, {ex.name}, seed={seed})")
    print(translate(text))
    return float(min(outcome.score, outcome.points))


def _visible_failure(ex: Exercise, func, points) -> str | None:
    """The report of the public cases when one failed (the check raises it, from
    :mod:`._check`), else None after printing that they passed."""
    outcome = run_cell(ex, func, hidden=False, points=points)
    if not outcome.passed:
        return "\n" + translate(outcome.report)
    shown = ex.visible or ex
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

    check = checker(
        lambda func, points: _quietly(lambda: _visible_failure(exercises[name], func, points)),
        lambda func, points: _quietly(lambda: _hidden_check(exercises[name], func, points)))

    check.__name__ = check.__qualname__ = f"check_{name}"
    # the name a traceback shows for the check's frame
    check.__code__ = check.__code__.replace(co_name=check.__name__, co_qualname=check.__name__)
    check.__module__ = module  # so that doctest finds the example in that module
    check.__doc__ = _CHECK_DOC.format(
        name=ex.name, what=what, points=ex.default_points, groups=", ".join(ex.groups),
        answer=answer, time_limit=ex.time_limit, forbidden=ex.forbidden.describe(),
        n=len(ex.groups))
    return check


def reproduce_in(exercises: dict, exercise: str, func, seed: int | None = None, *,
                 code: str | None = None, secret: str | None = None, student: str = "",
                 assignment: str = "", notebook: str = "", points=None,
                 verbose=True) -> Outcome:
    """Re-run the check of ``exercises[exercise]`` with a printed seed, every case shown.

    What :func:`convcourse.grading.reproduce` and each assignment's
    ``reproduce`` do; see there.  Without ``seed``, the seed is derived from
    ``code`` (the graded function's code hash) and ``secret``, ``student``,
    ``assignment`` and ``notebook``, as the grader derives it.

    Examples
    --------
    >>> from convcourse.grading.separable import EXERCISES
    >>> outcome = reproduce_in(EXERCISES, "separate_kernel",
    ...                        lambda kernel: ([1.0], [1.0]), seed=1, verbose=False)
    >>> outcome.score
    0.0
    >>> reproduce_in(EXERCISES, "separate_kernel", lambda kernel: ([1.0], [1.0]),
    ...              code="0f1e", secret="s", student="ann", assignment="05-separable",
    ...              notebook="05-separable", verbose=False).seed == derive_seed(
    ...     "s", "ann", "05-separable", "05-separable", "separate_kernel", "0f1e")
    True
    """
    if exercise not in exercises:
        raise ValueError(f"exercise must be one of {', '.join(map(repr, exercises))}; "
                         f"got {exercise!r}")
    if seed is None:
        if not code or secret is None:
            raise ValueError("reproduce needs seed=..., or code=... with secret=..., "
                             f"student=..., assignment=... and notebook=...; got seed=None, "
                             f"code={code!r}, secret={'None' if secret is None else '...'}")
        seed = derive_seed(secret, student, assignment, notebook, exercise, code)
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
        ``reproduce(exercise, func, seed=None, *, code=None, secret=None, student="",
        assignment="", notebook="", points=None, verbose=True)``.

    Examples
    --------
    >>> from convcourse.grading.cnn import EXERCISES
    >>> replay = make_reproduce(EXERCISES, __name__)
    >>> replay("relu_forward", lambda x: x, seed=3, verbose=False).mistakes[0]
    'negative values kept'
    """
    names = list(exercises)

    def reproduce(exercise: str, func, seed: int | None = None, *, code=None, secret=None,
                  student="", assignment="", notebook="", points=None,
                  verbose=True) -> Outcome:
        return reproduce_in(exercises, exercise, func, seed, code=code, secret=secret,
                            student=student, assignment=assignment, notebook=notebook,
                            points=points, verbose=verbose)

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
    seed : int, optional
        The seed from the report (``(seed 1234...)``).
    code : str, optional
        Instead of ``seed``: the hash of the graded function's code
        (``convcourse.course.judge.code_hashes``), with ``secret``, ``student``,
        ``assignment`` and ``notebook``, from which the grader derived the seed.
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
