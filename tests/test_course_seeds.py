"""Seeds from the submitted code (issue 10, point 6; issue 9, section 2).

The hidden cases of a graded function are seeded from the course secret, the
student, the notebook and the hash of the function's normalised code
(``judge.code_hashes``): an unchanged resubmission regrades identically, a changed
function meets new cases, and a table of the cases printed by a first grading is
worth nothing once it replaces the function.  The kernel (through the seeds the
grader gives it) and the judge derive the same seeds.
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from convcourse.course.execute import RobustExecute
from convcourse.course.judge import code_hashes, judge_notebook, student_program
from convcourse.grading import EXERCISES
from convcourse.grading._cases import (CODE_VAR, SEEDS_VAR, derive_seed, grading_seed,
                                       public_seed, run_cell)

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import redteam_class as rc  # noqa: E402

SECRET = "course-secret"
HIDDEN = {"output_size_hidden": "output_size", "correlate2d_valid_hidden": "correlate2d_valid"}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    course = rc.build_course(tmp_path_factory.mktemp("seeds") / "course")
    return nbformat.read(course / "solutions" / rc.ASSIGNMENT / f"{rc.NOTEBOOK}.ipynb",
                         as_version=4)


@pytest.fixture(scope="module")
def first(source):
    """The judge's verdicts on the honest submission (the first grading)."""
    return _judge(source, _submission(source, rc.OUTPUT_SIZE, rc.CORRELATE))


_submission = rc.submission


def _judge(source, nb, student="ann"):
    result = judge_notebook(source, nb, student=student, assignment=rc.ASSIGNMENT,
                            notebook=rc.NOTEBOOK, secret=SECRET, sandbox=None, timeout=20)
    return {gid: v for gid, v in result["verdicts"].items() if v.hidden}


def _seed(report):
    return int(re.search(r"\(seed (\d+)\)", report).group(1))


# the honest functions again, with other comments, spacing and a docstring
REFORMATTED_SIZE = '''def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """The number of output positions."""
    # the formula from the lecture

    out = (size + 2*padding - dilation*(kernel_size - 1) - 1)//stride + 1
    if out < 1:  # nothing fits
        raise ValueError("the kernel does not fit")
    return out
'''
CHANGED_SIZE = rc.OUTPUT_SIZE.replace("if out < 1:", "if out <= 0:")  # same results


def test_code_hashes_ignore_form_and_see_logic():
    def hashes(*cells):
        return code_hashes([(f"<c{i}>", c) for i, c in enumerate(cells)], ["output_size"])

    base = hashes("import numpy as np", rc.OUTPUT_SIZE)
    assert hashes("import numpy as np", REFORMATTED_SIZE) == base
    assert hashes("import numpy as np", rc.OUTPUT_SIZE, "x = 1\nplot = 2") == base
    assert hashes("import numpy as np", CHANGED_SIZE) != base
    # a helper the function reads is part of its code
    helper = "def fits(out):\n    return out >= {}\n"
    uses = rc.OUTPUT_SIZE.replace("if out < 1:", "if not fits(out):")
    assert hashes(helper.format(1), uses) != hashes(helper.format(0), uses)


def test_the_kernel_and_the_judge_derive_the_same_seeds(source, first):
    nb = _submission(source, rc.OUTPUT_SIZE, rc.CORRELATE)
    info = {"student": "ann", "assignment": rc.ASSIGNMENT, "notebook": rc.NOTEBOOK}
    judged = {gid: _seed(v.report) for gid, v in first.items()}
    # a sandboxed kernel gets the seeds, never the secret
    env = RobustExecute(secret=SECRET, hide_secret=True)._kernel_env(info, nb)
    assert "CONVCOURSE_SECRET" not in env
    seeds = json.loads(env[SEEDS_VAR])["seeds"]
    assert {gid: seeds[name] for gid, name in HIDDEN.items()} == judged
    # an unsandboxed kernel gets the secret and the code hashes, and derives the same
    env = RobustExecute(secret=SECRET)._kernel_env(info, nb)
    assert json.loads(env[CODE_VAR])["output_size"] == code_hashes(
        student_program(nb), ["output_size"])["output_size"]
    assert grading_seed("output_size", env)[0] == judged["output_size_hidden"]


