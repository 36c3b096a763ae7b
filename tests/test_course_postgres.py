"""A PostgreSQL gradebook (``convcourse grade --db postgresql://...``).

The test starts its own server: ``initdb`` into a temporary folder, a free port
on 127.0.0.1 only, stopped at the end.  Debian's ``postgresql`` package provides
it (``make test`` installs it where it can); the driver is the ``postgres``
extra (psycopg 3, which SQLAlchemy 2 maps ``postgresql://`` to).  Without
either, the tests skip and say why.

Two real grading runs at once (the fixture course and a copy of it as a second
assignment, a small class each, sandboxed as usual) into one PostgreSQL
database must lose no row, and give the grades.csv that a run into SQLite gives.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import faulty_class  # noqa: E402

STUDENTS = {"good": 6.0, "partial": 5.5, "stub": 0.0}


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                                                   reverse=True)), None)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of our own on 127.0.0.1; yields its base URL."""
    pytest.importorskip("psycopg", reason="the PostgreSQL driver is not installed: "
                        "pip install 'convcourse[postgres]'")
    initdb, server = _pg_bin("initdb"), _pg_bin("postgres")
    if not (initdb and server):
        pytest.skip("PostgreSQL's server is not installed (Debian: apt-get install postgresql; "
                    "make test does it as root)")
    # not under pytest's own temporary folder: its parents are private to us, and the
    # server's user must be able to reach its data folder
    tmp = Path(tempfile.mkdtemp(prefix="convcourse-pg-"))
    data, sockets = tmp / "data", tmp / "sockets"
    sockets.mkdir()
    # PostgreSQL refuses to run as root: run it as Debian's 'postgres' user then
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chown(tmp, user.pw_uid, user.pw_gid)
        os.chown(sockets, user.pw_uid, user.pw_gid)
        run_as = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    subprocess.run(run_as + [initdb, "-D", str(data), "-A", "trust", "-U", "grader", "-E", "UTF8"],
                   check=True, capture_output=True, cwd=tmp)
    port = _free_port()
    proc = subprocess.Popen(run_as + [server, "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                                      "-k", str(sockets), "-c", "fsync=off"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp)
    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            with psycopg.connect(f"postgresql://grader@127.0.0.1:{port}/postgres", autocommit=True) as c:
                c.execute("CREATE DATABASE gradebook")
            break
        except psycopg.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"PostgreSQL did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
    try:
        yield f"postgresql://grader@127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The fixture course with a second assignment (a copy), and a small class of each."""
    tmp = tmp_path_factory.mktemp("pgcourse")
    course = tmp / "course"
    shutil.copytree(FIXTURES / "course", course)
    for top in ("solutions", "notebooks"):
        shutil.copytree(course / top / "00-fixture", course / top / "00-fixture-b")
    classes = {}
    for assignment in ("00-fixture", "00-fixture-b"):
        every = tmp / f"all-{assignment}"
        faulty_class.build(course / "notebooks" / "00-fixture" / "fixture.ipynb", every)
        dest = tmp / f"class-{assignment}"
        for student in STUDENTS:
            shutil.copytree(every / student / "00-fixture", dest / student / assignment)
        classes[assignment] = dest
    return course, classes


def _grade(course, submissions, out, db=None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "convcourse.cli", "--course", str(course), "grade",
           str(submissions), "--output", str(out), "--jobs", "1"]
    if db:
        cmd += ["--db", db]
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def _finish(proc) -> str:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, out[-3000:]
    return out


@pytest.fixture(scope="module")
def concurrent(postgres, course, tmp_path_factory):
    """Two grading runs at once, one per assignment, into one PostgreSQL database."""
    course_dir, classes = course
    tmp = tmp_path_factory.mktemp("pgruns")
    url = f"{postgres}/gradebook"
    runs = [_grade(course_dir, classes[a], tmp / a, db=url) for a in classes]
    for run in runs:
        _finish(run)
    return {"url": url, "out": tmp}


def test_two_concurrent_runs_into_one_database_lose_no_rows(concurrent, course):
    _, classes = course
    from nbgrader.api import Gradebook

    with Gradebook(concurrent["url"], "convcourse") as gb:
        for assignment in classes:
            for student, score in STUDENTS.items():
                sub = gb.find_submission(assignment, student)
                assert sub.score == pytest.approx(score), (assignment, student)
        assert sorted(s.id for s in gb.students) == sorted(STUDENTS)
    for assignment in classes:
        assert not (concurrent["out"] / assignment / "gradebook.db").exists()   # nothing in SQLite
        grades = (concurrent["out"] / assignment / "grades.csv").read_text().splitlines()[1:]
        assert {r.split(",")[0]: float(r.split(",")[2]) for r in grades} == STUDENTS


def test_postgresql_gradebook_gives_the_sqlite_grades(concurrent, course, tmp_path):
    course_dir, classes = course
    _finish(_grade(course_dir, classes["00-fixture"], tmp_path / "sqlite"))
    assert ((tmp_path / "sqlite" / "grades.csv").read_bytes()
            == (concurrent["out"] / "00-fixture" / "grades.csv").read_bytes())
