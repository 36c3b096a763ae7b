"""Grading on a Dask cluster (convcourse/course/cluster.py, issue 11 §3).

A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 grade part of
the sample class (two students' 01-convolution, one of them on the Russian edition)
through ``convcourse grade --scheduler``; one worker is killed (SIGKILL to its process
group) while it grades a notebook.  Its notebook is graded again by the other worker,
every notebook reaches the gradebook once, and grades.csv and cells.csv are those of a
run on this machine, byte for byte.  Both runs use a real course secret (not the
public one), which reaches no worker.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convcourse.course import cluster

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "examples" / "sample-class" / "submitted"
STUDENTS = ("ada", "strider")
ASSIGNMENT = "01-convolution"
SECRET = "the-cluster-test-course-secret-7f3a"


def test_a_scheduler_address_is_checked_before_anything_runs(tmp_path):
    for bad in ("127.0.0.1:8786", "http://host:8786", "tcp://host", "tcp://host:99999", 8786):
        with pytest.raises(ValueError, match=r"scheduler must be .*got " + re.escape(repr(bad))):
            cluster.check_scheduler(bad)


def test_the_command_line_refuses_a_bad_scheduler_before_grading(tmp_path, capsys):
    from convcourse.cli import main

    status = main(["--course", str(ROOT), "grade", str(CLASS), "--output", str(tmp_path / "out"),
                   "--scheduler", "localhost:8786"])
    assert status == 2
    assert "scheduler must be a Dask scheduler's address" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing prepared, nothing graded


def test_without_distributed_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(RuntimeError, match=re.escape("pip install 'convcourse[cluster]'")):
        cluster.check_scheduler("tcp://127.0.0.1:8786")


# -- a real cluster ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """``(address, client, {worker name: (address, process)})``: a scheduler and two workers,
    one thread each, on 127.0.0.1; every process stopped at the end."""
    try:
        import distributed
    except ImportError:
        pytest.skip("distributed is not installed: the Dask cluster test needs the 'cluster' "
                    "extra (pip install -e '.[cluster]'; `make venv` installs it)")
    env = {k: v for k, v in os.environ.items() if k != "CONVCOURSE_SECRET"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    procs: list = []

    def start(name, *args):
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True, cwd=tmp_path)
        procs.append((proc, log))
        return proc

    client = None
    try:
        port = _free_port()
        address = f"tcp://127.0.0.1:{port}"
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port),
              "--no-dashboard")
        workers = {}
        for name in ("w0", "w1"):
            workers[name] = start(name, "worker", address, "--host", "127.0.0.1",
                                  "--nthreads", "1", "--no-dashboard", "--name", name,
                                  "--local-directory", str(tmp_path / name))
        client = distributed.Client(address, timeout=120, set_as_default=False)
        client.wait_for_workers(2, timeout=180)
        by_name = {info["name"]: addr for addr, info in client.scheduler_info()["workers"].items()}
        yield address, client, {n: (by_name[n], p) for n, p in workers.items()}
    finally:
        if client is not None:
            client.close()
        for proc, log in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # our own session: the process and its children
            proc.wait()
            log.close()


def _executing(client, worker_address) -> list:
    """Keys of the tasks the worker is running now."""
    def keys(dask_worker):
        return [str(ts.key) for ts in dask_worker.state.executing]
    try:
        return client.run(keys, workers=[worker_address])[worker_address]
    except Exception:  # noqa: BLE001 - the worker is going away
        return []


def _subset(tmp_path) -> Path:
    subset = tmp_path / "submissions"
    for student in STUDENTS:
        shutil.copytree(CLASS / student / ASSIGNMENT, subset / student / ASSIGNMENT)
    return subset


@pytest.mark.slow
@pytest.mark.xdist_group("dask-cluster")
def test_a_cluster_grades_as_one_machine_does_even_when_a_worker_dies(dask_cluster, tmp_path):
    address, client, workers = dask_cluster
    subset = _subset(tmp_path)
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    env = {k: v for k, v in os.environ.items() if k != "CONVCOURSE_SECRET"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    printed = tmp_path / "cluster-run.log"
    with open(printed, "w") as out:
        run = subprocess.Popen(
            [sys.executable, "-m", "convcourse.cli", "--course", str(ROOT), "grade", str(subset),
             "--output", str(tmp_path / "on-cluster"), "--secret-file", str(secret),
             "--scheduler", address], stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            # kill a worker once it has been grading a notebook for a few seconds
            killed = key = None
            deadline = time.monotonic() + 600
            while killed is None and run.poll() is None and time.monotonic() < deadline:
                for name, (worker_address, proc) in workers.items():
                    keys = [k for k in _executing(client, worker_address)
                            if k.startswith("convcourse-grade-")]
                    if keys:
                        time.sleep(5)  # the notebook's kernel is running by now
                        if keys[0] in _executing(client, worker_address):
                            os.killpg(proc.pid, signal.SIGKILL)
                            proc.wait()
                            killed, key = name, keys[0]
                        break
                time.sleep(0.5)
            assert killed is not None, ("no worker was seen grading a notebook:\n"
                                        + printed.read_text()[-3000:])
            status = run.wait(timeout=900)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    text = printed.read_text()
    assert status == 0, text[-3000:]
    survivor = next(addr for name, (addr, _) in workers.items() if name != killed)

    # every notebook graded, and reported, exactly once; the killed worker's on the other
    graded = re.findall(rf"^\[\s*(\d+)/{len(STUDENTS)}\] graded (\S+) (\S+)/(\S+) on (\S+) in "
                        r"[\d.]+ s: (.*?)(?:; (\d+ to go, about .*|all \d+ in .*))?$",
                        text, re.M)
    assert sorted(g[1] for g in graded) == sorted(STUDENTS), text[-3000:]
    assert [int(g[0]) for g in graded] == list(range(1, len(STUDENTS) + 1))
    assert all(g[5] == "ok" for g in graded), graded
    # each line says how many are left; the last, how long all took
    assert [g[6].split(",")[0] for g in graded[:-1]] == [
        f"{len(STUDENTS) - n} to go" for n in range(1, len(STUDENTS))], graded
    assert graded[-1][6].startswith(f"all {len(STUDENTS)} in "), graded
    lost = key.split("-", 3)[3]  # convcourse-grade-<digest>-<student>/<assignment>/<notebook>
    (where,) = [g[4] for g in graded if f"{g[1]}/{g[2]}/{g[3]}" == lost]
    assert where == survivor
    from nbgrader.api import Gradebook, SubmittedNotebook
    with Gradebook(f"sqlite:///{tmp_path / 'on-cluster' / 'gradebook.db'}", "convcourse") as gb:
        rows = gb.db.query(SubmittedNotebook).all()
        assert sorted((r.assignment.student.id, r.name) for r in rows) == sorted(
            (s, ASSIGNMENT) for s in STUDENTS)

    # the same class graded here: the same tables, byte for byte
    from convcourse.course.grade import grade
    grade(subset, output=tmp_path / "here", jobs=2, secret_file=secret, course=ROOT,
          echo=lambda *a: None)
    for table in ("grades.csv", "cells.csv"):
        cluster_table = (tmp_path / "on-cluster" / table).read_bytes()
        assert cluster_table == (tmp_path / "here" / table).read_bytes(), table
    for student in STUDENTS:
        assert (tmp_path / "on-cluster" / "feedback" / student / ASSIGNMENT
                / f"{ASSIGNMENT}.html").is_file()