def test_an_unchanged_resubmission_regrades_identically(source, first):
    again = _judge(source, _submission(source, rc.OUTPUT_SIZE, rc.CORRELATE))
    reformatted = _judge(source, _submission(source, REFORMATTED_SIZE, rc.CORRELATE))
    for verdicts in (again, reformatted):
        assert {g: (v.score, v.report) for g, v in verdicts.items()} == {
            g: (v.score, v.report) for g, v in first.items()}
    assert {g: v.score for g, v in first.items()} == {"output_size_hidden": 5.0,
                                                      "correlate2d_valid_hidden": 4.0}


def test_a_changed_function_meets_other_hidden_cases(source, first):
    changed = _judge(source, _submission(source, CHANGED_SIZE, rc.CORRELATE))
    assert changed["output_size_hidden"].score == 5.0  # still right...
    before, after = (_seed(v["output_size_hidden"].report) for v in (first, changed))
    assert before != after  # ...on other cases
    own = [[(c.args, c.kwargs) for c in EXERCISES["output_size"].cases(s) if c.own]
           for s in (before, after)]
    assert own[0] != own[1]
    # the other function's code did not change: nor did its cases
    assert (_seed(first["correlate2d_valid_hidden"].report)
            == _seed(changed["correlate2d_valid_hidden"].report))


def _table_code(seeds):
    """A submission answering from a table of every case the student has seen: the cases
    of the seeds printed by the first grading and the public ones, answered by the
    honest functions; anything else raises ValueError."""
    honest = {}
    exec("import numpy as np\n" + rc.OUTPUT_SIZE + rc.CORRELATE, honest)
    size_table, corr_table = {}, {}
    for name, seed in seeds.items():
        for s in (seed, public_seed(name)):
            for case in EXERCISES[name].cases(s):
                try:
                    answer = honest[name](*case.args, **case.kwargs)
                except ValueError:
                    answer = None
                if name == "output_size":
                    kw = {"stride": 1, "padding": 0, "dilation": 1, **case.kwargs}
                    key = (*case.args, kw["stride"], kw["padding"], kw["dilation"])
                    size_table[key] = answer
                else:
                    image, kernel = (np.asarray(a, dtype=float) for a in case.args)
                    key = (image.shape, tuple(image.ravel().tolist()), kernel.shape,
                           tuple(kernel.ravel().tolist()))
                    corr_table[key] = None if answer is None else answer.tolist()
    size = f'''_SIZES = {size_table!r}
def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    answer = _SIZES.get((size, kernel_size, stride, padding, dilation))
    if answer is None:
        raise ValueError("no output")
    return answer
'''
    corr = f'''_CORR = {corr_table!r}
def correlate2d_valid(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    answer = _CORR.get((image.shape, tuple(image.ravel().tolist()), kernel.shape,
                        tuple(kernel.ravel().tolist())))
    if answer is None:
        raise ValueError("kernel larger than image")
    return np.array(answer)
'''
    return size, corr


def test_a_table_of_the_first_gradings_cases_earns_no_hidden_point(source, first):
    seeds = {HIDDEN[g]: _seed(v.report) for g, v in first.items()}
    size, corr = _table_code(seeds)
    # the table does answer every case of the first grading...
    replay = {}
    exec("import numpy as np\n" + size + corr, replay)
    for name, seed in seeds.items():
        assert run_cell(EXERCISES[name], replay[name], hidden=True, points=4,
                        seed=seed).score == 4
    # ...but it is new code, with new cases: nothing
    table = _judge(source, _submission(source, size, corr))
    assert {g: v.score for g, v in table.items()} == {"output_size_hidden": 0.0,
                                                      "correlate2d_valid_hidden": 0.0}
    assert all(_seed(table[g].report) != _seed(first[g].report) for g in HIDDEN)


def test_derive_seed_separates_the_code():
    base = derive_seed(SECRET, "ann", "a", "n", "pad2d", "")
    assert derive_seed(SECRET, "ann", "a", "n", "pad2d", "0123") != base
    assert derive_seed(SECRET, "ann", "a", "n", "pad2d", "0123") == derive_seed(
        SECRET, "ann", "a", "n", "pad2d", "0123")
