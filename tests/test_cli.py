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
