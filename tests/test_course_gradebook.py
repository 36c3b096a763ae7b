"""The gradebook's helpers (convcourse/course/gradebook.py): one retry for a locked SQLite file."""

import pytest

from convcourse.course.gradebook import retry_when_locked


def locked_then(value, times):
    calls = []

    def action():
        calls.append(1)
        if len(calls) <= times:
            raise RuntimeError("(sqlite3.OperationalError) database is locked")
        return value

    return action, calls


def test_a_locked_database_is_tried_again_with_growing_waits():
    action, calls = locked_then("merged", times=2)
    waits = []
    assert retry_when_locked(action, sleep=waits.append) == "merged"
    assert len(calls) == 3 and waits == [1, 2]


def test_it_gives_up_after_the_attempts_with_the_last_error():
    action, calls = locked_then("never", times=10)
    with pytest.raises(RuntimeError, match="database is locked"):
        retry_when_locked(action, attempts=3, sleep=lambda s: None)
    assert len(calls) == 3


def test_any_other_error_is_raised_at_once():
    calls = []

    def action():
        calls.append(1)
        raise ValueError("no such table: grade")

    with pytest.raises(ValueError, match="no such table"):
        retry_when_locked(action, sleep=lambda s: None)
    assert len(calls) == 1


@pytest.mark.parametrize("attempts", [0, -1, 1.5, True])
def test_bad_attempts_are_named(attempts):
    with pytest.raises(ValueError, match=rf"attempts must be a positive int; got {attempts!r}"):
        retry_when_locked(lambda: None, attempts=attempts)
