"""The gradebook shared by grading runs: nbgrader's, in SQLite or on a PostgreSQL server.

nbgrader creates the gradebook's tables, its alembic version and the course row
the first time a ``Gradebook`` is opened, checking first and creating after:
two grading runs that open a new PostgreSQL database at the same moment both
find it empty and the second fails (``duplicate key ... grade_cell_type``), and
two runs that add the same student race the same way.  ``registration_lock``
serialises that registration phase across processes and machines with a
PostgreSQL advisory lock; SQLite serialises writers itself (a run waits on a
locked file for up to the ``timeout`` in its URL, and ``retry_when_locked`` tries
again when even that ran out).
"""

from __future__ import annotations

import threading
import time
import zlib
from contextlib import contextmanager

__all__ = ["COURSE_ID", "registration_lock", "register_students", "remove_assignments",
           "retry_when_locked", "shared_engine"]

#: nbgrader's course id for every gradebook convcourse writes
COURSE_ID = "convcourse"

# one advisory-lock key for "registering in a convcourse gradebook" (any 64-bit integer will do)
_LOCK_KEY = zlib.crc32(b"convcourse gradebook registration")


@contextmanager
def registration_lock(db_url: str):
    """Hold, for the ``with`` block, the lock that serialises registering in ``db_url``.

    On PostgreSQL a session-level advisory lock (released when the block ends or
    the connection drops, so a killed run cannot leave it held); elsewhere nothing.
    """
    if not db_url.startswith(("postgresql", "postgres")):
        yield
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url, future=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
    finally:
        engine.dispose()


def register_students(db_url: str, students) -> None:
    """Create the gradebook (if new) and every student in it (if missing)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, COURSE_ID) as gb:
        for s in students:
            gb.update_or_create_student(s)


def remove_assignments(db_url: str, names) -> None:
    """Remove the assignments ``names`` (with their notebooks and cells) from the gradebook."""
    from nbgrader.api import Gradebook

    names = list(names)
    if not names:
        return
    with Gradebook(db_url, COURSE_ID) as gb:
        for name in names:
            gb.remove_assignment(name)


def retry_when_locked(action, *, attempts: int = 6, sleep=time.sleep):
    """``action()``, tried again while SQLite answers "database is locked".

    Another process (another grading run into the same SQLite file) may hold the
    write lock longer than the ``timeout`` of the URL; the attempt is then
    repeated after 1, 2, 3... seconds, ``attempts`` times in all.  Any other
    error, or the last one, is raised.

    Examples
    --------
    >>> calls = []
    >>> def flaky():
    ...     calls.append(1)
    ...     if len(calls) < 3:
    ...         raise RuntimeError("(sqlite3.OperationalError) database is locked")
    ...     return "written"
    >>> retry_when_locked(flaky, sleep=lambda s: None), len(calls)
    ('written', 3)
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValueError(f"attempts must be a positive int; got {attempts!r}")
    for attempt in range(attempts):
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy and nbgrader wrap it variously
            if "database is locked" not in str(exc) or attempt == attempts - 1:
                raise
            sleep(1 + attempt)


#: the engines shared by nbgrader's Gradebooks, by URL (see shared_engine), and their users
_SHARED: dict = {}
_SHARED_LOCK = threading.Lock()


@contextmanager
def shared_engine(db_url: str):
    """For the ``with`` block, every nbgrader ``Gradebook`` of ``db_url`` in this process
    uses one SQLAlchemy engine.

    nbgrader's autograde and feedback open the gradebook eleven times per notebook, each
    time with an engine of its own: its connection pool, its event dispatch and an empty
    cache of compiled statements, so the same queries were compiled again at every
    opening (0.2 to 0.3 s of each notebook).  A Gradebook's ``close`` disposes of the
    engine's pool, never of the engine, which the next one reuses.  Other URLs, and any
    use outside such a block, get nbgrader's own engines.  Blocks of different URLs may
    run at once (threads of one Dask worker); the last block of a URL disposes of it.
    """
    import nbgrader.api as api

    with _SHARED_LOCK:
        if not getattr(api.create_engine, "_convcourse_shared", False):
            api.create_engine = _sharing(api.create_engine)
        engine, users = _SHARED.get(db_url, (None, 0))
        _SHARED[db_url] = (engine, users + 1)
    try:
        yield
    finally:
        with _SHARED_LOCK:
            engine, users = _SHARED.pop(db_url)
            if users > 1:
                _SHARED[db_url] = (engine, users - 1)
        if users == 1 and engine is not None:
            engine.dispose()


def _sharing(create_engine):
    """nbgrader's ``create_engine``, giving the shared engine of a URL in a block of
    :func:`shared_engine` (made by the first call, with that call's arguments)."""

    def create(url, *args, **kwargs):
        with _SHARED_LOCK:
            if str(url) not in _SHARED:
                return create_engine(url, *args, **kwargs)
            engine, users = _SHARED[str(url)]
            if engine is None:
                engine = create_engine(url, *args, **kwargs)
                _SHARED[str(url)] = (engine, users)
            return engine

    create._convcourse_shared = True
    return create
