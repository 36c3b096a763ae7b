"""Red team: a class of attackers graded by ONE real ``convcourse grade`` run (issues 5, 9).

tests/fixtures/redteam_class.py builds a small assignment graded by the real
checks of assignment 01 and one student per attack, next to an honest student.
Every attacker's functions are stubs or wrong: each must end with 0 points, the
honest student must keep exactly the scores and messages of a run on its own,
and what each attack tried must have left no trace (secret, solutions,
gradebook, other folders, network, processes, host files).  The students of
``redteam_class.BROKEN`` are files the grader must read safely (links, a named pipe,
a huge or deeply nested notebook, forged metadata, odd student ids): each gets a
row, 0 and its reason, and the class goes on.
"""

import contextlib
import io

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convcourse.cli import main
from convcourse.course.grade import TAMPERING
from convcourse.course.sandbox import POLICY
from convcourse.course.sandbox import sandbox_available
from convcourse.course.summary import read_csv

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import redteam_class  # noqa: E402

SECRET = "red-team-secret-7f3a9c"
MARKER = Path("/tmp/convcourse-redteam-background")
needs_sandbox = pytest.mark.skipif(not sandbox_available(),
                                   reason=f"no sandbox here: {sandbox_available().reason}")


# the module-scoped grading run below is made once: every test of this file on one xdist
# worker (otherwise each of `make test`'s two workers grades the whole class again)
pytestmark = pytest.mark.xdist_group("redteam")


def _grade(course, submissions, out, secret_file, *extra):
    args = ["--course", str(course), "grade", str(submissions), "--output", str(out),
            "--jobs", "2", "--timeout", "5", "--secret-file", str(secret_file), *extra]
    return main(args)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("redteam")
    course = redteam_class.build_course(tmp / "course")
    expected = redteam_class.build_class(course, tmp / "class")
    expected.update(redteam_class.build_broken(course, tmp / "class"))
    secret_file = tmp / "secret"
    secret_file.write_text(SECRET)
    MARKER.unlink(missing_ok=True)
    start = time.perf_counter()
    terminal = io.StringIO()
    with contextlib.redirect_stdout(terminal):
        status = _grade(course, tmp / "class", tmp / "out", secret_file)
    seconds = time.perf_counter() - start
    alone = tmp / "alone"
    shutil.copytree(tmp / "class" / "honest", alone / "honest")
    _grade(course, alone, tmp / "out-alone", secret_file)
    return {"status": status, "out": tmp / "out", "alone": tmp / "out-alone", "tmp": tmp,
            "expected": expected, "seconds": seconds, "terminal": terminal.getvalue()}


def cells_of(out, student):
    return {r["grade_id"]: r for r in read_csv(out / "cells.csv") if r["student_id"] == student}


