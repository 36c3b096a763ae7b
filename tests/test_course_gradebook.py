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


# -- one engine for nbgrader's Gradebooks of a task's scratch gradebook --------------

@pytest.fixture
def gradebooks(tmp_path, monkeypatch):
    """``open(name)``: an nbgrader Gradebook of SQLite file ``name`` in ``tmp_path``
    (nbgrader's alembic stamp is made without its subprocess)."""
    api = pytest.importorskip("nbgrader.api")
    monkeypatch.setattr(api, "get_alembic_version", lambda: "test")

    def url(name):
        return f"sqlite:///{tmp_path / name}"

    def open_(name):
        return api.Gradebook(url(name), "convcourse")

    return url, open_


def test_in_a_block_the_gradebooks_of_its_url_share_one_engine(gradebooks):
    from convcourse.course import gradebook

    url, open_ = gradebooks
    with gradebook.shared_engine(url("a.db")):
        with open_("a.db") as first:
            first.add_student("ann")
            engine = first.engine
        with open_("a.db") as second:  # the first's close disposed of its pool only
            assert second.engine is engine
            assert [s.id for s in second.students] == ["ann"]
        with open_("other.db") as other:
            assert other.engine is not engine
    assert url("a.db") not in gradebook._SHARED  # disposed of at the end of the block
    with open_("a.db") as third, open_("a.db") as fourth:  # outside: nbgrader's own engines
        assert third.engine is not engine and fourth.engine is not third.engine
        assert [s.id for s in third.students] == ["ann"]


def test_blocks_of_one_url_count_their_users(gradebooks):
    from convcourse.course import gradebook

    url, open_ = gradebooks
    with gradebook.shared_engine(url("a.db")):
        with gradebook.shared_engine(url("a.db")):
            with open_("a.db") as gb:
                engine = gb.engine
        assert gradebook._SHARED[url("a.db")] == (engine, 1)  # the outer block still uses it
        with open_("a.db") as gb:
            assert gb.engine is engine
    assert url("a.db") not in gradebook._SHARED
