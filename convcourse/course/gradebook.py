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

import time
import zlib
from contextlib import contextmanager

__all__ = ["COURSE_ID", "registration_lock", "register_students", "remove_assignments",
           "retry_when_locked"]

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