def outputs_text(out, student):
    """Everything the attacker's cells printed (not its source, which names the traces)."""
    import nbformat
    path = out / "autograded" / student / "00-redteam" / "redteam.ipynb"
    if not path.is_file():
        return ""
    nb = nbformat.read(path, as_version=4)
    return "\n".join(str(o.get("text", "")) + str(o.get("evalue", ""))
                     for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.slow
def test_no_attack_gains_a_point(attacked):
    assert attacked["status"] == 0
    scores = {r["student_id"]: float(r["score"]) for r in read_csv(attacked["out"] / "grades.csv")}
    assert scores == attacked["expected"]
    for student in redteam_class.ATTACKS:
        assert {float(r["score"]) for r in cells_of(attacked["out"], student).values()} == {0.0}


@pytest.mark.slow
def test_the_honest_student_grades_exactly_as_alone(attacked):
    together = cells_of(attacked["out"], "honest")
    alone = cells_of(attacked["alone"], "honest")
    assert together == alone
    assert sum(float(r["score"]) for r in together.values()) == 11
    assert not any(TAMPERING in r["message"] for r in together.values())
    # the gradebook itself, not only the tables
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{attacked['out'] / 'gradebook.db'}", "convcourse") as gb:
        assert gb.find_submission("00-redteam", "honest").score == 11
        assert gb.find_submission("00-redteam", "gradebook").score == 0


@pytest.mark.slow
@pytest.mark.parametrize("student", [s for s, (_, flagged) in redteam_class.ATTACKS.items()
                                     if flagged])
def test_attacks_that_fool_the_kernel_are_reported_as_tampering(attacked, student):
    rows = cells_of(attacked["out"], student)
    flagged = [gid for gid, r in rows.items() if r["message"].startswith(TAMPERING)]
    assert flagged, rows
    feedback = (attacked["out"] / "feedback" / student / "00-redteam" / "redteam.html").read_text()
    assert "the judge ran your function outside the notebook and scored it" in feedback
    assert TAMPERING not in feedback


@pytest.mark.slow
def test_every_attack_is_reported(attacked):
    for student in redteam_class.ATTACKS:
        rows = cells_of(attacked["out"], student)
        assert all(r["message"] for r in rows.values()), (student, rows)


@pytest.mark.slow
def test_nothing_secret_leaks_into_any_output(attacked):
    out = attacked["out"]
    for folder in ("autograded", "feedback"):
        for path in (out / folder).rglob("*"):
            if path.is_file():
                assert SECRET not in path.read_text(errors="replace"), path
    assert SECRET not in (out / "cells.csv").read_text()


@needs_sandbox
@pytest.mark.slow
@pytest.mark.parametrize("student, trace", [
    ("solutions", "FOUND SOLUTIONS"),
    ("gradebook", "REWROTE GRADEBOOK"),
    ("otherstudent", "WROTE"),
    ("network", "NETWORK OK"),
    ("procparent", "CONVCOURSE_SECRET"),
])
def test_the_sandbox_hides_the_course(attacked, student, trace):
    text = outputs_text(attacked["out"], student)
    assert (attacked["out"] / "autograded" / student).is_dir(), "the attacker was graded"
    assert trace not in text


@needs_sandbox
@pytest.mark.slow
def test_limits_hold_and_nothing_is_left_behind(attacked):
    fork = outputs_text(attacked["out"], "forkbomb")
    made = int(fork.split("FORKED ")[1].split()[0])
    assert made < 64
    assert "MEMORY CAPPED" in outputs_text(attacked["out"], "membomb")
    time.sleep(5)  # the background attacker sleeps 4 s before writing
    assert not MARKER.exists()
    rows = cells_of(attacked["out"], "sleeper")
    assert "CellTimeoutError" in rows["output_size_visible"]["message"] or \
        "did not finish" in rows["output_size_visible"]["message"] or \
        "not defined" in rows["output_size_visible"]["message"]
    # this run's sandboxes used uids of the policy's range (two per task: kernel, judge workers)
    uids = POLICY.uid_range(attacked["out"].resolve())
    ps = subprocess.run(["ps", "-eo", "uid=,args="], capture_output=True, text=True).stdout
    left = [line for line in ps.splitlines() if "sleep 4; echo hacked" in line
            or (line.split()[0].isdigit() and int(line.split()[0]) in uids)]
    assert left == []


@needs_sandbox
@pytest.mark.slow
def test_grading_says_it_ran_sandboxed(attacked, capsys):
    record = (attacked["out"] / "judge" / "honest--00-redteam.json").read_text()
    assert '"sandboxed": true' in record


@pytest.mark.slow
def test_timing(attacked):
    n = len(attacked["expected"])
    assert attacked["seconds"] / n < 30, f"{attacked['seconds']:.0f} s for {n} students"
    print(f"red team: {n} students ({len(redteam_class.ATTACKS)} attacks) "
          f"graded in {attacked['seconds']:.1f} s")


# ------------------------------------------------------------------ issue 9, second round

@pytest.mark.slow
@pytest.mark.parametrize("student", list(redteam_class.BROKEN))
def test_every_broken_submission_gets_a_row_and_its_reason(attacked, student):
    """Regression (issue 9 §3): links were followed (another student's notebook, 33/33), a
    named pipe hung the grader, folders starting with '.' or '__' got no row, and a list
    as a grade id, metadata that is not a dict, deep JSON or a 240-character id stopped the
    whole class."""
    key = student.replace("\x1b", "").replace("\x07", "")
    key = "'" + key if key.startswith("=") else key
    rows = cells_of(attacked["out"], key)
    assert len(rows) == 4, (key, rows)
    assert {float(r["score"]) for r in rows.values()} == {0.0}
    assert all(r["message"] for r in rows.values()), rows
    reason = redteam_class.BROKEN[student]
    assert all(reason in r["message"] for r in rows.values()), rows


@pytest.mark.slow
def test_reports_and_terminal_hold_no_formula_and_no_escape(attacked):
    """Regression (issue 9 §5): ids starting with '=' became formulas in the CSVs, and
    the terminal printed ids raw (a title escape went through)."""
    for name in ("grades.csv", "cells.csv"):
        text = (attacked["out"] / name).read_text()
        assert "\x1b" not in text and "\x07" not in text
        for row in read_csv(attacked["out"] / name):
            for column in ("student_id", "message"):
                assert not row.get(column, "").startswith(("=", "+", "-", "@")), row
    assert "\x1b" not in attacked["terminal"] and "\x07" not in attacked["terminal"]
    assert "esc]0;owned" in attacked["terminal"]


@needs_sandbox
@pytest.mark.slow
def test_home_and_rich_output_are_capped(attacked):
    """Regression (issue 9 §4): $HOME took 1,280 MiB; 200 MiB of display data went into
    the notebook and the feedback."""
    assert "HOME CAPPED AT" in outputs_text(attacked["out"], "homebomb")
    notebook = attacked["out"] / "autograded" / "displaybomb" / "00-redteam" / "redteam.ipynb"
    assert notebook.stat().st_size < 40 * 2**20
    assert "was dropped: more than" in notebook.read_text()


@needs_sandbox
@pytest.mark.slow
def test_no_key_passes_between_students(attacked):
    assert (attacked["out"] / "autograded" / "keyleaver").is_dir()
    assert "FOUND KEY" not in outputs_text(attacked["out"], "keyfinder")
