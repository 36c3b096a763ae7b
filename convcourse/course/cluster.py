"""Grading on the workers of a Dask cluster: ``convcourse grade SUBMISSIONS --scheduler ADDRESS``.

The cluster is one the instructor already runs (``dask scheduler`` on one machine,
``dask worker tcp://HOST:8786`` on each grading machine, each with this course
installed and bubblewrap).  Only the grading of notebooks moves there; everything
else of the run stays with the grader (the client, ``grade.py``):

- the client sends one task per notebook (``autograde.NotebookTask``: the notebook,
  the assignment's source, seeds derived from the course secret, never the secret)
  with the run's template gradebook, sent once as a task of its own that every
  grading task depends on (the scheduler can compute it again if the worker holding
  it dies);
- on a worker, :func:`grade_remotely` grades the notebook in a child process of its
  own (``python -m convcourse.course.cluster``: grading redirects the process's
  output and sets its environment, which must not touch the worker's threads; and a
  Dask worker's process may not start multiprocessing children) in a temporary
  scratch folder, and returns the result with the files it made as data
  (``autograde.pack_files``): the workers need no disk shared with the client;
- the client writes those files into the run's scratch folders
  (``autograde.unpack_files``) and hands the results to ``grade.write_outputs``, the
  only writer of the gradebook and the outputs.

A worker that dies mid-task loses nothing: the scheduler runs its tasks again on
another worker.  Each task has a key of its own, stable (made from what it grades),
and the client keeps one result per (student, assignment, notebook), so no notebook
reaches the gradebook twice.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .autograde import (NotebookResult, NotebookTask, grade_notebook, pack_files,
                        progress_line, record_name, task_failure, unpack_files)

__all__ = ["check_scheduler", "grade_on_cluster", "grade_remotely", "task_key",
           "CLUSTER_EXTRA_MISSING"]

#: what a run with ``--scheduler`` says when ``distributed`` is not installed
CLUSTER_EXTRA_MISSING = ("grading on a Dask cluster (--scheduler) needs the 'cluster' extra: "
                         "pip install 'convcourse[cluster]'")
_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})/?$")
#: seconds to reach the scheduler before the run gives up
CONNECT_SECONDS = 30


def check_scheduler(address) -> str:
    """A Dask scheduler's address, checked: ``tcp://HOST:PORT`` or ``tls://HOST:PORT``.

    Also checks that ``distributed`` is installed (the ``cluster`` extra).

    Raises
    ------
    ValueError
        When ``address`` is not such an address.
    RuntimeError
        When ``distributed`` is not installed.

    Examples
    --------
    >>> check_scheduler("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    >>> check_scheduler("10.0.0.5:8786")
    Traceback (most recent call last):
    ...
    ValueError: scheduler must be a Dask scheduler's address tcp://HOST:PORT (or tls://HOST:PORT); got '10.0.0.5:8786'
    """
    match = _ADDRESS.match(str(address)) if isinstance(address, str) else None
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise ValueError("scheduler must be a Dask scheduler's address tcp://HOST:PORT (or "
                         f"tls://HOST:PORT); got {address!r}")
    _distributed()
    return address.rstrip("/")


def _distributed():
    try:
        import distributed
    except ImportError:
        raise RuntimeError(CLUSTER_EXTRA_MISSING) from None
    return distributed


def task_key(task: NotebookTask, template_digest: str) -> str:
    """The Dask key of a task: the same for the same task (what it grades, with what), and
    readable: ``convcourse-grade-<digest>-<student>/<assignment>/<notebook>``.

    Examples
    --------
    >>> task = NotebookTask("ann", "a1", "nb", "en", b"{}", (), "{}", 60, True, 1000000)
    >>> key = task_key(task, "t")
    >>> key.endswith("-ann/a1/nb"), key == task_key(task, "t"), key == task_key(task, "u")
    (True, True, False)
    """
    digest = hashlib.sha256(pickle.dumps(task, protocol=4) + template_digest.encode())
    return (f"convcourse-grade-{digest.hexdigest()[:20]}-"
            f"{task.student}/{task.assignment}/{task.notebook}")


def _the(value):
    """The value itself: the template gradebook as a task's result (recomputable)."""
    return value


def grade_on_cluster(run, scheduler: str) -> list[NotebookResult]:
    """Grade every task of ``run`` on the workers of the Dask cluster at ``scheduler``.

    Returns one result per notebook, as ``grade.grade_locally`` does, with its files
    written into the run's scratch folders.  A task that fails on the cluster (it
    raised twice, or its workers kept dying) is that notebook's failure, never the
    class's.

    Raises
    ------
    RuntimeError
        When the scheduler cannot be reached.
    """
    distributed = _distributed()
    tasks = run.tasks
    total = len(tasks)
    template = run.template_db.read_bytes()
    template_digest = hashlib.sha256(template).hexdigest()[:20]
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_SECONDS,
                                    set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise RuntimeError(f"could not reach the Dask scheduler at {scheduler} "
                           f"({type(exc).__name__}: {exc})") from None
    results: dict = {}
    with client:
        workers = len(client.scheduler_info().get("workers", {}))
        run.echo(f"grading {total} notebook(s) of {len(run.todo)} student(s) on the Dask "
                 f"cluster at {scheduler} ({workers} worker(s) now); output in {run.out}")
        if not total:
            return []
        if not workers:
            run.echo("the cluster has no worker yet: the notebooks wait for one")
        shared = client.submit(_the, template, key=f"convcourse-template-{template_digest}")
        begun = time.perf_counter()
        futures = {client.submit(grade_remotely, t, shared, key=task_key(t, template_digest),
                                 retries=1): t for t in tasks}
        for future in distributed.as_completed(futures, loop=client.loop):
            task = futures[future]
            ident = (task.student, task.assignment, task.notebook)
            if ident in results:  # never twice into the gradebook
                continue
            try:
                res, packed = future.result()
                unpack_files(res, packed, run.scratch(*ident))
            except Exception as exc:  # noqa: BLE001 - one notebook's failure is its 0
                res = task_failure(task, exc)
            future.release()
            results[ident] = res
            run.echo(progress_line(res, len(results), total, time.perf_counter() - begun))
        shared.release()
    return list(results.values())


def grade_remotely(task: NotebookTask, template_db: bytes) -> tuple:
    """On a worker: grade one notebook in a child process, in a temporary scratch folder;
    ``(result, files)``, the files as data (``autograde.pack_files``).

    A task that asks for the sandbox where this machine cannot make one is not graded
    here unsandboxed: it fails, saying so.

    Raises
    ------
    RuntimeError
        When the child process ends without a result (the scheduler tries again).
    """
    from .sandbox import sandbox_available

    worker = _worker_address()
    if task.sandboxed:
        status = sandbox_available()
        if not status:
            result = NotebookResult(task.student, task.assignment, task.notebook, worker=worker)
            result.failed("autograde", f"the worker {worker} cannot create a sandbox "
                          f"({status.reason}); the notebook was not graded")
            return result, {}
    with tempfile.TemporaryDirectory(prefix="convcourse-task-") as tmp:
        scratch = Path(tmp) / record_name(task.student, task.assignment) / task.notebook
        given, taken = Path(tmp) / "task.pickle", Path(tmp) / "result.pickle"
        given.write_bytes(pickle.dumps((task, str(scratch), template_db)))
        child = subprocess.run([sys.executable, "-m", "convcourse.course.cluster", str(given),
                                str(taken)], stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, errors="replace")
        if child.returncode != 0 or not taken.is_file():
            raise RuntimeError(f"grading {task.student}/{task.assignment}/{task.notebook} on "
                               f"{worker} ended with status {child.returncode} and no result: "
                               f"{child.stderr.strip()[-500:]}")
        result = pickle.loads(taken.read_bytes())
        files = pack_files(result)
    result.worker = worker
    return result, files


def _worker_address() -> str:
    """The address of the Dask worker running this task ('' outside one)."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return ""


def _main(argv: list[str]) -> int:
    """The child process of :func:`grade_remotely`: read the pickled task, grade, write the
    pickled result."""
    given, taken = Path(argv[0]), Path(argv[1])
    task, scratch, template_db = pickle.loads(given.read_bytes())
    result = grade_notebook(task, scratch, template_db)
    taken.write_bytes(pickle.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
