"""The gradebook shared by grading runs: nbgrader's, in SQLite or on a PostgreSQL server.

nbgrader creates the gradebook's tables, its alembic version and the course row
the first time a ``Gradebook`` is opened, checking first and creating after:
two grading runs that open a new PostgreSQL database at the same moment both
find it empty and the second fails (``duplicate key ... grade_cell_type``), and
two runs that add the same student race the same way.  ``registration_lock``
serialises that registration phase across processes and machines with a
PostgreSQL advisory lock; SQLite serialises writers itself (a run waits on a
locked file for up to the ``timeout`` in its URL).
"""

from __future__ import annotations

import zlib
from contextlib import contextmanager

__all__ = ["COURSE_ID", "registration_lock", "register_students"]

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
