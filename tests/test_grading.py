"""The course-wide registry and `convcourse.grading.reproduce`, on every exercise of the course.

Each exercise is run with its notebook's solution (full marks), a stub (nothing) and a
spoiled solution (its answer changed), through its hidden check with a grading
environment and again through `convcourse.grading.reproduce` with the seed the check
printed: the verdicts agree, whether the answer is an array, an int, a tuple, a pair
or a model.
"""

import functools

import numpy as np
import pytest

import notebook_helpers as nbh
from convcourse import grading
from convcourse.grading import cnn

ENV = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "ada",
       "CONVCOURSE_ASSIGNMENT": "any", "CONVCOURSE_NOTEBOOK": "any"}
EXERCISE_OF = [(assignment, name) for assignment, module in grading.ASSIGNMENT_MODULES.items()
               for name in module.EXERCISES]


@pytest.fixture
def quick_training(monkeypatch):
    """build_model's training is tested in test_grading_cnn; here it is replaced."""
    monkeypatch.setattr(cnn, "_train_and_score", lambda model: (0.97, [0.5, 0.2]))


@functools.lru_cache(maxsize=None)
def _solutions(assignment):
    nb = nbh.read_notebook(assignment)
    return nbh.namespace(nb, nbh.SETUP_CELLS[assignment])


def _spoil(value):
    """A wrong answer of the same kind: a tuple reversed, numbers changed."""
    if isinstance(value, tuple):
        return value[::-1]
    if isinstance(value, (int, np.integer)):
        return int(value) + 1
    return np.asarray(value, dtype=float) * 2.0 + 1.0


def _seed(report):
    return int(report.split("(seed ")[1].split(")")[0])


def test_every_assignment_module_is_registered():
    assert list(grading.EXERCISES) == [name for _, name in EXERCISE_OF]
    assert len(grading.EXERCISES) == 28


@pytest.mark.parametrize("assignment, name", EXERCISE_OF, ids=[n for _, n in EXERCISE_OF])
def test_reproduce_replays_every_exercise(assignment, name, graded_env, quick_training, capsys):
    module = grading.ASSIGNMENT_MODULES[assignment]
    check = getattr(module, f"check_{name}")
    solution = _solutions(assignment)[name]
    points = grading.EXERCISES[name].default_points

    assert check(solution, points=points, hidden=True) == points
    report = capsys.readouterr().out
    seed = _seed(report) if grading.EXERCISES[name].seeded else 0
    again = grading.reproduce(name, solution, seed=seed, verbose=False)
    assert again.passed and again.score == points, again.report

    def stub(*args, **kwargs):
        raise NotImplementedError()

    assert grading.reproduce(name, stub, seed=seed, verbose=False).score == 0.0
    assert "NotImplementedError" in grading.reproduce(name, stub, seed=seed, verbose=False).report

    if name == "build_model":
        return  # a model has no spoiled twin; its wrong models are in test_grading_cnn

    def spoiled(*args, **kwargs):
        return _spoil(solution(*args, **kwargs))

    score = check(spoiled, points=points, hidden=True)
    report = capsys.readouterr().out
    assert score < points
    assert f"convcourse.grading.reproduce({name!r}, {name}, seed={_seed(report)})" in report
    replay = grading.reproduce(name, spoiled, seed=_seed(report), verbose=False)
    assert replay.score == score
    first_failure = next(line.strip() for line in report.splitlines()
                         if line.strip().startswith("[") and f"] {name}(" in line)
    assert first_failure in replay.report


def test_reproduce_rejects_an_unknown_exercise():
    with pytest.raises(ValueError, match="exercise must be one of .* got 'conv9d'"):
        grading.reproduce("conv9d", print, seed=1)
