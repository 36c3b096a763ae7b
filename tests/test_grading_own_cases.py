"""Hidden points that are hidden (issue 9, section 2): every graded group has cases of the
submission's own, and an errors group counts only when the function computes valid cases.

Two attacks on every exercise of the course (build_model, judged as a whole by
training, aside): a table of every case the student can see (the public cases, the
fixed ones, and every call the notebook's own test cells make) answered by the
notebook's solution, raising ValueError for anything else; and a function that only
raises ValueError.  Both must score 0 on the hidden cells.
"""

import copy

import pytest

import notebook_helpers as nbh
from convcourse.grading import ASSIGNMENT_MODULES, EXERCISES
from convcourse.grading._cases import Case, _case_key, derive_seed, public_seed, run_cell

SEEDED = [(assignment, name) for assignment, module in ASSIGNMENT_MODULES.items()
          for name, ex in module.EXERCISES.items() if ex.seeded]


def _call_key(args, kwargs):
    return _case_key(Case("", tuple(args), dict(kwargs)))


class _Recorder:
    """The solution, recording what it answers to every call it sees."""

    def __init__(self, func, table):
        self.func, self.table = func, table

    def __call__(self, *args, **kwargs):
        key = _call_key(args, kwargs)
        try:
            value = self.func(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except Exception as exc:  # noqa: BLE001 - an error case: the table raises it too
            self.table[key] = exc
            raise
        self.table[key] = copy.deepcopy(value)
        return value


def _lookup(table):
    def lookup(*args, **kwargs):
        found = table.get(_call_key(args, kwargs))
        if found is None or isinstance(found, Exception):
            raise ValueError("not in the table")
        return copy.deepcopy(found)
    return lookup


@pytest.fixture(scope="module")
def tables():
    """Per assignment: exercise -> table of every call the student can see answered."""
    found = {}
    for assignment in ASSIGNMENT_MODULES:
        nb = nbh.read_notebook(assignment)
        ns = nbh.namespace(nb, nbh.SETUP_CELLS[assignment])
        per_exercise = {}
        for name in ASSIGNMENT_MODULES[assignment].EXERCISES:
            if name in ns and EXERCISES[name].seeded:
                per_exercise[name] = {}
                ns[name] = _Recorder(ns[name], per_exercise[name])
        # the notebook's own test cells (hand-worked examples and public cases)
        for cell in nb.cells:
            m = nbh.meta(cell)
            if m.get("grade") and "hidden=True" not in cell.source:
                try:
                    nbh.run_cell(cell.source, ns)
                except Exception:  # noqa: BLE001 - only the calls matter
                    pass
        # and every public and fixed case, called directly
        for name, table in per_exercise.items():
            ex = EXERCISES[name]
            for case in ex.cases(public_seed(name)):
                try:
                    ns[name](*case.args, **case.kwargs)
                except Exception:  # noqa: BLE001 - an error case
                    pass
            found[name] = table
    return found


def _graded_seed(assignment, name):
    return derive_seed("course-secret", "mallory", assignment, assignment, name, "c0ffee")


@pytest.mark.parametrize("assignment, name", SEEDED)
def test_a_table_of_everything_public_scores_nothing_hidden(tables, assignment, name):
    table = tables[name]
    assert table, f"the notebook's cells never called {name}"
    ex = EXERCISES[name]
    public = run_cell(ex, _lookup(table), hidden=True, seed=public_seed(name))
    assert public.score == public.points  # the table does know the public cases...
    hidden = run_cell(ex, _lookup(table), hidden=True, seed=_graded_seed(assignment, name))
    assert hidden.score == 0.0, hidden.report  # ...and nothing else


@pytest.mark.parametrize("assignment, name", SEEDED)
def test_a_function_that_only_raises_scores_nothing(assignment, name):
    def raises(*args, **kwargs):
        raise ValueError()

    outcome = run_cell(EXERCISES[name], raises, hidden=True, seed=_graded_seed(assignment, name))
    assert outcome.score == 0.0, outcome.report
    if outcome.gated:
        assert "counts only when the function also computes the valid cases" in outcome.report


@pytest.mark.parametrize("assignment, name", SEEDED)
def test_every_graded_group_has_cases_of_the_submissions_own(assignment, name):
    ex = EXERCISES[name]
    for seed in (1, _graded_seed(assignment, name)):
        cases = ex.cases(seed)
        assert {c.group for c in cases if c.own} == set(ex.groups)
        # the own cases differ from the public ones
        public = {_call_key(c.args, c.kwargs) for c in ex.cases(public_seed(name))}
        assert any(_call_key(c.args, c.kwargs) not in public for c in cases if c.own)
