"""The ``convcourse`` command line (convcourse/cli.py)."""

from pathlib import Path

import pytest

from convcourse.cli import build_parser, main

FIXTURE = Path(__file__).parent / "fixtures" / "course"


@pytest.mark.parametrize("argv, attrs", [
    (["grade", "subs"], {"output": "output", "jobs": 1, "db": None, "roster": None, "student": None}),
    (["grade", "subs.zip", "--output", "o", "--jobs", "2", "--db", "sqlite:///x.db",
      "--roster", "r.csv", "--student", "ann"],
     {"submissions": "subs.zip", "output": "o", "jobs": 2, "db": "sqlite:///x.db",
      "roster": "r.csv", "student": "ann"}),
    (["demo"], {"output": "demo-output", "jobs": 1}),
    (["release", "--no-bundle"], {"no_bundle": True}),
])
def test_parser(argv, attrs):
    args = build_parser().parse_args(argv)
    for key, value in attrs.items():
        assert getattr(args, key) == value


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit):
        main([])
    assert "command" in capsys.readouterr().err


@pytest.mark.parametrize("argv, fragment", [
    (["grade", "/nonexistent/submissions"], "does not exist"),
    (["grade", "x", "--jobs", "0"], "jobs must be >= 1, got 0"),
    (["grade", "x", "--timeout", "0"], "timeout must be >= 1, got 0"),
])
def test_grade_errors_exit_2_with_a_message(capsys, argv, fragment):
    assert main(["--course", str(FIXTURE)] + argv) == 2
    assert fragment in capsys.readouterr().err


def test_a_postgresql_gradebook_without_its_driver_is_one_line_naming_the_extra(tmp_path, capsys,
                                                                                 monkeypatch):
    import sys

    pytest.importorskip("sqlalchemy")
    monkeypatch.setenv("CONVCOURSE_SECRET", "a-real-secret")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the driver were not installed
    (tmp_path / "subs").mkdir()
    argv = ["--course", str(FIXTURE), "grade", str(tmp_path / "subs"), "--output",
            str(tmp_path / "out"), "--db", "postgresql://grader@localhost/gradebook"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "psycopg" in err and "pip install 'convcourse[postgres]'" in err
    assert not (tmp_path / "out" / "release").exists()  # refused before any work


def test_grade_unknown_student(capsys, tmp_path):
    (tmp_path / "subs" / "ann" / "00-fixture").mkdir(parents=True)
    argv = ["--course", str(FIXTURE), "grade", str(tmp_path / "subs"),
            "--output", str(tmp_path / "out"), "--student", "zed"]
    assert main(argv) == 2
    assert "student 'zed' is not in the class" in capsys.readouterr().err


def test_demo_without_sample_class(capsys, tmp_path):
    (tmp_path / "solutions").mkdir()
    assert main(["--course", str(tmp_path), "demo", "--output", str(tmp_path / "o")]) == 2
    assert "no sample class" in capsys.readouterr().err


def test_no_sandbox_flag():
    assert build_parser().parse_args(["grade", "subs"]).no_sandbox is False
    assert build_parser().parse_args(["grade", "subs", "--no-sandbox"]).no_sandbox is True


def test_grade_no_sandbox_says_so_and_the_judge_still_decides(capsys, tmp_path):
    """``--no-sandbox``: the run warns on stdout and stderr, and an attack that fools the
    (unsandboxed) kernel still earns nothing: the judge's score counts."""
    import shutil
    import sys

    from convcourse.course.summary import read_csv

    sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
    import redteam_class

    course = redteam_class.build_course(tmp_path / "course")
    redteam_class.build_class(course, tmp_path / "class")
    for student in ("honest", "alwayseq"):
        shutil.copytree(tmp_path / "class" / student, tmp_path / "subs" / student)
    out = tmp_path / "out"
    argv = ["--course", str(course), "grade", str(tmp_path / "subs"), "--output", str(out),
            "--timeout", "10", "--no-sandbox"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert "WARNING: UNSANDBOXED GRADING (the sandbox was turned off: --no-sandbox" in stream
    assert "sandbox: every kernel" not in captured.out
    scores = {r["student_id"]: float(r["score"]) for r in read_csv(out / "grades.csv")}
    assert scores == {"honest": 11.0, "alwayseq": 0.0}
    tampered = [r for r in read_csv(out / "cells.csv")
                if r["student_id"] == "alwayseq" and r["message"].startswith("tampering suspected")]
    assert tampered, "the kernel was fooled and the judge said so"
    import json
    record = json.loads((out / "judge" / "alwayseq--00-redteam.json").read_text())
    assert record["sandboxed"] is False


def test_missing_course_extra_is_a_clear_error(monkeypatch, capsys):
    """Without nbgrader & co. (a student's install), the instructor commands say which extra to install."""
    import builtins

    from convcourse import cli

    real_import = builtins.__import__

    def no_nbformat(name, *args, **kwargs):
        if name == "nbformat" or name.startswith("nbformat."):
            raise ModuleNotFoundError("No module named 'nbformat'", name="nbformat")
        return real_import(name, *args, **kwargs)

    for module in [m for m in list(__import__("sys").modules) if m.startswith("convcourse.course")]:
        monkeypatch.delitem(__import__("sys").modules, module)
    monkeypatch.setattr(builtins, "__import__", no_nbformat)
    assert cli.main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "nbformat is not installed" in err and "convcourse[course]" in err
