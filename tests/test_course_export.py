"""Grades in an LMS's import format (convcourse/course/export.py)."""

import csv

import pytest

from convcourse.cli import main
from convcourse.course.export import (CANVAS_ID_COLUMNS, MOODLE_ID_COLUMNS, export, read_grades,
                                      read_roster_records)

GRADES = """student_id,assignment,score,max_score
ada,01-convolution,33,33
ada,02-conv-layer,27,27
flipper,01-convolution,28,33
flipper,02-conv-layer,21.5,27
"""

ROSTER = """student_id,name,first_name,last_name,email,canvas_id,sis_user_id,sis_login_id,section,id_number
ada,"Lovelace, Ada",Ada,Lovelace,ada@uni.example,101,S-1,ada.l,Group A,1001
flipper,,Filip,Иванов,filip@uni.example,102,S-2,,Group B,1002
nobody,,No,Body,nb@uni.example,103,S-3,nb,Group A,1003
"""


@pytest.fixture
def files(tmp_path):
    grades = tmp_path / "grades.csv"
    grades.write_text(GRADES)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    return grades, roster


def _rows(path, encoding="utf-8-sig"):
    with open(path, newline="", encoding=encoding) as fh:
        return list(csv.reader(fh))


def test_canvas_header_points_possible_and_identifiers(files, tmp_path):
    grades, roster = files
    rows = _rows(export(tmp_path / "canvas.csv", fmt="canvas", grades=grades, roster=roster))
    # Canvas's documented gradebook columns, in its order, then one column per assignment
    assert rows[0] == list(CANVAS_ID_COLUMNS) + ["01-convolution", "02-conv-layer"]
    assert list(CANVAS_ID_COLUMNS) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5:] == ["33", "27"]
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login["ada.l"] == ["Lovelace, Ada", "101", "S-1", "ada.l", "Group A", "33", "27"]
    # no SIS login in the roster: the student id stands in; name from last, first
    assert by_login["flipper"][:5] == ["Иванов, Filip", "102", "S-2", "flipper", "Group B"]
    assert by_login["flipper"][5:] == ["28", "21.5"]
    # on the roster but never submitted: a row of zeros, not a missing student
    assert by_login["nb"][5:] == ["0", "0"]
    assert len(rows) == 2 + 3


def test_moodle_header_and_identifiers(files, tmp_path):
    grades, roster = files
    rows = _rows(export(tmp_path / "moodle.csv", fmt="moodle", grades=grades, roster=roster))
    assert rows[0] == list(MOODLE_ID_COLUMNS) + ["01-convolution", "02-conv-layer"]
    assert "Email address" in rows[0] and "ID number" in rows[0]
    body = {r[2]: r for r in rows[1:]}   # no points-possible row: Moodle would read it as a user
    assert body["ada"] == ["Ada", "Lovelace", "ada", "1001", "ada@uni.example", "33", "27"]
    assert body["flipper"][-2:] == ["28", "21.5"]
    assert body["nobody"][-2:] == ["0", "0"]


def test_plain_csv_has_totals_and_keeps_roster_columns(files, tmp_path):
    grades, roster = files
    path = export(tmp_path / "plain.csv", fmt="csv", grades=grades, roster=roster)
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")   # no BOM for programs
    rows = _rows(path, encoding="utf-8")
    header = rows[0]
    assert header[0] == "student_id" and header[-3:] == ["01-convolution", "02-conv-layer", "total"]
    assert "email" in header and "section" in header
    assert rows[1][0] == "points_possible" and rows[1][-3:] == ["33", "27", "60"]
    flipper = next(r for r in rows if r[0] == "flipper")
    assert flipper[-1] == "49.5" and flipper[header.index("email")] == "filip@uni.example"


def test_without_a_roster_every_graded_student_gets_a_row(files, tmp_path):
    grades, _ = files
    rows = _rows(export(tmp_path / "c.csv", fmt="canvas", grades=grades))
    assert [r[3] for r in rows[2:]] == ["ada", "flipper"]


def test_formula_like_fields_are_neutralised(tmp_path):
    grades = tmp_path / "grades.csv"
    grades.write_text("student_id,assignment,score,max_score\n"
                      "=HYPERLINK(\"http://x\"),01,1,2\n")
    rows = _rows(export(tmp_path / "c.csv", fmt="canvas", grades=grades))
    assert rows[2][0] == "'=HYPERLINK(\"http://x\")"
    assert rows[2][-1] == "1"


def test_read_grades_names_the_bad_row(tmp_path):
    grades = tmp_path / "grades.csv"
    grades.write_text("student_id,assignment,score,max_score\nada,01,abc,2\n")
    with pytest.raises(ValueError, match=r"line 2: score 'abc'"):
        read_grades(grades)
    grades.write_text("student_id,score\nada,1\n")
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['assignment', 'max_score'\]"):
        read_grades(grades)


def test_roster_id_column_as_for_grading(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("ID,Email\nann,a@x\n\nbob,b@x\n")
    assert sorted(read_roster_records(roster)) == ["ann", "bob"]
    assert read_roster_records(roster)["ann"]["email"] == "a@x"


def test_cli_export(files, tmp_path, capsys):
    grades, roster = files
    out = tmp_path / "m.csv"
    assert main(["export", str(out), "--format", "moodle", "--grades", str(grades),
                 "--roster", str(roster)]) == 0
    assert "wrote" in capsys.readouterr().out and out.is_file()
    assert main(["export", str(out), "--grades", str(tmp_path / "none.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", str(out), "--format", "blackboard"])
    assert "invalid choice: 'blackboard'" in capsys.readouterr().err


def test_bad_format_names_the_argument(files, tmp_path):
    grades, _ = files
    with pytest.raises(ValueError, match="format must be one of canvas, moodle, csv, got 'xls'"):
        export(tmp_path / "x.csv", fmt="xls", grades=grades)
